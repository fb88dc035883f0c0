"""Coverage and accuracy per biogeographic group: who gets an uncertain call or a worse dose.

Allele frequencies differ by ancestry, and so does what a SNV panel can see: a group whose
alleles are poorly represented in the definitions gets more uncertain or incomplete calls,
and a dosing algorithm fitted mostly on one group can be less accurate for others. These
tables show it per group, with a warning for groups too small to read (fewer than
``min_group`` samples: shares and MAEs from them are unstable).

Assumptions: one row per person (independent); the 95% interval of a group's MAE is the
normal approximation ``MAE +/- 1.96 sd(|error|) / sqrt(n)``, reasonable for n >= 30.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pharmakon.patients.pgx.models import STATUSES

__all__ = [
    "MIN_GROUP",
    "coverage_by_group",
    "read_batch_calls",
    "read_groups",
    "sample_coverage_by_group",
    "warfarin_coverage",
    "warfarin_mae_by_group",
]

MIN_GROUP = 50
"""Groups with fewer samples than this are flagged ``small_group`` (estimates unstable)."""


def coverage_by_group(summary: pd.DataFrame, groups: pd.Series | dict, min_group: int = MIN_GROUP) -> pd.DataFrame:
    """Share of samples with an uncertain or incomplete call, per group and gene.

    Parameters
    ----------
    summary : DataFrame with ``sample, gene, status`` (see :data:`~pharmakon.patients.pgx.batch.BATCH_COLUMNS`)
    groups : mapping sample -> biogeographic group (samples without one: ``not given``)
    min_group : groups with fewer samples are flagged ``small_group``

    Returns
    -------
    DataFrame
        ``group, gene, share_called, share_uncertain, share_incomplete, share_not_called,
        n, share_uncertain_or_incomplete, small_group``.
    """
    frame = summary.copy()
    frame["group"] = frame["sample"].map(dict(groups)).fillna("not given")
    table = pd.crosstab([frame["group"], frame["gene"]], frame["status"], normalize="index")
    for col in STATUSES:
        if col not in table.columns:
            table[col] = 0.0
    n = frame.groupby(["group", "gene"]).size().rename("n")
    out = table[list(STATUSES)].join(n).reset_index()
    out = out.rename(
        columns={
            "called": "share_called",
            "uncertain": "share_uncertain",
            "incomplete": "share_incomplete",
            "not called": "share_not_called",
        }
    )
    out["share_uncertain_or_incomplete"] = out["share_uncertain"] + out["share_incomplete"]
    out["small_group"] = out["n"] < min_group
    return out


def sample_coverage_by_group(
    summary: pd.DataFrame, groups: pd.Series | dict, min_group: int = MIN_GROUP
) -> pd.DataFrame:
    """Per group: samples, and the share with at least one gene uncertain, incomplete or not called.

    Returns
    -------
    DataFrame
        ``group, n_samples, share_any_uncertain, share_any_incomplete, share_any_not_called,
        share_any_not_fully_called, small_group``.
    """
    frame = summary[["sample", "status"]].copy()
    for col in ("uncertain", "incomplete", "not called"):
        frame[col] = frame["status"] == col
    per = frame.groupby("sample")[["uncertain", "incomplete", "not called"]].any()
    per["any"] = per.any(axis=1)
    per["group"] = per.index.map(dict(groups)).fillna("not given")
    out = (
        per.groupby("group")
        .agg(
            n_samples=("any", "size"),
            share_any_uncertain=("uncertain", "mean"),
            share_any_incomplete=("incomplete", "mean"),
            share_any_not_called=("not called", "mean"),
            share_any_not_fully_called=("any", "mean"),
        )
        .reset_index()
    )
    out["small_group"] = out["n_samples"] < min_group
    return out


def read_groups(path) -> dict[str, str]:
    """Read a ``sample,group`` CSV (biogeographic group per VCF sample).

    Raises
    ------
    InputError
        Missing file or columns, or a sample listed twice.
    """
    from pharmakon.errors import InputError
    from pharmakon.tables import read_table

    table = read_table(path, dtype=str, keep_default_na=False)
    if not {"sample", "group"} <= set(table.columns):
        raise InputError("groups file needs columns 'sample' and 'group'", file=str(path))
    dup = table["sample"][table["sample"].duplicated()]
    if len(dup):
        raise InputError(f"sample {dup.iloc[0]!r} is listed twice", file=str(path), row=int(dup.index[0]) + 2)
    return dict(zip(table["sample"], table["group"].replace("", "not given"), strict=True))


def read_batch_calls(path) -> pd.DataFrame:
    """The batch TSV written by :func:`~pharmakon.patients.pgx.batch.call_batch` (all columns as text)."""
    from pharmakon.tables import read_table

    return read_table(path, dtype=str, keep_default_na=False, max_bytes=None)


def warfarin_coverage(frame: pd.DataFrame, min_group: int = MIN_GROUP) -> pd.DataFrame:
    """Per IWPC race group: patients, share with unknown CYP2C9 / VKORC1 genotype, share not dosable."""
    from pharmakon.patients.pgx.warfarin import dose_cohort

    doses = dose_cohort(frame)
    race = frame["Race"].fillna("Unknown")
    data = pd.DataFrame(
        {
            "group": race.to_numpy(),
            "cyp2c9_unknown": frame["CYP2C9 consensus"].isna().to_numpy(),
            "vkorc1_unknown": frame["VKORC1 -1639 consensus"].isna().to_numpy(),
            "not_dosable": (doses["not_dosed_reason"] != "").to_numpy(),
        }
    )
    data["any_genotype_unknown"] = data["cyp2c9_unknown"] | data["vkorc1_unknown"]
    out = data.groupby("group").agg(
        n=("group", "size"),
        share_cyp2c9_unknown=("cyp2c9_unknown", "mean"),
        share_vkorc1_unknown=("vkorc1_unknown", "mean"),
        share_any_genotype_unknown=("any_genotype_unknown", "mean"),
        share_not_dosable=("not_dosable", "mean"),
    )
    out = out.reset_index()
    out["small_group"] = out["n"] < min_group
    return out


def warfarin_mae_by_group(frame: pd.DataFrame, min_group: int = MIN_GROUP) -> pd.DataFrame:
    """IWPC dose MAE (mg/week) per race group, on the patients :func:`iwpc_mae` uses.

    Returns
    -------
    DataFrame
        One row per group: ``group, n`` (patients with a therapeutic dose and a predicted
        dose), for each algorithm (``pharmacogenetic``, ``clinical``, ``fixed``) ``mae_<alg>``,
        ``ci_low_<alg>``, ``ci_high_<alg>`` (mg/week), and ``small_group``.
    """
    from pharmakon.errors import InputError
    from pharmakon.patients.pgx.warfarin import THERAPEUTIC_DOSE, dose_cohort

    if THERAPEUTIC_DOSE not in frame.columns:
        raise InputError(f"cohort has no {THERAPEUTIC_DOSE!r} column", field=THERAPEUTIC_DOSE)
    doses = dose_cohort(frame)
    truth = pd.to_numeric(frame[THERAPEUTIC_DOSE], errors="coerce").to_numpy(dtype=float)
    keep = ~np.isnan(truth) & ~np.isnan(doses["pgx_dose_mg_week"].to_numpy())
    race = frame["Race"].fillna("Unknown").to_numpy()
    rows = []
    for group in sorted(set(race[keep])):
        mask = keep & (race == group)
        row: dict = {"group": group, "n": int(mask.sum())}
        for col, alg in (
            ("pgx_dose_mg_week", "pharmacogenetic"),
            ("clinical_dose_mg_week", "clinical"),
            ("fixed_dose_mg_week", "fixed"),
        ):
            err = np.abs(doses[col].to_numpy()[mask] - truth[mask])
            half = 1.96 * err.std(ddof=1) / np.sqrt(len(err)) if len(err) > 1 else float("nan")
            row |= {
                f"mae_{alg}": float(err.mean()),
                f"ci_low_{alg}": float(err.mean() - half),
                f"ci_high_{alg}": float(err.mean() + half),
            }
        row["small_group"] = row["n"] < min_group
        rows.append(row)
    return pd.DataFrame(rows)
