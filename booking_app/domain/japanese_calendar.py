"""Japanese calendar conventions (和暦・祝日・年度) used throughout the desk.

Everything here is pure and locale-independent: weekday names and era names are spelled out in
code rather than taken from the OS locale, because a Windows desk PC may run in any locale.
National holidays come from the maintained ``holidays`` library (DOMAIN.md: no hand-kept table),
which already knows 振替休日 and 国民の休日.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from functools import lru_cache
from typing import Iterable, Literal

import holidays

from booking_app.domain.errors import ValidationError

WEEKDAYS_JA = ("月", "火", "水", "木", "金", "土", "日")

# (era name, romaji initial, first day). Newest first so a scan finds the current era quickly.
# 大正 and 明治 are kept so that old 設立年月日 in the group register can still be shown and typed.
ERAS: tuple[tuple[str, str, dt.date], ...] = (
    ("令和", "R", dt.date(2019, 5, 1)),
    ("平成", "H", dt.date(1989, 1, 8)),
    ("昭和", "S", dt.date(1926, 12, 25)),
    ("大正", "T", dt.date(1912, 7, 30)),
    ("明治", "M", dt.date(1868, 10, 23)),
)
_ERA_BY_KEY = {key: (name, start) for name, initial, start in ERAS for key in (name, initial)}

DayKind = Literal["weekday", "saturday", "sunday_holiday"]


# --- era (和暦) -----------------------------------------------------------------------------------

def _era(d: dt.date) -> tuple[str, int]:
    for name, _initial, start in ERAS:
        if d >= start:
            return name, d.year - start.year + 1
    # Before 明治 the calendar was lunisolar; showing a western year is the honest fallback.
    raise ValidationError(f"{d.year}年は和暦に変換できません", "date")


def _era_year_text(name: str, year: int) -> str:
    return f"{name}{'元' if year == 1 else year}年"


def wareki_year(d: dt.date) -> str:
    """'令和8年' (元年 for the first year of an era)."""
    return _era_year_text(*_era(d))


def wareki(d: dt.date) -> str:
    """'令和8年11月22日'."""
    return f"{wareki_year(d)}{d.month}月{d.day}日"


def weekday_ja(d: dt.date) -> str:
    """'日' for a Sunday."""
    return WEEKDAYS_JA[d.weekday()]


def format_long(d: dt.date) -> str:
    """'令和8年11月22日(日)': the form used on receipts and letters."""
    return f"{wareki(d)}({weekday_ja(d)})"


def format_both(d: dt.date) -> str:
    """'2026年11月22日(日) 令和8年': for screen headers, where staff think in both calendars."""
    return f"{d.year}年{d.month}月{d.day}日({weekday_ja(d)}) {wareki_year(d)}"


def format_slash(d: dt.date) -> str:
    """'2026/11/22': the form used in lists and tables (sorts as text)."""
    return f"{d.year:04d}/{d.month:02d}/{d.day:02d}"


def format_western(d: dt.date) -> str:
    """'2026年11月22日' without zero padding, as used in messages."""
    return f"{d.year}年{d.month}月{d.day}日"


def format_time(t: dt.time) -> str:
    """'9:00' (no leading zero, as written on notices)."""
    return f"{t.hour}:{t.minute:02d}"


# --- holidays (祝日) ------------------------------------------------------------------------------

@lru_cache(maxsize=64)
def _holidays_for_year(year: int) -> dict[dt.date, str]:
    # Building the holiday table is slowish; the booking grid asks for every cell, so cache per year.
    try:
        table = holidays.country_holidays("JP", years=year, language="ja")
    except (TypeError, ValueError, NotImplementedError):  # old library without localisation
        table = holidays.country_holidays("JP", years=year)
    return dict(table.items())


def holiday_name(d: dt.date) -> str | None:
    """Name of the national holiday on d ('文化の日', '振替休日', '国民の休日'), or None."""
    return _holidays_for_year(d.year).get(d)


def is_holiday(d: dt.date) -> bool:
    return holiday_name(d) is not None


def day_kind(d: dt.date, extra_holidays: Iterable[dt.date] = ()) -> DayKind:
    """Which rate/period table applies: holidays win over Saturday (a holiday Saturday is 祝日)."""
    if d.weekday() == 6 or holiday_name(d) is not None or d in set(extra_holidays):
        return "sunday_holiday"
    if d.weekday() == 5:
        return "saturday"
    return "weekday"


# --- fiscal year (年度) ---------------------------------------------------------------------------

def fiscal_year(d: dt.date) -> int:
    """Japanese fiscal year (年度) April–March: 2027-03-31 is in FY2026."""
    return d.year if d.month >= 4 else d.year - 1


def fiscal_year_range(fy: int) -> tuple[dt.date, dt.date]:
    """First and last day of the fiscal year, both inclusive."""
    return dt.date(fy, 4, 1), dt.date(fy + 1, 3, 31)


def fiscal_year_label(fy: int) -> str:
    """'令和8年度'.

    The era is taken on 1 May, not 1 April: FY2019 is officially 令和元年度 although it began in 平成.
    """
    return _era_year_text(*_era(dt.date(fy, 5, 1))) + "度"


# --- parsing --------------------------------------------------------------------------------------

_WESTERN_RE = re.compile(r"^(\d{4})\s*[/\-.年]\s*(\d{1,2})\s*[/\-.月]\s*(\d{1,2})\s*日?$")
_COMPACT_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_ERA_RE = re.compile(
    r"^(令和|平成|昭和|大正|明治|[RHSTM])\s*(元|\d{1,2})\s*[/\-.年]\s*(\d{1,2})\s*[/\-.月]\s*(\d{1,2})\s*日?$"
)
# A trailing weekday, e.g. '(水)' or '（水曜日）', is allowed and ignored (copied from a letter).
_WEEKDAY_TAIL_RE = re.compile(r"\s*\(\s*[月火水木金土日](曜日?)?\s*\)\s*$")


def _normalise(text: str) -> str:
    # NFKC turns full-width digits and punctuation ('２０２６／０４／０１', '：') into ASCII.
    return unicodedata.normalize("NFKC", text).strip()


def _make_date(y: int, m: int, d: int, original: str) -> dt.date:
    try:
        return dt.date(y, m, d)
    except ValueError:
        raise ValidationError(f"「{original}」は存在しない日付です", "date") from None


def parse_date_ja(text: str) -> dt.date:
    """Parse what desk staff type: '2026/04/01', '2026年4月1日', 'R8.4.1', '令和8年4月1日', full width…

    Raises ValidationError with a Japanese message on anything else.
    """
    original = text
    s = _WEEKDAY_TAIL_RE.sub("", _normalise(text or "")).upper()
    if not s:
        raise ValidationError("日付を入力してください", "date")
    if m := _WESTERN_RE.match(s) or _COMPACT_RE.match(s):
        return _make_date(int(m[1]), int(m[2]), int(m[3]), original)
    if m := _ERA_RE.match(s):
        name, start = _ERA_BY_KEY[m[1]]
        era_year = 1 if m[2] == "元" else int(m[2])
        if era_year < 1:
            raise ValidationError(f"「{original}」の年が正しくありません", "date")
        result = _make_date(start.year + era_year - 1, int(m[3]), int(m[4]), original)
        # Dates after an era ended ('平成31年5月1日') are accepted as people still write them;
        # dates before it began cannot mean anything.
        if result < start:
            raise ValidationError(f"「{original}」は{name}の始まり（{wareki(start)}）より前です", "date")
        return result
    raise ValidationError(
        f"「{original}」は日付として読み取れません（例：2026/04/01、令和8年4月1日、R8.4.1）", "date"
    )


_TIME_COLON_RE = re.compile(r"^(\d{1,2})\s*:\s*(\d{2})$")
_TIME_KANJI_RE = re.compile(r"^(\d{1,2})\s*時\s*(?:(\d{1,2})\s*分|(半))?$")
_TIME_COMPACT_RE = re.compile(r"^(\d{2})(\d{2})$")


def parse_time_ja(text: str) -> dt.time:
    """Parse '9:00', '09:00', '９：００', '21時30分', '21時', '9時半', '0930'."""
    original = text
    s = _normalise(text or "")
    if not s:
        raise ValidationError("時刻を入力してください", "time")
    hour = minute = None
    if m := _TIME_COLON_RE.match(s) or _TIME_COMPACT_RE.match(s):
        hour, minute = int(m[1]), int(m[2])
    elif m := _TIME_KANJI_RE.match(s):
        hour = int(m[1])
        minute = 30 if m[3] else int(m[2] or 0)
    if hour is None or minute is None:
        raise ValidationError(f"「{original}」は時刻として読み取れません（例：9:00、21時30分）", "time")
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise ValidationError(f"「{original}」は存在しない時刻です", "time")
    return dt.time(hour, minute)
