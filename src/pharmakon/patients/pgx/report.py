"""Per-sample PGx reports: calls + phenotypes + recommendations; JSON, TSV and HTML writers."""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from pharmakon.errors import InputError
from pharmakon.files import atomic_open
from pharmakon.patients.pgx.definitions import GENES, load_definition
from pharmakon.patients.pgx.matcher import GeneCall, match_gene
from pharmakon.patients.pgx.phenotype import OutsideCall, format_score, phenotype_of, read_outside_calls
from pharmakon.patients.pgx.recommendations import recommend
from pharmakon.patients.pgx.vcf import GenotypeBlock, read_genotypes

__all__ = ["call_vcf", "gene_result", "sample_report", "write_reports", "report_html", "TSV_COLUMNS"]

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
VCF_GENES = tuple(g for g in GENES if g != "CYP2D6")
"""Genes called from the VCF by default; CYP2D6 needs copy number, so it comes from an outside call."""


def gene_result(call: GeneCall) -> dict:
    """JSON-ready result of one gene: diplotypes, phenotype, activity score and evidence."""
    phenos = [phenotype_of(call.gene, d) for d in call.diplotypes]
    labels = {p.phenotype for p in phenos}
    scores = {p.activity_score for p in phenos}
    return {
        "diplotypes": list(call.diplotypes),
        "phenotype": labels.pop() if len(labels) == 1 else (" or ".join(sorted(map(str, labels))) or None),
        "activity_score": scores.pop() if len(scores) == 1 else None,
        "functions": [list(p.functions) for p in phenos],
        "lookup_keys": sorted({p.lookup_key for p in phenos if p.lookup_key}),
        "phenotypes": [p.phenotype for p in phenos],
        "score": call.score,
        "candidates": [{"diplotype": d, "score": s} for d, s in call.candidates[:50]],
        "missing_positions": list(call.missing_positions),
        "matched_positions": list(call.matched_positions),
        "phased": call.phased,
        "lowest_function_rule": call.lowest_function,
        "not_called_reason": call.not_called_reason,
        "ref_mismatches": [{"position": p, "vcf_ref": v, "grch38_ref": r} for p, v, r in call.ref_mismatches],
        "source": "vcf",
    }


def _outside_result(oc: OutsideCall) -> dict:
    phenos = [phenotype_of(oc.gene, d) for d in oc.diplotypes]
    labels = {p.phenotype for p in phenos} if phenos else {oc.phenotype}
    scores = {p.activity_score for p in phenos} if phenos else {oc.activity_score}
    return {
        "diplotypes": oc.diplotypes,
        "phenotype": oc.phenotype or (labels.pop() if len(labels) == 1 else None),
        "activity_score": oc.activity_score
        if oc.activity_score is not None
        else (scores.pop() if len(scores) == 1 else None),
        "functions": [list(p.functions) for p in phenos],
        "lookup_keys": sorted({p.lookup_key for p in phenos if p.lookup_key}),
        "phenotypes": [p.phenotype for p in phenos],
        "score": None,
        "candidates": [],
        "missing_positions": [],
        "matched_positions": [],
        "phased": None,
        "lowest_function_rule": False,
        "not_called_reason": None,
        "ref_mismatches": [],
        "source": f"outside call (row {oc.row})",
    }


def _lookups(genes: dict[str, dict]) -> dict[str, dict]:
    """What each called gene offers to the recommendation lookup (see ``recommend``)."""
    out: dict[str, dict] = {}
    for gene, r in genes.items():
        if not r["diplotypes"] and r["phenotype"] is None and r["activity_score"] is None:
            continue
        if len(r["diplotypes"]) > 1 and len(set(r["phenotypes"])) > 1:
            continue  # ambiguous phenotype: no recommendation; the caveat says why
        phenotypes = {v for v in [*r["phenotypes"], r["phenotype"], *r["lookup_keys"]] if v}
        scores = {r["activity_score"]} if r["activity_score"] is not None else set()
        out[gene] = {"phenotypes": phenotypes, "scores": scores, "diplotypes": list(r["diplotypes"])}
    return out


def sample_report(
    sample: str,
    calls: dict[str, GeneCall],
    outside: dict[str, OutsideCall] | None = None,
    notes: list[str] | None = None,
) -> dict:
    """Assemble the report of one sample (the ``--json`` contract)."""
    genes = {g: gene_result(c) for g, c in calls.items()}
    for gene, oc in (outside or {}).items():
        if gene in genes and genes[gene]["diplotypes"]:
            genes[gene]["caveat"] = "outside call replaced the VCF call"
        genes[gene] = _outside_result(oc)
    caveats = [f"{g}: not called: {r['not_called_reason']}" for g, r in genes.items() if r["not_called_reason"]]
    caveats += [
        f"{g}: {len(r['diplotypes'])} possible diplotypes ({', '.join(r['diplotypes'])})"
        for g, r in genes.items()
        if len(r["diplotypes"]) > 1
    ]
    caveats += [
        f"{g}: REF disagrees with GRCh38 at {', '.join(str(m['position']) for m in r['ref_mismatches'])}"
        " (wrong genome build?); those positions were not used"
        for g, r in genes.items()
        if r.get("ref_mismatches")
    ]
    caveats += [
        f"{g}: {len(r['missing_positions'])} defined positions missing in the VCF"
        for g, r in genes.items()
        if r["missing_positions"] and r["diplotypes"]
    ]
    if "CYP2D6" not in genes:
        caveats.append("CYP2D6: not called: needs copy-number data; supply an outside call")
    from pharmakon.patients.pgx.warfarin import cpic_warfarin_notes

    return {
        "sample": sample,
        "genes": genes,
        "recommendations": recommend(_lookups(genes)),
        "warfarin_notes": cpic_warfarin_notes(genes),
        "caveats": caveats,
        "notes": list(notes or []),
    }


def _block_calls(block: GenotypeBlock, s: int) -> dict[str, GeneCall]:
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
) -> Iterator[dict]:
    """Yield one report per sample of a VCF (single- or multi-sample); ``reference``: optional GRCh38 FASTA."""
    ignored: list[str] = []
    outside = read_outside_calls(outside_call, ignored) if outside_call else None
    block = read_genotypes(path, genes, samples=samples, reference=reference)
    for s, name in enumerate(block.samples):
        yield sample_report(name, _block_calls(block, s), outside, block.notes + ignored)


def tsv_rows(report: dict) -> list[dict]:
    """Summary rows (one per gene) of a report."""
    return [
        {
            "sample": report["sample"],
            "gene": g,
            "diplotypes": " OR ".join(r["diplotypes"]),
            "phenotype": r["phenotype"] or "",
            "activity_score": format_score(r["activity_score"]) or "",
            "source": r["source"],
            "n_candidates": len(r["candidates"]),
            "missing_positions": ",".join(map(str, r["missing_positions"])),
            "not_called_reason": r["not_called_reason"] or "",
        }
        for g, r in sorted(report["genes"].items())
    ]


def report_html(report: dict) -> str:
    """Stand-alone HTML page a pharmacist can read (gene table, advice, caveats)."""
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(g)}</td><td>{e(' or '.join(r['diplotypes']) or 'not called')}</td>"
        f"<td>{e(str(r['phenotype'] or ''))}</td><td>{e(format_score(r['activity_score']) or '')}</td>"
        f"<td>{e(r['source'])}</td><td>{e(r['not_called_reason'] or '')}</td></tr>"
        for g, r in sorted(report["genes"].items())
    )
    recs = "".join(
        f"<tr><td>{e(r['drug'])}</td><td>{e(r['source'])}</td><td>{e(', '.join(f'{k}={v}' for k, v in r['lookup'].items()))}"
        f"</td><td>{e(r['population'] or '')}</td><td>{e(str(r['classification']))}</td>"
        f"<td>{e(str(r['recommendation']))}</td><td>{e(r['guideline'])}</td></tr>"
        for r in report["recommendations"]
    )
    cav = "".join(f"<li>{e(c)}</li>" for c in [*report["caveats"], *report.get("warfarin_notes", [])])
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>PGx report {e(report['sample'])}</title>"
        "<style>body{font-family:sans-serif}table{border-collapse:collapse}td,th{border:1px solid #999;"
        "padding:3px 6px;vertical-align:top}</style></head><body>"
        f"<h1>Pharmacogenomic report: {e(report['sample'])}</h1><h2>Genotypes and phenotypes</h2>"
        "<table><tr><th>Gene</th><th>Diplotype</th><th>Phenotype</th><th>Activity score</th><th>Source</th>"
        f"<th>Not called because</th></tr>{rows}</table><h2>Caveats</h2><ul>{cav or '<li>none</li>'}</ul>"
        "<h2>Prescribing recommendations (CPIC / DPWG)</h2><table><tr><th>Drug</th><th>Source</th>"
        "<th>Lookup</th><th>Population</th><th>Strength</th><th>Recommendation</th><th>Guideline</th></tr>"
        f"{recs}</table><p>Genome build GRCh38. Star-allele calls follow PharmCAT's documented "
        "matching rules; verify before clinical use.</p></body></html>"
    )


def _atomic_write(path: Path, text: str) -> None:
    with atomic_open(path) as fh:
        fh.write(text)


def write_reports(reports: list[dict], out_dir: Path | str) -> list[Path]:
    """Write ``<sample>.json``, ``<sample>.html`` per sample and ``summary.tsv``; returns paths."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"output {out} exists and is not a folder", file=str(out))
    written = []
    lines = ["\t".join(TSV_COLUMNS)]
    for rep in reports:
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in rep["sample"])
        _atomic_write(out / f"{safe}.json", json.dumps(rep, indent=2, default=str))
        _atomic_write(out / f"{safe}.html", report_html(rep))
        written += [out / f"{safe}.json", out / f"{safe}.html"]
        lines += ["\t".join(str(r[c]) for c in TSV_COLUMNS) for r in tsv_rows(rep)]
    _atomic_write(out / "summary.tsv", "\n".join(lines) + "\n")
    return [*written, out / "summary.tsv"]
