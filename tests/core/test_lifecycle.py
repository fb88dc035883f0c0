"""The lifecycle end to end on small data the tests make (molecules and a patient-like table)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pharmakon.core import infer_task, train_model
from pharmakon.errors import InputError


def test_molecule_regression_model(mol_model, molecules):
    m = mol_model
    assert m.task == "regression" and m.domain.metric == "tanimoto"
    assert m.selection["leaderboard"][0]["model"] == "ridge"
    assert m.selection["cv_metrics"]["r2"] > 0.7
    actions = [s["action"] for s in m.steps]
    assert actions == ["model.data", "model.qc", "model.featurize", "model.select", "model.calibrate"]
    q = m.conformal.q_
    assert np.mean(np.abs(m.oof_y - m.oof_pred) <= q) >= 0.9  # calibration set coverage by construction


def test_predict_keeps_order_and_reports_invalid_rows(mol_model):
    inp = pd.DataFrame({"name": ["a", "b", "c", "d"], "smiles": ["CCCCO", "garbage(", "CCCCCCCCCCCl", None]})
    res = mol_model.predict(inp)
    t = res.table
    assert t["name"].tolist() == ["a", "b", "c", "d"]
    assert {"prediction", "pred_lower", "pred_upper", "in_domain", "pred_status"} <= set(t.columns)
    assert np.isfinite(t.loc[[0, 2], "prediction"]).all() and t.loc[[1, 3], "prediction"].isna().all()
    assert (t.loc[[0, 2], "pred_lower"] < t.loc[[0, 2], "prediction"]).all()
    assert res.invalid["row"].tolist() == [2, 4]
    assert t.loc[1, "pred_status"].startswith("invalid SMILES")
    assert not t.loc[1, "in_domain"]
    far = mol_model.predict(pd.DataFrame({"smiles": ["O=S(=O)(O)c1ccc2ccccc2c1[Se][Se]C#N"]})).table
    assert not far.loc[0, "in_domain"]
    with pytest.raises(InputError, match="smiles"):
        mol_model.predict(pd.DataFrame({"x": [1]}))


def test_predictive_intervals_cover_held_out_molecules(small_featurizer):
    from tests.core.conftest import molecule_table

    train = molecule_table(n_max=14, seed=1)
    test = molecule_table(n_max=14, seed=2)  # same molecules, fresh noise: exchangeable
    m = train_model(
        train.drop(columns=["cls"]),
        "y",
        smiles_col="smiles",
        featurizer=small_featurizer,
        trials=0,
        models=["ridge"],
        task="regression",
        n_splits=5,
    )
    t = m.predict(test.drop(columns=["y", "cls"])).table
    cover = np.mean((test["y"] >= t["pred_lower"]) & (test["y"] <= t["pred_upper"]))
    assert cover >= 0.8  # nominal 90%; 98 rows -> binomial sd about 3 points


def test_tabular_classification(cls_model, patients):
    m = cls_model
    assert m.task == "classification" and m.classes == [0, 1]
    assert m.categorical_cols == ["sex", "site"] and "patient_id" not in m.numeric_cols + m.categorical_cols
    assert m.domain.metric == "euclidean"
    assert m.selection["cv_metrics"]["auroc"] > 0.8
    new = patients.drop(columns=["response", "outcome"]).head(5).copy()
    new.loc[0, "site"] = "Z"  # unseen category: encoded as all-zero, no crash
    new["age"] = new["age"].astype(object)
    new.loc[1, "age"] = "unknown"  # non-numeric: treated as missing, warned
    res = m.predict(new)
    t = res.table
    assert {"pred_set", "proba_0", "proba_1"} <= set(t.columns)
    np.testing.assert_allclose(t[["proba_0", "proba_1"]].sum(1), 1.0)
    assert all(s in ("0", "1", "0|1", "") for s in t["pred_set"])
    assert any("age" in w for w in res.warnings)


def test_auto_task_and_bad_targets(molecules, small_featurizer):
    assert infer_task(pd.Series([0, 1, 1, 0])) == "classification"
    assert infer_task(pd.Series(np.linspace(0, 1, 50))) == "regression"
    assert infer_task(pd.Series(["1.5", "2.5"] * 20 + [str(i / 7) for i in range(20)] + ["n/a"])) == "regression"
    bad = molecules.copy()
    bad["y"] = bad["y"].astype(object)
    bad.loc[5, "y"] = "high"
    with pytest.raises(InputError, match="row 6.*'y'|field 'y'"):
        train_model(bad, "y", smiles_col="smiles", featurizer=small_featurizer, task="regression", budget_s=2)
    with pytest.raises(InputError, match="not found"):
        train_model(molecules, "nope", budget_s=2)
    with pytest.raises(InputError, match="too many classes"):
        train_model(molecules.assign(y=molecules["smiles"]), "y", task="classification", budget_s=2, id_cols=["cls"])


def test_ids_are_not_features(patients):
    m = train_model(patients.drop(columns=["outcome"]), "response", trials=0, models=["ridge"], n_splits=3)
    assert "patient_id" not in m.categorical_cols
    assert any("patient_id" in w for w in m.qc["warnings"])


def test_calibration_novelty_is_measured_against_each_fold(mol_model, molecules):
    """OOF rows' novelty = 1 - similarity to their fold's training part; predict uses the bin of a row's novelty."""
    import copy

    from pharmakon.core import ConformalRegressor, cv_folds, tanimoto_max

    m = mol_model
    d = m.conformal.difficulty_
    assert d.shape == m.oof_y.shape and ((d >= 0) & (d <= 1)).all()
    step = next(s for s in m.steps if s["action"] == "model.calibrate")
    assert sum(b["rows"] for b in step["params"]["conformal_bins"]) == len(m.oof_y)
    fp = m.domain.reference_bits()  # the training rows' binarised fingerprints, in training order
    folds = cv_folds(len(m.oof_y), n_splits=3, seed=0)
    for tr, te in folds:  # independent recomputation of the fold novelty
        np.testing.assert_allclose(d[te], 1 - tanimoto_max(fp[te], fp[tr]))
    assert d.mean() > 1 - m.domain.score(fp).mean()  # a row is novel to its fold, not to all rows (itself)
    binned = copy.copy(m)  # the molecule table is too small for the default bins: force two
    binned.conformal = ConformalRegressor(m.alpha, min_rows=25, max_bins=2).fit(m.oof_y, m.oof_pred, d)
    assert len(binned.conformal.bins()) == 2
    new = pd.DataFrame({"smiles": ["CCCCCCO", "c1ccc2ccccc2c1CCCCN", "CCCCCCCCCCCCCCCCCCCC(=O)O"]})
    t = binned.predict(new).table
    novelty = 1 - m.domain.score(m.featurizer.transform(new["smiles"])[:, m.featurizer.fingerprint_columns_])
    expected = binned.conformal.threshold(novelty, 3)
    np.testing.assert_allclose((t["pred_upper"] - t["pred_lower"]) / 2, expected)
    np.testing.assert_allclose((t["pred_upper"] - t["prediction"]), expected)


def test_missing_group_keys_are_one_group_of_their_own(patients, monkeypatch):
    from pharmakon.core import lifecycle

    seen = []
    real = lifecycle.cv_folds
    monkeypatch.setattr(lifecycle, "cv_folds", lambda n, **kw: seen.append(kw["groups"]) or real(n, **kw))
    groups = patients["site"].astype(object).to_numpy().copy()
    groups[:10], groups[10:20] = None, np.nan
    train_model(
        patients.drop(columns=["response", "site"]),
        "outcome",
        id_cols=["patient_id"],
        groups=groups,
        trials=0,
        models=["logistic"],
        seed=0,
        n_splits=3,
    )
    assert sorted(set(seen[0])) == ["(missing)", "A", "B", "C"] and list(seen[0][:20]) == ["(missing)"] * 20
