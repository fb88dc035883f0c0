"""REST endpoints of nano delivery (under /api/v1): PBPK simulation and fitting, delivery QSAR, AI-assisted PBPK.

Reading needs the viewer role; computing needs scientist. Each route builds the spec of
:mod:`pharmakon.nano.delivery.service`, calls the service (which stores and audits) and
returns its typed result. Specs are built-ins or inline mappings: no route reads a server file.
CPU-heavy routes are plain ``def`` (FastAPI runs them in its thread pool).
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from pharmakon.api.deps import ScientistUser, StoreDep, ViewerUser
from pharmakon.caller import Caller
from pharmakon.nano.delivery import service

router = APIRouter(prefix="/nano", tags=["nano"])


class BuiltinSpec(BaseModel):
    name: str
    description: str


@router.get("/pbpk/specs", response_model=list[BuiltinSpec])
def builtin_specs(_user: ViewerUser) -> list[BuiltinSpec]:
    """The built-in PBPK specs."""
    return [BuiltinSpec(**s) for s in service.list_specs()]


@router.post("/pbpk", response_model=service.SimulateResult)
def simulate(body: service.SimulateRequest, store: StoreDep, user: ScientistUser) -> service.SimulateResult:
    """Simulate a built-in or inline spec for a population (at most 10,000 subjects here)."""
    return service.simulate_pbpk(store, body.to_spec(), Caller(user.username, "api"))


@router.post("/pbpk/fit", response_model=service.FitResult)
def fit(body: service.FitRequest, store: StoreDep, user: ScientistUser) -> service.FitResult:
    """Estimate spec parameters from observed concentrations (least squares on logs)."""
    return service.fit_pbpk(store, body.to_spec(), Caller(user.username, "api"))


@router.post("/delivery/models", status_code=201, response_model=service.DeliveryTrainResult)
def train(body: service.DeliveryTrainRequest, store: StoreDep, user: ScientistUser) -> service.DeliveryTrainResult:
    """Train the tumour-delivery models on the Nano-Tumor DB subset of the data mirror."""
    return service.train_delivery(store, body.to_spec(), Caller(user.username, "api"))


@router.get("/delivery/models/{name}", response_model=service.DeliveryModelInfo)
def show(name: str, store: StoreDep, _user: ViewerUser, version: int | None = None) -> service.DeliveryModelInfo:
    """A delivery model set: models, CV metrics, SHAP importance, QC report."""
    return service.show_delivery_models(store, name, version)


@router.post("/delivery/predict", response_model=service.DeliveryPredictResult)
def predict(
    body: service.DeliveryPredictRequest, store: StoreDep, user: ScientistUser
) -> service.DeliveryPredictResult:
    """Delivery efficiencies with conformal intervals; a never-seen category is out of domain."""
    return service.predict_delivery(store, body.to_spec(), Caller(user.username, "api"))


@router.post("/delivery/ai-pbpk", response_model=service.AIPBPKResult)
def ai_pbpk(body: service.AIPBPKSpec, store: StoreDep, user: ScientistUser) -> service.AIPBPKResult:
    """AI-assisted PBPK for one particle (built-in spec only through the API)."""
    from pharmakon.errors import InputError
    from pharmakon.nano.delivery.pbpk_spec import builtin_spec_names

    if body.spec not in builtin_spec_names():
        raise InputError(f"unknown built-in spec {body.spec!r}; choose from {builtin_spec_names()}", field="spec")
    return service.ai_assisted_pbpk(store, body, Caller(user.username, "api"))
