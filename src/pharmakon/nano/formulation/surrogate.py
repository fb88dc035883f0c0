"""Gaussian-process surrogates of measured responses over a design space, with conformal intervals.

Each response column gets a scikit-learn :class:`~sklearn.gaussian_process.GaussianProcessRegressor`
(constant x Matern 5/2 with one length scale per encoded factor, plus white noise;
targets normalised) on the factors encoded to [0, 1] (numeric, by the space's bounds)
or one-hot (categorical). Intervals are normalised split-conformal: K-fold
out-of-fold residuals divided by the GP's predictive SD give the score whose
(1 - alpha) conformal quantile scales the SD of new points (Papadopoulos et al. 2008);
with too few rows for that quantile the Gaussian z is used and said so.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pharmakon.nano.formulation.space import Space

__all__ = ["encode", "Surrogate", "fit_surrogate"]


def encode(space: Space, table: pd.DataFrame) -> np.ndarray:
    """Factor table -> (n, n_encoded) array: numeric factors scaled to [0, 1], categorical one-hot."""
    cols = []
    for f in space.factors:
        if f.type == "categorical":
            vals = table[f.name].astype(str).to_numpy()
            cols += [(vals == str(lv)).astype(float) for lv in f.levels]
        else:
            span = (f.high - f.low) or 1.0
            cols.append((pd.to_numeric(table[f.name], errors="coerce").to_numpy(float) - f.low) / span)
    return np.column_stack(cols)


def _gp(d: int, seed: int):
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

    kernel = ConstantKernel(1.0, (1e-3, 1e3)) * Matern(np.ones(d), (1e-2, 1e2), nu=2.5) + WhiteKernel(1e-2, (1e-6, 1.0))
    return GaussianProcessRegressor(kernel, normalize_y=True, n_restarts_optimizer=0, random_state=seed)


@dataclass
class Surrogate:
    """A fitted GP per response with its conformal SD multiplier."""

    space: Space
    alpha: float
    models: dict[str, object] = field(default_factory=dict)
    multiplier: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def predict(self, table: pd.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
        """Per response: (mean, sd, lower, upper), each shape (n,)."""
        from threadpoolctl import threadpool_limits

        X = encode(self.space, table)
        out = {}
        for col, gp in self.models.items():
            with threadpool_limits(1):
                mu, sd = gp.predict(X, return_std=True)
            q = self.multiplier[col]
            out[col] = (mu, sd, mu - q * sd, mu + q * sd)
        return out


def fit_surrogate(
    space: Space, observed: pd.DataFrame, columns: list[str], *, alpha: float = 0.1, seed: int = 0
) -> Surrogate:
    """Fit one GP per column of ``columns`` on ``observed`` (rows with that column missing are left out)."""
    from scipy.stats import norm
    from sklearn.base import clone
    from sklearn.model_selection import KFold
    from threadpoolctl import threadpool_limits

    from pharmakon.core.uncertainty import conformal_quantile

    sur = Surrogate(space, alpha)
    X_all = encode(space, observed)
    for col in columns:
        y = pd.to_numeric(observed[col], errors="coerce").to_numpy(float)
        keep = np.isfinite(y)
        X, y = X_all[keep], y[keep]
        gp = _gp(X.shape[1], seed)
        # one BLAS thread: these matrices are small, and threads fighting over a busy machine cost 10x
        with warnings.catch_warnings(), threadpool_limits(1):
            warnings.simplefilter("ignore")  # length scales at their bounds on tiny data: expected
            sur.models[col] = fitted = clone(gp).fit(X, y)
            # fold models keep the fitted kernel (no re-optimisation): the scores measure the data's noise
            fixed = clone(gp).set_params(kernel=fitted.kernel_, optimizer=None)
            scores = []
            if len(y) >= 10:
                for tr, te in KFold(5, shuffle=True, random_state=seed).split(X):
                    mu, sd = clone(fixed).fit(X[tr], y[tr]).predict(X[te], return_std=True)
                    scores += list(np.abs(y[te] - mu) / np.maximum(sd, 1e-12))
        q = conformal_quantile(scores, alpha) if scores else float("inf")
        if not np.isfinite(q):
            q = float(norm.ppf(1 - alpha / 2))
            sur.notes.append(f"{col}: too few rows for conformal intervals; Gaussian {1 - alpha:.0%} intervals")
        sur.multiplier[col] = q
    return sur
