"""REST endpoints: call an uploaded VCF, store a report (audited), warfarin doses; roles enforced."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from pharmakon.api.app import API_PREFIX
from pharmakon.server import create_app
from pharmakon.store import Store, list_events
from tests.conftest import MIRROR

EX = MIRROR / "pharmcat" / "example_report"


@pytest.fixture
def client(store: Store) -> TestClient:
    return TestClient(create_app())


def _files():
    return {
        "vcf": ("example2.vcf", (EX / "pharmcat.example2.vcf").read_bytes()),
        "outside_call": ("oc.tsv", (EX / "pharmcat.example.outsideCall.tsv").read_bytes()),
    }


def test_call_and_store_report(client: TestClient, store: Store, make_user) -> None:
    _, _, viewer = make_user("vic", "viewer")
    _, _, sci = make_user("sam", "scientist")
    res = client.post(f"{API_PREFIX}/pgx/call", files=_files(), headers={"Authorization": f"Bearer {viewer}"})
    assert res.status_code == 200, res.text
    (rep,) = res.json()
    assert rep["genes"]["CYP2C19"]["diplotypes"] == ["*2/*2"] and rep["genes"]["CYP2D6"]["phenotype"]
    denied = client.post(f"{API_PREFIX}/pgx/reports", files=_files(), headers={"Authorization": f"Bearer {viewer}"})
    assert denied.status_code == 403
    saved = client.post(
        f"{API_PREFIX}/pgx/reports", files=_files(), data={"reason": "test"}, headers={"Authorization": f"Bearer {sci}"}
    )
    assert saved.status_code == 201, saved.text
    name = saved.json()[0]["name"]
    got = client.get(f"{API_PREFIX}/pgx/reports/{name}", headers={"Authorization": f"Bearer {viewer}"}).json()
    assert got["report"]["genes"]["CYP2C19"]["phenotype"] == "Poor Metabolizer"
    with store.read_session() as session:
        events, _ = list_events(session, action="object.save", object_type="pgx_report")
    assert [e.to_dict()["actor"] for e in events] == ["sam"]


def test_bad_vcf_is_422(client: TestClient, make_user) -> None:
    _, _, viewer = make_user("vic", "viewer")
    bad = b"##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS\nchr10\tabc\t.\tC\n"
    res = client.post(
        f"{API_PREFIX}/pgx/call", files={"vcf": ("bad.vcf", bad)}, headers={"Authorization": f"Bearer {viewer}"}
    )
    assert res.status_code == 422 and "malformed" in res.json()["detail"]
    assert "bad.vcf" in res.json()["detail"] and "/tmp" not in res.json()["detail"]


def test_warfarin_endpoint(client: TestClient, make_user) -> None:
    _, _, viewer = make_user("vic", "viewer")
    body = [
        {
            "id": "p1",
            "race": "White",
            "age": "50 - 59",
            "height_cm": 175,
            "weight_kg": 80,
            "cyp2c9": "*1/*1",
            "vkorc1_1639": "G/G",
        }
    ]
    res = client.post(f"{API_PREFIX}/pgx/warfarin", json=body, headers={"Authorization": f"Bearer {viewer}"})
    assert res.status_code == 200, res.text
    expected = (5.6044 - 0.2614 * 5 + 0.0087 * 175 + 0.0128 * 80) ** 2
    assert res.json()[0]["pgx_dose_mg_week"] == pytest.approx(expected)


def test_warfarin_endpoint_takes_each_inducer_and_amiodarone(client: TestClient, make_user) -> None:
    _, _, viewer = make_user("vic", "viewer")
    base = {
        "race": "Asian",
        "age": "60 - 69",
        "height_cm": 160,
        "weight_kg": 60,
        "cyp2c9": "*1/*3",
        "vkorc1_1639": "A/A",
    }
    body = [
        {**base, "id": "none"},
        {**base, "id": "cbz", "carbamazepine": True},
        {**base, "id": "pht", "phenytoin": True},
        {**base, "id": "rif", "rifampin": True},
        {**base, "id": "ami", "amiodarone": True},
        {**base, "id": "both", "phenytoin": True, "rifampin": True, "amiodarone": True},
    ]
    res = client.post(f"{API_PREFIX}/pgx/warfarin", json=body, headers={"Authorization": f"Bearer {viewer}"})
    assert res.status_code == 200, res.text
    dose = {r["PharmGKB Subject ID"]: r["pgx_dose_mg_week"] for r in res.json()}
    s0 = 5.6044 - 0.2614 * 6 + 0.0087 * 160 + 0.0128 * 60 - 1.6974 - 0.9357 - 0.1092
    assert dose["none"] == pytest.approx(s0**2)
    for drug in ("cbz", "pht", "rif"):
        assert dose[drug] == pytest.approx((s0 + 1.1816) ** 2)
    assert dose["ami"] == pytest.approx((s0 - 0.5503) ** 2)
    assert dose["both"] == pytest.approx((s0 + 1.1816 - 0.5503) ** 2)  # one inducer term, not two
    old = client.post(
        f"{API_PREFIX}/pgx/warfarin",
        json=[{**base, "id": "x", "enzyme_inducer": True}],
        headers={"Authorization": f"Bearer {viewer}"},
    )
    assert old.status_code == 422


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("race", "Martian", "race 'Martian' is not an IWPC race"),
        ("cyp2c9", "banana", "CYP2C9 genotype 'banana' is not a star-allele pair"),
        ("vkorc1_1639", "G/T", "VKORC1 -1639 genotype 'G/T' is not recognised"),
        ("age", "old", "age 'old' is not recognised"),
    ],
)
def test_warfarin_refuses_an_unknown_value_naming_the_field(
    client: TestClient, store: Store, make_user, field, value, message
) -> None:
    _, _, viewer = make_user("vic", "viewer")
    base = {"id": "p1", "race": "White", "age": "50 - 59", "height_cm": 175, "weight_kg": 80, "cyp2c9": "*1/*1"}
    res = client.post(
        f"{API_PREFIX}/pgx/warfarin",
        json=[base, {**base, "id": "p2", field: value}],
        headers={"Authorization": f"Bearer {viewer}"},
    )
    assert res.status_code == 422, res.text
    assert field in res.text and message in res.text and "accepted:" in res.text
    with store.read_session() as session:
        events, _ = list_events(session, action="pgx.warfarin")
    assert not events


def test_warfarin_matches_the_documented_spellings_without_case(client: TestClient, make_user) -> None:
    _, _, viewer = make_user("vic", "viewer")
    base = {"race": "White", "age": "50 - 59", "height_cm": 175, "weight_kg": 80, "cyp2c9": "*1/*2"}
    body = [
        {**base, "id": "canonical", "vkorc1_1639": "A/G"},
        {**base, "id": "lower", "race": "white", "vkorc1_1639": "g/a", "cyp2c9": "*2/*1"},
        {**base, "id": "unknown", "race": "Unknown", "vkorc1_1639": "A/G"},
    ]
    res = client.post(f"{API_PREFIX}/pgx/warfarin", json=body, headers={"Authorization": f"Bearer {viewer}"})
    assert res.status_code == 200, res.text
    dose = {r["PharmGKB Subject ID"]: r["pgx_dose_mg_week"] for r in res.json()}
    assert dose["lower"] == dose["canonical"] != dose["unknown"]


def test_seed_example_is_idempotent(store: Store) -> None:
    from pharmakon.config import get_settings
    from pharmakon.patients.pgx.persist import seed_example

    first = seed_example(store, get_settings())
    assert "CYP2C19 *2/*2 Poor Metabolizer" in first and "8.62 / 9.98 / 13.26" in first
    assert "already present" in seed_example(store, get_settings())
