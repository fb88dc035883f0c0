"""Who is asking over HTTP: shared by the REST API and the workbench.

The REST API identifies the user by an API token, the workbench by its server-side
session (named by a signed cookie); both write every refusal to the audit trail in the
same form (``access.denied``), so the helpers live here, below both of them.

Two in-process guards keep refusals cheap (state per app, so per server process):

- a client (IP address) that failed token authentication
  :data:`TOKEN_FAILURES_PER_CLIENT` times within :data:`TOKEN_FAILURE_WINDOW_S`
  seconds is answered 429 (``Retry-After``) without checking its token, which would
  cost a deliberately slow hash, until the oldest of those failures leaves the window;
- refusals are aggregated: at most one ``access.denied`` event per client, actor,
  route and status every :data:`REFUSAL_AGGREGATE_S` seconds; the next event for that
  key carries in ``params.count`` how many refusals it stands for (itself and those
  not written since the previous one).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from typing import Any

from pharmakon.errors import AuthenticationError
from pharmakon.store import (
    Store,
    UserInfo,
    authenticate_token,
    get_user,
    open_store,
    record_event,
    web_session_user,
)

__all__ = [
    "get_store",
    "user_from_request",
    "user_from_web_session",
    "audit_refusal",
    "authenticate_api",
    "Refusal",
    "TooManyFailures",
    "TOKEN_FAILURES_PER_CLIENT",
    "TOKEN_FAILURE_WINDOW_S",
    "REFUSAL_AGGREGATE_S",
]

#: Failed token authentications one client may make within the window before it gets 429.
TOKEN_FAILURES_PER_CLIENT = 10
TOKEN_FAILURE_WINDOW_S = 60.0
#: At most one ``access.denied`` event per client, actor, route and status in this many seconds.
REFUSAL_AGGREGATE_S = 60.0
_MAX_TRACKED = 10_000  # keys kept per guard before expired ones are dropped


class TooManyFailures(AuthenticationError):
    """A client failed authentication too often; ``retry_after_s`` says when it may try again."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(
            f"too many failed authentications from this client; try again in {retry_after_s} s "
            f"(at most {TOKEN_FAILURES_PER_CLIENT} failures per {TOKEN_FAILURE_WINDOW_S:g} s)"
        )
        self.retry_after_s = retry_after_s


class Refusal(Exception):
    """An API request refused before its route runs (already audited): status, message, headers."""

    def __init__(self, status_code: int, message: str, headers: dict[str, str]) -> None:
        super().__init__(message)
        self.status_code, self.message, self.headers = status_code, message, headers


#: What a request without an API token is told.
NO_CREDENTIALS = "authentication required: send 'Authorization: Bearer <token>'"


class _Guards:
    """Per-app, thread-safe state of the failure limit and the refusal aggregation."""

    def __init__(self, clock: Any = time.monotonic) -> None:
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._refusals: dict[tuple[str, str, str, int], list[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, client: str) -> int:
        """Seconds until ``client`` may try a token again (0: now)."""
        with self._lock:
            now = self.clock()
            times = self._failures.get(client)
            if not times:
                return 0
            while times and times[0] <= now - TOKEN_FAILURE_WINDOW_S:
                times.popleft()
            if len(times) < TOKEN_FAILURES_PER_CLIENT:
                return 0
            return max(1, math.ceil(times[0] + TOKEN_FAILURE_WINDOW_S - now))

    def failed(self, client: str) -> None:
        with self._lock:
            now = self.clock()
            if len(self._failures) >= _MAX_TRACKED:
                self._failures = {c: t for c, t in self._failures.items() if t and t[-1] > now - TOKEN_FAILURE_WINDOW_S}
                if len(self._failures) >= _MAX_TRACKED:  # a flood of addresses: forget rather than grow
                    self._failures.clear()
            times = self._failures.setdefault(client, deque(maxlen=TOKEN_FAILURES_PER_CLIENT))
            times.append(now)

    def refusal_count(self, key: tuple[str, str, str, int]) -> int | None:
        """How many refusals an event written now stands for, or None: fold this one into the next."""
        with self._lock:
            now = self.clock()
            entry = self._refusals.get(key)
            if entry is not None and now - entry[0] < REFUSAL_AGGREGATE_S:
                entry[1] += 1
                return None
            if len(self._refusals) >= _MAX_TRACKED:
                self._refusals = {k: e for k, e in self._refusals.items() if now - e[0] < REFUSAL_AGGREGATE_S}
                if len(self._refusals) >= _MAX_TRACKED:
                    self._refusals.clear()
            self._refusals[key] = [now, 0]
            return 1 + (int(entry[1]) if entry is not None else 0)


_guards_lock = threading.Lock()
_fallback_guards = _Guards()


def _guards(request: Any) -> _Guards:
    """The guards of the app serving ``request`` (one set per app instance)."""
    app = request.scope.get("app") if hasattr(request, "scope") else None
    state = getattr(app, "state", None)
    if state is None:
        return _fallback_guards
    guards = getattr(state, "pharmakon_auth_guards", None)
    if guards is None:
        with _guards_lock:
            guards = getattr(state, "pharmakon_auth_guards", None)
            if guards is None:
                guards = _Guards()
                state.pharmakon_auth_guards = guards
    return guards


def _client(request: Any) -> str:
    return request.client.host if getattr(request, "client", None) else "unknown"


def get_store() -> Store:
    """The configured store (one per process and URL)."""
    return open_store()


def user_from_request(store: Store, request: Any, token: str | None) -> UserInfo | None:
    """The active user an API token identifies (REST API), if any.

    Raises :class:`~pharmakon.errors.AuthenticationError` for a token that is malformed,
    unknown, revoked or belongs to a disabled user, and :class:`TooManyFailures` (without
    checking the token) for a client over the failure limit.
    """
    if not token:
        return None
    guards, client = _guards(request), _client(request)
    wait = guards.retry_after(client)
    if wait:
        raise TooManyFailures(wait)
    try:
        with store.read_session() as session:
            return authenticate_token(session, token)
    except AuthenticationError:
        guards.failed(client)
        raise


def authenticate_api(store: Store, request: Any, token: str | None) -> UserInfo:
    """The active user of an API token; otherwise audit the refusal and raise :class:`Refusal`.

    One policy for the API's role check and the upload guard: no token or a bad one is
    401 (``WWW-Authenticate: Bearer``), a client over the failure limit 429
    (``Retry-After``), each written as ``access.denied`` by :func:`audit_refusal`.
    """
    try:
        user = user_from_request(store, request, token)
    except TooManyFailures as exc:
        audit_refusal(store, request, actor="anonymous", status_code=429, reason=exc.message)
        raise Refusal(429, exc.message, {"Retry-After": str(exc.retry_after_s)}) from None
    except AuthenticationError as exc:
        audit_refusal(store, request, actor="anonymous", status_code=401, reason=exc.message)
        raise Refusal(401, exc.message, {"WWW-Authenticate": "Bearer"}) from None
    if user is None:
        audit_refusal(store, request, actor="anonymous", status_code=401, reason="no credentials")
        raise Refusal(401, NO_CREDENTIALS, {"WWW-Authenticate": "Bearer"})
    return user


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
    """Record a refused request (``access.denied``) in its own transaction, aggregated.

    The request's own transaction will not commit, so the refusal gets one of its own.
    A repeat of the same refusal (client, actor, route, status) within
    :data:`REFUSAL_AGGREGATE_S` seconds is counted, not written; ``params.count`` of the
    next event written for it includes it.
    """
    client = _client(request)
    route = f"{request.method} {request.url.path}"
    count = _guards(request).refusal_count((client, actor, route, status_code))
    if count is None:
        return
    with store.session() as session:
        record_event(
            session,
            actor=actor,
            action="access.denied",
            object_type="route",
            object_id=route,
            params={"status": status_code, "client": client, "count": count},
            reason=reason,
        )
