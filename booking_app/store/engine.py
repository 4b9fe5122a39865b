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

A frozen terminal cannot stop the others: every PostgreSQL connection sets ``lock_timeout``,
``statement_timeout``, ``idle_in_transaction_session_timeout`` and TCP keepalives (both libpq's and the
server's), so a terminal waiting behind a stuck one gets :class:`Busy` within seconds and the server cuts
the stuck one off. :func:`write_session` / :func:`read_session` are the one place where the database's
"waited too long" errors become that domain error (values and reasons: docs/design.md).
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from booking_app.domain.errors import Busy, DomainError, PermissionDenied

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 30_000

BUSY_MESSAGE = ("別の端末が処理中です。少し待ってからもう一度操作してください。"
                "入力した内容はこの画面に残っています。")
SLOW_MESSAGE = ("データベースの処理に時間がかかりすぎたため中止しました。何も保存されていません。"
                "少し待ってからもう一度操作してください。")


@dataclass(frozen=True)
class PgTimeouts:
    """What each PostgreSQL connection of a terminal sets for itself (0 = no limit).

    The defaults are what the desk uses (why these values: docs/design.md, 「止まった端末」); tests pass
    shorter ones to make_engine, and migrations run with :data:`PG_MAINTENANCE_TIMEOUTS`.
    """

    lock_timeout_ms: int = 5_000  # waiting for a row/table lock: a desk action holds one for milliseconds
    statement_timeout_ms: int = 30_000  # one statement: the slowest desk query takes well under 1 s
    idle_in_transaction_ms: int = 30_000  # a transaction left open between statements: a frozen terminal
    keepalives_idle_s: int = 30  # TCP: first probe after 30 s of silence …
    keepalives_interval_s: int = 10  # … then every 10 s …
    keepalives_count: int = 3  # … and the link is dead after 3 unanswered probes (~60 s in all)

    def connect_args(self, existing_options: str = "") -> dict[str, object]:
        """psycopg/libpq connect arguments: the session settings travel in the start-up packet (``options``),
        so they hold from the connection's first statement, with no extra round trip."""
        settings = {
            "lock_timeout": self.lock_timeout_ms,
            "statement_timeout": self.statement_timeout_ms,
            "idle_in_transaction_session_timeout": self.idle_in_transaction_ms,
            # The server's side of the same keepalives: it notices a terminal whose PC died or whose
            # cable was pulled, even when the terminal had no transaction open.
            "tcp_keepalives_idle": self.keepalives_idle_s,
            "tcp_keepalives_interval": self.keepalives_interval_s,
            "tcp_keepalives_count": self.keepalives_count,
        }
        options = " ".join(f"-c {name}={value}" for name, value in settings.items())
        return {
            "options": f"{existing_options} {options}".strip(),
            "keepalives": 1,
            "keepalives_idle": self.keepalives_idle_s,
            "keepalives_interval": self.keepalives_interval_s,
            "keepalives_count": self.keepalives_count,
        }


PG_TIMEOUTS = PgTimeouts()
# Migrations (db upgrade) build indexes over a whole table and may wait for terminals to finish: no
# statement limit, and a longer lock wait; still a limit, so an upgrade never queues for ever.
PG_MAINTENANCE_TIMEOUTS = PgTimeouts(lock_timeout_ms=60_000, statement_timeout_ms=0, idle_in_transaction_ms=0)


def is_sqlite(url_or_engine: str | Engine) -> bool:
    url = str(url_or_engine.url) if isinstance(url_or_engine, Engine) else url_or_engine
    return url.startswith("sqlite")


def make_engine(url: str, *, echo: bool = False, pg_timeouts: PgTimeouts | None = None) -> Engine:
    """Create an engine with the pragmas and transaction behaviour the booking rules rely on.

    ``pg_timeouts``: the PostgreSQL session limits (default :data:`PG_TIMEOUTS`); ignored on SQLite.
    """
    if is_sqlite(url):
        engine = create_engine(url, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        _configure_sqlite(engine)
        return engine
    existing = make_url(url).query.get("options", "")
    connect_args = (pg_timeouts or PG_TIMEOUTS).connect_args(existing if isinstance(existing, str) else "")
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=5, max_overflow=5,
                         connect_args=connect_args)


def busy_error(exc: BaseException) -> Busy | None:
    """The :class:`Busy` a database error means, or None when it means something else.

    PostgreSQL: ``lock_timeout`` (55P03 LockNotAvailable), ``statement_timeout`` (57014 QueryCanceled)
    and a deadlock (40P01, one of the two is cancelled; trying again succeeds). SQLite: the busy
    timeout ran out ("database is locked").
    """
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    if isinstance(orig, sqlite3.Error):
        errorname = getattr(orig, "sqlite_errorname", "")
        if errorname.startswith("SQLITE_BUSY") or errorname.startswith("SQLITE_LOCKED") \
                or "database is locked" in str(orig):
            return Busy(BUSY_MESSAGE)
        return None
    # psycopg's errors carry the SQLSTATE (also when raised on the driver's own cursor, as the fast
    # booking save and the staff re-read use it, with no SQLAlchemy wrapper around them).
    sqlstate = getattr(orig, "sqlstate", None) if isinstance(orig, Exception) else None
    if sqlstate in ("55P03", "40P01"):
        return Busy(BUSY_MESSAGE)
    if sqlstate == "57014":
        return Busy(SLOW_MESSAGE)
    return None


def privilege_error(exc: BaseException) -> PermissionDenied | None:
    """PostgreSQL refused the statement for the login's rights (SQLSTATE 42501): a grant or one of migration
    0009's guard triggers. The triggers word their refusal in Japanese, which is kept; the server's own
    "permission denied for table …" is English, so it becomes a Japanese message naming the table."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    if getattr(orig, "sqlstate", None) != "42501":
        return None
    diag = getattr(orig, "diag", None)
    primary = (getattr(diag, "message_primary", None) or str(orig)).strip()
    if any(ord(ch) > 0x2FFF for ch in primary):  # a guard trigger's Japanese message
        return PermissionDenied(primary)
    table = primary.rsplit(" ", 1)[-1] if primary.startswith("permission denied for") else ""
    where = f"（{table}）" if table else ""
    return PermissionDenied(f"この操作はあなたのログインの権限ではデータベースに認められていません{where}。"
                            "必要なら管理者に依頼してください。")


def _after_rollback(engine: Engine, exc: DomainError) -> None:
    """Run what a refused unit asked to record once its transaction is gone (e.g. the audit entry of a
    permission refusal, ``services.common.deny``): in a transaction of its own, since the refused one
    rolled back. A failure here is logged and never hides the refusal itself."""
    for record in getattr(exc, "after_rollback", ()):
        try:
            with Session(engine, expire_on_commit=False) as session, session.begin():
                record(session)
        except Exception:  # noqa: BLE001 - the user must still see the refusal
            log.exception("could not record after a refused unit of work")


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:  # pragma: no cover - trivial
        # Take transaction control away from pysqlite so that we can issue BEGIN IMMEDIATE.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.close()
        _make_private(engine.url.database)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:  # pragma: no cover - trivial
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")


def _make_private(database: str | None) -> None:
    """The database file holds every name and payment: owner read/write only (POSIX 0600), also when SQLite
    has just created it with the umask's permissions. Never raises: a file on a share that refuses
    chmod still opens."""
    if os.name != "posix" or not database or database == ":memory:" or database.startswith("file:"):
        return
    try:
        if os.stat(database).st_mode & 0o777 != 0o600:
            os.chmod(database, 0o600)
    except OSError:
        log.warning("could not make %s private (0600)", database, exc_info=True)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """One unit of work: a transaction that commits on success and rolls back on any error.

    A lock or statement time-out becomes :class:`Busy` (nothing was saved; try again shortly).
    """
    with _unit(engine, engine) as session:
        yield session


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A read-only unit: on SQLite a deferred transaction, so views never wait for the write lock."""
    bind = engine.execution_options(sqlite_begin="DEFERRED") if is_sqlite(engine) else engine
    with _unit(engine, bind) as session:
        yield session


@contextmanager
def _unit(engine: Engine, bind: Engine) -> Iterator[Session]:
    """The one transaction of a write or read unit on ``bind``, and the one place where its errors are
    mapped: a lock or statement time-out (or SQLite's busy lock) becomes :class:`Busy`; a refused unit
    (:class:`DomainError`) first runs what it asked to record after the rollback, on ``engine``."""
    try:
        with Session(bind, expire_on_commit=False) as session, session.begin():
            yield session
    except DomainError as exc:
        _after_rollback(engine, exc)
        raise
    except Exception as exc:  # a database error, wrapped by SQLAlchemy or straight from the driver
        refused = busy_error(exc) or privilege_error(exc)
        if refused is None:
            raise
        raise refused from exc


def optimize(engine: Engine) -> None:
    """Let SQLite refresh its planner statistics (cheap; recommended at close). No-op elsewhere.

    Without statistics SQLite may pick a poor index on a big file (see docs/performance.md).
    """
    if is_sqlite(engine):
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA optimize")
