"""PharmCAT-format allele definitions and gene phenotype tables (GRCh38).

The files come from the ``pharmcat`` data set of the catalogue (``allele_definitions/
<GENE>_translation.json``, ``gene_phenotypes/<GENE>.json``). Each named allele is a
vector aligned to the gene's variant positions; a ``null`` entry means "this allele says
nothing here", which the matcher reads as the reference base (PharmCAT's documented
rule since v2: a named allele is the reference sequence plus its listed changes).
Entries may be IUPAC ambiguity codes (``Y`` = C or T), which match any of their bases.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pharmakon.errors import InputError, NotFoundError

__all__ = [
    "GENES",
    "GeneDefinition",
    "GenePhenotypes",
    "NamedAllele",
    "Variant",
    "data_folder",
    "load_definition",
    "load_phenotypes",
    "natural_key",
]

GENES: tuple[str, ...] = (
    "ABCG2",
    "CYP2C19",
    "CYP2C9",
    "CYP2D6",
    "CYP3A5",
    "CYP4F2",
    "DPYD",
    "NUDT15",
    "SLCO1B1",
    "TPMT",
    "UGT1A1",
    "VKORC1",
)
"""Genes with a GRCh38 allele definition in the catalogue (CYP2D6: SNVs only)."""

IUPAC: dict[str, frozenset[str]] = {
    "R": frozenset("AG"),
    "Y": frozenset("CT"),
    "S": frozenset("GC"),
    "W": frozenset("AT"),
    "K": frozenset("GT"),
    "M": frozenset("AC"),
    "B": frozenset("CGT"),
    "D": frozenset("AGT"),
    "H": frozenset("ACT"),
    "V": frozenset("ACG"),
    "N": frozenset("ACGT"),
}


def natural_key(name: str) -> tuple:
    """Sort key that orders ``*2`` before ``*10`` (digits compared as numbers)."""
    import re

    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", name) if p)


@dataclass(frozen=True)
class Variant:
    """One defined position: VCF coordinates and the CPIC <-> VCF allele spelling."""

    chromosome: str
    position: int
    rsid: str | None
    ref: str
    alts: tuple[str, ...]
    cpic_to_vcf: dict[str, str] = field(hash=False, compare=False)

    def to_vcf(self, allele: str) -> str:
        """VCF spelling of an allele given in CPIC notation (``TA(8)`` -> ``CATAT``)."""
        return self.cpic_to_vcf.get(allele, allele)


@dataclass(frozen=True)
class NamedAllele:
    """A star allele (or named variant) as accepted bases per position.

    ``accepts[i]`` is the frozenset of VCF allele strings matching position ``i``;
    ``defined[i]`` says whether the definition lists a value there (counts to the score).
    """

    name: str
    reference: bool
    accepts: tuple[frozenset[str], ...]
    defined: tuple[bool, ...]


@dataclass(frozen=True)
class GeneDefinition:
    """Named alleles of one gene over its ordered variant positions."""

    gene: str
    chromosome: str
    genome_build: str
    version: str
    variants: tuple[Variant, ...]
    alleles: tuple[NamedAllele, ...]
    suballeles: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    """Sub-allele -> core allele name (``*45.001`` -> ``*45``); calls are reported by core name."""

    @property
    def positions(self) -> tuple[int, ...]:
        """VCF positions (1-based, GRCh38) in definition order."""
        return tuple(v.position for v in self.variants)

    @property
    def reference_allele(self) -> NamedAllele:
        """The allele flagged ``reference`` (all reference bases)."""
        return next(a for a in self.alleles if a.reference)


@dataclass(frozen=True)
class GenePhenotypes:
    """Allele function / activity values and the diplotype -> phenotype table of a gene."""

    gene: str
    functions: dict[str, str]
    activity: dict[str, float | None]
    diplotypes: dict[frozenset, dict] = field(hash=False)
    score_to_phenotype: tuple[tuple[float, str], ...] = ()

    @property
    def uses_activity_score(self) -> bool:
        """True when the gene's phenotype is looked up by activity score (DPYD, CYP2C9, CYP2D6)."""
        return bool(self.score_to_phenotype) or any(v is not None for v in self.activity.values())


def data_folder(name: str = "pharmcat") -> Path:
    """Folder of a catalogued data set (``pharmcat``, ``cpic_recommendations``, ``iwpc_warfarin``)."""
    from pharmakon.datasets import fetch

    return fetch(name)


def _read(path: Path) -> dict:
    if not path.is_file():
        raise NotFoundError(f"file {path} not found")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc}", file=str(path)) from exc


def _accepts(call: str | None, ref: str) -> frozenset[str]:
    if call is None:
        return frozenset({ref})
    if len(call) == 1 and call in IUPAC:
        return IUPAC[call]
    return frozenset({call})


@lru_cache(maxsize=64)
def load_definition(gene: str, folder: Path | None = None) -> GeneDefinition:
    """Read ``allele_definitions/<gene>_translation.json``.

    Parameters
    ----------
    gene : str
        Gene symbol, one of :data:`GENES`.
    folder : Path, optional
        Root of the ``pharmcat`` data set; default: the catalogue's copy.
    """
    if gene not in GENES:
        raise InputError(f"gene {gene!r} has no allele definition; allowed: {', '.join(GENES)}", field="gene")
    root = folder or data_folder()
    doc = _read(root / "allele_definitions" / f"{gene}_translation.json")
    variants = tuple(
        Variant(
            chromosome=v["chromosome"],
            position=int(v["position"]),
            rsid=v.get("rsid"),
            ref=v["ref"],
            alts=tuple(v.get("alts") or ()),
            cpic_to_vcf=dict(v.get("cpicToVcfAlleleMap") or {}),
        )
        for v in doc["variants"]
    )
    alleles = []
    for a in doc["namedAlleles"]:
        calls = a["alleles"]
        if len(calls) != len(variants):
            raise InputError(f"allele {a['name']} has {len(calls)} calls for {len(variants)} positions", file=gene)
        alleles.append(
            NamedAllele(
                name=a["name"],
                reference=bool(a.get("reference")),
                accepts=tuple(_accepts(c, v.ref) for c, v in zip(calls, variants, strict=True)),
                defined=tuple(c is not None for c in calls),
            )
        )
    return GeneDefinition(
        gene=gene,
        chromosome=doc["chromosome"],
        genome_build=doc.get("genomeBuild") or "GRCh38",
        version=str(doc.get("version")),
        variants=variants,
        alleles=tuple(alleles),
        suballeles=dict(doc.get("suballelesMap") or {}),
    )


def _float(value: object) -> float | None:
    try:
        return None if value in (None, "", "n/a", "N/A") else float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


@lru_cache(maxsize=64)
def load_phenotypes(gene: str, folder: Path | None = None) -> GenePhenotypes:
    """Read ``gene_phenotypes/<gene>.json`` (CYP2D6: the reduced 2023-08 activity table)."""
    root = (folder or data_folder()) / "gene_phenotypes"
    if gene == "CYP2D6":
        doc = _read(root / "CYP2D6_allele_activity_2023-08.json")
        return GenePhenotypes(
            gene=gene,
            functions=dict(doc["haplotype_function"]),
            activity={k: _float(v) for k, v in doc["haplotype_activity_value"].items()},
            diplotypes={},
            score_to_phenotype=tuple(
                (f, p) for s, p in doc["activityScore_to_phenotype"] if (f := _float(s)) is not None
            ),
        )
    path = root / f"{gene}.json"
    if not path.is_file():
        return GenePhenotypes(gene=gene, functions={}, activity={}, diplotypes={})
    doc = _read(path)
    table = {}
    for row in doc.get("diplotypes") or []:
        key = frozenset((k, int(n)) for k, n in (row.get("diplotypekey") or {}).items())
        table[key] = {
            "phenotype": row.get("generesult"),
            "activity_score": _float(row.get("activityScore")),
            "lookup_key": row.get("lookupkey"),
        }
    return GenePhenotypes(
        gene=gene,
        functions={k: v for k, v in (doc.get("haplotypes") or {}).items()},
        activity={k: _float(v) for k, v in (doc.get("activityValues") or {}).items()},
        diplotypes=table,
    )
