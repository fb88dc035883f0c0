"""Batch mode: read a multi-sample VCF once and keep its genotype columns on disk.

The reader streams the file a single time (one record in memory at a time) and writes
each defined position's column (all samples) to per-gene files with ``pwrite``; batch
tasks then read back only their samples' rows with ``pread``. Nothing is memory-mapped,
so the parent's resident memory does not grow with the number of samples or records:
the columns live in the page cache / on disk. A task's :class:`GenotypeBlock` holds
``chunk_size`` samples and is sent by value, so the same tasks run on a Ray cluster.

File layout per gene (``n`` samples, position ``i``): calls ``int16[n, 2]`` at byte
``4 n i``; phased flag ``uint8[n]`` at ``n i``; phase set ``int64[n]`` at ``8 n i``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from pharmakon.patients.pgx.definitions import load_definition
from pharmakon.patients.pgx.vcf import GenotypeBlock, stream_columns, validate_vcf

__all__ = ["SpooledGenotypes", "spool_genotypes"]


class SpooledGenotypes:
    """Genotype columns of a whole cohort on disk; :meth:`rows` gives one chunk's block.

    Use as a context manager (closes the files); the folder belongs to the caller.
    """

    def __init__(self, folder: Path, block: GenotypeBlock) -> None:
        self.block = block
        self.n = len(block.samples)
        self._fds: dict[tuple[str, str], int] = {}
        for gene in block.genes:
            for kind in ("calls", "phased", "ps"):
                path = Path(folder) / f"{gene}.{kind}"
                self._fds[gene, kind] = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)

    def put(self, gene: str, i: int, calls: np.ndarray, phased: np.ndarray, ps: np.ndarray) -> None:
        """Write position ``i`` of ``gene`` for all samples."""
        n = self.n
        os.pwrite(self._fds[gene, "calls"], np.ascontiguousarray(calls, dtype=np.int16).tobytes(), 4 * n * i)
        os.pwrite(self._fds[gene, "phased"], np.ascontiguousarray(phased, dtype=np.uint8).tobytes(), n * i)
        os.pwrite(self._fds[gene, "ps"], np.ascontiguousarray(ps, dtype=np.int64).tobytes(), 8 * n * i)

    def _read(self, gene: str, kind: str, i: int, start: int, stop: int) -> np.ndarray:
        width, dtype = {"calls": (4, np.int16), "phased": (1, np.uint8), "ps": (8, np.int64)}[kind]
        data = os.pread(self._fds[gene, kind], width * (stop - start), width * (self.n * i + start))
        return np.frombuffer(data, dtype=dtype)

    def get(self, gene: str, i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Position ``i`` of ``gene`` for all samples (used to merge a second record)."""
        return (
            self._read(gene, "calls", i, 0, self.n).reshape(self.n, 2).copy(),
            self._read(gene, "phased", i, 0, self.n).astype(bool),
            self._read(gene, "ps", i, 0, self.n).copy(),
        )

    def rows(self, start: int, stop: int) -> GenotypeBlock:
        """In-memory :class:`GenotypeBlock` of samples ``start:stop``."""
        b, m = self.block, stop - start
        out = GenotypeBlock(
            samples=b.samples[start:stop],
            genes=b.genes,
            alleles=b.alleles,
            ref_mismatches=b.ref_mismatches,
            notes=b.notes,
        )
        for gene in b.genes:
            k = len(load_definition(gene).variants)
            calls = np.full((m, k, 2), -1, dtype=np.int16)
            phased = np.zeros((m, k), dtype=bool)
            ps = np.zeros((m, k), dtype=np.int64)
            for i, names in enumerate(b.alleles[gene]):
                if names is None:
                    continue
                calls[:, i, :] = self._read(gene, "calls", i, start, stop).reshape(m, 2)
                phased[:, i] = self._read(gene, "phased", i, start, stop).astype(bool)
                ps[:, i] = self._read(gene, "ps", i, start, stop)
            out.calls[gene], out.phased[gene], out.phase_sets[gene] = calls, phased, ps
        return out

    def close(self) -> None:
        """Close the column files."""
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()

    def __enter__(self) -> SpooledGenotypes:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def spool_genotypes(
    path: Path | str,
    genes: tuple[str, ...],
    folder: Path | str,
    validate: bool = True,
    reference: Path | str | None = None,
) -> SpooledGenotypes:
    """Read ``path`` once, writing every defined-position column under ``folder``.

    Parameters
    ----------
    path : multi-sample VCF (``.vcf`` or ``.vcf.gz``)
    genes : gene symbols
    folder : existing folder for the column files (e.g. a temporary directory)
    validate : check the line layout first (:func:`~pharmakon.patients.pgx.vcf.validate_vcf`)
    reference : optional GRCh38 FASTA (see :mod:`pharmakon.patients.pgx.reference`)

    Returns
    -------
    SpooledGenotypes
        ``.block`` carries samples, allele names, REF mismatches and notes (no arrays).
    """
    path = Path(path)
    if validate:
        validate_vcf(path)
    holder: list[SpooledGenotypes] = []

    def make_sink(block: GenotypeBlock) -> SpooledGenotypes:
        holder.append(SpooledGenotypes(Path(folder), block))
        return holder[0]

    try:
        stream_columns(path, tuple(genes), None, make_sink, reference)
    except BaseException:
        for s in holder:
            s.close()
        raise
    return holder[0]
