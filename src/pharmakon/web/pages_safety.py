"""Workbench pages for drug safety: signal table, per-signal drill-down, monitoring dashboard."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pharmakon.errors import PharmakonError
from pharmakon.web.routes import check_csrf, page_user, render

router = APIRouter(include_in_schema=False)


@router.get("/safety", response_class=HTMLResponse)
def safety_home(request: Request) -> Response:
    """Stored signal tables and monitored trials."""
    user = page_user(request, "viewer")
    from pharmakon.store import list_objects
    from pharmakon.web.routes import get_store

    with get_store().read_session() as session:
        tables = list_objects(session, kind="signal_table")
        monitors = list_objects(session, kind="safety_monitor")
    return render(request, "safety_home.html", user, tables=tables, monitors=monitors)


@router.get("/safety/tables/{name}", response_class=HTMLResponse)
def signal_table(request: Request, name: str) -> Response:
    """Ranked, filterable signal table with review status."""
    user = page_user(request, "viewer")
    from pharmakon.trials.safety.persist import list_reviews, load_signal_table, table_rows
    from pharmakon.web.routes import get_store

    q = request.query_params
    filters = {
        "method": q.get("method") or None,
        "drug": q.get("drug") or None,
        "event": q.get("event") or None,
        "status": q.get("status") or None,
    }
    try:
        min_n = int(q.get("min_n") or 0)
        offset = max(int(q.get("offset") or 0), 0)
    except ValueError:
        min_n, offset = 0, 0
    with get_store().read_session() as session:
        content, table = load_signal_table(session, name)
        reviews = list_reviews(session, name)
    rows, total = table_rows(table, reviews, min_n=min_n, limit=100, offset=offset, **filters)
    form = {k: v or "" for k, v in filters.items()} | {"min_n": str(min_n)}
    return render(
        request,
        "safety_table.html",
        user,
        name=name,
        meta=content,
        rows=rows,
        total=total,
        offset=offset,
        form=form,
        query=urlencode({k: v for k, v in form.items() if v}),
        quote=quote,
    )


@router.get("/safety/tables/{name}/pair", response_class=HTMLResponse)
def signal_pair(request: Request, name: str, drug: str, event: str) -> Response:
    """Drill-down: counts, 2x2 table, strata, cumulative EBGM by quarter, review history."""
    user = page_user(request, "viewer")
    from pharmakon.trials.safety.persist import pair_view
    from pharmakon.web.routes import get_store

    with get_store().read_session() as session:
        view = pair_view(session, name, drug, event)
    plot = _trend_svg(view["trend"]) if view["trend"] else ""
    return render(
        request, "safety_pair.html", user, name=name, v=view, plot=plot, error=request.query_params.get("error", "")
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
    from pharmakon.trials.safety.persist import review_signal
    from pharmakon.web.routes import get_store

    back = f"/safety/tables/{quote(name)}/pair?{urlencode({'drug': drug, 'event': event})}"
    try:
        with get_store().session() as session:
            review_signal(
                session, table_name=name, drug=drug, event=event, status=status, reason=reason, actor=user.username
            )
    except PharmakonError as exc:
        return RedirectResponse(f"{back}&{urlencode({'error': exc.message})}", status_code=303)
    return RedirectResponse(back, status_code=303)


@router.get("/safety/monitors/{trial}", response_class=HTMLResponse)
def monitor_dashboard(request: Request, trial: str) -> Response:
    """Monitoring dashboard: alerts, arm counts, rules, and the DSMB plots."""
    user = page_user(request, "viewer")
    from pharmakon.store import get_object
    from pharmakon.trials.safety.dsmb import monitor_plots
    from pharmakon.trials.safety.persist import load_monitor
    from pharmakon.web.routes import get_store

    with get_store().read_session() as session:
        obj = get_object(session, "safety_monitor", trial)
        monitor = load_monitor(session, trial)
    plots = monitor_plots(monitor) if monitor.records else []
    return render(request, "safety_monitor.html", user, trial=trial, m=obj.content, version=obj.version, plots=plots)


@router.get("/safety/monitors/{trial}/report", response_class=HTMLResponse)
def monitor_report(request: Request, trial: str) -> Response:
    """The DSMB-style report as a standalone HTML page."""
    page_user(request, "viewer")
    from pharmakon.trials.safety.dsmb import dsmb_report_html
    from pharmakon.trials.safety.persist import load_monitor
    from pharmakon.web.routes import get_store

    with get_store().read_session() as session:
        monitor = load_monitor(session, trial)
    return HTMLResponse(dsmb_report_html(monitor, title=f"DSMB safety report: {trial}"))


def _trend_svg(trend: list[dict[str, Any]]) -> str:
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    quarters = [t["quarter"] for t in trend]
    fig, ax = plt.subplots(figsize=(6.5, 3.0))
    if trend and "ebgm" in trend[0]:
        ax.plot(quarters, [t["ebgm"] for t in trend], marker="o", label="EBGM")
        ax.fill_between(quarters, [t["eb05"] for t in trend], [t["eb95"] for t in trend], alpha=0.25, label="EB05-EB95")
        ax.axhline(2, color="crimson", ls="--", lw=1)
    ax.set(xlabel="quarter (cumulative)", ylabel="EBGM", title="Cumulative EBGM by quarter")
    ax.legend(loc="upper left")
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()
