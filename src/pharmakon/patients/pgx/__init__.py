"""Pharmacogenomics: VCF -> star-allele diplotypes -> phenotypes -> CPIC/DPWG advice; IWPC warfarin.

Calls follow PharmCAT's documented matching rules on its GRCh38 allele definitions
(re-implemented, no PharmCAT code). See :mod:`pharmakon.patients.pgx.matcher`.
Results are typed (:mod:`pharmakon.patients.pgx.models`); the audited use cases that the
CLI, the REST API and the workbench share live in :mod:`pharmakon.patients.pgx.service`.
"""

from pharmakon.patients.pgx.batch import call_batch
from pharmakon.patients.pgx.definitions import GENES, load_definition, load_phenotypes
from pharmakon.patients.pgx.fairness import coverage_by_group, warfarin_coverage, warfarin_mae_by_group
from pharmakon.patients.pgx.matcher import GeneCall, diplotype_name, match_gene
from pharmakon.patients.pgx.models import GeneResult, Recommendation, SampleReport
from pharmakon.patients.pgx.phenotype import phenotype_of, read_outside_calls
from pharmakon.patients.pgx.recommendations import recommend
from pharmakon.patients.pgx.report import call_vcf, report_html, sample_report, write_reports
from pharmakon.patients.pgx.synth import write_synthetic_vcf
from pharmakon.patients.pgx.warfarin import cpic_warfarin_notes, dose_cohort, iwpc_mae, read_cohort, write_doses

__all__ = [
    "GENES",
    "GeneCall",
    "GeneResult",
    "Recommendation",
    "SampleReport",
    "call_batch",
    "call_vcf",
    "coverage_by_group",
    "cpic_warfarin_notes",
    "diplotype_name",
    "dose_cohort",
    "iwpc_mae",
    "load_definition",
    "load_phenotypes",
    "match_gene",
    "phenotype_of",
    "read_cohort",
    "read_outside_calls",
    "recommend",
    "report_html",
    "sample_report",
    "warfarin_coverage",
    "warfarin_mae_by_group",
    "write_doses",
    "write_reports",
    "write_synthetic_vcf",
]
