"""Safety workbench pages in a real browser: signal table -> drill-down -> review; monitoring dashboard."""

from __future__ import annotations

import pytest

from pharmakon.store import Store, list_events
from pharmakon.trials.safety import detect_signals
from pharmakon.trials.safety.dsmb import run_monitor
from pharmakon.trials.safety.monitoring import Monitor, MonitorRule
from pharmakon.trials.safety.persist import save_monitor, save_signal_table
from pharmakon.trials.safety.simulate import simulate_trial_stream
from pharmakon.trials.safety.synthetic import make_reports
from tests.web.test_workbench import log_in

pytestmark = pytest.mark.browser


def test_signal_table_drilldown_and_review(page, make_user, store: Store) -> None:
    synth = make_reports(15_000, n_drugs=100, n_events=50, n_signals=4, rr_choices=(6.0,), seed=3)
    rows = synth.rows.astype({"drug": str, "event": str, "sex": str, "quarter": str})
    result = detect_signals(rows, strata=["sex"])
    with store.session() as session:
        save_signal_table(session, name="wb", result=result, actor="t", reports=rows, n_details=2)
    records = simulate_trial_stream(40, 0.004, 4.0, seed=4)
    mon = run_monitor(Monitor([MonitorRule("hep", event="HEPATOTOXICITY", cutoff=0.95)]), records)
    with store.session() as session:
        save_monitor(session, trial="wb-trial", monitor=mon, actor="t", records=records)
    _, password, _ = make_user("sam", "scientist")
    log_in(page, "sam", password)
    page.wait_for_url("**/")
    page.goto("/safety")
    page.get_by_test_id("safety-tables").get_by_role("link", name="wb").click()
    table = page.get_by_test_id("safety-signal-table")
    top = result.signals().iloc[0]
    assert top["drug"] in table.locator("tbody tr").first.inner_text()
    page.fill("input[name=drug]", "NO-SUCH-DRUG")
    page.click("[data-testid=safety-filter] button[type=submit]")
    assert "No pair matches" in page.get_by_test_id("safety-signal-table").inner_text()
    page.goto("/safety/tables/wb")
    page.get_by_test_id("safety-signal-table").locator("tbody tr a").first.click()
    assert page.get_by_test_id("safety-2x2").is_visible()
    assert page.get_by_test_id("safety-trend").locator("svg").count() == 1
    page.select_option("[data-testid=safety-review-form] select[name=status]", "dismissed")
    page.fill("[data-testid=safety-review-form] input[name=reason]", "confounded by indication")
    page.click("[data-testid=safety-review-form] button[type=submit]")
    assert "confounded by indication" in page.get_by_test_id("safety-reviews").inner_text()
    with store.read_session() as session:
        events, _ = list_events(session, action="safety.signal.dismissed")
    assert events and events[0].to_dict()["actor"] == "sam"
    page.goto("/safety/monitors/wb-trial")
    assert "hep" in page.get_by_test_id("safety-alerts").inner_text()
    assert page.locator("img[alt^='Cumulative incidence']").count() == 1


def test_faers_pair_shows_onset_outcomes_and_serious(page, make_user, store: Store, tmp_path) -> None:
    import polars as pl

    from pharmakon.trials.safety import read_faers
    from tests.trials.safety.test_faers_ther import DEMO, DRUG, OUTC, REAC, THER

    for name, text in (
        ("DEMO23Q1.txt", DEMO),
        ("DRUG23Q1.txt", DRUG),
        ("REAC23Q1.txt", REAC),
        ("THER23Q1.txt", THER),
        ("OUTC23Q1.txt", OUTC),
    ):
        (tmp_path / name).write_text(text)
    table, _ = read_faers(tmp_path)
    other = pl.DataFrame({"report": [f"9{i}" for i in range(30)], "drug": "DRUGC", "event": "HEADACHE"})
    reports = pl.concat([table, other], how="diagonal")
    with store.session() as session:
        save_signal_table(
            session, name="faers", result=detect_signals(reports, methods="prr"), actor="t", reports=reports
        )
    _, password, _ = make_user("vic", "viewer")
    log_in(page, "vic", password)
    page.wait_for_url("**/")
    page.goto("/safety/tables/faers")
    assert "1/3" in page.get_by_test_id("safety-signal-table").locator("tbody tr").first.inner_text()
    page.get_by_test_id("safety-signal-table").locator("tbody tr a").first.click()
    assert "2 of 3 report(s)" in page.get_by_test_id("safety-onset").inner_text()
    assert "median 15 days" in page.get_by_test_id("safety-onset").inner_text()
    assert "DE" in page.get_by_test_id("safety-outcomes").inner_text()
