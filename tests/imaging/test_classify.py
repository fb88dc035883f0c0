"""Image features for the core lifecycle (BreastMNIST sanity check of the learned path)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pharmakon.errors import InputError
from pharmakon.imaging.classify import hog_table, load_breastmnist
from tests.conftest import MIRROR


def test_hog_table_shape_and_determinism() -> None:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(3, 28, 28), dtype=np.uint8)
    table = hog_table(images)
    assert table.shape == (3, 324 + 49) and list(table.columns[-1:]) == ["mean_48"]
    assert table.equals(hog_table(images))
    flat = hog_table(np.full((1, 28, 28), 128, dtype=np.uint8))
    assert np.allclose(flat.filter(like="hog_").to_numpy(), 0) and np.allclose(flat.filter(like="mean_"), 128 / 255)
    with pytest.raises(InputError, match="shape"):
        hog_table(np.zeros((28, 28)))


def test_breastmnist_splits(tmp_path: Path) -> None:
    path = MIRROR / "medical_imaging" / "medmnist" / "breastmnist.npz"
    if not path.exists():
        pytest.skip(f"data mirror not available at {path}")
    data = load_breastmnist(path)
    assert {k: len(v[1]) for k, v in data.items()} == {"train": 546, "val": 78, "test": 156}
    assert int((data["test"][1] == 0).sum()) == 42  # malignant
    (bad := tmp_path / "bad.npz").write_bytes(b"not an archive")
    with pytest.raises(InputError, match="bad.npz"):
        load_breastmnist(bad)
