"""Trials for a patient: parse each trial once, assess its criteria, score, rank.

The trial score combines topical relevance and eligibility, and a decisive verdict
dominates it:

``score = 0.5 * relevance + 0.5 * (inclusion met share) - 0.25 * (exclusion met share) - 1 * decisive``

where ``relevance`` is the mean of the first-stage score (BM25 by default; dense cosine
or RRF with ``--retriever``) divided by the best such score among the candidates of this
patient (0..1) and a topical match (1 when a condition the
patient has, coded or affirmed in the notes, is one the trial is about), the shares count items of each type, and
``decisive`` is 1 when any inclusion is "not met" or any exclusion is "met". A
decisive trial therefore ranks below every trial without one, whatever its relevance.
The structured eligibility fields (minimum/maximum age, sex) are assessed as inclusion
items "Minimum age: ...", "Maximum age: ...", "Sex: ...".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pharmakon.patients.records.model import PatientRecord
from pharmakon.trials.matching.assess import MET, NEI, NOT_MET, Assessment, assess_criterion
from pharmakon.trials.matching.checks import Check, ParsedCriterion, parse_criterion
from pharmakon.trials.matching.context import NoteIndex, note_index
from pharmakon.trials.matching.criteria import Criterion, split_criteria
from pharmakon.trials.matching.documents import Trial
from pharmakon.trials.matching.lexicon import concepts_in_text
from pharmakon.trials.matching.retrieval import Retriever, top_k

__all__ = [
    "ParsedTrial",
    "parse_trial",
    "assess_trial",
    "trial_score",
    "RankedTrial",
    "rank_trials",
    "WEIGHTS",
    "patient_concepts",
    "trial_concepts",
]

NO_CRITERIA = "(no eligibility criteria text in the trial record)"
#: Score weights: relevance, inclusion met share, exclusion met share, decisive verdict.
WEIGHTS = {"relevance": 0.5, "inclusion": 0.5, "exclusion": 0.25, "decisive": 1.0}


@dataclass
class ParsedTrial:
    """A trial with its criteria split and parsed (``criteria`` in order; structured fields first)."""

    trial: Trial
    criteria: list[ParsedCriterion]
    notes: list[str] = field(default_factory=list)
    target: frozenset[str] = frozenset()


def _structured(trial: Trial) -> list[ParsedCriterion]:
    out = []
    if trial.min_age is not None:
        c = Criterion(f"Minimum age: {trial.min_age:g} years", "inclusion", None, -3)
        out.append(ParsedCriterion(c, (Check("age", {"low": trial.min_age}),), "all", False))
    if trial.max_age is not None:
        c = Criterion(f"Maximum age: {trial.max_age:g} years", "inclusion", None, -2)
        out.append(ParsedCriterion(c, (Check("age", {"high": trial.max_age}),), "all", False))
    if trial.sex in ("male", "female"):
        c = Criterion(f"Sex: {trial.sex}", "inclusion", None, -1)
        out.append(ParsedCriterion(c, (Check("sex", {"sex": trial.sex}),), "all", False))
    return out


def parse_trial(trial: Trial) -> ParsedTrial:
    """Split and parse a trial's criteria (structured age/sex fields as the first items)."""
    items = split_criteria(trial.criteria_text)
    target = frozenset(trial_concepts(trial))
    parsed = [parse_criterion(c, target) for c in items]
    notes = []
    if not items:
        # without its criteria a trial cannot make anyone eligible: one undecidable item says so
        notes.append(f"{trial.nct_id}: no eligibility criteria text")
        parsed = [ParsedCriterion(Criterion(NO_CRITERIA, "inclusion"), (), "all", False)]
    return ParsedTrial(trial, _structured(trial) + parsed, notes, target)


def trial_concepts(trial: Trial) -> set[str]:
    """The condition concepts a trial is about (its conditions and title)."""
    return concepts_in_text(" ; ".join([trial.title, *trial.conditions]))


def assess_trial(
    parsed: ParsedTrial, patient: PatientRecord, note: NoteIndex | None = None, llm: Any = None
) -> list[Assessment]:
    """Verdicts of every criterion of ``parsed`` for ``patient``.

    ``llm``: an optional :class:`~pharmakon.trials.matching.llm.LLMJudge` asked about text
    criteria left at "not enough information".
    """
    if note is None and patient.notes:
        note = note_index(patient.text())
    out = [assess_criterion(c, patient, note) for c in parsed.criteria]
    if llm is not None and patient.notes:
        out = [
            Assessment(a.text, a.type, *llm.judge(a.text, patient), "llm")
            if a.kind == "text" and a.verdict == NEI
            else a
            for a in out
        ]
    return out


def trial_score(assessments: Sequence[Assessment], relevance: float) -> float:
    """Trial score (module docstring); higher is better."""
    inc = [a for a in assessments if a.type == "inclusion"]
    exc = [a for a in assessments if a.type == "exclusion"]
    inc_met = sum(a.verdict == MET for a in inc) / len(inc) if inc else 0.0
    exc_met = sum(a.verdict == MET for a in exc) / len(exc) if exc else 0.0
    decisive = any(a.verdict == NOT_MET for a in inc) or any(a.verdict == MET for a in exc)
    w = WEIGHTS
    return w["relevance"] * relevance + w["inclusion"] * inc_met - w["exclusion"] * exc_met - w["decisive"] * decisive


@dataclass
class RankedTrial:
    """One trial in a patient's ranking."""

    nct_id: str
    score: float
    relevance: float
    criteria: list[Assessment]

    def to_dict(self) -> dict[str, Any]:
        """The contract's ranking item: nct_id, score, criteria."""
        return {"nct_id": self.nct_id, "score": round(self.score, 6), "criteria": [a.to_dict() for a in self.criteria]}


class LazyParsed(Sequence[ParsedTrial]):
    """Trials parsed on first use (retrieval touches a few of a large collection), then cached."""

    def __init__(self, trials: Sequence[Trial]) -> None:
        self.trials = trials
        self._cache: dict[int, ParsedTrial] = {}

    def __len__(self) -> int:
        return len(self.trials)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i not in self._cache:
            self._cache[i] = parse_trial(self.trials[i])
        return self._cache[i]


def patient_concepts(patient: PatientRecord, note: NoteIndex | None) -> set[str]:
    """Concepts the patient has: coded conditions, and affirmed (not family) mentions in the notes."""
    from pharmakon.trials.matching.assess import conditions_concepts
    from pharmakon.trials.matching.lexicon import BROADER

    found = set().union(*(conditions_concepts(c) for c in patient.conditions)) if patient.conditions else set()
    for m in note.mentions if note is not None else []:
        if m.affirmed:
            found.add(m.concept)
            found.update(BROADER.get(m.concept, ()))
    return found


def rank_trials(
    patient: PatientRecord,
    parsed: Sequence[ParsedTrial],
    index: Retriever,
    *,
    mode: str = "rerank",
    top: int | None = None,
    candidates: int = 50,
    llm: Any = None,
) -> list[RankedTrial]:
    """A patient's ranked trials.

    Parameters
    ----------
    parsed : sequence of ParsedTrial
        The collection, in the order ``index`` was built with.
    index : Retriever
        First-stage index over the same collection (BM25, dense or hybrid,
        :func:`~pharmakon.trials.matching.retrieval.make_index`).
    mode : {"rerank", "retrieve"}
        ``rerank``: every trial is assessed and ranked; ``retrieve``: the index picks the
        ``candidates`` best, which are assessed and ranked.
    top : int, optional
        Keep the ``top`` best (all if ``None``).
    """
    query = patient.text()
    scores = index.scores(query)
    if mode == "rerank":
        pool = list(range(len(parsed)))
    else:
        pool = [i for i, _ in top_k(scores, candidates)]  # from the scores above: computed once
    best = max((scores[i] for i in pool), default=0.0) or 1.0
    note = note_index(query) if query else None
    has = patient_concepts(patient, note)
    ranked = []
    for i in pool:
        topical = 1.0 if has & parsed[i].target else 0.0
        relevance = 0.5 * float(scores[i]) / best + 0.5 * topical
        assessments = assess_trial(parsed[i], patient, note, llm)
        ranked.append(RankedTrial(parsed[i].trial.nct_id, trial_score(assessments, relevance), relevance, assessments))
    ranked.sort(key=lambda r: (-r.score, r.nct_id))
    return ranked[:top] if top else ranked
