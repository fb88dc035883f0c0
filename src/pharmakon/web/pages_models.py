"""Workbench pages for the model registry: browse models, read their model cards."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from pharmakon.web.routes import page_user, render

router = APIRouter(include_in_schema=False)


@router.get("/models", response_class=HTMLResponse)
def models_page(request: Request) -> Response:
    """Every registered model (newest version), with aliases and CV metrics."""
    user = page_user(request, "viewer")
    from pharmakon.core.registry import list_models, model_aliases
    from pharmakon.web.routes import get_store

    with get_store().read_session() as session:
        models = [(o, model_aliases(session, o.name)) for o in list_models(session)]
    return render(request, "models_list.html", user, models=models)


@router.get("/models/{name}", response_class=HTMLResponse)
def model_page(request: Request, name: str, version: str | None = None) -> Response:
    """One model: versions, metadata, held-out evaluations, and its card in a frame."""
    user = page_user(request, "viewer")
    from pharmakon.core.evaluation import model_evaluations
    from pharmakon.core.registry import model_aliases, model_versions
    from pharmakon.errors import NotFoundError
    from pharmakon.store import get_object
    from pharmakon.web.routes import get_store

    with get_store().read_session() as session:
        try:
            obj = get_object(session, "model", name, version)
        except NotFoundError as exc:
            return render(request, "error.html", user, status_code=404, title="No such model", message=exc.message)
        versions = model_versions(session, name)
        aliases = model_aliases(session, name)
        evaluations = model_evaluations(session, name, obj.version)
    primary = "rmse" if obj.content["task"] == "regression" else "auroc"
    return render(
        request,
        "models_detail.html",
        user,
        obj=obj,
        versions=versions,
        aliases=aliases,
        evaluations=evaluations,
        primary=primary,
    )


@router.get("/models/{name}/card.html", response_class=HTMLResponse)
def model_card_page(request: Request, name: str, version: str | None = None) -> Response:
    """The stored model card (standalone HTML)."""
    page_user(request, "viewer")
    from pharmakon.core.registry import model_card_html
    from pharmakon.web.routes import get_store

    with get_store().read_session() as session:
        return HTMLResponse(model_card_html(session, name, version))
