"""Fixtures of the chem tests."""

from __future__ import annotations

import pytest

from pharmakon.config import get_settings
from tests.conftest import MIRROR


@pytest.fixture
def mirror(monkeypatch):
    """The data mirror as the data source (``PHARMAKON_DATA_MIRROR``), settings reloaded around the test."""
    monkeypatch.setenv("PHARMAKON_DATA_MIRROR", str(MIRROR))
    get_settings.cache_clear()
    yield MIRROR
    get_settings.cache_clear()
