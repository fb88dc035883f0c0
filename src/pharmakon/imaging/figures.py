"""Figures of the imaging pages: slices with the mask overlay and caliper; a subject's RECIST timeline."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from pharmakon.imaging.measure import feret
from pharmakon.plots import figure_png_base64, figure_svg, new_figure

__all__ = ["overlay_slices", "caliper", "recist_timeline_svg"]

#: Most slices rendered for the viewer (thinned evenly beyond that).
MAX_SLICES = 64


def caliper(
    mask2d: np.ndarray, spacing_xy: tuple[float, float]
) -> tuple[float, tuple[float, float, float, float]] | None:
    """Longest in-plane diameter (mm) of a 2-D mask and its end points (x0, y0, x1, y1) in pixels."""
    pts = np.argwhere(mask2d)
    if len(pts) == 0:
        return None
    phys = pts[:, ::-1] * np.asarray(spacing_xy, dtype=float)
    length, a, b = feret(phys)
    a, b = a / spacing_xy, b / spacing_xy
    return length, (float(a[0]), float(a[1]), float(b[0]), float(b[1]))


def overlay_slices(image: np.ndarray, mask: np.ndarray, spacing: tuple[float, float, float]) -> list[dict[str, Any]]:
    """Slices (k) of ``image`` with ``mask`` in red and the caliper drawn; PNG base64 with the index and mm."""
    ks = np.arange(image.shape[0])
    if len(ks) > MAX_SLICES:
        ks = np.unique(np.linspace(0, len(ks) - 1, MAX_SLICES).round().astype(int))
    lo, hi = np.percentile(image, [1, 99]) if image.size else (0, 1)
    out = []
    for k in ks:
        fig, ax = new_figure(4.0, 4.0 * image.shape[1] / max(image.shape[2], 1) * spacing[1] / spacing[0])
        ax.imshow(image[k], cmap="gray", vmin=lo, vmax=hi, aspect=spacing[1] / spacing[0])
        m = mask[k] > 0
        if m.any():
            ax.imshow(np.ma.masked_where(~m, m), cmap="autumn", alpha=0.45, aspect=spacing[1] / spacing[0])
        cal = caliper(m, (spacing[0], spacing[1]))
        if cal is not None and cal[0] > 0:
            x0, y0, x1, y1 = cal[1]
            ax.plot([x0, x1], [y0, y1], color="cyan", lw=1.5)
        ax.set_axis_off()
        out.append({"k": int(k), "mm": round(cal[0], 2) if cal else None, "png": figure_png_base64(fig, dpi=70)})
    return out


def recist_timeline_svg(visits: Sequence[Mapping[str, Any]], baseline_sod: float | None) -> str:
    """Sum of diameters (mm) by day since baseline, each visit labelled with its overall response."""
    fig, ax = new_figure(6.0, 3.0)
    days = [0] + [int(v["day"]) for v in visits]
    sods = [baseline_sod] + [v["sod"] for v in visits]
    if baseline_sod is not None:
        ax.plot(days, [np.nan if s is None else s for s in sods], marker="o", color="#1f77b4")
        ax.axhline(0.7 * baseline_sod, color="green", ls=":", lw=1, label="PR (-30 %)")
        ax.set_ylabel("sum of diameters (mm)")
        ax.legend(loc="best", fontsize=7)
        top = max((s for s in sods if s is not None), default=1.0)
    else:
        top = 1.0
        ax.set_yticks([])
    for v in visits:
        y = v["sod"] if v["sod"] is not None else top * 0.5
        ax.annotate(v["response"], (v["day"], y), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=8)
    ax.set_xlabel("days since baseline")
    return figure_svg(fig)
