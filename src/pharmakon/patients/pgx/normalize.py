"""Allele normalisation: map a VCF record onto the defined positions whatever its spelling.

PharmCAT normalises its input (left-aligned, parsimonious, multi-allelic records joined)
before matching. Here each VCF record is compared with each defined position it touches by
*sequence*: both are applied to the same reference window and the resulting haplotype
strings are compared. So these spellings of one variant all match its definition:

- the same indel with more or less flanking context (``CAT>C`` and ``CATAT>CAT``),
  with an extra padding base in front (``GCA>GC`` for ``CA>C``), or an SNV written
  with padding (``TA>TG`` for ``A>G``);
- an indel shifted inside a short repeat (left- vs right-aligned), as long as the
  reference between the two spellings is known;
- multi-allelic records (each ALT is mapped on its own) and records split per ALT
  (merged by the reader);
- multi-base substitutions (MNVs) covering defined SNVs, read base by base.

Without a reference FASTA the window is known only where a definition's REF or the
record's REF covers it, so an indel shifted further than that inside a long repeat is not
recognised (its defined position is then reported missing, see docs/pgx.md); with one
(:mod:`pharmakon.patients.pgx.reference`) the ``flank`` bases around every defined
position are known and any shift within them is recognised. A record whose REF disagrees with the GRCh38 bases
of a definition it overlaps is reported as a :class:`Mismatch` (wrong genome build?),
never read as reference.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from pathlib import Path

from pharmakon.errors import InputError
from pharmakon.patients.pgx.definitions import load_definition

__all__ = ["Hit", "Mismatch", "Resolver", "chrom_name"]


def chrom_name(name: str) -> str:
    """Chromosome without a ``chr`` prefix (``chr10`` -> ``10``)."""
    return name[3:] if name.lower().startswith("chr") else name


@dataclass(frozen=True)
class _Site:
    gene: str
    index: int
    start: int
    ref: str
    alleles: tuple[str, ...]  # REF first, definition spelling

    @property
    def end(self) -> int:
        return self.start + len(self.ref)

    @property
    def snv(self) -> bool:
        return all(len(a) == 1 for a in self.alleles)


@dataclass(frozen=True)
class Hit:
    """A record read at one defined position: definition spelling of each VCF allele.

    ``alleles[j]`` is the definition's spelling of VCF allele ``j`` (0 = REF), or, for an
    allele the definition does not know, a spelling that names it (undocumented variation).
    """

    gene: str
    index: int
    alleles: tuple[str, ...]
    exact: bool


@dataclass(frozen=True)
class Mismatch:
    """A VCF REF that disagrees with the GRCh38 bases of a defined position."""

    gene: str
    index: int
    position: int
    vcf_ref: str
    grch38_ref: str


class Resolver:
    """Index of the defined positions of ``genes`` with the reference bases they reveal.

    Parameters
    ----------
    genes : gene symbols
    reference : optional GRCh38 FASTA (see :mod:`pharmakon.patients.pgx.reference`)
    flank : bases of reference read on each side of every defined position (with ``reference``)
    """

    def __init__(self, genes: tuple[str, ...], reference: Path | str | None = None, flank: int = 200) -> None:
        self.sites: dict[str, list[_Site]] = {}
        self.known: dict[str, dict[int, str]] = {}
        for gene in genes:
            for i, v in enumerate(load_definition(gene).variants):
                c = chrom_name(v.chromosome)
                self.sites.setdefault(c, []).append(_Site(gene, i, v.position, v.ref, (v.ref, *v.alts)))
                known = self.known.setdefault(c, {})
                for k, base in enumerate(v.ref):
                    known.setdefault(v.position + k, base)
        for c in self.sites:
            self.sites[c].sort(key=lambda s: s.start)
        self._starts = {c: [s.start for s in sites] for c, sites in self.sites.items()}
        self._span = {c: max(len(s.ref) for s in sites) for c, sites in self.sites.items()}
        if reference is not None:
            self._add_reference(Path(reference), flank)

    def _add_reference(self, path: Path, flank: int) -> None:
        from pharmakon.patients.pgx.reference import load_reference_windows

        windows = {c: [(s.start - flank, s.end + flank) for s in sites] for c, sites in self.sites.items()}
        fasta = load_reference_windows(path, windows)
        if not any(fasta.get(c) for c in self.sites):
            raise InputError(f"reference FASTA has none of the chromosomes {sorted(self.sites)}", file=str(path))
        for c, sites in self.sites.items():
            bases = fasta.get(c) or {}
            for s in sites:
                got = "".join(bases.get(s.start + k, "?") for k in range(len(s.ref)))
                if "?" not in got and got != s.ref:
                    raise InputError(
                        f"reference FASTA has {got} at {c}:{s.start} where the GRCh38 definition of "
                        f"{s.gene} has {s.ref}: not GRCh38?",
                        file=str(path),
                    )
            known = self.known[c]
            for p, base in bases.items():
                known.setdefault(p, base)
            self._span[c] = max(self._span[c], flank)

    @property
    def chromosomes(self) -> set[str]:
        """Chromosomes (without ``chr``) that carry a defined position."""
        return set(self.sites)

    def resolve(self, chrom: str, pos: int, ref: str, alts: list[str]) -> tuple[list[Hit], list[Mismatch]]:
        """Defined positions a record speaks for, and REF disagreements with GRCh38.

        Parameters
        ----------
        chrom, pos, ref, alts : the record's CHROM, POS (1-based), REF and ALT list
        """
        c = chrom_name(chrom)
        sites = self.sites.get(c)
        if not sites:
            return [], []
        end = pos + len(ref)
        starts = self._starts[c]
        lo = bisect.bisect_left(starts, pos - self._span[c])
        hi = bisect.bisect_right(starts, end)
        alleles = [ref, *alts]
        simple = all(len(a) == 1 for a in alleles)
        hits: list[Hit] = []
        mismatches: list[Mismatch] = []
        for s in sites[lo:hi]:
            exact = s.start == pos
            if simple and not exact:
                continue
            if exact and simple and ref == s.ref:  # the common case, no window needed
                hits.append(Hit(s.gene, s.index, tuple(alleles), True))
                continue
            hit, bad = self._compare(c, s, pos, ref, alleles, exact)
            if bad:
                mismatches.append(Mismatch(s.gene, s.index, s.start, ref, s.ref))
            elif hit is not None:
                hits.append(hit)
        return hits, mismatches

    def _compare(self, c: str, s: _Site, pos: int, ref: str, alleles: list[str], exact: bool):
        """(Hit or None, REF disagrees) for one record against one site."""
        known = self.known[c]
        overlap = range(max(pos, s.start), min(pos + len(ref), s.end))
        if any(ref[p - pos] != s.ref[p - s.start] for p in overlap):
            return None, True
        lo, hi = min(pos, s.start), max(pos + len(ref), s.end)
        window = []
        for p in range(lo, hi):
            base = ref[p - pos] if pos <= p < pos + len(ref) else known.get(p)
            if base is None:
                return None, False  # reference between the two spellings unknown
            window.append(base)
        seq = "".join(window)

        def hap(allele: str, start: int, stop: int) -> str:
            return seq[: start - lo] + allele + seq[stop - lo :]

        if s.snv and len(overlap) == 1 and all(len(a) == len(ref) for a in alleles):
            # an MNV (or padded SNV) over a defined SNV: read the base at the site
            k = s.start - pos
            return Hit(s.gene, s.index, tuple(a[k] for a in alleles), exact), False
        by_hap = {}
        for a in s.alleles:
            by_hap.setdefault(hap(a, s.start, s.end), a)
        mapped = []
        for a in alleles:
            d = by_hap.get(hap(a, pos, pos + len(ref))) if not a.startswith("<") and a != "*" else None
            undocumented = a if exact and a not in s.alleles else f"{pos}:{ref}>{a}"
            mapped.append(d if d is not None else undocumented)
        if exact or any(m != s.ref and m in s.alleles for m in mapped[1:]):
            return Hit(s.gene, s.index, tuple(mapped), exact), False
        return None, False
