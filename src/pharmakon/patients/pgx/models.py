"""Typed PGx results: one gene's call, one sample's report, one recommendation.

:class:`GeneResult` is written once, here, and used by every face of a call: the
sample report (``pharmakon pgx call --json``, ``<sample>.json``, the REST response,
the workbench page, the stored ``pgx_report``), the report's ``summary.tsv`` rows and
the batch TSV rows (:meth:`GeneResult.batch_row`).
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import pandas as pd
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from pharmakon.patients.pgx.phenotype import format_score, no_phenotype_reason
from pharmakon.results import Result

__all__ = [
    "BATCH_COLUMNS",
    "STATUSES",
    "TSV_COLUMNS",
    "Candidate",
    "Number",
    "GeneResult",
    "Recommendation",
    "RefMismatch",
    "SampleReport",
]

STATUSES = ("called", "uncertain", "incomplete", "not called")
"""Batch status of one gene call, from best to worst (see :attr:`GeneResult.status`)."""
BATCH_COLUMNS = ["sample", "gene", "diplotypes", "phenotype", "activity_score", "status", "n_missing", "n_ref_mismatch"]
"""Columns of the batch TSV (one row per sample and gene)."""
TSV_COLUMNS = [
    "sample",
    "gene",
    "diplotypes",
    "phenotype",
    "activity_score",
    "source",
    "n_candidates",
    "missing_positions",
    "not_called_reason",
]
"""Columns of a report's ``summary.tsv`` and of :meth:`SampleReport.to_frame`."""

Status = Literal["called", "uncertain", "incomplete", "not called"]


def _nan_to_none(value: object) -> object:
    return None if isinstance(value, float) and math.isnan(value) else value


Number = Annotated[float | None, BeforeValidator(_nan_to_none)]
"""A float that is None where pandas says NaN (JSON has no NaN)."""
Text = Annotated[str | None, BeforeValidator(_nan_to_none)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Candidate(_Model):
    """A diplotype that matches the sample's genotypes, with its match score."""

    diplotype: str
    score: int


class RefMismatch(_Model):
    """A defined position left out because the VCF's REF disagrees with GRCh38."""

    position: int
    vcf_ref: str
    grch38_ref: str


class GeneResult(_Model):
    """One gene of one sample: the call, its phenotype and the evidence behind it.

    ``phenotype`` and ``activity_score`` are set when every tied diplotype agrees (or,
    for phenotypes, joined with " or " when they do not); ``phenotypes``,
    ``functions`` and ``lookup_keys`` list them per diplotype. The matching evidence
    (``score`` to ``ref_mismatches``) is empty for a call made outside pharmakon.
    """

    diplotypes: list[str] = Field(
        description="Best-scoring diplotypes ('A/B'); several when tied, empty when not called."
    )
    phenotype: str | None = Field(description="CPIC phenotype, e.g. 'Poor Metabolizer'.")
    activity_score: float | None = Field(description="CPIC activity score (activity-score genes).")
    functions: list[list[str | None]] = Field(description="Per diplotype, the two alleles' functions.")
    lookup_keys: list[str] = Field(description="Keys this call offers to the recommendation tables.")
    phenotypes: list[str | None] = Field(description="Per diplotype, its phenotype.")
    score: int | None = Field(None, description="Match score of the best diplotype (VCF calls).")
    candidates: list[Candidate] = Field(
        default_factory=list, description="Matching diplotypes with their scores, best first (at most 50)."
    )
    missing_positions: list[int] = Field(
        default_factory=list, description="Defined GRCh38 positions without a genotype in the VCF."
    )
    matched_positions: list[int] = Field(default_factory=list, description="Defined positions with a genotype.")
    phased: bool | None = Field(None, description="Whether the genotypes were phased (None: outside call).")
    lowest_function_rule: bool = Field(False, description="Whether PharmCAT's lowest-function rule picked the call.")
    not_called_reason: str | None = Field(None, description="Why no diplotype was called.")
    ref_mismatches: list[RefMismatch] = Field(
        default_factory=list, description="Positions left out: REF disagrees with GRCh38."
    )
    source: str = Field(description="'vcf' or 'outside call (row N)'.")
    caveat: str | None = Field(None, description="Set when an outside call replaced the VCF call.")

    @property
    def status(self) -> Status:
        """``called`` (one diplotype, nothing missing), ``uncertain`` (tied diplotypes),
        ``incomplete`` (called with defined positions missing) or ``not called``."""
        if not self.diplotypes:
            return "not called"
        if len(self.diplotypes) > 1:
            return "uncertain"
        return "incomplete" if self.missing_positions else "called"

    def batch_row(self, sample: str, gene: str) -> tuple:
        """The batch TSV row (:data:`BATCH_COLUMNS`)."""
        if not self.diplotypes:
            return (sample, gene, "", "", "", "not called", len(self.missing_positions), len(self.ref_mismatches))
        return (
            sample,
            gene,
            " OR ".join(self.diplotypes),
            self.phenotype or "",
            format_score(self.activity_score) or "",
            self.status,
            len(self.missing_positions),
            len(self.ref_mismatches),
        )

    def tsv_row(self, sample: str, gene: str) -> dict[str, Any]:
        """The report's ``summary.tsv`` row (:data:`TSV_COLUMNS`)."""
        return {
            "sample": sample,
            "gene": gene,
            "diplotypes": " OR ".join(self.diplotypes),
            "phenotype": self.phenotype or "",
            "activity_score": format_score(self.activity_score) or "",
            "source": self.source,
            "n_candidates": len(self.candidates),
            "missing_positions": ",".join(map(str, self.missing_positions)),
            "not_called_reason": self.not_called_reason or "",
        }


class Recommendation(_Model):
    """A CPIC or DPWG prescribing recommendation whose lookup key the sample satisfies."""

    source: str = Field(description="'CPIC' or 'DPWG'.")
    drug: str
    guideline: str
    guideline_id: str
    genes: str
    lookup: dict[str, str | dict[str, float]] = Field(description="Gene -> phenotype, activity score or allele counts.")
    population: Text
    classification: Text = Field(description="Strength of the recommendation.")
    recommendation: Text
    implications: Text
    dosing_change: bool | None = Field(
        None, description="The advice changes the dose (PharmGKB dosingInformation); None: not recorded."
    )
    alternative_drug: bool | None = Field(
        None, description="The advice names another drug (PharmGKB alternateDrugAvailable); None: not recorded."
    )

    @property
    def actionable(self) -> bool:
        """Whether the advice changes prescribing (a dose change or another drug).

        Reports stored before the flags were kept look them up in the recommendation table.
        """
        flags: tuple[bool | None, bool | None] | None = (self.dosing_change, self.alternative_drug)
        if flags == (None, None):
            from pharmakon.errors import PharmakonError
            from pharmakon.patients.pgx.recommendations import action_flags

            try:
                flags = action_flags(self.guideline_id, self.population, self.recommendation)
            except PharmakonError:  # the table cannot be read: show the row as not actionable
                flags = None
        return bool(flags and any(flags))

    @property
    def action(self) -> str:
        """The kind of action in words: 'another drug', 'dose change', both, or ''."""
        if not self.actionable:
            return ""
        kinds = [k for k, on in (("dose change", self.dosing_change), ("another drug", self.alternative_drug)) if on]
        return " / ".join(kinds) or "change prescribing"

    @property
    def guideline_url(self) -> str:
        """PharmGKB's page of the guideline annotation (with the CPIC / DPWG publication)."""
        from pharmakon.patients.pgx.recommendations import GUIDELINE_URL

        return GUIDELINE_URL.format(guideline_id=self.guideline_id)


class SampleReport(Result):
    """One sample's pharmacogenomic report: calls, phenotypes, advice and caveats."""

    sample: str
    genes: dict[str, GeneResult] = Field(description="Gene symbol -> result.")
    recommendations: list[Recommendation] = Field(description="Sorted by drug, source and population.")
    warfarin_notes: list[str] = Field(description="CPIC 2017 warfarin considerations.")
    caveats: list[str] = Field(description="What a reader must know: not called, ties, missing positions.")
    notes: list[str] = Field(description="What the reader did with the input (merged records, ignored rows).")

    def summary(self) -> str:
        lines = [f"PGx report {self.sample}"]
        for gene, r in sorted(self.genes.items()):
            call = " or ".join(r.diplotypes) or "not called"
            score = format_score(r.activity_score)
            extra = f", activity {score}" if score else ""
            phenotype = r.phenotype or ("(no CPIC phenotype)" if self.phenotype_note(gene) else "")
            lines.append(f"  {gene:<8} {call:<24} {phenotype}{extra}")
        act = self.actionable_recommendations()
        lines.append(f"  {len(self.recommendations)} recommendations, {len(act)} actionable")
        for r in act:
            text = r.recommendation or ""
            text = text if len(text) <= 120 else text[:119].rstrip() + "…"
            who = f", {r.population}" if r.population else ""
            lines.append(f"  act on {r.drug} ({r.source}{who}; {r.action}): {text}")
        lines += [f"  caveat: {c}" for c in self.caveats]
        return "\n".join(lines)

    def actionable_recommendations(self) -> list[Recommendation]:
        """Recommendations that change prescribing (dose or drug), in the report's order."""
        return [r for r in self.recommendations if r.actionable]

    def recommendations_by_action(self) -> list[Recommendation]:
        """All recommendations, those that change prescribing first (each part in the report's order)."""
        act = self.actionable_recommendations()
        return act + [r for r in self.recommendations if not r.actionable]

    def all_caveats(self) -> list[str]:
        """What the reader must know: caveats, CPIC warfarin notes and notes on the input."""
        return [*self.caveats, *self.warfarin_notes, *self.notes]

    def phenotype_note(self, gene: str) -> str | None:
        """Why a called gene shows no phenotype (None when it has one or was not called)."""
        r = self.genes[gene]
        if r.phenotype is not None or r.activity_score is not None:
            return None
        return no_phenotype_reason(gene, r.diplotypes, r.functions)

    def rows(self) -> list[dict[str, Any]]:
        """Summary rows, one per gene (:data:`TSV_COLUMNS`)."""
        return [r.tsv_row(self.sample, g) for g, r in sorted(self.genes.items())]

    def to_frame(self) -> pd.DataFrame:
        """One row per gene (:data:`TSV_COLUMNS`)."""
        return pd.DataFrame(self.rows(), columns=TSV_COLUMNS)
