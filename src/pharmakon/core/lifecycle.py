"""Train and predict: the governed lifecycle on one table, with or without structures.

``train_model`` runs data -> QC -> featurize -> CV folds -> select (zoo + Optuna, inside
a time budget) -> refit -> conformal calibration -> applicability domain, and records
each step in ``model.steps`` (written to the audit trail when the model is registered).
Structures (a SMILES column) are featurized by a *structure featurizer* passed in by
the caller (``pharmakon.chem.SmilesFeaturizer``): core does not know chemistry. What the
lifecycle asks of one: ``fit``, ``prepare(smiles).table`` (``status``, ``canonical``,
``row``, ``input``, ``reason``), ``transform_canonical``, ``feature_names_``,
``fingerprint_columns_``, and for the registry ``version_`` (the version it computed
with, recorded at fit and stored with the model) and ``version`` (the version its code
computes now; a loaded model whose featurizer disagrees refuses to load).
"""

from __future__ import annotations

import functools
import re
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pharmakon.core.qc import run_qc
from pharmakon.core.splits import cv_folds
from pharmakon.core.uncertainty import ApplicabilityDomain, ConformalClassifier, ConformalRegressor
from pharmakon.errors import InputError

__all__ = ["TrainedModel", "PredictionResult", "train_model", "infer_task", "library_versions"]


def library_versions() -> dict[str, str]:
    """Versions of the libraries a pickled model depends on (read once per process: installed
    packages do not change under a running interpreter, and reading them costs ~10 ms)."""
    return dict(_installed_versions())


@functools.cache
def _installed_versions() -> tuple[tuple[str, str], ...]:
    import platform
    from importlib.metadata import PackageNotFoundError, version

    out = [("python", platform.python_version())]
    libraries = (
        "pharmakon",
        "scikit-learn",
        "numpy",
        "pandas",
        "lightgbm",
        "xgboost",
        "rdkit",
        "scipy",
        "torch",
        "chemprop",
    )
    for dist in libraries:
        try:
            out.append((dist, version(dist)))
        except PackageNotFoundError:
            pass
    return tuple(out)


def infer_task(y: pd.Series) -> str:
    """``classification`` for text/bool targets or integers with <= 10 distinct values, else ``regression``.

    A text column whose values are at least 95% numbers (more than 10 distinct) is
    regression; its non-numbers are then reported as bad rows.
    """
    if pd.api.types.is_bool_dtype(y):
        return "classification"
    if not pd.api.types.is_numeric_dtype(y):
        present = y.dropna()
        numeric = pd.to_numeric(present, errors="coerce")
        if len(present) and numeric.notna().mean() >= 0.95 and numeric.nunique() > 10:
            return "regression"  # a numeric column with a few bad cells: reported as bad rows later
        return "classification"
    v = y.dropna().to_numpy(float)
    if len(v) and np.all(v == np.round(v)) and len(np.unique(v)) <= 10:
        return "classification"
    return "regression"


@dataclass
class PredictionResult:
    """Predictions in input order (``table``) and the rows that could not be predicted."""

    table: pd.DataFrame
    invalid: pd.DataFrame
    warnings: list[str] = field(default_factory=list)


@dataclass
class TrainedModel:
    """A fitted, calibrated model plus everything its registry record and card need."""

    task: str
    target: str
    smiles_col: str | None
    id_cols: list[str]
    numeric_cols: list[str]
    categorical_cols: list[str]
    featurizer: Any
    pipeline: Any
    classes: list[Any]
    conformal: Any
    domain: ApplicabilityDomain
    alpha: float
    seed: int
    qc: dict[str, Any]
    selection: dict[str, Any]
    oof_y: np.ndarray
    oof_pred: np.ndarray
    data_hash: str
    versions: dict[str, str]
    steps: list[dict[str, Any]] = field(default_factory=list)
    train_smiles: list[str] = field(default_factory=list)
    fairness: dict[str, Any] | None = None
    #: The estimator reads the molecules (chemprop): the design frame carries the canonical SMILES.
    smiles_input: bool = False
    #: Per categorical column: normalised value (:func:`category_key`) -> the spelling the model learned.
    category_spellings: dict[str, dict[str, str]] = field(default_factory=dict)

    # -- features -----------------------------------------------------------------
    def _structure_block(self, smiles: Sequence[object], status: pd.DataFrame | None = None):
        if status is None:
            status = self.featurizer.prepare(list(smiles)).table
        feats = self.featurizer.transform_canonical(status["canonical"].tolist())
        return status, pd.DataFrame(feats, columns=self.featurizer.feature_names_), feats

    def design(self, frame: pd.DataFrame, status: pd.DataFrame | None = None):
        """Feature frame (n, n_features), the structure status table and raw structure features.

        ``status`` (rows aligned with ``frame``) skips standardising the SMILES again. When
        the estimator reads molecules (``smiles_input``), a last column
        :data:`~pharmakon.core.zoo.SMILES_COLUMN` holds the canonical SMILES.
        """
        parts, raw = [], None
        if self.smiles_col:
            status, block, raw = self._structure_block(frame[self.smiles_col].tolist(), status)
            parts.append(block)
        tab = frame[self.numeric_cols + self.categorical_cols].reset_index(drop=True).copy()
        for c in self.numeric_cols:
            tab[c] = pd.to_numeric(tab[c], errors="coerce")
        spellings = getattr(self, "category_spellings", None) or {}  # models saved before had none
        for c in self.categorical_cols:
            known = spellings.get(c)
            tab[c] = tab[c].map(lambda v, known=known: _category_value(v, known)).astype(object)
        parts.append(tab)
        if self.smiles_col and self.smiles_input:
            from pharmakon.core.zoo import SMILES_COLUMN

            parts.append(pd.DataFrame({SMILES_COLUMN: status["canonical"].to_numpy(object)}))
        return pd.concat(parts, axis=1), status, raw

    def domain_matrix(self, X: pd.DataFrame, raw: np.ndarray | None) -> np.ndarray:
        if self.domain.metric == "tanimoto":
            return raw[:, self.featurizer.fingerprint_columns_]
        from pharmakon.core.zoo import split_smiles

        return split_smiles(self.pipeline[0].transform(X))[1]

    # -- predict ------------------------------------------------------------------
    def check_columns(self, frame: pd.DataFrame, file: str | None = None) -> None:
        needed = ([self.smiles_col] if self.smiles_col else []) + self.numeric_cols + self.categorical_cols
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise InputError(
                f"missing column(s) {missing} that the model needs; it was trained on {needed}",
                file=file,
                field=missing[0],
            )

    def predict(self, frame: pd.DataFrame, *, file: str | None = None) -> PredictionResult:
        """Predictions for every row, in input order.

        Adds ``prediction``, ``pred_lower``/``pred_upper`` (regression) or ``pred_set``
        and ``proba_<class>`` (classification), ``in_domain`` and ``pred_status``
        (``ok`` or why the row has no prediction). Rows with an invalid SMILES get
        empty predictions and ``in_domain`` False; the batch never stops for them.
        """
        self.check_columns(frame, file)
        out = frame.reset_index(drop=True).copy()
        n = len(out)
        warnings = []
        for c in self.numeric_cols:
            bad = pd.to_numeric(out[c], errors="coerce").isna() & out[c].notna()
            if bad.any():
                warnings.append(
                    f"column {c!r}: {int(bad.sum())} non-numeric value(s) treated as missing "
                    f"(first at row {int(np.flatnonzero(bad)[0]) + 1})"
                )
        X, status, raw = self.design(out)
        ok = np.ones(n, bool) if status is None else status["status"].eq("ok").to_numpy()
        pred_status = np.array(["ok"] * n, dtype=object)
        if status is not None:
            pred_status[~ok] = ("invalid SMILES: " + status.loc[~ok, "reason"]).to_numpy()
        idx = np.flatnonzero(ok)
        every = len(idx) == n  # the common case: no copies
        rows, raw_rows = (X, raw) if every else (X.iloc[idx], None if raw is None else raw[idx])
        cols = self.predict_rows(rows, raw=raw_rows) if len(idx) else self.empty_columns(0)
        for name, empty in self.empty_columns(n).items():
            empty[idx] = cols[name]
            out[name] = empty
        out["pred_status"] = pred_status
        invalid = (
            status.loc[~ok, ["row", "input", "reason"]].reset_index(drop=True)
            if status is not None
            else pd.DataFrame(columns=["row", "input", "reason"])
        )
        return PredictionResult(out, invalid, warnings)

    def empty_columns(self, n: int) -> dict[str, np.ndarray]:
        """The prediction columns for ``n`` rows without a prediction (what invalid rows show)."""
        if self.task == "regression":
            cols = {c: np.full(n, np.nan) for c in ("prediction", "pred_lower", "pred_upper")}
        else:
            cols = {
                "prediction": np.full(n, None, dtype=object),
                "pred_set": np.full(n, "", dtype=object),
                **{f"proba_{c}": np.full(n, np.nan) for c in self.classes},
            }
        cols["in_domain"] = np.zeros(n, bool)
        return cols

    def predict_rows(
        self, X: pd.DataFrame, *, raw: np.ndarray | None = None, domain_score: np.ndarray | None = None
    ) -> dict[str, np.ndarray]:
        """Prediction columns for design rows that all have a valid structure (see :meth:`predict`).

        Parameters
        ----------
        X : DataFrame, shape (n, n_features)
            Rows of :meth:`design`'s feature frame.
        raw : ndarray, shape (n, n_structure_features), optional
            The structure block of those rows (needed for a Tanimoto domain unless ``domain_score`` is given).
        domain_score : ndarray, shape (n,), optional
            ``self.domain.score`` of those rows when the caller computed it already (the ADMET panel
            scores every endpoint's domain in one pass).

        Returns
        -------
        dict of str to ndarray
            ``prediction``, ``pred_lower``/``pred_upper`` or ``pred_set`` and ``proba_<class>``,
            and ``in_domain``; each shape (n,).
        """
        score = self.domain.score(self.domain_matrix(X, raw)) if domain_score is None else domain_score
        novelty = self.domain.novelty(score)  # the conformal bin (Mondrian) comes from the same pass
        structure_only = raw is not None and not (self.numeric_cols or self.categorical_cols)
        Z, est = _prepare(self.pipeline[0], X, raw if structure_only else None), self.pipeline[-1]
        if self.task == "regression":
            pred = est.predict(Z)
            lo, hi = self.conformal.interval(pred, novelty)
            cols = {"prediction": pred, "pred_lower": lo, "pred_upper": hi}
        else:
            p = np.zeros((len(X), len(self.classes)))
            p[:, est.classes_] = est.predict_proba(Z)
            member = self.conformal.sets(p, novelty)
            cols = {
                "prediction": np.asarray(self.classes, dtype=object)[p.argmax(1)],
                "pred_set": np.array(
                    ["|".join(str(c) for c, m in zip(self.classes, row) if m) for row in member], dtype=object
                ),
                **{f"proba_{c}": p[:, k] for k, c in enumerate(self.classes)},
            }
        cols["in_domain"] = self.domain.flag(score)
        return cols


#: Name tokens that mark a column as an identifier (``ID``, ``study_id``, ``SubjectID``, ``record-id``).
ID_NAME_TOKENS = frozenset({"id", "ids", "identifier", "uuid"})


def identifier_like(name: object, values: pd.Series) -> str | None:
    """A warning when a numeric feature column looks like an identifier, else None.

    The rule: its name has an id token (:data:`ID_NAME_TOKENS`, camelCase and ``_``/``-``/space
    separated) and every present value is an integer. Such a column (a study, batch or
    subject number) is used as a numeric feature, whose order means nothing: trees can
    still isolate single values, so rows that share an id with training rows may be
    predicted well while a row with a new id is not. The column stays a feature (on the
    Nano-Tumor DB dev splits the study ``ID`` raises R² a lot, see docs/generic-models.md);
    the warning names the two options that say what the user means.
    """
    tokens = re.split(r"[^a-z0-9]+", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", str(name)).lower())
    present = pd.to_numeric(values, errors="coerce").dropna()
    if not ID_NAME_TOKENS.intersection(tokens) or present.empty:
        return None
    if not np.all(np.mod(present.to_numpy(float), 1) == 0):
        return None
    distinct = int(present.nunique())
    return (
        f"column {name!r} looks like an identifier (integer codes, {distinct} distinct in {len(present)} rows) and is "
        f"used as a numeric feature: rows with a new {name} extrapolate on a number that means nothing. "
        f"Pass --id-col {name} to leave it out, or --group-col {name} to measure prediction for new {name} values"
    )


def category_key(value: object) -> str:
    """A category's identity: case-folded, whitespace runs collapsed (``"Skin "``, ``"skin"`` -> ``"skin"``)."""
    return " ".join(str(value).split()).casefold()


def _category_value(value: object, known: dict[str, str] | None) -> object:
    """The model's spelling of ``value`` (a case/whitespace variant of a training category maps onto it).

    Missing and blank cells are missing (NaN, imputed explicitly by the preprocessor);
    a category never seen in training keeps its own (trimmed) spelling and encodes as
    all-zero (unknown).
    """
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return np.nan
    key = category_key(value)
    if not key:
        return np.nan
    if known is None:  # a model saved before spellings were learned: the value as it was given
        return str(value)
    return known.get(key, " ".join(str(value).split()))


def learn_spellings(frame: pd.DataFrame, columns: Sequence[str]) -> tuple[dict[str, dict[str, str]], list[str]]:
    """Per column, the most frequent spelling of each category (ties: the first in sorted order).

    Returns the spellings (``{column: {category_key: spelling}}``) and one QC message per
    column where case or whitespace variants were merged.
    """
    spellings: dict[str, dict[str, str]] = {}
    notes: list[str] = []
    for c in columns:
        counts = frame[c].dropna().astype(str).map(lambda v: " ".join(v.split())).value_counts()
        groups: dict[str, list[tuple[int, str]]] = {}
        for value, n in counts.items():
            if value:
                groups.setdefault(category_key(value), []).append((-int(n), str(value)))
        spellings[c] = {k: min(v)[1] for k, v in groups.items()}
        raw = frame[c].dropna().astype(str)
        merged = sorted({v for v in raw if v != spellings[c].get(category_key(v), v)})
        if merged:
            shown = ", ".join(f"{v!r} -> {spellings[c][category_key(v)]!r}" for v in merged[:10])
            notes.append(f"column {c!r}: case/whitespace variants merged: {shown}")
    return spellings, notes


def _prepare(prep: Any, X: pd.DataFrame, values: np.ndarray | None = None) -> np.ndarray:
    """``prep.transform(X)``, in one numpy pass when ``prep`` is the all-numeric preprocessor.

    ``values`` may hold ``X``'s numbers as an array already (saves a copy per model).

    :func:`~pharmakon.core.zoo.make_preprocessor` on numeric columns only is median
    imputation, :class:`~pharmakon.core.zoo.MinSupport` column selection and scaling
    ``(x - mean_) / scale_`` clipped to the training range; applying the fitted numbers directly gives
    the same array (the tests compare)
    without scikit-learn's per-call DataFrame handling, which dominates when the ADMET
    panel runs dozens of models on one feature block.
    """
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import StandardScaler

    from pharmakon.core.zoo import CountAwareScaler, MinSupport

    parts = [p for p in getattr(prep, "transformers_", []) if not (p[1] == "drop" and len(p[2]) == 0)]
    if len(parts) == 1 and parts[0][0] == "num" and list(parts[0][2]) == list(X.columns):
        steps = [step for _, step in parts[0][1].steps]
        if (
            len(steps) == 3
            and type(steps[0]) is SimpleImputer
            and type(steps[1]) is MinSupport
            and type(steps[2]) in (StandardScaler, CountAwareScaler)
            and getattr(steps[2], "scale_", None) is not None
        ):
            imputer, support, scaler = steps
            keep = support.keep_
            # np.take gathers columns about 2x faster than fancy indexing; most chunks have no NaN to impute.
            Z = np.take(X.to_numpy(dtype=float) if values is None else values, keep, axis=1)
            missing = np.isnan(Z)
            if missing.any():
                Z[missing] = np.broadcast_to(imputer.statistics_[keep], Z.shape)[missing]
            # Count columns (CountAwareScaler) have mean 0 and scale 1: only the others need arithmetic.
            scaled = np.flatnonzero(~getattr(scaler, "counts_", np.zeros(Z.shape[1], bool)))
            Z[:, scaled] = (Z[:, scaled] - scaler.mean_[scaled]) / scaler.scale_[scaled]
            if getattr(scaler, "lower_", None) is not None:  # CountAwareScaler's training range
                Z[:, scaled] = np.clip(Z[:, scaled], scaler.lower_[scaled], scaler.upper_[scaled])
            return Z
    return prep.transform(X)


def _step(steps: list, action: str, **params: Any) -> None:
    steps.append({"action": action, "params": params, "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})


#: Above this many rows the default CV has 3 folds whatever the budget: the estimate is already
#: precise, and two fewer fits per configuration leave the budget to more model families.
FIVE_FOLD_MAX_ROWS = 5_000


def train_model(
    frame: pd.DataFrame,
    target: str,
    *,
    task: str = "auto",
    smiles_col: str | None = None,
    featurizer: Any = None,
    id_cols: Sequence[str] = (),
    budget_s: float = 60.0,
    seed: int = 0,
    n_splits: int | None = None,
    alpha: float = 0.1,
    n_jobs: int = 1,
    models: list[str] | None = None,
    groups: Sequence[object] | None = None,
    groups_kind: str = "group",
    sensitive_cols: Sequence[str] = (),
    file: str | None = None,
    max_reference: int | None = None,
    progress: Callable[[str], None] | None = None,
    trials: int | None = None,
    start: float | None = None,
) -> TrainedModel:
    """Run the lifecycle on ``frame`` and return a :class:`TrainedModel`.

    Parameters
    ----------
    frame : DataFrame
        One row per example. Every column except ``target``, ``smiles_col`` and
        ``id_cols`` is a feature: numeric columns are imputed and standardised,
        others one-hot encoded.
    task : {"auto", "regression", "classification"}
        ``auto`` uses :func:`infer_task`.
    smiles_col : str, optional
        Structure column, featurized by ``featurizer`` (required with it).
    budget_s : float
        Seconds for the whole run (featurization, selection, refit); selection
        stops early enough for the refit to fit in.
    trials : int, optional
        Fixed work instead of the time budget (see :func:`~pharmakon.core.selection.select_model`):
        the same data and seed give the same model on any machine.
    start : float, optional
        When the budget's clock started (``time.monotonic()``; default: now). A caller that
        loads or groups the data first passes its own start, so that work counts too.
        The run may pass ``start + budget_s`` by about the baseline's cross-validation (it
        always runs, as every model needs out-of-fold predictions for calibration) and the
        chosen model's refit and calibration.
    n_splits : int, optional
        Cross-validation folds; default 5 when ``budget_s`` >= 300 s and the table has fewer than
        :data:`FIVE_FOLD_MAX_ROWS` rows, else 3 (random, stratified for classification, grouped when
        ``groups`` are given, e.g. scaffolds).
    groups : sequence, optional
        One key per row of ``frame``; rows sharing a key stay in one fold, so CV metrics and
        the conformal calibration rows measure prediction for unseen groups (new scaffolds,
        new patients). Missing keys (None, NaN) form one group of their own.
    groups_kind : str
        What ``groups`` are, for the record (``"scaffold"``, ``"group"``).
    alpha : float
        Conformal miscoverage: intervals/sets aim at 1 - alpha coverage, Mondrian by
        novelty (nearest-neighbour distance to the training rows; see
        :mod:`pharmakon.core.uncertainty` for the bins and their assumption).
    sensitive_cols : sequence of str
        Attributes (sex, age band, site) for the fairness report on the out-of-fold
        predictions; they stay features unless also listed in ``id_cols``.
    max_reference : int, optional
        Cap on the Tanimoto applicability-domain reference (a seeded random subset of
        the training molecules; :class:`~pharmakon.core.uncertainty.ApplicabilityDomain`).
        Default: every training molecule.
    """
    from sklearn.pipeline import Pipeline

    from pharmakon.core.selection import select_model
    from pharmakon.core.zoo import SMILES_COLUMN, build_estimator, make_preprocessor, needs_smiles, set_time_limit
    from pharmakon.hashing import sha256_frame

    start = time.monotonic() if start is None else start
    steps: list[dict[str, Any]] = []
    n_splits = n_splits or (5 if budget_s >= 300 and len(frame) < FIVE_FOLD_MAX_ROWS else 3)
    if task not in ("auto", "regression", "classification"):
        raise InputError(f"task must be auto, regression or classification, got {task!r}", field="task")
    for col in [target, *([smiles_col] if smiles_col else []), *id_cols, *sensitive_cols]:
        if col not in frame.columns:
            raise InputError(f"column {col!r} not found; the columns are {list(frame.columns)}", file=file, field=col)
    if smiles_col and featurizer is None:
        raise InputError("a smiles_col needs a structure featurizer (pharmakon.chem.SmilesFeaturizer)")
    if len(frame) == 0:
        raise InputError("the training table has no rows", file=file)
    task = infer_task(frame[target]) if task == "auto" else task
    if task == "regression":
        y_num = pd.to_numeric(frame[target], errors="coerce")
        bad = y_num.isna() & frame[target].notna()
        if bad.any():
            r = int(np.flatnonzero(bad.to_numpy())[0]) + 1
            raise InputError(
                f"target {frame[target].iloc[r - 1]!r} is not a number (regression)", file=file, row=r, field=target
            )
    data_hash = sha256_frame(frame)
    keys, status = None, None
    work = frame.reset_index(drop=True)
    if smiles_col:
        featurizer.fit(work[smiles_col].tolist())
        status = featurizer.prepare(work[smiles_col].tolist()).table
        keys = status["canonical"].tolist()
    _step(steps, "model.data", rows=len(work), data_sha256=data_hash, task=task, target=target)
    clean, report = run_qc(work, target, task, id_cols=list(id_cols), structure_keys=keys, structure_col=smiles_col)
    qc = report.to_dict()
    if status is not None:
        bad = status.loc[status["status"].ne("ok") & status.index.isin(clean.index)]
        qc["invalid_structures"] = [
            {"row": int(r), "input": str(s), "reason": w}
            for r, s, w in bad[["row", "input", "reason"]].itertuples(index=False)
        ]
        qc["dropped"]["invalid_structures"] = len(bad)
        clean = clean.loc[~clean.index.isin(bad.index)]
        if hasattr(featurizer, "training_notes"):  # e.g. features learned from public data these molecules are in
            qc["warnings"].extend(featurizer.training_notes(clean[smiles_col].tolist()))
    if len(clean) < 2 * n_splits:
        raise InputError(
            f"only {len(clean)} usable rows after QC; need at least {2 * n_splits} for "
            f"{n_splits}-fold cross-validation",
            file=file,
        )
    _step(steps, "model.qc", rows_out=len(clean), dropped=qc["dropped"], warnings=qc["warnings"])
    feature_cols = [c for c in work.columns if c not in {target, smiles_col, *id_cols}]
    numeric = [
        c for c in feature_cols if pd.api.types.is_numeric_dtype(work[c]) and not pd.api.types.is_bool_dtype(work[c])
    ]
    categorical = [c for c in feature_cols if c not in numeric]
    for c in list(categorical):  # a text column with a distinct value on every row is an identifier
        if len(work) > 20 and work[c].nunique(dropna=True) == len(work):
            categorical.remove(c)
            qc["warnings"].append(f"column {c!r} has a distinct value on every row; treated as an id, not a feature")
    for c in numeric:  # integer codes named like an identifier stay features (they may carry real signal): say so
        note = identifier_like(c, work[c])
        if note:
            qc["warnings"].append(note)
    y_raw = clean[target]
    classes: list[Any] = []
    if task == "classification":
        classes = sorted(y_raw.unique().tolist(), key=lambda v: (str(type(v)), v))
        if len(classes) > 50 or len(classes) > 0.5 * len(y_raw):
            raise InputError(
                f"target {target!r} has {len(classes)} distinct values in {len(y_raw)} rows: too many "
                "classes; pass --task regression if it is a measurement",
                file=file,
                field=target,
            )
        if len(classes) < 2:
            raise InputError(f"target {target!r} has a single class {classes}; classification needs two", field=target)
        y = y_raw.to_numpy(object)
    else:
        y = pd.to_numeric(y_raw).to_numpy(float)
    metric = "tanimoto" if smiles_col and len(featurizer.fingerprint_columns_) else "euclidean"
    model = TrainedModel(
        task,
        target,
        smiles_col,
        list(id_cols),
        numeric,
        categorical,
        featurizer,
        None,
        classes,
        None,
        ApplicabilityDomain(metric, max_reference=max_reference),
        alpha,
        seed,
        qc,
        {},
        np.array([]),
        np.array([]),
        data_hash,
        library_versions(),
        steps,
    )
    model.category_spellings, merged = learn_spellings(clean, categorical)
    qc["warnings"].extend(merged)
    model.smiles_input = any(needs_smiles(m) for m in models or [])  # selection gets the SMILES column too
    X, _, raw = model.design(clean, None if status is None else status.loc[clean.index].reset_index(drop=True))
    struct_cols = list(featurizer.feature_names_) if smiles_col else []
    prep = make_preprocessor(struct_cols + numeric, categorical)
    grp = (
        None
        if groups is None
        else np.asarray(["(missing)" if pd.isna(g) else g for g in groups], dtype=object)[clean.index.to_numpy()]
    )
    folds = cv_folds(len(y), n_splits=n_splits, y=y if task == "classification" else None, groups=grp, seed=seed)
    cv_split = groups_kind if grp is not None else "stratified" if task == "classification" else "random"
    _step(
        steps,
        "model.featurize",
        n_features=X.shape[1] - int(SMILES_COLUMN in X.columns),
        featurizer=repr(featurizer) if smiles_col else None,
        folds=len(folds),
        split=cv_split,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=UserWarning)  # sklearn metric/convergence chatter in CV
        warnings.simplefilter("ignore", category=RuntimeWarning)
        selection = select_model(
            X,
            y,
            task,
            prep,
            folds,
            budget_s=max(1.0, budget_s - (time.monotonic() - start)),
            seed=seed,
            n_jobs=n_jobs,
            models=models,
            classes=classes,
            progress=progress,
            trials=trials,
        )
    best = selection.best
    _step(
        steps,
        "model.select",
        best=best,
        n_trials=selection.n_trials,
        cv_metrics=selection.cv_metrics,
        seconds=round(selection.seconds, 1),
    )
    est = build_estimator(best["model"], task, best["params"], seed=seed, n_jobs=n_jobs)
    y_fit = y if task == "regression" else np.array([classes.index(v) for v in y])
    model.smiles_input = bool(smiles_col) and needs_smiles(best["model"], best["params"])
    if model.smiles_input:  # a network that reads the molecules: SMILES pass through; it trains in the time left
        prep = make_preprocessor(struct_cols + numeric, categorical, smiles=SMILES_COLUMN)
        if trials is None:
            set_time_limit(est, 0.9 * (start + budget_s - time.monotonic()))
    X = X if model.smiles_input else X.drop(columns=[SMILES_COLUMN], errors="ignore")
    model.pipeline = Pipeline([("prep", prep), ("model", est)]).fit(X, y_fit)
    # Mondrian conformal by novelty: each out-of-fold row's novelty is measured against its own fold's training
    # part, as a new molecule's is against all training rows at predict time (uncertainty module notes).
    domain_X = model.domain_matrix(X, raw)
    model.domain.fit(domain_X)
    novelty = model.domain.novelty(model.domain.fold_scores(domain_X, folds))
    if task == "regression":
        model.conformal = ConformalRegressor(alpha).fit(y, selection.oof, novelty)
    else:
        model.conformal = ConformalClassifier(alpha).fit(y_fit, selection.oof, novelty)
    model.oof_y, model.oof_pred = y, selection.oof
    model.selection = {
        "best": best,
        "leaderboard": selection.leaderboard,
        "cv_metrics": selection.cv_metrics,
        "n_trials": selection.n_trials,
        "n_splits": len(folds),
        "cv_split": cv_split,
        "budget_s": budget_s,
        "fixed_trials": trials,
        "seconds": round(time.monotonic() - start, 1),
    }
    if smiles_col:
        model.train_smiles = clean[smiles_col].astype(str).tolist()
    if sensitive_cols:
        from pharmakon.core.fairness import fairness_report

        if task == "regression":
            truth, pred = y, selection.oof
        else:  # class indices; the last class is the positive one for recall/selection rate
            truth, pred = y_fit, selection.oof.argmax(1)
        model.fairness = fairness_report(truth, pred, clean[list(sensitive_cols)], task=task, seed=seed).to_dict()
        _step(
            steps,
            "model.fairness",
            attributes=list(sensitive_cols),
            warnings=model.fairness["warnings"],
            disparities=model.fairness["disparities"],
        )
    _step(
        steps,
        "model.calibrate",
        alpha=alpha,
        conformal_q=float(model.conformal.q_),
        conformal_bins=model.conformal.bins(),
        domain_metric=model.domain.metric,
        domain_threshold=model.domain.threshold_,
    )
    return model
