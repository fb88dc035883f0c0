"""REST API: authentication, role checks (audited), audit and user routes."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from pharmakon.api.app import API_PREFIX
from pharmakon.server import create_app
from pharmakon.store import Store, list_events, verify_chain


@pytest.fixture
def client(store: Store) -> TestClient:
    return TestClient(create_app())


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def denials(store: Store) -> list[dict]:
    with store.read_session() as session:
        return [e.to_dict() for e in list_events(session, action="access.denied", newest_first=False)[0]]


def test_health_needs_no_token(client: TestClient, store: Store) -> None:
    body = client.get(f"{API_PREFIX}/health").json()
    assert body["status"] == "ok" and body["store"] == {
        "ok": True,
        "dialect": store.dialect,
        "revision": "0003",
        "error": None,
    }


def test_no_token_is_401_and_audited(client: TestClient, store: Store) -> None:
    response = client.get(f"{API_PREFIX}/audit/events")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    [event] = denials(store)
    assert event["actor"] == "anonymous" and event["params"]["status"] == 401
    assert event["object_id"] == f"GET {API_PREFIX}/audit/events"


def test_bad_token_is_401_and_audited(client: TestClient, store: Store, make_user) -> None:
    _, _, token = make_user("alice", "admin")
    response = client.get(f"{API_PREFIX}/audit/events", headers=auth(token[:-4] + "AAAA"))
    assert response.status_code == 401 and response.json()["detail"] == "invalid API token"
    assert denials(store)[0]["reason"] == "invalid API token"


def test_low_role_is_403_and_audited(client: TestClient, store: Store, make_user) -> None:
    _, _, token = make_user("vic", "viewer")
    assert client.get(f"{API_PREFIX}/audit/events", headers=auth(token)).status_code == 200
    response = client.post(f"{API_PREFIX}/audit/verify", headers=auth(token))
    assert response.status_code == 403
    [event] = denials(store)
    assert event["actor"] == "vic" and event["params"]["status"] == 403 and "needs 'admin'" in event["reason"]


def test_x_api_key_header_works_too(client: TestClient, make_user) -> None:
    _, _, token = make_user("vic", "viewer")
    assert client.get(f"{API_PREFIX}/me", headers={"X-API-Key": token}).json()["username"] == "vic"


def test_every_api_route_but_health_refuses_anonymous_callers(client: TestClient) -> None:
    schema = client.get(f"{API_PREFIX}/openapi.json").json()
    operations = [(path, method) for path, item in schema["paths"].items() for method in item]
    assert len(operations) >= 8
    for path, method in operations:
        url = path.replace("{username}", "someone")
        response = client.request(method.upper(), url, json={})
        if path == f"{API_PREFIX}/health":
            assert response.status_code == 200
        else:
            assert response.status_code == 401, f"{method.upper()} {path} answered {response.status_code}"
            assert schema["paths"][path][method].get("security"), f"{path} documents no security"


def test_audit_events_filters_and_paging(client: TestClient, make_user) -> None:
    _, _, token = make_user("alice", "admin")
    make_user("bob", "viewer")
    page = client.get(f"{API_PREFIX}/audit/events", params={"action": "user.*", "limit": 1}, headers=auth(token)).json()
    assert page["total"] == 2 and len(page["items"]) == 1 and page["items"][0]["object_id"] == "bob"
    assert client.get(f"{API_PREFIX}/audit/events", params={"limit": 0}, headers=auth(token)).status_code == 422


def test_admin_verifies_the_chain(client: TestClient, store: Store, make_user) -> None:
    _, _, token = make_user("alice", "admin")
    body = client.post(f"{API_PREFIX}/audit/verify", headers=auth(token)).json()
    assert body["ok"] is True and body["n_events"] == 2
    with store.read_session() as session:
        assert list_events(session, action="audit.verify")[1] == 1


def test_user_admin_routes(client: TestClient, store: Store, make_user) -> None:
    _, _, token = make_user("alice", "admin")
    created = client.post(
        f"{API_PREFIX}/users",
        json={"username": "carol", "password": "carol-password", "role": "scientist"},
        headers=auth(token),
    )
    assert created.status_code == 201 and created.json()["role"] == "scientist"
    again = client.post(
        f"{API_PREFIX}/users",
        json={"username": "carol", "password": "carol-password", "role": "scientist"},
        headers=auth(token),
    )
    assert again.status_code == 422 and "already exists" in again.json()["detail"]
    bad_role = client.post(
        f"{API_PREFIX}/users", json={"username": "dan", "password": "dan-password", "role": "god"}, headers=auth(token)
    )
    assert bad_role.status_code == 422 and "unknown role" in bad_role.json()["detail"]
    new_token = client.post(f"{API_PREFIX}/users/carol/tokens", json={}, headers=auth(token)).json()["token"]
    assert client.get(f"{API_PREFIX}/me", headers=auth(new_token)).json()["username"] == "carol"
    assert client.post(f"{API_PREFIX}/users/carol/disable", headers=auth(token)).json()["active"] is False
    assert client.get(f"{API_PREFIX}/me", headers=auth(new_token)).status_code == 401
    assert client.post(f"{API_PREFIX}/users/ghost/disable", headers=auth(token)).status_code == 404
    with store.read_session() as session:
        actions = [e.action for e in list_events(session, actor="alice", newest_first=False)[0]]
        assert actions == ["user.create", "token.issue", "user.disable"]
        assert verify_chain(session).ok


def test_signature_route(client: TestClient, store: Store, make_user) -> None:
    _, password, token = make_user("sam", "scientist")
    body = {"object_type": "trial_design", "object_id": "d1", "meaning": "approved", "password": password}
    signed = client.post(f"{API_PREFIX}/audit/signatures", json=body, headers=auth(token))
    assert signed.status_code == 201 and signed.json()["params"]["meaning"] == "approved"
    wrong = client.post(
        f"{API_PREFIX}/audit/signatures", json={**body, "password": "not-it-at-all"}, headers=auth(token)
    )
    assert wrong.status_code == 401
    with store.read_session() as session:
        assert list_events(session, action="esign")[1] == 1


def test_openapi_schema_is_served(client: TestClient) -> None:
    schema = client.get(f"{API_PREFIX}/openapi.json").json()
    assert f"{API_PREFIX}/audit/events" in schema["paths"]
    assert "HTTPBearer" in schema["components"]["securitySchemes"]
