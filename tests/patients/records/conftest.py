from __future__ import annotations

import pytest

from tests.conftest import MIRROR

SYNTHEA = MIRROR / "synthea_fhir_r4"
CDISC = MIRROR / "cdisc_pilot01"


@pytest.fixture(scope="session")
def synthea_bulk():
    path = SYNTHEA / "bulk_ndjson_10_patients"
    if not path.is_dir():
        pytest.skip(f"data mirror lacks {path}")
    return path


@pytest.fixture(scope="session")
def cdisc_sdtm():
    path = CDISC / "sdtm"
    if not (path / "dm.csv").is_file():
        pytest.skip(f"data mirror lacks {path}")
    return path
