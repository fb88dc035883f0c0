"""Univariate control charts for a single quality attribute: EWMA and tabular CUSUM.

Both take a series ``x`` of shape (n,) in the attribute's units, the in-control mean
``mu0`` and standard deviation ``sigma`` (from normal operation), and return the chart
statistic and a boolean signal per sample.

References
----------
Montgomery, D. C. (2019). Introduction to Statistical Quality Control, 8th ed., Wiley:
EWMA (section 9.2, exact time-varying limits) and tabular CUSUM (section 9.1).
"""

from __future__ import annotations

import numpy as np

__all__ = ["ewma_chart", "cusum_chart"]


def ewma_chart(
    x: np.ndarray, mu0: float, sigma: float, lam: float = 0.2, L: float = 3.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """EWMA ``z_t = λ x_t + (1-λ) z_{t-1}`` (z_0 = mu0) with exact limits.

    Returns
    -------
    z, limit, signal : ndarray, shape (n,) each
        The statistic, the half-width of the limits ``L σ sqrt(λ/(2-λ) (1-(1-λ)^{2t}))``
        and ``|z - mu0| > limit``.
    """
    if not 0 < lam <= 1 or sigma <= 0:
        raise ValueError(f"need 0 < lam <= 1 and sigma > 0, got lam={lam}, sigma={sigma}")
    x = np.asarray(x, float)
    z = np.empty_like(x)
    prev = mu0
    for t, v in enumerate(x):
        prev = lam * v + (1 - lam) * prev
        z[t] = prev
    t = np.arange(1, len(x) + 1)
    limit = L * sigma * np.sqrt(lam / (2 - lam) * (1 - (1 - lam) ** (2 * t)))
    return z, limit, np.abs(z - mu0) > limit


def cusum_chart(
    x: np.ndarray, mu0: float, sigma: float, k: float = 0.5, h: float = 5.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tabular CUSUM ``C+_t = max(0, x_t - (mu0 + kσ) + C+_{t-1})``, ``C-`` likewise; signal above ``hσ``.

    Returns
    -------
    upper, lower, signal : ndarray, shape (n,) each
    """
    if sigma <= 0:
        raise ValueError(f"sigma must be > 0, got {sigma}")
    x = np.asarray(x, float)
    hi, lo = np.empty_like(x), np.empty_like(x)
    cp = cm = 0.0
    for t, v in enumerate(x):
        cp = max(0.0, v - (mu0 + k * sigma) + cp)
        cm = max(0.0, (mu0 - k * sigma) - v + cm)
        hi[t], lo[t] = cp, cm
    return hi, lo, (hi > h * sigma) | (lo > h * sigma)
