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
from functools import cache
from typing import Any

import numpy as np

__all__ = ["StreamMonitor", "ID_KEYS", "SEEN_WINDOW", "DEFAULT_PERSISTENCE", "persistence_alarm", "Onset"]

#: Keys a sample may carry besides the model variables (identifiers, labels, time stamps).
ID_KEYS = frozenset({"index", "sample", "t", "time", "timestamp", "fault", "faulty", "run", "batch"})
#: How many recent indices are remembered to tell a duplicate from an out-of-order sample.
SEEN_WINDOW = 100_000
#: Default persistence rule (k, n): alarm when k of the last n scored samples exceed a limit.
DEFAULT_PERSISTENCE = (4, 6)


@cache
def _blas_controller() -> Any:
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


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

    def _indices(self, samples: list[Any], reasons: list[str | None]) -> tuple[list[int | None], list[str | None]]:
        """Each sample's index (None where unreadable) and its flag so far (a reason or a bad index)."""
        first = self.seq + 1
        raws = [
            rec.get("index", rec.get("sample", first + i)) if isinstance(rec, dict) else None
            for i, rec in enumerate(samples)
        ]
        flags = [None if isinstance(rec, dict) else reasons[i] for i, rec in enumerate(samples)]
        if all(type(r) is int for r in raws):  # the usual case (JSON integers): nothing to convert
            return raws, flags
        index: list[int | None] = []
        for i, rec in enumerate(samples):
            if not isinstance(rec, dict):
                index.append(None)
                continue
            value, flags[i] = self._index_of(rec, first + i)
            index.append(value)
        return index, flags

    def _accept(self, index: list[int | None], flags: list[str | None], reasons: list[str | None]) -> list[int]:
        """Positions of the samples that pass the order rules and have readable values; flags the others.

        Duplicates and late samples are checked before the values, as a sample's index is
        what places it in time; an accepted index is remembered and becomes the last one.
        """
        cand = [i for i, f in enumerate(flags) if f is None]
        ids = [index[i] for i in cand]
        last = self.last_index
        increasing = all(a < b for a, b in zip(ids, ids[1:], strict=False))
        if increasing and (not ids or last is None or ids[0] > last) and self.seen.isdisjoint(ids):
            # in time order and new: only the value rules can flag (the usual case, no per-sample branching)
            accepted = [i for i in cand if reasons[i] is None]
            for i in cand:
                flags[i] = reasons[i]
            new = [index[i] for i in accepted]
            self.seen.update(new)
            self.seen_order.extend(new)
            while len(self.seen_order) > SEEN_WINDOW:
                self.seen.discard(self.seen_order.popleft())
            if accepted:
                self.last_index = index[accepted[-1]]
            return accepted
        accepted = []
        for i in cand:
            flag = self._order_flag(index[i]) or reasons[i]  # type: ignore[arg-type]
            flags[i] = flag
            if flag is None:
                self._remember(index[i])  # type: ignore[arg-type]
                self.last_index = index[i]
                accepted.append(i)
        return accepted

    def _lagged_rows(self, rows: np.ndarray) -> tuple[np.ndarray, int]:
        """Dynamic-PCA rows ``[x_t, x_{t-1}, …, x_{t-L}]`` of accepted rows (r, m) and how many only warm up."""
        buffer = list(self.lag_buffer)
        full = np.vstack([*buffer, rows]) if buffer else rows
        positions = np.arange(len(buffer), len(full))
        warm = int(np.sum(positions < self.lags))
        keep = positions[warm:]
        lagged = np.hstack([full[keep - lag] for lag in range(self.lags + 1)])
        self.lag_buffer = deque(full[-(self.lags + 1) :])
        return lagged, warm

    def score(self, samples: list[Any]) -> tuple[list[dict[str, Any]], list[Onset]]:
        """Score a batch in order; one output record per sample and the alarm onsets it raised.

        Never raises for a bad sample: every problem becomes that sample's ``flag``. The
        batch is parsed, checked and scored as arrays; only the order rule (each index
        against the last accepted one) and the records themselves are per sample.
        """
        values, reasons = self._parse(samples)
        index, flags = self._indices(samples, reasons)
        accepted = self._accept(index, flags, reasons)
        rows = values[accepted]
        if self.lags and accepted:
            rows, warm = self._lagged_rows(rows)
            for i in accepted[:warm]:
                flags[i] = f"warm-up: dynamic PCA needs {self.lags} earlier valid sample(s)"
            accepted = accepted[warm:]
        # One BLAS thread: at ~50 columns a thread pool costs far more than it gives (measured on
        # 2 loaded cores: 20x the CPU for the same products); the limit is lifted on return.
        with _blas_controller().limit(limits=1, user_api="blas"):
            return self._emit(index, flags, accepted, rows)

    def _persist(self, exceed: np.ndarray) -> np.ndarray:
        """Alarm state after each scored sample (k of the last n exceeded, the window carried over)."""
        if not len(exceed):
            return np.zeros(0, bool)
        full = np.concatenate([np.fromiter(self.window, bool, len(self.window)), exceed])
        self.window = deque(full[-self.n :].tolist())
        return persistence_alarm(full, self.k, self.n)[len(full) - len(exceed) :]

    def _emit(
        self, index: list[int | None], flags: list[str | None], scored: list[int], X: np.ndarray
    ) -> tuple[list[dict[str, Any]], list[Onset]]:
        total = len(flags)
        seqs = range(self.seq + 1, self.seq + total + 1)
        self.seq += total
        t2, spe = self.estimator.statistics(X) if scored else (np.empty(0), np.empty(0))
        alarm_s = self._persist((t2 > self.t2_limit) | (spe > self.spe_limit))
        onset_s = alarm_s & ~np.concatenate([[self.alarm], alarm_s[:-1]])
        # each sample's alarm: that of the last scored sample at or before it (flagged ones repeat it)
        mark = np.full(total, -1)
        mark[scored] = np.arange(len(scored))
        last = np.maximum.accumulate(mark) if total else mark
        alarm = np.where(last >= 0, alarm_s[np.maximum(last, 0)] if len(scored) else False, self.alarm)
        t2_col, spe_col = [None] * total, [None] * total
        for p, a, b in zip(scored, np.round(t2, 6).tolist(), np.round(spe, 6).tolist(), strict=True):
            t2_col[p], spe_col[p] = a, b
        contributions: list[dict[str, float] | None] = [None] * total
        onsets = self._explain(index, seqs, scored, X, t2, spe, alarm_s, onset_s, contributions)
        out = [
            {
                "index": i if i is not None else s,
                "seq": s,
                "t2": a,
                "spe": b,
                "t2_limit": self.t2_limit,
                "spe_limit": self.spe_limit,
                "alarm": al,
                "flag": f,
                "contributions": c,
            }
            for i, s, a, b, al, f, c in zip(
                index, seqs, t2_col, spe_col, alarm.tolist(), flags, contributions, strict=True
            )
        ]
        if total:
            self.alarm = bool(alarm[-1])
        c = self.counts
        c["samples"] += total
        c["scored"] += len(scored)
        c["flagged"] += total - len(scored)
        c["alarms"] += int(alarm_s.sum())
        c["onsets"] += len(onsets)
        return out, onsets

    def _explain(
        self,
        index: list[int | None],
        seqs: range,
        scored: list[int],
        X: np.ndarray,
        t2: np.ndarray,
        spe: np.ndarray,
        alarm_s: np.ndarray,
        onset_s: np.ndarray,
        contributions: list[dict[str, float] | None],
    ) -> list[Onset]:
        """Fill ``contributions`` of the samples in alarm; the onsets with their top five variables."""
        pos = np.flatnonzero(alarm_s)
        if not len(pos):
            return []
        c_t2, c_spe = self.estimator.contributions(X[pos])
        w2 = (t2[pos] > self.t2_limit).astype(float)
        wq = (spe[pos] > self.spe_limit).astype(float)
        neither = (w2 + wq) == 0
        w2[neither], wq[neither] = 1.0, 1.0
        c = c_t2 * (w2 / self.t2_limit)[:, None] + c_spe * (wq / self.spe_limit)[:, None]
        total = c.sum(axis=1, keepdims=True)
        shares = np.round(c / np.where(total > 0, total, 1.0), 4)
        names = self.variables
        for j, row in zip(pos.tolist(), shares.tolist(), strict=True):
            contributions[scored[j]] = dict(zip(names, row, strict=True))
        onsets = []
        for j in np.flatnonzero(onset_s).tolist():
            row = shares[np.searchsorted(pos, j)]
            top = np.argsort(row)[::-1][:5]
            p = scored[j]
            i = index[p]
            onsets.append(
                Onset(
                    i if i is not None else seqs[p],
                    seqs[p],
                    float(t2[j]),
                    float(spe[j]),
                    [(names[t], float(row[t])) for t in top],
                )
            )
        return onsets
