"""The local process-pool backend of :mod:`pharmakon.executor`."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

from pharmakon.executor._base import (
    Executor,
    _cpu_count,
    _Failure,
    _run_chunk_with_environment,
    _settings_environment,
    _worker_initializer,
)


class LocalExecutor(Executor):
    """Runs items in a pool of worker processes on this machine.

    Parameters
    ----------
    n_jobs : int, optional
        Worker processes. None or -1 (default): one per CPU this process may use.
    mp_context : {"forkserver", "spawn"}, optional
        How workers start. Default ``"forkserver"`` where the platform has it, else
        ``"spawn"``; both are safe in a process that runs threads (unlike ``"fork"``).

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

    def __init__(self, n_jobs: int | None = None, *, mp_context: str | None = None) -> None:
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
        self.n_jobs = n_jobs
        self.mp_context = mp_context
        self._pool: Any = None
        self._lock = threading.Lock()

    @property
    def n_workers(self) -> int:
        return _cpu_count() if self.n_jobs in (None, -1) else int(self.n_jobs)  # type: ignore[arg-type]

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
        return f"LocalExecutor(n_jobs={self.n_jobs!r}, mp_context={self.mp_context!r})"
