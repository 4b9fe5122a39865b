"""Several terminals at once, mixed operations (issue 7): the small version of bench/stress_terminals.py.

Four processes (each its own engine, like four desk PCs) run 40 random operations each — book, edit,
cancel, check in and out, pay, void, walk-in tally and undo — over 5 rooms × 10 days and 2
projectors, so they keep colliding. Afterwards the database itself must show: no overlapping room
bookings, never more projectors out than in stock, gapless unique receipt numbers, voids that point
at receipts, walk-in and user totals equal to the sum of their events (and to what the terminals
were told), an audit 'create' for every booking; and every refusal a DomainError with a Japanese
message, never a raw database error.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from stress_lib import OP_WEIGHTS, run_stress  # noqa: E402

PROCS = 4
OPS = 40


def _assert_clean(report) -> None:
    text = "\n".join(report.lines())
    assert not report.fatal, text
    assert len(report.results) == PROCS, text
    assert report.unclean == [], text
    assert report.total_ops == PROCS * OPS, text
    failed = [c for c in report.checks if not c.ok]
    assert report.checks and not failed, text
    # The run really exercised the mix: most operation kinds succeeded at least once.
    ok_ops = {op for r in report.results for op, n in r.ok.items() if n}
    assert {"book", "edit", "cancel", "pay", "tally"} <= ok_ops, text
    assert ok_ops <= set(OP_WEIGHTS)
    assert report.successes > PROCS * OPS // 2, text


def test_stress_sqlite(sqlite_url):
    _assert_clean(run_stress(sqlite_url, procs=PROCS, ops=OPS, seed=7, backend="SQLite"))


@pytest.mark.postgres
def test_stress_postgresql(pg_url):
    _assert_clean(run_stress(pg_url, procs=PROCS, ops=OPS, seed=7, backend="PostgreSQL"))


# --------------------------------------------------------------------------- bugs the stress found
# Two terminals doing the same thing to the same row at the same moment on PostgreSQL: the second
# must wait for the first and then be refused cleanly (RuleError), not get a raw IntegrityError
# (void) or silently do it twice (tally undo). Deterministic: the first transaction stays open until
# the database shows the second one waiting for a lock.


def _wait_until_blocked(engine, deadline_s: float = 20.0) -> None:
    """Poll pg_stat_activity until some other backend of this database waits for a lock."""
    import time

    from sqlalchemy import text

    t_end = time.monotonic() + deadline_s
    with engine.connect() as conn:
        while time.monotonic() < t_end:
            n = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                  "AND wait_event_type = 'Lock'")).scalar()
            conn.rollback()
            if n:
                return
            time.sleep(0.02)
    raise AssertionError("the second terminal never waited for the first")


def _second_terminal_races_first(engine, first, second):
    """Run ``first`` in an open transaction, ``second`` in a thread; commit first once second waits."""
    import threading

    from booking_app.store.engine import write_session

    outcome: dict[str, object] = {}

    def run_second():
        try:
            with write_session(engine) as s:
                outcome["value"] = second(s)
        except BaseException as exc:  # noqa: BLE001 - inspected below
            outcome["error"] = exc

    with write_session(engine) as s:
        first(s)
        s.flush()
        t = threading.Thread(target=run_second)
        t.start()
        _wait_until_blocked(engine)
    t.join(30)
    assert not t.is_alive()
    return outcome


@pytest.mark.postgres
def test_double_void_is_refused_cleanly(pg_url):
    from booking_app.domain.errors import RuleError
    from booking_app.services import payments as pay
    from booking_app.store.engine import make_engine, write_session
    from stress_lib import NOW, seed_database
    from booking_app.services.common import Actor
    from booking_app.store.models import ReceiptVoid
    from sqlalchemy import func, select

    space = seed_database(pg_url)
    engine = make_engine(pg_url)
    try:
        desk, manager = Actor(space.desk_id, "受付"), Actor(space.manager_id, "センター長", "manager")
        with write_session(engine) as s:
            c = pay.add_item_charge(s, desk, "コピー 白黒", 3, payer_name="山田花子", now=NOW)
            r = pay.take_payment(s, desk, [c.id], payer_name="山田花子", purpose="コピー代として", now=NOW,
                                 terminal="端末1")
        outcome = _second_terminal_races_first(
            engine,
            lambda s: pay.void_receipt(s, manager, r.id, "宛名の誤り", now=NOW, terminal="端末1"),
            lambda s: pay.void_receipt(s, manager, r.id, "金額の誤り", now=NOW, terminal="端末2"),
        )
        assert isinstance(outcome.get("error"), RuleError), outcome
        assert "取消済み" in outcome["error"].message
        with engine.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(ReceiptVoid)) == 1
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_double_undo_of_a_tally_is_refused(pg_url):
    from booking_app.domain.errors import RuleError
    from booking_app.services.stats import tallies as stats
    from booking_app.services.common import Actor
    from booking_app.store.engine import make_engine, write_session
    from booking_app.store.models import AuditEntry
    from sqlalchemy import func, select
    from stress_lib import NOW, seed_database

    space = seed_database(pg_url)
    engine = make_engine(pg_url)
    try:
        desk = Actor(space.desk_id, "受付")
        with write_session(engine) as s:
            t = stats.add_tally(s, desk, space.walkin_categories[0], 2, now=NOW, terminal="端末1")
        outcome = _second_terminal_races_first(
            engine,
            lambda s: stats.undo_tally(s, desk, t.id, now=NOW),
            lambda s: stats.undo_tally(s, desk, t.id, now=NOW),
        )
        assert isinstance(outcome.get("error"), RuleError), outcome
        with engine.connect() as conn:
            undos = conn.scalar(select(func.count()).select_from(AuditEntry).where(
                AuditEntry.entity == "walkin_tally", AuditEntry.action == "undo"))
        assert undos == 1
    finally:
        engine.dispose()


# Regressions of two services/bookings.py bugs the stress run found (now fixed there).


def _one_booking(url: str):
    from datetime import datetime

    from booking_app.services import bookings as bk
    from booking_app.services.common import Actor
    from booking_app.store.engine import make_engine, write_session
    from stress_lib import NOW, seed_database

    space = seed_database(url)
    engine = make_engine(url)
    desk = Actor(space.desk_id, "受付")
    day = space.days[0]
    data = bk.BookingInput(start=datetime.combine(day, datetime.min.time()).replace(hour=10),
                           end=datetime.combine(day, datetime.min.time()).replace(hour=12),
                           room_id=space.rooms[0], booker_kind="person", booker_name="山田花子",
                           purpose="定例会", attendees=5)
    with write_session(engine) as s:
        v = bk.create_booking(s, desk, data, now=NOW)
    return engine, desk, v


def test_check_in_from_a_stale_screen_does_not_undo_a_check_out(db_url):
    from booking_app.domain.errors import DomainError
    from booking_app.services import bookings as bk
    from booking_app.store.engine import read_session, write_session

    engine, desk, v = _one_booking(db_url)
    try:
        with write_session(engine) as s:
            bk.check_in(s, desk, v.id, now=v.start)
        with write_session(engine) as s:
            bk.check_out(s, desk, v.id, 7, now=v.end)
        with pytest.raises(DomainError):  # another terminal still shows it 確定 and clicks チェックイン
            with write_session(engine) as s:
                bk.check_in(s, desk, v.id, now=v.start)
        with read_session(engine) as s:
            after = bk.get_booking(s, v.id)
        assert (after.status, after.actual_users) == ("completed", 7)
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_two_terminals_cancelling_one_booking(pg_url):
    from booking_app.domain.errors import DomainError
    from booking_app.services import bookings as bk

    engine, desk, v = _one_booking(pg_url)
    try:
        outcome = _second_terminal_races_first(
            engine,
            lambda s: bk.cancel_booking(s, desk, v.id, "団体の都合"),
            lambda s: bk.cancel_booking(s, desk, v.id, "雨天中止"),
        )
        assert isinstance(outcome.get("error"), DomainError), outcome
    finally:
        engine.dispose()
