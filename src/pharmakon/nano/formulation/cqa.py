"""CQA models on the governed lifecycle: one model per CQA (MISO) or a regressor chain (MIMO).

Both forms train every model with :func:`pharmakon.core.lifecycle.train_model` (QC, CV
model selection over the zoo, conformal intervals, applicability domain), so there is
one lifecycle. The joint (multi-output) form is a regressor chain (Read et al. 2011,
as scikit-learn's :class:`~sklearn.multioutput.RegressorChain` with ``cv``): the model
of the i-th target also reads the out-of-fold predictions of the targets before it
(columns ``chain_<target>``), and at prediction time their predictions, so a
correlated CQA (size and PDI) informs the next. ``auto`` compares the forms by
repeated K-fold out-of-fold R² (mean over targets) and keeps the better; Sansare et
al. (2021) found single-output models better for liposome CQAs.

The reported out-of-fold predictions (:func:`nested_oof`) are nested: in each outer
fold of R repeats of shuffled K-fold, the lifecycle's own selection
(:func:`pharmakon.core.selection.select_model`: every candidate family screened by an
inner K-fold CV, the averaging ensemble kept only when it beats the best single family
on that inner CV) runs on the outer-training rows alone; the winner is refitted there
and predicts the held-out rows. The figures therefore include the choice of model, as
the registered models (the same selection on every row) would face new recipes.
The candidate families are stated by the table's size before any fit
(:func:`~pharmakon.nano.formulation.candidates.default_families`): up to 200 rows, six
families chosen a priori (fewer candidates make the inner choice on few rows less noisy;
:mod:`~pharmakon.nano.formulation.candidates` gives the reasons and the measurements); up
to 1,000 rows, the union of the lifecycle's default zoo and the small-table families.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pharmakon.errors import InputError
from pharmakon.nano.formulation.recipe import cqa_kind, is_sd_column

__all__ = [
    "CQAModels",
    "feature_columns",
    "fit_cqa_models",
    "repeated_oof",
    "nested_oof",
    "predict_cqa",
    "chain_column",
]


def chain_column(target: str) -> str:
    """The feature column that carries ``target``'s prediction in a chain."""
    return f"chain_{target}"


def feature_columns(
    frame: pd.DataFrame,
    targets: Sequence[str],
    *,
    smiles_col: str | None = None,
    id_cols: Sequence[str] = (),
    features: Sequence[str] | None = None,
    file: str | None = None,
) -> tuple[list[str], dict[str, str]]:
    """The input columns of the CQA models and why each other column was left out.

    Without ``features``, every column except the targets, ``smiles_col`` and ``id_cols``
    is an input, but measurement SDs (``*_stdev``, ``*_sd``) and other measured CQAs
    (size, PDI, zeta, encapsulation, uptake/potency by name) are outcomes, not recipe,
    and text columns with a distinct value on every row are identifiers: they are left out.
    """
    for col in [*targets, *([smiles_col] if smiles_col else []), *id_cols, *(features or [])]:
        if col not in frame.columns:
            raise InputError(f"column not found; the columns are {list(frame.columns)}", file=file, field=col)
    reserved = {*targets, *id_cols, *([smiles_col] if smiles_col else [])}
    if features is not None:
        return [c for c in features if c not in reserved], {}
    kept, dropped = [], {}
    for col in frame.columns:
        if col in reserved:
            continue
        if is_sd_column(col):
            dropped[col] = "measurement SD"
        elif cqa_kind(col) is not None:
            dropped[col] = "a measured CQA (outcome), not a recipe input"
        elif _is_identifier(frame[col]):
            dropped[col] = "an identifier (distinct text on every row)"
        else:
            kept.append(col)
    if not kept and not smiles_col:
        raise InputError("no input columns left after the targets, ids and outcomes", file=file, field="features")
    return kept, dropped


def _is_identifier(values: pd.Series) -> bool:
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    return not numeric and len(values) > 1 and values.nunique(dropna=True) == len(values)


@dataclass
class CQAModels:
    """Fitted CQA models: ``models[target]`` a core ``TrainedModel``; ``form`` miso or mimo."""

    form: str
    targets: list[str]
    features: list[str]
    models: dict[str, Any]
    comparison: dict[str, dict[str, float]] = field(default_factory=dict)
    oof: dict[str, np.ndarray] = field(default_factory=dict)
    #: Per target: how often each family (or ``ensemble``) won an outer fold's inner selection.
    choices: dict[str, dict[str, int]] = field(default_factory=dict)
    #: The candidate families (None: the lifecycle's whole zoo).
    candidates: list[str] | None = None


def _train(frame: pd.DataFrame, target: str, cols: list[str], opts: dict[str, Any]) -> Any:
    from pharmakon.core.lifecycle import train_model

    return train_model(frame[cols + [target]], target, task="regression", **opts)


def _fit_form(
    frame: pd.DataFrame, targets: list[str], inputs: list[str], form: str, opts: dict[str, Any]
) -> dict[str, Any]:
    """Train the models of one form; a chain's extra columns are the earlier targets' OOF predictions."""
    work = frame.copy()
    models: dict[str, Any] = {}
    chain: list[str] = []
    for t in targets:
        cols = inputs + chain
        models[t] = _train(work, t, cols, opts)
        if form == "mimo":  # the next model reads this target's out-of-fold prediction (aligned by row)
            oof = repeated_oof({t: models[t]}, work, [t], "miso", cv=opts.get("n_splits") or 5, repeats=1, seed=0)
            work[chain_column(t)] = oof[t]
            chain.append(chain_column(t))
    return models


def repeated_oof(
    models: dict[str, Any], frame: pd.DataFrame, targets: list[str], form: str, *, cv: int, repeats: int, seed: int
) -> dict[str, np.ndarray]:
    """Each row's out-of-fold prediction per target (n,), averaged over ``repeats`` shuffled K-folds.

    Rows without the target (or dropped by QC) get NaN. A chain feeds each later
    target the earlier targets' out-of-fold predictions of the same repeat.
    """
    from sklearn.base import clone
    from sklearn.model_selection import KFold
    from threadpoolctl import threadpool_limits

    n = len(frame)
    sums = {t: np.zeros(n) for t in targets}
    for r in range(repeats):
        work = frame.reset_index(drop=True).copy()
        folds = KFold(cv, shuffle=True, random_state=seed + r)
        for t in targets:
            model = models[t]
            y = pd.to_numeric(work[t], errors="coerce").to_numpy(float)
            labelled = np.flatnonzero(np.isfinite(y))
            X, _, _ = model.design(work)
            pred = np.full(n, np.nan)
            with threadpool_limits(1):
                for tr, te in folds.split(labelled):
                    est = clone(model.pipeline).fit(X.iloc[labelled[tr]], y[labelled[tr]])
                    pred[labelled[te]] = est.predict(X.iloc[labelled[te]])
            sums[t] += pred
            if form == "mimo":
                work[chain_column(t)] = pred
    return {t: s / repeats for t, s in sums.items()}


def _refit_parts(model: Any) -> tuple[Any, Any]:
    """The lifecycle's preprocessor of ``model`` (unfitted): plain, and passing the SMILES through."""
    from pharmakon.core.zoo import SMILES_COLUMN, make_preprocessor

    struct = list(model.featurizer.feature_names_) if model.smiles_col else []
    cols = struct + list(model.numeric_cols)
    return make_preprocessor(cols, model.categorical_cols), make_preprocessor(
        cols, model.categorical_cols, smiles=SMILES_COLUMN
    )


def _select_and_predict(
    model: Any, X: pd.DataFrame, y: np.ndarray, tr: np.ndarray, te: np.ndarray, inner: int, opts: dict[str, Any]
) -> tuple[np.ndarray, str]:
    """Run the lifecycle's selection on rows ``tr`` only, refit its winner there, predict rows ``te``."""
    from sklearn.pipeline import Pipeline

    from pharmakon.core.selection import select_model
    from pharmakon.core.splits import cv_folds
    from pharmakon.core.zoo import SMILES_COLUMN, build_estimator, needs_smiles

    prep, prep_smiles = _refit_parts(model)
    seed = int(opts.get("seed", 0))
    folds = cv_folds(len(tr), n_splits=min(inner, len(tr) // 2), seed=seed)
    sel = select_model(
        X.iloc[tr], y[tr], "regression", prep, folds, seed=seed, models=opts.get("models"), trials=opts["trials"]
    )
    best = sel.best
    smiles = needs_smiles(best["model"], best["params"])
    Xs = X if smiles else X.drop(columns=[SMILES_COLUMN], errors="ignore")
    est = build_estimator(best["model"], "regression", best["params"], seed=seed)
    pipe = Pipeline([("prep", prep_smiles if smiles else prep), ("model", est)]).fit(Xs.iloc[tr], y[tr])
    return pipe.predict(Xs.iloc[te]), best["model"]


def nested_oof(
    models: dict[str, Any],
    frame: pd.DataFrame,
    targets: list[str],
    form: str,
    *,
    cv: int,
    repeats: int,
    seed: int,
    opts: dict[str, Any],
) -> tuple[dict[str, np.ndarray], dict[str, dict[str, int]]]:
    """Nested out-of-fold predictions per target (n,), averaged over ``repeats`` shuffled K-folds.

    In each outer fold the lifecycle's selection runs on the outer-training rows alone
    (inner ``cv``-fold CV over ``opts["models"]``, ``opts["trials"]`` Optuna trials,
    ensemble when it wins the inner CV); its winner, refitted on those rows, predicts
    the held-out rows. Returns the predictions (NaN where the target is missing) and,
    per target, how often each family won. A chain feeds each later target the earlier
    targets' out-of-fold predictions of the same repeat.
    """
    import warnings
    from collections import Counter

    from sklearn.model_selection import KFold
    from threadpoolctl import threadpool_limits

    n = len(frame)
    sums = {t: np.zeros(n) for t in targets}
    wins: dict[str, Counter] = {t: Counter() for t in targets}
    opts = {"trials": 0, **opts, "seed": seed}
    for r in range(repeats):
        work = frame.reset_index(drop=True).copy()
        folds = KFold(cv, shuffle=True, random_state=seed + r)
        for t in targets:
            y = pd.to_numeric(work[t], errors="coerce").to_numpy(float)
            labelled = np.flatnonzero(np.isfinite(y))
            X, _, _ = models[t].design(work)
            pred = np.full(n, np.nan)
            with threadpool_limits(1), warnings.catch_warnings():
                warnings.simplefilter("ignore")  # convergence chatter of the inner fits
                for tr, te in folds.split(labelled):
                    p, winner = _select_and_predict(models[t], X, y, labelled[tr], labelled[te], cv, opts)
                    pred[labelled[te]] = p
                    wins[t][winner] += 1
            sums[t] += pred
            if form == "mimo":
                work[chain_column(t)] = pred
    return {t: s / repeats for t, s in sums.items()}, {t: dict(sorted(c.items())) for t, c in wins.items()}


def _r2(y: np.ndarray, p: np.ndarray) -> float | None:
    from sklearn.metrics import r2_score

    ok = np.isfinite(y) & np.isfinite(p)
    return float(r2_score(y[ok], p[ok])) if ok.sum() >= 2 else None


def fit_cqa_models(
    frame: pd.DataFrame,
    targets: list[str],
    inputs: list[str],
    *,
    form: str = "auto",
    cv: int = 5,
    repeats: int = 3,
    seed: int = 0,
    opts: dict[str, Any] | None = None,
) -> CQAModels:
    """Fit the CQA models of ``form`` (miso, mimo or auto: both, the better by repeated-CV R²).

    Parameters
    ----------
    frame : DataFrame, shape (n, ...)
        Training rows with ``inputs`` and ``targets`` (and any SMILES/id columns in ``opts``).
    opts : dict
        Keyword arguments of :func:`pharmakon.core.lifecycle.train_model` (trials, seed, alpha, ...).
    """
    from pharmakon.nano.formulation.candidates import default_families

    opts = {"seed": seed, **(opts or {})}
    if opts.get("models") is None:
        opts["models"] = default_families(len(frame), structures=bool(opts.get("smiles_col")))
    nested = {"models": opts["models"], "trials": opts.get("trials") or 0}  # a wall-clock budget: fixed work
    extra = [c for c in [opts.get("smiles_col"), *opts.get("id_cols", [])] if c]
    cols = extra + inputs
    forms = ["miso", "mimo"] if form == "auto" and len(targets) > 1 else ["miso" if form == "auto" else form]
    fitted: dict[str, tuple[dict[str, Any], dict[str, np.ndarray], dict[str, dict[str, int]]]] = {}
    comparison: dict[str, dict[str, float]] = {}
    for f in forms:
        models = _fit_form(frame, targets, cols, f, opts)
        oof, wins = nested_oof(models, frame, targets, f, cv=cv, repeats=repeats, seed=seed, opts=nested)
        fitted[f] = (models, oof, wins)
        comparison[f] = {t: _r2(pd.to_numeric(frame[t], errors="coerce").to_numpy(float), oof[t]) for t in targets}
    chosen = max(forms, key=lambda f: np.mean([v for v in comparison[f].values() if v is not None] or [-np.inf]))
    models, oof, wins = fitted[chosen]
    return CQAModels(chosen, list(targets), list(inputs), models, comparison, oof, wins, opts["models"])


def predict_cqa(models: dict[str, Any], targets: list[str], form: str, frame: pd.DataFrame, *, file: str | None = None):
    """Input rows plus ``pred_<t>``, ``lower_<t>``, ``upper_<t>``, ``in_domain_<t>`` per target and ``in_domain``.

    ``in_domain`` is True when the row is inside every target model's applicability domain.
    """
    work = frame.reset_index(drop=True).copy()
    out = frame.reset_index(drop=True).copy()
    in_domain = np.ones(len(work), bool)
    warnings: list[str] = []
    for t in targets:
        res = models[t].predict(work, file=file)
        warnings += res.warnings
        out[f"pred_{t}"] = res.table["prediction"].to_numpy()
        out[f"lower_{t}"] = res.table["pred_lower"].to_numpy()
        out[f"upper_{t}"] = res.table["pred_upper"].to_numpy()
        out[f"in_domain_{t}"] = res.table["in_domain"].to_numpy(bool)
        in_domain &= res.table["in_domain"].to_numpy(bool)
        if form == "mimo":
            work[chain_column(t)] = res.table["prediction"].to_numpy()
    out["in_domain"] = in_domain
    return out, list(dict.fromkeys(warnings))
