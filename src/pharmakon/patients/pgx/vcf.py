"""Read PGx genotypes from single- or multi-sample VCF (plain or bgzipped) with cyvcf2.

Only records at defined GRCh38 positions are kept, as allele-index arrays per gene,
so memory grows with (samples x defined positions), never with the VCF size. Batch mode
writes the same columns to disk instead (:mod:`pharmakon.patients.pgx.spool`), so the
file is read once whatever the number of samples.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pharmakon.errors import InputError
from pharmakon.patients.pgx.definitions import GENES, load_definition
from pharmakon.patients.pgx.normalize import Hit, Resolver, chrom_name

__all__ = ["GenotypeBlock", "read_genotypes", "stream_columns", "validate_vcf", "vcf_samples"]

_ALLELE = re.compile(r"^[ACGTNacgtn*]+$")

_GRCH37_LENGTHS = {"1": 249250621, "10": 135534747, "2": 243199373, "16": 90354753, "13": 115169878}
_GRCH38_LENGTHS = {"1": 248956422, "10": 133797422, "2": 242193529, "16": 90338345, "13": 114364328}


@dataclass
class GenotypeBlock:
    """Genotypes of a set of samples at every defined position of the requested genes.

    Attributes
    ----------
    samples : list of str
    alleles : dict gene -> list (per position) of list of allele strings (REF first) or None
    calls : dict gene -> int16 array, shape (n_samples, n_positions, 2); -1 = missing
    phased : dict gene -> bool array, shape (n_samples, n_positions)
    phase_sets : dict gene -> int array, shape (n_samples, n_positions); PS values (0 = none)
    ref_mismatches : dict gene -> {position index: (VCF REF, GRCh38 REF)}
        Defined positions whose VCF REF disagrees with GRCh38 (not used, reported).
    notes : list of str
        Warnings found while reading (merged records, REF mismatches).
    """

    samples: list[str]
    genes: tuple[str, ...]
    alleles: dict[str, list] = field(default_factory=dict)
    calls: dict[str, np.ndarray] = field(default_factory=dict)
    phased: dict[str, np.ndarray] = field(default_factory=dict)
    phase_sets: dict[str, np.ndarray] = field(default_factory=dict)
    ref_mismatches: dict[str, dict[int, tuple[str, str]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def rows(self, start: int, stop: int) -> GenotypeBlock:
        """A copy holding samples ``start:stop`` only (what one batch task needs)."""
        return GenotypeBlock(
            samples=self.samples[start:stop],
            genes=self.genes,
            alleles=self.alleles,
            calls={g: np.ascontiguousarray(a[start:stop]) for g, a in self.calls.items()},
            phased={g: np.ascontiguousarray(a[start:stop]) for g, a in self.phased.items()},
            phase_sets={g: np.ascontiguousarray(a[start:stop]) for g, a in self.phase_sets.items()},
            ref_mismatches=self.ref_mismatches,
            notes=self.notes,
        )

    def genotypes(self, gene: str, s: int) -> tuple[tuple, bool]:
        """Per-position ``(allele1, allele2)`` strings (None = missing) of sample ``s``, and phasing."""
        names = self.alleles[gene]
        calls = self.calls[gene][s].tolist()  # Python ints: one conversion per sample, not per position
        phased, phase_sets = self.phased[gene][s].tolist(), self.phase_sets[gene][s].tolist()
        out = []
        het_unphased = False
        sets = set()
        for p, (a, b) in enumerate(calls):
            if a < 0 or names[p] is None:
                out.append(None)
                continue
            if b < 0:  # haploid call
                b = a
            out.append((names[p][a], names[p][b]))
            if a != b and not phased[p]:
                het_unphased = True
            elif a != b:
                sets.add(phase_sets[p])
        # heterozygous calls phased in different phase sets (PS) are not phased to each other
        return tuple(out), not het_unphased and len(sets) <= 1


def _open(path: Path, samples: list[str] | None = None):
    from cyvcf2 import VCF

    if not Path(path).is_file():
        raise InputError(f"VCF {path} not found", file=str(path))
    try:
        vcf = VCF(str(path), samples=samples, lazy=True)
    except (OSError, Exception) as exc:  # cyvcf2 raises bare Exceptions for unreadable headers
        raise InputError(f"cannot read VCF header: {exc}", file=str(path)) from exc
    return vcf


def vcf_samples(path: Path | str) -> list[str]:
    """Sample names of a VCF, in file order."""
    vcf = _open(Path(path))
    try:
        return list(vcf.samples)
    finally:
        vcf.close()


def _check_build(vcf, path: Path) -> None:
    header = vcf.raw_header
    ref = re.search(r"^##reference=(.*)$", header, flags=re.MULTILINE)
    if ref and re.search(r"GRCh37|hg19|b37|hs37", ref.group(1), flags=re.IGNORECASE):
        raise InputError(
            f"VCF header says reference {ref.group(1)!r}; PGx definitions are GRCh38 (lift over first)", file=str(path)
        )
    for m in re.finditer(r"^##contig=<ID=([^,>]+),length=(\d+)", header, flags=re.MULTILINE):
        c, n = chrom_name(m.group(1)), int(m.group(2))
        if _GRCH37_LENGTHS.get(c) == n and _GRCH38_LENGTHS.get(c) != n:
            raise InputError(f"contig {m.group(1)} has GRCh37 length {n}; PGx definitions are GRCh38", file=str(path))


def validate_vcf(path: Path | str) -> int:
    """Check every data line's layout before htslib sees it; returns the number of records.

    htslib (under cyvcf2) reports some malformed lines only on stderr and hands back a
    broken record, so the layout is checked here first: the column count matches the
    ``#CHROM`` header, POS is a positive integer, REF is made of A/C/G/T/N.

    Raises
    ------
    InputError
        Naming the line number and the field.
    """
    import gzip

    path = Path(path)
    if not path.is_file():
        raise InputError(f"VCF {path} not found", file=str(path))
    with path.open("rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
    opener = gzip.open if gz else open
    n_cols = None
    records = 0
    try:
        with opener(path, "rt", errors="replace") as fh:
            for line_no, line in enumerate(fh, start=1):
                if line.startswith("##"):
                    continue
                line = line.rstrip("\r\n")
                if line.startswith("#CHROM"):
                    n_cols = line.count("\t") + 1
                    if n_cols < 8:
                        raise InputError("#CHROM header has fewer than 8 columns", file=str(path), row=line_no)
                    continue
                if not line:
                    continue
                if n_cols is None:
                    raise InputError("data line before the #CHROM header line", file=str(path), row=line_no)
                cols = line.count("\t") + 1
                if cols != n_cols:
                    raise InputError(
                        f"malformed VCF line: {cols} columns, header has {n_cols}", file=str(path), row=line_no
                    )
                fields = line.split("\t", 5)
                if not fields[1].isdigit() or int(fields[1]) < 1:
                    raise InputError(
                        f"malformed VCF line: POS {fields[1]!r} is not a positive integer",
                        file=str(path),
                        row=line_no,
                        field="POS",
                    )
                if not _ALLELE.match(fields[3]):
                    raise InputError(f"malformed VCF line: REF {fields[3]!r}", file=str(path), row=line_no, field="REF")
                records += 1
    except (OSError, EOFError) as exc:
        raise InputError(f"cannot read VCF: {exc}", file=str(path)) from exc
    if n_cols is None:
        raise InputError("no #CHROM header line: not a VCF", file=str(path))
    return records


class _MemorySink:
    """Columns held in the block's own arrays (single VCFs, tests)."""

    def __init__(self, block: GenotypeBlock) -> None:
        self.block = block

    def get(self, gene: str, i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        b = self.block
        return b.calls[gene][:, i, :].copy(), b.phased[gene][:, i].copy(), b.phase_sets[gene][:, i].copy()

    def put(self, gene: str, i: int, calls: np.ndarray, phased: np.ndarray, ps: np.ndarray) -> None:
        b = self.block
        b.calls[gene][:, i, :], b.phased[gene][:, i], b.phase_sets[gene][:, i] = calls, phased, ps


def _columns(gt: np.ndarray, ps: np.ndarray | None, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    calls = np.full((n, 2), -1, dtype=np.int16)
    calls[:, 0] = gt[:, 0]
    if gt.shape[1] > 2:
        calls[:, 1] = gt[:, 1]
    phase_sets = ps[:, 0].astype(np.int64) if ps is not None else np.zeros(n, dtype=np.int64)
    return calls, gt[:, -1] == 1, phase_sets


def _store(block: GenotypeBlock, sink, hit: Hit, cols: tuple, where: str) -> None:
    """Write one hit; a second record at the same defined position is merged into the first.

    Merging (split multi-allelic records, two spellings of one site): per haplotype, a
    non-reference allele of the new record replaces a reference or missing one; two
    different non-reference alleles on one haplotype keep the first and are noted.
    """
    gene, i = hit.gene, hit.index
    calls, phased, ps = cols
    names = block.alleles[gene][i]
    if names is None:
        block.alleles[gene][i] = list(hit.alleles)
        sink.put(gene, i, calls, phased, ps)
        return
    ref = load_definition(gene).variants[i].ref
    remap = []
    for a in hit.alleles:
        if a not in names:
            names.append(a)
        remap.append(names.index(a))
    lookup = np.array([*remap, -1], dtype=np.int16)  # index -1 stays missing
    new = lookup[calls]
    old, old_phased, old_ps = sink.get(gene, i)
    is_ref = np.array([a == ref for a in names] + [False])
    old_free = (old < 0) | is_ref[old]
    new_alt = (new >= 0) & ~is_ref[new]
    take = old_free & (new >= 0) & (new_alt | (old < 0))
    clash = ~old_free & new_alt & (new != old)
    merged = np.where(take, new, old)
    rows = take.any(axis=1)
    sink.put(gene, i, merged, np.where(rows, old_phased & phased, old_phased), np.where(rows, ps, old_ps))
    block.notes.append(
        f"{gene} {where}: another record at this defined position merged"
        + (f" ({int(clash.any(axis=1).sum())} samples with conflicting alleles, first kept)" if clash.any() else "")
    )


def stream_columns(
    path: Path, genes: tuple[str, ...], samples: list[str] | None, make_sink, reference: Path | str | None = None
) -> GenotypeBlock:
    """Read the VCF once; ``make_sink(block)`` receives every defined-position column."""
    vcf = _open(path, samples)
    _check_build(vcf, path)
    names = list(vcf.samples)
    if not names:
        raise InputError("VCF has no sample columns", file=str(path))
    n = len(names)
    resolver = Resolver(genes, reference)
    block = GenotypeBlock(samples=names, genes=genes)
    for gene in genes:
        block.alleles[gene] = [None] * len(load_definition(gene).variants)
        block.ref_mismatches[gene] = {}
    sink = make_sink(block)
    chroms = resolver.chromosomes
    on_chrom = record = 0
    try:
        it = iter(vcf)
        while True:
            try:
                rec = next(it)
            except StopIteration:
                break
            except Exception as exc:  # htslib parse failure
                raise InputError(
                    f"malformed VCF record after data record {record}: {exc}", file=str(path), row=record + 1
                ) from exc
            record += 1
            if chrom_name(rec.CHROM) not in chroms:
                continue
            on_chrom += 1
            hits, mismatches = resolver.resolve(rec.CHROM, rec.POS, rec.REF, list(rec.ALT))
            for m in mismatches:
                block.ref_mismatches[m.gene][m.index] = (m.vcf_ref, m.grch38_ref)
                block.notes.append(
                    f"{m.gene} {rec.CHROM}:{m.position}: REF {m.vcf_ref} disagrees with GRCh38 "
                    f"{m.grch38_ref} (wrong genome build?); position not used"
                )
            if not hits:
                continue
            gt = rec.genotype.array() if rec.genotype is not None else np.full((n, 3), -1, dtype=np.int16)
            ps = rec.format("PS") if "PS" in rec.FORMAT else None
            cols = _columns(gt, ps, n)
            for hit in hits:
                _store(block, sink, hit, cols, f"{rec.CHROM}:{rec.POS}")
    finally:
        vcf.close()
    filled = sum(a is not None for g in genes for a in block.alleles[g])
    bad = sum(len(m) for m in block.ref_mismatches.values())
    if bad >= 3 and bad > filled:
        raise InputError(
            f"REF disagrees with GRCh38 at {bad} defined positions (agrees at {filled}); "
            "is this VCF on GRCh37? Lift it over to GRCh38",
            file=str(path),
        )
    if on_chrom and not filled:
        raise InputError(
            f"{on_chrom} records on PGx chromosomes but none at a GRCh38 definition position; "
            "is this VCF on GRCh37? Lift it over to GRCh38",
            file=str(path),
        )
    return block


def read_genotypes(
    path: Path | str,
    genes: tuple[str, ...] | list[str] = GENES,
    samples: list[str] | None = None,
    validate: bool = True,
    reference: Path | str | None = None,
) -> GenotypeBlock:
    """Read genotypes at all defined positions of ``genes`` into memory.

    Records are matched to definitions by sequence (:mod:`pharmakon.patients.pgx.normalize`),
    so other spellings of a defined indel, padded SNVs, multi-allelic and split records match.

    Parameters
    ----------
    path : path to a VCF (``.vcf`` or ``.vcf.gz``)
    genes : gene symbols to read
    samples : subset of sample names (default: all)
    validate : check the line layout first (:func:`validate_vcf`)
    reference : optional GRCh38 FASTA, to recognise indels shifted inside long repeats

    Raises
    ------
    InputError
        Unreadable file, malformed record (names the record number), GRCh37 header or
        contig lengths, REF disagreeing with GRCh38 at most defined positions, or records on
        PGx chromosomes that never hit a GRCh38 position.
    """
    path = Path(path)
    genes = tuple(genes)
    if validate:
        validate_vcf(path)

    def allocate(block: GenotypeBlock) -> _MemorySink:
        n = len(block.samples)
        for gene in genes:
            k = len(load_definition(gene).variants)
            block.calls[gene] = np.full((n, k, 2), -1, dtype=np.int16)
            block.phased[gene] = np.zeros((n, k), dtype=bool)
            block.phase_sets[gene] = np.zeros((n, k), dtype=np.int64)
        return _MemorySink(block)

    return stream_columns(path, genes, samples, allocate, reference)
