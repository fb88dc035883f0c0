"""Live monitors held in memory by a running server: their state, recent records and alarms.

A :class:`LiveMonitor` wraps one :class:`~pharmakon.process.stream.StreamMonitor`
(the scoring state: persistence window, lag buffer, seen indices) with a lock, so
batches posted concurrently are scored one after another in arrival order, plus ring
buffers of the most recent output records and alarm onsets for the dashboard.
Nothing here touches the store; the service audits what :meth:`LiveMonitor.feed` returns.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from pharmakon.process.stream import Onset, StreamMonitor

__all__ = ["LiveMonitor", "get_live", "put_live", "live_names", "RECENT_RECORDS", "RECENT_ONSETS"]

#: Output records kept for the dashboard (older ones are in the caller's own output).
RECENT_RECORDS = 5_000
#: Alarm onsets kept for the dashboard (all of them are in the audit trail).
RECENT_ONSETS = 500


@dataclass
class LiveMonitor:
    """One running monitor: model ``name`` version ``version``."""

    name: str
    version: int
    monitor: StreamMonitor
    lock: threading.Lock = field(default_factory=threading.Lock)
    records: deque = field(default_factory=lambda: deque(maxlen=RECENT_RECORDS))
    onsets: deque = field(default_factory=lambda: deque(maxlen=RECENT_ONSETS))

    def feed(self, samples: list[Any]) -> tuple[list[dict[str, Any]], list[Onset]]:
        """Score ``samples`` in order under the lock; keep the records and onsets for the dashboard."""
        with self.lock:
            out, onsets = self.monitor.score(samples)
            self.records.extend(out)
            self.onsets.extend(onsets)
        return out, onsets

    def since(self, seq: int, limit: int = 2_000) -> list[dict[str, Any]]:
        """Kept records with ``seq`` above ``seq`` (oldest first, at most ``limit``)."""
        with self.lock:
            newer = [r for r in self.records if r["seq"] > seq]
        return newer[-limit:]


_LIVE: dict[str, LiveMonitor] = {}
_GUARD = threading.Lock()


def get_live(name: str) -> LiveMonitor | None:
    """The live monitor of model ``name``, if one is running in this process."""
    with _GUARD:
        return _LIVE.get(name)


def put_live(live: LiveMonitor) -> LiveMonitor:
    """Start (or replace) the live monitor of ``live.name``."""
    with _GUARD:
        _LIVE[live.name] = live
    return live


def live_names() -> list[str]:
    """Names of the monitors running in this process."""
    with _GUARD:
        return sorted(_LIVE)
