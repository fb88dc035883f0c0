"""Criterion assessment against structured records and notes; the trial score; the funnel."""

from __future__ import annotations

from datetime import date

import pytest

from pharmakon.patients.records.model import Coded, Measurement, PatientRecord
from pharmakon.patients.records.notes import record_from_note
from pharmakon.trials.matching.assess import assess_criterion
from pharmakon.trials.matching.checks import parse_criterion
from pharmakon.trials.matching.context import NoteIndex
from pharmakon.trials.matching.criteria import Criterion
from pharmakon.trials.matching.documents import Trial
from pharmakon.trials.matching.funnel import screen_patients
from pharmakon.trials.matching.matcher import NO_CRITERIA, parse_trial, trial_score

REF = date(2024, 1, 1)


def _patient(**kw) -> PatientRecord:
    base = dict(patient_id="p", birth_date=date(1960, 1, 1), sex="male", reference_date=REF)
    return PatientRecord(**(base | kw))


def _verdict(text: str, patient: PatientRecord, ctype: str = "inclusion") -> tuple[str, str]:
    note = NoteIndex(patient.text()) if patient.notes else None
    a = assess_criterion(parse_criterion(Criterion(text, ctype)), patient, note)
    return a.verdict, a.evidence


def test_lab_with_unit_conversion() -> None:
    # creatinine 132.6 umol/L = 1.5 mg/dL (molar mass 113.12 g/mol)
    p = _patient(
        observations=[Measurement("Creatinine", 132.6, "umol/L", code="2160-0", date=REF, source="Observation/1")]
    )
    assert _verdict("Creatinine no greater than 1.6 mg/dL", p)[0] == "met"
    assert _verdict("Creatinine no greater than 1.4 mg/dL", p)[0] == "not met"
    # platelets 150 x10^9/L against "at least 100,000" per mm3
    p = _patient(observations=[Measurement("Platelets", 150, "10*9/L", code="777-3", date=REF)])
    assert _verdict("Platelets at least 100,000/mm3", p)[0] == "met"
    assert _verdict("Platelets at least 200,000/mm3", p)[0] == "not met"


def test_units_that_do_not_convert_are_not_enough_information() -> None:
    p = _patient(observations=[Measurement("Creatinine", 1.0, "U/L", code="2160-0", date=REF)])
    verdict, evidence = _verdict("Creatinine no greater than 1.5 mg/dL", p)
    assert verdict == "not enough information" and "does not convert" in evidence


def test_uln_reference_range_window_and_missing() -> None:
    alt = Measurement("ALT", 100, "U/L", code="1742-6", date=REF, low=7, high=40, interpretation="H")
    p = _patient(observations=[alt])
    assert _verdict("ALT no greater than 2.5 x ULN", p)[0] == "met"  # 100 <= 2.5 * 40
    assert _verdict("ALT no greater than 2 x ULN", p)[0] == "not met"
    assert _verdict("Laboratory values exceeding the reference range for ALT", p, "exclusion")[0] == "met"
    assert _verdict("HbA1c > 7%", p)[0] == "not enough information"
    old = _patient(conditions=[Coded("Syncope", date=date(2010, 1, 1), status="resolved", end=date(2010, 1, 2))])
    assert _verdict("A history of syncope within the last 5 years.", old, "exclusion")[0] == "not met"
    recent = _patient(conditions=[Coded("Syncope", date=date(2022, 6, 1))])
    assert _verdict("A history of syncope within the last 5 years.", recent, "exclusion")[0] == "met"


def test_notes_with_context() -> None:
    p = record_from_note(
        "t", "A 57-year-old man with Parkinson disease. He denies depression. His mother had dementia."
    )
    assert _verdict("Diagnosis of Parkinson's disease", p)[0] == "met"
    assert _verdict("Current major depression", p, "exclusion")[0] == "not met"
    assert _verdict("Dementia", p, "exclusion")[0] == "not enough information"  # family history is not the patient's
    assert _verdict("Age 18 to 65 years", p)[0] == "met"
    assert _verdict("Women aged 18-45 years", p)[0] == "not met"
    assert _verdict("ECOG performance status 0-1", p)[0] == "not enough information"
    assert _verdict("Pregnant or lactating women", p, "exclusion")[0] == "not met"  # male


def test_scores_ecog_and_qualifier() -> None:
    p = _patient(observations=[Measurement("ECOG performance status", 2, code="89247-1", date=REF)])
    assert _verdict("ECOG performance status 0 or 1", p)[0] == "not met"
    assert _verdict("ECOG performance status 0-2", p)[0] == "met"
    p = _patient(conditions=[Coded("Heart failure", date=date(2020, 1, 1), status="active")])
    assert _verdict("Severe heart failure", p, "exclusion")[0] == "not enough information"


def test_decisive_verdict_dominates_the_score() -> None:
    from pharmakon.trials.matching.assess import Assessment

    good = [Assessment("a", "inclusion", "met", "", "age")]
    bad = [Assessment("a", "inclusion", "met", "", "age"), Assessment("b", "exclusion", "met", "", "concept")]
    assert trial_score(bad, relevance=1.0) < trial_score(good, relevance=0.0)


def test_funnel_never_counts_not_enough_information_as_eligible() -> None:
    trial = Trial(
        "NCT1",
        criteria_text="Inclusion Criteria:\n- Age 18 to 65 years\n- HbA1c > 7%\nExclusion Criteria:\n- Pregnant",
        min_age=18,
    )
    hba1c = Measurement("HbA1c", 8.0, "%", code="4548-4", date=REF)
    patients = [
        _patient(patient_id="ok", observations=[hba1c]),
        _patient(patient_id="unknown"),  # no HbA1c: not enough information
        _patient(patient_id="old", birth_date=date(1940, 1, 1), observations=[hba1c]),
    ]
    cohort = screen_patients(parse_trial(trial), patients)
    assert cohort.eligible == ["ok"] and cohort.undetermined == ["unknown"] and cohort.excluded == ["old"]
    # Minimum age (structured field), the age item, HbA1c, pregnancy, then the undetermined
    assert [(f["removed"], f["remaining"]) for f in cohort.funnel] == [(0, 3), (1, 2), (0, 2), (0, 2), (1, 1)]
    assert len(cohort.items()) == 3 * 4  # one item per patient and criterion


def test_trial_without_criteria_text_is_never_eligible() -> None:
    cohort = screen_patients(parse_trial(Trial("NCT2", criteria_text="  ")), [_patient()])
    assert cohort.eligible == [] and cohort.undetermined == ["p"]
    assert cohort.assessments["p"][-1].text == NO_CRITERIA


@pytest.mark.parametrize("text", ["Patient de 57 ans atteint de la maladie de Parkinson, sans antécédent de démence."])
def test_note_in_another_language_gives_not_enough_information(text: str) -> None:
    p = record_from_note("fr", text)
    assert _verdict("Age 18 to 65 years", p)[0] == "not enough information"
    # "sans antécédent de démence" (no history of dementia) is not read: never a silent "not met"
    assert _verdict("Dementia", p, "exclusion")[0] == "not enough information"
