"""Frequentist and BCPNN disproportionality measures from the 2x2 table, vectorised.

For a drug-event pair with ``a`` reports naming both, ``n_drug`` naming the drug,
``n_event`` naming the event and ``n_total`` reports in all, the 2x2 table is

=========  =========  =========
           event      not event
drug       a          b = n_drug - a
not drug   c = n_event - a   d = n_total - n_drug - n_event + a
=========  =========  =========

* **PRR** = ``[a/(a+b)] / [c/(c+d)]`` (Evans et al. 2001); ``inf`` when ``c = 0``.
  ``chi2`` is Pearson's chi-squared with Yates' continuity correction (1 df), as in
  Evans' criteria: a signal when ``PRR >= 2``, ``chi2 >= 4`` and ``a >= 3``.
* **ROR** = ``ad / bc`` with a Wald 95 % CI ``exp(log ROR +/- 1.96 sqrt(1/a+1/b+1/c+1/d))``
  (van Puijenbroek et al. 2002). Where a cell is zero, 0.5 is added to all four cells
  of that pair (Haldane-Anscombe) so that the ratio and CI stay finite; the column
  ``ror_corrected`` says which rows were corrected.
* **IC** (BCPNN, Norén et al. 2006/2013): ``IC = log2((a + 0.5) / (E + 0.5))`` with
  ``E`` the expected count, and ``IC025``/``IC975`` the 2.5 %/97.5 % quantiles of
  ``log2(Gamma(a + 0.5, rate = E + 0.5))`` (Norén, Hopstadius & Bate 2013). A signal
  when ``IC025 > 0``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

__all__ = ["two_by_two", "prr", "ror", "information_component", "disproportionality"]

Z975 = 1.959963984540054


def two_by_two(
    n: np.ndarray,
    n_drug: np.ndarray,
    n_event: np.ndarray,
    n_total: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cells ``(a, b, c, d)`` of the 2x2 table, each of shape ``(n_pairs,)`` (float)."""
    a = np.asarray(n, dtype=float)
    b = np.asarray(n_drug, dtype=float) - a
    c = np.asarray(n_event, dtype=float) - a
    d = np.asarray(n_total, dtype=float) - a - b - c
    return a, b, c, d


def prr(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Proportional reporting ratio and Yates-corrected chi-squared, shapes ``(n_pairs,)``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (a / (a + b)) / (c / (c + d))
        n = a + b + c + d
        num = n * np.maximum(np.abs(a * d - b * c) - n / 2.0, 0.0) ** 2
        chi2 = num / ((a + b) * (c + d) * (a + c) * (b + d))
    return ratio, np.nan_to_num(chi2, nan=0.0)


def ror(
    a: np.ndarray,
    b: np.ndarray,
    c: np.ndarray,
    d: np.ndarray,
    z: float = Z975,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Reporting odds ratio with Wald CI; returns ``(ror, lower, upper, corrected)``."""
    corrected = (a == 0) | (b == 0) | (c == 0) | (d == 0)
    shift = np.where(corrected, 0.5, 0.0)
    a, b, c, d = a + shift, b + shift, c + shift, d + shift
    log_ror = np.log(a) + np.log(d) - np.log(b) - np.log(c)
    se = np.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    return np.exp(log_ror), np.exp(log_ror - z * se), np.exp(log_ror + z * se), corrected


def information_component(
    n: np.ndarray,
    expected: np.ndarray,
    level: float = 0.95,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """BCPNN IC with Norén's +0.5 shrinkage and its gamma credibility interval (log2 units).

    The gamma quantiles depend on ``n`` alone: they are computed once per distinct ``n``.
    """
    shape = np.asarray(n, dtype=float) + 0.5
    rate = np.asarray(expected, dtype=float) + 0.5
    tail = (1 - level) / 2
    ic = np.log2(shape / rate)
    shapes, index = np.unique(shape, return_inverse=True)
    index = index.reshape(shape.shape)
    lower = np.log2(special.gammaincinv(shapes, tail)[index] / rate)
    upper = np.log2(special.gammaincinv(shapes, 1 - tail)[index] / rate)
    return ic, lower, upper


def disproportionality(counts: pd.DataFrame, methods: tuple[str, ...] = ("prr", "ror", "ic")) -> pd.DataFrame:
    """Add PRR/chi2, ROR/CI and IC/IC025/IC975 columns to a :func:`pair_counts` table.

    Parameters
    ----------
    counts : pandas.DataFrame
        Columns ``n, expected, n_drug, n_event, n_total``; not modified.
    methods : tuple of {"prr", "ror", "ic"}

    Returns
    -------
    pandas.DataFrame
        A copy with the new columns.
    """
    out = counts.copy()
    a, b, c, d = two_by_two(
        out["n"].to_numpy(), out["n_drug"].to_numpy(), out["n_event"].to_numpy(), out["n_total"].to_numpy()
    )
    if "prr" in methods:
        out["prr"], out["chi2"] = prr(a, b, c, d)
    if "ror" in methods:
        out["ror"], out["ror_lower"], out["ror_upper"], out["ror_corrected"] = ror(a, b, c, d)
    if "ic" in methods:
        out["ic"], out["ic025"], out["ic975"] = information_component(a, out["expected"].to_numpy())
    return out
