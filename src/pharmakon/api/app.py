"""The ASGI application: REST API under ``/api/v1`` and the workbench at ``/``."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.middleware.sessions import SessionMiddleware

from pharmakon._version import __version__
from pharmakon.errors import (
    AuthenticationError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
    PharmakonError,
    StoreError,
)

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


def create_app() -> FastAPI:
    """Build the app on the configured store (``PHARMAKON_*`` settings)."""
    from importlib import import_module

    from pharmakon.config import get_settings
    from pharmakon.web import routes as web

    settings = get_settings()
    app = FastAPI(
        title="pharmakon",
        version=__version__,
        description="Validated, auditable ML and simulation for drug development.",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url=f"{API_PREFIX}/openapi.json",
    )
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.session_secret(),
        session_cookie="pharmakon_session",
        same_site="strict",
        https_only=settings.env == "production",
    )

    @app.exception_handler(PharmakonError)
    async def _pharmakon_error(_request: Request, exc: PharmakonError) -> JSONResponse:
        return JSONResponse({"detail": exc.message}, status_code=_status_for(exc))

    for module in API_ROUTERS:
        app.include_router(import_module(module).router, prefix=API_PREFIX)
    web.mount(app)
    return app
