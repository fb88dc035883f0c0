"""The REST API under ``/api/v1``: its routers and its error responses.

:func:`mount` adds them to an app; :func:`pharmakon.server.create_app` composes the API
with the workbench.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from pharmakon.errors import (
    AuthenticationError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
    PharmakonError,
    StoreError,
)

__all__ = ["API_PREFIX", "API_ROUTERS", "mount"]

API_PREFIX = "/api/v1"

#: Modules whose ``router`` is served under ``/api/v1``. Each domain adds one line.
API_ROUTERS: list[str] = [
    "pharmakon.api.routes.health",
    "pharmakon.api.routes.audit",
    "pharmakon.api.routes.users",
    "pharmakon.api.routes.pgx",
    "pharmakon.api.routes.models",
    "pharmakon.api.routes.safety",
    "pharmakon.api.routes.trial",
    "pharmakon.api.routes.admet",
]

_STATUS = [
    (AuthenticationError, 401),
    (PermissionDeniedError, 403),
    (NotFoundError, 404),
    (InputError, 422),
    (StoreError, 503),
]


def _status_for(exc: PharmakonError) -> int:
    return next((code for kind, code in _STATUS if isinstance(exc, kind)), 400)


def mount(app: FastAPI) -> None:
    """Add the API routers and the :class:`PharmakonError` → HTTP status mapping to ``app``."""
    from importlib import import_module

    @app.exception_handler(PharmakonError)
    async def _pharmakon_error(_request: Request, exc: PharmakonError) -> JSONResponse:
        return JSONResponse({"detail": exc.message}, status_code=_status_for(exc))

    for module in API_ROUTERS:
        app.include_router(import_module(module).router, prefix=API_PREFIX)
