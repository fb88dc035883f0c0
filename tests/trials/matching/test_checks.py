"""Criterion text -> computable checks."""

from __future__ import annotations

import pytest

from pharmakon.trials.matching.checks import parse_criterion
from pharmakon.trials.matching.criteria import Criterion


def _checks(text: str, ctype: str = "inclusion"):
    parsed = parse_criterion(Criterion(text, ctype))
    return parsed, [(c.kind, c.params) for c in parsed.checks]


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("Age 18 to 75 years", 18, 75),
        ("Males and postmenopausal females at least 50 years of age.", 50, None),
        ("Age: >= 20 years (at the time of obtaining consent)", 20, None),
        ("18 years of age or older", 18, None),
        ("Aged 40-65 years", 40, 65),
    ],
)
def test_age(text: str, low, high) -> None:
    _, checks = _checks(text)
    kind, params = checks[0]
    assert kind == "age" and params.get("low") == pytest.approx(low) if low else True
    assert params.get("high") == (pytest.approx(high) if high else None)


def test_labs_units_uln_and_reference_range() -> None:
    _, checks = _checks("Hepatic: Bilirubin no greater than 1.5 mg/dL AST/ALT no greater than 2.5 times normal")
    assert checks[0] == (
        "lab",
        {"analyte": "bilirubin", "window_days": None, "op": "le", "value": 1.5, "value2": None, "unit": "mg/dL"},
    )
    assert [c[1]["analyte"] for c in checks[1:]] == ["ast", "alt"] and all(c[1]["uln"] for c in checks[1:])
    _, checks = _checks(
        "Central laboratory test values below reference range for folate, and vitamin B12, and outside reference range for thyroid function tests.",
        "exclusion",
    )
    assert [(c[1]["analyte"], c[1]["ref"]) for c in checks] == [
        ("folate", "below"),
        ("b12", "below"),
        ("tsh", "outside"),
    ]
    _, checks = _checks("HbA1c between 7.0% and 10.5%")
    assert checks[0][1] | {} == {
        "analyte": "hba1c",
        "window_days": None,
        "op": "range",
        "value": 7.0,
        "value2": 10.5,
        "unit": "%",
    }


def test_scores_pregnancy_negation_window() -> None:
    assert _checks("MMSE score of 10 to 23.")[1][0] == (
        "score",
        {"score": "mmse", "op": "range", "value": 10.0, "value2": 23.0},
    )
    assert _checks("ECOG performance status 0 or 1")[1][0][1]["value2"] == 1.0
    assert _checks("Performance status: Karnofsky 60%-100%")[1][0][1] | {} == {
        "score": "karnofsky",
        "op": "range",
        "value": 60.0,
        "value2": 100.0,
    }
    assert _checks("Pregnant or lactating women", "exclusion")[1] == [("pregnancy", {"absent": False})]
    assert _checks("Women must have a negative pregnancy test", "inclusion")[1] == [("pregnancy", {"absent": True})]
    parsed, checks = _checks("A history of syncope within the last 5 years.", "exclusion")
    assert checks[0][1]["concepts"] == ["syncope"] and checks[0][1]["window_days"] == pytest.approx(5 * 365.25)
    parsed, _ = _checks("No prior taxanes", "inclusion")
    assert parsed.negated


def test_exclusion_naming_the_trial_condition_and_text_criteria() -> None:
    target = frozenset({"parkinson"})
    parsed = parse_criterion(Criterion("Previous surgery for Parkinson's disease", "exclusion"), target)
    assert not any(c.kind == "concept" for c in parsed.checks)
    parsed = parse_criterion(Criterion("Geographic proximity to the investigator's site.", "inclusion"))
    assert parsed.checks == () and not parsed.computable
