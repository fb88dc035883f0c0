"""One request, every channel: the same result and the same audit event through CLI, REST and workbench.

Fitting a monitor goes through all three (the same table gives the same limits and the same
``process.fit`` event apart from the actor and channel); scoring a run through the CLI
(a stream file) and the REST API (posted batches) gives the same records, line for line.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
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
        events, _ = list_events(session, action=action, newest_first=False, limit=1000)
    return [e.to_dict() for e in events]


def _comparable(event: dict[str, Any]) -> dict[str, Any]:
    return {
        "action": event["action"],
        "object_type": event["object_type"],
        "inputs": event["inputs"],
        "outputs": event["outputs"],
        "params": {k: v for k, v in event["params"].items() if k != "channel"},
    }


def _login(client: TestClient, username: str, page: str) -> str:
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"username": username, "password": f"{username}-password", "csrf": csrf, "next": "/"})
    return re.search(r'name="csrf" value="([^"]+)"', client.get(page).text).group(1)


def test_fit_is_the_same_from_cli_rest_and_workbench(cli, client, make_user, store: Store, normal_csv: Path) -> None:
    res = cli("process", "fit", str(normal_csv), "--method", "pca", "--components", "9", "--name", "par", "--json")
    assert res.exit_code == 0, res.stderr
    by_cli = json.loads(res.stdout)
    _, _, token = make_user("sam", "scientist")
    rows = pd.read_csv(normal_csv).to_dict("records")
    body = {"rows": rows, "name": "par", "method": "pca", "components": 9}
    made = client.post(f"{API_PREFIX}/process/monitors", json=body, headers={"Authorization": f"Bearer {token}"})
    assert made.status_code == 201, made.text
    by_api = made.json()
    csrf = _login(client, "sam", "/process")
    page = client.post(
        "/process/fit",
        data={"name": "par", "method": "pca", "components": "9", "csrf": csrf},
        files={"file": ("normal.csv", normal_csv.read_bytes(), "text/csv")},
    )
    assert page.status_code == 200 and "Stored monitor par v3" in page.text
    shown = client.get(f"{API_PREFIX}/process/monitors/par", headers={"Authorization": f"Bearer {token}"}).json()
    strip = lambda d: {k: v for k, v in d.items() if k not in PLACE}  # noqa: E731
    assert strip(by_cli) == strip(by_api) == strip(shown)
    assert (by_cli["version"], by_api["version"], shown["version"]) == (1, 2, 3)
    events = _events(store, "process.fit")
    assert [e["params"]["channel"] for e in events] == ["cli", "api", "web"]
    assert _comparable(events[0]) == _comparable(events[1]) == _comparable(events[2])
    assert [e["actor"] for e in events][1:] == ["sam", "sam"]


def test_cli_stream_and_posted_batches_give_the_same_records(
    cli, client, make_user, store: Store, normal_csv: Path, fault1_csv: Path, tmp_path: Path
) -> None:
    assert cli("process", "fit", str(normal_csv), "--method", "pca", "--components", "9", "--name", "m").exit_code == 0
    out = tmp_path / "out.jsonl"
    res = cli("process", "monitor", "--model", "m", "--stream", str(fault1_csv), "--jsonl", str(out))
    assert res.exit_code == 0, res.stderr
    by_cli = [json.loads(line) for line in out.read_text().splitlines()]
    _, _, token = make_user("sam", "scientist")
    samples = pd.read_csv(fault1_csv).to_dict("records")
    by_api = []
    for start in range(0, len(samples), 400):
        r = client.post(
            f"{API_PREFIX}/process/monitors/m/samples",
            json={"samples": samples[start : start + 400], "restart": start == 0},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert r.status_code == 200, r.text
        by_api += r.json()["records"]
    assert len(by_api) == len(by_cli) == 960
    for a, b in zip(by_cli, by_api, strict=True):
        assert a.keys() == b.keys() and a["alarm"] == b["alarm"] and a["flag"] == b["flag"]
        assert a["t2"] == pytest.approx(b["t2"]) and a["spe"] == pytest.approx(b["spe"])
    alarms = _events(store, "process.alarm")
    cli_alarms = [e for e in alarms if e["params"]["channel"] == "cli"]
    api_alarms = [e for e in alarms if e["params"]["channel"] == "api"]
    assert [_comparable(e)["params"] for e in cli_alarms] == [_comparable(e)["params"] for e in api_alarms]
    # the alarm list on every channel
    listed = client.get(f"{API_PREFIX}/process/alarms?model=m", headers={"Authorization": f"Bearer {token}"}).json()
    assert len(listed) == len(alarms)
    _login(client, "sam", "/process")
    page = client.get("/process/monitors/m")
    assert page.status_code == 200 and 'data-testid="process-alarm-list"' in page.text
    assert cli("process", "alarms", "--model", "m", "--json").exit_code == 0


def test_bad_requests_name_the_field(cli, client, make_user, store: Store, tmp_path: Path) -> None:
    res = cli("process", "fit", str(tmp_path / "none.csv"), "--name", "x")
    assert res.exit_code == 2 and "none.csv" in res.stderr
    res = cli("process", "fit", str(tmp_path / "none.csv"), "--name", "x", "--alpha", "1.5")
    assert res.exit_code == 2 and "alpha" in res.stderr
    _, _, token = make_user("sam", "scientist")
    auth = {"Authorization": f"Bearer {token}"}
    r = client.post(f"{API_PREFIX}/process/monitors/none/samples", json={"samples": [{"a": 1}]}, headers=auth)
    assert r.status_code == 404
    r = client.post(f"{API_PREFIX}/process/monitors/none/samples", json={"samples": []}, headers=auth)
    assert r.status_code == 422
    _, _, viewer = make_user("vic", "viewer")
    r = client.post(
        f"{API_PREFIX}/process/monitors/none/samples",
        json={"samples": [{"a": 1}]},
        headers={"Authorization": f"Bearer {viewer}"},
    )
    assert r.status_code == 403


def test_chart_is_the_same_from_cli_rest_and_workbench(cli, client, make_user, store: Store, tmp_path: Path) -> None:
    from tests.process.test_charts import MONTGOMERY_9_1

    data = tmp_path / "cqa.csv"
    pd.DataFrame({"batch": range(1, 31), "size_nm": MONTGOMERY_9_1}).to_csv(data, index=False)
    settings = {"kind": "ewma", "lam": 0.1, "L": 2.7, "target": 10.0, "sigma": 1.0}
    res = cli(
        "process", "chart", "--data", str(data), "--column", "size_nm", "--kind", "ewma", "--lambda", "0.1",
        "--L", "2.7", "--target", "10", "--sigma", "1", "--json", "-o", str(tmp_path / "chart.csv"),
    )  # fmt: skip
    assert res.exit_code == 0, res.stderr
    by_cli = json.loads(res.stdout)
    _, _, token = make_user("sam", "scientist")
    body = {"values": MONTGOMERY_9_1.tolist(), "column": "size_nm", **settings}
    r = client.post(f"{API_PREFIX}/process/charts", json=body, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    by_api = r.json()
    csrf = _login(client, "sam", "/process/charts")
    form = {"column": "size_nm", "csrf": csrf, **{k: str(v) for k, v in settings.items()}}
    page = client.post("/process/charts", data=form, files={"file": ("cqa.csv", data.read_bytes(), "text/csv")})
    assert page.status_code == 200, page.text
    assert 'data-testid="process-chart"' in page.text and "<svg" in page.text
    assert "2 beyond the limits (first at sample 29)" in page.text
    assert re.search(r'data-testid="process-chart-alarms">29, 30<', page.text)
    assert by_cli.pop("output").endswith("chart.csv") and by_api.pop("output") is None
    assert by_cli == by_api and by_cli["first_alarm"] == 29
    assert pd.read_csv(tmp_path / "chart.csv", float_precision="round_trip").to_dict("records") == by_cli["points"]
    events = _events(store, "process.chart")
    assert [e["params"]["channel"] for e in events] == ["cli", "api", "web"]
    assert _comparable(events[0]) == _comparable(events[1]) == _comparable(events[2])


def test_chart_bad_input_on_every_channel(cli, client, make_user, store: Store, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("size_nm\n10.1\nabc\n")
    res = cli("process", "chart", "--data", str(bad), "--column", "size_nm", "--target", "10", "--sigma", "1")
    assert res.exit_code == 2 and "row 3" in res.stderr and "size_nm" in res.stderr
    res = cli("process", "chart", "--data", str(bad), "--column", "size_nm", "--lambda", "2", "--phase1", "5")
    assert res.exit_code == 2 and "lam" in res.stderr
    _, _, token = make_user("sam", "scientist")
    auth = {"Authorization": f"Bearer {token}"}
    r = client.post(f"{API_PREFIX}/process/charts", json={"values": [1, None], "column": "x"}, headers=auth)
    assert r.status_code == 422
    r = client.post(f"{API_PREFIX}/process/charts", json={"values": [1, 2], "column": "x"}, headers=auth)
    assert r.status_code == 422 and "phase1" in r.text
    csrf = _login(client, "sam", "/process/charts")
    page = client.post(
        "/process/charts",
        data={"column": "size_nm", "csrf": csrf, "target": "10", "sigma": "1"},
        files={"file": ("bad.csv", bad.read_bytes(), "text/csv")},
    )
    assert page.status_code == 422 and "row 3" in page.text and "size_nm" in page.text
    page = client.post(
        "/process/charts",
        data={"column": "size_nm", "csrf": csrf, "sigma": "ten"},
        files={"file": ("bad.csv", bad.read_bytes(), "text/csv")},
    )
    assert page.status_code == 422 and "sigma must be a number" in page.text
    assert _events(store, "process.chart") == []


def test_posted_batches_parse_strict_json(client, make_user, store: Store, normal_csv: Path, cli) -> None:
    assert cli("process", "fit", str(normal_csv), "--method", "pca", "--components", "9", "--name", "j").exit_code == 0
    _, _, token = make_user("sam", "scientist")
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    url = f"{API_PREFIX}/process/monitors/j/samples"
    r = client.post(url, content=b'{"samples": [{"xmeas_1": 1.0}', headers=headers)
    assert r.status_code == 422 and "JSON" in r.text
    r = client.post(url, content=b'{"samples": [{"xmeas_1": NaN}]}', headers=headers)
    assert r.status_code == 422 and "samples.0.xmeas_1" in r.text
    row = pd.read_csv(normal_csv).iloc[0].to_dict()
    body = json.dumps({"samples": [row, {**row, "xmeas_1": "NaN"}, [1, 2]]}).encode()
    r = client.post(url, content=body, headers=headers)
    assert r.status_code == 200, r.text
    recs = r.json()["records"]
    assert [x["flag"] is None for x in recs] == [True, False, False] and "NaN" in recs[1]["flag"]
    assert recs[0]["t2"] == pytest.approx(float(recs[0]["t2"])) and recs[2]["flag"].startswith("a sample is a mapping")
