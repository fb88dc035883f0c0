"""Nano-Tumor Database rows -> a clean particle table for the delivery QSAR, with a QC report.

The data (Lin lab, Nano-ML-AI; GPL-3.0) stays a separate file in the data mirror
(``nano_tumor_db``, read through :func:`pharmakon.datasets.load`); nothing of it is
copied into the package. Columns: Type, MAT (core material), TS (targeting), CT (cancer
type), TM (tumour model), Shape, Size (log10 of the hydrodynamic diameter in nm), ZP
(zeta potential, mV) and the delivery efficiencies DE_24, DE_168, DE_Max (%ID in the tumour).

Cleaning: category text is stripped and case-folded to one spelling per category
('Skin ', 'skin' -> 'Skin'); a missing zeta potential stays missing and a ``ZP_missing``
indicator (0/1) says so explicitly (the model's imputer fills the value, the indicator
lets it learn that the value was not reported).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pharmakon.errors import InputError

__all__ = [
    "CATEGORIES",
    "NUMERIC",
    "FEATURES",
    "TARGETS",
    "clean_particles",
    "category_vocabulary",
    "unseen_categories",
]

#: Categorical particle descriptors.
CATEGORIES = ("Type", "MAT", "TS", "CT", "TM", "Shape")
#: Numeric descriptors: Size (log10 nm), ZP (mV).
NUMERIC = ("Size", "ZP")
#: Model features: the descriptors plus the explicit missing-zeta indicator.
FEATURES = (*CATEGORIES, *NUMERIC, "ZP_missing")
#: Delivery efficiencies (%ID in the tumour) the QSAR predicts.
TARGETS = ("DE_24", "DE_168", "DE_Max")
#: Bounds a particle's numbers must respect (what the database spans, widened).
SIZE_RANGE = (0.0, 4.0)
ZP_RANGE = (-200.0, 200.0)


def _canonical(values: pd.Series) -> tuple[pd.Series, dict[str, str]]:
    """One spelling per category: stripped, matched case-insensitively to the most frequent spelling."""
    text = values.map(lambda v: v if pd.isna(v) else " ".join(str(v).split()))
    counts = text.value_counts()
    spelling: dict[str, str] = {}
    for value in counts.index:  # most frequent first: it names the category
        spelling.setdefault(value.casefold(), value)
    mapped = text.map(lambda v: v if pd.isna(v) else spelling[v.casefold()])
    changed = {str(a): str(b) for a, b in zip(values, mapped) if not pd.isna(a) and a != b}
    return mapped, dict(sorted(changed.items()))


def clean_particles(frame: pd.DataFrame, *, targets: bool = True, file: str | None = None) -> tuple[pd.DataFrame, dict]:
    """Clean a particle table; returns ``(clean frame, QC report)``.

    Parameters
    ----------
    frame : DataFrame, shape (n, >= 8)
        Columns :data:`CATEGORIES` and :data:`NUMERIC` (``ZP`` may be missing per row), plus
        :data:`TARGETS` when ``targets``.
    targets : bool
        Require and check the delivery columns (training); False for particles to predict.

    Raises
    ------
    InputError
        A missing column, a non-numeric or out-of-range Size/ZP, a negative delivery value;
        the message names the row and the field.
    """
    needed = [*CATEGORIES, *NUMERIC, *(TARGETS if targets else ())]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise InputError(f"missing column(s) {missing}; a particle table has {needed}", file=file, field=missing[0])
    out = frame.copy()
    merged: dict[str, dict[str, str]] = {}
    for c in CATEGORIES:
        out[c], changed = _canonical(out[c])
        if changed:
            merged[c] = changed
    for c, (lo, hi) in zip(NUMERIC, (SIZE_RANGE, ZP_RANGE)):
        out[c] = _numeric(out[c], c, lo, hi, file, allow_missing=c == "ZP")
    out["ZP_missing"] = out["ZP"].isna().astype(int)
    report: dict[str, Any] = {
        "rows": len(out),
        "categories_merged": merged,
        "zp_missing": int(out["ZP_missing"].sum()),
        "missing_categories": {c: int(out[c].isna().sum()) for c in CATEGORIES if out[c].isna().any()},
        "levels": {c: out[c].value_counts().to_dict() for c in CATEGORIES},
    }
    if targets:
        for c in TARGETS:
            out[c] = _numeric(out[c], c, 0.0, 100.0, file, allow_missing=False)
        report["targets"] = {
            c: {"min": float(out[c].min()), "median": float(out[c].median()), "max": float(out[c].max())}
            for c in TARGETS
        }
        report["de_max_ge_50"] = int((out["DE_Max"] >= 50).sum())
    return out, report


def _numeric(values: pd.Series, name: str, lo: float, hi: float, file: str | None, *, allow_missing: bool) -> pd.Series:
    number = pd.to_numeric(values, errors="coerce")
    bad = (number.isna() & values.notna()) | (number.isna() & (not allow_missing)) | (number < lo) | (number > hi)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"{name} must be a number in [{lo:g}, {hi:g}]{' or empty' if allow_missing else ''}, "
            f"got {values.iloc[row]!r}",
            file=file,
            row=row + 1,
            field=name,
        )
    return number.astype(float)


def category_vocabulary(frame: pd.DataFrame) -> dict[str, list[str]]:
    """The levels of each category column (a clean training frame)."""
    return {c: sorted(str(v) for v in frame[c].dropna().unique()) for c in CATEGORIES}


def unseen_categories(frame: pd.DataFrame, vocabulary: dict[str, list[str]]) -> list[str]:
    """Per row, '' or the categories never seen in training ('CT=Bone; Shape=Cube')."""
    out = []
    for _, row in frame.iterrows():
        new = [f"{c}={row[c]}" for c in CATEGORIES if not pd.isna(row[c]) and str(row[c]) not in vocabulary[c]]
        out.append("; ".join(new))
    return out
