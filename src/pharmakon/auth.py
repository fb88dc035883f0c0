"""Who is asking over HTTP: shared by the REST API and the workbench.

The REST API identifies the user by an API token, the workbench by its server-side
session (named by a signed cookie); both write every refusal to the audit trail in the
same form (``access.denied``), so the helpers live here, below both of them.
"""

from __future__ import annotations

from typing import Any

from pharmakon.store import (
    Store,
    UserInfo,
    authenticate_token,
    get_user,
    open_store,
    record_event,
    web_session_user,
)

__all__ = ["get_store", "user_from_request", "user_from_web_session", "audit_refusal"]


def get_store() -> Store:
    """The configured store (one per process and URL)."""
    return open_store()


def user_from_request(store: Store, request: Any, token: str | None) -> UserInfo | None:
    """The active user an API token identifies (REST API), if any.

    Raises :class:`~pharmakon.errors.AuthenticationError` for a token that is malformed,
    unknown, revoked or belongs to a disabled user.
    """
    if not token:
        return None
    with store.read_session() as session:
        return authenticate_token(session, token)


def user_from_web_session(store: Store, request: Any) -> UserInfo | None:
    """The active user of the workbench session the request's signed cookie names, if any.

    The cookie carries a session id that must still be open in the store: logging out
    (or the session's maximum age) ends it for good, whatever the cookie says. The REST
    API does not accept this cookie (it takes API tokens), so a page on another site
    cannot drive the API with a logged-in user's browser.
    """
    cookie = request.scope.get("session", {}) if "session" in request.scope else {}
    sid, name = cookie.get("sid"), cookie.get("user")
    if not sid or not name:
        return None
    with store.read_session() as session:
        if web_session_user(session, sid) != name:
            return None
        user = get_user(session, name)
    return user if user.active else None


def audit_refusal(store: Store, request: Any, *, actor: str, status_code: int, reason: str) -> None:
    """Record a refused request (``access.denied``) in its own transaction.

    The request's own transaction will not commit, so the refusal gets one of its own.
    """
    with store.session() as session:
        record_event(
            session,
            actor=actor,
            action="access.denied",
            object_type="route",
            object_id=f"{request.method} {request.url.path}",
            params={"status": status_code, "client": request.client.host if request.client else None},
            reason=reason,
        )
