"""Formulation design as a service: fit and predict CQA models, designs of experiments, batch proposals.

Each use case takes a typed spec (:mod:`pharmakon.nano.formulation.specs`), the store
and the :class:`~pharmakon.caller.Caller`, computes, stores what it made as a
versioned object and records one audit event (``nano.fit``, ``nano.predict``,
``nano.design``, ``nano.propose``) in the same transaction, with the caller's channel;
files are staged and published only after the event commits (nothing half-written).
``pharmakon nano ...``, the ``/api/v1/nano/formulation`` routes and the workbench
pages only build specs, call these functions and render what they return.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from pydantic import Field

from pharmakon.caller import Caller
from pharmakon.errors import InputError
from pharmakon.nano.formulation.specs import DesignSpec, FitSpec, PredictFileSpec, PredictRowsSpec, ProposeSpec
from pharmakon.results import Result

if TYPE_CHECKING:
    from pharmakon.nano.formulation.space import Space
    from pharmakon.store import Store

__all__ = [
    "MODEL_SET_KIND",
    "FitResult",
    "fit_formulation",
    "PredictFileResult",
    "predict_formulation_file",
    "PredictRowsResult",
    "predict_formulation_rows",
    "DesignResult",
    "design_experiments",
    "ProposalResult",
    "propose_experiments",
    "ModelSetInfo",
    "list_model_sets",
    "model_set",
]

MODEL_SET_KIND = "nano_model_set"
_DESIGN_KIND = "nano_design"
_PROPOSAL_KIND = "nano_proposal"


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    import json

    return json.loads(frame.to_json(orient="records", double_precision=15))


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.:@+-]", "_", text)


def member_name(name: str, target: str) -> str:
    """Registry name of the model of ``target`` in the set ``name``."""
    return f"{name}.{_safe(target)}"


# -- fit ------------------------------------------------------------------------------


class FitResult(Result):
    """A registered set of CQA models."""

    name: str
    version: int
    form: str
    targets: list[str]
    features: list[str]
    excluded: dict[str, str] = Field(description="Columns left out of the inputs, and why.")
    models: dict[str, dict[str, Any]] = Field(
        description="Per target: registry name, version, best family, CV metrics."
    )
    oof_r2: dict[str, float | None] = Field(
        description="Nested out-of-fold R² per target (repeated K-fold; model selection inside each outer fold)."
    )
    candidates: list[str] | None = Field(None, description="Model families selected from (None: the whole zoo).")
    oof_choices: dict[str, dict[str, int]] = Field(
        default_factory=dict, description="Per target: outer folds won by each family (or the ensemble)."
    )
    comparison: dict[str, dict[str, float | None]] = Field(description="Out-of-fold R² per form and target.")
    cv: int
    repeats: int
    rows: int
    oof_out: str | None = None

    def summary(self) -> str:
        lines = [f"registered CQA model set {self.name} v{self.version}: {self.form}, {self.rows} rows"]
        lines.append(f"  inputs: {', '.join(self.features)}")
        for col, why in self.excluded.items():
            lines.append(f"  not an input: {col} ({why})")
        lines.append(f"  candidate families: {', '.join(self.candidates) if self.candidates else 'the whole zoo'}")
        lines.append(f"nested out-of-fold R² ({self.repeats} x {self.cv}-fold CV, selection inside each fold)")
        for t in self.targets:
            m = self.models[t]
            r2 = self.oof_r2.get(t)
            lines.append(
                f"  {t:<16} {'' if r2 is None else f'{r2:.3f}':>7}  model {m['name']} v{m['version']} ({m['best']})"
            )
            if self.oof_choices.get(t):
                won = ", ".join(f"{k} {v}" for k, v in self.oof_choices[t].items())
                lines.append(f"  {'':<16} {'':>7}  outer folds won: {won}")
        if len(self.comparison) > 1:
            for form, scores in self.comparison.items():
                lines.append(f"  form {form}: " + ", ".join(f"{t} {v:.3f}" for t, v in scores.items() if v is not None))
        if self.oof_out:
            lines.append(f"wrote out-of-fold predictions to {self.oof_out}")
        return "\n".join(lines)


def _check_smiles(frame: pd.DataFrame, col: str, file: str | None) -> None:
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    for i, value in enumerate(frame[col].tolist(), 1):
        if isinstance(value, str) and value.strip() and Chem.MolFromSmiles(value) is None:
            raise InputError(f"lipid SMILES {value!r} cannot be parsed", file=file, row=i, field=col)


def _with_lipid_features(frame: pd.DataFrame, smiles_col: str | None) -> tuple[pd.DataFrame, list[str]]:
    """``frame`` plus the lipid-structure table of ``smiles_col`` (:func:`pharmakon.chem.lipids.lipid_descriptor_table`).

    A copy. The table's columns include every older ``LIPID_COLUMNS`` name, so model sets
    fitted with the narrower descriptors still find their inputs.
    """
    if not smiles_col:
        return frame, []
    from pharmakon.chem.lipids import lipid_descriptor_table

    desc = lipid_descriptor_table(frame[smiles_col].tolist())
    cols = [c for c in desc.columns if c not in frame.columns]
    return pd.concat([frame.reset_index(drop=True), desc[cols]], axis=1), cols


def fit_formulation(store: Store, spec: FitSpec, caller: Caller, *, frame: pd.DataFrame | None = None) -> FitResult:
    """Fit the CQA models (see :mod:`~pharmakon.nano.formulation.cqa`), register them and the set; audited.

    Every model is registered, with the set object and the ``nano.fit`` event, in one
    transaction; the OOF file is published only after it commits.

    Raises
    ------
    InputError
        Unreadable table, unknown column, implausible CQA value, unparsable SMILES.
    """
    from pharmakon.core.registry import register_model
    from pharmakon.files import staged_files
    from pharmakon.hashing import sha256_frame
    from pharmakon.nano.formulation.cqa import feature_columns, fit_cqa_models
    from pharmakon.nano.formulation.recipe import check_cqa_columns
    from pharmakon.store import record_event, save_object
    from pharmakon.tables import read_table

    if frame is None:
        if spec.data is None:
            raise InputError("give a training table (data)", field="data")
        frame = read_table(spec.data)
    file = str(spec.data) if spec.data is not None else None
    inputs, excluded = feature_columns(
        frame, spec.targets, smiles_col=spec.smiles_col, id_cols=spec.id_cols, features=spec.features, file=file
    )
    for t in spec.targets:
        values = pd.to_numeric(frame[t], errors="coerce")
        bad = values.isna() & frame[t].notna()
        if bad.any():
            r = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(f"{frame[t].iloc[r]!r} is not a number", file=file, row=r + 1, field=t)
    check_cqa_columns(frame, spec.targets, file=file)
    opts: dict[str, Any] = {
        "id_cols": list(spec.id_cols),
        "alpha": spec.alpha,
        "n_splits": spec.cv,
        "file": file,
        "models": spec.models,
        **({"budget_s": spec.budget_s} if spec.budget_s else {"trials": spec.trials}),
    }
    if spec.smiles_col:
        from pharmakon.chem.featurizers import make_featurizer

        _check_smiles(frame, spec.smiles_col, file)
        # the lipid descriptors join the table below, so the featurizer must not add them again
        featurizer = make_featurizer("morgan+rdkit2d", lipids="never")
        opts |= {"smiles_col": spec.smiles_col, "featurizer": featurizer}
    work, lipid_cols = _with_lipid_features(frame, spec.smiles_col)
    fitted = fit_cqa_models(
        work,
        spec.targets,
        inputs + lipid_cols,
        form=spec.form,
        cv=spec.cv,
        repeats=spec.repeats,
        seed=spec.seed,
        opts=opts,
    )
    oof_r2 = fitted.comparison[fitted.form]
    oof_frame = None
    if spec.oof_out is not None:
        oof_frame = frame.reset_index(drop=True).copy()
        for t in spec.targets:
            oof_frame[f"pred_{t}"] = fitted.oof[t]
    members: dict[str, dict[str, Any]] = {}
    with staged_files() as staged, store.session() as session:
        for t in spec.targets:
            model = fitted.models[t]
            model.steps.insert(0, _step(spec, caller, t))
            saved = register_model(session, model, name=member_name(spec.name, t), actor=caller.actor)
            members[t] = {
                "name": saved.name,
                "version": saved.version,
                "best": model.selection["best"]["model"],
                "cv_metrics": model.selection["cv_metrics"],
            }
        content = {
            "form": fitted.form,
            "targets": spec.targets,
            "features": inputs,
            "excluded": excluded,
            "smiles_col": spec.smiles_col,
            "lipid_features": lipid_cols,
            "id_cols": spec.id_cols,
            "models": {t: {"name": m["name"], "version": m["version"]} for t, m in members.items()},
            "oof_r2": oof_r2,
            "comparison": fitted.comparison,
            "candidates": fitted.candidates,
            "oof_choices": fitted.choices,
            "cv": spec.cv,
            "repeats": spec.repeats,
            "seed": spec.seed,
            "data_sha256": sha256_frame(frame),
        }
        obj = save_object(session, kind=MODEL_SET_KIND, name=spec.name, content=content, actor=caller.actor)
        outputs = {"model_set": obj.content_hash}
        if oof_frame is not None:
            staged.write_bytes(spec.oof_out, oof_frame.to_csv(index=False).encode("utf-8"))
            outputs["oof"] = staged.sha256(spec.oof_out)
        record_event(
            session,
            actor=caller.actor,
            action="nano.fit",
            object_type=MODEL_SET_KIND,
            object_id=f"{obj.name}@{obj.version}",
            inputs={"data": content["data_sha256"]},
            outputs=outputs,
            params={
                "targets": spec.targets,
                "form": fitted.form,
                "source": spec.data.name if spec.data else None,
                "channel": caller.channel,
            },
        )
    return FitResult(
        name=obj.name,
        version=obj.version,
        form=fitted.form,
        targets=spec.targets,
        features=inputs,
        excluded=excluded,
        models=members,
        oof_r2=oof_r2,
        candidates=fitted.candidates,
        oof_choices=fitted.choices,
        comparison=fitted.comparison,
        cv=spec.cv,
        repeats=spec.repeats,
        rows=len(frame),
        oof_out=str(spec.oof_out) if spec.oof_out else None,
    )


def _step(spec: FitSpec, caller: Caller, target: str) -> dict[str, Any]:
    import time

    return {
        "action": "model.train",
        "params": {"name": member_name(spec.name, target), "set": spec.name, "channel": caller.channel},
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


# -- predict ---------------------------------------------------------------------------


class ModelSetInfo(Result):
    """A stored CQA model set."""

    name: str
    version: int
    form: str
    targets: list[str]
    features: list[str]
    smiles_col: str | None = None
    oof_r2: dict[str, float | None]
    created_by: str
    created_at: str


def _info(obj: Any) -> ModelSetInfo:
    c = obj.content
    return ModelSetInfo(
        name=obj.name,
        version=obj.version,
        form=c["form"],
        targets=c["targets"],
        features=c["features"],
        smiles_col=c.get("smiles_col"),
        oof_r2=c["oof_r2"],
        created_by=obj.created_by,
        created_at=str(obj.created_at),
    )


def list_model_sets(store: Store) -> list[ModelSetInfo]:
    """Newest version of every stored CQA model set."""
    from pharmakon.store import list_objects

    with store.read_session() as session:
        return [_info(o) for o in list_objects(session, MODEL_SET_KIND)]


def model_set(store: Store, name: str, version: int | None = None) -> ModelSetInfo:
    """One stored model set (NotFoundError when absent)."""
    from pharmakon.store import get_object

    with store.read_session() as session:
        return _info(get_object(session, MODEL_SET_KIND, name, version))


def _load(store: Store, name: str, version: int | None) -> tuple[Any, dict[str, Any]]:
    from pharmakon.core.registry import load_model
    from pharmakon.store import get_object

    with store.read_session() as session:
        obj = get_object(session, MODEL_SET_KIND, name, version)
        models = {t: load_model(session, m["name"], m["version"], cache=True) for t, m in obj.content["models"].items()}
    return obj, models


def _predict(store: Store, name: str, version: int | None, frame: pd.DataFrame, file: str | None):
    from pharmakon.nano.formulation.cqa import predict_cqa

    obj, models = _load(store, name, version)
    smiles_col = obj.content.get("smiles_col")
    if smiles_col and smiles_col not in frame.columns:
        raise InputError(
            f"the model set reads lipid structures from column {smiles_col!r}", file=file, field=smiles_col
        )
    work, added = _with_lipid_features(frame, smiles_col if obj.content.get("lipid_features") else None)
    table, warnings = predict_cqa(models, obj.content["targets"], obj.content["form"], work, file=file)
    return obj, table.drop(columns=added), warnings


def _audit_predict(store, caller, obj, frame, table, source: str | None, staged=None, out: Path | None = None):
    from pharmakon.hashing import sha256_frame
    from pharmakon.store import record_event

    params: dict[str, Any] = {"rows": len(table), "channel": caller.channel}
    if source:
        params["source"] = source
    with store.session() as session:
        if staged is not None:
            staged.write_bytes(out, table.to_csv(index=False).encode("utf-8"))
        record_event(
            session,
            actor=caller.actor,
            action="nano.predict",
            object_type=MODEL_SET_KIND,
            object_id=f"{obj.name}@{obj.version}",
            inputs={"data": sha256_frame(frame)},
            outputs={"predictions": sha256_frame(table)},
            params=params,
        )


class PredictFileResult(Result):
    """What a file prediction wrote."""

    name: str
    version: int
    rows: int
    in_domain: int
    output: str
    warnings: list[str]

    def summary(self) -> str:
        return (
            f"wrote {self.rows} rows to {self.output} (model set {self.name} v{self.version}; "
            f"{self.in_domain} in every model's domain)"
        )


def predict_formulation_file(store: Store, spec: PredictFileSpec, caller: Caller) -> PredictFileResult:
    """Predict every row of ``spec.data`` into ``spec.out`` (published after the audit event)."""
    from pharmakon.files import staged_files
    from pharmakon.tables import read_table

    frame = read_table(spec.data)
    obj, table, warnings = _predict(store, spec.name, spec.version, frame, str(spec.data))
    with staged_files() as staged:
        _audit_predict(store, caller, obj, frame, table, spec.data.name, staged, spec.out)
    return PredictFileResult(
        name=obj.name,
        version=obj.version,
        rows=len(table),
        in_domain=int(table["in_domain"].sum()),
        output=str(spec.out),
        warnings=warnings,
    )


class PredictRowsResult(Result):
    """Predicted CQAs with intervals for each given recipe."""

    name: str
    version: int
    targets: list[str]
    rows: list[dict[str, Any]] = Field(description="Input columns plus pred_/lower_/upper_<target>, in_domain.")
    warnings: list[str]

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)


def predict_formulation_rows(store: Store, spec: PredictRowsSpec, caller: Caller) -> PredictRowsResult:
    """Predict in-memory recipes (REST, the formulation editor); audited as ``nano.predict``."""
    frame = pd.DataFrame(spec.rows)
    obj, table, warnings = _predict(store, spec.name, spec.version, frame, None)
    _audit_predict(store, caller, obj, frame, table, None)
    return PredictRowsResult(
        name=obj.name, version=obj.version, targets=obj.content["targets"], rows=_records(table), warnings=warnings
    )


# -- designs ------------------------------------------------------------------------------


def _space_of(spec: DesignSpec | ProposeSpec) -> tuple[Space, str | None]:
    from pharmakon.nano.formulation.space import load_space

    if spec.space is not None:
        return spec.space, None
    if spec.space_file is None:
        raise InputError("give a design space (space, --space)", field="space")
    return load_space(spec.space_file), str(spec.space_file)


class DesignResult(Result):
    """A design table and what it is."""

    kind: str
    runs: int
    factors: list[str]
    resolution: int | None = None
    notes: list[str]
    rows: list[dict[str, Any]]
    name: str | None = None
    version: int | None = None
    output: str | None = None

    def summary(self) -> str:
        head = f"{self.kind} design: {self.runs} runs x {len(self.factors)} factors"
        if self.name:
            head += f" (stored as {self.name} v{self.version})"
        lines = [head] + [f"  {n}" for n in self.notes]
        if self.output:
            lines.append(f"wrote {self.output}")
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=self.factors)


def design_experiments(store: Store, spec: DesignSpec, caller: Caller) -> DesignResult:
    """Build the design (:func:`~pharmakon.nano.formulation.designs.make_design`), store and audit it."""
    from pharmakon.files import staged_files
    from pharmakon.hashing import sha256_frame
    from pharmakon.nano.formulation.designs import make_design
    from pharmakon.store import record_event, save_object

    space, file = _space_of(spec)
    try:
        design = make_design(space, spec.kind, runs=spec.runs, levels=spec.levels, seed=spec.seed)
    except InputError as exc:
        if file and exc.file is None:
            raise InputError(str(exc), file=file) from None
        raise
    rows = _records(design.table)
    name = spec.name or (Path(file).stem if file else f"design-{spec.kind}")
    name = _safe(name).lstrip("_.-") or "design"
    content = {"kind": design.kind, "space": space.model_dump(mode="json"), "rows": rows, "notes": design.notes}
    content |= {"resolution": design.resolution, "seed": spec.seed, "levels": spec.levels, "runs": spec.runs}
    with staged_files() as staged, store.session() as session:
        obj = save_object(session, kind=_DESIGN_KIND, name=name, content=content, actor=caller.actor)
        outputs = {"design": sha256_frame(design.table)}
        if spec.out is not None:
            staged.write_bytes(spec.out, design.table.to_csv(index=False).encode("utf-8"))
        record_event(
            session,
            actor=caller.actor,
            action="nano.design",
            object_type=_DESIGN_KIND,
            object_id=f"{obj.name}@{obj.version}",
            outputs=outputs,
            params={"kind": design.kind, "runs": len(design.table), "channel": caller.channel},
        )
    return DesignResult(
        kind=design.kind,
        runs=len(design.table),
        factors=space.names,
        resolution=design.resolution,
        notes=design.notes,
        rows=rows,
        name=obj.name,
        version=obj.version,
        output=str(spec.out) if spec.out else None,
    )


# -- proposals ----------------------------------------------------------------------------


class ProposalResult(Result):
    """The next batch: K rows with predicted responses, intervals and acquisition."""

    batch: int
    sampler: str
    objectives: list[str]
    constraints: list[str]
    columns: list[str]
    rows: list[dict[str, Any]]
    observations: int = Field(description="Observations the proposal was based on.")
    observations_sha256: str
    notes: list[str]
    name: str | None = None
    version: int | None = None
    output: str | None = None

    def summary(self) -> str:
        head = f"proposed {self.batch} experiments ({self.sampler}) from {self.observations} observations"
        if self.name:
            head += f"; stored as {self.name} v{self.version}"
        lines = [head, "  objectives: " + ", ".join(self.objectives)]
        if self.constraints:
            lines.append("  constraints: " + ", ".join(self.constraints))
        lines += [f"  note: {n}" for n in self.notes]
        lines.append(self.to_frame().to_string(index=False, float_format=lambda v: f"{v:.4g}"))
        if self.output:
            lines.append(f"wrote {self.output}")
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=self.columns)


def _table_of(path: Path | None, rows: list[dict] | None, what: str) -> tuple[pd.DataFrame | None, str | None]:
    from pharmakon.tables import read_table

    if path is not None:
        return read_table(path), str(path)
    if rows is not None:
        return pd.DataFrame(rows), None
    return None, None


def propose_experiments(store: Store, spec: ProposeSpec, caller: Caller) -> ProposalResult:
    """Propose the next batch (:func:`~pharmakon.nano.formulation.propose.propose_batch`); store and audit it.

    The stored proposal records the hash and row count of the observations it was based on.
    """
    from pharmakon.files import staged_files
    from pharmakon.hashing import sha256_frame
    from pharmakon.nano.formulation.propose import parse_objective, parse_output_constraint, propose_batch
    from pharmakon.store import record_event, save_object

    space, space_file = _space_of(spec)
    observed, obs_file = _table_of(spec.observed, spec.observed_rows, "observed")
    if observed is None:
        raise InputError("give the observations (observed, --observed)", field="observed")
    pool, _ = _table_of(spec.candidates, spec.candidate_rows, "candidates")
    if pool is not None and spec.id_col and spec.id_col not in pool.columns:
        raise InputError(f"id column not in the pool (columns: {list(pool.columns)})", field=spec.id_col)
    objectives = [parse_objective(o) for o in spec.objectives]
    constraints = [parse_output_constraint(c) for c in spec.constraints]
    proposal = propose_batch(
        space,
        observed,
        objectives,
        k=spec.batch,
        constraints=constraints,
        candidates=pool,
        id_col=spec.id_col if pool is not None else None,
        seed=spec.seed,
        sampler=spec.sampler,
        alpha=spec.alpha,
        file=obs_file or space_file,
    )
    table = proposal.table
    rows = _records(table)
    obs_hash = sha256_frame(observed)
    name = _safe(spec.name or (Path(space_file).stem + "-next" if space_file else "proposal")).lstrip("_.-")
    content = {
        "space": space.model_dump(mode="json"),
        "objectives": spec.objectives,
        "constraints": spec.constraints,
        "sampler": spec.sampler,
        "seed": spec.seed,
        "observations": {"rows": len(observed), "sha256": obs_hash, "data": _records(observed)},
        "rows": rows,
        "notes": proposal.notes,
    }
    with staged_files() as staged, store.session() as session:
        obj = save_object(session, kind=_PROPOSAL_KIND, name=name or "proposal", content=content, actor=caller.actor)
        if spec.out is not None:
            staged.write_bytes(spec.out, table.to_csv(index=False).encode("utf-8"))
        record_event(
            session,
            actor=caller.actor,
            action="nano.propose",
            object_type=_PROPOSAL_KIND,
            object_id=f"{obj.name}@{obj.version}",
            inputs={"observations": obs_hash},
            outputs={"proposal": sha256_frame(table)},
            params={**spec.describe(), "sampler": spec.sampler, "channel": caller.channel},
        )
    return ProposalResult(
        batch=len(table),
        sampler=spec.sampler,
        objectives=spec.objectives,
        constraints=spec.constraints,
        columns=list(table.columns),
        rows=rows,
        observations=len(observed),
        observations_sha256=obs_hash,
        notes=proposal.notes,
        name=obj.name,
        version=obj.version,
        output=str(spec.out) if spec.out else None,
    )
