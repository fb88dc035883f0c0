"""`pharmakon data list/info/fetch`, run on the Typer sub-app with CliRunner."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pharmakon.cli import data
from pharmakon.config import get_settings
from pharmakon.datasets import info
from pharmakon.errors import ChecksumMismatchError, NotFoundError
from pharmakon.store import close_stores, list_events, open_store

MIRROR = (Path(__file__).resolve().parents[2] / ".." / "shared" / "data").resolve()
needs_mirror = pytest.mark.skipif(not MIRROR.is_dir(), reason=f"data mirror {MIRROR} not present")
runner = CliRunner()


@pytest.fixture
def events(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """Reads the ``data.fetch`` events of a store in PHARMAKON_HOME under tmp_path; mirror = shared data."""
    monkeypatch.setenv("PHARMAKON_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("PHARMAKON_DATABASE_URL", raising=False)
    monkeypatch.setenv("PHARMAKON_DATA_MIRROR", str(MIRROR))
    get_settings.cache_clear()

    def recorded() -> list[dict[str, Any]]:
        with open_store().read_session() as session:
            found = list_events(session, action="data.fetch", limit=100)[0]
        keys = ("action", "object_type", "object_id", "outputs", "params")
        return [{k: getattr(e, k) for k in keys} for e in reversed(found)]

    yield recorded
    get_settings.cache_clear()
    close_stores()


def test_list_table() -> None:
    result = runner.invoke(data.app, ["list"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "26 public data sets" in result.output
    assert "biogen_adme_fang2023" in result.output and "GPL-3.0" in result.output


def test_list_json() -> None:
    result = runner.invoke(data.app, ["list", "--json"])
    assert result.exit_code == 0
    rows = json.loads(result.output)
    assert len(rows) == 26
    mol = next(r for r in rows if r["name"] == "moleculenet")
    assert mol["citation"].startswith("Wu Z.") and mol["source_url"].startswith("https://github.com/chemprop/")
    assert all(len(f["sha256"]) == 64 for r in rows for f in r["files"])
    assert sum(r["n_files"] for r in rows) == 559


def test_info_json_and_text() -> None:
    result = runner.invoke(data.app, ["info", "pharmabench", "--json"])
    assert result.exit_code == 0
    doc = json.loads(result.output)
    assert doc["licence"] == "CC0-1.0" and doc["n_files"] == 12 and doc["network_fetchable"] is False
    text = runner.invoke(data.app, ["info", "pharmabench"], env={"COLUMNS": "250"})
    assert text.exit_code == 0 and "logd_reg_final_data.csv" in text.output


def test_unknown_name_propagates() -> None:
    result = runner.invoke(data.app, ["info", "moleculenett"])
    assert isinstance(result.exception, NotFoundError)
    assert "did you mean 'moleculenet'" in str(result.exception)


@needs_mirror
def test_fetch_records_audit_event(events, tmp_path: Path) -> None:
    result = runner.invoke(data.app, ["fetch", "nano_tumor_db"])
    assert result.exit_code == 0, result.output
    cached = (tmp_path / "home" / "data" / "nano_tumor_db").resolve()
    assert str(cached) in result.output
    assert (cached / "nano_tumor_de_dev.csv").is_file()
    entry = info("nano_tumor_db")
    assert events() == [
        {
            "action": "data.fetch",
            "object_type": "dataset",
            "object_id": "nano_tumor_db",
            "outputs": {f.path: f.sha256 for f in entry.files},
            "params": {"source": "mirror", "channel": "cli"},
        }
    ]


@needs_mirror
def test_fetch_json_and_force(events) -> None:
    result = runner.invoke(data.app, ["fetch", "agile_lipids", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["name"] == "agile_lipids" and doc["source"] == "mirror" and doc["n_files"] == 2
    again = runner.invoke(data.app, ["fetch", "agile_lipids", "--force", "--json"])
    assert again.exit_code == 0 and len(events()) == 2


@needs_mirror
def test_fetch_checksum_error_propagates_without_event(events, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    mirror = tmp_path / "mirror"
    shutil.copytree(MIRROR / "nano_tumor_db", mirror / "nano_tumor_db")
    (mirror / "nano_tumor_db" / "SOURCE.md").write_text("tampered")
    monkeypatch.setenv("PHARMAKON_DATA_MIRROR", str(mirror))
    get_settings.cache_clear()
    result = runner.invoke(data.app, ["fetch", "nano_tumor_db"])
    assert isinstance(result.exception, ChecksumMismatchError)
    assert events() == []
    assert not (tmp_path / "home" / "data" / "nano_tumor_db").exists()
