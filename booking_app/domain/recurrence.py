"""Recurring series (繰り返し予約): which dates a repeating booking falls on.

Kinds:
- 'weekly': on the chosen weekdays every ``interval`` weeks (隔週 = 2). Weeks run Monday–Sunday and
  are counted from the week containing ``start``.
- 'monthly_nth': the nth weekday of every ``interval`` months (第2火曜); nth = -1 is the last one
  (最終金曜). With nth = 5 a month that has no 5th such weekday is skipped: no occurrence and no
  substitute date, because "the 5th Tuesday" of such a month does not exist for the group either.
- 'monthly_date': day ``day`` of every ``interval`` months (毎月15日). When a month is too short
  (31st in April, 29th–31st in February) the date moves to that month's last day and the
  occurrence carries the note '月末に調整（31日がないため）', so staff can tell the group.
- 'dates': a free list of dates (日付指定).

The series ends at ``until`` (inclusive) or after ``count`` occurrences, whichever comes first.
Expansion knows nothing about closures: a weekly series across 年末年始 still lists 12/30 and the
caller judges each date with ``hours.closure_reason`` (so the desk can show "skipped: 年末年始休館").

Limits keep a typo from creating thousands of bookings: at most MAX_OCCURRENCES dates, and no date
more than MAX_YEARS years after ``start``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal, Mapping

from dateutil import rrule as rr

from booking_app.domain.errors import ValidationError

MAX_OCCURRENCES = 366
MAX_YEARS = 3

Kind = Literal["weekly", "monthly_nth", "monthly_date", "dates"]
KINDS = ("weekly", "monthly_nth", "monthly_date", "dates")
WEEKDAYS_JA = ("月", "火", "水", "木", "金", "土", "日")
_RR_WEEKDAYS = (rr.MO, rr.TU, rr.WE, rr.TH, rr.FR, rr.SA, rr.SU)


@dataclass(frozen=True)
class Occurrence:
    """One date of a series (予約日) and an optional note explaining an adjustment."""

    date: dt.date
    note: str = ""


@dataclass(frozen=True)
class RecurrenceRule:
    """The rule of a recurring booking (繰り返し予約の条件)."""

    kind: Kind
    start: dt.date
    until: dt.date | None = None  # inclusive
    count: int | None = None
    weekdays: tuple[int, ...] = ()  # weekly: 0=Mon..6=Sun
    interval: int = 1  # every n weeks / n months
    nth: int = 0  # monthly_nth: 1..5, or -1 = last (最終)
    weekday: int = 0  # monthly_nth
    day: int = 0  # monthly_date: 1..31
    dates: tuple[dt.date, ...] = field(default=())  # kind 'dates': a free list

    # -- checks --

    def validate(self) -> None:
        """Raise ValidationError (Japanese) when the rule is incomplete or would be too long."""
        _validate_shape(self)
        _generate(self)  # also checks the size limits

    # -- serialisation --

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "start": self.start.isoformat(),
            "until": self.until.isoformat() if self.until else None,
            "count": self.count,
            "weekdays": list(self.weekdays),
            "interval": self.interval,
            "nth": self.nth,
            "weekday": self.weekday,
            "day": self.day,
            "dates": [d.isoformat() for d in self.dates],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RecurrenceRule:
        try:
            kind = d["kind"]
            if kind not in KINDS:
                raise ValueError(kind)
            return cls(
                kind=kind,
                start=dt.date.fromisoformat(d["start"]),
                until=dt.date.fromisoformat(d["until"]) if d.get("until") else None,
                count=int(d["count"]) if d.get("count") is not None else None,
                weekdays=tuple(int(w) for w in d.get("weekdays", ())),
                interval=int(d.get("interval", 1)),
                nth=int(d.get("nth", 0)),
                weekday=int(d.get("weekday", 0)),
                day=int(d.get("day", 0)),
                dates=tuple(dt.date.fromisoformat(x) for x in d.get("dates", ())),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValidationError("繰り返し条件の保存形式が正しくありません", "recurrence") from exc


# --- expansion ------------------------------------------------------------------------------------

def expand(rule: RecurrenceRule) -> list[Occurrence]:
    """All dates of the series, sorted, without duplicates, within [start, until]."""
    _validate_shape(rule)
    return _generate(rule)


def _horizon(start: dt.date) -> dt.date:
    """The last date a series may reach: MAX_YEARS after start (28 Feb for a 29 Feb start)."""
    try:
        return start.replace(year=start.year + MAX_YEARS)
    except ValueError:
        return dt.date(start.year + MAX_YEARS, 2, 28)


def _validate_shape(rule: RecurrenceRule) -> None:
    f = "recurrence"
    if rule.kind not in KINDS:
        raise ValidationError("繰り返しの種類が正しくありません", f"{f}.kind")
    if rule.kind == "dates":
        if not rule.dates:
            raise ValidationError("日付を1つ以上指定してください", f"{f}.dates")
    elif rule.until is None and rule.count is None:
        raise ValidationError("終了日か回数を指定してください", f"{f}.until")
    if rule.until is not None and rule.until < rule.start:
        raise ValidationError("終了日は開始日以降にしてください", f"{f}.until")
    if rule.count is not None and rule.count < 1:
        raise ValidationError("回数は1以上にしてください", f"{f}.count")
    if rule.count is not None and rule.count > MAX_OCCURRENCES:
        raise ValidationError(f"繰り返しは{MAX_OCCURRENCES}回までです", f"{f}.count")
    if rule.interval < 1:
        raise ValidationError("間隔は1以上にしてください", f"{f}.interval")
    if rule.kind == "weekly":
        if not rule.weekdays:
            raise ValidationError("曜日を1つ以上選んでください", f"{f}.weekdays")
        if any(not 0 <= w <= 6 for w in rule.weekdays):
            raise ValidationError("曜日の指定が正しくありません", f"{f}.weekdays")
    if rule.kind == "monthly_nth":
        if rule.nth not in (1, 2, 3, 4, 5, -1):
            raise ValidationError("第何週かは1〜5か「最終」を選んでください", f"{f}.nth")
        if not 0 <= rule.weekday <= 6:
            raise ValidationError("曜日の指定が正しくありません", f"{f}.weekday")
    if rule.kind == "monthly_date" and not 1 <= rule.day <= 31:
        raise ValidationError("日は1〜31で指定してください", f"{f}.day")
    if rule.until is not None and rule.until > _horizon(rule.start):
        raise ValidationError(f"繰り返しの期間は{MAX_YEARS}年以内にしてください", f"{f}.until")


def _generate(rule: RecurrenceRule) -> list[Occurrence]:
    horizon = _horizon(rule.start)
    last = min(rule.until, horizon) if rule.until else horizon
    # One more than allowed, so that "too many" can be told from "exactly the limit".
    limit = min(rule.count or MAX_OCCURRENCES + 1, MAX_OCCURRENCES + 1)

    if rule.kind == "dates":
        dates = sorted({d for d in rule.dates if d >= rule.start and (rule.until is None or d <= rule.until)})
        if dates and dates[-1] > horizon:
            raise ValidationError(f"繰り返しの期間は{MAX_YEARS}年以内にしてください", "recurrence.dates")
        occurrences = [Occurrence(d) for d in dates[:limit]]
    elif rule.kind == "monthly_date":
        occurrences = _monthly_date(rule, last, limit)
    else:
        occurrences = _rrule(rule, last, limit)

    if len(occurrences) > MAX_OCCURRENCES:
        raise ValidationError(f"繰り返しは{MAX_OCCURRENCES}回までです（期間を短くしてください）", "recurrence")
    ran_out = rule.count is not None and rule.until is None and len(occurrences) < rule.count
    if ran_out and rule.kind != "dates":
        # The count ran past the horizon: the series would last longer than MAX_YEARS.
        raise ValidationError(f"繰り返しの期間は{MAX_YEARS}年以内にしてください", "recurrence.count")
    return occurrences


def _rrule(rule: RecurrenceRule, last: dt.date, limit: int) -> list[Occurrence]:
    freq: Literal[1, 2]  # rr.MONTHLY, rr.WEEKLY: the stubs type rrule's freq as a literal
    if rule.kind == "weekly":
        freq = rr.WEEKLY
        byweekday = tuple(_RR_WEEKDAYS[w] for w in sorted(set(rule.weekdays)))
    else:  # monthly_nth; rrule already yields nothing for a month without a 5th such weekday
        freq = rr.MONTHLY
        byweekday = (_RR_WEEKDAYS[rule.weekday](rule.nth),)
    # until and count together are deprecated in dateutil (RFC 5545), so cut the count by hand.
    gen = rr.rrule(
        freq,
        dtstart=dt.datetime.combine(rule.start, dt.time()),
        interval=rule.interval,
        byweekday=byweekday,
        wkst=rr.MO,
        until=dt.datetime.combine(last, dt.time()),
        cache=False,
    )
    out: list[Occurrence] = []
    for when in gen:
        if len(out) >= limit:
            break
        out.append(Occurrence(when.date()))
    return out


def _monthly_date(rule: RecurrenceRule, last: dt.date, limit: int) -> list[Occurrence]:
    out: list[Occurrence] = []
    month_index = rule.start.year * 12 + rule.start.month - 1
    while len(out) < limit:
        year, month0 = divmod(month_index, 12)
        first = dt.date(year, month0 + 1, 1)
        if first > last:
            break
        month_end = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        if rule.day > month_end.day:
            when, note = month_end, f"月末に調整（{rule.day}日がないため）"
        else:
            when, note = first.replace(day=rule.day), ""
        if rule.start <= when <= last:
            out.append(Occurrence(when, note))
        month_index += rule.interval
    return out


# --- description ----------------------------------------------------------------------------------

def _slash(d: dt.date) -> str:
    return f"{d.year:04d}/{d.month:02d}/{d.day:02d}"


def describe_ja(rule: RecurrenceRule) -> str:
    """A short Japanese description: '毎週 火・木曜 2026/12/01〜2027/03/31', '毎月第2火曜（10回）'."""
    n = rule.interval
    if rule.kind == "weekly":
        days = "・".join(WEEKDAYS_JA[w] for w in sorted(set(rule.weekdays))) + "曜"
        if n == 1:
            text = f"毎週{days}" if len(set(rule.weekdays)) == 1 else f"毎週 {days}"
        else:
            text = f"{'隔週' if n == 2 else f'{n}週ごと'} {days}"
    elif rule.kind == "monthly_nth":
        which = "最終" if rule.nth == -1 else f"第{rule.nth}"
        what = f"{which}{WEEKDAYS_JA[rule.weekday]}曜"
        text = f"毎月{what}" if n == 1 else f"{n}か月ごと {what}"
    elif rule.kind == "monthly_date":
        text = f"毎月{rule.day}日" if n == 1 else f"{n}か月ごと {rule.day}日"
    else:
        return f"日付指定（{len(set(rule.dates))}日）"
    if rule.until is not None:
        text += f" {_slash(rule.start)}〜{_slash(rule.until)}"
    if rule.count is not None:
        text += f"（{rule.count}回）"
    return text
