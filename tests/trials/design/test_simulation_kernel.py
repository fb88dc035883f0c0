"""The bulk simulation kernel: exact binomial stage counts and tabulated look decisions.

The kernel's shortcuts (a guide-table CDF inversion instead of NumPy's binomial sampler, a
decision table instead of a Z statistic per trial) must give the same decisions as the
plain computation, and draws with the binomial distribution. Fixed seeds throughout.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binom, chisquare

from pharmakon.trials.design import design_group_sequential, simulate_rates
from pharmakon.trials.design import simulation as sim


@pytest.mark.parametrize(("m", "p"), [(75, 0.4), (7, 0.05), (1, 0.5), (3000, 0.3), (200, 0.999)])
def test_binomial_sampler_draws_the_binomial_distribution(m: int, p: float) -> None:
    draws = sim._BinomialSampler(m, p).draw(np.random.default_rng(7), 400_000)
    assert draws.min() >= 0 and draws.max() <= m
    observed = np.bincount(draws, minlength=m + 1)
    expected = binom.pmf(np.arange(m + 1), m, p) * draws.size
    keep = expected > 5
    expected = expected[keep] * observed[keep].sum() / expected[keep].sum()
    assert chisquare(observed[keep], expected).pvalue > 1e-4
    assert abs(draws.mean() - m * p) < 5 * np.sqrt(m * p * (1 - p) / draws.size)


def test_guide_table_equals_inverting_the_cdf_by_binary_search() -> None:
    sampler = sim._BinomialSampler(150, 0.3)
    u = np.random.default_rng(3).random(200_000)
    direct = np.searchsorted(sampler.cdf, u, side="right")
    guided = sampler.guide[(u * sim._GUIDE).astype(np.intp)]
    steps = guided < 0
    guided[steps] = np.searchsorted(sampler.cdf, u[steps], side="right")
    assert np.array_equal(direct, guided)


@pytest.mark.parametrize("design_kw", [{"type_of_design": "OF"}, {"sided": 2, "alpha": 0.05, "type_of_design": "asP"}])
def test_decision_table_gives_the_decisions_of_the_z_statistic(monkeypatch, design_kw) -> None:
    d = design_group_sequential(3, **({"alpha": 0.025} | design_kw))
    kw = {"sims": 60_000, "seed": 4, "backend": "serial", "chunk_size": 20_000}
    tabulated = simulate_rates(d, 0.45, 0.3, [120, 240, 360], **kw)
    monkeypatch.setattr(sim, "_DECISION_TABLE_MAX", 0)  # force Z on every drawn count pair
    computed = simulate_rates(d, 0.45, 0.3, [120, 240, 360], **kw)
    assert tabulated.reject_per_stage == computed.reject_per_stage
    assert tabulated.futility_per_stage == computed.futility_per_stage
    assert tabulated.expected_n == computed.expected_n


def test_large_stages_fall_back_to_numpy_and_agree(monkeypatch) -> None:
    d = design_group_sequential(2, 0.025, type_of_design="asOF")
    kw = {"sims": 100_000, "seed": 9, "backend": "serial"}
    fast = simulate_rates(d, 0.35, 0.3, [400, 800], **kw)
    monkeypatch.setattr(sim, "_CDF_TABLE_MAX", 0)  # NumPy's binomial sampler for every stage
    plain = simulate_rates(d, 0.35, 0.3, [400, 800], **kw)
    se = np.hypot(fast.mc_se, plain.mc_se)
    assert abs(fast.power - plain.power) < 4.5 * se
