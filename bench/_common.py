"""Helpers shared by the benchmark scripts in ``bench/``.

Each script measures one capability, writes ``bench/results/<name>.json`` (git-ignored)
with its numbers and a description of the machine, and prints a table with rich.
Import it from a script in this folder as ``import _common`` (running
``python bench/<script>.py`` puts ``bench/`` first on ``sys.path``).
"""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"

__all__ = [
    "BENCH_DIR",
    "REPO_ROOT",
    "RESULTS_DIR",
    "machine_info",
    "write_result",
    "print_table",
    "Timer",
    "timed",
    "add_repo_root_to_path",
    "rate",
]


def add_repo_root_to_path() -> None:
    """Make ``tests.*`` helpers (e.g. ``tests.postgres_server``) importable."""
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024**2, 1)
    except (OSError, ValueError, IndexError):
        pass
    return None


def machine_info(**extra: Any) -> dict[str, Any]:
    """What the numbers were measured on; ``extra`` adds e.g. database versions."""
    try:
        from pharmakon._version import __version__ as pharmakon_version
    except ImportError:  # pragma: no cover - the bench runs from the repo's venv
        pharmakon_version = None
    info: dict[str, Any] = {
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gib": _memory_gib(),
        "python": sys.version.split()[0],
        "python_implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "sqlite_version": sqlite3.sqlite_version,
        "pharmakon_version": pharmakon_version,
    }
    info.update(extra)
    return info


def write_result(name: str, payload: Mapping[str, Any], *, argv: Sequence[str] | None = None) -> Path:
    """Write ``bench/results/<name>.json`` with ``payload``, a timestamp and the command line."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    document = {
        "benchmark": name,
        "finished_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": " ".join(["python", *(sys.argv if argv is None else argv)]),
        **payload,
    }
    out = RESULTS_DIR / f"{name}.json"
    tmp = out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")
    tmp.replace(out)
    return out


def print_table(
    title: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    caption: str | None = None,
    numeric: Sequence[str] = (),
) -> None:
    """Print a rich table; ``numeric`` names right-aligned columns."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, caption=caption, caption_justify="left")
    for column in columns:
        table.add_column(column, justify="right" if column in numeric else "left")
    for row in rows:
        table.add_row(*("" if cell is None else str(cell) for cell in row))
    # Wide enough for a log file when stdout is not a terminal.
    Console(width=None if sys.stdout.isatty() else 150).print(table)


def rate(count: float, seconds: float) -> float:
    """``count / seconds`` (0 when nothing was timed)."""
    return count / seconds if seconds > 0 else 0.0


class Timer:
    """Elapsed wall-clock seconds of a ``with timed() as t:`` block (``t.seconds``)."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.seconds = 0.0


@contextmanager
def timed() -> Iterator[Timer]:
    timer = Timer()
    try:
        yield timer
    finally:
        timer.seconds = time.perf_counter() - timer.start


def tdc_scaffold_split():
    """PyTDC 1.1.15's ``create_scaffold_split``, run from the installed wheel minus its heavy imports."""
    import importlib.util
    import pathlib

    spec = importlib.util.find_spec("tdc")
    if spec is None:
        raise SystemExit("pip install --no-deps pytdc==1.1.15 (its scaffold-split code is used as is)")
    path = pathlib.Path(spec.submodule_search_locations[0]) / "utils" / "split.py"
    source = path.read_text().replace("from .misc import print_sys", "print_sys = print")
    namespace: dict = {}
    exec(compile(source, str(path), "exec"), namespace)  # noqa: S102 - PyTDC's own code
    return namespace["create_scaffold_split"]
