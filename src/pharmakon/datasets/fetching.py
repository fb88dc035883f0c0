"""Fetch catalogued data sets into the local cache, verified by SHA-256.

A data set is copied from ``PHARMAKON_DATA_MIRROR/<name>/`` when a mirror is set, or
downloaded file by file from the catalogued URLs otherwise. Files land in a temporary
folder inside the cache, every checksum is verified, and only then is the folder
renamed to ``<cache>/<name>``: a failed or interrupted fetch leaves nothing behind.

Examples
--------
>>> from pharmakon.config import Settings
>>> from pharmakon.datasets import fetch
>>> settings = Settings(home=".pharmakon", data_mirror="../shared/data")  # doctest: +SKIP
>>> fetch("nano_tumor_db", settings=settings)  # doctest: +SKIP
PosixPath('.pharmakon/data/nano_tumor_db')
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from pharmakon.config import Settings, get_settings
from pharmakon.datasets.catalog import DataFile, DatasetEntry, info
from pharmakon.errors import ChecksumMismatchError, ConfigError, NotFoundError
from pharmakon.hashing import sha256_file

__all__ = ["cache_path", "fetch", "fetch_source", "is_cached", "sha256_file", "verify_folder"]

_CHUNK = 1 << 20
_TIMEOUT_S = 60.0

#: Called after each file is in place: ``(data_file, index, n_files)``.
ProgressCallback = Callable[[DataFile, int, int], None]


def cache_path(name: str, *, settings: Settings | None = None) -> Path:
    """Folder where data set ``name`` is (or would be) cached: ``settings.data_cache / name``.

    Raises
    ------
    NotFoundError
        If ``name`` is not catalogued.
    """
    entry = info(name)
    return (settings or get_settings()).data_cache / entry.name


def fetch_source(settings: Settings | None = None) -> Literal["mirror", "network"]:
    """Where :func:`fetch` would read from under these settings."""
    return "mirror" if (settings or get_settings()).data_mirror is not None else "network"


def verify_folder(entry: DatasetEntry, folder: Path) -> None:
    """Check that ``folder`` holds every catalogued file of ``entry`` with its SHA-256.

    Raises
    ------
    NotFoundError
        If a file is missing.
    ChecksumMismatchError
        If a file's size or SHA-256 differs from the catalogue.
    """
    for f in entry.files:
        _verify_file(entry, f, folder / f.path)


def is_cached(name: str, *, settings: Settings | None = None, verify: bool = True) -> bool:
    """True when data set ``name`` is in the cache and (by default) every checksum matches.

    Parameters
    ----------
    name : str
        Catalogued data set name.
    settings : Settings, optional
        Defaults to :func:`pharmakon.config.get_settings`.
    verify : bool, default True
        Hash every file; with False only presence and sizes are checked.
    """
    entry = info(name)
    folder = cache_path(name, settings=settings)
    if not folder.is_dir():
        return False
    for f in entry.files:
        path = folder / f.path
        if not path.is_file() or path.stat().st_size != f.size_bytes:
            return False
        if verify and sha256_file(path) != f.sha256:
            return False
    return True


def fetch(
    name: str,
    *,
    settings: Settings | None = None,
    force: bool = False,
    progress: ProgressCallback | None = None,
) -> Path:
    """Put data set ``name`` into the cache and return its folder.

    Parameters
    ----------
    name : str
        Catalogued data set name (see :func:`pharmakon.datasets.list_datasets`).
    settings : Settings, optional
        Where the cache (``settings.data_cache``) and mirror (``settings.data_mirror``)
        are; defaults to :func:`pharmakon.config.get_settings`.
    force : bool, default False
        Fetch again even when a verified copy is already cached.
    progress : callable, optional
        Called as ``progress(data_file, i, n)`` after each of the ``n`` files is in place.

    Returns
    -------
    pathlib.Path
        ``settings.data_cache / name``, holding every catalogued file.

    Raises
    ------
    NotFoundError
        If ``name`` is not catalogued, or the mirror lacks one of its files.
    ChecksumMismatchError
        If a copied or downloaded file does not have its catalogued SHA-256; nothing is
        left in the cache.
    ConfigError
        If there is no mirror and some file has no download URL, or a download fails.
    """
    entry = info(name)
    settings = settings or get_settings()
    target = settings.data_cache / entry.name
    # Processes fetching the same data set (e.g. executor workers on a cold cache) take
    # turns: otherwise a second fetch would swap the folder out from under a reader of
    # the first. Whoever waits finds the data cached and leaves it alone.
    with _dataset_lock(settings.home / "locks", entry.name):
        if not force and is_cached(entry.name, settings=settings):
            if progress is not None:
                for i, f in enumerate(entry.files, start=1):
                    progress(f, i, len(entry.files))
            return target
        _fetch_into(entry, settings, target, progress)
    return target


@contextmanager
def _dataset_lock(folder: Path, name: str) -> Iterator[None]:
    """Exclusive inter-process lock for fetching data set ``name`` (a file in ``folder``, outside the cache)."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"dataset-{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _fetch_into(entry: DatasetEntry, settings: Settings, target: Path, progress: ProgressCallback | None) -> None:
    """Copy or download every file into a staging folder, verify, then move it to ``target``."""
    mirror = settings.data_mirror
    if mirror is None:
        _check_network_fetchable(entry)
    settings.data_cache.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{entry.name}.", suffix=".partial", dir=settings.data_cache))
    try:
        if mirror is not None:
            _copy_from_mirror(entry, Path(mirror), staging, progress)
        else:
            _download(entry, staging, progress)
        _replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _verify_file(entry: DatasetEntry, f: DataFile, path: Path) -> None:
    if not path.is_file():
        raise NotFoundError(f"data set {entry.name!r}: file {f.path!r} is missing from {path.parent}")
    actual = sha256_file(path)
    if actual != f.sha256:
        raise ChecksumMismatchError(
            f"data set {entry.name!r}: file {f.path!r} has SHA-256 {actual}, expected {f.sha256} "
            f"({path.stat().st_size} bytes, expected {f.size_bytes}); the source copy is damaged or "
            "has changed upstream"
        )


def _check_network_fetchable(entry: DatasetEntry) -> None:
    missing = [f.path for f in entry.files if not f.url]
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise ConfigError(
            f"data set {entry.name!r} cannot be fetched from the network: {len(missing)} of its "
            f"{entry.n_files} files have no upstream download URL ({shown}); they are converted or "
            "derived copies that only a data mirror holds. Set PHARMAKON_DATA_MIRROR to a folder laid "
            f"out like the cache (e.g. ../shared/data). Canonical source: {entry.source_url}"
        )


def _copy_from_mirror(entry: DatasetEntry, mirror: Path, staging: Path, progress: ProgressCallback | None) -> None:
    source = mirror / entry.name
    if not source.is_dir():
        raise NotFoundError(
            f"data set {entry.name!r} is not in the mirror {mirror} (no folder {source}); "
            "unset PHARMAKON_DATA_MIRROR to download it or point it at a complete mirror"
        )
    for i, f in enumerate(entry.files, start=1):
        src = source / f.path
        if not src.is_file():
            raise NotFoundError(f"data set {entry.name!r}: file {f.path!r} is missing from the mirror {source}")
        dest = staging / f.path
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
        _verify_file(entry, f, dest)
        if progress is not None:
            progress(f, i, len(entry.files))


def _download(entry: DatasetEntry, staging: Path, progress: ProgressCallback | None) -> None:
    import httpx  # lazy: only network fetches need it

    with httpx.Client(follow_redirects=True, timeout=_TIMEOUT_S) as client:
        for i, f in enumerate(entry.files, start=1):
            dest = staging / f.path
            dest.parent.mkdir(parents=True, exist_ok=True)
            try:
                with client.stream("GET", f.url) as response:  # type: ignore[arg-type]
                    response.raise_for_status()
                    with dest.open("wb") as fh:
                        for chunk in response.iter_bytes(_CHUNK):
                            fh.write(chunk)
            except httpx.HTTPError as exc:
                raise ConfigError(
                    f"data set {entry.name!r}: downloading {f.path!r} from {f.url} failed: {exc}; "
                    "check the network or set PHARMAKON_DATA_MIRROR to a local mirror"
                ) from exc
            _verify_file(entry, f, dest)
            if progress is not None:
                progress(f, i, len(entry.files))


def _replace(staging: Path, target: Path) -> None:
    """Move the verified ``staging`` folder to ``target``, replacing any old copy."""
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        os.replace(target, old)
        try:
            os.replace(staging, target)
        except OSError:
            os.replace(old, target)
            raise
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(staging, target)
