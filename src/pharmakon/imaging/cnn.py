"""A small MONAI CNN image classifier as a scikit-learn estimator (the zoo's ``monai_cnn`` family).

:class:`CNNClassifier` classifies square grey-level images given as table rows: each row
of ``X`` holds one image's ``side * side`` pixels in row-major order (the columns a
design table of flattened pixels gives, e.g. BreastMNIST's 28 x 28 = 784), so that core's
governed lifecycle (:func:`pharmakon.core.service.train_and_register`: QC, CV selection,
conformal calibration, registry, audit) trains and registers it like any other family.
The network is MONAI's ``Classifier`` (strided residual convolution units, instance
norm, PReLU, then a linear layer), trained by Adam on binary cross-entropy for a fixed
number of epochs, with left-right flips of the training images (an ultrasound or CT
image has no preferred left/right). Deterministic from ``seed`` for a given ``n_jobs``.

torch and MONAI are the ``deep`` extra: this module imports them only when a model is
built, fitted or loaded. :func:`register_cnn_family` adds the family to core's zoo
(:func:`pharmakon.core.zoo.register_family`) when the imaging learned path is used, as
the process domain does with ``pls``: registering on use, not on import, keeps the zoo
that core's tests enumerate the same whether or not an imaging module was imported.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from pharmakon.core.zoo import register_family
from pharmakon.errors import InputError, NotFittedError
from pharmakon.imaging.deep import TorchWeightsPickling, require_deep, seeded_torch

__all__ = ["CNNClassifier", "FAMILY", "build", "space", "register_cnn_family"]

#: The zoo name of the family.
FAMILY = "monai_cnn"


def build(task: str, params: dict[str, Any], seed: int, n_jobs: int) -> CNNClassifier:
    """The zoo's build function: an unfitted :class:`CNNClassifier` (checks the deep extra)."""
    require_deep()
    if task != "classification":
        raise InputError(f"monai_cnn classifies images; task {task!r} is not supported", field="task")
    unknown = set(params) - set(CNNClassifier().get_params()) - {"seed", "n_jobs"}
    if unknown:
        raise InputError(f"monai_cnn: unknown parameter(s) {sorted(unknown)}", field="params")
    return CNNClassifier(seed=seed, n_jobs=n_jobs, **params)


def space(trial: Any) -> dict[str, Any]:
    """The zoo's Optuna search space for monai_cnn."""
    return {
        "width": trial.suggest_categorical("width", [8, 16, 32]),
        "epochs": trial.suggest_int("epochs", 10, 60, log=True),
        "lr": trial.suggest_float("lr", 3e-4, 3e-3, log=True),
        "dropout": trial.suggest_float("dropout", 0.0, 0.5),
    }


class CNNClassifier(TorchWeightsPickling, ClassifierMixin, BaseEstimator):
    """Binary CNN classifier of flattened square images.

    Parameters
    ----------
    width : int, default 16
        Feature maps of the first level; the three levels have width, 2 width, 4 width,
        each halving the image side (28 -> 14 -> 7 -> 4).
    epochs : int, default 30
        Passes over the training images (fixed: no early stopping).
    batch_size : int, default 32
    lr : float, default 1e-3
        Adam learning rate (weight decay 1e-4).
    dropout : float, default 0.2
    flip : bool, default True
        Also train on each image flipped left-right.
    seed : int, default 0
    n_jobs : int, default 1
        torch threads.

    Attributes
    ----------
    classes_ : ndarray, shape (2,)
    side_ : int
        Image side in pixels (``sqrt`` of the column count).
    """

    def __init__(
        self,
        width: int = 16,
        epochs: int = 30,
        batch_size: int = 32,
        lr: float = 1e-3,
        dropout: float = 0.2,
        flip: bool = True,
        seed: int = 0,
        n_jobs: int = 1,
    ) -> None:
        self.width = width
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.dropout = dropout
        self.flip = flip
        self.seed = seed
        self.n_jobs = n_jobs

    def _network(self, side: int):
        from monai.networks.nets import Classifier

        w = int(self.width)
        return Classifier(
            in_shape=(1, side, side),
            classes=1,
            channels=(w, 2 * w, 4 * w),
            strides=(2, 2, 2),
            num_res_units=1,
            dropout=float(self.dropout) or None,
        )

    def _images(self, X: Any, side: int | None = None) -> np.ndarray:
        X = np.asarray(X, dtype=np.float32)
        if X.ndim != 2 or len(X) == 0:
            raise InputError(f"X must be a non-empty table (n, side*side), got shape {X.shape}", field="X")
        s = math.isqrt(X.shape[1])
        if s * s != X.shape[1] or s < 8 or (side is not None and s != side):
            want = f"{side}x{side} = {side * side}" if side else "a square number of at least 64"
            raise InputError(
                f"monai_cnn reads each row as a square image: {X.shape[1]} columns are not {want}; "
                "give one column per pixel (a preprocessing step may have dropped constant pixels)",
                field="X",
            )
        if not np.isfinite(X).all():
            raise InputError("X holds NaN or infinite pixels", field="X")
        return X.reshape(len(X), 1, s, s)

    def fit(self, X: Any, y: Any) -> CNNClassifier:
        """Train on ``X`` (n, side*side) and two-class labels ``y`` (n,)."""
        require_deep()
        import torch

        if int(self.epochs) < 1 or int(self.batch_size) < 1 or int(self.width) < 1:
            raise InputError(
                f"epochs, batch_size and width must be >= 1, got {self.epochs}, {self.batch_size}, {self.width}",
                field="params",
            )
        images = self._images(X)
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) != 2:
            raise InputError(f"monai_cnn classifies two classes; got {len(self.classes_)}", field="target")
        target = (y == self.classes_[1]).astype(np.float32)
        if self.flip:
            images, target = np.concatenate([images, images[..., ::-1]]), np.concatenate([target, target])
        xt, yt = torch.from_numpy(np.ascontiguousarray(images)), torch.from_numpy(target)[:, None]
        with seeded_torch(self.seed, self.n_jobs):
            net = self._network(images.shape[-1])
            opt = torch.optim.Adam(net.parameters(), lr=self.lr, weight_decay=1e-4)
            loss_fn = torch.nn.BCEWithLogitsLoss()
            net.train()
            for _ in range(self.epochs):
                for idx in torch.randperm(len(xt)).split(self.batch_size):
                    opt.zero_grad()
                    loss_fn(net(xt[idx]), yt[idx]).backward()
                    opt.step()
        net.eval()
        self.model_ = net
        self.side_ = int(images.shape[-1])
        self.n_features_in_ = self.side_**2
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise NotFittedError("this CNNClassifier is not fitted yet; call fit() first")

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape (n, 2), columns in ``classes_`` order."""
        self._check_fitted()
        import torch

        xt = torch.from_numpy(self._images(X, self.side_))
        with seeded_torch(self.seed, self.n_jobs), torch.inference_mode():
            p = torch.cat([torch.sigmoid(self.model_(b)) for b in xt.split(512)])[:, 0].double().numpy()
        return np.column_stack([1.0 - p, p])

    def predict(self, X: Any) -> np.ndarray:
        """Labels, shape (n,): the class with probability >= 0.5."""
        self._check_fitted()
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]

    def _network_for_load(self) -> Any:
        return self._network(self.side_)


def register_cnn_family() -> None:
    """Register ``monai_cnn`` (:class:`CNNClassifier`, classification) in core's model zoo; idempotent."""
    register_family(
        FAMILY,
        build,
        space,
        tasks=("classification",),
        description="MONAI CNN on rows of flattened square images (one column per pixel); needs the deep extra",
    )
