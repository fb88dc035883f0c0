"""Workbench pages for the model registry: browse models, read their model cards.

Thin over :mod:`pharmakon.core.service` (the same queries the REST API answers).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from pharmakon.web.routes import get_store, page_user, render

router = APIRouter(include_in_schema=False)


@router.get("/models", response_class=HTMLResponse)
def models_page(request: Request) -> Response:
    """Every registered model (newest version), with aliases and CV metrics."""
    user = page_user(request, "viewer")
    from pharmakon.core.service import list_registered

    return render(request, "models_list.html", user, models=list_registered(get_store()).models)


@router.get("/models/{name}", response_class=HTMLResponse)
def model_page(request: Request, name: str, version: str | None = None) -> Response:
    """One model: versions, metadata, held-out evaluations, and its card in a frame."""
    user = page_user(request, "viewer")
    from pharmakon.core.service import model_evaluation_records, show_model
    from pharmakon.errors import NotFoundError

    store = get_store()
    try:
        detail = show_model(store, name, version)
    except NotFoundError as exc:
        return render(request, "error.html", user, status_code=404, title="No such model", message=exc.message)
    evaluations = model_evaluation_records(store, name, detail.version).evaluations
    primary = "rmse" if detail.task == "regression" else "auroc"
    return render(request, "models_detail.html", user, model=detail, evaluations=evaluations, primary=primary)


@router.get("/models/{name}/card.html", response_class=HTMLResponse)
def model_card_page(request: Request, name: str, version: str | None = None) -> Response:
    """The stored model card (standalone HTML)."""
    page_user(request, "viewer")
    from pharmakon.core.service import model_card

    return HTMLResponse(model_card(get_store(), name, version))
