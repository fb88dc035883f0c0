"""Uploads are authenticated before their body is read, and bounded while they stream.

The streaming cases drive the composed ASGI app directly with a ``receive`` that counts
the chunks pulled (TestClient reads a streamed request body in full before sending it).
"""

from __future__ import annotations

import re

import anyio
import pytest
from fastapi.testclient import TestClient

from pharmakon.api.app import API_PREFIX
from pharmakon.config import get_settings
from pharmakon.server import create_app
from pharmakon.store import Store, list_events
from tests.conftest import MIRROR

EX = MIRROR / "pharmcat" / "example_report"
FAKE = "pk_0123456789ab_" + "A" * 43  # well-formed, unknown
BOUNDARY = "pharmakon-test-boundary"
CHUNK = b"#" * 2**16


class Upload:
    """A multipart body of ``chunks`` chunks after the part header, counting what the app pulls."""

    def __init__(self, chunks: int, field: str = "vcf") -> None:
        self.chunks = chunks
        self.pulled = 0
        self.head = (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{field}"; filename="big.vcf"\r\n'
            "Content-Type: text/plain\r\n\r\n"
        ).encode()

    async def receive(self) -> dict:
        self.pulled += 1
        if self.pulled == 1:
            return {"type": "http.request", "body": self.head, "more_body": True}
        if self.pulled <= self.chunks + 1:
            return {"type": "http.request", "body": CHUNK, "more_body": True}
        if self.pulled == self.chunks + 2:
            return {"type": "http.request", "body": f"\r\n--{BOUNDARY}--\r\n".encode(), "more_body": False}
        await anyio.sleep_forever()  # a client that sent everything waits for the answer
        raise AssertionError("unreachable")


def call(app, path: str, upload: Upload, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """POST ``upload`` to ``app`` over ASGI; (status, headers, body) of the answer."""
    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    merged = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}
    merged.update({k.lower(): v for k, v in (headers or {}).items()})
    raw = [(k.encode(), v.encode()) for k, v in merged.items()]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": raw,
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }

    async def run() -> None:
        with anyio.fail_after(60):
            await app(scope, upload.receive, send)

    anyio.run(run)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, body


@pytest.fixture
def app(store: Store):
    return create_app()


def denied(store: Store) -> list:
    with store.read_session() as session:
        return list_events(session, action="access.denied", newest_first=False)[0]


def test_anonymous_api_upload_is_refused_before_its_body_is_read(app, store: Store) -> None:
    upload = Upload(chunks=10_000)  # 640 MiB if it were read
    status, headers, body = call(app, f"{API_PREFIX}/pgx/call", upload)
    assert status == 401
    assert headers["www-authenticate"] == "Bearer"
    assert b'"field": null' in body and b"authentication required" in body
    assert upload.pulled == 0
    (event,) = denied(store)
    assert event.object_id == f"POST {API_PREFIX}/pgx/call" and event.reason == "no credentials"


def test_anonymous_json_body_is_refused_before_any_middleware_reads_it(app) -> None:
    upload = Upload(chunks=10_000)  # what the bytes are does not matter: none is read
    status, _, _ = call(app, f"{API_PREFIX}/admet/explain", upload, {"Content-Type": "application/json"})
    assert status == 401 and upload.pulled == 0


def test_bad_token_upload_is_refused_before_its_body_is_read(app, store: Store) -> None:
    upload = Upload(chunks=10_000)
    status, headers, _ = call(app, f"{API_PREFIX}/pgx/call", upload, {"Authorization": f"Bearer {FAKE}"})
    assert status == 401 and headers["www-authenticate"] == "Bearer"
    assert upload.pulled == 0
    assert [e.params["status"] for e in denied(store)] == [401]
    upload = Upload(chunks=10_000)
    assert call(app, f"{API_PREFIX}/pgx/call", upload, {"X-API-Key": FAKE})[0] == 401
    assert upload.pulled == 0


def test_oversized_content_length_gets_413_at_once(app, make_user) -> None:
    _, _, token = make_user("vic", "viewer")
    limit = get_settings().max_upload_mb * 2**20
    upload = Upload(chunks=10_000)
    headers = {"Authorization": f"Bearer {token}", "Content-Length": str(limit + 1)}
    status, _, body = call(app, f"{API_PREFIX}/pgx/call", upload, headers)
    assert status == 413 and b"PHARMAKON_MAX_UPLOAD_MB" in body and b'"field": null' in body
    assert upload.pulled == 0


def test_streamed_body_past_the_limit_gets_413_without_being_buffered(
    store: Store, make_user, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PHARMAKON_MAX_UPLOAD_MB", "1")
    get_settings.cache_clear()
    app = create_app()
    _, _, token = make_user("vic", "viewer")
    upload = Upload(chunks=10_000)  # no Content-Length: chunked
    status, _, body = call(app, f"{API_PREFIX}/pgx/call", upload, {"Authorization": f"Bearer {token}"})
    assert status == 413 and b"larger than 1 MiB" in body
    assert upload.pulled <= 2**20 // len(CHUNK) + 2  # stopped just past 1 MiB, not 640 MiB
    # A workbench body past the limit too (with or without a session, the limit holds).
    upload = Upload(chunks=10_000)
    status, _, _ = call(app, "/login", upload)
    assert status == 413 and upload.pulled <= 2**20 // len(CHUNK) + 2


def test_anonymous_workbench_upload_is_redirected_unread(app) -> None:
    upload = Upload(chunks=10_000, field="file")
    status, headers, _ = call(app, "/admet", upload)
    assert status == 303 and headers["location"] == "/login?next=/admet"
    assert upload.pulled == 0


def test_health_and_normal_uploads_still_work(store: Store, make_user, monkeypatch: pytest.MonkeyPatch) -> None:
    if not (EX / "pharmcat.example2.vcf").is_file():
        pytest.skip(f"data mirror {MIRROR} lacks pharmcat/")
    monkeypatch.setenv("PHARMAKON_DATA_MIRROR", str(MIRROR))
    get_settings.cache_clear()
    client = TestClient(create_app())
    assert client.get(f"{API_PREFIX}/health").status_code == 200
    _, _, viewer = make_user("vic", "viewer")
    files = {
        "vcf": ("example2.vcf", (EX / "pharmcat.example2.vcf").read_bytes()),
        "outside_call": ("oc.tsv", (EX / "pharmcat.example.outsideCall.tsv").read_bytes()),
    }
    res = client.post(f"{API_PREFIX}/pgx/call", files=files, headers={"Authorization": f"Bearer {viewer}"})
    assert res.status_code == 200, res.text
    (rep,) = res.json()
    assert rep["genes"]["CYP2C19"]["diplotypes"] == ["*2/*2"]
    # The workbench upload of a logged-in user passes the guard.
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    client.post("/login", data={"username": "vic", "password": "vic-password", "csrf": csrf, "next": "/"})
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/pgx").text).group(1)
    page = client.post("/pgx/call", files=files, data={"csrf": csrf})
    assert page.status_code == 200 and "CYP2C19" in page.text


def test_a_real_server_answers_a_declared_gigabyte_upload_before_it_arrives(store: Store, make_user) -> None:
    """Over uvicorn: with 1 KiB of a declared 1 GiB body sent, the answer (401, or 413 with a token) comes."""
    import socket
    import threading
    import time

    import uvicorn

    _, _, token = make_user("vic", "viewer")
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while not server.started:
            assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
            time.sleep(0.05)
        port = server.servers[0].sockets[0].getsockname()[1]
        for auth, expected in (("", b" 401 "), (f"Authorization: Bearer {token}\r\n", b" 413 ")):
            with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
                head = (
                    f"POST {API_PREFIX}/pgx/call HTTP/1.1\r\nHost: testserver\r\n{auth}"
                    f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {2**30}\r\n\r\n"
                )
                sock.sendall(head.encode() + Upload(0).head + b"#" * 1024)
                answer = b""
                while b"\r\n\r\n" not in answer:
                    chunk = sock.recv(65536)
                    assert chunk, f"connection closed without an answer: {answer!r}"
                    answer += chunk
                status_line = answer.split(b"\r\n", 1)[0]
                assert expected in status_line, answer
                assert b"connection: close" in answer.lower()
    finally:
        server.should_exit = True
        thread.join(timeout=60)
