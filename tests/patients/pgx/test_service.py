"""The PGx service itself: uploads, spec checks, typed results, the seeded example's events."""

from __future__ import annotations

import gzip
import io

import pytest

from pharmakon.caller import Caller
from pharmakon.errors import InputError
from pharmakon.patients.pgx import write_synthetic_vcf
from pharmakon.patients.pgx.service import (
    MAX_UPLOAD_BYTES,
    BatchSpec,
    CallSpec,
    Upload,
    call_vcf_file,
    call_vcf_uploads,
    get_report,
    iwpc_fairness,
    list_reports,
    spooled_uploads,
)
from pharmakon.specs import build_spec
from pharmakon.store import Store, list_events
from tests.conftest import MIRROR

EX = MIRROR / "pharmcat" / "example_report"
ANA = Caller("ana", "python")


def test_spooled_uploads_detect_gzip_and_name_the_upload_in_errors() -> None:
    data = gzip.compress(b"##fileformat=VCFv4.2\n")
    with spooled_uploads({"vcf": (Upload("x.vcf.gz", io.BytesIO(data)), ".vcf")}) as paths:
        assert paths["vcf"].name == "vcf.vcf.gz" and paths["vcf"].read_bytes() == data
    assert not paths["vcf"].exists()  # removed on exit
    with pytest.raises(InputError) as err:
        with spooled_uploads({"vcf": (Upload("C:\\data\\mine.vcf", io.BytesIO(b"x")), ".vcf")}) as paths:
            raise InputError("bad", file=str(paths["vcf"]))
    assert str(err.value) == "file mine.vcf: bad"
    with pytest.raises(InputError, match="upload empty.vcf is empty"):
        with spooled_uploads({"vcf": (Upload("empty.vcf", io.BytesIO(b"")), ".vcf")}):
            pass


def test_upload_size_limit(monkeypatch) -> None:
    import pharmakon.patients.pgx.service as service

    monkeypatch.setattr(service, "MAX_UPLOAD_BYTES", 10)
    with pytest.raises(InputError, match="larger than"):
        with spooled_uploads({"vcf": (Upload("big.vcf", io.BytesIO(b"x" * 11)), ".vcf")}):
            pass
    assert MAX_UPLOAD_BYTES == 200 * 2**20


def test_spec_defaults_and_bounds_are_checked_once() -> None:
    spec = build_spec(BatchSpec, vcf="c.vcf", chunk_size=None, backend=None)
    assert spec.chunk_size == 1000 and spec.backend is None and spec.min_group == 50
    with pytest.raises(InputError) as err:
        build_spec(BatchSpec, vcf="c.vcf", chunk_size=0)
    assert err.value.field == "chunk_size"
    with pytest.raises(InputError, match="unknown key .unknown."):
        build_spec(CallSpec, vcf="x.vcf", unknown=1)


def test_a_name_for_several_samples_is_refused(store: Store, tmp_path) -> None:
    vcf = write_synthetic_vcf(tmp_path / "c.vcf", 2, seed=1)
    with pytest.raises(InputError, match="one sample"):
        call_vcf_file(store, CallSpec(vcf=vcf, save=True, name="mine"), ANA)
    with store.read_session() as session:
        assert list_events(session, action="pgx.call")[0] == []  # nothing audited for a refused request


def test_call_writes_files_and_stores_reports(store: Store, tmp_path) -> None:
    upload = Upload("ex2.vcf", (EX / "pharmcat.example2.vcf").open("rb"))
    result = call_vcf_uploads(store, ANA, upload, Upload("", io.BytesIO()), save=True, reason="check")
    assert result.vcf == "ex2.vcf" and [s.name for s in result.saved] == ["Sample_2"]
    assert "CYP2C19" in result.summary() and set(result.to_frame()["gene"]) >= {"CYP2C19", "TPMT"}
    assert [r.name for r in list_reports(store)] == ["Sample_2"]
    stored = get_report(store, "Sample_2")
    assert stored.report == result.reports[0] and stored.source.startswith("ex2.vcf sha256:")
    out = call_vcf_file(store, CallSpec(vcf=EX / "pharmcat.example.vcf", out=tmp_path / "o"), ANA)
    assert sorted(p.rsplit("/", 1)[1] for p in out.files) == ["Sample_1.html", "Sample_1.json", "summary.tsv"]
    with store.read_session() as session:
        events, _ = list_events(session, action="pgx.call")
    records = sorted((e.to_dict() for e in events), key=lambda e: e["seq"])
    assert [(e["params"]["save"], e["reason"]) for e in records] == [(True, "check"), (False, None)]
    assert "files" in records[1]["outputs"] and "saved" in records[0]["outputs"]


def test_iwpc_fairness_tables() -> None:
    fair = iwpc_fairness()
    assert fair.mae_mg_week.n == 4386 and round(fair.mae_mg_week.clinical, 2) == 9.98
    assert {r.group for r in fair.mae_by_race} == {"Asian", "Black or African American", "Unknown", "White"}
    assert "MAE (n=4386)" in fair.summary() and len(fair.to_frame()) == len(fair.coverage_by_race)


def test_seed_example_goes_through_the_service(store: Store) -> None:
    from pharmakon.config import get_settings
    from pharmakon.patients.pgx.persist import seed_example

    seed_example(store, get_settings())
    with store.read_session() as session:
        for action in ("pgx.call", "pgx.warfarin"):
            (event,), _ = list_events(session, action=action)
            record = event.to_dict()
            assert record["actor"] == "seed" and record["params"]["channel"] == "python"


def test_every_pgx_route_documents_its_response(store: Store) -> None:
    from pharmakon.server import create_app

    paths = create_app().openapi()["paths"]
    pgx = {p: ops for p, ops in paths.items() if p.startswith("/api/v1/pgx")}
    assert len(pgx) == 4
    for path, ops in pgx.items():
        for method, op in ops.items():
            ok = op["responses"].get("200") or op["responses"].get("201")
            schema = ok["content"]["application/json"]["schema"]
            assert "$ref" in schema or "$ref" in schema.get("items", {}), (method, path, schema)
