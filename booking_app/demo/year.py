"""A year of the centre's bookings: the previous fiscal year as it ended, and this one's series and
single bookings from 1 April to the end of the booking window.

Series go through the series service, a quarter at a time within the booking window, as the desk
enters them. Single bookings (about 30 a day with the series) and last year's are picked against an
in-memory occupancy and written in bulk from the desk's plan (``demo.bookings``). Past bookings are
settled as the desk settles them: most checked out with the actual head count, some cancelled with a
reason, a few no-shows. Coming weeks have some 仮予約 holds.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking_app.demo.bookings import Outcome, Planner, booked_at, equipment_only, settle, single, write_bookings
from booking_app.demo.slots import Occupancy, add_months, attendees, load_occupancy, room_slots
from booking_app.demo.tables import PURPOSES, SERIES, SERIES_KEYWORDS, WALKINS_PER_DAY
from booking_app.demo.visits import seed_events, seed_walkins
from booking_app.domain import hours
from booking_app.domain import japanese_calendar as jcal
from booking_app.domain.booking_rules import DEAD, BookingStatus
from booking_app.domain.errors import DomainError
from booking_app.domain.profile import CentreProfile
from booking_app.domain.recurrence import RecurrenceRule
from booking_app.services.booking_plan import NewBookingPlan
from booking_app.services.bookings import BookingInput
from booking_app.services.common import Actor
from booking_app.services.fees import sync_booking_charges
from booking_app.services.series import create_series
from booking_app.store.models import Booking, Charge, EquipmentType, MemberGroup, Room

# The machines booked without a room (the printing corner).
EQUIPMENT_ONLY = ("印刷機", "紙折り機", "丁合機", "ラミネーター", "裁断機")


@dataclass
class YearBookings:
    """This year's bookings as written: the bulk ones and the series' (settled), their charges by
    booking id, and the counts seed_demo reports."""

    bookings: list[Booking]
    charges: dict[int, list[Charge]]
    series_ids: list[int]
    series_rows: int
    singles: int
    statuses: Counter[str]


def segments(profile: CentreProfile, first: date, last: date, today: date) -> list[tuple[date, date, datetime]]:
    """Quarters of the year as (start, end, booked at): each quarter is booked on the 1st of the month
    before it, which the member window allows, or today if that is still to come (the quarter then
    ends where today's window ends)."""
    out = []
    for q in range(4):
        seg_start = add_months(first, 3 * q)
        seg_end = add_months(first, 3 * q + 3) - timedelta(days=1)
        booked = min(add_months(seg_start, -1), today)
        seg_end = min(seg_end, last, hours.window_end(profile, booked, True))
        if seg_start <= seg_end:
            out.append((seg_start, seg_end, datetime.combine(booked, time(10, 0))))
    return out


def _groups_by_use(rng: random.Random, groups: Sequence[MemberGroup]) -> tuple[list[MemberGroup], list[float]]:
    """The groups in a random order with falling weights: a few use the centre a lot, most now and then
    (as in any centre's statistics)."""
    order = list(groups)
    rng.shuffle(order)
    return order, [1.0 / (i + 3) ** 0.8 for i in range(len(order))]


def seed_previous_year(session: Session, rng: random.Random, *, profile: CentreProfile, fiscal_year: int,
                       rooms: Mapping[str, Room], types: Mapping[str, EquipmentType], groups: Sequence[MemberGroup],
                       planner: Planner, desk: Actor, today: date) -> dict[str, int]:
    """The previous fiscal year as it ended: registered groups' bookings, all settled (checked out
    with a head count, some cancelled, a few no-shows), walk-in tallies and the centre's events, so
    the dashboard compares each month with the same month a year earlier.

    Registered groups only (their rooms are free), so there is no money to replay: the year's
    receipts and cash-ups belong to its own books. There is no series, nothing was booked over.
    """
    first, last = jcal.fiscal_year_range(fiscal_year)
    occ = Occupancy()
    events, attended = seed_events(session, rng, desk, profile=profile, first=first, last=last, today=today,
                                   rooms=dict(rooms), occ=occ)
    order = [g for g in groups if g.registered_on is not None and g.registered_on < first
             and g.status in ("active", "expired")]
    rng.shuffle(order)
    weights = [1.0 / (i + 3) ** 0.8 for i in range(len(order))]
    machines = [types[n] for n in EQUIPMENT_ONLY if n in types]
    wanted: list[BookingInput] = []
    day = first
    while day <= last:
        periods = hours.periods_for(profile, day)
        span = hours.opening_hours(profile, day)
        if periods and span is not None:
            for room, start, end in room_slots(rng, periods, day, rooms.values()):
                if occ.room_free(room.id, start, end):
                    g = rng.choices(order, weights)[0]
                    occ.take(room.id, start, end, {})
                    wanted.append(BookingInput(start, end, room.id, "member", g.id, g.name, g.phone,
                                               rng.choice(PURPOSES), attendees(rng, room)))
            wanted += equipment_only(rng, datetime.combine(day, span[0]), datetime.combine(day, span[1]),
                                     machines, order, weights, occ, 1.0)
        day += timedelta(days=1)
    planned: list[tuple[NewBookingPlan, Outcome]] = []
    for data in wanted:
        made = data.start.date() - timedelta(days=rng.randint(3, 60))
        created = datetime.combine(max(made, first - timedelta(days=60)),
                                   time(rng.randint(9, 20), rng.choice((0, 15, 30, 45))))
        outcome = settle(rng, data.start, data.end, data.attendees, created_at=created, updated_at=created,
                         today=today, now=created, may_hold=False, no_shows=0.012)
        planned.append((planner.plan(data, outcome), outcome))
    bookings, _charges = write_bookings(session, desk, planned)
    users = sum(b.actual_users or 0 for b in bookings if b.status == BookingStatus.COMPLETED.value)
    walkins = seed_walkins(session, rng, profile=profile, first=first, upto=last + timedelta(days=1),
                           staff_id=desk.id, categories=tuple(WALKINS_PER_DAY))
    return {"previous_year_bookings": len(bookings), "previous_year_users": users + walkins + attended,
            "previous_year_events": events}


def _seed_series(session: Session, rng: random.Random, *, desk: Actor, profile: CentreProfile,
                 rooms: Mapping[str, Room], types: Mapping[str, EquipmentType], active: Sequence[MemberGroup],
                 order: Sequence[MemberGroup], first: date, last: date, today: date,
                 now: datetime) -> tuple[list[int], list[int]]:
    """The groups' regular activities through ``series.create_series``, as the desk enters them:
    returns the series ids and the bookings made."""
    series_ids: list[int] = []
    series_rows: list[int] = []
    period_of = {p.name: p for p in profile.periods.get("weekday", ())}
    machi = [g for g in active if g.is_machizukuri] or list(active)
    quarters = segments(profile, first, last, today)
    for i, (kind, wd, nth, interval, pname, room_name, purpose, equip) in enumerate(SERIES):
        if room_name not in rooms or pname not in period_of:
            continue
        # A series is a group's regular activity: the choir books the choir practice.
        keyword = SERIES_KEYWORDS.get(purpose)
        fitting = [g for g in order if keyword and keyword in g.name]
        group = (machi[i % len(machi)] if "まちづくり" in purpose
                 else fitting[0] if fitting else order[i % len(order)])
        room = rooms[room_name]
        period = period_of[pname]
        booked_for = attendees(rng, room)
        for seg_start, seg_end, booked in quarters:
            template = BookingInput(
                start=datetime.combine(seg_start, period.start), end=datetime.combine(seg_start, period.end),
                room_id=room.id, booker_kind="member", group_id=group.id, contact_phone=group.phone,
                purpose=purpose, attendees=booked_for,
                equipment={types[n].id: q for n, q in equip.items() if n in types},
            )
            rule = RecurrenceRule(kind=kind, start=seg_start, until=seg_end,
                                  weekdays=(wd,) if kind == "weekly" else (),
                                  interval=interval, nth=nth, weekday=wd)
            try:
                result = create_series(session, desk, template, rule, skip_unavailable=True, now=min(booked, now))
            except DomainError:  # a quarter that cannot be booked at all (e.g. all in conflict) is left out
                continue
            series_ids.append(result.series_id)
            series_rows += result.created
    return series_ids, series_rows


def seed_this_year(session: Session, rng: random.Random, *, seed: int, desk: Actor, profile: CentreProfile,
                   rooms: Mapping[str, Room], types: Mapping[str, EquipmentType], active: Sequence[MemberGroup],
                   planner: Planner, first: date, last: date, today: date,
                   now: datetime) -> tuple[YearBookings, int, int]:
    """This fiscal year's bookings from ``first`` to ``last`` (the end of the booking window): the
    series, the centre's events (their rooms kept free), single bookings thinning out towards the end
    of the window, all settled. Returns the bookings and the (events, attendance) of the events."""
    order, weights = _groups_by_use(rng, active)
    series_ids, series_rows = _seed_series(session, rng, desk=desk, profile=profile, rooms=rooms, types=types,
                                           active=active, order=order, first=first, last=last, today=today, now=now)

    occ = load_occupancy(session, first, last)
    events, event_users = seed_events(session, random.Random(f"{seed}-events"), desk, profile=profile, first=first,
                                      last=last, today=today, rooms=dict(rooms), occ=occ)
    machines = [types[n] for n in EQUIPMENT_ONLY if n in types]
    wanted: list[BookingInput] = []
    day = first
    while day <= last:
        periods = hours.periods_for(profile, day)
        span = hours.opening_hours(profile, day)
        if not periods or span is None:
            day += timedelta(days=1)
            continue
        ahead = (day - today).days
        # Bookings thin out towards the end of the window, as they do at a real desk.
        density = 1.0 if ahead <= 7 else max(0.2, 1.0 - (ahead - 7) / 110)
        open_t, close_t = (datetime.combine(day, span[0]), datetime.combine(day, span[1]))
        for room, start, end in room_slots(rng, periods, day, rooms.values()):
            if rng.random() < density and occ.room_free(room.id, start, end):
                wanted.append(single(rng, room, start, end, order, weights, types, occ))
        wanted += equipment_only(rng, open_t, close_t, machines, order, weights, occ, density)
        day += timedelta(days=1)

    # ---- settle: what happened to past bookings, holds in the coming weeks
    planned: list[tuple[NewBookingPlan, Outcome]] = []
    for data in wanted:
        # A registered group books up to member_months_ahead ahead, anyone else general_months_ahead.
        months = profile.member_months_ahead if data.booker_kind == "member" else profile.general_months_ahead
        created = booked_at(rng, data.start.date(), months_ahead=months, today=today, now=now)
        outcome = settle(rng, data.start, data.end, data.attendees, created_at=created, updated_at=created,
                         today=today, now=now, may_hold=True)
        planned.append((planner.plan(data, outcome), outcome))
    bookings, charges = write_bookings(session, desk, planned)
    statuses: Counter[str] = Counter(b.status for b in bookings)
    # One query for the series dates (the service's objects may already be gone from the session).
    series_objs = list(session.scalars(select(Booking).where(Booking.id.in_(series_rows)))) if series_rows else []
    for b in series_objs:
        outcome = settle(rng, b.start_at, b.end_at, b.attendees, created_at=b.created_at, updated_at=b.updated_at,
                         today=today, now=now, may_hold=False, status=b.status)
        for column, value in outcome.columns().items():
            setattr(b, column, value)
        b.updated_by = desk.id
        statuses[b.status] += 1
        if b.status in DEAD:
            # The service charged it when it was booked (a registered group's rooms are free, so
            # usually nothing): cancelled, its open charges go with it, through the same service.
            sync_booking_charges(session, desk, b, now=outcome.updated_at)
    if series_objs:
        # The money is seeded over the series' charges too.
        for c in session.scalars(select(Charge).where(Charge.booking_id.in_(series_rows)).order_by(Charge.id)):
            assert c.booking_id is not None  # selected by it
            charges.setdefault(c.booking_id, []).append(c)
    session.flush()
    return (YearBookings(bookings + series_objs, charges, series_ids, len(series_rows), len(bookings), statuses),
            events, event_users)
