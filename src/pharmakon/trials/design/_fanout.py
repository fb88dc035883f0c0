"""Run a chunked simulation through the foundation executor, reproducibly.

Every simulator in this package splits ``sims`` trials into chunks of ``chunk_size``;
chunk ``i`` gets the seed ``spawn_seeds(seed, n_chunks)[i]`` and returns sums (counts,
totals) that are added in chunk order. The answer therefore depends only on
``(seed, sims, chunk_size)``, never on the backend (serial, local pool, Ray) or on
which worker ran a chunk.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from pharmakon.errors import InputError

__all__ = ["run_chunks", "add_up"]


def run_chunks(
    fn: Callable[[tuple[dict[str, Any], Any, int]], dict[str, Any]],
    params: dict[str, Any],
    sims: int,
    seed: int,
    *,
    backend: Any = "serial",
    chunk_size: int = 5_000,
    n_jobs: int | None = None,
    progress: Callable[[int, int], Any] | None = None,
) -> list[dict[str, Any]]:
    """Call ``fn((params, seed_i, n_i))`` for every chunk through :func:`~pharmakon.executor.get_executor`.

    Parameters
    ----------
    fn : callable
        Top-level function of one task ``(params, SeedSequence, n_trials)`` returning a
        dict of sums (numbers or lists of numbers).
    sims : int
        Total simulated trials (1 to 1e9).
    backend : {"serial", "local", "ray"}, None or Executor
        Executor backend (``None``: the configured default), or an open executor that
        the caller keeps ownership of.

    Returns
    -------
    list of dict
        The chunk results in chunk order.
    """
    from pharmakon.executor import WORKER_START_S, Executor, get_executor, spawn_seeds

    if not 1 <= int(sims) <= 10**9:
        raise InputError(f"sims must be in [1, 1e9], got {sims}", field="sims")
    if chunk_size < 1:
        raise InputError(f"chunk_size must be >= 1, got {chunk_size}", field="chunk_size")
    n_chunks = -(-int(sims) // chunk_size)
    sizes = [chunk_size] * (n_chunks - 1) + [int(sims) - chunk_size * (n_chunks - 1)]
    tasks = [(params, sd, k) for sd, k in zip(spawn_seeds(seed, n_chunks), sizes, strict=True)]
    if isinstance(backend, Executor):  # a caller-owned executor (one pool for many runs)
        return backend.map(fn, tasks, chunksize=1, progress=progress)
    with get_executor(backend, n_jobs=n_jobs, start_workers_above_s=WORKER_START_S) as ex:
        return ex.map(fn, tasks, chunksize=1, progress=progress)


def add_up(parts: list[dict[str, Any]], key: str) -> Any:
    """Sum one field over chunk results: a float, or an ndarray for list fields."""
    values = [p[key] for p in parts]
    if isinstance(values[0], list | tuple | np.ndarray):
        return np.sum(np.asarray(values, dtype=float), axis=0)
    return float(sum(values))
