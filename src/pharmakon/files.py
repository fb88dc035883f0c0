"""Writing outputs all or nothing.

A file a user asked for either appears complete under its final name or not at all:
it is written to a temporary file beside the target (same file system, so the
rename is atomic) and renamed over the target only when writing succeeded. On any
error, or an interrupt, the temporary file is removed and the target is untouched.

Temporaries are named ``.NAME.RANDOM.pPID-HOST.tmp.EXT`` (hidden, beside ``NAME``; ``.EXT``
the target's own suffix, if any, for writers and readers that go by it) and are
created with the user's umask (mode ``0o666 & ~umask``, as ``open()`` would), so the
output has the permissions any other file the user writes has. A process killed while
writing (``kill -9``, power loss) cannot remove its temporary; the next write of the
same target removes it: on this host when its writer process is gone, from another
host (a shared file system) or of an older naming when it is older than
:data:`STALE_AFTER_S`.

Scratch folders (spooled uploads, intermediate files) come from :func:`scratch_folder`,
named after their process in the same way, so a later run removes those of killed
processes.

Several outputs that belong to one audited action are written with
:func:`staged_files`: each goes to a temporary, the caller records its audit event
(with the temporaries' hashes), and only then are they renamed into place, so a kill
leaves either nothing visible or outputs whose event exists.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

__all__ = [
    "STALE_AFTER_S",
    "StagedFiles",
    "atomic_path",
    "atomic_open",
    "atomic_write_text",
    "scratch_folder",
    "staged_files",
]

STALE_AFTER_S = 3600.0
"""Age (s) after which a temporary whose writer cannot be checked (another host, older naming) is removed."""

_TEMPORARY = re.compile(
    r"^\.(?P<target>.+)\.(?P<rand>[0-9a-f]{8})\.p(?P<pid>\d+)-(?P<host>[0-9a-f]{4})\.tmp(?:\.[^.]*)?$"
)
_LEGACY_TEMPORARY = re.compile(r"^\.(?P<target>.+)\.(?P<rand>[a-z0-9_]{8})\.tmp$")  # tempfile.mkstemp's names


@lru_cache(maxsize=1)
def _host_tag() -> str:
    return hashlib.sha256(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:4]


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: someone else's process
        return True
    return True


def _is_stale(entry: os.DirEntry[str], target: str, now: float) -> bool:
    """Whether ``entry`` is an abandoned temporary of ``target`` (also one nested in such a temporary)."""
    if not _owned_by(entry.name, target):
        return False
    match = _TEMPORARY.match(entry.name)
    if match is not None and os.name == "posix" and match.group("host") == _host_tag():
        return not _pid_alive(int(match.group("pid")))
    try:
        return now - entry.stat().st_mtime > STALE_AFTER_S
    except OSError:
        return False


def _owned_by(name: str, target: str) -> bool:
    """Whether ``name`` is a temporary of ``target`` (directly or nested)."""
    found = _TEMPORARY.match(name) or _LEGACY_TEMPORARY.match(name)
    if found is None:
        return False
    owner = found.group("target")
    return owner == target or (owner.startswith(".") and _owned_by(owner, target))


def _remove_stale_temporaries(path: Path) -> None:
    """Remove temporaries of ``path`` left behind by killed writers (best effort)."""
    now = time.time()
    ours = re.compile(r"^\.+" + re.escape(f"{path.name}.") + r".*\.tmp(?:\.[^.]*)?$")  # direct or nested
    try:
        entries = [e for e in os.scandir(path.parent) if ours.match(e.name)]
    except OSError:
        return
    for entry in entries:
        if _is_stale(entry, path.name, now):
            try:
                os.unlink(entry.path)
            except OSError:
                pass


def _new_temporary(path: Path) -> Path:
    """Create an empty temporary beside ``path`` (mode ``0o666 & ~umask``) and return its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}.p{os.getpid()}-{_host_tag()}.tmp{path.suffix}"
        try:
            fd = os.open(tmp, flags, 0o666)  # the kernel applies the umask, as for any file the user creates
        except FileExistsError:  # pragma: no cover - 32 random bits
            continue
        os.close(fd)
        return tmp


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path`` that replaces ``path`` if the block succeeds.

    For writers that take a file name (``DataFrame.to_parquet``, ``joblib.dump``...).
    The parent folder is created if missing; abandoned temporaries of ``path`` are
    removed first.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "result.txt"
    >>> with atomic_path(out) as tmp:
    ...     _ = tmp.write_text("done")
    >>> out.read_text()
    'done'
    """
    path = Path(path)
    tmp = _new_temporary(path)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def atomic_open(path: str | Path, mode: str = "w", *, newline: str | None = None) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; it replaces ``path`` when the block succeeds.

    Text modes use UTF-8. ``newline`` is passed to :func:`open` (``""`` for the csv module
    and ``DataFrame.to_csv``).
    """
    encoding = None if "b" in mode else "utf-8"
    with atomic_path(path) as tmp, open(tmp, mode, encoding=encoding, newline=newline) as handle:
        yield handle


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` all or nothing; returns the path."""
    with atomic_open(path) as handle:
        handle.write(text)
    return Path(path)


class StagedFiles:
    """Outputs written to temporaries now and renamed into place together later.

    Made by :func:`staged_files`; :meth:`path` gives the temporary to write for a
    target, :meth:`sha256` its digest (for the audit event), :meth:`publish` renames
    every temporary over its target.
    """

    def __init__(self) -> None:
        self._staged: dict[Path, Path] = {}  # target -> temporary
        self.published = False

    def path(self, target: str | Path) -> Path:
        """The temporary to write for ``target`` (staging the same target again replaces the first)."""
        target = Path(target)
        old = self._staged.pop(target, None)
        if old is not None:
            old.unlink(missing_ok=True)
        self._staged[target] = _new_temporary(target)
        return self._staged[target]

    def write_bytes(self, target: str | Path, data: bytes) -> Path:
        """Stage ``data`` for ``target``; returns ``target``."""
        self.path(target).write_bytes(data)
        return Path(target)

    def write_text(self, target: str | Path, text: str) -> Path:
        """Stage ``text`` (UTF-8) for ``target``; returns ``target``."""
        self.path(target).write_text(text, encoding="utf-8")
        return Path(target)

    @property
    def targets(self) -> list[Path]:
        """The staged targets, in staging order."""
        return list(self._staged)

    def sha256(self, target: str | Path) -> str:
        """SHA-256 of what is staged for ``target``."""
        from pharmakon.hashing import sha256_file

        return sha256_file(self._staged[Path(target)])

    def publish(self) -> list[Path]:
        """Rename every temporary over its target (in staging order); returns the targets."""
        targets = []
        for target in list(self._staged):
            os.replace(self._staged[target], target)
            del self._staged[target]
            targets.append(target)
        self.published = True
        return targets

    def discard(self) -> None:
        """Remove the temporaries not yet published."""
        for tmp in self._staged.values():
            tmp.unlink(missing_ok=True)
        self._staged.clear()


@contextmanager
def staged_files() -> Iterator[StagedFiles]:
    """Stage several outputs; they are renamed into place when the block succeeds, removed if it fails.

    Record the audit event inside the block (a committed transaction that ends before
    the block does), so that the outputs become visible only after their event exists.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> with staged_files() as staged:
    ...     _ = staged.write_text(folder / "a.txt", "A")
    ...     digest = staged.sha256(folder / "a.txt")  # record the event here
    ...     (folder / "a.txt").exists()
    False
    >>> (folder / "a.txt").read_text()
    'A'
    """
    staged = StagedFiles()
    try:
        yield staged
        staged.publish()
    finally:
        staged.discard()


_SCRATCH = re.compile(r"^(?P<prefix>[a-z0-9-]+)-p(?P<pid>\d+)-(?P<host>[0-9a-f]{4})-[0-9a-f]{8}$")


def _remove_stale_scratch(parent: Path, prefix: str) -> None:
    """Remove scratch folders named ``prefix`` whose process on this host is gone (best effort)."""
    import shutil

    try:
        entries = list(os.scandir(parent))
    except OSError:
        return
    for entry in entries:
        match = _SCRATCH.match(entry.name)
        if (
            match is not None
            and match.group("prefix") == prefix
            and match.group("host") == _host_tag()
            and not _pid_alive(int(match.group("pid")))
        ):
            shutil.rmtree(entry.path, ignore_errors=True)


@contextmanager
def scratch_folder(prefix: str, parent: str | Path | None = None) -> Iterator[Path]:
    """A private temporary folder, removed on exit, and by the next use if this process is killed.

    Parameters
    ----------
    prefix : lower-case letters, digits and dashes naming the job (``pgx-spool``)
    parent : where to create it (default: the system's temporary folder, ``TMPDIR``)

    Examples
    --------
    >>> with scratch_folder("demo") as folder:
    ...     _ = (folder / "part.bin").write_bytes(b"x")
    >>> folder.exists()
    False
    """
    import shutil
    import tempfile

    if not re.fullmatch(r"[a-z0-9-]+", prefix):
        raise ValueError(f"scratch folder prefix must be lower-case letters, digits and dashes: {prefix!r}")
    base = Path(parent) if parent is not None else Path(tempfile.gettempdir())
    _remove_stale_scratch(base, prefix)
    while True:
        folder = base / f"{prefix}-p{os.getpid()}-{_host_tag()}-{secrets.token_hex(4)}"
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:  # pragma: no cover - 32 random bits
            continue
        break
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
