"""Equity of a trial's cohort: who is eligible and who is matched, by age band, sex, race, ethnicity.

Three populations are compared: all patients screened, patients *eligible by structured
criteria* (no decisive verdict; the undetermined included), and patients *matched*
(eligible). For each group the pass rate of each decisive criterion and of the whole
screen is computed with :func:`pharmakon.core.fairness.fairness_report` (percentile
bootstrap 95% CI, ``N_BOOT`` resamples, seeded). A warning is raised when a group's pass rate is below 0.8
times the rate of everyone else (the four-fifths rule of thumb) and the group's CI lies
wholly below the others' rate; groups under ``min_group`` patients are reported without
warnings (too few to tell).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pharmakon.core.fairness import fairness_report
from pharmakon.patients.records.model import PatientRecord
from pharmakon.trials.matching.funnel import Cohort

__all__ = ["EquityView", "equity_view", "age_band", "RATIO_WARN"]

RATIO_WARN = 0.8
#: Bootstrap resamples per group for the 95% CI.
N_BOOT = 100
ATTRIBUTES = ("age_band", "sex", "race", "ethnicity")


def age_band(age: float | None) -> str:
    """Age band: <18, 18-44, 45-64, 65-74, 75+ (or "unknown")."""
    if age is None:
        return "unknown"
    for top, label in ((18, "<18"), (45, "18-44"), (65, "45-64"), (75, "65-74")):
        if age < top:
            return label
    return "75+"


@dataclass
class EquityView:
    """Make-up per group and the warnings (see the module docstring)."""

    groups: list[dict[str, Any]]
    criteria: list[dict[str, Any]]
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"groups": self.groups, "criteria": self.criteria, "warnings": self.warnings}


def _attributes(patients: Sequence[PatientRecord]) -> dict[str, list[str]]:
    return {
        "age_band": [age_band(p.age()) for p in patients],
        "sex": [p.sex or "unknown" for p in patients],
        "race": [p.race or "not recorded" for p in patients],
        "ethnicity": [p.ethnicity or "not recorded" for p in patients],
    }


def _rates(passed: Sequence[bool], attrs: dict[str, list[str]], seed: int) -> list[dict[str, Any]]:
    y = np.asarray(passed, dtype=int)
    report = fairness_report(
        y, y, attrs, metrics={"pass_rate": lambda t, p: float(np.mean(p))}, n_boot=N_BOOT, min_group_size=1, seed=seed
    )
    return report.table.to_dict(orient="records")


def equity_view(patients: Sequence[PatientRecord], cohort: Cohort, *, min_group: int = 10, seed: int = 0) -> EquityView:
    """Equity of ``cohort`` (screened ``patients``, in the cohort's order)."""
    attrs = _attributes(patients)
    eligible, structured_ok = set(cohort.eligible), set(cohort.eligible) | set(cohort.undetermined)
    groups = []
    for attr, values in attrs.items():
        for g in sorted(set(values)):
            idx = [i for i, v in enumerate(values) if v == g]
            ids = [cohort.patient_ids[i] for i in idx]
            groups.append(
                {
                    "attribute": attr,
                    "group": g,
                    "all": len(ids),
                    "eligible_structured": sum(pid in structured_ok for pid in ids),
                    "matched": sum(pid in eligible for pid in ids),
                }
            )
    rows, warnings = [], []
    n = len(patients)
    texts = [row["criterion"] for row in cohort.funnel[:-1]]
    for j, text in enumerate(texts):
        passed = cohort.passes(j)
        if all(passed) or n < 2:
            continue
        for rec in _rates(passed, attrs, seed):
            idx = [i for i, v in enumerate(attrs[rec["attribute"]]) if v == rec["group"]]
            others = [passed[i] for i in range(n) if i not in set(idx)]
            rest = float(np.mean(others)) if others else float("nan")
            ratio = rec["value"] / rest if others and rest > 0 else None
            row = {"criterion": text, **{k: rec[k] for k in ("attribute", "group", "n")}, "pass_rate": rec["value"]}
            row |= {"ci_low": rec["ci_low"], "ci_high": rec["ci_high"], "others_rate": rest, "ratio": ratio}
            rows.append(row)
            if ratio is not None and rec["n"] >= min_group and ratio < RATIO_WARN and rec["ci_high"] < rest:
                warnings.append(
                    f"{text!r} excludes {rec['attribute']}={rec['group']} disproportionately: pass rate "
                    f"{rec['value']:.2f} (95% CI {rec['ci_low']:.2f}-{rec['ci_high']:.2f}, n={rec['n']}) vs "
                    f"{rest:.2f} for the others (ratio {ratio:.2f})"
                )
    return EquityView(groups, rows, warnings)
