"""Seeing other terminals' changes (他端末の変更の監視): every view refreshes within about a second.

Every committed change writes an audit entry, so the audit trail is the one place that says *what*
changed. ``services/change_feed.py`` reads it (PostgreSQL: a listener thread on ``NOTIFY``, so the GUI
never waits on the network, not even while a dead server is being reconnected to; SQLite: a poll of
``PRAGMA data_version`` every 500 ms on a connection of its own) and leaves out this terminal's own
changes, which ``ctx.write`` already announced (PostgreSQL: the sender's backend pid is one of our pool's
connections; SQLite: the audit ids our engine's sessions committed, noted in ``session.info`` by every
writer).

This module maps the audit entity names ("insurance_enrolment", "walkin_tally", …) to the names views
listen for on :attr:`AppContext.changed` ({"insurance"}, {"tally"}, …) and emits at most once per
~300 ms, so a burst of changes (an import) means one refresh."""

from __future__ import annotations

import time
from collections.abc import Iterable

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from booking_app.services.change_feed import EVERYTHING, ListenFeed, SqliteFeed, is_polled
from booking_app.ui.context import AppContext

POLL_MS = 500            # SQLite: how often the feed is polled
COALESCE_MS = 300        # at most one ctx.changed per this many ms

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
    "lottery_entry": frozenset({"lottery_entry"}),
    "lottery_draw": frozenset({"lottery_draw", "lottery_entry", "booking"}),
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


class ChangeWatcher(QObject):
    """Announces other terminals' changes on ``ctx.changed``; start with :meth:`start`, end with :meth:`stop`.

    ``server_lost`` / ``server_back`` tell the window when the database could no longer be read (the
    PostgreSQL listener lost its server, the SQLite file went away) and when it is back (after a
    PostgreSQL reconnect every view is refreshed: notifications sent meanwhile are gone).
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
        self.sqlite = is_polled(self.engine)
        self.server_ok = True
        self.emitted = 0  # how many ctx.changed this watcher sent (tests, benchmark)
        self._pending: set[str] = set()
        self._last_emit = 0.0
        self._coalesce = QTimer(self)
        self._coalesce.setSingleShot(True)
        self._coalesce.timeout.connect(self._flush)
        self._from_thread.connect(self._on_thread_report, Qt.ConnectionType.QueuedConnection)
        self._running = False
        self._poll = QTimer(self)  # SQLite
        self._poll.setInterval(poll_ms)
        self._poll.timeout.connect(self.poll_sqlite)
        self._sqlite_feed: SqliteFeed | None = None
        self._listen_feed: ListenFeed | None = None
        ctx.engine_changed.connect(self._follow_engine)

    def _follow_engine(self, engine) -> None:
        """Another staff member signed in with their own login (PostgreSQL): listen through it."""
        was_running = self._running
        self.stop()
        self.engine = engine
        self.sqlite = is_polled(engine)
        if was_running:
            self.start()

    # ------------------------------------------------------------------ life cycle

    def start(self) -> ChangeWatcher:
        if self._running:
            return self
        self._running = True
        if self.sqlite:
            feed = SqliteFeed(self.engine)
            if not feed.shared:
                return self  # nobody else can share an in-memory database
            self._sqlite_feed = feed
            feed.start()
            self.poll_sqlite()  # takes the starting point
            self._poll.start()
        else:
            self._listen_feed = ListenFeed(self.engine)
            self._listen_feed.start(self._report)
        return self

    def stop(self) -> None:
        """Stop listening and close the watcher's own connection (waits at most ~5 s)."""
        if not self._running:
            return
        self._running = False
        self._poll.stop()
        self._coalesce.stop()
        if self._listen_feed is not None:
            self._listen_feed.stop()
            self._listen_feed = None
        if self._sqlite_feed is not None:
            self._sqlite_feed.stop()
            self._sqlite_feed = None

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

    def poll_sqlite(self) -> bool:
        """One look at the SQLite feed; True when another connection's change was announced."""
        if self._sqlite_feed is None:
            return False
        foreign = self._sqlite_feed.poll()
        if foreign is None:  # the file is not readable (a share gone away): the next tick tries again
            self._set_server_ok(False)
            return False
        self._set_server_ok(True)
        if not foreign:
            return False
        self.deliver(foreign)
        return True

    # ------------------------------------------------------------------ PostgreSQL

    def _report(self, entities: set[str], server_ok: bool | None) -> None:
        """Called on the listener thread: hands the report to the GUI thread (queued signal)."""
        try:
            self._from_thread.emit(entities, server_ok)
        except RuntimeError:  # the watcher was deleted during shutdown
            feed = self._listen_feed
            if feed is not None:
                feed.request_stop()

    def _on_thread_report(self, entities, server_ok) -> None:
        if server_ok is not None:
            self._set_server_ok(server_ok)
        if entities:
            self.deliver(entities)


def start_change_watch(ctx: AppContext) -> ChangeWatcher:
    """The context's watcher, started (one per context)."""
    found = ctx.findChild(ChangeWatcher, "change_watcher")
    return (found or ChangeWatcher(ctx)).start()


__all__ = ["ChangeWatcher", "ENTITY_TO_VIEWS", "start_change_watch", "views_for"]
