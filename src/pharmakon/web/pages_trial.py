"""Workbench pages for trial design: build a design, see boundaries, characteristics and plots; simulate it.

The forms carry spec keys; a blank field means "not given" and the spec's default
applies (the same defaults as the CLI and the REST API). The pages call
:mod:`pharmakon.trials.design.service` and render its results.
"""

from __future__ import annotations

import math
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pharmakon.caller import Caller
from pharmakon.errors import AuthenticationError, InputError, PermissionDeniedError, PharmakonError
from pharmakon.trials.design.spec import DesignSpec, SimulationSpec
from pharmakon.web.routes import check_csrf, page_user, render

router = APIRouter(include_in_schema=False)

_FIELDS = ("kmax", "alpha", "beta", "sided", "spending", "gamma", "information_rates", "futility", "binding")
_SIM_FIELDS = ("endpoint", "alternative", "stdev", "pi1", "pi2", "planned", "sims", "seed", "curve", "name", "reason")
#: Sample-size inputs of the design page (query keys ``ss_<field>`` of :class:`SampleSizeSpec`).
_SS_FIELDS = (
    "endpoint",
    "alternative",
    "stdev",
    "pi1",
    "pi2",
    "hazard_ratio",
    "median2",
    "accrual_time",
    "follow_up_time",
)
#: What the sample-size form shows before the user gives an effect (a standardised difference of 0.5).
_SS_DEFAULTS = {
    "endpoint": "means",
    "alternative": "0.5",
    "stdev": "1",
    "pi1": "0.4",
    "pi2": "0.25",
    "hazard_ratio": "0.75",
    "median2": "12",
    "accrual_time": "12",
    "follow_up_time": "12",
}
#: The design characteristics in words (rpact's names, snake_case).
_CHARACTERISTICS = {
    "n_fixed": "fixed-design size for a standardised effect of 1, (z₁₋α + z₁₋β)²",
    "shift": "maximum size for a standardised effect of 1 (inflation factor × fixed-design size)",
    "inflation_factor": "inflation factor: maximum size / fixed-design size",
    "average_sample_number1": "expected size under H1 / fixed-design size",
    "average_sample_number01": "expected size at half the effect / fixed-design size",
    "average_sample_number0": "expected size under H0 / fixed-design size",
}
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
    ss = {k: request.query_params.get(f"ss_{k}", v) for k, v in _SS_DEFAULTS.items()}
    ctx: dict[str, Any] = {"form": form, "error": request.query_params.get("error", ""), "result": None, "plots": {}}
    ctx |= {"ss": ss, "ss_error": "", "ss_result": None, "ss_rounded": None}
    try:
        result = compute_design(DesignSpec.parse(_given(form)))
        ctx["plots"] = design_plots(result.design, result.to_dict())
        ctx["result"] = result
        ctx["download"] = _json_data_uri(result.to_dict())
    except PharmakonError as exc:
        ctx["error"] = str(exc)
    if ctx["result"] is not None:
        ctx |= _sample_size(form, ss)
    ctx["stored"] = list_designs(get_store()).designs
    ctx["query"] = urlencode(form)
    return render(request, "trial_design.html", user, **ctx)


def _json_data_uri(data: Any) -> str:
    """``data`` as a downloadable JSON link target (the page's results, savable without the CLI)."""
    import base64
    import json

    text = json.dumps(data, indent=2, default=str)
    return "data:application/json;base64," + base64.b64encode(text.encode("utf-8")).decode("ascii")


def _sample_size(design: dict[str, str], ss: dict[str, str]) -> dict[str, Any]:
    """Subjects (and events) the design needs for the effect in ``ss``, or the error naming the field."""
    from pharmakon.specs import build_spec
    from pharmakon.trials.design.service import SampleSizeSpec, compute_sample_size

    endpoint = ss["endpoint"]
    wanted = {
        "means": ("alternative", "stdev"),
        "rates": ("pi1", "pi2"),
        "survival": ("hazard_ratio", "median2", "accrual_time", "follow_up_time"),
    }
    if endpoint not in wanted:
        return {"ss_error": f"ss_endpoint must be means, rates or survival (got {endpoint[:20]!r})"}
    values = {k: ss[k] for k in wanted[endpoint] if ss[k] != ""}
    try:
        report = compute_sample_size(build_spec(SampleSizeSpec, endpoint=endpoint, design=_given(design), **values))
    except PharmakonError as exc:
        return {"ss_error": str(exc)}
    total, per_group = report.rounded_subjects(report.max_number_of_subjects)
    stages = [
        {
            "stage": i + 1,
            "subjects": report.rounded_subjects(n)[0],
            "events": None if report.events_per_stage is None else math.ceil(report.events_per_stage[i] - 1e-9),
            "reject": report.reject_per_stage[i],
        }
        for i, n in enumerate(report.number_of_subjects)
    ]
    return {"ss_result": report, "ss_rounded": {"total": total, "per_group": per_group, "stages": stages}}


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
def trial_design_report(request: Request, name: str, version: int | None = None, error: str = "") -> Response:
    """A stored design inside the workbench: boundaries, plots, who saved it and why, its signatures."""
    user = page_user(request, "viewer")
    return _report_page(request, user, name, version, error=error)


def _report_page(request: Request, user: Any, name: str, version: int | None, **ctx: Any) -> Response:
    from pharmakon.store import SIGNATURE_MEANINGS, list_events
    from pharmakon.trials.design.report import design_plots, operating_characteristics
    from pharmakon.trials.design.service import show_design
    from pharmakon.web.routes import get_store

    stored = show_design(get_store(), name, version)
    design = stored.content.design
    ref = f"{stored.name}@{stored.version}"
    with get_store().read_session() as session:
        saves = list_events(session, action="object.save", object_type="trial_design", object_id=ref, limit=1)[0]
        signatures = list_events(session, action="esign", object_type="trial_design", object_id=ref, limit=100)[0]
    oc = operating_characteristics(design)
    return render(
        request,
        "trial_report.html",
        user,
        stored=stored,
        ref=ref,
        design=design,
        saved=saves[0] if saves else None,
        signatures=signatures,
        meanings=SIGNATURE_MEANINGS,
        characteristics=[
            (_CHARACTERISTICS.get(k, k.replace("_", " ")), v)
            for k, v in oc["characteristics"].items()
            if not isinstance(v, list)
        ],
        plots=design_plots(design, oc),
        download=_json_data_uri(stored.to_dict()),
        simulate_query=urlencode(_form({k: _text(v) for k, v in stored.content.spec.items()})),
        **({"error": ""} | ctx),
    )


@router.post("/trial/designs/{name}/sign", response_class=HTMLResponse)
def trial_design_sign(
    request: Request,
    name: str,
    version: Annotated[int, Form(ge=1)],
    meaning: Annotated[str, Form(max_length=16)],
    password: Annotated[str, Form(max_length=1024)],
    reason: Annotated[str, Form(max_length=1000)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Sign a stored design version: the signer re-enters their password; audited as ``esign`` (or ``esign.failed``)."""
    user = page_user(request, "scientist")
    check_csrf(request, csrf)
    from pharmakon.store import sign
    from pharmakon.trials.design.service import show_design
    from pharmakon.web.routes import get_store

    stored = show_design(get_store(), name, version)
    try:
        with get_store().session() as session:
            sign(
                session,
                username=user.username,
                password=password,
                object_type="trial_design",
                object_id=f"{stored.name}@{stored.version}",
                meaning=meaning,
                object_hash=stored.content_hash,
                reason=reason or None,
            )
    except PharmakonError as exc:
        return _report_page(request, user, name, version, error=exc.message, status_code=_status(exc))
    return RedirectResponse(f"/trial/designs/{stored.name}?version={stored.version}#signatures", status_code=303)


def _status(exc: PharmakonError) -> int:
    """401 for a wrong password, 403 for a role that may not sign, else 422 (an unknown meaning)."""
    return 401 if isinstance(exc, AuthenticationError) else 403 if isinstance(exc, PermissionDeniedError) else 422


@router.get("/trial/designs/{name}/report.html", response_class=HTMLResponse)
def trial_design_report_file(request: Request, name: str, version: int | None = None) -> Response:
    """The stored design's standalone HTML report (to download or print)."""
    page_user(request, "viewer")
    from pharmakon.trials.design.service import report_design
    from pharmakon.web.routes import get_store

    report = report_design(get_store(), name, version)
    filename = report.stored.replace("@", "_v")
    return HTMLResponse(
        report.html, headers={"Content-Disposition": f'inline; filename="trial_design_{filename}.html"'}
    )


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
    download = _json_data_uri(result.to_dict())
    return _simulation_page(request, user, design, sim, result=result, plots=plots, download=download)
