"""The one ledger of users (利用者数) every figure is read from, and the helpers the stats modules share.

Users are counted once, from three sources, on the date they happened:

* room use: bookings checked out (status 'completed') count their ``actual_users`` on the booking's date;
* walk-ins (来館者カウント): tallies clicked at the counter count on their date until undone;
* the centre's own events (講座・研修・交流会): their attendance on their day.

Each source is an aggregate over an indexed date range (:func:`user_sources`), never a loop over rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import ColumnElement, CompoundSelect, String, case, func, literal, select, union_all
from sqlalchemy.orm import Session

from booking_app.domain import japanese_calendar as jcal
from booking_app.domain.booking_rules import BookingStatus
from booking_app.domain.counting import WALKIN_CATEGORIES
from booking_app.domain.figures import EVENT_CATEGORY, ROOM_CATEGORY
from booking_app.services.centre import get_profile
from booking_app.store.models import Booking, CentreEvent, Staff, WalkInTally

COMPLETED = BookingStatus.COMPLETED.value


def at_midnight(d: date) -> datetime:
    return datetime.combine(d, time())


def month_range(year: int, month: int) -> tuple[date, date]:
    """[first day, first day of the next month)."""
    first = date(year, month, 1)
    return first, date(year + (month == 12), month % 12 + 1, 1)


def fy_range(fiscal_year: int) -> tuple[date, date]:
    """[1 April, 1 April of the next year)."""
    return date(fiscal_year, 4, 1), date(fiscal_year + 1, 4, 1)


def month_label(year: int, month: int) -> str:
    """'令和8年10月'."""
    return f"{jcal.wareki_year(date(year, month, 1))}{month}月"


def staff_names(session: Session) -> dict[int, str]:
    return {i: n for i, n in session.execute(select(Staff.id, Staff.name))}


def walkin_categories(session: Session) -> tuple[str, ...]:
    """The counter's categories: the profile's list when the settings define one, else the defaults."""
    extra = getattr(get_profile(session), "walkin_categories", None)
    return tuple(extra) if extra else WALKIN_CATEGORIES


def category_order(session: Session, found: Mapping[str, int], walkins: tuple[str, ...] | None = None
                   ) -> dict[str, int]:
    """Zero-filled categories in a stable order: rooms, each walk-in category, events, then any other."""
    keys = [ROOM_CATEGORY, *(walkins or walkin_categories(session)), EVENT_CATEGORY]
    keys += sorted(k for k in found if k not in keys)  # e.g. a category removed from the settings since
    return {k: int(found.get(k, 0) or 0) for k in keys}


def _month_key(col: Any, dialect: str) -> ColumnElement[str]:
    """'YYYY-MM' of a date or timestamp column. SQLite stores both as ISO text, so a prefix is the
    month, several times cheaper than extract() (a date parse per row); PostgreSQL formats it."""
    if dialect == "sqlite":
        return func.substr(col, 1, 7)
    return func.to_char(col, "YYYY-MM")


def room_users() -> ColumnElement[int]:
    """SUM of the actual users of checked-out bookings (0 over no rows)."""
    return func.coalesce(func.sum(case((Booking.status == COMPLETED, Booking.actual_users), else_=0)), 0)


def user_sources(lo: date, hi: date, *, by_month: bool, dialect: str = "sqlite") -> CompoundSelect[Any]:
    """One UNION ALL of the three sources of users in [lo, hi), each an aggregate over a date range.

    Bookings: status is tested inside the SUM, not in WHERE, so the planner drives the query from the
    start_at range (ix_bookings_start) instead of the (status, hold_until) index, which would read
    every booking ever checked out. Tallies: ix_walkin_tallies_at; events: ix_centre_events_day.
    Returned columns: category, ['YYYY-MM',] users.
    """
    def month_cols(col: Any) -> list[ColumnElement[str]]:
        return [_month_key(col, dialect).label("ym")] if by_month else []

    b_cols = month_cols(Booking.start_at)
    rooms = (select(literal(ROOM_CATEGORY, String).label("cat"), *b_cols, room_users().label("n"))
             .where(Booking.start_at >= at_midnight(lo), Booking.start_at < at_midnight(hi)))
    t_cols = month_cols(WalkInTally.at)
    tallies = (select(WalkInTally.category.label("cat"), *t_cols, func.sum(WalkInTally.count).label("n"))
               .where(WalkInTally.at >= at_midnight(lo), WalkInTally.at < at_midnight(hi),
                      WalkInTally.undone_at.is_(None))
               .group_by(WalkInTally.category, *t_cols))
    e_cols = month_cols(CentreEvent.day)
    events = (select(literal(EVENT_CATEGORY, String).label("cat"), *e_cols,
                     func.coalesce(func.sum(CentreEvent.attendance), 0).label("n"))
              .where(CentreEvent.day >= lo, CentreEvent.day < hi))
    if by_month:
        rooms = rooms.group_by(*b_cols)
        events = events.group_by(*e_cols)
    return union_all(rooms, tallies, events)


def users_by_category(session: Session, lo: date, hi: date) -> dict[str, int]:
    """Users of [lo, hi) per category, zero-filled in :func:`category_order`."""
    found: dict[str, int] = {}
    for cat, n in session.execute(user_sources(lo, hi, by_month=False)):
        found[cat] = found.get(cat, 0) + int(n or 0)
    return category_order(session, found)


def users_by_month(session: Session, lo: date, hi: date) -> dict[tuple[int, int], dict[str, int]]:
    """Users of [lo, hi) per (year, month) and category (categories without users left out)."""
    out: dict[tuple[int, int], dict[str, int]] = {}
    dialect = session.get_bind().dialect.name
    for cat, ym, n in session.execute(user_sources(lo, hi, by_month=True, dialect=dialect)):
        if ym is None:  # an aggregate over no rows
            continue
        cell = out.setdefault((int(ym[:4]), int(ym[5:7])), {})
        cell[cat] = cell.get(cat, 0) + int(n or 0)
    return out


__all__ = ["COMPLETED", "at_midnight", "month_range", "fy_range", "month_label", "staff_names",
           "walkin_categories", "category_order", "room_users", "user_sources", "users_by_category",
           "users_by_month"]
