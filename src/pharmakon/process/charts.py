"""Univariate control charts for a single quality attribute: EWMA and tabular CUSUM.

Both take a series ``x`` of shape (n,) in the attribute's units, the in-control mean
``mu0`` and standard deviation ``sigma`` (from normal operation), and return the chart
statistic and a boolean signal per sample. :func:`phase1_estimate` estimates ``mu0``
and ``sigma`` from the first samples; :func:`ewma_arl` and :func:`cusum_arl` give the
average run length (ARL, samples to a signal) of a chart's settings for a mean shift.

ARL assumptions (both): independent, normally distributed observations with known
``mu0`` and ``sigma``; a step shift of ``shift`` sigma present from the first sample.
The EWMA ARL is for the asymptotic limits (Lucas & Saccucci 1990); the chart itself
uses the exact, narrower early limits, so its in-control ARL is slightly shorter.

References
----------
Montgomery, D. C. (2019). Introduction to Statistical Quality Control, 8th ed., Wiley:
EWMA (section 9.2, exact time-varying limits) and tabular CUSUM (section 9.1).
Lucas, J. M., & Saccucci, M. S. (1990). Exponentially weighted moving average control
schemes: properties and enhancements. Technometrics 32(1), 1-12 (Markov-chain ARL).
Siegmund, D. (1985). Sequential Analysis. Springer (the CUSUM ARL approximation).
"""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter
from scipy.stats import norm

__all__ = ["ewma_chart", "cusum_chart", "phase1_estimate", "ewma_arl", "cusum_arl", "D2_MOVING_RANGE"]

#: d2 for subgroups of 2: sigma is estimated as the mean moving range / d2 (Montgomery 6.4).
D2_MOVING_RANGE = 1.128


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
    # the recursion as a first-order IIR filter on the deviations (starts at z_0 = mu0)
    z = mu0 + lfilter([lam], [1.0, lam - 1.0], x - mu0)
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
    # a clipped running sum has no closed vectorised form; n is bounded by the caller
    for t, v in enumerate(x.tolist()):
        cp = max(0.0, v - (mu0 + k * sigma) + cp)
        cm = max(0.0, (mu0 - k * sigma) - v + cm)
        hi[t], lo[t] = cp, cm
    return hi, lo, (hi > h * sigma) | (lo > h * sigma)


def phase1_estimate(x: np.ndarray) -> tuple[float, float]:
    """In-control ``(mean, sigma)`` from phase I samples ``x`` (n >= 2): mean and moving range / d2.

    The moving-range estimate (mean of ``|x_t - x_{t-1}|`` over d2 = 1.128) is the
    usual one for individual measurements: a slow drift inside phase I inflates it less
    than the sample SD.
    """
    x = np.asarray(x, float)
    if len(x) < 2:
        raise ValueError("phase I needs at least 2 samples")
    return float(x.mean()), float(np.mean(np.abs(np.diff(x))) / D2_MOVING_RANGE)


def ewma_arl(lam: float, L: float, shift: float = 0.0, states: int = 201) -> float:
    """ARL of a two-sided EWMA with asymptotic limits ``±L sqrt(λ/(2-λ))`` (units of sigma).

    Markov-chain approximation (Lucas & Saccucci 1990): the in-control region is cut into
    ``states`` cells; ``ARL = first row of (I - Q)^{-1} 1`` started at the centre cell.
    """
    h = L * np.sqrt(lam / (2 - lam))
    w = 2 * h / states
    centres = -h + w * (np.arange(states) + 0.5)
    # P(z_t in cell j | z_{t-1} = centre i) with z_t = (1-λ) z + λ x, x ~ N(shift, 1)
    upper = (centres[None, :] + w / 2 - (1 - lam) * centres[:, None]) / lam
    lower = (centres[None, :] - w / 2 - (1 - lam) * centres[:, None]) / lam
    Q = norm.cdf(upper - shift) - norm.cdf(lower - shift)
    arl = np.linalg.solve(np.eye(states) - Q, np.ones(states))
    return float(arl[states // 2])


def cusum_arl(k: float, h: float, shift: float = 0.0) -> float:
    """ARL of the two-sided tabular CUSUM (k, h in sigma units) by Siegmund's approximation.

    One side: ``(exp(-2Δb) + 2Δb - 1) / (2Δ²)`` with ``Δ = ±shift - k``, ``b = h + 1.166``
    (``b²`` when Δ = 0); two sides: ``1/ARL = 1/ARL+ + 1/ARL-``.
    """
    b = h + 1.166

    def side(delta: float) -> float:
        if abs(delta) < 1e-9:
            return b**2
        with np.errstate(over="ignore"):  # a far side's ARL overflows to inf: it then never signals
            return float((np.exp(-2 * delta * b) + 2 * delta * b - 1) / (2 * delta**2))

    return float(1 / (1 / side(shift - k) + 1 / side(-shift - k)))
