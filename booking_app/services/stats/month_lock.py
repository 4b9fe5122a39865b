"""The lock a closed month puts on counted data (締め済みの月): one indexed lookup per change.

A manager closes a month (``month_close.close_month``); counted data dated in it (check-outs, walk-in
tallies, event attendance) can then no longer change: a correction is an amendment (訂正). This module
imports no other stats module, so the booking service can ask it without an import cycle.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking_app.domain.errors import MonthClosed
from booking_app.store.models import MonthClosing


def is_month_closed(session: Session, year: int, month: int) -> bool:
    return session.scalar(select(MonthClosing.id).where(MonthClosing.year == year,
                                                        MonthClosing.month == month)) is not None


def closed_message(year: int, month: int) -> str:
    return f"{year}年{month}月は締め済みです。訂正は管理者が「訂正」で行ってください。"


def ensure_month_open(session: Session, day: date) -> None:
    """Refuse a change to counted data dated ``day`` when its month is closed (one indexed lookup)."""
    if is_month_closed(session, day.year, day.month):
        raise MonthClosed(closed_message(day.year, day.month))


__all__ = ["is_month_closed", "closed_message", "ensure_month_open"]
