"""The formulation data model: components, process parameters, measured CQAs, and their checks.

A :class:`Formulation` is one recipe: components with a role, a name, a SMILES where
known and a molar (or mass) fraction; the critical process parameters; and the
measured critical quality attributes with their measurement SDs. Validation messages
name the field. :func:`check_cqa_columns` applies the same plausibility ranges to the
columns of a table (size in nm > 0, PDI in [0, 1], encapsulation in [0, 100] %, ...),
naming file, row and column.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import ConfigDict, Field, field_validator, model_validator

from pharmakon.errors import InputError
from pharmakon.specs import Spec

__all__ = [
    "ROLES",
    "FRACTION_TOL",
    "CQA_RANGES",
    "cqa_kind",
    "is_sd_column",
    "Component",
    "ProcessParameters",
    "CQAValue",
    "Formulation",
    "check_cqa_columns",
]

Role = Literal["ionizable_lipid", "cationic_lipid", "helper_lipid", "sterol", "peg_lipid", "polymer", "cargo"]
ROLES: tuple[str, ...] = Role.__args__  # type: ignore[attr-defined]
#: Component fractions must add up to 1 within this absolute tolerance (published tables round to 2 digits).
FRACTION_TOL = 0.02

#: Plausible ranges of the CQAs (inclusive), with the column names they are recognised by (lower case).
CQA_RANGES: dict[str, tuple[float, float, tuple[str, ...]]] = {
    "size_nm": (0.0, 10_000.0, ("size", "size_nm", "z_ave", "zave", "z_average", "diameter", "diameter_nm")),
    "pdi": (0.0, 1.0, ("pdi", "polydispersity")),
    "zeta_mv": (-200.0, 200.0, ("zeta", "zeta_mv", "zeta_potential")),
    "encapsulation_pct": (0.0, 100.0, ("encapsulation", "ee", "ee_pct", "encapsulation_pct")),
    "potency": (-np.inf, np.inf, ("potency", "uptake", "transfection", "experiment_value")),
}
_SD_SUFFIXES = ("_stdev", "_sd", "_std", "_stddev")


def cqa_kind(column: str) -> str | None:
    """The CQA a column name stands for (``size_nm``, ``pdi``, ...) or None."""
    key = column.strip().lower()
    return next((kind for kind, (_, _, names) in CQA_RANGES.items() if key in names), None)


def is_sd_column(column: str) -> bool:
    """Whether a column is a measurement SD (``Z_ave_stdev``, ``PDI_sd``)."""
    return column.strip().lower().endswith(_SD_SUFFIXES)


class Component(Spec):
    """One ingredient; ``fraction`` is molar unless the formulation says mass."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: str = Field(min_length=1, max_length=256)
    role: Role = Field(description=f"One of {', '.join(ROLES)}.")
    smiles: str | None = Field(None, max_length=2000, description="Structure, where known (checked with RDKit).")
    fraction: float = Field(ge=0, le=1, description="Molar (or mass) fraction of the lipid/polymer phase.")

    @field_validator("smiles")
    @classmethod
    def _parsable(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        from rdkit import Chem, RDLogger

        RDLogger.DisableLog("rdApp.*")
        if Chem.MolFromSmiles(value) is None:
            raise ValueError(f"SMILES {value!r} cannot be parsed")
        return value


class ProcessParameters(Spec):
    """Critical process parameters (units in the field names)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    mixing: Literal["microfluidic", "pipette", "vortex", "t_junction", "ethanol_injection", "other"] = "microfluidic"
    flow_rate_ratio: float | None = Field(None, gt=0, le=100, description="Aqueous : organic flow-rate ratio.")
    total_flow_ml_min: float | None = Field(None, gt=0, le=1000, description="Total flow rate (mL/min).")
    np_ratio: float | None = Field(
        None, gt=0, le=1000, description="N/P ratio (ionizable amine : nucleotide phosphate)."
    )
    lipid_cargo_mass_ratio: float | None = Field(None, gt=0, le=10_000, description="Lipid : cargo mass ratio.")
    buffer: str | None = Field(None, max_length=128)
    temperature_c: float | None = Field(None, ge=-20, le=100, description="Temperature (degrees C).")


class CQAValue(Spec):
    """A measured CQA with its measurement SD."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    value: float
    sd: float | None = Field(None, ge=0)


class Formulation(Spec):
    """A recipe: components, process, measured CQAs (keys as :data:`CQA_RANGES`)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    components: list[Component] = Field(min_length=1, max_length=64)
    basis: Literal["molar", "mass"] = "molar"
    process: ProcessParameters = Field(default_factory=ProcessParameters)
    cqas: dict[str, CQAValue] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _checks(self) -> Formulation:
        phase = [c for c in self.components if c.role != "cargo"]
        total = sum(c.fraction for c in phase)
        if phase and abs(total - 1.0) > FRACTION_TOL:
            raise ValueError(
                f"the {self.basis} fractions of the non-cargo components add up to {total:.4g}, not 1 "
                f"(tolerance {FRACTION_TOL})"
            )
        names = [c.name for c in self.components]
        if len(set(names)) != len(names):
            raise ValueError(f"component names repeat: {names}")
        for key, cqa in self.cqas.items():
            if key not in CQA_RANGES:
                raise ValueError(f"unknown CQA {key!r}; known: {', '.join(CQA_RANGES)}")
            lo, hi, _ = CQA_RANGES[key]
            if not lo <= cqa.value <= hi:
                raise ValueError(f"CQA {key} = {cqa.value:g} is outside the plausible range [{lo:g}, {hi:g}]")
        return self

    def to_row(self) -> dict[str, float | str | None]:
        """One flat table row: a column per component fraction, process parameter and CQA."""
        row: dict[str, float | str | None] = {c.name: c.fraction for c in self.components}
        row |= {k: v for k, v in self.process.model_dump().items() if v is not None}
        row |= {k: v.value for k, v in self.cqas.items()}
        return row


def check_cqa_columns(frame: pd.DataFrame, columns: list[str], *, file: str | None = None) -> None:
    """Raise :class:`InputError` at the first value of a recognised CQA column outside its plausible range."""
    for col in columns:
        kind = cqa_kind(col)
        if kind is None:
            continue
        lo, hi, _ = CQA_RANGES[kind]
        values = pd.to_numeric(frame[col], errors="coerce")
        bad = values.notna() & ~values.between(lo, hi)
        if bad.any():
            r = int(np.flatnonzero(bad.to_numpy())[0])
            unit = {"size_nm": " nm", "zeta_mv": " mV", "encapsulation_pct": " %"}.get(kind, "")
            raise InputError(
                f"{values.iloc[r]:g}{unit} is outside the plausible range of {kind} [{lo:g}, {hi:g}]",
                file=file,
                row=r + 1,
                field=col,
            )
