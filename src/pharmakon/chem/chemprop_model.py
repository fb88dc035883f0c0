"""Chemprop message-passing networks as a scikit-learn estimator (the zoo's ``chemprop`` family).

:class:`ChempropEstimator` trains a Chemprop v2 directed message-passing neural network
(D-MPNN: bond message passing, mean aggregation, feed-forward head; Yang et al. 2019,
Heid et al. 2024) on the molecular graphs, optionally with the row's other features
(the preprocessed fingerprints/descriptors/table columns) concatenated to the learned
molecule vector as Chemprop's extra descriptors (``X_d``). It runs on the CPU, is
deterministic from ``seed``, writes nothing to disk, and stops training when
``time_limit_s`` runs out (the lifecycle sets it from ``--budget``).

Inputs are *SMILES matrices* (:func:`pharmakon.core.zoo.with_smiles`): column 0 the
canonical SMILES, the rest float features. torch, lightning and chemprop are the
``deep`` extra; this module imports them only when a model is built, fitted or loaded.
Importing it (``import pharmakon.chem`` does) registers the family in core's zoo
(:func:`pharmakon.core.zoo.register_family`).

References
----------
Yang, K. et al. (2019). Analyzing learned molecular representations for property
prediction. J. Chem. Inf. Model. 59, 3370-3388.
Heid, E. et al. (2024). Chemprop: a machine learning package for chemical property
prediction. J. Chem. Inf. Model. 64, 9-17.
"""

from __future__ import annotations

import io
import logging
import tempfile
import warnings
from contextlib import contextmanager
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from pharmakon.core.zoo import register_family
from pharmakon.errors import InputError, NotFittedError

__all__ = ["ChempropEstimator", "DEEP_HINT", "build", "space", "require_deep"]

DEEP_HINT = "chemprop needs the deep extra: pip install 'pharmakon[deep]'"
_QUIET = ("lightning", "lightning.pytorch", "lightning.fabric", "pytorch_lightning", "chemprop")


def require_deep() -> None:
    """Import torch, lightning and chemprop, or raise :class:`InputError` with :data:`DEEP_HINT`."""
    try:
        import chemprop  # noqa: F401
        import lightning  # noqa: F401
        import torch  # noqa: F401
    except ImportError as exc:
        raise InputError(f"{DEEP_HINT} ({exc})", field="models") from None


def build(task: str, params: dict[str, Any], seed: int, n_jobs: int) -> ChempropEstimator:
    """The zoo's build function: an unfitted :class:`ChempropEstimator` (checks the deep extra)."""
    require_deep()
    unknown = set(params) - set(ChempropEstimator().get_params()) - {"task", "seed", "n_jobs"}
    if unknown:
        raise InputError(f"chemprop: unknown parameter(s) {sorted(unknown)}", field="params")
    return ChempropEstimator(task=task, seed=seed, n_jobs=n_jobs, **params)


def space(trial: Any) -> dict[str, Any]:
    """The zoo's Optuna search space for chemprop."""
    return {
        "depth": trial.suggest_int("depth", 2, 5),
        "hidden": trial.suggest_categorical("hidden", [200, 300, 500]),
        "ffn_layers": trial.suggest_int("ffn_layers", 1, 3),
        "dropout": trial.suggest_float("dropout", 0.0, 0.3),
        "epochs": trial.suggest_int("epochs", 20, 100, log=True),
        "max_lr": trial.suggest_float("max_lr", 3e-4, 3e-3, log=True),
        "use_descriptors": trial.suggest_categorical("use_descriptors", [True, False]),
    }


def _deep_versions() -> dict[str, str]:
    from importlib.metadata import version

    return {"torch": version("torch"), "chemprop": version("chemprop")}


def _check_versions(saved: dict[str, str]) -> None:
    """Refuse weights saved by another torch/chemprop minor release (the network is rebuilt from its code)."""
    from pharmakon.core.registry import ModelCompatibilityError

    for lib, now in _deep_versions().items():
        old = saved.get(lib)
        if old is not None and old.split(".")[:2] != now.split(".")[:2]:
            raise ModelCompatibilityError(
                f"a chemprop model was saved with {lib} {old} but {lib} {now} is installed; "
                f"retrain it or install {lib}=={old}"
            )


@contextmanager
def _quiet(n_threads: int):
    """Silence lightning's banners and warnings; use ``n_threads`` torch threads; restore both after."""
    import torch

    levels = {name: logging.getLogger(name).level for name in _QUIET}
    threads = torch.get_num_threads()
    try:
        for name in _QUIET:
            logging.getLogger(name).setLevel(logging.ERROR)
        torch.set_num_threads(max(1, n_threads))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        torch.set_num_threads(threads)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


class ChempropEstimator(BaseEstimator):
    """Chemprop D-MPNN regressor or binary classifier on SMILES matrices.

    Parameters
    ----------
    task : {"regression", "classification"}
        Classification is binary: ``y`` holds two labels (the zoo passes 0/1 indices).
    depth : int, default 3
        Message-passing steps.
    hidden : int, default 300
        Width of the bond messages and of the molecule vector.
    ffn_hidden : int, default 300
        Width of the feed-forward head's hidden layers.
    ffn_layers : int, default 1
        Hidden layers of the head.
    dropout : float, default 0.0
        Dropout in message passing and head.
    epochs : int, default 50
        Maximum epochs (fewer when ``time_limit_s`` runs out first).
    batch_size : int, default 64
    max_lr : float, default 1e-3
        Peak of Chemprop's Noam-like schedule (warm-up 2 epochs from ``max_lr / 10``,
        then decay to ``max_lr / 10`` at ``epochs``).
    use_descriptors : bool, default True
        Concatenate the matrix's feature columns (``X_d``, standardised on the training
        rows) to the learned molecule vector.
    time_limit_s : float, optional
        Wall-clock seconds for training; lightning stops after the batch that passes it.
    seed : int, default 0
        Seeds weight initialisation, dropout and batch order (torch's global generator
        is saved and restored around fit).
    n_jobs : int, default 1
        torch threads while fitting and predicting (-1: torch's default).

    Attributes
    ----------
    classes_ : ndarray, shape (2,)
        Class labels (classification).
    n_features_in_ : int
        Feature columns besides the SMILES.
    epochs_run_ : int
        Epochs completed (less than ``epochs`` when the time limit stopped training).
    """

    def __init__(
        self,
        task: str = "regression",
        depth: int = 3,
        hidden: int = 300,
        ffn_hidden: int = 300,
        ffn_layers: int = 1,
        dropout: float = 0.0,
        epochs: int = 50,
        batch_size: int = 64,
        max_lr: float = 1e-3,
        use_descriptors: bool = True,
        time_limit_s: float | None = None,
        seed: int = 0,
        n_jobs: int = 1,
    ) -> None:
        self.task = task
        self.depth = depth
        self.hidden = hidden
        self.ffn_hidden = ffn_hidden
        self.ffn_layers = ffn_layers
        self.dropout = dropout
        self.epochs = epochs
        self.batch_size = batch_size
        self.max_lr = max_lr
        self.use_descriptors = use_descriptors
        self.time_limit_s = time_limit_s
        self.seed = seed
        self.n_jobs = n_jobs

    # -- data -------------------------------------------------------------------------
    def _inputs(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        from pharmakon.core.zoo import split_smiles

        smiles, Z = split_smiles(X)
        if smiles is None:
            raise InputError(
                "chemprop reads molecules: X must be a SMILES matrix (object array, column 0 the "
                "SMILES; pharmakon.core.zoo.with_smiles)",
                field="X",
            )
        return smiles, Z

    def _dataset(self, smiles: np.ndarray, Z: np.ndarray, y: np.ndarray | None):
        from chemprop import data, featurizers
        from rdkit import Chem

        from pharmakon.chem.standardize import rdkit_quiet

        points = []
        with rdkit_quiet():
            for i, smi in enumerate(smiles):
                mol = Chem.MolFromSmiles(smi) if isinstance(smi, str) else None
                if mol is None or mol.GetNumAtoms() == 0:
                    raise InputError(f"chemprop: row {i + 1}: cannot parse SMILES {smi!r}", row=i + 1, field="smiles")
                x_d = Z[i].astype(np.float32) if self.use_descriptors and Z.shape[1] else None
                points.append(data.MoleculeDatapoint(mol, None if y is None else np.array([y[i]], float), x_d=x_d))
        dataset = data.MoleculeDataset(points, featurizers.SimpleMoleculeMolGraphFeaturizer())
        dataset.cache = True  # featurize each molecule once, not once per epoch
        return dataset

    # -- network ------------------------------------------------------------------------
    def _network(self, d_xd: int, y_scale: tuple[float, float] | None, x_scale: tuple[np.ndarray, np.ndarray] | None):
        from chemprop import models, nn

        mp = nn.BondMessagePassing(d_h=self.hidden, depth=self.depth, dropout=self.dropout)
        head = dict(
            input_dim=mp.output_dim + d_xd, hidden_dim=self.ffn_hidden, n_layers=self.ffn_layers, dropout=self.dropout
        )
        if self.task == "regression":
            mean, scale = y_scale if y_scale is not None else (0.0, 1.0)
            predictor = nn.RegressionFFN(output_transform=nn.UnscaleTransform([mean], [scale]), **head)
        else:
            predictor = nn.BinaryClassificationFFN(**head)
        x_transform = nn.ScaleTransform(*x_scale) if d_xd else None
        return models.MPNN(
            mp,
            nn.MeanAggregation(),
            predictor,
            X_d_transform=x_transform,
            init_lr=self.max_lr / 10,
            max_lr=self.max_lr,
            final_lr=self.max_lr / 10,
        )

    # -- fit / predict ----------------------------------------------------------------
    def fit(self, X: Any, y: Any) -> ChempropEstimator:
        """Train on a SMILES matrix ``X`` (n, 1 + n_features) and targets ``y`` (n,)."""
        require_deep()
        import lightning.pytorch as pl
        import torch
        from chemprop import data

        if self.task not in ("regression", "classification"):
            raise InputError(f"chemprop: task must be regression or classification, got {self.task!r}", field="task")
        smiles, Z = self._inputs(X)
        y = np.asarray(y)
        if self.task == "classification":
            self.classes_ = np.unique(y)
            if len(self.classes_) != 2:
                raise InputError(f"chemprop classifies two classes; got {len(self.classes_)}", field="target")
            target = (y == self.classes_[1]).astype(float)
        else:
            target = y.astype(float)
        self.n_features_in_ = Z.shape[1]
        d_xd = Z.shape[1] if self.use_descriptors else 0
        dataset = self._dataset(smiles, Z, target)
        y_scale = x_scale = None
        if self.task == "regression":
            scaler = dataset.normalize_targets()
            y_scale = (float(scaler.mean_[0]), float(scaler.scale_[0]))
        if d_xd:
            xs = dataset.normalize_inputs("X_d")
            x_scale = (xs.mean_, xs.scale_)
        limit = None if self.time_limit_s is None else {"seconds": float(self.time_limit_s)}
        with _quiet(self.n_jobs if self.n_jobs > 0 else torch.get_num_threads()), torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            net = self._network(d_xd, y_scale, x_scale)
            loader = data.build_dataloader(
                dataset, batch_size=self.batch_size, num_workers=0, seed=self.seed, shuffle=True
            )
            with tempfile.TemporaryDirectory(prefix="pharmakon-chemprop-") as tmp:
                trainer = pl.Trainer(
                    accelerator="cpu",
                    devices=1,
                    max_epochs=self.epochs,
                    max_time=limit,
                    logger=False,
                    enable_checkpointing=False,
                    enable_progress_bar=False,
                    enable_model_summary=False,
                    default_root_dir=tmp,
                )
                trainer.fit(net, loader)
                self.epochs_run_ = int(trainer.current_epoch)
        net.trainer = None  # drop the trainer reference before the model is kept or pickled
        net.eval()
        self.model_ = net
        self.arch_ = {"d_xd": d_xd, "y_scale": y_scale, "x_scale": x_scale}
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise NotFittedError("this ChempropEstimator is not fitted yet; call fit() first")

    def _forward(self, X: Any) -> np.ndarray:
        import torch
        from chemprop import data

        self._check_fitted()
        smiles, Z = self._inputs(X)
        if Z.shape[1] != self.n_features_in_:
            raise InputError(
                f"chemprop: X has {Z.shape[1]} feature columns; the model was fitted on {self.n_features_in_}",
                field="X",
            )
        loader = data.build_dataloader(self._dataset(smiles, Z, None), batch_size=256, num_workers=0, shuffle=False)
        out = []
        with _quiet(self.n_jobs if self.n_jobs > 0 else torch.get_num_threads()), torch.inference_mode():
            self.model_.eval()
            for bmg, V_d, X_d, *_ in loader:
                out.append(self.model_(bmg, V_d, X_d).reshape(len(bmg), -1)[:, 0].double().numpy())
        return np.concatenate(out) if out else np.zeros(0)

    def predict(self, X: Any) -> np.ndarray:
        """Predictions, shape (n,): values (regression) or labels (classification)."""
        self._check_fitted()
        if self.task == "classification":
            return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]
        return self._forward(X)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape (n, 2), columns in ``classes_`` order."""
        if self.task != "classification":
            raise AttributeError("predict_proba is only available for classification")
        p = np.clip(self._forward(X), 0.0, 1.0)
        return np.column_stack([1.0 - p, p])

    # -- pickling: weights as a torch state dict, the network rebuilt on load ------------
    def __getstate__(self) -> dict:
        state = dict(super().__getstate__())  # a copy: object.__getstate__ may return __dict__ itself
        net = state.pop("model_", None)
        if net is not None:
            import torch

            buffer = io.BytesIO()
            torch.save(net.state_dict(), buffer)
            state["weights_"] = buffer.getvalue()
            state["versions_"] = _deep_versions()
        return state

    def __setstate__(self, state: dict) -> None:
        weights = state.pop("weights_", None)
        super().__setstate__(state)
        if weights is not None:
            require_deep()
            import torch

            _check_versions(self.__dict__.pop("versions_", {}))

            arch = self.arch_
            net = self._network(arch["d_xd"], arch["y_scale"], arch["x_scale"])
            net.load_state_dict(torch.load(io.BytesIO(weights), map_location="cpu", weights_only=True))
            net.eval()
            self.model_ = net


register_family(
    "chemprop",
    build,
    space,
    tasks=("regression", "classification"),
    description="Chemprop D-MPNN on the molecular graph (+ the other features); opt-in, needs the deep extra",
    needs_smiles=True,
)
