"""REST endpoints of nano formulation (under /api/v1/nano/formulation).

Reading needs the viewer role; fitting, predicting, designing and proposing need
scientist. Each route builds the spec of :mod:`pharmakon.nano.formulation.service`,
calls the service (which stores and audits) and returns its typed result. The routes
are plain ``def``: FastAPI runs them in its threadpool, off the event loop.
"""

from __future__ import annotations

import pandas as pd
from fastapi import APIRouter

from pharmakon.api.deps import ScientistUser, StoreDep, ViewerUser
from pharmakon.caller import Caller
from pharmakon.nano.formulation import service
from pharmakon.nano.formulation.specs import DesignBody, FitBody, PredictBody, PredictRowsSpec, ProposeBody
from pharmakon.specs import build_spec

router = APIRouter(prefix="/nano/formulation", tags=["nano"])


@router.get("/models", response_model=list[service.ModelSetInfo])
def list_models(store: StoreDep, _user: ViewerUser) -> list[service.ModelSetInfo]:
    """Stored CQA model sets (newest version of each)."""
    return service.list_model_sets(store)


@router.get("/models/{name}", response_model=service.ModelSetInfo)
def get_model(name: str, store: StoreDep, _user: ViewerUser) -> service.ModelSetInfo:
    """One CQA model set: targets, inputs, form, out-of-fold R²."""
    return service.model_set(store, name)


@router.post("/models", status_code=201, response_model=service.FitResult)
def fit_models(body: FitBody, store: StoreDep, user: ScientistUser) -> service.FitResult:
    """Fit CQA models on the posted rows and register them as ``name`` (fixed trials: deterministic)."""
    return service.fit_formulation(store, body.to_spec(), Caller(user.username, "api"), frame=pd.DataFrame(body.rows))


@router.post("/models/{name}/predict", response_model=service.PredictRowsResult)
def predict(name: str, body: PredictBody, store: StoreDep, user: ScientistUser) -> service.PredictRowsResult:
    """Predicted CQAs with conformal intervals and the domain flag for each posted recipe."""
    spec = build_spec(PredictRowsSpec, name=name, version=body.version, rows=body.rows)
    return service.predict_formulation_rows(store, spec, Caller(user.username, "api"))


@router.post("/designs", status_code=201, response_model=service.DesignResult)
def create_design(body: DesignBody, store: StoreDep, user: ScientistUser) -> service.DesignResult:
    """A design of experiments over the posted space (stored and audited)."""
    return service.design_experiments(store, body.to_spec(), Caller(user.username, "api"))


@router.post("/proposals", status_code=201, response_model=service.ProposalResult)
def create_proposal(body: ProposeBody, store: StoreDep, user: ScientistUser) -> service.ProposalResult:
    """The next batch of experiments from the posted observations (stored with them, audited)."""
    return service.propose_experiments(store, body.to_spec(), Caller(user.username, "api"))
