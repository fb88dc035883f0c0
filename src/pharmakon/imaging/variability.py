"""Inter-reader variability simulation: perturbed masks -> how often the RECIST category changes.

A lesion's follow-up is simulated by scaling its mask about its centroid in-plane by a
true diameter ratio (SimpleITK resampling, nearest neighbour). Each simulated reader
outlines both time points with boundary error: every slice's outline grows or shrinks
by up to ``max_voxels`` voxels (scipy binary dilation/erosion, in-plane), drawn at
random per reader and time point. The target response of a single lesion (PR: -30 %;
PD: +20 % and +5 mm; else SD) is computed from the caliper of the perturbed masks and
compared with the category of the true ratio. The result is the rate of changed
categories per true ratio.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import SimpleITK as sitk
from scipy import ndimage

from pharmakon.imaging.measure import measure_lesions

__all__ = ["scaled_mask", "perturb", "category", "VariabilityRow", "simulate_variability"]


def scaled_mask(mask: np.ndarray, spacing: tuple[float, float, float], ratio: float) -> np.ndarray:
    """``mask`` (k, j, i) scaled in-plane by ``ratio`` about its centroid (nearest neighbour)."""
    img = sitk.GetImageFromArray(mask.astype(np.uint8))
    img.SetSpacing(spacing)
    centre = np.argwhere(mask).mean(axis=0)[::-1] * np.asarray(spacing)  # (x, y, z) mm
    t = sitk.ScaleTransform(3, (1 / ratio, 1 / ratio, 1.0))  # resampling maps output to input points
    t.SetCenter(tuple(float(c) for c in centre))
    out = sitk.Resample(img, img, t, sitk.sitkNearestNeighbor, 0)
    return sitk.GetArrayFromImage(out).astype(bool)


def perturb(mask: np.ndarray, rng: np.random.Generator, max_voxels: int = 1) -> np.ndarray:
    """The outline grown (+) or shrunk (-) in-plane by a random 0..``max_voxels`` voxels."""
    steps = int(rng.integers(-max_voxels, max_voxels + 1))
    if steps == 0:
        return mask.copy()
    structure = np.zeros((3, 3, 3), dtype=bool)
    structure[1] = ndimage.generate_binary_structure(2, 1)
    op = ndimage.binary_dilation if steps > 0 else ndimage.binary_erosion
    out = op(mask, structure=structure, iterations=abs(steps))
    return out if out.any() else mask.copy()  # a reader does not erase the lesion


def category(base_mm: float, follow_mm: float) -> str:
    """Single-lesion target response: PR (<= -30 %), PD (>= +20 % and >= +5 mm), else SD."""
    if follow_mm - base_mm >= 5.0 and follow_mm >= 1.2 * base_mm:
        return "PD"
    return "PR" if follow_mm <= 0.7 * base_mm else "SD"


def _diameter(mask: np.ndarray, spacing: tuple[float, float, float]) -> float:
    lesions = measure_lesions(mask.astype(np.uint8), spacing, 1)
    return max((les.longest_diameter_mm for les in lesions), default=0.0)


def _crop(mask: np.ndarray, ratio: float) -> np.ndarray:
    """The mask's bounding box with room to grow by ``ratio`` in-plane (all slices kept)."""
    pts = np.argwhere(mask)
    lo, hi = pts.min(axis=0), pts.max(axis=0) + 1
    pad = np.ceil((hi - lo) * max(ratio - 1.0, 0.0) / 2).astype(int) + 4
    lo_, hi_ = np.maximum(lo[1:] - pad[1:], 0), np.minimum(hi[1:] + pad[1:], mask.shape[1:])
    return mask[:, lo_[0] : hi_[0], lo_[1] : hi_[1]]


@dataclass(frozen=True)
class VariabilityRow:
    """For one true diameter ratio: the true category and how often perturbed reads changed it."""

    ratio: float
    true_category: str
    n: int
    changed: int
    rate: float


def simulate_variability(
    mask: np.ndarray,
    spacing: tuple[float, float, float],
    ratios: tuple[float, ...] = (0.6, 0.7, 0.8, 1.0, 1.2, 1.3, 1.5),
    n: int = 50,
    max_voxels: int = 1,
    seed: int = 0,
) -> list[VariabilityRow]:
    """Rate of RECIST category changes under reader boundary error, per true ratio (fixed seed)."""
    rng = np.random.default_rng(seed)
    mask = _crop(mask.astype(bool), max(ratios))
    base_true = _diameter(mask, spacing)
    rows = []
    for ratio in ratios:
        follow = scaled_mask(mask, spacing, ratio)
        truth = category(base_true, _diameter(follow, spacing))
        changed = 0
        for _ in range(n):
            b = _diameter(perturb(mask, rng, max_voxels), spacing)
            f = _diameter(perturb(follow, rng, max_voxels), spacing)
            changed += category(b, f) != truth
        rows.append(VariabilityRow(ratio, truth, n, changed, changed / n))
    return rows
