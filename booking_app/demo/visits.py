"""The people counted without a booking: walk-in tallies at the counter (来館者カウント) and the
centre's own events (講座・研修・交流会) with their attendance."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from booking_app.demo.slots import Occupancy, add_months
from booking_app.demo.tables import CENTRE_EVENTS, FESTA, TERMINAL, WALKINS_PER_DAY
from booking_app.domain import hours
from booking_app.domain import japanese_calendar as jcal
from booking_app.domain.profile import CentreProfile
from booking_app.services.common import Actor
from booking_app.services.stats.events import save_event
from booking_app.store.models import Room, WalkInTally


def poisson(rng: random.Random, lam: float) -> int:
    """A Poisson count (Knuth's method; the means here are small)."""
    if lam <= 0:
        return 0
    limit, k, prod = pow(2.718281828459045, -lam), 0, rng.random()
    while prod > limit:
        k += 1
        prod *= rng.random()
    return k


def seed_walkins(session: Session, rng: random.Random, *, profile: CentreProfile, first: date, upto: date,
                 staff_id: int, categories: tuple[str, ...]) -> int:
    """Walk-in tallies (来館者カウント) of every open day in [first, upto), as the counter clicks them:
    mostly +1, now and then +2/+3 for people who came together, a rare mis-click undone at once.

    Written in one bulk INSERT (~5,000 rows a year) without the audit line ``stats.add_tally`` writes
    per click: a click each through the service would cost seconds. Returns the people counted.
    """
    rows: list[dict[str, Any]] = []
    counted = 0
    d = first
    while d < upto:
        span = hours.opening_hours(profile, d)
        if span is None:
            d += timedelta(days=1)
            continue
        sunday = jcal.day_kind(d) == "sunday_holiday"
        opened = datetime.combine(d, span[0])
        minutes = int((datetime.combine(d, span[1]) - opened).total_seconds() // 60)
        for cat in categories:
            lam = WALKINS_PER_DAY.get(cat, 0.0)
            if sunday:  # no consultations to speak of, more people just dropping in
                lam *= 1.3 if cat in ("交流スペース", "情報コーナー", "見学") else 0.3
            n = poisson(rng, lam)
            while n > 0:
                c = 1 if n == 1 or rng.random() < 0.8 else min(n, rng.randint(2, 3))
                at = opened + timedelta(minutes=rng.randrange(minutes), seconds=rng.randrange(60))
                rows.append({"at": at, "category": cat, "count": c, "staff_id": staff_id, "terminal": TERMINAL,
                             "undone_at": None, "undone_by": None})
                counted += c
                n -= c
                if rng.random() < 0.01:  # clicked twice by mistake, undone straight away
                    rows.append({"at": at + timedelta(seconds=5), "category": cat, "count": 1, "staff_id": staff_id,
                                 "terminal": TERMINAL, "undone_at": at + timedelta(seconds=20),
                                 "undone_by": staff_id})
        d += timedelta(days=1)
    if rows:
        session.execute(insert(WalkInTally), rows)
    return counted


def seed_events(session: Session, rng: random.Random, desk: Actor, *, profile: CentreProfile, first: date,
                last: date, today: date, rooms: dict[str, Room], occ: Occupancy) -> tuple[int, int]:
    """The centre's own events of [first, last] through ``stats.save_event``: a course or training in
    the 大会議室 every month, a 交流会 in the hall every other month, the October festa. Each is
    registered some weeks ahead and, once held, its attendance is entered that evening; its room is
    kept free of bookings. Returns (events, attendance counted)."""
    made = attended = 0
    month = date(first.year, first.month, 1)
    i = 0
    while month <= last:
        saturdays = [month + timedelta(days=k) for k in range(31)
                     if (month + timedelta(days=k)).month == month.month
                     and (month + timedelta(days=k)).weekday() == 5]
        wanted: list[tuple[tuple[str, str, str | None, tuple[int, int]], list[date]]] = [
            (CENTRE_EVENTS[i % 6], saturdays[1:3])]
        if month.month % 2 == 0:
            wanted.append((CENTRE_EVENTS[6 + (month.month // 2) % 2], saturdays[3:] or saturdays[-1:]))
        if month.month == FESTA[2]:
            wanted.append(((FESTA[0], FESTA[1], None, (140, 220)), saturdays[2:3] or saturdays[-1:]))
        i += 1
        for (name, kind, room_name, (lo, hi)), days in wanted:
            room = rooms.get(room_name) if room_name else None
            for day in days:
                periods = {p.name: p for p in hours.periods_for(profile, day)}
                if not first <= day <= last or "午後" not in periods:
                    continue
                start = datetime.combine(day, periods["午後"].start)
                end = datetime.combine(day, periods["午後"].end)
                if room is not None and not occ.room_free(room.id, start, end):
                    continue
                registered = datetime.combine(day - timedelta(days=rng.randint(35, 50)), time(10, rng.choice((0, 30))))
                if registered.date() > today:
                    break  # not planned yet
                if room is not None:
                    occ.take(room.id, start, end, {})
                view = save_event(session, desk, name=name, kind=kind, day=day, room_id=room.id if room else None,
                                  note="センター主催", now=registered)
                made += 1
                if day < today:
                    n = rng.randint(lo, hi)
                    save_event(session, desk, event_id=view.id, name=name, kind=kind, day=day,
                               room_id=view.room_id, attendance=n, note="センター主催",
                               now=end + timedelta(minutes=30))
                    attended += n
                break
        month = add_months(month, 1)
    return made, attended

