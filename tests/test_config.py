"""Settings: defaults, database URL, secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from pharmakon.config import Settings
from pharmakon.errors import ConfigError


def test_default_store_is_sqlite_under_home(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "h")
    assert settings.resolved_database_url == f"sqlite:///{(tmp_path / 'h' / 'pharmakon.db').resolve()}"
    assert settings.data_cache == tmp_path / "h" / "data"


def test_development_secret_is_generated_once_and_private(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    first = settings.session_secret()
    assert len(first) >= 40 and settings.session_secret() == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("secret", [None, "changeme", "secret", "  "])
def test_production_refuses_missing_or_placeholder_secret(tmp_path: Path, secret: str | None) -> None:
    with pytest.raises(ConfigError, match="PHARMAKON_SECRET_KEY"):
        Settings(home=tmp_path, env="production", secret_key=secret).session_secret()


def test_production_accepts_a_real_secret(tmp_path: Path) -> None:
    assert Settings(home=tmp_path, env="production", secret_key="x" * 48).session_secret() == "x" * 48


def test_default_home_is_per_user_not_the_working_folder(tmp_path: Path, monkeypatch) -> None:
    """Every command finds the same store wherever it starts (issue 13: a CLI run from
    another folder used to see an empty store while the server showed models)."""
    monkeypatch.delenv("PHARMAKON_HOME", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    first = tmp_path / "a"
    second = tmp_path / "b"
    first.mkdir()
    second.mkdir()
    monkeypatch.chdir(first)
    home_a = Settings().home
    monkeypatch.chdir(second)
    home_b = Settings().home
    assert home_a == home_b == tmp_path / "xdg" / "pharmakon"
    assert home_a.is_absolute()
