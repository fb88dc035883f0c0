"""Patients from free-text notes (TREC / SIGIR topics, clinical notes).

Age and sex are read from the wording clinicians use ("A 57-year-old man", "45 yo F",
"an 8-month-old girl"); everything else stays in the note for the text criteria.
A note in which neither can be found keeps them unknown: criteria about them are then
"not enough information", never guessed.
"""

from __future__ import annotations

import re

from pharmakon.patients.records.model import PatientRecord, Sex

__all__ = ["note_age", "note_sex", "record_from_note", "MAX_NOTE_CHARS"]

#: Longest note read (characters).
MAX_NOTE_CHARS = 100_000

_UNITS = {"year": 1.0, "yr": 1.0, "month": 1 / 12, "mo": 1 / 12, "week": 1 / 52, "wk": 1 / 52, "day": 1 / 365}
_AGE_PATTERNS = (
    re.compile(r"\b(\d{1,3})[\s-]*(year|yr|month|mo|week|wk|day)s?[\s-]*old\b", re.I),
    re.compile(r"\b(\d{1,3})\s*(?:yo|y/o|y\.o\.|yrs?\b|years? of age)", re.I),
    re.compile(r"\bage[ds]?\s*(?:of\s*)?(\d{1,3})\b", re.I),
    re.compile(r"^\W*(\d{1,3})\s*(?:M|F|male|female)\b"),
)
_FEMALE = re.compile(r"\b(woman|women|female|girl|lady|she|her|mrs|ms|mother|pregnant|F)\b")
_MALE = re.compile(r"\b(man|men|male|boy|gentleman|he|his|him|mr|M)\b")


def note_age(text: str) -> float | None:
    """Age in years stated in ``text`` (the first phrasing found, in order of reliability), or ``None``."""
    head = text[:2000]
    for pattern in _AGE_PATTERNS:
        m = pattern.search(head)
        if m:
            unit = m.group(2).lower() if pattern.groups > 1 else "year"
            return float(m.group(1)) * _UNITS[unit]
    return None


def note_sex(text: str) -> Sex | None:
    """Sex from the first sentences of ``text`` (the first gendered word), or ``None``."""
    head = text[:600]
    f, m = _FEMALE.search(head), _MALE.search(head)
    if f and (not m or f.start() < m.start()):
        return "female"
    if m:
        return "male"
    return None


def record_from_note(patient_id: str, text: str) -> PatientRecord:
    """A :class:`PatientRecord` holding the note, with age and sex read from it."""
    text = text[:MAX_NOTE_CHARS]
    pregnant = True if re.search(r"\b(is|currently)\s+pregnant\b|\bpregnant\s+(woman|female)", text, re.I) else None
    return PatientRecord(
        patient_id=patient_id, age_years=note_age(text), sex=note_sex(text), notes=[text], pregnant=pregnant
    )
