"""Workbench pages of nano delivery: PBPK organ curves (median and 5-95% band), the AI-assisted particle form, model card.

Each page builds a spec of :mod:`pharmakon.nano.delivery.service`, calls it and renders;
a bad value re-renders the form with the error and the field named.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from pharmakon.auth import get_store
from pharmakon.caller import Caller
from pharmakon.errors import NotFoundError, PharmakonError
from pharmakon.nano.delivery import service
from pharmakon.nano.delivery.figures import curves_figure
from pharmakon.nano.delivery.tumor_db import CATEGORIES
from pharmakon.plots import figure_svg
from pharmakon.web.routes import check_csrf, page_user, render

router = APIRouter(include_in_schema=False)

#: The particle form's defaults: a 40 nm passively targeted gold sphere in a breast xenograft.
PARTICLE_DEFAULTS = {
    "Type": "Inorganic",
    "MAT": "Gold",
    "TS": "Passive",
    "CT": "Breast",
    "TM": "XH",
    "Shape": "Spherical",
    "Size": "1.6",
    "ZP": "-10",
}
PBPK_DEFAULTS = {"spec": "nanoparticle-mouse", "subjects": "100", "hours": "168", "step": "1", "seed": "1"}


def _card(store: Any) -> dict[str, Any] | None:
    try:
        return service.show_delivery_models(store).to_dict()
    except NotFoundError:
        return None


def _home(request: Request, user: Any, **extra: Any) -> Response:
    store = get_store()
    card = _card(store)
    return render(
        request,
        "nano_delivery_home.html",
        user,
        specs=service.list_specs(),
        card=card,
        levels={c: (card or {}).get("vocabulary", {}).get(c, []) for c in CATEGORIES},
        pbpk=extra.pop("pbpk", PBPK_DEFAULTS),
        particle=extra.pop("particle", PARTICLE_DEFAULTS),
        error=extra.pop("error", ""),
        **extra,
    )


@router.get("/nano/delivery", response_class=HTMLResponse)
def delivery_home(request: Request) -> Response:
    """Built-in PBPK models, the simulation form, the particle (AI-assisted PBPK) form, the model card."""
    return _home(request, page_user(request, "viewer"))


def _pct_of_dose(values: dict[str, list[float]], dose: float) -> dict[str, list[float]]:
    return {c: [100 * v / dose for v in series] for c, series in values.items()}


@router.post("/nano/delivery/pbpk", response_class=HTMLResponse)
def delivery_pbpk(
    request: Request,
    spec: Annotated[str, Form()] = "nanoparticle-mouse",
    subjects: Annotated[str, Form()] = "100",
    hours: Annotated[str, Form()] = "168",
    step: Annotated[str, Form()] = "1",
    seed: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Simulate a built-in model for a population; organ curves with the 5-95% band (% of dose)."""
    user = page_user(request, "scientist")
    check_csrf(request, csrf)
    form = {"spec": spec, "subjects": subjects, "hours": hours, "step": step, "seed": seed}
    try:
        body = service.SimulateRequest.parse({k: (v.strip() or None) for k, v in form.items()}, file="form")
        result = service.simulate_pbpk(get_store(), body.to_spec(), Caller(user.username, "web"))
    except PharmakonError as exc:
        return _home(request, user, pbpk=form, error=exc.message)
    pct = result.percentiles
    fig = curves_figure(
        result.times,
        _pct_of_dose(pct["p50"], result.dose),
        _pct_of_dose(pct["p5"], result.dose),
        _pct_of_dose(pct["p95"], result.dose),
        ylabel="% of dose",
        title=f"{result.spec}: median and 5-95% of {result.subjects} subjects",
    )
    return render(request, "nano_delivery_pbpk.html", user, r=result.to_dict(), plot=figure_svg(fig))


@router.post("/nano/delivery/ai-pbpk", response_class=HTMLResponse)
def delivery_ai_pbpk(
    request: Request,
    Type: Annotated[str, Form()] = "",
    MAT: Annotated[str, Form()] = "",
    TS: Annotated[str, Form()] = "",
    CT: Annotated[str, Form()] = "",
    TM: Annotated[str, Form()] = "",
    Shape: Annotated[str, Form()] = "",
    Size: Annotated[str, Form()] = "",
    ZP: Annotated[str, Form()] = "",
    subjects: Annotated[str, Form()] = "100",
    seed: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """The AI-assisted loop for one particle: QSAR delivery -> tumour parameters -> population curves."""
    user = page_user(request, "scientist")
    check_csrf(request, csrf)
    particle = {"Type": Type, "MAT": MAT, "TS": TS, "CT": CT, "TM": TM, "Shape": Shape, "Size": Size, "ZP": ZP}
    try:
        body = service.AIPBPKSpec.parse(
            {
                "particle": {k: (v.strip() or None) for k, v in particle.items()},
                "subjects": subjects.strip() or None,
                "seed": seed.strip() or None,
            },
            file="form",
        )
        result = service.ai_assisted_pbpk(get_store(), body, Caller(user.username, "web"))
    except PharmakonError as exc:
        return _home(request, user, particle=particle, error=exc.message)
    fig = curves_figure(
        result.times,
        result.median,
        result.band_low,
        result.band_high,
        compartments=["tumor", "plasma", "liver", "spleen", "kidney", "lung"],
        ylabel="% of dose",
        title="AI-assisted PBPK: median and band (QSAR interval + population 5-95%)",
    )
    return render(request, "nano_delivery_ai.html", user, r=result.to_dict(), plot=figure_svg(fig))
