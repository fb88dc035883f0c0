"""The one cache policy: a byte-bounded, thread-safe LRU shared by the model and panel caches."""

from __future__ import annotations

import pickle
import threading

import pytest

from pharmakon.core.cache import BoundedCache, model_cache_bytes, pickled_nbytes


def test_lru_by_bytes_largest_and_negative_sizes_not_kept():
    cache = BoundedCache(max_bytes=10)
    assert cache.put("a", "A", 4) == "A" and cache.put("b", "B", 4) == "B"
    assert cache.get("a") == "A"  # "a" is now the most recently used
    cache.put("c", "C", 4)  # 12 > 10: the least recently used ("b") goes
    assert cache.keys() == ["a", "c"] and cache.nbytes == 8 and "b" not in cache
    assert cache.put("big", "X", 11) == "X" and "big" not in cache  # larger than the bound: never kept
    assert cache.put("unknown", "U", -1) == "U" and "unknown" not in cache
    assert cache.put("a", "other", 1) == "A"  # the entry already there wins
    assert cache.pop("a") == "A" and cache.nbytes == 4 and len(cache) == 1
    cache.clear()
    assert len(cache) == 0 and cache.nbytes == 0 and cache.get("c", "missing") == "missing"


def test_bound_is_read_on_every_insert_and_zero_keeps_nothing(monkeypatch):
    bound = [100]
    cache = BoundedCache(lambda: bound[0])
    cache.put(1, "one", 60)
    bound[0] = 0
    cache.put(2, "two", 0)
    assert len(cache) == 0  # a bound of 0 keeps nothing, and a lowered bound applies to what was kept
    bound[0] = 100
    cache.put(3, "three", 50)  # 110 > 100: the oldest goes
    assert cache.keys() == [3]


def test_default_bound_is_the_model_cache_setting(monkeypatch):
    from pharmakon.config import get_settings

    monkeypatch.setenv("PHARMAKON_MODEL_CACHE_MB", "3")
    get_settings.cache_clear()
    try:
        assert model_cache_bytes() == 3 * 2**20 and BoundedCache().limit() == 3 * 2**20
    finally:
        monkeypatch.delenv("PHARMAKON_MODEL_CACHE_MB")
        get_settings.cache_clear()


def test_thread_safe_and_pickles_empty():
    cache = BoundedCache(max_bytes=1000)

    def work(k: int) -> None:
        for i in range(500):
            cache.put((k, i % 50), i, 3)
            cache.get((k, (i * 7) % 50))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert cache.nbytes == 3 * len(cache) <= 1000
    copy = pickle.loads(pickle.dumps(cache))
    assert len(copy) == 0 and copy.limit() == 1000
    assert pickled_nbytes({"x": b"0" * 1000}) > 1000 and pickled_nbytes(threading.Lock()) == -1


def test_shared_panels_follow_the_same_policy(mol_model, monkeypatch):
    """Panels are kept by the model-cache setting, counted in their models' bytes (not a fixed count)."""
    from pharmakon.chem import panel_io

    panel_io.clear_shared_panels()
    size = panel_io.panel_nbytes({"a": mol_model})
    assert size > 0
    monkeypatch.setattr(panel_io._SHARED, "max_bytes", 2 * size)
    first = panel_io.shared_panel({"a": mol_model})
    assert panel_io.shared_panel({"a": mol_model}) is first
    monkeypatch.setattr(mol_model, "registry", {"artifact_bytes": size}, raising=False)
    assert panel_io.panel_nbytes({"a": mol_model, "b": mol_model}) == 2 * size  # registered: artifact bytes
    panel_io.shared_panel({"a": mol_model, "b": mol_model})  # fills the bound: the first panel goes
    assert panel_io.shared_panel({"a": mol_model}) is not first
    monkeypatch.setattr(panel_io._SHARED, "max_bytes", 0)  # PHARMAKON_MODEL_CACHE_MB=0: none kept
    panel_io.clear_shared_panels()
    assert panel_io.shared_panel({"a": mol_model}) is not panel_io.shared_panel({"a": mol_model})
    panel_io.clear_shared_panels()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_registry_models_carry_their_artifact_size(store, mol_model):
    from pharmakon.core import registry

    registry.clear_model_cache()
    with store.session() as session:
        registry.register_model(session, mol_model, name="sized", actor="t")
    with store.read_session() as session:
        model = registry.load_model(session, "sized", cache=True)
        digest = registry.get_object(session, "model", "sized").artifacts["model.joblib"]
    assert model.registry["artifact_bytes"] == registry._artifact_stat(digest)[1] == registry._CACHE.nbytes
    registry.clear_model_cache()
