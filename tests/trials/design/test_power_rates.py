"""getPowerRates against rpact unit-test records (test-f_design_plan_rates.R, revision 8225); rtol 1e-6."""

from __future__ import annotations

import numpy as np
import pytest

from pharmakon.errors import InputError
from pharmakon.trials.design import design_group_sequential
from pharmakon.trials.design.power_rates import power_rates
from tests.trials.design import _rpact
from tests.trials.design._rpact import design_kwargs, r_args, records

OUT = {
    "effect": "effect",
    "overallReject": "overall_reject",
    "futilityStop": "futility_stop",
    "earlyStop": "early_stop",
    "expectedNumberOfSubjects": "expected_number_of_subjects",
}
ROWS = {"rejectPerStage": "reject_per_stage", "futilityPerStage": "futility_per_stage"}


def _parse(rec: dict):  # type: ignore[no-untyped-def]
    ((name, ref),) = rec["referenced_objects"].items()
    env = {"c": _rpact._c, "seq": lambda a, b, s: np.arange(a, b + s / 2, s), "TRUE": True, "FALSE": False}
    args = eval(f"dict({rec['args'].replace(name + ', ', '', 1)})", env)  # noqa: S307 - trusted reference file
    return design_kwargs(r_args(ref["args"])), args


CASES = records("getPowerRates")


@pytest.mark.parametrize("rec", CASES, ids=[str(i) for i in range(len(CASES))])
def test_rpact_records(rec: dict) -> None:
    dkw, a = _parse(rec)
    d = design_group_sequential(**dkw)
    checked = 0
    for i, p1 in enumerate(np.atleast_1d(a["pi1"])):
        out = power_rates(
            d,
            float(p1),
            a["maxNumberOfSubjects"],
            pi2=a.get("pi2", 0.2),
            groups=a.get("groups", 2),
            theta_h0=a.get("thetaH0"),
            risk_ratio=a.get("riskRatio", False),
            allocation_ratio=a.get("allocationRatioPlanned", 1.0),
            direction_upper=a.get("directionUpper", True),
        )
        for key, values in rec["expected"].items():
            base, _, row = key.partition("[")
            if base in OUT:
                got = out[OUT[base]]
            elif base in ROWS and row:
                got = out[ROWS[base]][int(row[0]) - 1]
            else:
                continue
            np.testing.assert_allclose(
                got, values[min(i, len(values) - 1)], rtol=1e-6, atol=1e-9, err_msg=f"{key} scenario {i}"
            )
            checked += 1
    assert checked >= 5


def test_fixed_design_power_matches_exact_normal_formula() -> None:
    """kmax = 1, equal allocation: power = Phi(((p1 - p2) sqrt(n/2) - z s0) / s1), the textbook formula."""
    from scipy.special import ndtr, ndtri

    d = design_group_sequential(1, 0.025, 0.2)
    p1, p2, n = 0.45, 0.3, 300.0
    pbar = (p1 + p2) / 2
    s0, s1 = np.sqrt(2 * pbar * (1 - pbar)), np.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    # per-arm n/2: estimate SD under H1 = s1 / sqrt(n/2); Z = (p1 - p2) / (s0 / sqrt(n/2))
    exact = ndtr(((p1 - p2) * np.sqrt(n / 2) - ndtri(0.975) * s0) / s1)
    assert power_rates(d, p1, n, pi2=p2)["overall_reject"] == pytest.approx(exact, rel=1e-9)


def test_bad_input() -> None:
    with pytest.raises(InputError) as info:
        power_rates(design_group_sequential(2, 0.025, 0.2), 1.2, 100)
    assert info.value.field == "pi1"
