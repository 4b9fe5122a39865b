"""The month's cycle of a lottery room end to end (issue 18): entries, the draw, confirm or lapse, release.

March 2027 with the profile's defaults: entries 12-01〜12-10, the draw on 12-15, 当選 held through 12-29,
先着順 from 12-20. Two groups want the same Tuesday evening of 大会議室; a third waits for it (キャンセル待ち).
The winner does not confirm: on 12-30 the hold lapses and the slot is released to the waiting list and to
first-come; the other winner confirms and keeps its Wednesday. Both databases.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from factories import World, at
from sqlalchemy import select

from booking_app.domain.errors import ConflictError
from booking_app.services import bookings as bk
from booking_app.services import lottery as lot
from booking_app.services import waitlist as wl
from booking_app.store.models import Booking

pytestmark = pytest.mark.now("2026-12-05 10:00")

MONTH = date(2027, 3, 1)
TAKE, DRAW = datetime(2026, 12, 5, 10, 0), datetime(2026, 12, 15, 10, 0)
BEFORE_FIRST_COME, AFTER_LAPSE = datetime(2026, 12, 18, 10, 0), datetime(2026, 12, 30, 10, 0)
TUE, WED = date(2027, 3, 2), date(2027, 3, 3)


def _evening(world: World, day: date) -> tuple[int, datetime, datetime]:
    return (world.rooms["大会議室"], at(day, 18), at(day, 22))


def test_a_hold_not_confirmed_lapses_and_the_slot_goes_to_the_waiting_list_and_first_come(world: World):
    a, b, c = world.make_group("甲の会"), world.make_group("乙の会"), world.make_group("丙の会")
    for g in (a, b):
        with world.write() as s:
            lot.take_entry(s, world.desk, lot.EntryInput(group_id=g, month=MONTH, channel="counter",
                                                         wishes=[[_evening(world, TUE)], [_evening(world, WED)]]),
                           now=TAKE)
    with world.write() as s:
        view = lot.run_draw(s, world.manager, MONTH, now=DRAW, seed="cycle")
    assert (view.won, view.lost) == (2, 0)
    with world.read() as s:
        rows = list(s.scalars(select(Booking).where(Booking.status == "tentative")))
        s.expunge_all()
    holds = {h.start_at.date(): h for h in rows}
    assert set(holds) == {TUE, WED} and all(h.hold_until == date(2026, 12, 29) for h in holds.values())
    tuesday, wednesday = holds[TUE], holds[WED]

    # 丙 asks for Tuesday: it is held, so it waits (and may not book it: neither first-come nor free yet).
    with world.write() as s:
        waiting = wl.add_waiting(s, world.desk, *_evening(world, TUE), group_id=c, now=BEFORE_FIRST_COME)
    assert waiting.place == 1
    with world.write() as s, pytest.raises(ConflictError):
        bk.create_booking(s, world.desk, world.input(at(TUE, 18), at(TUE, 22), group_id=c), now=BEFORE_FIRST_COME)

    # Wednesday's winner confirms before the deadline; Tuesday's does not.
    with world.write() as s:
        bk.confirm_booking(s, world.desk, wednesday.id, now=datetime(2026, 12, 28, 15, 0))

    # 12-30: the hold is past its deadline and lapses (any write notices it); the slot is free again.
    with world.write() as s:
        assert bk.expire_overdue_holds(s, AFTER_LAPSE.date(), world.desk) == 1
    assert world.booking(tuesday.id).status == "expired"
    assert world.booking(wednesday.id).status == "confirmed"
    with world.read() as s:
        freed = wl.freed_slots(s, AFTER_LAPSE.date(), AFTER_LAPSE)
    assert [(f.slot.start, f.waiting, f.next_in_line.who if f.next_in_line else None) for f in freed] == [
        (at(TUE, 18), 1, "丙の会")]

    # The desk offers it to the first in line, who accepts: a booking made by the ordinary rules (first-come
    # has opened on 12-20), and the waiting list records it.
    with world.write() as s:
        offered = wl.offer_next(s, world.desk, *_evening(world, TUE), reply_by=datetime(2026, 12, 31, 17, 0),
                                now=AFTER_LAPSE)
    assert offered.id == waiting.id and offered.status == "offered"
    with world.write() as s:
        accepted = wl.accept_offer(s, world.desk, waiting.id, now=AFTER_LAPSE)
    assert accepted.status == "accepted" and accepted.booking_id is not None
    booked = world.booking(accepted.booking_id)
    assert (booked.group_id, booked.start_at, booked.status) == (c, at(TUE, 18), "tentative")
    with world.read() as s:
        assert wl.freed_slots(s, AFTER_LAPSE.date(), AFTER_LAPSE) == []
