"""Classical designs of experiments over a :class:`~pharmakon.nano.formulation.space.Space`.

Factorials and Latin hypercubes come from pyDOE3, Sobol sequences from
:mod:`scipy.stats.qmc`; mixture lattices and centroids are the standard {q, m}
simplex-lattice and simplex-centroid point sets (Scheffé 1958, 1963) in
L-pseudo-components, so lower bounds hold by construction; rows breaking an upper
bound or a linear constraint are dropped and counted. D-optimal designs pick rows of a
candidate set by Fedorov's exchange (pyDOE3 and scipy have no D-optimal routine).

Every design returns a :class:`Design`: one column per factor in actual units.
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from pharmakon.errors import InputError
from pharmakon.nano.formulation.space import Space

__all__ = ["DesignKind", "DESIGN_KINDS", "Design", "make_design", "sample_feasible"]

DesignKind = Literal[
    "full-factorial", "fractional-factorial", "lhs", "sobol", "mixture-lattice", "mixture-centroid", "d-optimal"
]
DESIGN_KINDS: tuple[str, ...] = DesignKind.__args__  # type: ignore[attr-defined]
_MAX_ROWS = 100_000


@dataclass
class Design:
    """A design table (``table``: runs x factors, actual units) and what it is."""

    kind: str
    table: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    resolution: int | None = None


# -- unit-cube -> factor values -------------------------------------------------------


def _from_unit(space: Space, U: np.ndarray, names: list[str]) -> pd.DataFrame:
    """Map unit-cube columns (n, len(names)) onto the factors ``names`` (levels by equal slices)."""
    out = {}
    for j, name in enumerate(names):
        f = space.factor(name)
        u = np.clip(U[:, j], 0.0, 1.0 - 1e-12)
        if f.type == "categorical":
            out[name] = [f.levels[int(k)] for k in np.floor(u * len(f.levels))]
        elif f.type == "integer":
            lo, hi = int(np.ceil(f.low)), int(np.floor(f.high))
            out[name] = (lo + np.floor(u * (hi - lo + 1))).astype(int)
        else:
            out[name] = f.low + u * (f.high - f.low)
    return pd.DataFrame(out)


def _mixture_from_unit(space: Space, U: np.ndarray) -> pd.DataFrame:
    """Uniform points on the (lower-bounded) mixture simplex from unit-cube rows (n, q).

    -log(u) normalised is a Dirichlet(1, ..., 1) draw (uniform on the simplex); lower
    bounds through L-pseudo-components: x = L + (total - sum L) z.
    """
    mix = space.mixture
    comps = mix.components
    lows = np.array([space.factor(c).low for c in comps])
    free = mix.total - lows.sum()
    E = -np.log(np.clip(U, 1e-12, 1.0))
    Z = E / E.sum(axis=1, keepdims=True)
    return pd.DataFrame(lows + free * Z, columns=comps)


def _assemble(space: Space, U: np.ndarray) -> pd.DataFrame:
    """Unit-cube rows (n, n_factors) -> factor table; mixture components share their columns."""
    mix = space.mixture.components if space.mixture else []
    others = [n for n in space.names if n not in mix]
    parts = []
    if mix:
        parts.append(_mixture_from_unit(space, U[:, : len(mix)]))
    if others:
        parts.append(_from_unit(space, U[:, len(mix) :], others))
    return pd.concat(parts, axis=1)[space.names]


def _feasible_mask(space: Space, table: pd.DataFrame) -> np.ndarray:
    """Rows inside every upper bound and linear constraint (lower bounds and totals hold already)."""
    ok = np.ones(len(table), bool)
    for f in space.factors:
        if f.numeric:
            v = table[f.name].to_numpy(float)
            ok &= (v >= f.low - 1e-9) & (v <= f.high + 1e-9)
    for c in space.linear():
        lhs = sum(coef * table[name].to_numpy(float) for name, coef in c.coef.items())
        ok &= lhs - c.rhs <= 1e-9
    return ok


def sample_feasible(space: Space, n: int, *, seed: int = 0, oversample: int = 64) -> pd.DataFrame:
    """Up to ``n`` scrambled-Sobol points inside the space (rejection of infeasible draws).

    Returns fewer rows only when the feasible region is a tiny share of the box; callers
    that need ``n`` rows check the length.
    """
    from scipy.stats import qmc

    d = len(space.names)
    draws = max(64, n * oversample)
    m = int(np.ceil(np.log2(draws)))
    U = qmc.Sobol(d, scramble=True, seed=seed).random_base2(m)
    table = _assemble(space, U)
    return table.loc[_feasible_mask(space, table)].head(n).reset_index(drop=True)


# -- the design kinds -------------------------------------------------------------------


def _two_level(space: Space, coded: np.ndarray) -> pd.DataFrame:
    out = {}
    for j, f in enumerate(space.factors):
        hi = coded[:, j] > 0
        if f.type == "categorical":
            if len(f.levels) != 2:
                raise InputError(
                    f"a two-level design needs 2 levels for categorical factor {f.name!r}, it has {len(f.levels)}",
                    field=f.name,
                )
            out[f.name] = [f.levels[int(h)] for h in hi]
        else:
            out[f.name] = np.where(hi, f.high, f.low)
    return pd.DataFrame(out)


def _no_mixture(space: Space, kind: str) -> None:
    if space.mixture is not None:
        raise InputError(
            f"a {kind} design varies factors independently; a mixture's components cannot: use "
            "mixture-lattice, mixture-centroid, lhs, sobol or d-optimal",
            field="kind",
        )


def _full_factorial(space: Space, levels: int) -> Design:
    import pyDOE3

    _no_mixture(space, "full-factorial")
    counts = [len(f.levels) if f.type == "categorical" else levels for f in space.factors]
    if int(np.prod(counts)) > _MAX_ROWS:
        raise InputError(f"a full factorial of {counts} levels has more than {_MAX_ROWS:,} runs", field="levels")
    idx = pyDOE3.fullfact(counts).astype(int)
    out = {}
    for j, f in enumerate(space.factors):
        if f.type == "categorical":
            out[f.name] = [f.levels[k] for k in idx[:, j]]
        else:
            grid = np.linspace(f.low, f.high, levels)
            out[f.name] = np.round(grid).astype(int)[idx[:, j]] if f.type == "integer" else grid[idx[:, j]]
    return Design("full-factorial", pd.DataFrame(out), [f"{levels} levels per numeric factor"])


def _fractional(space: Space, runs: int | None) -> Design:
    import pyDOE3

    _no_mixture(space, "fractional-factorial")
    k = len(space.factors)
    if k < 3:
        raise InputError("a fractional factorial needs at least 3 factors (use full-factorial)", field="kind")
    best = None
    for res in range(k + 1, 2, -1):  # the highest resolution pyDOE3 can build within the run count
        try:
            coded = pyDOE3.fracfact_by_res(k, res)
        except ValueError:
            continue
        if runs is None or len(coded) <= runs:
            best = (res, coded)
            break
    if best is None:
        raise InputError(f"no two-level fractional factorial of {k} factors fits in {runs} runs", field="runs")
    res, coded = best
    return Design(
        "fractional-factorial", _two_level(space, coded), [f"resolution {_roman(res)}; {len(coded)} runs"], res
    )


def _roman(n: int) -> str:
    return {3: "III", 4: "IV", 5: "V", 6: "VI", 7: "VII", 8: "VIII"}.get(n, str(n))


def _lhs(space: Space, runs: int, seed: int) -> Design:
    import pyDOE3

    draw = lambda s: pyDOE3.lhs(len(space.names), samples=runs, criterion="maximin", seed=s)  # noqa: E731
    return _filled(space, "lhs", draw, seed, runs, "Latin hypercube (pyDOE3, maximin)")


def _sobol(space: Space, runs: int, seed: int) -> Design:
    from scipy.stats import qmc

    notes = [] if runs & (runs - 1) == 0 else ["Sobol balance properties need a power-of-two run count"]
    engine = qmc.Sobol(len(space.names), scramble=True, seed=seed)

    def draw(_: int) -> np.ndarray:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # the power-of-two note is in the design's notes
            return engine.random(runs)

    design = _filled(space, "sobol", draw, seed, runs, "scrambled Sobol (scipy.stats.qmc)")
    design.notes += notes
    return design


def _filled(space: Space, kind: str, draw, seed: int, runs: int, what: str, tries: int = 200) -> Design:
    """``runs`` feasible rows: the first draw's feasible rows, topped up from further draws (seed + i)."""
    first = _filtered(space, kind, draw(seed), what)
    table, i = first.table, 0
    while len(table) < runs and i < tries:
        i += 1
        table = pd.concat([table, _filtered(space, kind, draw(seed + i), what).table], ignore_index=True)
    if len(table) < runs:
        raise InputError(f"only {len(table)} of {runs} {kind} runs fall inside the constraints", field="runs")
    if i:
        first.notes.append(f"topped up from {i} further draw(s); the stratification holds for the first draw only")
    first.table = table.head(runs).reset_index(drop=True)
    return first


def _filtered(space: Space, kind: str, U: np.ndarray, what: str) -> Design:
    table = _assemble(space, U)
    ok = _feasible_mask(space, table)
    notes = [what]
    if space.mixture is not None:
        notes.append("mixture components: uniform on the simplex (strata hold for the other factors only)")
    if not ok.all():
        notes.append(f"{int((~ok).sum())} of {len(ok)} runs broke an upper bound or constraint and were dropped")
    return Design(kind, table.loc[ok].reset_index(drop=True), notes)


def _mixture_points(space: Space, Z: np.ndarray, kind: str, what: str) -> Design:
    mix = space.mixture
    if mix is None:
        raise InputError(f"a {kind} design needs a 'mixture' in the space", field="mixture")
    comps = mix.components
    lows = np.array([space.factor(c).low for c in comps])
    free = mix.total - lows.sum()
    if free < -1e-12:
        raise InputError("the mixture components' lower bounds add up to more than the total", field="mixture")
    X = lows + free * Z
    table = pd.DataFrame(X, columns=comps)
    for f in space.factors:  # process factors at their centre (numeric) or first level
        if f.name not in comps:
            table[f.name] = f.levels[0] if f.type == "categorical" else (f.low + f.high) / 2
    table = table[space.names]
    ok = _feasible_mask(space, table)
    notes = [what, "L-pseudo-components (lower bounds)"]
    if len(comps) < len(space.names):
        notes.append("non-mixture factors held at their centre (numeric) or first level")
    if not ok.all():
        notes.append(f"{int((~ok).sum())} of {len(ok)} points broke an upper bound or constraint and were dropped")
    return Design(kind, table.loc[ok].reset_index(drop=True), notes)


def _lattice(space: Space, m: int) -> Design:
    q = len(space.mixture.components) if space.mixture else 0
    pts = [c for c in itertools.product(range(m + 1), repeat=q) if sum(c) == m] if q else []
    Z = np.array(pts, float) / m if pts else np.zeros((0, q))
    return _mixture_points(space, Z, "mixture-lattice", f"simplex-lattice {{{q}, {m}}}")


def _centroid(space: Space) -> Design:
    q = len(space.mixture.components) if space.mixture else 0
    rows = []
    for r in range(1, q + 1):
        for subset in itertools.combinations(range(q), r):
            z = np.zeros(q)
            z[list(subset)] = 1.0 / r
            rows.append(z)
    return _mixture_points(space, np.array(rows).reshape(-1, q), "mixture-centroid", f"simplex-centroid, q = {q}")


def _model_matrix(space: Space, table: pd.DataFrame) -> np.ndarray:
    """Main-effects model matrix (n, p): intercept, numeric factors coded to [-1, 1], one-hot levels.

    In a mixture the last component is left out (the total makes it redundant with the intercept).
    """
    cols = [np.ones(len(table))]
    skip = space.mixture.components[-1] if space.mixture else None
    for f in space.factors:
        if f.name == skip:
            continue
        if f.type == "categorical":
            vals = table[f.name].astype(str).to_numpy()
            cols += [(vals == str(lv)).astype(float) for lv in f.levels[1:]]
        else:
            span = (f.high - f.low) or 1.0
            cols.append(2 * (table[f.name].to_numpy(float) - f.low) / span - 1)
    return np.column_stack(cols)


def _d_optimal(space: Space, runs: int, seed: int) -> Design:
    """Fedorov exchange over a feasible Sobol candidate set (512 points) for a main-effects model."""
    cand = sample_feasible(space, 512, seed=seed)
    F = _model_matrix(space, cand)
    p = F.shape[1]
    if runs < p:
        raise InputError(f"a D-optimal design of this space's main-effects model needs at least {p} runs", field="runs")
    if len(cand) < runs:
        raise InputError(f"only {len(cand)} feasible candidates for {runs} runs", field="runs")
    rng = np.random.default_rng(seed)
    chosen = list(rng.choice(len(cand), size=runs, replace=False))

    def logdet(idx: list[int]) -> float:
        sign, val = np.linalg.slogdet(F[idx].T @ F[idx] + 1e-9 * np.eye(p))
        return val if sign > 0 else -np.inf

    current = logdet(chosen)
    for _ in range(20):  # passes; each swaps a row for the candidate that raises det(X'X) most
        improved = False
        for i in range(runs):
            trials = [(logdet(chosen[:i] + [j] + chosen[i + 1 :]), j) for j in range(len(cand)) if j not in chosen]
            best, j = max(trials)
            if best > current + 1e-9:
                chosen[i], current, improved = j, best, True
        if not improved:
            break
    table = cand.iloc[chosen].reset_index(drop=True)
    return Design("d-optimal", table, [f"Fedorov exchange, main-effects model (p = {p}), log det = {current:.3f}"])


def make_design(space: Space, kind: str, *, runs: int | None = None, levels: int = 2, seed: int = 0) -> Design:
    """Build a design of ``kind`` (see :data:`DESIGN_KINDS`) over ``space``.

    Parameters
    ----------
    runs : int, optional
        Runs of lhs / sobol / d-optimal (required there); the largest run count a
        fractional factorial may use.
    levels : int
        Levels per numeric factor (full factorial) or lattice degree m (mixture-lattice).
    seed : int
        Seed of lhs / sobol / d-optimal.
    """
    if kind not in DESIGN_KINDS:
        raise InputError(f"unknown design kind {kind!r}; choose one of {', '.join(DESIGN_KINDS)}", field="kind")
    space.check_feasible()
    if kind in ("lhs", "sobol", "d-optimal") and not runs:
        raise InputError(f"a {kind} design needs --runs", field="runs")
    if kind == "full-factorial":
        return _full_factorial(space, levels)
    if kind == "fractional-factorial":
        return _fractional(space, runs)
    if kind == "lhs":
        return _lhs(space, runs, seed)
    if kind == "sobol":
        return _sobol(space, runs, seed)
    if kind == "mixture-lattice":
        return _lattice(space, levels)
    if kind == "mixture-centroid":
        return _centroid(space)
    return _d_optimal(space, runs, seed)
