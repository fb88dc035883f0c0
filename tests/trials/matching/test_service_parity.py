"""One request, every channel: the same result and audit event through CLI, REST and workbench.

Trials for a patient: the same note and trials through ``pharmakon match trials``,
``POST /api/v1/matching/trials`` and the workbench form. Patients for a trial: the same
trial and FHIR patients through ``pharmakon match patients``, ``POST
/api/v1/matching/patients`` and the workbench upload. Only the actor, the channel and
where the result is stored (its version) may differ.
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
from tests.trials.matching.conftest import ctgov

NOTE = "A 62-year-old woman with type 2 diabetes on metformin; HbA1c 8.4% last month. No history of pancreatitis. She is not pregnant."
TRIALS = [
    {
        "nct_id": "NCT10000001",
        "title": "Type 2 diabetes add-on",
        "conditions": ["Type 2 Diabetes"],
        "min_age_years": 18,
        "raw_criteria": "Inclusion Criteria:\n- Type 2 diabetes\n- HbA1c between 7.0% and 10.5%\nExclusion Criteria:\n- History of pancreatitis\n- Pregnant or breastfeeding",
    },
    {
        "nct_id": "NCT10000002",
        "title": "Young adults with asthma",
        "conditions": ["Asthma"],
        "min_age_years": 18,
        "max_age_years": 40,
        "raw_criteria": "Inclusion Criteria:\n- Asthma\n- Age 18 to 40 years",
    },
    {
        "nct_id": "NCT10000003",
        "title": "Men with diabetes",
        "conditions": ["Diabetes"],
        "sex": "MALE",
        "raw_criteria": "Inclusion Criteria:\n- Diabetes mellitus",
    },
]
FHIR = [
    {
        "resourceType": "Patient",
        "id": "pa",
        "gender": "female",
        "birthDate": "1960-03-01",
        "name": [{"given": ["Ann"], "family": "Lee"}],
    },
    {"resourceType": "Patient", "id": "pb", "gender": "male", "birthDate": "2010-05-01"},
    {"resourceType": "Patient", "id": "pc", "gender": "male", "birthDate": "1950-01-01"},
    {
        "resourceType": "Condition",
        "id": "c1",
        "subject": {"reference": "Patient/pa"},
        "code": {
            "coding": [{"system": "http://snomed.info/sct", "code": "44054006", "display": "Diabetes mellitus type 2"}]
        },
        "onsetDateTime": "2015-01-01",
    },
    {
        "resourceType": "Observation",
        "id": "o1",
        "status": "final",
        "subject": {"reference": "Patient/pa"},
        "code": {"coding": [{"system": "http://loinc.org", "code": "4548-4"}], "text": "Hemoglobin A1c"},
        "valueQuantity": {"value": 8.1, "unit": "%"},
        "effectiveDateTime": "2024-01-01",
    },
    {
        "resourceType": "Observation",
        "id": "o2",
        "status": "final",
        "subject": {"reference": "Patient/pc"},
        "code": {"coding": [{"system": "http://loinc.org", "code": "4548-4"}], "text": "Hemoglobin A1c"},
        "valueQuantity": {"value": 11.5, "unit": "%"},
        "effectiveDateTime": "2024-01-01",
    },
]
TRIAL_TEXT = "Inclusion Criteria:\n- Age 18 to 80 years\n- HbA1c between 7.0% and 10.5%\n\nExclusion Criteria:\n- Pregnant or breastfeeding"


@pytest.fixture
def client(store: Store) -> TestClient:
    return TestClient(create_app())


def _events(store: Store, action: str) -> list[dict[str, Any]]:
    with store.read_session() as session:
        events, _ = list_events(session, action=action, newest_first=False, limit=100)
    return [e.to_dict() for e in events]


def _comparable(event: dict[str, Any]) -> dict[str, Any]:
    return {
        "action": event["action"],
        "object_type": event["object_type"],
        "inputs": event["inputs"],
        "params": {k: v for k, v in (event["params"] or {}).items() if k != "channel"},
    }


def _login(client: TestClient, username: str) -> str:
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    client.post("/login", data={"username": username, "password": f"{username}-password", "csrf": csrf, "next": "/"})
    return re.search(r'name="csrf" value="([^"]+)"', client.get("/matching").text).group(1)


def _same(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if k != "stored"}


def test_trials_for_a_patient_same_on_every_channel(
    cli, client: TestClient, make_user, store: Store, tmp_path: Path
) -> None:
    patients, trials = tmp_path / "p.jsonl", tmp_path / "t.jsonl"
    patients.write_text(json.dumps({"_id": "pt1", "text": NOTE}) + "\n")
    trials.write_text("".join(json.dumps(t) + "\n" for t in TRIALS))
    res = cli("match", "trials", "--patients", str(patients), "--trials", str(trials), "--json")
    assert res.exit_code == 0, res.stderr
    by_cli = json.loads(res.stdout)
    _, _, token = make_user("sam", "scientist")
    api = client.post(
        f"{API_PREFIX}/matching/trials",
        json={"patients": [{"_id": "pt1", "text": NOTE}], "trials": TRIALS},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert api.status_code == 200, api.text
    csrf = _login(client, "sam")
    page = client.post(
        "/matching/trials",
        data={"patient_id": "pt1", "note": NOTE, "mode": "rerank", "csrf": csrf},
        files={"trials": ("t.jsonl", trials.read_bytes(), "application/x-ndjson")},
        follow_redirects=False,
    )
    assert page.status_code == 303, page.text
    shown = client.get(page.headers["location"])
    assert shown.status_code == 200 and "<mark>" in shown.text and "NCT10000001" in shown.text
    assert _same(by_cli) == _same(api.json())
    ranking = by_cli["results"][0]["ranking"]
    assert ranking[0]["nct_id"] == "NCT10000001" and ranking[-1]["score"] < 0  # men-only and asthma trials last
    events = _events(store, "match.trials")
    assert [e["params"]["channel"] for e in events] == ["cli", "api", "web"]
    assert all(_comparable(e) == _comparable(events[0]) for e in events)
    assert [e["object_id"] for e in events] == ["trial-match@1", "trial-match@2", "trial-match@3"]


def test_patients_for_a_trial_same_on_every_channel(
    cli, client: TestClient, make_user, store: Store, tmp_path: Path
) -> None:
    trial_doc = ctgov("NCT20000001", TRIAL_TEXT, minimumAge="18 Years")
    trial, fhir = tmp_path / "trial.json", tmp_path / "patients.ndjson"
    trial.write_text(json.dumps(trial_doc))
    fhir.write_text("".join(json.dumps(r) + "\n" for r in FHIR))
    res = cli("match", "patients", "--trial", str(trial), "--patients", str(fhir), "--json")
    assert res.exit_code == 0, res.stderr
    by_cli = json.loads(res.stdout)
    _, _, token = make_user("sam", "scientist")
    api = client.post(
        f"{API_PREFIX}/matching/patients",
        json={"trial": trial_doc, "resources": FHIR},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert api.status_code == 200, api.text
    csrf = _login(client, "sam")
    page = client.post(
        "/matching/patients",
        data={"csrf": csrf},
        files={
            "trial": ("trial.json", trial.read_bytes(), "application/json"),
            "patients": ("p.ndjson", fhir.read_bytes(), "application/x-ndjson"),
        },
        follow_redirects=False,
    )
    assert page.status_code == 303, page.text
    shown = client.get(page.headers["location"])
    assert shown.status_code == 200 and 'data-testid="matching-funnel"' in shown.text
    assert _same(by_cli) == _same(api.json())
    # pa: HbA1c 8.1 -> eligible; pb: 14 years old -> excluded; pc: HbA1c 11.5 -> excluded
    assert by_cli["eligible"] == ["pa"] and sorted(by_cli["excluded"]) == ["pb", "pc"]
    assert by_cli["funnel"][-1] == {
        "criterion": "(not enough information on at least one criterion)",
        "removed": 0,
        "remaining": 1,
    }
    events = _events(store, "match.patients")
    assert [e["params"]["channel"] for e in events] == ["cli", "api", "web"]
    assert all(_comparable(e) == _comparable(events[0]) for e in events)


def test_refusals_on_every_channel(cli, client: TestClient, make_user, store: Store, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"_id": "x", "text": "note"}\n')
    res = cli("match", "trials", "--patients", str(bad), "--trials", str(tmp_path / "missing.jsonl"))
    assert res.exit_code == 2 and "missing.jsonl" in res.stderr and "no such file" in res.stderr
    res = cli("match", "trials", "--patients", str(bad), "--trials", str(bad), "--mode", "fast")
    assert res.exit_code == 2 and "unknown mode 'fast'" in res.stderr
    _, _, token = make_user("sam", "scientist")
    auth = {"Authorization": f"Bearer {token}"}
    api = client.post(
        f"{API_PREFIX}/matching/trials",
        json={"patients": [{"_id": "x", "text": "n"}], "trials": TRIALS, "deidentify": False},
        headers=auth,
    )
    assert api.status_code == 403 and "PHI" in api.json()["detail"]
    api = client.post(
        f"{API_PREFIX}/matching/trials", json={"patients_file": "/etc/passwd", "trials": TRIALS}, headers=auth
    )
    assert api.status_code == 422 and "patients_file" in api.text
    _, _, viewer = make_user("vic", "viewer")
    api = client.post(
        f"{API_PREFIX}/matching/trials",
        json={"patients": [{"_id": "x", "text": "n"}], "trials": TRIALS},
        headers={"Authorization": f"Bearer {viewer}"},
    )
    assert api.status_code == 403
    csrf = _login(client, "sam")
    page = client.post("/matching/trials", data={"patient_id": "x", "note": " ", "csrf": csrf}, follow_redirects=False)
    assert page.status_code == 422 and "note" in page.text and "a patient note is required" in page.text
    assert _events(store, "match.*") == []
