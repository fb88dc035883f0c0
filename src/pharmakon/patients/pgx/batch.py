"""Batch calling of multi-sample VCFs through the executor, and coverage per group.

Samples are cut into chunks; each chunk is read (cyvcf2, that chunk's columns only),
called and summarised by one executor task, and the summaries are appended to a TSV as
chunk groups finish, so memory depends on the chunk size, not on the cohort size.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from pharmakon.errors import InputError
from pharmakon.patients.pgx.matcher import match_gene
from pharmakon.patients.pgx.phenotype import format_score, phenotype_of
from pharmakon.patients.pgx.report import VCF_GENES
from pharmakon.patients.pgx.vcf import read_genotypes, validate_vcf, vcf_samples

__all__ = ["BATCH_COLUMNS", "call_chunk", "call_batch", "coverage_by_group", "warfarin_coverage"]

BATCH_COLUMNS = ["sample", "gene", "diplotypes", "phenotype", "activity_score", "status", "n_missing"]


def call_chunk(args: tuple[str, list[str], tuple[str, ...]]) -> list[tuple]:
    """Call every gene for a chunk of samples; one summary tuple per (sample, gene).

    ``status`` is ``called`` (one diplotype, no missing position), ``uncertain`` (tied
    diplotypes), ``incomplete`` (called with missing positions) or ``not called``.
    """
    path, samples, genes = args
    block = read_genotypes(path, genes, samples=samples, validate=False)  # call_batch validated the file
    rows = []
    for s, name in enumerate(block.samples):
        for gene in genes:
            gts, phased = block.genotypes(gene, s)
            call = match_gene(gene, gts, phased)
            if not call.called:
                rows.append((name, gene, "", "", "", "not called", len(call.missing_positions)))
                continue
            ph = [phenotype_of(gene, d) for d in call.diplotypes]
            labels = sorted({str(p.phenotype) for p in ph})
            score = ph[0].activity_score if len({p.activity_score for p in ph}) == 1 else None
            status = "uncertain" if len(call.diplotypes) > 1 else "incomplete" if call.missing_positions else "called"
            rows.append((name, gene, " OR ".join(call.diplotypes), " or ".join(labels), format_score(score) or "",
                         status, len(call.missing_positions)))  # fmt: skip
    return rows


def call_batch(vcf: Path | str, out_tsv: Path | str, *, backend: str | None = None, n_jobs: int | None = None,
               chunk_size: int = 1000, genes: tuple[str, ...] = VCF_GENES,
               progress: Callable[[int, int], None] | None = None) -> dict:  # fmt: skip
    """Call all samples of a VCF and write one TSV row per (sample, gene).

    Parameters
    ----------
    vcf : path of a multi-sample VCF
    out_tsv : output path (written atomically)
    backend, n_jobs : executor backend (``serial``, ``local``, ``ray``) and worker count
    chunk_size : samples per executor task (memory per task grows with it)
    progress : called with (samples done, samples total)

    Returns
    -------
    dict
        ``n_samples, n_genes, n_rows, status_counts`` of the run.
    """
    from pharmakon.core import get_executor

    if chunk_size < 1:
        raise InputError(f"chunk_size must be >= 1, got {chunk_size}", field="chunk_size")
    validate_vcf(vcf)
    names = vcf_samples(vcf)
    if not names:
        raise InputError("VCF has no samples", file=str(vcf))
    chunks = [names[i : i + chunk_size] for i in range(0, len(names), chunk_size)]
    out = Path(out_tsv)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.")
    counts: dict[str, int] = {}
    n_rows = done = 0
    try:
        with os.fdopen(fd, "w") as fh, get_executor(backend, n_jobs=n_jobs) as ex:
            fh.write("\t".join(BATCH_COLUMNS) + "\n")
            width = max(1, getattr(ex, "n_workers", 1) or 1) * 2
            for g in range(0, len(chunks), width):
                group = chunks[g : g + width]
                for rows in ex.map(call_chunk, [(str(vcf), c, tuple(genes)) for c in group], chunksize=1):
                    for r in rows:
                        fh.write("\t".join(map(str, r)) + "\n")
                        counts[r[5]] = counts.get(r[5], 0) + 1
                    n_rows += len(rows)
                done += sum(len(c) for c in group)
                if progress:
                    progress(done, len(names))
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return {"n_samples": len(names), "n_genes": len(genes), "n_rows": n_rows, "status_counts": counts}


def coverage_by_group(summary: pd.DataFrame, groups: pd.Series | dict) -> pd.DataFrame:
    """Share of samples with an uncertain or incomplete call, per group and gene.

    Parameters
    ----------
    summary : DataFrame with ``sample, gene, status`` (see :data:`BATCH_COLUMNS`)
    groups : mapping sample -> biogeographic group

    Returns
    -------
    DataFrame
        ``group, gene, n, share_called, share_uncertain, share_incomplete, share_not_called``.
    """
    frame = summary.copy()
    frame["group"] = frame["sample"].map(dict(groups)).fillna("not given")
    table = pd.crosstab([frame["group"], frame["gene"]], frame["status"], normalize="index")
    for col in ("called", "uncertain", "incomplete", "not called"):
        if col not in table.columns:
            table[col] = 0.0
    n = frame.groupby(["group", "gene"]).size().rename("n")
    out = table[["called", "uncertain", "incomplete", "not called"]].join(n).reset_index()
    return out.rename(columns={"called": "share_called", "uncertain": "share_uncertain",
                               "incomplete": "share_incomplete", "not called": "share_not_called"})  # fmt: skip


def warfarin_coverage(frame: pd.DataFrame) -> pd.DataFrame:
    """Per IWPC race group: patients, share with unknown CYP2C9 / VKORC1 genotype, share not dosable."""
    from pharmakon.patients.pgx.warfarin import dose_cohort

    doses = dose_cohort(frame)
    race = frame["Race"].fillna("Unknown")
    data = pd.DataFrame({
        "group": race.to_numpy(),
        "cyp2c9_unknown": frame["CYP2C9 consensus"].isna().to_numpy(),
        "vkorc1_unknown": frame["VKORC1 -1639 consensus"].isna().to_numpy(),
        "not_dosable": (doses["not_dosed_reason"] != "").to_numpy(),
    })  # fmt: skip
    data["any_genotype_unknown"] = data["cyp2c9_unknown"] | data["vkorc1_unknown"]
    out = data.groupby("group").agg(n=("group", "size"), share_cyp2c9_unknown=("cyp2c9_unknown", "mean"),
                                    share_vkorc1_unknown=("vkorc1_unknown", "mean"),
                                    share_any_genotype_unknown=("any_genotype_unknown", "mean"),
                                    share_not_dosable=("not_dosable", "mean"))  # fmt: skip
    return out.reset_index()
