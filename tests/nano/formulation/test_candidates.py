"""Small-table model families and the nested out-of-fold predictions of the CQA models."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pharmakon.core.zoo import build_estimator, zoo_names
from pharmakon.nano.formulation.candidates import (
    FEW_ROWS,
    FEW_ROWS_FAMILIES,
    SMALL_TABLE_ROWS,
    ARDGaussianProcess,
    default_families,
)
from pharmakon.nano.formulation.cqa import fit_cqa_models


def test_default_candidates_follow_the_table() -> None:
    few = default_families(60)
    # a design campaign's table: six families stated in advance, baseline first; none of the zoo
    # families whose defaults are ill-posed at tens of rows (MLP, SVR in target units, depth-6 XGBoost, k-NN)
    assert few == ["ridge", "poly_ridge", "gp_ard", "gbm_shallow", "rf", "lightgbm"] == list(FEW_ROWS_FAMILIES)
    assert not {"mlp", "svm", "xgboost", "knn"} & set(few)
    assert default_families(FEW_ROWS) == few and default_families(FEW_ROWS + 1) != few  # the stated boundary
    mid = default_families(500)
    # the union: the lifecycle's default zoo (baseline first, its tree ensembles kept) plus the small-table families
    assert mid[: len(zoo_names("regression"))] == zoo_names("regression") and mid[0] == "ridge"
    assert {"lightgbm", "xgboost", "rf", "poly_ridge", "gp_ard", "gbm_shallow"} <= set(mid)
    assert len(mid) == len(set(mid))  # ridge (in both) screened once
    assert default_families(SMALL_TABLE_ROWS) == mid
    assert default_families(5000) is None  # the lifecycle's whole zoo
    assert default_families(60, structures=True) is None  # fingerprints: no ARD kernel over 2,000 bits


def test_quadratic_surface_is_recovered_by_poly_ridge() -> None:
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (40, 3))
    y = 1 + X[:, 0] - 2 * X[:, 1] ** 2 + 1.5 * X[:, 0] * X[:, 2]
    test = rng.uniform(-1, 1, (20, 3))
    truth = 1 + test[:, 0] - 2 * test[:, 1] ** 2 + 1.5 * test[:, 0] * test[:, 2]
    pred = build_estimator("poly_ridge", "regression").fit(X, y).predict(test)
    assert np.max(np.abs(pred - truth)) < 0.05


def test_ard_gp_switches_off_an_irrelevant_input() -> None:
    rng = np.random.default_rng(1)
    X = rng.uniform(-2, 2, (50, 2))
    y = np.sin(X[:, 0]) + rng.normal(0, 0.01, 50)  # the second column carries nothing
    gp = ARDGaussianProcess().fit(X, y)
    scales = gp.gp_.kernel_.k1.k2.length_scale
    assert scales[1] > 10 * scales[0]
    assert np.abs(gp.predict([[0.5, 1.0]])[0] - np.sin(0.5)) < 0.05


def test_nested_oof_does_not_invent_signal_in_noise() -> None:
    """Selection inside each outer fold: on a pure-noise target the out-of-fold R² stays near or below 0."""
    rng = np.random.default_rng(2)
    frame = pd.DataFrame(rng.normal(size=(30, 3)), columns=["a", "b", "c"])
    frame["y"] = rng.normal(size=30)
    res = fit_cqa_models(frame, ["y"], ["a", "b", "c"], form="miso", cv=3, repeats=1, opts={"trials": 0})
    assert res.comparison["miso"]["y"] < 0.1
    assert res.candidates == list(FEW_ROWS_FAMILIES)  # 30 rows: the a-priori six, nothing else screened
    assert sum(res.choices["y"].values()) == 3 and set(res.choices["y"]) <= {*FEW_ROWS_FAMILIES, "ensemble"}
