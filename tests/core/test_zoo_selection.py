"""Contract test over every zoo entry, and model selection inside a budget."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from pharmakon.core import ZOO, build_estimator, cv_folds, make_preprocessor, select_model, zoo_names
from pharmakon.core.zoo import MinSupport
from pharmakon.errors import InputError

rng = np.random.default_rng(0)
X = rng.normal(size=(60, 5))
Y_REG = X[:, 0] * 2 + rng.normal(0, 0.1, 60)
Y_CLS = (X[:, 0] > 0).astype(int)


@pytest.mark.parametrize("name,task", [(n, t) for n, e in ZOO.items() for t in e.tasks])
def test_zoo_contract(name, task):
    import optuna

    est = build_estimator(name, task, seed=1)
    y = Y_REG if task == "regression" else Y_CLS
    assert est.fit(X, y) is est
    a = est.predict(X)
    b = build_estimator(name, task, seed=1).fit(X, y).predict(X)
    np.testing.assert_allclose(a, b)  # same seed, same output
    assert clone(est).get_params() == est.get_params()
    with pytest.raises(Exception, match="(?i)fit"):
        build_estimator(name, task).predict(X)
    params = ZOO[name].space(optuna.trial.FixedTrial(_defaults(name, task)))
    build_estimator(name, task, params).fit(X, y)  # rebuildable from its stored parameter dict


def _defaults(name, task):
    import optuna

    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    trial = study.ask()
    return ZOO[name].space(trial)


def test_unknown_model_lists_choices():
    with pytest.raises(InputError, match="ridge"):
        build_estimator("deepnet", "regression")
    assert zoo_names("classification")[0] == "logistic"


def test_min_support_drops_rare_columns():
    data = np.zeros((100, 3))
    data[:2, 0] = 1  # rare bit
    data[:, 1] = rng.normal(size=100)
    data[:50, 2] = 1
    ms = MinSupport().fit(data)
    assert ms.keep_.tolist() == [1, 2]
    assert ms.transform(data).shape == (100, 2)


def test_selection_respects_budget_and_keeps_baseline():
    frame = pd.DataFrame(np.c_[X, rng.normal(size=(60, 20))], columns=[f"x{i}" for i in range(25)])
    folds = cv_folds(60, n_splits=3, seed=0)
    prep = make_preprocessor(list(frame.columns), [])
    t0 = time.monotonic()
    res = select_model(frame, Y_REG, "regression", prep, folds, budget_s=4, seed=0)
    elapsed = time.monotonic() - t0
    assert elapsed < 4 * 1.5 + 2  # stops near the budget
    assert res.leaderboard[0]["model"] == "ridge" and res.leaderboard[0]["status"] == "ok"
    ok = [r for r in res.leaderboard if r["status"] == "ok"]
    best = min(ok, key=lambda r: r["cv_rmse"])
    assert res.best == {"model": best["model"], "params": best["params"]}
    assert res.cv_metrics["r2"] > 0.8 and res.oof.shape == (60,)


def test_averaging_ensemble_is_the_mean_of_its_members():
    members = [{"model": "ridge", "params": {"alpha": 1.0}}, {"model": "knn", "params": {"n_neighbors": 5}}]
    ens = build_estimator("ensemble", "regression", {"members": members}).fit(X, Y_REG)
    expected = np.mean([build_estimator(m["model"], "regression", m["params"]).fit(X, Y_REG).predict(X)
                        for m in members], axis=0)  # fmt: skip
    np.testing.assert_allclose(ens.predict(X), expected)
    cls = build_estimator("ensemble", "classification", {"members": [
        {"model": "logistic", "params": {}}, {"model": "knn", "params": {}}]}).fit(X, Y_CLS)  # fmt: skip
    np.testing.assert_allclose(cls.predict_proba(X).sum(1), 1.0)
    with pytest.raises(ValueError, match="fit"):
        build_estimator("ensemble", "regression", {"members": members}).predict(X)


def test_ensemble_row_competes_in_the_leaderboard():
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(5)])
    folds = cv_folds(60, n_splits=3, seed=0)
    res = select_model(frame, Y_REG, "regression", make_preprocessor(list(frame.columns), []), folds, budget_s=5,
                       models=["ridge", "knn", "svm"], seed=0)  # fmt: skip
    rows = [r for r in res.leaderboard if r["model"] == "ensemble"]
    assert len(rows) == 1 and len(rows[0]["params"]["members"]) == 3
    if res.best["model"] == "ensemble":
        singles = [r["cv_rmse"] for r in res.leaderboard if r["status"] == "ok" and r["model"] != "ensemble"]
        assert rows[0]["cv_rmse"] < min(singles)
    else:
        assert rows[0]["status"].startswith("not chosen")
