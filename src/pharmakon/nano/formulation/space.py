"""Design spaces: factors, an optional mixture, linear inequality constraints, feasibility.

A space is what ``nano design`` and ``nano propose`` search: one bounded factor per
column (continuous, integer or categorical), optionally a mixture (components whose
fractions add up to ``total``) and linear inequalities between numeric factors written
as text (``"PLGA + PP-L <= 0.8"``, ``"2*A - B >= 0.1"``). Feasibility is decided by a
linear programme (:func:`scipy.optimize.linprog`); an empty space names the constraints
that conflict.

The YAML layout (keys are checked; an unknown key names the closest valid one)::

    factors:
      - {name: PLGA, type: continuous, low: 0, high: 1}
      - {name: S/AS, type: categorical, levels: [0.1, 0.2, 0.25]}
    mixture: {components: [PLGA, PP-L, PP-COOH, PP-NH2], total: 1.0}
    constraints: ["PLGA + PP-L <= 0.8"]
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import ConfigDict, Field, model_validator

from pharmakon.errors import InputError
from pharmakon.specs import Spec

__all__ = [
    "MIXTURE_TOL",
    "Factor",
    "Mixture",
    "Space",
    "LinearConstraint",
    "parse_constraint",
    "load_space",
]

#: Proposals and designs hold the mixture total to this absolute tolerance.
MIXTURE_TOL = 1e-6
_MAX_FACTORS = 64
_TERM = re.compile(r"^\s*([+-]?\s*(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)?\s*\*?\s*(.+?)\s*$")


class Factor(Spec):
    """One factor: a numeric range or a list of levels (units are the column's own)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: str = Field(min_length=1, max_length=128)
    type: Literal["continuous", "integer", "categorical"] = "continuous"
    low: float | None = Field(None, ge=-1e12, le=1e12)
    high: float | None = Field(None, ge=-1e12, le=1e12)
    levels: list[float | str] | None = Field(None, min_length=1, max_length=1000)

    @model_validator(mode="after")
    def _bounds(self) -> Factor:
        if self.type == "categorical":
            if not self.levels:
                raise ValueError(f"factor {self.name!r}: a categorical factor needs levels")
            if len(set(map(str, self.levels))) != len(self.levels):
                raise ValueError(f"factor {self.name!r}: levels repeat")
            return self
        if self.low is None or self.high is None:
            raise ValueError(f"factor {self.name!r}: a {self.type} factor needs low and high")
        if not self.low <= self.high:
            raise ValueError(f"factor {self.name!r}: low {self.low:g} is above high {self.high:g}")
        return self

    @property
    def numeric(self) -> bool:
        """Continuous or integer (a categorical factor with numeric levels is still categorical)."""
        return self.type != "categorical"


class Mixture(Spec):
    """Mixture components (factor names) whose values add up to ``total``."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    components: list[str] = Field(min_length=2, max_length=_MAX_FACTORS)
    total: float = Field(1.0, gt=0, le=1e12)


class LinearConstraint(Spec):
    """``sum(coef[f] * f) <= rhs`` over numeric factors; ``text`` is what the user wrote."""

    text: str
    coef: dict[str, float]
    rhs: float

    def value(self, values: dict[str, float]) -> float:
        """Left-hand side minus right-hand side (<= 0 when satisfied)."""
        return sum(c * float(values[f]) for f, c in self.coef.items()) - self.rhs


class Space(Spec):
    """A design space (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    factors: list[Factor] = Field(min_length=1, max_length=_MAX_FACTORS)
    mixture: Mixture | None = None
    constraints: list[str] = Field(default_factory=list, max_length=256)

    @model_validator(mode="after")
    def _consistent(self) -> Space:
        names = [f.name for f in self.factors]
        if len(set(names)) != len(names):
            raise ValueError(f"factor names repeat: {names}")
        if self.mixture is not None:
            by = {f.name: f for f in self.factors}
            for c in self.mixture.components:
                if c not in by:
                    raise ValueError(f"mixture component {c!r} is not a factor (factors: {names})")
                if by[c].type != "continuous":
                    raise ValueError(f"mixture component {c!r} must be a continuous factor")
        for text in self.constraints:
            parse_constraint(text, self)
        return self

    # -- views --------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        return [f.name for f in self.factors]

    def factor(self, name: str) -> Factor:
        return next(f for f in self.factors if f.name == name)

    @property
    def numeric_names(self) -> list[str]:
        return [f.name for f in self.factors if f.numeric]

    def linear(self) -> list[LinearConstraint]:
        """The parsed constraints, in the order given."""
        return [parse_constraint(t, self) for t in self.constraints]

    # -- feasibility --------------------------------------------------------------
    def violations(self, row: dict[str, Any], *, tol: float = MIXTURE_TOL) -> list[str]:
        """Why ``row`` (factor -> value) lies outside the space; empty when it is inside."""
        out = []
        for f in self.factors:
            v = row.get(f.name)
            if f.type == "categorical":
                if str(v) not in {str(x) for x in f.levels or []}:
                    out.append(f"{f.name}={v!r} is not one of the levels {f.levels}")
                continue
            v = float(v)
            if not (f.low - tol <= v <= f.high + tol):
                out.append(f"{f.name}={v:g} outside [{f.low:g}, {f.high:g}]")
            if f.type == "integer" and abs(v - round(v)) > tol:
                out.append(f"{f.name}={v:g} is not an integer")
        if self.mixture is not None:
            total = sum(float(row[c]) for c in self.mixture.components)
            if abs(total - self.mixture.total) > tol:
                out.append(f"mixture {'+'.join(self.mixture.components)} = {total:.9g}, not {self.mixture.total:g}")
        for c in self.linear():
            if c.value({k: float(row[k]) for k in c.coef}) > tol:
                out.append(f"constraint {c.text!r} violated")
        return out

    def _lp(self, constraints: list[LinearConstraint]) -> bool:
        """Whether bounds + mixture + ``constraints`` leave a point (a linear programme)."""
        from scipy.optimize import linprog

        num = self.numeric_names
        if not num:
            return True
        idx = {n: i for i, n in enumerate(num)}
        bounds = [(self.factor(n).low, self.factor(n).high) for n in num]
        A_ub = [[c.coef.get(n, 0.0) for n in num] for c in constraints]
        b_ub = [c.rhs for c in constraints]
        A_eq = b_eq = None
        if self.mixture is not None:
            row = np.zeros(len(num))
            row[[idx[c] for c in self.mixture.components]] = 1.0
            A_eq, b_eq = [row], [self.mixture.total]
        res = linprog(
            np.zeros(len(num)),
            A_ub=A_ub or None,
            b_ub=b_ub or None,
            A_eq=A_eq,
            b_eq=b_eq,
            bounds=bounds,
            method="highs",
        )
        return res.status == 0

    def check_feasible(self, file: str | None = None) -> None:
        """Raise :class:`InputError` naming the conflicting constraints when no point satisfies them all.

        The conflict is reported as the smallest set found greedily: constraints are added
        one by one until the space empties, then each of the earlier ones is dropped if the
        rest still conflicts (a deletion filter, as for an irreducible infeasible set).
        """
        linear = self.linear()
        if self._lp(linear):
            return
        if self.mixture is not None and not self._lp([]):
            lo = sum(self.factor(c).low for c in self.mixture.components)
            hi = sum(self.factor(c).high for c in self.mixture.components)
            raise InputError(
                f"no feasible point: the mixture total {self.mixture.total:g} is outside what the component bounds "
                f"allow [{lo:g}, {hi:g}]",
                file=file,
                field="mixture",
            )
        kept: list[LinearConstraint] = []
        for c in linear:
            kept.append(c)
            if not self._lp(kept):
                break
        for c in list(kept[:-1]):
            trial = [k for k in kept if k is not c]
            if not self._lp(trial):
                kept = trial
        names = "; ".join(repr(c.text) for c in kept)
        raise InputError(
            f"no feasible point: these constraints conflict with each other and the factor bounds"
            f"{' and the mixture total' if self.mixture else ''}: {names}",
            file=file,
            field="constraints",
        )


def _number(text: str) -> float:
    return float(text.replace(" ", ""))


def parse_constraint(text: str, space: Space) -> LinearConstraint:
    """Parse ``"a*X + Y - 2 Z <= c"`` (also ``>=``, ``<``, ``>``) into a :class:`LinearConstraint`.

    Factor names may hold any characters except ``+``, ``*`` and spaces at their ends;
    a term is ``[coefficient][*]name``. Raises :class:`InputError` for a constraint that
    names no factor, a non-numeric right-hand side or a categorical factor.
    """
    m = re.match(r"^(.*?)(<=|>=|<|>)(.*)$", text)
    if not m:
        raise InputError(f"constraint {text!r} needs one of <=, >=, <, >", field="constraints")
    lhs, op, rhs = m.groups()
    try:
        bound = float(rhs.strip())
    except ValueError:
        raise InputError(f"constraint {text!r}: the right-hand side must be a number", field="constraints") from None
    names = set(space.names)
    coef: dict[str, float] = {}
    # terms are separated by " + " / " - " (spaced), so names such as PP-L keep their hyphen
    parts = re.split(r"\s+([+-])\s+", " " + lhs.strip() + " ")
    signed = [("+", parts[0])] + list(zip(parts[1::2], parts[2::2], strict=True))
    for op_sign, raw in signed:
        body = raw.strip()
        sign = -1.0 if op_sign == "-" else 1.0
        if body.startswith("-") and body not in names:
            sign, body = -sign, body[1:].strip()
        elif body.startswith("+") and body not in names:
            body = body[1:].strip()
        if not body:
            continue
        name, factor = body, 1.0
        if body not in names:
            tm = _TERM.match(body)
            if tm and tm.group(1) and tm.group(2) in names:
                name, factor = tm.group(2), _number(tm.group(1))
        if name not in names:
            raise InputError(
                f"constraint {text!r} names {name!r}, which is not a factor (factors: {space.names}); "
                "separate terms with ' + ' or ' - '",
                field="constraints",
            )
        if space.factor(name).type == "categorical":
            raise InputError(f"constraint {text!r}: factor {name!r} is categorical", field="constraints")
        coef[name] = coef.get(name, 0.0) + sign * factor
    if not coef:
        raise InputError(f"constraint {text!r} names no factor (factors: {space.names})", field="constraints")
    if op.startswith(">"):
        coef, bound = {k: -v for k, v in coef.items()}, -bound
    return LinearConstraint(text=text, coef=coef, rhs=bound)


def load_space(path: Path | str) -> Space:
    """Read a space file (YAML or JSON). Raises :class:`InputError` naming the file and key."""
    import yaml

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read the space file: {exc.strerror}", file=str(path)) from None
    except yaml.YAMLError as exc:
        raise InputError(f"not valid YAML: {exc}", file=str(path)) from None
    if not isinstance(data, dict):
        raise InputError("a space file is a mapping with 'factors' (and 'mixture', 'constraints')", file=str(path))
    try:
        return Space.parse(data, file=str(path))
    except InputError as exc:
        if exc.file is None:
            raise InputError(str(exc), file=str(path), field=exc.field) from None
        raise
