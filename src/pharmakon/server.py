"""The ASGI application: composes the REST API (``/api/v1``) and the workbench (``/``).

The API and the workbench do not import each other; this module, above both, puts
them on one FastAPI app with the session middleware they share.
"""

from __future__ import annotations

from fastapi import FastAPI

from pharmakon._version import __version__

__all__ = ["create_app"]


def create_app() -> FastAPI:
    """Build the app on the configured store (``PHARMAKON_*`` settings)."""
    from fastapi_offline import FastAPIOffline
    from starlette.middleware.sessions import SessionMiddleware

    from pharmakon.api import app as api
    from pharmakon.config import get_settings
    from pharmakon.http_limits import UploadGuard
    from pharmakon.web import routes as web

    settings = get_settings()
    # Swagger UI's assets are served from the installed package: /api/docs works offline.
    app = FastAPIOffline(
        title="pharmakon",
        version=__version__,
        description="Validated, auditable ML and simulation for drug development.",
        docs_url="/api/docs",
        redoc_url=None,
        static_url="/api/docs-static",
        openapi_url=f"{api.API_PREFIX}/openapi.json",
    )
    api.mount(app)
    web.mount(app)
    # Added after the API's middleware (so outside it: nothing reads a body before this
    # guard) and before the session middleware (so inside it: it sees the workbench
    # session): uploads are authenticated and size-limited before their body is read.
    app.add_middleware(UploadGuard, max_body_bytes=settings.max_upload_mb * 2**20)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.session_secret(),
        session_cookie="pharmakon_session",
        same_site="strict",
        https_only=settings.env == "production",
    )
    return app
