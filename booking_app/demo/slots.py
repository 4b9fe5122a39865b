"""What is free when: the in-memory occupancy the bulk bookings are checked against, the slots a day's
bookings ask for, and how many people a group books a room for.

The bulk rows obey the same rules as the services: open days and hours only, no room booked twice,
equipment never beyond stock. A per room and per day occupancy kept in memory replaces one conflict
query per row, which would take minutes instead of seconds.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking_app.demo.tables import ROOM_USE, ROOM_USE_DEFAULT
from booking_app.domain.booking_rules import BLOCKING_STATUSES, overlaps, peak_in_use
from booking_app.domain.profile import Period
from booking_app.store.models import Booking, EquipmentType, Room

BLOCKING = {s.value for s in BLOCKING_STATUSES}


@dataclass
class Occupancy:
    """Live bookings per room and day, and equipment use per type and day, kept in memory."""

    rooms: defaultdict[tuple[int, date], list[tuple[datetime, datetime]]] = field(
        default_factory=lambda: defaultdict(list))
    equipment: defaultdict[tuple[int, date], list[tuple[datetime, datetime, int]]] = field(
        default_factory=lambda: defaultdict(list))

    def room_free(self, room_id: int, start: datetime, end: datetime) -> bool:
        return not any(overlaps(start, end, s, e) for s, e in self.rooms[(room_id, start.date())])

    def equipment_free(self, et: EquipmentType, qty: int, start: datetime, end: datetime) -> bool:
        if et.stock is None:
            return True
        return peak_in_use(self.equipment[(et.id, start.date())], start, end) + qty <= et.stock

    def take(self, room_id: int | None, start: datetime, end: datetime, equipment: Mapping[int, int]) -> None:
        if room_id is not None:
            self.rooms[(room_id, start.date())].append((start, end))
        for tid, qty in equipment.items():
            self.equipment[(tid, start.date())].append((start, end, qty))


def load_occupancy(session: Session, first: date, last: date) -> Occupancy:
    """The occupancy of the live bookings already in the database between ``first`` and ``last``."""
    occ = Occupancy()
    lo, hi = datetime.combine(first, time()), datetime.combine(last + timedelta(days=1), time())
    q = select(Booking).where(Booking.start_at >= lo, Booking.start_at < hi, Booking.status.in_(BLOCKING))
    for b in session.scalars(q):
        occ.take(b.room_id, b.start_at, b.end_at, {e.equipment_type_id: e.quantity for e in b.equipment})
    return occ


def attendees(rng: random.Random, room: Room) -> int:
    """Who a group books a room for: meetings of 5–15, a handful in the work room, the hall now and then full."""
    cap = room.capacity
    if cap >= 50:
        n = rng.randint(40, cap) if rng.random() < 0.1 else round(rng.triangular(8, 35, 14))
    elif cap >= 25:
        n = rng.randint(20, cap) if rng.random() < 0.08 else round(rng.triangular(5, 20, 9))
    elif cap >= 10:
        n = round(rng.triangular(3, cap, 6))
    else:
        n = round(rng.triangular(2, cap, 3))
    return max(1, min(cap, n))


def room_slots(rng: random.Random, periods: Iterable[Period], day: date,
               rooms: Iterable[Room]) -> Iterator[tuple[Room, datetime, datetime]]:
    """(room, start, end) a day's single bookings ask for: about ROOM_USE of each room's periods, a
    whole period or part of one (a meeting of 1–3 hours), now and then two short ones in a period."""
    periods = tuple(periods)
    for room in rooms:
        use = ROOM_USE.get(room.name, ROOM_USE_DEFAULT)
        for p in periods:
            if rng.random() >= use:
                continue
            p_start, p_end = datetime.combine(day, p.start), datetime.combine(day, p.end)
            if rng.random() < 0.55:
                yield room, p_start, p_end
                continue
            start = p_start + timedelta(minutes=rng.choice((0, 0, 30, 60)))
            end = min(p_end, start + timedelta(minutes=rng.choice((60, 90, 120, 120, 150, 180))))
            if end > start:
                yield room, start, end
            if p_end - end >= timedelta(minutes=90) and rng.random() < 0.3:
                yield room, end + timedelta(minutes=30), p_end


def add_months(d: date, months: int) -> date:
    """The 1st of the month ``months`` after d's month."""
    y, m0 = divmod(d.month - 1 + months, 12)
    return date(d.year + y, m0 + 1, 1)
