"""Regression tests for the workbench's session and redirect handling (security probe findings)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from pharmakon.api.app import API_PREFIX
from pharmakon.server import create_app
from pharmakon.store import Store, list_events
from pharmakon.web.routes import local_path


def _csrf(client: TestClient, path: str = "/login") -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get(path).text).group(1)


def _login(client: TestClient, username: str, password: str, next: str = "/"):
    form = {"username": username, "password": password, "csrf": _csrf(client), "next": next}
    return client.post("/login", data=form, follow_redirects=False)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/models?x=1", "/models?x=1"),
        ("//evil.example/x", "/"),
        ("/\\evil.example/x", "/"),
        ("https://evil.example/", "/"),
        ("javascript:alert(1)", "/"),
        ("/ok\r\nSet-Cookie: x=1", "/"),
        ("", "/"),
    ],
)
def test_only_local_paths_are_followed_after_login(target: str, expected: str) -> None:
    assert local_path(target) == expected


def test_login_does_not_redirect_to_another_site(store: Store, make_user) -> None:
    _, password, _ = make_user("sam", "scientist")
    client = TestClient(create_app())
    response = _login(client, "sam", password, next="//evil.example/x")
    assert response.status_code == 303 and response.headers["location"] == "/"


def test_logout_ends_the_session_for_good(store: Store, make_user) -> None:
    _, password, _ = make_user("sam", "scientist")
    client = TestClient(create_app())
    assert _login(client, "sam", password).status_code == 303
    stolen = dict(client.cookies)
    assert client.get("/", follow_redirects=False).status_code == 200
    assert client.post("/logout", data={"csrf": _csrf(client, "/")}, follow_redirects=False).status_code == 303
    replay = TestClient(create_app(), cookies=stolen)
    response = replay.get("/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_logout_needs_the_csrf_token(store: Store, make_user) -> None:
    _, password, _ = make_user("sam", "scientist")
    client = TestClient(create_app())
    _login(client, "sam", password)
    client.post("/logout", data={}, follow_redirects=False)  # a cross-site form has no token
    assert client.get("/", follow_redirects=False).status_code == 200  # still logged in


def test_the_api_does_not_take_the_workbench_cookie(store: Store, make_user) -> None:
    _, password, _ = make_user("ada", "admin")
    client = TestClient(create_app())
    _login(client, "ada", password)
    body = {"username": "mallory", "role": "admin", "password": "x" * 16}
    response = client.post(f"{API_PREFIX}/users", json=body)
    assert response.status_code == 401
    with store.read_session() as session:
        assert not any(e.object_id == "mallory" for e in list_events(session, action="user.create")[0])


def test_api_docs_need_no_internet(pharmakon_home) -> None:
    client = TestClient(create_app())
    page = client.get("/api/docs").text
    assert "cdn" not in page.lower()
    js = re.search(r'src="([^"]*swagger-ui-bundle\.js)"', page).group(1)
    assert js.startswith("/") and client.get(js).status_code == 200
