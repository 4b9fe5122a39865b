"""Small reads the screens need that no larger service answers: each takes a session and returns plain data.

They were queries written inside the pages (the ``ui-no-sql`` contract in ``.importlinter`` now keeps SQL
out of ``ui/``): the terminals that handled money on a day (日計表), the live dates of a series (伝票の印刷),
a group's last status check (団体), the month closings of a fiscal year (月次締め; their amendments are
``services.stats.amendments.year_amendments``), the
database login names of the staff (アカウント).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking_app import clock
from booking_app.domain.counting import fiscal_months
from booking_app.services.booking_views import blocks_slot_sql
from booking_app.store.models import (
    Booking,
    GroupVerification,
    MonthClosing,
    Receipt,
    ReceiptVoid,
    Staff,
    )


def terminals_on(session: Session, day: date) -> set[str]:
    """The terminals that issued or voided a receipt on ``day`` (local time)."""
    start = datetime.combine(day, time())
    end = start + timedelta(days=1)
    names = set(session.scalars(select(Receipt.terminal).where(Receipt.issued_at >= start,
                                                               Receipt.issued_at < end).distinct()))
    names |= set(session.scalars(select(ReceiptVoid.terminal).where(ReceiptVoid.at >= start,
                                                                    ReceiptVoid.at < end).distinct()))
    return {n for n in names if n}


def live_series_booking_ids(session: Session, series_id: int, today: date | None = None) -> list[int]:
    """The series' bookings that still hold their slot (as of ``today``), in date order."""
    today = clock.today() if today is None else today
    return list(session.scalars(select(Booking.id).where(Booking.series_id == series_id, blocks_slot_sql(today))
                                .order_by(Booking.start_at, Booking.id)))


@dataclass(frozen=True)
class LastVerification:
    at: datetime
    staff_name: str
    status_seen: str | None


def last_verification(session: Session, group_id: int) -> LastVerification | None:
    """The group's latest status check (状況確認): when, by whom, and the status seen; None if never."""
    row = session.execute(
        select(GroupVerification.at, Staff.name, GroupVerification.status_seen)
        .join(Staff, Staff.id == GroupVerification.staff_id)
        .where(GroupVerification.group_id == group_id)
        .order_by(GroupVerification.at.desc(), GroupVerification.id.desc()).limit(1)
    ).first()
    return None if row is None else LastVerification(row[0], row[1], row[2])


def month_closings(session: Session, fy: int) -> dict[tuple[int, int], tuple[datetime, str]]:
    """Closed months of the fiscal year: (year, month) → (closed_at, who)."""
    months = set(fiscal_months(fy))
    q = select(MonthClosing.year, MonthClosing.month, MonthClosing.closed_at, Staff.name) \
        .join(Staff, Staff.id == MonthClosing.closed_by, isouter=True) \
        .where(MonthClosing.year.in_({y for y, _m in months}))
    return {(y, m): (at, name or "") for y, m, at, name in session.execute(q) if (y, m) in months}


def staff_db_logins(session: Session) -> dict[int, str | None]:
    """staff id → database login name (PostgreSQL; the column arrives with migration 0009)."""
    return dict(session.execute(select(Staff.id, Staff.db_login)).all())


__all__ = ["terminals_on", "live_series_booking_ids", "LastVerification", "last_verification", "month_closings",
           "staff_db_logins"]
