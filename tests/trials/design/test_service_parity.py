"""The same trial-design request through Python, the CLI, the REST API and the workbench.

Each channel builds the same spec and calls the same service, so the results are the
same and so are the audit events, apart from ``params["channel"]`` (and the version
number each new save gets).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from pharmakon.api.app import API_PREFIX
from pharmakon.caller import Caller
from pharmakon.server import create_app
from pharmakon.store import Store, list_events
from pharmakon.trials.design.service import (
    DesignSpec,
    SampleSizeSpec,
    SaveDesignSpec,
    SimulationSpec,
    compute_design,
    compute_sample_size,
    show_design,
    simulate_design,
    store_design,
)

CHANNELS = ("python", "cli", "api", "web")
#: Fields that depend on the machine or on the order of saves, not on the request.
VOLATILE = {"seconds", "sims_per_second", "version", "stored"}


@pytest.fixture
def sam(store: Store, make_user, cli, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The scientist ``sam`` on every channel: a token, a logged-in workbench client, the CLI actor."""
    _, password, token = make_user("sam", "scientist")
    monkeypatch.setenv("PHARMAKON_ACTOR", "sam")
    client = TestClient(create_app())
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    client.post("/login", data={"username": "sam", "password": password, "csrf": csrf, "next": "/"})
    return {"client": client, "headers": {"Authorization": f"Bearer {token}"}}


def _csrf_and_query(html: str) -> tuple[str, str]:
    csrf = re.search(r'name="csrf" value="([^"]+)"', html).group(1)
    query = re.search(r'name="spec_query" value="([^"]+)"', html).group(1).replace("&amp;", "&")
    return csrf, query


def _event(e: Any) -> dict[str, Any]:
    """An audit event minus who/when/how: what must be the same on every channel."""
    params = {k: v for k, v in (e.params or {}).items() if k not in ("channel", "version")}
    return {
        "action": e.action,
        "actor": e.actor,
        "object_type": e.object_type,
        "object": e.object_id.split("@")[0],
        "inputs": e.inputs,
        "outputs": e.outputs,
        "params": params,
        "reason": e.reason,
    }


def _events(store: Store, action: str) -> list[Any]:
    with store.read_session() as session:
        return list(reversed(list_events(session, action=action)[0]))  # oldest first


def _strip(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if k not in VOLATILE}


def test_store_design_same_result_and_audit_on_every_channel(store: Store, sam, cli) -> None:  # type: ignore[no-untyped-def]
    given = {"kmax": 3, "spending": "asOF", "futility": "bsOF", "information_rates": [0.3, 0.7, 1.0]}
    results: dict[str, dict[str, Any]] = {}
    spec = SaveDesignSpec(name="parity", design=DesignSpec(**given), reason="parity")
    results["python"] = store_design(store, spec, Caller("sam", "python")).to_dict()
    res = cli(
        "trial",
        "design",
        "gs",
        "--kmax",
        "3",
        "--spending",
        "asOF",
        "--futility",
        "bsOF",
        "--info-rates",
        "0.3,0.7,1",
        "--save",
        "parity",
        "--reason",
        "parity",
        "--json",
    )
    assert res.exit_code == 0, res.stderr
    results["cli"] = json.loads(res.stdout)
    r = sam["client"].post(
        f"{API_PREFIX}/trial/designs/parity", json={"spec": given, "reason": "parity"}, headers=sam["headers"]
    )
    assert r.status_code == 201, r.text
    results["api"] = r.json()
    page = sam["client"].get(
        "/trial", params={"kmax": "3", "spending": "asOF", "futility": "bsOF", "information_rates": "0.3,0.7,1"}
    )
    csrf, query = _csrf_and_query(page.text)
    saved = sam["client"].post(
        "/trial/save", data={"name": "parity", "spec_query": query, "csrf": csrf, "reason": "parity"}
    )
    assert saved.status_code == 200 and "Trial design: parity@4" in saved.text
    results["web"] = compute_design(DesignSpec(**given)).to_dict() | {
        "name": "parity",
        "content_hash": show_design(store, "parity", 4).content_hash,
    }
    assert [results[c]["version"] for c in CHANNELS[:3]] == [1, 2, 3]
    reference = _strip(results["python"])
    for channel in CHANNELS[1:]:
        assert _strip(results[channel]) == reference, channel
    for action in ("trial.design", "object.save"):
        events = _events(store, action)
        assert len(events) == 4, action
        assert all(_event(e) == _event(events[0]) for e in events), action
    channels = [e.params["channel"] for e in _events(store, "trial.design")]
    assert channels == list(CHANNELS)


def test_simulate_same_result_and_audit_on_every_channel(store: Store, sam, cli) -> None:  # type: ignore[no-untyped-def]
    design = {"kmax": 3, "spending": "asOF"}
    scenario = {"endpoint": "rates", "pi1": 0.5, "pi2": 0.3, "planned": [60, 120, 180], "sims": 20_000, "seed": 3}
    extra = {"curve": 3, "name": "parity-sim"}
    results: dict[str, dict[str, Any]] = {}
    spec = SimulationSpec(design=DesignSpec(**design), **scenario, **extra)
    results["python"] = simulate_design(store, spec, Caller("sam", "python"), backend="serial").to_dict()
    res = cli(
        "trial",
        "simulate",
        "rates",
        "--kmax",
        "3",
        "--spending",
        "asOF",
        "--pi1",
        "0.5",
        "--pi2",
        "0.3",
        "--planned",
        "60,120,180",
        "--sims",
        "20000",
        "--seed",
        "3",
        "--curve",
        "3",
        "--name",
        "parity-sim",
        "--backend",
        "serial",
        "--json",
    )
    assert res.exit_code == 0, res.stderr
    results["cli"] = json.loads(res.stdout)
    r = sam["client"].post(
        f"{API_PREFIX}/trial/simulate", json={"design": design, **scenario, **extra}, headers=sam["headers"]
    )
    assert r.status_code == 200, r.text
    results["api"] = r.json()
    page = sam["client"].get("/trial/simulate", params=design)
    csrf, query = _csrf_and_query(page.text)
    form = {k: ",".join(map(str, v)) if isinstance(v, list) else str(v) for k, v in (scenario | extra).items()}
    r = sam["client"].post("/trial/simulate", data={"csrf": csrf, "spec_query": query, **form})
    assert r.status_code == 200 and "parity-sim@4" in r.text, r.text[-1500:]
    power = f"power {results['python']['power']:.4f}"
    assert power in r.text
    reference = _strip(results["python"])
    for channel in ("cli", "api"):
        assert _strip(results[channel]) == reference, channel
    for action in ("trial.simulate", "object.save"):
        events = _events(store, action)
        assert len(events) == 4, action
        assert all(_event(e) == _event(events[0]) for e in events), action
    assert [e.params["channel"] for e in _events(store, "trial.simulate")] == list(CHANNELS)


@pytest.mark.parametrize(
    ("endpoint", "cli_args", "body"),
    [
        ("means", ["--alternative", "0.5", "--kmax", "3"], {"alternative": 0.5, "design": {"kmax": 3}}),
        ("rates", ["--pi1", "0.4", "--pi2", "0.25"], {"pi1": 0.4, "pi2": 0.25}),
        (
            "survival",
            ["--hazard-ratio", "0.75", "--median2", "12", "--dropout", "0.05", "--beta", "0.1"],
            {"hazard_ratio": 0.75, "median2": 12, "dropout": 0.05, "design": {"beta": 0.1}},
        ),
    ],
)
def test_sample_size_same_on_every_channel(store: Store, sam, cli, endpoint, cli_args, body) -> None:  # type: ignore[no-untyped-def]
    python = compute_sample_size(SampleSizeSpec.parse(body, endpoint=endpoint)).to_dict()
    res = cli("trial", "samplesize", endpoint, *cli_args, "--json")
    assert res.exit_code == 0, res.stderr
    r = sam["client"].post(f"{API_PREFIX}/trial/samplesize/{endpoint}", json=body, headers=sam["headers"])
    assert r.status_code == 200, r.text
    assert json.loads(res.stdout) == python == r.json()


def test_compute_design_same_on_every_channel(store: Store, sam, cli) -> None:  # type: ignore[no-untyped-def]
    python = compute_design(DesignSpec(kmax=4, spending="asP")).to_dict()
    res = cli("trial", "design", "gs", "--kmax", "4", "--spending", "asP", "--json")
    r = sam["client"].post(
        f"{API_PREFIX}/trial/designs/compute", json={"kmax": 4, "spending": "asP"}, headers=sam["headers"]
    )
    assert json.loads(res.stdout) == python == r.json()
    page = sam["client"].get("/trial", params={"kmax": "4", "spending": "asP"})
    assert python["summary"] in page.text.replace("&#39;", "'")
