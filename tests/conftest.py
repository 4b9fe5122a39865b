"""Shared test fixtures: Qt offscreen, a throwaway PostgreSQL server, fresh migrated databases.

Database fixtures (each yields the SQLAlchemy URL of a FRESH, fully migrated, EMPTY database):

* ``db_url``     parametrized ``[sqlite]`` and ``[postgresql]`` (the latter marked ``postgres``
                 and skipped, with the reason, when no PostgreSQL server can be had);
* ``sqlite_url`` SQLite only (test id gets ``[sqlite]``);
* ``pg_url``     PostgreSQL only (test id gets ``[postgresql]``, marked ``postgres``);
* ``db_engine``  ``make_engine(db_url)``, disposed after the test.

Migrations run once per session per backend into a template, which is cloned per test
(SQLite: file copy; PostgreSQL: ``CREATE DATABASE … TEMPLATE``).

The PostgreSQL server comes from ``tests/pgcluster.py``: a throwaway cluster, or the server
named by ``BOOKING_APP_TEST_PG_URL``; ``BOOKING_APP_TEST_NO_PG=1`` disables it.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Tests never touch this machine's real data, settings or backups: the user data and config folders
# (platformdirs follows XDG on Linux) and the backup folder point into one throwaway folder.
import tempfile  # noqa: E402

_USER_DIRS = tempfile.mkdtemp(prefix="fukufuku-test-home-")
os.environ["XDG_DATA_HOME"] = os.path.join(_USER_DIRS, "data")
os.environ["XDG_CONFIG_HOME"] = os.path.join(_USER_DIRS, "config")
os.environ["BOOKING_APP_BACKUP_DIR"] = os.path.join(_USER_DIRS, "backups")

import atexit  # noqa: E402

atexit.register(lambda: __import__("shutil").rmtree(_USER_DIRS, ignore_errors=True))
import gc  # noqa: E402
import itertools  # noqa: E402
import shutil  # noqa: E402
import sqlite3  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pgcluster import PgCluster  # noqa: E402

# The pinned clock, the calendar sweep and the modal guard (tests/pinning.py): hooks and autouse fixtures.
from pinning import (  # noqa: E402, F401
    _modal_guard,
    _sweep_day,
    frozen_clock,
    pytest_addoption,
    pytest_collection_modifyitems,
    pytest_configure,
    pytest_generate_tests,
)

PG_TEMPLATE_DB = "tmpl_booking"
_db_counter = itertools.count(1)


def _collect_garbage() -> None:
    """Close connections of engines nobody refers to any more (e.g. one a migration left pooled)
    before their databases are cloned or dropped. Their "deleted while open" ResourceWarnings are
    the code under test's business, not this fixture's, so they are not turned into errors here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


# --------------------------------------------------------------------------------------------
# PostgreSQL server
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def _pg_cluster():
    cluster = PgCluster()
    cluster.start()
    atexit.register(cluster.stop)  # safety net if the session dies before teardown
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def pg_server_url(_pg_cluster) -> str:
    """URL of the session's PostgreSQL server (maintenance db ``postgres``); skips if none."""
    if not _pg_cluster.url:
        pytest.skip(f"PostgreSQL not available: {_pg_cluster.reason}")
    return _pg_cluster.url


@pytest.fixture(scope="session")
def pg_ca_file(_pg_cluster, pg_server_url) -> Path:
    """The CA file that signed the throwaway cluster's TLS certificate (for ``sslmode=verify-full``);
    skips when there is none (no ``openssl``, or a server named by BOOKING_APP_TEST_PG_URL)."""
    if _pg_cluster.ca_file is None:
        pytest.skip("the PostgreSQL test server has no TLS certificate of ours (no openssl, or an external server)")
    return _pg_cluster.ca_file


def _pg_connect(url: str, dbname: str | None = None):
    """An autocommit psycopg connection to the server of a SQLAlchemy URL."""
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    kwargs: dict[str, object] = {k: v for k, v in u.query.items() if isinstance(v, str)}
    if u.host:
        kwargs["host"] = u.host
    if u.port:
        kwargs["port"] = u.port
    if u.username:
        kwargs["user"] = u.username
    if u.password:
        kwargs["password"] = u.password
    kwargs["dbname"] = dbname or u.database or "postgres"
    return psycopg.connect(autocommit=True, connect_timeout=10, **kwargs)


def _pg_url_for(url: str, dbname: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=dbname).render_as_string(hide_password=False)


def _pg_drop(server_url: str, dbname: str) -> None:
    """Terminate leftover connections to ``dbname`` and drop it (retries briefly)."""
    from psycopg import errors, sql

    with _pg_connect(server_url) as conn:
        for attempt in range(5):
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (dbname,),
            )
            try:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(dbname)))
                return
            except errors.ObjectInUse:
                if attempt == 4:
                    raise
                time.sleep(0.2)


@pytest.fixture(scope="session")
def _pg_template(pg_server_url) -> str:
    """Create ``tmpl_booking`` on the server and migrate it to head, once per session."""
    from psycopg import sql

    from booking_app.store.migrate import upgrade

    _pg_drop(pg_server_url, PG_TEMPLATE_DB)  # stale template from an earlier run on a shared server
    with _pg_connect(pg_server_url) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0").format(
            sql.Identifier(PG_TEMPLATE_DB)))
    upgrade(_pg_url_for(pg_server_url, PG_TEMPLATE_DB))
    # CREATE DATABASE … TEMPLATE needs the template to have no connections: drop any that the
    # migration left pooled.
    _collect_garbage()
    with _pg_connect(pg_server_url) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (PG_TEMPLATE_DB,),
        )
    yield PG_TEMPLATE_DB
    _pg_drop(pg_server_url, PG_TEMPLATE_DB)


def _fresh_pg_db(server_url: str, template: str):
    from psycopg import errors, sql

    name = f"t_{os.getpid()}_{next(_db_counter)}"
    with _pg_connect(server_url) as conn:
        for attempt in range(10):
            try:
                conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(name), sql.Identifier(template)))
                break
            except errors.ObjectInUse:  # someone is (still) connected to the template
                if attempt == 9:
                    raise
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    (template,),
                )
                time.sleep(0.1)
    try:
        yield _pg_url_for(server_url, name)
    finally:
        _collect_garbage()  # let unreferenced engines/connections close before we terminate them
        _pg_drop(server_url, name)


# --------------------------------------------------------------------------------------------
# SQLite
# --------------------------------------------------------------------------------------------
def _sqlite_url(path: Path) -> str:
    return f"sqlite:///{path.as_posix()}"


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory) -> Path:
    """A migrated SQLite database file, made once per session, self-contained (no -wal file)."""
    from booking_app.store.migrate import upgrade

    d = tmp_path_factory.mktemp("sqlite-template")
    work = d / "migrating.sqlite3"
    upgrade(_sqlite_url(work))
    _collect_garbage()
    template = d / "template.sqlite3"
    # The backup API gives a consistent copy even if the migration left WAL content behind.
    src = sqlite3.connect(work)
    dst = sqlite3.connect(template)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()
        src.close()
    return template


def _fresh_sqlite_db(template: Path, tmp_path: Path) -> str:
    target = tmp_path / "booking.sqlite3"
    shutil.copy(template, target)
    return _sqlite_url(target)


# --------------------------------------------------------------------------------------------
# Public fixtures
# --------------------------------------------------------------------------------------------
_SQLITE = pytest.param("sqlite", id="sqlite")
_POSTGRES = pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres)


def _fresh_db(request, backend: str, tmp_path: Path):
    if backend == "sqlite":
        yield _fresh_sqlite_db(request.getfixturevalue("_sqlite_template"), tmp_path)
    else:
        server = request.getfixturevalue("pg_server_url")  # skips with the reason when none
        template = request.getfixturevalue("_pg_template")
        yield from _fresh_pg_db(server, template)


@pytest.fixture(params=[_SQLITE, _POSTGRES])
def db_url(request, tmp_path) -> str:
    """URL of a fresh, migrated, empty database: once on SQLite, once on PostgreSQL."""
    yield from _fresh_db(request, request.param, tmp_path)


@pytest.fixture(params=[_SQLITE])
def sqlite_url(request, tmp_path) -> str:
    """URL of a fresh, migrated, empty SQLite database."""
    yield from _fresh_db(request, "sqlite", tmp_path)


@pytest.fixture(params=[_POSTGRES])
def pg_url(request, tmp_path) -> str:
    """URL of a fresh, migrated, empty PostgreSQL database (skips when no server)."""
    yield from _fresh_db(request, "postgresql", tmp_path)


@pytest.fixture
def db_engine(db_url):
    """``make_engine(db_url)``, disposed after the test."""
    from booking_app.store.engine import make_engine

    engine = make_engine(db_url)
    try:
        yield engine
    finally:
        engine.dispose()


_tests_since_full_collection = itertools.count(1)
FULL_COLLECTION_EVERY = 25


@pytest.fixture(autouse=True)
def _gc_on_the_main_thread():
    """Garbage is collected on the main thread only, as the app does (booking_app/ui/gc_guard.py).

    Python's automatic collector runs in whichever thread allocates when a threshold is crossed: a
    background Op, a change listener, a test's second "terminal" thread. Collecting there can free Qt
    wrappers and delete Qt objects off the GUI thread, which crashes the process; under pytest-xdist that
    crash stopped a worker, and with ``--dist loadfile`` the run then hung (CI 2026-12-07). So tests run
    with automatic collection off, and the young generations are collected here after each test (a full
    collection every 25 tests), on the main thread. A test that turns it on again (test_gc_guard) is
    followed by this fixture turning it off."""
    gc.disable()
    yield
    if next(_tests_since_full_collection) % FULL_COLLECTION_EVERY == 0:
        _collect_garbage()
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect(1)


@pytest.fixture(autouse=True)
def _cheap_scrypt(request, monkeypatch):
    """Password hashes at N=2**10 instead of OWASP's 2**17 (128 MiB, ~0.6 s each), so tests stay fast.
    A test that checks the production cost asks for the ``production_scrypt`` fixture and is left alone."""
    if "production_scrypt" in request.fixturenames:
        return
    from booking_app.services import auth

    monkeypatch.setattr(auth, "SCRYPT_N", 2**10)
