"""Fairness hook: per-subgroup metrics with bootstrap confidence intervals.

For models that touch people (patients, sites), report each metric per level of each
sensitive attribute (fairlearn ``MetricFrame``), a percentile bootstrap 95% CI per
group (rows resampled within the group, ``n_boot`` times, seeded), the largest
between-group difference, and a warning for any group smaller than ``min_group_size``
(its estimate is unreliable). Assumption: rows are independent (one per person); with
repeated measures, resample persons instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pharmakon.errors import InputError

__all__ = ["FairnessReport", "fairness_report", "DEFAULT_METRICS"]


def _recall(t: np.ndarray, p: np.ndarray) -> float:
    positive = t == 1
    return float((p[positive] == 1).mean()) if positive.any() else 0.0


def _default_metrics(task: str) -> dict[str, Callable]:
    """Plain numpy metrics (fast inside the bootstrap); recall counts label 1 as positive."""
    if task == "regression":
        return {
            "mae": lambda t, p: float(np.abs(t - p).mean()),
            "rmse": lambda t, p: float(np.sqrt(((t - p) ** 2).mean())),
        }
    return {
        "accuracy": lambda t, p: float((t == p).mean()),
        "recall": _recall,
        "selection_rate": lambda t, p: float(np.mean(p)),
    }


DEFAULT_METRICS = {"regression": ("mae", "rmse"), "classification": ("accuracy", "recall", "selection_rate")}


@dataclass
class FairnessReport:
    """``table``: one row per (attribute, group, metric) with value, ci_low, ci_high, n."""

    table: pd.DataFrame
    disparities: dict[str, dict[str, float]]
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.table.to_dict(orient="records"),
            "disparities": self.disparities,
            "warnings": self.warnings,
        }


def fairness_report(
    y_true: Sequence[Any],
    y_pred: Sequence[Any],
    sensitive: Mapping[str, Sequence[Any]] | pd.DataFrame,
    *,
    task: str = "classification",
    metrics: Mapping[str, Callable] | None = None,
    n_boot: int = 200,
    min_group_size: int = 30,
    seed: int = 0,
) -> FairnessReport:
    """Metrics per subgroup of each sensitive attribute.

    Parameters
    ----------
    y_true, y_pred : sequence, shape (n,)
        Labels and predictions (class labels for classification).
    sensitive : mapping or DataFrame
        Attribute name -> values, each shape (n,) (e.g. ``sex``, ``age_band``).
    metrics : mapping of name -> fn(y_true, y_pred), optional
        Defaults to MAE/RMSE or accuracy/recall/selection rate.
    n_boot : int
        Bootstrap resamples per group for the 95% CI.
    min_group_size : int
        Groups smaller than this get a warning.
    """
    from fairlearn.metrics import MetricFrame

    t, p = np.asarray(y_true), np.asarray(y_pred)
    if len(t) != len(p):
        raise InputError(f"y_true has {len(t)} rows but y_pred has {len(p)}")
    fns = dict(metrics or _default_metrics(task))
    sens = pd.DataFrame(sensitive).reset_index(drop=True)
    if len(sens) != len(t):
        raise InputError(f"sensitive attributes have {len(sens)} rows, predictions {len(t)}")
    rng = np.random.default_rng(seed)
    rows, disparities, warnings = [], {}, []
    for attr in sens.columns:
        groups = sens[attr].astype(str).to_numpy()
        frame = MetricFrame(metrics=fns, y_true=t, y_pred=p, sensitive_features=groups)
        disparities[attr] = {k: float(v) for k, v in frame.difference(method="between_groups").items()}
        for g, values in frame.by_group.iterrows():
            idx = np.flatnonzero(groups == g)
            if len(idx) < min_group_size:
                warnings.append(f"{attr}={g}: only {len(idx)} rows (< {min_group_size}); its metrics are unreliable")
            boots = {k: [] for k in fns}
            for _ in range(n_boot):
                b = rng.choice(idx, size=len(idx), replace=True)
                for k, fn in fns.items():
                    boots[k].append(float(fn(t[b], p[b])))
            for k in fns:
                lo, hi = np.percentile(boots[k], [2.5, 97.5])
                rows.append(
                    {
                        "attribute": attr,
                        "group": str(g),
                        "metric": k,
                        "value": float(values[k]),
                        "ci_low": float(lo),
                        "ci_high": float(hi),
                        "n": int(len(idx)),
                    }
                )
    return FairnessReport(pd.DataFrame(rows), disparities, warnings)
