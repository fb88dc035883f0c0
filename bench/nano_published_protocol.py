"""The published PLGA-PEG protocol, scored as published and scored nested.

Ortiz-Perez, van Tilborg et al. (molML/Nano_Particles_Active_Learning) chose XGBoost's
hyperparameters by Bayesian optimisation of the RMSE of 5-fold cross-validated predictions
averaged over 5 fold draws, on the 50 rows of the cycle-2 table (each model trained on its rows
plus 4 copies with jittered polymer fractions), and then reported the out-of-fold R² of the
chosen setting on those same 50 rows (size 0.89, PDI 0.23: the floor of ``nano fit``). Every
row that scores the setting also chose it, so the figure carries the optimism of keeping the
best of many noisy CV scores (the PDI search log holds about 500 of them).

Three measurements:

- ``published_setting_rescored``: the study's chosen settings, fixed, scored on other fold
  draws of the same rows (3 x 5-fold as the floor states; also 10 x 5-fold);
- ``as_published``: the search rerun (the study's space; scikit-optimize's ``gp_minimize``,
  expected improvement, 10 random starts, 50 calls) on all rows, then the 3 x 5-fold OOF R² of
  its choice;
- ``nested``: the same search inside each outer fold of 3 x 5-fold CV on the outer-training
  rows only, refit, predict the held-out rows; the R² of the held-out predictions averaged over
  the 3 repeats (the protocol of ``nano fit --cv 5 --repeats 3 --oof-out``).

Each search runs without (``plain``) and with (``augmented``) the study's jittered copies.
``python bench/nano_published_protocol.py [plain|augmented]`` runs one of the two.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import r2_score, root_mean_squared_error

import _common

MIRROR = _common.REPO_ROOT.parent / "shared" / "data" / "plga_peg_microfluidics"
INPUTS = ["PLGA", "PP-L", "PP-COOH", "PP-NH2", "S/AS"]
# The study trains on its training rows plus 4 copies whose polymer fractions are multiplied by
# N(1, s) noise, s its stated experimental error of each fraction (1.2-1.25 %; none on S/AS).
INPUT_ERROR = np.array([0.012490, 0.012121, 0.012359, 0.012398, 0.0])
COPIES = 4
# The settings the study chose for its cycle-2 models: the lowest-RMSE line of its search logs
# (results/size_model_2_hypers_xgb_24Apr.csv and results/pdi_model_2_hypers_xgb_24Apr.csv of
# molML/Nano_Particles_Active_Learning, MIT; the PDI log holds about 500 evaluations).
PUBLISHED_SETTINGS: dict[str, dict[str, Any]] = {
    "Z_ave": {
        "max_depth": 2,
        "min_child_weight": 1,
        "gamma": 0.0,
        "n_estimators": 50,
        "learning_rate": 1.0,
        "subsample": 1.0,
        "colsample_bytree": 1.0,
        "reg_alpha": 0.0,
        "reg_lambda": 7.622173299113567,
    },
    "PDI": {
        "max_depth": 4,
        "min_child_weight": 20,
        "gamma": 0.007457181918695268,
        "n_estimators": 65,
        "learning_rate": 0.35644862362841956,
        "subsample": 0.532988264892568,
        "colsample_bytree": 0.5195520176129805,
        "reg_alpha": 0.02608647366217354,
        "reg_lambda": 9.749214888353976,
    },
}

# The authors' search space (nano/hyperparameters.py of the study's repository).
SPACE: dict[str, tuple[float, float, str]] = {
    "max_depth": (2, 20, "int"),
    "min_child_weight": (1, 20, "int"),
    "gamma": (0.0, 10.0, "float"),
    "n_estimators": (50, 500, "int"),
    "learning_rate": (0.1, 1.0, "float"),
    "subsample": (0.1, 1.0, "float"),
    "colsample_bytree": (0.1, 1.0, "float"),
    "reg_alpha": (0.0, 10.0, "float"),
    "reg_lambda": (0.0, 10.0, "float"),
}


def _model(params: dict[str, Any]):
    from xgboost import XGBRegressor

    return XGBRegressor(objective="reg:squarederror", n_jobs=1, random_state=0, **params)


def _fit(params: dict[str, Any], X: np.ndarray, y: np.ndarray, augment: bool, seed: int):
    """The study's model: XGBoost on the rows, plus jittered copies of them when ``augment``."""
    if augment:
        rng = np.random.default_rng(seed)
        jitter = [X * rng.normal(1.0, INPUT_ERROR, size=X.shape) for _ in range(COPIES)]
        X, y = np.vstack([X, *jitter]), np.tile(y, COPIES + 1)
    return _model(params).fit(X, y)


def _kfold_draws(n: int, draws: int):
    """(draw, train, test) of 5-fold CV over ``draws`` reshuffles (scikit-learn's KFold, seeds 0..draws-1)."""
    from sklearn.model_selection import KFold

    for seed in range(draws):
        for tr, te in KFold(5, shuffle=True, random_state=seed).split(np.zeros((n, 1))):
            yield seed, tr, te


def _study_fold_draws(n: int, draws: int):
    """(draw, train, test) of the study's fold scheme: each row's fold drawn by ``default_rng(seed).integers(0, 5)``."""
    for seed in range(draws):
        folds = np.random.default_rng(seed).integers(0, 5, n)
        for k in range(5):
            yield seed, folds != k, folds == k


def _oof_predictions(params: dict[str, Any], X: np.ndarray, y: np.ndarray, folds, augment: bool) -> np.ndarray:
    """Out-of-fold predictions averaged over the fold draws of ``folds`` (an iterator above); shape (n,)."""
    total, draws = np.zeros(len(y)), set()
    for seed, tr, te in folds:
        total[te] += _fit(params, X[tr], y[tr], augment, seed=seed).predict(X[te])
        draws.add(seed)
    return total / len(draws)


def _cv_predictions(params: dict[str, Any], X: np.ndarray, y: np.ndarray, reshuffles: int, augment: bool) -> np.ndarray:
    """Out-of-fold predictions of 5-fold CV, averaged over ``reshuffles`` fold assignments; shape (n,)."""
    return _oof_predictions(params, X, y, _kfold_draws(len(y), reshuffles), augment)


def tune(X: np.ndarray, y: np.ndarray, augment: bool, calls: int = 50, seed: int = 0) -> dict[str, Any]:
    """The published search: minimise the RMSE of 5-reshuffle 5-fold CV predictions over :data:`SPACE`.

    scikit-optimize's ``gp_minimize`` with expected improvement, 10 random starts, ``calls``
    evaluations in all, as in the study.
    """
    import warnings

    from skopt import gp_minimize
    from skopt.space import Integer, Real

    names = list(SPACE)
    dims = [Integer(lo, hi, name=n) if kind == "int" else Real(lo, hi, name=n) for n, (lo, hi, kind) in SPACE.items()]

    def objective(values: list) -> float:
        params = {n: (int(v) if SPACE[n][2] == "int" else float(v)) for n, v in zip(names, values)}
        pred = _cv_predictions(params, X, y, reshuffles=5, augment=augment)
        return root_mean_squared_error(y, pred)

    with warnings.catch_warnings():
        # skopt warns when the GP proposes a point twice and draws a random one instead
        warnings.simplefilter("ignore", UserWarning)
        result = gp_minimize(objective, dims, acq_func="EI", n_initial_points=10, n_calls=calls, random_state=seed)
    return {n: (int(v) if SPACE[n][2] == "int" else float(v)) for n, v in zip(names, result.x)}


def as_published(X: np.ndarray, y: np.ndarray, calls: int, augment: bool) -> dict[str, Any]:
    params = tune(X, y, augment, calls)
    pred = _cv_predictions(params, X, y, reshuffles=3, augment=augment)
    return {"r2": round(r2_score(y, pred), 3), "rmse": root_mean_squared_error(y, pred), "params": params}


def nested(X: np.ndarray, y: np.ndarray, calls: int, augment: bool) -> dict[str, Any]:
    total = np.zeros(len(y))
    chosen = []
    for r, tr, te in _kfold_draws(len(y), 3):
        params = tune(X[tr], y[tr], augment, calls, seed=r)
        chosen.append(params)
        total[te] += _fit(params, X[tr], y[tr], augment, seed=r).predict(X[te])
    pred = total / 3
    depths = [p["max_depth"] for p in chosen]
    return {
        "r2": round(r2_score(y, pred), 3),
        "rmse": root_mean_squared_error(y, pred),
        "chosen_max_depth": depths,
    }


def _cycle_2() -> pd.DataFrame:
    return pd.read_csv(MIRROR / "Uptake_data_cycle_2.csv", encoding="utf-8-sig")


def published_setting_rescored() -> dict[str, Any]:
    """The study's chosen settings, fixed, under fold draws other than the ones that chose them.

    3 x 5-fold OOF R² (the floor's protocol, KFold reshuffles 0-2) with and without the study's
    augmentation, and with 10 reshuffles; the study's own fold scheme with 5 and 10 draws (other
    jitter draws than the study's); beside the R² of the study's own published predictions.
    """
    data = _cycle_2()
    X, n = data[INPUTS].to_numpy(float), len(data)
    files = {"Z_ave": "size", "PDI": "pdi"}
    out: dict[str, Any] = {}
    for target, params in PUBLISHED_SETTINGS.items():
        y = data[target].to_numpy(float)
        published = pd.read_csv(MIRROR / f"published_eval_{files[target]}_model_2_eval_xgb_24Apr.csv")
        out[target] = {
            "published_predictions": round(r2_score(published["y"].to_numpy(), published["y_hat"].to_numpy()), 3),
            "plain_3x5": round(r2_score(y, _cv_predictions(params, X, y, 3, augment=False)), 3),
            "augmented_3x5": round(r2_score(y, _cv_predictions(params, X, y, 3, augment=True)), 3),
            "augmented_10x5": round(r2_score(y, _cv_predictions(params, X, y, 10, augment=True)), 3),
            "study_folds_5_draws": round(r2_score(y, _oof_predictions(params, X, y, _study_fold_draws(n, 5), True)), 3),
            "study_folds_10_draws": round(
                r2_score(y, _oof_predictions(params, X, y, _study_fold_draws(n, 10), True)), 3
            ),
        }
    return out


def _one(job: tuple[str, str, int, bool]) -> tuple[str, str, bool, dict[str, Any]]:
    target, how, calls, augment = job
    data = _cycle_2()
    X, y = data[INPUTS].to_numpy(float), data[target].to_numpy(float)
    run = as_published if how == "as_published" else nested
    return target, how, augment, run(X, y, calls, augment)


def study(calls: int = 50, augments: tuple[bool, ...] = (False, True), workers: int = 2) -> dict[str, Any]:
    """Both scorings for size and PDI, without and with the study's augmentation, in ``workers`` processes."""
    jobs = [(t, how, calls, a) for a in augments for t in ("Z_ave", "PDI") for how in ("nested", "as_published")]
    out: dict[str, Any] = {
        "calls": calls,
        "optimiser": "skopt gp_minimize, EI, 10 random starts",
        "published_setting_rescored": published_setting_rescored(),
    }
    with ProcessPoolExecutor(workers) as pool:
        for target, how, augment, result in pool.map(_one, jobs):
            out.setdefault("augmented" if augment else "plain", {}).setdefault(target, {})[how] = result
    return out


if __name__ == "__main__":
    import json
    import sys

    only = {"plain": (False,), "augmented": (True,)}.get(sys.argv[1] if len(sys.argv) > 1 else "", (False, True))
    print(json.dumps(study(augments=only), indent=1))
