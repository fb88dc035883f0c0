"""SHAP explanations: global importance and per-prediction attributions.

Attributions are computed on the model's preprocessed features (after imputation,
rare-column removal, scaling and one-hot encoding) for the deployed estimator:
TreeExplainer for random forests, LightGBM and XGBoost (exact, interventional on a
background sample), LinearExplainer for ridge/logistic, and KernelExplainer (sampled,
approximate; slow) otherwise; an averaging ensemble averages its members' values. A
model that reads the molecular graph itself (chemprop) is declined with an
:class:`~pharmakon.errors.InputError`: its inputs are not the feature columns.
Classification explains the last class's score
(probability or log-odds, as the explainer gives it). Fingerprint features
(``morgan:<bit>``) are mapped back to the substructures that set them, through the
structure featurizer's ``bit_substructures``.

References
----------
Lundberg, S. M. & Lee, S.-I. (2017). A unified approach to interpreting model
predictions. NeurIPS 30.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pharmakon.errors import InputError

__all__ = ["ShapResult", "shap_values", "global_importance", "explain_predictions"]


@dataclass
class ShapResult:
    """``values`` shape (n_rows, n_features); ``feature_names`` length n_features; ``explainer`` name."""

    values: np.ndarray
    base_value: float
    feature_names: list[str]
    explainer: str


def _explainer(est: Any, background: np.ndarray, task: str):
    import shap

    kind = type(est).__name__
    if kind.startswith(("RandomForest", "LGBM", "XGB")):
        return shap.TreeExplainer(est), "tree"
    if kind in ("Ridge", "LogisticRegression"):
        return shap.LinearExplainer(est, background), "linear"
    fn = est.predict if task == "regression" else (lambda X: est.predict_proba(X)[:, -1])
    return shap.KernelExplainer(fn, shap.kmeans(background, min(10, len(background)))), "kernel"


def shap_values(
    model: Any, frame: pd.DataFrame, *, background: pd.DataFrame | None = None, seed: int = 0, n_background: int = 100
) -> ShapResult:
    """SHAP values of ``model`` (a TrainedModel) for the valid rows of ``frame``.

    ``background`` defaults to ``frame`` itself (a random sample of ``n_background`` rows).

    Raises
    ------
    InputError
        For a model that reads the molecular graph (``model.smiles_input``, chemprop).
    """
    if getattr(model, "smiles_input", False):
        raise InputError(
            f"SHAP explanations are not available for a {model.selection['best']['model']} model: it "
            "learns from the molecular graph, not from feature columns SHAP could attribute to; "
            "train another model family to explain its predictions",
            field="model",
        )
    X, status, _ = model.design(frame.reset_index(drop=True))
    if status is not None:
        X = X.loc[status["status"].eq("ok").to_numpy()]
    prep, est = model.pipeline[0], model.pipeline[-1]
    Z = prep.transform(X)
    if background is not None:
        Xb, sb, _ = model.design(background.reset_index(drop=True))
        Zb = prep.transform(Xb.loc[sb["status"].eq("ok").to_numpy()] if sb is not None else Xb)
    else:
        Zb = Z
    rng = np.random.default_rng(seed)
    Zb = Zb[rng.permutation(len(Zb))[:n_background]]
    members = getattr(est, "estimators_", None) if type(est).__name__ == "AveragingEnsemble" else None
    parts = [_member_values(m, Z, Zb, model.task) for m in (members or [est])]
    values = np.mean([p[0] for p in parts], axis=0)  # SHAP values are linear in an average of models
    base = float(np.mean([p[1] for p in parts]))
    name = "+".join(dict.fromkeys(p[2] for p in parts))
    return ShapResult(values, base, [str(n) for n in prep.get_feature_names_out()], name)


def _member_values(est: Any, Z: np.ndarray, Zb: np.ndarray, task: str) -> tuple[np.ndarray, float, str]:
    explainer, name = _explainer(est, Zb, task)
    if name == "kernel":
        values = explainer.shap_values(Z, nsamples=200, silent=True)
    else:
        values = explainer.shap_values(Z)
    values = np.asarray(values[-1] if isinstance(values, list) else values)
    if values.ndim == 3:
        values = values[:, :, -1]
    base = np.asarray(explainer.expected_value, float).ravel()
    return values, float(base[-1]), name


def _substructure(model: Any, feature: str, smiles: list[str]) -> str:
    feat = model.featurizer
    if feat is None or not feature.startswith("morgan:"):
        return ""
    col = feat.feature_names_.index(feature)
    found = feat.bit_substructures(col, smiles, limit=1)
    return found[0] if found else ""


def global_importance(
    model: Any, frame: pd.DataFrame | None = None, *, top: int = 20, max_rows: int = 200, seed: int = 0
) -> pd.DataFrame:
    """Mean |SHAP| per feature over up to ``max_rows`` rows (default: the training molecules).

    Returns a DataFrame with ``feature``, ``mean_abs_shap``, ``substructure`` (a SMILES
    fragment that sets a Morgan bit, found in the explained molecules), sorted descending.
    """
    if frame is None:
        if not model.smiles_col:
            raise ValueError("global_importance needs a frame for a model without structures")
        frame = pd.DataFrame({model.smiles_col: model.train_smiles})
        for c in model.numeric_cols + model.categorical_cols:
            frame[c] = np.nan
    rows = frame.sample(n=min(max_rows, len(frame)), random_state=seed) if len(frame) > max_rows else frame
    res = shap_values(model, rows, seed=seed)
    imp = np.abs(res.values).mean(axis=0)
    order = np.argsort(-imp)[:top]
    smiles = rows[model.smiles_col].astype(str).tolist() if model.smiles_col else []
    return pd.DataFrame(
        {
            "feature": [res.feature_names[i] for i in order],
            "mean_abs_shap": imp[order],
            "substructure": [_substructure(model, res.feature_names[i], smiles) for i in order],
        }
    )


def explain_predictions(
    model: Any, frame: pd.DataFrame, *, top: int = 5, background: pd.DataFrame | None = None
) -> list[list[dict[str, Any]]]:
    """For each valid row of ``frame``, its ``top`` features by |SHAP| with value and substructure."""
    if background is None and model.smiles_col:
        background = pd.DataFrame({model.smiles_col: model.train_smiles[:300]})
        for c in model.numeric_cols + model.categorical_cols:
            background[c] = np.nan
    res = shap_values(model, frame, background=background)
    out = []
    valid = frame.reset_index(drop=True)
    if model.smiles_col:
        ok = model.featurizer.prepare(valid[model.smiles_col].tolist()).ok.to_numpy()
        valid = valid.loc[ok].reset_index(drop=True)
    for i, row in enumerate(res.values):
        order = np.argsort(-np.abs(row))[:top]
        smi = [str(valid[model.smiles_col].iloc[i])] if model.smiles_col else []
        out.append(
            [
                {
                    "feature": res.feature_names[j],
                    "shap": float(row[j]),
                    "substructure": _substructure(model, res.feature_names[j], smi),
                }
                for j in order
            ]
        )
    return out
