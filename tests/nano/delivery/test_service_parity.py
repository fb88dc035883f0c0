"""One PBPK request through CLI, REST and workbench: the same result and the same audit event."""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi.testclient import TestClient

from pharmakon.api.app import API_PREFIX
from pharmakon.server import create_app
from pharmakon.store import Store, list_events

REQUEST = {"spec": "nanoparticle-mouse", "subjects": 8, "hours": 48.0, "step": 4.0, "seed": 3}
#: Result keys that say where a result went, not what it is.
PLACE = {"output"}


def _events(store: Store) -> list[dict[str, Any]]:
    with store.read_session() as session:
        events, _ = list_events(session, action="nano.pbpk.simulate", newest_first=False, limit=100)
    return [e.to_dict() for e in events]


def _login(client: TestClient, username: str) -> str:
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    client.post("/login", data={"username": username, "password": f"{username}-password", "csrf": csrf, "next": "/"})
    return re.search(r'name="csrf" value="([^"]+)"', client.get("/nano/delivery").text).group(1)


def test_simulate_same_through_cli_rest_and_workbench(cli, make_user, store: Store) -> None:
    res = cli(
        "nano", "pbpk", "--spec", "nanoparticle-mouse", "--subjects", "8", "--hours", "48", "--step", "4",
        "--seed", "3", "--json",
    )  # fmt: skip
    assert res.exit_code == 0, res.stderr
    by_cli = json.loads(res.stdout)
    _, _, token = make_user("sam", "scientist")
    client = TestClient(create_app())
    made = client.post(f"{API_PREFIX}/nano/pbpk", json=REQUEST, headers={"Authorization": f"Bearer {token}"})
    assert made.status_code == 200, made.text
    by_api = made.json()
    assert {k: v for k, v in by_cli.items() if k not in PLACE} == {k: v for k, v in by_api.items() if k not in PLACE}
    csrf = _login(client, "sam")
    form = {k: str(v) for k, v in REQUEST.items()} | {"csrf": csrf}
    page = client.post("/nano/delivery/pbpk", data=form)
    assert page.status_code == 200, page.text
    assert 'data-testid="pbpk-curves"' in page.text and "<svg" in page.text
    liver = 100 * by_api["typical"]["liver"][-1] / by_api["dose"]
    assert f"{liver:.3f}" in page.text
    events = _events(store)
    assert [e["params"]["channel"] for e in events] == ["cli", "api", "web"]
    shared = [{k: v for k, v in e["params"].items() if k != "channel"} for e in events]
    assert shared[0] == shared[1] == shared[2]
    assert [e["object_id"] for e in events] == [f"nanoparticle-mouse@{i}" for i in (1, 2, 3)]
    # the workbench result is the stored one, identical to the others
    from pharmakon.store import object_versions

    with store.read_session() as session:
        versions = object_versions(session, "pbpk_simulation", "nanoparticle-mouse")
    contents = [{k: v for k, v in o.content.items() if k != "request"} for o in versions]
    assert contents[0] == contents[1] == contents[2]


def test_workbench_form_error_names_the_field(make_user, store: Store) -> None:
    make_user("sam", "scientist")
    client = TestClient(create_app())
    csrf = _login(client, "sam")
    page = client.post("/nano/delivery/pbpk", data={"spec": "nanoparticle-mouse", "subjects": "0", "csrf": csrf})
    assert page.status_code == 200
    assert 'data-testid="nano-delivery-error"' in page.text and "subjects" in page.text


def test_rest_bad_inline_spec_is_422_with_the_field(make_user, store: Store) -> None:
    _, _, token = make_user("sam", "scientist")
    client = TestClient(create_app())
    body = {
        "model": {
            "dose": {"amount": 1, "into": "plasma"},
            "compartments": [{"name": "plasma", "volume": 1}, {"name": "liver", "volume": -1, "blood_flow": 1}],
        }
    }
    res = client.post(f"{API_PREFIX}/nano/pbpk", json=body, headers={"Authorization": f"Bearer {token}"})
    assert res.status_code == 422
    assert "compartments[liver].volume" in res.text
    viewer_token = make_user("vic", "viewer")[2]
    res = client.post(f"{API_PREFIX}/nano/pbpk", json=REQUEST, headers={"Authorization": f"Bearer {viewer_token}"})
    assert res.status_code == 403
