"""Sample size for means, rates and survival against rpact.

Sources: rpact 3.3.4 anchors ``ss_*`` (calls in each record) and rpact unit tests
(getSampleSizeMeans / getSampleSizeRates records whose design is resolved; rpact's
tolerance 1e-7 relative, applied as 1e-6 relative because rpact prints 8 digits and
solves sample sizes with its own root-finder tolerance).
"""

from __future__ import annotations

import numpy as np
import pytest

from pharmakon.errors import InputError
from pharmakon.trials.design import (
    design_group_sequential,
    power_means,
    sample_size_means,
    sample_size_rates,
    sample_size_survival,
)
from tests.trials.design._rpact import anchors, design_kwargs, r_args, records

A = {r["id"]: r for r in anchors()}


def test_means_fixed_and_gs_anchor() -> None:
    d1 = design_group_sequential(1, 0.025, 0.2)
    r = sample_size_means(d1, 0.5, 1.0)
    ref = A["ss_means_fixed_d0.5_normal"]
    assert r.max_number_of_subjects == pytest.approx(ref["maxNumberOfSubjects"], rel=1e-9)
    assert r.critical_values_effect_scale[0] == pytest.approx(ref["criticalValuesEffectScale"], rel=1e-7)
    rt = sample_size_means(d1, 0.5, 1.0, normal_approximation=False)
    ref = A["ss_means_fixed_d0.5_t"]
    assert rt.max_number_of_subjects == pytest.approx(ref["maxNumberOfSubjects"], rel=1e-6)
    assert rt.critical_values_effect_scale[0] == pytest.approx(ref["criticalValuesEffectScale"], rel=1e-6)
    r3 = sample_size_means(design_group_sequential(3, 0.025, 0.2, type_of_design="OF"), 0.5, 1.0)
    ref = A["ss_means_k3OF_d0.5_normal"]
    np.testing.assert_allclose(r3.number_of_subjects, ref["numberOfSubjects"], rtol=1e-7)
    assert r3.expected_number_h1 == pytest.approx(ref["expectedNumberOfSubjectsH1"], rel=1e-7)
    np.testing.assert_allclose(r3.critical_values_effect_scale, ref["criticalValuesEffectScale"], rtol=1e-7)


def test_rates_and_survival_anchors() -> None:
    r = sample_size_rates(design_group_sequential(1, 0.025, 0.2), 0.4, 0.25)
    assert r.max_number_of_subjects == pytest.approx(A["ss_rates_fixed_0.40_vs_0.25"]["maxNumberOfSubjects"], rel=1e-9)
    lam = np.log(2) / 12
    for rid, d in (
        ("ss_surv_fixed_hr0.75_b0.1", design_group_sequential(1, 0.025, 0.1)),
        ("ss_surv_k3asOF_hr0.75_b0.1", design_group_sequential(3, 0.025, 0.1, type_of_design="asOF")),
    ):
        ref = A[rid]
        s = sample_size_survival(d, 0.75, lam, accrual_time=24, follow_up_time=12)
        assert s.max_number_of_events == pytest.approx(ref["maxNumberOfEvents"], rel=1e-7)
        assert s.max_number_of_subjects == pytest.approx(ref["maxNumberOfSubjects"], rel=1e-7)
        if "eventsPerStage" in ref:
            np.testing.assert_allclose(s.events_per_stage, ref["eventsPerStage"], rtol=1e-7)
            assert s.expected_number_h1 == pytest.approx(ref["expectedEventsH1"], rel=1e-7)
            np.testing.assert_allclose(s.critical_values_effect_scale, ref["criticalValuesEffectScale"], rtol=1e-7)


MAP = {
    "maxNumberOfSubjects": "max_number_of_subjects",
    "earlyStop": "early_stop",
    "expectedNumberOfSubjectsH0": "expected_number_h0",
    "expectedNumberOfSubjectsH01": "expected_number_h01",
    "expectedNumberOfSubjectsH1": "expected_number_h1",
}


def _case(rec: dict):  # type: ignore[no-untyped-def]
    if not rec["referenced_objects"]:
        return None
    (ref,) = rec["referenced_objects"].values()
    dkw = design_kwargs(r_args(ref["args"]))
    args = r_args(rec["args"].split(",", 1)[1])
    if dkw is None or args.get("allocationRatioPlanned", 1) == 0:
        return None  # optimum allocation: not implemented
    if rec["function"] == "getSampleSizeRates" and args.get("normalApproximation") is False:
        return None  # exact binomial one-sample: not implemented
    return dkw, args


CASES = [r for r in records("getSampleSizeMeans") + records("getSampleSizeRates") if _case(r)]


@pytest.mark.parametrize("rec", CASES, ids=[f"{r['function']}-{i}" for i, r in enumerate(CASES)])
def test_unit_records(rec: dict) -> None:
    dkw, args = _case(rec)
    d = design_group_sequential(**dkw)
    common = {
        "groups": args.get("groups", 2),
        "theta_h0": args.get("thetaH0", 0.0),
        "allocation_ratio": args.get("allocationRatioPlanned", 1.0),
    }
    if rec["function"] == "getSampleSizeMeans":
        if args.get("meanRatio"):
            common["theta_h0"] = args.get("thetaH0", 1.0)
        res = sample_size_means(
            d,
            args["alternative"],
            args.get("stDev", 1.0),
            mean_ratio=args.get("meanRatio", False),
            normal_approximation=args.get("normalApproximation", False),
            **common,
        )
    else:
        res = sample_size_rates(d, args["pi1"], args.get("pi2"), risk_ratio=args.get("riskRatio", False), **common)
    out = res.to_dict()
    for key, value in rec["expected"].items():
        if key in MAP:
            np.testing.assert_allclose(out[MAP[key]], value, rtol=1e-6, err_msg=key)
        elif key.startswith("numberOfSubjects["):
            k = int(key[len("numberOfSubjects[")]) - 1
            np.testing.assert_allclose(out["number_of_subjects"][k], value, rtol=1e-6, err_msg=key)
        elif key.startswith("rejectPerStage["):
            k = int(key[len("rejectPerStage[")]) - 1
            np.testing.assert_allclose(out["reject_per_stage"][k], value, rtol=1e-6, atol=1e-8, err_msg=key)


def test_enough_unit_records() -> None:
    assert len(CASES) >= 10


def test_power_means_inverts_sample_size() -> None:
    d = design_group_sequential(3, 0.025, 0.1, type_of_design="asOF")
    n = sample_size_means(d, 0.4, 1.2).max_number_of_subjects
    assert power_means(d, 0.4, 1.2, n)["overall_reject"] == pytest.approx(0.9, abs=1e-7)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda d: sample_size_means(d, 0.0, 1.0), "alternative"),
        (lambda d: sample_size_means(d, 0.5, -1.0), "stdev"),
        (lambda d: sample_size_rates(d, 1.2, 0.3), "pi1"),
        (lambda d: sample_size_rates(d, 0.3, 0.3), "pi1"),
        (lambda d: sample_size_survival(d, 1.0, 0.05), "hazard_ratio"),
    ],
)
def test_impossible_requests(call, field) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError) as info:
        call(design_group_sequential(2, 0.025, 0.2))
    assert info.value.field == field


POWER_MAP = {
    "overallReject": "overall_reject",
    "futilityStop": "futility_stop",
    "earlyStop": "early_stop",
    "expectedNumberOfSubjects": "expected_number_of_subjects",
}


def _power_case(rec: dict):  # type: ignore[no-untyped-def]
    if not rec["referenced_objects"]:
        return None
    (ref,) = rec["referenced_objects"].values()
    args = r_args(rec["args"].split(",", 1)[1])
    dkw = design_kwargs(r_args(ref["args"]))
    return None if dkw is None else (dkw, args)


POWER = [r for r in records("getPowerMeans") if _power_case(r)]


@pytest.mark.parametrize("rec", POWER, ids=[str(i) for i in range(len(POWER))])
def test_power_means_unit_records(rec: dict) -> None:
    """Source: rpact unit tests, getPowerMeans (z- and t-test, difference and ratio of means)."""
    dkw, a = _power_case(rec)
    design = design_group_sequential(**dkw)
    for i, alt in enumerate(np.atleast_1d(a["alternative"])):
        out = power_means(
            design,
            float(alt),
            a["stDev"],
            a["maxNumberOfSubjects"],
            groups=a.get("groups", 2),
            theta_h0=a.get("thetaH0", 1.0 if a.get("meanRatio") else 0.0),
            allocation_ratio=a.get("allocationRatioPlanned", 1.0),
            direction_upper=a.get("directionUpper", True),
            normal_approximation=a.get("normalApproximation", False),
            mean_ratio=a.get("meanRatio", False),
        )
        for key, value in rec["expected"].items():
            value = value[min(i, len(value) - 1)]
            if key in POWER_MAP:
                np.testing.assert_allclose(out[POWER_MAP[key]], value, rtol=1e-6, atol=1e-9, err_msg=key)
            elif key.startswith("rejectPerStage["):
                k = int(key[len("rejectPerStage[")]) - 1
                np.testing.assert_allclose(out["reject_per_stage"][k], value, rtol=1e-6, atol=1e-9, err_msg=key)
