"""DSMB-style HTML safety report of a monitored trial (plots embedded as PNG).

The report has: a header (trial, data cut time, rules and their models, stated
assumptions), the alerts table, per-arm counts at the data cut, a plot of the cumulative
incidence (subjects with >= 1 event / subjects enrolled) by arm over time for each
monitored event, and a plot of each rule's statistic over time (posterior probability
with its cutoff, or the MaxSPRT log-likelihood ratio with its critical value).
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from typing import Any

import pandas as pd

from pharmakon.trials.safety.monitoring import Monitor, maxsprt_critical_value

__all__ = ["run_monitor", "dsmb_report_html", "incidence_curves", "monitor_plots"]


def run_monitor(monitor: Monitor, records: Sequence[dict[str, Any]], first_line: int = 1) -> Monitor:
    """Feed ``records`` (line numbers from ``first_line``) to ``monitor``; returns it."""
    for i, rec in enumerate(records):
        monitor.update(rec, line=first_line + i)
    return monitor


def incidence_curves(records: Sequence[dict[str, Any]], event: str = "any") -> pd.DataFrame:
    """Cumulative incidence by arm after each record: ``time, arm, enrolled, with_event, incidence``."""
    event = event.strip().upper()
    arm_of: dict[str, str] = {}
    enrolled: dict[str, int] = {}
    hit: dict[str, set[str]] = {}
    rows = []
    for rec in records:
        subject = str(rec["subject"])
        if rec["type"] == "enroll":
            arm_of[subject] = str(rec["arm"])
            enrolled[arm_of[subject]] = enrolled.get(arm_of[subject], 0) + 1
        elif rec["type"] == "ae" and (event == "ANY" or str(rec["event"]).strip().upper() == event):
            hit.setdefault(arm_of[subject], set()).add(subject)
        else:
            continue
        for arm, n in enrolled.items():
            k = len(hit.get(arm, ()))
            rows.append({"time": float(rec["time"]), "arm": arm, "enrolled": n, "with_event": k, "incidence": k / n})
    return pd.DataFrame(rows, columns=["time", "arm", "enrolled", "with_event", "incidence"])


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def monitor_plots(monitor: Monitor, records: Sequence[dict[str, Any]]) -> list[tuple[str, str]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = []
    events = sorted({r.event for r in monitor.rules})
    fig, axes = plt.subplots(1, len(events), figsize=(5.5 * len(events), 3.6), squeeze=False)
    for ax, event in zip(axes[0], events, strict=True):
        curves = incidence_curves(records, event)
        for arm, g in curves.groupby("arm"):
            ax.step(g["time"], g["incidence"], where="post", label=str(arm))
        ax.set(title=f"Cumulative incidence: {event}", xlabel="days from study start",
               ylabel="with >= 1 event / enrolled (crude)")  # fmt: skip
        ax.legend(loc="upper left")
    out.append(("Cumulative incidence by arm (crude: subjects with an event / subjects enrolled so far)", _png(fig)))
    plt.close(fig)
    hist = pd.DataFrame(monitor.history)
    if not hist.empty:
        fig, axes = plt.subplots(1, len(monitor.rules), figsize=(5.0 * len(monitor.rules), 3.4), squeeze=False)
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
        out.append(("Monitoring statistics over time (dashed: alert boundary; solid: alert)", _png(fig)))
        plt.close(fig)
    return out


def _table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "<p>None.</p>"
    cols = list(rows[0])
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_fmt(r.get(c)))}</td>" for c in cols) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _fmt(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def dsmb_report_html(monitor: Monitor, records: Sequence[dict[str, Any]], *, title: str = "Safety monitoring report",
                     ) -> str:  # fmt: skip
    """Self-contained HTML (no external resources) for a DSMB closed session."""
    rules = [r.to_dict() for r in monitor.rules]
    alerts = [{"rule": a.rule, "model": a.model, "event": a.event, "day": a.time, a.statistic_name: a.statistic,
               **a.counts} for a in monitor.alerts]  # fmt: skip
    arms = [{"arm": arm, "subjects": int(st[0]), "on_study": int(st[1])} for arm, st in sorted(monitor.arms.items())]
    plots = "".join(f"<h2>{html.escape(t)}</h2><img alt='{html.escape(t)}' src='data:image/png;base64,{b}'>"
                    for t, b in monitor_plots(monitor, records))  # fmt: skip
    assumptions = (
        "Beta-binomial: subjects with at least one event among those enrolled, independent Beta(a0, b0) priors per "
        "arm. Gamma-Poisson: all events over subject-days on study, independent Gamma(a0, b0) priors (rate per "
        "subject-day). Alerts fire the first time P(risk ratio > threshold) reaches the cutoff with at least "
        "min_events events in the arm; repeated looks inflate the false-alert rate relative to a single look - see "
        "the simulated operating characteristics. MaxSPRT: Poisson counts against historical_rate x subject-days, "
        "continuous monitoring, critical value by Monte Carlo under the null for the stated alpha."
    )
    style = ("body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;margin:1em 0}"
             "td,th{border:1px solid #bbb;padding:3px 7px;font-size:13px}th{background:#eee}.alert{color:#b00}")  # fmt: skip
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{style}</style></head><body><h1>{html.escape(title)}</h1>"
            f"<p>Data cut: day {monitor.now:.1f}; {len(records)} records; "
            f"<span class='alert'>{len(alerts)} alert(s)</span>.</p>"
            f"<h2>Alerts</h2>{_table(alerts)}<h2>Arms at data cut</h2>{_table(arms)}"
            f"<h2>Rules</h2>{_table(rules)}<h2>Assumptions</h2><p>{html.escape(assumptions)}</p>{plots}"
            "</body></html>")  # fmt: skip
