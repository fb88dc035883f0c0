"""One request, every channel: the same result and the same audit event through CLI, REST and workbench.

A review of the small study (two sites of the pilot) is run through each front end and
stored under one name (versions 1, 2, 3); a query is answered through each; a TLF is
computed through each. Only the actor, ``params["channel"]`` and where a result was
stored (its version) may differ.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from pharmakon.api.app import API_PREFIX
from pharmakon.server import create_app
from pharmakon.store import Store, list_events

PLACE = {"name", "version"}


@pytest.fixture
def client(store: Store, mirror_env: Path) -> TestClient:
    return TestClient(create_app())


def _events(store: Store, action: str) -> list[dict[str, Any]]:
    with store.read_session() as session:
        events, _ = list_events(session, action=action, newest_first=False, limit=1000)
    return [e.to_dict() for e in events]


def _comparable(event: dict[str, Any]) -> dict[str, Any]:
    return {
        "action": event["action"],
        "object_type": event["object_type"],
        "inputs": event["inputs"],
        "outputs": event["outputs"],
        "params": {k: v for k, v in (event["params"] or {}).items() if k != "channel"},
        "reason": event["reason"],
    }


def _login(client: TestClient, username: str) -> str:
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    client.post("/login", data={"username": username, "password": f"{username}-password", "csrf": csrf, "next": "/"})
    return re.search(r'name="csrf" value="([^"]+)"', client.get("/trialdata").text).group(1)


def test_review_and_query_actions_agree_across_channels(
    cli, client: TestClient, make_user, store: Store, mirror_env: Path
) -> None:
    sdtm, adam = mirror_env / "sdtm", mirror_env / "adam"
    res = cli("trialdata", "review", "--sdtm", str(sdtm), "--adam", str(adam), "--save", "par", "--json")
    assert res.exit_code == 0, res.stderr
    by_cli = json.loads(res.stdout)
    _, _, token = make_user("sam", "scientist")
    auth = {"Authorization": f"Bearer {token}"}
    made = client.post(
        f"{API_PREFIX}/trialdata/reviews", json={"sdtm": str(sdtm), "adam": str(adam), "name": "par"}, headers=auth
    )
    assert made.status_code == 201, made.text
    by_api = made.json()
    csrf = _login(client, "sam")
    page = client.post("/trialdata/reviews", data={"sdtm": str(sdtm), "adam": str(adam), "name": "par", "csrf": csrf})
    assert page.status_code == 200 and 'data-testid="queries"' in page.text
    strip = lambda d: {k: v for k, v in d.items() if k not in PLACE}  # noqa: E731
    assert strip(by_cli) == strip(by_api) and (by_cli["version"], by_api["version"]) == (1, 2)
    assert {"domain", "usubjid", "seq", "variable", "rule", "evidence"} <= set(by_cli["queries"][0])
    cli_ev, api_ev, web_ev = _events(store, "trialdata.review")
    assert [e["params"]["channel"] for e in (cli_ev, api_ev, web_ev)] == ["cli", "api", "web"]
    assert _comparable(cli_ev) == _comparable(api_ev) == _comparable(web_ev)
    # one query answered through each channel
    qid = by_cli["queries"][0]["id"]
    res = cli("trialdata", "answer", "par", qid, "--text", "checked at site", "--json")
    assert res.exit_code == 0, res.stderr
    r = client.post(
        f"{API_PREFIX}/trialdata/reviews/par/queries/{qid}",
        json={"action": "answer", "text": "checked at site"},
        headers=auth,
    )
    assert r.status_code == 200, r.text
    page = client.post(
        f"/trialdata/reviews/par/queries/{qid}", data={"action": "answer", "text": "checked at site", "csrf": csrf}
    )
    assert page.status_code == 200
    events = _events(store, "trialdata.query.answer")
    assert [e["params"]["channel"] for e in events] == ["cli", "api", "web"]
    assert len({json.dumps(_comparable(e), sort_keys=True) for e in events}) == 1
    board = client.get(f"{API_PREFIX}/trialdata/reviews/par?status=answered", headers=auth).json()
    assert board["by_status"]["answered"] == 1 and board["queries"][0]["id"] == qid


def test_tlf_agrees_across_channels(cli, client: TestClient, make_user, store: Store, mirror_env: Path) -> None:
    res = cli("trialdata", "tlf", "--study", str(mirror_env), "--table", "demographics", "--save", "demo", "--json")
    assert res.exit_code == 0, res.stderr
    by_cli = json.loads(res.stdout)
    _, _, token = make_user("sam", "scientist")
    made = client.post(
        f"{API_PREFIX}/trialdata/tlfs",
        json={"study": str(mirror_env), "table": "demographics", "name": "demo"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert made.status_code == 200, made.text
    by_api = made.json()
    csrf = _login(client, "sam")
    page = client.post(
        "/trialdata/tlfs", data={"study": str(mirror_env), "table": "demographics", "name": "demo", "csrf": csrf}
    )
    assert page.status_code == 200 and 'data-testid="tlf-numbers"' in page.text
    assert by_cli["numbers"] == by_api["numbers"] and by_cli["N"] == by_api["numbers"]["N"]
    events = _events(store, "trialdata.tlf")
    assert [e["params"]["channel"] for e in events] == ["cli", "api", "web"]
    assert len({json.dumps(_comparable(e), sort_keys=True) for e in events}) == 1


def test_rest_and_web_refuse_folders_outside_the_data(client: TestClient, make_user, tmp_path: Path) -> None:
    _, _, token = make_user("sam", "scientist")
    r = client.post(
        f"{API_PREFIX}/trialdata/reviews", json={"sdtm": str(tmp_path)}, headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 422 and "outside the server's data folders" in r.text
    csrf = _login(client, "sam")
    page = client.post("/trialdata/reviews", data={"sdtm": str(tmp_path), "name": "x", "csrf": csrf})
    assert page.status_code == 422 and "sdtm" in page.text and "outside" in page.text
