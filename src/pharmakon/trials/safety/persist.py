"""Persisting signal tables, signal reviews and monitoring alerts in the versioned, audited store.

* A signal table is an object of kind ``signal_table``: its content holds the summary
  (methods, strata, MGPS fit, flagged counts, source) and the flagged rows; the full
  table is the artifact ``signals.csv`` and the whole MGPS fit (every optimiser start)
  the artifact ``hyper.json``.
* A review is an object of kind ``signal_review`` named ``<table>.<pair hash>``; each
  new status (``open``, ``reviewed``, ``dismissed``) is a new version with its reason,
  and an audit event ``safety.signal.<status>`` records who, when and why.
* A monitored trial is an object of kind ``safety_monitor`` (rules, alerts, arm counts;
  artifact ``report.html``); each alert is an audit event ``safety.alert``.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from pharmakon.errors import InputError
from pharmakon.hashing import sha256_bytes
from pharmakon.store import get_object, list_objects, object_versions, read_artifact, record_event, save_object
from pharmakon.trials.safety.mgps import MGPSHyper
from pharmakon.trials.safety.monitoring import Alert, Monitor, MonitorRule
from pharmakon.trials.safety.signals import SIGNAL_COLUMNS, SignalTable

__all__ = [
    "REVIEW_STATUSES",
    "save_signal_table",
    "hyper_json",
    "load_signal_table",
    "review_signal",
    "list_reviews",
    "record_alerts",
    "save_monitor",
    "pair_key",
    "create_monitor",
    "append_records",
    "load_monitor",
    "table_rows",
    "pair_view",
    "load_records",
    "replay_monitor",
    "run_records",
]

REVIEW_STATUSES = ("open", "reviewed", "dismissed")
MAX_ROWS_IN_CONTENT = 500


def pair_key(table_name: str, drug: str, event: str) -> str:
    """Object name of the review of one pair in one table."""
    return f"{table_name}.{sha256_bytes(f'{drug}|{event}'.encode())[:16]}"


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    clean = df.replace([np.inf, -np.inf], np.nan).astype(object).where(df.notna(), None)
    return [
        {
            k: (
                float(v)
                if isinstance(v, np.floating)
                else int(v)
                if isinstance(v, np.integer)
                else bool(v)
                if isinstance(v, np.bool_)
                else v
            )
            for k, v in row.items()
        }
        for row in clean.replace({np.nan: None}).to_dict("records")
    ]


def save_signal_table(
    session: Session,
    *,
    name: str,
    result: SignalTable,
    actor: str,
    source: dict[str, Any] | None = None,
    reason: str | None = None,
    reports: Any = None,
    n_details: int = 25,
    csv: bytes | Path | None = None,
) -> Any:
    """Store ``result`` as a new version of ``signal_table/name``; returns the ObjectVersion.

    With ``reports`` (the long table the result came from) the drill-down of the
    ``n_details`` top flagged pairs (2x2 table, strata, trend by quarter) is stored too.
    Artifacts: ``signals.csv`` (the whole table, :meth:`SignalTable.to_csv_bytes`, or
    ``csv`` when the caller already wrote those bytes) and, with an MGPS fit,
    ``hyper.json`` (:func:`hyper_json`, the prior and every optimiser start).
    """
    flagged = result.signals().head(MAX_ROWS_IN_CONTENT)
    details = {}
    if reports is not None:
        from pharmakon.trials.safety.signals import pair_detail

        for _, row in flagged.head(n_details).iterrows():
            details[pair_key(name, row["drug"], row["event"])] = pair_detail(
                reports, row["drug"], row["event"], hyper=result.hyper, strata=result.strata
            )
    cols = [
        c for c in [*SIGNAL_COLUMNS, "chi2", "n_drug", "n_event", "n_total", "n_serious", "serious"] if c in flagged
    ] + [c for c in flagged if c.startswith("signal_")]
    content = {**result.summary(), "source": source or {}, "rows": _records(flagged[cols]), "details": details}
    artifacts: dict[str, bytes | Path] = {"signals.csv": result.to_csv_bytes() if csv is None else csv}
    if result.hyper is not None:
        artifacts["hyper.json"] = hyper_json(result.hyper)
    return save_object(
        session,
        kind="signal_table",
        name=name,
        content=content,
        actor=actor,
        artifacts=artifacts,
        reason=reason,
    )


def hyper_json(hyper: MGPSHyper) -> bytes:
    """The MGPS fit as the JSON ``safety signals --hyper-json`` writes (indented; every start included)."""
    return json.dumps(hyper.to_dict(), indent=2).encode("utf-8")


def load_signal_table(
    session: Session,
    name: str,
    version: int | str | None = None,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Content and full table (from the ``signals.csv`` artifact) of a stored signal table."""
    obj = get_object(session, "signal_table", name, version)
    table = pd.read_csv(
        io.BytesIO(read_artifact(obj.artifacts["signals.csv"])),
        keep_default_na=False,
        na_values=[""],
        dtype={"drug": str, "event": str},
    )
    return {**obj.content, "version": obj.version, "created_by": obj.created_by, "created_at": obj.created_at}, table


def review_signal(
    session: Session,
    *,
    table_name: str,
    drug: str,
    event: str,
    status: str,
    reason: str,
    actor: str,
    channel: str = "python",
) -> dict[str, Any]:
    """Mark one pair of a stored table ``reviewed``/``dismissed``/``open`` with a reason (audited).

    The one writer of ``safety.signal.<status>`` (``channel``: the front end, kept in the event's params).

    Raises
    ------
    InputError
        Unknown status, empty reason, or a pair not in the table.
    """
    if status not in REVIEW_STATUSES:
        raise InputError(f"status must be one of {list(REVIEW_STATUSES)}, got {status!r}", field="status")
    if not reason or not reason.strip():
        raise InputError("a reason is required for every review decision", field="reason")
    content, table = load_signal_table(session, table_name)
    hit = table[(table["drug"] == drug) & (table["event"] == event)]
    if hit.empty:
        raise InputError(f"pair {drug!r} / {event!r} is not in signal table {table_name!r}", field="drug")
    body = {
        "table": table_name,
        "table_version": content["version"],
        "drug": drug,
        "event": event,
        "status": status,
        "reason": reason.strip(),
        "row": _records(hit.head(1))[0],
    }
    obj = save_object(
        session,
        kind="signal_review",
        name=pair_key(table_name, drug, event),
        content=body,
        actor=actor,
        reason=reason.strip(),
    )
    record_event(
        session,
        actor=actor,
        action=f"safety.signal.{status}",
        object_type="signal_table",
        object_id=f"{table_name}@{content['version']}",
        params={"drug": drug, "event": event, "review": f"{obj.name}@{obj.version}", "channel": channel},
        reason=reason.strip(),
    )
    return {**body, "version": obj.version, "by": actor, "at": obj.created_at}


def list_reviews(session: Session, table_name: str) -> dict[tuple[str, str], dict[str, Any]]:
    """Latest review of each pair of ``table_name``: ``{(drug, event): content + by/at/version}``."""
    out = {}
    for obj in list_objects(session, kind="signal_review"):
        if obj.content.get("table") == table_name:
            out[(obj.content["drug"], obj.content["event"])] = {
                **obj.content,
                "by": obj.created_by,
                "at": obj.created_at,
                "version": obj.version,
            }
    return out


def table_rows(
    table: pd.DataFrame,
    reviews: dict[tuple[str, str], dict[str, Any]],
    *,
    method: str | None = None,
    flagged: bool = True,
    drug: str | None = None,
    event: str | None = None,
    min_n: int = 0,
    status: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """Filter (vectorised) and page a stored table; adds ``review_status`` from ``reviews``."""
    mask = table["n"] >= min_n
    sig_cols = [c for c in table if c.startswith("signal_")]
    if method:
        mask &= table.get(f"signal_{method}", pd.Series(False, index=table.index)).astype(bool)
    elif flagged and sig_cols:
        mask &= table[sig_cols].astype(bool).any(axis=1)
    if drug:
        mask &= table["drug"].astype(str).str.contains(drug, case=False, regex=False)
    if event:
        mask &= table["event"].astype(str).str.contains(event, case=False, regex=False)
    out = table[mask].copy()
    keys = pd.Series(list(zip(out["drug"], out["event"], strict=True)), index=out.index, dtype=object)
    out["review_status"] = keys.map(lambda k: reviews.get(k, {}).get("status", "open"))
    if status:
        out = out[out["review_status"] == status]
    return _records(out.iloc[offset : offset + limit]), int(len(out))


def pair_view(session: Session, table_name: str, drug: str, event: str) -> dict[str, Any]:
    """One pair of a stored table: row, 2x2 table, stored drill-down and review history."""
    content, table = load_signal_table(session, table_name)
    hit = table[(table["drug"] == drug) & (table["event"] == event)]
    if hit.empty:
        raise InputError(f"pair {drug!r} / {event!r} is not in signal table {table_name!r}", field="drug")
    row = _records(hit.head(1))[0]
    a, n_drug, n_event, n_total = row["n"], row["n_drug"], row["n_event"], row["n_total"]
    key = pair_key(table_name, drug, event)
    history = [
        {**v.content, "by": v.created_by, "at": v.created_at, "version": v.version}
        for v in object_versions(session, "signal_review", key)
    ]
    detail = content.get("details", {}).get(key, {})
    return {
        "table": table_name,
        "table_version": content["version"],
        "drug": drug,
        "event": event,
        "row": row,
        "two_by_two": {"a": a, "b": n_drug - a, "c": n_event - a, "d": n_total - n_drug - n_event + a},
        "strata": detail.get("strata", []),
        "trend": detail.get("trend", []),
        "reviews": history,
        "onset": detail.get("onset"),
        "outcomes": detail.get("outcomes", []),
        "hyper": content.get("hyper"),
    }


def record_alerts(session: Session, *, trial: str, alerts: list[Alert], actor: str, channel: str = "python") -> None:
    """One ``safety.alert`` audit event per alert (the one writer of that action)."""
    for a in alerts:
        record_event(
            session,
            actor=actor,
            action="safety.alert",
            object_type="safety_monitor",
            object_id=trial,
            params={**a.to_dict(), "channel": channel},
            reason=f"rule {a.rule} crossed at day {a.time:.2f}",
        )


def save_monitor(
    session: Session,
    *,
    trial: str,
    monitor: Monitor,
    actor: str,
    records: list[dict[str, Any]],
    report_html: str | None = None,
) -> Any:
    """Store the monitor as a new version of ``safety_monitor/trial``.

    Artifacts: ``state.json`` (the monitor's sufficient state, :meth:`Monitor.to_state`:
    per-arm counts and exposure, per-subject enrolment/exit/first-event days, alerts,
    statistic history) and ``batch.jsonl`` (only the records new in this version; the
    full stream is the concatenation over versions, :func:`load_records`).
    """
    hist = pd.DataFrame(monitor.history)
    content = {
        "trial": trial,
        "data_cut_day": monitor.now,
        "records": monitor.records,
        "batch": len(records),
        "rules": [r.to_dict() for r in monitor.rules],
        "alerts": [a.to_dict() for a in monitor.alerts],
        "arms": {arm: {"subjects": int(s[0]), "on_study": int(s[1])} for arm, s in monitor.arms.items()},
        "history": _records(hist.iloc[:: max(len(hist) // 400, 1)]) if len(hist) else [],
    }
    artifacts = {
        "state.json": json.dumps(monitor.to_state()).encode(),
        "batch.jsonl": "".join(json.dumps(r) + "\n" for r in records).encode(),
    }
    if report_html:
        artifacts["report.html"] = report_html.encode()
    return save_object(session, kind="safety_monitor", name=trial, content=content, actor=actor, artifacts=artifacts)


def create_monitor(session: Session, *, trial: str, rules: list[MonitorRule], actor: str) -> Any:
    """Start monitoring ``trial`` with ``rules`` (a new, empty ``safety_monitor`` version)."""
    monitor = Monitor(list(rules))
    return save_monitor(session, trial=trial, monitor=monitor, actor=actor, records=[])


def _jsonl(blob: bytes) -> list[dict[str, Any]]:
    return [json.loads(x) for x in blob.decode().splitlines() if x]


def load_monitor(session: Session, trial: str) -> Monitor:
    """The stored monitor, rebuilt from its saved state (no replay of the stream)."""
    obj = get_object(session, "safety_monitor", trial)
    if "state.json" in obj.artifacts:
        return Monitor.from_state(json.loads(read_artifact(obj.artifacts["state.json"])))
    # versions written before the state was stored hold the whole stream in records.jsonl
    monitor = Monitor([MonitorRule(**r) for r in obj.content["rules"]])
    for i, rec in enumerate(_jsonl(read_artifact(obj.artifacts["records.jsonl"])), 1):
        monitor.update(rec, line=i)
    return monitor


def load_records(session: Session, trial: str) -> list[dict[str, Any]]:
    """The full stored stream of the current monitor: its batches since the last (re)start, in order."""
    batches = []
    for obj in sorted(object_versions(session, "safety_monitor", trial), key=lambda o: -o.version):
        if "records.jsonl" in obj.artifacts:
            batches.append(_jsonl(read_artifact(obj.artifacts["records.jsonl"])))
            break
        batches.append(_jsonl(read_artifact(obj.artifacts["batch.jsonl"])))
        if obj.content.get("records") == obj.content.get("batch"):  # first version of this run
            break
    return [r for batch in reversed(batches) for r in batch]


def replay_monitor(session: Session, trial: str) -> Monitor:
    """Rebuild the monitor by replaying the full stored stream (for checks; :func:`load_monitor` reads the saved state instead)."""
    obj = get_object(session, "safety_monitor", trial)
    return run_records(Monitor([MonitorRule(**r) for r in obj.content["rules"]]), load_records(session, trial))


def run_records(monitor: Monitor, records: list[dict[str, Any]]) -> Monitor:
    """Feed ``records`` to ``monitor`` (line numbers continue from ``monitor.records``)."""
    for rec in records:
        monitor.update(rec, line=monitor.records + 1)
    return monitor


def append_records(
    session: Session, *, trial: str, records: list[dict[str, Any]], actor: str, channel: str = "python"
) -> list[Alert]:
    """Feed new stream records to a stored monitor incrementally (from its saved state); new alerts are audited.

    Nothing is saved when a record is invalid (the error names its line in the whole stream).
    """
    monitor = load_monitor(session, trial)
    before = len(monitor.alerts)
    run_records(monitor, records)
    new_alerts = monitor.alerts[before:]
    record_alerts(session, trial=trial, alerts=new_alerts, actor=actor, channel=channel)
    save_monitor(session, trial=trial, monitor=monitor, actor=actor, records=list(records))
    return new_alerts
