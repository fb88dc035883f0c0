"""A small MONAI 2-D U-Net as a scikit-learn-style segmenter (behind the ``deep`` extra).

:class:`UNetSegmenter` learns a binary lesion mask from 2-D image patches: ``fit(X, y)``
with ``X`` the patches, shape (n, h, w), float, and ``y`` their reference masks, shape
(n, h, w), 0/1; ``predict_proba(X)`` returns the per-pixel lesion probability, shape
(n, h, w), and ``predict(X)`` the mask (probability >= 0.5). The network is MONAI's
``UNet`` (Ronneberger et al. 2015, with residual units; Kerfoot et al. 2018), trained
with MONAI's ``DiceCELoss`` (Dice + binary cross-entropy on the sigmoid) by Adam, for a
fixed number of epochs on the eight flips/rotations of each patch (the dihedral group:
lesions have no preferred orientation). Training is deterministic from ``seed`` for a
given ``n_jobs``; nothing is written to disk. Weights pickle as a torch state dict and the
network is rebuilt on load, as core's registry expects of a model.

References
----------
Ronneberger, O., Fischer, P., Brox, T. (2015). U-Net: convolutional networks for biomedical
image segmentation. MICCAI, LNCS 9351, 234-241.
Cardoso, M. J. et al. (2022). MONAI: an open-source framework for deep learning in
healthcare. arXiv:2211.02701.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from pharmakon.errors import InputError, NotFittedError
from pharmakon.imaging.deep import TorchWeightsPickling, require_deep, seeded_torch

__all__ = ["UNetSegmenter", "dihedral"]


def dihedral(arr: np.ndarray) -> np.ndarray:
    """The 8 rotations/flips of each patch: (n, h, w) square patches -> (8n, h, w), originals first."""
    views = [np.rot90(arr, r, axes=(1, 2)) for r in range(4)]
    views += [v[:, :, ::-1] for v in views]
    return np.ascontiguousarray(np.concatenate(views))


class UNetSegmenter(TorchWeightsPickling, BaseEstimator):
    """MONAI 2-D U-Net for binary masks of square patches.

    Parameters
    ----------
    channels : tuple of int, default (8, 16, 32)
        Feature maps per level (the last is the bottleneck); each level halves the size,
        so the patch side must be divisible by ``2 ** (len(channels) - 1)``.
    res_units : int, default 1
        Residual units per level.
    epochs : int, default 60
        Passes over the augmented training patches (fixed: no early stopping).
    batch_size : int, default 16
    lr : float, default 3e-3
        Adam learning rate.
    augment : bool, default True
        Train on the 8 flips/rotations of every patch.
    seed : int, default 0
        Seeds initialisation and batch order.
    n_jobs : int, default 1
        torch threads.
    """

    def __init__(
        self,
        channels: tuple[int, ...] = (8, 16, 32),
        res_units: int = 1,
        epochs: int = 60,
        batch_size: int = 16,
        lr: float = 3e-3,
        augment: bool = True,
        seed: int = 0,
        n_jobs: int = 1,
    ) -> None:
        self.channels = channels
        self.res_units = res_units
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.augment = augment
        self.seed = seed
        self.n_jobs = n_jobs

    def _network(self):
        from monai.networks.nets import UNet

        return UNet(
            spatial_dims=2,
            in_channels=1,
            out_channels=1,
            channels=tuple(self.channels),
            strides=(2,) * (len(self.channels) - 1),
            num_res_units=self.res_units,
        )

    def _check_patches(self, X: Any, name: str = "X") -> np.ndarray:
        X = np.asarray(X, dtype=np.float32)
        step = 2 ** (len(self.channels) - 1)
        if X.ndim != 3 or len(X) == 0 or X.shape[1] != X.shape[2] or X.shape[1] % step:
            raise InputError(
                f"{name} must be a non-empty stack of square patches (n, s, s) with s divisible by {step}; "
                f"got shape {X.shape}",
                field=name,
            )
        if not np.isfinite(X).all():
            raise InputError(f"{name} holds NaN or infinite values", field=name)
        return X

    def fit(self, X: Any, y: Any) -> UNetSegmenter:
        """Train on patches ``X`` (n, s, s) and masks ``y`` (n, s, s) of 0/1."""
        require_deep()
        import torch
        from monai.losses import DiceCELoss

        if int(self.epochs) < 1 or int(self.batch_size) < 1:
            raise InputError(
                f"epochs and batch_size must be >= 1, got {self.epochs}, {self.batch_size}", field="epochs"
            )
        X = self._check_patches(X)
        y = np.asarray(y)
        if y.shape != X.shape or not np.isin(y, (0, 1)).all():
            raise InputError(f"y must be 0/1 masks of X's shape {X.shape}; got shape {y.shape}", field="y")
        if self.augment:
            X, y = dihedral(X), dihedral(y)
        xt = torch.from_numpy(X[:, None])
        yt = torch.from_numpy(y[:, None].astype(np.float32))
        with seeded_torch(self.seed, self.n_jobs):
            net = self._network()
            loss_fn = DiceCELoss(sigmoid=True)
            opt = torch.optim.Adam(net.parameters(), lr=self.lr)
            net.train()
            for _ in range(self.epochs):
                for idx in torch.randperm(len(xt)).split(self.batch_size):
                    opt.zero_grad()
                    loss = loss_fn(net(xt[idx]), yt[idx])
                    loss.backward()
                    opt.step()
            self.final_loss_ = float(loss.detach())
        net.eval()
        self.model_ = net
        self.patch_size_ = int(X.shape[1])
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Per-pixel lesion probability, shape (n, s, s)."""
        if not hasattr(self, "model_"):
            raise NotFittedError("this UNetSegmenter is not fitted yet; call fit() first")
        import torch

        X = self._check_patches(X)
        with seeded_torch(self.seed, self.n_jobs), torch.inference_mode():
            return torch.sigmoid(self.model_(torch.from_numpy(X[:, None])))[:, 0].numpy().astype(float)

    def predict(self, X: Any) -> np.ndarray:
        """Binary masks, shape (n, s, s): probability >= 0.5."""
        return self.predict_proba(X) >= 0.5

    def _network_for_load(self) -> Any:
        return self._network()
