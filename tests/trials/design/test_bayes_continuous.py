"""Bayesian adaptive design with a normal endpoint, and backend-independence of all simulators.

Independent checks: with one look and equal (multinomial) allocation between two arms,
the rejection probability is a finite sum over the binomial split of patients of normal
tail probabilities of the (linear-in-the-data) posterior mean difference; the
simulation must agree within 4 Monte Carlo SE.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import ndtr, ndtri
from scipy.stats import binom

from pharmakon.errors import InputError
from pharmakon.trials.design import (
    calibrate_continuous,
    design_group_sequential,
    simulate_bayesian_continuous,
    simulate_bayesian_multiarm,
    simulate_boin,
    simulate_crm,
    simulate_enrichment,
    simulate_means,
)


def _exact_single_look(mu: tuple[float, float], sigma: float, n: int, eff: float, m0: float, s0: float) -> float:
    """P(posterior P(mu1 > mu0) > eff), summing over n1 ~ Binomial(n, 1/2)."""
    total = 0.0
    for n1 in range(n + 1):
        ns = np.array([n - n1, n1], dtype=float)
        prec = 1 / s0**2 + ns / sigma**2
        v = 1 / prec
        # posterior mean m_k = (m0/s0^2 + S_k/sigma^2)/prec_k, S_k ~ N(n_k mu_k, n_k sigma^2)
        e = (m0 / s0**2 + ns * np.asarray(mu) / sigma**2) * v
        var = ns / sigma**2 * v**2
        diff_mean, diff_sd = e[1] - e[0], np.sqrt(var.sum())
        crit = ndtri(eff) * np.sqrt(v.sum())
        p = 1 - ndtr((crit - diff_mean) / diff_sd) if diff_sd > 0 else float(diff_mean > crit)
        total += binom.pmf(n1, n, 0.5) * p
    return float(total)


@pytest.mark.parametrize("mu", [(0.0, 0.0), (0.0, 0.4)])
def test_single_look_matches_exact_sum(mu: tuple[float, float]) -> None:
    kw = {"sigma": 1.5, "n_max": 80, "block": 80, "efficacy": 0.975, "prior_mean": 0.2, "prior_sd": 0.5}
    sim = simulate_bayesian_continuous(mu, sims=40_000, seed=3, rar=False, **kw)
    exact = _exact_single_look(mu, 1.5, 80, 0.975, 0.2, 0.5)
    assert abs(sim.power - exact) < 4 * np.sqrt(exact * (1 - exact) / sim.sims)
    assert sim.expected_n == 80 and sim.early_stop == 0


def test_adaptive_features_behave() -> None:
    mu = [0.0, 0.0, 0.6]
    rar = simulate_bayesian_continuous(mu, n_max=240, block=40, sims=4000, seed=2)
    flat = simulate_bayesian_continuous(mu, n_max=240, block=40, sims=4000, seed=2, rar=False)
    assert rar.select_probability[2] > 0.8 and rar.select_probability[1] < 0.05
    assert rar.allocation[2] > flat.allocation[2] > rar.allocation[1]
    assert rar.expected_n < 240 and rar.early_stop > 0.5
    futile = simulate_bayesian_continuous([0.0, -0.5, -0.5], n_max=240, block=40, futility=0.1, sims=4000, seed=2)
    assert futile.futility_stop > 0.8 and futile.power < 0.01


def test_calibration_holds_on_fresh_seed() -> None:
    kw = {"n_max": 150, "block": 50, "rar": False, "futility": 0.0}
    cal = calibrate_continuous([0.0, 0.0, 0.0], 0.05, sims=6000, seed=1, iterations=10, **kw)
    assert 0.9 < cal["efficacy"] < 0.9999 and cal["type_one_error"] <= 0.05
    check = simulate_bayesian_continuous([0.0] * 3, efficacy=cal["efficacy"], sims=20_000, seed=77, **kw)
    se = np.hypot(check.mc_se, np.sqrt(0.05 * 0.95 / 6000))
    assert abs(check.power - 0.05) < 4 * se + 0.004  # + bisection resolution at 10 steps


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"mu": [0.0]}, "mu"), ({"sigma": 0.0}, "sigma"), ({"block": 500}, "block"), ({"efficacy": 0.4}, "efficacy")],
)
def test_bad_input(kwargs: dict, field: str) -> None:
    args = {"mu": [0.0, 0.3], "sims": 10} | kwargs
    with pytest.raises(InputError) as info:
        simulate_bayesian_continuous(args.pop("mu"), **args)
    assert info.value.field == field


RUNS = {
    "means": lambda b: simulate_means(
        design_group_sequential(2, 0.025, type_of_design="OF"),
        0.3,
        1.0,
        [100, 200],
        sims=20_000,
        seed=7,
        chunk_size=5_000,
        backend=b,
    ),
    "binary": lambda b: simulate_bayesian_multiarm(
        [0.2, 0.2, 0.4], sims=600, seed=5, backend=b, chunk_size=200, draws=64
    ),
    "continuous": lambda b: simulate_bayesian_continuous([0.0, 0.1, 0.4], sims=600, seed=5, backend=b, chunk_size=200),
    "enrichment": lambda b: simulate_enrichment(0.3, 0.0, sims=3000, seed=5, backend=b, chunk_size=1000),
    "boin": lambda b: simulate_boin([0.05, 0.15, 0.3, 0.5], sims=600, seed=5, backend=b, chunk_size=200),
    "crm": lambda b: simulate_crm(
        [0.05, 0.15, 0.3, 0.5], [0.1, 0.2, 0.3, 0.4], sims=300, seed=5, backend=b, chunk_size=100
    ),
}


def _oc(res: object) -> dict:
    """Operating characteristics without timing / backend fields."""
    skip = ("seconds", "sims_per_second", "backend")
    return {k: v for k, v in res.to_dict().items() if k not in skip}  # type: ignore[attr-defined]


def test_same_seed_same_answer_serial_and_local_pool() -> None:
    from pharmakon.executor import get_executor

    with get_executor("local", n_jobs=2) as pool:
        for name, run in RUNS.items():
            assert _oc(run("serial")) == _oc(run(pool)), name


@pytest.mark.ray
@pytest.mark.slow
def test_same_seed_same_answer_on_ray() -> None:
    pytest.importorskip("ray")
    from pharmakon.executor import get_executor

    with get_executor("ray", n_jobs=2) as cluster:
        for name, run in RUNS.items():
            assert _oc(run("serial")) == _oc(run(cluster)), name
