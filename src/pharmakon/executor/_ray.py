"""The Ray backend of :mod:`pharmakon.executor`."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

from pharmakon.errors import ConfigError
from pharmakon.executor._base import Executor, _Failure, _run_chunk_with_environment, _settings_environment


class RayExecutor(Executor):
    """Runs items as Ray tasks, on a local Ray or on a cluster.

    Parameters
    ----------
    address : str, optional
        ``HOST:PORT`` of a running cluster (or ``"auto"``). None (default): use the
        Ray already initialised in this process, else start a local one.
    num_cpus : int, optional
        CPUs of the local Ray this executor starts; ignored when connecting to a
        cluster. Default: all CPUs.

    Raises
    ------
    ConfigError
        If Ray is not installed (``pip install 'pharmakon[cluster]'``).

    Notes
    -----
    Ray is imported and connected on the first map, not at construction. Each task
    asks for one CPU. Cancelling a map cancels queued tasks and interrupts running
    ones (``ray.cancel``). :meth:`close` shuts Ray down only if this executor started
    it.
    """

    name = "ray"

    def __init__(self, address: str | None = None, *, num_cpus: int | None = None) -> None:
        if importlib.util.find_spec("ray") is None:
            raise ConfigError(
                "the ray backend needs Ray, which is not installed: "
                "pip install 'pharmakon[cluster]' (or choose --backend local)"
            )
        if num_cpus is not None and (isinstance(num_cpus, bool) or not isinstance(num_cpus, int) or num_cpus < 1):
            raise ValueError(f"RayExecutor(num_cpus=...) must be a positive integer or None; got {num_cpus!r}")
        self.address = address
        self.num_cpus = num_cpus
        self._owns_ray = False
        self._remote: Any = None

    def _ray(self) -> Any:
        """Import Ray, connect or start it once, and return the module."""
        try:
            import ray
        except ImportError as exc:  # pragma: no cover - find_spec said it was there
            raise ConfigError(f"cannot import Ray ({exc}): pip install 'pharmakon[cluster]'") from exc
        if not ray.is_initialized():
            try:
                ray.init(
                    address=self.address,
                    num_cpus=None if self.address else self.num_cpus,
                    include_dashboard=False,
                    ignore_reinit_error=True,
                    log_to_driver=False,
                )
            except (ConnectionError, ValueError, RuntimeError) as exc:
                where = f"the Ray cluster at {self.address}" if self.address else "a local Ray"
                raise ConfigError(f"cannot start or reach {where}: {exc}") from exc
            self._owns_ray = True
        if self._remote is None:
            self._remote = ray.remote(_run_chunk_with_environment)
        return ray

    @property
    def n_workers(self) -> int:
        return max(1, int(self._ray().cluster_resources().get("CPU", 1)))

    def _prepare(self, fn: Callable[[Any], Any]) -> Any:
        return self._ray().put(fn)  # ship fn once, not with every chunk

    def _submit(self, fn: Any, start: int, chunk: list[Any]) -> Any:
        return self._remote.remote(_settings_environment(), fn, start, chunk)

    def _wait(self, handles: list[Any], timeout: float) -> list[Any]:
        ray = self._ray()
        ready, rest = ray.wait(handles, num_returns=1, timeout=timeout)
        if ready and rest:  # collect everything else already finished, without waiting
            more, _ = ray.wait(rest, num_returns=len(rest), timeout=0)
            ready += more
        return ready

    def _result(self, handle: Any) -> list[Any] | _Failure:
        return self._ray().get(handle)

    def _cancel(self, handles: list[Any]) -> None:
        ray = self._ray()
        for ref in handles:
            try:
                ray.cancel(ref, force=False, recursive=True)
            except Exception:  # already finished or gone: nothing to cancel
                pass

    def close(self) -> None:
        if self._owns_ray:
            import ray

            ray.shutdown()
            self._owns_ray = False
        self._remote = None

    def __repr__(self) -> str:
        return f"RayExecutor(address={self.address!r}, num_cpus={self.num_cpus!r})"


# --------------------------------------------------------------------------- registry
