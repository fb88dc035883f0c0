"""Matcher rules on small hand-built genotypes (independent of PharmCAT's scenarios)."""

from __future__ import annotations

from pharmakon.patients.pgx import load_definition, match_gene, phenotype_of


def _ref(gene: str) -> list:
    return [(v.ref, v.ref) for v in load_definition(gene).variants]


def _set(gene: str, gts: list, rsid: str, a: str, b: str) -> None:
    d = load_definition(gene)
    i = next(k for k, v in enumerate(d.variants) if v.rsid == rsid)
    gts[i] = (a, b)


def test_reference_sample_is_reference_allele():
    call = match_gene("TPMT", _ref("TPMT"))
    assert call.diplotypes == ["*1/*1"] and call.score == 86


def test_unphased_ties_and_phased_resolution():
    gts = _ref("TPMT")
    _set("TPMT", gts, "rs1800460", "C", "T")
    _set("TPMT", gts, "rs1142345", "T", "C")
    unphased = match_gene("TPMT", gts, phased=False)
    assert [d for d, _ in unphased.candidates] == ["*1/*3A", "*3B/*3C"] and unphased.diplotypes == ["*1/*3A"]
    gts2 = list(gts)
    _set("TPMT", gts2, "rs1142345", "C", "T")  # phased: variants on different strands
    assert match_gene("TPMT", gts2, phased=True).diplotypes == ["*3B/*3C"]


def test_all_missing_is_not_called():
    call = match_gene("NUDT15", [None] * len(load_definition("NUDT15").variants))
    assert not call.called and call.not_called_reason == "no calls at any defined position"


def test_undocumented_allele_blocks_call_except_tpmt():
    gts = _ref("CYP2C19")
    _set("CYP2C19", gts, "rs3758581", "G", "T")
    assert "undocumented" in match_gene("CYP2C19", gts).not_called_reason


def test_dpyd_unphased_lowest_function():
    gts = _ref("DPYD")
    _set("DPYD", gts, "rs3918290", "C", "T")  # c.1905+1G>A (*2A), no function
    _set("DPYD", gts, "rs67376798", "T", "A")  # c.2846A>T, decreased
    _set("DPYD", gts, "rs1801159", "T", "C")  # c.1627A>G (*5), normal
    call = match_gene("DPYD", gts, phased=False)
    assert call.lowest_function and call.diplotypes == ["c.1905+1G>A (*2A)/c.2846A>T"]
    assert phenotype_of("DPYD", call.diplotypes[0]).activity_score == 0.5


def test_dpyd_phased_combination():
    gts = _ref("DPYD")
    _set("DPYD", gts, "rs3918290", "C", "T")
    _set("DPYD", gts, "rs67376798", "T", "A")
    call = match_gene("DPYD", gts, phased=True)
    assert call.diplotypes == ["Reference/c.1905+1G>A (*2A) + c.2846A>T"]
    ph = phenotype_of("DPYD", call.diplotypes[0])
    assert ph.activity_score == 1.0  # combination takes its lowest part (0.0) + Reference (1.0)
