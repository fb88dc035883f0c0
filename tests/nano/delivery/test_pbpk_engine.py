"""The PBPK engine against closed forms: exp decay, the matrix exponential, mass balance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.linalg import expm

from pharmakon.nano.delivery.pbpk import output_times, sample_parameters, simulate
from pharmakon.nano.delivery.pbpk_spec import load_spec, parse_spec
from pharmakon.nano.delivery.population import simulate_population


def test_one_compartment_is_exponential_decay() -> None:
    spec = parse_spec(
        {
            "dose": {"amount": 2.0, "into": "plasma"},
            "compartments": [{"name": "plasma", "volume": 0.5, "clearance": 0.1}],
        }
    )
    times = output_times(24, 0.5)
    traj = simulate(spec, times)
    expected = 2.0 * np.exp(-0.1 / 0.5 * times)
    np.testing.assert_allclose(traj.typical[:, 0], expected, rtol=1e-6)
    np.testing.assert_allclose(traj.typical_excreted, 2.0 - expected, rtol=1e-6, atol=1e-12)


def _contract_matrix(central: dict, organs: list[dict]) -> np.ndarray:
    """The contract's equations written out independently: states [blood, organs..., excreted]."""
    n = len(organs) + 2
    a = np.zeros((n, n))
    vb = central["volume"]
    a[0, 0] -= central.get("clearance", 0.0) / vb
    a[-1, 0] += central.get("clearance", 0.0) / vb
    for i, o in enumerate(organs, start=1):
        q, v, p, cl = o["blood_flow"], o["volume"], o.get("partition", 1.0), o.get("clearance", 0.0)
        # dA_i/dt = Q (A_b/V_b - A_i/(V_i P_i)) - CL A_i/V_i
        a[i, 0] += q / vb
        a[0, 0] -= q / vb
        a[i, i] -= q / (v * p) + cl / v
        a[0, i] += q / (v * p)
        a[-1, i] += cl / v
    return a


def _random_linear_spec(seed: int, n_organs: int) -> dict:
    rng = np.random.default_rng(seed)
    organs = [
        {
            "name": f"organ{i}",
            "volume": float(rng.uniform(0.001, 0.05)),
            "blood_flow": float(rng.uniform(0.001, 0.5)),
            "partition": float(rng.uniform(0.05, 5)),
            "clearance": float(rng.choice([0.0, rng.uniform(0.0, 0.01)])),
        }
        for i in range(n_organs)
    ]
    central = {"name": "plasma", "volume": float(rng.uniform(0.001, 0.01)), "clearance": float(rng.uniform(0, 0.005))}
    return {"dose": {"amount": 1.0, "into": "plasma"}, "compartments": [central, *organs]}


@pytest.mark.parametrize(("seed", "n_organs"), [(0, 1), (1, 3), (2, 7)])
def test_linear_spec_matches_matrix_exponential(seed: int, n_organs: int) -> None:
    data = _random_linear_spec(seed, n_organs)
    spec = parse_spec(data)
    times = output_times(48, 2)
    traj = simulate(spec, times)
    a = _contract_matrix(data["compartments"][0], data["compartments"][1:])
    y0 = np.zeros(len(a))
    y0[0] = 1.0
    exact = np.array([expm(a * t) @ y0 for t in times])
    np.testing.assert_allclose(traj.typical, exact[:, :-1], rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(traj.typical_excreted, exact[:, -1], rtol=1e-6, atol=1e-10)


def test_issue_example_spec_matches_matrix_exponential() -> None:
    data = {
        "dose": {"amount": 1.0, "into": "plasma"},
        "compartments": [
            {"name": "plasma", "volume": 0.001, "clearance": 0.0},
            {"name": "liver", "volume": 0.0013, "blood_flow": 0.0048, "partition": 0.08, "clearance": 0.0},
        ],
    }
    times = output_times(24, 1)
    traj = simulate(parse_spec(data), times)
    a = _contract_matrix(data["compartments"][0], data["compartments"][1:])
    exact = np.array([expm(a * t) @ np.array([1.0, 0, 0]) for t in times])
    np.testing.assert_allclose(traj.typical, exact[:, :2], rtol=1e-6, atol=1e-10)


def test_permeability_limited_organ_matches_its_equations() -> None:
    """A permeability-limited organ (no uptake) is linear: its documented equations, by expm."""
    vb, v, f, q, p, pac, cl = 0.002, 0.001, 0.2, 0.05, 0.5, 0.1, 0.0005
    spec = parse_spec(
        {
            "dose": {"amount": 1.0, "into": "plasma"},
            "compartments": [
                {"name": "plasma", "volume": vb},
                {
                    "name": "liver",
                    "volume": v,
                    "blood_flow": q,
                    "partition": p,
                    "vascular_fraction": f,
                    "permeability": pac,
                    "clearance": cl,
                },
            ],
        }
    )
    vv, vt, pa = v * f, v * (1 - f), pac * q
    a = np.zeros((4, 4))  # blood, vascular, tissue, excreted
    a[1, 0] += q / vb
    a[0, 0] -= q / vb
    a[0, 1] += q / vv
    a[1, 1] -= q / vv + pa / vv
    a[2, 1] += pa / vv
    a[1, 2] += pa / (p * vt)
    a[2, 2] -= pa / (p * vt) + cl / vt
    a[3, 2] += cl / vt
    times = output_times(24, 1)
    traj = simulate(spec, times)
    exact = np.array([expm(a * t) @ np.array([1.0, 0, 0, 0]) for t in times])
    np.testing.assert_allclose(traj.typical[:, 0], exact[:, 0], rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(traj.typical[:, 1], exact[:, 1] + exact[:, 2], rtol=1e-6, atol=1e-10)


def test_builtin_mass_balance_for_every_subject() -> None:
    spec, _ = load_spec("nanoparticle-mouse")
    traj = simulate(spec, output_times(168, 1), subjects=200)
    per_subject = np.abs(traj.amounts.sum(axis=2) + traj.excreted - spec.dose.amount).max(axis=1) / spec.dose.amount
    assert per_subject.shape == (200,)
    assert per_subject.max() < 1e-6
    assert traj.max_mass_balance_error == pytest.approx(max(per_subject.max(), traj.max_mass_balance_error))
    assert traj.max_mass_balance_error < 1e-6
    assert np.all(traj.amounts > -1e-9 * spec.dose.amount)


def test_population_is_seeded_and_log_normal() -> None:
    spec, _ = load_spec("nanoparticle-mouse")
    a = sample_parameters(spec, 20_000, seed=3)
    b = sample_parameters(spec, 20_000, seed=3)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(sample_parameters(spec, 20_000, seed=4))
    cv = spec.population.cv["tumor.permeability"]
    values = a["tumor.permeability"]
    assert np.median(values) == pytest.approx(0.00377, rel=0.03)  # median = the spec value
    assert np.std(np.log(values)) == pytest.approx(np.sqrt(np.log1p(cv**2)), rel=0.03)


def test_without_population_every_subject_is_typical() -> None:
    spec = parse_spec(_random_linear_spec(5, 2))
    traj = simulate(spec, output_times(10, 1), subjects=4)
    assert traj.amounts.shape == (4, 11, 3)
    for s in range(4):
        np.testing.assert_array_equal(traj.amounts[s], traj.typical)


def test_batches_give_the_same_subjects() -> None:
    spec, _ = load_spec("nanoparticle-mouse")
    times = output_times(48, 4)
    whole = simulate_population(spec, times, subjects=30, seed=9)
    batched = simulate_population(spec, times, subjects=30, seed=9, batch_size=10, backend="serial")
    np.testing.assert_allclose(batched.amounts, whole.amounts, rtol=1e-4, atol=1e-9)
    assert batched.max_mass_balance_error < 1e-6
