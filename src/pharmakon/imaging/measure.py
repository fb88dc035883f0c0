"""Lesion measurement from a label mask: the calipers a radiologist draws, from voxel centres.

A lesion is a 3-D connected component of one label (26-connectivity, scikit-image's
``label`` with ``connectivity=3``). Per lesion:

* ``voxels`` and ``volume_mm3`` (voxels x the product of the spacings);
* ``longest_diameter_mm``: the largest distance between the centres of two voxels of
  the lesion lying in one slice of the third image axis (the caliper on an axial
  slice; in-plane spacing applied), maximised over slices; ``slice`` is that slice's
  index (the first one on a tie);
* ``short_axis_mm``: on that slice, the extent of the lesion's voxel centres along the
  in-plane direction perpendicular to the longest diameter (the RECIST short axis of a
  lymph node);
* ``max_3d_diameter_mm``: the largest distance between any two voxel centres.

Distances are taken between the convex-hull vertices of the centres (scipy), which
gives the same maximum as all pairs. Array axes are ``(k, j, i)``; spacing ``(i, j, k)``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy.spatial import ConvexHull, QhullError
from scipy.spatial.distance import pdist, squareform
from skimage.measure import label as cc_label

__all__ = ["Lesion", "measure_lesions", "feret", "MIN_MEASURABLE_MM"]

#: RECIST 1.1 minimum size of a measurable non-nodal lesion (CT, slice <= 5 mm).
MIN_MEASURABLE_MM = 10.0


@dataclass(frozen=True)
class Lesion:
    """One connected lesion's measurements (mm, mm3, voxel count, slice index)."""

    voxels: int
    volume_mm3: float
    longest_diameter_mm: float
    short_axis_mm: float
    max_3d_diameter_mm: float
    slice: int

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def _hull_points(points: np.ndarray) -> np.ndarray:
    """The convex-hull vertices of ``points`` (all points when degenerate: a line, a plane)."""
    if len(points) < points.shape[1] + 2:
        return points
    try:
        return points[ConvexHull(points).vertices]
    except QhullError:  # collinear or coplanar: every point is a candidate
        return points


def feret(points: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Largest distance between ``points`` (n, d) in mm, with the two end points."""
    if len(points) == 1:
        return 0.0, points[0], points[0]
    hull = _hull_points(points)
    dist = squareform(pdist(hull))
    a, b = np.unravel_index(int(np.argmax(dist)), dist.shape)
    return float(dist[a, b]), hull[a], hull[b]


def _slice_caliper(points: np.ndarray) -> tuple[float, float]:
    """(longest diameter, perpendicular extent) of in-plane points (n, 2) in mm."""
    longest, p, q = feret(points)
    if longest == 0.0:
        return 0.0, 0.0
    axis = (q - p) / longest
    normal = np.array([-axis[1], axis[0]])
    proj = points @ normal
    return longest, float(proj.max() - proj.min())


def _measure_one(coords: np.ndarray, spacing: tuple[float, float, float]) -> Lesion:
    """``coords`` (n, 3) voxel indices (k, j, i) of one lesion."""
    sx, sy, sz = spacing
    phys = coords[:, ::-1].astype(float) * np.array([sx, sy, sz])  # (x, y, z) mm
    best = (-1.0, 0.0, 0)
    for k in np.unique(coords[:, 0]):
        in_plane = phys[coords[:, 0] == k][:, :2]
        longest, short = _slice_caliper(in_plane)
        if longest > best[0]:
            best = (longest, short, int(k))
    max3d, _, _ = feret(phys)
    return Lesion(
        voxels=len(coords),
        volume_mm3=float(len(coords) * sx * sy * sz),
        longest_diameter_mm=best[0],
        short_axis_mm=best[1],
        max_3d_diameter_mm=max3d,
        slice=best[2],
    )


def measure_lesions(mask: np.ndarray, spacing: tuple[float, float, float], label: int | None = 1) -> list[Lesion]:
    """Measure every lesion of ``label`` in ``mask`` (k, j, i), largest first.

    Parameters
    ----------
    mask : array (k, j, i)
        Integer label image.
    spacing : (sx, sy, sz)
        Voxel spacing in mm along i, j, k.
    label : int or None
        The label to measure; ``None`` takes every non-zero voxel as foreground.
    """
    fg = mask != 0 if label is None else mask == label
    components = cc_label(fg, connectivity=3)
    idx = np.argwhere(components > 0)
    ids = components[tuple(idx.T)]
    order = np.argsort(ids, kind="stable")
    idx, ids = idx[order], ids[order]
    splits = np.flatnonzero(np.diff(ids)) + 1
    lesions = [_measure_one(part, spacing) for part in np.split(idx, splits) if len(part)]
    # largest first; equal sizes by their first voxel (deterministic)
    return sorted(lesions, key=lambda les: -les.voxels)
