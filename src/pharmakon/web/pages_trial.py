"""Workbench pages for trial design: build a design, see boundaries, characteristics and plots."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pharmakon.errors import PharmakonError
from pharmakon.web.routes import check_csrf, page_user, render

router = APIRouter(include_in_schema=False)

_FIELDS = ("kmax", "alpha", "beta", "sided", "spending", "gamma", "information_rates", "futility", "binding")
_DEFAULT = {
    "kmax": "3",
    "alpha": "0.025",
    "beta": "0.2",
    "sided": "1",
    "spending": "asOF",
    "gamma": "",
    "information_rates": "",
    "futility": "none",
    "binding": "",
}


def _spec(form: dict[str, str]) -> dict[str, Any]:
    from pharmakon.trials.design.spec import parse_rates

    return {
        "kmax": int(form["kmax"]),
        "alpha": float(form["alpha"]),
        "beta": float(form["beta"]),
        "sided": int(form["sided"]),
        "spending": form["spending"],
        "gamma": float(form["gamma"]) if form.get("gamma") else None,
        "information_rates": parse_rates(form.get("information_rates") or None),
        "futility": form.get("futility") or "none",
        "binding": bool(form.get("binding")),
    }


@router.get("/trial", response_class=HTMLResponse)
def trial_page(request: Request) -> Response:
    """Design builder: the form's values arrive as query parameters (computing changes nothing)."""
    user = page_user(request, "viewer")
    from pharmakon.store import list_objects
    from pharmakon.trials import design as td
    from pharmakon.web.routes import get_store

    form = {k: request.query_params.get(k, v) for k, v in _DEFAULT.items()}
    ctx: dict[str, Any] = {
        "form": form,
        "error": request.query_params.get("error", ""),
        "design": None,
        "plots": {},
        "oc": None,
    }
    try:
        design = td.design_from_spec(_spec(form))
        ctx["oc"] = td.operating_characteristics(design, n_points=21)
        ctx["plots"] = td.design_plots(design, ctx["oc"])
        ctx["design"] = design
    except (PharmakonError, ValueError) as exc:
        ctx["error"] = str(exc)
    with get_store().read_session() as session:
        ctx["stored"] = list_objects(session, td.KIND)
    ctx["query"] = urlencode(form)
    return render(request, "trial_design.html", user, **ctx)


@router.post("/trial/save", response_class=HTMLResponse)
def trial_save(
    request: Request,
    name: Annotated[str, Form()],
    spec_query: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Store the design currently shown (scientists; audited as ``object.save``)."""
    user = page_user(request, "scientist")
    check_csrf(request, csrf)
    from urllib.parse import parse_qsl

    from pharmakon.trials import design as td
    from pharmakon.web.routes import get_store

    form = dict(_DEFAULT, **dict(parse_qsl(spec_query, keep_blank_values=True)))
    try:
        with get_store().session() as session:
            obj, _ = td.save_design(session, name=name, spec=_spec(form), actor=user.username, reason=reason or None)
    except (PharmakonError, ValueError) as exc:
        return RedirectResponse(f"/trial?{spec_query}&{urlencode({'error': str(exc)})}", status_code=303)
    return RedirectResponse(f"/trial/designs/{obj.name}", status_code=303)


@router.get("/trial/designs/{name}", response_class=HTMLResponse)
def trial_design_report(request: Request, name: str, version: int | None = None) -> Response:
    """The stored design's HTML report."""
    page_user(request, "viewer")
    from pharmakon.trials import design as td
    from pharmakon.web.routes import get_store

    with get_store().read_session() as session:
        obj, design = td.load_design(session, name, version)
    return HTMLResponse(td.design_report_html(design, f"{obj.name}@{obj.version}"))


_SIM_DEFAULT = {
    "endpoint": "means",
    "alternative": "0.4",
    "stdev": "1",
    "pi1": "0.5",
    "pi2": "0.3",
    "planned": "60,120,180",
    "sims": "20000",
    "seed": "1",
    "curve": "5",
}
_MAX_PAGE_SIMS = 200_000  # keeps a page request to a few seconds


@router.get("/trial/simulate", response_class=HTMLResponse)
def trial_simulate_page(request: Request) -> Response:
    """Simulate the design given in the query (same fields as /trial) and show its operating characteristics."""
    user = page_user(request, "viewer")
    from pharmakon.errors import InputError
    from pharmakon.trials import design as td
    from pharmakon.trials.design.sim_store import simulate_operating_characteristics, simulation_plots
    from pharmakon.trials.design.spec import parse_rates

    form = {k: request.query_params.get(k, v) for k, v in _DEFAULT.items()}
    sim = {k: request.query_params.get(k, v) for k, v in _SIM_DEFAULT.items()}
    ctx: dict[str, Any] = {"form": form, "sim": sim, "error": "", "oc": None, "plots": {}, "query": urlencode(form)}
    if "run" in request.query_params:
        try:
            design = td.design_from_spec(_spec(form))
            n = int(sim["sims"])
            if not 1 <= n <= _MAX_PAGE_SIMS:
                raise InputError(
                    f"sims must be in [1, {_MAX_PAGE_SIMS}] on this page (use the CLI for more)", field="sims"
                )
            scenario = (
                {"pi1": float(sim["pi1"]), "pi2": float(sim["pi2"])}
                if sim["endpoint"] == "rates"
                else {"alternative": float(sim["alternative"]), "stdev": float(sim["stdev"])}
            )
            oc = simulate_operating_characteristics(
                design,
                sim["endpoint"],
                scenario,
                parse_rates(sim["planned"], "planned") or [],
                sims=n,
                seed=int(sim["seed"]),
                curve_points=min(int(sim["curve"]), 11),
                backend="serial",
            )
            ctx.update(oc=oc, plots=simulation_plots(oc), design=design)
        except (PharmakonError, ValueError, KeyError) as exc:
            ctx["error"] = str(exc)
    return render(request, "trial_simulation.html", user, **ctx)
