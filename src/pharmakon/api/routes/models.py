"""``/models``: the model registry over REST (list, model card, held-out evaluations, batch predict, aliases).

Thin over :mod:`pharmakon.core.service`: each route builds the use case's spec, calls the
service with ``Caller(user, "api")`` and returns its typed result.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from pharmakon.api.deps import ScientistUser, StoreDep, ViewerUser
from pharmakon.auth import audit_refusal
from pharmakon.caller import Caller
from pharmakon.core.service import (
    MAX_PREDICT_ROWS,
    MAX_VERSION,
    EvaluationRecord,
    ModelDetail,
    ModelSummary,
    PredictResult,
    PredictSpec,
    PromoteSpec,
    list_registered,
    model_card,
    model_evaluation_records,
    predict_rows,
    promote_version,
    show_model,
)
from pharmakon.errors import PermissionDeniedError
from pharmakon.specs import build_spec

router = APIRouter(prefix="/models", tags=["models"])


def _version(value: str | None) -> str | None:
    """A version number (1 to MAX_VERSION, ASCII digits) or an alias name."""
    if value is not None and value.isdigit() and (not value.isascii() or not 1 <= int(value) <= MAX_VERSION):
        raise ValueError(f"a version number must be 1 to {MAX_VERSION} (or give an alias name)")
    return value


VersionQuery = Annotated[
    str | None, Query(description="number or alias", min_length=1, max_length=64), AfterValidator(_version)
]


class PredictRequest(BaseModel):
    """:class:`~pharmakon.core.service.PredictSpec` without the model, which the path names."""

    model_config = ConfigDict(extra="forbid")
    rows: list[dict[str, Any]] = Field(
        ..., description=f"Input rows (at most {MAX_PREDICT_ROWS:,}), keyed by column name."
    )


class AliasRequest(BaseModel):
    """:class:`~pharmakon.core.service.PromoteSpec` without the model, which the path names."""

    model_config = ConfigDict(extra="forbid")
    alias: str = Field(..., description="staging, production, ... (production needs the admin role)")
    version: int = Field(ge=1, le=MAX_VERSION)
    reason: str | None = Field(None, max_length=2000)


@router.get("", response_model=list[ModelSummary])
def list_registered_models(store: StoreDep, _user: ViewerUser) -> list[ModelSummary]:
    """Newest version of every registered model."""
    return list_registered(store).models


@router.get("/{name}", response_model=ModelDetail)
def model_detail(name: str, store: StoreDep, _user: ViewerUser, version: VersionQuery = None) -> ModelDetail:
    """A model's full metadata (metrics, leaderboard, QC report, versions, lifecycle steps)."""
    return show_model(store, name, version)


@router.get("/{name}/card", response_class=HTMLResponse)
def card(name: str, store: StoreDep, _user: ViewerUser, version: VersionQuery = None) -> HTMLResponse:
    """The model card (standalone HTML with plots)."""
    return HTMLResponse(model_card(store, name, version))


@router.get("/{name}/evaluations", response_model=list[EvaluationRecord])
def model_evaluation_list(
    name: str, store: StoreDep, _user: ViewerUser, version: VersionQuery = None
) -> list[EvaluationRecord]:
    """Held-out evaluations of a version (``pharmakon model evaluate``), newest first, from the audit trail."""
    return model_evaluation_records(store, name, version).evaluations


@router.post("/{name}/predict", response_model=PredictResult)
def predict(
    name: str, body: PredictRequest, store: StoreDep, user: ScientistUser, version: VersionQuery = None
) -> PredictResult:
    """Batch prediction; invalid rows come back with ``pred_status`` and in ``invalid_rows``. Audited."""
    spec = build_spec(PredictSpec, name=name, version=version, rows=body.rows)
    return predict_rows(store, spec, Caller(user.username, "api"))


@router.post("/{name}/aliases", status_code=204, response_class=Response, response_model=None)
def set_model_alias(name: str, body: AliasRequest, request: Request, store: StoreDep, user: ScientistUser) -> None:
    """Point an alias at a version (audited); ``production`` needs the admin role (204, no body)."""
    spec = build_spec(PromoteSpec, name=name, **body.model_dump())
    try:
        promote_version(store, spec, Caller(user.username, "api"), role=user.role)
    except PermissionDeniedError as exc:
        audit_refusal(store, request, actor=user.username, status_code=403, reason=exc.message)
        raise
