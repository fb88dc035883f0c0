"""How ``nano fit`` should choose a model on a small formulation table: selection rules compared on several tables.

Used by ``python bench/nano.py --parts selection``. For each table (PLGA-PEG cycles 1-3 ×
size, PDI, uptake: 39-60 rows, 5 inputs; two 60-row subsamples of the Nano-Tumor database,
log10 delivery efficiency, one-hot material/cancer/shape columns) and each outer fold of
3 × 5-fold CV, every candidate family (zoo defaults, standardised inputs) gets its inner
out-of-fold predictions on the outer-training rows from two reshuffled 5-fold CVs, and its
prediction of the held-out rows after a refit there. Each rule then picks from those
figures alone, so the rules are compared on identical fits. The reported figure is the
nested out-of-fold R² (held-out predictions averaged over the 3 repeats), as in ``nano fit``.

Rules (``lifecycle`` emulates :func:`pharmakon.core.selection.select_model` with fixed work:
the family with the best mean per-fold RMSE of one inner 5-fold CV, replaced by the greedy
averaging ensemble of Caruana et al. (2004; core's own `greedy_members`, up to 10 additions, on the
pooled inner predictions) when that has a better mean per-fold RMSE):

- ``lifecycle|union``: the lifecycle's rule over the zoo ∪ small-table families (the old default);
- ``lifecycle|few``: the same rule over the six a-priori families (the new default up to 200 rows);
- ``repeated|few``: the single best by mean per-fold RMSE over both inner CVs (10 folds);
- ``one_se|few``: the simplest family (order of :data:`SIMPLER_FIRST`) within one standard
  error of the best mean of the first inner CV (Breiman et al. 1984);
- ``top3|few``: equal-weight average of the three best families by the first inner CV;
- ``average|few``: equal-weight average of all six (no selection at all).

Also, per table: the standard error of the inner winner's mean per-fold RMSE relative to
that mean, the relative gap to the runner-up, and how often the second (reshuffled) inner
CV names the same winner among the union — how noisy the choice is.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pharmakon.core.selection import ENSEMBLE_ROUNDS, greedy_members

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
PLGA_INPUTS = ["PLGA", "PP-L", "PP-COOH", "PP-NH2", "S/AS"]
#: Candidate order for the one-standard-error rule: fewest effective parameters first.
SIMPLER_FIRST = ["ridge", "poly_ridge", "gp_ard", "knn", "svm", "gbm_shallow", "rf", "lightgbm", "xgboost", "mlp"]
INNER_REPEATS = 2


def tables() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{label: (X (n, d), y (n,))}``: the PLGA-PEG cycles and two Nano-Tumor subsamples (rows with y)."""
    out = {}
    for k in (1, 2, 3):
        d = pd.read_csv(DATA / "plga_peg_microfluidics" / f"Uptake_data_cycle_{k}.csv", encoding="utf-8-sig")
        for t in ("Z_ave", "PDI", "Uptake"):
            ok = d[t].notna()
            out[f"PLGA cycle {k} {t}"] = (d.loc[ok, PLGA_INPUTS].to_numpy(float), d.loc[ok, t].to_numpy(float))
    tumor = pd.read_csv(DATA / "nano_tumor_db" / "nano_tumor_de_dev.csv")
    for seed, t in ((0, "DE_24"), (1, "DE_Max")):
        d = tumor.sample(60, random_state=seed)
        X = pd.get_dummies(d[["Type", "MAT", "TS", "CT", "TM", "Shape"]]).astype(float)
        X["Size"], X["ZP"] = d["Size"], d["ZP"].fillna(d["ZP"].median())
        X = X.loc[:, X.std() > 0]
        out[f"Nano-Tumor 60 (seed {seed}) log10 {t}"] = (X.to_numpy(float), np.log10(d[t].to_numpy(float)))
    return out


def _fit_predict(family: str, X: np.ndarray, y: np.ndarray, tr: np.ndarray, te: np.ndarray) -> np.ndarray:
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    import pharmakon.nano.formulation.candidates  # noqa: F401 - registers the small-table families
    from pharmakon.core.zoo import build_estimator

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter on tens of rows
        model = make_pipeline(StandardScaler(), build_estimator(family, "regression", seed=0))
        return model.fit(X[tr], y[tr]).predict(X[te])


def _outer_fold(X: np.ndarray, y: np.ndarray, tr: np.ndarray, te: np.ndarray, families: list[str]) -> dict:
    """Inner OOF predictions (per inner repeat) and held-out predictions of every family for one outer fold."""
    from sklearn.model_selection import KFold

    folds = [list(KFold(5, shuffle=True, random_state=r).split(tr)) for r in range(INNER_REPEATS)]
    inner, outer = {}, {}
    for fam in families:
        inner[fam] = []
        for r in range(INNER_REPEATS):
            pred = np.zeros(len(tr))
            for a, b in folds[r]:
                pred[b] = _fit_predict(fam, X, y, tr[a], tr[b])
            inner[fam].append(pred)
        outer[fam] = _fit_predict(fam, X, y, tr, te)
    return {"tr": tr, "te": te, "folds": folds, "inner": inner, "outer": outer}


def _rmse(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(np.mean((a - b) ** 2)))


def _fold_rmse(y: np.ndarray, pred: np.ndarray, folds: list) -> np.ndarray:
    return np.array([_rmse(y[b], pred[b]) for _a, b in folds])


def _pick(fold: dict, y: np.ndarray, rule: str, families: list[str]) -> tuple[np.ndarray, str]:
    """The held-out prediction of ``rule`` over ``families`` for one outer fold, and what it chose."""
    ytr = y[fold["tr"]]
    reps = INNER_REPEATS if rule == "repeated" else 1
    scores = {
        f: np.concatenate([_fold_rmse(ytr, fold["inner"][f][r], fold["folds"][r]) for r in range(reps)])
        for f in families
    }
    ranked = sorted(families, key=lambda f: scores[f].mean())
    best = ranked[0]
    if rule in ("lifecycle", "repeated"):
        if rule == "lifecycle":
            oofs = {f: fold["inner"][f][0] for f in families}
            members = greedy_members(ranked, oofs, "regression", ytr, [], "rmse", -1.0, ENSEMBLE_ROUNDS)
            if len(set(members)) > 1:
                avg = np.mean([oofs[f] for f in members], axis=0)
                if _fold_rmse(ytr, avg, fold["folds"][0]).mean() < scores[best].mean():
                    return np.mean([fold["outer"][f] for f in members], axis=0), "ensemble"
        return fold["outer"][best], best
    if rule == "one_se":
        se = scores[best].std(ddof=1) / np.sqrt(len(scores[best]))
        simple = next(f for f in SIMPLER_FIRST if f in families and scores[f].mean() <= scores[best].mean() + se)
        return fold["outer"][simple], simple
    if rule == "top3":
        return np.mean([fold["outer"][f] for f in ranked[:3]], axis=0), "top3"
    if rule == "average":
        return np.mean([fold["outer"][f] for f in families], axis=0), "average"
    raise ValueError(rule)


def _noise(folds: list[dict], y: np.ndarray, families: list[str]) -> dict[str, float]:
    """Mean over outer folds: winner's SE / its mean RMSE, gap to the runner-up, same winner on a reshuffle."""
    rel_se, gap, same = [], [], []
    for fold in folds:
        ytr = y[fold["tr"]]
        s0 = {f: _fold_rmse(ytr, fold["inner"][f][0], fold["folds"][0]) for f in families}
        s1 = {f: _fold_rmse(ytr, fold["inner"][f][1], fold["folds"][1]).mean() for f in families}
        ranked = sorted(families, key=lambda f: s0[f].mean())
        best = s0[ranked[0]]
        rel_se.append(best.std(ddof=1) / np.sqrt(len(best)) / best.mean())
        gap.append(s0[ranked[1]].mean() / best.mean() - 1)
        same.append(min(families, key=s1.get) == ranked[0])
    return {
        "winner_rel_se": round(float(np.mean(rel_se)), 3),
        "gap_to_runner_up": round(float(np.mean(gap)), 3),
        "same_winner_reshuffled": round(float(np.mean(same)), 2),
    }


RULES = [("lifecycle", "union"), ("lifecycle", "few"), ("repeated", "few"), ("one_se", "few"), ("top3", "few")]
RULES.append(("average", "few"))


def study(n_jobs: int = 2) -> dict[str, Any]:
    """Nested OOF R² per rule and table, the means, and the noise of the choice per table."""
    from joblib import Parallel, delayed
    from sklearn.metrics import r2_score
    from sklearn.model_selection import KFold

    from pharmakon.nano.formulation.candidates import FEW_ROWS_FAMILIES, SMALL_TABLE_ROWS, default_families

    sets = {"few": list(FEW_ROWS_FAMILIES)}
    sets["union"] = default_families(SMALL_TABLE_ROWS)
    r2: dict[str, dict[str, float]] = {f"{rule}|{s}": {} for rule, s in RULES}
    noise = {}
    for label, (X, y) in tables().items():
        splits = [(tr, te) for r in range(3) for tr, te in KFold(5, shuffle=True, random_state=r).split(X)]
        folds = Parallel(n_jobs=n_jobs)(delayed(_outer_fold)(X, y, tr, te, sets["union"]) for tr, te in splits)
        for rule, s in RULES:
            total = np.zeros(len(y))
            for fold in folds:
                total[fold["te"]] += _pick(fold, y, rule, sets[s])[0]
            r2[f"{rule}|{s}"][label] = round(float(r2_score(y, total / 3)), 3)
        noise[label] = _noise(folds, y, sets["union"])
        print(label, {k: v[label] for k, v in r2.items()}, noise[label], flush=True)
    mean = {k: round(float(np.mean(list(v.values()))), 3) for k, v in r2.items()}
    return {"families": sets, "oof_r2": r2, "mean_oof_r2": mean, "noise_of_choice": noise}
