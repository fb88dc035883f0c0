"""The monitors against their definitions and the TEP static-PCA anchor (pca_baseline_ours.csv)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pharmakon.process.limits import spe_limit_jm, t2_limit_f
from pharmakon.process.mspc import DPCAMonitor, KPCAMonitor, PCAMonitor, PLSMonitor, lagged

STATS = ["FDR_T2", "FDR_SPE", "FAR_T2_pre", "FAR_SPE_pre"]


def _rates(mon: PCAMonitor, X: np.ndarray) -> list[float]:
    t2, spe = mon.statistics(X)
    a, b = t2 > mon.t2_limit_, spe > mon.spe_limit_
    return [100 * a[160:].mean(), 100 * b[160:].mean(), 100 * a[:160].mean(), 100 * b[:160].mean()]


def test_static_pca_reproduces_the_tep_anchor_within_half_a_point(tep_train, tep_test, tep_baseline) -> None:
    mon = PCAMonitor(n_components=9, alpha=0.99).fit(tep_train.to_numpy())
    ref = tep_baseline[tep_baseline["n_pc"] == 9].set_index("fault")
    cols = list(tep_train.columns)
    for fault, run in tep_test.groupby("fault"):
        ours = _rates(mon, run[cols].to_numpy())
        theirs = ref.loc[fault, STATS].to_numpy(float)
        assert np.abs(np.array(ours) - theirs).max() <= 0.5, (fault, ours, theirs)


def test_pca_follows_the_fixed_definitions() -> None:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 6)) @ rng.normal(size=(6, 6)) + 5
    mon = PCAMonitor(n_components=3, alpha=0.95).fit(X)
    n = len(X)
    Z = (X - X.mean(0)) / X.std(0, ddof=1)
    _, s, vt = np.linalg.svd(Z, full_matrices=False)
    P = vt[:3].T
    T = Z @ P
    lam = T.var(0, ddof=1)
    t2 = np.sum(T**2 / lam, axis=1)
    spe = np.sum((Z - T @ P.T) ** 2, axis=1)
    got_t2, got_spe = mon.statistics(X)
    assert np.allclose(got_t2, t2) and np.allclose(got_spe, spe)
    # sample T² of the training data averages A (n-1)/n when the score variances have ddof 1
    assert got_t2.mean() == pytest.approx(3 * (n - 1) / n)
    assert mon.t2_limit_ == pytest.approx(3 * (n - 1) * (n + 1) / (n * (n - 3)) * stats.f.ppf(0.95, 3, n - 3))
    # Jackson-Mudholkar by hand (Jackson & Mudholkar 1979, eq. 3.5)
    rest = (s**2 / (n - 1))[3:]
    t1, t2_, t3 = (np.sum(rest**i) for i in (1, 2, 3))
    h0 = 1 - 2 * t1 * t3 / (3 * t2_**2)
    c = stats.norm.ppf(0.95)
    q = t1 * (c * np.sqrt(2 * t2_ * h0**2) / t1 + 1 + t2_ * h0 * (h0 - 1) / t1**2) ** (1 / h0)
    assert mon.spe_limit_ == pytest.approx(q)


def test_jm_limit_matches_a_chi_square_case() -> None:
    # equal residual eigenvalues l (k of them): SPE/l is chi2(k) exactly; JM's approximation is close
    k, lam = 40, 0.5
    assert spe_limit_jm(np.full(k, lam), 0.99) == pytest.approx(lam * stats.chi2.ppf(0.99, k), rel=0.01)
    assert t2_limit_f(2, 1000, 0.99) == pytest.approx(stats.chi2.ppf(0.99, 2), rel=0.02)


def test_contributions_sum_to_the_statistics() -> None:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 8))
    for mon in (PCAMonitor(3), PLSMonitor(2)):
        y = X[:, :1] + rng.normal(size=(200, 1)) * 0.1
        mon.fit(X, y) if isinstance(mon, PLSMonitor) else mon.fit(X)
        new = rng.normal(size=(5, 8)) * 2
        c_t2, c_spe = mon.contributions(new)
        t2, spe = mon.statistics(new)
        assert np.allclose(c_t2.sum(1), t2) and np.allclose(c_spe.sum(1), spe)
        assert (c_t2 >= 0).all() and (c_spe >= 0).all()


def test_a_shifted_variable_has_the_largest_contribution(tep_train) -> None:
    mon = PCAMonitor(9).fit(tep_train.to_numpy())
    x = tep_train.to_numpy()[:1].copy()
    j = list(tep_train.columns).index("xmeas_9")
    x[0, j] += 8 * tep_train["xmeas_9"].std()
    _, c_spe = mon.contributions(x)
    assert int(np.argmax(c_spe[0])) == j


def test_dynamic_pca_lags_and_series() -> None:
    X = np.arange(12, dtype=float).reshape(6, 2)
    L = lagged(X, 2)
    assert L.shape == (4, 6) and list(L[0]) == [4, 5, 2, 3, 0, 1]
    rng = np.random.default_rng(0)
    Y = np.cumsum(rng.normal(size=(400, 4)), axis=0) * 0.1 + rng.normal(size=(400, 4))
    mon = DPCAMonitor(n_components=4, lags=2).fit(Y)
    t2, spe = mon.statistics_series(Y)
    assert np.isnan(t2[:2]).all() and np.isfinite(t2[2:]).all()
    c_t2, _ = mon.contributions(lagged(Y, 2)[:3])
    assert c_t2.shape == (3, 4)


@pytest.mark.parametrize("est", [PCAMonitor(9), DPCAMonitor(21, 2, 0.995), PLSMonitor(4), KPCAMonitor(20)])
def test_training_false_alarms_are_near_nominal(est, tep_train) -> None:
    X = tep_train.to_numpy()
    est.fit(X[:, :-1], X[:, -1:]) if isinstance(est, PLSMonitor) else est.fit(X)
    Xs = X[:, :-1] if isinstance(est, PLSMonitor) else X
    t2, spe = est.statistics_series(Xs) if isinstance(est, DPCAMonitor) else est.statistics(Xs)
    ok = np.isfinite(t2)
    assert np.mean(t2[ok] > est.t2_limit_) < 0.05 and np.mean(spe[ok] > est.spe_limit_) < 0.05


def test_bad_fits_are_refused() -> None:
    with pytest.raises(ValueError, match="n_components"):
        PCAMonitor(n_components=10).fit(np.random.default_rng(0).normal(size=(50, 5)))
    with pytest.raises(ValueError, match="NaN"):
        PCAMonitor(2).fit(np.array([[1.0, np.nan, 2], [1, 2, 3], [2, 3, 4], [3, 1, 2]]))
    with pytest.raises(ValueError, match="not fitted|fit"):
        PCAMonitor(2).statistics(np.ones((2, 3)))
    mon = PCAMonitor(2).fit(np.random.default_rng(0).normal(size=(50, 5)))
    with pytest.raises(ValueError, match="fitted on 5 variables"):
        mon.statistics(np.ones((2, 4)))


def test_ewma_and_cusum_signal_a_shift() -> None:
    from pharmakon.process.charts import cusum_chart, ewma_chart

    rng = np.random.default_rng(2)
    x = np.concatenate([rng.normal(10, 1, 50), rng.normal(11.5, 1, 50)])
    _, limit, sig = ewma_chart(x, 10, 1)
    assert limit[0] == pytest.approx(3 * np.sqrt(0.2 / 1.8 * (1 - 0.8**2)))
    assert not sig[:20].any() and sig[50:].any()
    _, _, csig = cusum_chart(x, 10, 1)
    assert not csig[:30].any() and np.argmax(csig) >= 50
    frame = pd.DataFrame({"x": x})
    assert len(frame) == 100
