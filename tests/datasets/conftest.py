"""Fixtures for the data-set tests: the shared data mirror beside the checkout."""

from __future__ import annotations

from pathlib import Path

import pytest

from pharmakon.config import Settings

# The workplace mirror sits beside the checkout: <checkout>/../shared/data
MIRROR = (Path(__file__).resolve().parents[2] / ".." / "shared" / "data").resolve()

needs_mirror = pytest.mark.skipif(not MIRROR.is_dir(), reason=f"data mirror {MIRROR} not present")


@pytest.fixture
def mirror_settings(tmp_path: Path) -> Settings:
    """Settings with an empty home under tmp_path and the shared mirror."""
    return Settings(home=tmp_path / "home", data_mirror=MIRROR)


@pytest.fixture(scope="session")
def filled_cache(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings whose cache holds every catalogued data set (fetched once from the mirror)."""
    if not MIRROR.is_dir():
        pytest.skip(f"data mirror {MIRROR} not present")
    from pharmakon.datasets import dataset_names, fetch

    settings = Settings(home=tmp_path_factory.mktemp("cache_home"), data_mirror=MIRROR)
    for name in dataset_names():
        fetch(name, settings=settings)
    return settings
