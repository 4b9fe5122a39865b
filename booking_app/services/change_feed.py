"""The change feed: which audit entities other terminals committed (the database half of ``ui/change_watch``).

Every committed change writes an audit entry (``services.common.audit``), so the audit trail names *what*
changed. Two feeds, one per engine kind; neither knows Qt (the ui's watcher owns the timers, coalescing
and signals):

* :class:`SqliteFeed`: SQLite has no notifications. :meth:`SqliteFeed.poll` reads ``PRAGMA data_version``
  on a connection of its own (a few microseconds; it moves only when another connection committed) and
  then the entity names of the audit rows written since. This engine's own rows are recognised by the
  ids its sessions committed, which every writer notes in ``session.info`` (``store.audit_chain``:
  the ORM's sealing hook and the plain-SQL booking save alike).
* :class:`ListenFeed`: PostgreSQL's migration 0006 makes each ``audit_log`` insert send
  ``NOTIFY fukufuku_changes`` with the entity name. A thread keeps its own autocommit psycopg connection
  in ``LISTEN`` and reconnects with backoff; a notification whose sender is one of this engine's pooled
  connections (by backend pid) is ours and skipped.
"""
from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from booking_app.store.audit_chain import take_written
from booking_app.store.engine import is_sqlite

log = logging.getLogger(__name__)

CHANNEL = "fukufuku_changes"
LISTEN_TICK_S = 0.25     # the listener thread: how often it looks at the stop flag
CONNECT_TIMEOUT_S = 5
BACKOFF_FIRST_S = 0.5
BACKOFF_MAX_S = 10.0
EVERYTHING = "*"         # a change we cannot name (missed while disconnected)

# What the listener thread reports: (entity names, server reachable: True / False / None = unchanged).
Report = Callable[[set[str], "bool | None"], None]


def is_polled(engine: Engine) -> bool:
    """True for SQLite (the feed is polled), False for PostgreSQL (the feed listens)."""
    return is_sqlite(engine)


class _Listeners:
    """SQLAlchemy event listeners added by a feed, removed again by :meth:`remove_all`."""

    def __init__(self) -> None:
        self._added: list[tuple[Any, str, Callable[..., None]]] = []

    def add(self, target: Any, name: str, fn: Callable[..., None]) -> None:
        event.listen(target, name, fn)
        self._added.append((target, name, fn))

    def remove_all(self) -> None:
        for target, name, fn in self._added:
            if event.contains(target, name, fn):
                event.remove(target, name, fn)
        self._added.clear()


class SqliteFeed:
    """Other connections' audit entities on a SQLite file; :meth:`start`, then :meth:`poll` on a timer."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.path = engine.url.database
        self._sq: sqlite3.Connection | None = None
        self._version: int | None = None
        self._last_audit_id = 0
        self._own_ids: set[int] = set()
        self._listeners = _Listeners()
        self._reachable = True

    @property
    def shared(self) -> bool:
        """False for an in-memory database: nobody else can write to it, so there is nothing to poll."""
        return bool(self.path) and self.path != ":memory:"

    def start(self) -> None:
        self._listeners.add(Session, "after_commit", self._on_commit)
        self._listeners.add(Session, "after_rollback", self._on_rollback)

    def stop(self) -> None:
        if self._sq is not None:
            self._sq.close()
            self._sq = None
        self._listeners.remove_all()

    def _ours(self, session: Session) -> bool:
        bind = session.bind  # the engine, or an execution_options copy of it sharing its pool
        return bind is not None and getattr(bind, "pool", None) is self.engine.pool

    def _on_commit(self, session: Session) -> None:
        if self._ours(session):  # another engine's ids are left for its own feed
            self._own_ids.update(take_written(session))

    def _on_rollback(self, session: Session) -> None:
        # A rolled-back id is reused by SQLite for the next insert, maybe another terminal's.
        if self._ours(session):
            take_written(session)

    def poll(self) -> set[str] | None:
        """The entities other connections committed since the last poll (empty: none, or the first look);
        None when the file cannot be read (a share gone away, locked for long): the next poll tries again."""
        assert self.path, "poll() on an in-memory database (see shared)"
        try:
            if self._sq is None:
                self._sq = sqlite3.connect(self.path, timeout=1, isolation_level=None, check_same_thread=False)
                self._version = self._sq.execute("PRAGMA data_version").fetchone()[0]
                self._last_audit_id = self._sq.execute("SELECT COALESCE(MAX(id), 0) FROM audit_log").fetchone()[0]
                self._reachable = True
                return set()
            version = self._sq.execute("PRAGMA data_version").fetchone()[0]
            if version == self._version:
                return set()
            self._version = version
            rows: list[tuple[int, str]] = self._sq.execute(
                "SELECT id, entity FROM audit_log WHERE id > ? ORDER BY id", (self._last_audit_id,)).fetchall()
        except sqlite3.Error as exc:
            if self._reachable:
                log.warning("change feed: SQLite not readable: %s", exc)
                self._reachable = False
            if self._sq is not None:
                self._sq.close()
                self._sq = None
            return None
        if not rows:
            # A commit without an audit entry: our own start-up chores (status changes, statistics)
            # or an outside tool. Nothing names it, so only the first kind is safe to ignore.
            return set()
        self._last_audit_id = rows[-1][0]
        foreign = {entity for audit_id, entity in rows if audit_id not in self._own_ids}
        self._own_ids.difference_update(audit_id for audit_id, _e in rows)
        return foreign


def _psycopg_kwargs(url: URL) -> dict[str, object]:
    kwargs: dict[str, object] = {k: v for k, v in url.query.items() if isinstance(v, str)}
    for key, value in (("host", url.host), ("port", url.port), ("user", url.username),
                       ("password", url.password), ("dbname", url.database)):
        if value:
            kwargs[key] = value
    return kwargs


class ListenFeed:
    """Other connections' audit entities on PostgreSQL, reported from a listener thread.

    :meth:`start` takes ``report(entities, server_ok)``, called on the listener thread: with the foreign
    entity names of a burst of notifications; with ``(set(), False)`` when the server was lost; with
    ``({EVERYTHING}, True)`` when it is back (what happened meanwhile is unknown).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._own_pids: set[int] = set()
        self._listeners = _Listeners()

    def start(self, report: Report) -> None:
        self._listeners.add(self.engine, "checkout", self._on_checkout)
        self._listeners.add(self.engine, "close", self._on_close)
        self._stop.clear()
        self._thread = threading.Thread(target=self._listen_loop, args=(report,),
                                        name="fukufuku-change-listener", daemon=True)
        self._thread.start()

    def request_stop(self) -> None:
        """Ask the thread to end at its next tick (safe from any thread)."""
        self._stop.set()

    def stop(self) -> None:
        """End the thread and close its connection (waits at most ~5 s, a connect attempt's timeout)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=LISTEN_TICK_S + CONNECT_TIMEOUT_S)
            self._thread = None
        self._listeners.remove_all()

    @staticmethod
    def _pid_of(dbapi_conn: Any) -> int | None:
        conn = getattr(dbapi_conn, "driver_connection", dbapi_conn)
        try:
            return int(conn.info.backend_pid)
        except Exception:  # noqa: BLE001 - a broken connection has no pid; nothing to remember
            return None

    def _on_checkout(self, dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        pid = record.info.get("fukufuku_pid")
        if pid is None:
            pid = record.info["fukufuku_pid"] = self._pid_of(dbapi_conn)
        if pid:
            self._own_pids.add(pid)

    def _on_close(self, _dbapi_conn: Any, record: Any) -> None:
        pid = record.info.pop("fukufuku_pid", None)
        if pid:
            self._own_pids.discard(pid)

    def _listen_loop(self, report: Report) -> None:
        """The listener thread: connect, LISTEN, wait for notifications; reconnect with backoff."""
        # Imported here, on the listener thread: a SQLite desk never loads psycopg, and importing it costs
        # ~90 ms of start-up (`python -X importtime -c "import sqlalchemy.orm, psycopg"`, 2026-12-07).
        import psycopg

        kwargs = _psycopg_kwargs(self.engine.url)
        backoff = BACKOFF_FIRST_S
        lost = False
        while not self._stop.is_set():
            try:
                conn = psycopg.connect(autocommit=True, connect_timeout=CONNECT_TIMEOUT_S,
                                       application_name="fukufuku-desk change watch", **kwargs)  # type: ignore[arg-type]
            except Exception as exc:  # noqa: BLE001 - server down or unreachable: try again later
                if not lost:
                    log.warning("change feed: cannot connect: %s", exc)
                    lost = True
                    report(set(), False)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX_S)
                continue
            try:
                with conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    backoff = BACKOFF_FIRST_S
                    if lost:
                        lost = False
                        report({EVERYTHING}, True)  # what happened meanwhile is unknown
                    while not self._stop.is_set():
                        batch = list(conn.notifies(timeout=LISTEN_TICK_S, stop_after=1))
                        if not batch:
                            continue
                        batch += conn.notifies(timeout=0.02)  # the rest of a burst, in the same report
                        foreign = {n.payload for n in batch if n.pid not in self._own_pids}
                        if foreign:
                            report(foreign, None)
            except Exception as exc:  # noqa: BLE001 - connection lost (server restart): reconnect
                if self._stop.is_set():
                    break
                log.warning("change feed: connection lost: %s", exc)
                if not lost:
                    lost = True
                    report(set(), False)
                self._stop.wait(backoff)


__all__ = ["CHANNEL", "EVERYTHING", "ListenFeed", "SqliteFeed", "is_polled"]
