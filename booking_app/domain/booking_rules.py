"""Pure booking rules: life-cycle states, interval overlap and equipment peak counting.

A booking (予約) occupies the half-open interval [start, end): 10:00–12:00 and 12:00–13:00 do
not clash. Equipment (備品) is limited by the peak number in use at any single moment, not by the
sum over the day: with 6 projectors, one booked 10–12 and one 13–15 leave 5 free for 09–17.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from enum import StrEnum
from typing import Any

# The SQL twins below are SQLAlchemy Core expressions over a row's columns (an entity or an alias the
# caller passes in): Core only, nothing of the app's store is imported here.
from sqlalchemy import ColumnElement, and_, or_


class BookingStatus(StrEnum):
    """Life cycle of a booking: 仮予約 → 確定 → 利用中 → 利用済, or 取消 / 無断キャンセル."""

    TENTATIVE = "tentative"  # 仮予約: held until a deadline
    CONFIRMED = "confirmed"  # 確定
    IN_USE = "in_use"  # 利用中 (checked in)
    COMPLETED = "completed"  # 利用済 (checked out with the actual number of users)
    CANCELLED = "cancelled"  # 取消 (with a reason)
    NO_SHOW = "no_show"  # 無断キャンセル
    EXPIRED = "expired"  # 仮予約の期限切れ
    SKIPPED = "skipped"  # a series date left out on purpose (closed day, conflict), kept with its reason

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]

    @property
    def blocks_slot(self) -> bool:
        return self in BLOCKING_STATUSES


STATUS_LABELS: dict[BookingStatus, str] = {
    BookingStatus.TENTATIVE: "仮予約",
    BookingStatus.CONFIRMED: "確定",
    BookingStatus.IN_USE: "利用中",
    BookingStatus.COMPLETED: "利用済",
    BookingStatus.CANCELLED: "取消",
    BookingStatus.NO_SHOW: "無断キャンセル",
    BookingStatus.EXPIRED: "期限切れ",
    BookingStatus.SKIPPED: "除外",
}

# Cancelled, expired, skipped and no-show bookings never hold a slot. The same list is written
# into the PostgreSQL exclusion constraint (db/versions), so keep the two in step.
BLOCKING_STATUSES: frozenset[BookingStatus] = frozenset(
    {BookingStatus.TENTATIVE, BookingStatus.CONFIRMED, BookingStatus.IN_USE, BookingStatus.COMPLETED}
)
BLOCKING: tuple[str, ...] = tuple(s.value for s in BookingStatus if s in BLOCKING_STATUSES)
NON_BLOCKING: tuple[str, ...] = tuple(s.value for s in BookingStatus if s not in BLOCKING_STATUSES)
# The status sets every module asks (Python: ``status in X``; SQL: ``Booking.status.in_(X)``), each
# defined here once:
# A past booking still waiting for the desk to enter 利用済 (with users) or 無断キャンセル (統計・月の締め).
UNSETTLED: tuple[str, ...] = (BookingStatus.TENTATIVE.value, BookingStatus.CONFIRMED.value,
                              BookingStatus.IN_USE.value)
# A booking that can still be checked out: 確定・利用中 (the today list's 未チェックアウト; a 仮予約 cannot).
NOT_CHECKED_OUT: tuple[str, ...] = (BookingStatus.CONFIRMED.value, BookingStatus.IN_USE.value)
# The counter's other actions, by the states they start from (the today list enables its buttons by
# these; services.bookings refuses the rest): チェックイン from 仮予約・確定 (not 利用済: that is an undo),
# 無断キャンセル from 確定, and 元に戻す takes a state back to the one before it.
CHECK_IN_FROM: tuple[str, ...] = (BookingStatus.TENTATIVE.value, BookingStatus.CONFIRMED.value)
NO_SHOW_FROM: tuple[str, ...] = (BookingStatus.CONFIRMED.value,)
UNDO_BACK: dict[str, BookingStatus] = {
    BookingStatus.IN_USE.value: BookingStatus.CONFIRMED,
    BookingStatus.COMPLETED.value: BookingStatus.IN_USE,
    BookingStatus.NO_SHOW.value: BookingStatus.CONFIRMED,
}
# A booking that occupies its room for the occupancy rate: a 仮予約 is only a hold, not use.
OCCUPYING: tuple[str, ...] = (BookingStatus.CONFIRMED.value, BookingStatus.IN_USE.value,
                              BookingStatus.COMPLETED.value)
# The states a booking can still be edited in; also those whose open charges follow its quote.
EDITABLE: tuple[str, ...] = (BookingStatus.TENTATIVE.value, BookingStatus.CONFIRMED.value)
QUOTED: tuple[str, ...] = EDITABLE
# A booking that will never be used: its open charges are cancelled.
DEAD: tuple[str, ...] = (BookingStatus.CANCELLED.value, BookingStatus.SKIPPED.value, BookingStatus.EXPIRED.value)

# Member-group states that may not book at all (停止・抹消), with the word the desk's message uses.
GROUP_BARRED: dict[str, str] = {"suspended": "利用停止中", "deregistered": "登録抹消済み"}


def override_wanted(reason: str | None) -> bool:
    """A written reason asks for a rule to be overridden (only a manager's is accepted)."""
    return bool((reason or "").strip())


def override_allowed(reason: str | None, is_manager: bool) -> bool:
    """The override rule: a rule (closed day, hours, window) gives way to a manager's written reason."""
    return override_wanted(reason) and is_manager



# --------------------------------------------------------------------------- what blocks a slot, today
#
# THE definition of "this booking holds its slot". A booking blocks when its state
# is one of BLOCKING_STATUSES, except a 仮予約 whose hold deadline (hold_until, the last day it is held)
# is before today: that hold has lapsed and blocks nothing, whether or not a write has turned it into
# 期限切れ yet (expire_overdue_holds does that inside the next write, before any conflict check).
#
# Python code asks ``blocks_slot``/``status_on``; SQL asks ``blocks_slot_sql`` / ``hold_lapsed_sql``
# below, the same rule written as a SQLAlchemy expression. Every conflict, availability and
# preview query uses those two, and tests/services/test_lapsed_holds.py checks that both spellings
# agree for every state and deadline on SQLite and PostgreSQL.


def hold_lapsed(status: str, hold_until: date | None, today: date) -> bool:
    """A 仮予約 past its deadline (held through ``hold_until``, free from the day after)."""
    return status == BookingStatus.TENTATIVE.value and hold_until is not None and hold_until < today


def hold_lapsed_sql(today: date | ColumnElement[date], row: Any) -> ColumnElement[bool]:
    """SQL twin of :func:`hold_lapsed`; ``row`` is the Booking entity or an alias of it, ``today`` a date
    or a bound parameter for one (a statement built once). Uses the (status, hold_until) index."""
    tentative = BookingStatus.TENTATIVE.value
    return and_(row.status == tentative, row.hold_until.is_not(None), row.hold_until < today)


def status_on(status: str, hold_until: date | None, today: date) -> BookingStatus:
    """The state as the desk should see it today: a lapsed 仮予約 is 期限切れ, marked or not."""
    return BookingStatus.EXPIRED if hold_lapsed(status, hold_until, today) else BookingStatus(status)


def blocks_slot(status: str, hold_until: date | None, today: date) -> bool:
    """Whether the booking holds its room and equipment today (the one rule; see above)."""
    return status_on(status, hold_until, today) in BLOCKING_STATUSES


def blocks_slot_sql(today: date | ColumnElement[date], row: Any) -> ColumnElement[bool]:
    """SQL twin of :func:`blocks_slot`, THE rule every conflict and availability query uses.

    A live state, and not a lapsed hold. Written as ``NOT IN`` the other states (same meaning as
    ``IN`` BLOCKING, see the PERF note in ``services.bookings.equipment_in_use``: it cannot pull SQLite's
    plan onto the status index) and as an OR that stays true for a NULL deadline (NOT of the lapsed test
    would be NULL there).
    """
    tentative = BookingStatus.TENTATIVE.value
    return and_(row.status.not_in(NON_BLOCKING),
                or_(row.status != tentative, row.hold_until.is_(None), row.hold_until >= today))


# Which transitions the desk may make. Anything else is refused with a Japanese message.
ALLOWED_TRANSITIONS: dict[BookingStatus, frozenset[BookingStatus]] = {
    BookingStatus.TENTATIVE: frozenset(
        {BookingStatus.CONFIRMED, BookingStatus.CANCELLED, BookingStatus.EXPIRED, BookingStatus.IN_USE}
    ),
    # 確定 → 利用済 directly: a group that left before staff checked it in is settled the next day.
    BookingStatus.CONFIRMED: frozenset(
        {BookingStatus.IN_USE, BookingStatus.COMPLETED, BookingStatus.CANCELLED, BookingStatus.NO_SHOW}
    ),
    BookingStatus.IN_USE: frozenset({BookingStatus.COMPLETED, BookingStatus.CONFIRMED}),
    BookingStatus.COMPLETED: frozenset({BookingStatus.IN_USE}),  # undo of a mistaken check-out
    BookingStatus.CANCELLED: frozenset(),
    BookingStatus.NO_SHOW: frozenset({BookingStatus.CONFIRMED}),  # undo of a mistaken no-show
    BookingStatus.EXPIRED: frozenset(),
    BookingStatus.SKIPPED: frozenset(),
}


def can_transition(old: BookingStatus, new: BookingStatus) -> bool:
    return new in ALLOWED_TRANSITIONS[old]


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    """Half-open overlap test, the same one the SQL queries use: start < other_end AND other_start < end."""
    return a_start < b_end and b_start < a_end


def peak_in_use(
    intervals: Iterable[tuple[datetime, datetime, int]], window_start: datetime, window_end: datetime
) -> int:
    """Largest total quantity in use at any instant inside [window_start, window_end).

    A sweep over start (+qty) and end (−qty) events; ends sort before starts at the same instant,
    because a projector returned at 12:00 can be handed out again at 12:00.
    """
    events: list[tuple[datetime, int]] = []
    for start, end, qty in intervals:
        s, e = max(start, window_start), min(end, window_end)
        if s < e and qty > 0:
            events.append((s, qty))
            events.append((e, -qty))
    events.sort(key=lambda ev: (ev[0], ev[1]))
    current = peak = 0
    for _, delta in events:
        current += delta
        peak = max(peak, current)
    return peak
