"""Image features for the governed model lifecycle: BreastMNIST as a sanity check of the learned path.

:func:`hog_table` turns 2-D images into a table of HOG descriptors (scikit-image
``hog``: 9 orientations, 7x7-pixel cells, 2x2-cell blocks, L2-Hys) plus a 7x7 grid of
mean intensities, one row per image, so that :func:`pharmakon.core.service.train_and_register`
can select, calibrate (conformal), explain and register a classifier the same way it
does for any table. :func:`load_breastmnist` reads the MedMNIST archive (labels 0 =
malignant, 1 = normal/benign). :func:`pixel_table` gives the learned path's table: one
column per pixel, the input of the ``monai_cnn`` family (:mod:`pharmakon.imaging.cnn`,
the ``deep`` extra), which the same lifecycle trains and registers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from skimage.feature import hog

from pharmakon.errors import InputError

__all__ = ["hog_table", "pixel_table", "load_breastmnist"]


def hog_table(images: np.ndarray) -> pd.DataFrame:
    """HOG + coarse intensity features of ``images`` (n, h, w), uint8 or float; one row per image."""
    if images.ndim != 3 or images.shape[0] == 0:
        raise InputError(f"images must be a non-empty (n, h, w) array, got shape {images.shape}", field="images")
    rows = []
    for img in images.astype(float) / 255.0:
        h = hog(img, orientations=9, pixels_per_cell=(7, 7), cells_per_block=(2, 2), block_norm="L2-Hys")
        g = img[: img.shape[0] // 7 * 7, : img.shape[1] // 7 * 7]
        coarse = g.reshape(7, g.shape[0] // 7, 7, g.shape[1] // 7).mean(axis=(1, 3)).ravel()
        rows.append(np.concatenate([h, coarse]))
    arr = np.asarray(rows)
    names = [f"hog_{i}" for i in range(arr.shape[1] - 49)] + [f"mean_{i}" for i in range(49)]
    return pd.DataFrame(arr, columns=names)


def pixel_table(images: np.ndarray) -> pd.DataFrame:
    """One row per image, one column per pixel (``px_<row-major index>``, intensities as given): (n, h*w)."""
    if images.ndim != 3 or images.shape[0] == 0:
        raise InputError(f"images must be a non-empty (n, h, w) array, got shape {images.shape}", field="images")
    flat = images.reshape(len(images), -1).astype(float)
    return pd.DataFrame(flat, columns=[f"px_{i}" for i in range(flat.shape[1])])


def load_breastmnist(path: str | Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{"train"|"val"|"test": (images (n, 28, 28) uint8, labels (n,))}`` from ``breastmnist.npz``."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {
                split: (np.asarray(npz[f"{split}_images"]), np.asarray(npz[f"{split}_labels"]).reshape(-1))
                for split in ("train", "val", "test")
            }
    except (OSError, KeyError, ValueError) as exc:
        raise InputError(f"cannot read the MedMNIST archive: {exc}", file=str(path)) from None
