from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.conftest import MIRROR

CAERS_DIR = MIRROR / "pharmacovigilance" / "openebgm_caers"


@pytest.fixture(scope="session")
def caers_expected() -> dict:
    path = CAERS_DIR / "expected_results.json"
    if not path.exists():
        pytest.skip(f"data mirror not available at {path}")
    return json.loads(path.read_text())


@pytest.fixture(scope="session")
def caers_long() -> pd.DataFrame:
    path = CAERS_DIR / "caers.csv"
    if not path.exists():
        pytest.skip(f"data mirror not available at {path}")
    return pd.read_csv(path, dtype=str).rename(columns={"id": "report", "var1": "drug", "var2": "event"})


@pytest.fixture(scope="session")
def caers_counts(caers_long: pd.DataFrame) -> pd.DataFrame:
    from pharmakon.trials.safety import pair_counts

    return pair_counts(caers_long)
