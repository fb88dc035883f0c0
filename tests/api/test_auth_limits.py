"""REST authentication limits: failed-token rate limit (429), aggregated refusals, bounds, auth controls."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

import pharmakon.auth as auth_module
from pharmakon.api.app import API_PREFIX
from pharmakon.auth import REFUSAL_AGGREGATE_S, TOKEN_FAILURE_WINDOW_S, TOKEN_FAILURES_PER_CLIENT
from pharmakon.server import create_app
from pharmakon.store import MAX_OFFSET, MAX_TOKEN_DAYS, Store, list_events

FAKE = "pk_0123456789ab_" + "A" * 43  # well-formed, unknown


class Clock:
    """A hand-moved clock for the per-app guards (no sleeping, no dependence on speed)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def client(store: Store) -> TestClient:
    return TestClient(create_app())


@pytest.fixture
def clock(client: TestClient) -> Clock:
    client.get(f"{API_PREFIX}/health")
    clock = Clock()
    guards = auth_module._Guards(clock)
    client.app.state.pharmakon_auth_guards = guards
    return clock


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def denied(store: Store) -> list:
    with store.read_session() as session:
        return list_events(session, action="access.denied", newest_first=False)[0]


def test_failed_tokens_are_rate_limited_per_client(client, clock, store, make_user, monkeypatch) -> None:
    _, _, token = make_user("vic", "viewer")
    checks = []
    real = auth_module.authenticate_token
    monkeypatch.setattr(auth_module, "authenticate_token", lambda s, t: checks.append(t) or real(s, t))
    for _ in range(TOKEN_FAILURES_PER_CLIENT):
        assert client.get(f"{API_PREFIX}/me", headers=bearer(FAKE)).status_code == 401
        clock.now += 1
    limited = client.get(f"{API_PREFIX}/me", headers=bearer(FAKE))
    assert limited.status_code == 429 and "too many failed authentications" in limited.json()["detail"]
    retry = int(limited.headers["retry-after"])
    assert retry == TOKEN_FAILURE_WINDOW_S - TOKEN_FAILURES_PER_CLIENT
    assert client.get(f"{API_PREFIX}/me", headers=bearer(token)).status_code == 429  # this client waits
    assert len(checks) == TOKEN_FAILURES_PER_CLIENT  # no slow hash once over the limit
    assert client.get(f"{API_PREFIX}/me").status_code == 401  # no credentials: a plain 401

    clock.now += retry
    assert client.get(f"{API_PREFIX}/me", headers=bearer(token)).json()["username"] == "vic"
    statuses = sorted((e.params["status"], e.params["count"]) for e in denied(store))
    assert statuses == [(401, 1), (429, 1)]  # 11 refusals within the minute: one event per status


def test_repeated_refusals_are_aggregated_with_a_count(client, clock, store) -> None:
    for _ in range(5):
        assert client.get(f"{API_PREFIX}/audit/events").status_code == 401
    assert client.get(f"{API_PREFIX}/me").status_code == 401  # another route: its own event
    assert [(e.object_id, e.params["count"]) for e in denied(store)] == [
        (f"GET {API_PREFIX}/audit/events", 1),
        (f"GET {API_PREFIX}/me", 1),
    ]
    clock.now += REFUSAL_AGGREGATE_S
    assert client.get(f"{API_PREFIX}/audit/events").status_code == 401
    last = denied(store)[-1]
    assert last.object_id == f"GET {API_PREFIX}/audit/events" and last.params["count"] == 5  # itself + 4 folded


def test_a_disabled_users_token_is_refused_without_naming_them(client, store, make_user) -> None:
    _, _, admin = make_user("root", "admin")
    _, _, token = make_user("alice", "scientist")
    assert client.post(f"{API_PREFIX}/users/alice/disable", headers=bearer(admin)).status_code == 200
    refused = client.get(f"{API_PREFIX}/me", headers=bearer(token))
    assert refused.status_code == 401 and "alice" not in refused.text
    assert all("alice" not in (e.reason or "") for e in denied(store))


def test_the_last_admin_cannot_disable_themselves(client, make_user) -> None:
    _, _, admin = make_user("root", "admin")
    refused = client.post(f"{API_PREFIX}/users/root/disable", headers=bearer(admin))
    assert refused.status_code == 422 and "last active admin" in refused.json()["detail"]
    assert client.get(f"{API_PREFIX}/me", headers=bearer(admin)).status_code == 200


def test_a_wrong_signature_password_is_audited(client, store, make_user) -> None:
    _, _, token = make_user("sam", "scientist")
    body = {"object_type": "trial_design", "object_id": "d1", "meaning": "approved", "password": "wrong-password"}
    refused = client.post(f"{API_PREFIX}/audit/signatures", json=body, headers=bearer(token))
    assert refused.status_code == 401
    with store.read_session() as session:
        [failed] = list_events(session, action="esign.failed")[0]
        assert list_events(session, action="esign")[1] == 0
    assert failed.object_id == "sam" and failed.params["object_id"] == "d1"


@pytest.mark.parametrize("days", [0, MAX_TOKEN_DAYS + 1, 1e308])
def test_token_lifetime_is_bounded(client, make_user, days) -> None:
    _, _, admin = make_user("root", "admin")
    make_user("alice", "viewer")
    url = f"{API_PREFIX}/users/alice/tokens"
    refused = client.post(url, json={"expires_days": days}, headers=bearer(admin))
    assert refused.status_code == 422 and "expires_days" in refused.text
    assert client.post(url, json={"expires_days": MAX_TOKEN_DAYS}, headers=bearer(admin)).status_code == 201


@pytest.mark.parametrize("offset", [MAX_OFFSET + 1, 10**30, 2**63])
def test_huge_audit_offsets_are_a_422(client, make_user, offset) -> None:
    _, _, token = make_user("vic", "viewer")
    response = client.get(f"{API_PREFIX}/audit/events", params={"offset": offset}, headers=bearer(token))
    assert response.status_code == 422 and "offset" in response.text
    ok = client.get(f"{API_PREFIX}/audit/events", params={"offset": MAX_OFFSET}, headers=bearer(token))
    assert ok.status_code == 200 and ok.json()["items"] == []


def _login(client: TestClient, username: str, password: str) -> None:
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    form = {"username": username, "password": password, "csrf": csrf, "next": "/"}
    assert client.post("/login", data=form, follow_redirects=False).status_code == 303


@pytest.mark.parametrize("page", [2, 10**30, 2**63])
def test_workbench_audit_pages_past_the_end_are_a_clear_error(client, make_user, page) -> None:
    _, password, _ = make_user("vic", "viewer")
    _login(client, "vic", password)
    assert client.get("/audit", params={"page": 1}).status_code == 200
    response = client.get("/audit", params={"page": page})
    assert response.status_code == 404 and f"page {page} does not exist" in response.text


def test_workbench_refuses_disabling_the_last_admin(client, make_user) -> None:
    _, password, _ = make_user("root", "admin")
    _login(client, "root", password)
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/users").text).group(1)
    page = client.post("/users/root/disable", data={"csrf": csrf}, follow_redirects=False)
    assert "last active admin" in page.text
    assert client.get("/users").status_code == 200  # still logged in, still an admin


def test_the_guards_stay_bounded_under_a_flood_of_addresses(monkeypatch) -> None:
    monkeypatch.setattr(auth_module, "_MAX_TRACKED", 5)
    guards = auth_module._Guards(Clock())
    for i in range(50):
        guards.failed(f"10.0.0.{i}")
        assert guards.refusal_count((f"10.0.0.{i}", "anonymous", "GET /x", 401)) == 1
    assert len(guards._failures) <= 5 and len(guards._refusals) <= 5
