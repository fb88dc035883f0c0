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


# --------------------------------------------------------------------------- what the reader sees first


@pytest.fixture(scope="module")
def poor_cyp2c19() -> SampleReport:
    """PharmCAT's example2: CYP2C19 *2/*2 (avoid clopidogrel), CYP4F2 without a CPIC phenotype."""
    (rep,) = list(call_vcf(EX / "pharmcat.example2.vcf", EX / "pharmcat.example.outsideCall.tsv"))
    return rep


def test_actionable_advice_is_flagged_from_the_guideline_tables():
    (pm,) = {
        r["alternative_drug"] for r in recommend({"CYP2C19": {"phenotypes": {"Poor Metabolizer"}}}, ["clopidogrel"])
    }
    assert pm is True
    normal = recommend({"CYP2C19": {"phenotypes": {"Normal Metabolizer"}}}, ["clopidogrel"])
    assert normal and not any(r["alternative_drug"] or r["dosing_change"] for r in normal)


def test_actionable_recommendations_come_first(poor_cyp2c19):
    recs = poor_cyp2c19.recommendations_by_action()
    flags = [r.actionable for r in recs]
    n = sum(flags)
    assert n and flags == [True] * n + [False] * (len(recs) - n)
    assert recs[0].drug == "clopidogrel" and "avoid clopidogrel" in recs[0].recommendation.lower()
    assert recs[0].action == "another drug"
    assert all(r.classification != "No recommendation" for r in recs[:n])
    assert sorted(map(id, recs)) == sorted(map(id, poor_cyp2c19.recommendations))  # none lost
    assert recs[0].guideline_url == f"https://www.pharmgkb.org/guidelineAnnotation/{recs[0].guideline_id}"
    assert "act on clopidogrel (CPIC" in poor_cyp2c19.summary()


def test_a_report_stored_without_the_flags_still_finds_its_actions(poor_cyp2c19):
    old = poor_cyp2c19.to_dict()
    for r in old["recommendations"]:
        del r["dosing_change"], r["alternative_drug"]
    again = SampleReport(**old)
    assert [r.actionable for r in again.recommendations] == [r.actionable for r in poor_cyp2c19.recommendations]


def test_a_gene_without_a_phenotype_says_why(poor_cyp2c19):
    assert poor_cyp2c19.genes["CYP4F2"].phenotype is None  # PharmCAT leaves it blank too
    assert "no CPIC phenotype for this gene" in poor_cyp2c19.phenotype_note("CYP4F2")
    assert poor_cyp2c19.phenotype_note("CYP2C19") is None
    assert "(no CPIC phenotype)" in poor_cyp2c19.summary()


def _rows(html: str, table_heading: str) -> list[str]:
    part = html.split(f"<h2>{table_heading}</h2>", 1)[1].split("</table>", 1)[0]
    return [row for row in part.split("<tr")[2:]]  # skip the header row


def test_standalone_html_puts_actions_first_and_explains_blanks(poor_cyp2c19):
    from pharmakon.patients.pgx import report_html

    html = report_html(poor_cyp2c19)
    rows = _rows(html, "Prescribing recommendations (CPIC / DPWG)")
    assert rows[0].startswith(' class="actionable"') and "clopidogrel" in rows[0]
    assert 'href="https://www.pharmgkb.org/guidelineAnnotation/PA' in rows[0]
    assert not any("actionable" in r for r in rows[len(poor_cyp2c19.actionable_recommendations()) :])
    assert html.index("Prescribing recommendations") < html.index("Genotypes and phenotypes")
    cyp4f2 = next(r for r in _rows(html, "Genotypes and phenotypes") if "<td>CYP4F2</td>" in r)
    assert "no CPIC phenotype for this gene" in cyp4f2
    caveats = html.split("<h2>Caveats and notes</h2>", 1)[1].split("</ul>", 1)[0]
    assert "<li>none</li>" not in caveats and "HLA-B: outside call (row 2) ignored" in caveats


@pytest.mark.parametrize("caveats, notes, shows_none", [([], [], True), ([], ["a note"], False), (["c"], [], False)])
def test_caveats_say_none_only_when_there_is_nothing(poor_cyp2c19, caveats, notes, shows_none):
    from pharmakon.patients.pgx import report_html

    rep = poor_cyp2c19.model_copy(update={"caveats": caveats, "notes": notes, "warfarin_notes": []})
    section = report_html(rep).split("<h2>Caveats and notes</h2>", 1)[1].split("</ul>", 1)[0]
    assert ("<li>none</li>" in section) is shows_none
    assert section.count("<li>") == max(1, len(caveats) + len(notes))
