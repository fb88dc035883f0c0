"""Tests of pharmakon.executor: the same behaviour on every backend."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from pharmakon.config import get_settings
from pharmakon.errors import CancelledError, ConfigError
from pharmakon.executor import (
    BACKENDS,
    CancelToken,
    Executor,
    LocalExecutor,
    RayExecutor,
    SerialExecutor,
    TaskError,
    available_backends,
    chunked,
    get_executor,
    spawn_seeds,
)

# ---------------------------------------------------------------- task functions (top level)


def random_sum(seed: np.random.SeedSequence) -> float:
    """A tiny 'simulation': the sum of 1000 standard normal draws."""
    return float(np.random.default_rng(seed).standard_normal(1000).sum())


def square(x: int) -> int:
    return x * x


def fail_on_three(x: int) -> int:
    if x == 3:
        raise ValueError(f"bad item {x}")
    return x


class _NeedsTwoArgs(Exception):
    def __init__(self, a: int, b: int) -> None:
        super().__init__(f"{a}/{b}")


def fail_unpicklably(x: int) -> int:
    raise _NeedsTwoArgs(x, 0)


def die_on_two(x: int) -> int:
    if x == 2:
        import os

        os._exit(3)  # a crash in native code, or the OOM killer
    return x


#: How long a "slow" task sleeps, and the bound a cancelled run must beat. The gap is wide
#: so a busy machine cannot make a working cancellation look broken: waiting for a running
#: task would take SLOW_S, anything that stops it takes a few seconds at most.
SLOW_S, CANCELLED_WITHIN_S = 120.0, 30.0


def slow_after_first(x: int) -> int:
    if x > 0:
        time.sleep(SLOW_S)
    return x


def read_setting(name: str) -> str | None:
    from pharmakon.config import get_settings

    return f"{os.environ.get(name)}|{get_settings().data_mirror}"


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def local_executor():
    with LocalExecutor(n_jobs=2) as ex:
        yield ex


@pytest.fixture(params=["serial", "local", pytest.param("ray", marks=pytest.mark.ray)])
def executor(request) -> Executor:
    if request.param == "serial":
        return SerialExecutor()
    if request.param == "local":
        return request.getfixturevalue("local_executor")
    request.getfixturevalue("ray_session")
    return RayExecutor()  # uses the running Ray; closing it leaves that Ray up


@pytest.fixture
def clean_settings(monkeypatch):
    for var in ("PHARMAKON_BACKEND", "PHARMAKON_RAY_ADDRESS"):
        monkeypatch.delenv(var, raising=False)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


# ---------------------------------------------------------------- helpers


def test_chunked_slices_sequences_and_batches_iterables():
    assert list(chunked([1, 2, 3, 4, 5], 2)) == [[1, 2], [3, 4], [5]]
    assert list(chunked((1, 2, 3), 3)) == [(1, 2, 3)]
    assert list(chunked(iter(range(5)), 2)) == [[0, 1], [2, 3], [4]]
    assert list(chunked([], 4)) == []
    with pytest.raises(ValueError, match="size"):
        list(chunked([1], 0))


def test_spawn_seeds_reproducible_and_independent_of_n():
    first = [s.generate_state(2).tolist() for s in spawn_seeds(7, 10)]
    again = [s.generate_state(2).tolist() for s in spawn_seeds(7, 10)]
    fewer = [s.generate_state(2).tolist() for s in spawn_seeds(7, 4)]
    other = [s.generate_state(2).tolist() for s in spawn_seeds(8, 4)]
    assert first == again
    assert first[:4] == fewer
    assert fewer != other
    assert len({tuple(s) for s in first}) == 10
    with pytest.raises(ValueError, match="n"):
        spawn_seeds(7, -1)


def test_cancel_token():
    token = CancelToken()
    assert not token.cancelled
    assert token.wait(0) is False
    threading.Timer(0.05, token.cancel).start()
    assert token.wait(5)
    with pytest.raises(CancelledError):
        token.raise_if_cancelled()


def test_import_core_does_not_import_ray_or_numpy():
    code = "import sys, pharmakon.core; assert 'ray' not in sys.modules and 'numpy' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------- every backend


def test_same_seeded_results_in_input_order(executor):
    seeds = spawn_seeds(2024, 12)
    expected = [random_sum(s) for s in spawn_seeds(2024, 12)]
    assert executor.map(random_sum, seeds) == expected
    assert executor.map(random_sum, seeds, chunksize=5) == expected  # chunking changes nothing


def test_imap_ordered_and_unordered(executor):
    assert list(executor.imap(square, range(7), chunksize=2)) == [x * x for x in range(7)]
    pairs = sorted(executor.imap_unordered(square, range(7), chunksize=3))
    assert pairs == [(x, x * x) for x in range(7)]


def test_progress_monotonic_up_to_total(executor):
    calls: list[tuple[int, int]] = []
    assert executor.map(square, range(10), chunksize=3, progress=lambda d, t: calls.append((d, t))) == [
        x * x for x in range(10)
    ]
    done = [d for d, _ in calls]
    assert {t for _, t in calls} == {10}
    assert done[0] == 0 and done[-1] == 10
    assert all(a < b for a, b in zip(done, done[1:]))


def test_empty_input(executor):
    calls = []
    assert executor.map(square, [], progress=lambda d, t: calls.append((d, t))) == []
    assert calls == [(0, 0)]


def test_task_error_names_index_and_chains_original(executor):
    with pytest.raises(TaskError, match=r"item 3 .*ValueError: bad item 3") as info:
        executor.map(fail_on_three, range(6), chunksize=2)
    assert info.value.index == 3
    assert isinstance(info.value.__cause__, ValueError)
    # the executor stays usable after a failure
    assert executor.map(square, range(3)) == [0, 1, 4]


def test_exception_that_cannot_be_unpickled_still_reported(executor):
    with pytest.raises(TaskError, match=r"item 0 .*_NeedsTwoArgs.*0/0"):
        executor.map(fail_unpicklably, [0])


def test_cancel_from_progress_after_first_chunk_returns_quickly(executor):
    token = CancelToken()
    seen = []

    def on_progress(done: int, total: int) -> None:
        seen.append(done)
        if done >= 1:
            token.cancel()

    start = time.perf_counter()
    with pytest.raises(CancelledError, match="cancelled"):
        executor.map(slow_after_first, range(8), chunksize=1, progress=on_progress, cancel=token)
    elapsed = time.perf_counter() - start
    # serial runs item 0 (fast) then stops; pools drop queued work and stop running slow tasks
    assert elapsed < CANCELLED_WITHIN_S, elapsed
    assert seen[:2] == [0, 1]
    assert executor.map(square, range(4)) == [0, 1, 4, 9]  # usable after cancellation


def test_cancel_before_start_runs_nothing(executor):
    token = CancelToken()
    token.cancel()
    with pytest.raises(CancelledError):
        executor.map(square, range(3), cancel=token)


def test_lambda_is_refused(executor):
    with pytest.raises(TypeError, match="picklable"):
        executor.map(lambda x: x, [1])


# ---------------------------------------------------------------- specific backends


def test_local_cancel_from_another_thread(local_executor):
    token = CancelToken()
    timer = threading.Timer(0.5, token.cancel)
    timer.start()
    start = time.perf_counter()
    with pytest.raises(CancelledError):
        local_executor.map(slow_after_first, range(1, 5), chunksize=1, cancel=token)
    assert time.perf_counter() - start < CANCELLED_WITHIN_S


def test_imap_closed_early_cancels_rest(local_executor):
    iterator = local_executor.imap(slow_after_first, range(6), chunksize=1)
    assert next(iterator) == 0
    start = time.perf_counter()  # timed from here: pool start-up under load is not what this checks
    iterator.close()
    assert time.perf_counter() - start < CANCELLED_WITHIN_S  # waiting for the running items would take SLOW_S
    assert local_executor.map(square, [5]) == [25]


def test_local_worker_crash_is_reported_and_pool_recovers():
    with LocalExecutor(n_jobs=2) as ex:
        with pytest.raises(TaskError, match=r"lost items \d+\.\.\d+ of 4: BrokenProcessPool"):
            ex.map(die_on_two, range(4), chunksize=1)
        assert ex.map(square, range(3)) == [0, 1, 4]


def test_local_validates_n_jobs():
    with pytest.raises(ValueError, match="n_jobs"):
        LocalExecutor(n_jobs=0)
    assert LocalExecutor(n_jobs=None).n_workers >= 1


def test_missing_ray_is_a_config_error(monkeypatch):
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    with pytest.raises(ConfigError, match=r"pharmakon\[cluster\]"):
        RayExecutor()


# ---------------------------------------------------------------- get_executor


def test_registry_and_available_backends():
    assert available_backends() == ["local", "ray", "serial"]
    assert BACKENDS["local"] is LocalExecutor


def test_get_executor_by_name(clean_settings):
    assert isinstance(get_executor("serial"), SerialExecutor)
    assert isinstance(get_executor("LOCAL", n_jobs=2), LocalExecutor)
    assert isinstance(get_executor("local", n_jobs=1), SerialExecutor)
    ray_ex = get_executor("ray", address="10.0.0.1:6379", n_jobs=3)
    assert isinstance(ray_ex, RayExecutor)
    assert (ray_ex.address, ray_ex.num_cpus) == ("10.0.0.1:6379", 3)


def test_get_executor_unknown_backend_lists_valid_ones(clean_settings):
    with pytest.raises(ConfigError, match=r"'dask'.*local, ray, serial.*available_backends"):
        get_executor("dask")


def test_get_executor_address_only_for_ray(clean_settings):
    with pytest.raises(ConfigError, match="only used by the ray backend"):
        get_executor("local", address="h:1")


def test_get_executor_defaults_to_local(clean_settings):
    assert isinstance(get_executor(), LocalExecutor)


def test_get_executor_honours_environment(clean_settings):
    clean_settings.setenv("PHARMAKON_BACKEND", "ray")
    clean_settings.setenv("PHARMAKON_RAY_ADDRESS", "head:6379")
    get_settings.cache_clear()
    ex = get_executor()
    assert isinstance(ex, RayExecutor)
    assert ex.address == "head:6379"
    assert get_executor(address="other:1").address == "other:1"
    assert isinstance(get_executor("serial"), SerialExecutor)  # the caller's choice wins


def test_workers_see_settings_changed_after_they_started(executor, monkeypatch, tmp_path):
    """Forkserver children and long-lived Ray workers must not keep stale PHARMAKON_* settings."""
    monkeypatch.setenv("PHARMAKON_DATA_MIRROR", str(tmp_path / "first"))
    get_settings.cache_clear()
    executor.map(read_setting, ["PHARMAKON_DATA_MIRROR"])  # workers now exist
    monkeypatch.setenv("PHARMAKON_DATA_MIRROR", str(tmp_path / "second"))
    get_settings.cache_clear()
    expected = f"{tmp_path / 'second'}|{tmp_path / 'second'}"
    assert executor.map(read_setting, ["PHARMAKON_DATA_MIRROR"] * 4) == [expected] * 4
