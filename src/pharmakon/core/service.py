"""Governed models as a service: train, predict, evaluate, promote, list, show, card.

Each audited use case takes a typed spec (defaults defined here, once), the store and
the :class:`~pharmakon.caller.Caller`, runs the lifecycle (:mod:`pharmakon.core.lifecycle`,
:mod:`pharmakon.core.registry`, :mod:`pharmakon.core.evaluation`), writes its audit event
and returns a typed :class:`~pharmakon.results.Result`. ``pharmakon model ...``, the
``/api/v1/models`` routes and the ``/models`` workbench pages only build specs, call these
functions and render what they return, so the channels cannot drift apart.

One ``model.predict`` payload for every channel: ``inputs={"data": sha256 of the input
table}``, ``outputs={"predictions": sha256 of the prediction table}`` (both
:func:`~pharmakon.hashing.sha256_frame`), ``params={"rows", "invalid_rows", "channel"}``
plus ``"source"`` (the file name) when a file was predicted.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import pandas as pd
from pydantic import AfterValidator, ConfigDict, Field, field_validator

from pharmakon.caller import Caller
from pharmakon.errors import InputError, PermissionDeniedError
from pharmakon.results import Result
from pharmakon.specs import Spec

if TYPE_CHECKING:
    from pharmakon.store import Store

__all__ = [
    "MAX_PREDICT_ROWS",
    "MAX_VERSION",
    "register_structures",
    "TrainSpec",
    "TrainResult",
    "train_and_register",
    "PredictSpec",
    "PredictResult",
    "predict_rows",
    "PredictFileSpec",
    "PredictFileResult",
    "predict_table_file",
    "EvaluateSpec",
    "EvaluateResult",
    "evaluate_on_data",
    "PromoteSpec",
    "PromoteResult",
    "promote_version",
    "ModelSummary",
    "ModelList",
    "ModelDetail",
    "EvaluationRecord",
    "EvaluationList",
    "list_registered",
    "show_model",
    "model_evaluation_records",
    "model_card",
]

#: Rows one in-memory prediction request may send (files of any size: ``pharmakon model predict``).
MAX_PREDICT_ROWS = 10_000
#: Largest version number (the store keeps 32-bit version numbers).
MAX_VERSION = 2**31 - 1
_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:@+-]{0,255}$"


@dataclass(frozen=True)
class _Structures:
    featurizer: Callable[..., Any]
    scaffolds: Callable[[Sequence[object]], list[Any]]


_STRUCTURES: dict[str, _Structures] = {}


def register_structures(*, featurizer: Callable[..., Any], scaffolds: Callable[[Sequence[object]], list[Any]]) -> None:
    """How a ``smiles_col`` is featurized and grouped by scaffold (core knows no chemistry).

    The molecule domain calls this when it is imported, as it registers its model
    families into the zoo: ``featurizer(spec, **params)`` builds a structure featurizer
    from a ``'+'``-joined name such as ``"morgan+rdkit2d"``; ``scaffolds(smiles)`` gives
    one group key per molecule (Bemis-Murcko scaffolds).
    """
    _STRUCTURES["smiles"] = _Structures(featurizer, scaffolds)


def _structures() -> _Structures:
    if "smiles" not in _STRUCTURES:
        raise InputError(
            "a SMILES column needs the molecule domain, which registers its featurizers when imported "
            "(import pharmakon.chem)",
            field="smiles_col",
        )
    return _STRUCTURES["smiles"]


class _Spec(Spec):
    """Base of the governed-model specs: numbers must be finite (no NaN or infinity)."""

    model_config = ConfigDict(allow_inf_nan=False)


def _version_value(value: int | str | None) -> int | str | None:
    """A version number in 1..MAX_VERSION or an alias name (a digit string is a number)."""
    if isinstance(value, str) and value.isdigit():
        if not value.isascii():
            raise ValueError(f"a version is a number (ASCII digits) or an alias name, got {value!r}")
        value = int(value)
    if isinstance(value, int) and not 1 <= value <= MAX_VERSION:
        raise ValueError(f"a version number must be 1 to {MAX_VERSION}, got {value}")
    return value


#: A model version as users give it: a number (1..MAX_VERSION, digit strings too) or an alias name.
VersionRef = Annotated[int | str | None, AfterValidator(_version_value)]


# -- train ------------------------------------------------------------------------------------


class TrainSpec(_Spec):
    """What ``pharmakon model train`` (and the Python API) asks for: a table, a target, a budget."""

    data: Path | None = Field(
        None, description="Training table (CSV/TSV/Parquet), one row per example; the Python API may pass a frame."
    )
    target: str = Field(min_length=1, description="Column to predict.")
    smiles_col: str | None = Field(None, description="Column with SMILES (featurized).")
    id_cols: list[str] = Field(default_factory=list, description="Identifier columns (not features).")
    sensitive_cols: list[str] = Field(
        default_factory=list, description="Attributes for the per-subgroup fairness report (sex, age band, site)."
    )
    task: Literal["auto", "regression", "classification"] = "auto"
    name: str | None = Field(
        None, pattern=_NAME_PATTERN, description="Registry name (default: the file's stem); letters, digits, _.:@+-."
    )
    budget_s: float = Field(60.0, ge=1, le=86400, description="Seconds for the whole run.")
    trials: int | None = Field(
        None,
        ge=0,
        le=10_000,
        description="Fixed work instead of the budget: screen every family, then this many Optuna trials; "
        "the same data and seed give the same model on any machine (budget_s is then ignored).",
    )
    seed: int = Field(0, ge=0, description="Random seed (folds, models, Optuna).")
    alpha: float = Field(0.1, ge=0.01, le=0.5, description="Conformal miscoverage (0.1 = 90% intervals/sets).")
    featurizer: str = Field(
        "morgan+rdkit2d+erg+pharmabench",
        description="SMILES features, '+'-joined: morgan, rdkit2d, erg, maccs, lipid, pharmabench; "
        "lipid is added by itself for lipid-like molecules; pharmabench is six predictions of models "
        "fitted on public PharmaBench ADMET data.",
    )
    fingerprint_bits: int | None = Field(
        None, ge=64, le=16384, description="Morgan fingerprint length (default: the featurizer's, 2048)."
    )
    cv: int | None = Field(
        None, ge=2, le=20, description="CV folds (default 3, or 5 if budget_s >= 300 and under 5,000 rows)."
    )
    cv_split: Literal["random", "scaffold"] = Field(
        "random",
        description="How CV folds are drawn: random (stratified for classes) | scaffold (Bemis-Murcko groups "
        "of smiles_col: CV and conformal calibration measure new chemical series).",
    )
    group_col: str | None = Field(
        None, description="Rows sharing this column's value stay in one CV fold (patient, site); not a feature."
    )
    models: list[str] | None = Field(
        None, description="Model families to select from (default: the zoo except opt-in chemprop)."
    )
    alias: str | None = Field(None, max_length=64, description="Also point this alias (staging, production) at it.")
    reason: str | None = Field(None, max_length=2000, description="Why (kept in the audit trail).")


class TrainResult(Result):
    """A trained and registered model version."""

    name: str
    version: int
    task: str
    best: dict[str, Any] = Field(description="The chosen model family and its parameters.")
    cv_metrics: dict[str, float | None]
    seconds: float
    rows_used: int
    dropped: dict[str, int] = Field(description="Rows QC dropped, by reason.")
    warnings: list[str]
    invalid_structures: list[dict[str, Any]] = Field(
        default_factory=list, description="First 20 rows whose SMILES could not be read: row, input, reason."
    )
    alias: str | None = None

    def summary(self) -> str:
        metrics = ", ".join(f"{k} {v:.3f}" for k, v in self.cv_metrics.items() if v is not None and k != "n")
        return (
            f"registered model {self.name} version {self.version}: {self.task}, "
            f"best {self.best.get('model')} (CV {metrics}) in {self.seconds} s"
        )


def _default_name(data: Path | None) -> str:
    stem = data.stem if data is not None else ""
    return "".join(ch if ch.isalnum() or ch in "_.-" else "_" for ch in stem).lstrip("_.-") or "model"


def _cv_groups(frame: pd.DataFrame, spec: TrainSpec, file: str | None) -> tuple[list[Any] | None, str]:
    """(fold groups or None, what they are) for ``cv_split`` / ``group_col``."""
    if spec.group_col and spec.cv_split == "scaffold":
        raise InputError("give either a group column or scaffold CV folds, not both", field="group_col")
    if spec.group_col:
        if spec.group_col not in frame.columns:
            raise InputError(f"column not found; columns: {list(frame.columns)}", file=file, field=spec.group_col)
        return frame[spec.group_col].tolist(), "group"
    if spec.cv_split == "scaffold":
        if not spec.smiles_col:
            raise InputError("scaffold CV folds need a SMILES column (smiles_col, --smiles-col)", field="cv_split")
        if spec.smiles_col not in frame.columns:
            raise InputError(f"column not found; columns: {list(frame.columns)}", file=file, field=spec.smiles_col)
        return _structures().scaffolds(frame[spec.smiles_col].tolist()), "scaffold"
    return None, "random"


def train_and_register(
    store: Store,
    spec: TrainSpec,
    caller: Caller,
    *,
    frame: pd.DataFrame | None = None,
    progress: Callable[[str], None] | None = None,
) -> TrainResult:
    """Train on ``spec.data`` (or ``frame``) through the lifecycle and register the model.

    QC, CV model selection within ``budget_s``, conformal calibration, then one new
    version of ``name`` in the registry (its lifecycle steps audited, the first one
    ``model.train`` with the caller's channel and the data's source), optionally aliased.

    Raises
    ------
    InputError
        Unreadable table, unknown column, bad option; the message names file and field.
    """
    from pharmakon.core.lifecycle import train_model
    from pharmakon.core.registry import register_model
    from pharmakon.tables import read_table

    if frame is None:
        if spec.data is None:
            raise InputError("give a training table (data)", field="data")
        frame = read_table(spec.data)
    file = str(spec.data) if spec.data is not None else None
    name = spec.name or _default_name(spec.data)
    if not re.match(_NAME_PATTERN, name):
        raise InputError(f"model name {name!r} may use letters, digits and _.:@+- (max 256)", field="name")
    featurizer = None
    if spec.smiles_col:
        params = {"n_bits": spec.fingerprint_bits} if spec.fingerprint_bits else {}
        featurizer = _structures().featurizer(spec.featurizer, **params)
    groups, groups_kind = _cv_groups(frame, spec, file)
    model = train_model(
        frame,
        spec.target,
        task=spec.task,
        smiles_col=spec.smiles_col,
        featurizer=featurizer,
        id_cols=[*spec.id_cols, *([spec.group_col] if spec.group_col else [])],
        groups=groups,
        groups_kind=groups_kind,
        budget_s=spec.budget_s,
        trials=spec.trials,
        seed=spec.seed,
        alpha=spec.alpha,
        n_splits=spec.cv,
        file=file,
        sensitive_cols=spec.sensitive_cols,
        models=spec.models or None,
        progress=progress,
    )
    model.steps.insert(
        0,
        {
            "action": "model.train",
            "params": {"name": name, "source": spec.data.name if spec.data else None, "channel": caller.channel},
            "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        },
    )
    with store.session() as session:
        saved = register_model(session, model, name=name, actor=caller.actor, alias=spec.alias, reason=spec.reason)
    qc = model.qc
    return TrainResult(
        name=name,
        version=saved.version,
        task=model.task,
        best=model.selection["best"],
        cv_metrics=model.selection["cv_metrics"],
        seconds=model.selection["seconds"],
        rows_used=qc["n_rows_out"],
        dropped=qc["dropped"],
        warnings=qc["warnings"],
        invalid_structures=qc.get("invalid_structures", [])[:20],
        alias=spec.alias,
    )


# -- predict ----------------------------------------------------------------------------------


class PredictSpec(_Spec):
    """Predict in-memory rows with a registered model (REST, Python)."""

    name: str = Field(min_length=1, description="Registered model name.")
    version: VersionRef = Field(None, description="Version number or alias (default: newest).")

    rows: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=MAX_PREDICT_ROWS,
        description=f"Input rows (1 to {MAX_PREDICT_ROWS:,}), keyed by column name.",
    )

    @field_validator("rows")
    @classmethod
    def _scalar_cells(cls, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Each cell is one value (number, text, true/false or null): checked before predicting, not after."""
        for i, row in enumerate(rows, 1):
            for column, value in row.items():
                if isinstance(value, dict | list | tuple | set):
                    raise ValueError(
                        f"row {i}, column {column!r}: a cell holds one number, text, true/false or null, "
                        f"not a {type(value).__name__}"
                    )
        return rows


class PredictResult(Result):
    """Predictions in input order; rows that could not be predicted also in ``invalid_rows``."""

    model: str
    version: int
    rows: list[dict[str, Any]] = Field(
        description="Input columns plus prediction, interval or set (+ probabilities), in_domain, pred_status."
    )
    invalid_rows: list[dict[str, Any]] = Field(description="row (1-based), input, reason.")
    warnings: list[str]
    in_domain: int = Field(description="Rows inside the model's applicability domain.")

    def summary(self) -> str:
        return (
            f"{len(self.rows)} rows predicted with model {self.model} v{self.version}: "
            f"{self.in_domain} in domain, {len(self.invalid_rows)} invalid"
        )

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)


class PredictFileSpec(_Spec):
    """Predict every row of a table file into an output CSV (``pharmakon model predict``)."""

    name: str = Field(min_length=1, description="Registered model name.")
    version: VersionRef = Field(None, description="Version number or alias (default: newest).")

    data: Path = Field(description="Input table with the columns the model was trained on.")
    out: Path = Field(description="Output CSV: input rows in order plus predictions (written atomically).")


class PredictFileResult(Result):
    """What a file prediction wrote."""

    model: str
    version: int
    rows: int
    output: str
    invalid_rows: list[dict[str, Any]] = Field(description="row (1-based), input, reason.")
    warnings: list[str]
    in_domain: int

    def summary(self) -> str:
        return (
            f"wrote {self.rows} rows to {self.output} (model {self.model} v{self.version}; "
            f"{self.in_domain} in domain, {len(self.invalid_rows)} invalid)"
        )


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    import json

    return json.loads(frame.to_json(orient="records"))


def _audit_predict(
    store: Store, caller: Caller, model: Any, frame: pd.DataFrame, result: Any, source: str | None
) -> None:
    from pharmakon.hashing import sha256_frame
    from pharmakon.store import record_event

    reg = model.registry
    params: dict[str, Any] = {"rows": len(result.table), "invalid_rows": len(result.invalid)}
    if source:
        params["source"] = source
    with store.session() as session:
        record_event(
            session,
            actor=caller.actor,
            action="model.predict",
            object_type="model",
            object_id=f"{reg['name']}@{reg['version']}",
            inputs={"data": sha256_frame(frame)},
            outputs={"predictions": sha256_frame(result.table)},
            params=params | {"channel": caller.channel},
        )


def predict_rows(store: Store, spec: PredictSpec, caller: Caller) -> PredictResult:
    """Predict ``spec.rows`` with a registered model (kept loaded between calls) and audit it."""
    from pharmakon.core.registry import load_model

    frame = pd.DataFrame(spec.rows)
    with store.read_session() as session:
        model = load_model(session, spec.name, spec.version, cache=True)
    result = model.predict(frame)
    _audit_predict(store, caller, model, frame, result, None)
    reg = model.registry
    return PredictResult(
        model=reg["name"],
        version=reg["version"],
        rows=_records(result.table),
        invalid_rows=_records(result.invalid),
        warnings=result.warnings,
        in_domain=int(result.table["in_domain"].sum()),
    )


def predict_table_file(store: Store, spec: PredictFileSpec, caller: Caller) -> PredictFileResult:
    """Predict every row of ``spec.data`` into ``spec.out`` (atomically: all or nothing) and audit it."""
    from pharmakon.core.registry import load_model
    from pharmakon.files import atomic_path
    from pharmakon.tables import read_table

    frame = read_table(spec.data)
    with store.read_session() as session:
        model = load_model(session, spec.name, spec.version)
    result = model.predict(frame, file=str(spec.data))
    with atomic_path(spec.out) as tmp:
        result.table.to_csv(tmp, index=False)
    _audit_predict(store, caller, model, frame, result, spec.data.name)
    reg = model.registry
    return PredictFileResult(
        model=reg["name"],
        version=reg["version"],
        rows=len(result.table),
        output=str(spec.out),
        invalid_rows=_records(result.invalid),
        warnings=result.warnings,
        in_domain=int(result.table["in_domain"].sum()),
    )


# -- evaluate ---------------------------------------------------------------------------------


class EvaluateSpec(_Spec):
    """Score a registered model on labelled rows it has not seen."""

    name: str = Field(min_length=1, description="Registered model name.")
    version: VersionRef = Field(None, description="Version number or alias (default: newest).")

    data: Path | None = Field(None, description="Labelled table (a test split); the Python API may pass a frame.")
    target: str | None = Field(None, description="Label column (default: the one the model was trained on).")


class EvaluateResult(Result):
    """Held-out metrics, the conformal coverage test, and both split by applicability domain."""

    model: str
    version: int
    task: str
    target: str
    rows: int
    evaluated: int
    skipped: dict[str, Any] = Field(description="count, and the first 20 rows without a prediction or label.")
    metrics: dict[str, float | int | None]
    coverage: dict[str, float | int] = Field(description="Exact binomial test of coverage = nominal.")
    by_domain: dict[str, dict[str, Any]] = Field(description="in_domain / out_of_domain: n, coverage, metrics.")

    def summary(self) -> str:
        c = self.coverage
        return (
            f"model {self.model} v{self.version} on {self.evaluated:,} of {self.rows:,} rows "
            f"({self.skipped['count']} without a prediction or label)\n"
            f"conformal coverage {c['coverage']:.3f} (95% CI {c['ci_low']:.3f}-{c['ci_high']:.3f}) vs nominal "
            f"{c['nominal']:.2f}: exact binomial p = {c['p_value']:.3g}"
        )


def evaluate_on_data(
    store: Store, spec: EvaluateSpec, caller: Caller, *, frame: pd.DataFrame | None = None, label: str | None = None
) -> EvaluateResult:
    """Evaluate a registered version on ``spec.data`` (or ``frame``, named ``label`` in the audit trail).

    Audited as ``model.evaluate`` (:func:`pharmakon.core.evaluation.record_evaluation`):
    the data's name and hash (file bytes; a frame's :func:`~pharmakon.hashing.sha256_frame`).
    """
    from pharmakon.core.evaluation import evaluate_model, record_evaluation
    from pharmakon.core.registry import load_model
    from pharmakon.hashing import sha256_file, sha256_frame
    from pharmakon.tables import read_table

    if frame is None:
        if spec.data is None:
            raise InputError("give a labelled table (data)", field="data")
        frame = read_table(spec.data)
        data = {spec.data.name: sha256_file(spec.data)}
    else:
        data = {label or "frame": sha256_frame(frame)}
    file = str(spec.data) if spec.data is not None else label
    with store.read_session() as session:
        model = load_model(session, spec.name, spec.version)
    report = evaluate_model(model, frame, target=spec.target, file=file)
    reg = model.registry
    with store.session() as session:
        record_evaluation(session, report, model_ref=f"{reg['name']}@{reg['version']}", actor=caller.actor, data=data)
    return EvaluateResult(model=reg["name"], version=reg["version"], **report)


# -- promote ----------------------------------------------------------------------------------


class PromoteSpec(_Spec):
    """Point an alias at a version (audited)."""

    name: str = Field(min_length=1, description="Registered model name.")
    version: int = Field(ge=1, le=MAX_VERSION, description="Version number to point the alias at.")
    alias: str = Field("production", min_length=1, max_length=64, description="staging, production, ...")
    reason: str | None = Field(None, max_length=2000, description="Why (audit trail).")


class PromoteResult(Result):
    name: str
    alias: str
    version: int

    def summary(self) -> str:
        return f"{self.name}: {self.alias} -> version {self.version}"


def promote_version(store: Store, spec: PromoteSpec, caller: Caller, *, role: str | None = None) -> PromoteResult:
    """Point ``spec.alias`` at ``spec.version``; audited by the registry.

    ``role`` is the caller's role where the channel has roles (REST): ``production``
    needs ``admin``. A shell (``None``) is the store's owner.

    Raises
    ------
    PermissionDeniedError
        ``production`` without the admin role (the HTTP front end audits the refusal).
    """
    from pharmakon.core.registry import promote_model
    from pharmakon.store import role_allows

    if role is not None and spec.alias == "production" and not role_allows(role, "admin"):
        raise PermissionDeniedError(f"role {role!r} may not promote to production; needs 'admin'")
    with store.session() as session:
        promote_model(
            session, name=spec.name, version=spec.version, alias=spec.alias, actor=caller.actor, reason=spec.reason
        )
    return PromoteResult(name=spec.name, alias=spec.alias, version=spec.version)


# -- read-only queries ------------------------------------------------------------------------


class ModelSummary(Result):
    """The newest (or a chosen) version of a registered model, in one line."""

    name: str
    version: int
    task: str
    target: str
    best_model: str
    cv_metrics: dict[str, float | None]
    aliases: dict[str, int]
    created_by: str
    created_at: str


class ModelList(Result):
    """Every registered model (newest version each)."""

    models: list[ModelSummary]

    def summary(self) -> str:
        lines = [f"{len(self.models)} registered models"]
        lines += [f"  {m.name} v{m.version}  {m.task} of {m.target}  best {m.best_model}" for m in self.models]
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([m.to_dict() for m in self.models])


class ModelDetail(ModelSummary):
    """A model version's full record: metrics, leaderboard, QC report, lifecycle steps."""

    versions: list[int] = Field(default_factory=list, description="Every version of this model.")
    metadata: dict[str, Any]

    def summary(self) -> str:
        c = self.metadata
        best = c.get("best") or {}
        params = ", ".join(f"{k}={_plain(v)}" for k, v in (best.get("params") or {}).items()) or "defaults"
        lines = [
            f"{self.name} v{self.version}: {self.task} of {self.target}",
            f"  created by {self.created_by} at {self.created_at}",
        ]
        if self.versions:
            lines.append(f"  versions: {', '.join(str(v) for v in self.versions)}")
        if self.aliases:
            lines.append("  aliases: " + ", ".join(f"{a} -> v{v}" for a, v in sorted(self.aliases.items())))
        lines.append(f"  best model: {best.get('model', self.best_model)} ({params})")
        metrics = {k: v for k, v in (self.cv_metrics or {}).items() if v is not None}
        if metrics:
            lines.append("Cross-validated metrics")
            lines += [f"  {k:<10} {_plain(v)}" for k, v in metrics.items()]
        dropped = {k: v for k, v in ((c.get("qc") or {}).get("dropped") or {}).items() if v}
        lines.append("Rows dropped by QC")
        lines += [f"  {k.replace('_', ' '):<28} {v}" for k, v in dropped.items()] or ["  none"]
        if c.get("data_sha256"):
            lines.append(f"Training data sha256: {c['data_sha256']}")
        return "\n".join(lines)


def _plain(value: Any) -> str:
    """A value as a person reads it: 4 significant digits for floats, no Python reprs."""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list | tuple):
        return ", ".join(_plain(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={_plain(v)}" for k, v in value.items())
    return str(value)


class EvaluationRecord(Result):
    """One held-out evaluation of a version, from the audit trail (``model.evaluate``)."""

    seq: int
    ts: str
    actor: str
    data: dict[str, str]
    evaluated: int | None
    metrics: dict[str, float | int | None]
    coverage: dict[str, float | int]


class EvaluationList(Result):
    evaluations: list[EvaluationRecord]

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([e.to_dict() for e in self.evaluations])


def _summary_fields(obj: Any, aliases: dict[str, int]) -> dict[str, Any]:
    c = obj.content
    return {
        "name": obj.name,
        "version": obj.version,
        "task": c["task"],
        "target": c["target"],
        "best_model": c["best"]["model"],
        "cv_metrics": c["cv_metrics"],
        "aliases": aliases,
        "created_by": obj.created_by,
        "created_at": str(obj.created_at),
    }


def list_registered(store: Store) -> ModelList:
    """Newest version of every registered model, with its aliases."""
    from pharmakon.core.registry import list_models, model_aliases

    with store.read_session() as session:
        return ModelList(
            models=[ModelSummary(**_summary_fields(o, model_aliases(session, o.name))) for o in list_models(session)]
        )


def show_model(store: Store, name: str, version: str | int | None = None) -> ModelDetail:
    """One version's record (newest, a number or an alias). Raises NotFoundError."""
    from pharmakon.core.registry import model_aliases, model_versions
    from pharmakon.store import get_object

    with store.read_session() as session:
        obj = get_object(session, "model", name, version)
        versions = [v.version for v in model_versions(session, name)]
        return ModelDetail(
            **_summary_fields(obj, model_aliases(session, name)), versions=versions, metadata=obj.content
        )


def model_evaluation_records(store: Store, name: str, version: str | int | None = None) -> EvaluationList:
    """Held-out evaluations of a version, newest first (from the audit trail)."""
    from pharmakon.core.evaluation import model_evaluations
    from pharmakon.store import get_object

    with store.read_session() as session:
        obj = get_object(session, "model", name, version)
        found = model_evaluations(session, name, obj.version)
    return EvaluationList(evaluations=[EvaluationRecord(**{**e, "ts": str(e["ts"])}) for e in found])


def model_card(store: Store, name: str, version: str | int | None = None) -> str:
    """A version's stored model card (standalone HTML with plots)."""
    from pharmakon.core.registry import model_card_html

    with store.read_session() as session:
        return model_card_html(session, name, version)
