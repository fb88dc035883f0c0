"""Control limits of the multivariate monitoring statistics (Hotelling T², SPE/Q).

References
----------
Jackson, J. E., & Mudholkar, G. S. (1979). Control procedures for residuals associated
with principal component analysis. Technometrics 21(3), 341-349.
Tracy, N. D., Young, J. C., & Mason, R. L. (1992). Multivariate control charts for
individual observations. J. Quality Technology 24(2), 88-95.
Box, G. E. P. (1954). Some theorems on quadratic forms. Ann. Math. Statist. 25, 290-302.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["t2_limit_f", "spe_limit_jm", "spe_limit_box", "empirical_limit"]


def t2_limit_f(n_components: int, n_samples: int, alpha: float) -> float:
    """Hotelling T² limit for a new observation: ``A(n-1)(n+1)/(n(n-A)) · F_alpha(A, n-A)``.

    Parameters
    ----------
    n_components : int
        Retained components A (1 <= A < n).
    n_samples : int
        Training samples n.
    alpha : float
        Confidence level, e.g. 0.99.
    """
    a, n = n_components, n_samples
    if not 1 <= a < n:
        raise ValueError(f"T² limit needs 1 <= components < samples, got A={a}, n={n}")
    return float(a * (n - 1) * (n + 1) / (n * (n - a)) * stats.f.ppf(alpha, a, n - a))


def spe_limit_jm(residual_eigenvalues: np.ndarray, alpha: float) -> float:
    """Jackson–Mudholkar SPE (Q) limit from the eigenvalues of the discarded components.

    Parameters
    ----------
    residual_eigenvalues : ndarray, shape (m - A,)
        Variances (ddof 1) of the components not retained.
    alpha : float
        Confidence level.
    """
    lam = np.asarray(residual_eigenvalues, float)
    lam = lam[lam > 0]
    if lam.size == 0:
        return 0.0
    th1, th2, th3 = (float(np.sum(lam**i)) for i in (1, 2, 3))
    h0 = 1.0 - 2.0 * th1 * th3 / (3.0 * th2**2)
    c = stats.norm.ppf(alpha)
    inner = c * np.sqrt(2.0 * th2 * h0**2) / th1 + 1.0 + th2 * h0 * (h0 - 1.0) / th1**2
    return float(th1 * inner ** (1.0 / h0))


def spe_limit_box(spe_train: np.ndarray, alpha: float) -> float:
    """Box's g·χ²_h approximation fitted to training SPE values (mean m, variance v).

    ``g = v / (2m)``, ``h = 2m² / v``; used where the residual eigenvalues are not
    available (PLS X residuals, kernel PCA feature space).
    """
    s = np.asarray(spe_train, float)
    m, v = float(np.mean(s)), float(np.var(s, ddof=1))
    if v <= 0 or m <= 0:
        return float(np.max(s))
    g, h = v / (2 * m), 2 * m**2 / v
    return float(g * stats.chi2.ppf(alpha, h))


def empirical_limit(values: np.ndarray, alpha: float) -> float:
    """The ``alpha`` quantile of a statistic on normal-operation data (linear interpolation)."""
    return float(np.quantile(np.asarray(values, float), alpha))
