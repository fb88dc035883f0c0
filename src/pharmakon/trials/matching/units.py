"""Unit handling with pint: spellings normalised, values converted, failures reported.

Lab values in criteria and records come in many spellings ("mg%", "x10^9/L",
"cells/mm3", "IU/L"); :func:`unit_expr` maps them to pint expressions
(:data:`~pharmakon.trials.matching.lexicon.UNIT_ALIASES`) and :func:`convert` converts a
value between two of them, going through the analyte's molar mass where one side is a
mass and the other an amount concentration (creatinine mg/dL <-> umol/L). Enzyme
activity (U, IU) is defined as its own dimension.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pharmakon.trials.matching.lexicon import UNIT_ALIASES

__all__ = ["UnitError", "unit_expr", "convert", "MOLAR_MASS"]

#: g/mol, for mass <-> amount concentrations.
MOLAR_MASS = {"creatinine": 113.12, "bilirubin": 584.66, "glucose": 180.16, "cholesterol": 386.65, "ldl": 386.65}


class UnitError(ValueError):
    """Two units that do not convert (or a unit pint cannot read)."""


@lru_cache(maxsize=1)
def _registry() -> Any:
    import pint

    ureg = pint.UnitRegistry()
    ureg.define("enzyme_unit = [enzyme] = U = IU")
    return ureg


def unit_expr(unit: str | None) -> str | None:
    """A pint expression for a unit spelling (``None`` for none)."""
    if unit is None or not str(unit).strip():
        return None
    text = str(unit).strip().rstrip(".,;)")
    return UNIT_ALIASES.get(text.lower(), text)


@lru_cache(maxsize=512)
def _quantity(expr: str) -> Any:
    ureg = _registry()
    try:
        q = ureg(expr)
    except Exception as exc:  # pint raises several unrelated types for unreadable text
        raise UnitError(f"unit {expr!r} is not readable") from exc
    return q if hasattr(q, "units") else q * ureg.dimensionless


def convert(value: float, unit: str | None, target: str | None, analyte: str | None = None) -> float:
    """``value`` in ``unit`` expressed in ``target`` (either ``None``: returned unchanged).

    Raises
    ------
    UnitError
        The units do not convert (different dimensions, no molar mass for the analyte).
    """
    src, dst = unit_expr(unit), unit_expr(target)
    if src is None or dst is None or src == dst:
        return float(value)
    ratio = _quantity(src) / _quantity(dst)
    try:
        return float(value * ratio.to("dimensionless").magnitude)
    except Exception:
        mass = MOLAR_MASS.get(analyte or "")
        if mass is not None:
            ureg = _registry()
            for factor in (ureg("g/mol") * mass, 1 / (ureg("g/mol") * mass)):
                try:
                    return float(value * (ratio * factor).to("dimensionless").magnitude)
                except Exception:
                    continue
        raise UnitError(f"{unit} does not convert to {target}") from None
