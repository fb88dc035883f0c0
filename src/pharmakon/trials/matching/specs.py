"""Request specs of patient-trial matching (defaults and bounds defined here, once)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pharmakon.specs import Spec

__all__ = [
    "PatientNote",
    "MatchTrialsSpec",
    "MatchPatientsSpec",
    "EvalSpec",
    "SaveTrialsSpec",
    "MAX_PATIENTS",
    "MAX_INLINE_TRIALS",
    "MAX_RESOURCES",
    "NAME_PATTERN",
]

MAX_PATIENTS = 10_000
MAX_INLINE_TRIALS = 20_000
MAX_RESOURCES = 200_000
MAX_NOTE_CHARS = 100_000
NAME_PATTERN = r"^[A-Za-z0-9_.:@+-]{1,100}$"
#: First-stage retrievers (dense and hybrid need the ``deep`` extra).
Retriever = Literal["bm25", "dense", "hybrid"]


class PatientNote(BaseModel):
    """One patient as a free-text note: ``{"_id", "text"}`` (the layout of TREC/SIGIR ``queries.jsonl``)."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    id: str = Field(alias="_id", min_length=1, max_length=200)
    text: str = Field(max_length=MAX_NOTE_CHARS)


class _LLMOptions(Spec):
    llm_url: str | None = Field(
        None, max_length=500, description="OpenAI-compatible endpoint for text criteria (off when not given)."
    )
    llm_model: str = Field("local-model", max_length=200, description="Model name sent to the LLM endpoint.")


class MatchTrialsSpec(_LLMOptions):
    """Trials for each patient: retrieve/re-rank, assess every criterion, score and rank.

    Patients come from ``patients_file`` (JSON lines) or ``patients``; trials from
    ``trials_file`` (JSON lines: TREC flattened or ClinicalTrials.gov API v2 studies),
    ``trials`` (the same objects) or ``collection`` (a stored trial collection).
    """

    what: ClassVar[str] = "match trials spec"

    patients_file: Path | None = None
    patients: list[PatientNote] | None = Field(None, max_length=MAX_PATIENTS)
    trials_file: Path | None = None
    trials: list[dict[str, Any]] | None = Field(None, max_length=MAX_INLINE_TRIALS)
    collection: str | None = Field(None, pattern=NAME_PATTERN)
    mode: Literal["rerank", "retrieve"] = Field(
        "rerank", description="rerank: rank every trial; retrieve: BM25 top candidates."
    )
    top: int | None = Field(None, ge=1, le=10_000, description="Trials kept per patient (all when not given).")
    candidates: int = Field(50, ge=1, le=5_000, description="Candidates assessed per patient in retrieve mode.")
    retriever: Retriever = Field(
        "bm25", description="First stage: bm25, dense (WordLlama, deep extra) or hybrid (RRF of both, k=60)."
    )
    deidentify: bool = Field(True, description="Safe Harbor de-identification of the notes before matching.")
    name: str = Field("trial-match", pattern=NAME_PATTERN, description="Name the result is stored under.")

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.patients_file is None) == (self.patients is None):
            raise ValueError("give the patients as a file or as a list (exactly one)")
        if sum(x is not None for x in (self.trials_file, self.trials, self.collection)) != 1:
            raise ValueError("give the trials as a file, a list or a stored collection name (exactly one)")
        return self


class MatchPatientsSpec(_LLMOptions):
    """Patients for one trial: every patient against every criterion, the eligible cohort, funnel and equity.

    The trial comes from ``trial_file`` (ClinicalTrials.gov API v2 JSON) or ``trial``;
    the patients from ``patients_path`` (a FHIR bulk-export folder, NDJSON file or
    Bundle) or ``resources`` (FHIR resources as JSON objects).
    """

    what: ClassVar[str] = "match patients spec"

    trial_file: Path | None = None
    trial: dict[str, Any] | None = None
    patients_path: Path | None = None
    resources: list[dict[str, Any]] | None = Field(None, max_length=MAX_RESOURCES)
    deidentify: bool = Field(True, description="Safe Harbor de-identification of the records before matching.")
    pseudonymize: bool = Field(False, description="Replace patient ids by keyed pseudonyms in the output.")
    max_notes: int = Field(3, ge=0, le=100, description="Latest notes (DocumentReference) kept per patient.")
    min_group: int = Field(10, ge=1, le=10_000, description="Smallest group the equity view warns about.")
    name: str = Field("patient-match", pattern=NAME_PATTERN, description="Name the result is stored under.")

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.trial_file is None) == (self.trial is None):
            raise ValueError("give the trial as a file or as an object (exactly one)")
        if (self.patients_path is None) == (self.resources is None):
            raise ValueError("give the patients as a path or as FHIR resources (exactly one)")
        return self


class EvalSpec(Spec):
    """Ranking quality on a public collection, the matcher beside BM25 in the same run."""

    what: ClassVar[str] = "match eval spec"

    collection: Literal["trec2021", "sigir2016"] = "trec2021"
    mode: Literal["rerank", "retrieve"] = Field(
        "rerank", description="rerank: each patient's judged trials; retrieve: the retriever's best of the collection."
    )
    retriever: Retriever = Field("bm25", description="The matcher's first stage (bm25, dense, hybrid).")
    candidates: int = Field(25, ge=1, le=5_000, description="Candidates the matcher assesses in retrieve mode.")
    data: Path | None = Field(None, description="Data mirror folder (default: settings, then ../shared/data).")


class SaveTrialsSpec(Spec):
    """Store a trial collection (a new version of ``name``)."""

    what: ClassVar[str] = "save trials spec"

    trials_file: Path | None = None
    trials: list[dict[str, Any]] | None = Field(None, max_length=MAX_INLINE_TRIALS)
    name: str = Field(pattern=NAME_PATTERN)

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.trials_file is None) == (self.trials is None):
            raise ValueError("give the trials as a file or as a list (exactly one)")
        return self
