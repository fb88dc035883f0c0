"""Refuse uploads before reading them: authentication first, then a body size limit while streaming.

A pure ASGI middleware (it never reads a request body itself), put on the whole app by
:func:`pharmakon.server.create_app`, inside the session middleware:

- a request with a body (``POST``/``PUT``/``PATCH``) under ``/api/v1`` (except
  ``/api/v1/health``) must carry an API token (``Authorization: Bearer`` or
  ``X-API-Key``) that :func:`pharmakon.auth.authenticate_api` accepts (the API's own
  policy: 401, or 429 for a client over the failure limit, audited as ``access.denied``),
  before a byte of the body is read. The route's own role check
  still runs afterwards (the user is also left in ``scope["state"]["upload_user"]``);
- a workbench ``multipart/form-data`` ``POST`` (an upload form) without a valid
  workbench session is redirected (303) to the login page, unread; ``POST /login`` is exempt;
- every request body is limited to ``PHARMAKON_MAX_UPLOAD_MB``: a larger
  ``Content-Length`` gets 413 at once, a streamed (chunked) body gets 413 as soon as it
  grows past the limit, without being buffered.
"""

from __future__ import annotations

import json
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pharmakon.auth import Refusal, authenticate_api, get_store, user_from_web_session
from pharmakon.errors import PharmakonError

__all__ = ["UploadGuard", "BODY_METHODS"]

#: Methods whose requests carry a body the guard checks before the app reads it.
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_API_PREFIX = "/api/v1"  # kept in step with pharmakon.api.app.API_PREFIX (this module sits below the API)
_API_OPEN = frozenset({f"{_API_PREFIX}/health"})
_WEB_OPEN = frozenset({"/login"})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def _token(scope: Scope) -> str | None:
    auth = _header(scope, b"authorization")
    if auth:
        scheme, _, credentials = auth.partition(" ")
        if scheme.lower() == "bearer" and credentials.strip():
            return credentials.strip()
    return _header(scope, b"x-api-key") or None


#: An unread request body up to this size is left for the server to skip, keeping the
#: connection alive; a larger one, or one of unknown size, closes the connection instead.
KEEP_ALIVE_UNREAD_BYTES = 2**20


def _small_body(scope: Scope) -> bool:
    length = (_header(scope, b"content-length") or "").strip()
    return length.isdigit() and int(length) <= KEEP_ALIVE_UNREAD_BYTES


async def _respond(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]], *, close: bool = True
) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    if close:  # the rest of the body is not worth receiving
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _problem(
    send: Send, status: int, detail: str, extra: list[tuple[bytes, bytes]] | None = None, *, close: bool = True
) -> None:
    """The API's error shape: ``{"detail": ..., "field": null}``."""
    body = json.dumps({"detail": detail, "field": None}).encode()
    await _respond(send, status, body, [(b"content-type", b"application/json"), *(extra or [])], close=close)


class UploadGuard:
    """ASGI middleware: authenticate before a body is read, and bound its size while it streams."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        is_api = path == _API_PREFIX or path.startswith(_API_PREFIX + "/")
        if scope.get("method", "GET").upper() in BODY_METHODS:
            if is_api and path not in _API_OPEN:
                if not await self._api_allowed(scope, send):
                    return
            elif not is_api and path not in _WEB_OPEN and self._is_multipart(scope):
                if not await self._web_allowed(scope, send):
                    return
        await self._limited(scope, receive, send, is_api)

    @staticmethod
    def _is_multipart(scope: Scope) -> bool:
        return (_header(scope, b"content-type") or "").lower().startswith("multipart/")

    async def _api_allowed(self, scope: Scope, send: Send) -> bool:
        """Check the API token (without the body); on refusal answer and audit as the API does."""
        request = Request(scope)  # no receive: reading the body here would fail, by design
        try:
            user = await run_in_threadpool(authenticate_api, get_store(), request, _token(scope))
        except Refusal as exc:
            headers = [(k.lower().encode(), v.encode()) for k, v in exc.headers.items()]
            await _problem(send, exc.status_code, exc.message, headers, close=not _small_body(scope))
            return False
        scope.setdefault("state", {})["upload_user"] = user
        return True

    async def _web_allowed(self, scope: Scope, send: Send) -> bool:
        """A workbench upload needs a valid session; otherwise redirect to login, unread."""
        request = Request(scope)
        try:
            user = await run_in_threadpool(user_from_web_session, get_store(), request)
        except PharmakonError:  # the session names a user who no longer exists
            user = None
        if user is not None:
            return True
        location = f"/login?next={quote(scope.get('path', '/'), safe='/')}"
        await _respond(send, 303, b"", [(b"location", location.encode("latin-1"))], close=not _small_body(scope))
        return False

    async def _limited(self, scope: Scope, receive: Receive, send: Send, is_api: bool) -> None:
        limit = self.max_body_bytes
        message = f"request body larger than {limit // 2**20} MiB (PHARMAKON_MAX_UPLOAD_MB)"

        async def too_large() -> None:
            if is_api:
                await _problem(send, 413, message)
            else:
                await _respond(send, 413, message.encode(), [(b"content-type", b"text/plain; charset=utf-8")])

        length = _header(scope, b"content-length")
        if length is not None and length.strip().isdigit() and int(length) > limit:
            await too_large()
            return

        received = 0
        refused = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, refused, started
            if refused:
                return {"type": "http.disconnect"}
            message_in = await receive()
            if message_in["type"] == "http.request":
                received += len(message_in.get("body", b""))
                if received > limit:
                    # Answer now and tell the app the client went away: the rest is never read.
                    refused = True
                    if not started:
                        started = True
                        await too_large()
                    return {"type": "http.disconnect"}
            return message_in

        async def guarded_send(message_out: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 has been sent; whatever the app answers is dropped
            if message_out["type"] == "http.response.start":
                started = True
            await send(message_out)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not refused:
                raise
