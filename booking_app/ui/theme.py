"""Shared look of the desk screens (画面の配色): booking state colours, weekend and holiday colours,
closed-day grey, and the date header text.

Every screen takes its colours from here so that 確定 is the same blue in the calendar, the day list
and the search results. Pure data plus a few helpers; no widgets.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtGui import QColor

from booking_app.domain import japanese_calendar as jcal

# State colours: the fill of a booking block. 仮予約 is pale (and striped in the calendar) because
# it is not yet certain; 取消 and the other dead states are greyed so they never look like live ones.
STATUS_COLORS: dict[str, QColor] = {
    "tentative": QColor("#fff3c4"),  # 仮予約: pale yellow
    "confirmed": QColor("#4a7fd4"),  # 確定: blue
    "in_use": QColor("#1e6b24"),  # 利用中: dark green (a much darker grey than 確定's blue, issue 17)
    "completed": QColor("#9e9e9e"),  # 利用済: grey
    "cancelled": QColor("#e0e0e0"),  # 取消
    "no_show": QColor("#f2c4c4"),  # 無断キャンセル
    "expired": QColor("#eeeeee"),  # 期限切れ
    "skipped": QColor("#eeeeee"),  # 除外
}
# Text drawn on each state's fill: white on the dark fills, dark on the pale ones.
STATUS_TEXT_COLORS: dict[str, QColor] = {
    "tentative": QColor("#5c4a00"),
    "confirmed": QColor("#ffffff"),
    "in_use": QColor("#ffffff"),
    "completed": QColor("#ffffff"),
    "cancelled": QColor("#616161"),
    "no_show": QColor("#7f1d1d"),
    "expired": QColor("#757575"),
    "skipped": QColor("#757575"),
}
TENTATIVE_BORDER = QColor("#c9a227")

# A state is never told by colour alone (issue 17): every block carries its state's mark, lists may show
# it beside the label, and the calendar's legend pairs mark and label. 仮予約 is also striped and dashed,
# 利用中 is darker and has a thick pale bar down its left edge.
STATUS_MARKS: dict[str, str] = {
    "tentative": "仮",
    "confirmed": "確",
    "in_use": "中",
    "completed": "済",
    "cancelled": "取",
    "no_show": "無",
    "expired": "期",
    "skipped": "除",
}
MARK_BG = QColor("#ffffff")  # the mark's badge: dark text on white, readable on every fill and in grey
MARK_FG = QColor("#1a1a1a")
IN_USE_BAR = QColor("#b9f6ca")  # the thick pale bar down the left edge of a 利用中 block
CURSOR = QColor("#0d2f6e")  # the calendar's cell cursor: a thick dark-blue frame
FOCUS_FRAME = QColor("#1a56c4")  # the frame round a grid that has the keyboard focus
DEFAULT_STATUS_COLOR = QColor("#bdbdbd")

SATURDAY = QColor("#1f5fbf")  # 土曜: blue, as on Japanese calendars
HOLIDAY = QColor("#c62828")  # 日曜・祝日: red
SUNDAY = HOLIDAY
CLOSED_BG = QColor("#d5d5d5")  # 休館日 background
CLOSED_TEXT = QColor("#616161")
TODAY_BG = QColor("#fff8e1")  # the cell of today in the month grid
NOW_LINE = QColor("#e53935")  # the red 'now' line in the day and week views
GRID_LINE = QColor("#d0d7e2")
GRID_LINE_STRONG = QColor("#9aa7ba")
HEADER_BG = QColor("#eef2f8")
SELECTION = QColor(66, 133, 244, 90)  # the translucent range being dragged

# Period bands on the time axis (午前・午後・夜間), faint so the blocks stay readable.
PERIOD_COLORS: dict[str, QColor] = {
    "午前": QColor("#fdf6e3"),
    "午後": QColor("#eef6ee"),
    "夜間": QColor("#eceff7"),
}


def status_color(status: str) -> QColor:
    """Fill colour for a booking state ('confirmed' → blue); a neutral grey for unknown states."""
    return QColor(STATUS_COLORS.get(status, DEFAULT_STATUS_COLOR))


def status_mark(status: str) -> str:
    """The one-character mark of a state (「確」 for 'confirmed'); '' for an unknown state."""
    return STATUS_MARKS.get(status, "")


def status_text_color(status: str) -> QColor:
    """Readable text colour on top of :func:`status_color`."""
    return QColor(STATUS_TEXT_COLORS.get(status, QColor("#212121")))


def day_color(d: dt.date) -> QColor | None:
    """Red for Sundays and national holidays, blue for Saturdays, None for other weekdays.

    A holiday that falls on a Saturday is red: it is a 祝日 first.
    """
    if d.weekday() == 6 or jcal.holiday_name(d) is not None:
        return QColor(HOLIDAY)
    if d.weekday() == 5:
        return QColor(SATURDAY)
    return None


def date_header(d: dt.date) -> str:
    """'2026年11月23日(月) 令和8年 勤労感謝の日': western and Japanese year plus the holiday's name."""
    text = jcal.format_both(d)
    name = jcal.holiday_name(d)
    return f"{text} {name}" if name else text


def short_day(d: dt.date) -> str:
    """'11/23(月)': for column headers of the week view."""
    return f"{d.month}/{d.day}({jcal.weekday_ja(d)})"


def css_color(c: QColor) -> str:
    """'#rrggbb' for style sheets."""
    return c.name()
