"""One request, every channel: CLI, REST and workbench give the same result and the same audit event."""

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
def client(store: Store) -> TestClient:
    return TestClient(create_app())


def _events(store: Store, action: str) -> list[dict[str, Any]]:
    with store.read_session() as session:
        events, _ = list_events(session, action=action, newest_first=False, limit=100)
    return [e.to_dict() for e in events]


def _comparable(event: dict[str, Any]) -> dict[str, Any]:
    params = {k: v for k, v in (event["params"] or {}).items() if k != "channel"}
    return {"action": event["action"], "inputs": event["inputs"], "params": params, "object_type": event["object_type"]}


def _login(client: TestClient, username: str) -> str:
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    client.post("/login", data={"username": username, "password": f"{username}-password", "csrf": csrf, "next": "/"})
    return re.search(r'name="csrf" value="([^"]+)"', client.get("/imaging").text).group(1)


def test_measure_same_on_cli_rest_and_workbench(
    cli, client: TestClient, make_user, store: Store, radiomics_dir: Path
) -> None:
    image, mask = radiomics_dir / "breast1_image.nrrd", radiomics_dir / "breast1_label.nrrd"
    res = cli("imaging", "measure", "--image", str(image), "--mask", str(mask), "--json")
    assert res.exit_code == 0, res.stderr
    by_cli = json.loads(res.stdout)
    assert [les["voxels"] for les in by_cli["lesions"]] == [143]
    _, _, token = make_user("sam", "scientist")
    files = {"image": (image.name, image.read_bytes()), "mask": (mask.name, mask.read_bytes())}
    api = client.post(f"{API_PREFIX}/imaging/measure", files=files, headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200, api.text
    csrf = _login(client, "sam")
    page = client.post("/imaging/measure", files=files, data={"csrf": csrf, "label": "1"})
    assert page.status_code == 200 and 'data-testid="imaging-slider"' in page.text
    assert "7.77" in page.text  # the caliper of the table
    assert {k: v for k, v in by_cli.items() if k not in PLACE} == {
        k: v for k, v in api.json().items() if k not in PLACE
    }
    assert (by_cli["version"], api.json()["version"]) == (1, 2)
    events = _events(store, "imaging.measure")
    assert [e["params"]["channel"] for e in events] == ["cli", "api", "web"]
    assert all(_comparable(e) == _comparable(events[0]) for e in events)
    assert [e["object_id"] for e in events] == [
        "measure:breast1_label@1",
        "measure:breast1_label@2",
        "measure:breast1_label@3",
    ]


def test_recist_same_on_cli_rest_and_workbench(
    cli, client: TestClient, make_user, store: Store, recist_dir: Path
) -> None:
    paths = {k: recist_dir / f"{k}_onco_recist.csv" for k in ("tu", "tr", "rs")}
    args = [a for k, p in paths.items() for a in (f"--{k}", str(p))]
    res = cli("imaging", "recist", *args, "--json")
    assert res.exit_code == 0, res.stderr
    by_cli = json.loads(res.stdout)
    _, _, token = make_user("sam", "scientist")
    files = {k: (p.name, p.read_bytes()) for k, p in paths.items()}
    api = client.post(f"{API_PREFIX}/imaging/recist", files=files, headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200, api.text
    csrf = _login(client, "sam")
    page = client.post("/imaging/recist", files=files, data={"csrf": csrf}, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/imaging/recist/recist:tr_onco_recist"
    shown = client.get(page.headers["location"])
    assert shown.status_code == 200 and shown.text.count('data-testid="imaging-timeline"') == 8
    assert {k: v for k, v in by_cli.items() if k not in PLACE} == {
        k: v for k, v in api.json().items() if k not in PLACE
    }
    assert by_cli["kappa"] == pytest.approx(by_cli["agreement"]["kappa"]) and by_cli["evaluator"] == "INVESTIGATOR"
    stored = client.get(
        f"{API_PREFIX}/imaging/recist/recist:tr_onco_recist", headers={"Authorization": f"Bearer {token}"}
    )
    assert stored.json()["version"] == 3 and stored.json()["subjects"] == by_cli["subjects"]
    events = _events(store, "imaging.recist")
    assert [e["params"]["channel"] for e in events] == ["cli", "api", "web"]
    assert all(_comparable(e) == _comparable(events[0]) for e in events)
    assert set(events[0]["inputs"]) == {"tu", "tr", "rs"}


def test_refusals_name_the_field_on_every_channel(cli, client: TestClient, make_user, radiomics_dir: Path) -> None:
    image, mask = radiomics_dir / "brain1_image.nrrd", radiomics_dir / "brain2_label.nrrd"
    res = cli("imaging", "measure", "--image", str(image), "--mask", str(mask))
    assert res.exit_code == 2
    message = " ".join(res.stderr.split())
    assert "another grid" in message and "256x256x25" in message and "256x256x23" in message
    _, _, token = make_user("sam", "scientist")
    files = {"image": (image.name, image.read_bytes()), "mask": (mask.name, mask.read_bytes())}
    api = client.post(f"{API_PREFIX}/imaging/measure", files=files, headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 422 and "another grid" in api.text
    csrf = _login(client, "sam")
    page = client.post("/imaging/measure", files=files, data={"csrf": csrf})
    assert page.status_code == 422 and 'data-testid="imaging-error"' in page.text and "another grid" in page.text
    res = cli("imaging", "measure", "--image", str(image), "--mask", str(mask), "--label", "0")
    assert res.exit_code == 2 and "label" in res.stderr
