"""Criterion-level assessment: met / not met / not enough information, with the evidence.

Computable checks are evaluated against the structured record first (FHIR or SDTM facts,
with the resource that decided named as evidence), then against the note (ConText
flags: a negated mention is evidence of absence; hypothetical, possible and family
mentions are not evidence of presence). Rules, stated once:

* a missing fact is "not enough information" — except a diagnosis absent from a
  structured record that holds coded history, which is "not met" (the record is taken as
  the complete problem list);
* a qualifier in the criterion ("severe", "uncontrolled") must appear with the patient's
  evidence, or the verdict is "not enough information";
* units that do not convert give "not enough information" with the reason;
* items combine with ``all`` (inclusion) or ``any`` (exclusion); a negated item ("No
  prior taxanes") swaps met and not met;
* a text criterion without a computable check is "not enough information" unless the
  optional LLM backend judges it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, Literal

from pharmakon.patients.records.model import Coded, Measurement, PatientRecord
from pharmakon.trials.matching.checks import Check, ParsedCriterion, number
from pharmakon.trials.matching.context import NoteIndex
from pharmakon.trials.matching.lexicon import BROADER, CONCEPT_CODES, LABS, SCORES, concepts_in_text
from pharmakon.trials.matching.units import UnitError, convert

__all__ = ["Verdict", "Assessment", "assess_criterion", "MET", "NOT_MET", "NEI", "conditions_concepts"]

Verdict = Literal["met", "not met", "not enough information"]
MET: Verdict = "met"
NOT_MET: Verdict = "not met"
NEI: Verdict = "not enough information"


@dataclass(frozen=True)
class Assessment:
    """The verdict on one criterion for one patient, the evidence, and the kind of check used."""

    text: str
    type: str
    verdict: Verdict
    evidence: str
    kind: str

    def to_dict(self) -> dict[str, Any]:
        """The contract's criterion item: text, type, verdict, evidence."""
        return {"text": self.text, "type": self.type, "verdict": self.verdict, "evidence": self.evidence}


def conditions_concepts(item: Coded) -> set[str]:
    """Lexicon concepts a coded condition stands for (by code, then by its display text), with broader ones."""
    return set(_concepts_of(item.code, item.display, item.category))


@lru_cache(maxsize=65536)
def _concepts_of(code: str | None, display: str, category: str | None) -> frozenset[str]:
    # cached: a record's conditions are looked up once per criterion, and records repeat them
    found = set()
    if code:
        if code in CONCEPT_CODES:
            found.add(CONCEPT_CODES[code])
        elif code[:3] in CONCEPT_CODES:
            found.add(CONCEPT_CODES[code[:3]])
    found |= concepts_in_text(f"{display} {category or ''}")
    for c in list(found):
        found.update(BROADER.get(c, ()))
    return frozenset(found)


@lru_cache(maxsize=65536)
def _med_words(display: str) -> tuple[str, ...]:
    return tuple(re.findall(r"[a-z][a-z-]{3,}", display.lower())[:2])


def _within(
    when: date | None, ref: date | None, window_days: float | None, end: date | None = None, active: bool = False
) -> bool:
    """Whether a fact falls in the window ending at ``ref``: started in it, ended in it, or still active."""
    if window_days is None or ref is None:
        return True
    since = ref - timedelta(days=window_days)
    if when is not None and since <= when <= ref:
        return True
    if end is not None and end >= since:
        return True
    return active and (when is None or when <= ref)


def _fmt(item: Coded | Measurement) -> str:
    value = ""
    if isinstance(item, Measurement):
        value = f" = {item.value:g} {item.unit or ''}".rstrip() if item.value is not None else f" = {item.text}"
    when = f" ({item.date.isoformat()})" if item.date else ""
    return f"{item.source or 'record'}: {item.display}{value}{when}"


# ---------------------------------------------------------------- single checks


def _age(patient: PatientRecord, p: dict[str, Any]) -> tuple[Verdict, str]:
    age = patient.age()
    if age is None:
        return NEI, "age not recorded"
    lo, hi = p.get("low"), p.get("high")
    ok = (lo is None or age >= lo - 1e-6) and (hi is None or age < hi + 1)
    return (MET if ok else NOT_MET), f"age {age:.0f} years"


def _sex(patient: PatientRecord, p: dict[str, Any]) -> tuple[Verdict, str]:
    if patient.sex is None:
        return NEI, "sex not recorded"
    return (MET if patient.sex == p["sex"] else NOT_MET), f"sex {patient.sex}"


def _pregnancy(patient: PatientRecord, note: NoteIndex | None) -> tuple[Verdict, str]:
    if patient.pregnant:
        return MET, "pregnancy recorded"
    if patient.sex == "male":
        return NOT_MET, "sex male"
    for concept in ("pregnancy", "lactation"):
        for m in note.concept(concept) if note else []:
            if m.affirmed and not m.historical:
                return MET, m.to_evidence()
            if m.negated:
                return NOT_MET, m.to_evidence()
    age = patient.age()
    if patient.sex == "female" and age is not None and (age > 55 or age < 10):
        return NOT_MET, f"female aged {age:.0f}: not of childbearing age"
    if patient.structured:
        return NOT_MET, "no pregnancy recorded"
    return NEI, "pregnancy status not stated"


def _concept(patient: PatientRecord, note: NoteIndex | None, p: dict[str, Any]) -> tuple[Verdict, str]:
    wanted = set(p["concepts"])
    qualifier, ref = p.get("qualifier"), patient.as_of()
    for item in patient.conditions:
        active = item.status == "active"
        if wanted & conditions_concepts(item) and _within(item.date, ref, p.get("window_days"), item.end, active):
            if p.get("current") and (item.end is not None or item.status in ("resolved", "inactive")):
                continue
            if qualifier and qualifier not in item.display.lower():
                return NEI, f"{_fmt(item)}; '{qualifier}' not recorded"
            return MET, _fmt(item)
    negated = None
    if note is not None:
        for m in note.mentions:
            if m.concept not in wanted and not wanted & set(BROADER.get(m.concept, ())):
                continue
            if m.affirmed and not (p.get("current") and m.historical):
                if qualifier and qualifier not in m.sentence.lower():
                    return NEI, f"{m.to_evidence()}; '{qualifier}' not stated"
                return MET, m.to_evidence()
            if m.negated and negated is None:
                negated = m
    if negated is not None:
        return NOT_MET, negated.to_evidence()
    if patient.conditions:
        return NOT_MET, f"no {'/'.join(sorted(wanted))} among {len(patient.conditions)} recorded conditions"
    return NEI, f"{'/'.join(sorted(wanted))} not mentioned"


def _matches(m: Measurement, names: tuple[str, ...], codes: tuple[str, ...]) -> bool:
    if m.code and m.code in codes:
        return True
    display = f" {re.sub(r'[^a-z0-9]+', ' ', m.display.lower())} "
    return any(f" {re.sub(r'[^a-z0-9]+', ' ', n)} " in display for n in names)


def _latest(
    patient: PatientRecord, names: tuple[str, ...], codes: tuple[str, ...], window: float | None
) -> Measurement | None:
    ref = patient.as_of()
    hits = [m for m in patient.observations if _matches(m, names, codes) and _within(m.date, ref, window)]
    hits = [m for m in hits if m.value is not None]
    return max(hits, key=lambda m: m.date or date.min) if hits else None


def _note_value(note: NoteIndex | None, names: tuple[str, ...]) -> tuple[float, str | None, str] | None:
    if note is None:
        return None
    alts = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    m = re.search(
        rf"(?<![\w-])(?:{alts})\b[^0-9.;\n]{{0,20}}?(\d+(?:\.\d+)?)\s*(%|[a-zA-Zµμ]+/[a-zA-Zµμ0-9.^²]+)?",
        note.text,
        re.I,
    )
    if not m:
        return None
    start = note.text.rfind(".", 0, m.start()) + 1
    end = note.text.find(".", m.end())
    return float(m.group(1)), m.group(2), f'"{note.text[start : end if end > 0 else None].strip()}"'


def _compare(value: float, op: str, v1: float, v2: float | None) -> bool:
    return {
        "ge": value >= v1,
        "gt": value > v1,
        "le": value <= v1,
        "lt": value < v1,
        "eq": abs(value - v1) < 1e-9,
        "range": v2 is not None and v1 <= value <= v2,
    }[op]


def _implicit_unit(analyte: str, value: float, canonical: str) -> str:
    # "platelets at least 100,000" is per mm3; "ANC >= 1.5" is x10^9/L
    if canonical == "1e9/L" and value >= 500:
        return "1/mm**3"
    return canonical


def _lab(patient: PatientRecord, note: NoteIndex | None, p: dict[str, Any]) -> tuple[Verdict, str]:
    names, canonical, codes = LABS[p["analyte"]]
    m = _latest(patient, names, codes, p.get("window_days"))
    if m is not None:
        value, unit, evidence, low, high, interp = (
            m.value,
            m.unit,
            _fmt(m),
            m.low,
            m.high,
            (m.interpretation or "").upper(),
        )
    elif (found := _note_value(note, names)) is not None:
        value, unit, evidence = found
        low = high = None
        interp = ""
    else:
        return NEI, f"no {p['analyte']} value recorded"
    assert value is not None
    if ref := p.get("ref"):
        # the laboratory's own flag wins over the range (values at the limit are rounded in reports)
        above = interp.startswith("H") if interp else high is not None and value > high
        below = interp.startswith("L") if interp else low is not None and value < low
        if not interp and high is None and low is None:
            return NEI, f"{evidence}; no reference range"
        hit = {"above": above, "below": below, "outside": above or below, "within": not (above or below)}[ref]
        return (MET if hit else NOT_MET), f"{evidence} [{low}-{high}]"
    if p.get("uln"):
        if high is None:
            return NEI, f"{evidence}; upper limit of normal not recorded"
        return (MET if _compare(value, p["op"], p["value"] * high, None) else NOT_MET), f"{evidence}; ULN {high:g}"
    target = p.get("unit") or _implicit_unit(p["analyte"], p["value"], canonical)
    try:
        converted = convert(value, unit or canonical, target, p["analyte"])
    except UnitError as exc:
        return NEI, f"{evidence}; {exc}"
    ok = _compare(converted, p["op"], p["value"], p.get("value2"))
    return (MET if ok else NOT_MET), evidence


def _score(patient: PatientRecord, note: NoteIndex | None, p: dict[str, Any]) -> tuple[Verdict, str]:
    names, codes = SCORES[p["score"]]
    m = _latest(patient, names, codes, None)
    if m is not None:
        value, evidence = m.value, _fmt(m)
    elif (found := _note_value(note, names)) is not None:
        value, _, evidence = found
    else:
        return NEI, f"no {p['score']} score recorded"
    assert value is not None
    return (MET if _compare(value, p["op"], p["value"], p.get("value2")) else NOT_MET), evidence


def _medication(patient: PatientRecord, p: dict[str, Any]) -> tuple[Verdict, str]:
    terms, ref = set(p["terms"]), patient.as_of()
    for med in patient.medications:
        words = _med_words(med.display)
        active = med.status == "active" and med.end is None
        if any(w in terms for w in words) and _within(med.date, ref, p.get("window_days"), med.end, active):
            return MET, _fmt(med)
    return NEI, "no listed medication found in the record"


def assess_check(check: Check, patient: PatientRecord, note: NoteIndex | None) -> tuple[Verdict, str]:
    """Verdict and evidence of one check."""
    p = check.params
    if check.kind == "age":
        return _age(patient, p)
    if check.kind == "sex":
        return _sex(patient, p)
    if check.kind == "pregnancy":
        verdict, evidence = _pregnancy(patient, note)
        if p.get("absent") and verdict != NEI:  # "non-pregnant women": met when not pregnant
            verdict = NOT_MET if verdict == MET else MET
        return verdict, evidence
    if check.kind == "concept":
        return _concept(patient, note, p)
    if check.kind == "lab":
        return _lab(patient, note, p)
    if check.kind == "score":
        return _score(patient, note, p)
    if check.kind == "medication":
        return _medication(patient, p)
    return NEI, f"unknown check {check.kind}"


def _combine(verdicts: list[Verdict], how: str) -> Verdict:
    if how == "all":
        if NOT_MET in verdicts:
            return NOT_MET
        return MET if all(v == MET for v in verdicts) else NEI
    if MET in verdicts:
        return MET
    return NOT_MET if all(v == NOT_MET for v in verdicts) else NEI


def assess_criterion(parsed: ParsedCriterion, patient: PatientRecord, note: NoteIndex | None) -> Assessment:
    """The verdict on one parsed criterion for one patient (``note``: the patient's notes, read once)."""
    crit = parsed.criterion
    if not parsed.checks:
        return Assessment(crit.text, crit.type, NEI, "text criterion: no computable check", "text")
    results = [assess_check(c, patient, note) for c in parsed.checks]
    verdict = _combine([v for v, _ in results], parsed.combine)
    if parsed.negated and verdict != NEI:
        verdict = NOT_MET if verdict == MET else MET
    evidence = "; ".join(dict.fromkeys(e for _, e in results if e))
    kind = "+".join(dict.fromkeys(c.kind for c in parsed.checks))
    return Assessment(crit.text, crit.type, verdict, evidence[:1000], kind)


__all__ += ["assess_check", "number"]
