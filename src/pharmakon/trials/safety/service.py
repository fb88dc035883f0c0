"""Drug safety as a service: every use case the CLI, the REST API and the workbench offer.

Each audited use case takes a typed spec (its defaults are defined here, once), a
:class:`~pharmakon.store.Store` and a :class:`~pharmakon.caller.Caller`, and returns a
typed :class:`~pharmakon.results.Result`:

* :func:`ingest_reports` (:class:`IngestSpec`): ``safety.ingest``;
* :func:`compute_signals` (:class:`SignalsFileSpec` or :class:`SignalsRowsSpec`):
  ``safety.signals`` (and ``object.save`` when the table is stored under a name);
* :func:`review_signal` (:class:`ReviewSpec`): ``safety.signal.<status>``;
* :func:`start_monitor` (:class:`StartMonitorSpec`): ``object.save``;
* :func:`append_events` (:class:`AppendEventsSpec`) and :func:`monitor_stream`
  (:class:`MonitorRunSpec`): one ``safety.alert`` per alert and ``object.save``.

Every event carries ``params["channel"]``. Read-only queries (:func:`list_signal_tables`,
:func:`signal_table_page`, :func:`signal_pair`, :func:`list_monitors`,
:func:`monitor_state`, :func:`monitor_figures`, :func:`monitor_report`) and the
simulation of operating characteristics (:func:`simulate_monitoring`) write nothing.

The bad-row policy is the same on every channel: rows that cannot be used are listed
(file or ``request body``, 1-based line, reason) and skipped; with ``strict`` any bad row
fails the request before anything is computed or stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Self

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, JsonValue, PrivateAttr

from pharmakon.caller import Caller
from pharmakon.errors import InputError
from pharmakon.files import staged_files
from pharmakon.hashing import sha256_bytes, sha256_file
from pharmakon.results import Result
from pharmakon.store import Store, get_object, list_objects, record_event
from pharmakon.trials.safety import persist
from pharmakon.trials.safety.ingest import IngestReport, load_synonyms, read_reports, read_rows, reports_sha256
from pharmakon.trials.safety.monitoring import Alert, MonitorRule
from pharmakon.trials.safety.specs import (
    MAX_RECORDS,
    MAX_ROWS,
    AppendEventsSpec,
    IngestSpec,
    MonitorRunSpec,
    ReportFileSpec,
    ReportRow,
    ReportsPolicy,
    ReviewBody,
    ReviewSpec,
    ReviewStatus,
    RuleSet,
    SafetySpec,
    SignalOptions,
    SignalsFileSpec,
    SignalsRowsSpec,
    SimulateSpec,
    StartMonitorSpec,
    StreamBatch,
    TableQuery,
)

__all__ = [
    "MAX_ROWS",
    "MAX_RECORDS",
    "SafetySpec",
    "ReportsPolicy",
    "ReportFileSpec",
    "IngestSpec",
    "SignalOptions",
    "SignalsFileSpec",
    "ReportRow",
    "SignalsRowsSpec",
    "ReviewBody",
    "ReviewSpec",
    "TableQuery",
    "RuleSet",
    "StartMonitorSpec",
    "StreamBatch",
    "AppendEventsSpec",
    "MonitorRunSpec",
    "SimulateSpec",
    "BadRowInfo",
    "IngestSummary",
    "IngestResult",
    "MGPSFit",
    "SignalsResult",
    "SignalRow",
    "SignalTableInfo",
    "SignalTablePage",
    "TwoByTwo",
    "ReviewResult",
    "PairView",
    "MonitorStarted",
    "EventsResult",
    "MonitorRunResult",
    "MonitorInfo",
    "ArmCount",
    "MonitorState",
    "MonitorPlot",
    "OCRow",
    "OperatingCharacteristics",
    "ingest_reports",
    "compute_signals",
    "review_signal",
    "list_signal_tables",
    "signal_table_page",
    "signal_pair",
    "start_monitor",
    "append_events",
    "monitor_stream",
    "list_monitors",
    "monitor_state",
    "monitor_figures",
    "monitor_report",
    "simulate_monitoring",
]

#: Bad rows listed in a result (all are counted).
MAX_BAD_ROWS_SHOWN = 100
Progress = Callable[[str], None]


# --------------------------------------------------------------------------- results


class BadRowInfo(BaseModel):
    """One rejected input row."""

    file: str
    line: int
    reason: str


class IngestSummary(Result):
    """What was read, kept and rejected (the first bad rows are listed; all are counted)."""

    rows_read: int
    rows_kept: int
    bad_count: int
    bad_rows: list[BadRowInfo]
    notes: list[str]

    @classmethod
    def of(cls, report: IngestReport, **extra: Any) -> Self:
        data = report.to_dict()
        data["bad_rows"] = data["bad_rows"][:MAX_BAD_ROWS_SHOWN]
        return cls(**data, **extra)

    def summary(self) -> str:
        lines = [f"{self.rows_kept} rows kept of {self.rows_read} read; {self.bad_count} bad"]
        lines += [f"  {b.file}:{b.line}: {b.reason}" for b in self.bad_rows[:10]]
        return "\n".join(lines + [f"note: {n}" for n in self.notes])


class IngestResult(IngestSummary):
    """The long table written by :func:`ingest_reports`."""

    output: str

    def summary(self) -> str:
        return f"{super().summary()}\n-> {self.output}"


class MGPSFit(BaseModel):
    """The fitted MGPS prior (gamma mixture; ``alpha*``/``beta*`` shape/rate, ``p`` the weight)."""

    model_config = ConfigDict(extra="ignore")

    alpha1: float
    beta1: float
    alpha2: float
    beta2: float
    p: float
    neg_log_lik: float | None = None
    converged: bool = True
    fallback: str | None = None
    message: str = ""
    n_points: int = 0
    squashed: bool = False
    n_star: int = 1


class SignalRow(BaseModel):
    """One (drug, event) pair of a signal table.

    Besides these fields a row carries the columns of its table: ``n_drug``, ``n_event``,
    ``n_total``, ``prr``, ``chi2``, ``ror``, ``ror_lower``, ``ror_upper``, ``ic``, ``ic025``,
    ``ebgm``, ``eb05``, ``eb95``, ``n_serious``, one ``signal_<method>`` flag per method and,
    in table pages, ``review_status``. Missing or infinite values are ``null``.
    """

    model_config = ConfigDict(extra="allow")

    drug: str
    event: str
    n: int
    expected: float | None = None


class SignalsResult(Result):
    """A signal table: counts, flags per method and the MGPS fit; stored when it has a name."""

    name: str | None = None
    version: int | None = None
    created_by: str | None = None
    created_at: str | None = None
    pairs: int
    reports: int
    methods: list[str]
    strata: list[str]
    flagged: dict[str, int] = Field(description="Pairs flagged per method.")
    notes: list[str] = Field(description="Warnings of the fit (e.g. MGPS not converged).")
    hyper: MGPSFit | None = None
    output: str | None = Field(None, description="CSV written (file input only).")
    ingest: IngestSummary
    _table: pd.DataFrame | None = PrivateAttr(None)
    _hyper_json: bytes | None = PrivateAttr(None)

    def summary(self) -> str:
        where = f" -> {self.output}" if self.output else ""
        stored = f" (stored as {self.name} v{self.version})" if self.name else ""
        lines = [f"{self.pairs} pairs from {self.reports} reports{where}{stored}"]
        lines += [f"  {m}: {k} signal(s)" for m, k in self.flagged.items()]
        if self.hyper is not None:
            h = self.hyper
            state = "converged" if h.converged else f"NOT converged: {h.message}"
            lines.append(
                f"  MGPS prior: alpha1 {h.alpha1:.4g}, beta1 {h.beta1:.4g}, alpha2 {h.alpha2:.4g}, "
                f"beta2 {h.beta2:.4g}, P {h.p:.4g} ({state})"
            )
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """The whole table (contract columns first) when computed in this process; else an empty frame."""
        from pharmakon.trials.safety.signals import SIGNAL_COLUMNS

        return self._table if self._table is not None else pd.DataFrame(columns=SIGNAL_COLUMNS)

    def hyper_json(self) -> bytes | None:
        """The MGPS fit as the JSON ``--hyper-json`` writes (stored as the table's ``hyper.json``)."""
        return self._hyper_json


class SignalTableInfo(Result):
    """A stored signal table (latest version)."""

    name: str
    version: int
    created_by: str
    created_at: str
    pairs: int | None = None
    reports: int | None = None
    methods: list[str] = []
    flagged: dict[str, int] = {}
    strata: list[str] = []


class SignalTablePage(Result):
    """One page of a stored signal table, filtered and ranked, with each pair's review status."""

    name: str
    version: int
    created_by: str
    created_at: str
    pairs: int | None = None
    reports: int | None = None
    methods: list[str] = []
    strata: list[str] = []
    flagged: dict[str, int] = {}
    notes: list[str] = []
    hyper: MGPSFit | None = None
    source: dict[str, JsonValue] = {}
    total: int = Field(description="Pairs matching the filter (all pages).")
    limit: int
    offset: int
    items: list[SignalRow]

    def summary(self) -> str:
        shown = f"{self.offset + 1}-{self.offset + len(self.items)}" if self.items else "none"
        return f"signal table {self.name} v{self.version}: {self.total} pair(s) match; showing {shown}"

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([r.model_dump() for r in self.items])


class TwoByTwo(BaseModel):
    """Reports with drug and event (a), drug only (b), event only (c), neither (d)."""

    a: float
    b: float
    c: float
    d: float


class ReviewResult(Result):
    """A review decision, stored as a version of the pair's ``signal_review`` object."""

    table: str
    table_version: int
    drug: str
    event: str
    status: ReviewStatus
    reason: str
    row: SignalRow
    version: int
    by: str
    at: str

    def summary(self) -> str:
        return f"{self.drug} / {self.event}: {self.status} (version {self.version})"


class PairView(Result):
    """One pair of a stored table: scores, 2x2 table, stored drill-down and review history."""

    table: str
    table_version: int
    drug: str
    event: str
    row: SignalRow
    two_by_two: TwoByTwo
    strata: list[dict[str, JsonValue]] = Field(description="N, expected and reports per stratum value.")
    trend: list[dict[str, JsonValue]] = Field(description="Cumulative n, expected (and EBGM/EB05/EB95) by quarter.")
    reviews: list[ReviewResult]
    onset: dict[str, JsonValue] | None = Field(None, description="Time to onset (days) of the pair's reports.")
    outcomes: list[dict[str, JsonValue]] = Field(description="Reports per FAERS outcome code.")
    hyper: MGPSFit | None = None

    def summary(self) -> str:
        t = self.two_by_two
        return (
            f"{self.drug} / {self.event} in {self.table} v{self.table_version}: a={t.a:g} b={t.b:g} c={t.c:g} d={t.d:g}"
        )

    def to_frame(self) -> pd.DataFrame:
        """The trend by quarter."""
        return pd.DataFrame(self.trend)


class MonitorStarted(Result):
    """A monitored trial (re)started with its rules."""

    trial: str
    version: int
    rules: list[MonitorRule]


class EventsResult(Result):
    """Records appended to a monitored trial and the alerts they raised."""

    trial: str
    accepted: int
    alerts: list[Alert]


class MonitorRunResult(Result):
    """A stream replayed through the rules."""

    trial: str
    records: int
    data_cut_day: float
    alerts: list[Alert]
    version: int | None = Field(None, description="Stored monitor version (None with save off).")
    _report_html: str | None = PrivateAttr(None)

    def summary(self) -> str:
        lines = [f"{self.records} records to day {self.data_cut_day:.1f}; {len(self.alerts)} alert(s)"]
        return "\n".join(lines + [f"  {alert_line(a)}" for a in self.alerts])

    def report_html(self) -> str | None:
        """The DSMB-style report (with ``report`` or ``save`` in the spec)."""
        return self._report_html


class MonitorInfo(Result):
    """A monitored trial with its alert count."""

    trial: str
    version: int
    records: int | None = None
    data_cut_day: float | None = None
    alerts: int
    created_at: str


class ArmCount(BaseModel):
    subjects: int
    on_study: int


class MonitorState(Result):
    """Rules, alerts, arm counts and the statistic history of a monitored trial."""

    trial: str
    version: int
    created_at: str
    data_cut_day: float = 0.0
    records: int = 0
    batch: int | None = Field(None, description="Records added by this version.")
    rules: list[MonitorRule]
    alerts: list[Alert] = []
    arms: dict[str, ArmCount] = {}
    history: list[dict[str, JsonValue]] = Field([], description="Statistic of each rule over time (thinned).")

    def to_frame(self) -> pd.DataFrame:
        """The statistic history."""
        return pd.DataFrame(self.history)


class MonitorPlot(BaseModel):
    """A plot of the monitoring dashboard (PNG, base64)."""

    title: str
    png: str


class OCRow(BaseModel):
    """Operating characteristics of one rule at one true risk ratio."""

    rr: float
    rule: str
    model: str
    n_sims: int
    alert_rate: float = Field(description="Probability of an alert (the false-alert rate when rr = 1).")
    alert_rate_se: float
    median_days_to_alert: float | None = None
    mean_days_to_alert: float | None = None
    trial_days: float


class OperatingCharacteristics(Result):
    """Detection probability, time to detection and false-alert rate, by simulation."""

    rows: list[OCRow]

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([r.model_dump() for r in self.rows])

    def summary(self) -> str:
        return self.to_frame().to_string(index=False)


def alert_line(a: Alert) -> str:
    """One alert as a line of text."""
    return f"ALERT {a.rule} ({a.model}) day {a.time:.1f}: {a.statistic_name}={a.statistic:.4g}"


# --------------------------------------------------------------------------- reports and signals


def _input_hashes(path: Path) -> dict[str, str]:
    """SHA-256 of the input file, or of every file in an input folder (FAERS)."""
    files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
    return {str(f): sha256_file(f) for f in files}


def _check_bad_rows(report: IngestReport, strict: bool, source: str) -> None:
    """The bad-row policy: listed and skipped, or (``strict``) the request fails naming the first ones."""
    if strict and report.bad_count:
        first = "; ".join(f"{b.file}:{b.line}: {b.reason}" for b in report.bad_rows[:5])
        raise InputError(
            f"{report.bad_count} bad row(s) of {report.rows_read} and strict was given; first: {first}", file=source
        )


def _read_file(spec: ReportFileSpec) -> tuple[Any, IngestReport]:
    synonyms = load_synonyms(spec.synonyms) if spec.synonyms else None
    table, report = read_reports(
        spec.input, spec.format, synonyms=synonyms, normalise=spec.normalise, roles=tuple(spec.roles)
    )
    _check_bad_rows(report, spec.strict, str(spec.input))
    return table, report


def ingest_reports(store: Store, spec: IngestSpec, caller: Caller) -> IngestResult:
    """Read reports into the long table (Parquet, written all or nothing); audited as ``safety.ingest``."""
    table, report = _read_file(spec)
    with staged_files() as staged:  # the file appears only after its event is committed
        table.write_parquet(staged.path(spec.output))
        with store.session() as session:
            record_event(
                session,
                actor=caller.actor,
                action="safety.ingest",
                object_type="file",
                object_id=str(spec.output),
                inputs=_input_hashes(spec.input),
                outputs={str(spec.output): staged.sha256(spec.output)},
                params={
                    "format": spec.format,
                    "roles": ",".join(spec.roles),
                    "bad_rows": report.bad_count,
                    "channel": caller.channel,
                },
            )
    return IngestResult.of(report, output=str(spec.output))


def compute_signals(
    store: Store,
    spec: SignalsFileSpec | SignalsRowsSpec,
    caller: Caller,
    *,
    progress: Progress | None = None,
    hyper_output: Path | None = None,
) -> SignalsResult:
    """Score every (drug, event) pair with EBGM/EB05/EB95, PRR, ROR (95 % CI) and IC/IC025; audited.

    The reports come from a file (:class:`SignalsFileSpec`) or from posted rows
    (:class:`SignalsRowsSpec`), cleaned the same way (:func:`read_rows` is
    :func:`read_long` for records). With a ``name`` the table is stored as a new version
    of ``signal_table/name`` (artifacts ``signals.csv`` and, with EBGM, ``hyper.json``);
    with an ``output`` the same CSV is written there. One ``safety.signals`` event, in
    the transaction of the store write: inputs ``reports`` (SHA-256 of the cleaned report
    table) and, for a file, each input file; outputs ``signals.csv``, ``hyper.json`` and
    the written file; params format, methods, strata, bad rows, flagged counts, the
    MGPS fit and the channel.

    Files (``output``, ``hyper_output``) are written to temporaries, the event (with
    their hashes) is committed with any store write, and only then are they renamed
    into place: an interrupted run leaves no output without its event.

    Parameters
    ----------
    progress : callable, optional
        Called with a short description as each stage starts.
    hyper_output : path, optional
        Also write the MGPS hyper-parameters (``hyper.json``) here; needs the ebgm method.
    """
    from pharmakon.trials.safety.signals import detect_signals

    if hyper_output is not None and "ebgm" not in spec.methods:
        raise InputError("the MGPS hyper-parameters file needs the ebgm method", field="hyper-json")

    say = progress or (lambda _stage: None)
    say("reading reports")
    if isinstance(spec, SignalsFileSpec):
        table, report = _read_file(spec)
        fmt, source, files = spec.format, {"input": str(spec.input)}, _input_hashes(spec.input)
        output = spec.output
    else:
        table, report = read_rows(
            [r.model_dump() for r in spec.rows], normalise=True if spec.normalise is None else spec.normalise
        )
        _check_bad_rows(report, spec.strict, "request body")
        fmt, source, files, output = "long", {"input": "request body"}, {}, None
    say("counting pairs and scoring")
    result = detect_signals(table, methods=spec.methods, strata=spec.strata, squash=spec.squash)
    say("storing")
    csv = result.to_csv_bytes()
    hyper = persist.hyper_json(result.hyper) if result.hyper is not None else None
    inputs = {"reports": reports_sha256(table), **files}
    outputs = {"signals.csv": sha256_bytes(csv)}
    if hyper is not None:
        outputs["hyper.json"] = sha256_bytes(hyper)
    info = result.summary()
    params: dict[str, Any] = {
        "format": fmt,
        "methods": list(result.methods),
        "strata": list(result.strata),
        "bad_rows": report.bad_count,
        "flagged": info["flagged"],
    }
    if result.hyper is not None:
        h = result.hyper
        params["mgps"] = {
            "alpha1": h.alpha1,
            "beta1": h.beta1,
            "alpha2": h.alpha2,
            "beta2": h.beta2,
            "p": h.p,
            "converged": h.converged,
            "squashed": h.squashed,
        }
    stored = None
    # Files are staged, the event (and any store write) committed, and only then the
    # files renamed into place: a kill leaves no output without its event.
    with staged_files() as staged, store.session() as session:
        if output is not None:
            staged.write_bytes(output, csv)
            outputs[str(output)] = outputs["signals.csv"]
        if hyper_output is not None and hyper is not None:
            staged.write_bytes(hyper_output, hyper)
            outputs[str(hyper_output)] = outputs["hyper.json"]
        if spec.name:
            stored = persist.save_signal_table(
                session,
                name=spec.name,
                result=result,
                actor=caller.actor,
                source={**source, "format": fmt, "rows_read": report.rows_read, "bad_rows": report.bad_count},
                reports=table if "report" in table.columns else None,
                csv=csv,
            )
        object_type, object_id = (
            ("signal_table", f"{stored.name}@{stored.version}")
            if stored is not None
            else ("file", str(output))
            if output is not None
            else ("signal_table", None)
        )
        record_event(
            session,
            actor=caller.actor,
            action="safety.signals",
            object_type=object_type,
            object_id=object_id,
            inputs=inputs,
            outputs=outputs,
            params={**params, "channel": caller.channel},
        )
    out = SignalsResult(
        name=stored.name if stored else None,
        version=stored.version if stored else None,
        created_by=stored.created_by if stored else None,
        created_at=stored.created_at if stored else None,
        pairs=info["pairs"],
        reports=info["reports"],
        methods=info["methods"],
        strata=info["strata"],
        flagged=info["flagged"],
        notes=info["notes"],
        hyper=MGPSFit(**info["hyper"]) if "hyper" in info else None,
        output=str(output) if output is not None else None,
        ingest=IngestSummary.of(report),
    )
    out._table = result.contract_frame()
    out._hyper_json = hyper
    return out


def review_signal(store: Store, spec: ReviewSpec, caller: Caller) -> ReviewResult:
    """Mark one pair of a stored table reviewed / dismissed / open with a reason (``safety.signal.<status>``)."""
    with store.session() as session:
        out = persist.review_signal(
            session,
            table_name=spec.table,
            drug=spec.drug,
            event=spec.event,
            status=spec.status,
            reason=spec.reason,
            actor=caller.actor,
            channel=caller.channel,
        )
    return ReviewResult(**out)


def _table_info(obj: Any) -> dict[str, Any]:
    c = obj.content
    return {
        "name": obj.name,
        "version": obj.version,
        "created_by": obj.created_by,
        "created_at": obj.created_at,
        "pairs": c.get("pairs"),
        "reports": c.get("reports"),
        "methods": c.get("methods", []),
        "flagged": c.get("flagged", {}),
        "strata": c.get("strata", []),
    }


def list_signal_tables(store: Store) -> list[SignalTableInfo]:
    """Stored signal tables (latest version of each)."""
    with store.read_session() as session:
        return [SignalTableInfo(**_table_info(o)) for o in list_objects(session, kind="signal_table")]


def signal_table_page(store: Store, query: TableQuery) -> SignalTablePage:
    """Ranked, filtered rows of a stored table with each pair's latest review status."""
    with store.read_session() as session:
        content, table = persist.load_signal_table(session, query.name)
        reviews = persist.list_reviews(session, query.name)
    rows, total = persist.table_rows(
        table,
        reviews,
        method=query.method,
        flagged=query.flagged,
        drug=query.drug,
        event=query.event,
        min_n=query.min_n,
        status=query.status,
        limit=query.limit,
        offset=query.offset,
    )
    meta = {k: content.get(k) for k in ("pairs", "reports", "hyper") if content.get(k) is not None}
    meta |= {k: content[k] for k in ("methods", "strata", "flagged", "notes", "source") if k in content}
    return SignalTablePage(
        name=query.name,
        version=content["version"],
        created_by=content["created_by"],
        created_at=content["created_at"],
        **meta,
        total=total,
        limit=query.limit,
        offset=query.offset,
        items=rows,
    )


def signal_pair(store: Store, table: str, drug: str, event: str) -> PairView:
    """Drill-down of one pair: its row, the 2x2 table, stored strata/trend/onset/outcomes, review history."""
    with store.read_session() as session:
        view = persist.pair_view(session, table, drug, event)
    return PairView(**view)


# --------------------------------------------------------------------------- monitoring


def start_monitor(store: Store, spec: StartMonitorSpec, caller: Caller) -> MonitorStarted:
    """Start (or restart, as a new version) monitoring ``spec.trial`` with these rules."""
    from pharmakon.trials.safety.monitoring import parse_rules

    rules = parse_rules(spec.rules, "request body")
    with store.session() as session:
        obj = persist.create_monitor(session, trial=spec.trial, rules=rules, actor=caller.actor)
    return MonitorStarted(trial=obj.name, version=obj.version, rules=obj.content["rules"])


def append_events(store: Store, spec: AppendEventsSpec, caller: Caller) -> EventsResult:
    """Feed stream records to a stored monitor incrementally; new alerts are audited (``safety.alert``).

    Nothing is saved when a record is invalid (the error names its line in the whole stream).
    """
    with store.session() as session:
        alerts = persist.append_records(
            session, trial=spec.trial, records=list(spec.records), actor=caller.actor, channel=caller.channel
        )
    return EventsResult(trial=spec.trial, accepted=len(spec.records), alerts=alerts)


def monitor_stream(
    store: Store,
    spec: MonitorRunSpec,
    caller: Caller,
    records: Iterable[tuple[int, dict[str, Any]]],
    *,
    on_alert: Callable[[Alert], None] | None = None,
) -> MonitorRunResult:
    """Replay a stream (``(line, record)`` pairs, read lazily) through the rules; alerts are audited.

    ``on_alert`` is called as each alert is raised (a live stream). With ``save`` the
    monitor state, the records and the DSMB report are stored as a new version of
    ``safety_monitor/<trial>``; the ``safety.alert`` events and the store write share one
    transaction.
    """
    from pharmakon.trials.safety.dsmb import dsmb_report_html
    from pharmakon.trials.safety.monitoring import Monitor, parse_rules

    mon = Monitor(parse_rules(spec.rules, spec.source or "rules"))
    kept = []
    for line, rec in records:
        try:
            raised = mon.update(rec, line=line)
        except InputError as exc:
            raise InputError(exc.message, file=spec.source) from None
        kept.append(rec)
        for alert in raised if on_alert else ():
            on_alert(alert)
    html = dsmb_report_html(mon, kept, title=f"DSMB safety report: {spec.trial}") if spec.report or spec.save else None
    version = None
    with store.session() as session:
        persist.record_alerts(session, trial=spec.trial, alerts=mon.alerts, actor=caller.actor, channel=caller.channel)
        if spec.save:
            obj = persist.save_monitor(
                session, trial=spec.trial, monitor=mon, actor=caller.actor, records=kept, report_html=html
            )
            version = obj.version
    out = MonitorRunResult(
        trial=spec.trial, records=len(kept), data_cut_day=mon.now, alerts=list(mon.alerts), version=version
    )
    out._report_html = html
    return out


def list_monitors(store: Store) -> list[MonitorInfo]:
    """Monitored trials with their alert counts."""
    with store.read_session() as session:
        return [
            MonitorInfo(
                trial=o.name,
                version=o.version,
                records=o.content.get("records"),
                data_cut_day=o.content.get("data_cut_day"),
                alerts=len(o.content.get("alerts", [])),
                created_at=o.created_at,
            )
            for o in list_objects(session, kind="safety_monitor")
        ]


def monitor_state(store: Store, trial: str) -> MonitorState:
    """Rules, alerts, arm counts and statistic history of a monitored trial."""
    with store.read_session() as session:
        obj = get_object(session, "safety_monitor", trial)
    return MonitorState(**{**obj.content, "trial": obj.name, "version": obj.version, "created_at": obj.created_at})


def monitor_figures(store: Store, trial: str) -> list[MonitorPlot]:
    """The dashboard plots (cumulative incidence by arm, each rule's statistic), from the stored state."""
    from pharmakon.trials.safety.dsmb import monitor_plots

    with store.read_session() as session:
        monitor = persist.load_monitor(session, trial)
    return [MonitorPlot(title=t, png=png) for t, png in monitor_plots(monitor)] if monitor.records else []


def monitor_report(store: Store, trial: str) -> str:
    """The DSMB-style HTML report built from the stored monitor state."""
    from pharmakon.trials.safety.dsmb import dsmb_report_html

    with store.read_session() as session:
        monitor = persist.load_monitor(session, trial)
    return dsmb_report_html(monitor, title=f"DSMB safety report: {trial}")


def simulate_monitoring(spec: SimulateSpec) -> OperatingCharacteristics:
    """Detection probability, days to detection and false-alert rate of the rules (nothing stored)."""
    from pharmakon.trials.safety.monitoring import parse_rules
    from pharmakon.trials.safety.simulate import operating_characteristics

    oc = operating_characteristics(
        parse_rules(spec.rules, "rules"),
        spec.rr,
        n_sims=spec.n_sims,
        n_per_arm=spec.n_per_arm,
        base_rate=spec.base_rate,
        seed=spec.seed,
    )
    rows = oc.astype(object).where(oc.notna(), None).to_dict("records")
    return OperatingCharacteristics(rows=rows)
