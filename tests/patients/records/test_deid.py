"""Safe Harbor de-identification: planted identifiers removed, dates shifted consistently, ages over 89 capped."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from pharmakon.patients.records.deid import date_shift, deidentify, pseudonym, scrub_text
from pharmakon.patients.records.model import Coded, PatientRecord

PLANTED = {
    "name": "Johanna Smithers",
    "mrn": "MRN: 88412377",
    "phone": "(617) 555-0142",
    "email": "j.smithers@example.org",
    "ssn": "123-45-6789",
    "street": "42 Elm Street",
    "zip": "MA 02115",
    "url": "https://portal.example.org/p/88412377",
    "ip": "192.168.14.2",
}
NOTE = (
    "Mrs. Johanna Smithers ({mrn}) is a 93-year-old woman seen on 03/14/2021 at {street}, Boston {zip}. "
    "Call {phone} or {email}; portal {url} from {ip}. SSN {ssn}. Johanna has type 2 diabetes, HbA1c 8.1%."
).format(**PLANTED)


def test_planted_identifiers_are_removed() -> None:
    counts: Counter = Counter()
    out = scrub_text(NOTE, names=["Johanna", "Smithers"], shift=timedelta(days=10), counts=counts)
    for value in PLANTED.values():
        assert value not in out
    assert "Johanna" not in out and "Smithers" not in out
    assert "93-year-old" not in out and "over 89-year-old" in out
    assert "2021-03-24" in out  # shifted by the given offset
    assert "type 2 diabetes, HbA1c 8.1%" in out  # clinical content kept
    assert counts["date"] == 1 and counts["age_over_89"] == 1 and counts["contact"] >= 3


def test_record_deidentified_consistently() -> None:
    rec = PatientRecord(
        patient_id="pat-1",
        birth_date=date(1930, 6, 1),
        sex="female",
        race="White",
        reference_date=date(2022, 1, 1),
        conditions=[Coded("Diabetes", date=date(2020, 1, 1), source="Condition/c1")],
        notes=[NOTE],
        names=["Johanna", "Smithers"],
    )
    out, report = deidentify(rec, key="k")
    shift = date_shift("pat-1", key="k")
    assert out.patient_id == pseudonym("pat-1", "k") != "pat-1"
    assert out.conditions[0].date == date(2020, 1, 1) + shift and out.conditions[0].source == "Condition"
    assert out.age() == 90.0 and out.birth_date is None  # 91 years old: aggregated to 90
    assert out.race == "White" and out.sex == "female"
    assert "Smithers" not in out.text() and out.names == [] and out.deidentified
    assert report.counts["age_over_89"] >= 1 and report.patients == 1
    # the original is untouched
    assert rec.patient_id == "pat-1" and rec.notes == [NOTE]
    # the same key gives the same pseudonym and shift; another key another
    assert deidentify(rec, key="k")[0].patient_id == out.patient_id != deidentify(rec, key="other")[0].patient_id


def test_age_kept_across_the_shift() -> None:
    rec = PatientRecord(patient_id="x", birth_date=date(2004, 1, 10), reference_date=date(2022, 1, 5))
    out, _ = deidentify(rec, key="k")
    assert abs(out.age() - rec.age()) < 1e-9  # 17.99 years: a shift must not make an 18-year-old
