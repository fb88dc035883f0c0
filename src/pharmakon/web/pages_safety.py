"""Workbench pages for drug safety: signal table, per-signal drill-down, monitoring dashboard.

Each page reads or writes through :mod:`pharmakon.trials.safety.service` and renders.
"""

from __future__ import annotations

from typing import Annotated, get_args
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pharmakon.auth import get_store
from pharmakon.caller import Caller
from pharmakon.errors import InputError, PharmakonError
from pharmakon.specs import build_spec
from pharmakon.trials.safety import service
from pharmakon.trials.safety.figures import trend_svg
from pharmakon.trials.safety.specs import MAX_COUNT as MAX_QUERY_INT
from pharmakon.trials.safety.specs import Method, ReviewSpec, ReviewStatus, TableQuery
from pharmakon.web.routes import check_csrf, page_user, render

router = APIRouter(include_in_schema=False)

#: Rows per page of the signal table.
PAGE_ROWS = 100


@router.get("/safety", response_class=HTMLResponse)
def safety_home(request: Request) -> Response:
    """Stored signal tables and monitored trials."""
    user = page_user(request, "viewer")
    store = get_store()
    return render(
        request,
        "safety_home.html",
        user,
        tables=service.list_signal_tables(store),
        monitors=service.list_monitors(store),
    )


def _int(text: str | None, field: str) -> int:
    """A non-negative whole number from a query parameter (blank: 0); anything else names the field."""
    text = (text or "").strip()
    if not text:
        return 0
    try:
        value = int(text)
    except ValueError:
        raise InputError(f"{field} must be a whole number (got {text[:40]!r})", field=field) from None
    if not 0 <= value <= MAX_QUERY_INT:
        raise InputError(f"{field} must be between 0 and {MAX_QUERY_INT:,} (got {value})", field=field)
    return value


@router.get("/safety/tables/{name}", response_class=HTMLResponse)
def signal_table(request: Request, name: str) -> Response:
    """Ranked, filterable signal table with review status."""
    user = page_user(request, "viewer")
    q = request.query_params
    form = {k: q.get(k) or "" for k in ("method", "drug", "event", "status")} | {
        "min_n": str(_int(q.get("min_n"), "min_n"))
    }
    query = build_spec(
        TableQuery,
        name=name,
        method=form["method"] if form["method"] in get_args(Method) else None,
        drug=form["drug"] or None,
        event=form["event"] or None,
        status=form["status"] if form["status"] in get_args(ReviewStatus) else None,
        min_n=int(form["min_n"]),
        limit=PAGE_ROWS,
        offset=_int(q.get("offset"), "offset"),
    )
    page = service.signal_table_page(get_store(), query)
    return render(
        request,
        "safety_table.html",
        user,
        name=name,
        meta=page,
        rows=page.to_dict()["items"],
        total=page.total,
        offset=page.offset,
        page_rows=PAGE_ROWS,
        form=form,
        query=urlencode({k: v for k, v in form.items() if v}),
        quote=quote,
    )


@router.get("/safety/tables/{name}/pair", response_class=HTMLResponse)
def signal_pair(request: Request, name: str, drug: str, event: str) -> Response:
    """Drill-down: counts, 2x2 table, strata, cumulative EBGM by quarter, review history."""
    user = page_user(request, "viewer")
    view = service.signal_pair(get_store(), name, drug, event)
    return render(
        request,
        "safety_pair.html",
        user,
        name=name,
        v=view.to_dict(),
        plot=trend_svg(view.trend),
        error=request.query_params.get("error", ""),
    )


@router.post("/safety/tables/{name}/review", response_class=HTMLResponse)
def signal_review(
    request: Request,
    name: str,
    drug: Annotated[str, Form()],
    event: Annotated[str, Form()],
    status: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Mark reviewed / dismissed / open with a reason (scientists; audited)."""
    user = page_user(request, "scientist")
    check_csrf(request, csrf)
    back = f"/safety/tables/{quote(name)}/pair?{urlencode({'drug': drug, 'event': event})}"
    try:
        spec = build_spec(ReviewSpec, table=name, drug=drug, event=event, status=status, reason=reason)
        service.review_signal(get_store(), spec, Caller(user.username, "web"))
    except PharmakonError as exc:
        return RedirectResponse(f"{back}&{urlencode({'error': exc.message})}", status_code=303)
    return RedirectResponse(back, status_code=303)


@router.get("/safety/monitors/{trial}", response_class=HTMLResponse)
def monitor_dashboard(request: Request, trial: str) -> Response:
    """Monitoring dashboard: alerts, arm counts, rules, and the DSMB plots."""
    user = page_user(request, "viewer")
    store = get_store()
    state = service.monitor_state(store, trial)
    return render(
        request,
        "safety_monitor.html",
        user,
        trial=trial,
        m=state.to_dict(),
        version=state.version,
        plots=service.monitor_figures(store, trial),
    )


@router.get("/safety/monitors/{trial}/report", response_class=HTMLResponse)
def monitor_report(request: Request, trial: str) -> Response:
    """The DSMB-style report as a standalone HTML page."""
    page_user(request, "viewer")
    return HTMLResponse(service.monitor_report(get_store(), trial))
