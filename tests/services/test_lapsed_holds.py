"""A 仮予約 whose hold deadline has passed blocks nothing, whether or not a write has marked it 期限切れ yet
(issue 13, item 4).

Before the fix the reads (conflict hint, series preview, equipment availability, month overview, the
booking's own view) counted a lapsed hold as taken until some other write turned it into 期限切れ, while
saving treated it as free. Each test here builds a hold, moves the clock past its deadline *without any
write in between*, and asks every question the desk asks about that slot. Both databases (``db_url``).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from factories import DAY, NOW, World, at
from sqlalchemy import select

from booking_app import clock
from booking_app.domain.booking_rules import BookingStatus
from booking_app.domain.errors import RuleError
from booking_app.domain.recurrence import RecurrenceRule
from booking_app.services import bookings as svc
from booking_app.services import series as ser
from booking_app.store.models import Booking

pytestmark = pytest.mark.now("2026-11-25 10:00")  # NOW of factories.py; the clock moves in each test

HOLD_UNTIL = date(2026, 11, 26)


def lapsed_hold(world: World, frozen_clock, **kw) -> svc.BookingView:
    """A 仮予約 on DAY 10–12 held until 11/26; then the clock moves to 11/27 with no write at all."""
    hold = world.book(at(DAY, 10), at(DAY, 12), tentative=True, hold_until=HOLD_UNTIL, **kw)
    assert hold.status == "tentative"
    frozen_clock.advance(days=2)
    assert clock.today() == date(2026, 11, 27)
    assert world.booking(hold.id).status == "tentative"  # nothing has marked it yet
    return hold


def test_the_python_and_sql_rules_agree(world: World):
    """One rule, two spellings: every status × deadline gives the same answer in Python and in SQL."""
    from booking_app.domain.booking_rules import blocks_slot, hold_lapsed, status_on

    today = date(2026, 11, 27)
    cases = []
    for status in BookingStatus:
        for hold_until in (None, today - timedelta(days=1), today, today + timedelta(days=1)):
            cases.append((status.value, hold_until))
    with world.write() as s:
        ids = []
        for i, (status, hold_until) in enumerate(cases):
            b = Booking(room_id=None, booker_kind="person", booker_name=f"試験{i}", purpose="試験",
                        start_at=at(DAY, 9) + timedelta(days=i), end_at=at(DAY, 10) + timedelta(days=i),
                        status=status, hold_until=hold_until, created_at=NOW, created_by=world.desk.id,
                        updated_at=NOW, updated_by=world.desk.id)
            s.add(b)
            s.flush()
            ids.append(b.id)
    with world.read() as s:
        sql_blocks = set(s.scalars(select(Booking.id).where(Booking.id.in_(ids), svc.blocks_slot_sql(today))))
        sql_lapsed = set(s.scalars(select(Booking.id).where(Booking.id.in_(ids), svc.hold_lapsed_sql(today))))
    for bid, (status, hold_until) in zip(ids, cases, strict=True):
        assert (bid in sql_blocks) == blocks_slot(status, hold_until, today), (status, hold_until)
        assert (bid in sql_lapsed) == hold_lapsed(status, hold_until, today), (status, hold_until)
    # the Python rule itself: held through its last day, free the day after
    assert blocks_slot("tentative", today, today) and not blocks_slot("tentative", today, today + timedelta(days=1))
    assert status_on("tentative", today - timedelta(days=1), today) is BookingStatus.EXPIRED
    assert status_on("tentative", None, today) is BookingStatus.TENTATIVE


def test_room_conflicts_and_hint_ignore_a_lapsed_hold(world: World, frozen_clock):
    lapsed_hold(world, frozen_clock)
    with world.read() as s:
        assert svc.room_conflicts(s, world.rooms["大会議室"], at(DAY, 10), at(DAY, 12)) == []
        # a day earlier (the hold's last day) it still blocks
        assert len(svc.room_conflicts(s, world.rooms["大会議室"], at(DAY, 10), at(DAY, 12),
                                      today=HOLD_UNTIL)) == 1


def test_the_view_of_a_lapsed_hold_says_expired(world: World, frozen_clock):
    hold = lapsed_hold(world, frozen_clock)
    with world.read() as s:
        v = svc.get_booking(s, hold.id)
        day = svc.bookings_between(s, at(DAY, 0), at(DAY + timedelta(days=1), 0))
        live = svc.bookings_between(s, at(DAY, 0), at(DAY + timedelta(days=1), 0), include_inactive=False)
        counts = svc.month_counts(s, DAY.year, DAY.month)
    assert (v.status, v.status_label) == ("expired", "期限切れ")
    assert v.hold_until == HOLD_UNTIL and not v.blocks_slot
    assert [b.status for b in day] == ["expired"] and live == []
    assert counts.get(DAY, 0) == 0


def test_equipment_of_a_lapsed_hold_is_free(world: World, frozen_clock):
    pj = world.equipment["プロジェクター"]  # stock 2
    lapsed_hold(world, frozen_clock, equipment={pj: 2})
    with world.read() as s:
        avail = {a.name: a for a in svc.equipment_availability(s, at(DAY, 9), at(DAY, 17))}
        used = svc.equipment_in_use(s, [pj], at(DAY, 9), at(DAY, 17))
    assert (avail["プロジェクター"].in_use, avail["プロジェクター"].free) == (0, 2)
    assert used[pj] == []
    # and saving agrees: both projectors can be booked
    v = world.book(at(DAY, 10), at(DAY, 12), room="小会議室1", equipment={pj: 2}, now=clock.now())
    assert v.status == "confirmed"


def test_series_preview_says_free_and_the_series_books_it(world: World, frozen_clock):
    pj = world.equipment["プロジェクター"]
    hold = lapsed_hold(world, frozen_clock, equipment={pj: 2})
    gid = world.make_group(valid_until=date(2027, 3, 31))
    rule = RecurrenceRule(kind="weekly", start=DAY, until=DAY + timedelta(days=14), weekdays=(DAY.weekday(),))
    tmpl = world.input(at(DAY, 10), at(DAY, 12), group_id=gid, equipment={pj: 1})
    with world.read() as s:
        items = ser.preview_series(s, tmpl, rule, now=clock.now())
    assert [(i.day, i.state) for i in items] == [(DAY + timedelta(days=7 * k), "free") for k in range(3)]
    with world.write() as s:
        res = ser.create_series(s, world.desk, tmpl, rule, skip_unavailable=False, now=clock.now())
    assert len(res.created) == 3 and not res.skipped
    assert world.booking(hold.id).status == "expired"


def test_confirming_or_checking_in_a_lapsed_hold_is_refused_at_once(world: World, frozen_clock):
    """Not only after some other write has marked it: the answer no longer depends on who wrote last."""
    day = date(2026, 11, 27)  # the group comes on the 27th; its hold ran to the 26th
    hold = world.book(at(day, 10), at(day, 12), tentative=True, hold_until=HOLD_UNTIL)
    frozen_clock.advance(days=2)
    for action in (lambda s: svc.confirm_booking(s, world.desk, hold.id, now=clock.now()),
                   lambda s: svc.check_in(s, world.desk, hold.id, now=clock.now())):
        with world.write() as s, pytest.raises(RuleError) as exc:
            action(s)
        assert "保留期限（11月26日）を過ぎた" in exc.value.message and "新しく予約" in exc.value.message
    with world.write() as s, pytest.raises(RuleError) as exc:
        svc.cancel_booking(s, world.desk, hold.id, "団体の都合", now=clock.now())
    assert "取り消す必要はありません" in exc.value.message
    assert world.booking(hold.id).status == "tentative"  # refused: nothing written
    # the slot is free, as the message says: a new booking takes it at once
    assert world.book(at(day, 10), at(day, 12), now=clock.now()).status == "confirmed"


def test_undoing_a_no_show_takes_back_a_slot_held_by_a_lapsed_hold(world: World, frozen_clock):
    """The service says free, so the database's own guard (PostgreSQL's exclusion constraint) must agree:
    the lapsed hold is marked 期限切れ inside the same write, before the slot is taken back."""
    today = NOW.date()
    first = world.book(at(today, 10), at(today, 12))
    with world.write() as s:
        svc.mark_no_show(s, world.desk, first.id, now=at(today, 10, 30))
    hold = world.book(at(today, 10, 30), at(today, 12), tentative=True, hold_until=today, now=at(today, 10, 30))
    frozen_clock.advance(days=1)  # the hold lapses; the no-show (a mistake) is undone the next morning
    with world.write() as s:
        v = svc.undo_status(s, world.desk, first.id, now=clock.now())
    assert v.status == "confirmed"
    assert world.booking(hold.id).status == "expired"


def test_series_edit_leaves_lapsed_dates_alone(world: World, frozen_clock):
    gid = world.make_group(valid_until=date(2027, 3, 31))
    rule = RecurrenceRule(kind="weekly", start=DAY, until=DAY + timedelta(days=14), weekdays=(DAY.weekday(),))
    tmpl = world.input(at(DAY, 10), at(DAY, 12), group_id=gid, tentative=True, hold_until=HOLD_UNTIL)
    with world.write() as s:
        res = ser.create_series(s, world.desk, tmpl, rule, skip_unavailable=False, now=NOW)
    frozen_clock.advance(days=2)
    first = world.booking(res.created[0])
    changes = svc.with_overrides(svc.BookingInput(**{**tmpl.__dict__}), attendees=7, tentative=False,
                                 hold_until=None)
    with world.write() as s, pytest.raises(RuleError) as exc:
        ser.update_series(s, world.desk, first.id, changes, "all", now=clock.now())
    assert "変更できる日がありません" in exc.value.message
    assert {world.booking(i).status for i in res.created} == {"tentative"}


def test_saving_over_a_lapsed_hold_marks_it(world: World, frozen_clock):
    """Saving (on SQLite the fast save hands over to the ORM path) marks the hold 期限切れ and books the slot."""
    hold = lapsed_hold(world, frozen_clock)
    v = world.book(at(DAY, 10), at(DAY, 12), now=clock.now())
    assert v.status == "confirmed"
    assert world.booking(hold.id).status == "expired"


def test_day_slips_and_open_charges_leave_out_a_lapsed_hold(world: World, frozen_clock):
    """The day's slips and the 未収 list follow the same rule: a lapsed hold is neither printed nor owed."""
    from booking_app.services import payments, slips

    hold = world.book(at(DAY, 10), at(DAY, 12), tentative=True, hold_until=HOLD_UNTIL)
    with world.read() as s:  # while held: it has a slip and its quoted charge is open
        assert hold.id in [d.booking_id for d in slips.slips_for_day(s, DAY)]
        assert hold.id in [c.booking_id for c in payments.open_charges(s)]
    frozen_clock.advance(days=2)  # past the deadline, nothing written
    assert world.booking(hold.id).status == "tentative"
    with world.read() as s:
        assert hold.id not in [d.booking_id for d in slips.slips_for_day(s, DAY)]
        assert hold.id not in [c.booking_id for c in payments.open_charges(s)]
