"""Figures of the delivery pages and reports: organ curves with bands, goodness of fit."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pharmakon.plots import new_figure

__all__ = ["curves_figure", "gof_figure"]


def curves_figure(
    times: list[float],
    median: dict[str, list[float]],
    low: dict[str, list[float]],
    high: dict[str, list[float]],
    *,
    compartments: list[str] | None = None,
    ylabel: str = "amount",
    title: str = "",
) -> Any:
    """One panel per compartment: the median line and the 5-95% band (log y axis where positive)."""
    names = compartments or list(median)
    cols = min(3, len(names))
    rows = int(np.ceil(len(names) / cols))
    fig, _ = new_figure(3.2 * cols, 2.4 * rows)
    fig.clear()
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    t = np.asarray(times)
    for ax, name in zip(axes, names):
        ax.fill_between(t, low[name], high[name], color="#9ecae1", alpha=0.6, label="5-95%")
        ax.plot(t, median[name], color="#08519c", lw=1.5, label="median")
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("time (h)", fontsize=8)
        ax.set_ylabel(ylabel, fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in axes[len(names) :]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def gof_figure(table: pd.DataFrame, label: str) -> Any:
    """Observed vs predicted concentrations on log axes, with the line of identity."""
    fig, ax = new_figure(4.0, 4.0)
    for comp, part in table.groupby("compartment"):
        ax.scatter(part["predicted"], part["observed"], s=18, label=str(comp))
    lo = float(np.nanmin(table[["observed", "predicted"]].to_numpy()))
    hi = float(np.nanmax(table[["observed", "predicted"]].to_numpy()))
    ax.plot([lo, hi], [lo, hi], color="grey", lw=1)
    from matplotlib.ticker import NullFormatter

    ax.set_xscale("log")
    ax.set_yscale("log")
    for axis in (ax.xaxis, ax.yaxis):  # minor labels of a narrow log range overlap
        axis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("predicted (amount/L)")
    ax.set_ylabel("observed (amount/L)")
    ax.set_title(f"goodness of fit: {label}", fontsize=9)
    ax.legend(fontsize=7)
    return fig
