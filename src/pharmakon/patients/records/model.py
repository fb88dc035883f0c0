"""The patient summary every matcher reads: demographics, coded facts, measurements, notes.

A :class:`PatientRecord` is what the FHIR reader, the note reader and the SDTM converter
produce, and what de-identification and criterion assessment consume. Dates are
``datetime.date``; ages are in years; measurement values keep the unit they came with
(converted with pint only when compared).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Literal

__all__ = ["Coded", "Measurement", "PatientRecord", "Sex"]

Sex = Literal["male", "female"]


@dataclass(frozen=True)
class Coded:
    """A coded fact (condition, medication, procedure).

    Attributes
    ----------
    display : str
        Human-readable name ("Alzheimer's disease").
    code, system : str or None
        Code and code system URI (SNOMED CT, RxNorm, ICD-10, MedDRA...).
    date : date or None
        Onset / start / performed date.
    end : date or None
        Abatement / end date, if any.
    status : str or None
        ``active``, ``resolved``, ``completed``, ``stopped``...
    category : str or None
        Extra grouping (body system, "PRIMARY DIAGNOSIS").
    source : str
        Where it came from: ``ResourceType/id`` (evidence).
    """

    display: str
    code: str | None = None
    system: str | None = None
    date: date | None = None
    end: date | None = None
    status: str | None = None
    category: str | None = None
    source: str = ""


@dataclass(frozen=True)
class Measurement:
    """An observation with a value (lab, vital sign, questionnaire score).

    ``value`` is numeric where the source was (``None`` otherwise, with ``text``);
    ``low``/``high`` the reference range in ``unit``; ``interpretation`` one of
    ``L``, ``N``, ``H`` (or the source's code) where given.
    """

    display: str
    value: float | None = None
    unit: str | None = None
    code: str | None = None
    system: str | None = None
    date: date | None = None
    text: str | None = None
    low: float | None = None
    high: float | None = None
    interpretation: str | None = None
    source: str = ""


@dataclass
class PatientRecord:
    """One patient as the matcher sees them.

    Attributes
    ----------
    patient_id : str
        Identifier (pseudonymised after de-identification).
    birth_date : date or None
        Date of birth (shifted after de-identification; dropped for ages over 89).
    age_years : float or None
        Age stated outright (a note's "57-year-old", SDTM AGE); wins over ``birth_date``.
    sex : {"male", "female"} or None
    race, ethnicity : str or None
        As recorded (US Core OMB categories, SDTM RACE/ETHNIC); used for the equity view only.
    reference_date : date or None
        "Today" for this record: age and time windows ("within 3 months") count back from it.
        Defaults to the latest dated fact (and, for the age of a record without any, today).
    conditions, medications, procedures : list of Coded
    observations : list of Measurement
    notes : list of str
        Free text (clinical notes, TREC/SIGIR topic descriptions).
    pregnant : bool or None
        Pregnancy status where recorded.
    """

    patient_id: str
    birth_date: date | None = None
    age_years: float | None = None
    sex: Sex | None = None
    race: str | None = None
    ethnicity: str | None = None
    reference_date: date | None = None
    conditions: list[Coded] = field(default_factory=list)
    medications: list[Coded] = field(default_factory=list)
    procedures: list[Coded] = field(default_factory=list)
    observations: list[Measurement] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    pregnant: bool | None = None
    names: list[str] = field(default_factory=list)
    identifiers: list[str] = field(default_factory=list)
    deidentified: bool = False

    @property
    def structured(self) -> bool:
        """Whether the record carries coded history (so an absent diagnosis means "not recorded")."""
        return bool(self.conditions or self.medications or self.observations or self.procedures)

    def as_of(self) -> date | None:
        """The record's reference date, or its latest dated fact."""
        if self.reference_date is not None:
            return self.reference_date
        dates = [
            d
            for items in (self.conditions, self.medications, self.procedures, self.observations)
            for x in items
            if (d := x.date) is not None
        ]
        return max(dates) if dates else None

    def age(self) -> float | None:
        """Age in years: stated, or from the birth date to :meth:`as_of` (today for a record without dated facts)."""
        if self.age_years is not None:
            return self.age_years
        ref = self.as_of() or date.today()
        if self.birth_date is None or ref is None:
            return None
        return (ref - self.birth_date).days / 365.25

    def text(self) -> str:
        """All notes joined (blank-line separated)."""
        return "\n\n".join(n for n in self.notes if n)

    def copy(self, **changes: Any) -> PatientRecord:
        """A shallow copy with ``changes`` (lists copied, so the original is never mutated)."""
        base = replace(
            self,
            conditions=list(self.conditions),
            medications=list(self.medications),
            procedures=list(self.procedures),
            observations=list(self.observations),
            notes=list(self.notes),
            names=list(self.names),
            identifiers=list(self.identifiers),
        )
        return replace(base, **changes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (counts, demographics; no free text)."""
        age = self.age()
        return {
            "patient_id": self.patient_id,
            "age": None if age is None else round(age, 1),
            "sex": self.sex,
            "race": self.race,
            "ethnicity": self.ethnicity,
            "conditions": len(self.conditions),
            "medications": len(self.medications),
            "observations": len(self.observations),
            "notes": len(self.notes),
        }
