"""Analysis at an interim look: conditional power and repeated confidence intervals.

Conditional power continues the Armitage-McPherson-Rowe recursion from the observed
``Z_k = z`` (a point mass) through the remaining looks. Repeated confidence intervals
(Jennison & Turnbull 1989) use the design's critical values: at look ``k`` the
interval ``estimate +- c_k * se_k`` covers the true effect simultaneously over all
looks with probability ``1 - alpha`` (two-sided designs) or ``1 - 2 alpha`` (one-sided
designs, whose bounds are read as two-sided at level 2 alpha).

Stage-wise ordering (Jennison & Turnbull 2000, ch. 8): an outcome stopping at an
earlier look for efficacy is more extreme than any later one; within a look a larger
``Z`` is more extreme. The p-value is ``P_0(more extreme)`` and the median-unbiased
estimate of the drift solves ``P_drift(more extreme) = 0.5`` (futility bounds treated
as non-binding, i.e. ignored, as is usual for these quantities).

Sample-size re-estimation uses the inverse-normal combination test (Lehmacher &
Wassmer 1999): stage-wise p-values ``p_j`` are combined as
``Z_k = sum_j w_j z(p_j) / sqrt(sum_j w_j^2)`` with pre-fixed weights
``w_j = sqrt(t_j - t_{j-1})``, and compared with the design's boundaries, so the type I
error is preserved whatever the new stage sizes are.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq
from scipy.special import ndtri

from pharmakon.errors import InputError
from pharmakon.trials.design._integration import Recursion
from pharmakon.trials.design.groupsequential import GroupSequentialDesign

__all__ = [
    "conditional_power",
    "repeated_confidence_interval",
    "stagewise_p_value",
    "median_unbiased_drift",
    "inverse_normal_statistics",
    "reestimate_stage_size",
]


def _check_stage(design: GroupSequentialDesign, stage: int) -> None:
    if not 1 <= stage < design.kmax:
        raise InputError(f"stage must be an interim look in [1, {design.kmax - 1}], got {stage}", field="stage")


def conditional_power(design: GroupSequentialDesign, stage: int, z: float, drift: float | None = None) -> float:
    """P(reject H0 at a later look | Z_stage = z), futility bounds binding.

    Parameters
    ----------
    design : GroupSequentialDesign
    stage : int
        Look just analysed (1-based, < K).
    z : float
        Observed cumulative z statistic at that look.
    drift : float, optional
        Assumed drift ``delta`` (``E[Z_k] = delta sqrt(t_k)``); default: the current
        trend ``z / sqrt(t_stage)``.

    Returns
    -------
    float
        Conditional probability of crossing an upper efficacy boundary later
        (two-sided designs: either boundary).

    Examples
    --------
    >>> from pharmakon.trials.design import design_group_sequential
    >>> d = design_group_sequential(2, 0.025, type_of_design="OF")
    >>> round(conditional_power(d, 1, 1.5, drift=2.8), 4)
    0.7528
    """
    _check_stage(design, stage)
    t = np.asarray(design.information_rates)
    if drift is None:
        drift = z / np.sqrt(t[stage - 1])
    rec = Recursion(t, drift)
    rec.k, rec.z, rec.c = stage, np.array([float(z)]), np.array([1.0])
    c = np.asarray(design.critical_values)
    lower = np.full(design.kmax, -np.inf)
    if design.sided == 2:
        lower = -c
    elif design.futility_bounds is not None:
        lower[:-1] = [-np.inf if f <= -6 else f for f in design.futility_bounds]
    total = 0.0
    for k in range(stage, design.kmax):
        total += rec.upper_tail(c[k])
        if design.sided == 2:
            total += rec.lower_tail(-c[k])
        if k < design.kmax - 1:
            rec.advance(lower[k], c[k])
    return float(total)


def repeated_confidence_interval(
    design: GroupSequentialDesign, stage: int, estimate: float, standard_error: float
) -> tuple[float, float]:
    """Repeated confidence interval at look ``stage`` (1-based, up to K).

    Parameters
    ----------
    estimate : float
        Effect estimate at that look (endpoint units).
    standard_error : float
        Its standard error (> 0, same units).

    Returns
    -------
    (lower, upper) : tuple of float
    """
    if not 1 <= stage <= design.kmax:
        raise InputError(f"stage must be in [1, {design.kmax}], got {stage}", field="stage")
    if not standard_error > 0:
        raise InputError(f"standard_error must be > 0, got {standard_error}", field="standard_error")
    half = design.critical_values[stage - 1] * standard_error
    return float(estimate - half), float(estimate + half)


def _more_extreme(design: GroupSequentialDesign, stage: int, z: float, drift: float) -> float:
    """P_drift(outcome at least as extreme as (stage, z)) in the stage-wise ordering (one-sided)."""
    t = np.asarray(design.information_rates)
    c = np.asarray(design.critical_values)
    rec = Recursion(t, drift)
    total = 0.0
    for k in range(stage - 1):
        total += rec.upper_tail(c[k])
        rec.advance(-np.inf, c[k])
    return float(total + rec.upper_tail(z))


def stagewise_p_value(design: GroupSequentialDesign, stage: int, z: float) -> float:
    """One-sided p-value in the stage-wise ordering for a trial stopped at ``stage`` with ``Z = z``.

    Examples
    --------
    >>> from pharmakon.trials.design import design_group_sequential
    >>> d = design_group_sequential(3, 0.025, type_of_design="OF")
    >>> round(stagewise_p_value(d, 1, 3.6), 6)  # stopping at look 1: the fixed-sample p-value
    0.000159
    """
    if not 1 <= stage <= design.kmax or design.sided != 1:
        raise InputError(f"stage must be in [1, {design.kmax}] (one-sided designs), got {stage}", field="stage")
    return _more_extreme(design, stage, z, 0.0)


def median_unbiased_drift(design: GroupSequentialDesign, stage: int, z: float, level: float = 0.5) -> float:
    """Drift ``delta`` with ``P_delta(more extreme) = level`` (0.5: median-unbiased estimate).

    Divide by ``sqrt(I_max)`` to get the effect. ``level = alpha`` and ``1 - alpha`` give the
    bounds of a one-sided confidence interval in the stage-wise ordering.
    """
    if not 1 <= stage <= design.kmax or design.sided != 1:
        raise InputError(f"stage must be in [1, {design.kmax}] (one-sided designs), got {stage}", field="stage")
    return float(brentq(lambda d: _more_extreme(design, stage, z, d) - level, -20.0, 20.0, xtol=1e-10))


def inverse_normal_statistics(p_values: np.ndarray, information_rates: np.ndarray) -> np.ndarray:
    """Combined ``Z_k`` of the inverse-normal test for stage-wise one-sided p-values.

    Parameters
    ----------
    p_values : ndarray, shape (..., k)
        Stage-wise (not cumulative) one-sided p-values of the first ``k`` stages.
    information_rates : ndarray, shape (K,)
        Planned rates; weights ``sqrt(t_j - t_{j-1})`` are fixed by the design.
    """
    p = np.asarray(p_values, dtype=float)
    k = p.shape[-1]
    t = np.asarray(information_rates, dtype=float)
    w = np.sqrt(np.diff(np.concatenate(([0.0], t))))[:k]
    return np.cumsum(w * ndtri(1.0 - p), axis=-1) / np.sqrt(np.cumsum(w**2))


def reestimate_stage_size(
    design: GroupSequentialDesign,
    stage: int,
    z: float,
    drift_per_unit: float,
    target_power: float = 0.9,
    n_min: float = 1.0,
    n_max: float = 1e6,
) -> float:
    """Units of information for the next stage giving conditional power ``target_power``.

    The next stage is tested with the inverse-normal combination at its planned weight,
    so its size may be changed freely: the critical value ``c_{k+1}`` stays valid. Here
    the conditional power of *that stage alone* crossing ``c_{k+1}`` is targeted.

    Parameters
    ----------
    z : float
        Combined statistic at ``stage``.
    drift_per_unit : float
        Assumed standardised effect per sqrt(unit of information), e.g. ``delta / sigma``
        times ``sqrt(1/4)`` per patient in a 1:1 two-arm trial.
    """
    if not 1 <= stage < design.kmax:
        raise InputError(f"stage must be an interim look in [1, {design.kmax - 1}], got {stage}", field="stage")
    if not 0 < target_power < 1 or not drift_per_unit > 0:
        raise InputError("target_power must be in (0, 1) and drift_per_unit > 0", field="target_power")
    t = np.asarray(design.information_rates)
    w_old = np.sqrt(t[stage - 1])
    w_new = np.sqrt(t[stage] - t[stage - 1])
    c = design.critical_values[stage]
    # combined Z_{k+1} = (w_old z + w_new z_new) / sqrt(t_{k+1}) >= c  <=>  z_new >= needed
    needed = (c * np.sqrt(t[stage]) - w_old * z) / w_new
    n = ((needed + ndtri(target_power)) / drift_per_unit) ** 2 if needed + ndtri(target_power) > 0 else n_min
    return float(np.clip(n, n_min, n_max))
