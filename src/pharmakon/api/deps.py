"""Typed dependencies every route reuses: the store session and role checks.

A route declares the role it needs with one of the aliases below
(``ViewerUser``, ``ScientistUser``, ``AdminUser``). No credential gives 401, a role
that is too low gives 403, and both refusals are written to the audit trail. A client
that keeps failing token authentication gets 429 with ``Retry-After``
(:class:`pharmakon.auth.TooManyFailures`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from pharmakon.auth import Refusal, audit_refusal, authenticate_api, get_store
from pharmakon.store import Store, UserInfo, role_allows

__all__ = ["get_store", "StoreDep", "SessionDep", "ViewerUser", "ScientistUser", "AdminUser", "audit_refusal"]

_bearer = HTTPBearer(auto_error=False, description="API token from `pharmakon users token NAME`")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False)


StoreDep = Annotated[Store, Depends(get_store)]


def get_session(store: StoreDep) -> Iterator[Session]:
    """One write transaction per request (committed when the route returns)."""
    with store.session() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def require(role: str) -> Callable[..., UserInfo]:
    """Dependency factory: the current user, who must hold ``role`` or higher."""

    def dependency(
        request: Request,
        store: StoreDep,
        bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        api_key: Annotated[str | None, Depends(_api_key)],
    ) -> UserInfo:
        token = bearer.credentials if bearer else api_key
        # The upload guard (pharmakon.http_limits) already checked this token before the body was read.
        user = request.scope.get("state", {}).get("upload_user")
        if user is None:
            try:
                user = authenticate_api(store, request, token)
            except Refusal as exc:
                raise HTTPException(exc.status_code, exc.message, exc.headers) from None
        if not role_allows(user.role, role):
            reason = f"role {user.role!r} may not do this; needs {role!r}"
            audit_refusal(store, request, actor=user.username, status_code=403, reason=reason)
            raise HTTPException(status.HTTP_403_FORBIDDEN, reason)
        request.state.user = user
        return user

    dependency.__name__ = f"require_{role}"
    return dependency


ViewerUser = Annotated[UserInfo, Depends(require("viewer"))]
ScientistUser = Annotated[UserInfo, Depends(require("scientist"))]
AdminUser = Annotated[UserInfo, Depends(require("admin"))]
