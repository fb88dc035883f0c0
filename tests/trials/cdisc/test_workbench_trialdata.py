"""The review dashboard in a real browser: open queries by site and domain, evidence, an answer closes the loop."""

from __future__ import annotations

from pathlib import Path

import pytest

from pharmakon.caller import Caller
from pharmakon.store import Store
from pharmakon.trials.cdisc import service
from tests.web.test_workbench import log_in

pytestmark = pytest.mark.browser


def test_review_dashboard_answer_and_close(page, make_user, store: Store, small_study: Path) -> None:
    spec = service.ReviewSpec(
        sdtm=small_study / "sdtm",
        adam=small_study / "adam",
        name="wb",
        ml=False,
        rules=["ae_before_first_dose", "visit_out_of_window"],
    )
    review = service.review_study(store, spec, Caller("t"))
    _, password, _ = make_user("sam", "scientist")
    log_in(page, "sam", password)
    page.wait_for_url("**/")
    page.goto("/trialdata")
    page.get_by_test_id("trialdata-reviews").get_by_role("link", name="wb").click()
    assert "701" in page.get_by_test_id("open-by-site").inner_text()
    rows = page.get_by_test_id("queries").locator("tbody tr")
    assert rows.count() == len(review.queries)
    first = rows.first
    assert (
        "first_dose=" in first.inner_text()
        or "planned_day=" in first.inner_text()
        or "study_day=" in first.inner_text()
    )
    first.locator("input[name=text]").fill("source document checked")
    first.locator("button[type=submit]").click()
    page.wait_for_url("**/trialdata/reviews/wb?status=all")
    assert "answered" in page.get_by_test_id("queries").inner_text()
    board = service.review_dashboard(store, "wb", status="answered")
    assert board.total == 1
