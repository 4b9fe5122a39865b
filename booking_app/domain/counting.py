"""Counting users (利用者数) toward the city's yearly target, all pure.

Every user is counted once: room users by the actual head count entered at check-out, walk-ins by
the counter's tallies, the centre's own events by their attendance. The fiscal year runs April to
March; 29,000 users a year over ~359 open days is ~81 a day, ~2,420 a month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from booking_app.domain import japanese_calendar as jcal

# Walk-in categories at the counter [C/P]; the settings may add more.
WALKIN_CATEGORIES = ("交流スペース", "情報コーナー", "相談（来所）", "相談（電話）", "相談（メール）", "印刷機", "見学",
                     "その他")
EVENT_KINDS = ("講座", "研修", "交流会", "その他")


@dataclass(frozen=True)
class Pace:
    """Progress toward the year's target: the pace needed from today and the projected year-end."""

    total: int
    target: int
    percent: float
    days_elapsed: int
    days_left: int
    needed_per_day: float
    current_per_day: float
    projected: int


def pace(total: int, target: int, today: date) -> Pace:
    """Straight-line pace over calendar days of the fiscal year (simple, and what a manager expects)."""
    start, end = jcal.fiscal_year_range(jcal.fiscal_year(today))
    days_total = (end - start).days + 1
    elapsed = min(max((today - start).days + 1, 1), days_total)
    left = days_total - elapsed
    current = total / elapsed
    needed = max(target - total, 0) / left if left > 0 else 0.0
    projected = round(current * days_total)
    percent = 100.0 * total / target if target else 0.0
    return Pace(total, target, percent, elapsed, left, needed, current, projected)


def month_key(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def fiscal_months(fiscal_year: int) -> list[tuple[int, int]]:
    """(year, month) from April to March."""
    return [(fiscal_year + (m < 4), m) for m in (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)]
