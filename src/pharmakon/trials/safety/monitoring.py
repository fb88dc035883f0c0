"""Safety monitoring of a running trial: Bayesian risk-ratio alerts and Poisson MaxSPRT.

Adverse events arrive as a stream of records (JSON lines or the REST API):

* ``{"type": "enroll", "subject": "S1", "arm": "treatment", "time": 0.0}``
* ``{"type": "ae", "subject": "S1", "event": "HEPATOTOXICITY", "time": 41.5}``
* ``{"type": "exit", "subject": "S1", "time": 180.0}`` (end of follow-up; optional)

``time`` is in days from study start and must not decrease. For each rule a
:class:`Monitor` re-evaluates after every record and raises one :class:`Alert` the
first time the rule crosses. Models (assumptions stated):

* ``beta_binomial`` - per arm, the proportion of enrolled subjects with >= 1 event has
  a ``Beta(a0, b0)`` prior; alert when ``P(p_arm / p_ref > threshold | data) >= cutoff``,
  ``p_ref`` the control arm's proportion (posterior, independent arms; computed by
  Gauss-Legendre quadrature) or a fixed historical proportion.
* ``gamma_poisson`` - events per subject-day (all events, exposure = days on study) with a
  ``Gamma(a0, b0)`` prior per arm; ``P(lambda_arm / lambda_ref > threshold)`` is exact
  through the F distribution (vs control) or the gamma CDF (vs historical rate).
* ``maxsprt`` - Poisson MaxSPRT (Kulldorff et al. 2011) of the arm's event count against
  ``historical_rate * exposure``; alert when the log-likelihood ratio reaches the critical
  value for one-sided ``alpha`` up to ``max_expected`` expected events (computed by Monte
  Carlo over null paths, seeded; see :func:`maxsprt_critical_value`).

A rule with ``event: "any"`` counts every adverse event.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any, Literal

import numpy as np
from scipy import special

from pharmakon.errors import InputError

__all__ = [
    "MonitorRule",
    "Alert",
    "Monitor",
    "posterior_prob_rr_beta",
    "posterior_prob_rr_gamma",
    "maxsprt_llr",
    "maxsprt_critical_value",
    "parse_rules",
    "validate_record",
]

_GL_X, _GL_W = np.polynomial.legendre.leggauss(400)
_GRID = 0.5 * (_GL_X + 1.0)  # nodes on (0, 1)
_WEIGHTS = 0.5 * _GL_W


@dataclass(frozen=True)
class MonitorRule:
    """One monitoring rule (see module docstring for the models).

    Attributes
    ----------
    name : str
        Unique rule name (used in alerts and the audit trail).
    event : str
        Event term monitored (case-insensitive) or ``"any"``.
    model : {"beta_binomial", "gamma_poisson", "maxsprt"}
    arm, control : str
        Arm monitored and its comparator arm; ``control=None`` with ``historical_rate`` compares
        with a historical proportion (beta-binomial) or rate per subject-day (gamma-Poisson, MaxSPRT).
    threshold : float
        Risk-ratio threshold of the posterior probability ``P(RR > threshold)`` (Bayesian models).
    cutoff : float
        Posterior probability in (0, 1) that raises an alert.
    a0, b0 : float
        Prior parameters (beta: a0, b0; gamma: shape a0, rate b0 per subject-day).
    min_events : int
        No alert before the arm has this many events.
    alpha, max_expected : float
        MaxSPRT one-sided level and upper limit of the expected count under H0.
    """

    name: str
    event: str = "any"
    model: Literal["beta_binomial", "gamma_poisson", "maxsprt"] = "beta_binomial"
    arm: str = "treatment"
    control: str | None = "control"
    historical_rate: float | None = None
    threshold: float = 1.0
    cutoff: float = 0.95
    a0: float = 0.5
    b0: float = 0.5
    min_events: int = 3
    alpha: float = 0.05
    max_expected: float = 20.0

    def __post_init__(self) -> None:
        where = f"rule {self.name!r}"
        if self.model not in ("beta_binomial", "gamma_poisson", "maxsprt"):
            raise InputError(
                f"{where}: model must be beta_binomial, gamma_poisson or maxsprt, got {self.model!r}", field="model"
            )
        if self.control is None and self.historical_rate is None:
            raise InputError(f"{where}: give a control arm or a historical_rate", field="control")
        if self.model == "maxsprt" and self.historical_rate is None:
            raise InputError(
                f"{where}: maxsprt needs historical_rate (events per subject-day)", field="historical_rate"
            )
        if self.historical_rate is not None and not self.historical_rate > 0:
            raise InputError(
                f"{where}: historical_rate must be > 0, got {self.historical_rate}", field="historical_rate"
            )
        if not 0 < self.cutoff < 1:
            raise InputError(f"{where}: cutoff must be in (0, 1), got {self.cutoff}", field="cutoff")
        if not self.threshold > 0:
            raise InputError(f"{where}: threshold (risk ratio) must be > 0, got {self.threshold}", field="threshold")
        if min(self.a0, self.b0) <= 0:
            raise InputError(f"{where}: prior a0 and b0 must be > 0", field="a0")
        if not 0 < self.alpha < 0.5:
            raise InputError(f"{where}: alpha must be in (0, 0.5), got {self.alpha}", field="alpha")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Alert:
    """A rule crossing: when, on what data, with which statistic."""

    rule: str
    model: str
    event: str
    time: float
    statistic: float
    statistic_name: str
    counts: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def posterior_prob_rr_beta(
    x_t: int,
    n_t: int,
    x_c: int | None,
    n_c: int | None,
    threshold: float,
    a0: float,
    b0: float,
    p_hist: float | None = None,
) -> float:
    """``P(p_t / p_c > threshold)`` with Beta(a0 + x, b0 + n - x) posteriors (or ``p_c = p_hist``)."""
    at, bt = a0 + x_t, b0 + n_t - x_t
    if p_hist is not None:
        return float(special.betainc(at, bt, min(threshold * p_hist, 1.0)) * -1 + 1)
    ac, bc = a0 + x_c, b0 + n_c - x_c
    pdf_c = np.exp((ac - 1) * np.log(_GRID) + (bc - 1) * np.log1p(-_GRID) - special.betaln(ac, bc))
    sf_t = 1.0 - special.betainc(at, bt, np.minimum(threshold * _GRID, 1.0))
    return float(np.clip(np.sum(_WEIGHTS * pdf_c * sf_t), 0.0, 1.0))


def posterior_prob_rr_gamma(
    e_t: int,
    t_t: float,
    e_c: int | None,
    t_c: float | None,
    threshold: float,
    a0: float,
    b0: float,
    rate_hist: float | None = None,
) -> float:
    """``P(lambda_t / lambda_c > threshold)`` with Gamma(a0 + events, b0 + exposure) posteriors (exact)."""
    at, bt = a0 + e_t, b0 + t_t
    if rate_hist is not None:
        return float(special.gammaincc(at, bt * threshold * rate_hist))
    ac, bc = a0 + e_c, b0 + t_c
    # lambda_t / lambda_c = (bc * at) / (bt * ac) * F(2 at, 2 ac)
    return float(special.fdtrc(2 * at, 2 * ac, threshold * bt * ac / (bc * at)))


def maxsprt_llr(count: np.ndarray | float, expected: np.ndarray | float) -> np.ndarray:
    """Poisson MaxSPRT log-likelihood ratio ``(u - c) + c log(c / u)`` when ``c > u``, else 0."""
    c, u = np.asarray(count, dtype=float), np.asarray(expected, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        llr = (u - c) + c * np.log(c / u)
    return np.where(c > u, llr, 0.0)


@lru_cache(maxsize=64)
def maxsprt_critical_value(
    alpha: float = 0.05, max_expected: float = 20.0, min_events: int = 1, n_paths: int = 20_000, seed: int = 20110101
) -> float:
    """Critical value of the continuous Poisson MaxSPRT by Monte Carlo under H0.

    Null event times are a unit-rate Poisson process in expected-count time ``u``; the
    LLR peaks at event times, so the statistic of a path is the maximum of
    :func:`maxsprt_llr` at its events (from the ``min_events``-th on, since no alert is
    raised before) up to ``max_expected``. Returns the ``1 - alpha`` quantile of that
    maximum over ``n_paths`` paths (seeded, reproducible; Monte Carlo error of the level
    about ``sqrt(alpha (1 - alpha) / n_paths)``, 0.0015 for the defaults). Alerts are only
    raised at or after ``max_expected`` if the caller keeps monitoring; the level holds up
    to ``max_expected``.
    """
    rng = np.random.default_rng(seed)
    k = int(max_expected + 10 * np.sqrt(max_expected) + 20)
    times = np.cumsum(rng.exponential(1.0, (n_paths, k)), axis=1)
    counts = np.arange(1, k + 1)[None, :]
    llr = np.where((times <= max_expected) & (counts >= min_events), maxsprt_llr(counts, times), 0.0)
    return float(np.quantile(llr.max(axis=1), 1 - alpha))


def validate_record(rec: Any, line: int | None = None) -> dict[str, Any]:
    """Check one stream record; raise InputError naming the line and field."""
    if not isinstance(rec, dict):
        raise InputError("record must be a JSON object", row=line)
    kind = rec.get("type")
    if kind not in ("enroll", "ae", "exit"):
        raise InputError(f"type must be enroll, ae or exit, got {kind!r}", row=line, field="type")
    for key in ("subject", "time") + (("arm",) if kind == "enroll" else ()) + (("event",) if kind == "ae" else ()):
        if rec.get(key) in (None, ""):
            raise InputError(f"{kind} record needs {key!r}", row=line, field=key)
    try:
        t = float(rec["time"])
    except (TypeError, ValueError):
        raise InputError(f"time must be a number (days), got {rec['time']!r}", row=line, field="time") from None
    if not np.isfinite(t) or t < 0:
        raise InputError(f"time must be finite and >= 0 days, got {t}", row=line, field="time")
    return {**rec, "time": t}


@dataclass
class Monitor:
    """Stateful monitor: feed records with :meth:`update`; ``alerts`` and ``history`` accumulate."""

    rules: list[MonitorRule]
    alerts: list[Alert] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    now: float = 0.0

    def __post_init__(self) -> None:
        self.arm_of: dict[str, str] = {}
        self.start: dict[str, float] = {}
        self.stopped: dict[str, float] = {}  # subject -> exit day
        # per arm: subjects, active subjects, sum of active start times, closed subject-days
        self.arms: dict[str, list[float]] = {}
        self.n_events: dict[tuple[str, str], int] = {}  # (arm, EVENT or ANY) -> events
        self.first_event: dict[tuple[str, str], dict[str, float]] = {}  # (arm, EVENT) -> subject -> first day
        self.fired: set[str] = set()
        self.records = 0
        self._cv = {
            r.name: maxsprt_critical_value(r.alpha, r.max_expected, max(r.min_events, 1))
            for r in self.rules
            if r.model == "maxsprt"
        }

    def update(self, record: dict[str, Any], line: int | None = None) -> list[Alert]:
        """Apply one record and evaluate every rule; returns alerts raised by this record."""
        rec = validate_record(record, line)
        self.records += 1
        if rec["time"] < self.now:
            raise InputError(f"time {rec['time']} is before the previous record's {self.now}", row=line, field="time")
        self.now, subject = rec["time"], str(rec["subject"])
        if rec["type"] == "enroll":
            if subject in self.arm_of:
                raise InputError(f"subject {subject!r} is enrolled twice", row=line, field="subject")
            arm = self.arm_of[subject] = str(rec["arm"])
            self.start[subject] = rec["time"]
            st = self.arms.setdefault(arm, [0, 0, 0.0, 0.0])
            st[0], st[1], st[2] = st[0] + 1, st[1] + 1, st[2] + rec["time"]
        elif subject not in self.arm_of:
            raise InputError(
                f"subject {subject!r} has a {rec['type']} record before enrolment", row=line, field="subject"
            )
        elif rec["type"] == "exit":
            if subject not in self.stopped:
                self.stopped[subject] = rec["time"]
                st = self.arms[self.arm_of[subject]]
                st[1], st[2], st[3] = st[1] - 1, st[2] - self.start[subject], st[3] + rec["time"] - self.start[subject]
        else:
            arm = self.arm_of[subject]
            for key in ((arm, str(rec["event"]).strip().upper()), (arm, "ANY")):
                self.n_events[key] = self.n_events.get(key, 0) + 1
                self.first_event.setdefault(key, {}).setdefault(subject, rec["time"])
        new = []
        for rule in self.rules:
            stat, name, counts = self.evaluate(rule)
            self.history.append({"time": self.now, "rule": rule.name, "statistic": stat, **counts})
            crossed = stat >= (self._cv[rule.name] if rule.model == "maxsprt" else rule.cutoff)
            enough = counts.get("events_arm", 0) >= rule.min_events
            if crossed and enough and rule.name not in self.fired:
                self.fired.add(rule.name)
                new.append(Alert(rule.name, rule.model, rule.event, self.now, stat, name, counts))
        self.alerts += new
        return new

    def arm_counts(self, arm: str, event: str) -> dict[str, float]:
        """Subjects, subjects with the event, events and subject-days of ``arm`` at the current time."""
        n, active, start_sum, closed = self.arms.get(arm, [0, 0, 0.0, 0.0])
        key = (arm, event)
        return {
            "subjects": int(n),
            "with_event": len(self.first_event.get(key, ())),
            "events": self.n_events.get(key, 0),
            "days": closed + active * self.now - start_sum,
        }

    def subject_times(self, arm: str, event: str = "any") -> tuple[np.ndarray, np.ndarray]:
        """Time to first ``event`` for each subject of ``arm``: (days since enrolment, 1 = event / 0 = censored).

        A subject without the event is censored at the last follow-up: its exit day, or the
        current data cut (:attr:`now`) while still on study.
        """
        first = self.first_event.get((arm, event.strip().upper()), {})
        subjects = [s for s, a in self.arm_of.items() if a == arm]
        times = [(first[s] if s in first else self.stopped.get(s, self.now)) - self.start[s] for s in subjects]
        return np.asarray(times, dtype=float), np.asarray([s in first for s in subjects], dtype=int)

    def to_state(self) -> dict[str, Any]:
        """JSON-ready sufficient state (per-arm counts and exposure, per-subject dates, alerts, history)."""
        return {
            "rules": [r.to_dict() for r in self.rules],
            "now": self.now,
            "records": self.records,
            "arm_of": self.arm_of,
            "start": self.start,
            "stopped": self.stopped,
            "arms": {k: list(v) for k, v in self.arms.items()},
            "n_events": [[a, e, n] for (a, e), n in self.n_events.items()],
            "first_event": [[a, e, d] for (a, e), d in self.first_event.items()],
            "fired": sorted(self.fired),
            "alerts": [a.to_dict() for a in self.alerts],
            "history": self.history,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Monitor:
        """Rebuild a monitor from :meth:`to_state` output without replaying records."""
        mon = cls(
            [MonitorRule(**r) for r in state["rules"]],
            [Alert(**a) for a in state["alerts"]],
            list(state["history"]),
            float(state["now"]),
        )
        mon.records = int(state["records"])
        mon.arm_of, mon.start = dict(state["arm_of"]), {k: float(v) for k, v in state["start"].items()}
        mon.stopped = {k: float(v) for k, v in state["stopped"].items()}
        mon.arms = {k: list(v) for k, v in state["arms"].items()}
        mon.n_events = {(a, e): int(n) for a, e, n in state["n_events"]}
        mon.first_event = {(a, e): dict(d) for a, e, d in state["first_event"]}
        mon.fired = set(state["fired"])
        return mon

    def evaluate(self, rule: MonitorRule) -> tuple[float, str, dict[str, Any]]:
        event = rule.event.strip().upper()
        arm = self.arm_counts(rule.arm, event)
        ctl = self.arm_counts(rule.control, event) if rule.control and rule.historical_rate is None else None
        counts = {
            "events_arm": arm["events"],
            "subjects_arm": arm["subjects"],
            "with_event_arm": arm["with_event"],
            "days_arm": arm["days"],
        }
        if ctl is not None:
            counts.update(
                events_ref=ctl["events"],
                subjects_ref=ctl["subjects"],
                with_event_ref=ctl["with_event"],
                days_ref=ctl["days"],
            )
        if rule.model == "maxsprt":
            expected = rule.historical_rate * arm["days"]
            counts["expected_arm"] = expected
            stat = float(maxsprt_llr(arm["events"], expected)) if expected > 0 else 0.0
            return stat, "llr", counts
        if rule.model == "beta_binomial":
            if arm["subjects"] == 0 or (ctl is not None and ctl["subjects"] == 0):
                return 0.0, "posterior_prob", counts
            prob = posterior_prob_rr_beta(
                arm["with_event"],
                arm["subjects"],
                ctl and ctl["with_event"],
                ctl and ctl["subjects"],
                rule.threshold,
                rule.a0,
                rule.b0,
                None if ctl else rule.historical_rate,
            )
            return prob, "posterior_prob", counts
        if arm["days"] <= 0 or (ctl is not None and ctl["days"] <= 0):
            return 0.0, "posterior_prob", counts
        prob = posterior_prob_rr_gamma(
            arm["events"],
            arm["days"],
            ctl and ctl["events"],
            ctl and ctl["days"],
            rule.threshold,
            rule.a0,
            rule.b0,
            None if ctl else rule.historical_rate,
        )
        return prob, "posterior_prob", counts


def parse_rules(data: Any, source: str = "rules") -> list[MonitorRule]:
    """Rules from a parsed YAML/JSON document: a list, or ``{"rules": [...]}``."""
    items = data.get("rules") if isinstance(data, dict) else data
    if not isinstance(items, list) or not items:
        raise InputError("expected a non-empty list of rules (or a mapping with key 'rules')", file=source)
    rules = []
    for i, item in enumerate(items, 1):
        if not isinstance(item, dict) or "name" not in item:
            raise InputError(f"rule {i} must be a mapping with a 'name'", file=source, field="name")
        unknown = set(item) - set(MonitorRule.__dataclass_fields__)
        if unknown:
            raise InputError(
                f"rule {item['name']!r}: unknown key(s) {sorted(unknown)}; allowed "
                f"{sorted(MonitorRule.__dataclass_fields__)}",
                file=source,
            )
        rules.append(MonitorRule(**item))
    if len({r.name for r in rules}) != len(rules):
        raise InputError("rule names must be unique", file=source, field="name")
    return rules
