"""ADMET workbench pages: panel form (paste, upload, limits), molecule explanation, browser run."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient

from pharmakon.chem.panel_examples import EXAMPLE_MOLECULES
from pharmakon.server import create_app
from pharmakon.store import Store, list_events
from tests.api.test_admet_api import register_tiny
from tests.conftest import MIRROR
from tests.web.test_workbench import log_in

pytestmark = pytest.mark.skipif(not MIRROR.exists(), reason="needs the data mirror")


@pytest.fixture
def client(store: Store) -> TestClient:
    return TestClient(create_app())


def _login(client: TestClient, username: str) -> str:
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    client.post("/login", data={"username": username, "password": f"{username}-password", "csrf": csrf, "next": "/"})
    found = re.search(r'name="csrf" value="([^"]+)"', client.get("/admet").text)  # a new session, a new token
    return found.group(1) if found else ""


def _error(text: str) -> str:
    return html.unescape(re.search(r'data-testid="admet-error">([^<]*)<', text).group(1))


def _sdf() -> bytes:
    """Two SDF records and a third RDKit cannot read."""
    from rdkit import Chem

    blocks = []
    for smiles, name in (("CCO", "ethanol"), ("CC(=O)O", "acetic")):
        mol = Chem.MolFromSmiles(smiles)
        mol.SetProp("_Name", name)
        blocks.append(Chem.MolToMolBlock(mol) + "$$$$\n")
    return ("".join(blocks) + "garbage\nM  END\n$$$$\n").encode()


def test_no_panel_says_how_to_train(client: TestClient, make_user) -> None:
    make_user("vic", "viewer")
    _login(client, "vic")
    page = client.get("/admet")
    assert page.status_code == 200 and 'data-testid="admet-no-panel"' in page.text
    assert "pharmakon admet train" in page.text and 'data-testid="admet-form"' not in page.text
    mol = client.get("/admet/molecule", params={"smiles": "CCO"})
    assert mol.status_code == 200 and "pharmakon admet train" in mol.text
    assert 'href="/admet"' in client.get("/").text  # listed on the home page and in the navigation


def test_paste_upload_limits_and_molecule_page(client: TestClient, store: Store, make_user) -> None:
    register_tiny(store)
    make_user("vic", "viewer")
    make_user("sam", "scientist")
    csrf = _login(client, "vic")
    form = client.get("/admet").text
    assert "admet-needs-scientist" in form  # viewers see the form but may not run it
    text = html.unescape(re.search(r"<textarea[^>]*>([^<]*)</textarea>", form).group(1))
    assert text.splitlines()[0] == f"{EXAMPLE_MOLECULES[0][1]} {EXAMPLE_MOLECULES[0][0]}"  # pre-filled example
    assert client.post("/admet", data={"smiles": text, "csrf": csrf}).status_code == 403

    client.cookies.clear()
    csrf = _login(client, "sam")
    r = client.post("/admet", data={"smiles": text, "csrf": csrf, "alerts": "1"})
    assert r.status_code == 200, _error(r.text)
    n_ok = len(EXAMPLE_MOLECULES) - 1  # the example has one broken SMILES
    assert r.text.count('data-testid="admet-flag-in"') + r.text.count('data-testid="admet-flag-out"') == 2 * n_ok
    assert r.text.count('data-testid="admet-invalid"') == 1 and "invalid: RDKit could not parse" in r.text
    assert 'href="/models/admet.bbbp"' in r.text and 'data-testid="admet-legend"' in r.text
    assert ">QED<" in r.text and "admet-download" in r.text
    link = html.unescape(re.search(r'<a href="(/admet/molecule\?[^"]+endpoint=bbbp)"', r.text).group(1))
    with store.read_session() as session:
        events, total = list_events(session, action="admet.predict")
    assert total == 1 and events[0].params["channel"] == "web" and events[0].params["rows"] == n_ok + 1
    assert client.get("/models/admet.bbbp/card.html").text == "<html>card</html>"

    chosen = client.post(
        "/admet", data={"smiles": "CCO ethanol\n\n# comment\nc1ccccc1O", "csrf": csrf, "endpoints": ["bbbp"]}
    )
    assert chosen.status_code == 200 and chosen.text.count("admet-flag-") == 2 and ">ethanol<" in chosen.text
    assert 'href="/models/admet.lipophilicity"' not in chosen.text and ">QED<" not in chosen.text

    smi = b"SMILES Name\nCCO ethanol\nC1CC( broken\nc1ccccc1 benzene\n"
    up = client.post("/admet", data={"smiles": "ignored", "csrf": csrf}, files={"upload": ("mols.smi", smi)})
    assert up.status_code == 200 and up.text.count('data-testid="admet-invalid"') == 1 and ">benzene<" in up.text
    assert "Panel: mols.smi" in up.text
    sdf = client.post("/admet", data={"csrf": csrf}, files={"upload": ("mols.sdf", _sdf())})
    assert sdf.status_code == 200 and ">acetic<" in sdf.text and sdf.text.count("admet-flag-") == 2 * 2
    assert "invalid: RDKit could not read this SDF record" in sdf.text  # the reader's reason, not a generic one
    for files, message in (
        ({"upload": ("m.xlsx", b"x")}, "unsupported file type '.xlsx'"),
        ({"upload": ("big.smi", b"C\n" * (3 * 2**20))}, "larger than 5 MiB"),
        ({"upload": ("many.smi", b"C\n" * 1001)}, "at most 1,000 molecules"),
        ({"upload": ("cols.csv", b"a,b\n1,2\n")}, "file cols.csv: no SMILES column"),
    ):
        bad = client.post("/admet", data={"csrf": csrf}, files=files)
        assert bad.status_code == 422 and message in _error(bad.text), _error(bad.text)
    many = client.post("/admet", data={"smiles": "C\n" * 1001, "csrf": csrf})
    assert many.status_code == 422 and "at most 1,000 molecules" in _error(many.text)
    assert "at least one SMILES" in _error(client.post("/admet", data={"smiles": " \n", "csrf": csrf}).text)
    expired = client.post("/admet", data={"smiles": "CCO"}, follow_redirects=False)
    assert expired.status_code == 303 and "expired" in expired.headers["location"]

    mol = client.get(link)
    assert mol.status_code == 200 and 'data-testid="admet-attributions"' in mol.text
    assert mol.text.count("<tr><td>") == 10 and "probability" in mol.text  # default top 10
    bad = client.get("/admet/molecule", params={"smiles": "C1CC(", "endpoint": "bbbp"})
    assert bad.status_code == 422 and "cannot explain" in _error(bad.text)


@pytest.mark.browser
def test_browser_paste_shows_panel_with_domain_flags(page, store: Store, make_user) -> None:
    register_tiny(store)
    _, password, _ = make_user("sam", "scientist")
    page.set_viewport_size({"width": 1280, "height": 900})  # the width the issue names
    log_in(page, "sam", password)
    page.wait_for_url("**/")
    page.get_by_role("link", name="ADMET panel").first.click()
    page.fill("[data-testid=admet-smiles]", "CC(=O)Oc1ccccc1C(=O)O aspirin\nC1CC( broken\nCCCCCCCCCCCCCCCCCCCC wax")
    page.click("[data-testid=admet-form] button[type=submit]")
    table = page.get_by_test_id("admet-table")
    assert table.locator("tbody tr").count() == 3
    flags = table.locator("[data-testid^=admet-flag-]")
    assert flags.count() == 4 and flags.first.is_visible()
    assert "invalid" in table.locator("tbody tr").nth(1).inner_text()
    assert "in domain" in page.get_by_test_id("admet-legend").inner_text()
    assert set(flags.all_inner_texts()) <= {"✓", "!"}  # a symbol, not colour only
    for name in ("MW", "cLogP", "TPSA"):  # the physico-chemical columns fit the window (no scrolling)
        box = table.locator("th", has_text=name).first.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 1280, (name, box)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    table.locator("tbody tr").first.locator("td.cell a").last.click()
    assert page.get_by_test_id("admet-attributions").locator("tbody tr").count() == 10
    assert page.get_by_test_id("admet-drawing").locator("svg").is_visible()  # the molecule, drawn
    words = page.get_by_test_id("admet-feature-words").all_inner_texts()
    assert len(words) == 10 and all(w and "rdkit2d:" not in w for w in words)


def test_page_serves_production_shows_quality_and_warns_on_weak_models(
    client: TestClient, store: Store, make_user
) -> None:
    import copy

    from pharmakon.core.registry import promote_model, register_model

    models = register_tiny(store)
    weak = copy.copy(models["lipophilicity"])  # the seeded biogen_solubility case: CV r² 0.015
    weak.selection = {**weak.selection, "cv_metrics": {**weak.selection["cv_metrics"], "r2": 0.015}}
    with store.session() as session:
        promote_model(session, name="admet.bbbp", version=1, alias="production", actor="test")
        register_model(session, models["bbbp"], name="admet.bbbp", actor="test", card=b"<html>card</html>")
        register_model(session, weak, name="admet.lipophilicity", actor="test", card=b"<html>card</html>")
    make_user("sam", "scientist")
    csrf = _login(client, "sam")
    form = client.get("/admet").text
    assert "v1 production" in form and "v2 newest, not production" in form  # bbbp v2 trained, v1 still served
    r = client.post("/admet", data={"smiles": f"CCO ethanol\n{'C' * 5000} wax", "csrf": csrf})
    assert r.status_code == 200, _error(r.text)
    text = html.unescape(r.text)
    assert "Weak model: lipophilicity" in text and "CV r² 0.015: weak model (below 0.3)" in text
    assert 'data-testid="admet-note"' in r.text and "no production version: serving the newest, v2" in text
    assert text.count('data-testid="admet-quality"') == 2
    legend = re.search(r'data-testid="admet-legend">(.*?)</p>', text, re.S).group(1)
    assert "like the training data" in legend and "trustworthy" not in text
    assert "invalid: SMILES too long: 5,000 characters" in text  # a huge molecule is an invalid row
    with store.read_session() as session:
        (event,), _ = list_events(session, action="admet.predict")
    assert event.params["models"] == {"lipophilicity": "admet.lipophilicity@2", "bbbp": "admet.bbbp@1"}
    mol = html.unescape(client.get("/admet/molecule", params={"smiles": "CCO", "endpoint": "lipophilicity"}).text)
    assert "Model quality: CV r² 0.015: weak model (below 0.3)" in mol and "serving the newest, v2" in mol


def test_pages_run_in_the_thread_pool() -> None:
    import inspect

    from pharmakon.web.pages_admet import router

    assert router.routes and not any(inspect.iscoroutinefunction(r.endpoint) for r in router.routes)
