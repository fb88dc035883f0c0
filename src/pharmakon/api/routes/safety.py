"""REST endpoints of drug safety: signal tables, signal review, running-trial monitoring.

Reading needs the viewer role; computing, reviewing and streaming events need scientist.
Each route builds the spec of :mod:`pharmakon.trials.safety.service`, calls the service
(which stores and audits: object saves, ``safety.signals``, ``safety.signal.*``,
``safety.alert``) and returns its typed result.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from pharmakon.api.deps import ScientistUser, StoreDep, ViewerUser
from pharmakon.caller import Caller
from pharmakon.specs import build_spec
from pharmakon.trials.safety import service
from pharmakon.trials.safety.specs import (
    MAX_COUNT,
    AppendEventsSpec,
    Method,
    ReviewBody,
    ReviewSpec,
    ReviewStatus,
    RuleSet,
    SignalsRowsSpec,
    StartMonitorSpec,
    StreamBatch,
    TableQuery,
)

router = APIRouter(prefix="/safety", tags=["safety"])


def _query_default(field: str) -> object:
    return TableQuery.model_fields[field].default


@router.get("/tables", response_model=list[service.SignalTableInfo])
def list_tables(store: StoreDep, _user: ViewerUser) -> list[service.SignalTableInfo]:
    """Stored signal tables (latest version of each)."""
    return service.list_signal_tables(store)


@router.post("/tables", status_code=201, response_model=service.SignalsResult)
def create_table(body: SignalsRowsSpec, store: StoreDep, user: ScientistUser) -> service.SignalsResult:
    """Score the posted reports (long layout) with the requested methods and store the table as ``name``.

    Rows are cleaned as ``pharmakon safety signals`` cleans a long file (drug names
    normalised unless ``normalise`` is false); bad rows are listed in ``ingest`` and
    skipped, or, with ``strict``, refused (422).
    """
    return service.compute_signals(store, body, Caller(user.username, "api"))


@router.get("/tables/{name}", response_model=service.SignalTablePage)
def get_table(
    name: str,
    store: StoreDep,
    _user: ViewerUser,
    method: Annotated[Method | None, Query(description="only pairs flagged by it")] = None,
    flagged: Annotated[bool, Query(description="only pairs flagged by any method")] = _query_default("flagged"),
    drug: Annotated[str | None, Query(description="substring of the drug, case-insensitive")] = None,
    event: Annotated[str | None, Query(description="substring of the event, case-insensitive")] = None,
    min_n: Annotated[int, Query(ge=0, le=MAX_COUNT)] = _query_default("min_n"),
    status: Annotated[ReviewStatus | None, Query(description="only pairs with this review status")] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = _query_default("limit"),
    offset: Annotated[int, Query(ge=0, le=MAX_COUNT)] = _query_default("offset"),
) -> service.SignalTablePage:
    """Ranked, filtered rows of a stored table with each pair's latest review status."""
    query = TableQuery(
        name=name,
        method=method,
        flagged=flagged,
        drug=drug,
        event=event,
        min_n=min_n,
        status=status,
        limit=limit,
        offset=offset,
    )
    return service.signal_table_page(store, query)


@router.get("/tables/{name}/pair", response_model=service.PairView)
def get_pair(name: str, drug: str, event: str, store: StoreDep, _user: ViewerUser) -> service.PairView:
    """Drill-down of one pair: its row, the 2x2 table, stored strata/trend, and its review history."""
    return service.signal_pair(store, name, drug, event)


@router.post("/tables/{name}/reviews", status_code=201, response_model=service.ReviewResult)
def review(name: str, body: ReviewBody, store: StoreDep, user: ScientistUser) -> service.ReviewResult:
    """Mark a pair reviewed / dismissed / open with a reason (audited)."""
    spec = ReviewSpec(table=name, **body.model_dump())
    return service.review_signal(store, spec, Caller(user.username, "api"))


@router.get("/monitors", response_model=list[service.MonitorInfo])
def list_monitors(store: StoreDep, _user: ViewerUser) -> list[service.MonitorInfo]:
    """Monitored trials with their alert counts."""
    return service.list_monitors(store)


@router.put("/monitors/{trial}", status_code=201, response_model=service.MonitorStarted)
def create_monitor(trial: str, body: RuleSet, store: StoreDep, user: ScientistUser) -> service.MonitorStarted:
    """Start (or restart, as a new version) monitoring a trial with these rules."""
    spec = build_spec(StartMonitorSpec, trial=trial, rules=body.rules)
    return service.start_monitor(store, spec, Caller(user.username, "api"))


@router.post("/monitors/{trial}/events", response_model=service.EventsResult)
def post_events(trial: str, body: StreamBatch, store: StoreDep, user: ScientistUser) -> service.EventsResult:
    """Append stream records (enroll / ae / exit); returns the alerts they raised (audited).

    The stored monitor state (per-arm counts, exposure, per-subject days) is updated
    incrementally; earlier records are not replayed.
    """
    spec = build_spec(AppendEventsSpec, trial=trial, records=body.records)
    return service.append_events(store, spec, Caller(user.username, "api"))


@router.get("/monitors/{trial}", response_model=service.MonitorState)
def get_monitor(trial: str, store: StoreDep, _user: ViewerUser) -> service.MonitorState:
    """Rules, alerts, arm counts and statistic history of a monitored trial."""
    return service.monitor_state(store, trial)


@router.get("/monitors/{trial}/report", response_class=HTMLResponse, response_model=None)
def monitor_report(trial: str, store: StoreDep, _user: ViewerUser) -> HTMLResponse:
    """DSMB-style HTML report built from the stored monitor state (``text/html``)."""
    return HTMLResponse(service.monitor_report(store, trial))
