"""The ``pharmakon trialdata`` contracts: JSON keys, exit codes, errors naming file and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


# primary (it reads QS, the largest domain) is checked through the service in test_tlf.py
@pytest.mark.parametrize("table", ["demographics", "km"])
def test_tlf_json_has_the_reference_keys(cli, pharmakon_home: Path, pilot: Path, reference: dict, table: str) -> None:
    res = cli("trialdata", "tlf", "--study", str(pilot), "--table", table, "--json")
    assert res.exit_code == 0, res.stderr
    out = json.loads(res.stdout)
    expected = reference[out["reference_key"]]
    assert {k: out[k] for k in expected if k != "model"} == {k: v for k, v in expected.items() if k != "model"}


def test_review_json_contract(cli, pharmakon_home: Path, small_study: Path) -> None:
    res = cli("trialdata", "review", "--sdtm", str(small_study / "sdtm"), "--adam", str(small_study / "adam"), "--json")
    assert res.exit_code == 0, res.stderr
    queries = json.loads(res.stdout)["queries"]
    assert queries and all({"domain", "usubjid", "seq", "variable", "rule", "evidence"} <= set(q) for q in queries)
    assert any(q["seq"] is None for q in queries) and any(isinstance(q["seq"], float) for q in queries)


def test_validate_json_and_bad_input(cli, pharmakon_home: Path, small_study: Path, tmp_path: Path) -> None:
    res = cli("trialdata", "validate", "--sdtm", str(small_study / "sdtm"), "--json")
    assert res.exit_code == 0, res.stderr
    findings = json.loads(res.stdout)["findings"]
    assert all(set(f) >= {"domain", "row", "variable", "rule"} for f in findings)
    sdtm = tmp_path / "sdtm"
    sdtm.mkdir()
    (sdtm / "dm.csv").write_text("STUDYID,DOMAIN,USUBJID,RFSTDTC\nS,DM,1,2014-13-01\n")
    res = cli("trialdata", "validate", "--sdtm", str(sdtm), "--json")
    rules = {(f["variable"], f["rule"]) for f in json.loads(res.stdout)["findings"]}
    assert ("RFSTDTC", "iso8601") in rules and ("SEX", "required_variable") in rules
    (sdtm / "ae.xpt").write_text("not an xport file")
    res = cli("trialdata", "validate", "--sdtm", str(sdtm))
    assert res.exit_code == 2 and "ae.xpt" in res.stderr and "XPORT" in res.stderr


def test_unknown_table_and_query(cli, pharmakon_home: Path, pilot: Path) -> None:
    res = cli("trialdata", "tlf", "--study", str(pilot), "--table", "listing")
    assert res.exit_code == 2 and "table" in res.stderr
    res = cli("trialdata", "answer", "nope", "0123456789abcdef", "--text", "x")
    assert res.exit_code == 4 and "nope" in res.stderr
