"""Evaluation metrics for regression and classification, as plain dicts of floats.

Regression: MAE, RMSE, R², Pearson r, Spearman rho. Classification: AUROC, AUPRC
(average precision), balanced accuracy, MCC, Brier score (binary) or multi-class
Brier (mean squared error of the probability vector), accuracy. Undefined values
(a constant prediction's correlation, AUROC with one class) are None, never NaN.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = ["regression_metrics", "classification_metrics", "PRIMARY_METRIC", "GREATER_IS_BETTER"]

#: Metric used for model selection per task, and its direction.
PRIMARY_METRIC = {"regression": "rmse", "classification": "auroc"}
GREATER_IS_BETTER = {
    "mae": False,
    "rmse": False,
    "r2": True,
    "pearson": True,
    "spearman": True,
    "auroc": True,
    "auprc": True,
    "balanced_accuracy": True,
    "mcc": True,
    "brier": False,
    "accuracy": True,
}


def _clean(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def regression_metrics(y_true: Sequence[float], y_pred: Sequence[float]) -> dict[str, float | None]:
    """MAE, RMSE, R², Pearson and Spearman of predictions, each shape (n,).

    Examples
    --------
    >>> regression_metrics([1.0, 2.0, 3.0], [1.0, 2.0, 4.0])["mae"]
    0.3333333333333333
    """
    from scipy import stats

    t, p = np.asarray(y_true, float), np.asarray(y_pred, float)
    err = p - t
    ss_tot = float(((t - t.mean()) ** 2).sum())
    out = {
        "n": float(len(t)),
        "mae": float(np.abs(err).mean()),
        "rmse": float(np.sqrt((err**2).mean())),
        "r2": 1.0 - float((err**2).sum()) / ss_tot if ss_tot > 0 else None,
    }
    if len(t) > 2 and np.std(p) > 0 and np.std(t) > 0:
        out["pearson"] = _clean(stats.pearsonr(t, p)[0])
        out["spearman"] = _clean(stats.spearmanr(t, p)[0])
    else:
        out["pearson"] = out["spearman"] = None
    return {k: _clean(v) if v is not None else None for k, v in out.items()}


def classification_metrics(
    y_true: Sequence[object], proba: np.ndarray, classes: Sequence[object]
) -> dict[str, float | None]:
    """Metrics from class probabilities.

    Parameters
    ----------
    y_true : sequence, shape (n,)
        True labels, each in ``classes``.
    proba : ndarray, shape (n, n_classes)
        Predicted probabilities, columns in the order of ``classes``.
    classes : sequence
        Class labels; for two classes the second is the positive one.

    Returns
    -------
    dict
        ``auroc`` (one-vs-rest macro for >2 classes), ``auprc`` (binary only),
        ``balanced_accuracy``, ``mcc``, ``brier``, ``accuracy``, ``n``.
    """
    from sklearn import metrics as m

    y = np.asarray(y_true)
    proba = np.asarray(proba, float)
    classes = list(classes)
    idx = np.array([classes.index(v) for v in y])
    pred = np.asarray(classes, dtype=object)[proba.argmax(axis=1)]
    onehot = np.eye(len(classes))[idx]
    out: dict[str, float | None] = {
        "n": float(len(y)),
        "accuracy": float((pred == y.astype(object)).mean()),
        "balanced_accuracy": float(m.balanced_accuracy_score(idx, proba.argmax(1))),
        "mcc": float(m.matthews_corrcoef(idx, proba.argmax(1))),
    }
    present = np.unique(idx)
    if len(classes) == 2:
        out["brier"] = float(((proba[:, 1] - idx) ** 2).mean())
        out["auroc"] = float(m.roc_auc_score(idx, proba[:, 1])) if len(present) == 2 else None
        out["auprc"] = float(m.average_precision_score(idx, proba[:, 1])) if len(present) == 2 else None
    else:
        out["brier"] = float(((proba - onehot) ** 2).sum(axis=1).mean())
        out["auprc"] = None
        try:
            out["auroc"] = float(m.roc_auc_score(idx, proba, multi_class="ovr", labels=list(range(len(classes)))))
        except ValueError:
            out["auroc"] = None
    return {k: _clean(v) if v is not None else None for k, v in out.items()}
