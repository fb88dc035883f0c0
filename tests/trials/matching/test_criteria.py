"""Splitting eligibility text into inclusion and exclusion items."""

from __future__ import annotations

from pharmakon.trials.matching.criteria import split_criteria

CTGOV = """Key Inclusion Criteria:

* Age 18 to 75 years
* Diagnosis of type 2 diabetes, with either of:
    * HbA1c between 7.0% and 10.5%
    * fasting glucose > 126 mg/dL
1. ECOG performance status 0-1

Exclusion Criteria:

- Pregnant or breastfeeding women
- eGFR < 30 mL/min/1.73m2
a) History of pancreatitis
"""


def test_headings_bullets_numbering_nesting() -> None:
    items = split_criteria(CTGOV)
    assert [(c.type, c.text) for c in items] == [
        ("inclusion", "Age 18 to 75 years"),
        ("inclusion", "Diagnosis of type 2 diabetes, with either of:"),
        ("inclusion", "HbA1c between 7.0% and 10.5%"),
        ("inclusion", "fasting glucose > 126 mg/dL"),
        ("inclusion", "ECOG performance status 0-1"),
        ("exclusion", "Pregnant or breastfeeding women"),
        ("exclusion", "eGFR < 30 mL/min/1.73m2"),
        ("exclusion", "History of pancreatitis"),
    ]
    nested = [c for c in items if c.parent]
    assert {c.parent for c in nested} == {"Diagnosis of type 2 diabetes, with either of:"} and len(nested) == 2


def test_pdq_layout_and_paragraphs() -> None:
    text = (
        "DISEASE CHARACTERISTICS: Biopsy proven glioblastoma\n\n"
        "PATIENT CHARACTERISTICS: Age: 18 and over Performance status: Karnofsky 60%-100% Renal: Creatinine no greater than 1.5 mg/dL"
    )
    items = [c.text for c in split_criteria(text)]
    assert items == [
        "Biopsy proven glioblastoma",
        "Age: 18 and over",
        "Performance status: Karnofsky 60%-100%",
        "Renal: Creatinine no greater than 1.5 mg/dL",
    ]


def test_criteria_for_exclusion_heading_and_unreadable_kept() -> None:
    text = "Criteria for inclusion: adults\n\nCriteria for Exclusion:\n\n%%% ??? something odd ???"
    items = split_criteria(text)
    assert [(c.type, c.text) for c in items] == [("inclusion", "adults"), ("exclusion", "%%% ??? something odd ???")]


def test_empty() -> None:
    assert split_criteria("") == [] and split_criteria(None) == []
