"""Cross-validated model selection over the zoo, with Optuna, inside a time budget.

Procedure (stated so a reader can judge the numbers):

1. The preprocessor is fitted inside each fold (no leakage of imputation/scaling).
2. Screening: every zoo model for the task runs K-fold CV with its default
   parameters, baseline first. After each model's first fold the full K-fold time is
   projected; a model that would end past 55% of the budget (75% while no model but
   the baseline has been screened) is recorded as skipped.
   Skewed targets: for a regression target that is non-negative with a heavy right tail
   (sample skewness above :data:`SKEW_FOR_TRANSFORM`), the two best screened families
   are also cross-validated on ``sqrt(y)`` and, when every value is positive, ``log(y)``
   (:class:`~pharmakon.core.zoo.TransformedTarget`), predictions back-transformed with a
   smearing correction learned from their out-of-fold residuals. They compete on the
   original-scale metric like any other configuration, so a transform is used only where
   cross-validation says it pays.
3. Tuning: Optuna (TPE, seeded) searches the parameters of the best two screened
   configurations (a family, with its target transform if it has one) until 75% of the
   budget (the rest is kept for the refit, calibration and domain); a trial that would
   pass that point is pruned.
4. Ensemble: the best configuration of each model family is a candidate; greedy
   forward selection with replacement (Caruana et al. 2004) on the pooled out-of-fold
   predictions picks members and weights (multiples of 1/10). The weighted average
   (predictions or probabilities) competes on the same folds and wins only if its
   mean CV score is better and its refit fits in the budget. Only the weights are
   fitted to the out-of-fold predictions, so its CV score is slightly optimistic.
   Families that read the molecules (``needs_smiles``, e.g. ``chemprop``) are not
   ensemble members.
5. The best configuration by mean CV score (RMSE for regression, AUROC for
   classification) is refitted on all rows. Its out-of-fold predictions are kept for
   calibration (conformal), the model card's plots and the reported CV metrics.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pharmakon.core.metrics import GREATER_IS_BETTER, PRIMARY_METRIC, classification_metrics, regression_metrics
from pharmakon.core.zoo import (
    BASELINE,
    SMILES_COLUMN,
    TARGET_TRANSFORMS,
    apply_smearing,
    build_estimator,
    family,
    fit_smearing,
    needs_smiles,
    set_time_limit,
    with_smiles,
    zoo_names,
)
from pharmakon.errors import InputError

__all__ = [
    "SelectionResult",
    "select_model",
    "cross_validate",
    "ENSEMBLE_ROUNDS",
    "SKEW_FOR_TRANSFORM",
    "TUNE_WITHIN_SD",
    "greedy_members",
]

#: Greedy ensemble-selection rounds: weights are multiples of 1/ENSEMBLE_ROUNDS at the finest.
ENSEMBLE_ROUNDS = 10
#: Sample skewness above which a non-negative regression target is also fitted on sqrt/log scales.
SKEW_FOR_TRANSFORM = 1.0
#: The runner-up family is tuned too when it is within this many of the best's fold SDs.
TUNE_WITHIN_SD = 2.0


@dataclass
class SelectionResult:
    """Outcome of :func:`select_model`.

    Attributes
    ----------
    best : dict
        ``{"model": name, "params": {...}}`` of the winner.
    leaderboard : list of dict
        One row per evaluated configuration: model, params, source (screen/optuna),
        status, cv metric means and standard deviations, seconds.
    oof : ndarray
        Out-of-fold predictions of the winner: shape (n,) for regression, (n, n_classes)
        probabilities for classification.
    cv_metrics : dict
        Metrics of the winner's pooled out-of-fold predictions.
    """

    best: dict[str, Any]
    leaderboard: list[dict[str, Any]]
    oof: np.ndarray
    cv_metrics: dict[str, float | None]
    n_trials: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def leaderboard_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.leaderboard)


class _OutOfTime(Exception):
    pass


def _score(task: str, y: np.ndarray, pred: np.ndarray, classes: list[Any]) -> dict[str, float | None]:
    return regression_metrics(y, pred) if task == "regression" else classification_metrics(y, pred, classes)


def cross_validate(
    name: str,
    params: dict[str, Any],
    task: str,
    folds_X: list,
    y: np.ndarray,
    folds: list,
    classes: list[Any],
    *,
    seed: int = 0,
    n_jobs: int = 1,
    deadline: float | None = None,
) -> tuple[np.ndarray, list[dict[str, float | None]], float]:
    """K-fold CV of one configuration on pre-transformed folds.

    ``folds_X[k]`` is ``(X_train_k, X_test_k)`` already preprocessed. Raises
    ``_OutOfTime`` when the projected end passes ``deadline`` (monotonic seconds).
    Returns out-of-fold predictions, per-fold metrics and wall seconds. An estimator
    with a ``time_limit_s`` parameter gets an equal share of the time to ``deadline``
    per remaining fold (80% of it, leaving room for predicting).
    """
    start = time.monotonic()
    oof = np.zeros(len(y)) if task == "regression" else np.zeros((len(y), len(classes)))
    per_fold = []
    for k, ((tr, te), (X_tr, X_te)) in enumerate(zip(folds, folds_X)):
        est = build_estimator(name, task, params, seed=seed, n_jobs=n_jobs)
        if deadline is not None:
            set_time_limit(est, 0.8 * (deadline - time.monotonic()) / (len(folds) - k))
        if task == "regression":
            est.fit(X_tr, y[tr])
            oof[te] = est.predict(X_te)
        else:
            y_idx = np.array([classes.index(v) for v in y[tr]])
            est.fit(X_tr, y_idx)
            proba = np.zeros((len(te), len(classes)))
            proba[:, est.classes_] = est.predict_proba(X_te)
            oof[te] = proba
        per_fold.append(_score(task, y[te], oof[te], classes))
        elapsed = time.monotonic() - start
        if deadline is not None and k + 1 < len(folds):
            projected = time.monotonic() + elapsed / (k + 1) * (len(folds) - k - 1)
            if projected > deadline:
                raise _OutOfTime(f"{name}: projected {projected - start:.0f} s for {len(folds)} folds")
    return oof, per_fold, time.monotonic() - start


def _row(name: str, params: dict[str, Any], source: str, per_fold: list[dict], seconds: float) -> dict[str, Any]:
    row: dict[str, Any] = {
        "model": name,
        "params": params,
        "source": source,
        "status": "ok",
        "seconds": round(seconds, 2),
    }
    for key in per_fold[0]:
        if key == "n":
            continue
        values = [f[key] for f in per_fold if f[key] is not None]
        row[f"cv_{key}"] = float(np.mean(values)) if values else None
        row[f"cv_{key}_sd"] = float(np.std(values, ddof=1)) if len(values) > 1 else None
    return row


def select_model(
    X: pd.DataFrame,
    y: np.ndarray,
    task: str,
    preprocessor: Any,
    folds: list,
    *,
    budget_s: float = 60.0,
    seed: int = 0,
    n_jobs: int = 1,
    models: list[str] | None = None,
    classes: list[Any] | None = None,
    start: float | None = None,
    progress=None,
    trials: int | None = None,
) -> SelectionResult:
    """Screen the zoo and tune the best two with Optuna inside ``budget_s`` seconds.

    Parameters
    ----------
    X : DataFrame, shape (n, n_columns)
        Raw feature columns (the ``preprocessor`` encodes them inside each fold). A
        :data:`~pharmakon.core.zoo.SMILES_COLUMN` (canonical SMILES) is needed by, and
        only given to, the families that read molecules (as a SMILES matrix).
    y : ndarray, shape (n,)
    task : {"regression", "classification"}
    preprocessor : sklearn transformer
        Cloned and fitted on each fold's training rows.
    folds : list of (train_idx, test_idx)
    budget_s : float
        Wall-clock seconds for the whole selection, counted from ``start``
        (default: now). The baseline always runs, even past the budget.
    progress : callable, optional
        ``progress(message)`` after each configuration.
    trials : int, optional
        Fixed work instead of a time budget: every family is screened, then exactly
        ``trials`` Optuna trials tune the best two, and the ensemble is tried, whatever
        the clock says (``budget_s`` is ignored). The same data and seed then give the same
        model on any machine, busy or not (worked examples, tests, reproductions).
    """
    from sklearn.base import clone

    start = time.monotonic() if start is None else start
    screen_end, tune_end = start + 0.55 * budget_s, start + 0.75 * budget_s
    classes = list(classes or [])
    metric = PRIMARY_METRIC[task]
    sign = 1.0 if GREATER_IS_BETTER[metric] else -1.0
    names = [m for m in (models or zoo_names(task))]
    smiles = X[SMILES_COLUMN].to_numpy(object) if SMILES_COLUMN in X.columns else None
    for name in (m for m in names if needs_smiles(m)):
        if smiles is None:
            raise InputError(f"model {name!r} reads the molecules: give a SMILES column (--smiles-col)", field="models")
        build_estimator(name, task, {}, seed=seed)  # fails early and clearly when its extra is not installed
    for name in names:  # unknown or wrong-task families fail before any work (unregistered: needs_smiles above)
        family(name, task)
    if smiles is not None:
        X = X.drop(columns=[SMILES_COLUMN])
    folds_X, folds_S = [], []
    for tr, te in folds:
        prep = clone(preprocessor).fit(X.iloc[tr])
        folds_X.append((prep.transform(X.iloc[tr]), prep.transform(X.iloc[te])))
        if smiles is not None:
            folds_S.append((with_smiles(smiles[tr], folds_X[-1][0]), with_smiles(smiles[te], folds_X[-1][1])))
    baseline = BASELINE[task]
    names = [baseline] + [m for m in names if m != baseline]
    board: list[dict[str, Any]] = []
    oofs: dict[int, np.ndarray] = {}

    def run(name: str, params: dict[str, Any], source: str, deadline: float | None) -> float | None:
        transform = params.get("target_transform")
        params = {k: v for k, v in params.items() if k != "smear"}  # learned again from this run's residuals
        try:
            oof, per_fold, secs = cross_validate(
                name,
                params,
                task,
                folds_S if needs_smiles(name) else folds_X,
                y,
                folds,
                classes,
                seed=seed,
                n_jobs=n_jobs,
                deadline=deadline,
            )
        except _OutOfTime as exc:
            board.append({"model": name, "params": params, "source": source, "status": f"skipped: {exc}"})
            return None
        if transform is not None:  # out-of-fold smearing: mean-unbiased predictions on the original scale
            params = {**params, "smear": fit_smearing(transform, y, oof)}
            oof = apply_smearing(transform, oof, params["smear"])
            per_fold = [_score(task, y[te], oof[te], classes) for _tr, te in folds]
        row = _row(name, params, source, per_fold, secs)
        pooled = _score(task, y, oof, classes)[metric]
        row[f"oof_{metric}"] = pooled
        oofs[len(board)] = oof
        board.append(row)
        if progress:
            progress(f"{name} ({source}): cv {metric} {row[f'cv_{metric}']}")
        return row[f"cv_{metric}"]

    fixed = trials is not None
    for name in names:
        # Until one model besides the baseline has been screened, screening may run to the
        # end of the tuning phase, so a slow or busy machine still gets one real candidate.
        alone = not any(r["status"] == "ok" and r["model"] != baseline for r in board)
        limit = tune_end if alone else screen_end
        deadline = None if name == baseline or fixed else limit
        if name != baseline and not fixed and time.monotonic() > limit:
            board.append({"model": name, "params": {}, "source": "screen", "status": "skipped: budget spent"})
            continue
        run(name, {}, "screen", deadline)

    if task == "regression" and _skewed(y):
        screened = [r for r in _ranked(board, metric, sign) if not needs_smiles(r["model"])]
        for name in list(dict.fromkeys(r["model"] for r in screened))[:2]:
            for transform in TARGET_TRANSFORMS if np.min(y) > 0 else TARGET_TRANSFORMS[:1]:
                if not fixed and time.monotonic() > screen_end:
                    board.append(
                        {
                            "model": name,
                            "params": {"target_transform": transform},
                            "source": "transform",
                            "status": "skipped: budget spent",
                        }
                    )
                    continue
                run(name, {"target_transform": transform}, "transform", None if fixed else screen_end)

    def best_index() -> int:
        scored = [
            (i, r[f"cv_{metric}"])
            for i, r in enumerate(board)
            if r["status"] == "ok" and r.get(f"cv_{metric}") is not None
        ]
        return max(scored, key=lambda t: sign * t[1])[0] if scored else next(i for i in oofs)

    # A tuning candidate is a family with its target transform (if any): "xgboost" or "xgboost|sqrt".
    candidates = _tuning_candidates(_ranked(board, metric, sign), metric, sign)
    n_trials = 0
    if candidates and (trials if fixed else time.monotonic() < tune_end - 1):
        import optuna

        from pharmakon.core.zoo import ZOO

        optuna.logging.set_verbosity(optuna.logging.WARNING)

        def objective(trial):
            label = trial.suggest_categorical("model", candidates)
            name, _, transform = label.partition("|")
            params = ZOO[name].space(trial)
            if transform:
                params["target_transform"] = transform
            seen = [r["seconds"] for r in board if _label(r) == label and r["status"] == "ok"]
            if not fixed and seen and time.monotonic() + min(seen) > tune_end:  # a CV run would not fit
                raise optuna.TrialPruned()
            value = run(name, params, "optuna", None if fixed else tune_end)
            if value is None:
                raise optuna.TrialPruned()
            return value

        study = optuna.create_study(
            direction="maximize" if sign > 0 else "minimize", sampler=optuna.samplers.TPESampler(seed=seed)
        )
        if fixed:
            study.optimize(objective, n_trials=trials, catch=(ValueError,))
        else:
            study.optimize(objective, timeout=max(0.0, tune_end - time.monotonic()), catch=(ValueError,))
        n_trials = len(study.trials)
    i = best_index()
    i = _try_ensemble(
        board, oofs, i, task, y, folds, classes, metric, sign, deadline=None if fixed else start + budget_s
    )
    winner = board[i]
    result = SelectionResult(
        best={"model": winner["model"], "params": winner["params"]},
        leaderboard=board,
        oof=oofs[i],
        cv_metrics=_score(task, y, oofs[i], classes),
        n_trials=n_trials,
        seconds=time.monotonic() - start,
    )
    return result


def _skewed(y: np.ndarray) -> bool:
    """A non-negative target with a heavy right tail (sample skewness above :data:`SKEW_FOR_TRANSFORM`)."""
    from scipy.stats import skew

    y = np.asarray(y, float)
    return bool(len(y) > 2 and np.min(y) >= 0 and np.ptp(y) > 0 and skew(y) > SKEW_FOR_TRANSFORM)


def _label(row: dict[str, Any]) -> str:
    """A configuration's family, with ``|transform`` when it fits a transformed target."""
    transform = row.get("params", {}).get("target_transform")
    return f"{row['model']}|{transform}" if transform else row["model"]


def _ranked(board: list[dict[str, Any]], metric: str, sign: float) -> list[dict[str, Any]]:
    """Leaderboard rows with a CV score, best first."""
    return sorted(
        (r for r in board if r["status"] == "ok" and r.get(f"cv_{metric}") is not None),
        key=lambda r: -sign * r[f"cv_{metric}"],
    )


def _tuning_candidates(ranked: list[dict[str, Any]], metric: str, sign: float) -> list[str]:
    """The best configuration's family, and the runner-up family if tuning could plausibly close the gap.

    ``ranked`` is :func:`_ranked`'s output. The runner-up (the next distinct family, with
    its target transform) is kept when its CV score is within :data:`TUNE_WITHIN_SD` fold
    standard deviations of the best's; a family far behind would spend trials the best
    one could use (LNPDB: ridge at CV RMSE 0.91 against LightGBM at 0.77).
    """
    labels = list(dict.fromkeys(_label(r) for r in ranked))[:2]
    if len(labels) < 2:
        return labels
    best = ranked[0]
    second = next(r for r in ranked if _label(r) == labels[1])
    spread = best.get(f"cv_{metric}_sd")
    gap = sign * (best[f"cv_{metric}"] - second[f"cv_{metric}"])
    return labels if spread is None or gap <= TUNE_WITHIN_SD * spread else labels[:1]


def greedy_members(
    candidates: list[int],
    oofs: dict[int, np.ndarray],
    task: str,
    y: np.ndarray,
    classes: list[Any],
    metric: str,
    sign: float,
    rounds: int,
) -> list[int]:
    """Greedy forward selection with replacement (Caruana et al. 2004) of ``candidates``' OOF predictions.

    Each round adds the candidate whose inclusion gives the best pooled ``metric`` of the
    running average; it stops after ``rounds`` additions or when no addition improves
    the score. Returns the chosen board indices, repeated by how often each was added
    (so the plain average over the list is the weighted ensemble).
    """
    chosen: list[int] = []
    total = None
    best = -np.inf
    for _ in range(rounds):
        trials = []
        for i in candidates:
            avg = oofs[i] if total is None else (total + oofs[i]) / (len(chosen) + 1)
            value = _score(task, y, avg, classes)[metric]
            if value is not None:
                trials.append((sign * value, i))
        if not trials:
            break
        value, i = max(trials, key=lambda t: t[0])
        if value <= best + 1e-12:
            break
        best = value
        chosen.append(i)
        total = oofs[i].copy() if total is None else total + oofs[i]
    return chosen


def _try_ensemble(
    board: list[dict[str, Any]],
    oofs: dict[int, np.ndarray],
    best: int,
    task: str,
    y: np.ndarray,
    folds: list,
    classes: list[Any],
    metric: str,
    sign: float,
    *,
    deadline: float | None,
) -> int:
    """Append a weighted average of the model families' best configurations if it beats ``best``.

    ``deadline`` (monotonic seconds) refuses an ensemble whose refit would pass it; None: no clock.

    Candidates are the best configuration of each family (at most one per family, so
    only the weights, not the configurations, are fitted to the out-of-fold
    predictions). Weights come from greedy forward selection with replacement over
    their pooled out-of-fold predictions (:func:`greedy_members`, up to
    ``ENSEMBLE_ROUNDS`` additions); a member chosen k times appears k times in the
    member list. The ensemble then competes on the mean per-fold metric like any
    other configuration.
    """
    key = f"cv_{metric}"
    ok = sorted(
        (
            i
            for i in oofs
            if board[i].get(key) is not None and board[i]["model"] != "ensemble" and not needs_smiles(board[i]["model"])
        ),
        key=lambda i: -sign * board[i][key],
    )
    families, seen = [], set()
    for i in ok:
        if board[i]["model"] not in seen:
            seen.add(board[i]["model"])
            families.append(i)
    if len(families) < 2:
        return best
    members = greedy_members(families, oofs, task, y, classes, metric, sign, ENSEMBLE_ROUNDS)
    if len(set(members)) < 2:
        board.append(
            {
                "model": "ensemble",
                "params": {},
                "source": "ensemble",
                "status": "not chosen: greedy selection kept a single model family",
            }
        )
        return best
    oof = np.mean([oofs[i] for i in members], axis=0)
    unique = list(dict.fromkeys(members))
    per_fold = [_score(task, y[te], oof[te], classes) for _tr, te in folds]
    refit = sum(board[i]["seconds"] for i in unique) / len(folds) * 1.5
    row = _row(
        "ensemble",
        {"members": [{"model": board[i]["model"], "params": board[i]["params"]} for i in members]},
        "ensemble",
        per_fold,
        sum(board[i]["seconds"] for i in unique),
    )
    row["weights"] = {board[i]["model"]: members.count(i) / len(members) for i in unique}
    row[f"oof_{metric}"] = _score(task, y, oof, classes)[metric]
    late = deadline is not None and time.monotonic() + refit > deadline
    if row[key] is None or sign * row[key] <= sign * board[best][key] or late:
        row["status"] = "not chosen: " + (
            "no better than the best single model"
            if row[key] is not None and sign * row[key] <= sign * board[best][key]
            else "refit would pass the budget"
        )
        board.append(row)
        return best
    oofs[len(board)] = oof
    board.append(row)
    return len(board) - 1
