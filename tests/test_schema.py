"""The schema as the migrations make it, and the database's own guards against double booking."""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.engine import make_url

from booking_app.services.centre import ensure_initial_data
from booking_app.store.engine import make_engine, read_session, write_session
from booking_app.store.migrate import current_revision, head_revision, needs_upgrade
from booking_app.store.models import Base

NOW = datetime(2026, 11, 25, 9, 0)


def _diff(engine) -> list:
    with engine.connect() as conn:
        mc = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": False})
        return compare_metadata(mc, Base.metadata)


def test_migrations_match_the_models(db_url):
    engine = make_engine(db_url)
    try:
        assert current_revision(engine) == head_revision(db_url)
        assert not needs_upgrade(engine)
        diff = _diff(engine)
        # The exclusion constraint is written by hand in the migration (SQLAlchemy models cannot
        # express it portably) and alembic does not compare it, so it never shows up here.
        assert diff == [], "\n".join(map(str, diff))
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- PostgreSQL


INSERT = text(
    "INSERT INTO bookings (room_id, series_detached, booker_kind, booker_name, contact_phone, purpose, "
    "attendees, start_at, end_at, status, status_reason, override_reason, note, version, created_at, "
    "created_by, updated_at, updated_by) VALUES (:room, false, 'person', '直接入力', '', '試験', 1, :s, :e, "
    ":status, '', '', '', 1, :now, :staff, :now, :staff)"
)


def _seed_ids(engine) -> tuple[int, int]:
    with write_session(engine) as s:
        ensure_initial_data(s, now=NOW)
    with engine.connect() as conn:
        room = conn.execute(text("SELECT id FROM rooms WHERE name = '大会議室'")).scalar_one()
        staff = conn.execute(text("SELECT min(id) FROM staff")).scalar_one()
    return room, staff


def test_exclusion_constraint_refuses_raw_overlap(pg_url):
    engine = make_engine(pg_url)
    try:
        with engine.connect() as conn:
            definition = conn.execute(text(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conname = 'ex_bookings_room_overlap'"
            )).scalar_one()
        assert definition.startswith("EXCLUDE USING gist") and "tsrange" in definition
        room, staff = _seed_ids(engine)

        def insert(s_h: int, e_h: int, status: str = "confirmed") -> None:
            with engine.begin() as conn:
                conn.execute(INSERT, {"room": room, "s": datetime(2026, 12, 2, s_h),
                                      "e": datetime(2026, 12, 2, e_h), "status": status, "now": NOW,
                                      "staff": staff})

        insert(10, 12)
        with pytest.raises(sa_exc.IntegrityError) as exc:
            insert(11, 13)  # bypasses every service: only the database stands in the way
        assert "ex_bookings_room_overlap" in str(exc.value.orig)
        insert(11, 13, "cancelled")  # a cancelled row holds no slot
        insert(12, 13)  # half-open: touching is not overlapping
        for status in ("tentative", "in_use", "completed"):
            with pytest.raises(sa_exc.IntegrityError):
                insert(9, 11, status)
        for status in ("no_show", "expired", "skipped"):
            insert(9, 11, status)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM bookings")).scalar_one() == 6
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- SQLite


def test_sqlite_pragmas(sqlite_url):
    engine = make_engine(sqlite_url)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
        # Foreign keys are enforced, not just declared.
        with pytest.raises(sa_exc.IntegrityError):
            with engine.begin() as conn:
                # A row that continues the (empty) chain, so only the foreign key can refuse it.
                conn.execute(text("INSERT INTO audit_log (id, at, staff_id, action, entity, summary, prev_hash, "
                                  "row_hash) VALUES (1, :at, 999, 'x', 'y', '', :zero, :zero)"),
                             {"at": NOW, "zero": "0" * 64})
    finally:
        engine.dispose()


def test_sqlite_second_writer_waits_and_sees_fresh_data(sqlite_url):
    """A writer holds the lock from BEGIN: a second one is busy, then reads what the first wrote."""
    engine = make_engine(sqlite_url)
    path = make_url(sqlite_url).database
    try:
        with write_session(engine) as s:
            ensure_initial_data(s, now=NOW)
        with write_session(engine) as s:
            # The first statement, even a read, opens BEGIN IMMEDIATE: the lock is held before the
            # service reads "slot free", not only once it writes.
            assert s.execute(text("SELECT count(*) FROM rooms WHERE name = '臨時室'")).scalar_one() == 0
            other = sqlite3.connect(path, timeout=0, isolation_level=None)
            try:
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    other.execute("BEGIN IMMEDIATE")
                # Readers are not blocked (WAL) and still see the last committed state.
                assert other.execute("SELECT count(*) FROM rooms WHERE name = '臨時室'").fetchone() == (0,)
            finally:
                other.close()

            # A second terminal's write session waits for the lock instead of reading stale data.
            acquired = threading.Event()
            seen: list[int] = []

            def second_writer() -> None:
                with write_session(engine) as s2:
                    # Its first read is where BEGIN IMMEDIATE waits: it cannot read the old state.
                    q = text("SELECT count(*) FROM rooms WHERE name = '臨時室'")
                    seen.append(s2.execute(q).scalar_one())
                    acquired.set()

            t = threading.Thread(target=second_writer)
            t.start()
            s.execute(text("INSERT INTO rooms (name, kana, capacity, sort_order, active) "
                           "VALUES ('臨時室', '', 4, 99, 1)"))
            assert not acquired.wait(0.3), "the second writer got in while the first held the lock"
        t.join(timeout=30)
        assert acquired.is_set() and seen == [1]
        with read_session(engine) as s:  # readers take no write lock
            assert s.execute(text("SELECT count(*) FROM rooms")).scalar_one() == 6
    finally:
        engine.dispose()
