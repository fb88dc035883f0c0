"""Who is asking over HTTP: shared by the REST API and the workbench.

Both front ends identify the user the same way (an API token, or the workbench's
signed session cookie) and write every refusal to the audit trail in the same form
(``access.denied``), so the helpers live here, below both of them.
"""

from __future__ import annotations

from typing import Any

from pharmakon.store import Store, UserInfo, authenticate_token, get_user, open_store, record_event

__all__ = ["get_store", "user_from_request", "audit_refusal"]


def get_store() -> Store:
    """The configured store (one per process and URL)."""
    return open_store()


def user_from_request(store: Store, request: Any, token: str | None) -> UserInfo | None:
    """The active user a bearer token or the workbench session identifies, if any.

    Raises :class:`~pharmakon.errors.AuthenticationError` for a token that is malformed,
    unknown, revoked or belongs to a disabled user.
    """
    if token:
        with store.read_session() as session:
            return authenticate_token(session, token)
    session_user = request.scope.get("session", {}).get("user") if "session" in request.scope else None
    if session_user:
        with store.read_session() as session:
            user = get_user(session, session_user)
        return user if user.active else None
    return None


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
