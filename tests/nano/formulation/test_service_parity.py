"""One request, every channel: a design and a proposal through CLI, REST and workbench agree.

The same design request gives the same rows and the same ``nano.design`` event (apart from
actor and channel) on all three; a proposal from the same observations gives the same
batch on the CLI and the REST API; fitting and predicting agree between CLI and REST.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from fastapi.testclient import TestClient

from pharmakon.api.app import API_PREFIX
from pharmakon.server import create_app
from pharmakon.store import Store, list_events

from .conftest import SPACE6

PLACE = {"name", "version", "output"}


@pytest.fixture
def client(store: Store) -> TestClient:
    return TestClient(create_app())


def _events(store: Store, action: str) -> list[dict[str, Any]]:
    with store.read_session() as session:
        events, _ = list_events(session, action=action, newest_first=False, limit=100)
    return [e.to_dict() for e in events]


def _comparable(event: dict[str, Any]) -> dict[str, Any]:
    params = {k: v for k, v in (event["params"] or {}).items() if k != "channel"}
    return {"action": event["action"], "inputs": event["inputs"], "outputs": event["outputs"], "params": params}


def _login(client: TestClient, username: str) -> str:
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    client.post("/login", data={"username": username, "password": f"{username}-password", "csrf": csrf, "next": "/"})
    return re.search(r'name="csrf" value="([^"]+)"', client.get("/nano/formulation").text).group(1)


def test_design_agrees_on_cli_rest_and_workbench(
    cli, client: TestClient, make_user, store: Store, tmp_path: Path
) -> None:
    space_file, out = tmp_path / "space.yaml", tmp_path / "d.csv"
    space_file.write_text(yaml.safe_dump(SPACE6))
    res = cli(
        "nano",
        "design",
        "--space",
        str(space_file),
        "--kind",
        "lhs",
        "--runs",
        "6",
        "--seed",
        "3",
        "-o",
        str(out),
        "--json",
    )
    assert res.exit_code == 0, res.stderr
    by_cli = json.loads(res.stdout)
    _, _, token = make_user("sam", "scientist")
    body = {"space": SPACE6, "kind": "lhs", "runs": 6, "seed": 3, "name": "space"}
    made = client.post(
        f"{API_PREFIX}/nano/formulation/designs", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert made.status_code == 201, made.text
    by_api = made.json()
    assert {k: v for k, v in by_cli.items() if k not in PLACE} == {k: v for k, v in by_api.items() if k not in PLACE}
    assert pd.read_csv(out).shape == (6, 6)
    csrf = _login(client, "sam")
    page = client.post(
        "/nano/formulation/design",
        data={"space": yaml.safe_dump(SPACE6), "kind": "lhs", "runs": "6", "seed": "3", "csrf": csrf},
    )
    assert page.status_code == 200 and 'data-testid="nano-table"' in page.text
    events = _events(store, "nano.design")
    assert [e["params"]["channel"] for e in events] == ["cli", "api", "web"]
    assert _comparable(events[0]) == _comparable(events[1]) == _comparable(events[2])


def test_propose_agrees_on_cli_and_rest(cli, client: TestClient, make_user, store: Store, observed6, tmp_path) -> None:
    space_file, obs, out = tmp_path / "space.yaml", tmp_path / "obs.csv", tmp_path / "next.csv"
    space_file.write_text(yaml.safe_dump(SPACE6))
    observed6.head(25).to_csv(obs, index=False)
    args = ["--space", str(space_file), "--observed", str(obs), "--batch", "3", "--objective", "maximize:potency"]
    res = cli("nano", "propose", *args, "--constraint", "PDI<0.2", "-o", str(out), "--json")
    assert res.exit_code == 0, res.stderr
    rows = json.loads(res.stdout)
    assert len(rows) == 3 == len(pd.read_csv(out)) and {"predicted_potency", "acquisition"} <= set(rows[0])
    _, _, token = make_user("sam", "scientist")
    body = {
        "space": SPACE6,
        "observed": pd.read_csv(obs).to_dict("records"),
        "batch": 3,
        "objectives": ["maximize:potency"],
        "constraints": ["PDI<0.2"],
    }
    made = client.post(
        f"{API_PREFIX}/nano/formulation/proposals", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert made.status_code == 201, made.text
    pd.testing.assert_frame_equal(pd.DataFrame(made.json()["rows"]), pd.DataFrame(rows))
    cli_event, api_event = _events(store, "nano.propose")
    assert (cli_event["params"]["channel"], api_event["params"]["channel"]) == ("cli", "api")
    assert cli_event["outputs"] == api_event["outputs"]


def test_bad_input_exits_non_zero_and_writes_nothing(cli, store: Store, observed6, tmp_path: Path) -> None:
    space_file, obs, out = tmp_path / "space.yaml", tmp_path / "obs.csv", tmp_path / "next.csv"
    space_file.write_text(yaml.safe_dump(SPACE6))
    observed6.head(25).to_csv(obs, index=False)
    args = ["nano", "propose", "--space", str(space_file), "--observed", str(obs), "--batch", "3", "-o", str(out)]
    res = cli(*args, "--objective", "maximize:uptake")
    assert res.exit_code == 2 and "obs.csv" in res.stderr and "'uptake'" in res.stderr and not out.exists()
    bad = {**SPACE6, "constraints": ["IL >= 0.59", "HL >= 0.29", "FRR <= 9"]}
    space_file.write_text(yaml.safe_dump(bad))
    res = cli(*args, "--objective", "maximize:potency")
    assert res.exit_code == 2 and "'IL >= 0.59'; 'HL >= 0.29'" in res.stderr and "FRR <= 9" not in res.stderr
    assert not out.exists() and _events(store, "nano.propose") == []


def test_editor_shows_predicted_cqas_with_intervals(client: TestClient, make_user, store: Store) -> None:
    from pharmakon.caller import Caller
    from pharmakon.nano.formulation.service import fit_formulation
    from pharmakon.nano.formulation.specs import FitSpec

    from .test_service import _table

    fit_formulation(
        store, FitSpec(targets=["size"], name="ed", form="miso", repeats=1, cv=3), Caller("t"), frame=_table()
    )
    make_user("sam", "scientist")
    csrf = _login(client, "sam")
    page = client.get("/nano/formulation/editor/ed")
    assert page.status_code == 200 and 'name="FRR"' in page.text and 'type="number"' in page.text
    shown = client.post("/nano/formulation/editor/ed", data={"A": "0.4", "B": "0.6", "FRR": "3", "csrf": csrf})
    assert shown.status_code == 200 and 'data-testid="nano-prediction"' in shown.text and "&ndash;" in shown.text
    bad = client.post("/nano/formulation/editor/ed", data={"A": "lots", "B": "0.6", "FRR": "3", "csrf": csrf})
    assert "field &#39;A&#39;" in bad.text or "field 'A'" in bad.text
    (event,) = [e for e in _events(store, "nano.predict")]
    assert event["params"]["channel"] == "web"


def test_fit_and_predict_on_the_cli(cli, store: Store, tmp_path: Path) -> None:
    from .test_service import _table

    data, oof, out = tmp_path / "f.csv", tmp_path / "oof.csv", tmp_path / "p.csv"
    _table(30).to_csv(data, index=False)
    args = ["--targets", "size,PDI", "--name", "c", "--cv", "3", "--repeats", "1", "--oof-out", str(oof), "--json"]
    args += ["--models", "ridge,poly_ridge,gp_ard,gbm_shallow"]  # quick; the default union: test_candidates
    res = cli("nano", "fit", "--data", str(data), "--id-col", "id", *args)
    assert res.exit_code == 0, res.stderr
    body = json.loads(res.stdout)
    assert body["form"] in ("miso", "mimo") and set(body["oof_r2"]) == {"size", "PDI"}
    assert list(pd.read_csv(oof).columns) == [*pd.read_csv(data).columns, "pred_size", "pred_PDI"]
    res = cli("nano", "predict", "c", "--data", str(data), "-o", str(out))
    assert res.exit_code == 0, res.stderr
    assert {"pred_size", "lower_PDI", "upper_PDI", "in_domain"} <= set(pd.read_csv(out).columns)
    res = cli("nano", "fit", "--data", str(data), "--targets", "nope", "--name", "d")
    assert res.exit_code == 2 and "'nope'" in res.stderr
