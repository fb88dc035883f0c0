"""The diagnosis lexicon generated from the mirror's vocabularies: variants, merging, the shipped file, use in matching."""

from __future__ import annotations

import json
from datetime import date

import pytest

from pharmakon.patients.records.model import Coded, PatientRecord
from pharmakon.patients.records.notes import record_from_note
from pharmakon.trials.matching import diagnoses
from pharmakon.trials.matching.assess import assess_criterion, conditions_concepts
from pharmakon.trials.matching.checks import parse_checks, parse_criterion
from pharmakon.trials.matching.context import NoteIndex
from pharmakon.trials.matching.criteria import Criterion
from pharmakon.trials.matching.lexicon import BROADER, CONCEPTS, CORE_CONCEPTS
from tests.conftest import MIRROR

REF = date(2024, 1, 1)


def test_variants_follow_generic_spelling_rules() -> None:
    assert diagnoses.variants("Non-small cell lung cancer (disorder)")[0] == "non-small cell lung cancer"
    assert "ulcerative colitis" in diagnoses.variants("COLITIS ULCERATIVE")  # MedDRA inverted order
    assert "iron deficiency anemia" in diagnoses.variants("IRON DEFICIENCY ANAEMIA")  # British spelling
    assert "gastroesophageal reflux disease" in diagnoses.variants("GASTROOESOPHAGEAL REFLUX DISEASE")
    assert {"meniere disease", "menieres disease"} <= set(diagnoses.variants("MENIERE'S DISEASE"))
    assert "chronic hepatitis c" in diagnoses.variants("Hepatitis C, Chronic")  # MeSH inverted order
    assert diagnoses.variants("TIC") == []  # too short to match safely
    assert diagnoses.variants("Atrial fibrillation") == ["atrial fibrillation"]  # nothing to vary


def test_rewordings_extend_the_core_and_narrower_terms_point_to_it() -> None:
    core = {
        "t2dm": ("type 2 diabetes", "diabetes mellitus type 2"),
        "ckd": ("chronic kidney disease", "end-stage renal disease"),
    }
    core_of = {diagnoses._norm(p): c for c, ps in core.items() for p in ps}
    hit = diagnoses._core_hit
    assert hit(["type 2 diabetes mellitus"], core, core_of, {}) == "t2dm"  # "mellitus" is the core's own word
    assert hit(["chronic kidney disease stage 3"], core, core_of, {}) is None  # "3" makes it narrower
    assert hit(["end stage renal disease"], core, core_of, {}) == "ckd"
    found = diagnoses._named_inside(["chronic kidney disease stage 3"], "ckd3", {k: list(v) for k, v in core.items()})
    assert found == {"ckd"}


@pytest.mark.skipif(not (MIRROR / diagnoses.SOURCES["meddra"]).is_file(), reason="data mirror lacks the sources")
def test_shipped_file_is_what_the_sources_generate() -> None:
    shipped = json.loads(diagnoses.DATA_FILE.read_text(encoding="utf-8"))
    assert diagnoses.build(MIRROR) == json.loads(json.dumps(shipped))
    assert set(shipped["sources"]) == {"doid", "snomed", "meddra"}
    new = shipped["concepts"]
    assert len(new) > 200 and not set(new) & set(CORE_CONCEPTS)
    # SOCs that are not diagnoses stay out: procedures, investigations, injuries
    names = {n for c in new.values() for n in c["names"]}
    assert not {"hysterectomy", "cholecystectomy", "platelet count decreased", "wrist fracture"} & names
    assert "pancreatitis" in names and "ulcerative colitis" in CONCEPTS["ibd"]


def test_widened_lexicon_in_criteria_records_and_notes() -> None:
    assert len(CONCEPTS) > 3 * len(CORE_CONCEPTS)
    # a criterion naming a disease outside the core now becomes a diagnosis check
    [check] = parse_checks("History of pancreatitis", "exclusion")
    assert check.kind == "concept" and check.params["concepts"] == ["pancreatitis"]
    # "diabetic retinopathy" is its own concept (no longer read as plain diabetes) and implies diabetes
    [check] = parse_checks("Proliferative diabetic retinopathy", "exclusion")
    assert check.params["concepts"] == ["diabetic_retinopathy"] and "diabetes" in BROADER["diabetic_retinopathy"]
    # core concepts point up to generated ones they name; a skin cancer criterion is no longer any malignancy
    assert "hepatitis" in BROADER["hcv"] and "hepatitis" in BROADER["hbv"]
    [check] = parse_checks("Basal or squamous cell skin cancer", "inclusion")
    assert check.params["concepts"] == ["skin_cancer"]
    # a Synthea SNOMED code outside the core maps to its concept and the broader one
    ckd3 = Coded("Chronic kidney disease stage 3 (disorder)", code="433144002", date=REF)
    assert {"chronic_kidney_disease_stage_3", "ckd"} <= conditions_concepts(ckd3)
    patient = PatientRecord(
        patient_id="p", birth_date=date(1960, 1, 1), sex="female", reference_date=REF, conditions=[ckd3]
    )
    crit = parse_criterion(Criterion("Chronic kidney disease", "exclusion"))
    assert assess_criterion(crit, patient, None).verdict == "met"
    # notes: affirmed and negated mentions of a generated concept
    for text, verdict in (
        ("58-year-old woman admitted with acute pancreatitis.", "met"),
        ("58-year-old woman. No history of pancreatitis.", "not met"),
        ("58-year-old woman with hypertension.", "not enough information"),
    ):
        rec = record_from_note("n", text)
        a = assess_criterion(parse_criterion(Criterion("History of pancreatitis", "exclusion")), rec, NoteIndex(text))
        assert a.verdict == verdict, (text, a)
