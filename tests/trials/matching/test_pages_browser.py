"""The matching pages in a real Chromium: a patient's ranked trials with the criterion table and the
highlighted evidence; a trial's funnel and equity view (forms filled and files uploaded as a user would)."""

from __future__ import annotations

import json

import pytest

from tests.trials.matching.conftest import ctgov
from tests.trials.matching.test_service_parity import NOTE, TRIALS
from tests.web.test_workbench import log_in

# one store backend is enough for the pages (the service runs on both in test_service.py)
pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


def _cohort() -> bytes:
    """12 men aged about 40 and 12 women aged about 75, all with coded type 2 diabetes (FHIR NDJSON)."""
    rows = []
    for i in range(24):
        sex, born = ("male", "1985-06-01") if i < 12 else ("female", "1950-06-01")
        rows.append({"resourceType": "Patient", "id": f"p{i:02d}", "gender": sex, "birthDate": born})
        rows.append(
            {
                "resourceType": "Condition",
                "id": f"c{i:02d}",
                "subject": {"reference": f"Patient/p{i:02d}"},
                "code": {"coding": [{"system": "http://snomed.info/sct", "code": "44054006"}]},
                "onsetDateTime": "2020-01-01",
            }
        )
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


def test_ranked_trials_with_criteria_and_highlighted_evidence(page, make_user) -> None:
    _, password, _ = make_user("sam", "scientist")
    log_in(page, "sam", password)
    page.wait_for_url("**/")
    page.goto("/matching")
    form = page.get_by_test_id("matching-trials-form")
    form.locator("input[name=patient_id]").fill("pt-1")
    form.locator("textarea[name=note]").fill(NOTE)
    trials = "".join(json.dumps(t) + "\n" for t in TRIALS).encode()
    form.locator("input[name=trials]").set_input_files(
        {"name": "trials.jsonl", "mimeType": "application/json", "buffer": trials}
    )
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/matching/results/trial_match/**")
    rows = page.get_by_test_id("matching-ranking").locator("tbody tr")
    assert rows.count() == 3
    assert "NCT10000001" in rows.first.inner_text()  # the diabetes trial she fits comes first
    scores = [float(rows.nth(i).locator("td").nth(2).inner_text()) for i in range(3)]
    assert scores[0] > 0 > scores[1] >= scores[2]  # men only / aged 18-40: a decisive "not met" sinks both
    criteria = page.get_by_test_id("matching-criteria").first
    hba1c = criteria.locator("tr", has_text="HbA1c between")
    assert "met" in hba1c.inner_text() and "8.4" in hba1c.inner_text()
    not_met = criteria.locator("tr.verdict-not-met").all_inner_texts()
    assert not_met and all(r.startswith("exclusion") for r in not_met)
    assert any("Pregnant" in r and "[negated]" in r for r in not_met)  # "She is not pregnant."
    marks = page.get_by_test_id("matching-note").locator("mark").all_inner_texts()
    assert any("HbA1c 8.4%" in m for m in marks)  # the evidence sentence, highlighted in the note
    assert page.locator(".matching-note mark").first.evaluate("m => getComputedStyle(m).backgroundColor") == (
        "rgb(255, 243, 163)"
    )
    men_only = page.locator("h3:has-text('NCT10000003') + table")
    assert men_only.locator("tr.verdict-not-met", has_text="Sex: male").count() == 1


def test_trial_funnel_and_equity_view(page, make_user) -> None:
    _, password, _ = make_user("sam", "scientist")
    log_in(page, "sam", password)
    page.wait_for_url("**/")
    page.goto("/matching")
    form = page.get_by_test_id("matching-patients-form")
    trial = ctgov(
        "NCT20000001", "Inclusion Criteria:\n- Type 2 diabetes mellitus", minimumAge="18 Years", maximumAge="65 Years"
    )
    form.locator("input[name=trial]").set_input_files(
        {"name": "trial.json", "mimeType": "application/json", "buffer": json.dumps(trial).encode()}
    )
    form.locator("input[name=patients]").set_input_files(
        {"name": "Patient.000.ndjson", "mimeType": "application/x-ndjson", "buffer": _cohort()}
    )
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/matching/results/patient_match/**")
    funnel = page.get_by_test_id("matching-funnel").locator("tbody tr")
    cells = [funnel.nth(i).locator("td").all_inner_texts() for i in range(funnel.count())]
    assert ["Minimum age: 18 years", "0", "24"] in cells
    assert ["Maximum age: 65 years", "12", "12"] in cells  # the women, all over 65
    assert "12 eligible" in page.get_by_test_id("matching-counts").inner_text()
    assert page.get_by_test_id("matching-eligible").inner_text().count("p") == 12
    equity = page.get_by_test_id("matching-equity")
    female = equity.locator("tr", has_text="female").first.locator("td").all_inner_texts()
    assert female[2:] == ["12", "0", "0"]  # all, eligible by structured criteria, matched
    warnings = page.get_by_test_id("matching-equity-warning").all_inner_texts()
    assert any("Maximum age" in w and "sex=female" in w for w in warnings)
    assert any("Maximum age" in w and "age_band=65-74" in w for w in warnings)
