"""The live dashboard in Chromium: charts and alarms update from server-sent events without a reload."""

from __future__ import annotations

from pathlib import Path

import pytest

from pharmakon.caller import Caller
from pharmakon.process import service
from pharmakon.specs import build_spec
from pharmakon.store import Store
from tests.web.test_workbench import log_in

pytestmark = pytest.mark.browser


def test_dashboard_updates_live_and_shows_contributions(
    page, store: Store, make_user, normal_csv: Path, tep_test
) -> None:
    who = Caller("sam", "python")
    service.fit_monitor(
        store, build_spec(service.FitSpec, data=normal_csv, name="live", method="pca", components=9), who
    )
    run = tep_test[tep_test["fault"] == 1].drop(columns=["faulty"]).to_dict("records")
    service.feed_samples(store, service.SamplesSpec(name="live", samples=run[:100], restart=True), who)
    _, password, _ = make_user("sam", "scientist")
    log_in(page, "sam", password)
    page.goto("/process/monitors/live")
    assert page.text_content("[data-testid=process-count]") == "100"
    page.wait_for_function("document.getElementById('status').textContent === 'live'")
    # the server's live monitor (this process) gets the faulty part; the page updates itself
    service.feed_samples(store, service.SamplesSpec(name="live", samples=run[100:400]), who)
    page.wait_for_function("document.querySelector('[data-testid=process-count]').textContent === '400'")
    page.wait_for_selector("#alarms tr.alarm")
    page.click("#alarms tr.alarm")
    assert page.text_content("#contrib-title").startswith("Contributions at index")


def test_chart_page_draws_limits_and_lists_alarms(page, store: Store, make_user, tmp_path: Path) -> None:
    from tests.process.test_charts import MONTGOMERY_9_1

    data = tmp_path / "cqa.csv"
    data.write_text("size_nm\n" + "\n".join(str(v) for v in MONTGOMERY_9_1) + "\n")
    _, password, _ = make_user("sam", "scientist")
    log_in(page, "sam", password)
    page.goto("/process/charts")
    page.set_input_files("input[name=file]", str(data))
    page.fill("input[name=column]", "size_nm")
    page.select_option("select[name=kind]", "cusum")
    page.fill("input[name=target]", "10")
    page.fill("input[name=sigma]", "1")
    page.click("[data-testid=process-chart-form] button")
    page.wait_for_selector("[data-testid=process-chart] svg")
    assert "first at sample 29" in page.text_content("[data-testid=process-chart-summary]")
    assert page.text_content("[data-testid=process-chart-alarms]") == "29, 30"
