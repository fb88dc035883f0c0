from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import MIRROR

TEP = MIRROR / "tep_braatz"
PLGA = MIRROR / "plga_peg_microfluidics" / "all_samples.csv"


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"data mirror not available at {path}")
    return path


@pytest.fixture(scope="session")
def tep_train() -> pd.DataFrame:
    return pd.read_csv(_need(TEP / "d00_train_normal.csv"))


@pytest.fixture(scope="session")
def tep_test() -> pd.DataFrame:
    return pd.read_csv(_need(TEP / "test_d00-d21.csv"))


@pytest.fixture(scope="session")
def tep_baseline() -> pd.DataFrame:
    return pd.read_csv(_need(TEP / "pca_baseline_ours.csv"))


@pytest.fixture(scope="session")
def plga_path() -> Path:
    return _need(PLGA)


@pytest.fixture
def normal_csv(tep_train: pd.DataFrame, tmp_path: Path) -> Path:
    path = tmp_path / "normal.csv"
    tep_train.to_csv(path, index=False)
    return path


@pytest.fixture
def fault1_csv(tep_test: pd.DataFrame, tmp_path: Path) -> Path:
    """Run IDV(1), label column dropped, as a stream file (960 samples; fault from sample 161)."""
    path = tmp_path / "run1.csv"
    tep_test[tep_test["fault"] == 1].drop(columns=["faulty"]).to_csv(path, index=False)
    return path
