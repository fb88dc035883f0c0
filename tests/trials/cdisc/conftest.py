"""Fixtures of the trial-data tests: the CDISC pilot from the data mirror, and a small study cut from it."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from pharmakon.config import get_settings
from pharmakon.trials.cdisc.io import load_domains
from pharmakon.trials.cdisc.standards import ADAM_DATASETS, SDTM_DOMAINS
from tests.conftest import MIRROR

PILOT = MIRROR / "cdisc_pilot01"
#: Sites kept in the small study (its 50 subjects, screen failures included).
SMALL_SITES = ("701",)


@pytest.fixture(scope="session")
def pilot() -> Path:
    if not (PILOT / "sdtm" / "dm.csv").exists():
        pytest.skip(f"data mirror not available at {PILOT}")
    return PILOT


@pytest.fixture(scope="session")
def reference(pilot: Path) -> dict:
    return json.loads((pilot / "reference_outputs" / "reference_numbers.json").read_text())


@pytest.fixture(scope="session")
def pilot_domains(pilot: Path) -> dict[str, pd.DataFrame]:
    """Every SDTM domain and ADaM dataset of the pilot (read once; tests copy before changing)."""
    return load_domains(pilot / "sdtm", SDTM_DOMAINS) | load_domains(pilot / "adam", ADAM_DATASETS)


@pytest.fixture(scope="session")
def small_study(pilot: Path, pilot_domains: dict[str, pd.DataFrame], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A study folder (sdtm/, adam/ as CSV) with the subjects of two sites: fast service tests."""
    root = tmp_path_factory.mktemp("mirror") / "cdisc_small"
    dm = pilot_domains["DM"]
    keep = set(dm.loc[dm["SITEID"].isin(SMALL_SITES), "USUBJID"])
    for name, frame in pilot_domains.items():
        folder = root / ("adam" if name.startswith("AD") else "sdtm")
        folder.mkdir(parents=True, exist_ok=True)
        part = frame[frame["USUBJID"].isin(keep)] if "USUBJID" in frame else frame
        part.to_csv(folder / f"{name.lower()}.csv", index=False)
    return root


@pytest.fixture
def mirror_env(monkeypatch: pytest.MonkeyPatch, small_study: Path, pharmakon_home: Path) -> Path:
    """The small study inside the server's data mirror (REST and workbench read only there)."""
    monkeypatch.setenv("PHARMAKON_DATA_MIRROR", str(small_study.parent))
    get_settings.cache_clear()
    return small_study
