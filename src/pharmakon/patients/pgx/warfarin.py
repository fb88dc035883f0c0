"""IWPC 2009 warfarin dosing (pharmacogenetic and clinical algorithms) and CPIC notes.

Both IWPC algorithms predict the square root of the weekly dose (mg) from a linear
score; the dose is its square (mg/week). Coefficients: ``iwpc_warfarin/iwpc_algorithms.json``
(IWPC, N Engl J Med 2009;360:753-764, appendix S1e/S1f). Missing categories follow IWPC:
an unknown VKORC1 -1639 or CYP2C9 genotype takes the "unknown" term, a race other than
White / Asian / Black (including "Unknown") takes the "missing or mixed" term, and a
medication flag that is not recorded counts as "not taking". Age, height and weight are
required; a patient without them is not dosed (the reason is written).

Accepted values (:func:`check_cohort`, and the fields of :class:`WarfarinPatient`): race
``White``, ``Asian``, ``Black or African American`` or ``Unknown`` (blank = Unknown; also
for mixed or other race: IWPC's "missing or mixed" term); CYP2C9 a star-allele pair
``*A/*B`` (the six IWPC categories ``*1/*1 ... *3/*3`` have their own terms, any other pair
such as ``*1/*5`` takes the "unknown" term) or ``Unknown``/blank; VKORC1 -1639 ``A/A``,
``A/G`` (or ``G/A``) or ``G/G``, or ``Unknown``/blank; age an IWPC decade bin (``60 - 69``,
``90+``) or whole years (``65``), blank = missing; height 50-250 cm and weight 10-400 kg,
blank = missing; medication flags 1 (taking), 0 or blank (not taking). Words are matched
without regard to case or surrounding blanks and stored in the spelling above. Anything
else is an error naming the field (and the row of a file): a typo never silently becomes
an "unknown" term and a different dose.

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
import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from pharmakon.errors import InputError
from pharmakon.files import atomic_open
from pharmakon.patients.pgx.definitions import data_folder

__all__ = [
    "ALGORITHMS",
    "FIXED_DOSE_MG_WEEK",
    "ID",
    "RACES",
    "REQUIRED_COLUMNS",
    "THERAPEUTIC_DOSE",
    "VKORC1_GENOTYPES",
    "WarfarinPatient",
    "check_cohort",
    "coefficients",
    "cpic_warfarin_notes",
    "dose_cohort",
    "iwpc_mae",
    "normalize_age",
    "normalize_cyp2c9",
    "normalize_race",
    "normalize_vkorc1",
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
_FLAGS = ("Amiodarone (Cordarone)", *_INDUCERS)
RACES = ("White", "Asian", "Black or African American", "Unknown")
"""IWPC race categories; any race outside the first three is entered as ``Unknown``."""
VKORC1_GENOTYPES = ("A/A", "A/G", "G/G")
_UNKNOWN = {"", "unknown"}
_STAR = re.compile(r"^\*(\d{1,3})$")
_AGE_BIN = re.compile(r"^(\d{1,2})0\s*-\s*(\d{1,2})9$")
_HEIGHT_CM = (50.0, 250.0)
_WEIGHT_KG = (10.0, 400.0)

_RACE_HELP = "White, Asian, Black or African American, or Unknown (also for mixed or other race); blank = Unknown"
_CYP2C9_HELP = (
    "a star-allele pair such as *1/*1, *1/*2, *1/*3, *2/*2, *2/*3 or *3/*3 (other pairs, e.g. *1/*5, take IWPC's"
    " 'unknown' term), or Unknown / blank"
)
_VKORC1_HELP = "A/A, A/G (or G/A), G/G, or Unknown / blank"
_AGE_HELP = "an IWPC decade bin such as '60 - 69' or '90+', or whole years (0-120)"


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def _text(value: object) -> str:
    return "" if _blank(value) else str(value).strip()


def normalize_race(value: object) -> str:
    """The IWPC spelling of a race (case-insensitive; blank = ``Unknown``); ValueError otherwise."""
    text = _text(value)
    for race in RACES:
        if text.lower() == race.lower():
            return race
    if text.lower() in _UNKNOWN:
        return "Unknown"
    raise ValueError(f"race {text!r} is not an IWPC race; accepted: {_RACE_HELP}")


def normalize_cyp2c9(value: object) -> str | None:
    """A CYP2C9 diplotype as ``*A/*B`` (lower allele first), or None for unknown; ValueError otherwise."""
    text = _text(value).replace(" ", "")
    if text.lower() in _UNKNOWN:
        return None
    parts = text.upper().split("/")
    stars = [_STAR.match(p) for p in parts]
    if len(parts) != 2 or not all(stars):
        raise ValueError(f"CYP2C9 genotype {_text(value)!r} is not a star-allele pair; accepted: {_CYP2C9_HELP}")
    a, b = sorted(parts, key=lambda p: (int(_STAR.match(p)[1]), p))  # type: ignore[index]
    return f"{a}/{b}"


def normalize_vkorc1(value: object) -> str | None:
    """A VKORC1 -1639 genotype as ``A/A``, ``A/G`` or ``G/G``, or None for unknown; ValueError otherwise."""
    text = _text(value).replace(" ", "").upper()
    if text.lower() in _UNKNOWN:
        return None
    if text == "G/A":
        return "A/G"
    if text in VKORC1_GENOTYPES:
        return text
    raise ValueError(f"VKORC1 -1639 genotype {_text(value)!r} is not recognised; accepted: {_VKORC1_HELP}")


def normalize_age(value: object) -> str | None:
    """An IWPC age bin (``60 - 69``, ``90+``) from a bin or whole years, or None when blank; ValueError otherwise."""
    text = _text(value)
    if text.lower() in _UNKNOWN:
        return None
    if text.replace(" ", "") == "90+":
        return "90+"
    match = _AGE_BIN.match(text)
    if match and match[1] == match[2]:
        decade = int(match[1])
    else:
        try:
            years = float(text)
        except ValueError:
            years = math.nan
        if not (0 <= years <= 120 and years == int(years)):
            raise ValueError(f"age {text!r} is not recognised; accepted: {_AGE_HELP}")
        decade = int(years) // 10
    return "90+" if decade >= 9 else f"{decade * 10} - {decade * 10 + 9}"


def _measure(name: str, unit: str, bounds: tuple[float, float]):
    def check(value: object) -> float:
        if _blank(value) or (isinstance(value, str) and not value.strip()):
            return math.nan
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ValueError(f"{name} {_text(value)!r} is not a number ({unit})") from None
        if not bounds[0] < number < bounds[1]:
            raise ValueError(f"{name} {number:g} {unit} is outside {bounds[0]:g}-{bounds[1]:g} {unit}")
        return number

    return check


def _medication(value: object) -> float:
    if _blank(value) or (isinstance(value, str) and not value.strip()):
        return math.nan
    text = _text(value).lower()
    if text in {"1", "1.0", "true"}:
        return 1.0
    if text in {"0", "0.0", "false"}:
        return 0.0
    raise ValueError(f"medication flag {_text(value)!r} is not recognised; accepted: 1 (taking), 0 or blank (not)")


_BLANK = object()
_CHECKS = {
    "Race": normalize_race,
    "Age": normalize_age,
    "Height (cm)": _measure("height", "cm", _HEIGHT_CM),
    "Weight (kg)": _measure("weight", "kg", _WEIGHT_KG),
    "CYP2C9 consensus": normalize_cyp2c9,
    "VKORC1 -1639 consensus": normalize_vkorc1,
    **dict.fromkeys(_FLAGS, _medication),
}


def check_cohort(frame: pd.DataFrame, file: str | None = None) -> pd.DataFrame:
    """A copy of ``frame`` (IWPC layout) with every dosing column checked and in IWPC spelling.

    Raises
    ------
    InputError
        The first value that is not accepted (see the module docstring), naming the column,
        the row (the file's line when ``file`` is given, else the 1-based patient) and how
        many rows of that column share the problem.
    """
    out = frame.copy()
    for column, check in _CHECKS.items():
        values = frame[column].astype(object).tolist()
        keys = [_BLANK if _blank(v) else v for v in values]
        results: dict[object, tuple[object, str | None]] = {}
        for key, value in zip(keys, values, strict=True):
            if key not in results:
                try:
                    results[key] = (check(value), None)
                except ValueError as exc:
                    results[key] = (None, str(exc))
        bad = [pos for pos, key in enumerate(keys) if results[key][1] is not None]
        if bad:
            pos = bad[0]
            more = f" ({len(bad)} rows of this column are not accepted; this is the first)" if len(bad) > 1 else ""
            row = int(frame.index[pos]) + 2 if file is not None else pos + 1
            raise InputError(f"{results[keys[pos]][1]}{more}", file=file, row=row, field=column)
        out[column] = [results[key][0] for key in keys]
    return out


@lru_cache(maxsize=1)
def coefficients() -> dict:
    """The two IWPC coefficient sets (``pharmacogenetic``, ``clinical``) from the catalogue."""
    return json.loads((data_folder("iwpc_warfarin") / "iwpc_algorithms.json").read_text())


def read_cohort(path: Path | str) -> pd.DataFrame:
    """Read a cohort in the IWPC ``warfarin.csv`` layout: required columns and values checked
    (:func:`check_cohort`; errors name the file's line and the column)."""
    from pharmakon.tables import read_table

    frame = read_table(path, dtype={ID: str})
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(f"missing columns {missing}; expected the IWPC warfarin.csv layout", file=str(path))
    frame = frame.loc[:, ~frame.columns.str.startswith("Unnamed")].dropna(how="all")
    no_id = frame.index[frame[ID].isna()]
    if len(no_id):
        raise InputError(f"{len(no_id)} rows without {ID!r}", file=str(path), row=int(no_id[0]) + 2, field=ID)
    return check_cohort(frame, file=str(path)).reset_index(drop=True)


class WarfarinPatient(BaseModel):
    """One patient in IWPC terms (the columns of ``warfarin.csv``, without their units)."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(..., max_length=200, description="Patient identifier (IWPC 'PharmGKB Subject ID').")
    race: str = Field(
        "Unknown", max_length=100, description=f"{_RACE_HELP} (case-insensitive); anything else is refused"
    )
    age: str = Field(..., max_length=20, description=f"Age: {_AGE_HELP}")
    height_cm: float = Field(..., gt=_HEIGHT_CM[0], lt=_HEIGHT_CM[1], description="Height (cm).")
    weight_kg: float = Field(..., gt=_WEIGHT_KG[0], lt=_WEIGHT_KG[1], description="Weight (kg).")
    cyp2c9: str | None = Field(None, max_length=20, description=f"CYP2C9 diplotype: {_CYP2C9_HELP}; None = unknown")
    vkorc1_1639: str | None = Field(None, max_length=20, description=f"VKORC1 -1639: {_VKORC1_HELP}; None = unknown")
    amiodarone: bool = Field(False, description="taking amiodarone (Cordarone)")
    carbamazepine: bool = Field(False, description="taking carbamazepine (Tegretol): enzyme inducer")
    phenytoin: bool = Field(False, description="taking phenytoin (Dilantin): enzyme inducer")
    rifampin: bool = Field(False, description="taking rifampin / rifampicin: enzyme inducer")

    @field_validator("race")
    @classmethod
    def _race(cls, value: str) -> str:
        return normalize_race(value)

    @field_validator("age")
    @classmethod
    def _age(cls, value: str) -> str:
        age = normalize_age(value)
        if age is None:
            raise ValueError(f"age is required: {_AGE_HELP}")
        return age

    @field_validator("cyp2c9")
    @classmethod
    def _cyp2c9(cls, value: str | None) -> str | None:
        return normalize_cyp2c9(value)

    @field_validator("vkorc1_1639")
    @classmethod
    def _vkorc1(cls, value: str | None) -> str | None:
        return normalize_vkorc1(value)

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

    Values are checked first (:func:`check_cohort`): a value outside the accepted spellings
    raises :class:`~pharmakon.errors.InputError` rather than taking an "unknown" term.

    Returns
    -------
    DataFrame
        ``PharmGKB Subject ID, pgx_dose_mg_week, clinical_dose_mg_week, fixed_dose_mg_week,
        not_dosed_reason`` (doses NaN where not dosed), one row per input row.
    """
    coef = coefficients()
    x = _design(check_cohort(frame))
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
