"""Conformal coverage at 90% on random and scaffold test splits: plain vs Mondrian-by-novelty.

Every set trains one model with :func:`pharmakon.core.train_model` (``morgan+rdkit2d``
features, small budget, models ridge + LightGBM (logistic + LightGBM for classes):
coverage is about calibration, not model quality) and predicts a held-out test split. Two intervals come from the *same*
model and the same out-of-fold (OOF) calibration rows:

* ``plain`` (the lifecycle before): one symmetric threshold q over all OOF residuals;
* ``mondrian`` (the lifecycle now): q per novelty bin, novelty = 1 - nearest-neighbour
  Tanimoto similarity of an OOF row to its own fold's training part (of a test row:
  to all training rows); see :mod:`pharmakon.core.uncertainty`.

Sets (regression, the issue's floor: coverage within 88-92% on each):

* Biogen ADME (Fang et al. 2023), six endpoints: random 80/20 of each catalogued
  training split (the authors' test splits are sealed), seed 0.
* Lipophilicity: PyTDC 1.1.15 ``create_scaffold_split`` (its code, as in
  ``bench/model_cv.py``), 80/20, seeds 1-5.
* PharmaBench regression endpoints: their own scaffold split (train rows =
  ``scaffold_train_test_label`` train, test rows = test).
* ESOL and FreeSolv: random 80/20, seed 0.

``--only cls`` checks classification sets (LAC score, 90%): PharmaBench BBB and Ames
(their scaffold split) and BBBP (pharmakon's balanced scaffold split, seed 0).
A binomial test set of n rows has a coverage sd of about sqrt(0.09 / n) (0.6 points at
n = 2,600; 2 points at n = 200), so small sets can miss 88-92% by chance.

Run: ``python bench/conformal_coverage.py [--budget 40] [--only biogen,lipo,pharmabench,molnet,cls] [--arrays]``.
The lifecycle picks its model within the wall-clock budget, so on a busy machine a
different model (e.g. ridge instead of LightGBM) can win and coverage moves with it;
each row records the chosen model.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd

import _common

MIRROR = _common.REPO_ROOT.parent / "shared" / "data"
os.environ.setdefault("PHARMAKON_DATA_MIRROR", str(MIRROR))
MODELS = ["ridge", "lightgbm"]
#: How the lifecycle's CV folds (hence its out-of-fold calibration rows) are drawn: ``--folds``.
FOLDS = {"kind": "random"}
PB_REGRESSION = [
    "pb_logd",
    "pb_water_solubility",
    "pb_ppb",
    "pb_cyp2c9",
    "pb_cyp2d6",
    "pb_cyp3a4",
    "pb_human_mic_cl",
    "pb_rat_mic_cl",
    "pb_mouse_mic_cl",
]
ARRAYS: dict[str, np.ndarray] = {}


def _coverage(model, res: pd.DataFrame, y: np.ndarray, ok: np.ndarray) -> dict:
    """Coverage and size of the plain and Mondrian intervals/sets on the test rows."""
    conf = model.conformal
    novelty = 1.0 - np.asarray(model.domain.score(_domain_matrix(model, res, ok)), float)
    plain, mondrian = np.full(ok.sum(), conf.q_), conf.threshold(novelty, int(ok.sum()))
    if model.task == "regression":
        resid = np.abs(y - res["prediction"].to_numpy(float)[ok])
        score = resid
        size = {"width_plain": float(2 * plain.mean()), "width_mondrian": float(2 * mondrian.mean())}
        lo, hi = res["pred_lower"].to_numpy(float)[ok], res["pred_upper"].to_numpy(float)[ok]
        check = float(np.mean((y >= lo) & (y <= hi)))  # the intervals predict() returned
    else:
        proba = res[[f"proba_{c}" for c in model.classes]].to_numpy(float)[ok]
        idx = np.array([model.classes.index(v) for v in y])
        score = 1.0 - proba[np.arange(len(idx)), idx]
        size = {
            "set_size_plain": float((1 - proba <= plain[:, None] + 1e-12).sum(1).mean()),
            "set_size_mondrian": float((1 - proba <= mondrian[:, None] + 1e-12).sum(1).mean()),
        }
        sets = res["pred_set"].to_numpy()[ok]
        check = float(np.mean([str(v) in str(s).split("|") for v, s in zip(y, sets)]))
    return (
        {
            "coverage_plain": float(np.mean(score <= plain + 1e-12)),
            "coverage_mondrian": float(np.mean(score <= mondrian + 1e-12)),
            "coverage_predict": check,
            "test_novelty_median": float(np.median(novelty)),
            **size,
        },
        score,
        novelty,
    )


def _domain_matrix(model, res: pd.DataFrame, ok: np.ndarray) -> np.ndarray:
    smiles = res[model.smiles_col].to_numpy(object)[ok].tolist()
    status = model.featurizer.prepare(smiles).table
    return model.featurizer.transform_canonical(status["canonical"].tolist())[:, model.featurizer.fingerprint_columns_]


def evaluate(
    name: str, split: str, train: pd.DataFrame, test: pd.DataFrame, featurizer, budget: float, seed: int, task: str
) -> dict:
    """Train on ``train`` (columns smiles, y), predict ``test``, return one result row."""
    from pharmakon.core import train_model

    t0 = time.monotonic()
    from pharmakon.chem import murcko_scaffolds

    groups = murcko_scaffolds(train["smiles"].tolist()) if FOLDS["kind"] == "scaffold" else None
    model = train_model(
        train[["smiles", "y"]],
        "y",
        task=task,
        smiles_col="smiles",
        featurizer=featurizer,
        budget_s=budget,
        seed=seed,
        models=MODELS if task == "regression" else ["logistic", "lightgbm"],
        n_jobs=1,
        groups=groups,
    )
    res = model.predict(test[["smiles"]]).table
    ok = res["pred_status"].eq("ok").to_numpy()
    y = test["y"].to_numpy()[ok]
    y = y.astype(float) if task == "regression" else y
    cov, score, novelty = _coverage(model, res, y, ok)
    cal = model.conformal
    if task == "regression":
        oof_scores = np.abs(model.oof_y - model.oof_pred)
    else:
        idx = np.array([model.classes.index(v) for v in model.oof_y])
        oof_scores = 1.0 - model.oof_pred[np.arange(len(idx)), idx]
    key = name.replace(" ", "_")
    ARRAYS[f"{key}__test_score"], ARRAYS[f"{key}__test_novelty"] = score, novelty
    ARRAYS[f"{key}__cal_score"], ARRAYS[f"{key}__cal_novelty"] = oof_scores, cal.difficulty_
    row = {
        "set": name,
        "split": split,
        "task": task,
        "n_train": len(train),
        "n_test": int(ok.sum()),
        "model": model.selection["best"]["model"],
        "bins": cal.bins(),
        "seconds": round(time.monotonic() - t0, 1),
        **cov,
    }
    print(
        f"{name:28s} {split:9s} n_test={row['n_test']:5d} plain={cov['coverage_plain']:.3f} "
        f"mondrian={cov['coverage_mondrian']:.3f} ({row['seconds']} s)",
        flush=True,
    )
    return row


def _frame(endpoint, label: str | None = None) -> pd.DataFrame:
    """An endpoint's rows (``smiles``, ``y``); ``label`` picks PharmaBench's scaffold train/test rows."""
    from pharmakon.chem.admet import endpoint_frame
    from pharmakon.datasets import load

    if label is None or label == "train":
        return endpoint_frame(endpoint)
    raw = load(endpoint.dataset, endpoint.table)
    raw = raw[raw["scaffold_train_test_label"].astype(str).str.strip().eq(label)]
    frame = (
        pd.DataFrame(
            {"smiles": raw[endpoint.smiles_col].astype(object).to_numpy(), "y": raw[endpoint.target].to_numpy()}
        )
        .dropna()
        .reset_index(drop=True)
    )
    frame["y"] = frame["y"].astype(float if endpoint.task == "regression" else int)
    return frame


def _random(name: str, budget: float) -> dict:
    from pharmakon.chem.admet import ENDPOINTS
    from pharmakon.chem.featurizers import make_featurizer
    from pharmakon.core import random_split

    df = _frame(ENDPOINTS[name])
    tr, te = random_split(len(df), test_size=0.2, seed=0)
    return evaluate(
        name, "random", df.iloc[tr], df.iloc[te], make_featurizer("morgan+rdkit2d"), budget, 0, "regression"
    )


def run_biogen(budget: float) -> list[dict]:
    from pharmakon.chem.admet import ENDPOINTS

    return [_random(n, budget) for n in ENDPOINTS if n.startswith("biogen_")]


def run_molnet(budget: float) -> list[dict]:
    return [_random(n, budget) for n in ("esol", "freesolv")]


def run_lipo(budget: float) -> list[dict]:
    from pharmakon.chem.admet import ENDPOINTS
    from pharmakon.chem.featurizers import make_featurizer

    split = _common.tdc_scaffold_split()
    df = _frame(ENDPOINTS["lipophilicity"]).rename(columns={"smiles": "Drug"})
    feat, rows = make_featurizer("morgan+rdkit2d"), []
    for seed in range(1, 6):
        parts = split(df, seed, [0.8, 0.0, 0.2], "Drug")
        train, test = (parts[k].rename(columns={"Drug": "smiles"}) for k in ("train", "test"))
        rows.append(evaluate(f"lipophilicity seed {seed}", "scaffold", train, test, feat, budget, seed, "regression"))
    return rows


def run_pharmabench(budget: float) -> list[dict]:
    from pharmakon.chem.admet import ENDPOINTS
    from pharmakon.chem.featurizers import make_featurizer

    return [
        evaluate(
            n,
            "scaffold",
            _frame(ENDPOINTS[n], "train"),
            _frame(ENDPOINTS[n], "test"),
            make_featurizer("morgan+rdkit2d"),
            budget,
            0,
            "regression",
        )
        for n in PB_REGRESSION
    ]


def run_cls(budget: float) -> list[dict]:
    from pharmakon.chem import murcko_scaffolds
    from pharmakon.chem.admet import ENDPOINTS
    from pharmakon.chem.featurizers import make_featurizer
    from pharmakon.core import make_split

    rows = [
        evaluate(
            n,
            "scaffold",
            _frame(ENDPOINTS[n], "train"),
            _frame(ENDPOINTS[n], "test"),
            make_featurizer("morgan+rdkit2d"),
            budget,
            0,
            "classification",
        )
        for n in ("pb_bbb", "pb_ames")
    ]
    df = _frame(ENDPOINTS["bbbp"])
    tr, te = make_split(
        "scaffold", n=len(df), y=df["y"].to_numpy(), groups=murcko_scaffolds(df["smiles"].tolist()), seed=0
    )
    rows.append(
        evaluate(
            "bbbp", "scaffold", df.iloc[tr], df.iloc[te], make_featurizer("morgan+rdkit2d"), budget, 0, "classification"
        )
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=40.0, help="seconds per trained model")
    parser.add_argument("--only", default="lipo,biogen,molnet,pharmabench,cls")
    parser.add_argument("--name", default="conformal_coverage", help="result file bench/results/NAME.json")
    parser.add_argument("--arrays", action="store_true", help="also save calibration/test scores and novelty (npz)")
    parser.add_argument("--report", default=None, help="print the tables of an earlier result file (no training)")
    parser.add_argument(
        "--folds",
        choices=["random", "scaffold"],
        default="random",
        help="CV folds of the lifecycle (scaffold: Bemis-Murcko groups, so calibration rows are new series)",
    )
    args = parser.parse_args()
    FOLDS["kind"] = args.folds
    if args.report:
        import json

        report(json.loads(open(args.report).read())["rows"])
        return
    parts = {
        "biogen": run_biogen,
        "lipo": run_lipo,
        "pharmabench": run_pharmabench,
        "molnet": run_molnet,
        "cls": run_cls,
    }
    rows: list[dict] = []
    for key in args.only.split(","):
        rows += parts[key](args.budget)
        payload = {
            "budget_s": args.budget,
            "models": MODELS,
            "folds": args.folds,
            "nominal": 0.9,
            "machine": _common.machine_info(),
            "rows": rows,
        }
        _common.write_result(args.name, payload)
        if args.arrays:  # for offline study of other calibration rules on the same models
            np.savez_compressed(_common.RESULTS_DIR / f"{args.name}_arrays.npz", **ARRAYS)
    report(rows)


def report(rows: list[dict]) -> None:
    """The coverage table, and how the misses compare with what an exactly calibrated method would give.

    Each test set is judged with :func:`pharmakon.core.coverage_test` (rows independent,
    binomial): the exact test of coverage = 90% (Holm-adjusted across the sets), and the
    probability that an exactly calibrated method lands within 88-92% at that test size,
    whose sum is the number of sets such a method would be expected to get within.
    """
    from pharmakon.core import coverage_test

    def test(r: dict, which: str) -> dict:
        k = int(round(r[f"coverage_{which}"] * r["n_test"]))
        return coverage_test(np.r_[np.ones(k, bool), np.zeros(r["n_test"] - k, bool)], 0.9)

    def hit(c: float) -> str:
        return "yes" if 0.88 - 1e-9 <= c <= 0.92 + 1e-9 else "NO"

    tests = [test(r, "mondrian") for r in rows]
    holm = _holm([t["p_value"] for t in tests])
    _common.print_table(
        "conformal coverage at 90% (test splits)",
        [
            "set",
            "split",
            "n_test",
            "plain",
            "mondrian",
            "in 88-92",
            "95% CI",
            "p",
            "p Holm",
            "P(88-92) calibrated",
            "size",
        ],
        [
            [
                r["set"],
                r["split"],
                r["n_test"],
                f"{r['coverage_plain']:.3f}",
                f"{r['coverage_mondrian']:.3f}",
                hit(r["coverage_mondrian"]),
                f"{t['ci_low']:.3f}-{t['ci_high']:.3f}",
                f"{t['p_value']:.3f}",
                f"{h:.3f}",
                f"{t['p_within_2pt']:.2f}",
                f"{r.get('width_mondrian', r.get('set_size_mondrian')):.3f}",
            ]
            for r, t, h in zip(rows, tests, holm)
        ],
        caption="mondrian: the lifecycle's intervals (plain: one threshold); 95% CI: Clopper-Pearson; "
        "p: exact binomial test of coverage = 90%; P(88-92) calibrated: chance that an exactly "
        "calibrated method lands within 88-92% at this n; size: mean interval width or set size",
        numeric=["n_test", "plain", "mondrian", "p", "p Holm", "size"],
    )
    for task in ("regression", "classification"):
        idx = [i for i, r in enumerate(rows) if r["task"] == task]
        if not idx:
            continue
        within = sum(hit(rows[i]["coverage_mondrian"]) == "yes" for i in idx)
        expected = sum(tests[i]["p_within_2pt"] for i in idx)
        print(
            f"{task}: {within} of {len(idx)} sets within 88-92% (Mondrian); an exactly calibrated method would "
            f"average {expected:.1f} of {len(idx)} at these test sizes; coverage differs from 90% at Holm-adjusted "
            f"p < 0.05 on {sum(holm[i] < 0.05 for i in idx)} of {len(idx)}"
        )


def _holm(p: list[float]) -> list[float]:
    """Holm step-down adjusted p-values (family-wise error), in input order."""
    order = np.argsort(p)
    adjusted = np.empty(len(p))
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(p) - rank) * p[i]))
        adjusted[i] = running
    return adjusted.tolist()


if __name__ == "__main__":
    main()
