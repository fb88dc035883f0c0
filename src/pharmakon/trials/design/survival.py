"""Sample size for survival endpoints: events (Schoenfeld, Freedman, Hsieh-Freedman) and subjects.

Events for the log-rank test, ``z = z_{1-alpha/sided} + z_{1-beta}``, ``r = n1/n2``:

* Schoenfeld: ``D = z^2 (1 + r)^2 / (r (log HR - log theta0)^2)``
* Freedman: ``D = z^2 (1 + r HR)^2 / (r (1 - HR)^2)``
* Hsieh-Freedman: ``D = z^2 (1 + r)^2 (1 + HR)^2 / (4 r (1 - HR)^2)``

times the design's inflation factor. Subjects: uniform accrual on ``[0, a]``, then
``f`` of follow-up; exponential event hazards ``lambda_i`` and exponential dropout
hazards ``gamma_i`` per arm (competing risks), so the expected number of events by
calendar time ``tau`` is ``sum_i N_i/a * lambda_i/h_i * int_0^min(a, tau) (1 - exp(-h_i (tau - u))) du``
with ``h_i = lambda_i + gamma_i``. ``N`` makes the events at ``a + f`` equal the maximum,
and each interim happens when the expected events reach ``t_k D``.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq
from scipy.special import ndtri

from pharmakon.errors import InputError
from pharmakon.trials.design.characteristics import design_characteristics, stage_probabilities
from pharmakon.trials.design.groupsequential import GroupSequentialDesign
from pharmakon.trials.design.samplesize import SampleSizeResult

__all__ = ["sample_size_survival", "expected_events", "event_probability", "TYPES_OF_COMPUTATION"]

TYPES_OF_COMPUTATION = ("Schoenfeld", "Freedman", "HsiehFreedman")


def expected_events(tau: float, n1: float, n2: float, lam: tuple[float, float], gam: tuple[float, float],
                    accrual_time: float) -> float:  # fmt: skip
    """Expected events by calendar time ``tau`` (same time unit as the hazards)."""
    total = 0.0
    for n, lm, g in ((n1, lam[0], gam[0]), (n2, lam[1], gam[1])):
        h = lm + g
        m = min(accrual_time, tau)
        integral = m - (np.exp(-h * (tau - m)) - np.exp(-h * tau)) / h
        total += n / accrual_time * lm / h * integral
    return float(total)


def event_probability(hazard: float, accrual_time: float, follow_up_time: float, dropout_hazard: float = 0.0) -> float:
    """P(event observed by study end), uniform accrual on [0, a], follow-up f, exponential event and dropout."""
    return expected_events(accrual_time + follow_up_time, 1.0, 0.0, (hazard, 1.0), (dropout_hazard, 0.0), accrual_time)


def _hazard(rate: float | None, event_time: float, name: str) -> float | None:
    if rate is None:
        return None
    if not 0 < rate < 1:
        raise InputError(f"{name} must be in (0, 1), got {rate}", field=name)
    return -np.log(1 - rate) / event_time


def sample_size_survival(
    design: GroupSequentialDesign,
    hazard_ratio: float | None = None,
    lambda2: float | None = None,
    *,
    pi1: float | None = None,
    pi2: float | None = None,
    event_time: float = 12.0,
    accrual_time: float = 12.0,
    follow_up_time: float = 12.0,
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
    hazard_ratio, lambda2 : float, optional
        H1 hazard ratio (treatment / control) and control hazard per time unit; or give
        ``pi1``/``pi2``, the event probabilities by ``event_time``.
    accrual_time, follow_up_time : float
        Uniform accrual duration and follow-up after the end of accrual (time units).
    dropout_rate1, dropout_rate2 : float
        Probabilities of dropping out by ``dropout_time`` (exponential).
    theta_h0 : float
        Hazard ratio under H0 (non-inferiority margin; Schoenfeld only when != 1).
    type_of_computation : {"Schoenfeld", "Freedman", "HsiehFreedman"}

    Returns
    -------
    SampleSizeResult
        ``max_number_of_events``, ``events_per_stage``; ``number_of_subjects`` are the
        subjects recruited by each analysis; ``analysis_times`` and the expected study
        duration under H1 are in ``extra``.

    Examples
    --------
    >>> from pharmakon.trials.design import design_group_sequential
    >>> d = design_group_sequential(kmax=1, alpha=0.025, beta=0.1)
    >>> round(sample_size_survival(d, 0.75, np.log(2) / 12, accrual_time=24).max_number_of_events, 3)
    507.844
    """
    if type_of_computation not in TYPES_OF_COMPUTATION:
        raise InputError(f"type_of_computation must be one of {', '.join(TYPES_OF_COMPUTATION)}, "
                         f"got {type_of_computation!r}", field="type_of_computation")  # fmt: skip
    lam1, lam2 = _hazard(pi1, event_time, "pi1"), _hazard(pi2, event_time, "pi2")
    if lam2 is None:
        lam2 = lambda2
    if lam1 is None and hazard_ratio is not None and lam2 is not None:
        lam1 = hazard_ratio * lam2
    if lam1 is None or lam2 is None or not (lam1 > 0 and lam2 > 0):
        raise InputError("give hazard_ratio and lambda2 (> 0), or pi1 and pi2", field="hazard_ratio")
    hr = lam1 / lam2
    if hr == theta_h0:
        raise InputError(f"hazard_ratio equals theta_h0 = {theta_h0}: no number of events gives power > alpha",
                         field="hazard_ratio")  # fmt: skip
    if not accrual_time > 0 or follow_up_time < 0:
        raise InputError("accrual_time must be > 0 and follow_up_time >= 0", field="accrual_time")
    if theta_h0 != 1.0 and type_of_computation != "Schoenfeld":
        raise InputError("theta_h0 != 1 needs type_of_computation='Schoenfeld'", field="theta_h0")
    r = allocation_ratio
    if not r > 0:
        raise InputError(f"allocation_ratio must be > 0 (optimum allocation is not implemented), got {r}",
                         field="allocation_ratio")  # fmt: skip
    z2 = float(ndtri(1.0 - design.alpha / design.sided) + ndtri(1.0 - design.beta)) ** 2
    if type_of_computation == "Schoenfeld":
        d_fixed = z2 * (1 + r) ** 2 / (r * (np.log(hr) - np.log(theta_h0)) ** 2)
    elif type_of_computation == "Freedman":
        d_fixed = z2 * (1 + r * hr) ** 2 / (r * (1 - hr) ** 2)
    else:
        d_fixed = z2 * (1 + r) ** 2 * (1 + hr) ** 2 / (4 * r * (1 - hr) ** 2)
    ch = design_characteristics(design)
    d_max = d_fixed * ch.inflation_factor
    t = np.asarray(design.information_rates)
    gam = tuple(-np.log(1 - x) / dropout_time if x > 0 else 0.0 for x in (dropout_rate1, dropout_rate2))
    study_end = accrual_time + follow_up_time
    per_subject = expected_events(study_end, r / (1 + r), 1 / (1 + r), (lam1, lam2), gam, accrual_time)
    n_max = d_max / per_subject
    n1, n2 = n_max * r / (1 + r), n_max / (1 + r)

    def time_for(events: float) -> float:
        return brentq(lambda x: expected_events(x, n1, n2, (lam1, lam2), gam, accrual_time) - events, 1e-9,
                      study_end, xtol=1e-12)  # fmt: skip

    times = np.array([time_for(d_max * x) for x in t[:-1]] + [study_end])
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
    return SampleSizeResult(
        endpoint="survival", groups=2, allocation_ratio=r, max_number_of_subjects=float(n_max),
        number_of_subjects=[float(n_max * min(x, accrual_time) / accrual_time) for x in times],
        expected_number_h0=exp_d[0], expected_number_h01=exp_d[1], expected_number_h1=exp_d[2],
        reject_per_stage=[float(x) for x in h1["reject"]],
        early_stop=float((h1["reject"] + h1["futility"])[:-1].sum()),
        critical_values_effect_scale=[float(x) for x in np.exp(np.log(theta_h0) + sign * c * se)],
        max_number_of_events=float(d_max), events_per_stage=[float(x) for x in d_max * t],
        extra={"hazard_ratio": float(hr), "lambda1": float(lam1), "lambda2": float(lam2),
               "median1": float(np.log(2) / lam1), "median2": float(np.log(2) / lam2),
               "accrual_intensity": float(n_max / accrual_time), "analysis_times": [float(x) for x in times],
               "study_duration_h1": float(times @ stop),
               "expected_subjects_h1": float(np.minimum(times, accrual_time) @ stop * n_max / accrual_time)},
        assumptions=[f"log-rank test, {type_of_computation} events formula",
                     "exponential survival and dropout, uniform accrual",
                     f"maximum events = fixed-design events x inflation factor {ch.inflation_factor:.6f}"],
    )  # fmt: skip
