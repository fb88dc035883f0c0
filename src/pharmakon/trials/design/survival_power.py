"""Power of a (group-sequential) log-rank test for given events and subjects (rpact ``getPowerSurvival``).

With ``D`` maximum events and allocation ratio ``r`` the log-rank statistic at stage
``k`` is approximately ``N(drift sqrt(t_k), 1)`` with

* Schoenfeld: ``drift = sqrt(D r) / (1 + r) * (log HR - log theta0)``
* Freedman: ``drift = sqrt(D r) (HR - 1) / (1 + r HR)``
* Hsieh-Freedman: ``drift = 2 sqrt(D r) / (1 + r) * (HR - 1) / (1 + HR)``

(sign flipped when ``direction_upper`` is false); the stage probabilities come from
the design's recursive integration. Timing follows
:mod:`~pharmakon.trials.design.survival_model`: given ``max_number_of_subjects`` (or
absolute accrual intensities) the analysis times are when the expected events reach
``t_k D`` and the follow-up is what remains after the end of accrual (negative when the
last analysis comes before accrual ends).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from pharmakon.errors import InputError
from pharmakon.trials.design.characteristics import stage_probabilities
from pharmakon.trials.design.groupsequential import GroupSequentialDesign
from pharmakon.trials.design.survival import TYPES_OF_COMPUTATION, _median, hazards
from pharmakon.trials.design.survival_model import Accrual, ArmHazard, resolve_accrual, solve_time

__all__ = ["power_survival"]


def power_survival(
    design: GroupSequentialDesign,
    max_number_of_events: float,
    max_number_of_subjects: float | None = None,
    *,
    hazard_ratio: float | None = None,
    lambda2: float | Sequence[float] | None = None,
    lambda1: float | Sequence[float] | None = None,
    pi1: float | None = None,
    pi2: float | None = None,
    piecewise_survival_time: Sequence[float] | None = None,
    event_time: float = 12.0,
    accrual_time: float | Sequence[float] = (0.0, 12.0),
    accrual_intensity: float | Sequence[float] | None = None,
    allocation_ratio: float = 1.0,
    dropout_rate1: float = 0.0,
    dropout_rate2: float = 0.0,
    dropout_time: float = 12.0,
    theta_h0: float = 1.0,
    direction_upper: bool = True,
    type_of_computation: str = "Schoenfeld",
) -> dict[str, Any]:
    """Power, stopping probabilities and timing for ``max_number_of_events`` events.

    Parameters
    ----------
    max_number_of_events : float
        Events at the final analysis (> 0).
    max_number_of_subjects : float, optional
        Subjects recruited in all (needed unless the accrual intensities are absolute
        over a closed period).
    direction_upper : bool
        True: H1 is ``HR > theta_h0`` (rpact's default); False: ``HR < theta_h0``.

    Returns
    -------
    dict
        ``overall_reject``, ``reject_per_stage``, ``futility_per_stage``, ``early_stop``,
        ``expected_number_of_events``, ``expected_number_of_subjects``,
        ``analysis_times``, ``study_duration``, ``max_study_duration``,
        ``follow_up_time``, ``number_of_subjects`` (by each analysis),
        ``critical_values_effect_scale``, ``accrual_intensity``, ``hazard_ratio``,
        ``lambda1``, ``lambda2``, ``median1``, ``median2``, ``assumptions``.
    """
    if type_of_computation not in TYPES_OF_COMPUTATION:
        raise InputError(
            f"type_of_computation must be one of {', '.join(TYPES_OF_COMPUTATION)}, got {type_of_computation!r}",
            field="type_of_computation",
        )
    if not max_number_of_events > 0:
        raise InputError(f"max_number_of_events must be > 0, got {max_number_of_events}", field="max_number_of_events")
    r = allocation_ratio
    if not r > 0:
        raise InputError(f"allocation_ratio must be > 0, got {r}", field="allocation_ratio")
    if theta_h0 != 1.0 and type_of_computation != "Schoenfeld":
        raise InputError("theta_h0 != 1 needs type_of_computation='Schoenfeld'", field="theta_h0")
    starts, lam1, lam2, hr = hazards(hazard_ratio, lambda2, lambda1, pi1, pi2, event_time, piecewise_survival_time)
    times, inten, relative = resolve_accrual(accrual_time, accrual_intensity, max_number_of_subjects)
    if relative or len(times) != len(inten) + 1:
        raise InputError(
            "give max_number_of_subjects, or absolute accrual intensities over a closed period",
            field="max_number_of_subjects",
        )
    accrual = Accrual(tuple(times), tuple(inten))
    gam = [-np.log(1 - x) / dropout_time if x > 0 else 0.0 for x in (dropout_rate1, dropout_rate2)]
    arms = [ArmHazard(starts, tuple(lam1), gam[0]), ArmHazard(starts, tuple(lam2), gam[1])]
    shares = [r / (1 + r), 1 / (1 + r)]
    d = float(max_number_of_events)
    t = np.asarray(design.information_rates)
    at = np.array([solve_time(d * x, accrual, arms, shares) for x in t])
    sign = 1.0 if direction_upper else -1.0
    if type_of_computation == "Schoenfeld":
        drift = np.sqrt(d * r) / (1 + r) * (np.log(hr) - np.log(theta_h0))
    elif type_of_computation == "Freedman":
        drift = np.sqrt(d * r) * (hr - 1) / (1 + r * hr)
    else:
        drift = 2 * np.sqrt(d * r) / (1 + r) * (hr - 1) / (1 + hr)
    probs = stage_probabilities(design, sign * drift, two_sided_power=True)
    reject, futility = np.asarray(probs["reject"]), np.asarray(probs["futility"])
    early = np.asarray(probs["stop"])[:-1]
    stop = np.concatenate((early, [1.0 - early.sum()]))
    recruited = np.array([accrual.recruited(x) for x in at])
    c = np.asarray(design.critical_values)
    cv = np.exp(np.log(theta_h0) + sign * c * (1 + r) / np.sqrt(r * d * t))
    return {
        "overall_reject": float(reject.sum()),
        "reject_per_stage": [float(x) for x in reject],
        "futility_per_stage": [float(x) for x in futility[:-1]],
        "early_stop": float(early.sum()),
        "expected_number_of_events": float(stop @ (d * t)),
        "expected_number_of_subjects": float(stop @ recruited),
        "analysis_times": [float(x) for x in at],
        "study_duration": float(stop @ at),
        "max_study_duration": float(at[-1]),
        "follow_up_time": float(at[-1] - accrual.end),
        "number_of_subjects": [float(x) for x in recruited],
        "critical_values_effect_scale": [float(x) for x in cv],
        "accrual_intensity": float(inten[-1]),
        "hazard_ratio": hr,
        "lambda1": float(lam1[0]) if lam1.size == 1 else lam1.tolist(),
        "lambda2": float(lam2[0]) if lam2.size == 1 else lam2.tolist(),
        "median1": _median(arms[0]),
        "median2": _median(arms[1]),
        "assumptions": [
            f"log-rank test, {type_of_computation} drift",
            "piecewise-exponential survival (proportional hazards), exponential dropout, piecewise accrual",
        ],
    }
