"""One executor abstraction for work that fans out.

Trial-simulation grids, virtual screening, hyper-parameter search and batch variant
calling all share one shape: apply a function to many independent items, show
progress, let the user stop it. Domains call :func:`get_executor` and
:meth:`Executor.map`; none of them grows its own pool.

=========================  =============================================================
backend                    runs on
=========================  =============================================================
``"serial"``               this process, one item after another (debugging, tiny input)
``"local"`` (default)      a pool of worker processes on this machine
``"ray"``                  a Ray cluster: a local one, or ``--address HOST:PORT``
=========================  =============================================================

The backend comes from the caller (``--backend``), else from ``PHARMAKON_BACKEND``.
Every backend gives the same results in the same order: make randomness an input
(:func:`spawn_seeds`), never a property of the worker that happens to run an item.

Notes
-----
``fn`` is sent to other processes by reference, so it must be a top-level function
of an importable module (or a :func:`functools.partial` of one); lambdas and nested
functions are refused on every backend, so code that runs serially also runs on Ray.
On a remote Ray cluster, pharmakon and the module of ``fn`` must be installed on
every node.

Examples
--------
>>> from pharmakon.executor import get_executor, spawn_seeds
>>> with get_executor("serial") as ex:
...     ex.map(abs, [-2, 1, -3])
[2, 1, 3]
>>> len(spawn_seeds(42, 3))
3
"""

from __future__ import annotations

from pharmakon.errors import ConfigError
from pharmakon.executor._base import (
    CancelToken,
    Executor,
    SerialExecutor,
    TaskError,
    chunked,
    spawn_seeds,
)
from pharmakon.executor._local import WORKER_START_S, LocalExecutor
from pharmakon.executor._ray import RayExecutor

__all__ = [
    "BACKENDS",
    "CancelToken",
    "Executor",
    "LocalExecutor",
    "RayExecutor",
    "SerialExecutor",
    "TaskError",
    "WORKER_START_S",
    "available_backends",
    "chunked",
    "get_executor",
    "spawn_seeds",
]

BACKENDS: dict[str, type[Executor]] = {
    "serial": SerialExecutor,
    "local": LocalExecutor,
    "ray": RayExecutor,
}
"""Backend names accepted by :func:`get_executor` (and ``--backend``), and their classes."""


def available_backends() -> list[str]:
    """Names accepted by :func:`get_executor`, sorted.

    Examples
    --------
    >>> available_backends()
    ['local', 'ray', 'serial']
    """
    return sorted(BACKENDS)


def get_executor(
    backend: str | None = None,
    *,
    address: str | None = None,
    n_jobs: int | None = None,
    start_workers_above_s: float | None = None,
) -> Executor:
    """Make the executor the user asked for.

    Parameters
    ----------
    backend : {"local", "ray", "serial"}, optional
        Default: ``PHARMAKON_BACKEND`` (``"local"`` unless set).
    address : str, optional
        ``HOST:PORT`` of a Ray cluster; only for ``"ray"``. Default:
        ``PHARMAKON_RAY_ADDRESS``, else a local Ray.
    n_jobs : int, optional
        Parallel workers: processes for ``"local"`` (``n_jobs=1`` gives the serial
        executor, which needs no processes), CPUs of a locally started Ray for
        ``"ray"``. Default: all CPUs.
    start_workers_above_s : float, optional
        ``"local"`` only: start worker processes only when the work left would gain
        more than this many seconds from them (see :class:`LocalExecutor`;
        :data:`WORKER_START_S` is the measured cost of starting them). Default: always.

    Returns
    -------
    executor : Executor
        Use it as a context manager so its workers are released.

    Raises
    ------
    ConfigError
        If the backend is unknown (the message lists :func:`available_backends`), if
        ``address`` is given for a backend other than Ray, or if Ray is missing.

    Examples
    --------
    >>> get_executor("serial")
    SerialExecutor()
    >>> get_executor("local", n_jobs=2).n_workers
    2
    """
    from pharmakon.config import get_settings

    if backend is None:
        backend = get_settings().backend
    name = str(backend).strip().lower()
    if name not in BACKENDS:
        raise ConfigError(
            f"unknown executor backend {backend!r}; valid backends are {', '.join(available_backends())} "
            "(see pharmakon.executor.available_backends())"
        )
    if name == "ray":
        if address is None:
            address = get_settings().ray_address
        return RayExecutor(address=address, num_cpus=n_jobs)
    if address is not None:
        raise ConfigError(f"an address ({address!r}) is only used by the ray backend, not {name!r}")
    if name == "serial" or n_jobs == 1:
        return SerialExecutor()
    return LocalExecutor(n_jobs=n_jobs, start_workers_above_s=start_workers_above_s)
