"""Conformal prediction and the applicability domain.

Conformal (split / cross-conformal, Vovk et al. 2005; Angelopoulos & Bates 2021):
with calibration nonconformity scores s_1..s_n exchangeable with the test score, the
threshold q = the ceil((n+1)(1-alpha))-th smallest score gives marginal coverage
>= 1 - alpha. Regression uses s = |y - yhat| (symmetric interval yhat ± q);
classification uses s = 1 - p(true class) (the set of classes with 1 - p <= q).

Mondrian (novelty-binned) conformal (Vovk et al. 2005, sec. 4.5; Boström & Johansson 2020):
when each calibration row also has a *difficulty* d (here its novelty: 1 - the
nearest-neighbour Tanimoto similarity to the rows its out-of-fold model was trained
on, or the nearest-neighbour distance in standardised columns for tabular data), the
rows are cut into quantile bins of d with at least ``min_rows`` rows each (default
200, so that a bin's own coverage has a standard deviation of about
sqrt(alpha (1 - alpha) / 200) = 2 points at 90%; at most ``max_bins`` = 10 bins), and
q is taken separately in each bin; a new row uses the q of the bin its own d falls in.
Fewer than 2 * ``min_rows`` calibration rows give one bin, i.e. plain conformal.
Assumption: within a bin, calibration and future scores are exchangeable. Coverage
is then >= 1 - alpha *in every bin*, hence also marginally under any mix of bins, so
it survives a covariate shift towards novel molecules (e.g. a scaffold split) as
long as the shift is captured by d; a row more novel than every calibration row
gets the last (most novel) bin's q, which is extrapolation; the bin edges come from
the calibration rows' own quantiles (a small further approximation). Coverage is
never per molecule. When the scores are out-of-fold predictions of K-fold models while the
deployed model is refitted on all rows (what :mod:`pharmakon.core.lifecycle` does),
the guarantee is approximate (CV+ style; Barber et al. 2021): the fold models saw
(K-1)/K of the rows and their calibration rows' novelty is measured against that
part, so calibration sees novelty as a future molecule does; this assumes a model's
error depends on its training set mainly through the query's novelty to it. Known
limits, seen in ``bench/conformal_coverage.py`` (held-out random and scaffold splits):
nearest-neighbour novelty does not see everything a scaffold split changes (a close
analogue from another series is harder than a random-fold row of the same
similarity), so scaffold-split coverage can stay a point or two short; and a model
whose error falls steeply with training size (small data, or ridge near n = p) gets
conservative intervals from (K-1)/K-sized fold models.

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

from pharmakon.core.nearest import TanimotoIndex, binary_bits
from pharmakon.errors import InputError, NotFittedError

__all__ = [
    "ConformalRegressor",
    "ConformalClassifier",
    "ApplicabilityDomain",
    "conformal_quantile",
    "tanimoto_max",
    "split_conformal_regression",
    "mondrian_edges",
]


def conformal_quantile(scores: Sequence[float], alpha: float) -> float:
    """The ceil((n+1)(1-alpha))-th smallest score (inf when n is too small for ``alpha``)."""
    if not 0.0 < alpha < 1.0:
        raise InputError(f"alpha must be in (0, 1), got {alpha!r}", field="alpha")
    s = np.sort(np.asarray(scores, float))
    k = math.ceil((len(s) + 1) * (1.0 - alpha))
    return float("inf") if k > len(s) else float(s[k - 1])


def mondrian_edges(difficulty: Sequence[float], *, min_rows: int = 200, max_bins: int = 10) -> np.ndarray:
    """Interior bin edges on ``difficulty``: quantile bins with >= ``min_rows`` rows each.

    Parameters
    ----------
    difficulty : array, shape (n,)
        Calibration rows' difficulty (higher = harder).
    min_rows : int
        Smallest bin; bins left smaller by ties are merged into their smaller neighbour.
    max_bins : int
        Upper bound on the number of bins (at most ``n // min_rows``).

    Returns
    -------
    ndarray, shape (n_bins - 1,)
        Sorted edges; a value ``d`` falls in bin ``searchsorted(edges, d, side="left")``.
        Empty (one bin: plain conformal) when fewer than ``2 * min_rows`` rows.
    """
    if min_rows < 1 or max_bins < 1:
        raise InputError(f"min_rows and max_bins must be >= 1, got {min_rows!r}, {max_bins!r}", field="min_rows")
    d = np.asarray(difficulty, float)
    n_bins = int(min(max_bins, len(d) // min_rows))
    if n_bins < 2:
        return np.array([])
    edges = list(np.unique(np.quantile(d, np.linspace(0.0, 1.0, n_bins + 1)[1:-1])))
    while edges:
        counts = np.bincount(np.searchsorted(edges, d, side="left"), minlength=len(edges) + 1)
        small = int(np.argmin(counts))
        if counts[small] >= min_rows:
            break
        if small == 0:
            edges.pop(0)
        elif small == len(edges) or counts[small - 1] <= counts[small + 1]:
            edges.pop(small - 1)
        else:
            edges.pop(small)
    return np.asarray(edges, float)


class _Mondrian:
    """Shared fitting of the marginal and per-bin thresholds (see the module notes)."""

    def __init__(self, alpha: float = 0.1, *, min_rows: int = 200, max_bins: int = 10) -> None:
        self.alpha = alpha
        self.min_rows = min_rows
        self.max_bins = max_bins

    def _fit_scores(self, scores: np.ndarray, difficulty: Sequence[float] | None) -> None:
        self.q_ = conformal_quantile(scores, self.alpha)
        self.n_calibration_ = len(scores)
        self.edges_, self.bin_q_, self.bin_rows_ = np.array([]), np.array([self.q_]), np.array([len(scores)])
        self.difficulty_ = None  # calibration rows' difficulty, kept for the model card and audits
        if difficulty is not None:
            d = np.asarray(difficulty, float)
            if d.shape != scores.shape or not np.isfinite(d).all():
                raise InputError(
                    f"difficulty must be {len(scores)} finite numbers, one per calibration row", field="difficulty"
                )
            self.difficulty_ = d
            self.edges_ = mondrian_edges(d, min_rows=self.min_rows, max_bins=self.max_bins)
            b = np.searchsorted(self.edges_, d, side="left")
            self.bin_rows_ = np.bincount(b, minlength=len(self.edges_) + 1)
            self.bin_q_ = np.array([conformal_quantile(scores[b == k], self.alpha) for k in range(len(self.bin_rows_))])

    def threshold(self, difficulty: Sequence[float] | None, n: int) -> np.ndarray:
        """Per-row q, shape (n,): the bin's q, or the marginal q without ``difficulty`` or bins."""
        if not hasattr(self, "q_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit() first")
        edges = getattr(self, "edges_", np.array([]))  # models pickled before the bins: plain conformal
        if difficulty is None or len(edges) == 0:
            return np.full(n, self.q_)
        return self.bin_q_[np.searchsorted(edges, np.asarray(difficulty, float), side="left")]

    def bins(self) -> list[dict[str, float]]:
        """One dict per bin: difficulty range ``lower`` < d <= ``upper`` (None = open), ``rows`` and ``q``."""
        edges = getattr(self, "edges_", np.array([]))
        bounds = [None, *(float(e) for e in edges), None]
        rows = getattr(self, "bin_rows_", [self.n_calibration_])
        qs = getattr(self, "bin_q_", [self.q_])
        return [
            {"lower": bounds[k], "upper": bounds[k + 1], "rows": int(rows[k]), "q": float(qs[k])}
            for k in range(len(bounds) - 1)
        ]


class ConformalRegressor(_Mondrian):
    """Symmetric conformal interval ``yhat ± q`` from absolute residuals, optionally Mondrian by difficulty.

    Parameters
    ----------
    alpha : float
        Miscoverage; intervals aim at 1 - alpha coverage.
    min_rows, max_bins : int
        Mondrian bins (used only when ``fit`` gets a ``difficulty``); see :func:`mondrian_edges`.

    Examples
    --------
    >>> c = ConformalRegressor(alpha=0.1).fit(np.array([0.0] * 9), np.arange(1.0, 10.0))
    >>> c.q_
    9.0
    """

    def fit(
        self, y_true: np.ndarray, y_pred: np.ndarray, difficulty: Sequence[float] | None = None
    ) -> ConformalRegressor:
        """Calibrate on ``y_true``/``y_pred`` (shape (n,)); ``difficulty`` (n,) turns on the bins."""
        self._fit_scores(np.abs(np.asarray(y_true, float) - np.asarray(y_pred, float)), difficulty)
        return self

    def interval(self, y_pred: np.ndarray, difficulty: Sequence[float] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper bounds, each shape (n,); ``difficulty`` (n,) as in ``fit``."""
        p = np.asarray(y_pred, float)
        q = self.threshold(difficulty, len(p))
        return p - q, p + q


class ConformalClassifier(_Mondrian):
    """Prediction sets ``{k : 1 - p_k <= q}`` (LAC score), optionally Mondrian by difficulty."""

    def fit(
        self, y_index: np.ndarray, proba: np.ndarray, difficulty: Sequence[float] | None = None
    ) -> ConformalClassifier:
        """Calibrate on class indices (n,) and probabilities (n, n_classes)."""
        proba = np.asarray(proba, float)
        idx = np.asarray(y_index, int)
        self._fit_scores(1.0 - proba[np.arange(len(idx)), idx], difficulty)
        return self

    def sets(self, proba: np.ndarray, difficulty: Sequence[float] | None = None) -> np.ndarray:
        """Boolean membership, shape (n, n_classes)."""
        p = np.asarray(proba, float)
        return 1.0 - p <= self.threshold(difficulty, len(p))[:, None] + 1e-12


def split_conformal_regression(
    estimator, X: np.ndarray, y: np.ndarray, *, alpha: float = 0.1, cal_fraction: float = 0.25, seed: int = 0
):
    """Split conformal: fit ``estimator`` on a proper training part, calibrate on the rest.

    Returns the fitted estimator and its :class:`ConformalRegressor`.
    """
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(y))
    n_cal = max(1, int(round(cal_fraction * len(y))))
    cal, tr = perm[:n_cal], perm[n_cal:]
    estimator.fit(X[tr], y[tr])
    return estimator, ConformalRegressor(alpha).fit(y[cal], estimator.predict(X[cal]))


def tanimoto_max(query: np.ndarray, reference: np.ndarray, *, exclude_self: bool = False) -> np.ndarray:
    """Largest Tanimoto similarity of each query row to any reference row (binarised), shape (n_query,).

    With ``exclude_self`` the query is the reference and the diagonal is ignored. Exact, by the
    sparse search of :class:`pharmakon.core.nearest.TanimotoIndex` (float32 ratios).
    """
    q, r = binary_bits(query), binary_bits(reference)
    if len(r) == 0:
        return np.zeros(len(q))
    exclude = np.arange(len(q)) if exclude_self else None
    return TanimotoIndex(r).max_similarity(q, exclude=exclude)[:, 0].astype(float)


class ApplicabilityDomain:
    """Nearest-neighbour applicability domain.

    Parameters
    ----------
    metric : {"tanimoto", "euclidean"}
        Tanimoto for fingerprints (higher = closer); Euclidean on standardised columns.
    quantile : float, default 0.05
        Share of training rows that their own leave-one-out rule would put outside.
    max_reference : int, optional
        Tanimoto only: keep at most this many training rows as the reference, a seeded
        random subset, so that scoring cost and model size
        stop growing with the training set. The threshold is then set on the training
        rows outside the reference (their similarity to the nearest reference row).
        Default: every row.

    Attributes
    ----------
    threshold_ : float
        Minimum similarity (tanimoto) or maximum distance (euclidean) to be in domain.
    """

    def __init__(self, metric: str = "tanimoto", quantile: float = 0.05, max_reference: int | None = None) -> None:
        self.metric = metric
        self.quantile = quantile
        self.max_reference = max_reference

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state.pop("_index", None)  # rebuilt on first use; the packed bits are what is saved
        return state

    def _reference(self, bits: np.ndarray) -> np.ndarray:
        """Rows kept as the Tanimoto reference: all, or a seeded random ``max_reference`` of them.

        Random, not diversity-picked: the rows left out are then exchangeable with new
        molecules, so calibrating the threshold on them keeps the stated flag rate (a
        MaxMin pick leaves out exactly the rows closest to it and flags too many).
        """
        cap = getattr(self, "max_reference", None)
        if cap is None or cap >= len(bits):
            return np.arange(len(bits))
        return np.sort(np.random.default_rng(0).choice(len(bits), cap, replace=False))

    def reference_bits(self) -> np.ndarray:
        """The Tanimoto reference fingerprints as booleans, shape (n_reference, n_bits)."""
        if hasattr(self, "packed_reference_"):
            return np.unpackbits(self.packed_reference_, axis=1, count=self.n_bits_).astype(bool)
        return np.asarray(self.reference_) > 0  # models saved before the packed form

    def reference_packed(self) -> tuple[np.ndarray, int]:
        """The Tanimoto reference as ``np.packbits`` rows and the number of bits."""
        if hasattr(self, "packed_reference_"):
            return self.packed_reference_, self.n_bits_
        bits = self.reference_bits()
        return np.packbits(bits, axis=1), bits.shape[1]

    def _tanimoto_index(self):
        if getattr(self, "_index", None) is None:
            self._index = TanimotoIndex.from_packed(*self.reference_packed())
        return self._index

    def fit(self, X: np.ndarray) -> ApplicabilityDomain:
        if self.metric not in ("tanimoto", "euclidean"):
            raise InputError(f"metric must be 'tanimoto' or 'euclidean', got {self.metric!r}", field="metric")
        if not 0.0 <= self.quantile < 0.5:
            raise InputError(f"quantile must be in [0, 0.5), got {self.quantile!r}", field="quantile")
        X = np.asarray(X, float)
        if len(X) < 2:
            raise InputError("the applicability domain needs at least 2 training rows")
        if self.metric == "tanimoto":
            if self.max_reference is not None and self.max_reference < 2:
                raise InputError(
                    f"max_reference must be >= 2 or None, got {self.max_reference!r}", field="max_reference"
                )
            bits = binary_bits(X)
            keep = self._reference(bits)
            self.packed_reference_, self.n_bits_ = np.packbits(bits[keep], axis=1), bits.shape[1]
            self._index = TanimotoIndex(bits[keep])
            rest = np.setdiff1d(np.arange(len(bits)), keep)
            if len(rest):  # rows left out of the reference meet it as a new molecule would
                sims = self._index.max_similarity(bits[rest])[:, 0]
            else:  # every row is a reference row: leave-one-out
                sims = self._index.max_similarity(bits, exclude=np.arange(len(bits)))[:, 0]
            self.threshold_ = float(np.quantile(sims, self.quantile))
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
            raise NotFittedError("this ApplicabilityDomain is not fitted yet; call fit() first")
        if self.metric == "tanimoto":
            return self._tanimoto_index().max_similarity(binary_bits(X))[:, 0].astype(float)
        return self.nn_.kneighbors(self._standardise(X), n_neighbors=1)[0][:, 0]

    def flag(self, score: np.ndarray) -> np.ndarray:
        """In-domain flag from :meth:`score` values (so a caller computes the score once), shape (n,)."""
        s = np.asarray(score, float)
        return s >= self.threshold_ if self.metric == "tanimoto" else s <= self.threshold_

    def in_domain(self, X: np.ndarray) -> np.ndarray:
        """Boolean flag, shape (n,)."""
        return self.flag(self.score(X))

    def novelty(self, score: np.ndarray) -> np.ndarray:
        """Difficulty for Mondrian conformal from :meth:`score` values (higher = more novel), shape (n,).

        ``1 - similarity`` for tanimoto, the distance itself for euclidean.
        """
        s = np.asarray(score, float)
        return 1.0 - s if self.metric == "tanimoto" else s

    def fold_scores(self, X: np.ndarray, folds: Sequence[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        """Score of each row against its own fold's training part, shape (n,).

        ``folds`` are the cross-validation ``(train_idx, test_idx)`` pairs whose
        out-of-fold predictions are calibrated: every row is scored as the novel
        molecule it was for its fold model. Rows in no test fold get NaN. Euclidean
        scores use the standardisation fitted on all rows (:meth:`fit` first).
        """
        if not hasattr(self, "threshold_"):
            raise NotFittedError("this ApplicabilityDomain is not fitted yet; call fit() first")
        from sklearn.neighbors import NearestNeighbors

        X = np.asarray(X, float)
        Z = binary_bits(X) if self.metric == "tanimoto" else self._standardise(X)
        out = np.full(len(X), np.nan)
        for tr, te in folds:
            if self.metric == "tanimoto":  # the fold's reference is chosen as fit() chooses it
                out[te] = tanimoto_max(Z[te], Z[tr][self._reference(Z[tr])])
            else:
                out[te] = NearestNeighbors(n_neighbors=1).fit(Z[tr]).kneighbors(Z[te])[0][:, 0]
        return out
