"""CRM: posterior against numerical integration, operating characteristics, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate

from pharmakon.errors import InputError
from pharmakon.trials.design.crm import crm_posterior, simulate_crm

SKELETON = np.array([0.1, 0.2, 0.3, 0.4, 0.5])


def test_posterior_mean_matches_quadrature() -> None:
    n = np.array([[3.0, 3.0, 6.0, 0.0, 0.0]])
    s = np.array([[0.0, 1.0, 2.0, 0.0, 0.0]])
    sd = np.sqrt(1.34)

    def post(a: float) -> float:
        logp = np.exp(a) * np.log(SKELETON)
        return float(np.exp(np.sum(s[0] * logp + (n[0] - s[0]) * np.log(-np.expm1(logp))) - 0.5 * (a / sd) ** 2))

    z = integrate.quad(post, -6, 6, limit=200)[0]
    exact = [
        integrate.quad(lambda a, j=j: SKELETON[j] ** np.exp(a) * post(a), -6, 6, limit=200)[0] / z for j in range(5)
    ]
    p_mean, p1_over = crm_posterior(SKELETON, n, s, sd, 0.3)
    np.testing.assert_allclose(p_mean[0], exact, rtol=1e-5)
    over = (
        integrate.quad(
            lambda a: post(a) * (SKELETON[0] ** np.exp(a) > 0.3),
            -6,
            6,
            limit=200,
            points=[np.log(np.log(0.3) / np.log(0.1))],
        )[0]
        / z
    )
    assert p1_over[0] == pytest.approx(over, abs=5e-3)  # grid step in a


def test_selects_the_dose_at_target_most_often() -> None:
    r = simulate_crm([0.05, 0.12, 0.3, 0.45, 0.6], SKELETON, 0.3, sims=5000, seed=2)
    assert int(np.argmax(r.select_probability)) == 2 and r.select_probability[2] > 0.45
    assert r == simulate_crm([0.05, 0.12, 0.3, 0.45, 0.6], SKELETON, 0.3, sims=5000, seed=2)
    toxic = simulate_crm([0.6, 0.7, 0.8, 0.85, 0.9], SKELETON, 0.3, sims=3000, seed=2)
    assert toxic.no_mtd > 0.7


def test_bad_skeleton() -> None:
    with pytest.raises(InputError):
        simulate_crm([0.1, 0.2], [0.3, 0.2])
