"""Classical lesion segmentation from a seed point, and overlap/surface metrics against a reference.

:func:`box_segmentation` and :func:`seeded_segmentation` are the semi-automatic
baselines a reader gets by drawing a box around a lesion or clicking it (a box of
``radius_mm`` around the click): inside the box, Otsu's threshold (scikit-image
``threshold_otsu``) splits lesion from background on the side of the seed's intensity;
the connected component (26-connectivity) holding the seed is kept and its holes filled
per slice (scipy). Nothing is learned, so no model lifecycle is involved.

:func:`dice` is the overlap 2|A∩B|/(|A|+|B|); :func:`hausdorff_mm` the symmetric
Hausdorff distance between the two masks in mm (SimpleITK's
``HausdorffDistanceImageFilter``, spacing-aware); :func:`bootstrap_interval` a
percentile bootstrap interval of a mean over cases.
"""

from __future__ import annotations

import numpy as np
import SimpleITK as sitk
from scipy import ndimage
from skimage.filters import threshold_otsu
from skimage.measure import label as cc_label

__all__ = [
    "seeded_segmentation",
    "box_segmentation",
    "otsu_in_box",
    "seed_of",
    "prompt_box",
    "dice",
    "hausdorff_mm",
    "bootstrap_interval",
]


def seed_of(mask: np.ndarray) -> tuple[int, int, int]:
    """The voxel of ``mask`` nearest its centroid (k, j, i): where a reader would click."""
    pts = np.argwhere(mask)
    centre = pts.mean(axis=0)
    return tuple(int(v) for v in pts[np.argmin(((pts - centre) ** 2).sum(axis=1))])


def otsu_in_box(image: np.ndarray, lo: tuple[int, ...], hi: tuple[int, ...], seed: tuple[int, int, int]) -> np.ndarray:
    """Boolean mask (k, j, i): Otsu's threshold inside the box ``[lo, hi)``, the component holding ``seed``."""
    k, j, i = seed
    box = image[lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]].astype(float)
    out = np.zeros(image.shape, dtype=bool)
    if np.ptp(box) == 0:
        out[k, j, i] = True
        return out
    t = threshold_otsu(box)
    inside = box >= t if image[k, j, i] >= t else box < t  # the seed's side of the threshold
    parts = cc_label(inside, connectivity=3)
    keep = parts == parts[k - lo[0], j - lo[1], i - lo[2]]
    keep = np.stack([ndimage.binary_fill_holes(s) for s in keep])
    out[lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]] = keep
    return out


def seeded_segmentation(
    image: np.ndarray, seed: tuple[int, int, int], spacing: tuple[float, float, float], radius_mm: float = 15.0
) -> np.ndarray:
    """The lesion holding ``seed`` (a click), in a box of ``radius_mm`` around it."""
    half = [max(1, int(round(radius_mm / s))) for s in (spacing[2], spacing[1], spacing[0])]
    lo = tuple(max(0, c - h) for c, h in zip(seed, half, strict=True))
    hi = tuple(min(n, c + h + 1) for c, n, h in zip(seed, image.shape, half, strict=True))
    return otsu_in_box(image, lo, hi, seed)


def prompt_box(
    box_of: np.ndarray, margin: tuple[int, int, int], shape: tuple[int, ...]
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The box ``[lo, hi)`` (k, j, i) a reader draws: the bounding box of ``box_of`` + ``margin`` voxels, clipped."""
    pts = np.argwhere(box_of)
    lo = tuple(int(v) for v in np.maximum(pts.min(axis=0) - margin, 0))
    hi = tuple(int(v) for v in np.minimum(pts.max(axis=0) + np.asarray(margin) + 1, shape))
    return lo, hi


def box_segmentation(image: np.ndarray, box_of: np.ndarray, margin: tuple[int, int, int] = (0, 2, 2)) -> np.ndarray:
    """The lesion inside the box a reader draws around ``box_of`` (its bounding box + ``margin`` voxels, k, j, i)."""
    lo, hi = prompt_box(box_of, margin, image.shape)
    return otsu_in_box(image, lo, hi, seed_of(box_of))


def dice(a: np.ndarray, b: np.ndarray) -> float:
    """Dice overlap of two boolean masks (1.0 when both are empty)."""
    a, b = a.astype(bool), b.astype(bool)
    total = a.sum() + b.sum()
    return 1.0 if total == 0 else float(2 * np.logical_and(a, b).sum() / total)


def hausdorff_mm(a: np.ndarray, b: np.ndarray, spacing: tuple[float, float, float]) -> float:
    """Symmetric Hausdorff distance (mm) between two non-empty masks on one grid."""
    imgs = []
    for m in (a, b):
        img = sitk.GetImageFromArray(m.astype(np.uint8))
        img.SetSpacing(spacing)
        imgs.append(img)
    f = sitk.HausdorffDistanceImageFilter()
    f.Execute(imgs[0], imgs[1])
    return float(f.GetHausdorffDistance())


def bootstrap_interval(
    values: list[float], n_boot: int = 2000, seed: int = 0, level: float = 0.95
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``values`` (resampling cases)."""
    arr = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)
    means = arr[rng.integers(0, len(arr), size=(n_boot, len(arr)))].mean(axis=1)
    tail = (1 - level) / 2
    return float(np.quantile(means, tail)), float(np.quantile(means, 1 - tail))
