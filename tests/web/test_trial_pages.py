"""Trial pages (issue 13): explanations, absolute sample sizes, the stored design inside the workbench, signing."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient

from pharmakon.server import create_app
from pharmakon.store import Store, list_events
from pharmakon.trials.design.service import SampleSizeSpec, compute_sample_size

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _login(client: TestClient, username: str) -> str:
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"username": username, "password": f"{username}-password", "csrf": csrf, "next": "/"})
    return re.search(r'name="csrf" value="([^"]+)"', client.get("/").text).group(1)


@pytest.fixture
def sam(store: Store, make_user) -> tuple[TestClient, str]:
    make_user("sam", "scientist")
    client = TestClient(create_app())
    return client, _login(client, "sam")


def _text(page: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</(p|table|ul)>', page, re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1))) if found else ""


def test_design_page_explains_and_gives_subjects(sam) -> None:
    client, _ = sam
    page = client.get("/trial", params={"kmax": "3", "spending": "asOF", "ss_alternative": "0.4", "ss_stdev": "1"}).text
    glossary = _text(page, "trial-glossary") or html.unescape(page)
    assert "alpha-spending functions" in glossary.lower() and "Hwang–Shih–DeCani" in html.unescape(page)
    assert "asOF: alpha spending, O'Brien–Fleming-like" in html.unescape(page)
    expected = compute_sample_size(
        SampleSizeSpec.parse(
            {"alternative": 0.4, "stdev": 1, "design": {"kmax": 3, "spending": "asOF"}}, endpoint="means"
        )
    )
    total, per_group = expected.rounded_subjects(expected.max_number_of_subjects)
    shown = _text(page, "trial-sample-size")
    assert f"{total} subjects" in shown and f"{per_group[0]} + {per_group[1]} per group" in shown
    assert 'class="plots"' in page and 'data-testid="trial-download"' in page
    survival = client.get(
        "/trial", params={"ss_endpoint": "survival", "ss_hazard_ratio": "0.7", "ss_median2": "10"}
    ).text
    assert re.search(r"<strong>\d+ events</strong>", survival) and "<th>Events</th>" in survival
    bad = client.get("/trial", params={"ss_endpoint": "rates", "ss_pi1": "1.5"}).text
    assert "pi1" in _text(bad, "trial-ss-error")


def test_saved_design_lives_in_the_workbench_and_is_signed(sam, store: Store) -> None:
    client, csrf = sam
    page = client.get("/trial", params={"kmax": "2"}).text
    query = html.unescape(re.search(r'name="spec_query" value="([^"]+)"', page).group(1))
    saved = client.post("/trial/save", data={"name": "d1", "spec_query": query, "csrf": csrf, "reason": "for the SAP"})
    assert saved.status_code == 200 and "Trial design: d1@1" in saved.text
    assert 'data-testid="who"' in saved.text  # inside the workbench: navigation and user
    assert _text(saved.text, "trial-report-saved").count("for the SAP") == 1
    assert 'data-testid="trial-report-unsigned"' in saved.text
    wrong = client.post(
        "/trial/designs/d1/sign", data={"version": "1", "meaning": "approved", "password": "nope-nope", "csrf": csrf}
    )
    assert wrong.status_code == 401 and _text(wrong.text, "trial-report-error")
    ok = client.post(
        "/trial/designs/d1/sign",
        data={"version": "1", "meaning": "approved", "password": "sam-password", "reason": "final", "csrf": csrf},
    )
    assert ok.status_code == 200
    signatures = _text(ok.text, "trial-report-signatures")
    assert "approved by sam (scientist)" in signatures and "final" in signatures
    with store.read_session() as session:
        [signed] = list_events(session, action="esign")[0]
        [failed] = list_events(session, action="esign.failed")[0]
    assert signed.object_id == "d1@1" and signed.params["meaning"] == "approved" and signed.inputs["object"]
    assert failed.params["object_id"] == "d1@1"
    standalone = client.get("/trial/designs/d1/report.html")
    assert standalone.text.startswith("<!doctype html>") and "information rate" in standalone.text


def test_viewer_cannot_sign(store: Store, make_user, sam) -> None:
    _, csrf = sam
    make_user("vic", "viewer")
    client, _ = sam
    page = client.get("/trial", params={"kmax": "2"}).text
    query = html.unescape(re.search(r'name="spec_query" value="([^"]+)"', page).group(1))
    client.post("/trial/save", data={"name": "d2", "spec_query": query, "csrf": csrf})
    viewer = TestClient(create_app())
    vcsrf = _login(viewer, "vic")
    assert 'data-testid="trial-sign"' not in viewer.get("/trial/designs/d2").text
    r = viewer.post(
        "/trial/designs/d2/sign",
        data={"version": "1", "meaning": "approved", "password": "vic-password", "csrf": vcsrf},
    )
    assert r.status_code == 403


def test_simulation_tables_are_labelled_and_futility_only_with_a_bound(sam) -> None:
    client, csrf = sam
    form = {"csrf": csrf, "endpoint": "rates", "planned": "40,80", "sims": "2000", "curve": "3"}
    plain = client.post("/trial/simulate", data=form | {"spec_query": "kmax=2"}).text
    assert "P(futility stop" not in plain and 'data-testid="sim-no-futility"' in plain
    assert "<caption>Per look" in plain and "<caption>Power curve" in plain and 'data-testid="sim-download"' in plain
    futile = client.post("/trial/simulate", data=form | {"spec_query": "kmax=2&spending=asOF&futility=bsOF"}).text
    assert "P(futility stop at this look)" in futile
