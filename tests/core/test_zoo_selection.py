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


@pytest.mark.parametrize("name,task", [(n, t) for n, e in ZOO.items() for t in e.tasks if not e.needs_smiles])
def test_zoo_contract(name, task):  # families reading SMILES matrices: tests/chem/test_chemprop.py
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


def test_count_aware_scaler_keeps_sparse_counts_and_standardises_the_rest():
    from pharmakon.core.zoo import CountAwareScaler

    r = np.random.default_rng(2)
    counts = np.where(r.random(200) < 0.8, 0, r.integers(1, 4, 200)).astype(float)  # fingerprint-like
    dense_int = r.integers(10, 40, 200).astype(float)  # e.g. heavy-atom count: never 0
    signed = np.where(r.random(200) < 0.8, 0, -1.0)  # negative integers are not counts
    cont = r.normal(5, 3, 200)
    data = np.c_[counts, dense_int, signed, cont]
    sc = CountAwareScaler().fit(data)
    assert sc.counts_.tolist() == [True, False, False, False]
    out = sc.transform(data)
    np.testing.assert_array_equal(out[:, 0], counts)
    np.testing.assert_allclose(out[:, 1:].mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(out[:, 1:].std(0), 1)
    with pytest.raises(ValueError, match="fit"):
        CountAwareScaler().transform(data)
    prep = make_preprocessor(["a", "b"], []).fit(pd.DataFrame({"a": counts, "b": cont}))
    np.testing.assert_array_equal(prep.transform(pd.DataFrame({"a": counts, "b": cont}))[:, 0], counts)


def test_count_aware_scaler_keeps_fuzzy_counts_but_standardises_sparse_measurements():
    from pharmakon.core.zoo import CountAwareScaler

    r = np.random.default_rng(4)
    sparse = r.random(200) < 0.7
    fuzzy = np.where(sparse, 0, r.integers(1, 5, 200) * 0.3 + r.integers(0, 2, 200))  # ErG: steps of 1 and 0.3
    measured = np.where(sparse, 0, r.gamma(2.0, 1.5, 200))  # mostly zero, but a continuous quantity
    sc = CountAwareScaler().fit(np.c_[fuzzy, measured])
    assert sc.counts_.tolist() == [True, False]
    np.testing.assert_array_equal(sc.transform(np.c_[fuzzy, measured])[:, 0], fuzzy)


def test_scaler_clips_continuous_columns_to_the_training_range_so_ridge_cannot_blow_up():
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline

    from pharmakon.core.zoo import CountAwareScaler

    r = np.random.default_rng(3)
    cont = r.normal(0, 1, (300, 2))
    counts = np.where(r.random(300) < 0.8, 0, 1).astype(float)
    data = np.c_[cont, counts]
    y = cont @ [2.0, -1.0] + counts
    model = make_pipeline(CountAwareScaler(), Ridge(alpha=1.0)).fit(data, y)
    sc = model[0]
    inside = sc.transform(data)
    np.testing.assert_allclose(inside[:, :2].min(0), sc.lower_[:2])  # training rows are never clipped
    np.testing.assert_allclose(inside[:, :2].max(0), sc.upper_[:2])
    blow_up = np.array([[1e6, 0.0, 1.0]])  # a descriptor far outside anything seen in training
    assert sc.transform(blow_up)[0, 0] == pytest.approx(sc.upper_[0])
    bound = np.abs(model.predict(data)).max() + np.abs(y).max()
    assert abs(model.predict(blow_up)[0]) < bound  # unclipped: about 2e6
    assert sc.transform(np.array([[0.0, 0.0, 7.0]]))[0, 2] == 7.0  # counts are never clipped


def test_selection_respects_budget_and_keeps_baseline():
    frame = pd.DataFrame(np.c_[X, rng.normal(size=(60, 20))], columns=[f"x{i}" for i in range(25)])
    folds = cv_folds(60, n_splits=3, seed=0)
    prep = make_preprocessor(list(frame.columns), [])
    t0 = time.monotonic()
    res = select_model(frame, Y_REG, "regression", prep, folds, budget_s=4, seed=0)
    elapsed = time.monotonic() - t0
    # Stops near the budget. The bound is generous (a loaded machine runs late); what it catches is selection
    # that ignores the clock, which screens the whole zoo and tunes without end.
    assert elapsed < 4 + 30
    assert res.leaderboard[0]["model"] == "ridge" and res.leaderboard[0]["status"] == "ok"
    ok = [r for r in res.leaderboard if r["status"] == "ok"]
    best = min(ok, key=lambda r: r["cv_rmse"])
    assert res.best == {"model": best["model"], "params": best["params"]}
    assert res.cv_metrics["r2"] > 0.8 and res.oof.shape == (60,)


def test_late_start_still_screens_one_model_besides_the_baseline():
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(5)])
    folds = cv_folds(60, n_splits=3, seed=0)
    # 60% of a 100 s budget already spent (e.g. slow featurization): past the 55% screening mark, with 15 s
    # left before the 75% mark by which one model besides the baseline may still start (however slow the machine)
    res = select_model(
        frame,
        Y_REG,
        "regression",
        make_preprocessor(list(frame.columns), []),
        folds,
        budget_s=100,
        models=["ridge", "knn", "svm"],
        seed=0,
        start=time.monotonic() - 60,
    )
    status = {r["model"]: r["status"] for r in res.leaderboard if r["source"] == "screen"}
    assert status["ridge"] == "ok" and status["knn"] == "ok"
    assert status["svm"] == "skipped: budget spent"


def test_averaging_ensemble_is_the_mean_of_its_members():
    members = [{"model": "ridge", "params": {"alpha": 1.0}}, {"model": "knn", "params": {"n_neighbors": 5}}]
    ens = build_estimator("ensemble", "regression", {"members": members}).fit(X, Y_REG)
    expected = np.mean(
        [build_estimator(m["model"], "regression", m["params"]).fit(X, Y_REG).predict(X) for m in members], axis=0
    )
    np.testing.assert_allclose(ens.predict(X), expected)
    cls = build_estimator(
        "ensemble", "classification", {"members": [{"model": "logistic", "params": {}}, {"model": "knn", "params": {}}]}
    ).fit(X, Y_CLS)
    np.testing.assert_allclose(cls.predict_proba(X).sum(1), 1.0)
    with pytest.raises(ValueError, match="fit"):
        build_estimator("ensemble", "regression", {"members": members}).predict(X)


def test_ensemble_row_competes_in_the_leaderboard():
    r = np.random.default_rng(3)
    x = r.normal(size=(120, 5))
    y = 2 * x[:, 0] + 1.5 * np.sin(3 * x[:, 1]) + r.normal(0, 0.1, 120)  # linear + non-linear parts
    frame = pd.DataFrame(x, columns=[f"x{i}" for i in range(5)])
    folds = cv_folds(120, n_splits=3, seed=0)
    res = select_model(
        frame,
        y,
        "regression",
        make_preprocessor(list(frame.columns), []),
        folds,
        models=["ridge", "knn", "svm"],
        seed=0,
        trials=0,  # fixed work: every family screened and the ensemble tried, whatever the clock
    )
    rows = [row for row in res.leaderboard if row["model"] == "ensemble"]
    assert len(rows) == 1  # the ensemble step always leaves one row saying what it did
    row = rows[0]
    if row["params"]:
        assert 2 <= len({str(m) for m in row["params"]["members"]}) <= 3
        assert abs(sum(row["weights"].values()) - 1) < 1e-9
    if res.best["model"] == "ensemble":
        singles = [r["cv_rmse"] for r in res.leaderboard if r["status"] == "ok" and r["model"] != "ensemble"]
        assert row["cv_rmse"] < min(singles)
    else:
        assert row["status"].startswith("not chosen")


def testgreedy_members_weights_complementary_models():
    from pharmakon.core.selection import greedy_members

    truth = np.linspace(-1, 1, 200)
    noise = np.random.default_rng(1).normal(0, 0.3, (2, 200))
    oofs = {0: truth + noise[0], 1: truth + noise[1], 2: truth * 0.0, 3: truth + noise[0] + 0.01}
    chosen = greedy_members([0, 1, 2, 3], oofs, "regression", truth, [], "rmse", -1.0, rounds=10)
    assert 2 not in chosen  # a useless model is never added
    assert {0, 1} <= set(chosen) or {3, 1} <= set(chosen)  # independent errors: both halves are used
    rmse = lambda p: np.sqrt(np.mean((p - truth) ** 2))  # noqa: E731
    assert rmse(np.mean([oofs[i] for i in chosen], axis=0)) < min(rmse(oofs[0]), rmse(oofs[1]))
    assert greedy_members([2], oofs, "regression", truth, [], "rmse", -1.0, rounds=10) == [2]


def test_repeated_member_is_fitted_once_and_weighs_double():
    members = [{"model": "ridge", "params": {"alpha": 1.0}}] * 2 + [{"model": "knn", "params": {"n_neighbors": 5}}]
    ens = build_estimator("ensemble", "regression", {"members": members}).fit(X, Y_REG)
    assert ens.estimators_[0] is ens.estimators_[1] and len(ens.estimators_) == 3
    ridge = build_estimator("ridge", "regression", {"alpha": 1.0}).fit(X, Y_REG).predict(X)
    knn = build_estimator("knn", "regression", {"n_neighbors": 5}).fit(X, Y_REG).predict(X)
    np.testing.assert_allclose(ens.predict(X), (2 * ridge + knn) / 3)


def test_domains_register_families_and_an_unregistered_one_names_its_package(monkeypatch):
    import subprocess
    import sys

    from pharmakon.core import zoo
    from pharmakon.core.lifecycle import train_model

    code = (
        "import sys\n"
        "from pharmakon.core import zoo\n"
        "from pharmakon.errors import InputError\n"
        "assert 'chemprop' not in zoo.ZOO and 'pharmakon.chem' not in sys.modules\n"
        "try:\n"
        "    zoo.build_estimator('chemprop', 'regression')\n"
        "except InputError as exc:\n"
        "    print(exc)\n"
        "import pharmakon.chem\n"
        "assert zoo.ZOO['chemprop'].needs_smiles and 'chemprop' not in zoo.zoo_names('regression')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert "'chemprop' is not registered" in out and "pharmakon.chem" in out
    monkeypatch.delitem(zoo.ZOO, "chemprop", raising=False)  # as if the molecule domain were not imported
    with pytest.raises(InputError, match="'chemprop' is not registered: it is provided by the molecule"):
        train_model(pd.DataFrame({"a": np.arange(30.0), "y": np.arange(30.0) % 7}), "y", models=["chemprop"])

    def build(task, params, seed, n_jobs):
        from sklearn.linear_model import Lasso

        return Lasso(alpha=params.get("alpha", 0.1), random_state=seed)

    monkeypatch.setitem(zoo.ZOO, "placeholder", zoo.ZOO["ridge"])  # restored (removed) after the test
    entry = zoo.register_family(
        "placeholder",
        build,
        lambda t: {"alpha": t.suggest_float("alpha", 0.01, 1)},
        tasks=("regression",),
        description="lasso",
    )
    assert zoo.family("placeholder") is entry and "placeholder" not in zoo.zoo_names("regression")
    assert build_estimator("placeholder", "regression", {"alpha": 0.5}).alpha == 0.5
    with pytest.raises(InputError, match="unknown model 'placeholder' for classification"):
        build_estimator("placeholder", "classification")
    with pytest.raises(InputError, match="built into the zoo"):
        zoo.register_family("ridge", build, lambda t: {})
    sel = select_model(
        pd.DataFrame(X),
        Y_REG,
        "regression",
        make_preprocessor([0, 1, 2, 3, 4], []),
        cv_folds(len(X), n_splits=3, seed=0),
        models=["placeholder"],
        trials=0,
    )
    assert {r["model"] for r in sel.leaderboard} >= {"ridge", "placeholder"}
    with pytest.raises(InputError, match="unknown model 'deepnet'"):
        select_model(
            pd.DataFrame(X),
            Y_REG,
            "regression",
            make_preprocessor([0], []),
            cv_folds(len(X), n_splits=3, seed=0),
            budget_s=3,
            models=["deepnet"],
        )


def test_fixed_trials_give_the_same_selection_whatever_the_clock(monkeypatch):
    """With ``trials`` the clock decides nothing: a clock that jumps an hour per call changes no choice."""
    import itertools

    from pharmakon.core import selection as sel

    noise = np.random.default_rng(5).normal(size=(60, 20))
    frame = pd.DataFrame(np.c_[X, noise], columns=[f"x{i}" for i in range(25)])
    folds = cv_folds(60, n_splits=3, seed=0)

    def run():
        return select_model(
            frame,
            Y_REG,
            "regression",
            make_preprocessor(list(frame.columns), []),
            folds,
            budget_s=0.001,
            seed=0,
            models=["ridge", "knn", "rf"],
            trials=3,
        )

    first = run()
    ticks = itertools.count(0, 3600.0)
    monkeypatch.setattr(sel.time, "monotonic", lambda: next(ticks))
    second = run()
    assert first.best == second.best and first.n_trials == second.n_trials == 3
    assert {r["model"] for r in second.leaderboard if r["status"] == "ok"} >= {"ridge", "knn", "rf"}
    np.testing.assert_allclose(first.oof, second.oof)


def test_a_runner_up_far_behind_the_best_is_not_tuned():
    """Ridge fits the linear target to its noise; kNN trails by many fold SDs, so every trial tunes ridge."""
    from pharmakon.core.selection import TUNE_WITHIN_SD

    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(5)])
    result = select_model(
        frame,
        Y_REG,
        "regression",
        make_preprocessor(list(frame.columns), []),
        cv_folds(60, n_splits=3, seed=0),
        seed=0,
        models=["ridge", "knn"],
        trials=4,
    )
    screened = {r["model"]: r for r in result.leaderboard if r["source"] == "screen"}
    ridge, knn = screened["ridge"], screened["knn"]
    assert knn["cv_rmse"] - ridge["cv_rmse"] > TUNE_WITHIN_SD * ridge["cv_rmse_sd"]
    tuned = [r["model"] for r in result.leaderboard if r["source"] == "optuna"]
    assert len(tuned) == 4 and set(tuned) == {"ridge"}


def test_a_runner_up_within_the_best_spread_is_tuned_too():
    from pharmakon.core import selection as sel

    def row(model, rmse, sd):
        return {"model": model, "params": {}, "status": "ok", "cv_rmse": rmse, "cv_rmse_sd": sd}

    board = [row("svm", 0.45, 0.02), row("svm", 0.46, 0.02), row("lightgbm", 0.47, 0.03), row("ridge", 0.6, 0.02)]
    ranked = sel._ranked(board, "rmse", -1.0)
    assert sel._tuning_candidates(ranked, "rmse", -1.0) == ["svm", "lightgbm"]  # 0.02 behind, SD 0.02
    board[2]["cv_rmse"] = 0.50  # 0.05 behind: more than two SDs
    assert sel._tuning_candidates(sel._ranked(board, "rmse", -1.0), "rmse", -1.0) == ["svm"]
