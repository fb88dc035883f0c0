"""One way to turn a matplotlib figure into something a page or report embeds.

Every plot in pharmakon (model cards, trial design reports, DSMB reports, workbench
pages) is drawn on a figure from :func:`new_figure` and encoded by :func:`figure_png_base64`
or :func:`figure_svg`, which also close the figure (no pyplot state is kept).
"""

from __future__ import annotations

import base64
import io
from typing import Any

__all__ = ["new_figure", "figure_png_base64", "figure_svg"]


def new_figure(width: float = 5.0, height: float = 3.5, **kwargs: Any) -> tuple[Any, Any]:
    """A ``(figure, axes)`` pair on the non-interactive Agg canvas (size in inches)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), **kwargs)
    return fig, fig.subplots()


def _encode(fig: Any, fmt: str, **kwargs: Any) -> bytes:
    buf = io.BytesIO()
    try:
        fig.savefig(buf, format=fmt, bbox_inches="tight", **kwargs)
    finally:
        import matplotlib.pyplot as plt

        plt.close(fig)
    return buf.getvalue()


def figure_png_base64(fig: Any, *, dpi: int = 90) -> str:
    """PNG of ``fig`` as base64 text (for ``data:image/png;base64,...``); closes ``fig``."""
    return base64.b64encode(_encode(fig, "png", dpi=dpi, metadata={"Software": None})).decode("ascii")


def figure_svg(fig: Any) -> str:
    """``fig`` as an inline ``<svg>`` element (text, no XML prolog); closes ``fig``.

    No creation date is written, so the same figure gives the same bytes every time.
    """
    text = _encode(fig, "svg", metadata={"Date": None}).decode("utf-8")
    return text[text.find("<svg") :]
