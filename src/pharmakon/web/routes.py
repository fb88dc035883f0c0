"""Workbench pages: login, home, audit trail, data catalogue, users (admin)."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from pharmakon._version import __version__
from pharmakon.auth import audit_refusal, get_store, user_from_web_session
from pharmakon.errors import (
    AuthenticationError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
    PharmakonError,
    StoreError,
)
from pharmakon.http_catchall import CatchUnexpected
from pharmakon.reports import add_template_folder, environment
from pharmakon.store import (
    MAX_OFFSET,
    ROLES,
    UserInfo,
    chain_head,
    create_user,
    end_web_session,
    list_events,
    list_users,
    role_allows,
    set_user_active,
    start_web_session,
    verify_and_record,
    verify_chain,
)
from pharmakon.store import (
    login as login_user,
)
from pharmakon.web.capabilities import CAPABILITIES

_HERE = Path(__file__).parent
add_template_folder(_HERE / "templates")
templates = Jinja2Templates(env=environment())
router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
# Chains up to this size are verified on every audit page view (about 1 s on 2 cores);
# longer ones show the newest recorded verification and offer to run one.
LIVE_VERIFY_MAX_EVENTS = 50_000
# Keeps the page's offset within what list_events accepts (and SQL integers hold).
MAX_AUDIT_PAGE = MAX_OFFSET // PAGE_SIZE

#: Modules whose ``router`` adds workbench pages (they reuse :func:`render` and
#: :func:`page_user` from here). Each domain adds one line.
DOMAIN_PAGES: list[str] = [
    "pharmakon.web.pages_pgx",
    "pharmakon.web.pages_models",
    "pharmakon.web.pages_safety",
    "pharmakon.web.pages_trial",
    "pharmakon.web.pages_admet",
    "pharmakon.web.pages_nano_formulation",
    "pharmakon.web.pages_nano_delivery",
    "pharmakon.web.pages_process",
    "pharmakon.web.pages_matching",
    "pharmakon.web.pages_trialdata",
    "pharmakon.web.pages_imaging",
]


def local_path(target: str) -> str:
    """``target`` if it is a path on this site, else ``/``: no open redirect after login.

    ``//host/x`` and ``/\\host/x`` are other sites to a browser, as is anything with a
    scheme or a host; control characters are refused too.
    """
    from urllib.parse import urlsplit

    parts = urlsplit(target)
    unsafe = (
        not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or parts.scheme
        or parts.netloc
        or any(ord(c) < 32 for c in target)
    )
    return "/" if unsafe else target


class _Redirect(Exception):
    def __init__(self, url: str) -> None:
        self.url = url


class _Forbidden(Exception):
    def __init__(self, user: UserInfo, needed: str) -> None:
        self.user, self.needed = user, needed


#: Status of a page whose handler let a domain error through (the API maps them the same way).
_ERROR_STATUS: list[tuple[type[PharmakonError], int, str]] = [
    (AuthenticationError, 401, "Not signed in"),
    (PermissionDeniedError, 403, "Not allowed"),
    (NotFoundError, 404, "Not found"),
    (InputError, 422, "Invalid input"),
    (StoreError, 503, "Store unavailable"),
]
_API_PATH = "/api/"
#: Where a parameter came from, in words (FastAPI's ``loc[0]``).
#: Plain words for the commonest validation failures of form and query values.
_PLAIN = {
    "int_parsing": "should be a whole number",
    "int_from_float": "should be a whole number",
    "float_parsing": "should be a number",
    "bool_parsing": "should be yes/no (1 or 0)",
}
_WHERE = {"query": "query parameter", "path": "part of the address", "body": "form field", "header": "header"}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(_API_PATH)


def _shown(value: object) -> str:
    """A short rendering of a rejected value for the page ("" when there is none)."""
    if value is None or isinstance(value, dict | list):
        return ""
    text = str(value)
    return repr(text if len(text) <= 60 else text[:57] + "...")


def invalid_field_message(exc: RequestValidationError) -> tuple[str, str]:
    """``(field, message)`` for the first problem in a request FastAPI could not validate.

    e.g. ``("kmax", "query parameter 'kmax': should be a valid integer (got 'abc')")``.
    """
    errors = list(exc.errors())
    if not errors:
        return "", "the request is invalid"
    err = errors[0]
    loc = [str(p) for p in err.get("loc", ())]
    where, field = (loc[0], ".".join(loc[1:])) if loc else ("query", "")
    kind = err.get("type", "")
    if kind == "missing":
        reason = "is required but was not given"
    else:
        reason = _PLAIN.get(kind) or str(err.get("msg", "is invalid")).removeprefix("Value error, ")
        reason = reason.replace("Input should be", "should be")
        if shown := _shown(err.get("input")):
            reason += f" (got {shown})"
    more = f"; and {len(errors) - 1} more problem(s)" if len(errors) > 1 else ""
    return field, f"{_WHERE.get(where, where)} {field!r}: {reason}{more}"


def _current_user(request: Request) -> UserInfo | None:
    try:
        return user_from_web_session(get_store(), request)
    except PharmakonError:
        return None


def error_page(request: Request, status_code: int, title: str, message: str, field: str = "") -> Response:
    """The HTML error page (with the navigation when someone is signed in); a visitor is sent to log in."""
    user = _current_user(request)
    if user is None and status_code not in (401, 503):
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    return render(request, "error.html", user, status_code=status_code, title=title, message=message, field=field)


def _invalid_page(request: Request, exc: RequestValidationError) -> Response:
    field, message = invalid_field_message(exc)
    return error_page(request, 422, "Invalid input", message, field)


def _domain_error_page(request: Request, exc: PharmakonError) -> Response:
    status, title = next(((code, t) for kind, code, t in _ERROR_STATUS if isinstance(exc, kind)), (400, "Error"))
    field = getattr(exc, "field", None) or ""
    return error_page(request, status, title, exc.message, field)


def _html_for_pages(app: FastAPI, kind: type[Exception], page: Callable[[Request, Any], Response]) -> None:
    """Answer ``kind`` with an HTML page on workbench paths; the API keeps its own (JSON) handler."""
    from fastapi.exception_handlers import request_validation_exception_handler

    api_handler = app.exception_handlers.get(kind)
    if api_handler is None and kind is RequestValidationError:
        api_handler = request_validation_exception_handler

    async def handler(request: Request, exc: Exception) -> Response:
        if _is_api(request) and api_handler is not None:
            return await api_handler(request, exc)
        return await run_in_threadpool(page, request, exc)  # the store is read synchronously

    app.add_exception_handler(kind, handler)


class PageCatchAll(CatchUnexpected):
    """ASGI middleware: an unexpected exception on a workbench page answers the HTML error page (500).

    Nothing of the exception is shown, only the incident id under which the traceback is
    logged (:class:`~pharmakon.http_catchall.CatchUnexpected`). API paths are left to the
    API's own handler.
    """

    def __init__(self, app: Any) -> None:
        super().__init__(
            app,
            covers=lambda path: not path.startswith(_API_PATH),
            answer=_incident_page,
            logger=logging.getLogger("pharmakon.web"),
        )


async def _incident_page(scope: Any, receive: Any, incident: str) -> Response:
    message = f"Something went wrong on our side (incident {incident}); the server log has the details."
    return await run_in_threadpool(_crash_page, Request(scope, receive), message)


def _crash_page(request: Request, message: str) -> Response:
    try:
        return render(request, "error.html", _current_user(request), status_code=500, title="Error", message=message)
    except Exception:  # noqa: BLE001 - the store or the templates themselves may be what failed
        return HTMLResponse(f"<!doctype html><title>Error</title><p>{message}</p>", status_code=500)


def mount(app: FastAPI) -> None:
    """Add the workbench pages and static files to ``app``.

    Call it after the API's ``mount``: a request a page could not validate (``kmax=abc``,
    a missing or out-of-range parameter) or a domain error a page let through is then
    answered with the HTML error page naming the field, while API paths keep the API's
    JSON answers.
    """
    from importlib import import_module

    app.mount("/static", StaticFiles(directory=_HERE / "static"), name="static")
    app.include_router(router)
    for module in DOMAIN_PAGES:
        app.include_router(import_module(module).router)
    _html_for_pages(app, RequestValidationError, _invalid_page)
    _html_for_pages(app, PharmakonError, _domain_error_page)
    app.add_middleware(PageCatchAll)

    @app.exception_handler(_Redirect)
    async def _redirect(_request: Request, exc: _Redirect) -> Response:
        return RedirectResponse(exc.url, status_code=303)

    @app.exception_handler(_Forbidden)
    async def _forbidden(request: Request, exc: _Forbidden) -> Response:
        reason = f"role {exc.user.role!r} may not see this page; needs {exc.needed!r}"
        audit_refusal(get_store(), request, actor=exc.user.username, status_code=403, reason=reason)
        return render(request, "error.html", exc.user, status_code=403, title="Not allowed", message=reason)


def render(request: Request, template: str, user: UserInfo | None, *, status_code: int = 200, **context) -> Response:
    session = request.session
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    nav = [c for c in CAPABILITIES if c.href and user is not None and role_allows(user.role, c.min_role)]
    context.update(user=user, app_version=__version__, csrf=session["csrf"], roles=ROLES, nav=nav)
    return templates.TemplateResponse(request, template, context, status_code=status_code)


def page_user(request: Request, needed: str = "viewer") -> UserInfo:
    """The logged-in user holding ``needed``; otherwise redirect to login or refuse."""
    try:
        user = user_from_web_session(get_store(), request)
    except PharmakonError:  # the session names a user who no longer exists
        user = None
    if user is None:
        request.session.pop("user", None)
        raise _Redirect(f"/login?next={request.url.path}")
    if not role_allows(user.role, needed):
        raise _Forbidden(user, needed)
    return user


def check_csrf(request: Request, token: str) -> None:
    if not token or not secrets.compare_digest(token, request.session.get("csrf", "")):
        raise _Redirect("/login?expired=1")


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> Response:
    return render(request, "login.html", None, next=local_path(next))


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    check_csrf(request, csrf)
    try:
        user = login_user(get_store(), username, password, channel="workbench")
    except AuthenticationError as exc:
        return render(request, "login.html", None, status_code=401, error=exc.message, next=local_path(next))
    store = get_store()
    with store.session() as session:
        sid = start_web_session(session, user.username)
    request.session.clear()
    request.session.update(user=user.username, sid=sid)
    return RedirectResponse(local_path(next), status_code=303)


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    """End the session server-side (its cookie no longer works anywhere), then forget it."""
    check_csrf(request, csrf)
    sid = request.session.get("sid")
    if sid:
        with get_store().session() as session:
            end_web_session(session, sid)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    user = page_user(request)
    visible = [c for c in CAPABILITIES if role_allows(user.role, c.min_role)]
    return render(request, "home.html", user, capabilities=visible)


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    actor: str = "",
    action: str = "",
    object_type: str = "",
    page: int = 1,
) -> Response:
    user = page_user(request, "viewer")
    page = max(page, 1)
    if page > MAX_AUDIT_PAGE:
        message = f"page {page} does not exist: pages run from 1 to at most {MAX_AUDIT_PAGE:,}"
        return render(request, "error.html", user, status_code=404, title="No such page", message=message)
    store = get_store()
    with store.read_session() as session:
        events, total = list_events(
            session,
            actor=actor or None,
            action=action or None,
            object_type=object_type or None,
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
        )
        head_seq, _ = chain_head(session)
        chain = verify_chain(session) if head_seq <= LIVE_VERIFY_MAX_EVENTS else None
        last_check = None if chain else next(iter(list_events(session, action="audit.verify", limit=1)[0]), None)
    filters = {"actor": actor, "action": action, "object_type": object_type}
    pages = max(1, -(-total // PAGE_SIZE))
    if page > pages:
        message = f"page {page} does not exist: these events fill {pages} page(s) of {PAGE_SIZE}"
        return render(request, "error.html", user, status_code=404, title="No such page", message=message)
    return render(
        request,
        "audit.html",
        user,
        events=events,
        total=total,
        chain=chain,
        last_check=last_check,
        head_seq=head_seq,
        filters=filters,
        page=page,
        pages=pages,
    )


@router.post("/audit/verify", response_class=HTMLResponse)
def audit_verify(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    admin = page_user(request, "admin")
    check_csrf(request, csrf)
    verify_and_record(get_store(), actor=admin.username)
    return RedirectResponse("/audit", status_code=303)


@router.get("/data", response_class=HTMLResponse)
def data_page(request: Request) -> Response:
    user = page_user(request, "viewer")
    from pharmakon.datasets import is_cached, list_datasets

    rows = [(entry, is_cached(entry.name, verify=False)) for entry in list_datasets()]
    return render(request, "data.html", user, datasets=rows)


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, error: str = "", done: str = "") -> Response:
    user = page_user(request, "admin")
    with get_store().read_session() as session:
        users = list_users(session)
    return render(request, "users.html", user, users=users, error=error, done=done)


@router.post("/users", response_class=HTMLResponse)
def users_add(
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    role: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    admin = page_user(request, "admin")
    check_csrf(request, csrf)
    try:
        with get_store().session() as session:
            create_user(session, username=username, password=password, role=role, actor=admin.username)
    except PharmakonError as exc:
        return users_page(request, error=exc.message)
    return RedirectResponse(f"/users?done=added+{username}", status_code=303)


@router.post("/users/{username}/disable", response_class=HTMLResponse)
def users_disable(request: Request, username: str, csrf: Annotated[str, Form()] = "") -> Response:
    admin = page_user(request, "admin")
    check_csrf(request, csrf)
    try:
        with get_store().session() as session:
            set_user_active(session, username=username, active=False, actor=admin.username, reason="workbench")
    except PharmakonError as exc:
        return users_page(request, error=exc.message)
    return RedirectResponse(f"/users?done=disabled+{username}", status_code=303)
