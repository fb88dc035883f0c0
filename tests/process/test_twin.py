"""The nanoprecipitation twin: lmfit fit with standard errors, held-out error, set-point correction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pharmakon.process.twin import POLYMERS, RATIO, correct_setpoint, fit_twin, twin_log_size


@pytest.fixture(scope="module")
def plga(plga_path) -> pd.DataFrame:
    return pd.read_csv(plga_path)


def test_fit_recovers_known_parameters_from_synthetic_data() -> None:
    rng = np.random.default_rng(0)
    n = 200
    frac = rng.dirichlet(np.ones(4), size=n)
    ratio = rng.choice([0.1, 0.15, 0.2, 0.25], size=n)
    truth = {"ln_d0": 4.8, "p": 0.3, "s": -1.0, "g_L": -0.5, "g_COOH": -0.2, "g_NH2": -0.3}
    size = np.exp(twin_log_size(truth, ratio, frac) + rng.normal(0, 0.01, n))
    fit = fit_twin(ratio, frac, size)
    for k in ("ln_d0", "g_L", "g_COOH", "g_NH2"):
        assert fit.params[k] == pytest.approx(truth[k], abs=4 * fit.stderr[k] + 1e-3)
    assert all(v is not None and v > 0 for v in fit.stderr.values())


def test_twin_on_plga_peg_holds_out_well(plga) -> None:
    rng = np.random.default_rng(0)
    test = rng.random(len(plga)) < 0.2
    tr, te = plga[~test], plga[test]
    fit = fit_twin(tr[RATIO].to_numpy(), tr[list(POLYMERS)].to_numpy(), tr["Z_ave"].to_numpy())
    pred = fit.predict(te[RATIO].to_numpy(), te[list(POLYMERS)].to_numpy())
    rmse = float(np.sqrt(np.mean((te["Z_ave"].to_numpy() - pred) ** 2)))
    assert rmse < 15.0  # nm; the authors' XGBoost: 12.4 nm (SOURCE.md); measured 10.2
    assert fit.correlation_p_s is not None and abs(fit.correlation_p_s) > 0.9  # p and s are not separable


def test_setpoint_correction_restores_the_target() -> None:
    from pharmakon.process.twin import TwinFit

    params = {"ln_d0": 4.6, "p": 0.5, "s": 0.0, "g_L": -0.4, "g_COOH": -0.2, "g_NH2": -0.3}
    twin = TwinFit(params, dict.fromkeys(params, 0.01), None, 0.05, 100)
    f = np.array([0.5, 0.5, 0.0, 0.0])
    target = float(twin.predict(np.array([0.2]), f.reshape(1, -1))[0])
    for drift in (-0.1, 0.05, 0.15):
        r = correct_setpoint(twin, f, target, drift)
        after = np.exp(twin_log_size(params, np.array([r]), f.reshape(1, -1))[0] + drift)
        assert 0.1 <= r <= 0.25 and after == pytest.approx(target, rel=0.02)
    # a drift too large for the S/AS range: the best bounded set-point, at a bound
    assert correct_setpoint(twin, f, target, 1.0) == pytest.approx(0.1, abs=1e-3)
