"""Data quality control before any training; the report is saved with the model.

Stated rules (applied in this order, each counted in the report):

1. Rows whose target is missing are dropped.
2. Exact duplicate records (every column equal, id columns included) keep the first.
3. Duplicate structures: rows with the same structure key (canonical SMILES) and the
   same values in every other feature column are one record. Regression: if the
   labels' range is at most ``conflict_tol`` (default half the target's standard
   deviation) they become one row labelled with the median; otherwise the group is
   *conflicting* and dropped. Classification: the majority label wins; a tie is
   conflicting and dropped.
4. Outliers are reported, never dropped: target |robust z| > 5 (median/MAD) and, per
   numeric feature, the count with |robust z| > 10.
5. Class balance: counts per class; a warning when the smallest class is < 10%.

Leakage between a training and a test set (:func:`leakage_report`) counts identical
structure keys and near-identical rows (Tanimoto >= 0.9 on fingerprint columns).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pharmakon.errors import InputError

__all__ = ["QCReport", "run_qc", "leakage_report", "QC_RULES"]

#: The rules above, stored in every report.
QC_RULES = (__doc__ or "").split("Stated rules")[-1].split("Leakage between")[0].strip(" :\n")


@dataclass
class QCReport:
    """What QC found and did; ``to_dict()`` is JSON-safe."""

    n_rows_in: int
    n_rows_out: int
    columns: dict[str, str]
    missing: dict[str, int]
    dropped: dict[str, int] = field(default_factory=dict)
    duplicate_structures: dict[str, Any] = field(default_factory=dict)
    outliers: dict[str, Any] = field(default_factory=dict)
    class_balance: dict[str, int] | None = None
    leakage: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)
    rules: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _robust_z(x: np.ndarray) -> np.ndarray:
    med = np.nanmedian(x)
    mad = np.nanmedian(np.abs(x - med)) * 1.4826
    return np.zeros_like(x) if not mad > 0 else (x - med) / mad


def run_qc(
    frame: pd.DataFrame,
    target: str,
    task: str,
    *,
    id_cols: Sequence[str] = (),
    structure_keys: Sequence[str | None] | None = None,
    structure_col: str | None = None,
    conflict_tol: float | None = None,
) -> tuple[pd.DataFrame, QCReport]:
    """Apply the QC rules to ``frame`` (not modified) and report.

    Parameters
    ----------
    frame : DataFrame, shape (n, n_columns)
    target : str
        Label column.
    task : {"regression", "classification"}
    id_cols : sequence of str
        Identifier columns: part of an exact duplicate record, ignored when grouping
        duplicate structures (never used as features).
    structure_col : str, optional
        The raw structure column (e.g. SMILES as typed); ignored when grouping
        duplicate structures, since ``structure_keys`` replaces it.
    structure_keys : sequence of str or None, shape (n,), optional
        Canonical structure per row (None = invalid); rows with None are kept here
        (the featurizer reports them) but never grouped.
    conflict_tol : float, optional
        Regression label range above which duplicate structures conflict.

    Returns
    -------
    (DataFrame, QCReport)
        The cleaned rows (original index kept, in original order) and the report.
    """
    if target not in frame.columns:
        raise InputError(f"target column {target!r} not found; columns are {list(frame.columns)}", field=target)
    df = frame.copy()
    key_col = "__structure_key__"
    if structure_keys is not None:
        df[key_col] = list(structure_keys)
    report = QCReport(
        n_rows_in=len(df),
        n_rows_out=0,
        columns={c: str(t) for c, t in frame.dtypes.items()},
        missing={c: int(v) for c, v in frame.isna().sum().items() if v},
        rules=QC_RULES,
    )
    missing_y = df[target].isna()
    report.dropped["missing_target"] = int(missing_y.sum())
    df = df.loc[~missing_y]
    ignore = set(id_cols)
    record_cols = [c for c in df.columns if c not in ignore and c != key_col]
    dup = df.duplicated(subset=[c for c in df.columns if c != key_col], keep="first")
    report.dropped["duplicate_records"] = int(dup.sum())
    df = df.loc[~dup]
    if structure_keys is not None:
        others = [c for c in record_cols if c not in (target, structure_col)]
        df = _resolve_structures(df, target, task, key_col, others, ignore, conflict_tol, report)
        df = df.drop(columns=[key_col])
    y = df[target]
    if task == "regression":
        yv = pd.to_numeric(y, errors="coerce").to_numpy(float)
        z = _robust_z(yv)
        report.outliers["target_robust_z_gt_5"] = [int(i) for i in df.index[np.abs(z) > 5][:50]]
        report.outliers["target_n"] = int((np.abs(z) > 5).sum())
    else:
        counts = y.astype(str).value_counts()
        report.class_balance = {str(k): int(v) for k, v in counts.items()}
        if len(counts) and counts.min() / counts.sum() < 0.10:
            report.warnings.append(
                f"class imbalance: smallest class {counts.idxmin()!r} is "
                f"{100 * counts.min() / counts.sum():.1f}% of rows"
            )
    feat_counts = {}
    for col in df.columns:
        if col in ignore or col == target or not pd.api.types.is_numeric_dtype(df[col]):
            continue
        n_out = int((np.abs(_robust_z(df[col].to_numpy(float))) > 10).sum())
        if n_out:
            feat_counts[col] = n_out
    report.outliers["features_robust_z_gt_10"] = feat_counts
    report.n_rows_out = len(df)
    if report.n_rows_out < 10:
        report.warnings.append(f"only {report.n_rows_out} rows left after QC; results will be unreliable")
    return df, report


def _resolve_structures(df, target, task, key_col, other_cols, ignore, conflict_tol, report) -> pd.DataFrame:
    valid = df[key_col].notna()
    group_cols = [key_col] + [c for c in other_cols if c not in ignore]
    sub = df.loc[valid]
    sizes = sub.groupby(group_cols, dropna=False, sort=False)[target].transform("size")
    dup_rows = sub.loc[sizes > 1]
    info = {"n_groups": 0, "n_rows": int(len(dup_rows)), "n_conflicting_groups": 0, "examples": []}
    if dup_rows.empty:
        report.duplicate_structures = info
        report.dropped["duplicate_structures_merged"] = 0
        report.dropped["conflicting_structures"] = 0
        return df
    if task == "regression" and conflict_tol is None:
        conflict_tol = 0.5 * float(pd.to_numeric(df[target]).std() or 0.0)
    drop, relabel, merged, conflicting = [], {}, 0, 0
    for _, g in dup_rows.groupby(group_cols, dropna=False, sort=False):
        info["n_groups"] += 1
        labels = g[target]
        if task == "regression":
            values = pd.to_numeric(labels).to_numpy(float)
            conflict = float(values.max() - values.min()) > conflict_tol
            new = float(np.median(values))
        else:
            counts = labels.value_counts()
            conflict = len(counts) > 1 and counts.iloc[0] == counts.iloc[1]
            new = counts.index[0]
        if conflict:
            info["n_conflicting_groups"] += 1
            conflicting += len(g)
            drop += list(g.index)
            if len(info["examples"]) < 10:
                info["examples"].append({"key": str(g[key_col].iloc[0]), "labels": [str(v) for v in labels]})
        else:
            relabel[g.index[0]] = new
            merged += len(g) - 1
            drop += list(g.index[1:])
    report.duplicate_structures = info
    report.dropped["duplicate_structures_merged"] = merged
    report.dropped["conflicting_structures"] = conflicting
    out = df.drop(index=drop).copy()
    if relabel:
        if task == "regression":
            out[target] = out[target].astype(float)
        out.loc[list(relabel), target] = list(relabel.values())
    if info["n_conflicting_groups"]:
        report.warnings.append(
            f"{info['n_conflicting_groups']} structures have conflicting labels and were dropped "
            f"(rule: {'label range > ' + format(conflict_tol, '.3g') if task == 'regression' else 'tied majority vote'})"
        )
    return out


def leakage_report(
    train_keys: Sequence[str | None],
    test_keys: Sequence[str | None],
    *,
    train_fp: np.ndarray | None = None,
    test_fp: np.ndarray | None = None,
    threshold: float = 0.9,
) -> dict[str, Any]:
    """Identical and near-identical structures across a train/test split.

    Returns ``{"identical": n, "near_identical": n, "threshold": t, "examples": [...]}``;
    near-identical counts test rows with Tanimoto >= ``threshold`` to some training row.
    """
    train_set = {k for k in train_keys if k is not None}
    same = [k for k in test_keys if k is not None and k in train_set]
    out: dict[str, Any] = {
        "identical": len(same),
        "examples": same[:10],
        "threshold": threshold,
        "near_identical": None,
    }
    if train_fp is not None and test_fp is not None and len(train_fp) and len(test_fp):
        from pharmakon.core.uncertainty import tanimoto_max

        out["near_identical"] = int((tanimoto_max(test_fp, train_fp) >= threshold).sum())
    return out
