"""Chemprop (D-MPNN) vs the ridge baseline on ESOL, scaffold split, inside a wall-clock budget.

ESOL (MoleculeNet, 1,128 molecules, log solubility) from the data mirror; pharmakon's
balanced scaffold split (:func:`pharmakon.core.splits.scaffold_split`, 80/20, seed 0).
Features for ridge and for Chemprop's extra descriptors: ``morgan+rdkit2d``. Rows:

* ``ridge (lifecycle)``: :func:`~pharmakon.core.lifecycle.train_model` with ``models=["ridge"]``
  (3-fold CV, Optuna on alpha) in 30 s;
* ``chemprop+ridge (lifecycle)``: ``models=["chemprop", "ridge"]`` in ``--budget`` seconds:
  whichever wins 3-fold CV is refitted in the time left and scored (with its 90%
  conformal interval coverage);
* ``chemprop (direct)``: :class:`~pharmakon.chem.chemprop_model.ChempropEstimator` with
  default settings (50 epochs) and ``time_limit_s=--budget`` on all training rows.

Run: ``python bench/chemprop_esol.py [--budget 120]`` (CPU, one torch thread: on this
2-core machine shared with other work, two torch threads were about 10x slower per epoch).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

import _common

os.environ.setdefault("PHARMAKON_DATA_MIRROR", str(_common.REPO_ROOT.parent / "shared" / "data"))


def _rmse(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.asarray(y, float) - np.asarray(p, float)) ** 2)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=120.0, help="seconds for chemprop (default 120)")
    args = parser.parse_args()
    from pharmakon.chem import make_featurizer, murcko_scaffolds
    from pharmakon.chem.chemprop_model import ChempropEstimator
    from pharmakon.core.lifecycle import train_model
    from pharmakon.core.splits import scaffold_split
    from pharmakon.core.zoo import make_preprocessor, with_smiles
    from pharmakon.datasets import load

    esol = load("moleculenet", "esol")
    target = "log_solubility"
    train_idx, test_idx = scaffold_split(murcko_scaffolds(esol["smiles"].tolist()), test_size=0.2, seed=0)
    train, test = esol.iloc[train_idx].reset_index(drop=True), esol.iloc[test_idx].reset_index(drop=True)
    y_test = test[target].to_numpy(float)
    rows = []
    for label, models, budget in (
        ("ridge (lifecycle)", ["ridge"], 30.0),
        ("chemprop+ridge (lifecycle)", ["chemprop", "ridge"], args.budget),
    ):
        t0 = time.monotonic()
        model = train_model(
            train,
            target,
            smiles_col="smiles",
            featurizer=make_featurizer("morgan+rdkit2d"),
            budget_s=budget,
            models=models,
            seed=0,
            n_jobs=1,
        )
        seconds = time.monotonic() - t0
        out = model.predict(test.drop(columns=[target])).table
        ok = out["pred_status"].eq("ok").to_numpy()
        cp = [r["cv_rmse"] for r in model.selection["leaderboard"] if r["model"] == "chemprop" and r["status"] == "ok"]
        cover = np.mean((out["pred_lower"][ok] <= y_test[ok]) & (y_test[ok] <= out["pred_upper"][ok]))
        rows.append(
            {
                "model": label,
                "chosen": model.selection["best"]["model"],
                "budget_s": budget,
                "seconds": round(seconds, 1),
                "cv_rmse": round(model.selection["cv_metrics"]["rmse"], 3),
                "test_rmse": round(_rmse(y_test[ok], out["prediction"][ok]), 3),
                "chemprop_cv_rmse": round(min(cp), 3) if cp else None,
                "coverage_90": round(float(cover), 3),
                "n_test": int(ok.sum()),
            }
        )
    feat = make_featurizer("morgan+rdkit2d").fit()
    canon = {
        name: feat.prepare(part["smiles"].tolist()).table["canonical"].to_numpy(object)
        for name, part in (("train", train), ("test", test))
    }
    cols = list(feat.feature_names_)
    blocks = {k: feat.transform_canonical(list(v)) for k, v in canon.items()}
    import pandas as pd

    prep = make_preprocessor(cols, []).fit(pd.DataFrame(blocks["train"], columns=cols))
    X = {k: with_smiles(canon[k], prep.transform(pd.DataFrame(blocks[k], columns=cols))) for k in blocks}
    t0 = time.monotonic()
    est = ChempropEstimator(time_limit_s=args.budget, n_jobs=1, seed=0).fit(X["train"], train[target].to_numpy())
    seconds = time.monotonic() - t0
    rows.append(
        {
            "model": "chemprop (direct)",
            "chosen": f"chemprop, {est.epochs_run_} epochs",
            "budget_s": args.budget,
            "seconds": round(seconds, 1),
            "cv_rmse": None,
            "test_rmse": round(_rmse(y_test, est.predict(X["test"])), 3),
            "chemprop_cv_rmse": None,
            "coverage_90": None,
            "n_test": len(test),
        }
    )
    _common.write_result(
        "chemprop_esol",
        {
            "machine": _common.machine_info(),
            "dataset": "MoleculeNet ESOL",
            "split": "balanced scaffold 80/20 seed 0",
            "n_train": len(train),
            "n_test": len(test),
            "rows": rows,
        },
    )
    columns = list(rows[0])
    _common.print_table(
        "ESOL, scaffold split: Chemprop vs ridge",
        columns,
        [[r[c] for c in columns] for r in rows],
        numeric=[c for c in columns if c not in ("model", "chosen")],
    )


if __name__ == "__main__":
    main()
