"""``/admet``: the ADMET panel over REST (registered endpoints, batch prediction, SHAP explanation).

Thin over :mod:`pharmakon.chem.panel_service`. Predicting is a scientist action and
writes one ``admet.predict`` audit event (count, input hash, model versions); listing and
explaining change nothing (viewers).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from pharmakon.api.deps import ScientistUser, StoreDep, ViewerUser
from pharmakon.chem.panel_service import MAX_MOLECULES, MAX_TOP, explain_molecule, predict_panel, registered_endpoints

router = APIRouter(prefix="/admet", tags=["admet"])


class EndpointInfo(BaseModel):
    name: str
    model: str
    version: int
    task: str
    description: str
    best_model: str
    cv_metrics: dict[str, float | None]
    coverage: float | None = Field(None, description="Nominal coverage of the conformal intervals/sets.")
    positive_class: str | None = Field(None, description="Classification: the class whose probability is `_p1`.")


class PredictRequest(BaseModel):
    smiles: list[str | None] = Field(..., description=f"SMILES, at most {MAX_MOLECULES:,} per request.")
    ids: list[str] | None = Field(None, description="One identifier per SMILES, copied to the rows.")
    endpoints: list[str] | None = Field(None, description="Endpoint names or groups; default every registered one.")
    alerts: bool = Field(True, description="Add PAINS/Brenk alerts, Lipinski/Veber counts and QED.")


class PredictResponse(BaseModel):
    models: dict[str, str] = Field(..., description="Endpoint -> model@version used.")
    count: int
    invalid: int
    rows: list[dict[str, Any]] = Field(..., description="One record per input, in order; NaN as null.")


class ExplainRequest(BaseModel):
    smiles: str
    endpoint: str
    top: int = Field(5, ge=1, le=MAX_TOP, description="How many features, by |SHAP|.")


class Attribution(BaseModel):
    feature: str
    shap: float
    substructure: str


class ExplainResponse(BaseModel):
    endpoint: str
    model: str
    version: int
    task: str
    description: str
    smiles: str
    canonical: str | None
    prediction: dict[str, Any] = Field(..., description="The panel columns of this endpoint for this molecule.")
    coverage: float | None = Field(None, description="Nominal coverage of the conformal interval/set.")
    explains: str
    attributions: list[Attribution]


@router.get("/endpoints", response_model=list[EndpointInfo])
def list_endpoints(store: StoreDep, _user: ViewerUser) -> list[EndpointInfo]:
    """Registered panel endpoints (newest version each), in panel order; empty before ``pharmakon admet train``."""
    with store.read_session() as session:
        return [EndpointInfo(**e) for e in registered_endpoints(session)]


@router.post("/predict", response_model=PredictResponse)
def predict(body: PredictRequest, store: StoreDep, user: ScientistUser) -> PredictResponse:
    """The panel for up to 5,000 SMILES; invalid SMILES come back as rows with their ``status``. Audited."""
    frame, rows, refs = predict_panel(
        store,
        body.smiles,
        ids=body.ids,
        endpoints=body.endpoints,
        alerts=body.alerts,
        actor=user.username,
        channel="api",
    )
    return PredictResponse(models=refs, count=len(frame), invalid=int(frame["status"].ne("ok").sum()), rows=rows)


@router.post("/explain", response_model=ExplainResponse)
def explain(body: ExplainRequest, store: StoreDep, _user: ViewerUser) -> ExplainResponse:
    """Top SHAP attributions (feature, signed value, substructure) of one molecule for one endpoint."""
    return ExplainResponse(**explain_molecule(store, body.smiles, body.endpoint, top=body.top))
