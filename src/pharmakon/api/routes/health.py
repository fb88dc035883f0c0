from __future__ import annotations

from fastapi import APIRouter

from pharmakon._version import __version__
from pharmakon.api.deps import StoreDep
from pharmakon.api.schemas import Health, StoreStatus
from pharmakon.errors import PharmakonError

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def health(store: StoreDep) -> Health:
    """Liveness and store status; needs no authentication."""
    try:
        status = StoreStatus(ok=True, dialect=store.dialect, revision=store.schema_revision())
    except PharmakonError as exc:
        status = StoreStatus(ok=False, dialect=store.dialect, error=exc.message)
    return Health(status="ok" if status.ok else "degraded", version=__version__, store=status)
