"""Opening the store: migrations, corrupt files, bad URLs, newer schemas."""

from __future__ import annotations

from pathlib import Path

import pytest

from pharmakon.errors import StoreError
from pharmakon.store import Store, open_store


def test_fresh_store_is_at_the_newest_revision(store: Store) -> None:
    assert store.schema_revision() == "0003"
    store.migrate()  # idempotent
    assert store.schema_revision() == "0003"


def test_corrupt_sqlite_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "pharmakon.db"
    path.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(StoreError, match="corrupt or not a pharmakon database"):
        open_store(f"sqlite:///{path}")
    assert path.read_bytes().startswith(b"this is not")


def test_unreachable_postgres_is_a_clear_error() -> None:
    with pytest.raises(StoreError, match="cannot use the store at postgresql"):
        Store("postgresql://u:secret@127.0.0.1:1/x").migrate()


def test_password_is_masked_in_messages() -> None:
    with pytest.raises(StoreError) as info:
        Store("postgresql://u:supersecret@127.0.0.1:1/x").migrate()
    assert "supersecret" not in str(info.value)


def test_unknown_database_kind_is_refused() -> None:
    with pytest.raises(StoreError, match="unsupported database"):
        Store("mysql://u@h/x")


def test_store_from_a_newer_release_is_refused(store: Store) -> None:
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(StoreError, match="newer pharmakon"):
        store.migrate()
