"""Figures of the signal drill-down, encoded by :mod:`pharmakon.plots` (the DSMB plots are in :mod:`.dsmb`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pharmakon.plots import figure_svg, new_figure

__all__ = ["trend_svg"]

#: EBGM drawn as the reference line of the trend plot (the EB05 >= 2 signal criterion's scale).
TREND_REFERENCE = 2.0


def trend_svg(trend: Sequence[Mapping[str, Any]]) -> str:
    """Cumulative EBGM by quarter with its EB05-EB95 band, as an inline ``<svg>``; ``""`` without a trend.

    Parameters
    ----------
    trend : sequence of mappings
        The stored drill-down trend (:func:`pharmakon.trials.safety.signals.pair_detail`):
        ``quarter``, ``n``, ``expected`` and, when the table has an MGPS fit, ``ebgm``,
        ``eb05``, ``eb95`` per quarter (cumulative).
    """
    if not trend:
        return ""
    quarters = [str(t["quarter"]) for t in trend]
    fig, ax = new_figure(6.5, 3.0)
    if "ebgm" in trend[0]:
        ax.plot(quarters, [_num(t.get("ebgm")) for t in trend], marker="o", label="EBGM")
        ax.fill_between(
            quarters,
            [_num(t.get("eb05")) for t in trend],
            [_num(t.get("eb95")) for t in trend],
            alpha=0.25,
            label="EB05-EB95",
        )
        ax.axhline(TREND_REFERENCE, color="crimson", ls="--", lw=1)
        ax.legend(loc="upper left")
    ax.set(xlabel="quarter (cumulative)", ylabel="EBGM", title="Cumulative EBGM by quarter")
    return figure_svg(fig)


def _num(value: Any) -> float:
    return float("nan") if value is None else float(value)
