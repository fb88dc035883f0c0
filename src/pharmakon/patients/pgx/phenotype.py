"""Diplotype -> allele functions, activity score and phenotype; outside-call files.

Lookup order: the gene's diplotype table (``gene_phenotypes/<GENE>.json``); for an
activity-score gene a diplotype missing from the table (DPYD combinations, CYP2D6) gets
the sum of its two allele activity values (a combination ``A + B`` takes its lowest
part, as CPIC does for DPYD) and the phenotype the table gives that score.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from pharmakon.errors import InputError
from pharmakon.patients.pgx.definitions import GENES, load_definition, load_phenotypes
from pharmakon.patients.pgx.matcher import diplotype_name

__all__ = [
    "OTHER_PHARMCAT_GENES",
    "Phenotype",
    "OutsideCall",
    "format_score",
    "no_phenotype_reason",
    "phenotype_of",
    "read_outside_calls",
]

OTHER_PHARMCAT_GENES = frozenset(
    {"CACNA1S", "CFTR", "CYP2B6", "CYP3A4", "G6PD", "HLA-A", "HLA-B", "IFNL3", "MT-RNR1", "NAT2", "RYR1"}
)
"""Genes PharmCAT reports that pharmakon does not cover: their outside calls are listed as ignored."""


@dataclass(frozen=True)
class Phenotype:
    """Phenotype of one diplotype (``None`` fields: not defined for this gene/allele)."""

    diplotype: str
    phenotype: str | None
    activity_score: float | None
    functions: tuple[str | None, str | None]
    lookup_key: str | None


@dataclass(frozen=True)
class OutsideCall:
    """A diplotype called outside pharmakon (e.g. CYP2D6 with copy number), from a TSV row."""

    gene: str
    diplotypes: list[str]
    phenotype: str | None
    activity_score: float | None
    row: int


def format_score(score: float | None) -> str | None:
    """Activity score as CPIC writes it: ``1.0``, ``0.25``, ``2.75``."""
    if score is None:
        return None
    text = f"{score:.2f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def _part_activity(activity: dict, name: str) -> float | None:
    parts = [activity.get(p.strip()) for p in name.split(" + ")]
    if any(p is None for p in parts):
        return None
    return min(parts)  # type: ignore[type-var]


def _part_function(functions: dict, name: str) -> str | None:
    parts = [functions.get(p.strip()) for p in name.split(" + ")]
    return parts[0] if len(parts) == 1 else " + ".join(str(p) for p in parts)


def _score_phenotype(gene: str, score: float) -> str | None:
    table = load_phenotypes(gene)
    for s, ph in table.score_to_phenotype:
        if abs(s - score) < 1e-9:
            return ph
    for row in table.diplotypes.values():
        if row["activity_score"] is not None and abs(row["activity_score"] - score) < 1e-9:
            return row["phenotype"]
    return None


def phenotype_of(gene: str, diplotype: str) -> Phenotype:
    """Phenotype, activity score and allele functions of ``diplotype`` (``"A/B"``)."""
    table = load_phenotypes(gene)
    if "/" not in diplotype:
        raise InputError(f"diplotype {diplotype!r} of {gene} is not written A/B", field="diplotype")
    a, b = diplotype.split("/", 1)
    key = frozenset({a: 2}.items()) if a == b else frozenset({a: 1, b: 1}.items())
    functions = (_part_function(table.functions, a), _part_function(table.functions, b))
    row = table.diplotypes.get(key)
    if row is not None:
        return Phenotype(diplotype, row["phenotype"], row["activity_score"], functions, row["lookup_key"])
    if table.uses_activity_score:
        va, vb = _part_activity(table.activity, a), _part_activity(table.activity, b)
        if va is not None and vb is not None:
            score = va + vb
            return Phenotype(diplotype, _score_phenotype(gene, score), score, functions, format_score(score))
    return Phenotype(diplotype, None, None, functions, None)


_NO_PHENOTYPE_USE = {
    "CYP4F2": "CYP4F2*3 only adjusts warfarin dosing (CPIC 2017): see the caveats and notes",
}
"""What a gene without CPIC phenotypes is used for, shown where its phenotype would be."""


def no_phenotype_reason(gene: str, diplotypes: list[str], functions: list[list[str | None]]) -> str | None:
    """Why a called gene has no phenotype, in words for the report (None when not called).

    Either CPIC defines no phenotypes for the gene (CYP4F2), or an allele of the call has
    no CPIC function, so its diplotype has no phenotype.
    """
    if not diplotypes:
        return None
    table = load_phenotypes(gene)
    if not table.diplotypes and not table.uses_activity_score:
        use = _NO_PHENOTYPE_USE.get(gene, "see the recommendations")
        return f"no CPIC phenotype for this gene; {use}"
    unknown = sorted(
        {
            a
            for d, fs in zip(diplotypes, functions, strict=False)
            for a, f in zip(d.split("/"), fs, strict=False)
            if f is None
        }
    )
    if unknown:
        return f"no CPIC phenotype: no CPIC function for {', '.join(unknown)}"
    return "no CPIC phenotype for this diplotype"


def _known_alleles(gene: str) -> set[str]:
    names = set(load_phenotypes(gene).functions)
    if gene in GENES:
        names |= {a.name for a in load_definition(gene).alleles}
    return names


def read_outside_calls(path: Path | str, ignored: list[str] | None = None) -> dict[str, OutsideCall]:
    """Read a PharmCAT-style outside-call TSV: ``GENE<TAB>DIPLOTYPE[<TAB>PHENOTYPE<TAB>ACTIVITY]``.

    Several diplotypes may be given as ``*1/*2 OR *1/*3``. Lines starting with ``#`` are skipped.
    Rows of genes PharmCAT covers but pharmakon does not (HLA-B, MT-RNR1, ...) are skipped
    and described in ``ignored`` (when a list is given).

    Raises
    ------
    InputError
        Unknown gene, unknown allele, a gene listed twice, or a malformed row (named by row).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"outside-call file {path} not found", file=str(path))
    calls: dict[str, OutsideCall] = {}
    with path.open(newline="") as fh:
        for row_no, row in enumerate(csv.reader(fh, delimiter="\t"), start=1):
            if not row or not row[0].strip() or row[0].startswith("#"):
                continue
            gene = row[0].strip()
            if gene in OTHER_PHARMCAT_GENES:
                if ignored is not None:
                    ignored.append(f"{gene}: outside call (row {row_no}) ignored: gene not covered by pharmakon")
                continue
            if gene not in GENES:
                raise InputError(
                    f"unknown gene {gene!r}; outside calls are accepted for {', '.join(GENES)}",
                    file=str(path),
                    row=row_no,
                    field="gene",
                )
            if gene in calls:
                raise InputError(f"gene {gene} is listed twice", file=str(path), row=row_no, field="gene")
            text = row[1].strip() if len(row) > 1 else ""
            phenotype = row[2].strip() or None if len(row) > 2 else None
            score = float(row[3]) if len(row) > 3 and row[3].strip() else None
            diplotypes = []
            if text:
                known = _known_alleles(gene)
                for d in text.split(" OR "):
                    parts = d.strip().split("/")
                    if len(parts) != 2 or any(p not in known for p in parts):
                        raise InputError(
                            f"{gene} diplotype {d.strip()!r} is not two known alleles A/B",
                            file=str(path),
                            row=row_no,
                            field="diplotype",
                        )
                    diplotypes.append(diplotype_name(*parts))
            elif phenotype is None and score is None:
                raise InputError(f"{gene} has no diplotype, phenotype or activity score", file=str(path), row=row_no)
            calls[gene] = OutsideCall(gene, diplotypes, phenotype, score, row_no)
    return calls
