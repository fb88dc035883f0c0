"""The analysis spec: a table described in YAML, so a statistician adds the next one without Python.

Three kinds of table: ``summary`` (N, mean (SD), counts of levels by arm), ``ancova``
(change from baseline with visit windows, LOCF and an ANCOVA with dose-response and
pairwise contrasts) and ``km`` (Kaplan-Meier numbers at risk and events). The pilot's
tables are the files in ``analyses/`` (``demographics.yaml``, ``primary.yaml``,
``km.yaml``); a user's YAML file with the same keys is read by :func:`load_analysis`.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from pharmakon.errors import InputError
from pharmakon.specs import input_error

__all__ = [
    "SummaryRow",
    "SummaryTable",
    "Window",
    "Comparison",
    "AncovaTable",
    "KmTable",
    "Analysis",
    "load_analysis",
    "builtin_analysis",
    "BUILTIN_TABLES",
]

#: The pilot's tables shipped with pharmakon (file stems in ``analyses/``).
BUILTIN_TABLES = ("demographics", "primary", "km")
Name = Annotated[str, Field(min_length=1, max_length=64)]
MAX_ARMS = 20


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Table(_Model):
    table: Name
    title: str = Field("", max_length=300)
    reference_key: str | None = Field(None, max_length=200, description="Section of a reference-numbers file.")
    dataset: Name = Field(description="ADaM dataset (file stem) holding one row per subject or record.")
    population: dict[Name, str] = Field(default_factory=dict, description="Variable = value filters (flags).")
    by: Name = Field(description="Treatment variable defining the columns.")
    arms: list[Name] = Field(min_length=1, max_length=MAX_ARMS, description="Arms in column order.")


class SummaryRow(_Model):
    """One row: ``n`` (subjects), ``mean_sd`` of ``var`` or ``counts`` of ``levels`` of ``var``."""

    key: Name
    stat: Literal["n", "mean_sd", "counts"]
    var: Name | None = None
    levels: list[str] | None = Field(None, max_length=100)
    digits: tuple[int, int] = (2, 2)


class SummaryTable(_Table):
    kind: Literal["summary"]
    rows: list[SummaryRow] = Field(min_length=1, max_length=200)


class Window(_Model):
    """A visit window on the study day: ``lo`` <= day <= ``hi`` (None: open), nearest to ``target`` kept."""

    name: Name
    lo: float | None = None
    hi: float | None = None
    target: float


class Source(_Model):
    domain: Name
    test_var: Name
    test: Name
    value: Name
    day: Name


class Comparison(_Model):
    key: Name
    arm: Name
    versus: Name


class AncovaTable(_Table):
    kind: Literal["ancova"]
    source: Source
    windows: list[Window] = Field(min_length=2, max_length=50)
    analysis_window: Name
    locf: bool = True
    dose: Name | None = Field(None, description="Numeric dose variable for the dose-response test.")
    covariates: list[Name] = Field(default_factory=list, max_length=20)
    reference_arm: Name
    comparisons: list[Comparison] = Field(default_factory=list, max_length=50)


class KmTable(_Table):
    kind: Literal["km"]
    param: Name
    days: list[Annotated[float, Field(ge=0, le=1e5)]] = Field(min_length=1, max_length=200)


Analysis = Annotated[SummaryTable | AncovaTable | KmTable, Field(discriminator="kind")]


class _Holder(_Model):
    analysis: Analysis


def _parse(data: object, file: str) -> SummaryTable | AncovaTable | KmTable:
    from pydantic import ValidationError

    if not isinstance(data, dict):
        raise InputError("an analysis spec must be a YAML mapping", file=file)
    try:
        return _Holder(analysis=data).analysis
    except ValidationError as exc:
        raise input_error(_Holder, exc, file) from None


def load_analysis(path: Path) -> SummaryTable | AncovaTable | KmTable:
    """An analysis spec from a YAML file (at most 1 MB)."""
    if not path.is_file() or path.stat().st_size > 1_000_000:
        raise InputError("analysis spec not found or larger than 1 MB", file=str(path))
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InputError(f"not valid YAML ({exc})", file=str(path)) from None
    return _parse(data, str(path))


def builtin_analysis(table: str) -> SummaryTable | AncovaTable | KmTable:
    """One of the pilot's tables (:data:`BUILTIN_TABLES`)."""
    if table not in BUILTIN_TABLES:
        raise InputError(f"unknown table {table!r}; choose from {', '.join(BUILTIN_TABLES)}", field="table")
    text = resources.files("pharmakon.trials.cdisc").joinpath(f"analyses/{table}.yaml").read_text(encoding="utf-8")
    return _parse(yaml.safe_load(text), f"analyses/{table}.yaml")
