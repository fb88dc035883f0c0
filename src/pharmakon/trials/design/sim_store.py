"""Simulated operating characteristics of a design: power curve, plots, stored results.

:func:`simulate_operating_characteristics` runs the vectorised simulator (through the
executor) at the scenario of interest and at a grid of effects for a power curve;
:func:`save_simulation` stores the result as a versioned object of kind
``trial_simulation`` (content = design, scenario and operating characteristics), so a
simulation is as auditable and signable as a design.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from pharmakon.errors import InputError
from pharmakon.trials.design.groupsequential import GroupSequentialDesign
from pharmakon.trials.design.simulation import SimulationResult, simulate_means, simulate_rates

__all__ = ["SIM_KIND", "save_simulation", "simulate_operating_characteristics", "simulation_plots"]

SIM_KIND = "trial_simulation"
#: Result fields that depend on the machine, not on the request (kept out of stored content).
_TIMING = ("seconds", "sims_per_second", "backend")


def _run(
    kind: str, design: GroupSequentialDesign, effect: float, scenario: Mapping[str, Any], **kw: Any
) -> SimulationResult:
    if kind == "rates":
        return simulate_rates(design, scenario.get("pi2", 0.2) + effect, scenario.get("pi2", 0.2), **kw)
    return simulate_means(design, effect, scenario.get("stdev", 1.0), theta_h0=scenario.get("theta_h0", 0.0), **kw)


def simulate_operating_characteristics(
    design: GroupSequentialDesign,
    kind: str,
    scenario: Mapping[str, Any],
    planned: Sequence[float],
    *,
    sims: int = 100_000,
    seed: int = 0,
    curve_points: int = 0,
    curve_sims: int | None = None,
    backend: Any = None,
    progress: Callable[[int, int], Any] | None = None,
) -> dict[str, Any]:
    """Simulate the scenario and, optionally, a power curve over effects from 0 to 1.5x its effect.

    Parameters
    ----------
    kind : {"rates", "means"}
    scenario : mapping
        ``pi1``, ``pi2`` (rates) or ``alternative``, ``stdev``, ``theta_h0`` (means).
    planned : sequence of float, shape (kmax,)
        Cumulative total sample sizes per look.
    curve_points : int
        Effects on the power curve (0: none); each gets ``curve_sims`` trials and seed
        ``seed + 1 + i`` (default ``sims // 10``, at least 1000).

    Returns
    -------
    dict
        ``result`` (the scenario's :class:`SimulationResult` as a dict) and ``power_curve``
        (list of ``{"effect", "power", "mc_se", "expected_n"}``).
    """
    if kind not in ("rates", "means"):
        raise InputError(f"endpoint must be rates or means, got {kind!r}", field="endpoint")
    kw = {"planned": list(planned), "backend": backend}
    if kind == "rates":
        res = simulate_rates(
            design, scenario["pi1"], scenario.get("pi2", 0.2), sims=sims, seed=seed, progress=progress, **kw
        )
        top = scenario["pi1"] - scenario.get("pi2", 0.2)
    else:
        res = simulate_means(
            design,
            scenario["alternative"],
            scenario.get("stdev", 1.0),
            theta_h0=scenario.get("theta_h0", 0.0),
            sims=sims,
            seed=seed,
            progress=progress,
            **kw,
        )
        top = scenario["alternative"] - scenario.get("theta_h0", 0.0)
    curve = []
    if curve_points:
        n = curve_sims or max(sims // 10, 1000)
        base = 0.0 if kind == "rates" else scenario.get("theta_h0", 0.0)
        hi = 1.5 * top
        if kind == "rates":
            hi = min(hi, 0.999 - scenario.get("pi2", 0.2))
        for i, eff in enumerate(np.linspace(0.0, hi, curve_points)):
            r = _run(kind, design, base + float(eff), scenario, sims=n, seed=seed + 1 + i, **kw)
            curve.append({"effect": float(eff), "power": r.power, "mc_se": r.mc_se, "expected_n": r.expected_n})
    return {"endpoint": kind, "scenario": dict(scenario), "result": res.to_dict(), "power_curve": curve}


def save_simulation(
    session: Any,
    *,
    name: str,
    design: GroupSequentialDesign,
    oc: Mapping[str, Any],
    actor: str,
    spec: Mapping[str, Any] | None = None,
    reason: str | None = None,
) -> Any:
    """Store ``oc`` (from :func:`simulate_operating_characteristics`) with its design; returns the ObjectVersion.

    The content holds only what the seed determines (the request ``spec``, design,
    scenario, results and power curve), so the same request gives the same content hash
    on every backend; timings stay in the returned result.
    """
    from pharmakon.store import save_object

    content = {
        **({"spec": dict(spec)} if spec is not None else {}),
        "design": design.to_dict(),
        **{k: v for k, v in oc.items() if k != "result"},
        "result": {k: v for k, v in oc["result"].items() if k not in _TIMING},
    }
    return save_object(session, kind=SIM_KIND, name=name, content=content, actor=actor, reason=reason)


def simulation_plots(result: Mapping[str, Any]) -> dict[str, str]:
    """Inline SVGs keyed ``power_curve`` (if any), ``stopping`` and ``sample_size``.

    ``result`` is a simulation result as a dict (``SimulationReport.to_dict()``, or the
    ``result`` of :func:`simulate_operating_characteristics` with ``power_curve`` added).
    """
    from pharmakon.plots import figure_svg, new_figure

    plots = {}
    curve = result.get("power_curve") or []
    if curve:
        x = [p["effect"] for p in curve]
        y = np.array([p["power"] for p in curve])
        se = np.array([p["mc_se"] for p in curve])
        fig, ax = new_figure(5, 3.2)
        ax.errorbar(x, y, yerr=2 * se, fmt="o-", color="tab:red", capsize=2)
        ax.set(xlabel="effect (treatment - control)", ylabel="P(reject H0)", title="Simulated power (+-2 SE)")
        plots["power_curve"] = figure_svg(fig)
    k = len(result["reject_per_stage"])
    fig, ax = new_figure(5, 3.2)
    stages = np.arange(1, k + 1)
    ax.bar(stages - 0.2, result["reject_per_stage"], 0.4, label="efficacy", color="tab:red")
    ax.bar(stages[:-1] + 0.2, result["futility_per_stage"], 0.4, label="futility", color="tab:blue")
    ax.set(xlabel="stage", ylabel="probability", title="Simulated stopping probabilities", xticks=stages)
    ax.legend(frameon=False)
    plots["stopping"] = figure_svg(fig)
    fig, ax = new_figure(5, 3.2)
    dist = result["sample_size_distribution"]
    ax.bar(list(dist), list(dist.values()), color="tab:grey")
    ax.set(xlabel="total sample size at stop", ylabel="probability", title="Sample-size distribution")
    plots["sample_size"] = figure_svg(fig)
    return plots
