"""An unexpected exception is a JSON 500 Problem naming no internals, and the connection survives."""

from __future__ import annotations

import http.client
import json
import threading
import time

import uvicorn
from fastapi import FastAPI

from pharmakon.api.app import API_PREFIX
from pharmakon.server import create_app
from tests.postgres_server import free_port

SECRET = "/srv/secret/path password=hunter2"


def _app() -> FastAPI:
    app = create_app()

    def boom() -> dict:
        raise RuntimeError(SECRET)

    async def boom_async() -> dict:
        raise KeyError(SECRET)

    app.add_api_route(f"{API_PREFIX}/boom", boom, methods=["GET"])
    app.add_api_route(f"{API_PREFIX}/boom-async", boom_async, methods=["GET"])
    return app


def test_bug_answers_a_problem_on_a_kept_alive_connection(pharmakon_home, caplog) -> None:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        for path in ("/boom", "/boom-async", "/boom"):
            conn.request("GET", API_PREFIX + path)
            response = conn.getresponse()
            body = response.read()
            assert response.status == 500
            assert response.getheader("content-type") == "application/json"
            problem = json.loads(body)
            assert set(problem) == {"detail", "field"} and problem["field"] is None
            assert "incident" in problem["detail"]
            assert "hunter2" not in body.decode() and "RuntimeError" not in body.decode()
        # The same connection still answers (it was not reset by the failures).
        conn.request("GET", f"{API_PREFIX}/health")
        health = conn.getresponse()
        health.read()
        assert health.status == 200
        conn.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    incident = problem["detail"].split("incident ")[1].split(")")[0]
    assert any(incident in r.getMessage() and r.exc_info for r in caplog.records)  # the log keeps the traceback


def test_500_is_documented_as_a_problem(pharmakon_home) -> None:
    schema = create_app().openapi()
    operation = schema["paths"][f"{API_PREFIX}/health"]["get"]
    assert operation["responses"]["500"]["content"]["application/json"]["schema"]["$ref"].endswith("/Problem")
