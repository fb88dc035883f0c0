"""Bayesian adaptive multi-arm simulation: posterior probabilities, behaviour, calibration."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

from pharmakon.errors import InputError
from pharmakon.trials.design.bayesian import _p_greater, calibrate_efficacy, simulate_bayesian_multiarm


def test_posterior_probability_matches_quadrature() -> None:
    s, n = np.array([[3.0, 9.0]]), np.array([[20.0, 20.0]])
    gt, best = _p_greater(np.random.default_rng(0), s, n, 1.0, 1.0, 40_000)
    a0, b0, a1, b1 = 4, 18, 10, 12
    exact = integrate.quad(lambda x: stats.beta.pdf(x, a1, b1) * stats.beta.cdf(x, a0, b0), 0, 1)[0]
    assert abs(gt[0, 1] - exact) < 4 * np.sqrt(exact * (1 - exact) / 40_000)
    assert best[0, 1] == pytest.approx(1.0)  # only one treatment arm


def test_reproducible_and_sensible() -> None:
    a = simulate_bayesian_multiarm([0.2, 0.2, 0.45], sims=3000, seed=4)
    b = simulate_bayesian_multiarm([0.2, 0.2, 0.45], sims=3000, seed=4)
    assert a == b
    assert a.select_probability[2] > 10 * a.select_probability[1]
    assert a.allocation[2] > a.allocation[1]  # Thompson-type RAR favours the better arm
    assert a.bias_selected > 0  # stopping on a high estimate biases it upwards
    flat = simulate_bayesian_multiarm([0.2, 0.2, 0.45], sims=3000, seed=4, rar=False)
    assert flat.allocation[2] < a.allocation[2]


def test_calibration_reaches_target_type_one_error() -> None:
    cal = calibrate_efficacy([0.3, 0.3], 0.05, sims=3000, seed=1, iterations=7, n_max=120, block=40)
    assert cal["type_one_error"] <= 0.05
    check = simulate_bayesian_multiarm([0.3, 0.3], n_max=120, block=40, efficacy=cal["efficacy"], sims=6000, seed=99)
    assert check.power < 0.05 + 4 * check.mc_se


def test_bad_input() -> None:
    with pytest.raises(InputError):
        simulate_bayesian_multiarm([0.2], sims=10)
    with pytest.raises(InputError):
        simulate_bayesian_multiarm([0.2, 0.3], efficacy=1.2, sims=10)
