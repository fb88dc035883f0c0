"""One request, every channel: ``model.predict`` through CLI, REST and Python gives the same result
and the same audit event (apart from actor, channel and the file name a file prediction records)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from pharmakon.api.app import API_PREFIX
from pharmakon.caller import Caller
from pharmakon.server import create_app
from pharmakon.store import list_events

ROWS = [{"smiles": "CCCO"}, {"smiles": "xx"}, {"smiles": "CCCCCCCl"}]


def _event_key(e) -> str:
    params = {k: v for k, v in e.params.items() if k not in ("channel", "source")}
    return json.dumps([e.action, e.object_type, e.object_id, e.inputs, e.outputs, params], sort_keys=True)


def test_predict_is_the_same_on_every_channel(cli, store, make_user, mol_model, tmp_path) -> None:
    from pharmakon.core import register_model
    from pharmakon.core.service import PredictSpec, predict_rows

    with store.session() as session:
        register_model(session, mol_model, name="chains", actor="t", card=b"<html>card</html>")
    _, _, sci = make_user("sam", "scientist")
    inp, out = tmp_path / "rows.csv", tmp_path / "pred.csv"
    pd.DataFrame(ROWS).to_csv(inp, index=False)

    r = cli("model", "predict", "chains", "--data", str(inp), "-o", str(out), "--json")
    assert r.exit_code == 0, r.stderr
    by_cli = json.loads(r.stdout)
    client = TestClient(create_app())
    res = client.post(
        f"{API_PREFIX}/models/chains/predict", json={"rows": ROWS}, headers={"Authorization": f"Bearer {sci}"}
    )
    assert res.status_code == 200, res.text
    by_api = res.json()
    by_python = predict_rows(store, PredictSpec(name="chains", rows=ROWS), Caller("ana", "python"))

    assert by_api == by_python.to_dict()
    assert by_cli["invalid_rows"] == by_api["invalid_rows"] and by_cli["in_domain"] == by_api["in_domain"]
    written = pd.read_csv(out)
    pd.testing.assert_frame_equal(written, by_python.to_frame(), check_dtype=False)

    with store.read_session() as session:
        events, total = list_events(session, action="model.predict")
    assert total == 3
    assert sorted(e.params["channel"] for e in events) == ["api", "cli", "python"]
    assert len({_event_key(e) for e in events}) == 1, [_event_key(e) for e in events]
    assert {e.actor for e in events if e.params["channel"] != "cli"} == {"sam", "ana"}
    [from_file] = [e for e in events if e.params["channel"] == "cli"]
    assert from_file.params["source"] == "rows.csv" and from_file.params["rows"] == 3
    assert set(from_file.inputs) == {"data"} and set(from_file.outputs) == {"predictions"}


def test_registry_queries_and_promotion_agree(cli, store, make_user, mol_model) -> None:
    from pharmakon.core import register_model
    from pharmakon.core.service import list_registered, show_model

    with store.session() as session:
        register_model(session, mol_model, name="chains", actor="t", card=b"<html>card</html>")
    _, _, viewer = make_user("vic", "viewer")
    _, _, sci = make_user("sam", "scientist")
    client = TestClient(create_app())
    h = {"Authorization": f"Bearer {viewer}"}
    listed = client.get(f"{API_PREFIX}/models", headers=h).json()
    assert json.loads(cli("model", "list", "--json").stdout) == listed == list_registered(store).to_dict()["models"]
    detail = client.get(f"{API_PREFIX}/models/chains", headers=h).json()
    assert detail == show_model(store, "chains").to_dict() and detail["versions"] == [1]
    shown = json.loads(cli("model", "show", "chains", "--json").stdout)
    assert shown == {"name": "chains", "version": 1, **detail["metadata"]}

    # promoting to production needs the admin role over REST; the refusal is audited once, by the shared writer
    hs = {"Authorization": f"Bearer {sci}"}
    refused = client.post(f"{API_PREFIX}/models/chains/aliases", json={"alias": "production", "version": 1}, headers=hs)
    assert refused.status_code == 403 and "needs 'admin'" in refused.json()["detail"]
    ok = client.post(f"{API_PREFIX}/models/chains/aliases", json={"alias": "staging", "version": 1}, headers=hs)
    assert ok.status_code == 204
    assert cli("model", "promote", "chains", "--version", "1").exit_code == 0  # a shell owns its store
    with store.read_session() as session:
        denied, total = list_events(session, action="access.denied")
    assert total == 1 and denied[0].object_type == "route" and denied[0].params["status"] == 403
    assert denied[0].object_id == f"POST {API_PREFIX}/models/chains/aliases" and denied[0].actor == "sam"
    assert show_model(store, "chains").aliases == {"staging": 1, "production": 1}


@pytest.mark.parametrize("budget", ["0.5", "90000"])
def test_spec_bounds_are_one_clear_line(cli, pharmakon_home, tmp_path, budget) -> None:
    data = tmp_path / "t.csv"
    pd.DataFrame({"x": [1, 2], "y": [1.0, 2.0]}).to_csv(data, index=False)
    r = cli("model", "train", "--data", str(data), "--target", "y", "--budget", budget)
    assert r.exit_code == 2 and "field 'budget_s'" in r.stderr, r.stderr
