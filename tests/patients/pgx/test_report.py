"""PharmCAT's example report row by row, outside calls, recommendations, outputs and bad input."""

from __future__ import annotations

import csv
import gzip
import json

import pytest

from pharmakon.errors import InputError
from pharmakon.patients.pgx import call_vcf, read_outside_calls, recommend, write_reports
from pharmakon.patients.pgx.models import TSV_COLUMNS, SampleReport
from pharmakon.patients.pgx.phenotype import format_score
from tests.conftest import MIRROR

EX = MIRROR / "pharmcat" / "example_report"


def _pharmcat_rows(name: str) -> dict[str, dict]:
    lines = (EX / name).read_text().splitlines()[1:]  # first line: PharmCAT version
    return {r["Gene"]: r for r in csv.DictReader(lines, delimiter="\t")}


@pytest.mark.parametrize("example", ["pharmcat.example", "pharmcat.example2"])
def test_example_report_row_by_row(example):
    outside = EX / "pharmcat.example.outsideCall.tsv" if example == "pharmcat.example" else None
    (rep,) = list(call_vcf(EX / f"{example}.vcf", outside))
    expected = _pharmcat_rows(f"{example}.report.tsv")
    covered = [g for g in expected if g in rep.genes]
    assert len(covered) == (12 if outside else 11)
    for gene in covered:
        row, ours = expected[gene], rep.genes[gene]
        assert " OR ".join(ours.diplotypes) == row["Source Diplotype"], gene
        assert (ours.phenotype or "") == row["Phenotype"].strip(), gene
        assert (format_score(ours.activity_score) or "") == row["Activity Score"], gene
        if ours.source == "vcf":
            assert (row["Missing positions"] == "no") == (not ours.missing_positions) or gene == "DPYD"
    if example == "pharmcat.example":  # all-reference sample: match scores agree too
        for gene in covered:
            if rep.genes[gene].score is not None:
                assert rep.genes[gene].score == int(expected[gene]["Match Score"]), gene


def test_outside_call_file(tmp_path):
    f = tmp_path / "oc.tsv"
    f.write_text("CYP2D6\t*4/*1\nHLA-B\t*57:01/*58:01\n")
    notes: list[str] = []
    calls = read_outside_calls(f, notes)
    assert calls["CYP2D6"].diplotypes == ["*1/*4"]
    assert "HLA-B" in notes[0]


@pytest.mark.parametrize(
    "text, message",
    [
        ("FOO1\t*1/*2\n", "unknown gene 'FOO1'"),
        ("CYP2D6\t*1/*999\n", "not two known alleles"),
        ("CYP2D6\t*1/*2\nCYP2D6\t*1/*1\n", "listed twice"),
    ],
)
def test_bad_outside_call(tmp_path, text, message):
    f = tmp_path / "oc.tsv"
    f.write_text(text)
    with pytest.raises(InputError, match=message) as err:
        read_outside_calls(f)
    assert "row" in str(err.value)


def test_recommendations_match_lookup_keys():
    recs = recommend({"CYP2C19": {"phenotypes": {"Poor Metabolizer"}}})
    clop = [r for r in recs if r["drug"] == "clopidogrel" and r["source"] == "CPIC"]
    assert clop and all(r["classification"] in {"Strong", "Moderate", "Optional"} for r in clop)
    assert all("CPIC Guideline for clopidogrel" in r["guideline"] for r in clop)
    fu = recommend({"DPYD": {"scores": {1.0}}}, drugs=["fluorouracil"])
    assert sorted((r["source"], r["lookup"]["DPYD"]) for r in fu) == [
        ("CPIC", "1.0"),
        ("DPWG", "1.0 (Intermediate Metabolizer)"),
    ]
    assert not recommend({"NUDT15": {"phenotypes": {"Normal Metabolizer"}}})  # thiopurines need TPMT too
    cyp2d6 = recommend({"CYP2D6": {"scores": {3.25}}}, drugs=["codeine"])
    assert any(r["lookup"]["CYP2D6"] == "≥3.0" for r in cyp2d6)
    warf = recommend({"CYP2C9": {"diplotypes": ["*1/*3"], "phenotypes": set(), "scores": set()}}, drugs=["warfarin"])
    assert [r["lookup"]["CYP2C9"] for r in warf] == [{"*1": 1.0, "*3": 1.0}]


def _vcf(tmp_path, body: str, header: str = "##reference=GRCh38\n", gz: bool = False):
    text = (
        "##fileformat=VCFv4.2\n" + header + '##FORMAT=<ID=GT,Number=1,Type=String,Description="GT">\n'
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n" + body
    )
    path = tmp_path / ("x.vcf.gz" if gz else "x.vcf")
    if gz:
        with gzip.open(path, "wt") as fh:
            fh.write(text)
    else:
        path.write_text(text)
    return path


def test_bgzipped_single_sample_and_not_called_reason(tmp_path):
    body = "chr10\t94781859\trs4244285\tG\tA\t.\tPASS\t.\tGT\t0/1\n"
    (rep,) = list(call_vcf(_vcf(tmp_path, body, gz=True)))
    cyp = rep.genes["CYP2C19"]  # one of 35 positions: every diplotype it allows, with the gaps listed
    assert cyp.diplotypes == ["*1/*2", "*2/*38"] and len(cyp.missing_positions) == 34
    assert cyp.status == "uncertain"
    assert any(c.startswith("CYP2C19: 34 defined positions missing") for c in rep.caveats)
    assert rep.genes["TPMT"].not_called_reason == "no calls at any defined position"
    assert rep.genes["TPMT"].status == "not called"
    assert any("TPMT: not called" in c for c in rep.caveats)


def test_grch37_header_is_refused(tmp_path):
    body = "chr10\t96541616\t.\tG\tA\t.\tPASS\t.\tGT\t0/1\n"
    with pytest.raises(InputError, match="GRCh38"):
        list(call_vcf(_vcf(tmp_path, body, header="##reference=GRCh37\n")))


def test_grch37_positions_are_refused(tmp_path):
    body = "chr10\t96541616\t.\tG\tA\t.\tPASS\t.\tGT\t0/1\nchr10\t96612671\t.\tG\tA\t.\tPASS\t.\tGT\t0/0\n"
    with pytest.raises(InputError, match="GRCh37"):
        list(call_vcf(_vcf(tmp_path, body, header="")))


def test_malformed_line_is_refused(tmp_path):
    body = "chr10\t94761900\t.\tC\tT\t.\tPASS\t.\tGT\t0/1\nchr10\tabc\t.\tC\n"
    with pytest.raises(InputError, match="malformed VCF line: 4 columns, header has 10") as err:
        list(call_vcf(_vcf(tmp_path, body)))
    assert "row 6" in str(err.value)  # line number in the file (5 header lines)
    bad_pos = "chr10\tabc\t.\tC\tT\t.\tPASS\t.\tGT\t0/1\n"
    with pytest.raises(InputError, match="POS 'abc' is not a positive integer"):
        list(call_vcf(_vcf(tmp_path, bad_pos)))


def test_outputs_json_tsv_html(tmp_path):
    (rep,) = list(call_vcf(EX / "pharmcat.example2.vcf"))
    paths = write_reports([rep], tmp_path / "out")
    names = sorted(p.name for p in paths)
    assert names == ["Sample_2.html", "Sample_2.json", "summary.tsv"]
    data = json.loads((tmp_path / "out" / "Sample_2.json").read_text())
    assert data["genes"]["CYP2C19"]["diplotypes"] == ["*2/*2"]
    assert data["genes"]["CYP2C19"]["matched_positions"]
    assert SampleReport.model_validate(data) == rep  # the JSON file reads back into the typed report
    assert list(rep.to_frame().columns) == TSV_COLUMNS and "CYP2C19" in rep.summary()
    html = (tmp_path / "out" / "Sample_2.html").read_text()
    assert "Poor Metabolizer" in html and "clopidogrel" in html
    rows = list(csv.DictReader((tmp_path / "out" / "summary.tsv").open(), delimiter="\t"))
    assert {r["gene"] for r in rows} >= {"CYP2C19", "DPYD", "TPMT"}
