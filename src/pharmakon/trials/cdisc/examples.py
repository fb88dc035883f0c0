"""Worked example seeded by ``pharmakon serve``: validation, the pilot's three TLFs and a stored data review."""

from __future__ import annotations

from typing import Any

from pharmakon.caller import Caller

__all__ = ["seed_example", "SEED_REVIEW", "SEED_TABLES"]

SEED_REVIEW = "cdiscpilot01-review"
SEED_TABLES = {"demographics": "cdiscpilot01-demographics", "primary": "cdiscpilot01-primary", "km": "cdiscpilot01-km"}


def seed_example(store: Any, settings: Any) -> str:
    """Validate the CDISC pilot SDTM, reproduce its demographics/primary/KM tables and store a review (deterministic)."""
    from pharmakon.datasets import fetch
    from pharmakon.trials.cdisc.service import ReviewSpec, TlfSpec, ValidateSpec, make_tlf, review_study, validate_study

    study = fetch("cdisc_pilot01", settings=settings)
    caller = Caller("seed", "python")
    checked = validate_study(store, ValidateSpec(sdtm=study / "sdtm"), caller)
    for table, name in SEED_TABLES.items():
        make_tlf(store, TlfSpec(study=study, table=table, name=name), caller)
    review = review_study(store, ReviewSpec(sdtm=study / "sdtm", adam=study / "adam", name=SEED_REVIEW), caller)
    return (
        f"CDISC pilot: {checked.total} validation finding(s), 3 TLFs reproduced, "
        f"review {SEED_REVIEW} with {len(review.queries)} queries"
    )
