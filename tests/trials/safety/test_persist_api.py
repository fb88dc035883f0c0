"""Stored signal tables, audited reviews, REST endpoints (roles enforced), monitor streaming, seed example."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from pharmakon.api.app import API_PREFIX
from pharmakon.errors import InputError
from pharmakon.server import create_app
from pharmakon.store import Store, list_events
from pharmakon.trials.safety import detect_signals
from pharmakon.trials.safety.persist import (
    list_reviews,
    load_monitor,
    load_records,
    load_signal_table,
    replay_monitor,
    review_signal,
    save_signal_table,
)
from pharmakon.trials.safety.simulate import simulate_trial_stream
from pharmakon.trials.safety.synthetic import make_reports


@pytest.fixture(scope="module")
def small():
    synth = make_reports(40_000, n_drugs=150, n_events=80, n_signals=5, rr_choices=(5.0,), seed=8)
    return synth.rows.astype({"drug": str, "event": str, "sex": str, "quarter": str, "report": str})


@pytest.fixture
def client(store: Store) -> TestClient:
    return TestClient(create_app())


def test_save_review_and_audit(store: Store, small: pd.DataFrame) -> None:
    result = detect_signals(small, methods="ebgm,prr")
    with store.session() as session:
        obj = save_signal_table(session, name="syn", result=result, actor="ann", reports=small, n_details=3)
    assert obj.version == 1 and obj.content["flagged"]["ebgm"] == int(result.table["signal_ebgm"].sum())
    assert len(obj.content["details"]) == 3
    top = result.signals("ebgm").iloc[0]
    with store.session() as session:
        content, table = load_signal_table(session, "syn")
        assert len(table) == len(result.table) and content["version"] == 1
        with pytest.raises(InputError, match="reason"):
            review_signal(
                session, table_name="syn", drug=top.drug, event=top.event, status="dismissed", reason=" ", actor="ann"
            )
        with pytest.raises(InputError, match="status"):
            review_signal(
                session, table_name="syn", drug=top.drug, event=top.event, status="maybe", reason="x", actor="ann"
            )
        review_signal(
            session,
            table_name="syn",
            drug=top.drug,
            event=top.event,
            status="dismissed",
            reason="known labelled reaction",
            actor="ann",
        )
    with store.read_session() as session:
        reviews = list_reviews(session, "syn")
        events, _ = list_events(session, action="safety.signal.dismissed")
    assert reviews[(top.drug, top.event)]["status"] == "dismissed"
    assert events[0].to_dict()["reason"] == "known labelled reaction" and events[0].to_dict()["actor"] == "ann"


def test_api_tables_reviews_and_roles(client: TestClient, make_user, small: pd.DataFrame) -> None:
    _, _, viewer = make_user("vic", "viewer")
    _, _, sci = make_user("sam", "scientist")
    body = {
        "name": "api-syn",
        "rows": small.head(8_000)[["report", "drug", "event", "sex", "quarter"]].to_dict("records"),
        "methods": ["ebgm", "prr", "ror", "ic"],
        "strata": ["sex"],
    }
    denied = client.post(f"{API_PREFIX}/safety/tables", json=body, headers={"Authorization": f"Bearer {viewer}"})
    assert denied.status_code == 403
    made = client.post(f"{API_PREFIX}/safety/tables", json=body, headers={"Authorization": f"Bearer {sci}"})
    assert made.status_code == 201, made.text
    hv = {"Authorization": f"Bearer {viewer}"}
    assert [t["name"] for t in client.get(f"{API_PREFIX}/safety/tables", headers=hv).json()] == ["api-syn"]
    page = client.get(f"{API_PREFIX}/safety/tables/api-syn", params={"method": "ebgm", "limit": 5}, headers=hv).json()
    assert page["total"] == made.json()["flagged"]["ebgm"] and len(page["items"]) <= 5
    first = page["items"][0]
    assert first["review_status"] == "open" and first["eb05"] >= 2
    pair = client.get(
        f"{API_PREFIX}/safety/tables/api-syn/pair", params={"drug": first["drug"], "event": first["event"]}, headers=hv
    ).json()
    assert pair["two_by_two"]["a"] == first["n"] and pair["trend"] and pair["strata"]
    review = {"drug": first["drug"], "event": first["event"], "status": "reviewed", "reason": "case series done"}
    assert client.post(f"{API_PREFIX}/safety/tables/api-syn/reviews", json=review, headers=hv).status_code == 403
    ok = client.post(
        f"{API_PREFIX}/safety/tables/api-syn/reviews", json=review, headers={"Authorization": f"Bearer {sci}"}
    )
    assert ok.status_code == 201, ok.text
    page = client.get(
        f"{API_PREFIX}/safety/tables/api-syn", params={"drug": first["drug"], "event": first["event"]}, headers=hv
    ).json()
    assert page["items"][0]["review_status"] == "reviewed"
    bad = client.post(
        f"{API_PREFIX}/safety/tables/api-syn/reviews",
        json={**review, "drug": "NOPE"},
        headers={"Authorization": f"Bearer {sci}"},
    )
    assert bad.status_code == 422 and "not in signal table" in bad.json()["detail"]


def test_api_monitor_stream(client: TestClient, make_user, store: Store) -> None:
    _, _, viewer = make_user("vic", "viewer")
    _, _, sci = make_user("sam", "scientist")
    hs = {"Authorization": f"Bearer {sci}"}
    rules = [{"name": "hep", "event": "HEPATOTOXICITY", "model": "gamma_poisson", "cutoff": 0.95}]
    assert client.put(f"{API_PREFIX}/safety/monitors/t9", json={"rules": rules}, headers=hs).status_code == 201
    records = simulate_trial_stream(50, 0.004, 4.0, seed=1)
    alerts = []
    for start in range(0, len(records), 60):  # arrives in batches, as from an EDC
        res = client.post(
            f"{API_PREFIX}/safety/monitors/t9/events", json={"records": records[start : start + 60]}, headers=hs
        )
        assert res.status_code == 200, res.text
        alerts += res.json()["alerts"]
    assert len(alerts) == 1 and alerts[0]["rule"] == "hep"
    got = client.get(f"{API_PREFIX}/safety/monitors/t9", headers={"Authorization": f"Bearer {viewer}"}).json()
    assert got["records"] == len(records) and len(got["alerts"]) == 1
    with store.read_session() as session:
        events, _ = list_events(session, action="safety.alert")
    assert len(events) == 1 and events[0].to_dict()["object_id"] == "t9"
    # each post updated the stored state incrementally; it agrees with a replay of the whole stream
    with store.read_session() as session:
        inc, rep, stored = load_monitor(session, "t9"), replay_monitor(session, "t9"), load_records(session, "t9")
    assert stored == records and inc.records == rep.records == len(records)
    assert [a.to_dict() for a in inc.alerts] == [a.to_dict() for a in rep.alerts] and inc.history == rep.history
    for arm in ("treatment", "control"):
        assert inc.arm_counts(arm, "HEPATOTOXICITY") == rep.arm_counts(arm, "HEPATOTOXICITY")
        assert all(
            np.array_equal(x, y)
            for x, y in zip(
                inc.subject_times(arm, "HEPATOTOXICITY"), rep.subject_times(arm, "HEPATOTOXICITY"), strict=True
            )
        )
    html = client.get(f"{API_PREFIX}/safety/monitors/t9/report", headers={"Authorization": f"Bearer {viewer}"})
    assert html.status_code == 200 and "data:image/png;base64" in html.text
    bad = client.post(
        f"{API_PREFIX}/safety/monitors/t9/events",
        json={"records": [{"type": "ae", "subject": "ZZ", "event": "X", "time": 999}]},
        headers=hs,
    )
    assert bad.status_code == 422 and "before enrolment" in bad.json()["detail"]


def test_seed_example(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from pharmakon.config import get_settings
    from pharmakon.trials.safety.examples import SEED_TABLE, SEED_TRIAL, seed_example
    from tests.conftest import MIRROR

    monkeypatch.setenv("PHARMAKON_DATA_MIRROR", str(MIRROR))
    get_settings.cache_clear()
    summary = seed_example(store, get_settings())
    assert "17189 pairs, 131 with EB05 >= 2" in summary
    with store.read_session() as session:
        content, table = load_signal_table(session, SEED_TABLE)
        events, _ = list_events(session, action="safety.alert", object_id=SEED_TRIAL)
    assert content["pairs"] == 17189 and events


def test_monitor_stored_before_state_is_replayed(store: Store) -> None:
    """Versions written before ``state.json`` existed hold the whole stream in records.jsonl: replayed once."""
    import json

    from pharmakon.store import save_object
    from pharmakon.trials.safety.persist import append_records

    records = simulate_trial_stream(20, 0.004, 3.0, seed=4)
    rules = [{"name": "hep", "event": "HEPATOTOXICITY", "model": "gamma_poisson", "cutoff": 0.95}]
    with store.session() as session:
        save_object(
            session,
            kind="safety_monitor",
            name="old",
            content={"trial": "old", "rules": rules, "records": 30},
            actor="ann",
            artifacts={"records.jsonl": "".join(json.dumps(r) + "\n" for r in records[:30]).encode()},
        )
        append_records(session, trial="old", records=records[30:], actor="ann")
    with store.read_session() as session:
        inc, rep = load_monitor(session, "old"), replay_monitor(session, "old")
        assert load_records(session, "old") == records
    assert inc.records == len(records) and inc.history == rep.history
    assert inc.arm_counts("treatment", "ANY") == rep.arm_counts("treatment", "ANY")


def test_monitor_page_shows_the_monitor_version_not_the_package_version(client: TestClient, make_user) -> None:
    import re

    from pharmakon import __version__

    _, password, sci = make_user("sam", "scientist")
    hs = {"Authorization": f"Bearer {sci}"}
    rules = [{"name": "hep", "event": "HEPATOTOXICITY", "model": "gamma_poisson", "cutoff": 0.95}]
    client.put(f"{API_PREFIX}/safety/monitors/t7", json={"rules": rules}, headers=hs)
    client.put(f"{API_PREFIX}/safety/monitors/t7", json={"rules": rules}, headers=hs)  # version 2
    login = client.get("/login").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', login).group(1)
    client.post("/login", data={"username": "sam", "password": password, "csrf": csrf})
    page = client.get("/safety/monitors/t7").text
    heading = re.search(r"<h1>(.*?)</h1>", page, re.S).group(1)
    assert "v2" in heading and __version__ not in heading
    assert f"pharmakon {__version__}" in page  # the footer still names the release
