"""The PGx workbench page in a real browser: upload a VCF, read the report, store it."""

from __future__ import annotations

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
    with store.read_session() as session:
        assert [o.name for o in list_objects(session, "pgx_report")] == ["Sample_2"]


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
