"""``pharmakon model train/predict`` end to end, the REST routes and the workbench pages."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from pharmakon.api.app import API_PREFIX
from pharmakon.server import create_app
from tests.core.conftest import molecule_table


@pytest.fixture
def train_csv(tmp_path):
    df = molecule_table(n_max=10).drop(columns=["cls"])
    df.insert(0, "compound_id", [f"C{i}" for i in range(len(df))])
    df.loc[3, "smiles"] = "not-a-molecule"
    path = tmp_path / "train.csv"
    df.to_csv(path, index=False)
    return path


def test_train_then_predict(cli, pharmakon_home, tmp_path, train_csv):  # noqa: F811
    r = cli(
        "model",
        "train",
        "--data",
        str(train_csv),
        "--target",
        "y",
        "--smiles-col",
        "smiles",
        "--id-col",
        "compound_id",
        "--trials",  # fixed work, not seconds: the same model on any machine
        "0",
        "--models",
        "ridge,lightgbm",
        "--name",
        "chains",
        "--alias",
        "production",
        "--json",
    )
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["version"] == 1 and out["task"] == "regression" and out["dropped"]["invalid_structures"] == 1
    inp = tmp_path / "in.csv"
    pd.DataFrame({"compound_id": ["x1", "x2", "x3"], "smiles": ["CCCCO", "C1CC", "CCCCCCCl"]}).to_csv(inp, index=False)
    dest = tmp_path / "sub" / "out.csv"
    r = cli("model", "predict", "chains", "--data", str(inp), "-o", str(dest))
    assert r.exit_code == 0, r.stderr
    assert "row 2" in r.stderr
    got = pd.read_csv(dest)
    assert got["compound_id"].tolist() == ["x1", "x2", "x3"]
    assert list(got.columns[-5:]) == ["prediction", "pred_lower", "pred_upper", "in_domain", "pred_status"]
    assert got["prediction"].isna().tolist() == [False, True, False]
    r = cli("model", "list", "--json")
    assert json.loads(r.stdout)[0]["aliases"] == {"production": 1}
    card = tmp_path / "card.html"
    assert cli("model", "card", "chains", "-o", str(card)).exit_code == 0 and "<img" in card.read_text()


def test_bad_inputs_give_one_clear_line(cli, pharmakon_home, tmp_path, train_csv):  # noqa: F811
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    r = cli("model", "train", "--data", str(empty), "--target", "y")
    assert r.exit_code == 2 and "empty" in r.stderr
    r = cli("model", "train", "--data", str(train_csv), "--target", "nope", "--budget", "5")
    assert r.exit_code == 2 and "'nope'" in r.stderr and "train.csv" in r.stderr
    r = cli("model", "predict", "missing-model", "--data", str(train_csv), "-o", str(tmp_path / "o.csv"))
    assert r.exit_code == 4 and not (tmp_path / "o.csv").exists()
    r = cli(
        "model",
        "train",
        "--data",
        str(train_csv),
        "--target",
        "y",
        "--smiles-col",
        "smiles",
        "--trials",
        "0",
        "--models",
        "ridge,lightgbm",
        "--name",
        "m2",
    )
    assert r.exit_code == 0, r.stderr
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"other": [1]}).to_csv(bad, index=False)
    r = cli("model", "predict", "m2", "--data", str(bad), "-o", str(tmp_path / "o.csv"))
    assert r.exit_code == 2 and "smiles" in r.stderr and not (tmp_path / "o.csv").exists()


def test_api_and_workbench(store, make_user, mol_model):
    from pharmakon.core import register_model

    with store.session() as session:
        register_model(session, mol_model, name="chains", actor="t", alias="staging")
    _, _, viewer = make_user("vic", "viewer")
    _, password, sci = make_user("sam", "scientist")
    client = TestClient(create_app())
    h = {"Authorization": f"Bearer {viewer}"}
    listed = client.get(f"{API_PREFIX}/models", headers=h).json()
    assert listed[0]["name"] == "chains" and listed[0]["aliases"] == {"staging": 1}
    assert client.get(f"{API_PREFIX}/models/chains", headers=h).json()["metadata"]["task"] == "regression"
    assert "<img" in client.get(f"{API_PREFIX}/models/chains/card", headers=h).text
    body = {"rows": [{"smiles": "CCCO"}, {"smiles": "xx"}]}
    assert client.post(f"{API_PREFIX}/models/chains/predict", json=body, headers=h).status_code == 403
    hs = {"Authorization": f"Bearer {sci}"}
    res = client.post(f"{API_PREFIX}/models/chains/predict", json=body, headers=hs).json()
    assert res["rows"][1]["pred_status"].startswith("invalid") and res["invalid_rows"][0]["row"] == 2
    r = client.post(f"{API_PREFIX}/models/chains/aliases", json={"alias": "production", "version": 1}, headers=hs)
    assert r.status_code == 403
    assert client.get(f"{API_PREFIX}/models", headers={}).status_code == 401
    # workbench pages
    page = client.get("/login")
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    client.post("/login", data={"username": "sam", "password": password, "csrf": csrf, "next": "/models"})
    assert "chains" in client.get("/models").text
    detail = client.get("/models/chains")
    assert detail.status_code == 200 and "card.html" in detail.text
    assert 'data-testid="no-evaluations"' in detail.text and "pharmakon model evaluate chains" in detail.text
    assert client.get(f"{API_PREFIX}/models/chains/evaluations", headers=h).json() == []
    # a held-out evaluation, recorded as the CLI does, shows on the page and over REST
    from pharmakon.core import evaluate_model, record_evaluation

    report = evaluate_model(mol_model, molecule_table(n_max=16, seed=5).drop(columns=["cls"]))
    with store.session() as session:
        record_evaluation(session, report, model_ref="chains@1", actor="sam", data={"test.csv": "0" * 64})
    [listed_eval] = client.get(f"{API_PREFIX}/models/chains/evaluations", headers=h).json()
    assert listed_eval["actor"] == "sam" and listed_eval["coverage"]["n"] == report["coverage"]["n"] == 112
    assert listed_eval["metrics"]["rmse"] == pytest.approx(report["metrics"]["rmse"])
    detail = client.get("/models/chains").text
    assert 'data-testid="evaluations"' in detail and "test.csv" in detail
    assert f"{report['coverage']['coverage']:.3f}" in detail and f"{report['metrics']['rmse']:.3f}" in detail
    assert "<img" in client.get("/models/chains/card.html").text
    assert client.get("/models/nope").status_code == 404


RINGS = ["c1ccccc1", "C1CCCCC1", "c1ccncc1", "C1CCNCC1", "c1ccsc1", "C1CCOC1", "c1ccc2ccccc2c1", "C1CC1"]


def test_scaffold_and_group_folds(cli, pharmakon_home, tmp_path, monkeypatch):
    from pharmakon.chem import murcko_scaffolds
    from pharmakon.core import lifecycle
    from pharmakon.store import list_events, open_store

    rows = [("C" * n + ring, 0.4 * n + k * 0.3, f"site{k % 3}") for k, ring in enumerate(RINGS) for n in range(1, 7)]
    data = tmp_path / "rings.csv"
    pd.DataFrame(rows, columns=["smiles", "y", "site"]).to_csv(data, index=False)
    seen = []
    real = lifecycle.cv_folds

    def spy(n, **kwargs):  # the folds the lifecycle draws, and the groups it was given
        folds = real(n, **kwargs)
        seen.append((kwargs.get("groups"), folds))
        return folds

    monkeypatch.setattr(lifecycle, "cv_folds", spy)
    r = cli(
        "model",
        "train",
        "--data",
        str(data),
        "--target",
        "y",
        "--smiles-col",
        "smiles",
        "--cv-split",
        "scaffold",
        "--cv",
        "4",
        "--trials",
        "0",
        "--models",
        "ridge",
        "--name",
        "rings",
        "--json",
    )
    assert r.exit_code == 0, r.stderr
    groups, folds = seen[-1]
    scaffolds = murcko_scaffolds([s for s, _, _ in rows])
    assert list(groups) == scaffolds and len(folds) == 4
    for train, test in folds:  # no scaffold on both sides of any fold
        assert not {scaffolds[i] for i in train} & {scaffolds[i] for i in test}
    shown = json.loads(cli("model", "show", "rings", "--json").stdout)
    assert shown["cv_split"] == "scaffold"
    with open_store().read_session() as session:
        events, _ = list_events(session, action="model.featurize", object_id="rings@1")
    assert events[0].params["split"] == "scaffold"
    r = cli(
        "model",
        "train",
        "--data",
        str(data),
        "--target",
        "y",
        "--smiles-col",
        "smiles",
        "--group-col",
        "site",
        "--trials",
        "0",
        "--models",
        "ridge",
        "--name",
        "by-site",
        "--json",
    )
    assert r.exit_code == 0, r.stderr
    groups, folds = seen[-1]
    assert sorted(set(groups)) == ["site0", "site1", "site2"] and len(folds) == 3
    shown = json.loads(cli("model", "show", "by-site", "--json").stdout)
    assert shown["cv_split"] == "group" and "site" not in shown["numeric_cols"] + shown["categorical_cols"]
    for args, message in (
        (["--cv-split", "scaffold", "--group-col", "site"], "not both"),
        (["--cv-split", "series"], "'random' or 'scaffold'"),
        (["--group-col", "nope"], "field 'nope': column not found"),
    ):
        r = cli(
            "model", "train", "--data", str(data), "--target", "y", "--smiles-col", "smiles", *args, "--budget", "5"
        )
        assert r.exit_code == 2 and message in " ".join(r.stderr.split()), r.stderr  # rich wraps long lines
    r = cli("model", "train", "--data", str(data), "--target", "y", "--cv-split", "scaffold", "--budget", "5")
    assert r.exit_code == 2 and "need a SMILES column" in " ".join(r.stderr.split())
