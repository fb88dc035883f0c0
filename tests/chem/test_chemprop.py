"""The ``chemprop`` zoo family: estimator contract, seed, time limit, pickling, lifecycle and CLI round trip."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

import pharmakon.chem  # noqa: F401 - registers the chemprop family in core's zoo
from pharmakon.core import zoo
from pharmakon.core.zoo import build_estimator, with_smiles
from pharmakon.errors import InputError, NotFittedError
from tests.core.conftest import molecule_table

FAST = {"epochs": 4, "hidden": 32, "ffn_hidden": 32}


@pytest.fixture(scope="module")
def chains():
    df = molecule_table(n_max=8)  # 56 alkyl chains with end groups; y additive in length and group
    rng = np.random.default_rng(0)
    extra = rng.normal(size=(len(df), 3))
    return with_smiles(df["smiles"], extra), df["y"].to_numpy(), (df["cls"] == "high").to_numpy(int)


@pytest.fixture(scope="module")
def fitted(chains):
    X, y, _ = chains
    return build_estimator("chemprop", "regression", FAST, seed=3).fit(X, y)


def test_fit_predict_shapes_and_seed(chains, fitted):
    X, y, _ = chains
    pred = fitted.predict(X)
    assert pred.shape == (len(y),) and np.isfinite(pred).all()
    assert fitted.n_features_in_ == 3 and fitted.epochs_run_ == FAST["epochs"]
    again = build_estimator("chemprop", "regression", FAST, seed=3).fit(X, y).predict(X)
    np.testing.assert_array_equal(again, pred)  # same seed, same network
    other = build_estimator("chemprop", "regression", FAST, seed=4).fit(X, y).predict(X)
    assert np.abs(other - pred).max() > 1e-6
    with pytest.raises(InputError, match="SMILES matrix"):
        fitted.predict(np.zeros((3, 3)))
    with pytest.raises(NotFittedError, match="(?i)fit"):
        build_estimator("chemprop", "regression").predict(X)
    with pytest.raises(NotFittedError, match="(?i)fit"):
        build_estimator("chemprop", "classification").predict(X)
    assert clone(fitted).get_params() == fitted.get_params()


def test_optuna_space_rebuilds(chains):
    import optuna

    X, y, _ = chains
    trial = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0)).ask()
    params = zoo.ZOO["chemprop"].space(trial)
    params = zoo.ZOO["chemprop"].space(optuna.trial.FixedTrial(params))
    est = build_estimator("chemprop", "regression", {**params, "epochs": 2, "hidden": 32}, seed=0).fit(X, y)
    assert est.predict(X).shape == (len(y),)


def test_binary_classification(chains):
    X, _, cls = chains
    est = build_estimator("chemprop", "classification", FAST, seed=0).fit(X, cls)
    proba = est.predict_proba(X)
    assert list(est.classes_) == [0, 1] and proba.shape == (len(cls), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert set(est.predict(X)) <= {0, 1}


def test_time_limit_stops_training(chains):
    X, y, _ = chains
    est = build_estimator("chemprop", "regression", {**FAST, "epochs": 100_000, "time_limit_s": 1.5})
    t0 = time.monotonic()
    est.fit(X, y)
    # Generous for a loaded machine; without the limit, 100,000 epochs would run for hours.
    assert time.monotonic() - t0 < 1.5 + 30 and est.epochs_run_ < 100_000
    assert np.isfinite(est.predict(X)).all()


def test_pickle_round_trip(chains, fitted):
    X, _, _ = chains
    buf = io.BytesIO()
    joblib.dump(fitted, buf)
    loaded = joblib.load(io.BytesIO(buf.getvalue()))
    np.testing.assert_array_equal(loaded.predict(X), fitted.predict(X))
    assert b"Trainer" not in buf.getvalue()  # weights and settings only, no lightning trainer


def test_weights_from_another_chemprop_release_refuse_to_load(fitted, monkeypatch):
    import pharmakon.chem.chemprop_model as cm
    from pharmakon.core.registry import ModelCompatibilityError

    buf = io.BytesIO()
    joblib.dump(fitted, buf)
    monkeypatch.setattr(cm, "_deep_versions", lambda: {"torch": "2.13.0", "chemprop": "9.9.0"})
    with pytest.raises(ModelCompatibilityError, match=r"saved with chemprop 2\.2\.\d+ but chemprop 9\.9\.0"):
        joblib.load(io.BytesIO(buf.getvalue()))


def test_core_imports_without_torch():
    code = (
        "import sys, pharmakon.core.lifecycle, pharmakon.core.selection, pharmakon.core.zoo, "
        "pharmakon.core.explain, pharmakon.core.registry, pharmakon.core.modelcard; "
        "assert 'torch' not in sys.modules and 'chemprop' not in sys.modules; "
        "assert not [m for m in sys.modules if m.startswith('pharmakon.chem')]; "  # core never loads a domain
        "import pharmakon.chem; assert 'torch' not in sys.modules and 'chemprop' in pharmakon.core.zoo.ZOO"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_missing_deep_extra_and_missing_smiles_are_clear(monkeypatch):
    from pharmakon.chem import make_featurizer
    from pharmakon.core.lifecycle import train_model

    df = molecule_table(n_max=5)
    tab = pd.DataFrame({"a": np.arange(30.0), "y": np.arange(30.0) % 7})
    with pytest.raises(InputError, match="reads the molecules"):
        train_model(tab, "y", budget_s=5, models=["chemprop", "ridge"])
    monkeypatch.setitem(sys.modules, "chemprop", None)  # as if the deep extra were not installed
    with pytest.raises(InputError, match=r"chemprop needs the deep extra: pip install 'pharmakon\[deep\]'"):
        train_model(
            df[["smiles", "y"]],
            "y",
            smiles_col="smiles",
            featurizer=make_featurizer("morgan", n_bits=64),
            budget_s=5,
            models=["chemprop", "ridge"],
        )


@pytest.fixture(scope="module")
def chemprop_model():
    """A lifecycle model whose estimator is certainly chemprop: chemprop is made the baseline and the only family."""
    from pharmakon.chem import make_featurizer
    from pharmakon.core.lifecycle import train_model

    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(zoo.BASELINE, "regression", "chemprop")
        df = molecule_table(n_max=6)[["smiles", "y"]]
        return train_model(
            df,
            "y",
            smiles_col="smiles",
            featurizer=make_featurizer("morgan+rdkit2d", n_bits=256),
            budget_s=8,
            models=["chemprop"],
            seed=1,
        )


NEW = pd.DataFrame({"smiles": ["CCCCCCCO", "C1CC(", "CCCCN", "O=S(=O)(N1CCOCC1)C(F)(F)F"]})


def test_lifecycle_chemprop_winner_uncertainty_domain_and_shap(chemprop_model):
    from pharmakon.core.explain import shap_values

    model = chemprop_model
    assert model.selection["best"]["model"] == "chemprop" and model.smiles_input
    assert {r["model"] for r in model.selection["leaderboard"]} == {"chemprop"}
    out = model.predict(NEW).table
    assert out["pred_status"].tolist()[1].startswith("invalid SMILES")
    ok = out.drop(index=1)
    assert (ok["pred_lower"] < ok["prediction"]).all() and (ok["prediction"] < ok["pred_upper"]).all()
    assert out["in_domain"].dtype == bool and not out["in_domain"].iloc[1]
    assert out["in_domain"].iloc[0] and not out["in_domain"].iloc[3]  # a chain is in domain; a sulfonamide is not
    loaded = joblib.load(io.BytesIO(_dump(model)))
    pd.testing.assert_frame_equal(loaded.predict(NEW).table, out)
    with pytest.raises(InputError, match="SHAP explanations are not available for a chemprop model"):
        shap_values(model, NEW)


def test_registry_round_trip(store, chemprop_model):
    from pharmakon.core.registry import load_model, register_model

    with store.session() as session:
        register_model(session, chemprop_model, name="mpnn", actor="alice")
    with store.read_session() as session:
        loaded = load_model(session, "mpnn")
    assert loaded.versions["chemprop"] and loaded.versions["torch"]
    pd.testing.assert_frame_equal(loaded.predict(NEW).table, chemprop_model.predict(NEW).table)


def _dump(obj) -> bytes:
    buf = io.BytesIO()
    joblib.dump(obj, buf)
    return buf.getvalue()


@pytest.mark.slow  # fixed work: 50 Chemprop epochs per fold, whatever the machine
def test_cli_train_predict_on_esol(cli, pharmakon_home, mirror, tmp_path):
    from pharmakon.datasets import load

    esol = load("moleculenet", "esol")
    train, test = esol.iloc[:150], esol.iloc[150:170].copy()
    train.to_csv(tmp_path / "esol.csv", index=False)
    test.loc[test.index[0], "smiles"] = "not-a-molecule"
    test.drop(columns=["log_solubility"]).to_csv(tmp_path / "new.csv", index=False)
    r = cli(
        "model",
        "train",
        "--data",
        str(tmp_path / "esol.csv"),
        "--target",
        "log_solubility",
        "--smiles-col",
        "smiles",
        "--models",
        "chemprop,ridge",
        "--trials",  # fixed work: both families are scored (under a budget a loaded machine may skip one)
        "0",
        "--name",
        "esol",
        "--json",
    )
    assert r.exit_code == 0, r.stderr
    summary = json.loads(r.stdout)
    r = cli("model", "show", "esol", "--json")
    board = json.loads(r.stdout)["leaderboard"]
    assert {row["model"] for row in board if row["status"] == "ok"} == {"chemprop", "ridge"}  # both were scored
    r = cli("model", "predict", "esol", "--data", str(tmp_path / "new.csv"), "-o", str(tmp_path / "out.csv"))
    assert r.exit_code == 0, r.stderr
    got = pd.read_csv(tmp_path / "out.csv")
    assert len(got) == 20 and got["prediction"].isna().tolist() == [True] + [False] * 19
    assert (got["pred_upper"] - got["pred_lower"]).iloc[1:].gt(0).all() and "in_domain" in got
    rmse = float(np.sqrt(np.mean((got["prediction"].iloc[1:] - test["log_solubility"].iloc[1:].to_numpy()) ** 2)))
    assert rmse < float(np.std(esol["log_solubility"])), (summary["best"], rmse)  # better than the mean


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # real training: one database is enough
def test_seeded_chemprop_example_registers_once(store, mirror):
    from pharmakon.chem.examples import CHEMPROP_MODEL, seed_chemprop_example
    from pharmakon.config import get_settings
    from pharmakon.core.registry import list_models, load_model

    summary = seed_chemprop_example(store, get_settings())
    assert summary.startswith(f"model {CHEMPROP_MODEL} v1 (Chemprop D-MPNN vs ridge on 150 ESOL molecules")
    # Fixed work, no clock: the same choice and numbers whatever the load (measured: chemprop 0.91, ridge 0.94;
    # the network's last digits may move with the CPU's float reductions, ridge's may not).
    assert "chosen chemprop" in summary and summary.endswith("ridge 0.94)"), summary
    assert abs(float(summary.split("CV RMSE chemprop ")[1].split(",")[0]) - 0.91) <= 0.03, summary
    with store.read_session() as session:
        model = load_model(session, CHEMPROP_MODEL)
    assert "chemprop" in {r["model"] for r in model.selection["leaderboard"]} and "chemprop" in summary
    assert "already registered" in seed_chemprop_example(store, get_settings())
    with store.read_session() as session:
        assert [o.version for o in list_models(session) if o.name == CHEMPROP_MODEL] == [1]


def test_chemprop_example_without_the_deep_extra_is_skipped_clearly(store, monkeypatch):
    from pharmakon.chem.examples import seed_chemprop_example
    from pharmakon.config import get_settings

    monkeypatch.setitem(sys.modules, "chemprop", None)
    with pytest.raises(InputError, match=r"pharmakon\[deep\]"):
        seed_chemprop_example(store, get_settings())


def test_panel_predicts_a_chemprop_endpoint_like_the_model(chemprop_model):
    """The ADMET panel's shared featurization hands a molecule-reading model its SMILES too."""
    from pharmakon.chem.panel_io import predict_smiles

    panel = predict_smiles({"chains": chemprop_model}, NEW["smiles"].tolist(), alerts=False)
    alone = chemprop_model.predict(NEW).table
    np.testing.assert_allclose(panel["chains"], alone["prediction"], rtol=1e-9)
    np.testing.assert_allclose(panel["chains_upper"], alone["pred_upper"], rtol=1e-9)
    assert panel["chains_in_domain"].tolist() == alone["in_domain"].tolist()
