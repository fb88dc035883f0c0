"""Skewed targets (fit on sqrt/log, smearing back-transform) and category spellings in the lifecycle."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pharmakon.core import cv_folds, make_preprocessor, select_model, train_model
from pharmakon.core.lifecycle import category_key, learn_spellings
from pharmakon.core.selection import _skewed
from pharmakon.core.zoo import TransformedTarget, apply_smearing, build_estimator, fit_smearing
from pharmakon.errors import InputError

rng = np.random.default_rng(3)
N = 240
X = rng.normal(size=(N, 4))
#: Log-normal target: log y = 0.8 x0 - 0.5 x1 + N(0, 0.6): a heavy right tail, like %ID or a clearance.
Y_SKEW = np.exp(0.8 * X[:, 0] - 0.5 * X[:, 1] + rng.normal(0, 0.6, N))


def test_log_smearing_is_duans_factor_and_removes_the_bias_of_the_naive_back_transform():
    # A perfect model of the log-mean: the naive back-transform exp(mu) is the median, low by exp(s^2/2).
    mu = 0.8 * X[:, 0] - 0.5 * X[:, 1]
    naive = np.exp(mu)
    smear = fit_smearing("log", Y_SKEW, naive)
    assert smear == pytest.approx(np.mean(Y_SKEW / naive))
    assert smear == pytest.approx(np.exp(0.6**2 / 2), rel=0.15)  # log-normal: E[exp(e)] = exp(s^2 / 2)
    corrected = apply_smearing("log", naive, smear)
    assert abs(np.mean(corrected - Y_SKEW)) < 0.5 * abs(np.mean(naive - Y_SKEW))  # naive: low by ~17%


def test_sqrt_smearing_adds_the_mean_squared_residual():
    y = np.array([0.0, 1.0, 4.0, 9.0])
    naive = np.array([0.25, 1.0, 2.25, 9.0])  # sqrt-scale predictions 0.5, 1, 1.5, 3
    assert fit_smearing("sqrt", y, naive) == pytest.approx((0.25 + 0 + 0.25 + 0) / 4)
    np.testing.assert_allclose(apply_smearing("sqrt", naive, 0.125), naive + 0.125)
    np.testing.assert_allclose(apply_smearing("sqrt", naive, None), naive)


def test_transformed_target_fits_the_transformed_scale_and_predicts_on_the_original():
    est = build_estimator("ridge", "regression", {"alpha": 1.0, "target_transform": "log", "smear": 1.2})
    assert isinstance(est, TransformedTarget)
    est.fit(X, Y_SKEW)
    inner = build_estimator("ridge", "regression", {"alpha": 1.0}).fit(X, np.log(Y_SKEW))
    np.testing.assert_allclose(est.predict(X), 1.2 * np.exp(inner.predict(X)))
    with pytest.raises(InputError, match="positive target"):
        build_estimator("ridge", "regression", {"target_transform": "log"}).fit(X, Y_SKEW - 1.0)
    with pytest.raises(InputError, match="unknown target transform"):
        build_estimator("ridge", "regression", {"target_transform": "cube"}).fit(X, Y_SKEW)


def test_skew_rule_needs_a_non_negative_right_tailed_target():
    assert _skewed(Y_SKEW)
    assert not _skewed(np.log(Y_SKEW))  # symmetric
    assert not _skewed(Y_SKEW - 2.0)  # negative values: no sqrt/log
    assert not _skewed(np.ones(10))


def _select(y: np.ndarray, trials: int = 0):
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    prep = make_preprocessor(list(frame.columns), [])
    folds = cv_folds(len(y), n_splits=3, seed=0)
    return select_model(frame, y, "regression", prep, folds, models=["ridge", "lightgbm"], trials=trials, seed=0)


def test_selection_cross_validates_transforms_of_a_skewed_target_on_the_original_scale():
    result = _select(Y_SKEW)
    rows = [r for r in result.leaderboard if r["source"] == "transform"]
    assert {(r["model"], r["params"]["target_transform"]) for r in rows} == {
        (m, t) for m in ("ridge", "lightgbm") for t in ("sqrt", "log")
    }
    for r in rows:  # smearing learned from out-of-fold residuals, stored so the model rebuilds
        assert r["status"] == "ok" and r["params"]["smear"] > 0
    # a linear model of the log-mean is the right model here: the log transform wins the original-scale RMSE
    ridge = {r["params"].get("target_transform"): r["cv_rmse"] for r in result.leaderboard if r["model"] == "ridge"}
    assert ridge["log"] < ridge[None]


def test_no_transform_is_tried_for_a_symmetric_or_signed_target():
    for y in (np.log(Y_SKEW), Y_SKEW - 2.0):
        assert not [r for r in _select(y).leaderboard if r["source"] == "transform"]


def test_fixed_trials_with_transforms_give_the_same_model():
    a, b = _select(Y_SKEW, trials=2), _select(Y_SKEW, trials=2)
    assert a.best == b.best
    np.testing.assert_array_equal(a.oof, b.oof)


def test_category_variants_share_one_spelling_and_are_reported():
    frame = pd.DataFrame({"ct": ["Skin", "skin", "Skin ", "Breast", " breast", None, "Liver"]})
    spellings, notes = learn_spellings(frame, ["ct"])
    assert spellings["ct"] == {"skin": "Skin", "breast": "Breast", "liver": "Liver"}
    assert category_key("  SKIN\t") == "skin"
    assert len(notes) == 1 and "'skin' -> 'Skin'" in notes[0] and "' breast' -> 'Breast'" in notes[0]


def test_lifecycle_merges_case_variants_at_training_and_prediction():
    n = 90
    site = np.array(["North", "South", "East"] * 30, dtype=object)
    site[::7] = [s.lower() + " " for s in site[::7]]  # case/whitespace variants of the same sites
    effect = {"north": 0.0, "south": 3.0, "east": -3.0}
    y = np.array([effect[category_key(s)] for s in site]) + np.random.default_rng(0).normal(0, 0.1, n)
    frame = pd.DataFrame({"site": site, "dose": np.linspace(0, 1, n), "y": y})
    model = train_model(frame, "y", task="regression", trials=0, models=["ridge"], seed=0)
    assert any("variants merged" in w for w in model.qc["warnings"])
    onehot = model.pipeline[0].named_transformers_["cat"][-1]
    assert sorted(onehot.categories_[0]) == ["East", "North", "South"]  # three sites, not five spellings
    pred = model.predict(pd.DataFrame({"site": ["SOUTH", "South", " south  ", ""], "dose": [0.5] * 4})).table
    p = pred["prediction"].to_numpy(float)
    assert p[0] == pytest.approx(p[1]) and p[2] == pytest.approx(p[1])
    assert p[1] > 2.0 and pred["pred_status"].eq("ok").all()  # a blank cell is missing (imputed), not an error


def test_a_transformed_model_keeps_intervals_domain_and_shap_on_the_original_scale():
    from pharmakon.core.explain import shap_values

    frame = pd.DataFrame(X[:120, :3], columns=["a", "b", "c"])
    frame["y"] = Y_SKEW[:120]
    model = train_model(frame, "y", task="regression", trials=0, models=["ridge"], seed=0)
    assert model.selection["best"]["params"]["target_transform"] == "log"  # wins the original-scale CV here
    out = model.predict(frame.drop(columns="y").head(8)).table
    assert (out["pred_lower"] <= out["prediction"]).all() and (out["prediction"] <= out["pred_upper"]).all()
    assert out["in_domain"].dtype == bool and (out["prediction"] > 0).all()
    shap = shap_values(model, frame.drop(columns="y").head(4))
    assert np.asarray(shap.values).shape == (4, 3)
