"""Survival sample size against rpact's unit tests (getSampleSizeSurvival records).

Source: rpact unit tests (rpact_unit_test_expected.json, test-f_design_sample_size_survival.R),
records with exponential survival given by pi1/pi2 at eventTime, uniform accrual,
follow-up, optional exponential dropout. rpact's tolerance is 1e-7 relative; applied at
1e-6 because rpact prints 8 significant digits.
"""

from __future__ import annotations

import numpy as np
import pytest

from pharmakon.errors import InputError
from pharmakon.trials.design import design_group_sequential, sample_size_survival
from tests.trials.design._rpact import design_kwargs, r_args, records

SCALAR = {
    "hazardRatio": "hazard_ratio",
    "lambda1": "lambda1",
    "lambda2": "lambda2",
    "median1": "median1",
    "median2": "median2",
    "accrualIntensity": "accrual_intensity",
    "studyDuration": "study_duration_h1",
    "expectedNumberOfSubjectsH1": "expected_subjects_h1",
}
TOP = {
    "maxNumberOfSubjects": "max_number_of_subjects",
    "maxNumberOfEvents": "max_number_of_events",
    "expectedEventsH0": "expected_number_h0",
    "expectedEventsH01": "expected_number_h01",
    "expectedEventsH1": "expected_number_h1",
    "earlyStop": "early_stop",
}
ROWS = {
    "numberOfSubjects": "number_of_subjects",
    "rejectPerStage": "reject_per_stage",
    "cumulativeEventsPerStage": "events_per_stage",
    "criticalValuesEffectScale": "critical_values_effect_scale",
}


def _case(rec: dict):  # type: ignore[no-untyped-def]
    a = rec["args"]
    if (
        not rec["referenced_objects"]
        or "accountForObservationTimes = TRUE" not in a
        or "accrualTime = 8" not in a
        or not a.startswith("design")
    ):
        return None
    (ref,) = rec["referenced_objects"].values()
    args = r_args(a.split(",", 1)[1])
    kw = {
        "pi1": args["pi1"],
        "pi2": args["pi2"],
        "event_time": args["eventTime"],
        "accrual_time": args["accrualTime"],
        "follow_up_time": args["followUpTime"],
        "allocation_ratio": args.get("allocationRatioPlanned", 1.0),
        "theta_h0": args.get("thetaH0", 1.0),
        "dropout_rate1": args.get("dropoutRate1", 0.0),
        "dropout_rate2": args.get("dropoutRate2", 0.0),
        "dropout_time": args.get("dropoutTime", 12.0),
        "type_of_computation": args["typeOfComputation"],
    }
    if np.ndim(kw["pi1"]) or "maxNumberOfSubjects" in args:
        return None  # vectors of scenarios / given maximum N: not part of this API
    if kw["allocation_ratio"] == 0:
        return None  # rpact's optimum allocation: not implemented
    return design_kwargs(r_args(ref["args"])), kw


CASES = [r for r in records("getSampleSizeSurvival") if _case(r)]


def test_enough_cases() -> None:
    assert len(CASES) >= 20


@pytest.mark.parametrize("rec", CASES, ids=[str(i) for i in range(len(CASES))])
def test_rpact_unit_records(rec: dict) -> None:
    dkw, kw = _case(rec)
    d = design_group_sequential(**dkw)
    res = sample_size_survival(d, **kw)
    out = res.to_dict()
    for key, value in rec["expected"].items():
        base = key.split("[")[0]
        if key in SCALAR:
            got = out["extra"][SCALAR[key]]
        elif key in TOP:
            got = out[TOP[key]]
        elif base == "analysisTime":
            got = out["extra"]["analysis_times"][int(key[len(base) + 1]) - 1]
        elif base in ROWS and d.sided == 1:
            got = out[ROWS[base]][int(key[len(base) + 1]) - 1]
        else:
            continue
        np.testing.assert_allclose(got, value, rtol=1e-6, err_msg=key)


def test_bad_input() -> None:
    d = design_group_sequential(2, 0.025, 0.2)
    with pytest.raises(InputError):
        sample_size_survival(d, pi1=0.2, pi2=0.2)
    with pytest.raises(InputError):
        sample_size_survival(d, 0.7, 0.05, type_of_computation="Cox")
    with pytest.raises(InputError):
        sample_size_survival(d, 0.7, 0.05, allocation_ratio=0)
