"""Multivariate statistical process control: PCA, dynamic PCA, PLS and kernel PCA monitors.

Every monitor is a scikit-learn style estimator fitted on normal-operation data
``X`` of shape ``(n_samples, n_variables)`` (process units as recorded). After ``fit``
it scores new rows with :meth:`statistics` (Hotelling T² and SPE/Q, each shape
``(n,)``) and explains them with :meth:`contributions` (per-variable shares, shape
``(n, n_variables)``). ``t2_limit_`` and ``spe_limit_`` are the control limits at
confidence ``alpha``.

References
----------
MacGregor, J. F., & Kourti, T. (1995). Statistical process control of multivariate
processes. Control Engineering Practice 3(3), 403-414.
Ku, W., Storer, R. H., & Georgakis, C. (1995). Disturbance detection and isolation by
dynamic principal component analysis. Chemom. Intell. Lab. Syst. 30, 179-196.
Lee, J.-M., Yoo, C., Choi, S. W., Vanrolleghem, P. A., & Lee, I.-B. (2004). Nonlinear
process monitoring using kernel principal component analysis. Chem. Eng. Sci. 59, 223-234.
Chiang, L. H., Russell, E. L., & Braatz, R. D. (2000). Fault detection and diagnosis in
industrial systems. Springer.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from pharmakon.errors import NotFittedError
from pharmakon.process.limits import spe_limit_box, spe_limit_jm, t2_limit_f

__all__ = ["PCAMonitor", "DPCAMonitor", "PLSMonitor", "KPCAMonitor", "MONITORS", "lagged"]


def _check_fitted(est: BaseEstimator) -> None:
    if not hasattr(est, "mean_"):
        raise NotFittedError(f"this {type(est).__name__} is not fitted yet; call fit(X) first")


def _check_X(X: Any, est: BaseEstimator, *, fit: bool = False) -> np.ndarray:
    arr = np.asarray(X, dtype=float)
    if arr.ndim != 2:
        raise ValueError(f"{type(est).__name__} expects a 2-D array (n_samples, n_variables), got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{type(est).__name__}: X holds NaN or infinite values")
    if fit and arr.shape[0] < 3:
        raise ValueError(f"{type(est).__name__} needs at least 3 samples, got {arr.shape[0]}")
    if not fit and arr.shape[1] != est.n_features_in_:
        raise ValueError(f"{type(est).__name__} was fitted on {est.n_features_in_} variables, got {arr.shape[1]}")
    return arr


def _standardise_fit(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Training mean and sample SD (ddof 1); a constant column keeps SD 1 so it cannot divide by 0."""
    mean = X.mean(axis=0)
    sd = X.std(axis=0, ddof=1)
    return mean, np.where(sd > 0, sd, 1.0)


class PCAMonitor(BaseEstimator):
    """Static PCA monitor with Hotelling T² and SPE (Q).

    Each column is standardised with the training mean and sample SD (ddof 1); the
    loadings are the first ``n_components`` right singular vectors of the standardised
    data; ``T² = Σ_a t_a² / λ_a`` with ``λ_a`` the sample variance (ddof 1) of score a;
    ``SPE = ||x - P Pᵀ x||²``. Limits: the F-based T² limit
    ``A(n-1)(n+1)/(n(n-A))·F_alpha(A, n-A)`` and the Jackson–Mudholkar SPE limit from
    the discarded eigenvalues.

    Parameters
    ----------
    n_components : int, default=9
        Retained components A.
    alpha : float, default=0.99
        Confidence level of both limits.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> mon = PCAMonitor(n_components=2).fit(rng.normal(size=(200, 5)))
    >>> t2, spe = mon.statistics(rng.normal(size=(3, 5)))
    >>> t2.shape, bool(mon.t2_limit_ > 0)
    ((3,), True)
    """

    def __init__(self, n_components: int = 9, alpha: float = 0.99) -> None:
        self.n_components = n_components
        self.alpha = alpha

    def fit(self, X: Any, y: Any = None) -> PCAMonitor:
        X = _check_X(X, self, fit=True)
        n, m = X.shape
        a = int(self.n_components)
        if not 1 <= a < min(n, m + 1):
            raise ValueError(f"n_components must be 1 to {min(n - 1, m)}, got {a}")
        if not 0.5 < float(self.alpha) < 1:
            raise ValueError(f"alpha must be in (0.5, 1), got {self.alpha}")
        self.n_features_in_ = m
        self.mean_, self.scale_ = _standardise_fit(X)
        Z = (X - self.mean_) / self.scale_
        _, s, vt = np.linalg.svd(Z, full_matrices=False)
        self.eigenvalues_ = s**2 / (n - 1)  # variances of all components (ddof 1)
        self.loadings_ = vt[:a].T  # (m, A)
        scores = Z @ self.loadings_
        self.score_var_ = scores.var(axis=0, ddof=1)
        self.n_samples_ = n
        self.t2_limit_ = t2_limit_f(a, n, self.alpha)
        self.spe_limit_ = spe_limit_jm(self.eigenvalues_[a:], self.alpha)
        return self

    def _scaled(self, X: Any) -> np.ndarray:
        _check_fitted(self)
        return (_check_X(X, self) - self.mean_) / self.scale_

    def statistics(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """(T², SPE) of each row of ``X``, shape (n,) each."""
        Z = self._scaled(X)
        t = Z @ self.loadings_
        resid = Z - t @ self.loadings_.T
        return np.sum(t**2 / self.score_var_, axis=1), np.sum(resid**2, axis=1)

    def contributions(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """Per-variable contributions to T² and SPE, each shape (n, m), each row summing to its statistic.

        T²: squared elements of ``P Λ^-1/2 Pᵀ z`` (their sum is T²); SPE: squared residuals.
        """
        Z = self._scaled(X)
        t = Z @ self.loadings_
        w = (t / np.sqrt(self.score_var_)) @ self.loadings_.T
        resid = Z - t @ self.loadings_.T
        return w**2, resid**2


def lagged(X: np.ndarray, lags: int) -> np.ndarray:
    """Rows ``[x_t, x_{t-1}, …, x_{t-L}]`` for t = L … n-1, shape (n - L, m(L+1))."""
    n = X.shape[0]
    if n <= lags:
        raise ValueError(f"{lags} lag(s) need more than {lags} samples, got {n}")
    return np.hstack([X[lags - k : n - k] for k in range(lags + 1)])


class DPCAMonitor(PCAMonitor):
    """Dynamic PCA: :class:`PCAMonitor` on the lagged matrix ``[x_t, …, x_{t-L}]``.

    ``statistics``/``contributions`` take already lagged rows (shape (n, m(L+1)));
    :meth:`statistics_series` lags a time-ordered block itself (the first L rows
    have no statistic). Contributions are summed over the lags of each variable.
    """

    def __init__(self, n_components: int = 17, lags: int = 2, alpha: float = 0.99) -> None:
        super().__init__(n_components=n_components, alpha=alpha)
        self.lags = lags

    def fit(self, X: Any, y: Any = None) -> DPCAMonitor:
        X = np.asarray(X, float)
        if not 1 <= int(self.lags) <= 20:
            raise ValueError(f"lags must be 1 to 20, got {self.lags}")
        self.n_raw_features_ = X.shape[1] if X.ndim == 2 else 0
        super().fit(lagged(X, int(self.lags)))
        return self

    def statistics_series(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """(T², SPE) of a time-ordered block; NaN for the first ``lags`` rows."""
        X = np.asarray(X, float)
        t2, spe = self.statistics(lagged(X, int(self.lags)))
        pad = np.full(int(self.lags), np.nan)
        return np.concatenate([pad, t2]), np.concatenate([pad, spe])

    def contributions(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        c_t2, c_spe = super().contributions(X)
        m = self.n_raw_features_
        return (
            c_t2.reshape(len(c_t2), -1, m).sum(axis=1),
            c_spe.reshape(len(c_spe), -1, m).sum(axis=1),
        )


class PLSMonitor(BaseEstimator):
    """Quality-related monitoring with PLS: T² on the X scores, SPE on the X residuals.

    X and the quality variables Y are standardised (ddof 1); the latent variables come
    from :class:`sklearn.cross_decomposition.PLSRegression` (NIPALS). T² uses the
    sample variance (ddof 1) of each X score and the F-based limit; the SPE limit is
    Jackson–Mudholkar on the eigenvalues of the residual covariance.

    Parameters
    ----------
    n_components : int, default=4
        Latent variables.
    alpha : float, default=0.99
    """

    def __init__(self, n_components: int = 4, alpha: float = 0.99) -> None:
        self.n_components = n_components
        self.alpha = alpha

    def fit(self, X: Any, y: Any) -> PLSMonitor:
        from sklearn.cross_decomposition import PLSRegression

        X = _check_X(X, self, fit=True)
        Y = np.asarray(y, float).reshape(len(X), -1)
        if not np.isfinite(Y).all():
            raise ValueError("PLSMonitor: the quality variables hold NaN or infinite values")
        n, m = X.shape
        a = int(self.n_components)
        if not 1 <= a <= m:
            raise ValueError(f"n_components must be 1 to {m}, got {a}")
        self.n_features_in_ = m
        self.mean_, self.scale_ = _standardise_fit(X)
        Z = (X - self.mean_) / self.scale_
        self.pls_ = PLSRegression(n_components=a, scale=True).fit(Z, Y)
        # x_rotations_ (W(PᵀW)^-1) map standardised X to scores; x_loadings_ rebuild X from them.
        self.rotations_, self.x_loadings_ = self.pls_.x_rotations_, self.pls_.x_loadings_
        scores = Z @ self.rotations_
        self.score_var_ = scores.var(axis=0, ddof=1)
        resid = Z - scores @ self.x_loadings_.T
        self.n_samples_ = n
        self.t2_limit_ = t2_limit_f(a, n, self.alpha)
        self.spe_limit_ = spe_limit_jm(np.linalg.eigvalsh(np.cov(resid, rowvar=False)), self.alpha)
        return self

    def _parts(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        _check_fitted(self)
        Z = (_check_X(X, self) - self.mean_) / self.scale_
        t = Z @ self.rotations_
        return t, Z - t @ self.x_loadings_.T

    def statistics(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        t, resid = self._parts(X)
        return np.sum(t**2 / self.score_var_, axis=1), np.sum(resid**2, axis=1)

    def contributions(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """T²: squared elements of ``R Λ^-1/2 Rᵀ``-weighted z normalised to sum to T²; SPE: squared residuals."""
        t, resid = self._parts(X)
        t2 = np.sum(t**2 / self.score_var_, axis=1)
        raw = ((t / np.sqrt(self.score_var_)) @ self.x_loadings_.T) ** 2
        total = raw.sum(axis=1, keepdims=True)
        return raw / np.where(total > 0, total, 1.0) * t2[:, None], resid**2


class KPCAMonitor(BaseEstimator):
    """Kernel PCA (RBF) monitor: T² on the kernel scores, SPE in feature space.

    Standardised rows (ddof 1) are mapped by :class:`sklearn.decomposition.KernelPCA`
    with ``gamma = 1 / (width · m)``. ``SPE = k̃(x, x) - Σ_a t_a²`` (the centred
    kernel of the row with itself minus the retained projections, Lee et al. 2004).
    Limits: F-based for T², Box's g·χ² fitted to the training SPE.
    Contributions are the squared standardised deviations (kernel PCA has no exact
    linear decomposition; this is the usual approximation).

    Parameters
    ----------
    n_components : int, default=20
    width : float, default=10.0
        Kernel width factor c in ``gamma = 1/(c·m)``.
    alpha : float, default=0.99
    """

    def __init__(self, n_components: int = 20, width: float = 10.0, alpha: float = 0.99) -> None:
        self.n_components = n_components
        self.width = width
        self.alpha = alpha

    def fit(self, X: Any, y: Any = None) -> KPCAMonitor:
        from sklearn.decomposition import KernelPCA

        X = _check_X(X, self, fit=True)
        n, m = X.shape
        a = int(self.n_components)
        if not 1 <= a < n:
            raise ValueError(f"n_components must be 1 to {n - 1}, got {a}")
        self.n_features_in_ = m
        self.mean_, self.scale_ = _standardise_fit(X)
        Z = (X - self.mean_) / self.scale_
        self.gamma_ = 1.0 / (float(self.width) * m)
        self.kpca_ = KernelPCA(n_components=a, kernel="rbf", gamma=self.gamma_, eigen_solver="dense").fit(Z)
        self.train_ = Z
        K = self._kernel(Z)
        self.k_col_mean_ = K.mean(axis=0)
        self.k_all_mean_ = float(K.mean())
        scores = self.kpca_.transform(Z)
        self.score_var_ = scores.var(axis=0, ddof=1)
        self.n_samples_ = n
        self.t2_limit_ = t2_limit_f(a, n, self.alpha)
        _, spe = self._stats_scaled(Z)
        self.spe_limit_ = spe_limit_box(spe, self.alpha)
        return self

    def _kernel(self, Z: np.ndarray) -> np.ndarray:
        from sklearn.metrics.pairwise import rbf_kernel

        return rbf_kernel(Z, self.train_, gamma=self.gamma_)

    def _stats_scaled(self, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        K = self._kernel(Z)
        kxx = 1.0 - 2.0 * K.mean(axis=1) + self.k_all_mean_  # centred k(x, x); rbf k(x, x) = 1
        t = self.kpca_.transform(Z)
        t2 = np.sum(t**2 / self.score_var_, axis=1)
        return t2, np.maximum(kxx - np.sum(t**2, axis=1), 0.0)

    def statistics(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        _check_fitted(self)
        return self._stats_scaled((_check_X(X, self) - self.mean_) / self.scale_)

    def contributions(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        _check_fitted(self)
        d = ((_check_X(X, self) - self.mean_) / self.scale_) ** 2
        t2, spe = self.statistics(X)
        share = d / np.where(d.sum(axis=1, keepdims=True) > 0, d.sum(axis=1, keepdims=True), 1.0)
        return share * t2[:, None], share * spe[:, None]


#: Method name -> estimator class (the CLI's ``--method`` choices).
MONITORS: dict[str, type[BaseEstimator]] = {
    "pca": PCAMonitor,
    "dpca": DPCAMonitor,
    "pls": PLSMonitor,
    "kpca": KPCAMonitor,
}
