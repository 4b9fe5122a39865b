"""Days a test can book on, found from the pinned clock and the centre's calendar.

A test that runs at the pinned moment must not assume today is an ordinary Wednesday: under the calendar
sweep (tests/pinning.py) today may be 12/28, a Sunday or 3/31, and "today + 7" may be 1/4 or inside
年末年始. These helpers walk forward from the clock's today to the next day the shipped centre profile
has open (no 休館, hours that cover the wanted time) and, if asked, that falls on a given weekday.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from booking_app import clock
from booking_app.domain.hours import closure_reason, opening_hours
from booking_app.domain.profile import load_default_profile


def is_open(d: date, start: time = time(9, 0), end: time = time(17, 0)) -> bool:
    """The shipped profile has ``d`` open from ``start`` to ``end``."""
    profile = load_default_profile()
    if closure_reason(profile, d) is not None:
        return False
    hours = opening_hours(profile, d)
    return hours is not None and hours[0] <= start and end <= hours[1]


def open_day(*, after: int = 1, weekday: int | None = None, start: time = time(9, 0),
             end: time = time(17, 0), base: date | None = None) -> date:
    """The first day at least ``after`` days from today (by the clock) that is open ``start``–``end``
    and, with ``weekday`` (0 = Monday), falls on that weekday."""
    d = (base or clock.today()) + timedelta(days=after)
    for _ in range(400):
        if (weekday is None or d.weekday() == weekday) and is_open(d, start, end):
            return d
        d += timedelta(days=1)
    raise AssertionError("no open day within 400 days of the pinned today")  # pragma: no cover


def open_weekdays(count: int, *, weekday: int, after: int = 1, start: time = time(9, 0),
                  end: time = time(17, 0)) -> list[date]:
    """``count`` consecutive same-weekday dates from the first open one: every one of them open."""
    first = open_day(after=after, weekday=weekday, start=start, end=end)
    while True:
        days = [first + timedelta(weeks=i) for i in range(count)]
        if all(is_open(d, start, end) for d in days):
            return days
        first = open_day(after=1, weekday=weekday, start=start, end=end, base=first)


def at(d: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(d, time(hour, minute))
