"""Settings read from the environment (``PHARMAKON_*``) through pydantic-settings.

=================================  ==========================================================
variable                           meaning
=================================  ==========================================================
``PHARMAKON_HOME``                 folder of the embedded store, data cache and secrets
                                   (default: the user's data folder, ``~/.local/share/pharmakon``
                                   on Linux, so every command finds the same store wherever
                                   it starts)
``PHARMAKON_DATABASE_URL``         SQLAlchemy URL of the store; default is SQLite under home
``PHARMAKON_DATA_MIRROR``          folder laid out like the data cache, used instead of the
                                   network by ``pharmakon data fetch``
``PHARMAKON_BACKEND``              executor backend: ``local`` (default), ``serial`` or ``ray``
``PHARMAKON_RAY_ADDRESS``          address of a running Ray cluster (``HOST:PORT``)
``PHARMAKON_SECRET_KEY``           signs workbench sessions; generated per home in development
``PHARMAKON_ENV``                  ``development`` (default) or ``production``
``PHARMAKON_MODEL_CACHE_MB``       model artifacts (MiB on disk) a server keeps loaded
                                   between requests (default 256; 0 keeps none)
``PHARMAKON_ACTOR``                who acts from a shell, written into audit events
                                   (default ``local:<os user>``)
``PHARMAKON_DEBUG``                ``1`` lets the CLI show tracebacks of internal errors
``PHARMAKON_MAX_SMILES_LENGTH``    longest SMILES (characters) a molecule may have; longer ones
                                   are invalid rows with that reason (default 2000)
``PHARMAKON_MAX_HEAVY_ATOMS``      most heavy atoms a standardised molecule may have; larger ones
                                   are invalid rows (default 300; bounds per-molecule featurizer
                                   cost, some descriptors grow with the cube of the size)
``PHARMAKON_MAX_UPLOAD_MB``        largest request body (MiB) the server accepts; a larger one
                                   gets 413 while it streams, before it is read (default 256)
=================================  ==========================================================
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from platformdirs import user_data_dir
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from pharmakon.errors import ConfigError

__all__ = ["Settings", "get_settings", "mask_url"]

_PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "secret", "dev", "development"}


class Settings(BaseSettings):
    """Process-wide settings; every field maps to ``PHARMAKON_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="PHARMAKON_", extra="ignore")

    home: Path = Field(default_factory=lambda: Path(user_data_dir("pharmakon", appauthor=False)))
    database_url: str | None = None
    data_mirror: Path | None = None
    backend: Literal["serial", "local", "ray"] = "local"
    ray_address: str | None = None
    secret_key: str | None = None
    env: Literal["development", "production"] = "development"
    model_cache_mb: int = Field(default=256, ge=0)
    actor: str | None = Field(default=None, max_length=200)
    debug: bool = False
    max_smiles_length: int = Field(default=2000, ge=1, le=1_000_000)
    max_heavy_atoms: int = Field(default=300, ge=1, le=100_000)
    max_upload_mb: int = Field(default=256, ge=1, le=1_000_000)

    @property
    def resolved_database_url(self) -> str:
        """SQLAlchemy URL of the store (SQLite file under ``home`` unless overridden)."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'pharmakon.db').resolve()}"

    @property
    def data_cache(self) -> Path:
        """Folder where fetched data sets are cached."""
        return self.home / "data"

    def session_secret(self) -> str:
        """Secret that signs workbench session cookies.

        In production a real ``PHARMAKON_SECRET_KEY`` is required; in development one is
        generated once per home folder and kept in ``HOME/secret_key`` (mode 600).
        """
        if self.secret_key is not None and self.secret_key.strip().lower() not in _PLACEHOLDER_SECRETS:
            return self.secret_key
        if self.env == "production":
            raise ConfigError(
                "PHARMAKON_SECRET_KEY is missing or a placeholder; production needs a real "
                "secret (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
            )
        path = self.home / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.home.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings of this process, read once. Tests call ``get_settings.cache_clear()``."""
    try:
        return Settings()
    except Exception as exc:  # pydantic's ValidationError: name the variable
        raise ConfigError(f"invalid PHARMAKON_* environment setting: {exc}") from exc


def mask_url(url: str) -> str:
    """The URL with any password replaced by ``***`` (safe to print).

    Lives here, beside the setting it masks, so that ``pharmakon version`` can print the
    store without importing the store (SQLAlchemy).
    """
    import re

    return re.sub(r"(://[^:/@]+:)[^@]+@", r"\1***@", url)
