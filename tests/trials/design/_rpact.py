"""Read rpact reference records from the data mirror and turn R calls into kwargs.

Source of the expected values: ``../shared/data/group_sequential/`` (see its
SOURCE.md): rpact's own unit tests (rpact-com/rpact, tests/testthat, revision 8225,
2024-09-18) and 45 canonical calls computed with rpact 3.3.4 (Debian r-cran-rpact).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from tests.conftest import MIRROR

GS_DIR = Path(MIRROR) / "group_sequential"

_RPACT_TO_OURS = {
    "kMax": "kmax",
    "alpha": "alpha",
    "beta": "beta",
    "sided": "sided",
    "typeOfDesign": "type_of_design",
    "informationRates": "information_rates",
    "gammaA": "gamma_a",
    "deltaWT": "delta_wt",
    "typeBetaSpending": "type_beta_spending",
    "gammaB": "gamma_b",
    "bindingFutility": "binding_futility",
    "futilityBounds": "futility_bounds",
    "userAlphaSpending": "user_alpha_spending",
    "userBetaSpending": "user_beta_spending",
    "betaAdjustment": "beta_adjustment",
}


def _c(*xs: Any) -> np.ndarray:
    return np.asarray(xs, dtype=float)


def _rep(x: float, n: int) -> np.ndarray:
    return np.full(int(n), float(x))


def r_args(text: str) -> dict[str, Any]:
    """Parse an R argument list such as ``kMax = 3, informationRates = c(0.2, 1)``."""
    env = {"c": _c, "rep": _rep, "TRUE": True, "FALSE": False, "log": np.log, "seq": np.arange}
    return eval(f"dict({text})", env)  # noqa: S307 - trusted reference file


def design_kwargs(args: dict[str, Any]) -> dict[str, Any] | None:
    """rpact getDesignGroupSequential arguments -> our kwargs, or None if unsupported."""
    out: dict[str, Any] = {}
    for key, value in args.items():
        if key not in _RPACT_TO_OURS:
            return None
        out[_RPACT_TO_OURS[key]] = list(value) if isinstance(value, np.ndarray) else value
    if "information_rates" in out and "kmax" not in out:
        out["kmax"] = len(out["information_rates"])
    if "user_alpha_spending" in out and "kmax" not in out:
        out["kmax"] = len(out["user_alpha_spending"])
    if "futility_bounds" in out and "kmax" not in out:
        out["kmax"] = len(out["futility_bounds"]) + 1
    return out


def records(function: str) -> list[dict[str, Any]]:
    data = json.loads((GS_DIR / "rpact_unit_test_expected.json").read_text())
    return [r for r in data if r["function"] == function]


def anchors() -> list[dict[str, Any]]:
    return json.loads((GS_DIR / "rpact_3.3.4_computed_anchors.json").read_text())
