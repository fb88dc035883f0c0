"""The model page shows the card inline (issue 13): tables for QC and provenance, the target in words, no raw dicts."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from pharmakon.core.modelcard import qc_rules, stored_card_plots
from pharmakon.server import create_app
from pharmakon.store import Store
from tests.core.conftest import molecule_table


@pytest.fixture(scope="module")
def esol_like():
    """A small ridge model whose target column is ESOL's (``log_solubility``)."""
    from pharmakon.chem import SmilesFeaturizer
    from pharmakon.core import train_model

    frame = molecule_table(n_max=8).drop(columns=["cls"]).rename(columns={"y": "log_solubility"})
    return train_model(
        frame,
        "log_solubility",
        smiles_col="smiles",
        featurizer=SmilesFeaturizer(kinds=("morgan",), n_bits=64),
        trials=0,
        models=["ridge"],
        task="regression",
        seed=0,
        n_splits=3,
    )


def _login(client: TestClient, username: str) -> None:
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"username": username, "password": f"{username}-password", "csrf": csrf, "next": "/"})


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_card_is_inline_with_tables_and_words(store: Store, make_user, esol_like) -> None:
    from pharmakon.core.registry import register_model

    with store.session() as session:
        register_model(session, esol_like, name="sol", actor="test")
    make_user("vic", "viewer")
    client = TestClient(create_app())
    _login(client, "vic")
    page = client.get("/models/sol").text
    assert "<iframe" not in page and 'data-testid="model-card"' in page
    # the target in words with its unit, the column beside it
    target = re.search(r'data-testid="card-target">([^<]*)<', page).group(1)
    assert target == "ESOL log10 aqueous solubility (mol/L)" and "<code>log_solubility</code>" in page
    # tables, not Python reprs; QC rules without reStructuredText markup
    for testid in ("card-cv", "card-qc", "card-libraries", "card-leaderboard"):
        assert f'<table data-testid="{testid}">' in page
    assert "{'" not in page and "``" not in page and "<code>conflict_tol</code>" in page
    assert "<td>target missing</td>" in page and "<td>scikit-learn</td>" in page
    assert page.count("<img") == 2 and "predicted vs observed" in page  # plots from the stored card
    standalone = client.get("/models/sol/card.html").text
    assert standalone.startswith("<!doctype html>") and "{'" not in standalone and "<img" in standalone


def test_rules_and_plots_parsers() -> None:
    [item] = qc_rules("1. labels within ``conflict_tol`` are *conflicting*\n   and dropped.")
    assert [(s["text"], s["code"], s["em"]) for s in item] == [
        ("labels within ", False, False),
        ("conflict_tol", True, False),
        (" are ", False, False),
        ("conflicting", False, True),
        (" and dropped.", False, False),
    ]
    assert stored_card_plots('<img alt="roc" src="data:image/png;base64,QUJD=">') == [("roc", "QUJD=")]
    assert stored_card_plots("<html>card</html>") == []


def test_target_in_words_for_panel_and_catalogue_targets() -> None:
    from pharmakon.core.modelcard import target_label
    from pharmakon.web.pages_models import target_in_words

    assert target_in_words("admet.biogen_hlm", {"target": "y"}) == "log10 human liver microsomal CLint (mL/min/kg)"
    assert target_in_words("mine", {"target": "log_solubility"}) == "ESOL log10 aqueous solubility (mol/L)"
    assert target_in_words("mine", {"target": "y"}) is None  # generic: the card shows the column
    assert target_in_words("mine", {"target": "activity"}) is None  # six Biogen tables share it: not unique
    steps = [
        {
            "action": "admet.endpoint",
            "params": {"endpoint": "bbbp", "target": "p_np", "dataset": "moleculenet", "table": "bbbp"},
        }
    ]
    assert target_label({"target": "y", "steps": steps}) == "bbbp (column p_np of moleculenet/bbbp)"
