"""Segmentation baseline, Dice/Hausdorff, and the inter-reader variability simulation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pharmakon.imaging.segment import bootstrap_interval, box_segmentation, dice, hausdorff_mm, seeded_segmentation
from pharmakon.imaging.variability import category, perturb, scaled_mask, simulate_variability
from pharmakon.store import Store, list_events


def _ball(shape=(9, 40, 40), centre=(4, 20, 20), radius=8.0) -> np.ndarray:
    k, j, i = np.indices(shape)
    return (k - centre[0]) ** 2 * 4 + (j - centre[1]) ** 2 + (i - centre[2]) ** 2 <= radius**2


def test_dice_and_hausdorff_known_values() -> None:
    a = np.zeros((1, 10, 10), bool)
    b = np.zeros((1, 10, 10), bool)
    a[0, 2:6, 2:6] = True
    b[0, 2:6, 4:8] = True  # shifted by 2 columns
    assert dice(a, b) == pytest.approx(2 * 8 / 32)
    assert hausdorff_mm(a, b, (0.5, 1.0, 1.0)) == pytest.approx(1.0)  # 2 columns x 0.5 mm
    assert dice(a, a) == 1.0 and hausdorff_mm(a, a, (1, 1, 1)) == 0.0


def test_baselines_recover_a_bright_ball_in_noise() -> None:
    truth = _ball()
    rng = np.random.default_rng(0)
    image = rng.normal(100, 10, truth.shape) + 80 * truth
    assert dice(box_segmentation(image, truth), truth) > 0.95
    assert dice(seeded_segmentation(image, (4, 20, 20), (1.0, 1.0, 2.0), radius_mm=15), truth) > 0.9


def test_bootstrap_interval_brackets_the_mean() -> None:
    lo, hi = bootstrap_interval([0.2, 0.4, 0.6, 0.8])
    assert lo < 0.5 < hi and bootstrap_interval([0.3, 0.3]) == (0.3, 0.3)


def test_scaling_and_perturbation() -> None:
    ball = _ball()
    assert scaled_mask(ball, (1, 1, 1), 1.0).sum() == ball.sum()
    assert scaled_mask(ball, (1, 1, 1), 0.5).sum() < ball.sum() < scaled_mask(ball, (1, 1, 1), 1.5).sum()
    rng = np.random.default_rng(1)
    sizes = {int(perturb(ball, rng, 1).sum()) for _ in range(30)}
    assert len(sizes) == 3 and int(ball.sum()) in sizes  # eroded, unchanged, dilated
    assert (category(20, 14), category(20, 25), category(20, 23.9), category(10, 14)) == ("PR", "PD", "SD", "SD")


def test_variability_is_reproducible_and_zero_without_error() -> None:
    ball = _ball(radius=12.0, shape=(9, 50, 50), centre=(4, 25, 25))
    rows = simulate_variability(ball, (1.0, 1.0, 2.0), ratios=(0.5, 1.0, 1.6), n=10, seed=3)
    assert [r.true_category for r in rows] == ["PR", "SD", "PD"]
    assert rows == simulate_variability(ball, (1.0, 1.0, 2.0), ratios=(0.5, 1.0, 1.6), n=10, seed=3)
    assert rows[0].rate == 0.0 and rows[2].rate == 0.0  # far from the thresholds: 1-voxel error changes nothing


def test_segment_cli_on_breast1(cli, store: Store, radiomics_dir: Path, tmp_path: Path) -> None:
    image, mask = radiomics_dir / "breast1_image.nrrd", radiomics_dir / "breast1_label.nrrd"
    out = tmp_path / "seg.nrrd"
    res = cli("imaging", "segment", "--image", str(image), "--mask", str(mask), "-o", str(out), "--json")
    assert res.exit_code == 0, res.stderr
    result = json.loads(res.stdout)
    assert result["voxels_reference"] == 143 and result["dice"] == pytest.approx(0.751, abs=0.001) and out.exists()
    with store.read_session() as session:
        (event,), _ = list_events(session, action="imaging.segment")
    assert event.outputs[str(out)] and event.params["method"] == "otsu-box"
