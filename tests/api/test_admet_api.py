"""``/api/v1/admet``: roles, panel prediction (invalid rows, cap, audit) and SHAP explanations.

The panel here is tiny (two endpoints, 150 mirror molecules each, baseline models only),
trained once per test process by :func:`tiny_models` and registered into each test's store.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from pharmakon.api.app import API_PREFIX
from pharmakon.config import get_settings
from pharmakon.server import create_app
from pharmakon.store import Store, list_events
from tests.conftest import MIRROR

pytestmark = pytest.mark.skipif(not MIRROR.exists(), reason="needs the data mirror")

#: Endpoint -> its task's baseline model (fast and deterministic).
TINY = {"lipophilicity": "ridge", "bbbp": "logistic"}
MOLECULES = ["CC(=O)Oc1ccccc1C(=O)O", "C1CC(", "Cn1cnc2c1c(=O)n(C)c(=O)n2C", "CC(C)Cc1ccc(cc1)C(C)C(=O)O"]


@functools.lru_cache(maxsize=1)
def tiny_models() -> dict[str, Any]:
    """Endpoint -> TrainedModel for :data:`TINY`, trained on the mirror (once per process)."""
    from pharmakon.chem.admet import ENDPOINTS, train_endpoint

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PHARMAKON_DATA_MIRROR", str(MIRROR))
        get_settings.cache_clear()
        try:
            return {
                name: train_endpoint(ENDPOINTS[name], trials=0, max_rows=150, models=[family])
                for name, family in TINY.items()
            }
        finally:
            get_settings.cache_clear()


def register_tiny(store: Store, names: tuple[str, ...] = tuple(TINY)) -> dict[str, Any]:
    """Register the tiny models as ``admet.<name>`` (a stub card keeps this fast)."""
    from pharmakon.core.registry import register_model

    models = tiny_models()
    with store.session() as session:
        for name in names:
            register_model(session, models[name], name=f"admet.{name}", actor="test", card=b"<html>card</html>")
    return {name: models[name] for name in names}


@pytest.fixture
def client(store: Store) -> TestClient:
    return TestClient(create_app())


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_roles_cap_and_empty_registry(client: TestClient, store: Store, make_user) -> None:
    _, _, viewer = make_user("vic", "viewer")
    _, _, sci = make_user("sam", "scientist")
    body = {"smiles": ["CCO"]}
    assert client.get(f"{API_PREFIX}/admet/endpoints").status_code == 401
    assert client.post(f"{API_PREFIX}/admet/predict", json=body).status_code == 401
    assert client.post(f"{API_PREFIX}/admet/explain", json={"smiles": "CCO", "endpoint": "bbbp"}).status_code == 401
    refused = client.post(f"{API_PREFIX}/admet/predict", json=body, headers=_auth(viewer))
    assert refused.status_code == 403
    assert client.get(f"{API_PREFIX}/admet/endpoints", headers=_auth(viewer)).json() == []
    none = client.post(f"{API_PREFIX}/admet/predict", json=body, headers=_auth(sci))
    assert none.status_code == 422 and "pharmakon admet train" in none.json()["detail"]
    cap = client.post(f"{API_PREFIX}/admet/predict", json={"smiles": ["CCO"] * 5001}, headers=_auth(sci))
    assert cap.status_code == 422 and "at most 5,000 molecules per request, got 5,001" in cap.json()["detail"]
    explain = client.post(
        f"{API_PREFIX}/admet/explain", json={"smiles": "CCO", "endpoint": "bbbp"}, headers=_auth(viewer)
    )
    assert explain.status_code == 422 and "not registered" in explain.json()["detail"]
    with store.read_session() as session:
        denied, _ = list_events(session, action="access.denied")
        assert sorted((e.object_id, e.params["status"]) for e in denied) == [
            (f"GET {API_PREFIX}/admet/endpoints", 401),
            (f"POST {API_PREFIX}/admet/explain", 401),
            (f"POST {API_PREFIX}/admet/predict", 401),
            (f"POST {API_PREFIX}/admet/predict", 403),
        ]
        assert list_events(session, action="admet.predict")[1] == 0  # refused and failed requests predict nothing


def test_predict_rows_audit_and_explain(client: TestClient, store: Store, make_user) -> None:
    from pharmakon.hashing import sha256_bytes

    models = register_tiny(store)
    _, _, viewer = make_user("vic", "viewer")
    _, _, sci = make_user("sam", "scientist")
    listed = client.get(f"{API_PREFIX}/admet/endpoints", headers=_auth(viewer)).json()
    assert [(e["name"], e["version"], e["task"]) for e in listed] == [
        ("lipophilicity", 1, "regression"),
        ("bbbp", 1, "classification"),
    ]
    assert listed[0]["description"] == "AstraZeneca logD at pH 7.4" and listed[1]["coverage"] == pytest.approx(0.9)

    ids = ["aspirin", "broken", "caffeine", "ibuprofen"]
    r = client.post(f"{API_PREFIX}/admet/predict", json={"smiles": MOLECULES, "ids": ids}, headers=_auth(sci))
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["count"] == 4 and out["invalid"] == 1
    assert out["models"] == {"lipophilicity": "admet.lipophilicity@1", "bbbp": "admet.bbbp@1"}
    rows = out["rows"]
    assert [x["id"] for x in rows] == ids and [x["row"] for x in rows] == [1, 2, 3, 4]
    bad = rows[1]
    assert bad["status"].startswith("invalid: ") and bad["lipophilicity"] is None and bad["qed"] is None
    good = [rows[i] for i in (0, 2, 3)]
    assert all(x["status"] == "ok" for x in good)
    assert all(x["lipophilicity_lower"] < x["lipophilicity"] < x["lipophilicity_upper"] for x in good)
    assert all(0 <= x["bbbp_p1"] <= 1 and x["bbbp_set"] and isinstance(x["bbbp_in_domain"], bool) for x in good)
    assert all(0 < x["qed"] < 1 for x in good)
    # each model predicting on its own gives the same numbers as the panel
    valid = [MOLECULES[i] for i in (0, 2, 3)]
    alone = models["lipophilicity"].predict(pd.DataFrame({"smiles": valid})).table
    np.testing.assert_allclose([x["lipophilicity"] for x in good], alone["prediction"], rtol=1e-9)
    with store.read_session() as session:
        events, total = list_events(session, action="admet.predict")
    assert total == 1 and events[0].actor == "sam" and events[0].object_id == "admet.panel"
    assert events[0].params["rows"] == 4 and events[0].params["invalid_rows"] == 1
    assert events[0].params["models"] == out["models"] and events[0].params["channel"] == "api"
    lines = pd.DataFrame({"id": ids, "input": MOLECULES}).to_csv(index=False, header=False, lineterminator="\n")
    assert events[0].inputs["molecules"] == sha256_bytes(lines.encode())  # the molecules, whatever their format
    assert events[0].params["alerts"] is True and "source" not in events[0].params

    subset = client.post(
        f"{API_PREFIX}/admet/predict",
        json={"smiles": ["CCO"], "endpoints": ["bbbp"], "alerts": False},
        headers=_auth(sci),
    ).json()
    assert list(subset["models"]) == ["bbbp"] and "lipophilicity" not in subset["rows"][0]
    assert "qed" not in subset["rows"][0]
    nulls = client.post(f"{API_PREFIX}/admet/predict", json={"smiles": [None, ""]}, headers=_auth(sci)).json()
    assert [x["status"] for x in nulls["rows"]] == ["invalid: missing SMILES", "invalid: empty SMILES"]
    for body, message in (
        ({"smiles": ["CCO"], "ids": ["a", "b"]}, "2 ids for 1 SMILES"),
        ({"smiles": ["CCO"], "endpoints": ["nope"]}, "unknown endpoint 'nope'"),
        ({"smiles": []}, "no molecules given"),
    ):
        r = client.post(f"{API_PREFIX}/admet/predict", json=body, headers=_auth(sci))
        assert r.status_code == 422 and message in r.json()["detail"], r.text

    ex = client.post(
        f"{API_PREFIX}/admet/explain",
        json={"smiles": MOLECULES[0], "endpoint": "bbbp", "top": 4},
        headers=_auth(viewer),
    )
    assert ex.status_code == 200, ex.text
    exp = ex.json()
    assert exp["model"] == "admet.bbbp" and exp["version"] == 1 and exp["canonical"]
    assert exp["prediction"]["bbbp_p1"] == pytest.approx(rows[0]["bbbp_p1"])
    shap = [a["shap"] for a in exp["attributions"]]
    assert len(shap) == 4 and np.all(np.diff(np.abs(shap)) <= 0)  # sorted by |SHAP|
    feats = models["bbbp"].featurizer.feature_names_
    assert all(a["feature"].split(":")[0] in ("morgan", "rdkit2d") for a in exp["attributions"])
    assert all(f"{a['feature']}" in feats for a in exp["attributions"] if a["feature"].startswith("morgan:"))
    found = [a for a in exp["attributions"] if a["substructure"]]
    from rdkit import Chem

    aspirin = Chem.MolFromSmiles(MOLECULES[0])
    for a in found:  # a fragment that sets a Morgan bit of this molecule is part of this molecule
        frag = Chem.MolFromSmarts(a["substructure"])
        assert frag is not None and aspirin.HasSubstructMatch(frag), a
    for body, message in (
        ({"smiles": "C1CC(", "endpoint": "bbbp"}, "cannot explain"),
        ({"smiles": "CCO", "endpoint": "pb_ames"}, "not registered"),
    ):
        r = client.post(f"{API_PREFIX}/admet/explain", json=body, headers=_auth(viewer))
        assert r.status_code == 422 and message in r.json()["detail"], r.text
    assert (
        client.post(
            f"{API_PREFIX}/admet/explain", json={"smiles": "CCO", "endpoint": "bbbp", "top": 0}, headers=_auth(viewer)
        ).status_code
        == 422
    )


def test_panel_stays_loaded_between_requests_until_a_new_version(
    client: TestClient, store: Store, make_user, monkeypatch
) -> None:
    from pharmakon.chem import panel_io
    from pharmakon.core import registry

    registry.clear_model_cache()
    register_tiny(store)
    _, _, sci = make_user("sam", "scientist")
    built: list[int] = []
    real_init = panel_io.Panel.__init__

    def counting_init(self, models):  # count panel builds (each one means models were (re)loaded)
        built.append(len(models))
        real_init(self, models)

    monkeypatch.setattr(panel_io.Panel, "__init__", counting_init)
    body = {"smiles": MOLECULES}
    first, second = (client.post(f"{API_PREFIX}/admet/predict", json=body, headers=_auth(sci)).json() for _ in range(2))
    assert second["rows"] == first["rows"] and built == [2]  # built once, same answers
    with store.session() as session:  # a retrained endpoint: the next request serves version 2
        from pharmakon.core.registry import register_model

        register_model(session, tiny_models()["bbbp"], name="admet.bbbp", actor="test", card=b"<html>card</html>")
    third = client.post(f"{API_PREFIX}/admet/predict", json=body, headers=_auth(sci)).json()
    assert third["models"]["bbbp"] == "admet.bbbp@2" and built == [2, 2]
    assert third["rows"] == first["rows"]  # same bytes registered again: same numbers
    with store.read_session() as session:
        assert list_events(session, action="admet.predict")[1] == 3  # every request audited, cached or not
    registry.clear_model_cache()


def test_huge_molecules_are_invalid_rows_not_a_stalled_server(client: TestClient, store: Store, make_user) -> None:
    """Probe finding 1: a C x 5000 SMILES (seconds to minutes of descriptors) is refused by its size, with the reason."""
    register_tiny(store)
    _, _, viewer = make_user("vic", "viewer")
    _, _, sci = make_user("sam", "scientist")
    body = {"smiles": ["C" * 5000, "C" * 400, "CCO"]}
    r = client.post(f"{API_PREFIX}/admet/predict", json=body, headers=_auth(sci))
    assert r.status_code == 200, r.text
    rows = r.json()["rows"]
    assert rows[0]["status"] == (
        "invalid: SMILES too long: 5,000 characters (at most 2,000; setting PHARMAKON_MAX_SMILES_LENGTH)"
    )
    assert rows[1]["status"].startswith("invalid: molecule too large: 400 heavy atoms (at most 300")
    assert rows[0]["bbbp"] is None and rows[2]["status"] == "ok"
    ex = client.post(
        f"{API_PREFIX}/admet/explain", json={"smiles": "C" * 5000, "endpoint": "bbbp"}, headers=_auth(viewer)
    )
    assert ex.status_code == 422 and "SMILES too long: 5,000 characters" in ex.json()["detail"]
    assert len(ex.json()["detail"]) < 500  # the message does not echo the whole input


def test_routes_run_in_the_thread_pool() -> None:
    """CPU-bound routes are plain ``def`` (FastAPI's thread pool), never ``async def`` on the event loop."""
    import inspect

    from pharmakon.api.routes.admet import router

    assert router.routes and not any(inspect.iscoroutinefunction(r.endpoint) for r in router.routes)


def test_served_from_production_with_quality_and_notes(client: TestClient, store: Store, make_user) -> None:
    """``admet train`` alone does not change what users get: production is served, else the newest with a note."""
    from pharmakon.chem.admet import WEAK_AUROC, WEAK_R2
    from pharmakon.core.registry import promote_model, register_model

    models = register_tiny(store)
    with store.session() as session:
        promote_model(session, name="admet.bbbp", version=1, alias="production", actor="test")
        register_model(session, models["bbbp"], name="admet.bbbp", actor="test", card=b"<html>card</html>")  # v2
    _, _, viewer = make_user("vic", "viewer")
    _, _, sci = make_user("sam", "scientist")
    listed = {e["name"]: e for e in client.get(f"{API_PREFIX}/admet/endpoints", headers=_auth(viewer)).json()}
    bbbp, lipo = listed["bbbp"], listed["lipophilicity"]
    assert (bbbp["version"], bbbp["newest_version"], bbbp["alias"], bbbp["note"]) == (1, 2, "production", None)
    assert lipo["alias"] is None and "no production version: serving the newest, v1" in lipo["note"]
    for e, metric, threshold in ((bbbp, "auroc", WEAK_AUROC), (lipo, "r2", WEAK_R2)):
        q = e["quality"]
        assert q["metric"] == metric and q["threshold"] == threshold and q["value"] == e["cv_metrics"][metric]
        assert q["weak"] == (q["value"] < threshold) and ("weak model" in q["text"]) == q["weak"]

    out = client.post(f"{API_PREFIX}/admet/predict", json={"smiles": MOLECULES}, headers=_auth(sci)).json()
    assert out["models"] == {"lipophilicity": "admet.lipophilicity@1", "bbbp": "admet.bbbp@1"}
    assert list(out["notes"]) == ["lipophilicity"] and out["quality"]["bbbp"] == bbbp["quality"]
    ex = client.post(f"{API_PREFIX}/admet/explain", json={"smiles": "CCO", "endpoint": "bbbp"}, headers=_auth(viewer))
    assert ex.json()["version"] == 1 and ex.json()["note"] is None and ex.json()["quality"] == bbbp["quality"]
    with store.session() as session:  # promoting v2 serves v2
        promote_model(session, name="admet.bbbp", version=2, alias="production", actor="test")
    out = client.post(f"{API_PREFIX}/admet/predict", json={"smiles": ["CCO"]}, headers=_auth(sci)).json()
    assert out["models"]["bbbp"] == "admet.bbbp@2"


def test_weak_model_thresholds() -> None:
    from pharmakon.chem.admet import endpoint_quality

    assert endpoint_quality("regression", {"r2": 0.015})["text"] == "CV r² 0.015: weak model (below 0.3)"
    assert endpoint_quality("regression", {"r2": 0.5})["weak"] is False
    assert endpoint_quality("regression", {"r2": None})["weak"] is True
    assert endpoint_quality("classification", {"auroc": 0.65})["weak"] is True
    assert endpoint_quality("classification", {"auroc": 0.9})["text"] == "CV AUROC 0.900"
