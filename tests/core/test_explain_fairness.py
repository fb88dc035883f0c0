from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pharmakon.core import explain_predictions, fairness_report, global_importance, shap_values


def test_shap_values_sum_to_prediction(cls_model, patients):
    rows = patients.drop(columns=["response", "outcome"]).head(20)
    res = shap_values(cls_model, rows, background=patients.drop(columns=["response", "outcome"]))
    assert res.values.shape == (20, len(res.feature_names))
    if res.explainer == "linear":  # additivity in log-odds for logistic regression
        Z = cls_model.pipeline[0].transform(cls_model.design(rows)[0])
        margin = cls_model.pipeline[-1].decision_function(Z)
        np.testing.assert_allclose(res.values.sum(1) + res.base_value, margin, atol=1e-6)
    top = pd.Series(np.abs(res.values).mean(0), index=res.feature_names).sort_values(ascending=False)
    assert set(top.index[:2]) & {"dose", "age", "sex_F", "sex_M"}


def test_global_importance_maps_bits_to_substructures(mol_model):
    imp = global_importance(mol_model, top=10, max_rows=60)
    assert len(imp) == 10 and imp["mean_abs_shap"].is_monotonic_decreasing
    bits = imp[imp["feature"].str.startswith("morgan:")]
    assert (bits["substructure"] != "").all()
    per_row = explain_predictions(mol_model, pd.DataFrame({"smiles": ["CCCCCCO", "bad("]}), top=3)
    assert len(per_row) == 1 and len(per_row[0]) == 3 and {"feature", "shap", "substructure"} <= set(per_row[0][0])


def test_fairness_report_on_patient_like_data(patients):
    rng = np.random.default_rng(0)
    y = patients["outcome"].to_numpy()
    # a biased "model": correct for F, noisy for M
    noisy = np.where(rng.random(len(y)) < 0.4, 1 - y, y)
    pred = np.where(patients["sex"] == "F", y, noisy)
    rep = fairness_report(y, pred, patients[["sex", "site"]], n_boot=40, min_group_size=40)
    t = rep.table.set_index(["attribute", "group", "metric"])
    assert t.loc[("sex", "F", "accuracy"), "value"] == 1.0
    m_acc = t.loc[("sex", "M", "accuracy")]
    assert m_acc["ci_low"] <= m_acc["value"] <= m_acc["ci_high"] < 0.8
    assert rep.disparities["sex"]["accuracy"] == pytest.approx(1.0 - m_acc["value"])
    n_c = int((patients["site"] == "C").sum())
    assert n_c < 40 and any("site=C" in w for w in rep.warnings)
    assert not any("sex=" in w for w in rep.warnings)
    reg = fairness_report(
        patients["response"], patients["response"] + 0.5, patients[["sex"]], task="regression", n_boot=20
    )
    assert reg.table.query("metric == 'mae'")["value"].tolist() == pytest.approx([0.5, 0.5])


def test_fairness_is_part_of_the_lifecycle_and_the_card(patients):
    from pharmakon.core import render_model_card, train_model
    from pharmakon.core.registry import _json_safe, model_metadata

    m = train_model(
        patients.drop(columns=["response"]),
        "outcome",
        id_cols=["patient_id"],
        sensitive_cols=["sex", "site"],
        trials=0,
        models=["logistic"],
        n_splits=3,
    )
    assert {r["attribute"] for r in m.fairness["table"]} == {"sex", "site"}
    assert "model.fairness" in [s["action"] for s in m.steps]
    meta = _json_safe(model_metadata(m, name="p"))
    assert meta["fairness"]["disparities"]["sex"]["accuracy"] >= 0
    assert "Fairness" in render_model_card(m, name="p", metadata=meta)
