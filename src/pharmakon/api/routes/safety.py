"""REST endpoints of drug safety: signal tables, signal review, running-trial monitoring.

Reading needs the viewer role; computing, reviewing and streaming events need scientist.
Every state change is audited by the domain functions (object saves, ``safety.signal.*``,
``safety.alert``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from pharmakon.api.deps import ScientistUser, SessionDep, StoreDep, ViewerUser

router = APIRouter(prefix="/safety", tags=["safety"])


class ReportRow(BaseModel):
    report: str
    drug: str
    event: str
    model_config = {"extra": "allow"}


class SignalsCreate(BaseModel):
    """Reports in the long layout; the result is stored as signal table ``name``."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:@+-]{0,255}$")
    rows: list[ReportRow] = Field(min_length=1, max_length=200_000)
    methods: list[Literal["ebgm", "prr", "ror", "ic"]] = ["ebgm", "prr", "ror", "ic"]
    strata: list[str] = []


class ReviewCreate(BaseModel):
    drug: str
    event: str
    status: Literal["open", "reviewed", "dismissed"]
    reason: str = Field(min_length=1, max_length=2000)


class MonitorCreate(BaseModel):
    rules: list[dict[str, Any]] = Field(min_length=1)


class StreamRecords(BaseModel):
    records: list[dict[str, Any]] = Field(min_length=1, max_length=100_000)


def _summary(obj: Any) -> dict[str, Any]:
    c = obj.content
    return {
        "name": obj.name,
        "version": obj.version,
        "created_by": obj.created_by,
        "created_at": obj.created_at,
        "pairs": c.get("pairs"),
        "reports": c.get("reports"),
        "methods": c.get("methods"),
        "flagged": c.get("flagged"),
        "strata": c.get("strata"),
    }


@router.get("/tables")
def list_tables(store: StoreDep, _user: ViewerUser) -> list[dict[str, Any]]:
    """Stored signal tables (latest version of each)."""
    from pharmakon.store import list_objects

    with store.read_session() as session:
        return [_summary(o) for o in list_objects(session, kind="signal_table")]


@router.post("/tables", status_code=201)
def create_table(body: SignalsCreate, session: SessionDep, user: ScientistUser) -> dict[str, Any]:
    """Compute all requested methods on the posted reports and store the table."""
    import pandas as pd

    from pharmakon.trials.safety.persist import save_signal_table
    from pharmakon.trials.safety.signals import detect_signals

    reports = pd.DataFrame([r.model_dump() for r in body.rows]).astype(str)
    result = detect_signals(reports, methods=body.methods, strata=body.strata)
    obj = save_signal_table(
        session,
        name=body.name,
        result=result,
        actor=user.username,
        reports=reports,
        source={"via": "api", "rows": len(reports)},
    )
    return _summary(obj)


@router.get("/tables/{name}")
def get_table(
    name: str,
    store: StoreDep,
    _user: ViewerUser,
    method: Annotated[Literal["ebgm", "prr", "ror", "ic"] | None, Query(description="only pairs flagged by it")] = None,
    flagged: Annotated[bool, Query(description="only pairs flagged by any method")] = True,
    drug: Annotated[str | None, Query(description="substring of the drug, case-insensitive")] = None,
    event: Annotated[str | None, Query(description="substring of the event, case-insensitive")] = None,
    min_n: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=5000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """Ranked, filtered rows of a stored table with each pair's latest review status."""
    from pharmakon.trials.safety.persist import list_reviews, load_signal_table, table_rows

    with store.read_session() as session:
        content, table = load_signal_table(session, name)
        reviews = list_reviews(session, name)
    rows, total = table_rows(
        table, reviews, method=method, flagged=flagged, drug=drug, event=event, min_n=min_n, limit=limit, offset=offset
    )
    meta = {k: v for k, v in content.items() if k not in ("rows", "details")}
    return {**meta, "total": total, "limit": limit, "offset": offset, "items": rows}


@router.get("/tables/{name}/pair")
def get_pair(name: str, drug: str, event: str, store: StoreDep, _user: ViewerUser) -> dict[str, Any]:
    """Drill-down of one pair: its row, the 2x2 table, stored strata/trend, and its review history."""
    from pharmakon.trials.safety.persist import pair_view

    with store.read_session() as session:
        return pair_view(session, name, drug, event)


@router.post("/tables/{name}/reviews", status_code=201)
def review(name: str, body: ReviewCreate, session: SessionDep, user: ScientistUser) -> dict[str, Any]:
    """Mark a pair reviewed / dismissed / open with a reason (audited)."""
    from pharmakon.trials.safety.persist import review_signal

    return review_signal(
        session,
        table_name=name,
        drug=body.drug,
        event=body.event,
        status=body.status,
        reason=body.reason,
        actor=user.username,
    )


@router.get("/monitors")
def list_monitors(store: StoreDep, _user: ViewerUser) -> list[dict[str, Any]]:
    """Monitored trials with their alert counts."""
    from pharmakon.store import list_objects

    with store.read_session() as session:
        return [
            {
                "trial": o.name,
                "version": o.version,
                "records": o.content.get("records"),
                "data_cut_day": o.content.get("data_cut_day"),
                "alerts": len(o.content.get("alerts", [])),
            }
            for o in list_objects(session, kind="safety_monitor")
        ]


@router.put("/monitors/{trial}", status_code=201)
def create_monitor(trial: str, body: MonitorCreate, session: SessionDep, user: ScientistUser) -> dict[str, Any]:
    """Start (or restart, as a new version) monitoring a trial with these rules."""
    from pharmakon.trials.safety.monitoring import parse_rules
    from pharmakon.trials.safety.persist import create_monitor as create

    obj = create(session, trial=trial, rules=parse_rules(body.rules, "request body"), actor=user.username)
    return {"trial": obj.name, "version": obj.version, "rules": obj.content["rules"]}


@router.post("/monitors/{trial}/events")
def post_events(trial: str, body: StreamRecords, session: SessionDep, user: ScientistUser) -> dict[str, Any]:
    """Append stream records (enroll / ae / exit); returns the alerts they raised (audited).

    The stored monitor state (per-arm counts, exposure, per-subject days) is updated
    incrementally; earlier records are not replayed.
    """
    from pharmakon.trials.safety.persist import append_records

    alerts = append_records(session, trial=trial, records=body.records, actor=user.username)
    return {"trial": trial, "accepted": len(body.records), "alerts": [a.to_dict() for a in alerts]}


@router.get("/monitors/{trial}")
def get_monitor(trial: str, store: StoreDep, _user: ViewerUser) -> dict[str, Any]:
    """Rules, alerts, arm counts and statistic history of a monitored trial."""
    from pharmakon.store import get_object

    with store.read_session() as session:
        obj = get_object(session, "safety_monitor", trial)
    return {**obj.content, "version": obj.version, "created_at": obj.created_at}


@router.get("/monitors/{trial}/report", response_class=HTMLResponse)
def monitor_report(trial: str, store: StoreDep, _user: ViewerUser) -> HTMLResponse:
    """DSMB-style HTML report built from the stored monitor state."""
    from pharmakon.trials.safety.dsmb import dsmb_report_html
    from pharmakon.trials.safety.persist import load_monitor

    with store.read_session() as session:
        monitor = load_monitor(session, trial)
    return HTMLResponse(dsmb_report_html(monitor, title=f"DSMB safety report: {trial}"))
