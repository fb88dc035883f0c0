"""The local executor starts workers only when the work left would gain more than their start-up.

The decisions are made deterministic by the thresholds chosen (0: start after the first
item; huge: never start), so nothing here depends on the machine's speed.
"""

from __future__ import annotations

import os

import pytest

from pharmakon.errors import CancelledError
from pharmakon.executor import WORKER_START_S, CancelToken, LocalExecutor, TaskError, get_executor


def pid_of(x: int) -> tuple[int, int]:
    return x, os.getpid()


def fail_on_three(x: int) -> int:
    if x == 3:
        raise ValueError(f"bad item {x}")
    return x


def test_small_work_runs_in_this_process() -> None:
    with LocalExecutor(n_jobs=2, start_workers_above_s=1e9) as ex:
        out = ex.map(pid_of, range(7))
    assert [x for x, _ in out] == list(range(7))
    assert {pid for _, pid in out} == {os.getpid()}  # no worker process was started


def test_large_work_starts_the_workers_after_timing_the_first_item() -> None:
    with LocalExecutor(n_jobs=2, start_workers_above_s=0.0) as ex:
        out = ex.map(pid_of, range(6), chunksize=1)
        again = ex.map(pid_of, range(3))  # the pool is up: no more items in this process
    assert [x for x, _ in out] == list(range(6))
    assert out[0][1] == os.getpid()
    assert all(pid != os.getpid() for _, pid in out[1:])
    assert all(pid != os.getpid() for _, pid in again)


@pytest.mark.parametrize("threshold", [0.0, 1e9])
def test_errors_name_the_right_item_either_way(threshold: float) -> None:
    with LocalExecutor(n_jobs=2, start_workers_above_s=threshold) as ex:
        with pytest.raises(TaskError, match=r"item 3 .*ValueError: bad item 3") as info:
            ex.map(fail_on_three, range(6), chunksize=1)
    assert info.value.index == 3


@pytest.mark.parametrize("threshold", [0.0, 1e9])
def test_progress_counts_every_item_once_in_order(threshold: float) -> None:
    seen: list[tuple[int, int]] = []
    with LocalExecutor(n_jobs=2, start_workers_above_s=threshold) as ex:
        assert ex.map(abs, [-1, -2, -3, -4], chunksize=1, progress=lambda d, t: seen.append((d, t))) == [1, 2, 3, 4]
    done = [d for d, _ in seen]
    assert done[0] == 0 and done[-1] == 4 and done == sorted(done) and {t for _, t in seen} == {4}


def test_cancel_stops_work_run_in_this_process() -> None:
    token = CancelToken()

    def progress(done: int, total: int) -> None:
        if done == 2:
            token.cancel()

    with LocalExecutor(n_jobs=2, start_workers_above_s=1e9) as ex:
        with pytest.raises(CancelledError):
            ex.map(abs, range(10), progress=progress, cancel=token)


def test_threshold_reaches_the_local_backend_only() -> None:
    ex = get_executor("local", n_jobs=2, start_workers_above_s=WORKER_START_S)
    assert isinstance(ex, LocalExecutor) and ex.start_workers_above_s == WORKER_START_S > 0
    assert get_executor("serial", start_workers_above_s=1.0).n_workers == 1
    with pytest.raises(ValueError, match="start_workers_above_s"):
        LocalExecutor(start_workers_above_s=-1.0)
