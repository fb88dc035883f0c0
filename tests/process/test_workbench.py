"""Workbench pages: twin what-if and correction errors as HTML naming the field; the dashboard's script and events."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from pharmakon.server import create_app
from pharmakon.store import Store


@pytest.fixture
def client(store: Store) -> TestClient:
    return TestClient(create_app())


def _login(client: TestClient, username: str, page: str) -> str:
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"username": username, "password": f"{username}-password", "csrf": csrf, "next": "/"})
    return re.search(r'name="csrf" value="([^"]+)"', client.get(page).text).group(1)


def test_pages_render_and_errors_name_the_field(client, make_user, store: Store) -> None:
    make_user("sam", "scientist")
    csrf = _login(client, "sam", "/process/twin")
    assert client.get("/process").status_code == 200
    assert client.get("/process/softsensors").status_code == 200
    assert "process.js" in client.get("/static/process.js").text or client.get("/static/process.js").status_code == 200
    # no twin stored yet: a clear error page, not a crash
    r = client.post("/process/twin", data={"csrf": csrf, "pp_l": "0.5", "pp_nh2": "0.5", "ratio": "0.2"})
    assert r.status_code in (404, 422)
    r = client.post("/process/twin", data={"csrf": csrf, "pp_l": "0.5", "pp_nh2": "0.5", "ratio": "abc"})
    assert r.status_code == 422 and "ratio must be a number" in r.text
    r = client.post(
        "/process/fit",
        data={"name": "x", "csrf": csrf, "components": "0"},
        files={"file": ("n.csv", b"a,b\n1,2\n2,3\n3,5\n", "text/csv")},
    )
    assert r.status_code == 422 and "components" in r.text
