"""Opening the store: engine, sessions, schema migrations, error translation.

One :class:`Store` per process and database URL. SQLite (the embedded default) runs
in WAL mode and takes the write lock at the start of every write transaction
(``BEGIN IMMEDIATE``), so concurrent writers queue instead of failing half-way;
PostgreSQL relies on row locks (see :mod:`pharmakon.store.audit`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from pharmakon.config import mask_url
from pharmakon.errors import StoreError

__all__ = ["Store", "open_store", "mask_url"]

_MIGRATIONS = Path(__file__).with_name("migrations")
_SQLITE_BUSY_TIMEOUT_S = 120
_MIGRATION_LOCK_KEY = 0x70686172  # "phar": advisory lock id for PostgreSQL migrations


def _sqlite_engine(url: str, *, immediate: bool) -> Engine:
    engine = create_engine(url, connect_args={"timeout": _SQLITE_BUSY_TIMEOUT_S})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:  # type: ignore[no-untyped-def]
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class Store:
    """Handle on one pharmakon database.

    Parameters
    ----------
    url : str
        SQLAlchemy URL, e.g. ``sqlite:////abs/path/pharmakon.db`` or
        ``postgresql+psycopg://user:pw@host/db``.

    Notes
    -----
    Use :meth:`session` for work that writes (one transaction, committed on success,
    rolled back on any error, so nothing is half-written) and :meth:`read_session`
    for long reads, which on SQLite do not block writers.
    """

    def __init__(self, url: str) -> None:
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        try:
            parsed = make_url(url)
        except ArgumentError as exc:
            raise StoreError(f"PHARMAKON_DATABASE_URL is not a database URL: {mask_url(url)!r}") from exc
        self.url = url
        self.dialect = parsed.get_backend_name()
        if self.dialect == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            self.engine = _sqlite_engine(url, immediate=True)
            self._read_engine = _sqlite_engine(url, immediate=False)
        elif self.dialect == "postgresql":
            self.engine = create_engine(url, pool_pre_ping=True)
            self._read_engine = self.engine
        else:
            raise StoreError(f"unsupported database {self.dialect!r}; use sqlite or postgresql")
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(self._read_engine, expire_on_commit=False)

    def __repr__(self) -> str:
        return f"Store({mask_url(self.url)!r})"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One write transaction: commit on success, roll back on any error."""
        with _translate_errors(self.url), self._sessions.begin() as session:
            yield session

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A read-only transaction that never blocks writers on SQLite."""
        with _translate_errors(self.url), self._read_sessions() as session:
            yield session

    def dispose(self) -> None:
        """Close pooled connections (call before forking or at exit)."""
        self.engine.dispose()
        self._read_engine.dispose()

    def migrate(self) -> None:
        """Bring the schema to the newest revision; refuses a store from a newer release."""
        from alembic import command
        from alembic.config import Config
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory

        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))
        head = ScriptDirectory.from_config(config).get_current_head()
        known = {rev.revision for rev in ScriptDirectory.from_config(config).walk_revisions()}
        with _translate_errors(self.url), self.engine.begin() as connection:
            if self.dialect == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK_KEY})
            current = MigrationContext.configure(connection).get_current_revision()
            if current is not None and current not in known:
                raise StoreError(
                    f"the store at {mask_url(self.url)} has schema revision {current!r}, written by a "
                    "newer pharmakon; upgrade pharmakon to open it"
                )
            if current != head:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")

    def schema_revision(self) -> str | None:
        """Alembic revision the database is at (``None`` for an empty database)."""
        from alembic.runtime.migration import MigrationContext

        with _translate_errors(self.url), self._read_engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()


@contextmanager
def _translate_errors(url: str) -> Iterator[None]:
    """Turn driver errors about an unusable database into one clear StoreError."""
    try:
        yield
    except OperationalError as exc:
        message = str(exc.orig) if exc.orig is not None else str(exc)
        raise StoreError(f"cannot use the store at {mask_url(url)}: {message.strip()}") from exc
    except DatabaseError as exc:
        message = str(exc.orig) if exc.orig is not None else str(exc)
        if "not a database" in message or "malformed" in message:
            raise StoreError(
                f"the store at {mask_url(url)} is corrupt or not a pharmakon database ({message}); "
                "restore it from a backup or point PHARMAKON_HOME elsewhere"
            ) from exc
        raise


_STORES: dict[str, Store] = {}


def open_store(url: str | None = None, *, migrate: bool = True) -> Store:
    """Open (and by default migrate) the store at ``url`` or the configured one.

    Stores are cached per URL within a process.

    Raises
    ------
    StoreError
        If the database cannot be reached, is corrupt, or was written by a newer release.
    """
    if url is None:
        from pharmakon.config import get_settings

        url = get_settings().resolved_database_url
    store = _STORES.get(url)
    if store is None:
        store = Store(url)
        if migrate:
            store.migrate()
        _STORES[url] = store
    return store


def close_stores() -> None:
    """Dispose every cached store (tests, forks, shutdown)."""
    for store in _STORES.values():
        store.dispose()
    _STORES.clear()
