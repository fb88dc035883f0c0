"""The PGx workbench page in a real browser: upload a VCF, read the report, store it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pharmakon.store import Store, list_objects
from tests.conftest import MIRROR
from tests.web.test_workbench import log_in

pytestmark = pytest.mark.browser
EX = MIRROR / "pharmcat" / "example_report"


def test_upload_vcf_and_store_report(page, make_user, store: Store) -> None:
    _, password, _ = make_user("sam", "scientist")
    log_in(page, "sam", password)
    page.wait_for_url("**/")
    page.goto("/pgx")
    page.set_input_files("input[name=vcf]", str(EX / "pharmcat.example2.vcf"))
    page.set_input_files("input[name=outside_call]", str(EX / "pharmcat.example.outsideCall.tsv"))
    page.check("input[name=save]")
    page.click("[data-testid=pgx-form] button[type=submit]")
    genes = page.get_by_test_id("pgx-genes")
    row = genes.locator("tr", has_text="CYP2C19")
    assert "*2/*2" in row.inner_text() and "Poor Metabolizer" in row.inner_text()
    assert "clopidogrel" in page.get_by_test_id("pgx-recommendations").inner_text()
    _check_report_page(page)
    with store.read_session() as session:
        assert [o.name for o in list_objects(session, "pgx_report")] == ["Sample_2"]
    page.goto("/pgx/reports/Sample_2")  # the stored report reads the same
    _check_report_page(page)


def _check_report_page(page) -> None:
    """Actionable advice first and highlighted, guideline links, CYP4F2 explained, caveats, downloads."""
    rows = page.get_by_test_id("pgx-recommendations").locator("tbody tr")
    first = rows.first
    assert "clopidogrel" in first.inner_text() and "avoid clopidogrel" in first.inner_text().lower()
    assert first.get_attribute("class") == "actionable" and "another drug" in first.inner_text()
    classes = [rows.nth(i).get_attribute("class") for i in range(rows.count())]
    n_act = classes.count("actionable")
    assert n_act and classes == ["actionable"] * n_act + [None] * (len(classes) - n_act)
    assert "No recommendation" not in " ".join(rows.nth(i).inner_text() for i in range(n_act))
    assert first.locator("a").get_attribute("href").startswith("https://www.pharmgkb.org/guidelineAnnotation/PA")
    summary = page.get_by_test_id("pgx-action-summary").inner_text()
    assert f"{n_act} of {rows.count()} recommendations change prescribing" in summary
    cyp4f2 = page.get_by_test_id("pgx-genes").locator("tr", has_text="CYP4F2").inner_text()
    assert "no CPIC phenotype for this gene" in cyp4f2
    caveats = page.get_by_test_id("pgx-caveats").locator("li").all_inner_texts()
    assert "none" not in caveats and any("HLA-B" in c for c in caveats)
    assert page.get_by_test_id("pgx-download-json").get_attribute("download") == "pgx_Sample_2.json"
    assert page.get_by_test_id("pgx-download-html").get_attribute("href").startswith("data:text/html")
    assert page.get_by_test_id("pgx-print").is_visible()
    with page.expect_download() as info:
        page.get_by_test_id("pgx-download-json").click()
    data = json.loads(Path(info.value.path()).read_text())
    assert data["sample"] == "Sample_2" and data["genes"]["CYP2C19"]["diplotypes"] == ["*2/*2"]


def test_bad_upload_shows_the_reason(page, make_user) -> None:
    _, password, _ = make_user("vic", "viewer")
    log_in(page, "vic", password)
    page.wait_for_url("**/")
    page.goto("/pgx")
    page.set_input_files("input[name=vcf]", {"name": "bad.vcf", "mimeType": "text/plain", "buffer": b"not a vcf\n"})
    page.click("[data-testid=pgx-form] button[type=submit]")
    assert (
        page.get_by_test_id("pgx-error").inner_text() == "file bad.vcf, row 1: data line before the #CHROM header line"
    )


def test_fairness_page_iwpc_and_vcf_groups(page, make_user, tmp_path) -> None:
    from pharmakon.patients.pgx import write_synthetic_vcf

    _, password, _ = make_user("vic", "viewer")
    log_in(page, "vic", password)
    page.wait_for_url("**/")
    page.goto("/pgx")
    page.get_by_test_id("pgx-fairness-link").click()
    mae = page.get_by_test_id("pgx-iwpc-mae").inner_text()
    assert "Black or African American" in mae and "Asian" in mae
    vcf = write_synthetic_vcf(tmp_path / "c.vcf", 12, seed=2, p_missing=0.05)
    groups = tmp_path / "g.csv"
    groups.write_text("sample,group\n" + "".join(f"S{i:06d},{'A' if i < 10 else 'B'}\n" for i in range(12)))
    page.set_input_files("[data-testid=pgx-fairness-form] input[name=vcf]", str(vcf))
    page.set_input_files("[data-testid=pgx-fairness-form] input[name=groups]", str(groups))
    page.click("[data-testid=pgx-fairness-form] button[type=submit]")
    rows = page.get_by_test_id("pgx-coverage-samples").locator("tbody tr")
    assert rows.count() == 2
    b = rows.filter(has_text="B").inner_text()
    assert b.split("\t")[1].strip() == "2" and "small group" in b
