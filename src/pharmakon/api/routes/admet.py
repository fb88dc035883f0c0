"""``/admet``: the ADMET panel over REST (registered endpoints, batch prediction, SHAP explanation).

Thin over :mod:`pharmakon.chem.service`: the request bodies are its specs, the responses
its typed results. Predicting is a scientist action and writes one ``admet.predict``
audit event; listing and explaining change nothing (viewers).

Each endpoint is served from its ``production`` version (the newest, with a ``note``, where
it has none), with its cross-validated ``quality`` and a ``weak`` flag. The routes are
plain ``def``: FastAPI runs them in its thread pool, so the CPU work of one request never
blocks the event loop (and molecule size is bounded: ``PHARMAKON_MAX_SMILES_LENGTH``,
``PHARMAKON_MAX_HEAVY_ATOMS``).
"""

from __future__ import annotations

from fastapi import APIRouter

from pharmakon.api.deps import ScientistUser, StoreDep, ViewerUser
from pharmakon.caller import Caller
from pharmakon.chem.service import (
    EndpointInfo,
    ExplainSpec,
    Explanation,
    PanelPrediction,
    PanelPredictSpec,
    explain_prediction,
    predict_molecules,
    registered_endpoints,
)

router = APIRouter(prefix="/admet", tags=["admet"])


@router.get("/endpoints", response_model=list[EndpointInfo])
def list_endpoints(store: StoreDep, _user: ViewerUser) -> list[EndpointInfo]:
    """Registered panel endpoints at the version served (production, else newest with a note), with their CV quality
    and weak-model flag, in panel order; empty before ``pharmakon admet train``."""
    return registered_endpoints(store).endpoints


@router.post("/predict", response_model=PanelPrediction)
def predict(body: PanelPredictSpec, store: StoreDep, user: ScientistUser) -> PanelPrediction:
    """The panel for up to 5,000 SMILES; invalid or too large molecules come back as rows with their ``status``.
    ``notes`` and ``quality`` say, per endpoint, which version served and how good it is. Audited."""
    return predict_molecules(store, body, Caller(user.username, "api"))


@router.post("/explain", response_model=Explanation)
def explain(body: ExplainSpec, store: StoreDep, _user: ViewerUser) -> Explanation:
    """Top SHAP attributions (feature, signed value, substructure) of one molecule for one endpoint."""
    return explain_prediction(store, body)
