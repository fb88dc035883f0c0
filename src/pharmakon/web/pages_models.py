"""Workbench pages for the model registry: browse models, read their model cards.

Thin over :mod:`pharmakon.core.service` (the same queries the REST API answers).
"""

from __future__ import annotations

from typing import Any

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


#: Target columns too generic to say what a model predicts on their own.
_GENERIC_TARGETS = frozenset({"y", "value", "activity", "target", "label"})


def target_in_words(name: str, metadata: dict[str, Any]) -> str | None:
    """What the model predicts, with its unit, where the ADMET catalogue knows it.

    A panel model ``admet.<endpoint>`` takes its endpoint's description; another model
    whose target column is one catalogue endpoint's (e.g. ``log_solubility``, ESOL's) takes
    that one's. Otherwise None (the card shows the column name).
    """
    from pharmakon.chem.admet import ENDPOINTS

    endpoint = ENDPOINTS.get(name.removeprefix("admet.")) if name.startswith("admet.") else None
    if endpoint is None and metadata.get("target") not in _GENERIC_TARGETS:
        matches = [e for e in ENDPOINTS.values() if e.target == metadata.get("target")]
        endpoint = matches[0] if len(matches) == 1 else None
    return endpoint.description if endpoint is not None else None


@router.get("/models/{name}", response_class=HTMLResponse)
def model_page(request: Request, name: str, version: str | None = None) -> Response:
    """One model: versions, metadata, held-out evaluations, and its model card inline."""
    user = page_user(request, "viewer")
    from pharmakon.core.modelcard import card_summary, stored_card_plots
    from pharmakon.core.service import model_card, model_evaluation_records, show_model
    from pharmakon.errors import NotFoundError

    store = get_store()
    try:
        detail = show_model(store, name, version)
    except NotFoundError as exc:
        return render(request, "error.html", user, status_code=404, title="No such model", message=exc.message)
    evaluations = model_evaluation_records(store, name, detail.version).evaluations
    primary = "rmse" if detail.task == "regression" else "auroc"
    target = target_in_words(name, detail.metadata)
    card = card_summary(detail.metadata, name=name, target=target)
    card["plots"] = stored_card_plots(model_card(store, name, detail.version))
    return render(
        request, "models_detail.html", user, model=detail, evaluations=evaluations, primary=primary, card=card
    )


@router.get("/models/{name}/card.html", response_class=HTMLResponse)
def model_card_page(request: Request, name: str, version: str | None = None) -> Response:
    """The stored model card (standalone HTML)."""
    page_user(request, "viewer")
    from pharmakon.core.service import model_card

    return HTMLResponse(model_card(get_store(), name, version))
