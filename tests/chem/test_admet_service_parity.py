"""One request, every channel: ``admet.predict`` through CLI (a file), REST (JSON), the workbench
(a paste and an upload) and Python gives the same panel and the same audit event (apart from
actor, channel and the file name recorded for files)."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

from pharmakon.api.app import API_PREFIX
from pharmakon.caller import Caller
from pharmakon.server import create_app
from pharmakon.store import Store, list_events
from tests.api.test_admet_api import MOLECULES, register_tiny
from tests.conftest import MIRROR

pytestmark = pytest.mark.skipif(not MIRROR.exists(), reason="needs the data mirror")

IDS = ["aspirin", "broken", "caffeine", "ibuprofen"]


def _event_key(e) -> str:
    params = {k: v for k, v in e.params.items() if k not in ("channel", "source")}
    return json.dumps([e.action, e.object_type, e.object_id, e.inputs, e.outputs, params], sort_keys=True)


def _login(client: TestClient, username: str) -> str:
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    client.post("/login", data={"username": username, "password": f"{username}-password", "csrf": csrf, "next": "/"})
    return re.search(r'name="csrf" value="([^"]+)"', client.get("/admet").text).group(1)


def test_predict_is_the_same_on_every_channel(cli, store: Store, make_user, tmp_path) -> None:
    from pharmakon.chem.service import PanelPredictSpec, predict_molecules
    from pharmakon.hashing import sha256_file

    register_tiny(store)
    _, _, sci = make_user("sam", "scientist")
    inp, out = tmp_path / "mols.smi", tmp_path / "panel.csv"
    text = "\n".join(f"{s} {i}" for s, i in zip(MOLECULES, IDS))
    inp.write_text(text + "\n")  # a SMILES file: the names are the ids, as in the workbench's paste format

    r = cli("admet", "predict", str(inp), "-o", str(out), "--backend", "serial", "--json")
    assert r.exit_code == 0, r.stderr
    by_cli = json.loads(r.stdout)
    client = TestClient(create_app())
    res = client.post(
        f"{API_PREFIX}/admet/predict",
        json={"smiles": MOLECULES, "ids": IDS},
        headers={"Authorization": f"Bearer {sci}"},
    )
    assert res.status_code == 200, res.text
    by_api = res.json()
    csrf = _login(client, "sam")
    pasted = client.post("/admet", data={"smiles": text, "csrf": csrf, "alerts": "1"})
    uploaded = client.post(
        "/admet", data={"csrf": csrf, "alerts": "1"}, files={"upload": ("mols.smi", inp.read_bytes())}
    )
    assert pasted.status_code == uploaded.status_code == 200
    by_python = predict_molecules(store, PanelPredictSpec(smiles=MOLECULES, ids=IDS), Caller("ana", "python"))

    assert by_api == by_python.to_dict()
    assert by_cli["models"] == by_api["models"] and by_cli["invalid"] == by_api["invalid"] == 1
    assert by_cli["in_domain"] == by_api["in_domain"]
    expected = by_python.to_frame()
    expected.to_csv(tmp_path / "expected.csv", index=False, lineterminator="\n")
    assert sha256_file(out) == sha256_file(tmp_path / "expected.csv")  # the file is the in-memory panel, byte for byte

    with store.read_session() as session:
        events, total = list_events(session, action="admet.predict")
    assert total == 5
    assert sorted(e.params["channel"] for e in events) == ["api", "cli", "python", "web", "web"]
    assert len({_event_key(e) for e in events}) == 1, "\n".join(
        f"{e.params['channel']} {_event_key(e)}" for e in events
    )
    assert {e.params.get("source") for e in events} == {"mols.smi", None}  # the CLI's file and the upload
    assert events[0].outputs == {"predictions": sha256_file(out)}


def test_train_and_explain_specs(cli, store: Store, make_user) -> None:
    from pharmakon.chem.service import ExplainSpec, explain_prediction

    register_tiny(store)
    _, _, viewer = make_user("vic", "viewer")
    client = TestClient(create_app())
    body = {"smiles": MOLECULES[0], "endpoint": "bbbp"}
    by_api = client.post(f"{API_PREFIX}/admet/explain", json=body, headers={"Authorization": f"Bearer {viewer}"})
    assert by_api.status_code == 200, by_api.text
    by_python = explain_prediction(store, ExplainSpec(**body))
    assert by_api.json() == by_python.to_dict()
    assert len(by_python.attributions) == ExplainSpec.model_fields["top"].default == 10  # one default, every channel
    r = cli("admet", "train", "-e", "bbbp", "--budget", "0.5")
    assert r.exit_code == 2 and "field 'budget_s'" in r.stderr
    r = cli("admet", "predict", "x.csv", "-o", "y.csv", "--backend", "spark")
    assert r.exit_code == 2 and "field 'backend'" in r.stderr


def test_file_prediction_is_audited_before_its_output_appears(store: Store, tmp_path, monkeypatch) -> None:
    """The event's hashes are computed while streaming and recorded before the output is renamed in."""
    from pharmakon.chem import service
    from pharmakon.hashing import sha256_file

    register_tiny(store)
    inp, out = tmp_path / "mols.smi", tmp_path / "panel.csv"
    inp.write_text("\n".join(f"{s} {i}" for s, i in zip(MOLECULES, IDS)) + "\n")
    seen = []
    record = service._audit_predict

    def audit_then_look(*args, **kwargs):
        seen.append(out.exists())
        record(*args, **kwargs)

    monkeypatch.setattr(service, "_audit_predict", audit_then_look)
    spec = service.PanelFileSpec(input=inp, out=out, backend="serial")
    service.predict_molecule_file(store, spec, Caller("ana", "python"))
    assert seen == [False] and out.exists()
    with store.read_session() as session:
        (event,), _ = list_events(session, action="admet.predict")
    assert event.outputs == {"predictions": sha256_file(out)}
