"""DSMB-style HTML safety report of a monitored trial (plots embedded as PNG).

The report has: a header (trial, data cut time, rules and their models, stated
assumptions), the alerts table, per-arm counts at the data cut, a plot of the cumulative
incidence of the first event by arm (1 - Kaplan-Meier over days since enrolment,
censored at the subject's last follow-up, Greenwood 95 % band) for each monitored event, and a plot of each rule's statistic over time (posterior probability
with its cutoff, or the MaxSPRT log-likelihood ratio with its critical value).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from pharmakon.plots import figure_png_base64, new_figure
from pharmakon.reports import render
from pharmakon.trials.safety.monitoring import Monitor, maxsprt_critical_value

__all__ = ["run_monitor", "dsmb_report_html", "header", "incidence_curves", "kaplan_meier", "monitor_plots"]


def run_monitor(monitor: Monitor, records: Sequence[dict[str, Any]], first_line: int = 1) -> Monitor:
    """Feed ``records`` (line numbers from ``first_line``) to ``monitor``; returns it."""
    for i, rec in enumerate(records):
        monitor.update(rec, line=first_line + i)
    return monitor


def kaplan_meier(time: np.ndarray, event: np.ndarray) -> pd.DataFrame:
    """Kaplan-Meier estimate of the event-free probability.

    Parameters
    ----------
    time : ndarray, shape (n,)
        Days from enrolment to the first event or to censoring (>= 0).
    event : ndarray, shape (n,)
        1 = event at ``time``, 0 = censored at ``time``.

    Returns
    -------
    pandas.DataFrame
        One row per distinct event time: ``time``, ``at_risk`` (subjects with time >= t;
        subjects censored at t count as at risk at t), ``events``, ``survival``
        ``S(t) = prod_{t_i <= t} (1 - d_i / n_i)`` and its Greenwood variance ``var``.
    """
    time, event = np.asarray(time, dtype=float), np.asarray(event, dtype=int)
    t_ev = np.unique(time[event == 1])
    at_risk = (time[None, :] >= t_ev[:, None]).sum(axis=1)
    d = ((time[None, :] == t_ev[:, None]) & (event[None, :] == 1)).sum(axis=1)
    surv = np.cumprod(1.0 - d / at_risk)
    with np.errstate(divide="ignore", invalid="ignore"):
        green = np.cumsum(np.where(at_risk > d, d / (at_risk * (at_risk - d)), np.inf))
    return pd.DataFrame({"time": t_ev, "at_risk": at_risk, "events": d, "survival": surv, "var": surv**2 * green})


def incidence_curves(source: Monitor | Sequence[dict[str, Any]], event: str = "any") -> pd.DataFrame:
    """Cumulative incidence of the first ``event`` by arm as ``1 - Kaplan-Meier``.

    Time is days since each subject's enrolment; a subject without the event is
    censored at its last follow-up (exit, or the data cut while on study). ``source`` is
    a :class:`Monitor` (its stored state) or the stream records (replayed without rules).

    Returns
    -------
    pandas.DataFrame
        ``arm, time, at_risk, events, incidence, lower, upper`` (95 % pointwise,
        Greenwood, clipped to [0, 1]); each arm starts with a row at time 0, incidence 0.
    """
    mon = source if isinstance(source, Monitor) else run_monitor(Monitor([]), source)
    rows = []
    for arm in sorted(mon.arms):
        km = kaplan_meier(*mon.subject_times(arm, event))
        se = np.sqrt(km["var"].to_numpy())
        inc = 1.0 - km["survival"].to_numpy()
        rows.append(
            pd.DataFrame(
                {
                    "arm": arm,
                    "time": [0.0, *km["time"]],
                    "at_risk": [len(mon.subject_times(arm)[0]), *km["at_risk"]],
                    "events": [0, *km["events"]],
                    "incidence": [0.0, *inc],
                    "lower": [0.0, *np.clip(inc - 1.96 * se, 0, 1)],
                    "upper": [0.0, *np.clip(inc + 1.96 * se, 0, 1)],
                }
            )
        )
    cols = ["arm", "time", "at_risk", "events", "incidence", "lower", "upper"]
    return pd.concat(rows, ignore_index=True)[cols] if rows else pd.DataFrame(columns=cols)


def monitor_plots(monitor: Monitor, records: Sequence[dict[str, Any]] | None = None) -> list[tuple[str, str]]:
    """Two PNG plots: cumulative incidence by arm (1 - KM) and each rule's statistic over time.

    ``records`` is unused (kept for callers of the earlier signature); all comes from the monitor state.
    """
    out = []
    events = sorted({r.event for r in monitor.rules})
    fig, axes = _panels(len(events), 5.5, 3.6)
    for ax, event in zip(axes[0], events, strict=True):
        curves = incidence_curves(monitor, event)
        for arm, g in curves.groupby("arm"):
            ax.step(g["time"], g["incidence"], where="post", label=str(arm))
            ax.fill_between(g["time"], g["lower"], g["upper"], step="post", alpha=0.15)
        ax.set(
            title=f"Cumulative incidence: {event}",
            xlabel="days since enrolment",
            ylabel="1 - Kaplan-Meier (first event)",
        )
        ax.legend(loc="upper left")
    out.append(
        (
            "Cumulative incidence of the first event by arm (1 - Kaplan-Meier, censored at last follow-up; "
            "band: 95% Greenwood)",
            figure_png_base64(fig),
        )
    )
    hist = pd.DataFrame(monitor.history)
    if not hist.empty:
        fig, axes = _panels(len(monitor.rules), 5.0, 3.4)
        for ax, rule in zip(axes[0], monitor.rules, strict=True):
            h = hist[hist["rule"] == rule.name]
            ax.plot(h["time"], h["statistic"], lw=1.2)
            if rule.model == "maxsprt":
                line, label = maxsprt_critical_value(rule.alpha, rule.max_expected, max(rule.min_events, 1)), "LLR"
            else:
                line, label = rule.cutoff, f"P(RR > {rule.threshold:g})"
            ax.axhline(line, color="crimson", ls="--", lw=1)
            for alert in monitor.alerts:
                if alert.rule == rule.name:
                    ax.axvline(alert.time, color="crimson", lw=0.8)
            ax.set(title=f"{rule.name} ({rule.model})", xlabel="days from study start", ylabel=label)
        out.append(("Monitoring statistics over time (dashed: alert boundary; solid: alert)", figure_png_base64(fig)))
    return out


def _panels(n: int, width: float, height: float) -> tuple[Any, Any]:
    """A figure of ``n`` side-by-side axes (each ``width`` x ``height`` inches) from :func:`pharmakon.plots.new_figure`."""
    fig, _ = new_figure(width * n, height)
    fig.clear()
    return fig, fig.subplots(1, n, squeeze=False)


#: What the report states it assumes (shown under "Assumptions").
ASSUMPTIONS = (
    "Beta-binomial: subjects with at least one event among those enrolled, independent Beta(a0, b0) priors per "
    "arm. Gamma-Poisson: all events over subject-days on study, independent Gamma(a0, b0) priors (rate per "
    "subject-day). Alerts fire the first time P(risk ratio > threshold) reaches the cutoff with at least "
    "min_events events in the arm; repeated looks inflate the false-alert rate relative to a single look - see "
    "the simulated operating characteristics. MaxSPRT: Poisson counts against historical_rate x subject-days, "
    "continuous monitoring, critical value by Monte Carlo under the null for the stated alpha. Cumulative "
    "incidence: 1 - Kaplan-Meier of the time from enrolment to the first event, subjects without the event "
    "censored at exit or the data cut; assumes censoring independent of the event risk (non-informative)."
)


#: Column headers of the report's tables, in words (a key not listed: underscores become spaces).
HEADERS: dict[str, str] = {
    "rule": "Rule",
    "model": "Model",
    "event": "Event",
    "day": "Day",
    "posterior_prob": "Posterior P(RR > threshold)",
    "llr": "Log-likelihood ratio",
    "events_arm": "Events (arm)",
    "subjects_arm": "Subjects (arm)",
    "with_event_arm": "Subjects with event (arm)",
    "days_arm": "Subject-days (arm)",
    "events_ref": "Events (control)",
    "subjects_ref": "Subjects (control)",
    "with_event_ref": "Subjects with event (control)",
    "days_ref": "Subject-days (control)",
    "arm": "Arm",
    "subjects": "Subjects enrolled",
    "on_study": "On study",
    "name": "Rule",
    "control": "Control arm",
    "historical_rate": "Historical rate",
    "threshold": "RR threshold",
    "cutoff": "Posterior cutoff",
    "a0": "Prior a0",
    "b0": "Prior b0",
    "min_events": "Minimum events",
    "alpha": "Alpha",
    "max_expected": "Maximum expected events",
}

#: Model names as the report prints them.
MODEL_NAMES: dict[str, str] = {
    "beta_binomial": "beta-binomial",
    "gamma_poisson": "gamma-Poisson",
    "maxsprt": "MaxSPRT",
}


def header(key: str) -> str:
    """A table column ``key`` in words."""
    words = HEADERS.get(key) or key.replace("_", " ")
    return words[:1].upper() + words[1:]


def _readable(row: dict[str, Any]) -> dict[str, Any]:
    """``row`` with model names in words (missing values are rendered as a dash by the template)."""
    return {k: MODEL_NAMES.get(v, v) if k == "model" else v for k, v in row.items()}


def dsmb_report_html(
    monitor: Monitor, records: Sequence[dict[str, Any]] | None = None, *, title: str = "Safety monitoring report"
) -> str:
    """Self-contained HTML (no external resources) for a DSMB closed session.

    Rendered from the report template ``safety_dsmb_report.html`` through :func:`pharmakon.reports.render`.
    """
    alerts = [
        {"rule": a.rule, "model": a.model, "event": a.event, "day": a.time, a.statistic_name: a.statistic, **a.counts}
        for a in monitor.alerts
    ]
    return render(
        "safety_dsmb_report.html",
        title=title,
        data_cut_day=monitor.now,
        records=monitor.records,
        alerts=[_readable(a) for a in alerts],
        arms=[{"arm": arm, "subjects": int(st[0]), "on_study": int(st[1])} for arm, st in sorted(monitor.arms.items())],
        rules=[_readable(r.to_dict()) for r in monitor.rules],
        header=header,
        assumptions=ASSUMPTIONS,
        plots=monitor_plots(monitor, records),
    )
