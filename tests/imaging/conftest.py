"""Imaging fixtures: the mirror's pyradiomics cases, pydicom files and the CDISC RECIST set."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import MIRROR

IMAGING = MIRROR / "medical_imaging"
RADIOMICS = IMAGING / "pyradiomics"
PYDICOM = IMAGING / "pydicom"
RECIST = MIRROR / "cdisc_pilot01" / "onco_recist"


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"data mirror not available at {path}")
    return path


@pytest.fixture(scope="session")
def radiomics_dir() -> Path:
    return _need(RADIOMICS)


@pytest.fixture(scope="session")
def pydicom_dir() -> Path:
    return _need(PYDICOM)


@pytest.fixture(scope="session")
def recist_dir() -> Path:
    return _need(RECIST)
