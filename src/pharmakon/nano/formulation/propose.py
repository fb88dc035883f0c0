"""Closed-loop batch proposals: the next K experiments under objectives and constraints.

The sampler is Optuna's (TPE by default, multivariate, several objectives, with
constraint values per trial, ``Trial.set_constraint``, that its samplers read to prefer
feasible regions; Optuna's GP sampler on request). The
observed experiments enter the study as finished trials (objective values; the
output constraints as constraint values). A batch of K is asked one trial at a time;
each accepted proposal is told back with the surrogate's predicted mean (the
"kriging believer" heuristic), so the next ask moves elsewhere. A mixture is sampled
in its first q - 1 components; the last one is the remainder, and its bounds are
constraints. Every proposal is checked exactly against the space (bounds, integers,
levels, mixture total within 1e-6, linear constraints) and against the observed and
already proposed points; a rejected ask is told back as infeasible. If the asks run out
before K proposals are accepted, the batch is filled from feasible scrambled-Sobol
points ranked by the acquisition score, and the result says so.

With a candidate pool (finite mode) each ask is snapped to the nearest unused pool
row inside the space (Euclidean distance on the encoded factors).

Predicted values and intervals come from :mod:`~pharmakon.nano.formulation.surrogate`
(a GP per response, conformal intervals). ``acquisition`` is the surrogate's
upper-confidence score: the mean over objectives of the standardised optimistic value
``(sign * mean + kappa * sd - best observed) / SD of the observed`` (a target objective
scores ``-|mean - value|``), times the probability that every output constraint holds.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from pharmakon.errors import InputError
from pharmakon.nano.formulation.designs import sample_feasible
from pharmakon.nano.formulation.space import MIXTURE_TOL, Space
from pharmakon.nano.formulation.surrogate import Surrogate, encode, fit_surrogate

__all__ = ["Objective", "OutputConstraint", "Proposal", "parse_objective", "parse_output_constraint", "propose_batch"]

_KAPPA = 1.0
_DECIMALS = 9  # points equal to this many decimals are the same experiment


@dataclass(frozen=True)
class Objective:
    """``maximize:COL``, ``minimize:COL`` or ``target:COL=VALUE``."""

    kind: Literal["maximize", "minimize", "target"]
    column: str
    value: float | None = None

    @property
    def text(self) -> str:
        return f"{self.kind}:{self.column}" + (f"={self.value:g}" if self.kind == "target" else "")

    def loss(self, y: np.ndarray) -> np.ndarray:
        """What the Optuna study optimises (target: distance to the value, minimised)."""
        return np.abs(y - self.value) if self.kind == "target" else y

    @property
    def direction(self) -> str:
        return "maximize" if self.kind == "maximize" else "minimize"


@dataclass(frozen=True)
class OutputConstraint:
    """A measured response kept on one side of a value: ``COL < 0.2``, ``COL >= 50``."""

    column: str
    op: str
    value: float

    @property
    def text(self) -> str:
        return f"{self.column}{self.op}{self.value:g}"

    def violation(self, y: np.ndarray) -> np.ndarray:
        """<= 0 when satisfied (Optuna's convention)."""
        return y - self.value if self.op.startswith("<") else self.value - y


def parse_objective(text: str) -> Objective:
    """Parse ``maximize:COL`` / ``minimize:COL`` / ``target:COL=VALUE``; InputError otherwise."""
    m = re.match(r"^\s*(maximize|minimize|target)\s*:\s*(.+?)\s*$", text)
    if not m:
        raise InputError(
            f"objective {text!r} must be maximize:COL, minimize:COL or target:COL=VALUE", field="objective"
        )
    kind, rest = m.groups()
    if kind != "target":
        return Objective(kind, rest)  # type: ignore[arg-type]
    col, sep, value = rest.rpartition("=")
    try:
        number = float(value)
    except ValueError:
        number = None
    if not sep or not col.strip() or number is None or not np.isfinite(number):
        raise InputError(f"objective {text!r}: a target needs a number, as target:COL=VALUE", field="objective")
    return Objective("target", col.strip(), number)


def parse_output_constraint(text: str) -> OutputConstraint:
    """Parse ``COL<0.2`` (also <=, >, >=); InputError otherwise."""
    m = re.match(r"^\s*(.+?)\s*(<=|>=|<|>)\s*([-+0-9.eE]+)\s*$", text)
    if not m:
        raise InputError(
            f"constraint {text!r} must be COL<VALUE, COL<=VALUE, COL>VALUE or COL>=VALUE", field="constraint"
        )
    col, op, value = m.groups()
    try:
        number = float(value)
    except ValueError:
        raise InputError(f"constraint {text!r}: {value!r} is not a number", field="constraint") from None
    return OutputConstraint(col, op, number)


@dataclass
class Proposal:
    """The proposed batch (``table``: K rows) and how it was found."""

    table: pd.DataFrame
    sampler: str
    asks: int
    filled: int
    notes: list[str] = field(default_factory=list)


# -- checks ---------------------------------------------------------------------------


def check_observed(
    space: Space, observed: pd.DataFrame, responses: list[str], *, file: str | None, factors: bool = True
) -> pd.DataFrame:
    """Factor and response columns present, numeric where they must be; returns the usable rows."""
    for col in (space.names if factors else []) + responses:
        if col not in observed.columns:
            what = "factor" if col in space.names else "objective/constraint"
            raise InputError(
                f"{what} column {col!r} is not in the observations (columns: {list(observed.columns)})",
                file=file,
                field=col,
            )
    for col in responses + [f.name for f in space.factors if f.numeric]:
        values = pd.to_numeric(observed[col], errors="coerce")
        bad = values.isna() & observed[col].notna()
        if bad.any():
            r = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(f"{observed[col].iloc[r]!r} is not a number", file=file, row=r + 1, field=col)
    usable = observed.dropna(subset=responses + space.names).reset_index(drop=True)
    if len(usable) < 2:
        raise InputError("need at least 2 observations with every factor and response measured", file=file)
    return usable


def _key(space: Space, row: dict | pd.Series) -> tuple:
    return tuple(
        str(row[f.name]) if f.type == "categorical" else round(float(row[f.name]), _DECIMALS) for f in space.factors
    )


# -- acquisition ----------------------------------------------------------------------


def acquisition(
    sur: Surrogate, observed: pd.DataFrame, objectives: list[Objective], constraints: list[OutputConstraint], table
) -> tuple[np.ndarray, dict]:
    """Upper-confidence score of each row of ``table`` (n,) and the surrogate's predictions."""
    from scipy.stats import norm

    pred = sur.predict(table)
    score = np.zeros(len(table))
    for obj in objectives:
        mu, sd, _, _ = pred[obj.column]
        y = pd.to_numeric(observed[obj.column]).to_numpy(float)
        scale = float(np.std(y)) or 1.0
        if obj.kind == "target":
            gain, best = -np.abs(mu - obj.value) + _KAPPA * sd, -float(np.min(np.abs(y - obj.value)))
        else:
            sign = 1.0 if obj.kind == "maximize" else -1.0
            gain, best = sign * mu + _KAPPA * sd, float(np.max(sign * y))
        score += (gain - best) / scale
    score /= max(1, len(objectives))
    feasible = np.ones(len(table))
    for c in constraints:
        mu, sd, _, _ = pred[c.column]
        z = (c.value - mu) / np.maximum(sd, 1e-12)
        feasible *= norm.cdf(z) if c.op.startswith("<") else norm.cdf(-z)
    # a positive score is scaled down by infeasibility, a negative one pushed further down
    return np.where(score >= 0, score * feasible, score - (1 - feasible)), pred


# -- Optuna plumbing ------------------------------------------------------------------


def _distributions(space: Space) -> tuple[dict, str | None]:
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    last = space.mixture.components[-1] if space.mixture else None
    dists = {}
    for f in space.factors:
        if f.name == last:
            continue
        if f.type == "categorical":
            dists[f.name] = CategoricalDistribution([str(v) for v in f.levels])
        elif f.type == "integer":
            dists[f.name] = IntDistribution(int(np.ceil(f.low)), int(np.floor(f.high)))
        else:
            dists[f.name] = FloatDistribution(f.low, f.high) if f.high > f.low else FloatDistribution(f.low, f.low)
    return dists, last


def _row_from_params(space: Space, params: dict, last: str | None) -> dict:
    row = {}
    for f in space.factors:
        if f.name == last:
            continue
        v = params[f.name]
        if f.type == "categorical":
            row[f.name] = next(lv for lv in f.levels if str(lv) == v)
        else:
            row[f.name] = v
    if last is not None:
        others = [c for c in space.mixture.components if c != last]
        row[last] = space.mixture.total - sum(float(row[c]) for c in others)
    return {n: row[n] for n in space.names}


def _params_of(space: Space, row: dict | pd.Series, dists: dict) -> dict:
    params = {}
    for name, dist in dists.items():
        f = space.factor(name)
        if f.type == "categorical":
            params[name] = str(row[name])
        elif f.type == "integer":
            params[name] = int(np.clip(round(float(row[name])), dist.low, dist.high))
        else:
            params[name] = float(np.clip(float(row[name]), dist.low, dist.high))
    return params


def _space_violation(space: Space, row: dict, last: str | None) -> list[float]:
    """Constraint values (<= 0 feasible) the sampler sees: remainder bounds and linear constraints."""
    out = []
    if last is not None:
        f = space.factor(last)
        out += [f.low - float(row[last]), float(row[last]) - f.high]
    out += [c.value({k: float(row[k]) for k in c.coef}) for c in space.linear()]
    return out


def _sampler(name: str, seed: int):
    import optuna

    if name == "gp":
        return optuna.samplers.GPSampler(seed=seed, n_startup_trials=4)
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed, multivariate=True, n_startup_trials=4)


def _constraint_dict(values: list[float]) -> dict[str, float]:
    return {f"c{i}": float(v) for i, v in enumerate(values or [0.0])}


def propose_batch(
    space: Space,
    observed: pd.DataFrame,
    objectives: list[Objective],
    *,
    k: int,
    constraints: list[OutputConstraint] = (),
    candidates: pd.DataFrame | None = None,
    id_col: str | None = None,
    seed: int = 0,
    sampler: str = "tpe",
    alpha: float = 0.1,
    max_asks_per_row: int = 25,
    file: str | None = None,
) -> Proposal:
    """Propose ``k`` new experiments (see the module docstring).

    Parameters
    ----------
    observed : DataFrame, shape (n, ...)
        Factor columns and the measured objective/constraint columns.
    candidates : DataFrame, optional
        A finite pool (factor columns, plus ``id_col``): proposals are rows of it.
    sampler : {"tpe", "gp", "random"}

    Returns
    -------
    Proposal
        ``table`` has the factor columns (and ``id_col`` for a pool), ``predicted_<COL>``,
        ``lower_<COL>``, ``upper_<COL>`` per objective/constraint column, and ``acquisition``.

    Raises
    ------
    InputError
        Missing columns, an empty space (the conflicting constraints named), a pool
        with fewer than ``k`` unused feasible rows.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    constraints = list(constraints)
    responses = list(dict.fromkeys([o.column for o in objectives] + [c.column for c in constraints]))
    for c in responses:
        if c in space.names:
            raise InputError(f"{c!r} is a factor; objectives and constraints are measured responses", field=c)
    space.check_feasible(file)
    obs = check_observed(space, observed, responses, file=file)
    sur = fit_surrogate(space, obs, responses, alpha=alpha, seed=seed)
    seen = {_key(space, r) for _, r in obs.iterrows()}
    pool = _pool(space, candidates, id_col, seen, k) if candidates is not None else None

    dists, last = _distributions(space)

    study = optuna.create_study(directions=[o.direction for o in objectives], sampler=_sampler(sampler, seed))
    study.add_trials(_observed_trials(space, obs, objectives, constraints, dists, last))

    chosen: list[dict] = []
    asks = 0
    while len(chosen) < k and asks < max_asks_per_row * k:
        asks += 1
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # experimental-feature and independent-sampling chatter
            trial = study.ask(dists)
        row = _row_from_params(space, trial.params, last)
        if pool is not None:
            row = _snap(space, pool, row, {_key(space, c) for c in chosen})
        ok = row is not None and not space.violations(row, tol=MIXTURE_TOL) and _key(space, row) not in seen
        probe = row if row is not None else _row_from_params(space, trial.params, last)
        pred = sur.predict(pd.DataFrame([{n: probe[n] for n in space.names}]))
        values = [float(o.loss(pred[o.column][0])[0]) for o in objectives]
        viol = _space_violation(space, probe, last) + [float(c.violation(pred[c.column][0])[0]) for c in constraints]
        if not ok:
            viol = [max(v, 1e-6) for v in viol] if viol else [1.0]
        for key, value in _constraint_dict(viol).items():
            trial.set_constraint(key, value)
        study.tell(trial, values)
        if ok:
            seen.add(_key(space, row))
            chosen.append(row)
    filled = 0
    if len(chosen) < k:
        chosen, filled = _fill(space, sur, obs, objectives, constraints, chosen, seen, pool, k, seed)
    return _table(space, sur, obs, objectives, constraints, chosen, id_col, sampler, asks, filled, pool is not None)


def _observed_trials(space, obs, objectives, constraints, dists, last) -> list:
    """The observations as finished Optuna trials (rows with a level the space lacks are left out)."""
    import optuna

    trials = []
    for _, r in obs.iterrows():
        row = r.to_dict()
        if any(f.type == "categorical" and str(row[f.name]) not in map(str, f.levels) for f in space.factors):
            continue
        viol = _space_violation(space, row, last) + [
            float(c.violation(np.array([float(row[c.column])]))[0]) for c in constraints
        ]
        trials.append(
            optuna.trial.create_trial(
                params=_params_of(space, row, dists),
                distributions=dists,
                values=[float(o.loss(np.array([float(row[o.column])]))[0]) for o in objectives],
                constraints=_constraint_dict(viol),
            )
        )
    return trials


def _pool(space: Space, candidates: pd.DataFrame, id_col: str | None, seen: set, k: int) -> pd.DataFrame:
    missing = [c for c in space.names + ([id_col] if id_col else []) if c not in candidates.columns]
    if missing:
        raise InputError(f"candidate pool lacks column(s) {missing}", field=missing[0])
    keep = [
        not space.violations(r.to_dict(), tol=MIXTURE_TOL) and _key(space, r) not in seen
        for _, r in candidates.iterrows()
    ]
    pool = candidates.loc[keep].drop_duplicates(subset=space.names).reset_index(drop=True)
    if len(pool) < k:
        raise InputError(
            f"the candidate pool has {len(pool)} unobserved rows inside the space; the batch needs {k}",
            field="candidates",
        )
    return pool


def _snap(space: Space, pool: pd.DataFrame, row: dict, used: set) -> dict | None:
    """The nearest unused pool row to ``row`` (encoded distance), as a dict with the pool's columns."""
    X = encode(space, pool)
    x = encode(space, pd.DataFrame([row]))[0]
    order = np.argsort(((X - x) ** 2).sum(axis=1), kind="stable")
    for i in order:
        cand = pool.iloc[int(i)].to_dict()
        if _key(space, cand) not in used:
            return cand
    return None


def _fill(space, sur, obs, objectives, constraints, chosen, seen, pool, k, seed):
    """Complete the batch with the best-scoring feasible unseen points (pool rows or Sobol points)."""
    cand = pool if pool is not None else sample_feasible(space, 4096, seed=seed + 1)
    score, _ = acquisition(sur, obs, objectives, constraints, cand[space.names])
    filled = 0
    for i in np.argsort(-score, kind="stable"):
        if len(chosen) >= k:
            break
        row = cand.iloc[int(i)].to_dict()
        if _key(space, row) in seen or space.violations(row, tol=MIXTURE_TOL):
            continue
        seen.add(_key(space, row))
        chosen.append(row)
        filled += 1
    if len(chosen) < k:
        raise InputError(
            f"found only {len(chosen)} distinct feasible new points for a batch of {k}; widen the space", field="batch"
        )
    return chosen, filled


def _table(space, sur, obs, objectives, constraints, chosen, id_col, sampler, asks, filled, from_pool) -> Proposal:
    cols = ([id_col] if id_col else []) + space.names
    table = pd.DataFrame([{c: r.get(c) for c in cols} for r in chosen])
    if space.mixture is not None and not from_pool:  # the remainder absorbs rounding: totals exact to float precision
        comps = space.mixture.components
        table[comps[-1]] = space.mixture.total - table[comps[:-1]].astype(float).sum(axis=1)
    score, pred = acquisition(sur, obs, objectives, constraints, table[space.names])
    for col, (mu, _, lo, hi) in pred.items():
        table[f"predicted_{col}"], table[f"lower_{col}"], table[f"upper_{col}"] = mu, lo, hi
    table["acquisition"] = score
    notes = list(sur.notes)
    if filled:
        notes.append(f"{filled} of {len(table)} rows filled from feasible points ranked by acquisition")
    return Proposal(table, sampler, asks, filled, notes)
