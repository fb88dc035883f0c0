"""The model zoo: one scikit-learn-compatible interface, default settings and Optuna spaces.

Every entry builds an unfitted scikit-learn estimator from a flat parameter dict, so any
model can be rebuilt from its stored hyper-parameters. ``ridge`` (regression) and
``logistic`` (classification) are the baselines that always run first.

A domain adds its own families with :func:`register_family` when it is imported (core
never imports a domain): ``chemprop``, a message-passing network behind the ``deep``
extra, is registered by the molecule domain (``import pharmakon.chem``). A family
named but not registered raises an :class:`~pharmakon.errors.InputError` saying which
package provides it (:func:`family`). Registered families are opt-in: never in
:func:`zoo_names`, used when ``models`` names them.

Families that read the molecules themselves (``needs_smiles``) take a *SMILES matrix*:
an object array whose column 0 holds canonical SMILES and whose other columns are the
preprocessed features (:func:`with_smiles`, :func:`split_smiles`); the lifecycle passes
the design frame's :data:`SMILES_COLUMN` through :func:`make_preprocessor` for them. An
estimator with a ``time_limit_s`` parameter gets the seconds it may train
(:func:`set_time_limit`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sklearn.base import BaseEstimator, TransformerMixin

from pharmakon.errors import InputError, NotFittedError

__all__ = [
    "ZooEntry",
    "ZOO",
    "register_family",
    "family",
    "zoo_names",
    "build_estimator",
    "make_preprocessor",
    "numeric_preprocessor",
    "BASELINE",
    "MinSupport",
    "CountAwareScaler",
    "AveragingEnsemble",
    "SMILES_COLUMN",
    "needs_smiles",
    "with_smiles",
    "split_smiles",
    "set_time_limit",
    "TARGET_TRANSFORMS",
    "TransformedTarget",
    "fit_smearing",
    "apply_smearing",
]

BASELINE = {"regression": "ridge", "classification": "logistic"}
#: Design-frame column with the canonical SMILES, present only for families that read molecules.
SMILES_COLUMN = "__canonical_smiles__"


@dataclass(frozen=True)
class ZooEntry:
    """One model family: ``build(task, params, seed, n_jobs)`` and an Optuna ``space(trial)``."""

    name: str
    tasks: tuple[str, ...]
    build: Callable[[str, dict[str, Any], int, int], Any]
    space: Callable[[Any], dict[str, Any]]
    description: str
    needs_smiles: bool = False


def _linear(task: str, p: dict[str, Any], seed: int, n_jobs: int):
    from sklearn.linear_model import LogisticRegression, Ridge

    if task == "regression":
        return Ridge(alpha=p.get("alpha", 10.0))
    return LogisticRegression(C=p.get("C", 0.1), max_iter=3000)


def _knn(task: str, p: dict[str, Any], seed: int, n_jobs: int):
    from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

    cls = KNeighborsRegressor if task == "regression" else KNeighborsClassifier
    return cls(n_neighbors=p.get("n_neighbors", 10), weights=p.get("weights", "distance"), n_jobs=n_jobs)


def _rf(task: str, p: dict[str, Any], seed: int, n_jobs: int):
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

    cls = RandomForestRegressor if task == "regression" else RandomForestClassifier
    return cls(
        n_estimators=p.get("n_estimators", 200),
        max_features=p.get("max_features", 0.1),
        min_samples_leaf=p.get("min_samples_leaf", 1),
        random_state=seed,
        n_jobs=n_jobs,
    )


def _svm(task: str, p: dict[str, Any], seed: int, n_jobs: int):
    from sklearn.svm import SVC, SVR

    if task == "regression":
        return SVR(C=p.get("C", 3.0), epsilon=p.get("epsilon", 0.1), gamma="scale")
    return SVC(C=p.get("C", 3.0), gamma="scale", probability=True, random_state=seed)


def _lgbm(task: str, p: dict[str, Any], seed: int, n_jobs: int):
    import lightgbm as lgb

    cls = lgb.LGBMRegressor if task == "regression" else lgb.LGBMClassifier
    return cls(
        n_estimators=p.get("n_estimators", 500),
        learning_rate=p.get("learning_rate", 0.05),
        num_leaves=p.get("num_leaves", 31),
        colsample_bytree=p.get("colsample_bytree", 0.3),
        subsample=p.get("subsample", 0.8),
        subsample_freq=1,
        min_child_samples=p.get("min_child_samples", 10),
        reg_lambda=p.get("reg_lambda", 1.0),
        max_bin=63,
        random_state=seed,
        n_jobs=n_jobs,
        verbose=-1,
    )


def _xgb(task: str, p: dict[str, Any], seed: int, n_jobs: int):
    import xgboost as xgb

    cls = xgb.XGBRegressor if task == "regression" else xgb.XGBClassifier
    return cls(
        n_estimators=p.get("n_estimators", 500),
        learning_rate=p.get("learning_rate", 0.05),
        max_depth=p.get("max_depth", 6),
        colsample_bytree=p.get("colsample_bytree", 0.3),
        subsample=p.get("subsample", 0.8),
        min_child_weight=p.get("min_child_weight", 1.0),
        tree_method="hist",
        max_bin=64,
        random_state=seed,
        n_jobs=n_jobs,
        verbosity=0,
    )


def _mlp(task: str, p: dict[str, Any], seed: int, n_jobs: int):
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    cls = MLPRegressor if task == "regression" else MLPClassifier
    width = p.get("width", 128)
    layers = (width,) * p.get("depth", 1)
    return cls(
        hidden_layer_sizes=layers,
        alpha=p.get("alpha", 1e-3),
        learning_rate_init=p.get("lr", 1e-3),
        max_iter=100,
        early_stopping=True,
        n_iter_no_change=10,
        random_state=seed,
    )


def _space_linear(t):
    return {"alpha": t.suggest_float("alpha", 1e-2, 1e4, log=True)}


def _space_logistic(t):
    return {"C": t.suggest_float("C", 1e-4, 1e2, log=True)}


ZOO: dict[str, ZooEntry] = {
    e.name: e
    for e in [
        ZooEntry("ridge", ("regression",), _linear, _space_linear, "ridge regression (baseline)"),
        ZooEntry("logistic", ("classification",), _linear, _space_logistic, "L2 logistic regression (baseline)"),
        ZooEntry(
            "lightgbm",
            ("regression", "classification"),
            _lgbm,
            lambda t: {
                "n_estimators": t.suggest_int("n_estimators", 200, 1500, log=True),
                "learning_rate": t.suggest_float("learning_rate", 0.01, 0.2, log=True),
                "num_leaves": t.suggest_int("num_leaves", 8, 128, log=True),
                "colsample_bytree": t.suggest_float("colsample_bytree", 0.1, 0.8),
                "min_child_samples": t.suggest_int("min_child_samples", 3, 50, log=True),
                "reg_lambda": t.suggest_float("reg_lambda", 1e-3, 10.0, log=True),
            },
            "LightGBM gradient boosting",
        ),
        ZooEntry(
            "rf",
            ("regression", "classification"),
            _rf,
            lambda t: {
                "n_estimators": t.suggest_int("n_estimators", 100, 600, log=True),
                "max_features": t.suggest_float("max_features", 0.05, 0.6),
                "min_samples_leaf": t.suggest_int("min_samples_leaf", 1, 8),
            },
            "random forest",
        ),
        ZooEntry(
            "xgboost",
            ("regression", "classification"),
            _xgb,
            lambda t: {
                "n_estimators": t.suggest_int("n_estimators", 200, 1500, log=True),
                "learning_rate": t.suggest_float("learning_rate", 0.01, 0.2, log=True),
                "max_depth": t.suggest_int("max_depth", 3, 10),
                "colsample_bytree": t.suggest_float("colsample_bytree", 0.1, 0.8),
                "min_child_weight": t.suggest_float("min_child_weight", 0.5, 10.0, log=True),
            },
            "XGBoost (hist)",
        ),
        ZooEntry(
            "svm",
            ("regression", "classification"),
            _svm,
            lambda t: {
                "C": t.suggest_float("C", 0.1, 100.0, log=True),
                "epsilon": t.suggest_float("epsilon", 0.01, 0.5, log=True),
            },
            "support vector machine, RBF kernel",
        ),
        ZooEntry(
            "knn",
            ("regression", "classification"),
            _knn,
            lambda t: {
                "n_neighbors": t.suggest_int("n_neighbors", 2, 40, log=True),
                "weights": t.suggest_categorical("weights", ["uniform", "distance"]),
            },
            "k nearest neighbours",
        ),
        ZooEntry(
            "mlp",
            ("regression", "classification"),
            _mlp,
            lambda t: {
                "width": t.suggest_categorical("width", [128, 256, 512]),
                "depth": t.suggest_int("depth", 1, 3),
                "alpha": t.suggest_float("alpha", 1e-5, 1e-1, log=True),
                "lr": t.suggest_float("lr", 1e-4, 1e-2, log=True),
            },
            "multi-layer perceptron",
        ),
    ]
}


#: The built-in families, in screening order (baseline first); every other entry was registered.
_BUILT_IN = ("ridge", "logistic", "lightgbm", "svm", "xgboost", "rf", "knn", "mlp")
#: Families a domain registers when imported: name -> the package that provides it (for the error message).
PROVIDED_BY: dict[str, str] = {
    "chemprop": "the molecule (SMILES/featurizer) domain, pharmakon.chem, with the deep extra "
    "(registered when pharmakon.chem is imported)",
    "pls": "the process domain (registered by pharmakon.process.softsensor.register_pls_family())",
    **dict.fromkeys(
        ("poly_ridge", "gp_ard", "gbm_shallow"),
        "the nano formulation domain (registered when pharmakon.nano.formulation.candidates is imported)",
    ),
    "monai_cnn": "the imaging domain, with the deep extra (registered by pharmakon.imaging.cnn.register_cnn_family())",
}


def register_family(
    name: str,
    build: Callable[[str, dict[str, Any], int, int], Any],
    space: Callable[[Any], dict[str, Any]],
    *,
    tasks: tuple[str, ...] = ("regression", "classification"),
    description: str = "",
    needs_smiles: bool = False,
) -> ZooEntry:
    """Add a model family to the zoo (a domain calls this when it is imported); returns its entry.

    Parameters
    ----------
    build : callable
        ``build(task, params, seed, n_jobs)`` -> an unfitted scikit-learn-style estimator.
    space : callable
        ``space(optuna_trial)`` -> a parameter dict ``build`` accepts.
    needs_smiles : bool
        The estimator reads SMILES matrices (:func:`with_smiles`).

    Registering a name again replaces the entry (a reloaded module); a built-in family
    cannot be replaced. Registered families are opt-in (not in :func:`zoo_names`).
    """
    if name in _BUILT_IN or name == "ensemble":
        raise InputError(f"model family {name!r} is built into the zoo and cannot be registered again", field="name")
    unknown = [t for t in tasks if t not in BASELINE]
    if not tasks or unknown:
        raise InputError(f"tasks must be among {sorted(BASELINE)}, got {tasks!r}", field="tasks")
    entry = ZooEntry(name, tuple(tasks), build, space, description, needs_smiles=needs_smiles)
    ZOO[name] = entry
    return entry


def family(name: str, task: str | None = None) -> ZooEntry:
    """The zoo entry ``name`` (for ``task`` when given).

    Raises
    ------
    InputError
        Unknown family (the message lists the choices), a family not registered because
        the package that provides it was not imported (the message names the package), or
        a family that does not do ``task``.
    """
    entry = ZOO.get(name)
    if entry is None and name in PROVIDED_BY:
        raise InputError(
            f"model family {name!r} is not registered: it is provided by {PROVIDED_BY[name]}",
            field="models",
        )
    if entry is None or (task is not None and task not in entry.tasks):
        choices = zoo_names(task) if task is not None else sorted(ZOO)
        raise InputError(
            f"unknown model {name!r}{f' for {task}' if task else ''}; choose from {choices}", field="model"
        )
    return entry


def zoo_names(task: str) -> list[str]:
    """Built-in zoo entries for ``task``, baseline first (registered families are opt-in)."""
    if task not in BASELINE:
        raise InputError(f"task must be 'regression' or 'classification', got {task!r}", field="task")
    return [n for n in _BUILT_IN if task in ZOO[n].tasks]


def build_estimator(name: str, task: str, params: dict[str, Any] | None = None, *, seed: int = 0, n_jobs: int = 1):
    """An unfitted estimator of zoo entry ``name`` for ``task`` (see :func:`zoo_names`, :func:`family`).

    Regression parameters may carry ``target_transform`` (one of :data:`TARGET_TRANSFORMS`)
    and ``smear``: the family's estimator then fits the transformed target inside a
    :class:`TransformedTarget`.
    """
    if name == "ensemble":
        return AveragingEnsemble(members=list((params or {})["members"]), task=task, seed=seed, n_jobs=n_jobs)
    params = dict(params or {})
    transform = params.pop("target_transform", None)
    smear = params.pop("smear", None)
    if transform is not None and task == "regression":
        family(name, task)
        return TransformedTarget(model=name, params=params, transform=transform, smear=smear, seed=seed, n_jobs=n_jobs)
    return family(name, task).build(task, params, seed, n_jobs)


def needs_smiles(name: str, params: dict[str, Any] | None = None) -> bool:
    """Whether zoo model ``name`` (an ensemble: any member) reads the molecules (a SMILES matrix).

    A family provided by a domain that was not imported raises :class:`InputError` (:func:`family`).
    """
    if name == "ensemble":
        return any(needs_smiles(m["model"]) for m in (params or {}).get("members", []))
    if name not in ZOO and name in PROVIDED_BY:
        family(name)
    return name in ZOO and ZOO[name].needs_smiles


def with_smiles(smiles: Sequence[object], Z: Any) -> Any:
    """A SMILES matrix: object array, shape (n, 1 + n_features), column 0 ``smiles``, then ``Z``'s columns."""
    import numpy as np

    Z = np.asarray(Z)
    out = np.empty((len(Z), 1 + Z.shape[1]), dtype=object)
    out[:, 0] = list(smiles)
    out[:, 1:] = Z
    return out


def split_smiles(X: Any) -> tuple[Any, Any]:
    """``(smiles, features)`` of a SMILES matrix (:func:`with_smiles`); ``(None, X)`` for a plain matrix.

    ``smiles`` is an object array, shape (n,); ``features`` a float array, shape (n, n_features).
    """
    import numpy as np

    X = np.asarray(X)
    if X.dtype == object and X.ndim == 2 and X.shape[1] >= 1 and len(X) and isinstance(X[0, 0], str):
        return X[:, 0], X[:, 1:].astype(float)
    return None, X


def set_time_limit(est: Any, seconds: float | None) -> Any:
    """Set ``est.time_limit_s`` (at least 1 s) when the estimator has that parameter; returns ``est``."""
    if seconds is not None and "time_limit_s" in est.get_params(deep=False):
        est.set_params(time_limit_s=max(1.0, float(seconds)))
    return est


#: Variance-stabilising transforms a regression configuration may fit its target on (non-negative targets).
TARGET_TRANSFORMS = ("sqrt", "log")


def _forward(transform: str, y: Any) -> Any:
    import numpy as np

    y = np.asarray(y, float)
    if transform == "sqrt":
        if np.any(y < 0):
            raise InputError("a square-root target transform needs a non-negative target", field="target_transform")
        return np.sqrt(y)
    if transform == "log":
        if np.any(y <= 0):
            raise InputError("a log target transform needs a positive target", field="target_transform")
        return np.log(y)
    raise InputError(
        f"unknown target transform {transform!r}; choose from {TARGET_TRANSFORMS}", field="target_transform"
    )


def _inverse(transform: str, z: Any) -> Any:
    """The naive back-transform (the median, not the mean, of the original-scale target)."""
    import numpy as np

    z = np.asarray(z, float)
    return np.maximum(z, 0.0) ** 2 if transform == "sqrt" else np.exp(np.minimum(z, 700.0))


def fit_smearing(transform: str, y: Any, naive: Any) -> float:
    """Smearing constant (Duan 1983) from out-of-fold ``naive`` back-transformed predictions, shape (n,).

    ``sqrt``: the mean squared residual on the square-root scale, added to the naive
    prediction (E[(f + e)^2] = f^2 + E[e^2] for centred residuals e). ``log``: the mean of
    exp(residual), the factor the naive prediction is multiplied by. Residuals must be
    out-of-fold: in-sample ones of a flexible model are too small.
    """
    import numpy as np

    naive = np.asarray(naive, float)
    if transform == "sqrt":
        return float(np.mean((_forward(transform, y) - np.sqrt(np.maximum(naive, 0.0))) ** 2))
    return float(np.mean(np.exp(_forward(transform, y) - np.log(np.maximum(naive, 1e-300)))))


def apply_smearing(transform: str, naive: Any, smear: float | None) -> Any:
    """Mean-unbiased original-scale predictions from naive back-transformed ones (:func:`fit_smearing`)."""
    import numpy as np

    naive = np.asarray(naive, float)
    if smear is None:
        return naive
    return naive + smear if transform == "sqrt" else naive * smear


class TransformedTarget(BaseEstimator):
    """A zoo regressor fitted on a transformed target, predicting on the original scale.

    Heavy right-tailed targets (a delivery efficiency in %ID, a concentration) are fitted
    more stably on ``sqrt(y)`` or ``log(y)``; predictions are back-transformed with a
    smearing correction (:func:`apply_smearing`) so that they estimate the mean, which
    squared-error metrics on the original scale reward. The correction ``smear`` is
    learned by the model selection from out-of-fold residuals (:func:`fit_smearing`);
    ``None`` gives the naive back-transform.

    Parameters
    ----------
    model : str
        Zoo family of the inner regressor; ``params`` its parameters.
    transform : {"sqrt", "log"}
    smear : float, optional
    """

    def __init__(
        self,
        model: str = "ridge",
        params: dict | None = None,
        transform: str = "sqrt",
        smear: float | None = None,
        seed: int = 0,
        n_jobs: int = 1,
    ) -> None:
        self.model = model
        self.params = params
        self.transform = transform
        self.smear = smear
        self.seed = seed
        self.n_jobs = n_jobs

    def fit(self, X: Any, y: Any) -> TransformedTarget:
        z = _forward(self.transform, y)
        self.estimator_ = build_estimator(self.model, "regression", self.params, seed=self.seed, n_jobs=self.n_jobs)
        self.estimator_.fit(X, z)
        return self

    def predict(self, X: Any) -> Any:
        if not hasattr(self, "estimator_"):
            raise NotFittedError("this TransformedTarget is not fitted yet; call fit() first")
        return apply_smearing(self.transform, _inverse(self.transform, self.estimator_.predict(X)), self.smear)


class AveragingEnsemble(BaseEstimator):
    """Average of zoo models' predictions (regression) or probabilities (classification).

    Parameters
    ----------
    members : list of dict
        ``{"model": name, "params": {...}}`` per member (rebuilt with :func:`build_estimator`).
        A member listed k times has k times the weight; it is fitted once.
    """

    def __init__(self, members: list | None = None, task: str = "regression", seed: int = 0, n_jobs: int = 1) -> None:
        self.members = members
        self.task = task
        self.seed = seed
        self.n_jobs = n_jobs

    def fit(self, X: Any, y: Any) -> AveragingEnsemble:
        import json

        import numpy as np

        if not self.members:
            raise InputError("AveragingEnsemble: members must list at least one model", field="members")
        fitted: dict[str, Any] = {}
        self.estimators_ = []
        for m in self.members:
            key = json.dumps([m["model"], m["params"]], sort_keys=True, default=str)
            if key not in fitted:
                fitted[key] = build_estimator(
                    m["model"], self.task, m["params"], seed=self.seed, n_jobs=self.n_jobs
                ).fit(X, y)
            self.estimators_.append(fitted[key])
        if self.task == "classification":
            self.classes_ = np.unique(y)
        return self

    def _check(self) -> None:
        if not hasattr(self, "estimators_"):
            raise NotFittedError("this AveragingEnsemble is not fitted yet; call fit() first")

    def _weighted(self) -> list[tuple[Any, int]]:
        """Each distinct fitted member once, with how many times it is listed (its weight)."""
        counts: dict[int, list] = {}
        for e in self.estimators_:
            counts.setdefault(id(e), [e, 0])[1] += 1
        return [(e, k) for e, k in counts.values()]

    def predict(self, X: Any) -> Any:
        self._check()
        if self.task == "classification":
            return self.classes_[self.predict_proba(X).argmax(axis=1)]
        return sum(k * e.predict(X) for e, k in self._weighted()) / len(self.estimators_)

    def predict_proba(self, X: Any) -> Any:
        import numpy as np

        self._check()
        out = np.zeros((len(X), len(self.classes_)))
        for e, k in self._weighted():  # a member listed k times is predicted once, weighted k
            out[:, np.searchsorted(self.classes_, e.classes_)] += k * e.predict_proba(X)
        return out / len(self.estimators_)


class MinSupport(TransformerMixin, BaseEstimator):
    """Drop columns where fewer than ``max(min_count, min_share * n)`` rows differ from the column's mode.

    Removes fingerprint bits seen in a handful of molecules (they cannot generalise and
    slow every model down). Keeps at least one column.
    """

    def __init__(self, min_count: int = 5, min_share: float = 0.005) -> None:
        self.min_count = min_count
        self.min_share = min_share

    def fit(self, X: Any, y: Any = None) -> MinSupport:
        import numpy as np

        X = np.asarray(X, float)
        limit = max(self.min_count, self.min_share * len(X))
        from scipy import stats

        support = len(X) - np.asarray(stats.mode(X, axis=0, keepdims=False).count, float)
        self.keep_ = np.flatnonzero(support >= limit)
        if len(self.keep_) == 0:
            self.keep_ = np.array([int(np.argmax(support))])
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X: Any) -> Any:
        import numpy as np

        if not hasattr(self, "keep_"):
            raise NotFittedError("this MinSupport is not fitted yet; call fit() first")
        return np.asarray(X, float)[:, self.keep_]

    def get_feature_names_out(self, input_features: Any = None) -> Any:
        import numpy as np

        names = np.asarray(
            input_features if input_features is not None else [f"x{i}" for i in range(self.n_features_in_)],
            dtype=object,
        )
        return names[self.keep_]


#: Sparse count columns take values on a grid of ``1 / COUNT_STEPS`` (integer and fuzzy counts).
COUNT_STEPS = 10


class CountAwareScaler(TransformerMixin, BaseEstimator):
    """Standardise continuous columns; leave sparse count/indicator columns as they are.

    A column counts as *sparse count* when every training value is a non-negative
    multiple of 0.1 and at least ``min_zero_share`` of the rows are 0: fingerprint bits and
    counts, fragment counts, 0/1 flags, and fuzzy counts such as ErG's pharmacophore pairs
    (steps of 1 and 0.3). Standardising those would give a bit seen in
    1% of the rows ten times the weight of a common one in distance- and norm-based
    models (SVM, k-NN, ridge, MLP); left as counts, they keep their natural scale
    (measured: SVM on Biogen solubility, 5-fold CV Pearson r 0.58 -> 0.62; the ErG block,
    standardised, lowered the SVM's mean scaffold hold-out r over the six Biogen endpoints by
    0.005, left as fuzzy counts it raised it by 0.009). Tree
    models are unaffected (monotone per-column transforms).

    Standardised continuous columns are clipped to the range seen in training
    (``lower_``, ``upper_``): a molecule whose descriptor lies far outside it (a
    descriptor blow-up) cannot move a linear model's prediction without bound, as an
    out-of-fold ridge prediction of -125 log units on ESOL once did. Tree models are
    unaffected (their splits lie inside the training range).
    """

    def __init__(self, min_zero_share: float = 0.5) -> None:
        self.min_zero_share = min_zero_share

    def fit(self, X: Any, y: Any = None) -> CountAwareScaler:
        import numpy as np

        X = np.asarray(X, float)
        steps = X * COUNT_STEPS
        on_grid = np.all((X >= 0) & (np.abs(steps - np.round(steps)) < 1e-6), axis=0)
        self.counts_ = on_grid & (np.mean(X == 0, axis=0) >= self.min_zero_share)
        self.mean_ = np.where(self.counts_, 0.0, X.mean(axis=0))
        sd = X.std(axis=0)
        self.scale_ = np.where(self.counts_ | (sd == 0), 1.0, sd)
        Z = (X - self.mean_) / self.scale_
        self.lower_ = np.where(self.counts_, -np.inf, Z.min(axis=0, initial=np.inf))
        self.upper_ = np.where(self.counts_, np.inf, Z.max(axis=0, initial=-np.inf))
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X: Any) -> Any:
        import numpy as np

        if not hasattr(self, "scale_"):
            raise NotFittedError("this CountAwareScaler is not fitted yet; call fit() first")
        Z = (np.asarray(X, float) - self.mean_) / self.scale_
        if getattr(self, "lower_", None) is not None:  # models saved before clipping have no range
            np.clip(Z, self.lower_, self.upper_, out=Z)
        return Z

    def get_feature_names_out(self, input_features: Any = None) -> Any:
        import numpy as np

        return np.asarray(
            input_features if input_features is not None else [f"x{i}" for i in range(self.n_features_in_)],
            dtype=object,
        )


def numeric_preprocessor():
    """The numeric-column pipeline of :func:`make_preprocessor` (unfitted; array in, array out).

    Median imputation; :class:`MinSupport` drops near-constant columns;
    :class:`CountAwareScaler` standardises continuous columns and leaves sparse count columns
    (fingerprint counts, fragment counts, flags, fuzzy counts such as ErG's) unscaled.
    """
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline

    return make_pipeline(SimpleImputer(strategy="median", keep_empty_features=True), MinSupport(), CountAwareScaler())


def make_preprocessor(numeric: Sequence[str], categorical: Sequence[str], smiles: str | None = None):
    """Median-impute numeric columns, drop rare ones, standardise all but sparse counts; one-hot categoricals.

    With ``smiles`` (a column name, :data:`SMILES_COLUMN`), that column passes through
    first and the output is a SMILES matrix (:func:`with_smiles`) for families that read
    the molecules.

    Numeric: :func:`numeric_preprocessor`. Categorical: mode-impute +
    one-hot; unknown categories at predict time encode as all-zero
    (``handle_unknown="ignore"``).
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    parts: list[tuple[str, Any, list[str]]] = [("smiles", "passthrough", [smiles])] if smiles else []
    if numeric:
        parts.append(("num", numeric_preprocessor(), list(numeric)))
    if categorical:
        parts.append(
            (
                "cat",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"),
                    OneHotEncoder(handle_unknown="ignore", max_categories=50, sparse_output=False),
                ),
                list(categorical),
            )
        )
    if not parts:
        raise InputError("no feature columns left after removing target, id and SMILES columns")
    return ColumnTransformer(parts, sparse_threshold=0.0, verbose_feature_names_out=False)
