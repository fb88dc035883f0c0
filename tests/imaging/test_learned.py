"""The learned path behind the deep extra: MONAI U-Net segmentation and the monai_cnn family.

Tiny networks, fixed epochs and seeds: deterministic and a few seconds each. Tests that
train need torch and monai (``pytest.importorskip``); the rest run without the extra.
"""

from __future__ import annotations

import pickle
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from pharmakon.errors import InputError
from pharmakon.imaging.learned_segmentation import Case, box_patches, lesions_of, paste_back
from pharmakon.imaging.segment import dice
from pharmakon.imaging.unet import dihedral


def _disks(n: int, size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` noisy patches (n, size, size) with one bright disk each, and the disks' masks."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    images, masks = [], []
    for _ in range(n):
        cy, cx = rng.uniform(size * 0.3, size * 0.7, 2)
        r = rng.uniform(size * 0.15, size * 0.3)
        m = (yy - cy) ** 2 + (xx - cx) ** 2 <= r**2
        images.append(rng.normal(0, 0.5, (size, size)) + 2.0 * m)
        masks.append(m)
    return np.asarray(images, np.float32), np.asarray(masks, np.uint8)


# -- without the extra ----------------------------------------------------------------------


def test_missing_deep_extra_is_a_clear_error(monkeypatch) -> None:
    from pharmakon.imaging.cnn import build
    from pharmakon.imaging.deep import require_deep
    from pharmakon.imaging.unet import UNetSegmenter

    monkeypatch.setitem(sys.modules, "monai", None)  # import monai now raises ImportError
    with pytest.raises(InputError, match=r"deep extra \(torch and monai\)"):
        require_deep()
    with pytest.raises(InputError, match="pharmakon\\[deep\\]"):
        build("classification", {}, 0, 1)
    with pytest.raises(InputError, match="deep extra"):
        UNetSegmenter().fit(*_disks(2, 16, 0))


def test_imaging_import_does_not_load_torch_or_touch_the_zoo() -> None:
    import subprocess

    code = (
        "import sys, pharmakon.imaging.cnn, pharmakon.imaging.unet, "
        "pharmakon.imaging.learned_segmentation; from pharmakon.core import zoo; "
        "assert 'torch' not in sys.modules and 'monai' not in sys.modules; assert 'monai_cnn' not in zoo.ZOO"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_dihedral_views() -> None:
    a = np.arange(2 * 3 * 3).reshape(2, 3, 3)
    views = dihedral(a)
    assert views.shape == (16, 3, 3)
    assert np.array_equal(views[:2], a) and np.array_equal(views[2:4], np.rot90(a, 1, axes=(1, 2)))
    assert len({v.tobytes() for v in views[::2]}) == 8  # the 8 views of an asymmetric patch differ


def test_box_patches_round_trip() -> None:
    rng = np.random.default_rng(0)
    image = rng.normal(100, 10, (6, 60, 50))
    mask = np.zeros(image.shape, bool)
    kk, jj, ii = np.ogrid[:6, :60, :50]
    mask |= ((jj - 30) ** 2 + (ii - 20) ** 2 <= 64) & (kk >= 1) & (kk <= 3)
    mask[2, 50:53, 40:43] = True  # a second, smaller lesion
    lesions = lesions_of(mask)
    assert [int(les.sum()) for les in lesions] == sorted((int(les.sum()) for les in lesions), reverse=True)
    patches, masks, (lo, hi) = box_patches(image, lesions[0], margin=2, size=32)
    assert patches.shape == masks.shape == (3, 32, 32) and (lo[0], hi[0]) == (1, 4)
    assert (lo[1], hi[1], lo[2], hi[2]) == (20, 41, 10, 31)  # bounding box 22..38 x 12..28 + 2
    assert abs(float(patches.mean())) < 0.05  # standardised by the box (then resampled)
    back = paste_back(masks.astype(float), (lo, hi), image.shape)
    assert dice(back, lesions[0]) > 0.95  # resampled 21 -> 32 -> 21 pixels
    with pytest.raises(InputError, match="no lesion"):
        box_patches(image, np.zeros(image.shape, bool))


# -- with the extra ---------------------------------------------------------------------------


@pytest.mark.slow
def test_unet_learns_disks_deterministically() -> None:
    pytest.importorskip("monai")
    from pharmakon.errors import NotFittedError
    from pharmakon.imaging.unet import UNetSegmenter

    X, y = _disks(12, 16, seed=1)
    test_X, test_y = _disks(6, 16, seed=2)
    params = dict(channels=(4, 8), epochs=30, batch_size=16, augment=False, seed=3)
    model = UNetSegmenter(**params).fit(X, y)
    proba = model.predict_proba(test_X)
    assert proba.shape == (6, 16, 16) and ((proba >= 0) & (proba <= 1)).all()
    assert dice(model.predict(test_X), test_y) > 0.7  # held-out disks (0.77 measured; untrained: < 0.3)
    again = UNetSegmenter(**params).fit(X, y).predict_proba(test_X)
    np.testing.assert_array_equal(proba, again)  # same seed, same weights
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(model)).predict_proba(test_X), proba)
    with pytest.raises(NotFittedError):
        UNetSegmenter().predict(test_X)
    with pytest.raises(InputError, match="square patches"):
        model.fit(np.zeros((2, 15, 15)), np.zeros((2, 15, 15)))
    with pytest.raises(InputError, match="0/1 masks"):
        model.fit(X, y * 2)
    with pytest.raises(InputError, match="epochs"):
        UNetSegmenter(epochs=0).fit(X, y)


@pytest.mark.slow
def test_leave_one_case_out_holds_each_case_out(radiomics_dir) -> None:
    pytest.importorskip("monai")
    from pharmakon.imaging.io import Volume, read_image, read_mask
    from pharmakon.imaging.learned_segmentation import leave_one_case_out

    cases = []
    for name in ("brain2", "breast1"):  # the two small cases keep this fast
        image = Volume.of(read_image(radiomics_dir / f"{name}_image.nrrd"))
        mask = Volume.of(read_mask(radiomics_dir / f"{name}_label.nrrd", image.to_image()))
        cases.append(Case(name, image.array, mask.array == 1, image.spacing))
    folds = leave_one_case_out(cases, params={"channels": (4, 8), "epochs": 3}, seed=0)
    assert [(f.case, f.train_cases) for f in folds] == [("brain2", ["breast1"]), ("breast1", ["brain2"])]
    assert [f.train_patches for f in folds] == [3, 3]  # each case's lesion spans 3 slices
    assert [f.voxels_reference for f in folds] == [453, 143]
    # the baseline with the same box is the documented box-margin-2 Otsu result
    assert [round(f.dice_baseline, 3) for f in folds] == [0.434, 0.751]
    assert all(0.0 <= f.dice_unet <= 1.0 and len(f.slice_dice_unet) == 3 for f in folds)
    with pytest.raises(InputError, match="at least 2"):
        leave_one_case_out(cases[:1])


def _squares(n: int, side: int, seed: int) -> pd.DataFrame:
    """``n`` flattened ``side`` x ``side`` noise images; label 1 has a brighter 4 x 4 square somewhere."""
    rng = np.random.default_rng(seed)
    images = rng.normal(0, 1, (n, side, side))
    label = np.arange(n) % 2
    for img, lab in zip(images, label, strict=True):
        if lab:
            r, c = rng.integers(0, side - 4, 2)
            img[r : r + 4, c : c + 4] += 2.0
    from pharmakon.imaging.classify import pixel_table

    return pixel_table(images).assign(label=label)


def test_cnn_classifier_contract() -> None:
    pytest.importorskip("monai")
    from pharmakon.errors import NotFittedError
    from pharmakon.imaging.cnn import CNNClassifier

    train, test = _squares(80, 12, 0), _squares(40, 12, 1)
    X, y = train.drop(columns="label").to_numpy(), train["label"].to_numpy()
    est = CNNClassifier(width=4, epochs=10, seed=0)
    with pytest.raises(NotFittedError):
        est.predict(X)
    proba = est.fit(X, y).predict_proba(test.drop(columns="label").to_numpy())
    assert proba.shape == (40, 2) and np.allclose(proba.sum(axis=1), 1)
    assert roc_auc_score(test["label"], proba[:, 1]) > 0.9  # 0.975 measured
    again = CNNClassifier(width=4, epochs=10, seed=0).fit(X, y).predict_proba(test.drop(columns="label").to_numpy())
    np.testing.assert_array_equal(proba, again)
    loaded = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(loaded.predict_proba(test.drop(columns="label").to_numpy()), proba)
    with pytest.raises(InputError, match="not 12x12"):
        est.predict_proba(X[:, :100])
    with pytest.raises(InputError, match="square number"):
        CNNClassifier().fit(X[:, :143], y)
    with pytest.raises(InputError, match="epochs"):
        CNNClassifier(epochs=0).fit(X, y)


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # core's own tests cover PostgreSQL
def test_cnn_family_through_the_core_lifecycle(store, monkeypatch) -> None:
    pytest.importorskip("monai")
    from pharmakon.caller import Caller
    from pharmakon.core import zoo
    from pharmakon.core.service import EvaluateSpec, TrainSpec, evaluate_on_data, show_model, train_and_register
    from pharmakon.imaging.cnn import FAMILY, register_cnn_family

    # record the zoo's state first, so that the registration is undone after the test
    monkeypatch.setitem(zoo.ZOO, FAMILY, zoo.ZOO.get(FAMILY))
    register_cnn_family()
    assert FAMILY not in zoo.zoo_names("classification")  # opt-in
    caller = Caller("tester", "python")
    spec = TrainSpec(target="label", task="classification", trials=0, seed=0, models=[FAMILY], name="cnn-squares")
    trained = train_and_register(store, spec, caller, frame=_squares(60, 8, 0))
    assert trained.version == 1 and trained.rows_used == 60
    detail = show_model(store, "cnn-squares")
    board = detail.metadata["leaderboard"]
    cnn = [row for row in board if row["model"] == FAMILY]
    assert cnn and cnn[0]["status"] == "ok" and cnn[0]["cv_auroc"] > 0.8  # screened by CV like any family
    ev = evaluate_on_data(store, EvaluateSpec(name="cnn-squares"), caller, frame=_squares(40, 8, 1), label="test")
    assert ev.metrics["auroc"] > 0.8
