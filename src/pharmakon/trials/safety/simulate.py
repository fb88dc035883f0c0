"""Simulated running trials for the safety monitor: streams and operating characteristics.

A simulated two-arm trial enrols ``n_per_arm`` subjects per arm uniformly over
``accrual_days``; each is followed for ``follow_up_days``. Adverse events of one type
occur as a Poisson process with rate ``base_rate`` events per subject-day in the control
arm and ``base_rate * rr`` in the treatment arm. :func:`operating_characteristics`
replays many such trials through :class:`~pharmakon.trials.safety.monitoring.Monitor`
and reports, per rule and true risk ratio, the probability of an alert, the time to
detection (days from study start; median and mean over alerting trials) and, at
``rr = 1``, the false-alert rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from pharmakon.errors import InputError
from pharmakon.trials.safety.monitoring import Monitor, MonitorRule

__all__ = ["simulate_trial_stream", "operating_characteristics"]


def simulate_trial_stream(
    n_per_arm: int = 100,
    base_rate: float = 0.002,
    rr: float = 1.0,
    *,
    accrual_days: float = 180.0,
    follow_up_days: float = 180.0,
    event: str = "HEPATOTOXICITY",
    arms: tuple[str, str] = ("treatment", "control"),
    seed: int | None = 0,
) -> list[dict[str, Any]]:
    """One simulated trial as a time-ordered list of stream records (see :mod:`monitoring`).

    Parameters
    ----------
    n_per_arm : int
        Subjects per arm.
    base_rate : float
        Control-arm event rate, events per subject-day.
    rr : float
        True rate ratio treatment / control.
    accrual_days, follow_up_days : float
        Uniform accrual window and per-subject follow-up, days.
    seed : int, optional

    Returns
    -------
    list of dict
        ``enroll``, ``ae`` and ``exit`` records sorted by time (ties: enrol, event, exit).
    """
    if n_per_arm < 1 or base_rate <= 0 or rr <= 0 or accrual_days < 0 or follow_up_days <= 0:
        raise InputError("need n_per_arm >= 1, base_rate > 0, rr > 0, accrual_days >= 0, follow_up_days > 0")
    rng = np.random.default_rng(seed)
    records: list[tuple[float, int, dict[str, Any]]] = []
    for arm, rate in ((arms[0], base_rate * rr), (arms[1], base_rate)):
        starts = np.sort(rng.uniform(0, accrual_days, n_per_arm))
        n_ev = rng.poisson(rate * follow_up_days, n_per_arm)
        for i, (t0, k) in enumerate(zip(starts, n_ev, strict=True)):
            sid = f"{arm[:1].upper()}{i + 1:04d}"
            records.append((t0, 0, {"type": "enroll", "subject": sid, "arm": arm, "time": round(float(t0), 4)}))
            for t in np.sort(rng.uniform(t0, t0 + follow_up_days, k)):
                records.append((t, 1, {"type": "ae", "subject": sid, "event": event, "time": round(float(t), 4)}))
            t1 = t0 + follow_up_days
            records.append((t1, 2, {"type": "exit", "subject": sid, "time": round(float(t1), 4)}))
    records.sort(key=lambda r: (r[2]["time"], r[1]))
    return [r[2] for r in records]


def operating_characteristics(
    rules: Sequence[MonitorRule],
    rr_values: Sequence[float] = (1.0, 2.0, 3.0),
    *,
    n_sims: int = 200,
    n_per_arm: int = 100,
    base_rate: float = 0.002,
    accrual_days: float = 180.0,
    follow_up_days: float = 180.0,
    seed: int = 0,
) -> pd.DataFrame:
    """Detection probability, time to detection and false-alert rate by simulation.

    Returns
    -------
    pandas.DataFrame
        One row per (rule, rr): ``rr, rule, n_sims, alert_rate`` (the false-alert rate
        when ``rr == 1``), ``alert_rate_se`` (binomial standard error),
        ``median_days_to_alert``, ``mean_days_to_alert`` (over alerting trials; NaN if none),
        ``trial_days`` (last record time).
    """
    rows = []
    seeds = np.random.SeedSequence(seed).spawn(len(rr_values))
    for rr, ss in zip(rr_values, seeds, strict=True):
        times: dict[str, list[float]] = {r.name: [] for r in rules}
        for child in ss.spawn(n_sims):
            stream = simulate_trial_stream(
                n_per_arm,
                base_rate,
                rr,
                accrual_days=accrual_days,
                follow_up_days=follow_up_days,
                event=rules[0].event if rules[0].event.upper() != "ANY" else "AE",
                seed=int(child.generate_state(1)[0]),
            )
            mon = Monitor(list(rules))
            for rec in stream:
                for alert in mon.update(rec):
                    times[alert.rule].append(alert.time)
                if len(mon.fired) == len(rules):
                    break
        for rule in rules:
            t = np.asarray(times[rule.name])
            p = t.size / n_sims
            rows.append(
                {
                    "rr": rr,
                    "rule": rule.name,
                    "model": rule.model,
                    "n_sims": n_sims,
                    "alert_rate": p,
                    "alert_rate_se": float(np.sqrt(p * (1 - p) / n_sims)),
                    "median_days_to_alert": float(np.median(t)) if t.size else float("nan"),
                    "mean_days_to_alert": float(t.mean()) if t.size else float("nan"),
                    "trial_days": accrual_days + follow_up_days,
                }
            )
    return pd.DataFrame(rows)
