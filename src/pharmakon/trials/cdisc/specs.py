"""The typed requests of trial data on CDISC standards (defaults and bounds defined here, once).

:mod:`pharmakon.trials.cdisc.service` takes these specs; the CLI, the REST API and the
workbench build them from their options, bodies and forms.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from pharmakon.specs import Spec

__all__ = [
    "NAME_PATTERN",
    "TrialDataSpec",
    "ValidateSpec",
    "TlfSpec",
    "RuleName",
    "ReviewSpec",
    "QueryActionSpec",
    "RetentionSpec",
    "SafetyFeedSpec",
]

#: Names of stored reviews, tables and models.
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"


class TrialDataSpec(Spec):
    """Base of the trial-data specs."""

    what = "trialdata spec"


class ValidateSpec(TrialDataSpec):
    """Dataset-level checks of an SDTM folder (XPT or CSV files named by domain, e.g. ``dm.xpt``)."""

    sdtm: Path = Field(description="Folder of SDTM datasets.")


class TlfSpec(TrialDataSpec):
    """One analysis output of a study folder (``sdtm/`` and ``adam/`` inside)."""

    study: Path = Field(description="Study folder holding sdtm/ and adam/.")
    table: Literal["demographics", "primary", "km"] | None = Field(
        None, description="A built-in table of the pilot submission (or give analysis)."
    )
    analysis: Path | None = Field(None, description="A YAML analysis spec (summary, ancova or km table).")
    name: str | None = Field(None, pattern=NAME_PATTERN, description="Store the table under this name.")


RuleName = Literal[
    "invalid_date",
    "end_before_start",
    "ae_before_first_dose",
    "impossible_value",
    "unit_mismatch",
    "duplicate_record",
    "weight_jump",
    "visit_out_of_window",
    "disposition_mismatch",
    "dose_off_protocol",
    "robust_z_subject",
    "robust_z_site",
    "isolation_forest",
]


class ReviewSpec(TrialDataSpec):
    """A data review of an SDTM folder (and ADaM, for ADSL's disposition): edit checks and anomaly detection."""

    sdtm: Path = Field(description="Folder of SDTM datasets.")
    adam: Path | None = Field(None, description="Folder of ADaM datasets (ADSL for the disposition check).")
    name: str | None = Field(None, pattern=NAME_PATTERN, description="Store the review under this name.")
    rules: list[RuleName] | None = Field(None, max_length=20, description="Only these rules (default: all).")
    ml: bool = Field(True, description="Run the anomaly detectors (robust z, isolation forest).")
    visit_window_days: float = Field(14.0, ge=0, le=365, description="Allowed distance (days) from the planned day.")
    weight_change: float = Field(
        0.10, gt=0, le=1, description="Allowed relative change from the subject's median weight."
    )
    protocol_doses: dict[str, list[float]] | None = Field(
        None, max_length=50, description="Arm -> planned doses (default: doses on >= 20 % of the arm's EX records)."
    )
    contamination: float = Field(0.01, gt=0, le=0.5, description="Share of subjects the isolation forest flags.")
    seed: int = Field(0, ge=0, lt=2**32, description="Seed of the isolation forest.")


class QueryActionSpec(TrialDataSpec):
    """Answer, close or reopen one query of a stored review (the text is kept in the audit trail)."""

    review: str = Field(pattern=NAME_PATTERN)
    query_id: str = Field(pattern=r"^[0-9a-f]{16}$")
    action: Literal["answer", "close", "reopen"]
    text: str = Field(min_length=1, max_length=4000, description="The answer, or why it is closed/reopened.")


class RetentionSpec(TrialDataSpec):
    """Discontinuation risk at a landmark day, trained through the governed lifecycle (core/)."""

    adam: Path = Field(description="Folder of ADaM datasets (ADSL).")
    sdtm: Path = Field(description="Folder of SDTM datasets (DM, DS, AE, EX, SV).")
    name: str = Field("retention", pattern=NAME_PATTERN, description="Registry name of the model.")
    day: float = Field(28.0, ge=1, le=3650, description="Landmark study day: what is known by then predicts the rest.")
    models: list[str] = Field(["logistic", "rf"], min_length=1, max_length=8, description="Model families compared.")
    trials: int = Field(0, ge=0, le=200, description="Optuna trials after screening (fixed work, reproducible).")
    cv: int = Field(3, ge=2, le=10, description="Site-grouped CV folds.")
    seed: int = Field(0, ge=0, lt=2**32)


class SafetyFeedSpec(TrialDataSpec):
    """SDTM AE records (with DM enrolment and DS exits) replayed through the running-trial safety monitor."""

    sdtm: Path = Field(description="Folder of SDTM datasets (DM, AE, DS).")
    trial: str = Field("cdisc-trial", pattern=NAME_PATTERN, description="Monitored trial name in the store.")
    event: str = Field("ANY", min_length=1, max_length=200, description="AEDECOD monitored (ANY: every AE).")
    control: str = Field("Placebo", min_length=1, max_length=200, description="Control arm (DM ARM).")
    cutoff: float = Field(0.99, gt=0.5, lt=1, description="Posterior probability that raises an alert.")
