"""Workers of the local executor die with the process that started them (issue 13, finding 6).

A command killed with ``kill -9`` cannot stop its pool; before this, its workers (idle or
busy) lived on. Each test starts a small Python process that opens a local pool with
long tasks, waits until the tasks run, kills that process with SIGKILL and checks that
every process it started is gone within a generous bound (no assumption on speed).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(os.name != "posix", reason="kill -9 and process trees are POSIX here")

START_S = 120.0  # bound on starting the pool and the tasks (a loaded machine is slow, not wrong)
GONE_S = 30.0  # bound on the workers' death after the kill (they poll every 0.5 s; prctl is immediate)

TASK = '''
import os, pathlib, time


def work(folder):
    """Record this worker's PID, then run "forever"."""
    pathlib.Path(folder, str(os.getpid())).touch()
    time.sleep(3600)


def nested(folder):
    """A worker that starts its own local pool (grandchildren)."""
    from pharmakon.executor import LocalExecutor

    pathlib.Path(folder, str(os.getpid())).touch()
    with LocalExecutor(n_jobs=2) as ex:
        ex.map(work, [folder] * 2, chunksize=1)
'''

MAIN = """
import sys
sys.path.insert(0, {tasks!r})
import orphan_task
from pharmakon.executor import LocalExecutor

with LocalExecutor(n_jobs=2, mp_context={context!r}) as ex:
    ex.map(orphan_task.{fn}, [{folder!r}] * 4, chunksize=1)
"""


def _proc_children() -> dict[int, list[int]]:
    """Parent PID -> child PIDs, from psutil or /proc."""
    children: dict[int, list[int]] = {}
    try:
        import psutil

        for proc in psutil.process_iter(["pid", "ppid"]):
            children.setdefault(proc.info["ppid"], []).append(proc.info["pid"])
        return children
    except ImportError:  # pragma: no cover - psutil is a test dependency
        pass
    for entry in Path("/proc").iterdir():  # pragma: no cover
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_bytes()
            except OSError:
                continue
            ppid = int(stat[stat.rfind(b")") + 2 :].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    return children


def _descendants(pid: int) -> set[int]:
    children, found, todo = _proc_children(), set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _running(pid: int) -> bool:
    """Alive and not a zombie."""
    try:
        import psutil

        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except ImportError:  # pragma: no cover
        try:
            stat = Path(f"/proc/{pid}/stat").read_bytes()
        except OSError:
            return False
        return stat[stat.rfind(b")") + 2 :][:1] not in (b"Z", b"X")
    except Exception:  # NoSuchProcess, AccessDenied on a vanished pid
        return False


def _wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)


@pytest.mark.parametrize(
    ("context", "fn", "n_workers"),
    [("forkserver", "work", 2), ("spawn", "work", 2), ("forkserver", "nested", 2 + 2 * 2)],
    ids=["forkserver", "spawn", "grandchildren"],
)
def test_workers_die_when_the_parent_is_killed(tmp_path: Path, context: str, fn: str, n_workers: int) -> None:
    import multiprocessing

    if context not in multiprocessing.get_all_start_methods():
        pytest.skip(f"no {context} start method here")
    (tmp_path / "tasks").mkdir()
    (tmp_path / "tasks" / "orphan_task.py").write_text(textwrap.dedent(TASK))
    pids = tmp_path / "pids"
    pids.mkdir()
    script = MAIN.format(tasks=str(tmp_path / "tasks"), context=context, fn=fn, folder=str(pids))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    parent = subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.DEVNULL)
    try:
        _wait_for(lambda: len(list(pids.iterdir())) >= n_workers or parent.poll() is not None, START_S, "the tasks")
        assert parent.poll() is None, f"the parent exited early with {parent.returncode}"
        workers = {int(p.name) for p in pids.iterdir()}
        started = _descendants(parent.pid)  # workers, fork server, resource tracker
        assert workers <= started
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=GONE_S)
        _wait_for(lambda: not any(_running(pid) for pid in started), GONE_S, "the workers to die")
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        for pid in _descendants(parent.pid) | {int(p.name) for p in pids.iterdir()}:  # never leave any behind
            if _running(pid):
                os.kill(pid, signal.SIGKILL)


def test_a_worker_outlives_no_parent_even_without_the_parent_death_signal(tmp_path: Path) -> None:
    """The portable watchdog alone (no prctl) ends a process whose owner was killed."""
    child_code = textwrap.dedent(
        """
        import os, sys, time
        from pharmakon.executor import _base

        _base.sys.platform = "watchdog-only"  # skip prctl: the watchdog alone must do it
        _base._die_with_parent(int(sys.argv[1]))
        print(os.getpid(), flush=True)
        time.sleep(3600)
        """
    )
    owner_code = textwrap.dedent(
        """
        import os, subprocess, sys, time
        child = subprocess.Popen([sys.executable, "-c", sys.argv[1], str(os.getpid())])
        time.sleep(3600)
        """
    )
    owner = subprocess.Popen([sys.executable, "-c", owner_code, child_code], stdout=subprocess.PIPE, text=True)
    try:
        line = owner.stdout.readline()  # the child's PID (inherited stdout)
        assert line.strip().isdigit(), line
        child = int(line)
        assert _running(child)
        os.kill(owner.pid, signal.SIGKILL)
        owner.wait(timeout=GONE_S)
        _wait_for(lambda: not _running(child), GONE_S, "the watched process to exit")
    finally:
        if owner.poll() is None:
            owner.kill()
            owner.wait()
        if "child" in locals() and _running(child):
            os.kill(child, signal.SIGKILL)
