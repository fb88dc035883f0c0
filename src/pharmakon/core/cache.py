"""One cache policy for loaded models and what is built from them: a byte-bounded LRU.

Everything pharmakon keeps in memory between requests (the registry's loaded models,
the ADMET panels built on them, a featurizer's vectors) lives in a
:class:`BoundedCache`: entries are keyed by a hashable key, each entry states its size
in bytes, the least recently used entries are dropped when the sizes add up to more
than the bound, an entry larger than the bound (or of unknown, negative size) is never
kept, and a bound of 0 keeps nothing. Model and panel caches share one bound,
``PHARMAKON_MODEL_CACHE_MB`` (:func:`model_cache_bytes`), read again on every insert so
a changed setting takes effect without a restart; each cache holds up to the bound on
its own (a panel holds its models, so a server may keep up to twice the bound of
artifacts alive).

Sizes are what the caller can measure cheaply: a registered model's artifact bytes
on disk (compressed; several times that in memory), the pickled size of anything
else (:func:`pickled_nbytes`).
"""

from __future__ import annotations

import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from typing import Any

__all__ = ["BoundedCache", "model_cache_bytes", "pickled_nbytes"]


def model_cache_bytes() -> int:
    """The bound every model and panel cache shares: ``PHARMAKON_MODEL_CACHE_MB`` in bytes."""
    from pharmakon.config import get_settings

    return get_settings().model_cache_mb * 2**20


class _Counter:
    """A write-only file that only counts bytes (so measuring a pickle copies nothing)."""

    def __init__(self) -> None:
        self.n = 0

    def write(self, data: bytes) -> int:
        self.n += len(data)
        return len(data)


def pickled_nbytes(obj: Any) -> int:
    """Bytes ``obj`` pickles to (highest protocol): the size of something with no artifact on disk.

    Returns -1 (never cached) when ``obj`` cannot be pickled.
    """
    sink = _Counter()
    try:
        pickle.dump(obj, sink, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - an unpicklable object has no measurable size: not cached
        return -1
    return sink.n


class BoundedCache:
    """Least-recently-used mapping bounded by the bytes its entries declare; thread-safe.

    Parameters
    ----------
    max_bytes : int or callable, optional
        The bound in bytes, or a function returning it (called on every :meth:`put`);
        default :func:`model_cache_bytes`.

    Examples
    --------
    >>> cache = BoundedCache(max_bytes=10)
    >>> cache.put("a", "A", 6), cache.put("b", "B", 6)  # "a" is evicted to make room for "b"
    ('A', 'B')
    >>> cache.get("a") is None, cache.get("b"), cache.nbytes
    (True, 'B', 6)
    """

    def __init__(self, max_bytes: int | Callable[[], int] | None = None) -> None:
        self.max_bytes = model_cache_bytes if max_bytes is None else max_bytes
        self._items: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._held = 0
        self._lock = threading.Lock()

    def limit(self) -> int:
        """The bound in bytes now."""
        return int(self.max_bytes() if callable(self.max_bytes) else self.max_bytes)

    def get(self, key: Hashable, default: Any = None) -> Any:
        """The value kept under ``key`` (now the most recently used), else ``default``."""
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return default
            self._items.move_to_end(key)
            return item[0]

    def put(self, key: Hashable, value: Any, nbytes: int) -> Any:
        """Keep ``value`` (``nbytes`` bytes) under ``key``, evicting the least recently used as needed.

        Returns the value now kept under ``key``: an entry already there wins (two threads
        that built the same thing share the first one), and ``value`` itself when it is not
        kept (larger than the bound, ``nbytes`` < 0, or a bound of 0).
        """
        limit = self.limit()
        with self._lock:
            held = self._items.get(key)
            if held is not None:
                self._items.move_to_end(key)
                return held[0]
            kept = 0 <= nbytes <= limit and limit > 0
            if kept:
                self._items[key] = (value, int(nbytes))
                self._held += int(nbytes)
            while self._held > limit and self._items:  # a lowered bound also applies to what is kept
                _, (_, size) = self._items.popitem(last=False)
                self._held -= size
            return value

    def pop(self, key: Hashable, default: Any = None) -> Any:
        """Forget ``key``; returns its value, else ``default``."""
        with self._lock:
            item = self._items.pop(key, None)
            if item is None:
                return default
            self._held -= item[1]
            return item[0]

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._items.clear()
            self._held = 0

    @property
    def nbytes(self) -> int:
        """Bytes the entries declare, together."""
        return self._held

    def keys(self) -> list[Hashable]:
        """Keys, least recently used first (a snapshot)."""
        with self._lock:
            return list(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __iter__(self) -> Iterator[Hashable]:
        return iter(self.keys())

    def __getstate__(self) -> dict[str, Any]:  # a cache travels empty (e.g. inside a pickled featurizer)
        return {"max_bytes": self.max_bytes}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["max_bytes"])  # type: ignore[misc]
