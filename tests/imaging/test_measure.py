"""Lesion measurement: the mirror's masks (voxel counts, calipers) and shapes with known answers."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from pharmakon.imaging.io import Volume, read_image, read_mask, read_seg
from pharmakon.imaging.measure import measure_lesions


def _lesions(folder: Path, case: str):
    image = read_image(folder / f"{case}_image.nrrd")
    mask = Volume.of(read_mask(folder / f"{case}_label.nrrd", image))
    return measure_lesions(mask.array, mask.spacing, 1)


@pytest.mark.parametrize(
    ("case", "voxels", "longest"),
    [
        # longest in-plane voxel-centre diameters: brain2/breast1 as in the mirror's SOURCE.md
        # (SimpleITK + scipy pdist there); brain1 per lesion (SOURCE gives 47.219 for both together)
        ("brain1", [3524, 613], [37.0497, 26.4358]),
        ("brain2", [453], [15.566]),
        ("breast1", [143], [7.773]),
    ],
)
def test_mirror_masks(radiomics_dir: Path, case: str, voxels: list[int], longest: list[float]) -> None:
    lesions = _lesions(radiomics_dir, case)
    assert [les.voxels for les in lesions] == voxels
    assert [les.longest_diameter_mm for les in lesions] == pytest.approx(longest, abs=0.01)
    for les in lesions:
        assert les.short_axis_mm <= les.longest_diameter_mm <= les.max_3d_diameter_mm + 1e-9


def test_brain1_both_lesions_together_match_source(radiomics_dir: Path) -> None:
    """Without splitting into components, the per-slice caliper is SOURCE.md's 47.219 mm."""
    image = read_image(radiomics_dir / "brain1_image.nrrd")
    mask = Volume.of(read_mask(radiomics_dir / "brain1_label.nrrd", image))
    from pharmakon.imaging.measure import feret

    best = 0.0
    for k in range(mask.array.shape[0]):
        pts = np.argwhere(mask.array[k] == 1)[:, ::-1] * np.array(mask.spacing[:2])
        if len(pts):
            best = max(best, feret(pts)[0])
    assert best == pytest.approx(47.219, abs=0.01)


def test_liver_seg_voxels(pydicom_dir: Path) -> None:
    seg = sitk.GetArrayFromImage(read_seg(pydicom_dir / "liver.dcm"))
    assert int((seg > 0).sum()) == 107_098
    assert sorted(int((seg[k] > 0).sum()) for k in range(3)) == [35_220, 35_645, 36_233]


def test_rectangle_calipers_and_volume() -> None:
    mask = np.zeros((3, 20, 30), dtype=np.uint8)
    mask[1, 2:8, 5:17] = 1  # 6 rows x 12 columns on one slice
    (les,) = measure_lesions(mask, (0.5, 2.0, 3.0), 1)
    assert les.voxels == 72 and les.volume_mm3 == pytest.approx(72 * 3.0)
    # corners: 11 columns x 0.5 mm, 5 rows x 2 mm between voxel centres
    assert les.longest_diameter_mm == pytest.approx(math.hypot(5.5, 10.0))
    assert les.slice == 1 and les.max_3d_diameter_mm == pytest.approx(les.longest_diameter_mm)


def test_short_axis_of_a_line_and_a_cross() -> None:
    mask = np.zeros((1, 21, 21), dtype=np.uint8)
    mask[0, 10, 0:21] = 1
    (line,) = measure_lesions(mask, (1.0, 1.0, 1.0), 1)
    assert (line.longest_diameter_mm, line.short_axis_mm) == (20.0, 0.0)
    mask[0, 5:16, 10] = 1  # a perpendicular bar of 10 mm
    (cross,) = measure_lesions(mask, (1.0, 1.0, 1.0), 1)
    assert cross.longest_diameter_mm == pytest.approx(20.0) and cross.short_axis_mm == pytest.approx(10.0)


def test_26_connectivity_and_order() -> None:
    mask = np.zeros((4, 10, 10), dtype=np.uint8)
    mask[0, 0, 0] = mask[1, 1, 1] = 1  # corner-touching: one lesion under 26-connectivity
    mask[3, 5:9, 5:9] = 1  # a separate bigger one
    lesions = measure_lesions(mask, (1.0, 1.0, 1.0), 1)
    assert [les.voxels for les in lesions] == [16, 2]
    assert lesions[1].max_3d_diameter_mm == pytest.approx(math.sqrt(3))
    assert lesions[1].longest_diameter_mm == 0.0  # one voxel per slice


def test_only_the_requested_label() -> None:
    mask = np.zeros((1, 5, 5), dtype=np.uint8)
    mask[0, 0, :] = 2
    mask[0, 4, 0] = 1
    assert [les.voxels for les in measure_lesions(mask, (1, 1, 1), 2)] == [5]
    assert measure_lesions(mask, (1, 1, 1), 3) == []
