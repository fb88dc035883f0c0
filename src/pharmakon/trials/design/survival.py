"""Sample size for survival endpoints: events (Schoenfeld, Freedman, Hsieh-Freedman) and subjects.

Events for the log-rank test, ``z = z_{1-alpha/sided} + z_{1-beta}``, ``r = n1/n2``:

* Schoenfeld: ``D = z^2 (1 + r)^2 / (r (log HR - log theta0)^2)``
* Freedman: ``D = z^2 (1 + r HR)^2 / (r (1 - HR)^2)``
* Hsieh-Freedman: ``D = z^2 (1 + r)^2 (1 + HR)^2 / (4 r (1 - HR)^2)``

times the design's inflation factor. Subjects and timing follow
:mod:`~pharmakon.trials.design.survival_model`: piecewise-exponential hazards
(proportional, ``lambda1 = HR lambda2``), exponential dropout per arm and piecewise
accrual, as rpact's ``getSampleSizeSurvival``. Three ways to close the design:

* accrual end fixed, intensities relative (or none): the follow-up is given and the
  number of subjects ``N`` makes the expected events at ``A + f`` equal the maximum;
* ``N`` fixed (absolute intensities over a closed period, or ``max_number_of_subjects``):
  the follow-up is solved for;
* open-ended accrual with an absolute intensity and a given follow-up: the accrual
  end (hence ``N``) is solved for.

Each interim happens when the expected events reach ``t_k D``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.optimize import brentq
from scipy.special import ndtri

from pharmakon.errors import InputError
from pharmakon.trials.design.characteristics import design_characteristics, stage_probabilities
from pharmakon.trials.design.groupsequential import GroupSequentialDesign
from pharmakon.trials.design.samplesize import SampleSizeResult
from pharmakon.trials.design.survival_model import (
    Accrual,
    ArmHazard,
    expected_events_at,
    resolve_accrual,
    solve_time,
)

__all__ = ["sample_size_survival", "event_probability", "hazards", "TYPES_OF_COMPUTATION"]

TYPES_OF_COMPUTATION = ("Schoenfeld", "Freedman", "HsiehFreedman")


def event_probability(hazard: float, accrual_time: float, follow_up_time: float, dropout_hazard: float = 0.0) -> float:
    """P(event observed by study end), uniform accrual on [0, a], follow-up f, exponential event and dropout."""
    arm = ArmHazard((0.0,), (hazard,), dropout_hazard)
    acc = Accrual((0.0, accrual_time), (1.0 / accrual_time,))
    return expected_events_at(accrual_time + follow_up_time, acc, [arm], [1.0])


def _hazard(rate: float | None, event_time: float, name: str) -> float | None:
    if rate is None:
        return None
    if not 0 < rate < 1:
        raise InputError(f"{name} must be in (0, 1), got {rate}", field=name)
    return -np.log(1 - rate) / event_time


def hazards(
    hazard_ratio: float | None,
    lambda2: float | Sequence[float] | None,
    lambda1: float | Sequence[float] | None,
    pi1: float | None,
    pi2: float | None,
    event_time: float,
    piecewise_survival_time: Sequence[float] | None,
) -> tuple[tuple[float, ...], np.ndarray, np.ndarray, float]:
    """Resolve the hazard inputs -> ``(piece starts, lambda1, lambda2, hazard ratio)`` (proportional hazards)."""
    starts = tuple(float(x) for x in (piecewise_survival_time or [0.0]))
    if starts[0] != 0 or np.any(np.diff(starts) <= 0):
        raise InputError(
            f"piecewise_survival_time must start at 0 and increase, got {list(starts)}", field="piecewise_survival_time"
        )
    l1 = _hazard(pi1, event_time, "pi1")
    l2 = _hazard(pi2, event_time, "pi2")
    lam2 = (
        np.atleast_1d(np.asarray(l2 if l2 is not None else lambda2, dtype=float))
        if (l2 is not None or lambda2 is not None)
        else None
    )
    lam1 = (
        np.atleast_1d(np.asarray(l1 if l1 is not None else lambda1, dtype=float))
        if (l1 is not None or lambda1 is not None)
        else None
    )
    if lam1 is None and hazard_ratio is not None and lam2 is not None:
        lam1 = hazard_ratio * lam2
    if lam1 is None or lam2 is None or np.any(lam1 <= 0) or np.any(lam2 <= 0):
        raise InputError(
            "give hazard_ratio and lambda2 (> 0), lambda1 and lambda2, or pi1 and pi2", field="hazard_ratio"
        )
    if lam1.size != len(starts) or lam2.size != len(starts):
        raise InputError(f"need one hazard per piece of piecewise_survival_time ({len(starts)})", field="lambda2")
    ratio = lam1 / lam2
    if np.ptp(ratio) > 1e-10 * ratio.max():
        raise InputError(
            f"hazards must be proportional (lambda1 / lambda2 constant), got {ratio.tolist()}", field="lambda1"
        )
    return starts, lam1, lam2, float(ratio[0])


def sample_size_survival(
    design: GroupSequentialDesign,
    hazard_ratio: float | None = None,
    lambda2: float | Sequence[float] | None = None,
    *,
    lambda1: float | Sequence[float] | None = None,
    pi1: float | None = None,
    pi2: float | None = None,
    piecewise_survival_time: Sequence[float] | None = None,
    event_time: float = 12.0,
    accrual_time: float | Sequence[float] = 12.0,
    accrual_intensity: float | Sequence[float] | None = None,
    follow_up_time: float | None = 12.0,
    max_number_of_subjects: float | None = None,
    allocation_ratio: float = 1.0,
    dropout_rate1: float = 0.0,
    dropout_rate2: float = 0.0,
    dropout_time: float = 12.0,
    theta_h0: float = 1.0,
    type_of_computation: str = "Schoenfeld",
) -> SampleSizeResult:
    """Events and subjects for a log-rank test (rpact ``getSampleSizeSurvival`` analogue).

    Parameters
    ----------
    hazard_ratio, lambda2, lambda1 : float or sequence, optional
        H1 hazard ratio (treatment / control) and hazards per time unit (one per piece of
        ``piecewise_survival_time``); or give ``pi1``/``pi2``, event probabilities by
        ``event_time`` (exponential).
    piecewise_survival_time : sequence of float, optional
        Starts of the hazard pieces (first 0); default one piece.
    accrual_time, accrual_intensity : float or sequence
        Accrual end, or break points from 0 (see module docstring); intensities in
        patients per time unit (all < 1: relative).
    follow_up_time : float or None
        Follow-up after the end of accrual (solved for when ``N`` is fixed).
    max_number_of_subjects : float, optional
        Fixes ``N`` (the follow-up is then solved for).
    dropout_rate1, dropout_rate2 : float
        Probabilities of dropping out by ``dropout_time`` (exponential).
    theta_h0 : float
        Hazard ratio under H0 (non-inferiority margin; Schoenfeld only when != 1).
    type_of_computation : {"Schoenfeld", "Freedman", "HsiehFreedman"}

    Returns
    -------
    SampleSizeResult
        ``max_number_of_events``, ``events_per_stage``; ``number_of_subjects`` are the
        subjects recruited by each analysis; ``analysis_times``, ``follow_up_time``,
        ``accrual_time`` and the expected study duration under H1 are in ``extra``.

    Examples
    --------
    >>> from pharmakon.trials.design import design_group_sequential
    >>> d = design_group_sequential(kmax=1, alpha=0.025, beta=0.1)
    >>> round(sample_size_survival(d, 0.75, np.log(2) / 12, accrual_time=24).max_number_of_events, 3)
    507.844
    """
    if type_of_computation not in TYPES_OF_COMPUTATION:
        raise InputError(
            f"type_of_computation must be one of {', '.join(TYPES_OF_COMPUTATION)}, got {type_of_computation!r}",
            field="type_of_computation",
        )
    starts, lam1, lam2, hr = hazards(hazard_ratio, lambda2, lambda1, pi1, pi2, event_time, piecewise_survival_time)
    if abs(hr - theta_h0) < 1e-12:
        raise InputError(
            f"hazard_ratio equals theta_h0 = {theta_h0}: no number of events gives power > alpha", field="hazard_ratio"
        )
    if follow_up_time is not None and follow_up_time < 0:
        raise InputError(f"follow_up_time must be >= 0, got {follow_up_time}", field="follow_up_time")
    if theta_h0 != 1.0 and type_of_computation != "Schoenfeld":
        raise InputError("theta_h0 != 1 needs type_of_computation='Schoenfeld'", field="theta_h0")
    r = allocation_ratio
    if not r > 0:
        raise InputError(
            f"allocation_ratio must be > 0 (optimum allocation is not implemented), got {r}", field="allocation_ratio"
        )
    z2 = float(ndtri(1.0 - design.alpha / design.sided) + ndtri(1.0 - design.beta)) ** 2
    if type_of_computation == "Schoenfeld":
        d_fixed = z2 * (1 + r) ** 2 / (r * (np.log(hr) - np.log(theta_h0)) ** 2)
    elif type_of_computation == "Freedman":
        d_fixed = z2 * (1 + r * hr) ** 2 / (r * (1 - hr) ** 2)
    else:
        d_fixed = z2 * (1 + r) ** 2 * (1 + hr) ** 2 / (4 * r * (1 - hr) ** 2)
    ch = design_characteristics(design)
    d_max = d_fixed * ch.inflation_factor
    gam = [-np.log(1 - x) / dropout_time if x > 0 else 0.0 for x in (dropout_rate1, dropout_rate2)]
    arms = [ArmHazard(starts, tuple(lam1), gam[0]), ArmHazard(starts, tuple(lam2), gam[1])]
    shares = [r / (1 + r), 1 / (1 + r)]
    accrual, study_end = _close_design(
        d_max, arms, shares, accrual_time, accrual_intensity, follow_up_time, max_number_of_subjects
    )
    n_max = accrual.total
    t = np.asarray(design.information_rates)
    times = np.array([solve_time(d_max * x, accrual, arms, shares) for x in t[:-1]] + [study_end])
    drift = np.sqrt(ch.shift)
    h1 = stage_probabilities(design, drift)
    early = (h1["reject"] + h1["futility"])[:-1]  # rpact: duration counts upper/futility stops only
    stop = np.concatenate((early, [1.0 - early.sum()]))
    c = np.asarray(design.critical_values)
    sign = 1.0 if hr > theta_h0 else -1.0
    se = (1 + r) / np.sqrt(r * d_max * t)
    exp_d = [
        float(stage_probabilities(design, d)["expected_information_rate"]) * d_max for d in (0.0, drift / 2, drift)
    ]
    recruited = np.array([accrual.recruited(x) for x in times])
    return SampleSizeResult(
        endpoint="survival",
        groups=2,
        allocation_ratio=r,
        max_number_of_subjects=float(n_max),
        number_of_subjects=[float(x) for x in recruited],
        expected_number_h0=exp_d[0],
        expected_number_h01=exp_d[1],
        expected_number_h1=exp_d[2],
        reject_per_stage=[float(x) for x in h1["reject"]],
        early_stop=float((h1["reject"] + h1["futility"])[:-1].sum()),
        critical_values_effect_scale=[float(x) for x in np.exp(np.log(theta_h0) + sign * c * se)],
        max_number_of_events=float(d_max),
        events_per_stage=[float(x) for x in d_max * t],
        extra={
            "hazard_ratio": hr,
            "lambda1": [float(x) for x in lam1] if lam1.size > 1 else float(lam1[0]),
            "lambda2": [float(x) for x in lam2] if lam2.size > 1 else float(lam2[0]),
            "median1": _median(arms[0]),
            "median2": _median(arms[1]),
            "accrual_intensity": float(accrual.intensities[-1]),
            "accrual_time": accrual.end,
            "follow_up_time": float(study_end - accrual.end),
            "analysis_times": [float(x) for x in times],
            "study_duration_h1": float(times @ stop),
            "expected_subjects_h1": float(recruited @ stop),
        },
        assumptions=[
            f"log-rank test, {type_of_computation} events formula",
            "piecewise-exponential survival (proportional hazards), exponential dropout, piecewise accrual",
            f"maximum events = fixed-design events x inflation factor {ch.inflation_factor:.6f}",
        ],
    )


def _median(arm: ArmHazard) -> float:
    """Median event time without dropout (time units)."""
    no_drop = ArmHazard(arm.starts, arm.hazards, 0.0)
    return float(brentq(lambda x: no_drop.cdf(x) - 0.5, 0.0, 1e7, xtol=1e-12))


def _close_design(
    d_max: float,
    arms: list[ArmHazard],
    shares: list[float],
    accrual_time: float | Sequence[float],
    accrual_intensity: float | Sequence[float] | None,
    follow_up_time: float | None,
    max_n: float | None,
) -> tuple[Accrual, float]:
    """Accrual and study end such that the expected events at the end equal ``d_max`` (module docstring)."""
    times, inten, relative = resolve_accrual(accrual_time, accrual_intensity, max_n)
    if len(times) == len(inten) + 1 and not relative:  # N fixed: solve the follow-up
        acc = Accrual(tuple(times), tuple(inten))
        return acc, solve_time(d_max, acc, arms, shares)
    f = 12.0 if follow_up_time is None else float(follow_up_time)
    if relative:  # end fixed, N free: scale the intensities
        unit = Accrual(tuple(times), tuple(np.asarray(inten) / np.dot(np.diff(times), inten)))
        n = d_max / expected_events_at(unit.end + f, unit, arms, shares)
        return Accrual(unit.times, tuple(np.asarray(unit.intensities) * n)), unit.end + f

    def events(end: float) -> float:
        acc = Accrual((*times, end), tuple(inten))
        return expected_events_at(end + f, acc, arms, shares) - d_max

    hi = times[-1] + 1.0
    while events(hi) < 0:
        hi = 2 * hi
        if hi > 1e9:
            raise InputError("accrual never yields the required events", field="accrual_intensity")
    end = float(brentq(events, times[-1] + 1e-12, hi, xtol=1e-13, rtol=4 * np.finfo(float).eps, maxiter=500))
    return Accrual((*times, end), tuple(inten)), end + f
