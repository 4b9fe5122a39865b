"""Month view (月表示) of the booking calendar: the number of live bookings on each day (one query,
``month_counts``); double-click opens the day.

Keys: the arrows move the chosen day (←/→ a day, ↑/↓ a week; leaving the month shows the next or previous
one), Home/End the month's first and last day, Enter opens the chosen day in the day view, PageUp/PageDown
change the month (on the calendar page: its 前へ/次へ). The chosen day is said to assistive software as the
view's accessible description.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QAccessible,
    QAccessibleEvent,
    QColor,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from booking_app import clock
from booking_app.domain import japanese_calendar as jcal
from booking_app.domain import hours as jhours
from booking_app.services import bookings as booking_service
from booking_app.services import centre
from booking_app.ui import theme
from booking_app.ui.context import AppContext
from booking_app.ui.calendar.grid import TITLE_H, week_start


class MonthView(QWidget):
    """Month view (月表示): the number of live bookings on each day; double-click opens the day."""

    dayActivated = Signal(object)  # a date
    dateChanged = Signal(object)

    WEEK_HEAD_H = 26

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self._date = clock.today()
        self._counts: dict[dt.date, int] = {}
        self._closed: dict[dt.date, str] = {}
        self._selected = self._date
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("予約カレンダー（月表示）")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def today(self) -> dt.date:
        return clock.today()

    def date(self) -> dt.date:
        return self._date

    def selected_date(self) -> dt.date:
        """The day the desk clicked (the one Enter opens)."""
        return self._selected

    def set_date(self, d: dt.date) -> None:
        changed = d != self._date
        self._date = self._selected = d
        self.refresh()
        if changed:
            self.dateChanged.emit(d)

    def refresh(self) -> None:
        self.ctx.read(self._load)
        self._announce()
        self.update()

    def selected_text(self) -> str:
        """The chosen day in words (「11月27日(金) 予約2件」), the view's accessible description."""
        d = self._selected
        text = f"{d.month}月{d.day}日({jcal.weekday_ja(d)})"
        holiday = jcal.holiday_name(d)
        if holiday:
            text += f" {holiday}"
        if d in self._closed:
            return f"{text} 休館（{self._closed[d]}）"
        n = self._counts.get(d, 0) if d.month == self._date.month else 0
        return f"{text} 予約{n}件" if n else f"{text} 予約なし"

    def _announce(self) -> None:
        text = self.selected_text()
        if text != self.accessibleDescription():
            self.setAccessibleDescription(text)
            QAccessible.updateAccessibility(QAccessibleEvent(self, QAccessible.Event.DescriptionChanged))

    def select(self, d: dt.date) -> None:
        """Choose day d; a day of another month shows that month."""
        if (d.year, d.month) != (self._date.year, self._date.month):
            self.set_date(d)
            return
        self._selected = self._date = d
        self._announce()
        self.update()
        self.dateChanged.emit(d)

    def counts(self) -> dict[dt.date, int]:
        return dict(self._counts)

    def header_text(self) -> str:
        return f"{self._date.year}年{self._date.month}月 {jcal.wareki_year(self._date)}"

    def _load(self, session) -> None:
        profile = centre.get_profile(session)
        self._counts = booking_service.month_counts(session, self._date.year, self._date.month)
        self._closed = {}
        for d in self.days():
            reason = jhours.closure_reason(profile, d)
            if reason:
                self._closed[d] = reason

    def days(self) -> list[dt.date]:
        first = week_start(self._date.replace(day=1))
        return [first + dt.timedelta(days=i) for i in range(42)]

    def _cell_size(self) -> tuple[float, float]:
        return (self.width() - 1) / 7, (self.height() - TITLE_H - self.WEEK_HEAD_H - 1) / 6

    def day_rect(self, d: dt.date) -> QRect | None:
        days = self.days()
        if d not in days:
            return None
        i = days.index(d)
        w, h = self._cell_size()
        row, col = divmod(i, 7)
        top = TITLE_H + self.WEEK_HEAD_H
        return QRect(round(col * w), top + round(row * h), round((col + 1) * w) - round(col * w),
                     round((row + 1) * h) - round(row * h))

    def day_at(self, pos: QPoint) -> dt.date | None:
        for d in self.days():
            r = self.day_rect(d)
            if r is not None and r.contains(pos):
                return d
        return None

    def minimumSizeHint(self) -> QSize:
        return QSize(7 * 90, TITLE_H + self.WEEK_HEAD_H + 6 * 60)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        d = self.day_at(event.position().toPoint())
        if d is not None:
            self._selected = d
            self._announce()
            self.update()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        d = self.day_at(event.position().toPoint())
        if d is not None:
            self.dayActivated.emit(d)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        moves = {Qt.Key.Key_Left: -1, Qt.Key.Key_Right: 1, Qt.Key.Key_Up: -7, Qt.Key.Key_Down: 7}
        if key in moves and event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier == Qt.KeyboardModifier.NoModifier:
            self.select(self._selected + dt.timedelta(days=moves[key]))
        elif key == Qt.Key.Key_Home:
            self.select(self._selected.replace(day=1))
        elif key == Qt.Key.Key_End:
            self.select(add_months(self._selected.replace(day=1), 1) - dt.timedelta(days=1))
        elif key == Qt.Key.Key_PageUp:
            self.set_date(add_months(self._date, -1))
        elif key == Qt.Key.Key_PageDown:
            self.set_date(add_months(self._date, 1))
        elif key == Qt.Key.Key_T:
            self.set_date(self.today())
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.dayActivated.emit(self._selected)
        else:
            super().keyPressEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        try:
            self._paint(p)
        finally:
            p.end()

    def _paint(self, p: QPainter) -> None:
        p.fillRect(self.rect(), QColor("#ffffff"))
        p.fillRect(QRect(0, 0, self.width(), TITLE_H), theme.HEADER_BG)
        big = QFont(self.font())
        big.setPointSizeF(self.font().pointSizeF() * 1.25)
        big.setBold(True)
        p.setFont(big)
        p.setPen(QColor("#202020"))
        p.drawText(QRect(10, 0, self.width() - 20, TITLE_H), Qt.AlignmentFlag.AlignVCenter, self.header_text())
        total = sum(self._counts.values())
        p.setFont(self.font())
        p.setPen(QColor("#555555"))
        p.drawText(QRect(10, 0, self.width() - 20, TITLE_H),
                   Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, f"予約 {total}件")
        w, _h = self._cell_size()
        for col, name in enumerate(("日", "月", "火", "水", "木", "金", "土")):
            r = QRect(round(col * w), TITLE_H, round(w), self.WEEK_HEAD_H)
            p.fillRect(r, QColor("#f7f9fc"))
            p.setPen(theme.HOLIDAY if col == 0 else theme.SATURDAY if col == 6 else QColor("#303030"))
            p.drawText(r, Qt.AlignmentFlag.AlignCenter, name)
        small = QFont(self.font())
        small.setPointSizeF(self.font().pointSizeF() * 0.85)
        bold = QFont(self.font())
        bold.setBold(True)
        big_count = QFont(self.font())
        big_count.setPointSizeF(self.font().pointSizeF() * 1.3)
        big_count.setBold(True)
        today = self.today()
        for d in self.days():
            r = self.day_rect(d)
            assert r is not None
            in_month = d.month == self._date.month
            if d in self._closed:
                p.fillRect(r, theme.CLOSED_BG)
            elif d == today:
                p.fillRect(r, theme.TODAY_BG)
            p.setPen(QPen(theme.GRID_LINE))
            p.drawRect(r)
            color = theme.day_color(d) or QColor("#202020")
            if not in_month:
                color = QColor(color)
                color.setAlpha(90)
            p.setFont(bold)
            p.setPen(color)
            inner = r.adjusted(6, 3, -6, -3)
            p.drawText(inner, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, str(d.day))
            note = self._closed.get(d) or jcal.holiday_name(d)
            if note:
                p.setFont(small)
                p.setPen(theme.CLOSED_TEXT if d in self._closed else color)
                nr = inner.adjusted(QFontMetrics(bold).horizontalAdvance("00") + 4, 1, 0, 0)
                p.drawText(nr, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
                           QFontMetrics(small).elidedText(note, Qt.TextElideMode.ElideRight, nr.width()))
            n = self._counts.get(d, 0) if in_month else 0
            if n:
                p.setFont(big_count)
                p.setPen(theme.STATUS_COLORS["confirmed"].darker(120))
                p.drawText(inner, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom, f"{n}件")
            if d == today:
                p.setFont(small)
                p.setPen(theme.NOW_LINE)
                p.drawText(inner, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom, "今日")
            if d == self._selected:
                focused = self.hasFocus()
                p.setPen(QPen(theme.CURSOR if focused else QColor("#1a56c4"), 3 if focused else 2))
                p.drawRect(r.adjusted(2, 2, -2, -2) if focused else r.adjusted(1, 1, -1, -1))
        if self.hasFocus():
            p.setPen(QPen(theme.FOCUS_FRAME, 2))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(self.rect().adjusted(1, 1, -1, -1))
        p.setFont(self.font())


def add_months(d: dt.date, n: int) -> dt.date:
    y, m0 = divmod(d.month - 1 + n, 12)
    year, month = d.year + y, m0 + 1
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return dt.date(year, month, min(d.day, (nxt - dt.timedelta(days=1)).day))
