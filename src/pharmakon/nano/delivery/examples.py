"""Worked example seeded by ``pharmakon serve``: the built-in nanoparticle model for a small population and a QSAR."""

from __future__ import annotations

from typing import Any

from pharmakon.caller import Caller
from pharmakon.nano.delivery.service import DeliveryTrainSpec, SimulateSpec, simulate_pbpk, train_delivery

__all__ = ["seed_example"]


def seed_example(store: Any, settings: Any) -> str:
    """Simulate ``nanoparticle-mouse`` for 50 subjects and train the delivery QSAR deterministically.

    The QSAR uses one model family (xgboost) and no Optuna trials, so the same data
    give the same models on any machine; the data come from the mirror's ``nano_tumor_db``.
    """
    caller = Caller("seed", "python")
    sim = simulate_pbpk(store, SimulateSpec(spec="nanoparticle-mouse", subjects=50, seed=1), caller)
    qsar = train_delivery(store, DeliveryTrainSpec(models=["xgboost"], trials=0, seed=0), caller)
    tumour = 100 * sim.percentiles["p50"]["tumor"][24] / sim.dose
    r2 = ", ".join(f"{t} {m.get('r2') or 0:.2f}" for t, m in qsar.cv_metrics.items())
    return (
        f"nanoparticle-mouse PBPK for {sim.subjects} mice (median tumour {tumour:.2f} %ID at 24 h) and "
        f"tumour-delivery QSAR {qsar.name} v{qsar.version} (CV R2 on log10 %ID: {r2})"
    )
