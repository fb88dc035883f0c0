"""Workbench pages of trial data: review dashboard (queries by site and domain, evidence, answers), TLF viewer,
retention risk with reasons.

Each page reads or writes through :mod:`pharmakon.trials.cdisc.service` and renders.
Forms carry the CSRF token; a bad value re-renders the form with the error naming the field.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pharmakon.auth import get_store
from pharmakon.caller import Caller
from pharmakon.errors import PharmakonError
from pharmakon.specs import build_spec
from pharmakon.trials.cdisc import service
from pharmakon.trials.cdisc.service import QueryActionSpec, ReviewSpec, TlfSpec, check_server_paths
from pharmakon.web.routes import check_csrf, page_user, render

router = APIRouter(include_in_schema=False)

#: Queries per page of the dashboard.
PAGE_ROWS = 100


def _home(
    request: Request, user: Any, *, error: str = "", form: dict[str, str] | None = None, status: int = 200
) -> Response:
    store = get_store()
    return render(
        request,
        "trialdata_home.html",
        user,
        status_code=status,
        reviews=service.list_reviews(store),
        tlfs=service.list_tlfs(store),
        retention=service.list_retention(store),
        error=error,
        form=form or {},
    )


@router.get("/trialdata", response_class=HTMLResponse)
def trialdata_home(request: Request) -> Response:
    """Stored reviews, tables and retention models; forms to run a review or a table."""
    return _home(request, page_user(request, "viewer"))


@router.post("/trialdata/reviews", response_class=HTMLResponse)
def run_review(
    request: Request,
    sdtm: Annotated[str, Form()] = "",
    adam: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    visit_window_days: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Run and store a review (scientists; audited)."""
    user = page_user(request, "scientist")
    check_csrf(request, csrf)
    form = {"sdtm": sdtm, "adam": adam, "name": name, "visit_window_days": visit_window_days}
    try:
        spec = build_spec(
            ReviewSpec,
            sdtm=sdtm or None,
            adam=adam or None,
            name=name or None,
            visit_window_days=visit_window_days or None,
        )
        result = service.review_study(get_store(), check_server_paths(spec), Caller(user.username, "web"))
    except PharmakonError as exc:
        return _home(request, user, error=exc.message, form=form, status=422)
    if result.name is None:
        return _home(request, user, error="name: give a name to store the review", form=form, status=422)
    return RedirectResponse(f"/trialdata/reviews/{quote(result.name)}", status_code=303)


@router.post("/trialdata/tlfs", response_class=HTMLResponse)
def run_tlf(
    request: Request,
    study: Annotated[str, Form()] = "",
    table: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Compute and store a table (scientists; audited)."""
    user = page_user(request, "scientist")
    check_csrf(request, csrf)
    form = {"study": study, "table": table, "tlf_name": name}
    try:
        spec = build_spec(TlfSpec, study=study or None, table=table or None, name=name or None)
        if not spec.name:
            raise PharmakonError("name: give a name to store the table")
        service.make_tlf(get_store(), check_server_paths(spec), Caller(user.username, "web"))
    except PharmakonError as exc:
        return _home(request, user, error=exc.message, form=form, status=422)
    return RedirectResponse(f"/trialdata/tlfs/{quote(spec.name)}", status_code=303)


@router.get("/trialdata/reviews/{name}", response_class=HTMLResponse)
def review_dashboard(request: Request, name: str) -> Response:
    """Open queries by site and domain; the filtered query list with evidence and answer forms."""
    user = page_user(request, "viewer")
    q = request.query_params
    form = {k: q.get(k) or "" for k in ("status", "site", "domain", "rule")}
    status = form["status"] if form["status"] in ("open", "answered", "closed", "all") else "open"
    try:
        offset = max(int(q.get("offset") or 0), 0)
    except ValueError:
        offset = 0
    board = service.review_dashboard(
        get_store(),
        name,
        status=None if status == "all" else status,
        site=form["site"] or None,
        domain=form["domain"] or None,
        rule=form["rule"] or None,
        limit=PAGE_ROWS,
        offset=offset,
    )
    domains = sorted({d for cells in board.open_by_site_domain.values() for d in cells})
    return render(
        request,
        "trialdata_review.html",
        user,
        b=board,
        domains=domains,
        form={**form, "status": status},
        offset=offset,
        page_rows=PAGE_ROWS,
        query=urlencode({k: v for k, v in {**form, "status": status}.items() if v}),
        error=q.get("error", ""),
    )


@router.post("/trialdata/reviews/{name}/queries/{query_id}", response_class=HTMLResponse)
def act_on_query(
    request: Request,
    name: str,
    query_id: str,
    action: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Answer, close or reopen a query (scientists; audited)."""
    user = page_user(request, "scientist")
    check_csrf(request, csrf)
    back = f"/trialdata/reviews/{quote(name)}?status=all"
    try:
        spec = build_spec(QueryActionSpec, review=name, query_id=query_id, action=action or None, text=text or None)
        service.act_on_query(get_store(), spec, Caller(user.username, "web"))
    except PharmakonError as exc:
        return RedirectResponse(f"{back}&{urlencode({'error': exc.message})}", status_code=303)
    return RedirectResponse(back, status_code=303)


def _km_svg(numbers: dict[str, Any]) -> str:
    """Numbers at risk by day as step lines (one per arm), SVG."""
    from pharmakon.plots import figure_svg, new_figure

    fig, ax = new_figure(6.0, 3.2)
    for arm, values in numbers.items():
        if arm == "days" or not isinstance(values, list):
            continue
        ax.step(numbers["days"], values, where="post", label=arm)
    ax.set_xlabel("days")
    ax.set_ylabel("at risk")
    ax.legend(fontsize=7)
    return figure_svg(fig)


@router.get("/trialdata/tlfs/{name}", response_class=HTMLResponse)
def tlf_view(request: Request, name: str) -> Response:
    """A stored table: its numbers by arm, provenance, and for a KM table the numbers at risk plotted."""
    user = page_user(request, "viewer")
    tlf = service.get_tlf(get_store(), name)
    plot = _km_svg(tlf.numbers) if tlf.table == "km" or "days" in tlf.numbers else ""
    return render(request, "trialdata_tlf.html", user, t=tlf, plot=plot)


@router.get("/trialdata/retention/{name}", response_class=HTMLResponse)
def retention_view(request: Request, name: str) -> Response:
    """Retention risks with their SHAP reasons, metrics against the arm-only baseline, fairness."""
    user = page_user(request, "viewer")
    result = service.get_retention(get_store(), name)
    risks = sorted(result.risks, key=lambda r: -r.risk)
    return render(request, "trialdata_retention.html", user, r=result, risks=risks)
