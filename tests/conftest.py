"""Shared fixtures: a store on SQLite and on a real PostgreSQL, settings, users.

Every test that asks for ``store`` runs twice, once per database. When
``PHARMAKON_REQUIRE_ALL_BACKENDS=1`` (set by ``make test`` and CI), a PostgreSQL or
Chromium that cannot start fails the run instead of skipping those tests.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from pharmakon.config import get_settings
from pharmakon.store import Store, close_stores, create_user, issue_token, open_store

pytest_plugins = ["tests.fixtures.cli", "tests.fixtures.browser", "tests.fixtures.ray"]

REPO = Path(__file__).resolve().parents[1]
MIRROR = (REPO.parent / "shared" / "data").resolve()
REQUIRE_ALL = os.environ.get("PHARMAKON_REQUIRE_ALL_BACKENDS") == "1"
_db_counter = itertools.count()


def pytest_configure(config: pytest.Config) -> None:
    """No test touches the user's own store: the per-user default home (and the data
    folder it lives in) is redirected to a folder of this run unless a test sets its own."""
    import tempfile

    if "PHARMAKON_HOME" not in os.environ:
        run_home = Path(tempfile.mkdtemp(prefix="pharmakon-test-home-"))
        os.environ["PHARMAKON_HOME"] = str(run_home)
        config.add_cleanup(lambda: shutil.rmtree(run_home, ignore_errors=True))


def unavailable(reason: str) -> None:
    """Fail when all backends are required, else skip."""
    if REQUIRE_ALL:
        pytest.fail(f"{reason} (PHARMAKON_REQUIRE_ALL_BACKENDS=1 forbids skipping)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_server():
    from tests.postgres_server import PostgresServer, find_pg_bin

    bin_dir = find_pg_bin()
    if bin_dir is None:
        unavailable("PostgreSQL server binaries (initdb, pg_ctl) not found")
    server = PostgresServer(bin_dir)
    try:
        server.start()
    except Exception as exc:  # noqa: BLE001 - any start failure means no PostgreSQL tests
        server.stop()
        unavailable(f"could not start PostgreSQL from {bin_dir}: {exc}")
    # A migrated template makes each test's fresh database a cheap copy.
    server.execute("CREATE DATABASE pharmakon_template")
    template = Store(server.url("pharmakon_template"))
    template.migrate()
    template.dispose()
    yield server
    server.stop()


@pytest.fixture
def pharmakon_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty PHARMAKON_HOME with settings re-read from the environment."""
    home = tmp_path / "home"
    monkeypatch.setenv("PHARMAKON_HOME", str(home))
    monkeypatch.delenv("PHARMAKON_DATABASE_URL", raising=False)
    monkeypatch.delenv("PHARMAKON_BACKEND", raising=False)
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()
    close_stores()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, pharmakon_home: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """URL of a fresh, migrated database of each kind, also set as PHARMAKON_DATABASE_URL."""
    if request.param == "sqlite":
        url = f"sqlite:///{pharmakon_home / 'pharmakon.db'}"
    else:
        server = request.getfixturevalue("postgres_server")
        name = f"t{os.getpid()}_{next(_db_counter)}"
        server.execute(f"CREATE DATABASE {name} TEMPLATE pharmakon_template")
        url = server.url(name)
    monkeypatch.setenv("PHARMAKON_DATABASE_URL", url)
    get_settings.cache_clear()
    return url


@pytest.fixture
def store(database_url: str) -> Store:
    """A migrated store on SQLite and on PostgreSQL (the test runs once for each)."""
    return open_store(database_url)


@pytest.fixture
def make_user(store: Store):
    """Factory: ``make_user("alice", "admin")`` → (UserInfo, password, token)."""

    def make(username: str, role: str, password: str | None = None):
        password = password or f"{username}-password"
        with store.session() as session:
            user = create_user(session, username=username, password=password, role=role, actor="test")
            token = issue_token(session, username=username, name="test", actor="test")
        return user, password, token

    return make
