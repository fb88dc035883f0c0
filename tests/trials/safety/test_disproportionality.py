"""PRR / ROR / IC against hand-computed 2x2 tables (values worked out with a calculator)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pharmakon.trials.safety import disproportionality, information_component, prr, ror, two_by_two


def test_hand_computed_table():
    # a=10, b=90, c=40, d=860 (N=1000): PRR = 0.1 / (40/900) = 2.25; ROR = 8600/3600
    a, b, c, d = (np.array([x], dtype=float) for x in (10, 90, 40, 860))
    ratio, chi2 = prr(a, b, c, d)
    assert ratio[0] == pytest.approx(2.25)
    # Yates: 1000 * (|8600 - 3600| - 500)^2 / (100 * 900 * 50 * 950) = 2.025e10 / 4.275e9
    assert chi2[0] == pytest.approx(4.7368421052631575)
    r, lo, hi, corrected = ror(a, b, c, d)
    assert r[0] == pytest.approx(2.388888888888889)
    # se = sqrt(1/10 + 1/90 + 1/40 + 1/860) = 0.370505...
    assert lo[0] == pytest.approx(1.1556373875603416, rel=1e-9)
    assert hi[0] == pytest.approx(4.938218670394836, rel=1e-9)
    assert not corrected[0]
    # E = 100 * 50 / 1000 = 5; IC = log2(10.5 / 5.5)
    ic, ic025, ic975 = information_component(a, np.array([5.0]))
    assert ic[0] == pytest.approx(0.932885804141463)
    assert ic025[0] == pytest.approx(np.log2(stats.gamma.ppf(0.025, 10.5, scale=1 / 5.5)), rel=1e-10)
    assert ic975[0] == pytest.approx(np.log2(stats.gamma.ppf(0.975, 10.5, scale=1 / 5.5)), rel=1e-10)
    assert ic025[0] < ic[0] < ic975[0]


def test_reumofan_against_openebgm_check(caers_expected):
    ref = caers_expected["frequentist_checks_computed_here"]
    a, b, c, d = two_by_two(
        np.array([ref["a"]]),
        np.array([ref["n_drug_reports"]]),
        np.array([ref["n_event_reports"]]),
        np.array([ref["N_reports"]]),
    )
    assert (a[0], b[0], c[0], d[0]) == (16, 28, 15, 3297)
    assert prr(a, b, c, d)[0][0] == pytest.approx(ref["PRR"], rel=1e-5)
    assert ror(a, b, c, d)[0][0] == pytest.approx(ref["ROR"], rel=1e-9)


def test_zero_cells():
    a, b, c, d = (np.array([x], dtype=float) for x in (3, 0, 5, 100))
    r, lo, hi, corrected = ror(a, b, c, d)
    # Haldane-Anscombe: (3.5 * 100.5) / (0.5 * 5.5)
    assert corrected[0] and r[0] == pytest.approx(3.5 * 100.5 / (0.5 * 5.5))
    assert np.isfinite(lo[0]) and np.isfinite(hi[0])
    ratio, _ = prr(np.array([2.0]), np.array([3.0]), np.array([0.0]), np.array([50.0]))
    assert ratio[0] == np.inf  # PRR is infinite when no other drug reports the event (as openEBGM prints)


def test_disproportionality_frame_does_not_mutate_input():
    counts = pd.DataFrame(
        {
            "drug": ["A"],
            "event": ["X"],
            "n": [10],
            "expected": [5.0],
            "n_drug": [100],
            "n_event": [50],
            "n_total": [1000],
        }
    )
    before = counts.copy()
    out = disproportionality(counts)
    pd.testing.assert_frame_equal(counts, before)
    assert {"prr", "chi2", "ror", "ror_lower", "ror_upper", "ic", "ic025"} <= set(out.columns)
    assert out["prr"].iloc[0] == pytest.approx(2.25)
