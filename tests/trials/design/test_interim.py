"""Conditional power and repeated confidence intervals."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from pharmakon.errors import InputError
from pharmakon.trials.design import conditional_power, design_group_sequential, repeated_confidence_interval


def test_two_stage_closed_form() -> None:
    d = design_group_sequential(2, 0.025, type_of_design="OF", information_rates=[0.4, 1])
    c2, t1 = d.critical_values[1], 0.4
    for z1, drift in ((0.5, 2.0), (1.8, 2.8), (-0.3, 0.0)):
        exact = norm.sf((c2 - z1 * np.sqrt(t1) - drift * (1 - t1)) / np.sqrt(1 - t1))
        assert conditional_power(d, 1, z1, drift) == pytest.approx(exact, abs=1e-10)


def test_three_stage_against_monte_carlo() -> None:
    d = design_group_sequential(3, 0.025, 0.2, type_of_design="asOF", type_beta_spending="bsOF", binding_futility=True)
    t = np.asarray(d.information_rates)
    z1, drift = 1.2, 2.5
    rng = np.random.default_rng(0)
    n = 400_000
    b1 = z1 * np.sqrt(t[0])
    b2 = b1 + rng.normal(drift * (t[1] - t[0]), np.sqrt(t[1] - t[0]), n)
    b3 = b2 + rng.normal(drift * (t[2] - t[1]), np.sqrt(t[2] - t[1]), n)
    z2, z3 = b2 / np.sqrt(t[1]), b3
    rej = (z2 >= d.critical_values[1]) | (
        (z2 > d.futility_bounds[1]) & (z2 < d.critical_values[1]) & (z3 >= d.critical_values[2])
    )
    p = rej.mean()
    assert abs(conditional_power(d, 1, z1, drift) - p) < 4 * np.sqrt(p * (1 - p) / n)


def test_repeated_ci_and_bad_input() -> None:
    d = design_group_sequential(3, 0.05, sided=2, type_of_design="OF")
    lo, hi = repeated_confidence_interval(d, 1, 0.4, 0.2)
    assert hi - lo == pytest.approx(2 * d.critical_values[0] * 0.2)
    with pytest.raises(InputError):
        conditional_power(d, 3, 1.0)
    with pytest.raises(InputError):
        repeated_confidence_interval(d, 1, 0.4, 0.0)


def test_stagewise_p_value_and_median_unbiased_estimate() -> None:
    from pharmakon.trials.design.interim import median_unbiased_drift, stagewise_p_value

    d = design_group_sequential(3, 0.025, type_of_design="asOF")
    assert stagewise_p_value(d, 1, 4.0) == pytest.approx(norm.sf(4.0), rel=1e-12)
    assert stagewise_p_value(d, 3, d.critical_values[2]) == pytest.approx(0.025, abs=1e-9)
    assert stagewise_p_value(d, 2, 3.0) < stagewise_p_value(d, 3, 3.0)  # earlier stop = more extreme
    t1 = d.information_rates[0]
    assert median_unbiased_drift(d, 1, 4.0) == pytest.approx(4.0 / np.sqrt(t1), rel=1e-8)
    # Monte Carlo: P0(stop at look 1 or 2 with Z_2 >= 2.8)
    rng = np.random.default_rng(1)
    n = 400_000
    t = np.asarray(d.information_rates)
    b1 = rng.normal(0, np.sqrt(t[0]), n)
    b2 = b1 + rng.normal(0, np.sqrt(t[1] - t[0]), n)
    z1, z2 = b1 / np.sqrt(t[0]), b2 / np.sqrt(t[1])
    p_mc = np.mean((z1 >= d.critical_values[0]) | ((z1 < d.critical_values[0]) & (z2 >= 2.8)))
    assert abs(stagewise_p_value(d, 2, 2.8) - p_mc) < 4 * np.sqrt(p_mc / n)


def test_sample_size_reestimation_keeps_alpha_with_inverse_normal() -> None:
    from pharmakon.trials.design.interim import inverse_normal_statistics, reestimate_stage_size

    d = design_group_sequential(2, 0.025, type_of_design="OF", information_rates=[0.5, 1])
    rng = np.random.default_rng(7)
    sims, n1 = 100_000, 50  # stage 1: 50 patients per arm, H0 true, unit SD
    z1 = rng.standard_normal(sims)
    # second-stage size (per arm) chosen from the interim z for 90% conditional power at effect 0.3
    n2 = np.array([reestimate_stage_size(d, 1, z, 0.3 * np.sqrt(0.5), n_min=10, n_max=400) for z in z1])
    z2_new = rng.standard_normal(sims)  # stage-2 statistic from fresh data: N(0, 1) under H0 for any n2
    p = np.column_stack((norm.sf(z1), norm.sf(z2_new)))
    comb = inverse_normal_statistics(p, np.asarray(d.information_rates))
    c = np.asarray(d.critical_values)
    se = np.sqrt(0.025 * 0.975 / sims)
    reject = (comb[:, 0] >= c[0]) | (comb[:, 1] >= c[1])
    assert abs(reject.mean() - 0.025) < 4 * se
    naive = (z1 * np.sqrt(n1) + z2_new * np.sqrt(n2)) / np.sqrt(n1 + n2)  # pooling with the data-driven n2
    assert ((z1 >= c[0]) | (naive >= c[1])).mean() > 0.025 + 4 * se  # naive pooling inflates alpha
