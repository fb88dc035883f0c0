"""Request specs of the formulation use cases (:mod:`pharmakon.nano.formulation.service`): defaults live here.

The CLI reads its options' defaults from these classes; the REST API takes them as
request bodies; the workbench builds them from its forms.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator

from pharmakon.nano.formulation.designs import DesignKind
from pharmakon.nano.formulation.space import Space
from pharmakon.specs import Spec, build_spec

__all__ = [
    "NAME_PATTERN",
    "MAX_ROWS",
    "FormulationSpec",
    "FitSpec",
    "PredictFileSpec",
    "PredictRowsSpec",
    "DesignSpec",
    "ProposeSpec",
    "FitBody",
    "PredictBody",
    "DesignBody",
    "ProposeBody",
]

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:@+-]{0,200}$"
#: Rows one in-memory request may carry (observations, candidates, rows to predict).
MAX_ROWS = 20_000
_Cell = float | int | str | bool | None


class FormulationSpec(Spec):
    """Base of the formulation specs: unknown fields are refused, numbers must be finite."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class FitSpec(FormulationSpec):
    """``nano fit``: CQA models of a formulation table, registered under ``name``."""

    data: Path | None = Field(None, description="Training table (CSV/TSV/Parquet); the Python API may pass a frame.")
    targets: list[str] = Field(min_length=1, max_length=16, description="CQA columns to predict.")
    smiles_col: str | None = Field(None, description="Lipid SMILES column (featurized by pharmakon.chem).")
    id_cols: list[str] = Field(default_factory=list, max_length=64, description="Identifier columns (not inputs).")
    features: list[str] | None = Field(
        None, max_length=1000, description="Input columns (default: every column but targets, ids, SDs and CQAs)."
    )
    form: Literal["miso", "mimo", "auto"] = Field(
        "auto", description="One model per CQA (miso), a regressor chain (mimo), or the better by repeated CV."
    )
    name: str = Field(pattern=NAME_PATTERN, description="Registry name of the model set.")
    budget_s: float | None = Field(
        None, ge=1, le=86400, description="Seconds per model for selection (default: fixed trials, deterministic)."
    )
    trials: int = Field(0, ge=0, le=1000, description="Optuna trials per model after the zoo screen (no budget).")
    models: list[str] | None = Field(
        None,
        max_length=16,
        description="Zoo families to select from (default up to 200 rows: ridge, poly_ridge, gp_ard, "
        "gbm_shallow, rf, lightgbm; up to 1,000 rows: the lifecycle's default zoo plus poly_ridge, gp_ard, "
        "gbm_shallow; the lifecycle's whole zoo above).",
    )
    cv: int = Field(5, ge=2, le=20, description="K of the repeated K-fold out-of-fold predictions.")
    repeats: int = Field(3, ge=1, le=20, description="Repeats of the K-fold.")
    oof_out: Path | None = Field(None, description="CSV: every input row plus pred_<target> (out-of-fold).")
    seed: int = Field(0, ge=0, lt=2**31)
    alpha: float = Field(0.1, ge=0.01, le=0.5, description="Conformal miscoverage (0.1: 90% intervals).")

    @field_validator("targets")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        value = [v.strip() for v in value if v.strip()]
        if not value:
            raise ValueError("give at least one target column")
        if len(set(value)) != len(value):
            raise ValueError(f"targets repeat: {value}")
        return value


class PredictFileSpec(FormulationSpec):
    """``nano predict``: every row of a table through a registered model set."""

    name: str = Field(pattern=NAME_PATTERN)
    version: int | None = Field(None, ge=1, le=2**31 - 1, description="Model-set version (default: newest).")
    data: Path
    out: Path = Field(description="Output CSV (written atomically).")


class PredictRowsSpec(FormulationSpec):
    """Predict recipes given as rows (REST, the formulation editor)."""

    name: str = Field(pattern=NAME_PATTERN)
    version: int | None = Field(None, ge=1, le=2**31 - 1)
    rows: list[dict[str, _Cell]] = Field(min_length=1, max_length=MAX_ROWS)


class DesignSpec(FormulationSpec):
    """``nano design``: a classical design over a space."""

    space: Space | None = Field(None, description="The space (REST/workbench); the CLI reads space_file.")
    space_file: Path | None = Field(None, description="Space YAML file.")
    kind: DesignKind
    runs: int | None = Field(None, ge=1, le=100_000, description="Runs (lhs, sobol, d-optimal; fractional: at most).")
    levels: int = Field(2, ge=2, le=50, description="Levels per numeric factor (full factorial); lattice degree m.")
    seed: int = Field(0, ge=0, lt=2**31)
    name: str | None = Field(None, pattern=NAME_PATTERN, description="Store the design under this name.")
    out: Path | None = Field(None, description="Design CSV to write (one column per factor).")


class ProposeSpec(FormulationSpec):
    """``nano propose``: the next batch of experiments."""

    space: Space | None = Field(None, description="The space (REST/workbench); the CLI reads space_file.")
    space_file: Path | None = None
    observed: Path | None = Field(None, description="Observations CSV: factor columns + measured responses.")
    observed_rows: list[dict[str, _Cell]] | None = Field(None, min_length=2, max_length=MAX_ROWS)
    candidates: Path | None = Field(None, description="Candidate pool CSV (finite mode).")
    candidate_rows: list[dict[str, _Cell]] | None = Field(None, min_length=1, max_length=MAX_ROWS)
    id_col: str | None = Field(None, description="Pool row identifier column.")
    batch: int = Field(8, ge=1, le=1000, description="K: proposals in the batch.")
    objectives: list[str] = Field(
        min_length=1, max_length=8, description="maximize:COL | minimize:COL | target:COL=VALUE"
    )
    constraints: list[str] = Field(default_factory=list, max_length=32, description='Output constraints ("PDI<0.2").')
    sampler: Literal["tpe", "gp", "random"] = Field("tpe", description="Optuna sampler.")
    seed: int = Field(0, ge=0, lt=2**31)
    alpha: float = Field(0.1, ge=0.01, le=0.5, description="Interval miscoverage (0.1: 90%).")
    name: str | None = Field(None, pattern=NAME_PATTERN, description="Store the proposal under this name.")
    out: Path | None = Field(None, description="Proposal CSV to write.")

    def describe(self) -> dict[str, Any]:
        return {"batch": self.batch, "objectives": self.objectives, "constraints": self.constraints}


# -- REST bodies: the same requests without server-side file paths ---------------------------


class FitBody(FormulationSpec):
    """``POST /nano/formulation/models``: fit CQA models on posted rows (fixed trials, deterministic)."""

    rows: list[dict[str, _Cell]] = Field(min_length=4, max_length=MAX_ROWS)
    targets: list[str] = Field(min_length=1, max_length=16)
    smiles_col: str | None = None
    id_cols: list[str] = Field(default_factory=list, max_length=64)
    features: list[str] | None = Field(None, max_length=1000)
    form: Literal["miso", "mimo", "auto"] = "auto"
    name: str = Field(pattern=NAME_PATTERN)
    trials: int = Field(0, ge=0, le=200)
    cv: int = Field(5, ge=2, le=20)
    repeats: int = Field(3, ge=1, le=10)
    seed: int = Field(0, ge=0, lt=2**31)
    alpha: float = Field(0.1, ge=0.01, le=0.5)

    def to_spec(self) -> FitSpec:
        return build_spec(FitSpec, **self.model_dump(exclude={"rows"}))


class PredictBody(FormulationSpec):
    """``POST /nano/formulation/models/{name}/predict``: recipes as rows."""

    version: int | None = Field(None, ge=1, le=2**31 - 1)
    rows: list[dict[str, _Cell]] = Field(min_length=1, max_length=MAX_ROWS)


class DesignBody(FormulationSpec):
    """``POST /nano/formulation/designs``."""

    space: Space
    kind: DesignKind
    runs: int | None = Field(None, ge=1, le=100_000)
    levels: int = Field(2, ge=2, le=50)
    seed: int = Field(0, ge=0, lt=2**31)
    name: str | None = Field(None, pattern=NAME_PATTERN)

    def to_spec(self) -> DesignSpec:
        return build_spec(DesignSpec, **self.model_dump(exclude={"space"}), space=self.space)


class ProposeBody(FormulationSpec):
    """``POST /nano/formulation/proposals``."""

    space: Space
    observed: list[dict[str, _Cell]] = Field(min_length=2, max_length=MAX_ROWS)
    candidates: list[dict[str, _Cell]] | None = Field(None, min_length=1, max_length=MAX_ROWS)
    id_col: str | None = None
    batch: int = Field(8, ge=1, le=1000)
    objectives: list[str] = Field(min_length=1, max_length=8)
    constraints: list[str] = Field(default_factory=list, max_length=32)
    sampler: Literal["tpe", "gp", "random"] = "tpe"
    seed: int = Field(0, ge=0, lt=2**31)
    alpha: float = Field(0.1, ge=0.01, le=0.5)
    name: str | None = Field(None, pattern=NAME_PATTERN)

    def to_spec(self) -> ProposeSpec:
        data = self.model_dump(exclude={"space", "observed", "candidates"})
        return build_spec(
            ProposeSpec, **data, space=self.space, observed_rows=self.observed, candidate_rows=self.candidates
        )
