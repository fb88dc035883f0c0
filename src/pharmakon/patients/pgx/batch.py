"""Batch calling of multi-sample VCFs through the executor (local pool or Ray).

The VCF is read once, in the parent, and its defined-position columns are spooled to a
temporary folder (:mod:`pharmakon.patients.pgx.spool`). Samples are cut into chunks; each
chunk's genotypes (``chunk_size`` samples) are read back from disk and sent by value to
one executor task (local pool or Ray), which calls and summarises them; summaries are
appended to the TSV as chunk groups finish. Memory depends on the chunk size, not on the
cohort size, and the file is parsed once whatever the number of chunks.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pharmakon.errors import InputError
from pharmakon.files import atomic_open, scratch_folder
from pharmakon.patients.pgx.models import BATCH_COLUMNS, STATUSES
from pharmakon.patients.pgx.report import VCF_GENES, block_calls, gene_result
from pharmakon.patients.pgx.spool import spool_genotypes
from pharmakon.patients.pgx.vcf import GenotypeBlock

__all__ = ["BATCH_COLUMNS", "STATUSES", "call_chunk", "call_batch"]


def call_chunk(block: GenotypeBlock) -> list[tuple]:
    """Call every gene for a chunk of samples; one summary tuple per (sample, gene).

    Each gene's :class:`~pharmakon.patients.pgx.models.GeneResult` gives its row
    (:meth:`~pharmakon.patients.pgx.models.GeneResult.batch_row`): ``status`` is ``called``
    (one diplotype, no missing position), ``uncertain`` (tied diplotypes), ``incomplete``
    (called with missing positions, including positions whose REF disagrees with GRCh38,
    counted in ``n_ref_mismatch``) or ``not called``.
    """
    rows = []
    for s, name in enumerate(block.samples):
        for gene, call in block_calls(block, s).items():
            rows.append(gene_result(call).batch_row(name, gene))
    return rows


def call_batch(
    vcf: Path | str,
    out_tsv: Path | str,
    *,
    backend: str | None = None,
    n_jobs: int | None = None,
    chunk_size: int = 1000,
    genes: tuple[str, ...] = VCF_GENES,
    progress: Callable[[int, int], None] | None = None,
    reference: Path | str | None = None,
) -> dict:
    """Call all samples of a VCF and write one TSV row per (sample, gene).

    Parameters
    ----------
    vcf : path of a multi-sample VCF
    out_tsv : output path (written atomically)
    backend, n_jobs : executor backend (``serial``, ``local``, ``ray``) and worker count
    chunk_size : samples per executor task (memory per task grows with it)
    progress : called with (samples done, samples total)
    reference : optional GRCh38 FASTA (indels shifted inside long repeats)

    Returns
    -------
    dict
        ``n_samples, n_genes, n_rows, status_counts`` of the run.
    """
    from pharmakon.executor import get_executor

    if chunk_size < 1:
        raise InputError(f"chunk_size must be >= 1, got {chunk_size}", field="chunk_size")
    counts: dict[str, int] = {}
    n_rows = done = 0
    with (
        scratch_folder("pgx-spool") as folder,
        spool_genotypes(vcf, tuple(genes), folder, reference=reference) as spooled,
        atomic_open(out_tsv) as fh,
        get_executor(backend, n_jobs=n_jobs) as ex,
    ):
        n = spooled.n
        bounds = [(i, min(i + chunk_size, n)) for i in range(0, n, chunk_size)]
        fh.write("\t".join(BATCH_COLUMNS) + "\n")
        width = max(1, getattr(ex, "n_workers", 1) or 1) * 2
        for g in range(0, len(bounds), width):
            group = bounds[g : g + width]
            for rows in ex.map(call_chunk, [spooled.rows(a, b) for a, b in group], chunksize=1):
                for r in rows:
                    fh.write("\t".join(map(str, r)) + "\n")
                    counts[r[5]] = counts.get(r[5], 0) + 1
                n_rows += len(rows)
            done = group[-1][1]
            if progress:
                progress(done, n)
    return {"n_samples": done, "n_genes": len(genes), "n_rows": n_rows, "status_counts": counts}
