"""The last-resort handler both HTTP front ends share: an unexpected exception becomes a 500 answer.

Starlette's own last-resort handler answers in plain text and re-raises, so the server
logs it as a crash and drops the kept-alive connection. :class:`CatchUnexpected` logs
the exception (with its traceback, under a short incident id), answers with what the
front end builds from that id alone (the API a JSON ``Problem``, the workbench its HTML
error page), and does not let the exception propagate, so the connection serves the
next request. If the answer had already begun, the exception is re-raised: nothing
well-formed can be sent any more.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.types import ASGIApp, Receive, Send

__all__ = ["CatchUnexpected"]

#: Builds the answer for an incident: ``answer(scope, receive, incident_id)`` -> an ASGI response.
Answer = Callable[[MutableMapping[str, Any], Receive, str], Awaitable[ASGIApp]]


class CatchUnexpected:
    """ASGI middleware: requests whose path ``covers`` accepts are answered by ``answer`` on an unexpected exception."""

    def __init__(self, app: ASGIApp, *, covers: Callable[[str], bool], answer: Answer, logger: logging.Logger) -> None:
        self.app = app
        self.covers = covers
        self.answer = answer
        self.logger = logger

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.covers(scope["path"]):
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: MutableMapping[str, Any]) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:
            incident = uuid.uuid4().hex[:12]
            self.logger.exception("unexpected error %s on %s %s", incident, scope.get("method"), scope["path"])
            if started:
                raise
            response = await self.answer(scope, receive, incident)
            await response(scope, receive, send)
