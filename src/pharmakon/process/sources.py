"""Where samples come from: a CSV or JSON-lines file (optionally followed as it grows) or standard input.

Each reader yields one item per sample line, in order: a ``dict`` (variable -> value)
or an :class:`Unreadable` (the reason the line could not be read; the monitor flags it,
so an unreadable line still gets its output record). Blank lines are not samples.

Format: JSON lines when the file name ends in ``.jsonl``/``.ndjson`` or its first
non-blank line starts with ``{`` (standard input is always JSON lines, a CSV header
is recognised too); otherwise CSV with a header row.
"""

from __future__ import annotations

import csv
import io
import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

__all__ = ["Unreadable", "read_samples", "MAX_LINE_BYTES"]

#: Longest sample line accepted (a longer line is flagged, not read).
MAX_LINE_BYTES = 1_000_000


class Unreadable(str):
    """A line that is not a sample (bad JSON, wrong field count): the text is the reason."""


def _json_sample(line: str, number: int) -> dict[str, Any] | Unreadable:
    try:
        value = json.loads(line)
    except ValueError as exc:
        return Unreadable(f"line {number}: not valid JSON ({exc.msg})")
    if not isinstance(value, dict):
        return Unreadable(f"line {number}: a sample is a JSON object, not {type(value).__name__}")
    return value


def _csv_sample(line: str, header: list[str], number: int) -> dict[str, Any] | Unreadable:
    fields = next(csv.reader(io.StringIO(line)), [])
    if len(fields) > len(header):
        return Unreadable(f"line {number}: {len(fields)} fields but the header has {len(header)}")
    # A short row leaves the missing variables absent: the monitor names them.
    return {k: v for k, v in zip(header, fields, strict=False)}


def _lines(handle: IO[str], follow: bool, idle_timeout: float | None, stop: Callable[[], bool]) -> Iterator[str]:
    """Complete lines of ``handle``; with ``follow`` wait for more until idle or stopped."""
    pending = ""
    idle_since = time.monotonic()
    while True:
        chunk = handle.readline()
        if chunk:
            pending += chunk
            if pending.endswith("\n"):
                yield pending[:-1]
                pending = ""
                idle_since = time.monotonic()
            continue
        if not follow or stop() or (idle_timeout is not None and time.monotonic() - idle_since > idle_timeout):
            break
        time.sleep(0.05)  # a partly written line stays pending until its newline arrives
    if pending:
        yield pending


def read_samples(
    source: str | Path,
    *,
    follow: bool = False,
    idle_timeout: float | None = None,
    stop: Callable[[], bool] = lambda: False,
    stdin: IO[str] | None = None,
) -> Iterator[dict[str, Any] | Unreadable]:
    """Samples of ``source`` (a path, or ``"-"`` for standard input) in order.

    Parameters
    ----------
    follow : bool
        Keep reading as the file grows (``tail -f``) until ``stop()`` is true or no line
        arrived for ``idle_timeout`` seconds.
    """
    if str(source) == "-":
        yield from _parse(_lines(stdin or sys.stdin, False, None, stop), jsonl=None)
        return
    path = Path(source)
    jsonl = True if path.suffix.lower() in (".jsonl", ".ndjson") else None
    with path.open("r", encoding="utf-8-sig", newline="") as handle:
        yield from _parse(_lines(handle, follow, idle_timeout, stop), jsonl=jsonl)


def _parse(lines: Iterator[str], jsonl: bool | None) -> Iterator[dict[str, Any] | Unreadable]:
    header: list[str] | None = None
    for number, raw in enumerate(lines, 1):
        line = raw.rstrip("\r")
        if not line.strip():
            continue
        if len(line) > MAX_LINE_BYTES:
            yield Unreadable(f"line {number}: longer than {MAX_LINE_BYTES:,} characters")
            continue
        if jsonl is None:  # decided by the first non-blank line
            jsonl = line.lstrip().startswith("{")
            if not jsonl:
                header = [h.strip() for h in next(csv.reader(io.StringIO(line)))]
                continue
        yield _json_sample(line, number) if jsonl else _csv_sample(line, header or [], number)
