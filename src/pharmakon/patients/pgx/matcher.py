"""Named-allele matching: a sample's genotypes at one gene -> ranked candidate diplotypes.

Rules (PharmCAT's documented NamedAlleleMatcher behaviour, re-implemented from the docs):

1. Positions the sample lacks (no record, ``./.``) are dropped from every definition;
   alleles that differ only there become indistinguishable and are all reported; an
   allele defined only at missing positions is dropped.
2. The sample's haplotypes are built from its genotypes: two fixed strands when every
   heterozygous call is phased, else every assignment of heterozygous alleles to strands.
3. A named allele matches a haplotype when every remaining position matches (a position the
   allele does not define must carry the reference allele; IUPAC codes match any base).
4. A diplotype's score is the sum of its alleles' scores (number of positions each defines);
   every pairing of matched alleles is a candidate, ranked by score. The call is the set of
   candidates tied at the top score ("most specific match wins", ties reported).
5. DPYD: a strand that no single allele explains is written as the combination of the
   single-variant alleles on it (``A + B``); when unphased with two or more heterozygous
   variants, the call is the two lowest-activity alleles seen (CPIC's lowest-function rule).
6. A sample allele absent from the definition (undocumented variation) leaves the gene
   uncalled, with the reason (TPMT: read as reference, with a warning, as PharmCAT
   does), as does a sample with no call at any position.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from functools import lru_cache

from pharmakon.patients.pgx.definitions import GeneDefinition, load_definition, load_phenotypes, natural_key

__all__ = ["GeneCall", "Genotype", "match_gene", "diplotype_name"]

Genotype = tuple[str, str] | None
"""Two VCF allele strings at one position (``None`` = missing)."""

MAX_UNPHASED_HETS = 16
TREAT_UNDOCUMENTED_AS_REFERENCE = frozenset({"TPMT"})
"""Genes whose undocumented alleles count as reference (with a warning), as PharmCAT does for TPMT."""


@dataclass(frozen=True)
class GeneCall:
    """Outcome of matching one gene for one sample.

    Attributes
    ----------
    diplotypes : list of str
        Top-scoring diplotypes (ties), each ``"A/B"`` with the lower-sorting allele first;
        empty when the gene is not called.
    candidates : list of tuple(str, int)
        Every matching diplotype with its score, best first.
    missing_positions : list of int
        Definition positions without a call in the sample.
    not_called_reason : str or None
        Why no diplotype was called.
    ref_mismatches : tuple of (position, VCF REF, GRCh38 REF)
        Defined positions left out because the VCF's REF disagrees with GRCh38 (set by the reader).
    """

    gene: str
    diplotypes: list[str]
    score: int | None = None
    candidates: list[tuple[str, int]] = field(default_factory=list)
    missing_positions: list[int] = field(default_factory=list)
    matched_positions: list[int] = field(default_factory=list)
    phased: bool = False
    not_called_reason: str | None = None
    lowest_function: bool = False
    warning: str | None = None
    ref_mismatches: tuple[tuple[int, str, str], ...] = ()

    @property
    def called(self) -> bool:
        """True when at least one diplotype was called."""
        return bool(self.diplotypes)


def diplotype_name(a: str, b: str) -> str:
    """``"A/B"`` with the lower-sorting allele first (``*2/*10``, ``Reference/c.2846A>T``)."""
    x, y = sorted((a, b), key=natural_key)
    return f"{x}/{y}"


def match_gene(gene: str, genotypes: list[Genotype] | tuple, phased: bool = False) -> GeneCall:
    """Call one gene from genotypes aligned to its definition's positions.

    Parameters
    ----------
    gene : str
        Gene symbol with an allele definition.
    genotypes : sequence of (str, str) or None, length = number of defined positions
        VCF allele strings per position, in definition order; ``None`` where missing.
    phased : bool
        True when every heterozygous genotype is phased (first allele = strand 1).

    Returns
    -------
    GeneCall
    """
    return _match_cached(gene, tuple(genotypes), bool(phased))


@lru_cache(maxsize=200_000)
def _match_cached(gene: str, genotypes: tuple, phased: bool) -> GeneCall:
    definition = load_definition(gene)
    if len(genotypes) != len(definition.variants):
        raise ValueError(f"{gene}: {len(genotypes)} genotypes for {len(definition.variants)} positions")
    present = [i for i, g in enumerate(genotypes) if g is not None]
    missing = [definition.variants[i].position for i, g in enumerate(genotypes) if g is None]
    matched = [definition.variants[i].position for i in present]
    base = dict(gene=gene, missing_positions=missing, matched_positions=matched, phased=phased)
    if not present:
        return GeneCall(diplotypes=[], not_called_reason="no calls at any defined position", **base)
    undocumented = _undocumented(definition, genotypes, present)
    warning = None
    if undocumented and gene in TREAT_UNDOCUMENTED_AS_REFERENCE:
        genotypes = _as_reference(definition, genotypes)
        warning = f"undocumented variation treated as reference: {undocumented}"
    elif undocumented:
        return GeneCall(diplotypes=[], not_called_reason=f"undocumented variation: {undocumented}", **base)
    base["warning"] = warning
    hets = [i for i in present if genotypes[i][0] != genotypes[i][1]]
    if gene == "DPYD" and not phased and len(hets) > 1:
        return _dpyd_lowest_function(definition, genotypes, present, base)
    if not phased and len(hets) > MAX_UNPHASED_HETS:
        reason = f"{len(hets)} unphased heterozygous positions (limit {MAX_UNPHASED_HETS})"
        return GeneCall(diplotypes=[], not_called_reason=reason, **base)
    present_key = tuple(present)
    scores = _scores(gene, present_key)
    found: dict[str, int] = {}
    for h1, h2 in _strand_pairs(genotypes, present, hets, phased):
        m1 = _strand_matches(gene, present_key, h1)
        m2 = _strand_matches(gene, present_key, h2)
        for a, b in itertools.product(m1, m2):
            name = diplotype_name(definition.suballeles.get(a, a), definition.suballeles.get(b, b))
            found[name] = max(found.get(name, 0), _pair_score(a, b, scores))
    if not found:
        return GeneCall(diplotypes=[], not_called_reason="no named-allele combination matches the genotypes", **base)
    ranked = sorted(found.items(), key=lambda kv: (-kv[1], natural_key(kv[0])))
    top = ranked[0][1]
    return GeneCall(diplotypes=[d for d, s in ranked if s == top], score=top, candidates=ranked, **base)


def _pair_score(a: str, b: str, scores: dict[str, int]) -> int:
    return sum(scores.get(p.strip(), 0) for p in a.split(" + ")) + sum(scores.get(p.strip(), 0) for p in b.split(" + "))


def _undocumented(definition: GeneDefinition, genotypes: tuple, present: list[int]) -> str:
    bad = []
    for i in present:
        v = definition.variants[i]
        known = {v.ref, *v.alts}
        for allele in genotypes[i]:
            if allele not in known:
                bad.append(f"{allele} at {v.chromosome}:{v.position}")
    return ", ".join(bad)


def _as_reference(definition: GeneDefinition, genotypes: tuple) -> tuple:
    out = []
    for v, g in zip(definition.variants, genotypes, strict=True):
        known = {v.ref, *v.alts}
        out.append(None if g is None else tuple(a if a in known else v.ref for a in g))
    return tuple(out)


def _strand_pairs(genotypes: tuple, present: list[int], hets: list[int], phased: bool):
    """Yield (strand1, strand2) as tuples over ``present`` positions."""
    index = {i: k for k, i in enumerate(present)}
    first = [genotypes[i][0] for i in present]
    second = [genotypes[i][1] for i in present]
    if phased or len(hets) <= 1:
        yield tuple(first), tuple(second)
        return
    # fix the orientation of the first heterozygous position, flip the others
    for flips in itertools.product((False, True), repeat=len(hets) - 1):
        s1, s2 = list(first), list(second)
        for flip, i in zip(flips, hets[1:], strict=True):
            if flip:
                k = index[i]
                s1[k], s2[k] = s2[k], s1[k]
        yield tuple(s1), tuple(s2)


@lru_cache(maxsize=4096)
def _scores(gene: str, present: tuple[int, ...]) -> dict[str, int]:
    """Score of each allele: the number of positions it defines among those present."""
    return {a.name: sum(a.defined[i] for i in present) for a in load_definition(gene).alleles}


@lru_cache(maxsize=100_000)
def _strand_matches(gene: str, present: tuple[int, ...], strand: tuple) -> list[str]:
    """Named alleles matching one strand (cached: the same strands recur across samples)."""
    return _matches(load_definition(gene), strand, list(present), _scores(gene, present))


def _matches(definition: GeneDefinition, strand: tuple, present: list[int], scores: dict[str, int]) -> list[str]:
    hits = [
        a.name
        for a in definition.alleles
        if (a.reference or scores[a.name] > 0) and all(strand[k] in a.accepts[i] for k, i in enumerate(present))
    ]
    if hits or definition.gene != "DPYD":
        return hits
    combo = _dpyd_combination(definition, strand, present)
    return [combo] if combo else []


def _dpyd_combination(definition: GeneDefinition, strand: tuple, present: list[int]) -> str | None:
    """Name of a DPYD strand as ``A + B`` of single-position alleles, or None."""
    parts = []
    for k, i in enumerate(present):
        v = definition.variants[i]
        if strand[k] == v.ref:
            continue
        names = [
            a.name for a in definition.alleles if sum(a.defined) == 1 and a.defined[i] and strand[k] in a.accepts[i]
        ]
        if not names:
            return None
        parts.append(names[0])
    return " + ".join(sorted(parts, key=natural_key)) if len(parts) > 1 else None


def _dpyd_lowest_function(definition: GeneDefinition, genotypes: tuple, present: list[int], base: dict) -> GeneCall:
    """Unphased DPYD with >1 heterozygous variant: the two lowest-activity alleles seen."""
    activity = load_phenotypes("DPYD").activity
    copies: list[str] = []
    for i in present:
        v = definition.variants[i]
        for allele in genotypes[i]:
            if allele == v.ref:
                continue
            names = [a.name for a in definition.alleles if a.defined[i] and not a.reference and allele in a.accepts[i]]
            single = [n for n in names if sum(next(a for a in definition.alleles if a.name == n).defined) == 1]
            copies.append((single or names or [f"{v.position}{allele}"])[0])
    ref = definition.reference_allele.name
    copies += [ref, ref]
    # lowest activity first; among equal activity a variant allele before the reference
    ranked = sorted(
        copies, key=lambda n: (activity.get(n) if activity.get(n) is not None else 9.0, n == ref, natural_key(n))
    )
    name = diplotype_name(ranked[0], ranked[1])
    return GeneCall(diplotypes=[name], candidates=[(name, 0)], lowest_function=True, **base)
