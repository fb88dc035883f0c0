"""Estimate chosen parameters of a PBPK spec from observed concentration-time data.

Least squares on log concentrations (:func:`scipy.optimize.least_squares`, trust-region
reflective) over log parameters, so every estimate stays positive and a fold error counts
the same at high and low concentrations. The Jacobian is taken by forward differences; the
perturbed parameter sets are simulated together as subjects of one stacked solve.

Standard errors: cov(log theta) = s^2 (J^T J)^-1 with s^2 = RSS / (m - p) at the optimum;
SE(theta) = theta * SE(log theta) (delta method), reported with the CV%.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

from pharmakon.errors import InputError
from pharmakon.nano.delivery.pbpk import compile_system, solve_states, states_to_amounts
from pharmakon.nano.delivery.pbpk_spec import VARIABLE_PARAMETERS, PBPKSpec, parameter_value

__all__ = ["FitOutcome", "fit_parameters", "check_observations", "predicted_concentrations"]

#: Forward-difference step on log parameters.
_STEP = 1e-4
#: How far (factor) an estimate may move from its start value, either way.
_SPAN = 1e4


@dataclass
class FitOutcome:
    """Estimates (``estimates``: name -> value; ``standard_errors``: name -> SE) and the fit's table.

    ``table`` has one row per observation: time, compartment, observed, predicted (amount/L).
    """

    estimates: dict[str, float]
    initial: dict[str, float]
    standard_errors: dict[str, float]
    rss: float
    n_observations: int
    converged: bool
    message: str
    table: pd.DataFrame


def check_observations(frame: pd.DataFrame, spec: PBPKSpec, file: str | None = None) -> pd.DataFrame:
    """Columns ``time`` (h), ``compartment``, ``concentration`` (amount/L, > 0); returns them cleaned.

    Raises
    ------
    InputError
        A missing column, an unknown compartment, a non-positive time or concentration (row named).
    """
    for c in ("time", "compartment", "concentration"):
        if c not in frame.columns:
            raise InputError(f"observations need columns time, compartment, concentration; {c!r} missing", file=file)
    obs = frame[["time", "compartment", "concentration"]].copy()
    obs["compartment"] = obs["compartment"].astype(str).str.strip()
    for c in ("time", "concentration"):
        obs[c] = pd.to_numeric(obs[c], errors="coerce")
        bad = ~(obs[c] > 0) | ~np.isfinite(obs[c])
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(f"{c} must be a number > 0", file=file, row=row + 1, field=c)
    unknown = ~obs["compartment"].isin(spec.names)
    if unknown.any():
        row = int(np.flatnonzero(unknown.to_numpy())[0])
        raise InputError(
            f"unknown compartment {obs['compartment'].iloc[row]!r}; the spec has {spec.names}",
            file=file,
            row=row + 1,
            field="compartment",
        )
    if len(obs) < 2:
        raise InputError("at least 2 observations are needed", file=file)
    return obs.reset_index(drop=True)


def predicted_concentrations(spec: PBPKSpec, params: pd.DataFrame, obs: pd.DataFrame) -> np.ndarray:
    """Model concentrations (amount/L of each compartment) at the observations, shape (n_sets, m)."""
    times = np.unique(np.concatenate([[0.0], obs["time"].to_numpy(float)]))
    system = compile_system(spec, params)
    states = solve_states(system, times, spec.solver.rtol, spec.solver.atol, spec.solver.max_evaluations)
    amounts = states_to_amounts(system, states)[0]
    volumes = {}
    for c in spec.compartments:
        key = f"{c.name}.volume"
        volumes[c.name] = params[key].to_numpy(float) if key in params else np.full(len(params), c.volume)
    ti = np.searchsorted(times, obs["time"].to_numpy(float))
    ci = np.array([spec.names.index(c) for c in obs["compartment"]])
    vol = np.stack([volumes[c] for c in obs["compartment"]], axis=1)
    return amounts[:, ti, ci] / vol


def _check_names(spec: PBPKSpec, names: list[str]) -> dict[str, float]:
    by_name = {c.name: c for c in spec.compartments}
    start = {}
    for key in names:
        comp, _, param = key.partition(".")
        if comp not in by_name or param not in VARIABLE_PARAMETERS:
            raise InputError(
                f"cannot fit {key!r}: give 'compartment.parameter' with a compartment of the spec and one of "
                f"{', '.join(VARIABLE_PARAMETERS)}",
                field="parameters",
            )
        value = parameter_value(by_name[comp], param)
        if value is None or value <= 0:
            raise InputError(f"{key} has no positive value in the spec to start from", field="parameters")
        start[key] = float(value)
    return start


def fit_parameters(
    spec: PBPKSpec, obs: pd.DataFrame, names: list[str], *, max_iterations: int = 50, exact: bool = False
) -> FitOutcome:
    """Fit ``names`` ('comp.param') to ``obs`` (see :func:`check_observations`).

    ``exact``: as many observations as parameters is allowed (solving for targets; no SEs).

    Raises
    ------
    InputError
        An unknown parameter, or fewer observations than parameters + 1.
    """
    start = _check_names(spec, names)
    if len(obs) < len(names) + (0 if exact else 1):
        raise InputError(f"{len(obs)} observations cannot estimate {len(names)} parameters", field="observations")
    log_obs = np.log(obs["concentration"].to_numpy(float))
    x0 = np.log(np.array(list(start.values())))

    def frame(xs: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(np.exp(np.atleast_2d(xs)), columns=names)

    def residuals(x: np.ndarray) -> np.ndarray:
        pred = predicted_concentrations(spec, frame(x), obs)[0]
        return np.log(np.maximum(pred, 1e-300)) - log_obs

    def jacobian(x: np.ndarray) -> np.ndarray:
        sets = np.vstack([x, x + _STEP * np.eye(len(x))])  # all perturbations in one stacked solve
        pred = np.log(np.maximum(predicted_concentrations(spec, frame(sets), obs), 1e-300))
        return ((pred[1:] - pred[0]) / _STEP).T

    # each estimate stays within 4 decades of its start: beyond, the ODE becomes needlessly stiff
    span = np.log(_SPAN)
    res = least_squares(
        residuals, x0, jac=jacobian, method="trf", max_nfev=max_iterations, bounds=(x0 - span, x0 + span)
    )
    m, p = len(log_obs), len(names)
    rss = float(np.sum(res.fun**2))
    try:
        cov = np.linalg.inv(res.jac.T @ res.jac) * rss / max(m - p, 1)
        se_log = np.sqrt(np.clip(np.diag(cov), 0, None))
    except np.linalg.LinAlgError:
        se_log = np.full(p, np.nan)
    est = np.exp(res.x)
    table = obs.rename(columns={"concentration": "observed"}).copy()
    table["predicted"] = predicted_concentrations(spec, frame(res.x), obs)[0]
    return FitOutcome(
        estimates=dict(zip(names, map(float, est))),
        initial=start,
        standard_errors=dict(zip(names, map(float, est * se_log))),
        rss=rss,
        n_observations=m,
        converged=bool(res.success),
        message=str(res.message),
        table=table,
    )
