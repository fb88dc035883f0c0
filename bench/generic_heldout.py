"""The generic lifecycle (``pharmakon model train``) on molecules and particles it has not seen.

What is measured, with ``pharmakon.core.train_model`` called as ``pharmakon model train``
calls it (``model train``'s default featurizer unless ``--featurizer``, the default CV
split, ``--budget`` seconds, no ``--trials``, seed 0):

* **Biogen ADME** (Fang et al. 2023), six endpoints. The authors' test splits are sealed,
  so each *training* split is split 80/20 by Bemis-Murcko scaffold (pharmakon's
  ``scaffold_split``, balanced, seed 0): no test molecule shares a scaffold with a
  training one. The model is trained on the 80% (as ``model train --data TRAIN.csv
  --target activity --smiles-col smiles --task regression --budget B``) and scored on
  the 20% (Pearson r, the metric of the paper). The inner CV Pearson r of the chosen
  model (what ``model train`` reports) is given beside it with the CV split it used.
  ``--split-seed`` draws another scaffold split. The anchor is the best published test
  Pearson r per endpoint (``published_pearson_r.csv``); different test molecules, so the
  comparison indicates, it does not prove.
* **Nano-Tumor DB** (301 development rows): per target (DE_Max, DE_24, DE_168) the other
  delivery columns are removed, then ``--repeats`` random 80/20 splits (seeds 0..R-1);
  ``model train --target T --task regression --budget B`` on the 80%, R² on the raw %ID
  scale on the 20%; mean and SD over the repeats. ``--paper-rows`` keeps only the rows the
  paper's DNN was scored on (zeta potential known, DE_Max below 50 %ID) before splitting.

Timings depend on the machine's load (``load_average`` is recorded beside them). Budgets
are wall-clock, so on a busy machine fewer configurations are tried.

Run: ``python bench/generic_heldout.py --label after [--only biogen,nano] [--endpoints HLM,Sol]
[--budget 120] [--featurizer morgan+rdkit2d] [--split-seed 1] [--cv-split scaffold] [--nano-budget 100] [--repeats 10] [--targets DE_Max] [--cv 5] [--id-col ID] [--paper-rows]``. Results are kept per
``--label`` in ``bench/results/generic_heldout.json`` (other labels are kept).
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
import pandas as pd

import _common
from pharmakon.core.service import TrainSpec

MIRROR = _common.REPO_ROOT.parent / "shared" / "data"
BIOGEN_DIR = MIRROR / "biogen_adme_fang2023" / "splits"
#: endpoint -> (training split file, column of published_pearson_r.csv)
BIOGEN = {
    "HLM": ("ADME_HLM_train.csv", "HLM"),
    "MDR1_ER": ("ADME_MDR1_ER_train.csv", "MDR1-MDCK ER"),
    "Sol": ("ADME_Sol_train.csv", "Solubility"),
    "RLM": ("ADME_RLM_train.csv", "RLM"),
    "hPPB": ("ADME_hPPB_train.csv", "hPPB"),
    "rPPB": ("ADME_rPPB_train.csv", "rPPB"),
}
NANO_FILE = MIRROR / "nano_tumor_db" / "nano_tumor_de_dev.csv"
NANO_TARGETS = ("DE_Max", "DE_24", "DE_168")
NANO_DELIVERY_COLUMNS = ("DE_Tmax", "DE_Tmax_PK", "DE_24", "DE_168", "DE_Max")


def _published_best() -> dict[str, float]:
    table = pd.read_csv(BIOGEN_DIR.parent / "published_pearson_r.csv")
    table = table[table["row"] == "row_a"]  # the labelled row: the bars the issue quotes
    return {name: float(table[column].max()) for name, (_, column) in BIOGEN.items()}


def _family_scores(model, metric: str = "cv_rmse") -> dict[str, float]:
    """Best mean CV RMSE of each family on the leaderboard (lower is better)."""
    best: dict[str, float] = {}
    for row in model.selection["leaderboard"]:
        value = row.get(metric)
        if row.get("status") == "ok" and value is not None:
            best[row["model"]] = min(best.get(row["model"], np.inf), float(value))
    return {k: round(v, 4) for k, v in sorted(best.items(), key=lambda kv: kv[1])}


def biogen_endpoint(
    name: str, budget: float, trials: int | None, featurizer: str, split_seed: int = 0, cv_split: str = "random"
) -> dict:
    from pharmakon.chem import make_featurizer
    from pharmakon.chem.scaffolds import murcko_scaffolds
    from pharmakon.core import regression_metrics, train_model
    from pharmakon.core.splits import scaffold_split

    frame = pd.read_csv(BIOGEN_DIR / BIOGEN[name][0])
    scaffolds = murcko_scaffolds(frame["smiles"].tolist())
    tr, te = scaffold_split(scaffolds, test_size=0.2, seed=split_seed)
    train, test = frame.iloc[tr].reset_index(drop=True), frame.iloc[te].reset_index(drop=True)
    # as `model train --cv-split scaffold` does: CV folds grouped by Bemis-Murcko scaffold
    groups = [scaffolds[i] for i in tr] if cv_split == "scaffold" else None
    t0 = time.monotonic()
    model = train_model(
        train,
        "activity",
        task="regression",
        smiles_col="smiles",
        featurizer=make_featurizer(featurizer),
        budget_s=budget,
        trials=trials,
        seed=0,
        groups=groups,
        groups_kind="scaffold",
    )
    seconds = time.monotonic() - t0
    res = model.predict(test.drop(columns=["activity"])).table
    ok = res["pred_status"].eq("ok").to_numpy()
    y, pred = test["activity"].to_numpy(float)[ok], res["prediction"].to_numpy(float)[ok]
    lo, hi = res["pred_lower"].to_numpy(float)[ok], res["pred_upper"].to_numpy(float)[ok]
    held = regression_metrics(y, pred)
    return {
        "n_train": len(train),
        "n_test": int(ok.sum()),
        "best": model.selection["best"]["model"],
        "cv_split": model.selection["cv_split"],
        "cv_pearson": model.selection["cv_metrics"]["pearson"],
        "holdout_pearson": held["pearson"],
        "holdout_rmse": held["rmse"],
        "holdout_coverage_90": float(np.mean((y >= lo) & (y <= hi))),
        "families_cv_rmse": _family_scores(model),
        "train_seconds": round(seconds, 1),
        "load_average": os.getloadavg()[0],
    }


def nano_target(
    target: str,
    budget: float,
    trials: int | None,
    repeats: int,
    cv: int | None = None,
    id_cols: tuple[str, ...] = (),
    paper_rows: bool = False,
) -> dict:
    from sklearn.metrics import r2_score
    from sklearn.model_selection import train_test_split

    from pharmakon.core import train_model
    from pharmakon.tables import read_table

    frame = read_table(NANO_FILE)
    if paper_rows:
        # the rows the paper's DNN was scored on: zeta potential known, DE_Max below 50 %ID
        frame = frame[frame["ZP"].notna() & (frame["DE_Max"] < 50)]
    frame = frame.drop(columns=[c for c in NANO_DELIVERY_COLUMNS if c != target]).reset_index(drop=True)
    r2, chosen, cv_r2, secs = [], [], [], []
    for rep in range(repeats):
        train, test = train_test_split(frame, test_size=0.2, random_state=rep)
        t0 = time.monotonic()
        model = train_model(
            train.reset_index(drop=True),
            target,
            task="regression",
            budget_s=budget,
            trials=trials,
            n_splits=cv,
            id_cols=id_cols,
        )
        secs.append(time.monotonic() - t0)
        pred = model.predict(test.drop(columns=[target]).reset_index(drop=True)).table["prediction"].to_numpy(float)
        r2.append(float(r2_score(test[target].to_numpy(float), pred)))
        chosen.append(model.selection["best"]["model"])
        cv_r2.append(model.selection["cv_metrics"]["r2"])
    return {
        "r2_mean": float(np.mean(r2)),
        "r2_sd": float(np.std(r2, ddof=1)) if repeats > 1 else None,
        "r2": [round(v, 4) for v in r2],
        "cv_r2_mean": float(np.mean(cv_r2)),
        "chosen": chosen,
        "train_seconds_mean": round(float(np.mean(secs)), 1),
        "rows": len(frame),
        "load_average": os.getloadavg()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", default="current", help="key the results are stored under (before, after)")
    parser.add_argument("--only", default="biogen,nano")
    parser.add_argument("--endpoints", default=",".join(BIOGEN))
    parser.add_argument("--targets", default=",".join(NANO_TARGETS))
    parser.add_argument("--budget", type=float, default=120.0, help="Biogen --budget seconds")
    parser.add_argument(
        "--featurizer", default=TrainSpec.model_fields["featurizer"].default, help="Biogen: model train --featurizer"
    )
    parser.add_argument("--split-seed", type=int, default=0, help="Biogen: seed of the 80/20 scaffold split")
    parser.add_argument(
        "--cv-split", choices=("random", "scaffold"), default="random", help="Biogen: model train --cv-split"
    )
    parser.add_argument("--nano-budget", type=float, default=100.0, help="Nano-Tumor --budget seconds")
    parser.add_argument("--trials", type=int, default=None, help="fixed trials instead of the budget")
    parser.add_argument("--repeats", type=int, default=10, help="Nano-Tumor 80/20 repeats (seeds 0..R-1)")
    parser.add_argument("--cv", type=int, default=None, help="Nano-Tumor CV folds (model train --cv; default its own)")
    parser.add_argument(
        "--id-col", default="", help="Nano-Tumor: comma-separated columns left out (model train --id-col)"
    )
    parser.add_argument(
        "--paper-rows",
        action="store_true",
        help="Nano-Tumor: only the rows the paper scored (zeta potential known, DE_Max < 50)",
    )
    args = parser.parse_args()
    os.environ.setdefault("PHARMAKON_DATA_MIRROR", str(MIRROR))
    out_path = _common.RESULTS_DIR / "generic_heldout.json"
    previous = json.loads(out_path.read_text()) if out_path.exists() else {}
    runs = previous.get("runs", {})
    run = runs.setdefault(args.label, {})
    settings = {k: v for k, v in vars(args).items() if k != "label"}
    if "biogen" in args.only:
        run["biogen_settings"] = {
            k: settings[k] for k in ("budget", "trials", "endpoints", "featurizer", "split_seed", "cv_split")
        }
        published = _published_best()
        rows = []
        for name in args.endpoints.split(","):
            r = biogen_endpoint(name, args.budget, args.trials, args.featurizer, args.split_seed, args.cv_split)
            r["published_best"] = published[name]
            run.setdefault("biogen", {})[name] = r
            scores = (r["cv_pearson"], r["holdout_pearson"], published[name])
            rows.append([name, r["best"], r["cv_split"], *(f"{v:.3f}" for v in scores)])
            print(name, json.dumps(r), flush=True)
        _common.print_table(
            f"Biogen ADME, scaffold 80/20 of the training splits ({args.label})",
            ["endpoint", "chosen", "CV split", "CV r", "hold-out r", "best published r"],
            rows,
            numeric=["CV r", "hold-out r", "best published r"],
        )
    if "nano" in args.only:
        run["nano_settings"] = {
            k: settings[k] for k in ("nano_budget", "trials", "repeats", "targets", "cv", "id_col", "paper_rows")
        }
        id_cols = tuple(c for c in args.id_col.split(",") if c)
        rows = []
        for target in args.targets.split(","):
            r = nano_target(target, args.nano_budget, args.trials, args.repeats, args.cv, id_cols, args.paper_rows)
            run.setdefault("nano", {})[target] = r
            scores = (r["r2_mean"], r["r2_sd"], r["cv_r2_mean"])
            cells = ["" if v is None else f"{v:.3f}" for v in scores]
            rows.append([target, *cells, ", ".join(sorted(set(r["chosen"])))])
            print(target, json.dumps(r), flush=True)
        _common.print_table(
            f"Nano-Tumor DB, {args.repeats} x random 80/20, R² on %ID ({args.label})",
            ["target", "R² mean", "R² SD", "inner CV R²", "chosen"],
            rows,
            numeric=["R² mean", "R² SD", "inner CV R²"],
        )
    _common.write_result("generic_heldout", {"machine": _common.machine_info(), "runs": runs})


if __name__ == "__main__":
    main()
