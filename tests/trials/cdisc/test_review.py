"""Data review: injected anomalies of every type are found (recall >= 0.9); queries follow the contract."""

from __future__ import annotations

import pandas as pd
import pytest

from pharmakon.trials.cdisc.inject import ANOMALY_TYPES, EXPECTED_RULES, inject_anomalies
from pharmakon.trials.cdisc.review import review_domains


def recall_by_type(queries: pd.DataFrame, truth: pd.DataFrame) -> dict[str, float]:
    """Share of injected anomalies with a query of an expected rule on the changed record."""
    out = {}
    for kind, group in truth.groupby("type"):
        hits = 0
        for row in group.itertuples():
            match = queries[(queries["domain"] == row.domain) & (queries["usubjid"] == row.usubjid)]
            match = match[match["rule"].isin(EXPECTED_RULES[kind])]
            if pd.notna(row.seq):
                match = match[match["seq"] == row.seq]
            hits += int(len(match) > 0)
        out[kind] = hits / len(group)
    return out


@pytest.fixture(scope="module")
def clean_queries(pilot_domains) -> pd.DataFrame:
    return review_domains(pilot_domains)


def test_injected_anomalies_recall(pilot_domains) -> None:
    changed, truth = inject_anomalies(pilot_domains, n_per_type=10, seed=11)
    assert set(truth["type"]) == set(ANOMALY_TYPES)
    recall = recall_by_type(review_domains(changed), truth)
    assert min(recall.values()) >= 0.9, recall


def test_queries_follow_the_contract(clean_queries: pd.DataFrame) -> None:
    assert {"domain", "usubjid", "seq", "variable", "rule", "evidence"} <= set(clean_queries.columns)
    assert clean_queries["id"].is_unique
    ae = clean_queries[clean_queries["rule"] == "ae_before_first_dose"]
    assert len(ae) == 45 and ae["seq"].notna().all()
    iforest = clean_queries[clean_queries["rule"] == "isolation_forest"]
    assert len(iforest) == 3 and iforest["seq"].isna().all()  # subject-level: seq is null
    assert all(isinstance(e, dict) and e for e in clean_queries["evidence"])


def test_clean_pilot_queries_of_rules_it_does_not_break(clean_queries: pd.DataFrame) -> None:
    # the pilot has no impossible dates, values, unit changes, off-protocol doses or DS/ADSL mismatches
    absent = {"invalid_date", "impossible_value", "dose_off_protocol", "disposition_mismatch"}
    assert not absent & set(clean_queries["rule"])
    # only the rare original units of site 706 (temperatures in C, one weight in kg), correctly standardised
    units = clean_queries[clean_queries["rule"] == "unit_mismatch"]
    assert len(units) == 8 and set(units["variable"]) == {"VSORRESU"} and set(units["site"]) == {"706"}


def test_other_ways_to_break_disposition_treatment_and_units(pilot_domains) -> None:
    d = {k: v.copy() for k, v in pilot_domains.items()}
    d["ADSL"].loc[0, "EOSSTT"] = "DISCONTINUED"  # ADSL says discontinued, DS says completed
    first_placebo = d["EX"].index[d["EX"]["EXTRT"] == "PLACEBO"][0]
    d["EX"].loc[first_placebo, "EXTRT"] = "XANOMELINE"  # drug given in the placebo arm
    d["LB"].loc[5, "LBORRESU"] = "mg/dL"  # an original unit no other albumin result has
    q = review_domains(d, ml=False, rules=["disposition_mismatch", "dose_off_protocol", "unit_mismatch"])
    assert ((q["usubjid"] == d["ADSL"].loc[0, "USUBJID"]) & (q["rule"] == "disposition_mismatch")).any()
    ex = d["EX"].loc[first_placebo]
    assert ((q["usubjid"] == ex["USUBJID"]) & (q["seq"] == ex["EXSEQ"]) & (q["variable"] == "EXTRT")).any()
    lb = d["LB"].loc[5]
    assert ((q["seq"] == lb["LBSEQ"]) & (q["variable"] == "LBORRESU") & (q["usubjid"] == lb["USUBJID"])).any()
