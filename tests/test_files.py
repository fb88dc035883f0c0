"""All-or-nothing output files."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from pharmakon.files import atomic_open, atomic_path, atomic_write_text, scratch_folder, staged_files


def test_success_replaces_the_target(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "out.csv"
    with atomic_open(target, newline="") as handle:
        handle.write("a,b\n")
        assert not target.exists()  # nothing under the final name while writing
    assert target.read_text() == "a,b\n"
    with atomic_path(target) as tmp:
        tmp.write_bytes(b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in target.parent.iterdir()] == ["out.csv"]


def test_failure_leaves_the_old_target_and_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError, match="disk on fire"):
        with atomic_open(target) as handle:
            handle.write("half")
            raise RuntimeError("disk on fire")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_outputs_get_the_users_umask_not_0600(tmp_path: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        atomic_write_text(tmp_path / "a.txt", "x")
        with atomic_path(tmp_path / "b.bin") as tmp:
            tmp.write_bytes(b"x")
        with staged_files() as staged:
            staged.write_text(tmp_path / "c.txt", "x")
    finally:
        os.umask(old)
    for name in ("a.txt", "b.bin", "c.txt"):
        assert _mode(tmp_path / name) == 0o666 & ~umask, name


def _host_tag() -> str:
    """This host's tag in temporary names (``.NAME.RANDOM.pPID-HOST.tmp``; the probe has no suffix)."""
    with atomic_path(Path(tempfile.mkdtemp()) / "probe") as tmp:
        return tmp.name.rsplit("-", 1)[1].removesuffix(".tmp")


def _dead_pid() -> int:
    """The PID of a process that has exited (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_killed_writers_temporary_is_removed_by_the_next_write(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    host = _host_tag()
    dead = tmp_path / f".out.csv.0123abcd.p{_dead_pid()}-{host}.tmp"
    alive = tmp_path / f".out.csv.89abcdef.p{os.getppid()}-{host}.tmp"  # a live writer: kept
    nested = tmp_path / f".{dead.name}.00ff00ff.p{_dead_pid()}-{host}.tmp"  # an atomic write into a staged file
    with_suffix = tmp_path / f".out.csv.0123abce.p{_dead_pid()}-{host}.tmp.csv"  # keeps the target's suffix
    other_target = tmp_path / f".out.csv.bak.0123abcd.p{_dead_pid()}-{host}.tmp"  # of out.csv.bak: not ours
    legacy_old = tmp_path / ".out.csv.k2j4h_9z.tmp"  # tempfile.mkstemp naming, a day old
    legacy_new = tmp_path / ".out.csv.a8d7f6s5.tmp"  # ... written a minute ago: may be live
    foreign_old = tmp_path / ".out.csv.01234567.p1-ffff.tmp"  # another host, a day old
    for path in (dead, alive, nested, with_suffix, other_target, legacy_old, legacy_new, foreign_old):
        path.write_text("partial")
    day_ago = time.time() - 86400
    for path in (legacy_old, foreign_old):
        os.utime(path, (day_ago, day_ago))
    if host == "ffff":  # pragma: no cover - the foreign tag happens to be ours
        foreign_old.unlink()
    atomic_write_text(target, "new")
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted(["out.csv", alive.name, other_target.name, legacy_new.name])
    # a staged write cleans up too
    dead2 = tmp_path / f".out.csv.0badf00d.p{_dead_pid()}-{host}.tmp"
    dead2.write_text("partial")
    with staged_files() as staged:
        staged.write_text(target, "newer")
    assert not dead2.exists() and target.read_text() == "newer"


def test_temporaries_name_their_target_and_writer(tmp_path: Path) -> None:
    with atomic_path(tmp_path / "x.parquet") as tmp:
        assert tmp.parent == tmp_path
        assert tmp.name.startswith(".x.parquet.") and tmp.name.endswith(f".p{os.getpid()}-{_host_tag()}.tmp.parquet")


def test_staged_files_appear_only_after_the_block_and_never_on_failure(tmp_path: Path) -> None:
    a, b = tmp_path / "a.txt", tmp_path / "sub" / "b.txt"
    order = []
    with staged_files() as staged:
        staged.write_text(a, "A")
        with open(staged.path(b), "w") as fh:
            fh.write("B")
        assert staged.sha256(a) == hashlib.sha256(b"A").hexdigest()
        assert not a.exists() and not b.exists()
        order.append("event")
    assert a.read_text() == "A" and b.read_text() == "B"
    with pytest.raises(RuntimeError, match="after the event"):
        with staged_files() as staged:
            staged.write_text(tmp_path / "c.txt", "C")
            raise RuntimeError("after the event")
    assert not (tmp_path / "c.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "sub"]
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == ["b.txt"]


def test_a_killed_process_scratch_folder_is_removed_by_the_next_use(tmp_path: Path) -> None:
    """``kill -9`` of a PGx batch used to leave its spool folder (hundreds of MB) behind."""
    host = _host_tag()
    dead = tmp_path / f"pgx-spool-p{_dead_pid()}-{host}-0123abcd"
    alive = tmp_path / f"pgx-spool-p{os.getppid()}-{host}-89abcdef"  # a running job: kept
    other_job = tmp_path / f"pgx-upload-p{_dead_pid()}-{host}-0123abcd"  # another prefix: left to its own job
    for folder in (dead, alive, other_job):
        folder.mkdir()
        (folder / "genotypes.npy").write_bytes(b"partial")
    with scratch_folder("pgx-spool", parent=tmp_path) as mine:
        assert mine.is_dir() and (mine.stat().st_mode & 0o777) == 0o700
        assert not dead.exists()
        assert alive.exists() and other_job.exists()
    assert not mine.exists()


def test_scratch_folder_is_removed_when_the_block_fails(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), scratch_folder("job", parent=tmp_path) as folder:
        (folder / "x").write_text("x")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []
