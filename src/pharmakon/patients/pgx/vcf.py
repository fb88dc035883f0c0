"""Read PGx genotypes from single- or multi-sample VCF (plain or bgzipped) with cyvcf2.

Only records at defined GRCh38 positions are kept, as allele-index arrays per gene,
so memory grows with (samples x defined positions), never with the VCF size; very wide
cohorts are read in sample chunks (:func:`iter_sample_chunks`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pharmakon.errors import InputError
from pharmakon.patients.pgx.definitions import GENES, load_definition

__all__ = ["GenotypeBlock", "read_genotypes", "validate_vcf", "vcf_samples", "iter_sample_chunks"]

_ALLELE = re.compile(r"^[ACGTNacgtn*]+$")

_GRCH37_LENGTHS = {"1": 249250621, "10": 135534747, "2": 243199373, "16": 90354753, "13": 115169878}
_GRCH38_LENGTHS = {"1": 248956422, "10": 133797422, "2": 242193529, "16": 90338345, "13": 114364328}


def _chrom(name: str) -> str:
    return name[3:] if name.lower().startswith("chr") else name


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
    notes : list of str
        Warnings found while reading (duplicate records, REF mismatches).
    """

    samples: list[str]
    genes: tuple[str, ...]
    alleles: dict[str, list] = field(default_factory=dict)
    calls: dict[str, np.ndarray] = field(default_factory=dict)
    phased: dict[str, np.ndarray] = field(default_factory=dict)
    phase_sets: dict[str, np.ndarray] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def genotypes(self, gene: str, s: int) -> tuple[tuple, bool]:
        """Per-position ``(allele1, allele2)`` strings (None = missing) of sample ``s``, and phasing."""
        calls, names = self.calls[gene][s], self.alleles[gene]
        out = []
        het_unphased = False
        sets = set()
        for p in range(calls.shape[0]):
            a, b = int(calls[p, 0]), int(calls[p, 1])
            if a < 0 or names[p] is None:
                out.append(None)
                continue
            if b < 0:  # haploid call
                b = a
            out.append((names[p][a], names[p][b]))
            if a != b and not self.phased[gene][s, p]:
                het_unphased = True
            elif a != b:
                sets.add(int(self.phase_sets[gene][s, p]))
        # heterozygous calls phased in different phase sets (PS) are not phased to each other
        return tuple(out), not het_unphased and len(sets) <= 1


def _index(genes: tuple[str, ...]) -> dict[tuple[str, int], list[tuple[str, int]]]:
    index: dict[tuple[str, int], list[tuple[str, int]]] = {}
    for gene in genes:
        d = load_definition(gene)
        for i, v in enumerate(d.variants):
            index.setdefault((_chrom(v.chromosome), v.position), []).append((gene, i))
    return index


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
        raise InputError(f"VCF header says reference {ref.group(1)!r}; PGx definitions are GRCh38 (lift over first)",
                         file=str(path))  # fmt: skip
    for m in re.finditer(r"^##contig=<ID=([^,>]+),length=(\d+)", header, flags=re.MULTILINE):
        c, n = _chrom(m.group(1)), int(m.group(2))
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
                    raise InputError(f"malformed VCF line: {cols} columns, header has {n_cols}", file=str(path),
                                     row=line_no)  # fmt: skip
                fields = line.split("\t", 5)
                if not fields[1].isdigit() or int(fields[1]) < 1:
                    raise InputError(f"malformed VCF line: POS {fields[1]!r} is not a positive integer",
                                     file=str(path), row=line_no, field="POS")  # fmt: skip
                if not _ALLELE.match(fields[3]):
                    raise InputError(f"malformed VCF line: REF {fields[3]!r}", file=str(path), row=line_no,
                                     field="REF")  # fmt: skip
                records += 1
    except (OSError, EOFError) as exc:
        raise InputError(f"cannot read VCF: {exc}", file=str(path)) from exc
    if n_cols is None:
        raise InputError("no #CHROM header line: not a VCF", file=str(path))
    return records


def read_genotypes(path: Path | str, genes: tuple[str, ...] | list[str] = GENES,
                   samples: list[str] | None = None, validate: bool = True) -> GenotypeBlock:  # fmt: skip
    """Read genotypes at all defined positions of ``genes``.

    Parameters
    ----------
    path : path to a VCF (``.vcf`` or ``.vcf.gz``)
    genes : gene symbols to read
    samples : subset of sample names (default: all)
    validate : check the line layout first (:func:`validate_vcf`); batch chunks skip it
        after one check of the whole file

    Raises
    ------
    InputError
        Unreadable file, malformed record (names the record number), GRCh37 header or
        contig lengths, or records on PGx chromosomes that never hit a GRCh38 position.
    """
    path = Path(path)
    genes = tuple(genes)
    if validate:
        validate_vcf(path)
    vcf = _open(path, samples)
    _check_build(vcf, path)
    names = list(vcf.samples)
    if not names:
        raise InputError("VCF has no sample columns", file=str(path))
    n = len(names)
    index = _index(genes)
    block = GenotypeBlock(samples=names, genes=genes)
    for gene in genes:
        k = len(load_definition(gene).variants)
        block.calls[gene] = np.full((n, k, 2), -1, dtype=np.int16)
        block.phased[gene] = np.zeros((n, k), dtype=bool)
        block.phase_sets[gene] = np.zeros((n, k), dtype=np.int64)
        block.alleles[gene] = [None] * k
    chroms = {c for c, _ in index}
    on_chrom = hits = 0
    record = 0
    seen: set[tuple[str, int]] = set()
    try:
        it = iter(vcf)
        while True:
            try:
                rec = next(it)
            except StopIteration:
                break
            except Exception as exc:  # htslib parse failure
                raise InputError(f"malformed VCF record after data record {record}: {exc}", file=str(path),
                                 row=record + 1) from exc  # fmt: skip
            record += 1
            key = (_chrom(rec.CHROM), rec.POS)
            if key[0] in chroms:
                on_chrom += 1
            targets = index.get(key)
            if not targets:
                continue
            if key in seen:
                block.notes.append(f"duplicate record at {rec.CHROM}:{rec.POS} ignored (first kept)")
                continue
            seen.add(key)
            hits += 1
            alleles = [rec.REF, *rec.ALT]
            gt = rec.genotype.array() if rec.genotype is not None else np.full((n, 3), -1, dtype=np.int16)
            ps = rec.format("PS") if "PS" in rec.FORMAT else None
            for gene, i in targets:
                v = load_definition(gene).variants[i]
                if rec.REF != v.ref:
                    block.notes.append(f"{gene} {rec.CHROM}:{rec.POS}: REF {rec.REF} differs from definition {v.ref};"
                                       " position treated as missing")  # fmt: skip
                    continue
                block.alleles[gene][i] = alleles
                block.calls[gene][:, i, 0] = gt[:, 0]
                block.calls[gene][:, i, 1] = gt[:, 1] if gt.shape[1] > 2 else -1
                block.phased[gene][:, i] = gt[:, -1] == 1
                if ps is not None:
                    block.phase_sets[gene][:, i] = ps[:, 0]
    finally:
        vcf.close()
    if on_chrom and not hits:
        raise InputError(f"{on_chrom} records on PGx chromosomes but none at a GRCh38 definition position; "
                         "is this VCF on GRCh37? Lift it over to GRCh38", file=str(path))  # fmt: skip
    return block


def iter_sample_chunks(path: Path | str, chunk_size: int = 2000,
                       genes: tuple[str, ...] | list[str] = GENES) -> Iterator[GenotypeBlock]:  # fmt: skip
    """Yield :class:`GenotypeBlock` for consecutive chunks of at most ``chunk_size`` samples."""
    if chunk_size < 1:
        raise InputError(f"chunk_size must be >= 1, got {chunk_size}", field="chunk_size")
    names = vcf_samples(path)
    for start in range(0, len(names), chunk_size):
        subset = names[start : start + chunk_size]
        yield read_genotypes(path, genes, samples=None if len(subset) == len(names) else subset)
