"""キャンセル待ち in the demo (issue 18): waiting lists on the coming popular evenings.

On the demo's day ``today`` the next evening bookings (夜間, from 17:00) of registered groups, from today on,
get waiting lists taken over the three days before (``services.waitlist``, as the desk would):

* slot 1: booked, three groups waiting; the booking was cancelled yesterday and the first in line was
  called (連絡済, reply by today 17:00): 本日の予約 shows 「キャンセル待ち」 with who was called;
* slot 2: booked, two waiting: the day grid wears 「待2」;
* slot 3: cancelled the day before yesterday; the first in line declined (辞退) and the second was called
  yesterday (with ``ACCEPT_ONE``: the first accepted, 承諾 → a 仮予約 for the group, the second still waits);
* slot 4: cancelled yesterday, two waiting, nobody called yet: the today page shows who is next.

Nothing is stamped later than the day before today (the demo's own audit line at 08:45 stays the last).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking_app.domain.booking_rules import BookingStatus
from booking_app.services import waitlist as wl
from booking_app.services.bookings import cancel_booking
from booking_app.services.common import Actor
from booking_app.store.models import Booking, Charge, MemberGroup

EVENING = time(17, 0)
PLAN = (3, 2, 2, 2)  # people waiting on slots 1–4 (see the module docstring)
# Slot 3's first in line accepts (a 仮予約 made by the booking service). Off until tests/services/test_demo.py
# counts that booking among the demo's single bookings (its bulk-count check); meanwhile they decline and the
# second in line is called.
ACCEPT_ONE = True
PHONES = ("090-3141-5926", "080-2718-2818", "090-1414-2135", "083-252-0000", "080-1732-0508")


def seed_waitlist(session: Session, rng: random.Random, *, today: date, groups: Sequence[MemberGroup],
                  desk: Actor) -> dict[str, int]:
    """The demo's waiting lists (see the module docstring); counts for seed_demo's report."""
    yesterday = today - timedelta(days=1)
    slots = _popular_evenings(session, today, len(PLAN))
    if len(slots) < len(PLAN):
        return {}
    taken: set[int] = {b.group_id for b in slots if b.group_id is not None}
    pool = [g for g in groups if g.id not in taken]
    rng.shuffle(pool)
    counts = {"waitlist_entries": 0, "waitlist_offered": 0, "waitlist_accepted": 0}
    for k, (booking, people) in enumerate(zip(slots, PLAN)):
        room_id = booking.room_id
        assert room_id is not None  # _popular_evenings takes room bookings only
        entries = []
        for i in range(people):
            g = pool.pop()
            when = datetime.combine(today - timedelta(days=3), time(9 + k)) + timedelta(hours=3 * i)
            entries.append(wl.add_waiting(session, desk, room_id, booking.start_at, booking.end_at,
                                          group_id=g.id, contact_phone=PHONES[(k + i) % len(PHONES)], now=when))
        counts["waitlist_entries"] += people
        if k == 1:
            continue  # still booked: 待2 on the grid
        cancelled_on = yesterday - timedelta(days=1) if k == 2 else yesterday
        cancel_booking(session, desk, booking.id, "団体の都合（電話連絡）",
                       now=datetime.combine(cancelled_on, time(11, 0)))
        if k == 3:
            continue  # freed, nobody called yet
        called = datetime.combine(cancelled_on, time(14, 0))
        wl.offer_next(session, desk, room_id, booking.start_at, booking.end_at,
                      reply_by=wl.default_reply_by(booking.start_at, called), now=called)
        counts["waitlist_offered"] += 1
        if k == 2 and ACCEPT_ONE:
            wl.accept_offer(session, desk, entries[0].id, now=datetime.combine(cancelled_on, time(16, 30)),
                            tentative=True, purpose="定例会", attendees=10)
            counts["waitlist_accepted"] += 1
        elif k == 2:  # the first said no the same day; the second was called the next morning
            wl.decline_offer(session, desk, entries[0].id, reason="日程が合わない",
                             now=datetime.combine(cancelled_on, time(16, 30)))
            again = datetime.combine(yesterday, time(10, 0))
            wl.offer_next(session, desk, room_id, booking.start_at, booking.end_at,
                          reply_by=wl.default_reply_by(booking.start_at, again), now=again)
            counts["waitlist_offered"] += 1
    return counts


def _popular_evenings(session: Session, today: date, count: int) -> list[Booking]:
    """The first ``count`` confirmed single evening bookings of registered groups from today on, one per day
    and room, no two on the same slot; only those not paid for (a group's room is free)."""
    rows = session.scalars(
        select(Booking).where(
            Booking.start_at >= datetime.combine(today, EVENING),
            Booking.start_at < datetime.combine(today + timedelta(days=21), time()),
            Booking.status == BookingStatus.CONFIRMED.value, Booking.group_id.is_not(None),
            Booking.series_id.is_(None), Booking.room_id.is_not(None),
            ~select(Charge.id).where(Charge.booking_id == Booking.id, Charge.receipt_id.is_not(None)).exists())
        .order_by(Booking.start_at, Booking.room_id))
    out: list[Booking] = []
    days: set[date] = set()
    for b in rows:
        if b.start_at.time() < EVENING or b.start_at.date() in days:
            continue
        days.add(b.start_at.date())
        out.append(b)
        if len(out) == count:
            break
    return out


__all__ = ["seed_waitlist"]
