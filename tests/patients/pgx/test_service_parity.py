"""One request, every channel: the CLI, the REST API, the workbench and Python give the
same result and the same audit event (apart from ``actor`` and ``params["channel"]``)."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

from pharmakon.api.app import API_PREFIX
from pharmakon.caller import Caller
from pharmakon.patients.pgx.service import (
    BatchSpec,
    CallSpec,
    WarfarinCohortSpec,
    WarfarinPatient,
    WarfarinPatientsSpec,
    batch_call_file,
    call_vcf_file,
    dose_warfarin_cohort,
    dose_warfarin_patients,
)
from pharmakon.server import create_app
from pharmakon.store import Store, list_events
from tests.conftest import MIRROR

EX = MIRROR / "pharmcat" / "example_report"
VCF, OUTSIDE = EX / "pharmcat.example2.vcf", EX / "pharmcat.example.outsideCall.tsv"
COMPARED = ("action", "object_type", "object_id", "inputs", "outputs", "reason")


@pytest.fixture
def client(store: Store) -> TestClient:
    return TestClient(create_app())


def _login(client: TestClient, username: str) -> str:
    """Log in through the form; the CSRF token of the new session."""
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    client.post("/login", data={"username": username, "password": f"{username}-password", "csrf": csrf, "next": "/"})
    return re.search(r'name="csrf" value="([^"]+)"', client.get("/pgx").text).group(1)


def _events(store: Store, action: str) -> list[dict]:
    with store.read_session() as session:
        events, _ = list_events(session, action=action)
    return sorted((e.to_dict() for e in events), key=lambda e: e["seq"])


def _same_event(events: list[dict], channels: list[str]) -> None:
    """Every event equal on what was done, to what, with what; ``channel`` names the front end."""
    assert [e["params"]["channel"] for e in events] == channels
    first = events[0]
    for e in events[1:]:
        assert {k: e[k] for k in COMPARED} == {k: first[k] for k in COMPARED}
        assert {k: v for k, v in e["params"].items() if k != "channel"} == {
            k: v for k, v in first["params"].items() if k != "channel"
        }


def test_call_is_the_same_through_every_channel(cli, client: TestClient, store: Store, make_user) -> None:
    _, _, token = make_user("vic", "viewer")
    res = cli("pgx", "call", str(VCF), "--outside-call", str(OUTSIDE), "--json")
    assert res.exit_code == 0, res.stderr
    by_cli = json.loads(res.stdout)

    files = {"vcf": (VCF.name, VCF.read_bytes()), "outside_call": (OUTSIDE.name, OUTSIDE.read_bytes())}
    api = client.post(f"{API_PREFIX}/pgx/call", files=files, headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200, api.text
    (by_api,) = api.json()

    csrf = _login(client, "vic")
    page = client.post("/pgx/call", files=files, data={"csrf": csrf})
    assert page.status_code == 200, page.text
    assert re.search(r"CYP2C19</td><td>\*2/\*2</td><td>Poor Metabolizer", page.text)

    by_python = call_vcf_file(store, CallSpec(vcf=VCF, outside_call=OUTSIDE), Caller("ana", "python"))
    assert by_cli == by_api == by_python.reports[0].to_dict()
    assert by_cli["genes"]["CYP2C19"]["diplotypes"] == ["*2/*2"]

    events = _events(store, "pgx.call")
    _same_event(events, ["cli", "api", "web", "python"])
    assert events[0]["object_id"] == VCF.name and set(events[0]["inputs"]) == {"vcf", "outside_call"}
    assert [e["actor"] for e in events[1:]] == ["vic", "vic", "ana"]


def test_storing_a_report_is_the_same_through_api_and_workbench(client: TestClient, store: Store, make_user) -> None:
    _, _, token = make_user("sam", "scientist")
    files = {"vcf": (VCF.name, VCF.read_bytes()), "outside_call": (OUTSIDE.name, OUTSIDE.read_bytes())}
    api = client.post(f"{API_PREFIX}/pgx/reports", files=files, headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 201, api.text
    assert api.json() == [{"name": "Sample_2", "version": 1, "sample": "Sample_2"}]
    csrf = _login(client, "sam")
    page = client.post("/pgx/call", files=files, data={"csrf": csrf, "save": "1"})
    assert page.status_code == 200 and "stored" in page.text

    events = _events(store, "pgx.call")
    assert [e["outputs"].pop("saved") for e in events] == ["Sample_2@1", "Sample_2@2"]
    _same_event(events, ["api", "web"])
    stored = client.get(f"{API_PREFIX}/pgx/reports/Sample_2", headers={"Authorization": f"Bearer {token}"}).json()
    assert stored["version"] == 2 and stored["source"] == f"{VCF.name} sha256:{events[0]['inputs']['vcf']}"
    saves = [e for e in _events(store, "object.save") if e["object_type"] == "pgx_report"]
    assert [(e["actor"], e["object_id"]) for e in saves] == [("sam", "Sample_2@1"), ("sam", "Sample_2@2")]


def test_batch_is_the_same_through_cli_workbench_and_python(
    cli, client: TestClient, store: Store, make_user, tmp_path
) -> None:
    from pharmakon.patients.pgx import write_synthetic_vcf

    make_user("vic", "viewer")
    vcf = write_synthetic_vcf(tmp_path / "c.vcf", 12, seed=2, p_missing=0.05)
    groups = tmp_path / "g.csv"
    groups.write_text("sample,group\n" + "".join(f"S{i:06d},{'A' if i < 10 else 'B'}\n" for i in range(12)))
    res = cli(
        "pgx",
        "batch",
        str(vcf),
        "-o",
        str(tmp_path / "o.tsv"),
        "--backend",
        "serial",
        "--groups",
        str(groups),
        "--json",
    )
    assert res.exit_code == 0, res.stderr
    by_cli = json.loads(res.stdout)

    csrf = _login(client, "vic")
    files = {"vcf": (vcf.name, vcf.read_bytes()), "groups": (groups.name, groups.read_bytes())}
    page = client.post("/pgx/fairness", files=files, data={"csrf": csrf})
    assert page.status_code == 200, page.text
    assert 'data-testid="pgx-coverage-samples"' in page.text and "small group" in page.text

    spec = BatchSpec(vcf=vcf, groups=groups, backend="serial")
    by_python = batch_call_file(store, spec, Caller("ana", "python"))
    assert by_cli == {**by_python.to_dict(), "out": str(tmp_path / "o.tsv")}
    assert [(r["group"], r["n_samples"], r["small_group"]) for r in by_cli["coverage_by_sample"]] == [
        ("A", 10, True),
        ("B", 2, True),
    ]
    _same_event(_events(store, "pgx.batch"), ["cli", "web", "python"])


def test_warfarin_is_the_same_through_each_channel(cli, client: TestClient, store: Store, make_user, tmp_path) -> None:
    _, _, token = make_user("vic", "viewer")
    patient = {"id": "p1", "race": "White", "age": "50 - 59", "height_cm": 175, "weight_kg": 80, "cyp2c9": "*1/*1"}
    api = client.post(f"{API_PREFIX}/pgx/warfarin", json=[patient], headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200, api.text
    spec = WarfarinPatientsSpec(patients=[WarfarinPatient(**patient)])
    by_python = dose_warfarin_patients(store, spec, Caller("ana", "python"))
    assert api.json() == [d.model_dump(mode="json") for d in by_python.doses]
    assert api.json()[0]["PharmGKB Subject ID"] == "p1" and api.json()[0]["not_dosed_reason"] == ""
    _same_event(_events(store, "pgx.warfarin"), ["api", "python"])

    cohort = MIRROR / "iwpc_warfarin" / "warfarin.csv"
    res = cli("pgx", "warfarin", "--cohort", str(cohort), "-o", str(tmp_path / "d.csv"), "--json")
    assert res.exit_code == 0, res.stderr
    by_cohort = dose_warfarin_cohort(
        store, WarfarinCohortSpec(cohort=cohort, out=tmp_path / "e.csv"), Caller("ana", "python")
    )
    assert json.loads(res.stdout) == {**by_cohort.to_dict(), "out": str(tmp_path / "d.csv")}
    events = _events(store, "pgx.warfarin")[2:]
    _same_event(events, ["cli", "python"])
    assert round(float(events[0]["outputs"]["mae_clinical"]), 2) == 9.98 and events[0]["object_id"] == cohort.name
