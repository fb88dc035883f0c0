"""fetch(): from the mirror, from the network (a local HTTP server), and failure modes."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pharmakon.config import Settings
from pharmakon.datasets import DataFile, DatasetEntry, fetch, fetching, info, is_cached, sha256_file
from pharmakon.errors import ChecksumMismatchError, ConfigError, NotFoundError
from tests.datasets.conftest import MIRROR, needs_mirror

SMALL = "nano_tumor_db"  # 2 files, 26 KB


def _leftovers(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.iterdir()) if cache.exists() else []


@needs_mirror
def test_fetch_from_mirror(mirror_settings: Settings) -> None:
    path = fetch(SMALL, settings=mirror_settings)
    assert path == mirror_settings.data_cache / SMALL
    entry = info(SMALL)
    for f in entry.files:
        assert sha256_file(path / f.path) == f.sha256
    assert is_cached(SMALL, settings=mirror_settings)
    assert _leftovers(mirror_settings.data_cache) == [SMALL]


@needs_mirror
def test_fetch_nested_files(mirror_settings: Settings) -> None:
    path = fetch("biogen_adme_fang2023", settings=mirror_settings)
    assert (path / "splits" / "ADME_HLM_train.csv").is_file()


@needs_mirror
def test_cached_copy_is_not_copied_again_unless_forced(
    mirror_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    fetch(SMALL, settings=mirror_settings)
    calls: list[str] = []
    real_copy = shutil.copyfile
    monkeypatch.setattr(fetching.shutil, "copyfile", lambda s, d: calls.append(str(s)) or real_copy(s, d))
    fetch(SMALL, settings=mirror_settings)
    assert calls == []
    fetch(SMALL, settings=mirror_settings, force=True)
    assert len(calls) == info(SMALL).n_files
    assert is_cached(SMALL, settings=mirror_settings)


@needs_mirror
def test_damaged_cache_is_fetched_again(mirror_settings: Settings) -> None:
    path = fetch(SMALL, settings=mirror_settings)
    (path / "nano_tumor_de_dev.csv").write_text("damaged")
    assert not is_cached(SMALL, settings=mirror_settings)
    fetch(SMALL, settings=mirror_settings)
    assert is_cached(SMALL, settings=mirror_settings)


@needs_mirror
def test_checksum_mismatch_leaves_nothing_behind(tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    shutil.copytree(MIRROR / SMALL, mirror / SMALL)
    target = mirror / SMALL / "nano_tumor_de_dev.csv"
    target.write_bytes(target.read_bytes().replace(b"Gold", b"Gild", 1))
    settings = Settings(home=tmp_path / "home", data_mirror=mirror)
    expected = info(SMALL).file("nano_tumor_de_dev.csv").sha256
    with pytest.raises(ChecksumMismatchError) as err:
        fetch(SMALL, settings=settings)
    message = str(err.value)
    assert "nano_tumor_de_dev.csv" in message and expected in message and sha256_file(target) in message
    assert _leftovers(settings.data_cache) == []


@needs_mirror
def test_mirror_missing_file_is_not_found(tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    shutil.copytree(MIRROR / SMALL, mirror / SMALL)
    (mirror / SMALL / "SOURCE.md").unlink()
    settings = Settings(home=tmp_path / "home", data_mirror=mirror)
    with pytest.raises(NotFoundError, match="SOURCE.md"):
        fetch(SMALL, settings=settings)
    assert _leftovers(settings.data_cache) == []
    with pytest.raises(NotFoundError, match="not in the mirror"):
        fetch("moleculenet", settings=settings)


def test_unknown_name(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="did you mean 'pharmabench'"):
        fetch("pharmabenc", settings=Settings(home=tmp_path))


def test_network_needs_urls_for_every_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="PHARMAKON_DATA_MIRROR") as err:
        fetch(SMALL, settings=Settings(home=tmp_path, data_mirror=None))
    assert "nano_tumor_de_dev.csv" in str(err.value)
    assert not (tmp_path / "data" / SMALL).exists()


# ------------------------------------------------------------------ network (local server)
class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def http_source(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A local HTTP server on 127.0.0.1 serving tmp_path/'served'; yields (folder, base URL)."""
    served = tmp_path / "served"
    served.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(served)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield served, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _fake_entry(served: Path, base: str, contents: dict[str, bytes]) -> DatasetEntry:
    files = []
    for rel, data in contents.items():
        (served / rel).parent.mkdir(parents=True, exist_ok=True)
        (served / rel).write_bytes(data)
        files.append(DataFile(path=rel, size_bytes=len(data), sha256=sha256_file(served / rel), url=f"{base}/{rel}"))
    return DatasetEntry(
        name="tiny_fake",
        domain="test",
        title="t",
        description="d",
        licence="CC0-1.0",
        citation="none",
        source_url=base,
        files=files,
        size_bytes=sum(f.size_bytes for f in files),
    )


def _patch_catalog(monkeypatch: pytest.MonkeyPatch, entry: DatasetEntry) -> None:
    real_info = fetching.info
    monkeypatch.setattr(fetching, "info", lambda name: entry if name == entry.name else real_info(name))


def test_network_fetch_from_local_server(
    tmp_path: Path, http_source: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    served, base = http_source
    entry = _fake_entry(served, base, {"a.csv": b"x,y\n1,2\n", "sub/b.txt": b"hello\n"})
    _patch_catalog(monkeypatch, entry)
    settings = Settings(home=tmp_path / "home", data_mirror=None)
    seen: list[str] = []
    path = fetch("tiny_fake", settings=settings, progress=lambda f, i, n: seen.append(f"{i}/{n} {f.path}"))
    assert (path / "a.csv").read_bytes() == b"x,y\n1,2\n"
    assert (path / "sub" / "b.txt").read_bytes() == b"hello\n"
    assert seen == ["1/2 a.csv", "2/2 sub/b.txt"]
    assert _leftovers(settings.data_cache) == ["tiny_fake"]


def test_network_checksum_mismatch_leaves_nothing(
    tmp_path: Path, http_source: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    served, base = http_source
    entry = _fake_entry(served, base, {"a.csv": b"x,y\n1,2\n", "b.csv": b"z\n3\n"})
    (served / "b.csv").write_bytes(b"z\n4\n")  # changed upstream
    _patch_catalog(monkeypatch, entry)
    settings = Settings(home=tmp_path / "home", data_mirror=None)
    with pytest.raises(ChecksumMismatchError, match=r"'b.csv'.*expected " + entry.files[1].sha256):
        fetch("tiny_fake", settings=settings)
    assert _leftovers(settings.data_cache) == []


def test_network_http_error_is_clear(
    tmp_path: Path, http_source: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    served, base = http_source
    entry = _fake_entry(served, base, {"a.csv": b"1\n"})
    (served / "a.csv").unlink()
    _patch_catalog(monkeypatch, entry)
    settings = Settings(home=tmp_path / "home", data_mirror=None)
    with pytest.raises(ConfigError, match=r"downloading 'a.csv' .* failed: .*404"):
        fetch("tiny_fake", settings=settings)
    assert _leftovers(settings.data_cache) == []


def _fetch_and_read(home: str, mirror: str, name: str, barrier) -> int:
    """In a fresh process: wait for the others, fetch ``name`` into a shared cold cache, read it a few times."""
    from pharmakon.config import Settings
    from pharmakon.datasets import fetch, info

    settings = Settings(home=home, data_mirror=mirror)
    barrier.wait()
    folder = fetch(name, settings=settings)
    sizes = [sum(len((folder / f.path).read_bytes()) for f in info(name).files) for _ in range(20)]
    assert len(set(sizes)) == 1
    return sizes[0]


def test_concurrent_fetches_into_a_cold_cache_do_not_disturb_each_other(tmp_path: Path) -> None:
    """Regression: a second fetch used to swap the folder away while the first one's caller read it."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from pharmakon.datasets import info
    from tests.conftest import MIRROR

    name = "pharmcat"  # 150 files: long enough for the fetches to overlap the readers
    if not (MIRROR / name).is_dir():
        pytest.skip("data mirror not beside the checkout")
    expected = sum(f.size_bytes for f in info(name).files)
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager, ProcessPoolExecutor(4, mp_context=ctx) as pool:
        barrier = manager.Barrier(4)
        sizes = list(pool.map(_fetch_and_read, *zip(*[(str(tmp_path), str(MIRROR), name, barrier)] * 4)))
    assert sizes == [expected] * 4
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == [name]
