"""Table definitions of the clinical data sets: CDISC pilot trial (SDTM/ADaM), group-
sequential reference values, pharmacovigilance counts and reference sets, Synthea FHIR
patients, and the IWPC warfarin cohort."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from pharmakon.datasets._tables import Table, csv_table, frame, read_json, read_jsonl
from pharmakon.errors import InputError

__all__ = ["TABLES"]

S, F, I, B = "string", "float64", "Int64", "boolean"

# ----------------------------------------------------------------------------- CDISC
_CDISC_IDS = {
    c: S
    for c in (
        "STUDYID",
        "DOMAIN",
        "RDOMAIN",
        "USUBJID",
        "SUBJID",
        "SITEID",
        "SITEGR1",
        "IDVAR",
        "IDVARVAL",
        "ARMCD",
        "ACTARMCD",
    )
}
_CDISC_FILES: dict[str, tuple[str, dict[str, str], str]] = {
    "adam_adsl": (
        "adam/adsl.csv",
        {"USUBJID": S, "AGE": F, "TRT01P": S, "TRT01PN": F},
        "pilot ADSL: one row per randomised subject (254)",
    ),
    "adam_adae": ("adam/adae.csv", {"USUBJID": S, "AEDECOD": S, "AEBODSYS": S}, "ADAE: adverse events"),
    "adam_adtte": (
        "adam/adtte.csv",
        {"USUBJID": S, "PARAMCD": S, "AVAL": F, "CNSR": I},
        "ADTTE: time to first dermatologic event (days), CNSR 1 = censored",
    ),
    "adam_adcibc": ("adam/adcibc.csv", {"USUBJID": S, "PARAMCD": S, "AVAL": F}, "ADCIBC: CIBIC+ scores"),
    "adam_adlb_pharmaverse": (
        "adam/adlb_pharmaverse.csv.gz",
        {"USUBJID": S, "PARAMCD": S, "AVAL": F, "BASE": F, "CHG": F},
        "admiral-built ADLB (38 lab columns)",
    ),
    "adam_adlbhy_pharmaverse": (
        "adam/adlbhy_pharmaverse.csv",
        {"USUBJID": S, "PARAMCD": S, "AVAL": F},
        "Hy's-law parameters",
    ),
    "adam_adsl_pharmaverse_with_screenfail": (
        "adam/adsl_pharmaverse_with_screenfail.csv",
        {"USUBJID": S, "AGE": F},
        "admiral-built ADSL incl. screen failures",
    ),
    **{
        f"sdtm_{d}": (f"sdtm/{d}.csv", {}, f"SDTM {d.upper()}")
        for d in (
            "dm",
            "ae",
            "ds",
            "ex",
            "relrec",
            "se",
            "suppae",
            "suppdm",
            "suppds",
            "sv",
            "ta",
            "te",
            "ti",
            "ts",
            "tv",
        )
    },
    **{f"sdtm_{d}": (f"sdtm/{d}.csv.gz", {}, f"SDTM {d.upper()}") for d in ("cm", "lb", "mh", "qs", "vs")},
    "onco_expected_best_overall_response": (
        "onco_recist/expected_best_overall_response.csv",
        {"SUBJNR": I, "USUBJID": S, "expected_BOR": S, "expected_CBOR": S},
        "author-stated RECIST best overall response per subject",
    ),
    **{
        f"onco_{d}_recist": (f"onco_recist/{d}_onco_recist.csv", {"USUBJID": S}, f"hand-designed RECIST {d.upper()}")
        for d in ("rs", "tr", "tu")
    },
    **{
        f"onco_{d}": (f"onco_recist/{d}_onco.csv.gz", {"USUBJID": S}, f"synthetic oncology {d.upper()}")
        for d in ("adrs", "adtr", "adtte", "rs", "tr", "tu")
    },
}
_CDISC_NUMERIC = {
    "AGE": F,
    "AVAL": F,
    "BASE": F,
    "CHG": F,
    "LBSTRESN": F,
    "VSSTRESN": F,
    "QSSTRESN": F,
    "TRSTRESN": F,
    "EXDOSE": F,
    "VISITNUM": F,
}
_CDISC = [
    csv_table(k, path, schema, optional={**_CDISC_IDS, **_CDISC_NUMERIC}, description=desc)
    for k, (path, schema, desc) in _CDISC_FILES.items()
]


# ---------------------------------------------------------------------- group sequential
def _rpact_expected(folder: Path) -> pd.DataFrame:
    file = "rpact_unit_test_expected.json"
    rows = []
    for rec_no, rec in enumerate(read_json(folder / file, file=file)):
        for field, values in (rec.get("expected") or {}).items():
            for pos, v in enumerate(values if isinstance(values, list) else [values], start=1):
                rows.append(
                    {
                        "record": rec_no,
                        "source_file": rec.get("source_file"),
                        "test": rec.get("test"),
                        "object": rec.get("object"),
                        "function": rec.get("function"),
                        "args": rec.get("args"),
                        "tolerance": rec.get("tolerance"),
                        "field": field,
                        "position": pos,
                        "value": v,
                    }
                )
    return frame(rows, _RPACT_SCHEMA, file=file)


_RPACT_SCHEMA = {
    "record": I,
    "source_file": S,
    "test": S,
    "object": S,
    "function": S,
    "args": S,
    "tolerance": F,
    "field": S,
    "position": I,
    "value": F,
}


def _rpact_anchors(folder: Path) -> pd.DataFrame:
    file = "rpact_3.3.4_computed_anchors.json"
    rows = []
    for rec in read_json(folder / file, file=file):
        for field, values in rec.items():
            if field in ("id", "call", "rpact_version"):
                continue
            for pos, v in enumerate(values if isinstance(values, list) else [values], start=1):
                rows.append(
                    {
                        "id": rec["id"],
                        "call": rec["call"],
                        "rpact_version": rec["rpact_version"],
                        "field": field,
                        "position": pos,
                        "value": v,
                    }
                )
    return frame(rows, _ANCHOR_SCHEMA, file=file)


_ANCHOR_SCHEMA = {"id": S, "call": S, "rpact_version": S, "field": S, "position": I, "value": F}

_GROUP_SEQUENTIAL = [
    Table(
        "rpact_expected",
        _rpact_expected,
        _RPACT_SCHEMA,
        "rpact unit-test expectations, one row per expected value (position is 1-based within the field)",
    ),
    Table(
        "rpact_anchors",
        _rpact_anchors,
        _ANCHOR_SCHEMA,
        "45 canonical designs computed with rpact 3.3.4, one row per result value",
    ),
]

# ---------------------------------------------------------------------- pharmacovigilance
_REF = {
    "exposureId": I,
    "exposureName": S,
    "outcomeId": I,
    "outcomeName": S,
    "groundTruth": I,
    "indicationName": S,
    "comparatorName": S,
    "comparatorType": S,
}
_PV = [
    csv_table(
        "caers",
        "openebgm_caers/caers.csv",
        {"id": S, "var1": S, "var2": S, "strat1": S},
        description="CAERS (report id, product, MedDRA event, gender) triples: openEBGM processRaw input",
    ),
    csv_table(
        "caers_raw",
        "openebgm_caers/caers_raw.csv",
        {
            "RA_Report..": S,
            "PRI_Reported.Brand.Product.Name": S,
            "CI_Age.at.Adverse.Event": F,
            "CI_Age.Unit": S,
            "CI_Gender": S,
            "SYM_One.Row.Coded.Symptoms": S,
        },
        description="117 raw CAERS rows for data-preparation tests",
    ),
    csv_table(
        "omop_reference_set",
        "ohdsi_reference_sets/omop_reference_set.csv",
        _REF,
        description="OMOP 2011-2012 reference set: drug-outcome controls (groundTruth 1 = positive)",
    ),
    csv_table(
        "euadr_reference_set",
        "ohdsi_reference_sets/euadr_reference_set.csv",
        _REF,
        description="EU-ADR reference set in OHDSI form (groundTruth 1 = positive)",
    ),
    csv_table(
        "ohdsi_negative_controls",
        "ohdsi_reference_sets/ohdsi_negative_controls.csv",
        {
            "targetId": I,
            "targetName": S,
            "comparatorId": I,
            "comparatorName": S,
            "outcomeId": I,
            "outcomeName": S,
            "type": S,
            "targetConceptIds": S,
            "comparatorConceptIds": S,
        },
        description="OHDSI Methods Benchmark negative controls",
    ),
]


# ------------------------------------------------------------------------------ Synthea
def _ref_id(ref: str | None) -> str | None:
    if not ref:
        return None
    return ref.split("/")[-1].removeprefix("urn:uuid:")


def _coding(concept: dict[str, Any] | None) -> tuple[Any, Any, Any]:
    concept = concept or {}
    coding = (concept.get("coding") or [{}])[0]
    return coding.get("system"), coding.get("code"), concept.get("text") or coding.get("display")


def _fhir_resources(folder: Path, rtype: str) -> list[tuple[str, dict[str, Any]]]:
    """(source, resource) pairs of one type from the bulk export and the bundles."""
    out: list[tuple[str, dict[str, Any]]] = []
    bulk = f"bulk_ndjson_10_patients/{rtype}.000.ndjson"
    if (folder / bulk).exists():
        out += [("bulk", r) for r in read_jsonl(folder / bulk, file=bulk)]
    for path in sorted((folder / "bundles_hiv_module").glob("*.json")):
        rel = f"bundles_hiv_module/{path.name}"
        bundle = read_json(path, file=rel)
        if bundle.get("resourceType") != "Bundle":
            raise InputError("not a FHIR Bundle", file=rel, field="resourceType")
        out += [
            (rel, e["resource"]) for e in bundle.get("entry", []) if e.get("resource", {}).get("resourceType") == rtype
        ]
    return out


def _patients(folder: Path) -> pd.DataFrame:
    rows = []
    for src, r in _fhir_resources(folder, "Patient"):
        name = (r.get("name") or [{}])[0]
        addr = (r.get("address") or [{}])[0]
        rows.append(
            {
                "patient_id": r.get("id"),
                "gender": r.get("gender"),
                "birth_date": r.get("birthDate"),
                "deceased_datetime": r.get("deceasedDateTime"),
                "family": name.get("family"),
                "given": " ".join(name.get("given") or []) or None,
                "city": addr.get("city"),
                "state": addr.get("state"),
                "source": src,
            }
        )
    return frame(rows, _PATIENT_SCHEMA, file="Patient resources")


def _conditions(folder: Path) -> pd.DataFrame:
    rows = []
    for src, r in _fhir_resources(folder, "Condition"):
        system, code, display = _coding(r.get("code"))
        rows.append(
            {
                "condition_id": r.get("id"),
                "patient_id": _ref_id((r.get("subject") or {}).get("reference")),
                "system": system,
                "code": code,
                "display": display,
                "onset": r.get("onsetDateTime"),
                "abatement": r.get("abatementDateTime"),
                "clinical_status": _coding(r.get("clinicalStatus"))[1],
                "source": src,
            }
        )
    return frame(rows, _CONDITION_SCHEMA, file="Condition resources")


def _medication_requests(folder: Path) -> pd.DataFrame:
    rows = []
    for src, r in _fhir_resources(folder, "MedicationRequest"):
        system, code, display = _coding(r.get("medicationCodeableConcept"))
        rows.append(
            {
                "request_id": r.get("id"),
                "patient_id": _ref_id((r.get("subject") or {}).get("reference")),
                "system": system,
                "code": code,
                "display": display,
                "authored_on": r.get("authoredOn"),
                "status": r.get("status"),
                "intent": r.get("intent"),
                "source": src,
            }
        )
    return frame(rows, _MEDREQ_SCHEMA, file="MedicationRequest resources")


def _observations(folder: Path) -> pd.DataFrame:
    rows = []
    for src, r in _fhir_resources(folder, "Observation"):
        system, code, display = _coding(r.get("code"))
        q = r.get("valueQuantity") or {}
        text = r.get("valueString") or _coding(r.get("valueCodeableConcept"))[2]
        rows.append(
            {
                "observation_id": r.get("id"),
                "patient_id": _ref_id((r.get("subject") or {}).get("reference")),
                "system": system,
                "code": code,
                "display": display,
                "value": q.get("value"),
                "unit": q.get("unit"),
                "value_text": text,
                "effective": r.get("effectiveDateTime"),
                "source": src,
            }
        )
    return frame(rows, _OBS_SCHEMA, file="Observation resources")


_PATIENT_SCHEMA = {
    "patient_id": S,
    "gender": S,
    "birth_date": S,
    "deceased_datetime": S,
    "family": S,
    "given": S,
    "city": S,
    "state": S,
    "source": S,
}
_CONDITION_SCHEMA = {
    "condition_id": S,
    "patient_id": S,
    "system": S,
    "code": S,
    "display": S,
    "onset": S,
    "abatement": S,
    "clinical_status": S,
    "source": S,
}
_MEDREQ_SCHEMA = {
    "request_id": S,
    "patient_id": S,
    "system": S,
    "code": S,
    "display": S,
    "authored_on": S,
    "status": S,
    "intent": S,
    "source": S,
}
_OBS_SCHEMA = {
    "observation_id": S,
    "patient_id": S,
    "system": S,
    "code": S,
    "display": S,
    "value": F,
    "unit": S,
    "value_text": S,
    "effective": S,
    "source": S,
}
_SYNTHEA = [
    Table("patients", _patients, _PATIENT_SCHEMA, "Patient resources (bulk export and HIV-module bundles)"),
    Table("conditions", _conditions, _CONDITION_SCHEMA, "Condition resources with their first coding (SNOMED CT)"),
    Table("medication_requests", _medication_requests, _MEDREQ_SCHEMA, "MedicationRequest resources (RxNorm)"),
    Table("observations", _observations, _OBS_SCHEMA, "Observation resources of the bundles (value in unit)"),
]


# --------------------------------------------------------------------------------- IWPC
def _iwpc_coefficients(folder: Path) -> pd.DataFrame:
    file = "iwpc_algorithms.json"
    doc = read_json(folder / file, file=file)
    rows = [
        {"model": model, "term": term, "coefficient": value}
        for model in ("pharmacogenetic", "clinical")
        for term, value in doc[model].items()
    ]
    return frame(rows, {"model": S, "term": S, "coefficient": F}, file=file)


_IWPC = [
    csv_table(
        "patients",
        "warfarin.csv",
        {
            "PharmGKB Subject ID": S,
            "Gender": S,
            "Race": S,
            "Ethnicity": S,
            "Age": S,
            "Height (cm)": F,
            "Weight (kg)": F,
            "Therapeutic Dose of Warfarin": F,
            "INR on Reported Therapeutic Dose of Warfarin": F,
            "Cyp2C9 genotypes": S,
        },
        description="IWPC cohort: covariates, genotypes and stable weekly warfarin dose (mg/week)",
    ),
    Table(
        "algorithm_coefficients",
        _iwpc_coefficients,
        {"model": S, "term": S, "coefficient": F},
        "IWPC 2009 coefficients; the models predict the square root of the weekly dose (mg)",
    ),
]

TABLES: dict[str, list[Table]] = {
    "cdisc_pilot01": _CDISC,
    "group_sequential": _GROUP_SEQUENTIAL,
    "pharmacovigilance": _PV,
    "synthea_fhir_r4": _SYNTHEA,
    "iwpc_warfarin": _IWPC,
}
