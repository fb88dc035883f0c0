"""Delivery tests read the Nano-Tumor DB from the data mirror (never a network)."""

from __future__ import annotations

import pytest

from pharmakon.config import get_settings
from tests.conftest import MIRROR


@pytest.fixture
def mirror(monkeypatch: pytest.MonkeyPatch) -> None:
    """The data mirror as the data source, settings reloaded around the test."""
    if not (MIRROR / "nano_tumor_db").is_dir():
        pytest.skip("the data mirror with nano_tumor_db is not available")
    monkeypatch.setenv("PHARMAKON_DATA_MIRROR", str(MIRROR))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def sqlite_store(pharmakon_home, monkeypatch: pytest.MonkeyPatch):
    """A migrated SQLite store only: for the slow QSAR test (the services run on both databases elsewhere)."""
    from pharmakon.store import open_store

    url = f"sqlite:///{pharmakon_home / 'pharmakon.db'}"
    monkeypatch.setenv("PHARMAKON_DATABASE_URL", url)
    get_settings.cache_clear()
    return open_store(url)
