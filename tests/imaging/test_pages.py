"""The imaging workbench in Chromium: upload a lesion, move the slice slider, read the caliper."""

from __future__ import annotations

from pathlib import Path

import pytest

from pharmakon.store import Store
from tests.web.test_workbench import log_in


@pytest.mark.browser
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the page, not the store, is under test
def test_viewer_slider_moves_through_slices(page, store: Store, make_user, radiomics_dir: Path) -> None:
    _, password, _ = make_user("sam", "scientist")
    log_in(page, "sam", password)
    page.wait_for_url("**/")
    page.goto("/imaging")
    form = page.get_by_test_id("imaging-measure-form")
    form.locator("input[name=image]").set_input_files(str(radiomics_dir / "breast1_image.nrrd"))
    form.locator("input[name=mask]").set_input_files(str(radiomics_dir / "breast1_label.nrrd"))
    form.locator("button[type=submit]").click()
    lesions = page.get_by_test_id("imaging-lesions")
    assert "143" in lesions.inner_text() and "7.77" in lesions.inner_text()
    label = page.locator("#imaging-slice-label")
    assert label.inner_text().startswith("k = 9") and "caliper 7.77 mm" in label.inner_text()  # the lesion's slice
    page.get_by_test_id("imaging-slider").fill("0")
    assert label.inner_text() == "k = 0"  # no lesion on the first slice: no caliper
    visible = page.locator("img.imaging-slice:visible")
    assert visible.count() == 1 and visible.get_attribute("data-k") == "0"
