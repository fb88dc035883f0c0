"""Farrington-Manning restricted maximum-likelihood rates under a non-inferiority H0.

Farrington CP, Manning G (1990). Test statistics and sample size formulae for
comparative binomial trials with null hypothesis of non-zero risk difference or
non-unity relative risk. Stat Med 9:1447-1454. ``theta = n2 / n1`` as in the paper.
"""

from __future__ import annotations

import numpy as np

__all__ = ["restricted_difference", "restricted_ratio"]


def restricted_difference(p1: float, p2: float, delta: float, theta: float) -> tuple[float, float]:
    """Rates ``(q1, q2)`` maximising the likelihood at ``p1, p2`` subject to ``q1 - q2 = delta``."""
    a = 1.0 + theta
    b = -(1.0 + theta + p1 + theta * p2 + delta * (theta + 2.0))
    c = delta**2 + delta * (2.0 * p1 + theta + 1.0) + p1 + theta * p2
    d = -p1 * delta * (1.0 + delta)
    v = b**3 / (27.0 * a**3) - b * c / (6.0 * a**2) + d / (2.0 * a)
    u = (
        np.sign(v) * np.sqrt(b**2 / (9.0 * a**2) - c / (3.0 * a))
        if v != 0
        else np.sqrt(b**2 / (9.0 * a**2) - c / (3.0 * a))
    )
    w = (np.pi + np.arccos(np.clip(v / u**3, -1.0, 1.0))) / 3.0
    q1 = 2.0 * u * np.cos(w) - b / (3.0 * a)
    return float(q1), float(q1 - delta)


def restricted_ratio(p1: float, p2: float, phi: float, theta: float) -> tuple[float, float]:
    """Rates ``(q1, q2)`` maximising the likelihood at ``p1, p2`` subject to ``q1 = phi q2``."""
    a = 1.0 + theta
    b = -(phi * (1.0 + theta * p2) + theta + p1)
    c = phi * (p1 + theta * p2)
    q1 = (-b - np.sqrt(b**2 - 4.0 * a * c)) / (2.0 * a)
    return float(q1), float(q1 / phi)
