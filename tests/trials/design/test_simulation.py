"""Simulation engine: agreement with the analytic recursion, reproducibility, backends."""

from __future__ import annotations

import numpy as np
import pytest

from pharmakon.errors import InputError
from pharmakon.trials.design import design_group_sequential, simulate_means, simulate_rates, stage_probabilities

PLANNED = [60, 120, 180]


def _analytic_means(design, delta: float, sd: float, n_max: float) -> dict:  # type: ignore[no-untyped-def]
    drift = delta / sd * np.sqrt(n_max / 4.0)
    return stage_probabilities(design, drift)


@pytest.mark.parametrize("futility", ["none", "bsOF"])
@pytest.mark.parametrize("delta", [0.0, 0.4])
def test_means_agree_with_analytic_within_4_se(futility: str, delta: float) -> None:
    d = design_group_sequential(
        3, 0.025, 0.2, type_of_design="asOF", type_beta_spending=futility, binding_futility=futility != "none"
    )
    sim = simulate_means(d, delta, 1.0, PLANNED, sims=200_000, seed=11, backend="serial")
    exact = _analytic_means(d, delta, 1.0, PLANNED[-1])
    power = float(exact["reject"].sum())
    se = max(np.sqrt(power * (1 - power) / sim.sims), 1e-6)
    assert abs(sim.power - power) < 4 * se
    for k in range(3):
        p = exact["reject"][k]
        assert abs(sim.reject_per_stage[k] - p) < 4 * max(np.sqrt(p * (1 - p) / sim.sims), 1e-6)
    n_exact = float(exact["expected_information_rate"]) * PLANNED[-1]
    assert abs(sim.expected_n - n_exact) < 4 * sim.mc_se_expected_n + 1e-9


def test_rates_type_one_error_and_power_near_normal_theory() -> None:
    d = design_group_sequential(3, 0.025, type_of_design="asOF")
    h0 = simulate_rates(d, 0.3, 0.3, [200, 400, 600], sims=200_000, seed=5, backend="serial")
    assert abs(h0.power - 0.025) < 4 * h0.mc_se + 0.002  # normal approximation of binomial data
    h1 = simulate_rates(d, 0.4, 0.3, [200, 400, 600], sims=100_000, seed=5, backend="serial")
    drift = 0.1 / np.sqrt(0.35 * 0.65 * 2 / 300) * 1.0  # z drift at the last look (pooled SE approx.)
    exact = float(stage_probabilities(d, drift)["reject"].sum())
    assert abs(h1.power - exact) < 4 * h1.mc_se + 0.01
    assert set(h1.to_dict()) >= {"power", "reject_per_stage", "early_stop", "expected_n", "mc_se", "sims_per_second"}


def test_same_seed_same_answer_across_backends_and_workers() -> None:
    d = design_group_sequential(3, 0.025, type_of_design="asP")
    kw = {"sims": 30_000, "seed": 42, "chunk_size": 10_000}
    serial = simulate_rates(d, 0.45, 0.3, PLANNED, backend="serial", **kw)
    local = simulate_rates(d, 0.45, 0.3, PLANNED, backend="local", n_jobs=2, **kw)
    assert serial.reject_per_stage == local.reject_per_stage and serial.expected_n == local.expected_n
    other = simulate_rates(d, 0.45, 0.3, PLANNED, backend="serial", sims=30_000, seed=43, chunk_size=10_000)
    assert other.power != serial.power


# Ray: see test_bayes_continuous.test_same_seed_same_answer_on_ray (one Ray start for all simulators).


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"planned": [60, 120]}, "planned"),
        ({"planned": [60, 50, 180]}, "planned"),
        ({"planned": [61, 121, 181]}, "planned"),
        ({"pi1": 1.5}, "pi1"),
        ({"sims": 0}, "sims"),
    ],
)
def test_bad_simulation_input(kwargs: dict, field: str) -> None:
    d = design_group_sequential(3, 0.025, type_of_design="asOF")
    args = {"pi1": 0.5, "pi2": 0.3, "planned": PLANNED, "sims": 100} | kwargs
    with pytest.raises(InputError) as info:
        simulate_rates(d, args.pop("pi1"), args.pop("pi2"), args.pop("planned"), **args)
    assert info.value.field == field


def test_two_sided_futility_design_simulates_like_the_recursion() -> None:
    d = design_group_sequential(3, 0.05, 0.2, 2, "asOF", type_beta_spending="bsOF", binding_futility=True)
    sim = simulate_means(d, 0.35, 1.0, PLANNED, sims=200_000, seed=21, backend="serial")
    exact = _analytic_means(d, 0.35, 1.0, PLANNED[-1])
    for k in range(3):
        p = exact["reject"][k]
        assert abs(sim.reject_per_stage[k] - p) < 4 * max(np.sqrt(p * (1 - p) / sim.sims), 1e-6)
    assert abs(sim.futility_per_stage[1] - exact["futility"][1]) < 4 * np.sqrt(exact["futility"][1] / sim.sims)
