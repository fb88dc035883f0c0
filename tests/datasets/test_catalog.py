"""The catalogue covers every mirror folder and file, with correct sizes and checksums."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from pharmakon.datasets import DatasetEntry, info, list_datasets, sha256_file
from pharmakon.datasets.catalog import UrlRule, resolve_file_url
from pharmakon.errors import NotFoundError
from tests.datasets.conftest import MIRROR, needs_mirror

REPO = Path(__file__).resolve().parents[2]


def _mirror_files(name: str) -> set[str]:
    folder = MIRROR / name
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def test_entries_have_metadata() -> None:
    entries = list_datasets()
    assert [e.name for e in entries] == sorted(e.name for e in entries)
    for e in entries:
        for field in ("domain", "title", "description", "licence", "citation", "source_url"):
            value = getattr(e, field)
            assert value and "TODO" not in value, f"{e.name}.{field} is empty"
        assert e.source_url.startswith("https://"), e.name
        assert e.size_bytes == sum(f.size_bytes for f in e.files) > 0
        assert [f.path for f in e.files] == sorted(f.path for f in e.files)


def test_file_urls_are_pinned_raw_urls() -> None:
    for e in list_datasets():
        for f in e.files:
            if f.url and f.url.startswith("https://raw.githubusercontent.com/"):
                assert re.match(r"^https://raw\.githubusercontent\.com/[^/]+/[^/]+/[0-9a-f]{40}/", f.url), f.url
    # Converted or derived files have no upstream URL; verbatim copies do.
    assert info("moleculenet").file("hiv.csv").url is None
    assert info("moleculenet").file("bace.csv").url == (
        "https://raw.githubusercontent.com/chemprop/chemprop/3f2b73372a8968f0f73b2fb279a5780cae918d58/data/bace.csv"
    )


@needs_mirror
def test_catalogue_covers_every_mirror_folder_and_file() -> None:
    folders = sorted(p.name for p in MIRROR.iterdir() if p.is_dir())
    assert len(folders) == 26
    assert [e.name for e in list_datasets()] == folders
    n_files = 0
    for e in list_datasets():
        assert {f.path for f in e.files} == _mirror_files(e.name), e.name
        n_files += e.n_files
    # 559 data-set files; with the top-level CATALOG.md the mirror holds 560.
    assert n_files + len([p for p in MIRROR.iterdir() if p.is_file()]) == sum(
        1 for p in MIRROR.rglob("*") if p.is_file()
    )


@needs_mirror
def test_mirror_checksums_verify() -> None:
    for e in list_datasets():
        for f in e.files:
            path = MIRROR / e.name / f.path
            assert path.stat().st_size == f.size_bytes, f"{e.name}/{f.path}"
            assert sha256_file(path) == f.sha256, f"{e.name}/{f.path}"


def test_unknown_name_lists_close_matches() -> None:
    with pytest.raises(NotFoundError, match=r"did you mean 'moleculenet'"):
        info("moleculnet")
    with pytest.raises(NotFoundError, match=r"valid names: agile_lipids, .*trec_ct_2022"):
        info("zzz")


def test_resolve_file_url() -> None:
    rules = [UrlRule(pattern=r"^a/(.+)\.csv$", url="https://x/{1}.csv?p={0}")]
    assert resolve_file_url(rules, "a/b.csv") == "https://x/b.csv?p=a/b.csv"
    assert resolve_file_url(rules, "b.csv") is None


def test_entry_file_lookup() -> None:
    entry: DatasetEntry = info("tep_braatz")
    assert entry.file("SOURCE.md").sha256
    with pytest.raises(NotFoundError, match="no file"):
        entry.file("nope.csv")


@needs_mirror
def test_build_script_reports_catalogue_up_to_date(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location(
        "build_dataset_catalog", REPO / "scripts" / "build_dataset_catalog.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--mirror", str(MIRROR), "--check"]) == 0
    assert "up to date (26 data sets, 559 files)" in capsys.readouterr().out


@needs_mirror
def test_build_script_keeps_metadata_and_adds_new_folders(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "build_dataset_catalog", REPO / "scripts" / "build_dataset_catalog.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    mirror = tmp_path / "mirror"
    (mirror / "new_set" / "sub").mkdir(parents=True)
    (mirror / "new_set" / "sub" / "x.csv").write_text("a\n1\n")
    catalog = tmp_path / "catalog.json"
    catalog.write_text('{"format_version": 1, "datasets": [{"name": "gone", "title": "kept", "files": []}]}')
    assert module.main(["--mirror", str(mirror), "--catalog", str(catalog)]) == 0
    import json

    data = {d["name"]: d for d in json.loads(catalog.read_text())["datasets"]}
    assert data["gone"]["title"] == "kept"
    assert data["new_set"]["files"][0]["path"] == "sub/x.csv"
    assert data["new_set"]["files"][0]["sha256"] == sha256_file(mirror / "new_set" / "sub" / "x.csv")
    assert module.main(["--mirror", str(mirror), "--catalog", str(catalog), "--check"]) == 0


def test_manifest_hash_matches_sha256sum_of_the_mirror_folder() -> None:
    import hashlib
    import subprocess

    from pharmakon.datasets import info
    from tests.conftest import MIRROR

    if not (MIRROR / "nano_tumor_db").is_dir():
        pytest.skip("data mirror not beside the checkout")
    entry = info("nano_tumor_db")
    paths = sorted(f.path for f in entry.files)
    listing = subprocess.run(["sha256sum", *paths], cwd=MIRROR / "nano_tumor_db", capture_output=True, check=True)
    assert hashlib.sha256(listing.stdout).hexdigest() == entry.manifest_sha256
