"""Parameter estimation recovers known values from model-generated observations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pharmakon.errors import InputError
from pharmakon.nano.delivery.pbpk_fit import check_observations, fit_parameters, predicted_concentrations
from pharmakon.nano.delivery.pbpk_spec import parse_spec

SPEC = {
    "dose": {"amount": 1.0, "into": "plasma"},
    "compartments": [
        {"name": "plasma", "volume": 0.002, "clearance": 0.001},
        {"name": "liver", "volume": 0.0013, "blood_flow": 0.02, "partition": 0.5},
        {"name": "kidney", "volume": 0.0004, "blood_flow": 0.05, "partition": 2.0},
    ],
}


def _observations(truth: dict[str, float], noise: float = 0.0) -> pd.DataFrame:
    spec = parse_spec(SPEC)
    times = [0.5, 1, 2, 4, 8, 12, 24]
    obs = pd.DataFrame(
        [(t, c) for t in times for c in ("plasma", "liver", "kidney")], columns=["time", "compartment"]
    ).assign(concentration=1.0)
    conc = predicted_concentrations(spec, pd.DataFrame([truth]), obs)[0]
    rng = np.random.default_rng(0)
    return obs.assign(concentration=conc * np.exp(noise * rng.standard_normal(len(conc))))


def test_fit_recovers_the_true_parameters() -> None:
    truth = {"liver.partition": 1.5, "plasma.clearance": 0.003}
    obs = check_observations(_observations(truth), parse_spec(SPEC))
    out = fit_parameters(parse_spec(SPEC), obs, list(truth))
    assert out.converged
    for k, v in truth.items():
        assert out.estimates[k] == pytest.approx(v, rel=1e-4)
    assert out.rss < 1e-8


def test_standard_errors_cover_the_truth_with_noise() -> None:
    truth = {"liver.partition": 1.5, "plasma.clearance": 0.003}
    obs = _observations(truth, noise=0.05)
    out = fit_parameters(parse_spec(SPEC), obs, list(truth))
    for k, v in truth.items():
        se = out.standard_errors[k]
        assert 0 < se < out.estimates[k]
        assert abs(out.estimates[k] - v) < 4 * se
    assert set(out.table.columns) == {"time", "compartment", "observed", "predicted"}


def test_bad_observations_name_row_and_field() -> None:
    spec = parse_spec(SPEC)
    bad = pd.DataFrame({"time": [1, 2], "compartment": ["plasma", "lver"], "concentration": [1.0, 2.0]})
    with pytest.raises(InputError, match="unknown compartment 'lver'") as info:
        check_observations(bad, spec, "obs.csv")
    assert info.value.row == 2 and info.value.file == "obs.csv"
    neg = bad.assign(compartment="plasma", concentration=[1.0, -1.0])
    with pytest.raises(InputError, match="concentration") as info:
        check_observations(neg, spec)
    assert info.value.row == 2
    with pytest.raises(InputError, match="cannot fit"):
        fit_parameters(spec, check_observations(bad.assign(compartment="plasma"), spec), ["liver.colour"])
