from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn import metrics as skm

from pharmakon.core import classification_metrics, leakage_report, regression_metrics, run_qc
from pharmakon.errors import InputError


def test_qc_rules_for_regression():
    df = pd.DataFrame(
        {
            "id": ["a", "b", "c", "d", "e", "f", "g", "h"],
            "smiles": ["CCO", "OCC", "c1ccccc1", "C1=CC=CC=C1", "CCN", "CCN", "CC", "CC"],
            "y": [1.0, 1.1, 2.0, 9.0, 3.0, 3.0, np.nan, 50.0],
        }
    )
    keys = ["CCO", "CCO", "c1ccccc1", "c1ccccc1", "CCN", "CCN", "CC", "CC"]
    clean, rep = run_qc(
        df, "y", "regression", id_cols=["id"], structure_keys=keys, structure_col="smiles", conflict_tol=1.0
    )
    assert rep.dropped["missing_target"] == 1
    assert rep.dropped["duplicate_records"] == 0  # the CCN rows have different ids: two measurements
    assert rep.dropped["duplicate_structures_merged"] == 2  # CCO 1.0/1.1 -> median 1.05; CCN 3.0/3.0
    assert rep.dropped["conflicting_structures"] == 2  # benzene 2 vs 9: dropped
    assert clean.loc[0, "y"] == pytest.approx(1.05)
    assert "c1ccccc1" not in clean["smiles"].tolist() and "C1=CC=CC=C1" not in clean["smiles"].tolist()
    assert rep.duplicate_structures["n_conflicting_groups"] == 1
    assert any("conflicting" in w for w in rep.warnings)
    assert "median" in rep.rules
    assert df.shape == (8, 3)  # the caller's frame is untouched


def test_qc_classification_majority_and_balance():
    df = pd.DataFrame({"id": range(20), "s": list("aaabbcdefghijklmnopq"), "y": [1, 1, 0, 1, 0] + [0] * 15})
    clean, rep = run_qc(df, "y", "classification", id_cols=["id"], structure_keys=df["s"].tolist(), structure_col="s")
    assert rep.dropped["duplicate_records"] == 0
    assert rep.dropped["duplicate_structures_merged"] == 2  # a: 1,1,0 -> 1
    assert rep.dropped["conflicting_structures"] == 2  # b: 1 vs 0 tie
    assert rep.class_balance == {"0": 15, "1": 1}
    assert run_qc(df.drop(columns="id"), "y", "classification")[1].dropped["duplicate_records"] == 1
    assert any("imbalance" in w for w in rep.warnings)
    with pytest.raises(InputError, match="not found"):
        run_qc(df, "nope", "classification")


def test_outliers_reported_not_dropped():
    df = pd.DataFrame({"x": np.r_[np.zeros(30), 1000.0], "y": np.r_[np.linspace(0, 1, 30), 100.0]})
    clean, rep = run_qc(df, "y", "regression")
    assert len(clean) == 31 and rep.outliers["target_n"] == 1


def test_leakage_report():
    tr_fp = np.eye(4)[[0, 1, 2]]
    te_fp = np.eye(4)[[0, 3]]
    rep = leakage_report(["A", "B", "C"], ["A", "D"], train_fp=tr_fp, test_fp=te_fp)
    assert rep["identical"] == 1 and rep["near_identical"] == 1


def test_regression_metrics_match_scipy_sklearn():
    rng = np.random.default_rng(0)
    t = rng.normal(size=50)
    p = t + rng.normal(0, 0.5, 50)
    m = regression_metrics(t, p)
    assert m["mae"] == pytest.approx(skm.mean_absolute_error(t, p))
    assert m["rmse"] == pytest.approx(np.sqrt(skm.mean_squared_error(t, p)))
    assert m["r2"] == pytest.approx(skm.r2_score(t, p))
    assert m["pearson"] == pytest.approx(stats.pearsonr(t, p)[0])
    assert m["spearman"] == pytest.approx(stats.spearmanr(t, p)[0])
    assert regression_metrics([1, 2, 3], [2, 2, 2])["pearson"] is None


def test_classification_metrics_match_sklearn():
    rng = np.random.default_rng(1)
    y = rng.choice(["a", "b"], 80)
    p1 = np.clip((y == "b") * 0.6 + rng.uniform(0, 0.4, 80), 0, 1)
    proba = np.c_[1 - p1, p1]
    m = classification_metrics(y, proba, ["a", "b"])
    yi = (y == "b").astype(int)
    assert m["auroc"] == pytest.approx(skm.roc_auc_score(yi, p1))
    assert m["auprc"] == pytest.approx(skm.average_precision_score(yi, p1))
    assert m["brier"] == pytest.approx(skm.brier_score_loss(yi, p1))
    assert m["mcc"] == pytest.approx(skm.matthews_corrcoef(yi, p1 > 0.5))
    assert m["balanced_accuracy"] == pytest.approx(skm.balanced_accuracy_score(yi, p1 > 0.5))
    three = classification_metrics(["x", "y", "z", "x"], np.eye(3)[[0, 1, 2, 0]], ["x", "y", "z"])
    assert three["auroc"] == 1.0 and three["auprc"] is None
