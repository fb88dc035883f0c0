"""Model families for small formulation tables, registered in core's zoo, and the default candidate set.

A formulation table from a design campaign has tens of rows and a handful of recipe
and process columns (the PLGA-PEG cycle-2 table: 50 rows, 5 inputs). The lifecycle's
general zoo is built for thousands of molecules (deep trees, 128-wide networks,
``colsample_bytree`` 0.3 that sees one or two of five columns per tree). The small-table
set below has one member per inductive bias a formulation scientist would defend
before seeing any result, each with few effective parameters:

``ridge``
    Linear main effects (the lifecycle's baseline, always screened).
``poly_ridge``
    The quadratic response surface of classical DoE (main effects, two-factor
    interactions, squares; Scheffé's quadratic mixture model is its mixture form),
    standardised, with the ridge penalty chosen inside ``fit`` by efficient
    leave-one-out over 10^-3..10^3 (:class:`~sklearn.linear_model.RidgeCV`).
``gp_ard``
    A Gaussian process with a Matérn 5/2 kernel, one length scale per input (automatic
    relevance determination) and a white-noise term, hyper-parameters by marginal
    likelihood (:class:`~sklearn.gaussian_process.GaussianProcessRegressor`): the usual
    surrogate of formulation and Bayesian-optimisation studies, smooth, with
    irrelevant inputs switched off by long length scales.
``gbm_shallow``
    Gradient boosting of depth-2 trees (XGBoost): additive effects and pairwise
    interactions, the same interaction order as the quadratic surface but with
    thresholds; shrinkage 0.05, 300 rounds, every column per tree, row subsampling 0.8.

These settings were fixed from these principles, not from the benchmark's figures.

Which families are candidates depends on the table's size, stated in advance:

* up to :data:`FEW_ROWS` rows (a design campaign; no lipid structures):
  :data:`FEW_ROWS_FAMILIES`, six families chosen a priori, one per inductive bias: the four
  above plus the zoo's random forest (bagged deep trees) and LightGBM (boosted trees whose
  ``min_child_samples`` keeps them shallow at tens of rows). Left out, for reasons that hold
  before any result is seen: the zoo's MLP (a 128-unit hidden layer, ~130 weights per input,
  early-stopped on a 10 % split of a few rows), its SVR (``epsilon`` 0.1 and ``C`` 3 are in
  the target's units, which the lifecycle does not rescale: for PDI, whose SD is about 0.03,
  the insensitive zone swallows every residual), its XGBoost (depth-6 trees, each seeing 30 %
  of the columns, i.e. one or two of five; ``gbm_shallow`` is its small-table form) and k-NN
  (a fixed, unweighted metric over every standardised input; ``gp_ard`` is the same local
  averaging with a learned metric).
* up to :data:`SMALL_TABLE_ROWS` rows: the UNION of the lifecycle's default zoo
  (:func:`pharmakon.core.zoo.zoo_names`) and the small-table families.
* larger tables, or lipid structures (fingerprints) as inputs: the zoo alone.

Why fewer candidates on few rows: the lifecycle keeps the candidate with the best mean
per-fold RMSE of an inner K-fold CV. With 40-60 rows an inner fold holds 8-12 rows; the
standard error of the winner's mean per-fold RMSE was 10-26 % of it on the tables of the
benchmark (``bench/nano.py --parts selection``), while the gap to the runner-up was 2-15 %,
and the same winner came out of a reshuffled inner CV in only 27-80 % of the outer folds.
The best of C such noisy scores is optimistic by roughly ``SE * sqrt(2 ln C)`` (the
winner's curse), so every candidate that is unlikely to win on the merits adds selection
noise and no expected accuracy. The lifecycle's own remedy stays in place: its averaging
ensemble of the families' best configurations competes as one more candidate.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin

__all__ = [
    "FEW_ROWS",
    "FEW_ROWS_FAMILIES",
    "SMALL_TABLE_FAMILIES",
    "SMALL_TABLE_ROWS",
    "ARDGaussianProcess",
    "default_families",
    "register_families",
]

#: The small-table families (the lifecycle's baseline ``ridge`` first, then the three registered here).
SMALL_TABLE_FAMILIES: tuple[str, ...] = ("ridge", "poly_ridge", "gp_ard", "gbm_shallow")
#: Tables with at most this many labelled rows get the zoo plus :data:`SMALL_TABLE_FAMILIES` by default.
SMALL_TABLE_ROWS = 1000
#: Tables with at most this many rows get :data:`FEW_ROWS_FAMILIES` only: an inner 5-fold CV
#: on at most 160 outer-training rows has folds of at most 32 rows, too few to rank ten families.
FEW_ROWS = 200
#: The a-priori candidates for at most :data:`FEW_ROWS` rows (baseline first; reasons in the module docstring).
FEW_ROWS_FAMILIES: tuple[str, ...] = ("ridge", "poly_ridge", "gp_ard", "gbm_shallow", "rf", "lightgbm")


class ARDGaussianProcess(RegressorMixin, BaseEstimator):
    """GP regression, constant × Matérn(ν) with one length scale per column, plus white noise.

    The kernel's length-scale vector needs the number of columns, known only at ``fit``;
    everything else is scikit-learn's :class:`~sklearn.gaussian_process.GaussianProcessRegressor`
    (targets normalised, L-BFGS on the log marginal likelihood from the unit length scales, ``n_restarts`` seeded restarts: scikit-learn's default 0).
    Inputs are expected standardised (the lifecycle's preprocessor does it).
    """

    def __init__(self, nu: float = 2.5, n_restarts: int = 0, random_state: int = 0) -> None:
        self.nu = nu
        self.n_restarts = n_restarts
        self.random_state = random_state

    def fit(self, X: Any, y: Any) -> ARDGaussianProcess:
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

        X = np.asarray(X, float)
        d = X.shape[1]
        kernel = ConstantKernel(1.0, (1e-3, 1e3)) * Matern(
            length_scale=np.ones(d), length_scale_bounds=(1e-2, 1e3), nu=self.nu
        ) + WhiteKernel(1e-2, (1e-6, 1.0))
        self.gp_ = GaussianProcessRegressor(
            kernel, normalize_y=True, n_restarts_optimizer=self.n_restarts, random_state=self.random_state
        )
        import warnings

        from threadpoolctl import threadpool_limits

        # Tens of rows: BLAS threads only contend (10x slower on a busy machine), so one thread.
        with warnings.catch_warnings(), threadpool_limits(1):
            warnings.simplefilter("ignore")  # a length scale at its bound is the ARD answer "irrelevant input"
            self.gp_.fit(X, np.asarray(y, float))
        self.n_features_in_ = d
        return self

    def predict(self, X: Any) -> np.ndarray:
        if not hasattr(self, "gp_"):
            from pharmakon.errors import NotFittedError

            raise NotFittedError("this ARDGaussianProcess is not fitted yet; call fit(X, y) first")
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1):
            return self.gp_.predict(np.asarray(X, float))


class PolynomialRidge(RegressorMixin, BaseEstimator):
    """The quadratic (or cubic) response surface of classical DoE: polynomial terms, standardised, ridge.

    The penalty is chosen by efficient leave-one-out over :data:`RIDGE_ALPHAS` (``RidgeCV``).
    A class rather than a bare pipeline so that clones compare equal by their parameters.
    """

    def __init__(self, degree: int = 2) -> None:
        self.degree = degree

    def fit(self, X: Any, y: Any) -> PolynomialRidge:
        from sklearn.linear_model import RidgeCV
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import PolynomialFeatures, StandardScaler

        X = np.asarray(X, float)
        self.pipeline_ = make_pipeline(
            PolynomialFeatures(int(self.degree), include_bias=False), StandardScaler(), RidgeCV(alphas=RIDGE_ALPHAS)
        ).fit(X, np.asarray(y, float))
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X: Any) -> np.ndarray:
        if not hasattr(self, "pipeline_"):
            from pharmakon.errors import NotFittedError

            raise NotFittedError("PolynomialRidge is not fitted yet")
        return self.pipeline_.predict(np.asarray(X, float))


#: Ridge penalties tried by leave-one-out (10^-3 … 10^3, half-decade steps).
RIDGE_ALPHAS = np.logspace(-3, 3, 13)


def _poly_ridge(task: str, p: dict[str, Any], seed: int, n_jobs: int) -> PolynomialRidge:
    return PolynomialRidge(degree=int(p.get("degree", 2)))


def _gp_ard(task: str, p: dict[str, Any], seed: int, n_jobs: int):
    return ARDGaussianProcess(nu=float(p.get("nu", 2.5)), n_restarts=int(p.get("n_restarts", 0)), random_state=seed)


def _gbm_shallow(task: str, p: dict[str, Any], seed: int, n_jobs: int):
    import xgboost as xgb

    return xgb.XGBRegressor(
        n_estimators=int(p.get("n_estimators", 300)),
        learning_rate=float(p.get("learning_rate", 0.05)),
        max_depth=int(p.get("max_depth", 2)),
        subsample=float(p.get("subsample", 0.8)),
        colsample_bytree=1.0,
        min_child_weight=float(p.get("min_child_weight", 1.0)),
        tree_method="exact",  # tens of rows: no histogram binning needed
        random_state=seed,
        n_jobs=n_jobs,
        verbosity=0,
    )


def register_families() -> None:
    """Register ``poly_ridge``, ``gp_ard`` and ``gbm_shallow`` in core's zoo (regression; idempotent)."""
    from pharmakon.core.zoo import register_family

    register_family(
        "poly_ridge",
        _poly_ridge,
        lambda t: {"degree": t.suggest_int("degree", 1, 3)},
        tasks=("regression",),
        description="quadratic response surface: polynomial features + ridge (alpha by LOO)",
    )
    register_family(
        "gp_ard",
        _gp_ard,
        lambda t: {"nu": t.suggest_categorical("nu", [0.5, 1.5, 2.5])},
        tasks=("regression",),
        description="Gaussian process, Matern ARD kernel + white noise",
    )
    register_family(
        "gbm_shallow",
        _gbm_shallow,
        lambda t: {
            "n_estimators": t.suggest_int("n_estimators", 100, 800, log=True),
            "learning_rate": t.suggest_float("learning_rate", 0.01, 0.2, log=True),
            "max_depth": t.suggest_int("max_depth", 1, 3),
            "subsample": t.suggest_float("subsample", 0.5, 1.0),
            "min_child_weight": t.suggest_float("min_child_weight", 0.5, 5.0, log=True),
        },
        tasks=("regression",),
        description="gradient boosting of shallow (depth <= 3) trees, XGBoost",
    )


def default_families(rows: int, *, structures: bool = False) -> list[str] | None:
    """The candidate families for ``rows`` training rows (None: the lifecycle's whole zoo).

    Up to :data:`FEW_ROWS` rows without structures: :data:`FEW_ROWS_FAMILIES` (six, chosen a
    priori; the module docstring says why fewer candidates choose better on few rows). Up to
    :data:`SMALL_TABLE_ROWS`: the lifecycle's default zoo (regression, baseline first)
    followed by the small-table families it lacks. ``structures``: the inputs include
    fingerprints of lipid SMILES (thousands of columns), for which an ARD kernel or a
    quadratic expansion is ill-posed; the zoo is built for them.
    """
    from pharmakon.core.zoo import zoo_names

    if rows > SMALL_TABLE_ROWS or structures:
        return None
    if rows <= FEW_ROWS:
        return list(FEW_ROWS_FAMILIES)
    zoo = zoo_names("regression")
    return zoo + [f for f in SMALL_TABLE_FAMILIES if f not in zoo]


register_families()
