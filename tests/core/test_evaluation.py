"""Held-out evaluation: the coverage test against independent computations, metrics and domain split, CLI."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import beta, binom

from pharmakon.core import classification_metrics, coverage_test, evaluate_model, regression_metrics
from pharmakon.errors import InputError
from tests.core.conftest import molecule_table, tabular_table


@pytest.mark.parametrize(("n", "k"), [(200, 172), (142, 131), (2613, 2350), (30, 30), (50, 0)])
def test_coverage_test_matches_textbook_formulas(n, k):
    covered = np.r_[np.ones(k, bool), np.zeros(n - k, bool)]
    got = coverage_test(covered, 0.9)
    # Clopper-Pearson from the beta quantiles
    lo = 0.0 if k == 0 else beta.ppf(0.025, k, n - k + 1)
    hi = 1.0 if k == n else beta.ppf(0.975, k + 1, n - k)
    assert got["ci_low"] == pytest.approx(lo, abs=1e-9) and got["ci_high"] == pytest.approx(hi, abs=1e-9)
    # exact two-sided test: the probability of every outcome no more likely than the observed one
    pmf = binom.pmf(np.arange(n + 1), n, 0.9)
    p = pmf[pmf <= pmf[k] * (1 + 1e-7)].sum()
    assert got["p_value"] == pytest.approx(min(1.0, p), rel=1e-6)
    # the 88-92% window by counting outcomes
    inside = [j for j in range(n + 1) if 0.88 - 1e-12 <= j / n <= 0.92 + 1e-12]
    assert got["p_within_2pt"] == pytest.approx(pmf[inside].sum(), rel=1e-9)
    assert (got["n"], got["covered"], got["coverage"]) == (n, k, k / n)
    assert got["band_low"] <= 0.9 <= got["band_high"]


def test_coverage_band_narrows_with_n_and_rejects_nonsense():
    small, large = coverage_test(np.ones(142, bool), 0.9), coverage_test(np.ones(2613, bool), 0.9)
    assert large["band_high"] - large["band_low"] < small["band_high"] - small["band_low"]
    assert 0.55 < small["p_within_2pt"] < 0.65 and large["p_within_2pt"] > 0.99
    with pytest.raises(InputError, match="no held-out rows"):
        coverage_test(np.array([], bool), 0.9)
    with pytest.raises(InputError, match="nominal"):
        coverage_test(np.ones(5, bool), 1.0)


def test_regression_report_matches_its_predictions(mol_model):
    test = molecule_table(n_max=18, seed=7).drop(columns=["cls"])
    novel = ["c1ccc2[nH]c3ccccc3c2c1", "O=C1NC(=O)c2ccccc21", "FC(F)(F)c1ncncn1", "C1CCC2(CC1)OCCO2", "Brc1cc(Br)sc1"]
    test = pd.concat([test, pd.DataFrame({"smiles": novel, "y": [3.0, 1.0, 0.5, 2.0, 2.5]})], ignore_index=True)
    test.loc[3, "smiles"] = "C1CC("
    test.loc[5, "y"] = np.nan
    report = evaluate_model(mol_model, test, file="test.csv")
    pred = mol_model.predict(test.drop(columns=["y"])).table
    ok = pred["pred_status"].eq("ok").to_numpy() & test["y"].notna().to_numpy()
    y, p = test["y"].to_numpy(float)[ok], pred["prediction"].to_numpy(float)[ok]
    assert report["metrics"] == regression_metrics(y, p)
    inside = (pred["pred_lower"].to_numpy(float)[ok] <= y) & (y <= pred["pred_upper"].to_numpy(float)[ok])
    assert report["coverage"]["coverage"] == inside.mean() and report["coverage"]["nominal"] == pytest.approx(0.9)
    assert report["evaluated"] == ok.sum() == len(test) - 2
    assert report["skipped"]["first"] == [
        {"row": 4, "reason": pred["pred_status"].iloc[3]},
        {"row": 6, "reason": "no label"},
    ]
    flag = pred["in_domain"].to_numpy(bool)[ok]
    dom = report["by_domain"]
    assert dom["in_domain"]["n"] + dom["out_of_domain"]["n"] == ok.sum() and dom["out_of_domain"]["n"] > 0
    assert dom["in_domain"]["coverage"] == inside[flag].mean()
    assert dom["out_of_domain"]["metrics"] == regression_metrics(y[~flag], p[~flag])


def test_classification_report_and_bad_labels(cls_model):
    test = tabular_table(n=120, seed=3).drop(columns=["response"])
    test["outcome"] = test["outcome"].astype(float)  # as read from a CSV column with a gap
    test.loc[0, "outcome"] = np.nan
    report = evaluate_model(cls_model, test)
    pred = cls_model.predict(test.drop(columns=["outcome"])).table.iloc[1:]
    y = test["outcome"].iloc[1:].astype(int).to_numpy()
    proba = pred[[f"proba_{c}" for c in cls_model.classes]].to_numpy(float)
    assert report["metrics"] == classification_metrics(list(y), proba, cls_model.classes)
    sets = pred["pred_set"].astype(str).str.split("|")
    assert report["coverage"]["coverage"] == np.mean([str(v) in s for v, s in zip(y, sets)])
    assert report["evaluated"] == 119 and not math.isnan(report["coverage"]["p_value"])
    bad = test.copy()
    bad["outcome"] = bad["outcome"].astype(object)
    bad.loc[7, "outcome"] = "maybe"
    with pytest.raises(InputError, match=r"file t.csv, row 8, field 'outcome': 'maybe' is not one of the model's"):
        evaluate_model(cls_model, bad, file="t.csv")
    with pytest.raises(InputError, match="field 'nope': label column not found"):
        evaluate_model(cls_model, test, target="nope")


def test_regression_label_that_is_not_a_number(mol_model):
    test = molecule_table(n_max=3).drop(columns=["cls"])
    test["y"] = test["y"].astype(object)
    test.loc[2, "y"] = "n/a"
    with pytest.raises(InputError, match=r"row 3, field 'y': 'n/a' is not a number \(1 such row"):
        evaluate_model(mol_model, test)


def test_cli_evaluate_prints_and_audits(cli, pharmakon_home, tmp_path):
    from pharmakon.store import list_events, open_store

    train, test = tmp_path / "train.csv", tmp_path / "test.csv"
    molecule_table(seed=0).drop(columns=["cls"]).to_csv(train, index=False)
    molecule_table(n_max=16, seed=5).drop(columns=["cls"]).to_csv(test, index=False)
    r = cli(
        "model",
        "train",
        "--data",
        str(train),
        "--target",
        "y",
        "--smiles-col",
        "smiles",
        "--trials",
        "0",
        "--models",
        "ridge,lightgbm",
        "--name",
        "chains",
    )
    assert r.exit_code == 0, r.stderr
    r = cli("model", "evaluate", "chains", "--data", str(test), "--json")
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["model"] == "chains" and out["evaluated"] == 16 * 7 and out["metrics"]["rmse"] > 0
    assert out["coverage"]["n"] == out["evaluated"] and 0 <= out["coverage"]["p_value"] <= 1
    text = cli("model", "evaluate", "chains", "--data", str(test))
    assert text.exit_code == 0 and "exact binomial p =" in text.stdout and "out of domain" in text.stdout
    with open_store().read_session() as session:
        events, total = list_events(session, action="model.evaluate")
    assert total == 2 and events[0].object_id == "chains@1" and events[0].params["evaluated"] == 16 * 7
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"smiles": ["CCO"], "y": ["high"]}).to_csv(bad, index=False)
    r = cli("model", "evaluate", "chains", "--data", str(bad))
    assert r.exit_code == 2 and "bad.csv" in r.stderr and "row 1" in r.stderr and "not a number" in r.stderr
