from __future__ import annotations

import pytest

from pharmakon.patients.records.notes import note_age, note_sex, record_from_note


@pytest.mark.parametrize(
    ("text", "age", "sex"),
    [
        ("A 57-year-old man with Parkinson disease.", 57, "male"),
        ("48 M with a h/o HTN", 48, "male"),
        ("A 32 yo woman who presents following a headache.", 32, "female"),
        ("An 8-month-old girl with fever.", 8 / 12, "female"),
        ("This is a 44 year old female with PCOS.", 44, "female"),
        ("Patient presents with cough.", None, None),
    ],
)
def test_age_and_sex_from_notes(text: str, age: float | None, sex: str | None) -> None:
    assert note_age(text) == (pytest.approx(age) if age is not None else None)
    assert note_sex(text) == sex


def test_record_from_note_pregnancy() -> None:
    rec = record_from_note("t1", "A 29-year-old woman who is currently pregnant presents with nausea.")
    assert rec.pregnant is True and rec.age() == 29 and rec.notes
