"""The ADMET panel as a service: endpoints, training, prediction (in memory and files), explanation.

``pharmakon admet ...``, the ``/api/v1/admet`` routes, the ``/admet`` workbench pages and
the seeded example all build these specs and call these functions (defaults defined
here, once), so the channels cannot drift apart.

One ``admet.predict`` audit event per prediction, the same payload on every channel:

* ``inputs={"molecules": ...}``: SHA-256 of the molecules in order, as the CSV lines
  ``id,input`` (no header; empty id and empty SMILES as empty fields), whatever format
  they came in (JSON, pasted text, CSV/SMI/SDF file);
* ``outputs={"predictions": ...}``: SHA-256 of the panel as CSV (header, ``\\n`` line
  ends), which for a file prediction is the output file's own SHA-256;
* ``params``: ``models`` (endpoint -> ``model@version``), ``rows``, ``invalid_rows``,
  ``alerts``, ``channel``, and ``source`` (the file name) when a file was read.

"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
from pydantic import BaseModel, Field, PrivateAttr

from pharmakon.caller import Caller
from pharmakon.chem.admet import Endpoint
from pharmakon.errors import InputError
from pharmakon.results import Result, result_of
from pharmakon.specs import Spec

if TYPE_CHECKING:
    from pharmakon.store import Store

__all__ = [
    "MAX_MOLECULES",
    "MAX_TOP",
    "CatalogueEndpoint",
    "EndpointCatalogue",
    "list_endpoints",
    "EndpointQuality",
    "EndpointInfo",
    "RegisteredEndpoints",
    "registered_endpoints",
    "PanelTrainSpec",
    "TrainedEndpoint",
    "PanelTrainResult",
    "train_endpoints",
    "PanelPredictSpec",
    "PanelPrediction",
    "predict_molecules",
    "PanelFileSpec",
    "PanelFileResult",
    "predict_molecule_file",
    "ExplainSpec",
    "Attribution",
    "Explanation",
    "explain_prediction",
]

#: Molecules per in-memory request (files of any size: ``pharmakon admet predict``).
MAX_MOLECULES = 5_000
#: Most SHAP attributions one explanation returns.
MAX_TOP = 25


class _Spec(Spec):
    """Base of the ADMET panel specs."""


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """DataFrame -> JSON-ready records (NaN -> None, numpy scalars -> Python)."""
    import json

    return json.loads(frame.to_json(orient="records", double_precision=15))


# -- endpoints --------------------------------------------------------------------------------


class CatalogueEndpoint(result_of(Endpoint)):
    """One panel endpoint of the catalogue (:data:`pharmakon.chem.admet.ENDPOINTS`)."""


class EndpointCatalogue(Result):
    """Every endpoint the panel can train, in panel order."""

    endpoints: list[CatalogueEndpoint]

    def summary(self) -> str:
        return f"{len(self.endpoints)} ADMET endpoints: " + ", ".join(e.name for e in self.endpoints)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([e.to_dict() for e in self.endpoints])


def list_endpoints() -> EndpointCatalogue:
    """The panel's endpoints: data set, table, target, task, training split."""
    from dataclasses import asdict

    from pharmakon.chem.admet import ENDPOINTS

    return EndpointCatalogue(endpoints=[CatalogueEndpoint(**asdict(e)) for e in ENDPOINTS.values()])


class EndpointQuality(BaseModel):
    """An endpoint model's cross-validated quality (:func:`pharmakon.chem.admet.endpoint_quality`)."""

    metric: str = Field(description="r2 (regression) or auroc (classification).")
    value: float | None = Field(description="Cross-validated value; null if not computed.")
    threshold: float = Field(description="Below this the endpoint is a weak model.")
    weak: bool = Field(description="The value is below the threshold (or missing): treat predictions with caution.")
    text: str = Field(description='For people, e.g. "CV r² 0.015: weak model (below 0.3)".')


class EndpointInfo(Result):
    """A registered endpoint model: the version users are served (``production``, else the newest)."""

    name: str
    model: str
    version: int = Field(description="The version served: the production alias, else the newest.")
    newest_version: int
    alias: str | None = Field(None, description="'production' when the served version is the production alias.")
    note: str | None = Field(None, description="Why the served version is not production (none registered).")
    task: str
    description: str
    best_model: str
    cv_metrics: dict[str, float | None]
    quality: EndpointQuality
    coverage: float | None = Field(None, description="Nominal coverage of the conformal intervals/sets.")
    positive_class: str | None = Field(None, description="Classification: the class whose probability is `_p1`.")


class RegisteredEndpoints(Result):
    endpoints: list[EndpointInfo]

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([e.to_dict() for e in self.endpoints])


def registered_endpoints(store: Store) -> RegisteredEndpoints:
    """Every registered ``admet.*`` model at the version users are served, in panel order.

    That is its ``production`` version, or its newest with a ``note`` where it has no
    production alias (:func:`pharmakon.chem.admet.served_versions`), with its
    cross-validated quality and "weak model" flag.
    """
    from pharmakon.chem.admet import ENDPOINTS, MODEL_PREFIX, SERVED_ALIAS, endpoint_quality
    from pharmakon.core.registry import list_models, model_aliases, model_versions

    order = {name: k for k, name in enumerate(ENDPOINTS)}
    out = []
    with store.read_session() as session:
        for newest in list_models(session):
            if not newest.name.startswith(MODEL_PREFIX):
                continue
            served, note = newest, None
            aliased = model_aliases(session, newest.name).get(SERVED_ALIAS)
            if aliased is not None and aliased != newest.version:
                served = next(o for o in model_versions(session, newest.name) if o.version == aliased)
            elif aliased is None:
                note = (
                    f"no {SERVED_ALIAS} version: serving the newest, v{newest.version} (promote one with "
                    f"`pharmakon model promote {newest.name} --version N --alias {SERVED_ALIAS}`)"
                )
            name, c = newest.name[len(MODEL_PREFIX) :], served.content
            known = ENDPOINTS.get(name)
            out.append(
                EndpointInfo(
                    name=name,
                    model=newest.name,
                    version=served.version,
                    newest_version=newest.version,
                    alias=SERVED_ALIAS if aliased is not None else None,
                    note=note,
                    task=c["task"],
                    description=known.description if known else f"custom endpoint (target {c['target']})",
                    best_model=c["best"]["model"],
                    cv_metrics=c["cv_metrics"],
                    quality=EndpointQuality(**endpoint_quality(c["task"], c["cv_metrics"])),
                    coverage=(c.get("uncertainty") or {}).get("nominal_coverage"),
                    positive_class=c["classes"][-1] if c.get("classes") else None,
                )
            )
    return RegisteredEndpoints(endpoints=sorted(out, key=lambda e: (order.get(e.name, len(order)), e.name)))


def _served_notes(
    session: Any, endpoints: Sequence[str] | None, version: str | None, profile: str = "full"
) -> dict[str, str]:
    from pharmakon.chem.admet import served_versions

    served = served_versions(session, endpoints, version=version, profile=profile)
    return {n: note for n, (_, note) in served.items() if note}


def _quality(models: dict[str, Any]) -> dict[str, EndpointQuality]:
    from pharmakon.chem.admet import endpoint_quality

    return {n: EndpointQuality(**endpoint_quality(m.task, m.selection["cv_metrics"])) for n, m in models.items()}


def _warnings(notes: dict[str, str], quality: dict[str, EndpointQuality]) -> list[str]:
    lines = [f"{n}: {q.text}" for n, q in quality.items() if q.weak]
    return lines + [f"{n}: {note}" for n, note in notes.items()]


# -- train ------------------------------------------------------------------------------------


class PanelTrainSpec(_Spec):
    """Train panel endpoints from the catalogue and register them as ``admet.<endpoint>``."""

    endpoints: list[str] | None = Field(
        None, description="Endpoint names or groups (biogen, moleculenet, pharmabench); default all."
    )
    budget_s: float = Field(
        60.0,
        ge=1,
        le=86400,
        description="Seconds per endpoint, counted from loading its data (featurization included). Margin: "
        "an endpoint may pass it by one cross-validation of the baseline model (always run, even when "
        "featurization spent the budget) plus the refit of the chosen model, calibration and registration.",
    )
    trials: int | None = Field(
        None,
        ge=0,
        le=10_000,
        description="Fixed work instead of the budget: screen every family, then this many Optuna trials per "
        "endpoint; the same data and seed give the same models on any machine (budget_s is then ignored).",
    )
    seed: int = Field(0, ge=0, description="Random seed (folds, models, Optuna, row subsets).")
    max_rows: int | None = Field(
        None, ge=50, description="Train on a seeded random subset of at most this many rows per endpoint."
    )
    profile: Literal["full", "screen"] = Field(
        "full",
        description="full: the exact panel (admet.<endpoint>); screen: fingerprint-only models for triaging "
        "large libraries (admet-screen.<endpoint>), same lifecycle (conformal intervals, domain flag).",
    )
    featurizer: str | None = Field(
        None,
        max_length=64,
        description="SMILES features, '+'-joined: morgan, rdkit2d, erg, maccs, lipid, pharmabench (default: morgan+rdkit2d; screen: morgan).",
    )
    models: list[str] | None = Field(
        None,
        description="Model families (default: ridge/logistic, lightgbm, xgboost, rf, mlp: fast to predict; "
        "screen: ridge/logistic, lightgbm).",
    )
    cv_split: Literal["random", "scaffold"] = Field(
        "random", description="CV folds: random | scaffold (Bemis-Murcko groups: measure new series)."
    )
    alias: str | None = Field(None, max_length=64, description="Also point this alias at each model.")
    reason: str | None = Field(None, max_length=2000, description="Why (kept in the audit trail).")


class TrainedEndpoint(Result):
    endpoint: str
    model: str
    version: int
    task: str
    rows: int
    best: str
    cv_metrics: dict[str, float | None]
    seconds: float

    def summary(self) -> str:
        metrics = ", ".join(f"{k} {v:.3f}" for k, v in self.cv_metrics.items() if v is not None and k != "n")
        return (
            f"{self.model} v{self.version}: {self.task}, {self.rows} rows, best {self.best} "
            f"(CV {metrics}) in {self.seconds} s"
        )


class PanelTrainResult(Result):
    """The endpoints trained and registered, in order."""

    endpoints: list[TrainedEndpoint]

    def summary(self) -> str:
        return "\n".join(e.summary() for e in self.endpoints)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([e.to_dict() for e in self.endpoints])


def train_endpoints(
    store: Store,
    spec: PanelTrainSpec,
    caller: Caller,
    *,
    progress: Callable[[str, int, int], None] | None = None,
) -> PanelTrainResult:
    """Train and register ``spec.endpoints`` (all or none: one store transaction).

    Each endpoint's lifecycle steps are audited by the registry, the first
    (``admet.endpoint``) with the caller's channel. ``progress(endpoint, done, total)``.
    """
    from pharmakon.chem import admet

    with store.session() as session:
        rows = admet.train_panel(
            session,
            spec.endpoints or None,
            actor=caller.actor,
            channel=caller.channel,
            budget_s=spec.budget_s,
            trials=spec.trials,
            seed=spec.seed,
            max_rows=spec.max_rows,
            featurizer=spec.featurizer,
            alias=spec.alias,
            reason=spec.reason,
            progress=progress,
            models=spec.models or None,
            cv_split=spec.cv_split,
            profile=spec.profile,
        )
    return PanelTrainResult(endpoints=[TrainedEndpoint(**r) for r in rows])


# -- predict ----------------------------------------------------------------------------------


class PanelPredictSpec(_Spec):
    """The panel for molecules held in memory (REST body, workbench form, Python)."""

    smiles: list[str | None] = Field(..., description=f"SMILES, at most {MAX_MOLECULES:,} per request.")
    ids: list[str] | None = Field(None, description="One identifier per SMILES, copied to the rows.")
    endpoints: list[str] | None = Field(None, description="Endpoint names or groups; default every registered one.")
    alerts: bool = Field(True, description="Add PAINS/Brenk alerts, Lipinski/Veber counts and QED.")
    profile: Literal["full", "screen"] = Field(
        "full", description="full: the exact panel; screen: the fingerprint-only screening panel."
    )


class PanelPrediction(Result):
    """The panel for each molecule, in input order."""

    models: dict[str, str] = Field(..., description="Endpoint -> model@version used.")
    notes: dict[str, str] = Field(
        default_factory=dict, description="Endpoint -> why its served version is not production (none registered)."
    )
    quality: dict[str, EndpointQuality] = Field(
        default_factory=dict, description="Endpoint -> cross-validated quality and weak-model flag."
    )
    count: int
    invalid: int
    in_domain: dict[str, int] = Field(
        default_factory=dict,
        description="Per endpoint, predictions inside the model's applicability domain (molecules like the "
        "training data; it says nothing about the model's accuracy, see quality).",
    )
    rows: list[dict[str, Any]] = Field(..., description="One record per input, in order; NaN as null.")
    _frame: pd.DataFrame | None = PrivateAttr(default=None)

    def summary(self) -> str:
        line = f"{self.count} molecule(s) x {len(self.models)} endpoint(s); {self.invalid} invalid; " + ", ".join(
            f"{k} {v} in domain" for k, v in self.in_domain.items()
        )
        return "\n".join([line, *(f"warning: {w}" for w in _warnings(self.notes, self.quality))])

    def to_frame(self) -> pd.DataFrame:
        """The panel table (``pharmakon admet predict``'s columns)."""
        return self._frame.copy() if self._frame is not None else pd.DataFrame(self.rows)


class PanelFileSpec(_Spec):
    """Stream a molecule file of any size through the panel into a CSV (``pharmakon admet predict``)."""

    input: Path = Field(description="Molecules: .csv/.tsv (a SMILES column), .smi or .sdf.")
    out: Path = Field(description="Output CSV, one row per molecule (written atomically).")
    endpoints: list[str] | None = Field(None, description="Endpoint names or groups; default every registered one.")
    backend: Literal["local", "ray", "serial"] | None = Field(None, description="Executor (default: local pool).")
    chunk_size: int = Field(5000, ge=1, le=1_000_000, description="Molecules per chunk.")
    jobs: int | None = Field(None, ge=1, description="Worker processes (default: all cores).")
    smiles_col: str | None = Field(None, description="SMILES column of a CSV (default: detected).")
    id_col: str | None = Field(None, description="Identifier column of a CSV, copied to the output.")
    alerts: bool | None = Field(
        None, description="Add PAINS/Brenk alerts and drug-likeness (default: yes for full, no for screen)."
    )
    profile: Literal["full", "screen"] = Field(
        "full",
        description="full: the exact panel; screen: fingerprint-only models for large libraries (alerts on demand).",
    )
    version: str | None = Field(
        None,
        description="Model version or alias for every endpoint (default: each endpoint's production version, "
        "else its newest, with a note).",
    )


class PanelFileResult(Result):
    """What a file prediction wrote."""

    rows: int
    invalid: int
    invalid_rows: list[dict[str, Any]] = Field(description="The first 20 invalid rows: row, input, status.")
    in_domain: dict[str, int]
    seconds: float
    molecules_per_s: float | None
    endpoints: list[str]
    output: str
    models: dict[str, str] = Field(description="Endpoint -> model@version used.")
    notes: dict[str, str] = Field(
        default_factory=dict, description="Endpoint -> why its served version is not production (none registered)."
    )
    quality: dict[str, EndpointQuality] = Field(
        default_factory=dict, description="Endpoint -> cross-validated quality and weak-model flag."
    )

    def summary(self) -> str:
        line = (
            f"wrote {self.rows:,} rows x {len(self.models)} endpoints to {self.output} in {self.seconds} s "
            f"({self.molecules_per_s} molecules/s; {self.invalid} invalid)"
        )
        return "\n".join([line, *(f"warning: {w}" for w in _warnings(self.notes, self.quality))])


def _molecules_sha256(chunks: Iterable[pd.DataFrame]) -> str:
    """SHA-256 of the molecules' ``id,input`` CSV lines (no header), chunk by chunk."""
    from pharmakon.chem.panel_io import molecule_lines

    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(molecule_lines(chunk).encode())
    return digest.hexdigest()


def _audit_predict(
    store: Store,
    caller: Caller,
    *,
    molecules: str,
    predictions: str,
    models: dict[str, str],
    rows: int,
    invalid: int,
    alerts: bool,
    source: str | None,
    profile: str = "full",
) -> None:
    from pharmakon.chem.admet import model_prefix
    from pharmakon.store import record_event

    params: dict[str, Any] = {"models": models, "rows": rows, "invalid_rows": invalid, "alerts": alerts}
    if profile != "full":  # full-profile events keep the fields they always had
        params["profile"] = profile
    if source:
        params["source"] = source
    with store.session() as session:
        record_event(
            session,
            actor=caller.actor,
            action="admet.predict",
            object_type="model",
            object_id=model_prefix(profile) + "panel",
            inputs={"molecules": molecules},
            outputs={"predictions": predictions},
            params=params | {"channel": caller.channel},
        )


def predict_molecules(
    store: Store,
    spec: PanelPredictSpec,
    caller: Caller,
    *,
    parse_errors: Sequence[str] | None = None,
    source: str | None = None,
) -> PanelPrediction:
    """Predict the registered panel (kept loaded between calls) for ``spec.smiles`` and audit it.

    Parameters
    ----------
    parse_errors : sequence of str, optional
        Per molecule, why the file reader could not read it ("" when it could); such
        rows get ``status`` ``invalid: <reason>`` (SDF records RDKit cannot parse).
    source : str, optional
        Upload file name, kept in the audit event.

    Raises
    ------
    InputError
        More than :data:`MAX_MOLECULES`, none, ids that do not match, unknown or
        unregistered endpoints.
    """
    import numpy as np

    from pharmakon.chem.admet import load_panel
    from pharmakon.chem.panel_io import shared_panel
    from pharmakon.hashing import sha256_bytes

    smiles = spec.smiles
    if len(smiles) > MAX_MOLECULES:
        raise InputError(
            f"at most {MAX_MOLECULES:,} molecules per request, got {len(smiles):,}; split the batch "
            "or use `pharmakon admet predict FILE` for files of any size",
            field="smiles",
        )
    with store.read_session() as session:
        models = load_panel(session, spec.endpoints or None, cache=True, profile=spec.profile)
        notes = _served_notes(session, spec.endpoints or None, None, spec.profile)
    panel = shared_panel(models, spec.profile)
    frame = panel.predict_smiles(list(smiles), ids=spec.ids, alerts=spec.alerts)
    if parse_errors is not None:
        errors = np.asarray(list(parse_errors), dtype=object)
        frame["status"] = np.where(errors != "", "invalid: " + errors.astype(str), frame["status"].to_numpy())
    refs = {name: f"{m.registry['name']}@{m.registry['version']}" for name, m in models.items()}
    ok = frame["status"].eq("ok")
    invalid = int((~ok).sum())
    _audit_predict(
        store,
        caller,
        molecules=_molecules_sha256([frame]),
        predictions=sha256_bytes(frame.to_csv(index=False, lineterminator="\n").encode("utf-8")),
        models=refs,
        rows=len(frame),
        invalid=invalid,
        alerts=spec.alerts,
        source=source,
        profile=spec.profile,
    )
    result = PanelPrediction(
        models=refs,
        notes=notes,
        quality=_quality(models),
        count=len(frame),
        invalid=invalid,
        in_domain={n: int(frame.loc[ok, f"{n}_in_domain"].astype(bool).sum()) for n in refs},
        rows=_records(frame),
    )
    result._frame = frame
    return result


def predict_molecule_file(
    store: Store, spec: PanelFileSpec, caller: Caller, *, progress: Callable[[int], None] | None = None
) -> PanelFileResult:
    """Stream ``spec.input`` through the registered panel into ``spec.out`` and audit it.

    Constant memory whatever the file's size: chunks of ``chunk_size`` molecules go to the
    executor's workers, which load the registered models themselves; the output replaces
    ``spec.out`` only when every chunk succeeded, after the ``admet.predict`` event is
    recorded; its hashes are computed while streaming (the molecules as read, the output's bytes).
    ``progress(molecules_done)`` is called as chunks finish.
    """
    from pharmakon.chem.admet import registered_panel
    from pharmakon.chem.panel_io import predict_file

    alerts = spec.alerts if spec.alerts is not None else spec.profile == "full"  # screen: alerts on demand
    with store.read_session() as session:  # resolved and version-checked here; the workers load the models
        panel = registered_panel(session, spec.endpoints or None, version=spec.version, profile=spec.profile)
        notes = _served_notes(session, spec.endpoints or None, spec.version, spec.profile)
        quality = _stored_quality(session, panel.refs)

    def record(summary: dict[str, Any], *, molecules_sha256: str, output_sha256: str) -> None:
        _audit_predict(
            store,
            caller,
            molecules=molecules_sha256,
            predictions=output_sha256,
            models=panel.refs,
            rows=summary["rows"],
            invalid=summary["invalid"],
            alerts=alerts,
            source=spec.input.name,
            profile=spec.profile,
        )

    # The event is recorded before the output appears under its name: any output has its event.
    summary = predict_file(
        panel,
        spec.input,
        spec.out,
        backend=spec.backend,
        chunk_size=spec.chunk_size,
        smiles_col=spec.smiles_col,
        id_col=spec.id_col,
        n_jobs=spec.jobs,
        alerts=alerts,
        progress=progress,
        before_publish=record,
        profile=spec.profile,
    )
    return PanelFileResult(**summary, models=panel.refs, notes=notes, quality=quality)


def _stored_quality(session: Any, refs: dict[str, str]) -> dict[str, EndpointQuality]:
    """Quality of the ``model@version`` refs from their stored metadata (nothing unpickled)."""
    from pharmakon.chem.admet import endpoint_quality
    from pharmakon.core.registry import model_versions

    out = {}
    for endpoint, ref in refs.items():
        name, version = ref.rsplit("@", 1)
        content = next(o.content for o in model_versions(session, name) if o.version == int(version))
        out[endpoint] = EndpointQuality(**endpoint_quality(content["task"], content["cv_metrics"]))
    return out


# -- explain ----------------------------------------------------------------------------------


class ExplainSpec(_Spec):
    """One molecule, one endpoint: the prediction and its top SHAP attributions."""

    smiles: str = Field(min_length=1, max_length=10_000, description="The molecule (SMILES).")
    endpoint: str = Field(min_length=1, description="A registered endpoint.")
    top: int = Field(10, ge=1, le=MAX_TOP, description="How many features, by |SHAP|.")


class Attribution(BaseModel):
    feature: str
    shap: float
    substructure: str


class Explanation(Result):
    """Why one endpoint predicted what it did for one molecule."""

    endpoint: str
    model: str
    version: int
    task: str
    description: str
    smiles: str
    canonical: str | None
    prediction: dict[str, Any] = Field(..., description="The panel columns of this endpoint for this molecule.")
    coverage: float | None = Field(None, description="Nominal coverage of the conformal interval/set.")
    quality: EndpointQuality
    note: str | None = Field(None, description="Why the version explained is not production (none registered).")
    explains: str
    attributions: list[Attribution]

    def summary(self) -> str:
        lines = [f"{self.endpoint} ({self.model} v{self.version}) for {self.smiles}: SHAP of {self.explains}"]
        notes = {self.endpoint: self.note} if self.note else {}
        lines += [f"warning: {w}" for w in _warnings(notes, {self.endpoint: self.quality})]
        lines += [f"  {a.shap:+.4f}  {a.feature}  {a.substructure}" for a in self.attributions]
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([a.model_dump() for a in self.attributions])


def explain_prediction(store: Store, spec: ExplainSpec) -> Explanation:
    """One molecule's prediction for one endpoint and its top ``spec.top`` SHAP attributions.

    Raises
    ------
    InputError
        The endpoint is not registered; the SMILES is invalid.
    """
    from pharmakon.chem.panel_io import predict_smiles
    from pharmakon.core.explain import explain_predictions
    from pharmakon.core.registry import load_model

    registered = {e.name: e for e in registered_endpoints(store).endpoints}
    if spec.endpoint not in registered:
        raise InputError(
            f"endpoint {spec.endpoint!r} is not registered; registered: {sorted(registered) or 'none'} "
            "(train with `pharmakon admet train`)",
            field="endpoint",
        )
    info = registered[spec.endpoint]
    with store.read_session() as session:
        model = load_model(session, info.model, info.version, cache=True)
    row = predict_smiles({spec.endpoint: model}, [spec.smiles], alerts=False).iloc[0]  # one model: cheap
    if row["status"] != "ok":
        shown = spec.smiles if len(spec.smiles) <= 80 else f"{spec.smiles[:60]}... ({len(spec.smiles):,} characters)"
        raise InputError(f"cannot explain {shown!r}: {row['status']}", field="smiles")
    (attributions,) = explain_predictions(model, pd.DataFrame({model.smiles_col: [spec.smiles]}), top=spec.top)
    prediction = _records(pd.DataFrame([row.drop(["row", "id", "input", "canonical", "status"])]))[0]
    explains = (
        "the predicted value"
        if model.task == "regression"
        else f"the score of class {model.classes[-1]!r} (probability or log-odds, as the explainer gives it)"
    )
    return Explanation(
        endpoint=spec.endpoint,
        model=info.model,
        version=model.registry["version"],
        task=model.task,
        description=info.description,
        smiles=spec.smiles,
        canonical=row["canonical"],
        prediction=prediction,
        coverage=info.coverage,
        quality=info.quality,
        note=info.note,
        explains=explains,
        attributions=attributions,
    )
