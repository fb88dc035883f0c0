"""Conformal prediction and the applicability domain.

Conformal (split / cross-conformal, Vovk et al. 2005; Angelopoulos & Bates 2021):
with calibration nonconformity scores s_1..s_n exchangeable with the test score, the
threshold q = the ceil((n+1)(1-alpha))-th smallest score gives marginal coverage
>= 1 - alpha. Regression uses s = |y - yhat| (symmetric interval yhat ± q);
classification uses s = 1 - p(true class) (the set of classes with 1 - p <= q).
Assumption: calibration and future rows are exchangeable; coverage is marginal,
not per molecule. When the scores are out-of-fold predictions of K-fold models while
the deployed model is refitted on all rows (what :mod:`pharmakon.core.lifecycle`
does), the guarantee is approximate (CV+ style; Barber et al. 2021); coverage is
therefore checked on held-out data in the tests and benchmarks.

Applicability domain: a prediction is ``in_domain`` when its nearest training
neighbour is at least as close as the training rows' own nearest neighbours are to
each other at the ``quantile`` level (default: 5% of training rows would be flagged).
Fingerprints use Tanimoto similarity on binarised bits; tabular data uses Euclidean
distance on standardised columns.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from pharmakon.errors import InputError

__all__ = ["ConformalRegressor", "ConformalClassifier", "ApplicabilityDomain", "conformal_quantile",
           "tanimoto_max", "split_conformal_regression"]  # fmt: skip


def conformal_quantile(scores: Sequence[float], alpha: float) -> float:
    """The ceil((n+1)(1-alpha))-th smallest score (inf when n is too small for ``alpha``)."""
    if not 0.0 < alpha < 1.0:
        raise InputError(f"alpha must be in (0, 1), got {alpha!r}", field="alpha")
    s = np.sort(np.asarray(scores, float))
    k = math.ceil((len(s) + 1) * (1.0 - alpha))
    return float("inf") if k > len(s) else float(s[k - 1])


class ConformalRegressor:
    """Symmetric conformal interval ``yhat ± q`` from absolute residuals.

    Examples
    --------
    >>> c = ConformalRegressor(alpha=0.1).fit(np.array([0.0] * 9), np.arange(1.0, 10.0))
    >>> c.q_
    9.0
    """

    def __init__(self, alpha: float = 0.1) -> None:
        self.alpha = alpha

    def fit(self, y_true: np.ndarray, y_pred: np.ndarray) -> ConformalRegressor:
        self.q_ = conformal_quantile(np.abs(np.asarray(y_true, float) - np.asarray(y_pred, float)), self.alpha)
        self.n_calibration_ = len(y_true)
        return self

    def interval(self, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper bounds, each shape (n,)."""
        p = np.asarray(y_pred, float)
        return p - self.q_, p + self.q_


class ConformalClassifier:
    """Prediction sets ``{k : 1 - p_k <= q}`` (LAC score)."""

    def __init__(self, alpha: float = 0.1) -> None:
        self.alpha = alpha

    def fit(self, y_index: np.ndarray, proba: np.ndarray) -> ConformalClassifier:
        proba = np.asarray(proba, float)
        idx = np.asarray(y_index, int)
        self.q_ = conformal_quantile(1.0 - proba[np.arange(len(idx)), idx], self.alpha)
        self.n_calibration_ = len(idx)
        return self

    def sets(self, proba: np.ndarray) -> np.ndarray:
        """Boolean membership, shape (n, n_classes)."""
        return 1.0 - np.asarray(proba, float) <= self.q_ + 1e-12


def split_conformal_regression(estimator, X: np.ndarray, y: np.ndarray, *, alpha: float = 0.1,
                               cal_fraction: float = 0.25, seed: int = 0):  # fmt: skip
    """Split conformal: fit ``estimator`` on a proper training part, calibrate on the rest.

    Returns the fitted estimator and its :class:`ConformalRegressor`.
    """
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(y))
    n_cal = max(1, int(round(cal_fraction * len(y))))
    cal, tr = perm[:n_cal], perm[n_cal:]
    estimator.fit(X[tr], y[tr])
    return estimator, ConformalRegressor(alpha).fit(y[cal], estimator.predict(X[cal]))


def _binary(X: np.ndarray) -> np.ndarray:
    return (np.nan_to_num(np.asarray(X, float)) > 0).astype(np.float32)


def tanimoto_max(query: np.ndarray, reference: np.ndarray, *, exclude_self: bool = False,
                 chunk: int = 2048) -> np.ndarray:  # fmt: skip
    """Largest Tanimoto similarity of each query row to any reference row (binarised), shape (n_query,).

    With ``exclude_self`` the query is the reference and the diagonal is ignored.
    """
    q, r = _binary(query), _binary(reference)
    r_norm = r.sum(axis=1)
    out = np.zeros(len(q))
    for start in range(0, len(q), chunk):
        block = q[start : start + chunk]
        inter = block @ r.T
        union = block.sum(axis=1)[:, None] + r_norm[None, :] - inter
        sim = np.where(union > 0, inter / np.maximum(union, 1e-12), 1.0)
        if exclude_self:
            rows = np.arange(len(block))
            sim[rows, start + rows] = -1.0
        out[start : start + chunk] = sim.max(axis=1) if sim.shape[1] else 0.0
    return out


class ApplicabilityDomain:
    """Nearest-neighbour applicability domain.

    Parameters
    ----------
    metric : {"tanimoto", "euclidean"}
        Tanimoto for fingerprints (higher = closer); Euclidean on standardised columns.
    quantile : float, default 0.05
        Share of training rows that their own leave-one-out rule would put outside.

    Attributes
    ----------
    threshold_ : float
        Minimum similarity (tanimoto) or maximum distance (euclidean) to be in domain.
    """

    def __init__(self, metric: str = "tanimoto", quantile: float = 0.05) -> None:
        self.metric = metric
        self.quantile = quantile

    def fit(self, X: np.ndarray) -> ApplicabilityDomain:
        if self.metric not in ("tanimoto", "euclidean"):
            raise InputError(f"metric must be 'tanimoto' or 'euclidean', got {self.metric!r}", field="metric")
        if not 0.0 <= self.quantile < 0.5:
            raise InputError(f"quantile must be in [0, 0.5), got {self.quantile!r}", field="quantile")
        X = np.asarray(X, float)
        if len(X) < 2:
            raise InputError("the applicability domain needs at least 2 training rows")
        if self.metric == "tanimoto":
            self.reference_ = _binary(X)
            self.threshold_ = float(np.quantile(tanimoto_max(X, X, exclude_self=True), self.quantile))
        else:
            from sklearn.neighbors import NearestNeighbors

            self.center_ = np.nanmean(X, axis=0)
            self.scale_ = np.nanstd(X, axis=0)
            self.scale_[~(self.scale_ > 0)] = 1.0
            Z = self._standardise(X)
            self.nn_ = NearestNeighbors(n_neighbors=2).fit(Z)
            dist = self.nn_.kneighbors(Z)[0][:, 1]
            self.threshold_ = float(np.quantile(dist, 1.0 - self.quantile))
        return self

    def _standardise(self, X: np.ndarray) -> np.ndarray:
        Z = (np.asarray(X, float) - self.center_) / self.scale_
        return np.nan_to_num(Z)

    def score(self, X: np.ndarray) -> np.ndarray:
        """Nearest-neighbour similarity (tanimoto) or distance (euclidean), shape (n,)."""
        if not hasattr(self, "threshold_"):
            raise InputError("ApplicabilityDomain is not fitted; call fit() first")
        if self.metric == "tanimoto":
            return tanimoto_max(X, self.reference_)
        return self.nn_.kneighbors(self._standardise(X), n_neighbors=1)[0][:, 0]

    def in_domain(self, X: np.ndarray) -> np.ndarray:
        """Boolean flag, shape (n,)."""
        s = self.score(X)
        return s >= self.threshold_ if self.metric == "tanimoto" else s <= self.threshold_
