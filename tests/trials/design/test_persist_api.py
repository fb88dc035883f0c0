"""Stored designs (versioned, signable), seed example, REST endpoints and workbench page."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from pharmakon.api.app import API_PREFIX
from pharmakon.errors import InputError
from pharmakon.server import create_app
from pharmakon.store import Store, list_events, list_objects
from pharmakon.trials.design import KIND, load_design, save_design, seed_example


def test_save_load_versions(store: Store) -> None:
    spec = {"kmax": 3, "alpha": 0.025, "spending": "asOF"}
    with store.session() as session:
        obj1, d1 = save_design(session, name="d", spec=spec, actor="tester")
        obj2, _ = save_design(session, name="d", spec=spec | {"kmax": 4}, actor="tester", reason="4 looks")
    with store.read_session() as session:
        _, back = load_design(session, "d", 1)
        _, latest = load_design(session, "d")
        events = list_events(session, action="object.save")[0]
    assert back == d1 and latest.kmax == 4 and (obj1.version, obj2.version) == (1, 2)
    assert obj1.artifacts.get("report.html") and len(events) == 2


def test_bad_spec_stores_nothing(store: Store) -> None:
    with pytest.raises(InputError, match="did you mean 'alpha'"), store.session() as session:
        save_design(session, name="bad", spec={"kmax": 3, "alpah": 0.1}, actor="tester")
    with store.read_session() as session:
        assert list_objects(session, KIND) == []


def test_seed_example_signed_by_demo_scientist(store: Store, make_user, pharmakon_home) -> None:
    _, password, _ = make_user("sam", "scientist")
    summary = seed_example(store, None, signer=("sam", password))
    assert "signed by sam" in summary
    assert "already present" in seed_example(store, None, signer=("sam", password))
    with store.read_session() as session:
        [sig] = list_events(session, action="esign")[0]
        [made] = list_events(session, action="trial.design")[0]
    assert sig.object_type == KIND and sig.object_id == "demo-obf-3look@1" and sig.params["meaning"] == "authored"
    assert made.actor == "seed" and made.params["channel"] == "python" and made.object_id == "demo-obf-3look@1"


@pytest.fixture
def client(store: Store) -> TestClient:
    return TestClient(create_app())


def test_rest_endpoints(client: TestClient, store: Store, make_user) -> None:
    _, _, viewer = make_user("vic", "viewer")
    _, _, sci = make_user("sam", "scientist")
    hv, hs = {"Authorization": f"Bearer {viewer}"}, {"Authorization": f"Bearer {sci}"}
    r = client.post(f"{API_PREFIX}/trial/designs/compute", json={"kmax": 3, "spending": "asOF"}, headers=hv)
    assert r.status_code == 200 and abs(r.json()["design"]["critical_values"][0] - 3.7103028733) < 1e-6
    typo = client.post(f"{API_PREFIX}/trial/designs/compute", json={"kmax": 3, "alpah": 0.1}, headers=hv)
    assert typo.status_code == 422 and "alpah" in typo.text
    bad = client.post(f"{API_PREFIX}/trial/designs/compute", json={"alpha": 0.7}, headers=hv)
    assert bad.status_code == 422 and "alpha" in bad.text
    assert client.post(f"{API_PREFIX}/trial/designs/x", json={"spec": {}}, headers=hv).status_code == 403
    saved = client.post(f"{API_PREFIX}/trial/designs/x", json={"spec": {"kmax": 2}, "reason": "t"}, headers=hs)
    assert saved.status_code == 201 and saved.json()["version"] == 1
    assert client.get(f"{API_PREFIX}/trial/designs", headers=hv).json()[0]["name"] == "x"
    assert client.get(f"{API_PREFIX}/trial/designs/x", headers=hv).json()["version"] == 1
    assert "<svg" in client.get(f"{API_PREFIX}/trial/designs/x/report", headers=hv).text
    ss = client.post(f"{API_PREFIX}/trial/samplesize/means", json={"alternative": 0.5}, headers=hv).json()
    assert abs(ss["max_number_of_subjects"] - 125.5820757496) < 1e-6  # rpact 3.3.4 anchor ss_means_fixed_d0.5_normal
    sim = client.post(f"{API_PREFIX}/trial/simulate", json={"planned": [60, 120, 180], "sims": 5000}, headers=hs)
    assert sim.status_code == 200 and "power" in sim.json() and sim.json()["stored"] == "rates-simulation@1"
    with store.read_session() as session:
        assert list_events(session, action="trial.simulate")[1] == 1
    [row] = client.get(f"{API_PREFIX}/trial/simulations", headers=hv).json()
    assert row["name"] == "rates-simulation" and row["power"] == sim.json()["power"]
    shown = client.get(f"{API_PREFIX}/trial/simulations/rates-simulation", headers=hv).json()
    assert shown["content"]["result"]["power"] == sim.json()["power"] and "seconds" not in shown["content"]["result"]
    too_many = client.post(f"{API_PREFIX}/trial/simulate", json={"sims": 3_000_000}, headers=hs)
    assert too_many.status_code == 422 and "sims" in too_many.text
    survival = {"hazard_ratio": 0.75}  # median2 missing
    assert client.post(f"{API_PREFIX}/trial/samplesize/survival", json=survival, headers=hv).status_code == 422


def test_every_trial_route_documents_its_response(client: TestClient) -> None:
    paths = client.get(f"{API_PREFIX}/openapi.json").json()["paths"]
    trial = {p: ops for p, ops in paths.items() if p.startswith(f"{API_PREFIX}/trial")}
    assert len(trial) >= 7
    for path, ops in trial.items():
        for method, op in ops.items():
            ok = op["responses"].get("200") or op["responses"].get("201")
            content = ok["content"]
            if path.endswith("/report"):
                assert "text/html" in content
                continue
            schema = content["application/json"]["schema"]
            assert schema.get("$ref") or schema.get("items", {}).get("$ref"), (method, path, schema)


def test_workbench_page(client: TestClient, make_user) -> None:
    make_user("sam", "scientist")
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    client.post("/login", data={"username": "sam", "password": "sam-password", "csrf": csrf, "next": "/"})
    r = client.get("/trial", params={"kmax": "3", "spending": "asOF", "futility": "bsOF"})
    assert r.status_code == 200 and "trial-boundaries" in r.text and "<svg" in r.text
    bad = client.get("/trial", params={"alpha": "0.9"})
    assert "alpha must be in (0, 0.5)" in bad.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', r.text).group(1)
    query = re.search(r'name="spec_query" value="([^"]+)"', r.text).group(1).replace("&amp;", "&")
    saved = client.post("/trial/save", data={"name": "wb", "spec_query": query, "csrf": csrf}, follow_redirects=True)
    assert saved.status_code == 200 and "Trial design: wb@1" in saved.text


def _login(client: TestClient, username: str) -> None:
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    client.post("/login", data={"username": username, "password": f"{username}-password", "csrf": csrf, "next": "/"})


def test_workbench_simulation_page(client: TestClient, store: Store, make_user) -> None:
    make_user("val", "viewer")
    make_user("sam", "scientist")
    _login(client, "val")
    assert "trial-simulate-link" in client.get("/trial", params={"kmax": "3", "spending": "OF"}).text
    viewer_page = client.get("/trial/simulate", params={"kmax": "3", "spending": "OF"})
    assert "sim-role" in viewer_page.text and 'action="/trial/simulate"' not in viewer_page.text
    assert client.post("/trial/simulate", data={"csrf": "x"}).status_code == 403  # simulating stores: scientists
    _login(client, "sam")
    page = client.get("/trial/simulate", params={"kmax": "3", "spending": "OF"})
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    query = re.search(r'name="spec_query" value="([^"]+)"', page.text).group(1).replace("&amp;", "&")
    form = {
        "csrf": csrf,
        "spec_query": query,
        "endpoint": "means",
        "alternative": "0.5",
        "stdev": "1",
        "planned": "60,120,180",
        "sims": "20000",
        "seed": "4",
        "curve": "3",
    }
    r = client.post("/trial/simulate", data=form)
    assert r.status_code == 200 and "sim-stages" in r.text and "sim-curve" in r.text, r.text[-2000:]
    assert "means-simulation@1" in r.text
    for key in ("power_curve", "stopping", "sample_size"):
        assert f"sim-plot-{key}" in r.text
    assert "sims must be in" in client.post("/trial/simulate", data=form | {"sims": "10000000"}).text
    with store.read_session() as session:
        [event] = list_events(session, action="trial.simulate")[0]
    assert event.actor == "sam" and event.params["channel"] == "web" and event.params["seed"] == 4
