"""Seeing other terminals' changes (他端末の変更の監視): every view refreshes within about a second.

Every committed change writes an audit entry (``services.common.audit``), so the audit trail is the
one place that says *what* changed:

* PostgreSQL: migration 0006 makes each ``audit_log`` insert send ``NOTIFY fukufuku_changes`` with
  the entity name. A small thread keeps its own autocommit psycopg connection in ``LISTEN`` (the
  GUI never waits on the network, not even while a dead server is being reconnected to).
* SQLite: no notifications exist, so a timer reads ``PRAGMA data_version`` on a connection of its
  own every 500 ms (a few microseconds; it moves only when another connection committed) and then
  the new audit rows' entity names.

The audit entity names ("insurance_enrolment", "walkin_tally", …) are mapped to the names views
listen for on :attr:`AppContext.changed` ({"insurance"}, {"tally"}, …) and emitted at most once per
~300 ms, so a burst of changes (an import) means one refresh. This terminal's own changes were
already announced by ``ctx.write``; they are recognised (PostgreSQL: the sender's backend pid is one
of our pool's connections; SQLite: the audit ids our engine's sessions committed, which every writer
notes in ``session.info`` (``store.audit_chain.note_written``: the ORM's sealing hook and the plain-SQL
booking save alike) and not announced twice.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Iterable

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from sqlalchemy import event
from sqlalchemy.orm import Session

from booking_app.store.audit_chain import take_written
from booking_app.store.engine import is_sqlite
from booking_app.ui.context import AppContext

log = logging.getLogger(__name__)

CHANNEL = "fukufuku_changes"
POLL_MS = 500            # SQLite: how often data_version is read
COALESCE_MS = 300        # at most one ctx.changed per this many ms
LISTEN_TICK_S = 0.25     # PostgreSQL thread: how often it looks at the stop flag
CONNECT_TIMEOUT_S = 5
BACKOFF_FIRST_S = 0.5
BACKOFF_MAX_S = 10.0
EVERYTHING = "*"         # a change we cannot name (no audit row, or missed while disconnected)

# audit entity -> the names views react to (see each view's _on_changed)
ENTITY_TO_VIEWS: dict[str, frozenset[str]] = {
    "booking": frozenset({"booking"}),
    "series": frozenset({"booking"}),
    "charge": frozenset({"charge", "booking"}),
    "receipt": frozenset({"receipt", "charge", "booking"}),
    "printing_log": frozenset({"printing", "charge"}),
    "day_closing": frozenset({"cashup", "receipt"}),
    "group": frozenset({"group"}),
    "member_group": frozenset({"group"}),
    "insurance_plan": frozenset({"insurance"}),
    "insurance_enrolment": frozenset({"insurance", "charge"}),
    "accident_report": frozenset({"insurance", "accident"}),
    "walkin_tally": frozenset({"tally"}),
    "centre_event": frozenset({"event"}),
    "month_closing": frozenset({"month"}),
    "stat_amendment": frozenset({"amendment"}),
    "centre_profile": frozenset({"profile"}),
    "room": frozenset({"room", "rooms"}),
    "equipment": frozenset({"equipment", "booking"}),
    "targets": frozenset({"targets", "group"}),
    "fees": frozenset({"fees", "charge"}),
    "staff": frozenset({"staff"}),
}
ALL_VIEWS: frozenset[str] = frozenset().union(*ENTITY_TO_VIEWS.values()) | {"remote"}


def views_for(entities: Iterable[str]) -> set[str]:
    """The ctx.changed names for audit entity names; unknown names pass through as they are."""
    out: set[str] = set()
    for e in entities:
        if e == EVERYTHING or e == "demo":
            return set(ALL_VIEWS)
        out |= ENTITY_TO_VIEWS.get(e, {e})
    return out


def _psycopg_kwargs(url) -> dict[str, object]:
    kwargs: dict[str, object] = {k: v for k, v in url.query.items() if isinstance(v, str)}
    for key, value in (("host", url.host), ("port", url.port), ("user", url.username),
                       ("password", url.password), ("dbname", url.database)):
        if value:
            kwargs[key] = value
    return kwargs


class ChangeWatcher(QObject):
    """Announces other terminals' changes on ``ctx.changed``; start with :meth:`start`, end with :meth:`stop`.

    ``server_lost`` / ``server_back`` tell the window when the PostgreSQL listener lost its server
    and when it got it back (after which every view is refreshed: notifications sent meanwhile
    are gone).
    """

    server_lost = Signal()
    server_back = Signal()
    _from_thread = Signal(object, object)  # (entity names, server reachable: True/False/None=same)

    def __init__(self, ctx: AppContext, *, poll_ms: int = POLL_MS, coalesce_ms: int = COALESCE_MS,
                 parent: QObject | None = None):
        super().__init__(parent if parent is not None else ctx)
        self.setObjectName("change_watcher")
        self.ctx = ctx
        self.engine = ctx.engine
        self.coalesce_ms = coalesce_ms
        self.sqlite = is_sqlite(self.engine)
        self.server_ok = True
        self.emitted = 0  # how many ctx.changed this watcher sent (tests, benchmark)
        self._pending: set[str] = set()
        self._last_emit = 0.0
        self._coalesce = QTimer(self)
        self._coalesce.setSingleShot(True)
        self._coalesce.timeout.connect(self._flush)
        self._from_thread.connect(self._on_thread_report, Qt.ConnectionType.QueuedConnection)
        self._running = False
        # SQLite
        self._poll = QTimer(self)
        self._poll.setInterval(poll_ms)
        self._poll.timeout.connect(self.poll_sqlite)
        self._sq: sqlite3.Connection | None = None
        self._version: int | None = None
        self._last_audit_id = 0
        self._own_ids: set[int] = set()
        # PostgreSQL
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._own_pids: set[int] = set()
        self._listeners: list[tuple[object, str, object]] = []
        ctx.engine_changed.connect(self._follow_engine)

    def _follow_engine(self, engine) -> None:
        """Another staff member signed in with their own login (PostgreSQL): listen through it."""
        was_running = self._running
        self.stop()
        self.engine = engine
        self.sqlite = is_sqlite(engine)
        if was_running:
            self.start()

    # ------------------------------------------------------------------ life cycle

    def start(self) -> ChangeWatcher:
        if self._running:
            return self
        self._running = True
        if self.sqlite:
            path = self.engine.url.database
            if not path or path == ":memory:":
                return self  # nobody else can share an in-memory database
            self._listen(Session, "after_commit", self._on_commit)
            self._listen(Session, "after_rollback", self._on_rollback)
            self.poll_sqlite()  # takes the starting point
            self._poll.start()
        else:
            self._listen(self.engine, "checkout", self._on_checkout)
            self._listen(self.engine, "close", self._on_close)
            self._stop.clear()
            self._thread = threading.Thread(target=self._listen_loop, name="fukufuku-change-listener",
                                            daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and close the watcher's own connection (waits at most ~1 s)."""
        if not self._running:
            return
        self._running = False
        self._poll.stop()
        self._coalesce.stop()
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=LISTEN_TICK_S + CONNECT_TIMEOUT_S)
            self._thread = None
        if self._sq is not None:
            self._sq.close()
            self._sq = None
        for target, name, fn in self._listeners:
            if event.contains(target, name, fn):
                event.remove(target, name, fn)
        self._listeners.clear()

    def _listen(self, target, name: str, fn) -> None:
        event.listen(target, name, fn)
        self._listeners.append((target, name, fn))

    # ------------------------------------------------------------------ emitting

    def deliver(self, entities: Iterable[str]) -> None:
        """Queue audit entity names; ctx.changed follows at once or when the 300 ms gap has passed."""
        self._pending |= set(entities)
        if not self._pending or self._coalesce.isActive() or not self._running:
            return
        wait_ms = int((self._last_emit + self.coalesce_ms / 1000 - time.monotonic()) * 1000)
        if wait_ms <= 0:
            self._flush()
        else:
            self._coalesce.start(wait_ms)

    def _flush(self) -> None:
        entities, self._pending = self._pending, set()
        if not entities or not self._running:
            return
        self._last_emit = time.monotonic()
        self.emitted += 1
        self.ctx.changed.emit(views_for(entities))

    def _set_server_ok(self, ok: bool) -> None:
        if ok == self.server_ok:
            return
        self.server_ok = ok
        (self.server_back if ok else self.server_lost).emit()

    # ------------------------------------------------------------------ SQLite

    def _ours(self, session: Session) -> bool:
        bind = session.bind  # the engine, or an execution_options copy of it sharing its pool
        return bind is not None and getattr(bind, "pool", None) is self.engine.pool

    def _on_commit(self, session: Session) -> None:
        if self._ours(session):  # another engine's ids are left for its own watcher
            self._own_ids.update(take_written(session))

    def _on_rollback(self, session: Session) -> None:
        # A rolled-back id is reused by SQLite for the next insert, maybe another terminal's.
        if self._ours(session):
            take_written(session)

    def poll_sqlite(self) -> bool:
        """One look at data_version; True when another connection's change was announced."""
        try:
            if self._sq is None:
                self._sq = sqlite3.connect(self.engine.url.database, timeout=1, isolation_level=None,
                                           check_same_thread=False)
                self._version = self._sq.execute("PRAGMA data_version").fetchone()[0]
                self._last_audit_id = self._sq.execute(
                    "SELECT COALESCE(MAX(id), 0) FROM audit_log").fetchone()[0]
                self._set_server_ok(True)
                return False
            version = self._sq.execute("PRAGMA data_version").fetchone()[0]
            if version == self._version:
                return False
            self._version = version
            rows = self._sq.execute("SELECT id, entity FROM audit_log WHERE id > ? ORDER BY id",
                                    (self._last_audit_id,)).fetchall()
        except sqlite3.Error as exc:  # file on a share gone away, locked for long: try next tick
            if self.server_ok:
                log.warning("change watch: SQLite not readable: %s", exc)
            if self._sq is not None:
                self._sq.close()
                self._sq = None
            self._set_server_ok(False)
            return False
        if not rows:
            # A commit without an audit entry: our own start-up chores (status changes, statistics)
            # or an outside tool. Nothing names it, so only the first kind is safe to ignore.
            return False
        self._last_audit_id = rows[-1][0]
        foreign = {entity for audit_id, entity in rows if audit_id not in self._own_ids}
        self._own_ids.difference_update(audit_id for audit_id, _e in rows)
        if not foreign:
            return False
        self.deliver(foreign)
        return True

    # ------------------------------------------------------------------ PostgreSQL

    @staticmethod
    def _pid_of(dbapi_conn) -> int | None:
        conn = getattr(dbapi_conn, "driver_connection", dbapi_conn)
        try:
            return int(conn.info.backend_pid)
        except Exception:  # noqa: BLE001 - a broken connection has no pid; nothing to remember
            return None

    def _on_checkout(self, dbapi_conn, record, _proxy) -> None:
        pid = record.info.get("fukufuku_pid")
        if pid is None:
            pid = record.info["fukufuku_pid"] = self._pid_of(dbapi_conn)
        if pid:
            self._own_pids.add(pid)

    def _on_close(self, _dbapi_conn, record) -> None:
        pid = record.info.pop("fukufuku_pid", None)
        if pid:
            self._own_pids.discard(pid)

    def _on_thread_report(self, entities, server_ok) -> None:
        if server_ok is not None:
            self._set_server_ok(server_ok)
        if entities:
            self.deliver(entities)

    def _report(self, entities: set[str], server_ok: bool | None = None) -> None:
        try:
            self._from_thread.emit(entities, server_ok)
        except RuntimeError:  # the watcher was deleted during shutdown
            self._stop.set()

    def _listen_loop(self) -> None:
        """The listener thread: connect, LISTEN, wait for notifications; reconnect with backoff."""
        import psycopg

        kwargs = _psycopg_kwargs(self.engine.url)
        backoff = BACKOFF_FIRST_S
        lost = False
        while not self._stop.is_set():
            try:
                conn = psycopg.connect(autocommit=True, connect_timeout=CONNECT_TIMEOUT_S,
                                       application_name="fukufuku-desk change watch", **kwargs)
            except Exception as exc:  # noqa: BLE001 - server down or unreachable: try again later
                if not lost:
                    log.warning("change watch: cannot connect: %s", exc)
                    lost = True
                    self._report(set(), False)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX_S)
                continue
            try:
                with conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    backoff = BACKOFF_FIRST_S
                    if lost:
                        lost = False
                        self._report({EVERYTHING}, True)  # what happened meanwhile is unknown
                    while not self._stop.is_set():
                        batch = list(conn.notifies(timeout=LISTEN_TICK_S, stop_after=1))
                        if not batch:
                            continue
                        batch += conn.notifies(timeout=0.02)  # the rest of a burst, in the same report
                        foreign = {n.payload for n in batch if n.pid not in self._own_pids}
                        if foreign:
                            self._report(foreign)
            except Exception as exc:  # noqa: BLE001 - connection lost (server restart): reconnect
                if self._stop.is_set():
                    break
                log.warning("change watch: connection lost: %s", exc)
                if not lost:
                    lost = True
                    self._report(set(), False)
                self._stop.wait(backoff)


def start_change_watch(ctx: AppContext) -> ChangeWatcher:
    """The context's watcher, started (one per context)."""
    found = ctx.findChild(ChangeWatcher, "change_watcher")
    return (found or ChangeWatcher(ctx)).start()


__all__ = ["ChangeWatcher", "ENTITY_TO_VIEWS", "start_change_watch", "views_for"]
