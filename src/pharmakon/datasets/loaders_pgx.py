"""Table definitions of the pharmacogenomics data sets (PharmCAT definitions and test
expectations, CPIC/DPWG recommendations). IWPC warfarin lives with the clinical tables."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from pharmakon.datasets._tables import Table, csv_table, frame, read_json
from pharmakon.errors import InputError

__all__ = ["TABLES"]

S, F, I, B = "string", "float64", "Int64", "boolean"


def _allele_definitions(folder: Path) -> pd.DataFrame:
    rows = []
    for path in sorted((folder / "allele_definitions").glob("*_translation.json")):
        file = f"allele_definitions/{path.name}"
        doc = read_json(path, file=file)
        variants = doc.get("variants") or []
        for allele in doc.get("namedAlleles") or []:
            calls = allele.get("alleles") or []
            if len(calls) != len(variants):
                raise InputError(
                    f"allele {allele.get('name')!r} has {len(calls)} calls for {len(variants)} variants",
                    file=file,
                    field="namedAlleles",
                )
            for var, call in zip(variants, calls, strict=True):
                if call is None:
                    continue
                rows.append(
                    {
                        "gene": doc.get("gene"),
                        "allele": allele.get("name"),
                        "allele_id": allele.get("id"),
                        "reference": bool(allele.get("reference")),
                        "chromosome": var.get("chromosome"),
                        "position": var.get("position"),
                        "rsid": var.get("rsid"),
                        "ref": var.get("ref"),
                        "call": call,
                        "genome_build": doc.get("genomeBuild"),
                    }
                )
    return frame(rows, _ALLELE_SCHEMA, file="allele_definitions/*_translation.json")


_ALLELE_SCHEMA = {
    "gene": S,
    "allele": S,
    "allele_id": S,
    "reference": B,
    "chromosome": S,
    "position": I,
    "rsid": S,
    "ref": S,
    "call": S,
    "genome_build": S,
}


def _diplotype_phenotypes(folder: Path) -> pd.DataFrame:
    rows = []
    for path in sorted((folder / "gene_phenotypes").glob("*.json")):
        file = f"gene_phenotypes/{path.name}"
        doc = read_json(path, file=file)
        for d in doc.get("diplotypes") or []:
            rows.append(
                {
                    "gene": doc.get("gene"),
                    "diplotype": d.get("diplotype"),
                    "phenotype": d.get("phenotype"),
                    "generesult": d.get("generesult"),
                    "lookupkey": d.get("lookupkey"),
                    "activity_score": _score(d.get("activityScore")),
                }
            )
    return frame(rows, _DIPLO_SCHEMA, file="gene_phenotypes/*.json")


def _score(value: object) -> float | None:
    try:
        return None if value in (None, "", "n/a") else float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


_DIPLO_SCHEMA = {"gene": S, "diplotype": S, "phenotype": S, "generesult": S, "lookupkey": S, "activity_score": F}


def _test_expectations(folder: Path) -> pd.DataFrame:
    file = "test_expectations.json"
    rows = []
    for t in read_json(folder / file, file=file):
        expected = [d for a in t.get("assertions") or [] for d in a.get("expected_diplotypes") or []]
        rows.append(
            {
                "source_file": t.get("source_file"),
                "test": t.get("test"),
                "phased": t.get("phased"),
                "reference_genes": ",".join(t.get("reference_genes") or []) or None,
                "n_variations": len(t.get("variations") or []),
                "variations": json.dumps(t.get("variations") or []),
                "vcf_resources": ",".join(t.get("vcf_resources") or []) or None,
                "expected_diplotypes": "; ".join(map(str, expected)) or None,
                "assertions": json.dumps(t.get("assertions") or []),
            }
        )
    return frame(rows, _TEST_SCHEMA, file=file)


_TEST_SCHEMA = {
    "source_file": S,
    "test": S,
    "phased": B,
    "reference_genes": S,
    "n_variations": I,
    "variations": S,
    "vcf_resources": S,
    "expected_diplotypes": S,
    "assertions": S,
}


def _test_vcfs(folder: Path) -> pd.DataFrame:
    rows = []
    for path in sorted((folder / "test_vcfs").rglob("*.vcf")):
        rel = path.relative_to(folder).as_posix()
        n_records = sum(1 for line in path.read_text("utf-8").splitlines() if line and not line.startswith("#"))
        rows.append({"gene": path.parent.name.upper(), "path": rel, "name": path.stem, "n_records": n_records})
    return frame(rows, {"gene": S, "path": S, "name": S, "n_records": I}, file="test_vcfs/*/*.vcf")


_PHARMCAT = [
    Table(
        "allele_definitions",
        _allele_definitions,
        _ALLELE_SCHEMA,
        "named-allele definitions (GRCh38), one row per allele x defining position",
    ),
    Table(
        "diplotype_phenotypes",
        _diplotype_phenotypes,
        _DIPLO_SCHEMA,
        "diplotype -> phenotype / activity score per gene (CYP2D6 reduced table has none)",
    ),
    Table(
        "test_expectations",
        _test_expectations,
        _TEST_SCHEMA,
        "150 PharmCAT test scenarios; variations and assertions as JSON text",
    ),
    Table(
        "test_vcfs",
        _test_vcfs,
        {"gene": S, "path": S, "name": S, "n_records": I},
        "inventory of the single-sample test VCFs (file name encodes the expected diplotype)",
    ),
    csv_table(
        "example_report",
        "example_report/pharmcat.example.report.tsv",
        {"Gene": S, "Source Diplotype": S, "Phenotype": S},
        rest=S,
        sep="\t",
        skiprows=1,
        description="PharmCAT v3.1.0 summary report of the example VCF, one row per gene",
    ),
]


def _guidelines(folder: Path) -> pd.DataFrame:
    rows = []
    for path in sorted((folder / "pharmgkb_guideline_annotations").glob("*.json")):
        file = f"pharmgkb_guideline_annotations/{path.name}"
        doc = read_json(path, file=file)
        g = doc.get("guideline") or {}
        rows.append(
            {
                "file": path.name,
                "guideline_id": g.get("id"),
                "name": g.get("name"),
                "source": g.get("source"),
                "drugs": ",".join(c.get("name", "") for c in g.get("relatedChemicals") or []),
                "genes": ",".join(x.get("symbol", "") for x in g.get("relatedGenes") or []),
                "n_recommendations": len(doc.get("recommendations") or []),
                "n_citations": len(doc.get("citations") or []),
                "url": g.get("url"),
            }
        )
    return frame(rows, _GUIDELINE_SCHEMA, file="pharmgkb_guideline_annotations/*.json")


_GUIDELINE_SCHEMA = {
    "file": S,
    "guideline_id": S,
    "name": S,
    "source": S,
    "drugs": S,
    "genes": S,
    "n_recommendations": I,
    "n_citations": I,
    "url": S,
}
_CPIC = [
    csv_table(
        "recommendations",
        "recommendations_flat.csv",
        {
            "source": S,
            "guideline_id": S,
            "drug": S,
            "population": S,
            "lookup_key": S,
            "genes": S,
            "phenotype_or_score": S,
            "classification": S,
            "recommendation": S,
            "recommendation_id": S,
        },
        rest=S,
        description="one row per CPIC/DPWG recommendation; lookup_key is JSON {gene: phenotype/score}",
    ),
    Table("guidelines", _guidelines, _GUIDELINE_SCHEMA, "one row per guideline annotation file"),
]

TABLES: dict[str, list[Table]] = {"pharmcat": _PHARMCAT, "cpic_recommendations": _CPIC}
