"""The one clock (時計) through which the current time enters the app.

Everything that depends on "now" (booking windows, holds, the fiscal year, the April renewal of groups,
insurance cover, statistics, demo data, backup names) asks :func:`now` or :func:`today`; nothing else in
``booking_app`` reads the wall clock (``tests/test_clock_discipline.py`` fails if something does).

Why one module-level clock rather than a clock object handed to every service: services already take an
optional ``now=``/``today=`` where a caller has a reason to choose the day, and threading a clock
argument through every page, dialog and background job would add a parameter to hundreds of calls
without making anything safer. What must be controllable — the instant the whole app believes it is —
is controlled here, in one place:

* the app runs on :class:`SystemClock` (Japan time, whatever the PC's zone);
* ``--today 2027-03-31`` / ``--now "2027-03-31 10:00"`` run the app, the demo, ``--screenshot`` and the
  headless commands as of that moment, with the clock ticking on from there (:class:`ShiftedClock`);
* the tests pin it to one instant (:class:`FixedClock`, ``tests/conftest.py``), and a test that needs
  another day says so with ``@pytest.mark.now("…")``.

Times are Japan time without a zone (naive), whole seconds, as every timestamp in the database is stored.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from datetime import date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

JST = ZoneInfo("Asia/Tokyo")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment in Japan time, naive, whole seconds."""


class SystemClock:
    """The PC's clock, read in Japan time."""

    def now(self) -> datetime:
        return datetime.now(JST).replace(tzinfo=None, microsecond=0)

    def __repr__(self) -> str:
        return "SystemClock()"


class FixedClock:
    """Always the same instant (tests). ``advance`` moves it on, as a test that needs time to pass says."""

    def __init__(self, instant: datetime):
        self._instant = _naive_jst(instant)

    def now(self) -> datetime:
        return self._instant

    def advance(self, **delta: float) -> None:
        from datetime import timedelta

        self._instant = self._instant + timedelta(**delta)

    def __repr__(self) -> str:
        return f"FixedClock({self._instant.isoformat(sep=' ')})"


class ShiftedClock:
    """Starts at a chosen instant and ticks on with real time (``--today`` / ``--now`` for demos,
    screenshots and support: the desk works as on that day, and the time still moves)."""

    def __init__(self, start: datetime):
        self._start = _naive_jst(start)
        self._t0 = time.monotonic()

    def now(self) -> datetime:
        from datetime import timedelta

        elapsed = timedelta(seconds=int(time.monotonic() - self._t0))
        return self._start + elapsed

    def __repr__(self) -> str:
        return f"ShiftedClock({self._start.isoformat(sep=' ')})"


def _naive_jst(value: datetime) -> datetime:
    if value.tzinfo is not None:
        value = value.astimezone(JST).replace(tzinfo=None)
    return value.replace(microsecond=0)


_clock: Clock = SystemClock()


def now() -> datetime:
    """The current moment (Japan time, naive, whole seconds) by the app's clock."""
    return _clock.now()


def today() -> date:
    """Today's date by the app's clock."""
    return _clock.now().date()


def current() -> Clock:
    return _clock


def set_clock(clock: Clock) -> Clock:
    """Make ``clock`` the app's clock; returns the one it replaces."""
    global _clock
    previous, _clock = _clock, clock
    return previous


@contextlib.contextmanager
def using(clock: Clock) -> Iterator[Clock]:
    """``with clock.using(FixedClock(…)):`` — the app runs on ``clock`` inside the block only."""
    previous = set_clock(clock)
    try:
        yield clock
    finally:
        set_clock(previous)


def parse_moment(text: str) -> datetime:
    """``2027-03-31`` (10:00 that day: the centre is open, the morning's bookings under way) or
    ``2027-03-31 14:30[:00]`` / ``…T14:30``.

    Raises ValueError with a Japanese message naming the expected form."""
    raw = text.strip()
    try:
        if len(raw) == 10:
            return datetime.combine(date.fromisoformat(raw), datetime.min.time()).replace(hour=10)
        return _naive_jst(datetime.fromisoformat(raw.replace(" ", "T", 1)))
    except ValueError:
        raise ValueError(
            f"日時は YYYY-MM-DD または YYYY-MM-DD HH:MM の形で指定してください（「{text}」）") from None
