"""REST endpoints of trial data on CDISC standards (under /api/v1/trialdata).

Reading stored tables and reviews needs the viewer role; computing (validate, TLFs,
review, retention, safety feed) and acting on queries need scientist. The folders a
request names must lie in the server's data cache or mirror
(:func:`~pharmakon.trials.cdisc.service.check_server_paths`). Each route builds the spec
of :mod:`pharmakon.trials.cdisc.service`, calls the service (which stores and audits)
and returns its typed result. Every route is a plain ``def``: the work runs in the
threadpool, off the event loop.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import Field

from pharmakon.api.deps import ScientistUser, StoreDep, ViewerUser
from pharmakon.caller import Caller
from pharmakon.specs import Spec, build_spec
from pharmakon.trials.cdisc import service
from pharmakon.trials.cdisc.service import (
    QueryActionSpec,
    RetentionSpec,
    ReviewSpec,
    SafetyFeedSpec,
    TlfSpec,
    ValidateSpec,
    check_server_paths,
)
from pharmakon.trials.safety.service import MonitorRunResult

router = APIRouter(prefix="/trialdata", tags=["trialdata"])


class QueryActionBody(Spec):
    """What to do with a query, and why."""

    action: Literal["answer", "close", "reopen"]
    text: str = Field(min_length=1, max_length=4000)


@router.post("/validate", response_model=service.ValidateResult)
def validate(body: ValidateSpec, store: StoreDep, user: ScientistUser) -> service.ValidateResult:
    """Dataset-level checks of an SDTM folder: each finding names domain, row, variable and rule."""
    return service.validate_study(store, check_server_paths(body), Caller(user.username, "api"))


@router.post("/tlfs", response_model=service.TlfResult)
def make_tlf(body: TlfSpec, store: StoreDep, user: ScientistUser) -> service.TlfResult:
    """One analysis output (built-in table or YAML analysis spec); stored when named."""
    return service.make_tlf(store, check_server_paths(body), Caller(user.username, "api"))


@router.get("/tlfs", response_model=list[service.TlfResult])
def list_tlfs(store: StoreDep, _user: ViewerUser) -> list[service.TlfResult]:
    """Stored tables (latest version of each)."""
    return service.list_tlfs(store)


@router.get("/tlfs/{name}", response_model=service.TlfResult)
def get_tlf(name: str, store: StoreDep, _user: ViewerUser) -> service.TlfResult:
    """One stored table."""
    return service.get_tlf(store, name)


@router.post("/reviews", status_code=201, response_model=service.ReviewResult)
def review(body: ReviewSpec, store: StoreDep, user: ScientistUser) -> service.ReviewResult:
    """Edit checks and anomaly detection over an SDTM folder; queries stored when named."""
    return service.review_study(store, check_server_paths(body), Caller(user.username, "api"))


@router.get("/reviews", response_model=list[service.ReviewInfo])
def list_reviews(store: StoreDep, _user: ViewerUser) -> list[service.ReviewInfo]:
    """Stored reviews (latest version of each)."""
    return service.list_reviews(store)


@router.get("/reviews/{name}", response_model=service.Dashboard)
def dashboard(
    name: str,
    store: StoreDep,
    _user: ViewerUser,
    status: Annotated[Literal["open", "answered", "closed"] | None, Query()] = None,
    site: Annotated[str | None, Query(max_length=64)] = None,
    domain: Annotated[str | None, Query(max_length=8)] = None,
    rule: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 200,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> service.Dashboard:
    """Queries with their status (filtered), and open queries by site and domain."""
    return service.review_dashboard(
        store, name, status=status, site=site, domain=domain, rule=rule, limit=limit, offset=offset
    )


@router.post("/reviews/{name}/queries/{query_id}", response_model=service.QueryState)
def act_on_query(
    name: str, query_id: str, body: QueryActionBody, store: StoreDep, user: ScientistUser
) -> service.QueryState:
    """Answer, close or reopen a query (audited, with the text as the reason)."""
    spec = build_spec(QueryActionSpec, review=name, query_id=query_id, action=body.action, text=body.text)
    return service.act_on_query(store, spec, Caller(user.username, "api"))


@router.post("/retention", response_model=service.RetentionResult)
def retention(body: RetentionSpec, store: StoreDep, user: ScientistUser) -> service.RetentionResult:
    """Train and register the retention model; per-participant risks with SHAP reasons, fairness, metrics."""
    return service.predict_retention(store, check_server_paths(body), Caller(user.username, "api"))


@router.post("/safety-feed", response_model=MonitorRunResult)
def safety_feed(body: SafetyFeedSpec, store: StoreDep, user: ScientistUser) -> MonitorRunResult:
    """Replay SDTM DM/AE/DS through the running-trial safety monitor (stored, alerts audited)."""
    return service.feed_safety(store, check_server_paths(body), Caller(user.username, "api"))
