"""Workbench pages for trial design: build a design, see boundaries, characteristics and plots; simulate it.

The forms carry spec keys; a blank field means "not given" and the spec's default
applies (the same defaults as the CLI and the REST API). The pages call
:mod:`pharmakon.trials.design.service` and render its results.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pharmakon.caller import Caller
from pharmakon.errors import InputError, PharmakonError
from pharmakon.trials.design.spec import DesignSpec, SimulationSpec
from pharmakon.web.routes import check_csrf, page_user, render

router = APIRouter(include_in_schema=False)

_FIELDS = ("kmax", "alpha", "beta", "sided", "spending", "gamma", "information_rates", "futility", "binding")
_SIM_FIELDS = ("endpoint", "alternative", "stdev", "pi1", "pi2", "planned", "sims", "seed", "curve", "name", "reason")
#: Keep one page request to a few seconds (the CLI has no such limits).
_MAX_PAGE_SIMS = 200_000
_MAX_PAGE_CURVE = 11


def _text(value: Any) -> str:
    """A spec default as a form value ("" for none / false)."""
    if value is None or value is False:
        return ""
    if value is True:
        return "1"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def _defaults(model: type[Any], fields: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for name in fields:
        info = model.model_fields[name]
        out[name] = _text(info.default_factory() if info.default_factory is not None else info.default)
    return out


def _form(values: Any, model: type[Any] = DesignSpec, fields: tuple[str, ...] = _FIELDS) -> dict[str, str]:
    """The form as shown: the user's values, else the spec's defaults."""
    return {k: values.get(k, v) for k, v in _defaults(model, fields).items()}


def _given(form: dict[str, str]) -> dict[str, str]:
    """Only the filled-in fields (the spec fills the rest)."""
    return {k: v for k, v in form.items() if v != ""}


@router.get("/trial", response_class=HTMLResponse)
def trial_page(request: Request) -> Response:
    """Design builder: the form's values arrive as query parameters (computing changes nothing)."""
    user = page_user(request, "viewer")
    from pharmakon.trials.design.report import design_plots
    from pharmakon.trials.design.service import compute_design, list_designs
    from pharmakon.web.routes import get_store

    form = _form(request.query_params)
    ctx: dict[str, Any] = {"form": form, "error": request.query_params.get("error", ""), "result": None, "plots": {}}
    try:
        result = compute_design(DesignSpec.parse(_given(form)))
        ctx["plots"] = design_plots(result.design, result.to_dict())
        ctx["result"] = result
    except PharmakonError as exc:
        ctx["error"] = str(exc)
    ctx["stored"] = list_designs(get_store()).designs
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
    """Store the design currently shown (scientists; audited as ``trial.design`` and ``object.save``)."""
    user = page_user(request, "scientist")
    check_csrf(request, csrf)
    from pharmakon.trials.design.service import SaveDesignSpec, store_design
    from pharmakon.web.routes import get_store

    form = _form(dict(parse_qsl(spec_query, keep_blank_values=True)))
    try:
        spec = SaveDesignSpec.parse(name=name, design=_given(form), reason=reason or None)
        result = store_design(get_store(), spec, Caller(user.username, "web"))
    except PharmakonError as exc:
        return RedirectResponse(f"/trial?{spec_query}&{urlencode({'error': str(exc)})}", status_code=303)
    return RedirectResponse(f"/trial/designs/{result.name}", status_code=303)


@router.get("/trial/designs/{name}", response_class=HTMLResponse)
def trial_design_report(request: Request, name: str, version: int | None = None) -> Response:
    """The stored design's HTML report."""
    page_user(request, "viewer")
    from pharmakon.trials.design.service import report_design
    from pharmakon.web.routes import get_store

    return HTMLResponse(report_design(get_store(), name, version).html)


def _simulation_page(request: Request, user: Any, design: dict[str, str], sim: dict[str, str], **ctx: Any) -> Response:
    ctx = {"form": design, "sim": sim, "error": "", "result": None, "plots": {}, "query": urlencode(design)} | ctx
    return render(request, "trial_simulation.html", user, **ctx)


@router.get("/trial/simulate", response_class=HTMLResponse)
def trial_simulate_page(request: Request) -> Response:
    """The simulation form for the design given in the query (same fields as /trial)."""
    user = page_user(request, "viewer")
    return _simulation_page(
        request, user, _form(request.query_params), _form(request.query_params, SimulationSpec, _SIM_FIELDS)
    )


@router.post("/trial/simulate", response_class=HTMLResponse)
def trial_simulate_run(
    request: Request,
    spec_query: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
    endpoint: Annotated[str, Form()] = "",
    alternative: Annotated[str, Form()] = "",
    stdev: Annotated[str, Form()] = "",
    pi1: Annotated[str, Form()] = "",
    pi2: Annotated[str, Form()] = "",
    planned: Annotated[str, Form()] = "",
    sims: Annotated[str, Form()] = "",
    seed: Annotated[str, Form()] = "",
    curve: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Simulate the design and show its operating characteristics (scientists; stored and audited)."""
    user = page_user(request, "scientist")
    check_csrf(request, csrf)
    from pharmakon.trials.design.service import simulate_design
    from pharmakon.trials.design.sim_store import simulation_plots
    from pharmakon.web.routes import get_store

    design = _form(dict(parse_qsl(spec_query, keep_blank_values=True)))
    values = {
        "endpoint": endpoint,
        "alternative": alternative,
        "stdev": stdev,
        "pi1": pi1,
        "pi2": pi2,
        "planned": planned,
        "sims": sims,
        "seed": seed,
        "curve": curve,
        "name": name,
        "reason": reason,
    }
    sim = _form(_given(values), SimulationSpec, _SIM_FIELDS)
    try:
        spec = SimulationSpec.parse(_given(sim), design=_given(design))
        if spec.sims > _MAX_PAGE_SIMS:
            raise InputError(f"sims must be in [1, {_MAX_PAGE_SIMS}] on this page (use the CLI for more)", field="sims")
        if spec.curve > _MAX_PAGE_CURVE:
            raise InputError(f"curve must be at most {_MAX_PAGE_CURVE} points on this page", field="curve")
        result = simulate_design(get_store(), spec, Caller(user.username, "web"), backend="serial")
    except PharmakonError as exc:
        return _simulation_page(request, user, design, sim, error=str(exc))
    plots = simulation_plots(result.to_dict())
    return _simulation_page(request, user, design, sim, result=result, plots=plots)
