"""Dates and times on screen: one spelling of each helper every page uses.

* :func:`to_qdate` / :func:`from_qdate`: a Python ``date`` to a ``QDate`` and back;
* :func:`date_edit`: the date field of the forms (yyyy/MM/dd with a calendar popup, Japanese weekday
  names whatever the PC's own locale is);
* :func:`list_date`: a date in a list or table, 「2027/01/12(火)」;
* :func:`minutes_text`: minutes since midnight as 「9:30」 (the time lists and the day view's axis).
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, QLocale
from PySide6.QtWidgets import QDateEdit

from booking_app.domain import japanese_calendar as jcal
from booking_app.ui.keyboard import tab_leaves

DATE_FORMAT = "yyyy/MM/dd"


def to_qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


def from_qdate(q: QDate) -> date:
    return date(q.year(), q.month(), q.day())


def japanese_locale() -> QLocale:
    """Japanese weekday and month names, whatever the OS locale is (a desk PC may run in English)."""
    return QLocale(QLocale.Language.Japanese, QLocale.Country.Japan)


def date_edit(name: str, d: date, display_format: str = DATE_FORMAT) -> QDateEdit:
    """A date field named ``name`` (the object name tests and the user guide refer to), showing ``d``."""
    w = QDateEdit(to_qdate(d))
    w.setObjectName(name)
    w.setCalendarPopup(True)
    w.setDisplayFormat(display_format)
    w.setLocale(japanese_locale())
    tab_leaves(w)  # Tab goes to the next field, not through 年・月・日 (arrows and typing still do)
    return w


def list_date(d: date) -> str:
    """'2027/01/12(火)': a date in a list (series preview, booking lists, tooltips).

    Lists use the western calendar with the weekday, like the day view's header; 和暦 is kept for a
    single date shown large (the booking dialog's day label).
    """
    return f"{jcal.format_slash(d)}({jcal.weekday_ja(d)})"


def minutes_text(m: int) -> str:
    """Minutes since midnight as 「9:30」 (24 * 60 is 「24:00」)."""
    return f"{m // 60}:{m % 60:02d}"


__all__ = ["DATE_FORMAT", "date_edit", "from_qdate", "japanese_locale", "list_date", "minutes_text", "to_qdate"]
