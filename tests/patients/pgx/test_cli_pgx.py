"""``pharmakon pgx`` contracts: call --json, -o outputs, warfarin CSV, batch, bad input."""

from __future__ import annotations

import csv
import json

import pytest

from pharmakon.config import get_settings
from tests.conftest import MIRROR

EX = MIRROR / "pharmcat" / "example_report"


def _flat(text: str) -> str:
    """Captured stderr with whitespace runs collapsed: Rich wraps messages at the terminal width."""
    return " ".join(text.split())


@pytest.fixture(autouse=True)
def _home(pharmakon_home, monkeypatch):
    monkeypatch.setenv("PHARMAKON_DATA_MIRROR", str(MIRROR))
    get_settings.cache_clear()


def test_call_json_contract(cli):
    res = cli(
        "pgx",
        "call",
        str(EX / "pharmcat.example2.vcf"),
        "--outside-call",
        str(EX / "pharmcat.example.outsideCall.tsv"),
        "--json",
    )
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["sample"] == "Sample_2"
    cyp = data["genes"]["CYP2C19"]
    assert cyp["diplotypes"] == ["*2/*2"] and cyp["phenotype"] == "Poor Metabolizer"
    assert cyp["activity_score"] is None and cyp["missing_positions"] == []
    assert data["genes"]["CYP2D6"]["activity_score"] == 1.0
    assert any(r["drug"] == "clopidogrel" and r["source"] == "CPIC" for r in data["recommendations"])


def test_call_writes_outputs(cli, tmp_path):
    res = cli("pgx", "call", str(EX / "pharmcat.example.vcf"), "-o", str(tmp_path / "out"))
    assert res.exit_code == 0, res.stderr
    assert {p.name for p in (tmp_path / "out").iterdir()} == {"Sample_1.json", "Sample_1.html", "summary.tsv"}


def test_call_bad_outside_gene(cli, tmp_path):
    oc = tmp_path / "oc.tsv"
    oc.write_text("NOTAGENE\t*1/*1\n")
    res = cli("pgx", "call", str(EX / "pharmcat.example.vcf"), "--outside-call", str(oc), "--json")
    assert res.exit_code == 2
    assert "unknown gene 'NOTAGENE'" in _flat(res.stderr) and "row 1" in _flat(res.stderr)


def test_call_missing_file(cli, tmp_path):
    res = cli("pgx", "call", str(tmp_path / "nope.vcf"))
    assert res.exit_code == 2 and "not found" in _flat(res.stderr)


def test_warfarin_contract(cli, tmp_path):
    out = tmp_path / "doses.csv"
    res = cli("pgx", "warfarin", "--cohort", str(MIRROR / "iwpc_warfarin" / "warfarin.csv"), "-o", str(out), "--json")
    assert res.exit_code == 0, res.stderr
    summary = json.loads(res.stdout)
    assert round(summary["mae_mg_week"]["clinical"], 2) == 9.98
    by_race = {r["group"]: r for r in summary["mae_by_race"]}
    assert sum(r["n"] for r in by_race.values()) == summary["mae_mg_week"]["n"]
    assert by_race["Black or African American"]["mae_pharmacogenetic"] > by_race["Asian"]["mae_pharmacogenetic"]
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 5700
    assert list(rows[0])[:4] == [
        "PharmGKB Subject ID",
        "pgx_dose_mg_week",
        "clinical_dose_mg_week",
        "fixed_dose_mg_week",
    ]
    undosed = [r for r in rows if not r["pgx_dose_mg_week"]]
    assert undosed and all(r["not_dosed_reason"].startswith("missing") for r in undosed)


def test_batch_command_with_groups(cli, tmp_path):
    from pharmakon.patients.pgx import write_synthetic_vcf

    vcf = write_synthetic_vcf(tmp_path / "c.vcf", 20, seed=5)
    groups = tmp_path / "g.csv"
    groups.write_text("sample,group\n" + "".join(f"S{i:06d},{'X' if i % 2 else 'Y'}\n" for i in range(20)))
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
    data = json.loads(res.stdout)
    assert data["n_rows"] == 220 and {c["group"] for c in data["coverage"]} == {"X", "Y"}


def test_call_with_reference_recognises_a_right_aligned_repeat(cli, tmp_path):
    from tests.patients.pgx.test_normalize import UGT, _ugt_region, rec, respell

    vcf = respell("UGT1A1/s28het.vcf", tmp_path, {UGT}, [rec("chr2", UGT + 14, "T", "TAT", "0/1")])
    plain = json.loads(cli("pgx", "call", str(vcf), "--json").stdout)["genes"]["UGT1A1"]
    assert UGT in plain["missing_positions"]
    res = cli("pgx", "call", str(vcf), "--reference", str(_ugt_region(tmp_path)), "--json")
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["genes"]["UGT1A1"]["diplotypes"] == ["*1/*28"]
    bad = cli("pgx", "call", str(vcf), "--reference", str(tmp_path / "none.fa"))
    assert bad.exit_code == 2 and "reference FASTA" in _flat(bad.stderr)
