"""Seeded worked example: a small ESOL solubility model, registered and aliased ``production``."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["seed_example", "ESOL_MODEL", "seed_chemprop_example", "CHEMPROP_MODEL"]

ESOL_MODEL = "esol-solubility"


def seed_example(store: Any, settings: Any) -> str:
    """Train ridge vs LightGBM on 80% of ESOL (MoleculeNet, from the data mirror/cache) in a 4 s budget,
    with scaffold-grouped CV folds, register it as ``production`` and evaluate it on the held-out 20%
    (a Bemis–Murcko scaffold split: test molecules share no scaffold with training ones), audited as
    ``model.evaluate``. The report shows what the guard rail is for: on this split the 90% intervals
    cover noticeably less (about 0.8), and the binomial test says so.

    Idempotent-safe: if the model already exists, nothing is trained again.
    """
    from pharmakon.chem.featurizers import SmilesFeaturizer
    from pharmakon.chem.scaffolds import murcko_scaffolds
    from pharmakon.core.evaluation import evaluate_model, record_evaluation
    from pharmakon.core.lifecycle import train_model
    from pharmakon.core.registry import list_models, register_model
    from pharmakon.core.splits import scaffold_split
    from pharmakon.datasets import load
    from pharmakon.hashing import sha256_frame

    with store.read_session() as session:
        if any(o.name == ESOL_MODEL for o in list_models(session)):
            return f"model {ESOL_MODEL} already registered"
    frame = load("moleculenet", "esol", settings=settings)[["smiles", "log_solubility"]]
    train, test = (
        frame.iloc[rows].reset_index(drop=True)
        for rows in scaffold_split(murcko_scaffolds(frame["smiles"].tolist()), test_size=0.2, seed=0)
    )
    series = murcko_scaffolds(train["smiles"].tolist())  # CV folds by scaffold too
    model = train_model(
        train,
        "log_solubility",
        task="regression",
        smiles_col="smiles",
        featurizer=SmilesFeaturizer(kinds=("morgan", "rdkit2d"), n_bits=256),
        budget_s=4.0,
        n_splits=3,
        models=["ridge", "lightgbm"],
        seed=0,
        groups=series,
        groups_kind="scaffold",
    )
    with store.session() as session:
        saved = register_model(
            session,
            model,
            name=ESOL_MODEL,
            actor="seed",
            alias="production",
            reason="worked example seeded by `pharmakon serve` (not for benchmarking)",
        )
        report = evaluate_model(model, test, file="esol scaffold test split")
        record_evaluation(
            session,
            report,
            model_ref=f"{ESOL_MODEL}@{saved.version}",
            actor="seed",
            data={"esol_scaffold_test": sha256_frame(test)},
        )
    m, c = report["metrics"], report["coverage"]
    return (
        f"model {ESOL_MODEL} v{saved.version} (ESOL log solubility, {model.selection['best']['model']}) registered "
        f"as production; on {c['n']} held-out scaffold-split molecules RMSE {m['rmse']:.2f}, "
        f"90% interval coverage {c['coverage']:.2f} (binomial p = {c['p_value']:.2g})"
    )


CHEMPROP_MODEL = "esol-chemprop"
#: ESOL molecules the Chemprop example trains on (a seeded random subset) and its budget in seconds.
CHEMPROP_ROWS, CHEMPROP_BUDGET_S = 300, 10.0


def seed_chemprop_example(store: Any, settings: Any) -> str:
    """Chemprop (``deep`` extra) cross-validated against the ridge baseline on a small ESOL subset.

    :data:`CHEMPROP_ROWS` seeded random ESOL molecules, 3-fold CV, :data:`CHEMPROP_BUDGET_S`
    seconds in all: enough for a few epochs, so it shows the workflow (leaderboard, model
    card, intervals), not Chemprop's accuracy. Registered as :data:`CHEMPROP_MODEL` without
    an alias. Without the deep extra it raises the extra's :class:`~pharmakon.errors.InputError`
    (the seed reports it as skipped). Idempotent-safe.
    """
    from pharmakon.chem.chemprop_model import require_deep
    from pharmakon.chem.featurizers import SmilesFeaturizer
    from pharmakon.core.lifecycle import train_model
    from pharmakon.core.registry import list_models, register_model
    from pharmakon.datasets import load

    require_deep()
    with store.read_session() as session:
        if any(o.name == CHEMPROP_MODEL for o in list_models(session)):
            return f"model {CHEMPROP_MODEL} already registered"
    esol = load("moleculenet", "esol", settings=settings)[["smiles", "log_solubility"]]
    frame = esol.sample(n=min(CHEMPROP_ROWS, len(esol)), random_state=0).reset_index(drop=True)
    model = train_model(
        frame,
        "log_solubility",
        task="regression",
        smiles_col="smiles",
        featurizer=SmilesFeaturizer(kinds=("morgan", "rdkit2d"), n_bits=256),
        budget_s=CHEMPROP_BUDGET_S,
        n_splits=3,
        models=["chemprop", "ridge"],
        seed=0,
    )
    with store.session() as session:
        saved = register_model(
            session,
            model,
            name=CHEMPROP_MODEL,
            actor="seed",
            reason="worked example seeded by `pharmakon serve`: Chemprop vs ridge, "
            f"{len(frame)} molecules, {CHEMPROP_BUDGET_S:.0f} s (not for benchmarking)",
        )
    cv: dict[str, float] = {}  # each family's best configuration
    for row in model.selection["leaderboard"]:
        if row.get("cv_rmse") is not None:
            cv[row["model"]] = min(cv.get(row["model"], np.inf), row["cv_rmse"])
    scores = ", ".join(f"{m} {v:.2f}" for m, v in sorted(cv.items()))
    return (
        f"model {CHEMPROP_MODEL} v{saved.version} (Chemprop D-MPNN vs ridge on {len(frame)} ESOL molecules; "
        f"chosen {model.selection['best']['model']}; CV RMSE {scores})"
    )
