"""Validation: every failure is a finding naming domain, row, variable and rule."""

from __future__ import annotations

import pandas as pd

from pharmakon.trials.cdisc.validate import Finding, iso8601_valid, validate_domains


def _sdtm(pilot_domains: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    return {k: v.copy() for k, v in pilot_domains.items() if not k.startswith("AD")}


def test_pilot_findings_are_only_aes_outside_the_reference_period(pilot_domains) -> None:
    findings = validate_domains(_sdtm(pilot_domains))
    assert {f.rule for f in findings} == {"ae_in_reference_period"}
    assert len(findings) == 45  # AEs starting before RFSTDTC (the review's ae_before_first_dose finds the same 45)
    first = findings[0]
    assert (first.domain, first.variable) == ("AE", "AESTDTC") and first.row >= 1


def test_each_kind_of_bad_input_is_a_finding(pilot_domains) -> None:
    d = _sdtm(pilot_domains)
    d["DM"] = d["DM"].drop(columns=["SEX"])
    ae = d["AE"]
    ae.loc[3, "AESTDTC"] = "2014-02-30"  # not a calendar date
    ae.loc[7, "AEENDTC"] = "03/04/2014"  # not ISO 8601
    ae.loc[6, "AESEV"] = "HUGE"  # outside the codelist
    ae.loc[5, ["USUBJID", "AESEQ"]] = ae.loc[4, ["USUBJID", "AESEQ"]].to_numpy()  # key repeated
    ae.loc[9, "USUBJID"] = "01-999-9999"  # not in DM
    ae.loc[10, "AETERM"] = None  # required value blank
    found = set(validate_domains(d))
    assert Finding("DM", None, "SEX", "required_variable") in found
    assert Finding("AE", 4, "AESTDTC", "iso8601", "2014-02-30") in found
    assert Finding("AE", 8, "AEENDTC", "iso8601", "03/04/2014") in found
    assert Finding("AE", 7, "AESEV", "controlled_terms", "HUGE") in found
    assert {Finding("AE", 5, "USUBJID,AESEQ", "key_unique"), Finding("AE", 6, "USUBJID,AESEQ", "key_unique")} <= found
    assert Finding("AE", 10, "USUBJID", "subject_in_dm", "01-999-9999") in found
    assert any(f.rule == "required_value" and f.row == 11 and f.variable == "AETERM" for f in found)


def test_iso8601_partial_dates_and_times() -> None:
    values = pd.Series(["2014", "2014-01", "2014-01-02T11:45", "2014-13", "2014-01-02T25:00", "20140102", None])
    assert iso8601_valid(values).tolist() == [True, True, True, False, False, False, True]
