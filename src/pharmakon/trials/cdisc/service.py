"""Clinical-trial data on CDISC standards as a service: validate, TLFs, review with queries, retention, safety feed.

Each audited use case takes a typed spec (defaults defined here, once), the store and the
:class:`~pharmakon.caller.Caller`, and returns a typed :class:`~pharmakon.results.Result`:

* :func:`validate_study` (:class:`ValidateSpec`): ``trialdata.validate``;
* :func:`make_tlf` (:class:`TlfSpec`): ``object.save`` (``trial_tlf``) + ``trialdata.tlf``;
* :func:`review_study` (:class:`ReviewSpec`): ``object.save`` (``trial_review``) + ``trialdata.review``;
* :func:`act_on_query` (:class:`QueryActionSpec`): ``object.save`` (``trial_query``) +
  ``trialdata.query.<answer|close|reopen>``;
* :func:`predict_retention` (:class:`RetentionSpec`): the governed lifecycle's events
  (``model.train`` ...) + ``trialdata.retention``;
* :func:`feed_safety` (:class:`SafetyFeedSpec`): the safety monitor's ``safety.alert``
  events and ``object.save`` + ``trialdata.safety_feed``.

Every event carries ``params["channel"]``. Read-only views (:func:`list_reviews`,
:func:`review_dashboard`, :func:`list_tlfs`, :func:`get_tlf`) write nothing.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, JsonValue

from pharmakon.caller import Caller
from pharmakon.errors import InputError, NotFoundError
from pharmakon.hashing import sha256_bytes, sha256_json
from pharmakon.results import Result
from pharmakon.store import Store, get_object, list_objects, object_versions, read_artifact, record_event, save_object
from pharmakon.trials.cdisc.specs import (
    NAME_PATTERN,
    QueryActionSpec,
    RetentionSpec,
    ReviewSpec,
    SafetyFeedSpec,
    TlfSpec,
    TrialDataSpec,
    ValidateSpec,
)

__all__ = [
    "NAME_PATTERN",
    "ValidateSpec",
    "FindingRow",
    "ValidateResult",
    "validate_study",
    "TlfSpec",
    "TlfResult",
    "make_tlf",
    "list_tlfs",
    "get_tlf",
    "ReviewSpec",
    "QueryRow",
    "ReviewResult",
    "review_study",
    "QueryActionSpec",
    "QueryState",
    "act_on_query",
    "ReviewInfo",
    "list_reviews",
    "Dashboard",
    "review_dashboard",
    "RetentionSpec",
    "RiskRow",
    "ArmMetrics",
    "RetentionResult",
    "predict_retention",
    "SafetyFeedSpec",
    "feed_safety",
    "check_server_paths",
    "list_retention",
    "get_retention",
]

#: Findings listed in a validation result (all are counted).
MAX_FINDINGS_SHOWN = 5000
#: Queries a review may raise before it refuses (a runaway rule on a huge study).
MAX_QUERIES = 200_000


# --------------------------------------------------------------------------- validate


class FindingRow(BaseModel):
    """One failed check: ``row`` is the 1-based record number in the domain's dataset (null: the whole dataset)."""

    domain: str
    row: int | None
    variable: str | None
    rule: str
    value: str | None = None


class ValidateResult(Result):
    """Findings of the pandera schemas and cross-domain checks."""

    sdtm: str
    domains: dict[str, int] = Field(description="Records read per domain.")
    total: int = Field(description="Findings in all (the first MAX_FINDINGS_SHOWN are listed).")
    counts: dict[str, int] = Field(description="Findings per rule.")
    findings: list[FindingRow]

    def summary(self) -> str:
        lines = [f"{self.total} finding(s) in {len(self.domains)} domain(s) of {self.sdtm}"]
        lines += [f"  {rule}: {n}" for rule, n in sorted(self.counts.items())]
        lines += [f"  {f.domain} row {f.row} {f.variable}: {f.rule} ({f.value})" for f in self.findings[:20]]
        return "\n".join(lines)


def _records(data: dict[str, Any]) -> dict[str, int]:
    return {name: int(len(frame)) for name, frame in data.items()}


def validate_study(store: Store, spec: ValidateSpec, caller: Caller) -> ValidateResult:
    """Check every SDTM domain of ``spec.sdtm``; audited as ``trialdata.validate`` (nothing stored)."""
    from pharmakon.trials.cdisc.standards import SDTM_DOMAINS
    from pharmakon.trials.cdisc.study import input_hashes, load_study
    from pharmakon.trials.cdisc.validate import validate_domains

    data = load_study(spec.sdtm)
    findings = validate_domains(data)
    counts = dict(Counter(f.rule for f in findings))
    result = ValidateResult(
        sdtm=str(spec.sdtm),
        domains=_records(data),
        total=len(findings),
        counts=counts,
        findings=[FindingRow(**f.to_dict()) for f in findings[:MAX_FINDINGS_SHOWN]],
    )
    with store.session() as session:
        record_event(
            session,
            actor=caller.actor,
            action="trialdata.validate",
            object_type="sdtm",
            object_id=spec.sdtm.name,
            inputs=input_hashes([spec.sdtm], SDTM_DOMAINS),
            outputs={"findings": sha256_json([f.to_dict() for f in findings])},
            params={"findings": len(findings), "counts": counts, "channel": caller.channel},
        )
    return result


# --------------------------------------------------------------------------- TLFs


class TlfResult(Result):
    """A table's numbers at printed precision (keys of the reference file), unrounded numbers and provenance."""

    table: str
    title: str
    reference_key: str | None
    numbers: dict[str, JsonValue]
    exact: dict[str, JsonValue]
    sources: dict[str, JsonValue]
    name: str | None = None
    version: int | None = None

    def summary(self) -> str:
        lines = [f"{self.title or self.table}"]
        for key, value in self.numbers.items():
            lines.append(f"  {key}: {json.dumps(value)}")
        return "\n".join(lines)

    def contract_json(self) -> dict[str, Any]:
        """The numbers at the top level (as ``reference_numbers.json`` names them) plus the whole result."""
        return {**self.numbers, **self.to_dict()}


def _analysis(spec: TlfSpec) -> Any:
    from pharmakon.trials.cdisc.analysis_spec import builtin_analysis, load_analysis

    if (spec.table is None) == (spec.analysis is None):
        raise InputError("give either a built-in table or an analysis spec file", field="table")
    return builtin_analysis(spec.table) if spec.table else load_analysis(spec.analysis)


def make_tlf(store: Store, spec: TlfSpec, caller: Caller) -> TlfResult:
    """Compute a table from the study's datasets; stored as ``trial_tlf/<name>`` when named; audited."""
    from pharmakon.trials.cdisc.io import load_domains
    from pharmakon.trials.cdisc.study import input_hashes, study_folders
    from pharmakon.trials.cdisc.tlf import run_analysis

    analysis = _analysis(spec)
    sdtm, adam = study_folders(spec.study)
    names = (analysis.dataset.lower(), *((analysis.source.domain.lower(),) if hasattr(analysis, "source") else ()))
    data: dict[str, Any] = {}
    for folder in (adam, sdtm):  # ADaM first: a name in both folders is taken from adam/
        if folder.is_dir():
            data = load_domains(folder, names) | data
    out = run_analysis(analysis, data)
    body = {
        "table": out.table,
        "title": out.title,
        "reference_key": out.reference_key,
        "numbers": out.numbers,
        "exact": out.exact,
        "sources": out.sources,
    }
    result = TlfResult(**body)
    inputs = input_hashes([adam, sdtm], names)
    with store.session() as session:
        obj = None
        if spec.name:
            obj = save_object(session, kind="trial_tlf", name=spec.name, content=result.to_dict(), actor=caller.actor)
        record_event(
            session,
            actor=caller.actor,
            action="trialdata.tlf",
            object_type="trial_tlf",
            object_id=f"{obj.name}@{obj.version}" if obj else None,
            inputs=inputs,
            outputs={"numbers": sha256_json(out.numbers)},
            params={"table": out.table, "channel": caller.channel},
        )
    if obj is not None:
        result.name, result.version = obj.name, obj.version
    return result


def list_tlfs(store: Store) -> list[TlfResult]:
    """Stored tables (latest version of each)."""
    with store.read_session() as session:
        objs = list_objects(session, kind="trial_tlf")
    return [TlfResult(**{**o.content, "name": o.name, "version": o.version}) for o in objs]


def get_tlf(store: Store, name: str, version: int | None = None) -> TlfResult:
    """One stored table."""
    with store.read_session() as session:
        obj = get_object(session, "trial_tlf", name, version)
    return TlfResult(**{**obj.content, "name": obj.name, "version": obj.version})


# --------------------------------------------------------------------------- review and queries


class QueryRow(BaseModel):
    """One query: ``seq`` is the record's --SEQ (null for a subject-level or SV query)."""

    id: str
    site: str | None = None
    domain: str
    usubjid: str | None
    seq: float | None
    variable: str
    rule: str
    evidence: dict[str, JsonValue]
    status: Literal["open", "answered", "closed"] = "open"


class ReviewResult(Result):
    """The queries of a review (stored as ``trial_review/<name>`` when named)."""

    name: str | None = None
    version: int | None = None
    sdtm: str
    adam: str | None = None
    records: int = Field(description="Records reviewed in all domains.")
    by_rule: dict[str, int]
    queries: list[QueryRow]

    def summary(self) -> str:
        stored = f" (stored as {self.name} v{self.version})" if self.name else ""
        lines = [f"{len(self.queries)} queries on {self.records} records{stored}"]
        return "\n".join(lines + [f"  {rule}: {n}" for rule, n in sorted(self.by_rule.items())])

    def to_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame([q.model_dump() for q in self.queries])


def _seq(value: Any) -> float | int | None:
    if value is None or value != value:  # NaN
        return None
    return int(value) if float(value).is_integer() else float(value)


def _rows(frame: Any) -> list[QueryRow]:
    return [
        QueryRow(**{**r, "seq": _seq(r["seq"]), "usubjid": None if r["usubjid"] in (None, "nan") else r["usubjid"]})
        for r in frame.to_dict("records")
    ]


def review_study(store: Store, spec: ReviewSpec, caller: Caller) -> ReviewResult:
    """Run the review; with a name, store the queries (artifact ``queries.json``); audited as ``trialdata.review``."""
    from pharmakon.trials.cdisc.review import review_domains
    from pharmakon.trials.cdisc.review_checks import ReviewParams
    from pharmakon.trials.cdisc.standards import ADAM_DATASETS, SDTM_DOMAINS
    from pharmakon.trials.cdisc.study import input_hashes, load_study

    data = load_study(spec.sdtm, spec.adam)
    params = ReviewParams(
        visit_window_days=spec.visit_window_days, weight_change=spec.weight_change, protocol_doses=spec.protocol_doses
    )
    frame = review_domains(
        data,
        params,
        rules=list(spec.rules) if spec.rules else None,
        ml=spec.ml,
        contamination=spec.contamination,
        seed=spec.seed,
    )
    if len(frame) > MAX_QUERIES:
        raise InputError(
            f"the review raised {len(frame)} queries, more than {MAX_QUERIES}; narrow the rules", field="rules"
        )
    queries = _rows(frame)
    by_rule = dict(sorted(Counter(q.rule for q in queries).items()))
    result = ReviewResult(
        sdtm=str(spec.sdtm),
        adam=str(spec.adam) if spec.adam else None,
        records=sum(_records(data).values()),
        by_rule=by_rule,
        queries=queries,
    )
    payload = json.dumps([q.model_dump(mode="json") for q in queries], sort_keys=True).encode()
    params_audit = spec.model_dump(mode="json", exclude={"sdtm", "adam", "name"})
    with store.session() as session:
        obj = None
        if spec.name:
            content = {
                "sdtm": result.sdtm,
                "adam": result.adam,
                "records": result.records,
                "by_rule": by_rule,
                "queries": len(queries),
                "params": params_audit,
            }
            obj = save_object(
                session,
                kind="trial_review",
                name=spec.name,
                content=content,
                actor=caller.actor,
                artifacts={"queries.json": payload},
            )
        record_event(
            session,
            actor=caller.actor,
            action="trialdata.review",
            object_type="trial_review",
            object_id=f"{obj.name}@{obj.version}" if obj else None,
            inputs=input_hashes([spec.sdtm, spec.adam], (*SDTM_DOMAINS, *ADAM_DATASETS)),
            outputs={"queries.json": sha256_bytes(payload)},
            params={**params_audit, "queries": len(queries), "by_rule": by_rule, "channel": caller.channel},
        )
    if obj is not None:
        result.name, result.version = obj.name, obj.version
    return result


class QueryState(Result):
    """A query's current status and its history (one version per action)."""

    review: str
    query_id: str
    status: Literal["open", "answered", "closed"]
    history: list[dict[str, JsonValue]]

    def summary(self) -> str:
        return f"query {self.query_id} of {self.review}: {self.status} ({len(self.history)} action(s))"


_STATUS = {"answer": "answered", "close": "closed", "reopen": "open"}


def _load_queries(session: Any, review: str) -> tuple[Any, list[QueryRow]]:
    obj = get_object(session, "trial_review", review)
    rows = json.loads(read_artifact(obj.artifacts["queries.json"]))
    return obj, [QueryRow(**r) for r in rows]


def act_on_query(store: Store, spec: QueryActionSpec, caller: Caller) -> QueryState:
    """Record an answer/close/reopen as a new version of ``trial_query/<review>.<id>``; audited."""
    with store.session() as session:
        review, rows = _load_queries(session, spec.review)
        if spec.query_id not in {q.id for q in rows}:
            raise NotFoundError(f"review {spec.review!r} has no query {spec.query_id!r}")
        name = f"{spec.review}.{spec.query_id}"
        status = _STATUS[spec.action]
        content = {
            "review": spec.review,
            "review_version": review.version,
            "query_id": spec.query_id,
            "status": status,
            "action": spec.action,
            "text": spec.text,
        }
        obj = save_object(session, kind="trial_query", name=name, content=content, actor=caller.actor, reason=spec.text)
        record_event(
            session,
            actor=caller.actor,
            action=f"trialdata.query.{spec.action}",
            object_type="trial_query",
            object_id=f"{name}@{obj.version}",
            outputs={"content": obj.content_hash},
            params={"review": spec.review, "query_id": spec.query_id, "status": status, "channel": caller.channel},
            reason=spec.text,
        )
        versions = object_versions(session, "trial_query", name)
    history = [{**v.content, "by": v.created_by, "at": v.created_at} for v in versions]
    return QueryState(review=spec.review, query_id=spec.query_id, status=status, history=history)


class ReviewInfo(Result):
    """A stored review with its query counts by status."""

    name: str
    version: int
    created_by: str
    created_at: str
    records: int
    queries: int
    by_rule: dict[str, int]


def list_reviews(store: Store) -> list[ReviewInfo]:
    """Stored reviews (latest version of each)."""
    with store.read_session() as session:
        objs = list_objects(session, kind="trial_review")
    return [
        ReviewInfo(
            name=o.name,
            version=o.version,
            created_by=o.created_by,
            created_at=o.created_at,
            records=o.content["records"],
            queries=o.content["queries"],
            by_rule=o.content["by_rule"],
        )
        for o in objs
    ]


class Dashboard(Result):
    """Open queries of a stored review by site and domain, with the (filtered) query list."""

    name: str
    version: int
    by_status: dict[str, int]
    open_by_site_domain: dict[str, dict[str, int]] = Field(description="site -> domain -> open queries.")
    total: int = Field(description="Queries matching the filter.")
    queries: list[QueryRow]

    def summary(self) -> str:
        lines = [f"review {self.name} v{self.version}: " + ", ".join(f"{n} {s}" for s, n in self.by_status.items())]
        lines.append("open queries by site and domain:")
        lines += [
            f"  site {site}: " + ", ".join(f"{d} {n}" for d, n in cells.items())
            for site, cells in self.open_by_site_domain.items()
        ]
        lines.append(f"{self.total} match the filter; first {len(self.queries)}:")
        lines += [
            f"  {q.id} {q.domain} {q.usubjid} seq={q.seq} {q.variable} {q.rule} [{q.status}]" for q in self.queries
        ]
        return "\n".join(lines)


def review_dashboard(
    store: Store,
    name: str,
    *,
    status: str | None = "open",
    site: str | None = None,
    domain: str | None = None,
    rule: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> Dashboard:
    """The review's queries with their current status, counted and filtered (nothing written)."""
    with store.read_session() as session:
        obj, rows = _load_queries(session, name)
        prefix = f"{name}."
        states = {
            o.name[len(prefix) :]: o.content["status"]
            for o in list_objects(session, kind="trial_query")
            if o.name.startswith(prefix)
        }
    rows = [q.model_copy(update={"status": states.get(q.id, "open")}) for q in rows]
    grid: dict[str, dict[str, int]] = {}
    for q in rows:
        if q.status == "open":
            cell = grid.setdefault(q.site or "-", {})
            cell[q.domain] = cell.get(q.domain, 0) + 1
    pick = [
        q
        for q in rows
        if (status is None or q.status == status)
        and (site is None or q.site == site)
        and (domain is None or q.domain == domain)
        and (rule is None or q.rule == rule)
    ]
    return Dashboard(
        name=obj.name,
        version=obj.version,
        by_status=dict(Counter(q.status for q in rows)),
        open_by_site_domain=dict(sorted(grid.items())),
        total=len(pick),
        queries=pick[offset : offset + limit],
    )


# --------------------------------------------------------------------------- retention


class Reason(BaseModel):
    feature: str
    shap: float


class RiskRow(BaseModel):
    """A participant's out-of-fold risk of discontinuing and the model's top SHAP reasons."""

    usubjid: str
    site: str
    arm: str
    risk: float = Field(description="Out-of-fold probability of discontinuing after the landmark day.")
    discontinued: int
    reasons: list[Reason]


class ArmMetrics(BaseModel):
    """AUROC and calibration slope of the model and of the arm-only baseline (site-grouped out-of-fold)."""

    arm: str
    n: int
    events: int
    auroc: float | None
    calibration_slope: float | None
    baseline_auroc: float | None
    baseline_calibration_slope: float | None


class RetentionResult(Result):
    """The registered retention model, its metrics against the arm-only baseline, fairness and per-participant risks."""

    model: str
    version: int
    day: float
    n: int
    best: str
    overall: ArmMetrics
    per_arm: list[ArmMetrics]
    fairness: dict[str, JsonValue] | None
    risks: list[RiskRow]

    def summary(self) -> str:
        def fmt(v: float | None) -> str:
            return "-" if v is None else f"{v:.3f}"

        lines = [f"retention model {self.model} v{self.version} ({self.best}), landmark day {self.day:g}, n={self.n}"]
        lines.append("  arm                      n  events  AUROC  slope  | arm-only AUROC  slope")
        for m in [self.overall, *self.per_arm]:
            lines.append(
                f"  {m.arm:<22} {m.n:>4} {m.events:>6}  {fmt(m.auroc):>5}  {fmt(m.calibration_slope):>5}  | "
                f"{fmt(m.baseline_auroc):>14}  {fmt(m.baseline_calibration_slope):>5}"
            )
        return "\n".join(lines)


def _arm_metrics(arm: str, y: Any, p: Any, b: Any) -> ArmMetrics:
    from pharmakon.trials.cdisc.retention import auroc_and_slope

    m, base = auroc_and_slope(y, p), auroc_and_slope(y, b)
    return ArmMetrics(
        arm=arm,
        n=int(len(y)),
        events=int(sum(y)),
        auroc=m["auroc"],
        calibration_slope=m["calibration_slope"],
        baseline_auroc=base["auroc"],
        baseline_calibration_slope=base["calibration_slope"],
    )


def predict_retention(store: Store, spec: RetentionSpec, caller: Caller, *, progress: Any = None) -> RetentionResult:
    """Train and register the retention model (site-grouped folds, fairness by sex, age band, race); audited."""
    import numpy as np

    from pharmakon.core.explain import explain_predictions
    from pharmakon.core.registry import load_model
    from pharmakon.core.service import TrainSpec, train_and_register
    from pharmakon.hashing import sha256_frame
    from pharmakon.trials.cdisc.retention import FEATURES, grouped_oof_baseline, retention_frame
    from pharmakon.trials.cdisc.study import load_study

    frame = retention_frame(load_study(spec.sdtm, spec.adam), day=spec.day)
    if frame["DISCONT"].nunique() < 2:
        raise InputError("every subject has the same outcome at this landmark day; no risk can be learned", field="day")
    table = frame[["USUBJID", "SITEID", "RACE", "AGEBAND", *FEATURES, "DISCONT"]]
    train = TrainSpec(
        target="DISCONT",
        task="classification",
        name=spec.name,
        id_cols=["USUBJID", "RACE", "AGEBAND"],
        sensitive_cols=["SEX", "AGEBAND", "RACE"],
        group_col="SITEID",
        trials=spec.trials,
        models=spec.models,
        cv=spec.cv,
        seed=spec.seed,
        reason=f"retention risk at study day {spec.day:g}",
    )
    trained = train_and_register(store, train, caller, frame=table, progress=progress)
    with store.read_session() as session:
        model = load_model(session, spec.name, trained.version)
    if len(model.oof_y) != len(table):
        raise InputError(
            f"QC dropped {len(table) - len(model.oof_y)} subject(s); risks cannot be matched", field="data"
        )
    risk = np.asarray(model.oof_pred)[:, list(model.classes).index(1)]
    base = grouped_oof_baseline(frame, n_splits=spec.cv)
    y = frame["DISCONT"].to_numpy()
    reasons = explain_predictions(model, table, top=3)
    per_arm = [_arm_metrics(arm, y[idx], risk[idx], base[idx]) for arm, idx in frame.groupby("TRT01P").indices.items()]
    risks = [
        RiskRow(
            usubjid=u,
            site=str(s),
            arm=a,
            risk=float(r),
            discontinued=int(t),
            reasons=[Reason(feature=x["feature"], shap=x["shap"]) for x in why],
        )
        for u, s, a, r, t, why in zip(frame["USUBJID"], frame["SITEID"], frame["TRT01P"], risk, y, reasons, strict=True)
    ]
    result = RetentionResult(
        model=spec.name,
        version=trained.version,
        day=spec.day,
        n=len(frame),
        best=str(trained.best.get("model")),
        overall=_arm_metrics("all", y, risk, base),
        per_arm=per_arm,
        fairness=json.loads(json.dumps(model.fairness, default=str)) if model.fairness else None,
        risks=risks,
    )
    with store.session() as session:
        obj = save_object(session, kind="trial_retention", name=spec.name, content=result.to_dict(), actor=caller.actor)
        record_event(
            session,
            actor=caller.actor,
            action="trialdata.retention",
            object_type="model",
            object_id=f"{spec.name}@{trained.version}",
            inputs={"data": sha256_frame(table)},
            outputs={"risks": sha256_json([r.model_dump() for r in risks])},
            params={
                "stored": obj.version,
                "day": spec.day,
                "n": len(frame),
                "auroc": result.overall.auroc,
                "baseline_auroc": result.overall.baseline_auroc,
                "channel": caller.channel,
            },
        )
    return result


# --------------------------------------------------------------------------- safety feed


def feed_safety(store: Store, spec: SafetyFeedSpec, caller: Caller) -> Any:
    """Turn DM/AE/DS into the monitor's stream and call ``safety.service.monitor_stream``; audited."""
    from pharmakon.trials.cdisc.safety_feed import monitor_records, monitor_rules
    from pharmakon.trials.cdisc.standards import SDTM_DOMAINS
    from pharmakon.trials.cdisc.study import input_hashes, load_study
    from pharmakon.trials.safety.service import monitor_stream
    from pharmakon.trials.safety.specs import MonitorRunSpec

    data = load_study(spec.sdtm, sdtm_names=("dm", "ae", "ds"))
    records = monitor_records(data)
    rules = monitor_rules(data, event=spec.event, control=spec.control, cutoff=spec.cutoff)
    run = MonitorRunSpec(trial=spec.trial, rules=rules, save=True, source=str(spec.sdtm))
    result = monitor_stream(store, run, caller, enumerate(records, start=1))
    with store.session() as session:
        record_event(
            session,
            actor=caller.actor,
            action="trialdata.safety_feed",
            object_type="safety_monitor",
            object_id=f"{spec.trial}@{result.version}",
            inputs=input_hashes([spec.sdtm], SDTM_DOMAINS),
            params={
                "records": len(records),
                "alerts": len(result.alerts),
                "event": spec.event,
                "channel": caller.channel,
            },
        )
    return result


# --------------------------------------------------------------------------- server-side folders


def check_server_paths(spec: TrialDataSpec) -> TrialDataSpec:
    """Refuse folders outside the data cache or the data mirror (specs from the REST API and the workbench).

    A request over the network names folders on the server; only the data sets the
    server already holds (``pharmakon data fetch`` into the cache, or the configured
    mirror) may be read, never an arbitrary path.
    """
    from pharmakon.config import get_settings

    settings = get_settings()
    roots = [r.resolve() for r in (settings.data_cache, settings.data_mirror) if r is not None]
    for field, value in spec:
        if isinstance(value, Path):
            try:
                where = value.resolve()
            except (OSError, ValueError, RuntimeError):  # a NUL byte, a symlink loop
                raise InputError(f"{value!r} is not a usable folder name", field=field) from None
            if not any(where == r or r in where.parents for r in roots):
                raise InputError(
                    f"{value} is outside the server's data folders (the data cache or the mirror); "
                    "fetch the data set first (pharmakon data fetch)",
                    field=field,
                )
    return spec


def list_retention(store: Store) -> list[RetentionResult]:
    """Stored retention results (latest version of each)."""
    with store.read_session() as session:
        return [RetentionResult(**o.content) for o in list_objects(session, kind="trial_retention")]


def get_retention(store: Store, name: str) -> RetentionResult:
    """The latest stored retention result of model ``name``."""
    with store.read_session() as session:
        return RetentionResult(**get_object(session, "trial_retention", name).content)
