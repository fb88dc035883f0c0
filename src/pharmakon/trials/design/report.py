"""Plots and a self-contained HTML report for a group-sequential design.

Plots (drawn with :mod:`pharmakon.plots`, inline SVG): boundaries on the z-scale, boundaries on the
standardised-effect scale, power curve, stopping probabilities per stage under H0 and
H1, and the distribution of the stopping information (sample-size distribution).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pharmakon.trials.design.characteristics import design_characteristics, stage_probabilities
from pharmakon.trials.design.groupsequential import GroupSequentialDesign

__all__ = ["design_plots", "design_report_html", "operating_characteristics"]


def operating_characteristics(design: GroupSequentialDesign, n_points: int = 41) -> dict[str, Any]:
    """Power curve and stopping probabilities (plain data for plots, API and pages).

    Returns
    -------
    dict
        ``characteristics`` (dict), ``power_curve`` ({"effect_ratio": [...], "power": [...],
        "expected_information": [...]}) with effect relative to the H1 effect (0 to 1.5),
        ``stopping`` ({"h0": {...}, "h1": {...}}) per-stage reject/futility probabilities.
    """
    ch = design_characteristics(design)
    drift1 = float(np.sqrt(ch.shift))
    ratios = np.linspace(0.0, 1.5, n_points)
    power, exp_info = [], []
    for r in ratios:
        p = stage_probabilities(design, r * drift1)
        power.append(float(p["reject"].sum()))
        exp_info.append(float(p["expected_information_rate"]) * ch.inflation_factor)
    stopping = {}
    for label, d in (("h0", 0.0), ("h1", drift1)):
        p = stage_probabilities(design, d)
        stopping[label] = {k: [float(x) for x in p[k]] for k in ("reject", "futility", "stop")}
    return {
        "characteristics": ch.to_dict(),
        "stopping": stopping,
        "power_curve": {"effect_ratio": [float(x) for x in ratios], "power": power, "expected_information": exp_info},
    }


#: Fixed SVG id salt, so the same design draws byte-identical plots (reports are hashed artifacts).
_SVG_SALT = {"svg.hashsalt": "pharmakon.trials.design"}


def design_plots(design: GroupSequentialDesign, oc: dict[str, Any] | None = None) -> dict[str, str]:
    """Inline SVG strings keyed ``boundaries``, ``effect_scale``, ``power``, ``stopping``, ``sample_size``."""
    import matplotlib

    with matplotlib.rc_context(_SVG_SALT):
        return _design_plots(design, oc or operating_characteristics(design))


def _design_plots(design: GroupSequentialDesign, oc: dict[str, Any]) -> dict[str, str]:
    from pharmakon.plots import figure_svg, new_figure

    t = np.asarray(design.information_rates)
    c = np.asarray(design.critical_values)
    fut = None
    if design.futility_bounds is not None:
        fut = np.array([np.nan if f is None else f for f in design.futility_bounds], dtype=float)
    plots = {}
    fig, ax = new_figure(5, 3.2)
    ax.plot(t, c, "o-", color="tab:red", label="efficacy")
    if design.sided == 2:
        ax.plot(t, -c, "o-", color="tab:red")
    if fut is not None:
        ax.plot(t[:-1], fut, "s--", color="tab:blue", label="futility")
        if design.sided == 2:
            ax.plot(t[:-1], -fut, "s--", color="tab:blue")
    ax.set(xlabel="information rate", ylabel="z boundary", title="Boundaries (z-scale)")
    ax.axhline(0, color="grey", lw=0.5)
    ax.legend(frameon=False)
    plots["boundaries"] = figure_svg(fig)
    shift = oc["characteristics"]["shift"]
    fig, ax = new_figure(5, 3.2)
    ax.plot(t, c / np.sqrt(shift * t), "o-", color="tab:red", label="efficacy")
    if fut is not None:
        ax.plot(t[:-1], fut / np.sqrt(shift * t[:-1]), "s--", color="tab:blue", label="futility")
    ax.axhline(1.0, color="grey", ls=":", label="H1 effect")
    ax.set(xlabel="information rate", ylabel="effect / H1 effect", title="Boundaries (effect scale)")
    ax.legend(frameon=False)
    plots["effect_scale"] = figure_svg(fig)
    pc = oc["power_curve"]
    fig, ax = new_figure(5, 3.2)
    ax.plot(pc["effect_ratio"], pc["power"], color="tab:green")
    ax.axhline(1 - design.beta, color="grey", ls=":")
    ax.set(xlabel="effect / H1 effect", ylabel="P(reject H0)", title="Power curve", ylim=(0, 1))
    plots["power"] = figure_svg(fig)
    fig, ax = new_figure(5, 3.2)
    stages = np.arange(1, design.kmax + 1)
    for i, label in enumerate(("h0", "h1")):
        s = oc["stopping"][label]
        ax.bar(stages + (i - 0.5) * 0.38, s["reject"], width=0.36, label=f"reject ({label.upper()})")
        ax.bar(
            stages + (i - 0.5) * 0.38,
            s["futility"],
            width=0.36,
            bottom=s["reject"],
            alpha=0.5,
            label=f"futility ({label.upper()})",
        )
    ax.set(xlabel="stage", ylabel="probability", title="Stopping probabilities", xticks=stages)
    ax.legend(frameon=False, fontsize=7)
    plots["stopping"] = figure_svg(fig)
    s1 = np.asarray(oc["stopping"]["h1"]["stop"])
    reach = 1.0 - np.concatenate(([0.0], np.cumsum(s1)[:-1]))
    dist = np.concatenate((s1[:-1], [reach[-1]]))
    fig, ax = new_figure(5, 3.2)
    ax.bar([f"{x:.2f}" for x in t], dist, color="tab:purple")
    ax.set(xlabel="information rate at stop", ylabel="probability under H1", title="Sample-size distribution")
    plots["sample_size"] = figure_svg(fig)
    return plots


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def design_report_html(design: GroupSequentialDesign, name: str = "design", extra: dict[str, Any] | None = None) -> str:
    """A self-contained HTML report: summary, assumptions, boundary table, characteristics, plots.

    Rendered with the shared report environment (template ``trial_design_report.html``).
    """
    from pharmakon.reports import render

    oc = operating_characteristics(design)
    table = design.table()
    return render(
        "trial_design_report.html",
        name=name,
        summary=design.summary(),
        assumptions=design.assumptions,
        columns=list(table[0]),
        rows=[[_cell(v) for v in row.values()] for row in table],
        characteristics=[(k, _cell(v)) for k, v in oc["characteristics"].items() if not isinstance(v, list)],
        plots=design_plots(design, oc),
        extra=extra,
    )
