"""Engine and session factory for SQLite (one terminal) and PostgreSQL (several terminals).

SQLite has no row locks, so every write unit takes the database write lock at its start
(``BEGIN IMMEDIATE``): two terminals can never both read "slot free" and then both insert.
WAL lets readers go on while one writer holds the lock; ``synchronous=FULL`` makes a commit
durable before we print a slip for it, at a cost of one fsync per commit that a desk never notices.
(In WAL mode ``NORMAL`` never corrupts the file either, but the last commits before a power cut
can vanish: a slip would be in the group's hand for a booking the database no longer has. Measured
on the 2-core test VM, ext4: FULL 0.7–1.7 ms median per commit, p95 4–5 ms; NORMAL 0.01 ms. The
kill -9 crash test is bench/crash_test.py; backups are in store/backup.py.)
PostgreSQL relies on its own guards instead (exclusion constraint, ``SELECT … FOR UPDATE``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000


def is_sqlite(url_or_engine: str | Engine) -> bool:
    url = str(url_or_engine.url) if isinstance(url_or_engine, Engine) else url_or_engine
    return url.startswith("sqlite")


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine with the pragmas and transaction behaviour the booking rules rely on."""
    if is_sqlite(url):
        engine = create_engine(url, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        _configure_sqlite(engine)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=5, max_overflow=5)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # pragma: no cover - trivial
        # Take transaction control away from pysqlite so that we can issue BEGIN IMMEDIATE.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # pragma: no cover - trivial
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """One unit of work: a transaction that commits on success and rolls back on any error."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A read-only unit: on SQLite a deferred transaction, so views never wait for the write lock."""
    bind = engine.execution_options(sqlite_begin="DEFERRED") if is_sqlite(engine) else engine
    with Session(bind, expire_on_commit=False) as session, session.begin():
        yield session


def optimize(engine: Engine) -> None:
    """Let SQLite refresh its planner statistics (cheap; recommended at close). No-op elsewhere.

    Without statistics SQLite may pick a poor index on a big file (see docs/performance.md).
    """
    if is_sqlite(engine):
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA optimize")
