"""The learned segmentation path: box-prompted U-Net patches, and leave-one-case-out evaluation.

The U-Net (:class:`pharmakon.imaging.unet.UNetSegmenter`) gets the same prompt as the
classical baseline (:func:`pharmakon.imaging.segment.box_segmentation`): the box a
reader draws around a lesion (its bounding box + ``margin`` voxels in-plane). Every
axial slice of the box becomes one patch (:func:`box_patches`): the box's intensities
standardised by the box's own mean and standard deviation (the cases are MR and
different scanners: absolute intensities do not transfer), resampled to ``size`` x
``size`` pixels (bilinear; the mask nearest-neighbour). :func:`paste_back` resamples the
predicted probabilities onto the box, thresholds them at 0.5 and keeps the largest
26-connected component, the lesion the box was drawn around.

:func:`leave_one_case_out` trains on every lesion of all cases but one and scores the
held-out case's largest lesion against its reference mask, beside the baseline with the
same box: 3-D Dice, symmetric Hausdorff distance (mm), and the 2-D Dice of every slice.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from skimage.measure import label as cc_label
from skimage.transform import resize

from pharmakon.errors import InputError
from pharmakon.imaging.segment import box_segmentation, dice, hausdorff_mm, prompt_box

__all__ = ["Case", "FoldResult", "lesions_of", "box_patches", "paste_back", "leave_one_case_out"]


@dataclass(frozen=True)
class Case:
    """One masked image: ``image`` and ``mask`` (k, j, i) on one grid, ``spacing`` (i, j, k) in mm."""

    name: str
    image: np.ndarray
    mask: np.ndarray
    spacing: tuple[float, float, float]


@dataclass
class FoldResult:
    """The held-out case's scores, U-Net and baseline with the same box."""

    case: str
    train_cases: list[str]
    train_patches: int
    dice_unet: float
    dice_baseline: float
    hausdorff_unet_mm: float | None
    hausdorff_baseline_mm: float | None
    voxels_reference: int
    voxels_unet: int
    voxels_baseline: int
    slice_dice_unet: list[float] = field(default_factory=list)
    slice_dice_baseline: list[float] = field(default_factory=list)
    train_seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def lesions_of(mask: np.ndarray) -> list[np.ndarray]:
    """The 26-connected lesions of a boolean mask (k, j, i), largest first."""
    parts = cc_label(mask.astype(bool), connectivity=3)
    sizes = np.bincount(parts.ravel())[1:]
    return [parts == i + 1 for i in np.argsort(-sizes, kind="stable")]


def box_patches(
    image: np.ndarray, lesion: np.ndarray, margin: int = 2, size: int = 32
) -> tuple[np.ndarray, np.ndarray, tuple[tuple[int, ...], tuple[int, ...]]]:
    """Patches of the reader's box around ``lesion``: (images (n, size, size), masks (n, size, size), box).

    ``n`` is the number of axial slices the lesion spans; images are standardised by the
    box's mean and standard deviation.
    """
    if not lesion.any():
        raise InputError("the mask holds no lesion to draw a box around", field="mask")
    lo, hi = prompt_box(lesion, (0, margin, margin), image.shape)
    box = image[lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]].astype(np.float64)
    box = (box - box.mean()) / (box.std() or 1.0)
    ref = lesion[lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]]
    shape = (size, size)
    images = np.stack([resize(s, shape, order=1, mode="edge", anti_aliasing=False) for s in box])
    masks = np.stack([resize(s.astype(float), shape, order=0, mode="edge", anti_aliasing=False) for s in ref])
    return images.astype(np.float32), (masks > 0.5).astype(np.uint8), (lo, hi)


def paste_back(proba: np.ndarray, box: tuple[tuple[int, ...], tuple[int, ...]], shape: tuple[int, ...]) -> np.ndarray:
    """Boolean mask of ``shape``: the patch probabilities (n, s, s) resampled onto ``box``, >= 0.5, largest lesion."""
    lo, hi = box
    crop = (hi[1] - lo[1], hi[2] - lo[2])
    inside = np.stack([resize(p, crop, order=1, mode="edge", anti_aliasing=False) for p in proba]) >= 0.5
    out = np.zeros(shape, dtype=bool)
    out[lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]] = inside
    if not out.any():
        return out
    return lesions_of(out)[0]


def _slice_dice(a: np.ndarray, b: np.ndarray, ref: np.ndarray) -> list[float]:
    """2-D Dice of ``a`` vs ``b`` on every axial slice where ``ref`` has voxels."""
    return [dice(a[k], b[k]) for k in np.flatnonzero(ref.any(axis=(1, 2)))]


def _score(seg: np.ndarray, ref: np.ndarray, spacing: tuple[float, float, float]) -> tuple[float, float | None]:
    return dice(seg, ref), (hausdorff_mm(seg, ref, spacing) if seg.any() else None)


def leave_one_case_out(
    cases: list[Case], *, margin: int = 2, size: int = 32, params: dict[str, Any] | None = None, seed: int = 0
) -> list[FoldResult]:
    """Train a U-Net on all cases but one, score the held-out case's largest lesion; one fold per case.

    Training patches come from every lesion of the training cases; ``params`` go to
    :class:`~pharmakon.imaging.unet.UNetSegmenter` (with ``seed``).
    """
    from pharmakon.imaging.unet import UNetSegmenter

    if len(cases) < 2:
        raise InputError(f"leave-one-case-out needs at least 2 masked cases, got {len(cases)}", field="cases")
    folds = []
    for held in cases:
        train = [c for c in cases if c is not held]
        pairs = [box_patches(c.image, les, margin, size)[:2] for c in train for les in lesions_of(c.mask)]
        X = np.concatenate([p[0] for p in pairs])
        y = np.concatenate([p[1] for p in pairs])
        t0 = time.perf_counter()
        model = UNetSegmenter(seed=seed, **(params or {})).fit(X, y)
        seconds = time.perf_counter() - t0
        ref = lesions_of(held.mask)[0]
        patches, _, box = box_patches(held.image, ref, margin, size)
        unet = paste_back(model.predict_proba(patches), box, held.image.shape)
        base = box_segmentation(held.image, ref, (0, margin, margin))
        d_u, h_u = _score(unet, ref, held.spacing)
        d_b, h_b = _score(base, ref, held.spacing)
        folds.append(
            FoldResult(
                case=held.name,
                train_cases=[c.name for c in train],
                train_patches=len(X),
                dice_unet=d_u,
                dice_baseline=d_b,
                hausdorff_unet_mm=h_u,
                hausdorff_baseline_mm=h_b,
                voxels_reference=int(ref.sum()),
                voxels_unet=int(unet.sum()),
                voxels_baseline=int(base.sum()),
                slice_dice_unet=_slice_dice(unet, ref, ref),
                slice_dice_baseline=_slice_dice(base, ref, ref),
                train_seconds=round(seconds, 2),
            )
        )
    return folds
