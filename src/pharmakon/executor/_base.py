"""Executor machinery shared by every backend: the base class, the serial backend, helpers.

Public names are re-exported by :mod:`pharmakon.executor`.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import os
import pickle
import sys
import threading
import traceback
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

if TYPE_CHECKING:  # pragma: no cover
    from numpy.random import SeedSequence

from pharmakon.errors import CancelledError, PharmakonError

T = TypeVar("T")
R = TypeVar("R")

ProgressCallback = Callable[[int, int], Any]
"""``progress(done, total)``: items finished so far and items in all, called in the parent."""

_POLL_S = 0.05  # how often the parent looks at the cancel token while it waits (s)
_IN_FLIGHT_PER_WORKER = 4  # chunks queued per worker: enough to keep it busy, bounded memory


# --------------------------------------------------------------------------- helpers


class CancelToken:
    """A flag that asks running work to stop; safe to set from any thread.

    Pass one to :meth:`Executor.map`; calling :meth:`cancel` (from a progress
    callback, a signal handler, a web request, another thread) makes the map drop the
    work not yet started, stop what is running where the backend can, and raise
    :class:`~pharmakon.errors.CancelledError`.

    Examples
    --------
    >>> token = CancelToken()
    >>> token.cancelled
    False
    >>> token.cancel()
    >>> token.cancelled
    True
    """

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        """Ask the work to stop. Calling it again does nothing."""
        self._event.set()

    @property
    def cancelled(self) -> bool:
        """Whether :meth:`cancel` has been called."""
        return self._event.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until cancelled or ``timeout`` seconds pass; return :attr:`cancelled`."""
        return self._event.wait(timeout)

    def raise_if_cancelled(self) -> None:
        """Raise :class:`~pharmakon.errors.CancelledError` if :meth:`cancel` was called."""
        if self.cancelled:
            raise CancelledError("the work was cancelled")

    def __repr__(self) -> str:
        return f"CancelToken(cancelled={self.cancelled})"


class TaskError(PharmakonError):
    """The mapped function raised on one item.

    The original exception is chained as ``__cause__`` (with the worker's traceback
    when it ran in another process).

    Attributes
    ----------
    index : int or None
        Position of the failing item in the input, or None when a whole chunk was lost
        (a worker process died).
    """

    def __init__(self, message: str, *, index: int | None = None) -> None:
        super().__init__(message)
        self.index = index


def chunked(seq: Iterable[T], size: int) -> Iterator[Sequence[T]]:
    """Split ``seq`` into consecutive chunks of ``size`` items (the last may be shorter).

    Parameters
    ----------
    seq : iterable
        Items to split. A sequence (list, tuple, range, str) is sliced, so each chunk
        has the input's type; any other iterable is consumed lazily into lists.
    size : int
        Items per chunk, at least 1.

    Yields
    ------
    chunk : sequence
        ``size`` items, except possibly the last chunk.

    Raises
    ------
    ValueError
        If ``size`` is not a positive integer.

    Examples
    --------
    >>> list(chunked([1, 2, 3, 4, 5], 2))
    [[1, 2], [3, 4], [5]]
    >>> list(chunked(range(4), 3))
    [range(0, 3), range(3, 4)]
    """
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"chunked(size=...) must be a positive integer; got {size!r}")
    if isinstance(seq, Sequence):
        for start in range(0, len(seq), size):
            yield seq[start : start + size]
        return
    iterator = iter(seq)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def spawn_seeds(seed: int | Sequence[int] | SeedSequence | None, n: int) -> list[SeedSequence]:
    """Make ``n`` independent, reproducible seeds, one per task.

    Child ``i`` depends only on ``seed`` and ``i`` -- not on the backend, the number of
    workers, the chunk size, or ``n`` (``spawn_seeds(s, 10)[:5]`` equals
    ``spawn_seeds(s, 5)``) -- so a simulation grid gives the same answer on a laptop and
    on a cluster. Give each task its seed and build its generator with
    ``numpy.random.default_rng(child)``.

    Parameters
    ----------
    seed : int, sequence of int, numpy.random.SeedSequence or None
        Root entropy; record it (for an int, in the audit trail) to reproduce the run.
        None draws fresh entropy from the OS (not reproducible unless you record
        ``spawn_seeds(...)[0].entropy``). A SeedSequence is spawned from directly,
        which advances its own child counter, as numpy does.
    n : int
        Number of seeds, at least 0.

    Returns
    -------
    seeds : list of numpy.random.SeedSequence, length ``n``
        Picklable; each is a valid argument to :func:`numpy.random.default_rng`.

    Raises
    ------
    ValueError
        If ``n`` is negative or not an integer.

    References
    ----------
    .. [1] NumPy documentation, "Parallel Random Number Generation"
       (``numpy.random.SeedSequence``).
    .. [2] M. E. O'Neill, "Developing a seed_seq alternative", pcg-random.org (2015).

    Examples
    --------
    >>> import numpy as np
    >>> seeds = spawn_seeds(2024, 4)
    >>> draws = [np.random.default_rng(s).integers(100) for s in seeds]
    >>> draws == [np.random.default_rng(s).integers(100) for s in spawn_seeds(2024, 4)]
    True
    """
    import numpy as np

    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"spawn_seeds(n=...) must be a non-negative integer; got {n!r}")
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    return root.spawn(n)


# --------------------------------------------------------------------------- worker side


@dataclass
class _Failure:
    """What a chunk returns when ``fn`` raised on one of its items."""

    index: int
    error: BaseException
    traceback: str


class _RemoteTraceback(Exception):
    """Carries a worker's formatted traceback, shown as the cause of the original error."""

    def __init__(self, tb: str) -> None:
        super().__init__(tb)
        self.tb = tb

    def __str__(self) -> str:
        return f'\n"""\n{self.tb}"""'


def _portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives a pickle round trip, else a RuntimeError that names it."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__qualname__}: {exc}")
    return exc


def _run_chunk(
    fn: Callable[[Any], Any], start: int, items: Sequence[Any], portable: bool = True
) -> list[Any] | _Failure:
    """Apply ``fn`` to each item; stop at the first exception and report its index.

    Runs in the worker (any backend). Exceptions become a :class:`_Failure` value so
    that every backend reports them the same way; ``portable`` makes sure the
    exception can travel back to the parent process.
    """
    results = []
    for offset, item in enumerate(items):
        try:
            results.append(fn(item))
        except Exception as exc:
            error = _portable(exc) if portable else exc
            return _Failure(start + offset, error, traceback.format_exc())
    return results


def _ignore_sigint() -> None:
    """Worker initializer: Ctrl-C is the parent's to handle (it stops the workers)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


_WATCHDOG_S = 0.5  # how often a worker checks that the process that started it still lives (s)
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _worker_initializer(owner_pid: int) -> None:
    """Local pool worker initializer: ignore Ctrl-C, and die with the process that owns the pool.

    A parent killed with ``kill -9`` cannot stop its workers, and an idle worker waits on
    its task queue forever (it holds the queue's write end itself). So each worker:

    * on Linux, asks the kernel for SIGKILL when its parent process exits
      (``prctl(PR_SET_PDEATHSIG)``); with the forkserver start method the parent is the
      fork server, which exits when ``owner_pid`` does;
    * everywhere, runs a watchdog thread that ends the worker when its parent changes
      (it was re-parented) or ``owner_pid`` is gone (or a zombie).

    A worker that starts its own local pool passes its own PID on, so grandchildren
    follow the same rule.
    """
    _ignore_sigint()
    _die_with_parent(owner_pid)


def _die_with_parent(owner_pid: int) -> None:
    """Arrange for this process to end when ``owner_pid`` (or its current parent) ends."""
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):  # best effort: the watchdog below still runs
            import ctypes
            import signal

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    if _parent_gone(parent, owner_pid):  # the parent died before prctl took effect
        os._exit(1)
    threading.Thread(
        target=_watch_parent, args=(parent, owner_pid), name="pharmakon-parent-watchdog", daemon=True
    ).start()


def _watch_parent(parent: int, owner_pid: int) -> None:
    import time

    while not _parent_gone(parent, owner_pid):
        time.sleep(_WATCHDOG_S)
    os._exit(1)  # no cleanup to wait for: the results have nowhere to go


def _parent_gone(parent: int, owner_pid: int) -> bool:
    return os.getppid() != parent or not _process_alive(owner_pid)


def _process_alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped, counts as gone)."""
    if pid == os.getpid():
        return True
    if sys.platform.startswith("linux"):
        try:
            with open(f"/proc/{pid}/stat", "rb") as fh:
                stat = fh.read()
        except FileNotFoundError:
            return False
        except OSError:
            return True
        return stat[stat.rfind(b")") + 2 :][:1] not in (b"Z", b"X")
    if os.name != "posix":  # pragma: no cover - Windows: os.kill(pid, 0) would terminate pid
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _settings_environment() -> dict[str, str]:
    """The parent's ``PHARMAKON_*`` variables, to hand to workers."""
    return {k: v for k, v in os.environ.items() if k.startswith("PHARMAKON_")}


def _adopt_environment(environment: dict[str, str]) -> None:
    """Make this worker's ``PHARMAKON_*`` variables (and settings) equal the parent's."""
    if _settings_environment() == environment:
        return
    for key in [k for k in os.environ if k.startswith("PHARMAKON_") and k not in environment]:
        del os.environ[key]
    os.environ.update(environment)
    from pharmakon.config import get_settings

    get_settings.cache_clear()


def _run_chunk_with_environment(environment: dict[str, str], fn: Callable[[Any], Any], start: int, chunk: list[Any]):
    """:func:`_run_chunk` after adopting the parent's settings of the moment of submission.

    Workers outlive settings changes: a forkserver's children inherit the environment of
    the moment the forkserver began, pools and Ray workers are reused across maps.
    """
    _adopt_environment(environment)
    return _run_chunk(fn, start, chunk)


def _cpu_count() -> int:
    """CPUs this process may use (respects affinity masks in containers)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


# --------------------------------------------------------------------------- executors


class Executor(ABC):
    """Applies a function to many items, in parallel where the backend allows.

    Subclasses supply four hooks (submit a chunk, wait for some, fetch a result,
    cancel the rest); the map loop, ordering, progress, cancellation and error
    reporting live here once, so every backend behaves the same.

    Executors are context managers: leaving the ``with`` block calls :meth:`close`.
    One executor can run many maps; worker pools start on first use and are reused.
    """

    name: ClassVar[str] = ""

    # -- public API -----------------------------------------------------------------

    def map(
        self,
        fn: Callable[[T], R],
        items: Iterable[T],
        *,
        chunksize: int | None = None,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> list[R]:
        """Return ``[fn(item) for item in items]``, computed by the backend.

        Parameters
        ----------
        fn : callable
            Top-level (picklable) function of one argument.
        items : iterable
            Inputs; materialised into a list to count them.
        chunksize : int, optional
            Items sent to a worker at once. Default: about four chunks per worker
            (one for the serial backend), which balances load and overhead. Results do
            not depend on it.
        progress : callable, optional
            ``progress(done, total)`` in items, called in this process with
            ``done=0`` before work starts and again each time a chunk finishes;
            ``done`` increases up to ``total``.
        cancel : CancelToken, optional
            When cancelled, work not started is dropped, running work is stopped where
            the backend can (worker processes are ended; Ray tasks are interrupted),
            and :class:`~pharmakon.errors.CancelledError` is raised.

        Returns
        -------
        results : list, length ``len(items)``
            In input order.

        Raises
        ------
        TaskError
            If ``fn`` raised; the message names the item's index and the original
            exception is its ``__cause__``. Remaining work is cancelled.
        CancelledError
            If ``cancel`` was cancelled before all items finished.
        TypeError
            If ``fn`` cannot be pickled (a lambda or nested function).

        Examples
        --------
        >>> from pharmakon.executor import SerialExecutor, CancelToken
        >>> seen = []
        >>> SerialExecutor().map(abs, [-1, -2], progress=lambda d, t: seen.append(d), cancel=CancelToken())
        [1, 2]
        >>> seen
        [0, 1, 2]
        """
        items = list(items)
        results: list[Any] = [None] * len(items)
        with contextlib.closing(self._run(fn, items, chunksize, progress, cancel)) as chunks:
            for start, chunk_results in chunks:
                results[start : start + len(chunk_results)] = chunk_results
        return results

    def imap(
        self,
        fn: Callable[[T], R],
        items: Iterable[T],
        *,
        chunksize: int | None = None,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> Iterator[R]:
        """Like :meth:`map`, but yield results in input order as soon as they are ready.

        Closing the iterator early (``break``) cancels the remaining work.
        """
        items = list(items)
        ready: dict[int, Any] = {}
        next_index = 0
        with contextlib.closing(self._run(fn, items, chunksize, progress, cancel)) as chunks:
            for start, chunk_results in chunks:
                for offset, result in enumerate(chunk_results):
                    ready[start + offset] = result
                while next_index in ready:
                    yield ready.pop(next_index)
                    next_index += 1

    def imap_unordered(
        self,
        fn: Callable[[T], R],
        items: Iterable[T],
        *,
        chunksize: int | None = None,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> Iterator[tuple[int, R]]:
        """Yield ``(index, fn(items[index]))`` pairs in the order they finish.

        Useful to write results out (or stop early) without holding them all.
        Closing the iterator early cancels the remaining work.
        """
        with contextlib.closing(self._run(fn, list(items), chunksize, progress, cancel)) as chunks:
            for start, chunk_results in chunks:
                yield from enumerate(chunk_results, start)

    def close(self) -> None:  # noqa: B027 - optional hook; the serial backend holds nothing
        """Release workers and connections this executor started. Idempotent."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    @abstractmethod
    def n_workers(self) -> int:
        """How many items can run at the same time."""

    # -- backend hooks --------------------------------------------------------------

    @abstractmethod
    def _submit(self, fn: Callable[[Any], Any], start: int, chunk: list[Any]) -> Any:
        """Start ``_run_chunk(fn, start, chunk)``; return a handle."""

    @abstractmethod
    def _wait(self, handles: list[Any], timeout: float) -> list[Any]:
        """Return the handles that have finished, waiting up to ``timeout`` seconds."""

    @abstractmethod
    def _result(self, handle: Any) -> list[Any] | _Failure:
        """Return what ``_run_chunk`` returned; raise if the worker itself failed."""

    @abstractmethod
    def _cancel(self, handles: list[Any]) -> None:
        """Drop pending handles and stop running ones as far as the backend can."""

    def _prepare(self, fn: Callable[[Any], Any]) -> Callable[[Any], Any] | Any:
        """Turn ``fn`` into what ``_submit`` sends (Ray puts it in the object store)."""
        return fn

    # -- the one map loop ------------------------------------------------------------

    def _default_chunksize(self, n_items: int) -> int:
        return max(1, math.ceil(n_items / (self.n_workers * _IN_FLIGHT_PER_WORKER)))

    def _max_in_flight(self) -> int:
        return self.n_workers * _IN_FLIGHT_PER_WORKER

    def _run(
        self,
        fn: Callable[[Any], Any],
        items: list[Any],
        chunksize: int | None,
        progress: ProgressCallback | None,
        cancel: CancelToken | None,
        first: int = 0,
    ) -> Iterator[tuple[int, list[Any]]]:
        """Yield ``(start, results)`` for each chunk of ``items[first:]`` as it finishes."""
        _check_picklable(fn)
        if chunksize is None:
            chunksize = self._default_chunksize(len(items))
        elif isinstance(chunksize, bool) or not isinstance(chunksize, int) or chunksize < 1:
            raise ValueError(f"{type(self).__name__}.map(chunksize=...) must be a positive integer; got {chunksize!r}")
        total, done = len(items), first

        def check_cancel() -> None:
            if cancel is not None and cancel.cancelled:
                raise CancelledError(f"{self.name} map cancelled after {done} of {total} items finished")

        check_cancel()
        if progress is not None and first == 0:  # a later start continues a count already reported
            progress(0, total)
        if total == first:
            return
        chunks = ((start, items[start : start + chunksize]) for start in range(first, total, chunksize))
        max_in_flight = self._max_in_flight()
        payload = self._prepare(fn)
        pending: dict[Any, tuple[int, int]] = {}  # handle -> (start, length)
        try:
            while True:
                check_cancel()
                for start, chunk in itertools.islice(chunks, max_in_flight - len(pending)):
                    pending[self._submit(payload, start, chunk)] = (start, len(chunk))
                if not pending:
                    return
                for handle in self._wait(list(pending), _POLL_S):
                    start, length = pending.pop(handle)
                    outcome = self._fetch(handle, start, length, total)
                    done += length
                    yield start, outcome
                    if progress is not None:
                        progress(done, total)
        except BaseException:
            # failure, cancellation, Ctrl-C or the consumer closed the generator
            if pending:
                self._cancel(list(pending))
            raise

    def _fetch(self, handle: Any, start: int, length: int, total: int) -> list[Any]:
        try:
            outcome = self._result(handle)
        except Exception as exc:
            raise TaskError(
                f"{self.name} executor lost items {start}..{start + length - 1} of {total}: "
                f"{type(exc).__name__}: {exc} (did a worker process crash or run out of memory?)"
            ) from exc
        if isinstance(outcome, _Failure):
            _raise_failure(outcome, total)
        return outcome

    def __repr__(self) -> str:
        return f"{type(self).__name__}(n_workers={self.n_workers})"


def _raise_failure(outcome: _Failure, total: int) -> None:
    """Raise the :class:`TaskError` for an item whose function raised."""
    error = outcome.error
    if error.__traceback__ is None and error.__cause__ is None:  # came from another process
        error.__cause__ = _RemoteTraceback(outcome.traceback)
    raise TaskError(
        f"task failed on item {outcome.index} (of {total}): {type(error).__name__}: {error}",
        index=outcome.index,
    ) from error


def _check_picklable(fn: Callable[[Any], Any]) -> None:
    if not callable(fn):
        raise TypeError(f"Executor.map(fn=...) must be callable; got {type(fn).__name__}")
    try:
        pickle.dumps(fn)
    except Exception as exc:
        raise TypeError(
            f"Executor.map(fn=...) must be picklable so it can run in worker processes: use a "
            f"top-level function of an importable module (or functools.partial of one), not a "
            f"lambda or nested function; got {fn!r} ({type(exc).__name__}: {exc})"
        ) from exc


class _Ready:
    """Handle of work the serial executor has already done."""

    __slots__ = ("outcome",)

    def __init__(self, outcome: list[Any] | _Failure) -> None:
        self.outcome = outcome


class SerialExecutor(Executor):
    """Runs every item in this process, one after another.

    For debugging (breakpoints work, tracebacks are the real ones) and inputs too small
    to be worth starting processes. Progress and cancellation are checked between
    chunks (by default, between items).

    Examples
    --------
    >>> SerialExecutor().map(str.upper, ["a", "b"])
    ['A', 'B']
    """

    name = "serial"

    @property
    def n_workers(self) -> int:
        return 1

    def _default_chunksize(self, n_items: int) -> int:
        return 1

    def _max_in_flight(self) -> int:
        return 1

    def _submit(self, fn: Callable[[Any], Any], start: int, chunk: list[Any]) -> _Ready:
        return _Ready(_run_chunk(fn, start, chunk, portable=False))

    def _wait(self, handles: list[Any], timeout: float) -> list[Any]:
        return handles

    def _result(self, handle: _Ready) -> list[Any] | _Failure:
        return handle.outcome

    def _cancel(self, handles: list[Any]) -> None:
        pass

    def __repr__(self) -> str:
        return "SerialExecutor()"
