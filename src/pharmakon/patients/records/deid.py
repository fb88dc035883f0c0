"""HIPAA Safe Harbor de-identification of patient records and notes, at the door.

What is removed or changed (45 CFR 164.514(b)(2), the identifiers that occur in
records and notes):

* names (the Patient's own, Synthea-style ``Given123`` tokens, titled names such as
  "Mr. Smith", "Name: ..." lines) -> ``[NAME]``;
* dates -> shifted by a per-patient offset (same offset for every date of a patient,
  so intervals between events survive; -182..+182 days, from a keyed hash of the id);
* ages over 89 -> 90 ("over 89" in text; birth date dropped);
* locations (street addresses, ZIP codes, city/state of the Patient's address),
  contact details (phone, fax, e-mail, URL, IP), record and account numbers, SSNs,
  and the Patient's identifiers -> ``[LOCATION]``, ``[CONTACT]``, ``[ID]``;
* the patient id -> a keyed pseudonym ``P`` + 12 hex digits.

Race, ethnicity and sex are not Safe Harbor identifiers and are kept (the equity view
needs them). What was found is counted per category in a :class:`DeidReport`, which the
service writes into its audit event. Assumption: names that appear in a note but not
in the record and not in a recognisable pattern are not found; that residual risk is
the one every rule-based scrubber carries and is stated in the docs.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from pharmakon.patients.records.model import Coded, Measurement, PatientRecord

__all__ = ["DeidReport", "deidentify", "scrub_text", "pseudonym", "date_shift"]

AGE_CAP = 90.0
_MONTHS = "Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?"
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("contact", re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")),
    ("contact", re.compile(r"\bhttps?://\S+|\bwww\.\S+", re.I)),
    ("contact", re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b")),
    ("id", re.compile(r"\b\d{3}-\d{2}-\d{4}\b")),
    ("contact", re.compile(r"(?<!\d)(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}\b")),
    (
        "id",
        re.compile(
            r"\b(?:MRN|medical record(?: number| no\.?)?|record (?:number|no\.?)|account(?: number| no\.?)?|acct|"
            r"SSN|social security(?: number)?|health plan(?: number)?|member id|patient id|license(?: number)?)"
            r"\s*[#:]?\s*[A-Z0-9-]*\d[A-Z0-9-]*",
            re.I,
        ),
    ),
    (
        "location",
        re.compile(
            r"\b\d{1,6}\s+(?:[A-Z][a-z]+\s){1,3}(?:Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Drive|Dr|Boulevard|Blvd|"
            r"Court|Ct|Way|Place|Pl|Terrace|Suite)\b\.?"
        ),
    ),
    ("location", re.compile(r"\b(?:zip(?: code)?|postal code)\s*:?\s*\d{5}(?:-\d{4})?\b", re.I)),
    ("location", re.compile(r"\b[A-Z]{2}\s+\d{5}(?:-\d{4})?\b")),
    ("name", re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Dr|Prof)\.?\s+[A-Z][a-zA-Z'-]+(?:\s+[A-Z][a-zA-Z'-]+)?")),
    ("name", re.compile(r"(?im)^(?:patient )?name\s*:\s*.+$")),
    ("name", re.compile(r"\b[A-Z][a-z]+\d{2,3}\b")),  # Synthea's Given123 / Family456
]
_DATES = [
    (re.compile(r"\b(\d{4})-(\d{2})-(\d{2})(?:T[\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?\b"), "ymd"),
    (re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})\b"), "mdy"),
    (re.compile(rf"\b({_MONTHS})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.I), "Mdy"),
]
_OLD_AGE = re.compile(r"\b(\d{2,3})(\s*|-)(years?|yrs?|yo|y/o)(?=\b|[\s-])", re.I)


@dataclass
class DeidReport:
    """What de-identification found and changed, per category (counts only; no values)."""

    patients: int = 0
    counts: Counter = field(default_factory=Counter)

    def add(self, other: DeidReport) -> None:
        self.patients += other.patients
        self.counts.update(other.counts)

    def to_dict(self) -> dict[str, Any]:
        return {"patients": self.patients, "counts": dict(sorted(self.counts.items()))}


def pseudonym(patient_id: str, key: str) -> str:
    """Keyed pseudonym of a patient id (HMAC-SHA256; same id and key, same pseudonym)."""
    return "P" + hmac.new(key.encode(), patient_id.encode(), hashlib.sha256).hexdigest()[:12]


def date_shift(patient_id: str, key: str) -> timedelta:
    """The patient's date offset, -182..+182 days (keyed, so not derivable from the id alone)."""
    digest = hmac.new(key.encode(), b"shift:" + patient_id.encode(), hashlib.sha256).digest()
    return timedelta(days=int.from_bytes(digest[:4], "big") % 365 - 182)


def _month_number(name: str) -> int:
    return ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"].index(
        name[:3].lower()
    ) + 1


def _shift_dates(text: str, shift: timedelta, counts: Counter) -> str:
    def repl(kind: str):
        def inner(m: re.Match[str]) -> str:
            try:
                if kind == "ymd":
                    d = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
                elif kind == "mdy":
                    y = int(m.group(3))
                    d = date(y + (2000 if y < 50 else 1900) if y < 100 else y, int(m.group(1)), int(m.group(2)))
                else:
                    d = date(int(m.group(3)), _month_number(m.group(1)), int(m.group(2)))
            except ValueError:
                counts["date"] += 1
                return "[DATE]"
            counts["date"] += 1
            return (d + shift).isoformat()

        return inner

    for pattern, kind in _DATES:
        text = pattern.sub(repl(kind), text)
    return text


def _cap_ages(text: str, counts: Counter) -> str:
    def repl(m: re.Match[str]) -> str:
        if int(m.group(1)) > 89:
            counts["age_over_89"] += 1
            return f"over 89{m.group(2)}{m.group(3)}"
        return m.group(0)

    return _OLD_AGE.sub(repl, text)


def scrub_text(
    text: str,
    *,
    names: list[str] | None = None,
    identifiers: list[str] | None = None,
    shift: timedelta = timedelta(0),
    counts: Counter | None = None,
) -> str:
    """Safe Harbor scrub of free text: known names/identifiers, patterns, dates shifted, ages capped.

    Parameters
    ----------
    names, identifiers : list of str, optional
        The patient's own names and identifiers (from the record), removed wherever they occur.
    shift : timedelta
        Offset added to every date found.
    counts : Counter, optional
        Incremented per category found.
    """
    counts = Counter() if counts is None else counts
    # contact details and numbers first: an e-mail address holds names that must go with it
    text = _shift_dates(text, shift, counts)
    for category, pattern in _PATTERNS:
        text, n = pattern.subn(f"[{category.upper()}]", text)
        counts[category] += n
    for value, tag in [(v, "ID") for v in identifiers or []] + [(v, "NAME") for v in names or []]:
        base = re.sub(r"\d+$", "", value) if tag == "NAME" else value
        if len(base) < 2:
            continue
        pattern = re.compile(rf"\b{re.escape(base)}\d*\b", re.I)
        text, n = pattern.subn(f"[{tag}]", text)
        counts[tag.lower()] += n
    return _cap_ages(text, counts)


def _shift_item(item: Coded | Measurement, shift: timedelta) -> Any:
    from dataclasses import replace

    changes: dict[str, Any] = {"source": item.source.split("/", 1)[0]}
    if item.date is not None:
        changes["date"] = item.date + shift
    if isinstance(item, Coded) and item.end is not None:
        changes["end"] = item.end + shift
    return replace(item, **changes)


def deidentify(record: PatientRecord, key: str) -> tuple[PatientRecord, DeidReport]:
    """A Safe Harbor copy of ``record`` and what was changed (the original is not modified)."""
    report = DeidReport(patients=1)
    counts = report.counts
    shift = date_shift(record.patient_id, key)
    age = record.age()
    notes = [
        scrub_text(
            n, names=record.names, identifiers=record.identifiers + [record.patient_id], shift=shift, counts=counts
        )
        for n in record.notes
    ]
    out = record.copy(
        patient_id=pseudonym(record.patient_id, key),
        notes=notes,
        names=[],
        identifiers=[],
        deidentified=True,
        conditions=[_shift_item(c, shift) for c in record.conditions],
        medications=[_shift_item(c, shift) for c in record.medications],
        procedures=[_shift_item(c, shift) for c in record.procedures],
        observations=[_shift_item(c, shift) for c in record.observations],
        reference_date=None if record.reference_date is None else record.reference_date + shift,
        birth_date=None if record.birth_date is None else record.birth_date + shift,
    )
    counts["patient_id"] += 1
    counts["name"] += len(record.names) and 1
    if record.birth_date is not None:
        counts["date"] += 1
    if age is not None and age > 89:
        out.age_years, out.birth_date = AGE_CAP, None
        counts["age_over_89"] += 1
    elif record.age_years is None and age is not None and out.birth_date is not None:
        out.age_years = age  # the shift must not move the age across a criterion's bound
    return out, report
