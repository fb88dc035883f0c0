"""Bad form and query values on workbench pages give an HTML error page naming the field (issue 13).

Not a traceback's text, not FastAPI's JSON 422: an invalid number, an out-of-range
value or a missing parameter each answer the shared error page (with the navigation),
while the same mistakes under /api/v1 keep their JSON Problem.
"""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient

from pharmakon.server import create_app
from pharmakon.store import Store

#: Form handling does not depend on the database: SQLite only, to keep the suite quick.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def client(store: Store, make_user) -> TestClient:
    make_user("sam", "scientist")
    client = TestClient(create_app())
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    client.post("/login", data={"username": "sam", "password": "sam-password", "csrf": csrf, "next": "/"})
    return client


def _message(text: str) -> str:
    return html.unescape(re.search(r'data-testid="error-message"[^>]*>([^<]*)<', text).group(1))


@pytest.mark.parametrize(
    ("url", "field", "words"),
    [
        ("/audit?page=abc", "page", "whole number (got 'abc')"),
        ("/trial/designs/some-design?version=abc", "version", "whole number"),
        ("/admet/molecule?smiles=CCO&top=abc", "top", "whole number"),
        ("/safety/tables/t?min_n=five", "min_n", "whole number (got 'five')"),
        ("/safety/tables/t?min_n=-3", "min_n", "between 0 and"),
        ("/safety/tables/t/pair?drug=ASPIRIN", "event", "required"),  # a missing parameter
        ("/safety/tables/t?offset=1e999", "offset", "whole number"),
    ],
)
def test_bad_values_name_the_field_in_html(client: TestClient, url: str, field: str, words: str) -> None:
    response = client.get(url)
    assert response.status_code in (404, 422), response.text[:300]
    assert response.headers["content-type"].startswith("text/html")
    assert "Traceback" not in response.text and "invalid literal" not in response.text
    message = _message(response.text)
    assert field in message and words in message, message
    assert 'data-testid="who"' in response.text  # the page keeps the workbench's navigation


def test_trial_design_form_names_the_field(client: TestClient) -> None:
    response = client.get("/trial", params={"kmax": "abc"})
    assert response.headers["content-type"].startswith("text/html")
    error = html.unescape(re.search(r'data-testid="trial-error">([^<]*)<', response.text).group(1))
    assert "kmax" in error and "invalid literal" not in error
    response = client.get("/trial", params={"kmax": "99"})
    error = html.unescape(re.search(r'data-testid="trial-error">([^<]*)<', response.text).group(1))
    assert "kmax" in error  # out of range


def test_api_keeps_json_problems(client: TestClient) -> None:
    response = client.get("/api/v1/audit/events", params={"limit": "abc"}, headers={"Authorization": "Bearer x"})
    assert response.headers["content-type"] == "application/json"


def test_visitors_are_sent_to_log_in(store: Store) -> None:
    response = TestClient(create_app()).get("/audit?page=abc", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_a_crashing_page_answers_the_html_error_page(store: Store, make_user) -> None:
    app = create_app()

    def boom() -> None:
        raise RuntimeError("secret /srv/path")

    app.add_api_route("/boom", boom, methods=["GET"], include_in_schema=False)
    make_user("sam", "scientist")
    client = TestClient(app)
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"username": "sam", "password": "sam-password", "csrf": csrf, "next": "/"})
    response = client.get("/boom")
    assert response.status_code == 500 and response.headers["content-type"].startswith("text/html")
    assert (
        "incident" in _message(response.text) and "secret" not in response.text and "RuntimeError" not in response.text
    )
    assert 'data-testid="who"' in response.text  # still the workbench, with its navigation
    assert client.get("/").status_code == 200  # and the next request is served
