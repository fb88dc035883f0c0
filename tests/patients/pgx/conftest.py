"""PGx tests read the real PharmCAT / CPIC / IWPC files from the data mirror."""

from __future__ import annotations

import pytest

from pharmakon.config import get_settings
from tests.conftest import MIRROR


@pytest.fixture(scope="package", autouse=True)
def pgx_mirror(tmp_path_factory: pytest.TempPathFactory):
    """Point the catalogue at the data mirror (and a private cache) for the whole session."""
    if not (MIRROR / "pharmcat" / "test_expectations.json").is_file():
        pytest.skip(f"data mirror {MIRROR} lacks pharmcat/")
    mp = pytest.MonkeyPatch()
    mp.setenv("PHARMAKON_DATA_MIRROR", str(MIRROR))
    mp.setenv("PHARMAKON_HOME", str(tmp_path_factory.mktemp("pgx_home")))
    get_settings.cache_clear()
    yield MIRROR
    mp.undo()
    get_settings.cache_clear()
