"""FHIR R4 reader: the Synthea export, Bundles, and malformed resources named by file, line and id."""

from __future__ import annotations

import json
from datetime import date

import pytest

from pharmakon.errors import InputError
from pharmakon.patients.records.fhir import FhirError, read_fhir, read_fhir_resources


def test_synthea_bulk_export(synthea_bulk) -> None:
    records = read_fhir(synthea_bulk)
    # SOURCE.md: 13 Patient resources, conditions SNOMED coded, notes base64 in DocumentReference
    assert len(records) == 13
    first = next(r for r in records if r.patient_id == "129c6ac7-8d06-89de-ad63-0204a93e76c3")
    assert first.sex == "female" and first.birth_date == date(1927, 5, 21)
    assert first.race == "White" and first.ethnicity == "Not Hispanic or Latino"
    assert first.conditions and all(c.source.startswith("Condition/") for c in first.conditions)
    assert any(c.system == "http://snomed.info/sct" for c in first.conditions)
    assert first.medications and len(first.notes) == 3 and "Chief Complaint" in first.text()
    assert "Sumiko254" in first.names  # kept for de-identification to find, never output


def _patient(pid: str = "p1", **extra) -> dict:
    return {"resourceType": "Patient", "id": pid, "gender": "male", "birthDate": "1960-01-01", **extra}


def _obs(pid: str, code: str, value: float, unit: str, when: str = "2020-01-01") -> dict:
    return {
        "resourceType": "Observation",
        "id": f"o-{code}",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": code}], "text": code},
        "subject": {"reference": f"Patient/{pid}"},
        "effectiveDateTime": when,
        "valueQuantity": {"value": value, "unit": unit},
    }


def test_bundle_and_inline_resources(tmp_path) -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": _patient()}, {"resource": _obs("p1", "2160-0", 1.2, "mg/dL")}],
    }
    (tmp_path / "b.json").write_text(json.dumps(bundle))
    [rec] = read_fhir(tmp_path / "b.json")
    assert rec.observations[0].value == 1.2 and rec.observations[0].unit == "mg/dL"
    [again] = read_fhir_resources([bundle])
    assert again.observations == rec.observations


def test_malformed_resource_named_by_file_line_and_id(tmp_path) -> None:
    good = json.dumps(_patient())
    bad = json.dumps(
        {
            "resourceType": "Condition",
            "id": "c-bad",
            "subject": {"reference": "Patient/p1"},
            "onsetDateTime": "not a date",
        }
    )
    (tmp_path / "Patient.000.ndjson").write_text(good + "\n")
    (tmp_path / "Condition.000.ndjson").write_text("\n" + bad + "\n")  # a blank first line: the bad one is line 2
    with pytest.raises(FhirError) as err:
        read_fhir(tmp_path)
    text = str(err.value)
    assert "Condition.000.ndjson" in text and "line 2" in text and "Condition/c-bad" in text


def test_not_json_and_empty(tmp_path) -> None:
    (tmp_path / "Patient.000.ndjson").write_text('{"resourceType": "Patient", "id": "a"}\n{oops\n')
    with pytest.raises(FhirError, match="line 2: not JSON"):
        read_fhir(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="no .ndjson or .json files"):
        read_fhir(empty)
