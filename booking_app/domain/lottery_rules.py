"""The lottery's rules (抽選の規則) as data, and the calendar arithmetic of its monthly cycle.

The popular rooms are allocated by a monthly lottery (抽選) instead of whoever phones first (issue 18).
The values live in the centre profile's ``lottery`` table (``resources/centre_profile.toml`` ships the
defaults); ``CentreProfile.lottery`` *is* a :class:`LotteryRules`, and ``lottery_rules(profile)`` hands it
to the services. Everything here is pure: ``today`` is always an argument.

The cycle for a lottery month T (the month of use; every ``month`` argument below means T, any day of it):

* entry month M = T − ``months_ahead`` (3 by default, like ``member_months_ahead``);
* entries are taken from day ``entry_open_day`` through day ``entry_close_day`` of M (both inclusive);
* the draw is on day ``draw_day`` of M;
* a 当選 becomes a 仮予約 held through ``confirm_by`` = draw date + ``confirm_days`` (the hold's last day,
  the ``hold_until`` of booking_rules.hold_lapsed: it lapses the day after);
* the slots left open are booked first-come from day ``first_come_day`` of M.

A day-of-month setting larger than the month (e.g. 31 in February) means the month's last day
(:func:`day_in_month`). ``validate`` checks the order open ≤ close < draw < first-come in the shortest
month (28 days): clamping never reverses an order, so an order that holds in February holds in every month.

No-shows (無断キャンセル): a group with ``no_show_limit`` or more no-shows in the ``no_show_months`` whole
calendar months before the entry month M may not enter the lottery for T. Whole months before M, not
"the last 90 days", so the answer is the same on every day of the entry window and can be explained at
the counter ("9月〜11月に無断キャンセル2回"). ``no_show_limit`` = 0 turns the rule off.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from booking_app.domain.errors import RuleError, ValidationError
from booking_app.domain.setting_values import int_value as _int
from booking_app.domain.setting_values import str_tuple

if TYPE_CHECKING:  # profile.py imports this module; the type is only needed for annotations
    from booking_app.domain.profile import CentreProfile

# The settings, in the order the settings screen and to_dict list them, with their Japanese labels.
INT_SETTINGS: dict[str, str] = {
    "months_ahead": "抽選の対象月（何か月先）",
    "entry_open_day": "抽選の申込開始日",
    "entry_close_day": "抽選の申込締切日",
    "draw_day": "抽選日",
    "confirm_days": "当選の確定期限（抽選日から何日）",
    "first_come_day": "抽選後の先着受付開始日",
    "max_entries_per_group": "1団体の月の申込上限（件）",
    "max_wins_per_group": "1団体の月の当選上限（件）",
    "no_show_limit": "抽選申込停止となる無断キャンセル回数",
    "no_show_months": "無断キャンセルを数える期間（か月）",
}
DAY_SETTINGS = ("entry_open_day", "entry_close_day", "draw_day", "first_come_day")


@dataclass(frozen=True)
class LotteryRules:
    """The lottery's rules (抽選の規則): which rooms, the monthly cycle, the limits per group."""

    rooms: tuple[str, ...] = ("大会議室", "多目的交流ホール")
    months_ahead: int = 3
    entry_open_day: int = 1
    entry_close_day: int = 10
    draw_day: int = 15
    confirm_days: int = 14
    first_come_day: int = 20
    max_entries_per_group: int = 6  # entries (申込件数) per lottery month, each with its wishes
    max_wins_per_group: int = 4  # won entries (当選件数), as allocation.Limits counts them
    no_show_limit: int = 2
    no_show_months: int = 3

    # -- serialisation (the ``lottery`` key of CentreProfile.to_dict) --

    def to_dict(self) -> dict[str, Any]:
        return {"rooms": list(self.rooms), **{k: getattr(self, k) for k in INT_SETTINGS}}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], base: LotteryRules | None = None) -> LotteryRules:
        """Inverse of to_dict; a key that is absent (or null) comes from ``base`` (the shipped defaults),
        so a copy stored before a setting existed still loads. Malformed values raise ValidationError
        naming ``lottery.<key>``."""
        if not isinstance(d, Mapping):
            raise ValidationError("センター設定：抽選（lottery）の形式が正しくありません", "lottery")
        fallback = base if base is not None else cls()
        rooms = str_tuple(d.get("rooms"), fallback.rooms, "抽選の対象の部屋：部屋名の一覧で指定してください",
                          "lottery.rooms")
        values = {
            k: getattr(fallback, k) if d.get(k) is None else _int(d[k], label, f"lottery.{k}")
            for k, label in INT_SETTINGS.items()
        }
        return cls(rooms=rooms, **values)

    # -- checks --

    def validate(self, room_names: Iterable[str] | None = None) -> None:
        """Raise ValidationError (Japanese, field ``lottery.<key>``) on the first inconsistency.
        ``room_names``: when given, the rooms as the rooms table names them (not ``profile.rooms``,
        which only seeds that table); each lottery room must be one of them."""
        known = None if room_names is None else set(room_names)
        seen: set[str] = set()
        for room in self.rooms:
            if room in seen:
                raise ValidationError(f"抽選の対象の部屋：「{room}」が重複しています", "lottery.rooms")
            seen.add(room)
            if known is not None and room not in known:
                raise ValidationError(
                    f"抽選の対象の部屋：「{room}」という部屋はありません。部屋の一覧にある名称にしてください",
                    "lottery.rooms",
                )
        for key in DAY_SETTINGS:
            value = getattr(self, key)
            if not 1 <= value <= 31:
                raise ValidationError(f"{INT_SETTINGS[key]}：1〜31日にしてください（{value}日）", f"lottery.{key}")
        for key, low in (("months_ahead", 1), ("confirm_days", 0), ("max_entries_per_group", 1),
                         ("max_wins_per_group", 1), ("no_show_limit", 0), ("no_show_months", 1)):
            value = getattr(self, key)
            if value < low:
                raise ValidationError(f"{INT_SETTINGS[key]}：{low}以上にしてください（{value}）", f"lottery.{key}")
        # The order of the cycle, checked in a 28-day month (see the module docstring).
        open_, close, draw, first = (min(getattr(self, k), 28) for k in DAY_SETTINGS)
        if open_ > close:
            raise ValidationError(
                f"抽選の申込締切日（毎月{self.entry_close_day}日）は申込開始日（毎月{self.entry_open_day}日）"
                "以降にしてください", "lottery.entry_close_day")
        if draw <= close:
            raise ValidationError(
                f"抽選日（毎月{self.draw_day}日）は申込締切日（毎月{self.entry_close_day}日）より後にしてください"
                "（2月のような28日の月でも後になるように）", "lottery.draw_day")
        if first <= draw:
            raise ValidationError(
                f"抽選後の先着受付開始日（毎月{self.first_come_day}日）は抽選日（毎月{self.draw_day}日）"
                "より後にしてください（28日の月でも後になるように）", "lottery.first_come_day")
        # A 当選 must be confirmed before its month begins: try every month of a common and a leap year
        # (month lengths repeat, so these 24 cases are all there are).
        for year in (2027, 2028):
            for month in range(1, 13):
                target = dt.date(year, month, 1)
                if confirm_by(self, target) >= target:
                    raise ValidationError(
                        f"当選の確定期限（抽選日から{self.confirm_days}日）が利用月の初日を過ぎます"
                        f"（例：{target.year}年{target.month}月分）。日数を短くしてください",
                        "lottery.confirm_days")
        if self.max_wins_per_group > self.max_entries_per_group:
            raise ValidationError(
                f"1団体の月の当選上限（{self.max_wins_per_group}件）は申込上限（{self.max_entries_per_group}件）"
                "以下にしてください", "lottery.max_wins_per_group")


@dataclass(frozen=True)
class LotteryCycle:
    """The dates of one lottery month's cycle (抽選の日程), for a calendar or a notice."""

    month: dt.date  # the lottery month T (its first day)
    entry_open: dt.date
    entry_close: dt.date
    draw: dt.date
    confirm_by: dt.date
    first_come_from: dt.date


def lottery_rules(profile: CentreProfile) -> LotteryRules:
    """The centre's lottery rules (the profile holds them as a LotteryRules)."""
    return profile.lottery


# --- the calendar ---------------------------------------------------------------------------------

def month_start(d: dt.date) -> dt.date:
    """The first day of d's month."""
    return d.replace(day=1)


def add_months(d: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` after d's month (negative goes back)."""
    year, month0 = divmod(d.year * 12 + d.month - 1 + months, 12)
    return dt.date(year, month0 + 1, 1)


def day_in_month(month: dt.date, day: int) -> dt.date:
    """Day ``day`` of ``month``'s month; a day the month lacks (31 in April, 29 in a common February)
    is the month's last day."""
    last = calendar.monthrange(month.year, month.month)[1]
    return dt.date(month.year, month.month, min(day, last))


def entry_month(rules: LotteryRules, month: dt.date) -> dt.date:
    """The month M in which entries for lottery month ``month`` are taken and drawn (its first day)."""
    return add_months(month, -rules.months_ahead)


def entry_window(rules: LotteryRules, month: dt.date) -> tuple[dt.date, dt.date]:
    """The first and the last day (both inclusive) on which entries for ``month`` are taken."""
    m = entry_month(rules, month)
    return day_in_month(m, rules.entry_open_day), day_in_month(m, rules.entry_close_day)


def draw_date(rules: LotteryRules, month: dt.date) -> dt.date:
    """The day of the draw for ``month`` (day ``draw_day`` of the entry month, or its last day)."""
    return day_in_month(entry_month(rules, month), rules.draw_day)


def confirm_by(rules: LotteryRules, month: dt.date) -> dt.date:
    """The last day a 当選 仮予約 for ``month`` may be confirmed: its hold_until."""
    return draw_date(rules, month) + dt.timedelta(days=rules.confirm_days)


def first_come_from(rules: LotteryRules, month: dt.date) -> dt.date:
    """The first day the lottery rooms' free slots of ``month`` can be booked first-come (2次受付)."""
    return day_in_month(entry_month(rules, month), rules.first_come_day)


def cycle(rules: LotteryRules, month: dt.date) -> LotteryCycle:
    """All the dates of ``month``'s cycle."""
    first, last = entry_window(rules, month)
    return LotteryCycle(month_start(month), first, last, draw_date(rules, month), confirm_by(rules, month),
                        first_come_from(rules, month))


def target_month(rules: LotteryRules, today: dt.date) -> dt.date | None:
    """The lottery month whose entries are taken today (its first day), or None outside the window."""
    month = add_months(today, rules.months_ahead)
    first, last = entry_window(rules, month)
    return month if first <= today <= last else None


def is_lottery_room(rules: LotteryRules, room_name: str) -> bool:
    """Whether ``room_name`` is allocated by lottery (exact name as in the profile's rooms)."""
    return room_name in rules.rooms


# --- checks at the counter ------------------------------------------------------------------------

def check_entry_window(rules: LotteryRules, today: dt.date, use_day: dt.date) -> None:
    """RuleError unless entries for ``use_day``'s month are taken today."""
    first, last = entry_window(rules, use_day)
    if not first <= today <= last:
        raise RuleError(
            f"{use_day.year}年{use_day.month}月分の抽選の申込は{_md(first)}から{_md(last)}までです", "date")


def check_entry_limits(rules: LotteryRules, entries_so_far: int, adding: int = 1) -> None:
    """RuleError when ``adding`` more entries would take a group over ``max_entries_per_group`` for one
    lottery month (``entries_so_far``: the group's entries for that month already taken). An entry is one
    申込 (``allocation.Entry``) with its ranked wishes, each wish possibly an all-or-nothing set: it
    counts once, however many wishes and slots it lists."""
    if entries_so_far + adding > rules.max_entries_per_group:
        left = max(rules.max_entries_per_group - entries_so_far, 0)
        raise RuleError(
            f"抽選の申込は1団体につき月{rules.max_entries_per_group}件までです"
            f"（申込済み{entries_so_far}件、あと{left}件）", "entries")


def wins_left(rules: LotteryRules, wins_so_far: int) -> int:
    """How many more entries a group may win in one lottery month (``max_wins_per_group``, counted as
    ``allocation.Limits.max_wins_per_group`` counts: won entries, 当選件数) — 0 after the draw means
    its wins are used up."""
    return max(rules.max_wins_per_group - wins_so_far, 0)


def check_first_come(rules: LotteryRules, room_name: str, use_day: dt.date, today: dt.date) -> None:
    """RuleError when a lottery room on ``use_day`` may not yet be booked first-come today: before
    ``first_come_from`` its slots belong to the lottery. Other rooms are never refused here."""
    if not is_lottery_room(rules, room_name):
        return
    opens = first_come_from(rules, use_day)
    if today < opens:
        raise RuleError(
            f"{room_name}の{use_day.year}年{use_day.month}月分は抽選で決まります。"
            f"抽選の申込は{_md(entry_window(rules, use_day)[0])}〜{_md(entry_window(rules, use_day)[1])}、"
            f"先着順の受付は{_md(opens)}からです", "room")


# --- no-shows -------------------------------------------------------------------------------------

def no_show_span(rules: LotteryRules, month: dt.date) -> tuple[dt.date, dt.date]:
    """The days (both inclusive) whose no-shows count against entering the lottery for ``month``: the
    ``no_show_months`` whole months before the entry month."""
    m = entry_month(rules, month)
    return add_months(m, -rules.no_show_months), m - dt.timedelta(days=1)


def counted_no_shows(rules: LotteryRules, no_show_dates: Iterable[dt.date], month: dt.date) -> int:
    """How many of ``no_show_dates`` (the days of the group's 無断キャンセル) count for ``month``."""
    first, last = no_show_span(rules, month)
    return sum(1 for d in no_show_dates if first <= d <= last)


def barred_by_no_shows(rules: LotteryRules, no_show_dates: Iterable[dt.date], month: dt.date) -> bool:
    """Whether the group may not enter the lottery for ``month`` because of its no-shows."""
    return rules.no_show_limit > 0 and counted_no_shows(rules, no_show_dates, month) >= rules.no_show_limit


def no_show_reason(rules: LotteryRules, no_show_dates: Iterable[dt.date], month: dt.date) -> str | None:
    """The Japanese reason shown at the counter when the group is barred, else None."""
    dates = list(no_show_dates)
    if not barred_by_no_shows(rules, dates, month):
        return None
    first, last = no_show_span(rules, month)
    count = counted_no_shows(rules, dates, month)
    return (f"{_ym(first)}〜{_ym(last)}に無断キャンセルが{count}回あるため"
            f"（{rules.no_show_months}か月に{rules.no_show_limit}回以上）、"
            f"{month.year}年{month.month}月分の抽選には申し込めません")


def check_no_shows(rules: LotteryRules, no_show_dates: Iterable[dt.date], month: dt.date) -> None:
    """RuleError with :func:`no_show_reason` when the group is barred."""
    reason = no_show_reason(rules, no_show_dates, month)
    if reason is not None:
        raise RuleError(reason, "group")


# --- helpers --------------------------------------------------------------------------------------

def _md(d: dt.date) -> str:
    # With the year: the entry month is often in the year before the lottery month.
    return f"{d.year}年{d.month}月{d.day}日"


def _ym(d: dt.date) -> str:
    return f"{d.year}年{d.month}月"
