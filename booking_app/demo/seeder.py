"""Demo data (デモデータ): a believable fiscal year of the centre, for trying the app and for screenshots.

About 300 registered groups (``groups``) and, on every open day from 1 April of the current fiscal
year to the end of the booking window, about 30 bookings (``year``): weekly and monthly series through
the series service, single bookings written in bulk from the desk's own plan (``bookings``); the
previous fiscal year as it ended; walk-ins and the centre's events (``visits``); a year of the
counter's money (``money``); insurance (``insurance``). The same seed always gives the same data.

A tool above the services: it writes through them (or, in bulk, from their plan), and nothing in
services, store or domain imports it (.importlinter).
"""

from __future__ import annotations

import random
import time as clock
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booking_app.demo.bookings import Planner
from booking_app.demo.centre import complete_the_issuer, give_demo_passwords
from booking_app.demo.groups import make_groups
from booking_app.demo.insurance import seed_insurance
from booking_app.demo.lottery import seed_lottery
from booking_app.demo.money import seed_money
from booking_app.demo.tables import TERMINAL
from booking_app.demo.visits import seed_walkins
from booking_app.demo.waitlist import seed_waitlist
from booking_app.demo.year import seed_previous_year, seed_this_year
from booking_app.domain import hours
from booking_app.domain import japanese_calendar as jcal
from booking_app.domain.booking_rules import BookingStatus
from booking_app.services.centre import get_profile, list_staff
from booking_app.services.common import audit
from booking_app.services.fees import get_fees
from booking_app.services.stats.ledger import walkin_categories
from booking_app.store.models import Booking, EquipmentType, Room


def seed_demo(session: Session, *, today: date, seed: int = 7, groups: int = 300) -> dict[str, int | float | str]:
    """Fill the database with demo groups and bookings; returns counts of what was made.

    Runs inside the caller's transaction after ``ensure_initial_data``; existing bookings are
    respected (nothing is booked over them), so seeding twice only adds what still fits.
    """
    t0 = clock.perf_counter()
    rng = random.Random(seed)
    staff = list_staff(session)
    give_demo_passwords(session, datetime.combine(today, time(8, 30)))
    desk = next((s for s in staff if s.role == "desk"), staff[0]).as_actor()
    manager = next((s for s in staff if s.role == "manager"),
                   next(s for s in staff if s.role in ("manager", "admin"))).as_actor()
    fy = jcal.fiscal_year(today)
    first, fiscal_end = jcal.fiscal_year_range(fy)
    now = datetime.combine(today, time(8, 45))
    rooms = {r.name: r for r in session.scalars(select(Room).where(Room.active.is_(True)).order_by(Room.sort_order))}
    types = {t.name: t for t in session.scalars(select(EquipmentType).where(EquipmentType.active.is_(True)))}

    complete_the_issuer(session, manager, now=datetime.combine(first - timedelta(days=31), time(8, 50)))
    profile = get_profile(session)
    last = hours.window_end(profile, today, True)
    made = make_groups(session, rng, now=datetime.combine(first - timedelta(days=31), time(9, 0)),
                       staff_id=manager.id, count=groups, fiscal_end=fiscal_end, fiscal_start=first)
    active = [g for g in made if g.status == "active"]
    # Every bulk booking is planned as the desk's save plans it, from the facts read once here.
    all_types = session.scalars(select(EquipmentType)).all()
    planner = Planner(get_fees(session), profile, session.scalars(select(Room)).all(), all_types, made, desk)
    # Last year first, so its bookings carry the lower numbers, as they would.
    previous = seed_previous_year(session, random.Random(f"{seed}-previous"), profile=profile, fiscal_year=fy - 1,
                                  rooms=rooms, types=types, groups=made, planner=planner, desk=desk, today=today)
    year, events, event_users = seed_this_year(
        session, rng, seed=seed, desk=desk, profile=profile, rooms=rooms, types=types, active=active,
        planner=planner, first=first, last=last, today=today, now=now)
    walkins = seed_walkins(session, random.Random(f"{seed}-walkins"), profile=profile, first=first, upto=today,
                           staff_id=desk.id, categories=walkin_categories(session))

    # ---- money: a fiscal year of receipts, printing logs, cash-ups; then insurance premiums
    money = seed_money(session, random.Random(f"{seed}-money"), bookings=year.bookings, charged=year.charges,
                       profile=profile, types=types, today=today, first=first, desk=desk, manager=manager)
    money |= seed_insurance(session, today=today, rng_or_seed=f"{seed}-insurance", counts=money)
    money |= seed_lottery(session, random.Random(f"{seed}-lottery"), today=today, seed=seed, groups=active, desk=desk,
                          manager=manager)  # 抽選: a month drawn, the next with entries (demo/lottery.py)
    money |= seed_waitlist(session, random.Random(f"{seed}-waitlist"), today=today, groups=active, desk=desk)

    skipped = session.scalar(select(func.count()).select_from(Booking).where(
        Booking.status == BookingStatus.SKIPPED.value, Booking.series_id.in_(year.series_ids or [0]))) or 0
    result: dict[str, int | float | str] = {
        "groups": len(made),
        "groups_active": len(active),
        "series": len(year.series_ids),
        "series_bookings": year.series_rows,
        "single_bookings": year.singles,
        "bookings": year.series_rows + year.singles,
        "skipped": skipped,
        "completed": year.statuses[BookingStatus.COMPLETED.value],
        "cancelled": year.statuses[BookingStatus.CANCELLED.value],
        "no_show": year.statuses[BookingStatus.NO_SHOW.value],
        "tentative": year.statuses[BookingStatus.TENTATIVE.value],
        "confirmed": year.statuses[BookingStatus.CONFIRMED.value],
        "equipment_lines": sum(len(b.equipment) for b in year.bookings),
        "walkins": walkins,
        "events": events,
        "event_users": event_users,
        **previous,
        **money,
        "first_day": first.isoformat(),
        "last_day": last.isoformat(),
        "seconds": round(clock.perf_counter() - t0, 2),
    }
    audit(session, manager, "seed_demo", "demo", None,
          f"デモデータを作成（団体{result['groups']}件、予約{result['bookings']}件、繰り返し予約{len(year.series_ids)}件、"
          f"{jcal.format_slash(first)}〜{jcal.format_slash(last)}）",
          after={k: v for k, v in result.items() if k != "seconds"} | {"seed": seed, "today": today.isoformat()},
          now=now)
    return result


__all__ = ["TERMINAL", "seed_demo", "seed_insurance"]
