"""Patients for a trial: per-criterion verdicts, the eligible cohort and the screening funnel.

A patient is *eligible* when every inclusion item is "met" and every exclusion item is
"not met". A patient with a decisive verdict (an inclusion "not met" or an exclusion
"met") is *excluded*. Anyone else has at least one "not enough information" and is
*undetermined*: never counted as eligible, listed apart for a coordinator to review.

The funnel walks the criteria in the trial's order: each row says how many of the
patients still in the cohort that criterion removed (decisively) and how many remain;
a last row removes the undetermined, leaving the eligible.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pharmakon.patients.records.model import PatientRecord
from pharmakon.trials.matching.assess import MET, NEI, NOT_MET, Assessment
from pharmakon.trials.matching.context import note_index
from pharmakon.trials.matching.matcher import ParsedTrial, assess_trial

__all__ = ["Cohort", "screen_patients", "decisive", "UNDETERMINED_ROW"]

UNDETERMINED_ROW = "(not enough information on at least one criterion)"


def decisive(a: Assessment) -> bool:
    """Whether a verdict rules the patient out (inclusion not met, exclusion met)."""
    return (a.type == "inclusion" and a.verdict == NOT_MET) or (a.type == "exclusion" and a.verdict == MET)


@dataclass
class Cohort:
    """Screening of patients against one trial."""

    nct_id: str
    patient_ids: list[str]
    assessments: dict[str, list[Assessment]]
    eligible: list[str]
    undetermined: list[str]
    excluded: list[str]
    funnel: list[dict[str, Any]]

    def items(self) -> list[dict[str, Any]]:
        """One item per patient and criterion (patient_id, criterion, type, verdict, evidence)."""
        return [
            {"patient_id": pid, "criterion": a.text, "type": a.type, "verdict": a.verdict, "evidence": a.evidence}
            for pid in self.patient_ids
            for a in self.assessments[pid]
        ]

    def passes(self, index: int) -> list[bool]:
        """Per patient: whether criterion ``index`` did not rule them out."""
        return [not decisive(self.assessments[pid][index]) for pid in self.patient_ids]


def _funnel(
    texts: list[str], table: dict[str, list[Assessment]], ids: Sequence[str]
) -> tuple[list[dict[str, Any]], list[str]]:
    remaining = list(ids)
    rows = []
    for j, text in enumerate(texts):
        kept = [pid for pid in remaining if not decisive(table[pid][j])]
        rows.append({"criterion": text, "removed": len(remaining) - len(kept), "remaining": len(kept)})
        remaining = kept
    return rows, remaining


def screen_patients(parsed: ParsedTrial, patients: Sequence[PatientRecord], llm: Any = None) -> Cohort:
    """Assess every patient against every criterion of ``parsed``; eligible, undetermined, excluded, funnel."""
    table: dict[str, list[Assessment]] = {}
    for p in patients:
        note = note_index(p.text()) if p.notes else None
        table[p.patient_id] = assess_trial(parsed, p, note, llm)
    ids = [p.patient_id for p in patients]
    texts = [c.criterion.text for c in parsed.criteria]
    rows, survivors = _funnel(texts, table, ids)
    undetermined = [pid for pid in survivors if any(a.verdict == NEI for a in table[pid])]
    eligible = [pid for pid in survivors if pid not in set(undetermined)]
    rows.append({"criterion": UNDETERMINED_ROW, "removed": len(undetermined), "remaining": len(eligible)})
    excluded = [pid for pid in ids if pid not in set(survivors)]
    return Cohort(parsed.trial.nct_id, ids, table, eligible, undetermined, excluded, rows)
