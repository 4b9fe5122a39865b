"""Opening rules for a date (開館日・開館時間・予約受付期間), all pure functions of the profile.

Precedence for whether the centre is open on a day, strongest first:
1. 臨時開館 (profile.open_dates): open, even inside 年末年始 or on a regular closed weekday;
2. 臨時休館 (profile.closed_dates);
3. yearly closures such as 年末年始 12/29–1/3;
4. a regular closed day (定休日): the day's hours entry is None. On a national holiday the
   'holiday' entry is the day's entry, so a holiday follows the holiday hours whatever weekday it is.

Slot intervals are half-open [start, end): a 9:00–22:00 booking fits a 9:00–22:00 day, and a
booking ending at 12:00 does not collide with one starting at 12:00.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from booking_app.domain import japanese_calendar as jcal
from booking_app.domain.profile import HOUR_KEYS, CentreProfile, DateNote, Period

REGULAR_CLOSED_REASON = "定休日"
TEMPORARY_CLOSED_REASON = "臨時休館"


@dataclass(frozen=True)
class RuleBreak:
    """One broken booking rule (規則違反) with a Japanese message; services decide whether a manager
    may override it (they usually turn it into a RuleError)."""

    code: str
    message: str


def _hours_key(d: dt.date) -> str:
    return "holiday" if jcal.is_holiday(d) else HOUR_KEYS[d.weekday()]


def _find_note(notes: Iterable[DateNote], d: dt.date) -> DateNote | None:
    return next((n for n in notes if n.date == d), None)


def closure_reason(profile: CentreProfile, d: dt.date) -> str | None:
    """Why the centre is closed on d ('年末年始休館', '定休日', a 臨時休館 reason), or None if open."""
    if _find_note(profile.open_dates, d) is not None:
        return None
    note = _find_note(profile.closed_dates, d)
    if note is not None:
        return note.reason or TEMPORARY_CLOSED_REASON
    for closure in profile.yearly_closures:
        if closure.contains(d):
            return closure.reason or TEMPORARY_CLOSED_REASON
    if profile.hours.get(_hours_key(d)) is None:
        return REGULAR_CLOSED_REASON
    return None


def opening_hours(profile: CentreProfile, d: dt.date) -> tuple[dt.time, dt.time] | None:
    """(open, close) on d, or None when closed. Holiday hours apply on national holidays."""
    if closure_reason(profile, d) is not None:
        return None
    span = profile.hours.get(_hours_key(d))
    if span is None:
        # 臨時開館 on a day that normally has no hours: use the first weekday that has hours, the
        # centre's ordinary day. Staff can narrow a specific booking by hand.
        span = next((profile.hours[k] for k in HOUR_KEYS if profile.hours.get(k)), None)
    return span


def periods_for(profile: CentreProfile, d: dt.date) -> tuple[Period, ...]:
    """The booking periods (時間区分) offered on d; empty when closed."""
    if closure_reason(profile, d) is not None:
        return ()
    key = "sunday_holiday" if jcal.day_kind(d) == "sunday_holiday" else "weekday"
    return tuple(profile.periods.get(key, ()))


def _day_label(d: dt.date) -> str:
    return jcal.format_western(d)


def check_slot(profile: CentreProfile, start: dt.datetime, end: dt.datetime) -> list[RuleBreak]:
    """Every rule the slot [start, end) breaks; an empty list means it fits the centre's hours."""
    if end <= start:
        return [RuleBreak("order", "終了時刻は開始時刻より後にしてください")]
    breaks: list[RuleBreak] = []
    day = start.date()
    # An end at exactly midnight is 24:00 of the same day, not the next day.
    ends_at_midnight = end == dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), end.tzinfo)
    if end.date() != day and not ends_at_midnight:
        breaks.append(RuleBreak("multi_day", "日をまたぐ予約はできません。日ごとに分けて予約してください"))
    reason = closure_reason(profile, day)
    if reason is not None:
        breaks.append(RuleBreak("closed", f"{_day_label(day)}は{reason}のため予約できません"))
        return breaks
    span = opening_hours(profile, day)
    if span is None:  # only when no day at all has hours; treat like a closed day
        breaks.append(RuleBreak("closed", f"{_day_label(day)}は開館時間が設定されていません"))
        return breaks
    open_t, close_t = span
    start_minutes = start.hour * 60 + start.minute
    end_minutes = 24 * 60 if (ends_at_midnight or end.date() != day) else end.hour * 60 + end.minute
    if start_minutes < open_t.hour * 60 + open_t.minute or end_minutes > close_t.hour * 60 + close_t.minute:
        breaks.append(RuleBreak(
            "hours", f"開館時間（{jcal.format_time(open_t)}〜{jcal.format_time(close_t)}）外です"
        ))
    return breaks


def window_end(profile: CentreProfile, today: dt.date, is_member: bool) -> dt.date:
    """Last bookable day: the end of the month N months after today's month
    (N = member_months_ahead for a registered group, general_months_ahead otherwise)."""
    months = profile.member_months_ahead if is_member else profile.general_months_ahead
    year, month0 = divmod(today.month - 1 + months + 1, 12)  # the month after the target month
    return dt.date(today.year + year, month0 + 1, 1) - dt.timedelta(days=1)


def check_window(profile: CentreProfile, today: dt.date, d: dt.date, is_member: bool) -> RuleBreak | None:
    """Whether d can be booked today: 'past' before today, 'window' beyond the booking window."""
    if d < today:
        return RuleBreak("past", "過去の日付は予約できません")
    last = window_end(profile, today, is_member)
    if d > last:
        who = "登録団体" if is_member else "一般"
        return RuleBreak("window", f"{who}の予約受付は{_day_label(last)}までです")
    return None
