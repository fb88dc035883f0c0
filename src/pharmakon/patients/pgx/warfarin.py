"""IWPC 2009 warfarin dosing (pharmacogenetic and clinical algorithms) and CPIC notes.

Both IWPC algorithms predict the square root of the weekly dose (mg) from a linear
score; the dose is its square (mg/week). Coefficients: ``iwpc_warfarin/iwpc_algorithms.json``
(IWPC, N Engl J Med 2009;360:753-764, appendix S1e/S1f). Missing categories follow IWPC:
an unknown VKORC1 -1639 or CYP2C9 genotype takes the "unknown" term, a race other than
White / Asian / Black (including "Unknown") takes the "missing or mixed" term, and a
medication flag that is not recorded counts as "not taking". Age, height and weight are
required; a patient without them is not dosed (the reason is written).

Assumptions: no imputation of VKORC1 -1639 from linked SNPs. IWPC's appendix S4 gives a
decision list (rs2359612 / rs9934438 / rs8050894 and race) for it, but the catalogue's
``iwpc_warfarin`` data set only names it (the appendix is not shipped), so it is not
implemented rather than re-typed from memory: a missing -1639 genotype takes the
"unknown" term, which is also what IWPC's published algorithm does when no imputation is
made. Rare CYP2C9 genotypes outside the six IWPC categories (*1/*5, *1/*6, *1/*11, ...) take
the "unknown" term. Fixed comparator: 35 mg/week (5 mg/day).
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from pharmakon.errors import InputError
from pharmakon.files import atomic_open
from pharmakon.patients.pgx.definitions import data_folder

__all__ = [
    "ALGORITHMS",
    "FIXED_DOSE_MG_WEEK",
    "ID",
    "REQUIRED_COLUMNS",
    "THERAPEUTIC_DOSE",
    "WarfarinPatient",
    "coefficients",
    "cpic_warfarin_notes",
    "dose_cohort",
    "iwpc_mae",
    "patients_frame",
    "read_cohort",
    "write_doses",
]

FIXED_DOSE_MG_WEEK = 35.0
ALGORITHMS = "IWPC 2009 pharmacogenetic, clinical, fixed 35 mg/week"
ID = "PharmGKB Subject ID"
THERAPEUTIC_DOSE = "Therapeutic Dose of Warfarin"
"""Column of the observed stable dose (mg/week) that accuracy is measured against."""
REQUIRED_COLUMNS = (
    ID,
    "Race",
    "Age",
    "Height (cm)",
    "Weight (kg)",
    "Amiodarone (Cordarone)",
    "Carbamazepine (Tegretol)",
    "Phenytoin (Dilantin)",
    "Rifampin or Rifampicin",
    "CYP2C9 consensus",
    "VKORC1 -1639 consensus",
)
_CYP2C9 = ("*1/*2", "*1/*3", "*2/*2", "*2/*3", "*3/*3")
_INDUCERS = ("Carbamazepine (Tegretol)", "Phenytoin (Dilantin)", "Rifampin or Rifampicin")


@lru_cache(maxsize=1)
def coefficients() -> dict:
    """The two IWPC coefficient sets (``pharmacogenetic``, ``clinical``) from the catalogue."""
    return json.loads((data_folder("iwpc_warfarin") / "iwpc_algorithms.json").read_text())


def read_cohort(path: Path | str) -> pd.DataFrame:
    """Read a cohort in the IWPC ``warfarin.csv`` layout; checks the required columns."""
    from pharmakon.tables import read_table

    frame = read_table(path, dtype={ID: str})
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(f"missing columns {missing}; expected the IWPC warfarin.csv layout", file=str(path))
    frame = frame.loc[:, ~frame.columns.str.startswith("Unnamed")].dropna(how="all")
    no_id = frame.index[frame[ID].isna()]
    if len(no_id):
        raise InputError(f"{len(no_id)} rows without {ID!r}", file=str(path), row=int(no_id[0]) + 2, field=ID)
    return frame.reset_index(drop=True)


class WarfarinPatient(BaseModel):
    """One patient in IWPC terms (the columns of ``warfarin.csv``, without their units)."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(..., max_length=200, description="Patient identifier (IWPC 'PharmGKB Subject ID').")
    race: str = Field("Unknown", max_length=100, description="White, Asian, Black or African American, or Unknown")
    age: str = Field(..., max_length=20, description="IWPC age bin, e.g. '60 - 69' or '90+'")
    height_cm: float = Field(..., gt=50, lt=250, description="Height (cm).")
    weight_kg: float = Field(..., gt=10, lt=400, description="Weight (kg).")
    cyp2c9: str | None = Field(None, max_length=20, description="e.g. '*1/*3'; None = unknown")
    vkorc1_1639: str | None = Field(None, max_length=20, description="'G/G', 'A/G' or 'A/A'; None = unknown")
    amiodarone: bool = Field(False, description="taking amiodarone (Cordarone)")
    carbamazepine: bool = Field(False, description="taking carbamazepine (Tegretol): enzyme inducer")
    phenytoin: bool = Field(False, description="taking phenytoin (Dilantin): enzyme inducer")
    rifampin: bool = Field(False, description="taking rifampin / rifampicin: enzyme inducer")

    def iwpc_row(self) -> dict[str, object]:
        """This patient as a row of the IWPC ``warfarin.csv`` layout (:data:`REQUIRED_COLUMNS`)."""
        return {
            ID: self.id,
            "Race": self.race,
            "Age": self.age,
            "Height (cm)": self.height_cm,
            "Weight (kg)": self.weight_kg,
            "Amiodarone (Cordarone)": int(self.amiodarone),
            "Carbamazepine (Tegretol)": int(self.carbamazepine),
            "Phenytoin (Dilantin)": int(self.phenytoin),
            "Rifampin or Rifampicin": int(self.rifampin),
            "CYP2C9 consensus": self.cyp2c9,
            "VKORC1 -1639 consensus": self.vkorc1_1639,
        }


def patients_frame(patients: list[WarfarinPatient]) -> pd.DataFrame:
    """A cohort frame in the IWPC layout from patients given one by one."""
    return pd.DataFrame([p.iwpc_row() for p in patients], columns=list(REQUIRED_COLUMNS))


def _age_decades(age: pd.Series) -> pd.Series:
    text = age.astype("string").str.strip()
    first = text.str.extract(r"^(\d+)")[0].astype("Float64")
    return (first // 10).astype("Float64")


def _flag(frame: pd.DataFrame, column: str) -> np.ndarray:
    return (pd.to_numeric(frame[column], errors="coerce").fillna(0) == 1).to_numpy()


def _design(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    race = frame["Race"].astype("string").fillna("Unknown")
    cyp = frame["CYP2C9 consensus"].astype("string")
    vk = frame["VKORC1 -1639 consensus"].astype("string")
    x = {
        "age_decades": _age_decades(frame["Age"]).to_numpy(dtype=float, na_value=np.nan),
        "height_cm": pd.to_numeric(frame["Height (cm)"], errors="coerce").to_numpy(dtype=float),
        "weight_kg": pd.to_numeric(frame["Weight (kg)"], errors="coerce").to_numpy(dtype=float),
        "race_Asian": (race == "Asian").fillna(False).to_numpy(dtype=bool),
        "race_Black_or_African_American": (race == "Black or African American").fillna(False).to_numpy(dtype=bool),
        "enzyme_inducer": np.any([_flag(frame, c) for c in _INDUCERS], axis=0),
        "amiodarone": _flag(frame, "Amiodarone (Cordarone)"),
        "VKORC1_rs9923231_A/G": (vk == "A/G").fillna(False).to_numpy(dtype=bool),
        "VKORC1_rs9923231_A/A": (vk == "A/A").fillna(False).to_numpy(dtype=bool),
        "VKORC1_unknown": (~vk.isin(["A/G", "A/A", "G/G"])).fillna(True).to_numpy(dtype=bool),
        "CYP2C9_unknown": (~cyp.isin(["*1/*1", *_CYP2C9])).fillna(True).to_numpy(dtype=bool),
    }
    x["race_missing_or_mixed"] = ~(
        x["race_Asian"] | x["race_Black_or_African_American"] | (race == "White").fillna(False).to_numpy(dtype=bool)
    )
    for g in _CYP2C9:
        x[f"CYP2C9_{g}"] = (cyp == g).fillna(False).to_numpy(dtype=bool)
    return x


def _predict(x: dict[str, np.ndarray], coef: dict) -> np.ndarray:
    score = np.full(len(x["age_decades"]), float(coef["intercept"]))
    for name, beta in coef.items():
        if name != "intercept":
            score = score + float(beta) * x[name].astype(float)
    return score**2


def dose_cohort(frame: pd.DataFrame) -> pd.DataFrame:
    """IWPC doses (mg/week) for every patient, with the reason where one cannot be dosed.

    Returns
    -------
    DataFrame
        ``PharmGKB Subject ID, pgx_dose_mg_week, clinical_dose_mg_week, fixed_dose_mg_week,
        not_dosed_reason`` (doses NaN where not dosed), one row per input row.
    """
    coef = coefficients()
    x = _design(frame)
    reasons = []
    for a, h, w in zip(x["age_decades"], x["height_cm"], x["weight_kg"], strict=True):
        miss = [n for n, v in (("age", a), ("height", h), ("weight", w)) if v is None or math.isnan(v)]
        reasons.append(f"missing {', '.join(miss)}" if miss else "")
    ok = np.array([r == "" for r in reasons])
    out = pd.DataFrame({ID: frame[ID].to_numpy()})
    out["pgx_dose_mg_week"] = np.where(ok, _predict(x, coef["pharmacogenetic"]), np.nan)
    out["clinical_dose_mg_week"] = np.where(ok, _predict(x, coef["clinical"]), np.nan)
    out["fixed_dose_mg_week"] = np.where(ok, FIXED_DOSE_MG_WEEK, np.nan)
    out["not_dosed_reason"] = reasons
    return out


def iwpc_mae(frame: pd.DataFrame) -> dict[str, float | int]:
    """Mean absolute error (mg/week) of the three doses vs ``Therapeutic Dose of Warfarin``.

    Over patients with a therapeutic dose and complete age, height and weight.
    """
    if THERAPEUTIC_DOSE not in frame.columns:
        raise InputError(f"cohort has no {THERAPEUTIC_DOSE!r} column", field=THERAPEUTIC_DOSE)
    doses = dose_cohort(frame)
    truth = pd.to_numeric(frame[THERAPEUTIC_DOSE], errors="coerce").to_numpy(dtype=float)
    keep = ~np.isnan(truth) & ~np.isnan(doses["pgx_dose_mg_week"].to_numpy())
    res: dict[str, float | int] = {"n": int(keep.sum())}
    for col, name in (
        ("pgx_dose_mg_week", "pharmacogenetic"),
        ("clinical_dose_mg_week", "clinical"),
        ("fixed_dose_mg_week", "fixed"),
    ):
        res[name] = float(np.mean(np.abs(doses[col].to_numpy()[keep] - truth[keep])))
    return res


def write_doses(doses: pd.DataFrame, out: Path | str) -> Path:
    """Write the dose table as CSV atomically (temp file, then rename)."""
    out = Path(out)
    with atomic_open(out, newline="") as fh:
        doses.to_csv(fh, index=False, float_format="%.2f")
    return out


def cpic_warfarin_notes(genes: dict[str, dict], ancestry: str | None = None) -> list[str]:
    """CPIC 2017 warfarin considerations as flagged notes (not dose changes).

    Parameters
    ----------
    genes : dict gene -> report gene result (``diplotypes`` key)
    ancestry : str, optional
        Biogeographic group; "African American" / "Black" triggers the rs12777823 note.
    """
    notes = []
    cyp4f2 = (genes.get("CYP4F2") or {}).get("diplotypes") or []
    if any("*3" in d.split("/") for d in cyp4f2):
        notes.append("CYP4F2*3 carrier: CPIC suggests a 5-10% higher warfarin dose (non-African ancestry).")
    if ancestry and any(k in ancestry.lower() for k in ("african", "black")):
        notes.append(
            "African ancestry: CPIC advises testing rs12777823 (A carriers: reduce dose by 10-25 mg/week) "
            "and CYP2C9 *5/*6/*8/*11; the IWPC algorithm under-represents them."
        )
    if not (genes.get("CYP2C9") or {}).get("diplotypes") or not (genes.get("VKORC1") or {}).get("diplotypes"):
        notes.append("CYP2C9 or VKORC1 not called: the IWPC pharmacogenetic algorithm uses its 'unknown' terms.")
    return notes
