"""``/models``: the model registry over REST (list, model card, held-out evaluations, batch predict, aliases)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from pharmakon.api.deps import ScientistUser, StoreDep, ViewerUser
from pharmakon.errors import InputError, PermissionDeniedError

router = APIRouter(prefix="/models", tags=["models"])

MAX_ROWS = 10_000


class ModelSummary(BaseModel):
    name: str
    version: int
    task: str
    target: str
    best_model: str
    cv_metrics: dict[str, float | None]
    aliases: dict[str, int]
    created_by: str
    created_at: str


class ModelDetail(ModelSummary):
    metadata: dict[str, Any]


class PredictRequest(BaseModel):
    rows: list[dict[str, Any]] = Field(..., description=f"Input rows (at most {MAX_ROWS}), keyed by column name.")


class PredictResponse(BaseModel):
    model: str
    version: int
    rows: list[dict[str, Any]]
    invalid_rows: list[dict[str, Any]]
    warnings: list[str]


class AliasRequest(BaseModel):
    alias: str = Field(..., description="staging, production, ... (production needs the admin role)")
    version: int
    reason: str | None = None


def _summary(obj: Any, aliases: dict[str, int]) -> dict[str, Any]:
    c = obj.content
    return {
        "name": obj.name,
        "version": obj.version,
        "task": c["task"],
        "target": c["target"],
        "best_model": c["best"]["model"],
        "cv_metrics": c["cv_metrics"],
        "aliases": aliases,
        "created_by": obj.created_by,
        "created_at": obj.created_at,
    }


@router.get("", response_model=list[ModelSummary])
def list_registered(store: StoreDep, _user: ViewerUser) -> list[ModelSummary]:
    """Newest version of every registered model."""
    from pharmakon.core.registry import list_models, model_aliases

    with store.read_session() as session:
        return [ModelSummary(**_summary(o, model_aliases(session, o.name))) for o in list_models(session)]


@router.get("/{name}", response_model=ModelDetail)
def model_detail(
    name: str,
    store: StoreDep,
    _user: ViewerUser,
    version: Annotated[str | None, Query(description="number or alias")] = None,
) -> ModelDetail:
    """A model's full metadata (metrics, leaderboard, QC report, versions, lifecycle steps)."""
    from pharmakon.core.registry import model_aliases
    from pharmakon.store import get_object

    with store.read_session() as session:
        obj = get_object(session, "model", name, version)
        return ModelDetail(**_summary(obj, model_aliases(session, name)), metadata=obj.content)


@router.get("/{name}/card", response_class=HTMLResponse)
def model_card(name: str, store: StoreDep, _user: ViewerUser, version: str | None = None) -> HTMLResponse:
    """The model card (standalone HTML with plots)."""
    from pharmakon.core.registry import model_card_html

    with store.read_session() as session:
        return HTMLResponse(model_card_html(session, name, version))


@router.get("/{name}/evaluations")
def model_evaluation_list(
    name: str,
    store: StoreDep,
    _user: ViewerUser,
    version: Annotated[str | None, Query(description="number or alias")] = None,
) -> list[dict[str, Any]]:
    """Held-out evaluations of a version (``pharmakon model evaluate``), newest first, from the audit trail."""
    from pharmakon.core.evaluation import model_evaluations
    from pharmakon.store import get_object

    with store.read_session() as session:
        obj = get_object(session, "model", name, version)
        return model_evaluations(session, name, obj.version)


@router.post("/{name}/predict", response_model=PredictResponse)
def predict(
    name: str, body: PredictRequest, store: StoreDep, user: ScientistUser, version: str | None = None
) -> PredictResponse:
    """Batch prediction; invalid rows come back with ``pred_status`` and in ``invalid_rows``. Audited."""
    import json

    import pandas as pd

    from pharmakon.core.registry import load_model
    from pharmakon.hashing import sha256_json
    from pharmakon.store import record_event

    if not body.rows or len(body.rows) > MAX_ROWS:
        raise InputError(f"send between 1 and {MAX_ROWS} rows, got {len(body.rows)}", field="rows")
    with store.read_session() as session:
        model = load_model(session, name, version, cache=True)  # kept loaded between requests
    result = model.predict(pd.DataFrame(body.rows))
    rows = json.loads(result.table.to_json(orient="records"))
    reg = model.registry
    with store.session() as session:
        record_event(
            session,
            actor=user.username,
            action="model.predict",
            object_type="model",
            object_id=f"{reg['name']}@{reg['version']}",
            inputs={"rows": sha256_json(body.rows)},
            outputs={"predictions": sha256_json(rows)},
            params={"rows": len(rows), "invalid_rows": len(result.invalid), "channel": "api"},
        )
    return PredictResponse(
        model=reg["name"],
        version=reg["version"],
        rows=rows,
        warnings=result.warnings,
        invalid_rows=json.loads(result.invalid.to_json(orient="records")),
    )


@router.post("/{name}/aliases", status_code=204)
def set_model_alias(name: str, body: AliasRequest, store: StoreDep, user: ScientistUser) -> None:
    """Point an alias at a version (audited); ``production`` needs the admin role."""
    from pharmakon.core.registry import promote_model
    from pharmakon.store import role_allows

    if body.alias == "production" and not role_allows(user.role, "admin"):
        from pharmakon.store import record_event

        with store.session() as session:
            record_event(
                session,
                actor=user.username,
                action="access.denied",
                object_type="model",
                object_id=name,
                params={"status": 403, "alias": body.alias},
                reason="production needs the admin role",
            )
        raise PermissionDeniedError(f"role {user.role!r} may not promote to production; needs 'admin'")
    with store.session() as session:
        promote_model(
            session, name=name, version=body.version, alias=body.alias, actor=user.username, reason=body.reason
        )
