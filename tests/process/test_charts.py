"""EWMA and CUSUM charts against independent computations and published worked examples.

Montgomery (2019), Introduction to Statistical Quality Control, 8th ed.: Table 9.1 data
(30 samples, mu0 = 10, sigma = 1; the first 20 from N(10, 1), the last 10 from N(11, 1)).
Example 9.1 (tabular CUSUM, k = 0.5, h = 5): C+ is 5.28 at sample 29 and 5.30 at 30, the
first signal. Example 9.2 (EWMA, λ = 0.1, L = 2.7): z_1 = 9.945, z_2 = 9.7495, limits
10 ± 0.27 at sample 1 and 10 ± 0.62 in the steady state. ARLs: Montgomery Table 9.3
(CUSUM k = 0.5: h = 4 → 168 / 8.38 at a 1σ shift; h = 5 → 465 / 10.4) and Table 9.11 (EWMA,
Lucas & Saccucci 1990: λ = 0.40, L = 3.054 → 500 / 14.3; λ = 0.25, L = 2.998 → 500 / 11.1;
λ = 0.10, L = 2.814 → 500 / 10.3).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pharmakon.process.charts import cusum_arl, cusum_chart, ewma_arl, ewma_chart, phase1_estimate

MONTGOMERY_9_1 = np.array(
    [9.45, 7.99, 9.29, 11.66, 12.16, 10.18, 8.04, 11.46, 9.20, 10.34, 9.03, 11.47, 10.51, 9.40, 10.08,
     9.37, 10.62, 10.31, 8.52, 10.84, 10.90, 9.33, 12.29, 11.50, 10.60, 11.08, 10.38, 11.62, 11.31, 10.52]
)  # fmt: skip


def test_cusum_reproduces_montgomery_example_9_1() -> None:
    up, down, signal = cusum_chart(MONTGOMERY_9_1, 10.0, 1.0, k=0.5, h=5.0)
    assert up[28] == pytest.approx(5.28, abs=0.005) and up[29] == pytest.approx(5.30, abs=0.005)
    assert up[3] == pytest.approx(1.16, abs=0.005) and up[4] == pytest.approx(2.82, abs=0.005)
    assert np.flatnonzero(signal).tolist() == [28, 29]
    assert down[1] == pytest.approx(1.56, abs=0.005)  # 0.05 + (9.5 - 7.99)


def test_cusum_matches_the_recursion_written_independently() -> None:
    x = np.random.default_rng(5).normal(0.3, 1.2, 300)
    up, down, _ = cusum_chart(x, 0.0, 1.2, k=0.5, h=4.0)
    # C+_t = max(0, S_t - min_{s<=t} S_s) with S the cumulative sum of x - (mu0 + k sigma) (Page 1954)
    s = np.concatenate([[0.0], np.cumsum(x - 0.6)])
    assert np.allclose(up, s[1:] - np.minimum.accumulate(s)[1:])
    s = np.concatenate([[0.0], np.cumsum(-0.6 - x)])
    assert np.allclose(down, s[1:] - np.minimum.accumulate(s)[1:])


def test_ewma_reproduces_montgomery_example_9_2_and_pandas() -> None:
    z, half, signal = ewma_chart(MONTGOMERY_9_1, 10.0, 1.0, lam=0.1, L=2.7)
    assert z[:2] == pytest.approx([9.945, 9.7495])
    assert 10 + half[0] == pytest.approx(10.27, abs=0.005) and 10 + half[-1] == pytest.approx(10.62, abs=0.005)
    # pandas' adjusted=False EWMA from z_0 = mu0 is the same recursion, computed independently
    ref = pd.Series(np.concatenate([[10.0], MONTGOMERY_9_1])).ewm(alpha=0.1, adjust=False).mean().to_numpy()[1:]
    assert np.allclose(z, ref)
    # the exact variance of z_t is sigma² λ² Σ_{i<t} (1-λ)^{2i}
    var = np.cumsum(0.1**2 * 0.9 ** (2 * np.arange(30)))
    assert np.allclose(half, 2.7 * np.sqrt(var))
    assert np.flatnonzero(signal).tolist() == [28, 29]


@pytest.mark.parametrize(
    ("lam", "L", "arl0", "arl1"), [(0.40, 3.054, 500, 14.3), (0.25, 2.998, 500, 11.1), (0.10, 2.814, 500, 10.3)]
)
def test_ewma_arl_matches_lucas_saccucci(lam: float, L: float, arl0: float, arl1: float) -> None:  # noqa: N803
    assert ewma_arl(lam, L) == pytest.approx(arl0, rel=0.02)
    assert ewma_arl(lam, L, 1.0) == pytest.approx(arl1, rel=0.02)


@pytest.mark.parametrize(("h", "arl0", "arl1"), [(4.0, 168, 8.38), (5.0, 465, 10.4)])
def test_cusum_arl_matches_montgomery_table_9_3(h: float, arl0: float, arl1: float) -> None:
    assert cusum_arl(0.5, h) == pytest.approx(arl0, rel=0.02)
    assert cusum_arl(0.5, h, 1.0) == pytest.approx(arl1, rel=0.02)


def test_ewma_in_control_run_length_agrees_with_simulation() -> None:
    # Monte Carlo with asymptotic limits: mean run length of 400 in-control runs (seeded)
    lam, L = 0.4, 3.054
    rng = np.random.default_rng(0)
    limit = L * np.sqrt(lam / (2 - lam))
    lengths = []
    for _ in range(400):
        z, t = 0.0, 0
        while True:
            t += 1
            z = lam * rng.normal() + (1 - lam) * z
            if abs(z) > limit:
                break
        lengths.append(t)
    # the standard error of the mean run length is about ARL/sqrt(400) = 5 %
    assert np.mean(lengths) == pytest.approx(ewma_arl(lam, L), rel=0.15)


def test_phase1_uses_the_moving_range() -> None:
    mean, sd = phase1_estimate(MONTGOMERY_9_1[:20])
    assert mean == pytest.approx(MONTGOMERY_9_1[:20].mean())
    assert sd == pytest.approx(np.abs(np.diff(MONTGOMERY_9_1[:20])).mean() / 1.128)
    with pytest.raises(ValueError, match="2 samples"):
        phase1_estimate(np.array([1.0]))
