"""Two-sided group-sequential designs with beta-spending (inner) futility bounds.

A two-sided design with futility stops for efficacy when ``|Z_k| >= c_k`` and for
futility when ``|Z_k| <= f_k`` (an inner wedge around 0). The rules follow rpact's
documented behaviour so the numbers can be checked against it:

* futility is only considered from the first look at which the one-sided design at
  ``alpha / 2`` (same spending functions) has a positive futility bound; before it
  ``f_k = 0`` and no beta is spent, and with ``beta_adjustment`` the beta-spending
  function is rescaled to spend all of ``beta`` from that look on;
* ``f_k`` is capped at ``c_k``; the drift solves ``f_K = c_K``;
* binding: efficacy bounds are recomputed under H0 with the futility wedge; and
* power counts crossings of the upper boundary only (``twoSidedPower = FALSE``).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq

from pharmakon.trials.design._integration import Recursion, solve_inner, solve_upper

__all__ = ["exit_probabilities_two_sided", "beta_spending_two_sided", "adjusted_beta_spending"]


def exit_probabilities_two_sided(
    t: np.ndarray, c: np.ndarray, inner: np.ndarray, delta: float = 0.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-stage P(Z_k >= c_k), P(Z_k <= -c_k) and P(|Z_k| < f_k), first exit at stage k.

    ``inner`` has length K (use 0 where there is no futility stop; ``inner[-1]`` is
    ignored except for the futility mass at the last look, which is returned too).
    """
    rec = Recursion(t, delta)
    k_max = t.size
    up, down, mid = np.zeros(k_max), np.zeros(k_max), np.zeros(k_max)
    for k in range(k_max):
        up[k] = rec.upper_tail(c[k])
        down[k] = rec.lower_tail(-c[k])
        f = inner[k]
        if f > 0:
            mid[k] = rec.lower_tail(f) - rec.lower_tail(-f)
        if k < k_max - 1:
            rec.advance(-c[k], c[k], inner=f)
    return up, down, mid


def adjusted_beta_spending(cum_beta: np.ndarray, k_min: int, adjust: bool) -> np.ndarray:
    """Zero beta spending before look ``k_min`` (0-based); optionally rescale the rest to spend ``beta``."""
    if k_min <= 0:
        return cum_beta
    out = cum_beta.copy()
    out[:k_min] = 0.0
    if adjust:
        base, total = cum_beta[k_min - 1], cum_beta[-1]
        out[k_min - 1 :] = (cum_beta[k_min - 1 :] - base) / (total - base) * total
    return out


def beta_spending_two_sided(
    t: np.ndarray,
    cum_alpha: np.ndarray,
    cum_beta: np.ndarray,
    binding: bool,
    u_fixed: np.ndarray,
    one_sided_futility: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Solve drift, efficacy and inner futility bounds; returns ``(c, f, drift)``, f of length K."""
    k_max = t.size
    allow = np.concatenate((one_sided_futility >= 0, [True]))

    def run(delta: float) -> tuple[float, np.ndarray, np.ndarray]:
        rec0, rec1 = Recursion(t, 0.0), Recursion(t, delta)
        c, f = np.empty(k_max), np.zeros(k_max)
        prev_a = prev_b = 0.0
        for k in range(k_max):
            c[k] = solve_upper(rec0, cum_alpha[k] - prev_a, two_sided=True) if binding else u_fixed[k]
            prev_a = cum_alpha[k]
            if k == k_max - 1:  # beta left at the last look: P(|Z_K| < c_K, continued)
                f[k] = c[k]
                return prev_b + rec1.lower_tail(c[k]) - rec1.lower_tail(-c[k]) - cum_beta[-1], c, f
            if allow[k]:
                f[k] = solve_inner(rec1, cum_beta[k] - prev_b, cap=c[k])
            prev_b += rec1.lower_tail(f[k]) - rec1.lower_tail(-f[k]) if f[k] > 0 else 0.0
            rec1.advance(-c[k], c[k], inner=f[k])
            if binding:
                rec0.advance(-c[k], c[k], inner=f[k])
        raise AssertionError  # pragma: no cover

    delta = brentq(lambda d: run(d)[0], 1e-6, 20.0, xtol=1e-13, rtol=1e-14)
    _, c, f = run(delta)
    return c, f, delta
