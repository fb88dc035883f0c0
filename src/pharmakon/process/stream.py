"""A running process monitor fed sample by sample: scoring, sample rules, persistence, alarms.

One input sample (a mapping of variable name to value) gives exactly one output
record, in input order, whatever is wrong with it. The rules, in the order applied:

- **index**: the sample's ``index`` key, else its ``sample`` key, else its 1-based
  position in the stream. An index that is not a whole number is flagged.
- **duplicate**: an index already seen (among the last :data:`SEEN_WINDOW` indices) is
  flagged ``duplicate index``; it is not scored.
- **out of order / late**: an index lower than the highest index scored so far is
  flagged ``out of order``; it is not scored (the persistence window and the lag
  buffer of dynamic PCA run in time order, so a late sample cannot be inserted).
- **variables**: a model variable that is absent, empty, NaN/infinite or not a number,
  or a key that is neither a model variable nor an identifier (:data:`ID_KEYS`), flags
  the sample naming the variable; it is not scored.
- **dynamic PCA warm-up**: the first ``lags`` valid samples only fill the lag buffer
  (flag ``warm-up``).

A flagged sample leaves the persistence window unchanged; its ``alarm`` repeats the
monitor's current alarm state. A scored sample *exceeds* when T² or SPE is above its
limit; ``alarm`` is true when at least ``k`` of the last ``n`` scored samples exceeded
(default 4 of 6, the benchmark's choice). An alarm *onset* is a sample whose alarm is
true after a false one. ``contributions`` (alarms only) maps each variable to its
share of ``T²/T²_limit + SPE/SPE_limit`` restricted to the statistics above their limits
(both when neither is: the alarm persists from earlier samples); shares sum to 1.
"""

from __future__ import annotations

import math
import operator
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["StreamMonitor", "ID_KEYS", "SEEN_WINDOW", "DEFAULT_PERSISTENCE", "persistence_alarm", "Onset"]

#: Keys a sample may carry besides the model variables (identifiers, labels, time stamps).
ID_KEYS = frozenset({"index", "sample", "t", "time", "timestamp", "fault", "faulty", "run", "batch"})
#: How many recent indices are remembered to tell a duplicate from an out-of-order sample.
SEEN_WINDOW = 100_000
#: Default persistence rule (k, n): alarm when k of the last n scored samples exceed a limit.
DEFAULT_PERSISTENCE = (4, 6)


def persistence_alarm(exceed: np.ndarray, k: int, n: int) -> np.ndarray:
    """Alarm where at least ``k`` of the last ``n`` entries of ``exceed`` (bool, shape (T,)) are true."""
    counts = np.convolve(np.asarray(exceed, int), np.ones(n, int))[: len(exceed)]
    return counts >= k


@dataclass(frozen=True)
class Onset:
    """An alarm onset: the sample whose alarm turned on."""

    index: int
    seq: int
    t2: float
    spe: float
    top: list[tuple[str, float]]


@dataclass
class StreamMonitor:
    """Live state of one monitor: scores batches of samples and keeps the rolling window.

    Parameters
    ----------
    estimator : fitted monitor (:mod:`pharmakon.process.mspc`)
    variables : list of str
        Variable names in the order the estimator was fitted on.
    lags : int
        Lags of a dynamic PCA monitor (0 for static methods).
    k, n : int
        Persistence rule.
    """

    estimator: Any
    variables: list[str]
    lags: int = 0
    k: int = DEFAULT_PERSISTENCE[0]
    n: int = DEFAULT_PERSISTENCE[1]
    seq: int = 0
    last_index: int | None = None
    alarm: bool = False
    window: deque = field(default_factory=deque)
    lag_buffer: deque = field(default_factory=deque)
    seen: set = field(default_factory=set)
    seen_order: deque = field(default_factory=deque)
    counts: dict = field(default_factory=lambda: {"samples": 0, "scored": 0, "flagged": 0, "alarms": 0, "onsets": 0})

    def __post_init__(self) -> None:
        self._varset = frozenset(self.variables)
        self._allowed = self._varset | ID_KEYS
        # one C-level call fetches every variable of a sample (KeyError names the first missing one)
        self._getter = (
            operator.itemgetter(*self.variables)
            if len(self.variables) > 1
            else (lambda rec, v=self.variables[0]: (rec[v],))
        )
        self.t2_limit = float(self.estimator.t2_limit_)
        self.spe_limit = float(self.estimator.spe_limit_)

    # -- parsing ---------------------------------------------------------------------------

    def _index_of(self, rec: dict[str, Any], position: int) -> tuple[int | None, str | None]:
        raw = rec.get("index", rec.get("sample", position))
        if isinstance(raw, bool):
            return None, f"index {raw!r} is not a whole number"
        try:
            value = float(raw)
        except (TypeError, ValueError):
            return None, f"index {raw!r} is not a whole number"
        if not math.isfinite(value) or value != int(value):
            return None, f"index {raw!r} is not a whole number"
        return int(value), None

    def _diagnose(self, rec: dict[str, Any]) -> str:
        missing = [v for v in self.variables if v not in rec or rec[v] is None or rec[v] == ""]
        if missing:
            more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
            return f"missing variable(s) {', '.join(missing[:5])}{more}"
        for v in self.variables:
            try:
                float(rec[v])
            except (TypeError, ValueError):
                return f"non-numeric value {str(rec[v])[:40]!r} in {v}"
        return "unreadable sample"

    def _order_flag(self, index: int) -> str | None:
        if index in self.seen:
            return f"duplicate index {index}"
        if self.last_index is not None and index < self.last_index:
            return f"out of order: index {index} after {self.last_index}"
        return None

    def _remember(self, index: int) -> None:
        self.seen.add(index)
        self.seen_order.append(index)
        if len(self.seen_order) > SEEN_WINDOW:
            self.seen.discard(self.seen_order.popleft())

    # -- scoring ---------------------------------------------------------------------------

    def _parse(self, samples: list[Any]) -> tuple[np.ndarray, list[str | None]]:
        """All samples' variable values, shape (n, m) (NaN where unreadable), and why each cannot be scored."""
        m = len(self.variables)
        lists: list[list[Any]] = []
        reasons: list[str | None] = [None] * len(samples)
        blank = [np.nan] * m
        for i, rec in enumerate(samples):
            if not isinstance(rec, dict):
                # An unreadable line (its reason as text) or a value that is not a mapping.
                reasons[i] = str(rec) if isinstance(rec, str) else f"a sample is a mapping, not {type(rec).__name__}"
                lists.append(blank)
                continue
            try:
                lists.append(self._getter(rec))
            except KeyError:
                reasons[i] = self._diagnose(rec)
                lists.append(blank)
                continue
            if len(rec) > m and not self._allowed.issuperset(rec):
                extra = sorted(str(k) for k in rec if k not in self._allowed)[:5]
                reasons[i] = f"unknown variable(s) {', '.join(extra)} (not in the model)"
        try:
            values = np.array(lists, dtype=float).reshape(len(lists), m)
        except (TypeError, ValueError):  # text somewhere: find it row by row
            values = np.full((len(lists), m), np.nan)
            for i, row in enumerate(lists):
                try:
                    values[i] = np.array(row, dtype=float)
                except (TypeError, ValueError):
                    reasons[i] = reasons[i] or self._diagnose(samples[i])
        for i in np.flatnonzero(~np.isfinite(values).all(axis=1)):
            if reasons[i] is None:
                missing = self._diagnose(samples[i])
                bad = [self.variables[j] for j in np.flatnonzero(~np.isfinite(values[i]))[:5]]
                reasons[i] = missing if missing.startswith("missing") else f"NaN or infinite value in {', '.join(bad)}"
        return values, reasons

    def score(self, samples: list[Any]) -> tuple[list[dict[str, Any]], list[Onset]]:
        """Score a batch in order; one output record per sample and the alarm onsets it raised.

        Never raises for a bad sample: every problem becomes that sample's ``flag``.
        """
        values, reasons = self._parse(samples)
        plan: list[tuple[int, int | None, str | None]] = []  # (seq, index, flag) per sample
        rows: list[np.ndarray] = []
        for i, rec in enumerate(samples):
            self.seq += 1
            if not isinstance(rec, dict):
                plan.append((self.seq, None, reasons[i]))
                continue
            index, flag = self._index_of(rec, self.seq)
            if flag is None:
                flag = self._order_flag(index) or reasons[i]
            row = values[i]
            if flag is None and index is not None:
                self._remember(index)
                self.last_index = index
                if self.lags:
                    self.lag_buffer.append(row)
                    if len(self.lag_buffer) <= self.lags:
                        flag = f"warm-up: dynamic PCA needs {self.lags} earlier valid sample(s)"
                    else:
                        while len(self.lag_buffer) > self.lags + 1:
                            self.lag_buffer.popleft()
                        row = np.concatenate(list(reversed(self.lag_buffer)))
            plan.append((self.seq, index, flag))
            if flag is None:
                rows.append(row)
        return self._emit(plan, rows)

    def _emit(
        self, plan: list[tuple[int, int | None, str | None]], rows: list[np.ndarray]
    ) -> tuple[list[dict[str, Any]], list[Onset]]:
        if rows:
            X = np.vstack(rows)
            t2, spe = self.estimator.statistics(X)
        else:
            X, t2, spe = None, np.empty(0), np.empty(0)
        out: list[dict[str, Any]] = []
        onsets: list[Onset] = []
        alarm_rows: list[tuple[int, int]] = []  # (position in out, position in X)
        j = 0
        t2s, spes = np.round(t2, 6).tolist(), np.round(spe, 6).tolist()
        exceed = ((t2 > self.t2_limit) | (spe > self.spe_limit)).tolist()
        for seq, index, flag in plan:
            rec: dict[str, Any] = {"index": index if index is not None else seq, "seq": seq}
            if flag is None:
                self.window.append(exceed[j])
                if len(self.window) > self.n:
                    self.window.popleft()
                was = self.alarm
                self.alarm = sum(self.window) >= self.k
                rec.update(t2=t2s[j], spe=spes[j])
                if self.alarm:
                    alarm_rows.append((len(out), j))
                    self.counts["alarms"] += 1
                    if not was:
                        onsets.append(Onset(rec["index"], seq, float(t2[j]), float(spe[j]), []))
                self.counts["scored"] += 1
                j += 1
            else:
                rec.update(t2=None, spe=None)
                self.counts["flagged"] += 1
            rec.update(
                t2_limit=self.t2_limit, spe_limit=self.spe_limit, alarm=self.alarm, flag=flag, contributions=None
            )
            self.counts["samples"] += 1
            out.append(rec)
        if alarm_rows:
            self._explain(out, alarm_rows, X, t2, spe, onsets)
        self.counts["onsets"] += len(onsets)
        return out, onsets

    def _explain(
        self,
        out: list[dict[str, Any]],
        alarm_rows: list[tuple[int, int]],
        X: np.ndarray,
        t2: np.ndarray,
        spe: np.ndarray,
        onsets: list[Onset],
    ) -> None:
        pos = np.array([p for _, p in alarm_rows])
        c_t2, c_spe = self.estimator.contributions(X[pos])
        w2 = (t2[pos] > self.t2_limit).astype(float)
        wq = (spe[pos] > self.spe_limit).astype(float)
        neither = (w2 + wq) == 0
        w2[neither], wq[neither] = 1.0, 1.0
        c = c_t2 * (w2 / self.t2_limit)[:, None] + c_spe * (wq / self.spe_limit)[:, None]
        total = c.sum(axis=1, keepdims=True)
        shares = np.round(c / np.where(total > 0, total, 1.0), 4)
        names = self.variables
        by_seq = {o.seq: i for i, o in enumerate(onsets)}
        for (o, _), row in zip(alarm_rows, shares, strict=True):
            out[o]["contributions"] = dict(zip(names, row.tolist(), strict=True))
            if (i := by_seq.get(out[o]["seq"])) is not None:
                top = np.argsort(row)[::-1][:5]
                onsets[i] = Onset(
                    onsets[i].index,
                    onsets[i].seq,
                    onsets[i].t2,
                    onsets[i].spe,
                    [(names[t], float(row[t])) for t in top],
                )
