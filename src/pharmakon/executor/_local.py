"""The local process-pool backend of :mod:`pharmakon.executor`."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from pharmakon.executor._base import (
    CancelToken,
    Executor,
    ProgressCallback,
    _cpu_count,
    _Failure,
    _raise_failure,
    _run_chunk,
    _run_chunk_with_environment,
    _settings_environment,
    _worker_initializer,
)

#: Seconds a pool of worker processes costs before its first result here: forkserver start,
#: each worker importing NumPy and the task's module, and the first round trip. Measured by
#: ``bench/executor.py`` (``pool_start_s``) on the 2-core reference machine; see
#: docs/performance.md. Work that would not save more than this stays in the process.
WORKER_START_S = 0.6


class LocalExecutor(Executor):
    """Runs items in a pool of worker processes on this machine.

    Parameters
    ----------
    n_jobs : int, optional
        Worker processes. None or -1 (default): one per CPU this process may use.
    mp_context : {"forkserver", "spawn"}, optional
        How workers start. Default ``"forkserver"`` where the platform has it, else
        ``"spawn"``; both are safe in a process that runs threads (unlike ``"fork"``).
    start_workers_above_s : float, optional
        Start worker processes only when they pay for themselves. With a value (seconds,
        e.g. :data:`WORKER_START_S`) and no pool running yet, a map runs its items in this
        process one at a time, timing them, for as long as the estimated time that
        workers would save on the rest, ``remaining x (1 - 1/n_workers)``, stays below
        it; only then does the pool start for the remaining items. Results, their order,
        progress, cancellation and errors are the same either way. None (default): the
        pool always starts.

    Notes
    -----
    The pool starts on the first map and is reused until :meth:`close`. Cancelling a
    map (or a failure in one task) ends the worker processes at once, so a long task
    does not hold the map up; a new pool starts on the next map (so run one map at a
    time per executor). The same happens when a worker process dies. Workers ignore
    Ctrl-C: the parent stops them. Workers die with the process that started the pool,
    even when it is killed with ``kill -9`` (a parent-death signal on Linux and a
    watchdog thread everywhere), and so do the workers of a pool a worker starts. Each
    worker may itself start BLAS threads; for numpy-heavy tasks set
    ``OMP_NUM_THREADS=1`` (or similar) to avoid oversubscription.

    Examples
    --------
    >>> from operator import neg
    >>> with LocalExecutor(n_jobs=2) as ex:
    ...     ex.map(neg, range(5))
    [0, -1, -2, -3, -4]
    """

    name = "local"

    def __init__(
        self, n_jobs: int | None = None, *, mp_context: str | None = None, start_workers_above_s: float | None = None
    ) -> None:
        import multiprocessing

        if n_jobs is not None and (
            isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0 or n_jobs < -1
        ):
            raise ValueError(f"LocalExecutor(n_jobs=...) must be a positive integer, -1 or None; got {n_jobs!r}")
        methods = multiprocessing.get_all_start_methods()
        if mp_context is None:
            mp_context = "forkserver" if "forkserver" in methods else "spawn"
        elif mp_context not in methods or mp_context == "fork":
            allowed = ", ".join(m for m in methods if m != "fork")
            raise ValueError(f"LocalExecutor(mp_context=...) must be one of {allowed}; got {mp_context!r}")
        if start_workers_above_s is not None and not start_workers_above_s >= 0:
            raise ValueError(f"LocalExecutor(start_workers_above_s=...) must be >= 0; got {start_workers_above_s!r}")
        self.n_jobs = n_jobs
        self.mp_context = mp_context
        self.start_workers_above_s = start_workers_above_s
        self._pool: Any = None
        self._lock = threading.Lock()

    @property
    def n_workers(self) -> int:
        return _cpu_count() if self.n_jobs in (None, -1) else int(self.n_jobs)  # type: ignore[arg-type]

    def _run(
        self,
        fn: Callable[[Any], Any],
        items: list[Any],
        chunksize: int | None,
        progress: ProgressCallback | None,
        cancel: CancelToken | None,
        first: int = 0,
    ) -> Iterator[tuple[int, list[Any]]]:
        """Run items here while workers would not pay for their start; the rest in the pool."""
        threshold = self.start_workers_above_s
        if threshold is None or self._pool is not None or self.n_workers < 2:
            yield from super()._run(fn, items, chunksize, progress, cancel, first)
            return
        total, done = len(items), first
        if progress is not None:
            progress(done, total)
        started = time.perf_counter()
        while done < total:
            if cancel is not None:
                cancel.raise_if_cancelled()
            outcome = _run_chunk(fn, done, [items[done]], portable=False)
            if isinstance(outcome, _Failure):
                _raise_failure(outcome, total)
            yield done, outcome
            done += 1
            if progress is not None:
                progress(done, total)
            per_item = (time.perf_counter() - started) / (done - first)
            if per_item * (total - done) * (1.0 - 1.0 / self.n_workers) > threshold:
                break  # the rest is worth the workers' start
        if done < total:
            yield from super()._run(fn, items, chunksize, progress, cancel, done)

    def _ensure_pool(self) -> Any:
        with self._lock:
            if self._pool is None:
                import multiprocessing
                from concurrent.futures import ProcessPoolExecutor

                self._pool = ProcessPoolExecutor(
                    max_workers=self.n_workers,
                    mp_context=multiprocessing.get_context(self.mp_context),
                    initializer=_worker_initializer,
                    initargs=(os.getpid(),),
                )
            return self._pool

    def _submit(self, fn: Callable[[Any], Any], start: int, chunk: list[Any]) -> Any:
        return self._ensure_pool().submit(_run_chunk_with_environment, _settings_environment(), fn, start, chunk)

    def _wait(self, handles: list[Any], timeout: float) -> list[Any]:
        from concurrent.futures import FIRST_COMPLETED, wait

        done, _ = wait(handles, timeout=timeout, return_when=FIRST_COMPLETED)
        return [h for h in handles if h in done]  # keep submission order among the finished

    def _result(self, handle: Any) -> list[Any] | _Failure:
        from concurrent.futures.process import BrokenProcessPool

        try:
            return handle.result()
        except BrokenProcessPool:
            self._terminate()  # a worker died; the pool is unusable, the next map starts a new one
            raise

    def _cancel(self, handles: list[Any]) -> None:
        for future in handles:
            future.cancel()
        if any(not future.done() for future in handles):  # something is still running
            self._terminate()

    def _terminate(self) -> None:
        """End the worker processes now and forget the pool (a new one starts on demand)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is None:
            return
        terminate = getattr(pool, "terminate_workers", None)  # Python >= 3.14
        if terminate is not None:
            terminate()
            return
        processes = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(timeout=5)

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def __repr__(self) -> str:
        extra = "" if self.start_workers_above_s is None else f", start_workers_above_s={self.start_workers_above_s!r}"
        return f"LocalExecutor(n_jobs={self.n_jobs!r}, mp_context={self.mp_context!r}{extra})"
