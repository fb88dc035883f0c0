from __future__ import annotations

import json

import pytest

from tests.conftest import MIRROR

TREC_TRIALS = MIRROR / "trec_ct_2021_trials" / "trials.jsonl"
TREC_QUERIES = MIRROR / "trec_ct_2021" / "queries.jsonl"
SYNTHEA = MIRROR / "synthea_fhir_r4" / "bulk_ndjson_10_patients"


@pytest.fixture(scope="session")
def trec_trials():
    if not TREC_TRIALS.is_file():
        pytest.skip(f"data mirror lacks {TREC_TRIALS}")
    return TREC_TRIALS


@pytest.fixture(scope="session")
def trec_queries() -> dict[str, str]:
    if not TREC_QUERIES.is_file():
        pytest.skip(f"data mirror lacks {TREC_QUERIES}")
    return {
        json.loads(line)["_id"]: json.loads(line)["text"]
        for line in TREC_QUERIES.read_text().splitlines()
        if line.strip()
    }


@pytest.fixture(scope="session")
def synthea(tmp_path_factory):
    """The Synthea bulk export without its largest files (notes, procedures, encounters): fast to read."""
    if not SYNTHEA.is_dir():
        pytest.skip(f"data mirror lacks {SYNTHEA}")
    folder = tmp_path_factory.mktemp("synthea")
    for name in ("Patient.000.ndjson", "Condition.000.ndjson", "MedicationRequest.000.ndjson"):
        (folder / name).write_bytes((SYNTHEA / name).read_bytes())
    return folder


def ctgov(nct: str = "NCT09999999", criteria: str = "", **elig) -> dict:
    """A ClinicalTrials.gov API v2 study with the given criteria text and eligibility fields."""
    module = {"eligibilityCriteria": criteria, "sex": "ALL", **elig}
    return {
        "protocolSection": {
            "identificationModule": {"nctId": nct, "briefTitle": "Test trial in type 2 diabetes"},
            "conditionsModule": {"conditions": ["Type 2 Diabetes"]},
            "eligibilityModule": module,
        }
    }
