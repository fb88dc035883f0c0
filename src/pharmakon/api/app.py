"""The REST API under ``/api/v1``: its routers and its error responses.

:func:`mount` adds them to an app; :func:`pharmakon.server.create_app` composes the API
with the workbench.

Every error answer has one shape, :class:`Problem` (``{"detail": str, "field": str |
None}``), whatever raised it: a :class:`~pharmakon.errors.PharmakonError`, a request
FastAPI could not validate, or a JSON body holding what JSON does not allow (``NaN``,
``Infinity``, a lone UTF-16 surrogate, an integer beyond 64 bits). The message names
the field or parameter at fault and never echoes a value that cannot be encoded. The
OpenAPI schema declares :class:`Problem` for every error status an operation can give.

An exception nothing expected (a bug) is answered by :class:`CatchAll` with a 500
:class:`Problem` that names no internals (the traceback goes to the server log under an
incident id the answer quotes), and the kept-alive connection stays usable.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import pydantic_core
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from pharmakon.errors import (
    AuthenticationError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
    PharmakonError,
    StoreError,
)
from pharmakon.http_catchall import CatchUnexpected
from pharmakon.specs import input_error

__all__ = ["API_PREFIX", "API_ROUTERS", "ERROR_STATUSES", "CatchAll", "Problem", "json_body_problem", "mount"]

_log = logging.getLogger("pharmakon.api")

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
    "pharmakon.api.routes.nano_formulation",
    "pharmakon.api.routes.nano_delivery",
    "pharmakon.api.routes.process",
    "pharmakon.api.routes.matching",
    "pharmakon.api.routes.trialdata",
    "pharmakon.api.routes.imaging",
]

_STATUS = [
    (AuthenticationError, 401),
    (PermissionDeniedError, 403),
    (NotFoundError, 404),
    (InputError, 422),
    (StoreError, 503),
]

#: Longest error message returned (a huge input echoed in a message is cut).
_MAX_DETAIL = 1000
#: Integers a JSON body may hold (64-bit signed: what the stores can keep).
_INT_LIMIT = 2**63
#: A number that could leave 64 bits or overflow a float: 19+ digits in a row (2**63 has 19)
#: or an exponent of 3+ digits. Bodies without one (and without escapes or non-ASCII text)
#: can be judged by the fast parser alone.
_RISKY_NUMBER = re.compile(rb"[0-9]{19}|[eE][+-]?[0-9]{3}")


class Problem(BaseModel):
    """The body of every error answer of the API (4xx and 503)."""

    detail: str = Field(description="What is wrong, naming the field, parameter or file at fault where known.")
    field: str | None = Field(
        None, description="The body field (dotted path, e.g. 'design.alpha') or parameter at fault, where known."
    )


#: Error statuses the OpenAPI schema declares, and when (see :func:`_document_errors`).
ERROR_STATUSES: dict[str, str] = {
    "400": "The request body cannot be read (not JSON, too deep, not UTF-8).",
    "401": "No valid credentials (send 'Authorization: Bearer <token>').",
    "403": "The caller's role may not do this.",
    "404": "The named thing (model, design, table, user, ...) does not exist.",
    "413": "The request body is larger than the server accepts (PHARMAKON_MAX_UPLOAD_MB).",
    "422": "A parameter or body field is invalid; 'detail' names it.",
    "429": "Too many failed authentications from this client; retry after 'Retry-After' seconds.",
    "500": "An unexpected error (a bug); 'detail' quotes an incident id found in the server log.",
    "503": "The store is unavailable.",
}


def _status_for(exc: PharmakonError) -> int:
    return next((code for kind, code in _STATUS if isinstance(exc, kind)), 400)


def _text(message: str) -> str:
    """``message`` as text any JSON encoder takes (lone surrogates escaped), cut to a readable length."""
    safe = message.encode("utf-8", "backslashreplace").decode("utf-8")
    return safe if len(safe) <= _MAX_DETAIL else safe[: _MAX_DETAIL - 1] + "…"


def _problem(message: str, status_code: int, field: str | None = None, headers: Any = None) -> JSONResponse:
    body = {"detail": _text(message), "field": _text(field) if field is not None else None}
    return JSONResponse(body, status_code=status_code, headers=headers)


def _shown(value: Any) -> str | None:
    """A short, encodable rendering of a rejected input, or None where showing it is not useful or safe."""
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int):
        return repr(value) if abs(value) < 10**20 else None
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else None
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    return None


class _Errors:
    """The errors of a :class:`RequestValidationError` shaped as :func:`pharmakon.specs.input_error` reads them."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        self._errors = errors

    def errors(self) -> list[dict[str, Any]]:
        return self._errors

    def error_count(self) -> int:
        return len(self._errors)


def _body_model(request: Request) -> type[BaseModel] | None:
    """The route's request-body model, where the body is one model (its fields are the body's keys)."""
    route = request.scope.get("route")
    body_field = getattr(route, "body_field", None)
    if body_field is None or getattr(route, "_embed_body_fields", False):
        return None
    model = getattr(body_field.field_info, "annotation", None)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _validation_problem(request: Request, exc: RequestValidationError) -> JSONResponse:
    """One field-named message for the first problem FastAPI found in a request."""
    errors = list(exc.errors())
    if not errors:
        return _problem("invalid request", 422)
    err = errors[0]
    more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
    loc = [str(p) for p in err.get("loc", ())]
    where, path = (loc[0], loc[1:]) if loc else ("body", [])
    if err.get("type") == "json_invalid":
        reason = (err.get("ctx") or {}).get("error", "not valid JSON")
        position = f" at character {path[0]}" if path else ""
        return _problem(f"request body is not valid JSON: {reason}{position}", 422)
    field = ".".join(path) or None
    if where == "body" and err.get("type") == "missing" and field is None:
        return _problem("a request body (JSON) is required", 422)
    model = _body_model(request)
    if where == "body" and model is not None:
        exc_like = _Errors([{**e, "loc": tuple(e.get("loc", ()))[1:]} for e in errors])
        problem = input_error(model, exc_like)  # type: ignore[arg-type]
        if problem.field is None and field is None:
            return _problem(f"request body: {problem.message}", 422)
        return _problem(problem.message, 422, problem.field or field)
    message = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
    if err.get("type") == "extra_forbidden":
        message = f"unknown key {path[-1]!r}" if path else "unknown key"
    elif (shown := _shown(err.get("input"))) is not None and err.get("type") != "missing":
        message += f" (got {shown})"
    if where == "body":
        head = f"field {field!r}" if field else "request body"
    else:
        head = f"{where} parameter {field!r}" if field else f"{where} parameter"
    return _problem(f"{head}: {message}{more}", 422, field)


# -- JSON bodies Python accepts but JSON does not --------------------------------------------


class _NotJson:
    """Stands in, while parsing, for a number JSON does not allow."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _surrogate(text: str) -> bool:
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _first_bad(data: Any) -> tuple[list[str], str] | None:
    """Path and problem of the first value (in document order) that is not valid JSON."""
    stack: list[tuple[list[str], Any]] = [([], data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, _NotJson):
            return path, f"{value.text} is not a number JSON allows: send a finite number (or null)"
        if isinstance(value, str):
            if _surrogate(value):
                return path, "a string holds a lone UTF-16 surrogate (e.g. \\ud800), which is not Unicode text"
        elif isinstance(value, dict):
            for key in value:
                if _surrogate(key):
                    return [*path, key], "a key holds a lone UTF-16 surrogate, which is not Unicode text"
            stack.extend(([*path, str(k)], v) for k, v in reversed(list(value.items())))
        elif isinstance(value, list):
            stack.extend(([*path, str(i)], v) for i, v in reversed(list(enumerate(value))))
    return None


def json_body_problem(body: bytes) -> tuple[str, str | None] | None:
    """Why ``body`` is not strict JSON, as ``(message, field)``; None when it is (or is not JSON at all).

    Python's parser accepts ``NaN``, ``Infinity``, ``-Infinity``, numbers that overflow to
    infinity (``1e400``) and ``\\ud800`` escapes; none of them is JSON, and none can be
    stored, hashed or sent back. Integers beyond 64 bits are refused too. A body that
    does not parse at all is left to FastAPI (422 ``not valid JSON`` or 400).
    """
    if _plainly_strict(body):
        return None
    flagged = False

    def constant(text: str) -> _NotJson:
        nonlocal flagged
        flagged = True
        return _NotJson(text)

    def number(text: str) -> float | _NotJson:
        value = float(text)
        return value if math.isfinite(value) else constant(text)

    def integer(text: str) -> int | _NotJson:
        value = int(text)
        return value if -_INT_LIMIT <= value < _INT_LIMIT else constant(f"{text[:20]}... (beyond 64 bits)")

    try:
        data = json.loads(body, parse_constant=constant, parse_float=number, parse_int=integer)
    except (ValueError, RecursionError):
        return None
    if not flagged and body.isascii() and b"\\u" not in body and b"\\U" not in body:
        return None
    found = _first_bad(data)
    if found is None:
        return None
    path, problem = found
    field = ".".join(path) or None
    return (f"field {field!r}: {problem}" if field else f"request body: {problem}"), field


def _plainly_strict(body: bytes) -> bool:
    """Whether ``body`` is strict JSON by a cheap test that never accepts what the full check refuses.

    ASCII only, no escapes, no number that could leave 64 bits or overflow, and the Rust parser
    (which refuses ``NaN``/``Infinity``) reads it. Anything else goes the slow, exact way; a
    streamed monitor posting 100,000 samples spends half its server time here otherwise.
    """
    if not body.isascii() or b"\\u" in body or b"\\U" in body or _RISKY_NUMBER.search(body):
        return False
    try:
        pydantic_core.from_json(body, allow_inf_nan=False)
    except ValueError:
        return False
    return True


def _is_json(scope: MutableMapping[str, Any]) -> bool:
    """Whether FastAPI would parse this request's body as JSON (its content type says so)."""
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            media = value.decode("latin-1").split(";", 1)[0].strip().lower()
            kind, _, subtype = media.partition("/")
            return kind == "application" and (subtype == "json" or subtype.endswith("+json"))
    return False


Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class StrictJsonBodies:
    """ASGI middleware: a JSON body under ``/api/v1`` holding what JSON does not allow gets 422.

    The body is read (as FastAPI reads it anyway), checked by :func:`json_body_problem`
    and handed on unchanged; other requests pass untouched.
    """

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX) or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        problem = json_body_problem(body) if body else None
        if problem is not None:
            await _problem(problem[0], 422, problem[1])(scope, receive, send)
            return
        replayed = False

        async def replay() -> MutableMapping[str, Any]:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class CatchAll(CatchUnexpected):
    """ASGI middleware: an unexpected exception under ``/api/v1`` becomes a 500 :class:`Problem`.

    The answer names neither the exception nor its message, only the incident id under
    which the traceback is logged (:class:`~pharmakon.http_catchall.CatchUnexpected`).
    """

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        super().__init__(app, covers=lambda path: path.startswith(API_PREFIX), answer=_incident_problem, logger=_log)


async def _incident_problem(_scope: MutableMapping[str, Any], _receive: Receive, incident: str) -> JSONResponse:
    return _problem(f"internal error (incident {incident}): the server could not complete this request", 500)


# -- the schema -------------------------------------------------------------------------------


def _document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Declare :class:`Problem` for each error status an API operation can answer with.

    400 and 422 where there is a body or parameters, 401/403/429 where a credential
    is required, 404 where the path or body names something, 500 (a bug, see :class:`CatchAll`) and 503 (the store) everywhere.
    FastAPI's own ``HTTPValidationError`` (an array ``detail``) is not what the API
    returns, so it is replaced.
    """
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    ref = {"$ref": "#/components/schemas/Problem"}
    for path, methods in schema.get("paths", {}).items():
        for operation in methods.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            codes = {"500", "503"}
            if "requestBody" in operation:
                codes |= {"400", "413", "422"}
            if operation.get("parameters"):
                codes.add("422")
            if operation.get("security"):
                codes |= {"401", "403", "429"}
            if "{" in path or "requestBody" in operation:  # a name in the path or the body may be unknown
                codes.add("404")
            if "422" in responses:
                codes.add("422")
            for code in sorted(codes):
                responses[code] = {
                    "description": ERROR_STATUSES[code],
                    "content": {"application/json": {"schema": dict(ref)}},
                }
    text = json.dumps(schema)
    for name in ("HTTPValidationError", "ValidationError"):
        if f"#/components/schemas/{name}" not in text:
            components.pop(name, None)
    return schema


def mount(app: FastAPI) -> None:
    """Add the API routers, the error answers (:class:`Problem`) and their OpenAPI description to ``app``."""
    from importlib import import_module

    @app.exception_handler(PharmakonError)
    async def _pharmakon_error(_request: Request, exc: PharmakonError) -> JSONResponse:
        return _problem(exc.message, _status_for(exc), getattr(exc, "field", None))

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _validation_problem(request, exc)

    app.add_middleware(StrictJsonBodies)
    app.add_middleware(CatchAll)  # outermost of the API's: it also catches what the other middleware raises
    for module in API_ROUTERS:
        app.include_router(import_module(module).router, prefix=API_PREFIX)

    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _document_errors(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
