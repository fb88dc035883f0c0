"""Per-sample PGx reports (:class:`~pharmakon.patients.pgx.models.SampleReport`): calls +
phenotypes + recommendations; JSON, TSV and HTML writers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from pharmakon.errors import InputError
from pharmakon.files import StagedFiles, staged_files
from pharmakon.patients.pgx.definitions import GENES, load_definition
from pharmakon.patients.pgx.matcher import GeneCall, match_gene
from pharmakon.patients.pgx.models import TSV_COLUMNS, GeneResult, SampleReport
from pharmakon.patients.pgx.phenotype import OutsideCall, Phenotype, format_score, phenotype_of, read_outside_calls
from pharmakon.patients.pgx.recommendations import recommend
from pharmakon.patients.pgx.vcf import GenotypeBlock, read_genotypes

__all__ = [
    "TSV_COLUMNS",
    "VCF_GENES",
    "block_calls",
    "call_vcf",
    "gene_result",
    "report_html",
    "sample_report",
    "write_reports",
]

VCF_GENES = tuple(g for g in GENES if g != "CYP2D6")
"""Genes called from the VCF by default; CYP2D6 needs copy number, so it comes from an outside call."""


def _one(values: set) -> object:
    return next(iter(values)) if len(values) == 1 else None


def _phenotypes(gene: str, diplotypes: list[str]) -> tuple[list[Phenotype], dict]:
    """Each diplotype's phenotype, and the per-diplotype fields of a :class:`GeneResult`."""
    phenos = [phenotype_of(gene, d) for d in diplotypes]
    return phenos, {
        "functions": [p.functions for p in phenos],
        "lookup_keys": sorted({p.lookup_key for p in phenos if p.lookup_key}),
        "phenotypes": [p.phenotype for p in phenos],
    }


def gene_result(call: GeneCall) -> GeneResult:
    """Result of one gene called from a VCF: diplotypes, phenotype, activity score and evidence."""
    phenos, fields = _phenotypes(call.gene, call.diplotypes)
    labels = {p.phenotype for p in phenos}
    # One validation of plain data (the batch calls this for every sample and gene).
    return GeneResult.model_validate(
        {
            "diplotypes": call.diplotypes,
            "phenotype": labels.pop() if len(labels) == 1 else (" or ".join(sorted(map(str, labels))) or None),
            "activity_score": _one({p.activity_score for p in phenos}),
            **fields,
            "score": call.score,
            "candidates": [{"diplotype": d, "score": s} for d, s in call.candidates[:50]],
            "missing_positions": call.missing_positions,
            "matched_positions": call.matched_positions,
            "phased": call.phased,
            "lowest_function_rule": call.lowest_function,
            "not_called_reason": call.not_called_reason,
            "ref_mismatches": [{"position": p, "vcf_ref": v, "grch38_ref": r} for p, v, r in call.ref_mismatches],
            "source": "vcf",
        }
    )


def _outside_result(oc: OutsideCall, caveat: str | None = None) -> GeneResult:
    """Result of one gene called outside pharmakon (no matching evidence)."""
    phenos, fields = _phenotypes(oc.gene, oc.diplotypes)
    labels = {p.phenotype for p in phenos} if phenos else {oc.phenotype}
    scores = {p.activity_score for p in phenos} if phenos else {oc.activity_score}
    return GeneResult(
        diplotypes=list(oc.diplotypes),
        phenotype=oc.phenotype or _one(labels),
        activity_score=oc.activity_score if oc.activity_score is not None else _one(scores),
        **fields,
        source=f"outside call (row {oc.row})",
        caveat=caveat,
    )


def _lookups(genes: dict[str, GeneResult]) -> dict[str, dict]:
    """What each called gene offers to the recommendation lookup (see ``recommend``)."""
    out: dict[str, dict] = {}
    for gene, r in genes.items():
        if not r.diplotypes and r.phenotype is None and r.activity_score is None:
            continue
        if len(r.diplotypes) > 1 and len(set(r.phenotypes)) > 1:
            continue  # ambiguous phenotype: no recommendation; the caveat says why
        phenotypes = {v for v in [*r.phenotypes, r.phenotype, *r.lookup_keys] if v}
        scores = {r.activity_score} if r.activity_score is not None else set()
        out[gene] = {"phenotypes": phenotypes, "scores": scores, "diplotypes": list(r.diplotypes)}
    return out


def sample_report(
    sample: str,
    calls: dict[str, GeneCall],
    outside: dict[str, OutsideCall] | None = None,
    notes: list[str] | None = None,
) -> SampleReport:
    """Assemble the report of one sample (the ``--json`` contract)."""
    genes = {g: gene_result(c) for g, c in calls.items()}
    for gene, oc in (outside or {}).items():
        replaced = gene in genes and bool(genes[gene].diplotypes)
        genes[gene] = _outside_result(oc, "outside call replaced the VCF call" if replaced else None)
    caveats = [f"{g}: not called: {r.not_called_reason}" for g, r in genes.items() if r.not_called_reason]
    caveats += [
        f"{g}: {len(r.diplotypes)} possible diplotypes ({', '.join(r.diplotypes)})"
        for g, r in genes.items()
        if len(r.diplotypes) > 1
    ]
    caveats += [
        f"{g}: REF disagrees with GRCh38 at {', '.join(str(m.position) for m in r.ref_mismatches)}"
        " (wrong genome build?); those positions were not used"
        for g, r in genes.items()
        if r.ref_mismatches
    ]
    caveats += [
        f"{g}: {len(r.missing_positions)} defined positions missing in the VCF"
        for g, r in genes.items()
        if r.missing_positions and r.diplotypes
    ]
    if "CYP2D6" not in genes:
        caveats.append("CYP2D6: not called: needs copy-number data; supply an outside call")
    from pharmakon.patients.pgx.warfarin import cpic_warfarin_notes

    return SampleReport(
        sample=sample,
        genes=genes,
        recommendations=recommend(_lookups(genes)),
        warfarin_notes=cpic_warfarin_notes({g: {"diplotypes": r.diplotypes} for g, r in genes.items()}),
        caveats=caveats,
        notes=list(notes or []),
    )


def block_calls(block: GenotypeBlock, s: int) -> dict[str, GeneCall]:
    """Every gene of sample ``s`` of a genotype block, called (REF mismatches attached)."""
    out = {}
    for gene in block.genes:
        gts, phased = block.genotypes(gene, s)
        call = match_gene(gene, gts, phased)
        bad = block.ref_mismatches.get(gene)
        if bad:
            variants = load_definition(gene).variants
            call = replace(
                call, ref_mismatches=tuple((variants[i].position, v, r) for i, (v, r) in sorted(bad.items()))
            )
        out[gene] = call
    return out


def call_vcf(
    path: Path | str,
    outside_call: Path | str | None = None,
    genes: tuple[str, ...] = VCF_GENES,
    samples: list[str] | None = None,
    reference: Path | str | None = None,
) -> Iterator[SampleReport]:
    """Yield one report per sample of a VCF (single- or multi-sample); ``reference``: optional GRCh38 FASTA."""
    ignored: list[str] = []
    outside = read_outside_calls(outside_call, ignored) if outside_call else None
    block = read_genotypes(path, genes, samples=samples, reference=reference)
    for s, name in enumerate(block.samples):
        yield sample_report(name, block_calls(block, s), outside, block.notes + ignored)


def report_html(report: SampleReport) -> str:
    """Stand-alone HTML page a pharmacist can read (gene table, advice, caveats)."""
    from pharmakon.reports import render

    return render(
        "pgx_sample_report.html",
        report=report,
        genes=sorted(report.genes.items()),
        caveats=[*report.caveats, *report.warfarin_notes],
        score=format_score,
    )


def write_reports(reports: list[SampleReport], out_dir: Path | str, *, staged: StagedFiles | None = None) -> list[Path]:
    """Write ``<sample>.json``, ``<sample>.html`` per sample and ``summary.tsv``; returns paths.

    With ``staged`` (:func:`pharmakon.files.staged_files`) the files are only staged: they
    appear when the caller's staging block ends (after its audit event); without, they
    appear together when this function returns, or not at all.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"output {out} exists and is not a folder", file=str(out))
    if staged is None:
        with staged_files() as own:
            return write_reports(reports, out, staged=own)
    written = []
    lines = ["\t".join(TSV_COLUMNS)]
    for rep in reports:
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in rep.sample)
        written.append(staged.write_text(out / f"{safe}.json", json.dumps(rep.to_dict(), indent=2)))
        written.append(staged.write_text(out / f"{safe}.html", report_html(rep)))
        lines += ["\t".join(str(r[c]) for c in TSV_COLUMNS) for r in rep.rows()]
    written.append(staged.write_text(out / "summary.tsv", "\n".join(lines) + "\n"))
    return written
