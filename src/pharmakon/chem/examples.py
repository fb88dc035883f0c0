"""Seeded worked example: a small ESOL solubility model, registered and aliased ``production``."""

from __future__ import annotations

from typing import Any

__all__ = ["seed_example", "ESOL_MODEL"]

ESOL_MODEL = "esol-solubility"


def seed_example(store: Any, settings: Any) -> str:
    """Train ridge vs LightGBM on ESOL (MoleculeNet, from the data mirror/cache) in a 5 s budget.

    Idempotent-safe: if the model already exists, nothing is trained again.
    """
    from pharmakon.chem.featurizers import SmilesFeaturizer
    from pharmakon.core.lifecycle import train_model
    from pharmakon.core.registry import list_models, register_model
    from pharmakon.datasets import load

    with store.read_session() as session:
        if any(o.name == ESOL_MODEL for o in list_models(session)):
            return f"model {ESOL_MODEL} already registered"
    frame = load("moleculenet", "esol", settings=settings)[["smiles", "log_solubility"]]
    model = train_model(frame, "log_solubility", task="regression", smiles_col="smiles",
                        featurizer=SmilesFeaturizer(kinds=("morgan", "rdkit2d"), n_bits=256), budget_s=4.0,
                        n_splits=3, models=["ridge", "lightgbm"], seed=0)  # fmt: skip
    with store.session() as session:
        saved = register_model(session, model, name=ESOL_MODEL, actor="seed", alias="production",
                               reason="worked example seeded by `pharmakon serve` (not for benchmarking)")  # fmt: skip
    m = model.selection["cv_metrics"]
    return (f"model {ESOL_MODEL} v{saved.version} (ESOL log solubility, {model.selection['best']['model']}, "
            f"CV RMSE {m['rmse']:.2f}) registered as production")  # fmt: skip
