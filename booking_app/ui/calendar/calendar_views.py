"""The booking calendar (予約カレンダー): a day view of every room, a week view of one room, a month overview.

The day and week views are painted by hand (one ``paintEvent``, no widget per cell): a day has five
rooms × 26 half-hour rows and a week 7 × 26, and a widget per cell would make every refresh slow.
Each refresh reads its bookings with ONE ranged query (``bookings_between`` / ``month_counts``) and
keeps plain ``BookingView`` dataclasses, never live ORM objects.

Coordinates: minutes after midnight are the unit of the time axis; a row is one 30-minute step and
slots are half-open ``[start, start + 30)`` like the bookings themselves.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import QEvent, QPoint, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetrics,
    QHelpEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from booking_app import clock
from booking_app.domain import japanese_calendar as jcal
from booking_app.domain import hours as jhours
from booking_app.domain.booking_rules import STATUS_LABELS, BookingStatus
from booking_app.domain.profile import HOUR_KEYS, CentreProfile
from booking_app.domain.roles import may_override_rules
from booking_app.services import bookings as booking_service
from booking_app.services import centre
from booking_app.services.bookings import BookingView
from booking_app.ui import theme
from booking_app.ui.context import AppContext
from booking_app.ui.dates import date_edit, from_qdate, list_date, minutes_text, to_qdate
from booking_app.ui.plain_text import tip

SLOT_MINUTES = 30
TITLE_H = 34  # the date band at the top of a view
COLHEAD_H = 40  # room names (day view) or dates (week view)
AXIS_W = 66  # the time axis on the left
MIN_ROW_H = 20
MIN_COL_W = 110
# Whether a booking holds its cells is the view's ``blocks_slot`` (a lapsed 仮予約 reads 期限切れ there,
# marked or not: the one rule of booking_rules.blocks_slot, issue 13 item 4).
# A booking taken against the rules with a manager's reason (規則外) wears this tag on its block.
OVERRIDE_TAG = "規則外"
OVERRIDE_TAG_BG = QColor("#e65100")
OVERRIDE_TAG_FG = QColor("#ffffff")
# Changes after which the calendar must be read again: bookings, and anything that moves the grid.
REFRESH_ON = frozenset({"booking", "profile", "room", "rooms", "group", "groups"})
# When no opening hours apply at all (a closed day), the grid still shows the centre's usual day.
FALLBACK_HOURS = (dt.time(9), dt.time(22))


def _minutes(t: dt.time | dt.datetime) -> int:
    return t.hour * 60 + t.minute


def _end_minutes(start: dt.datetime, end: dt.datetime) -> int:
    """Minutes of end on start's day (an end at midnight is 24:00)."""
    return 24 * 60 if end.date() > start.date() else _minutes(end)


def _usual_hours(profile: CentreProfile) -> tuple[dt.time, dt.time]:
    return next((profile.hours[k] for k in HOUR_KEYS if profile.hours.get(k)), FALLBACK_HOURS)


def booking_tooltip(b: BookingView) -> str:
    """The details shown when the mouse rests on a block."""
    lines = [
        f"予約番号 {b.number}（{b.status_label}）",
        f"{list_date(b.start.date())} "
        f"{booking_service.hm(b.start)}〜{booking_service.hm(b.end)}",
    ]
    if b.room_name:
        lines.append(f"部屋：{b.room_name}")
    who = b.booker_name or "（利用者未入力）"
    if b.group_reg_no:
        who += f"（登録番号 {b.group_reg_no}）"
    lines.append(f"利用者：{who}")
    if b.contact_phone:
        lines.append(f"連絡先：{b.contact_phone}")
    if b.purpose:
        lines.append(f"目的：{b.purpose}")
    lines.append(f"人数：{b.attendees}名" + (f"（実績 {b.actual_users}名）" if b.actual_users is not None else ""))
    if b.equipment:
        lines.append("備品：" + "、".join(f"{e.name}{e.quantity}{e.unit}" for e in b.equipment))
    if b.hold_until and b.status == BookingStatus.TENTATIVE.value:
        lines.append(f"仮予約の期限：{jcal.format_slash(b.hold_until)}")
    if b.override_reason:
        lines.append(f"規則外（管理者承認）：{b.override_reason}")
    if b.note:
        lines.append(f"備考：{b.note}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- the painted time grid


@dataclass
class _Column:
    """One column of the grid: a room on a day (day view) or a day of one room (week view)."""

    day: dt.date
    room_id: int
    title: str
    subtitle: str = ""
    title_color: QColor | None = None
    open_span: tuple[int, int] | None = None  # opening minutes, None when closed
    closed_reason: str | None = None


@dataclass
class _Block:
    booking: BookingView
    col: int
    start: int  # minutes after midnight
    end: int


@dataclass
class _Drag:
    col: int
    anchor: int  # slot start minute where the press happened
    current: int
    lo: int = field(init=False)
    hi: int = field(init=False)  # end minute (exclusive)

    def __post_init__(self) -> None:
        self.lo, self.hi = self.anchor, self.anchor + SLOT_MINUTES


class _TimeGrid(QWidget):
    """Shared painting and mouse handling of the day and week views (時間割グリッド)."""

    newBookingRequested = Signal(int, object, object)  # room_id, start datetime, end datetime
    bookingActivated = Signal(int)
    dateChanged = Signal(object)  # the date now shown

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self._date = clock.today()
        # Tests replace this to put the 'now' line where they want it.
        self.now_fn: Callable[[], dt.datetime] = self._default_now
        self._columns: list[_Column] = []
        self._blocks: list[_Block] = []
        self._all: list[BookingView] = []
        self._first = 9 * 60
        self._last = 22 * 60
        self._periods: list[tuple[str, int, int]] = []
        self._title = ""
        self._title_color: QColor | None = None
        self._title_bg: QColor | None = None
        self._note = ""
        self._drag: _Drag | None = None
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    # ----- public API
    def today(self) -> dt.date:
        return clock.today()

    def date(self) -> dt.date:
        return self._date

    def set_date(self, d: dt.date) -> None:
        if d != self._date:
            self._date = d
            self.refresh()
            self.dateChanged.emit(d)
        else:
            self.refresh()

    def refresh(self) -> None:
        self._drag = None
        self.ctx.read(self._load)
        self.updateGeometry()
        self.update()

    def header_text(self) -> str:
        """The text of the date band (西暦・和暦・祝日名・休館理由)."""
        return self._title

    def header_color(self) -> QColor | None:
        """Colour of the date band's text: red for Sundays and holidays, blue for Saturdays."""
        return self._title_color

    def note_text(self) -> str:
        return self._note

    def bookings(self) -> list[BookingView]:
        """Every booking read by the last refresh (live and cancelled)."""
        return list(self._all)

    def block_at(self, pos: QPoint) -> int | None:
        """Id of the booking whose block is under pos, or None."""
        for b in self._blocks:
            if self._block_rect(b).contains(pos):
                return b.booking.id
        return None

    def block_rect(self, booking_id: int) -> QRect | None:
        for b in self._blocks:
            if b.booking.id == booking_id:
                return self._block_rect(b)
        return None

    def override_tag_rect(self, booking_id: int) -> QRect | None:
        """Where the 「規則外」 tag of a booking's block is painted; None when it has no override."""
        for b in self._blocks:
            if b.booking.id == booking_id and b.booking.override_reason:
                return self._tag_rect(self._block_rect(b))
        return None

    def _tag_rect(self, block: QRect) -> QRect:
        small = QFont(self.font())
        small.setPointSizeF(self.font().pointSizeF() * 0.8)
        fm = QFontMetrics(small)
        w = min(fm.horizontalAdvance(OVERRIDE_TAG) + 8, max(block.width() - 4, 0))
        return QRect(block.right() - w - 2, block.top() + 2, w, min(fm.height() + 2, max(block.height() - 4, 0)))

    # ----- to be provided by the day and week views
    def _load(self, session) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _step(self, direction: int) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    # ----- data helpers for subclasses
    def _set_blocks(self, bookings: list[BookingView], col_of: Callable[[BookingView], int | None]) -> None:
        self._all = bookings
        self._blocks = []
        for b in bookings:
            if not b.blocks_slot:
                continue
            col = col_of(b)
            if col is None:
                continue
            self._blocks.append(_Block(b, col, _minutes(b.start), _end_minutes(b.start, b.end)))
        dead: dict[str, int] = {}
        for b in bookings:
            if not b.blocks_slot:
                dead[b.status_label] = dead.get(b.status_label, 0) + 1
        self._note = "・".join(f"{label} {n}件" for label, n in dead.items())

    def _set_rows(self, spans: list[tuple[int, int]], blocks_too: bool = True) -> None:
        """Rows cover every open span and every live block, rounded out to whole slots."""
        first = min((s for s, _ in spans), default=9 * 60)
        last = max((e for _, e in spans), default=22 * 60)
        if blocks_too:
            for b in self._blocks:
                first, last = min(first, b.start), max(last, b.end)
        self._first = first // SLOT_MINUTES * SLOT_MINUTES
        self._last = math.ceil(last / SLOT_MINUTES) * SLOT_MINUTES
        if self._last <= self._first:
            self._last = self._first + SLOT_MINUTES

    def _set_periods(self, profile: CentreProfile, day: dt.date) -> None:
        self._periods = [(p.name, _minutes(p.start), _minutes(p.end)) for p in jhours.periods_for(profile, day)]

    # ----- geometry
    def _rows(self) -> int:
        return (self._last - self._first) // SLOT_MINUTES

    def _top(self) -> int:
        return TITLE_H + COLHEAD_H

    def _row_h(self) -> int:
        return max(MIN_ROW_H, (self.height() - self._top() - 1) // max(self._rows(), 1))

    def _col_span(self, i: int) -> tuple[int, int]:
        n = max(len(self._columns), 1)
        w = max(MIN_COL_W, (self.width() - AXIS_W - 1) / n)
        return AXIS_W + round(i * w), AXIS_W + round((i + 1) * w)

    def _y(self, minute: int) -> int:
        return self._top() + round((minute - self._first) * self._row_h() / SLOT_MINUTES)

    def _block_rect(self, b: _Block) -> QRect:
        x0, x1 = self._col_span(b.col)
        return QRect(x0 + 2, self._y(b.start) + 1, x1 - x0 - 5, self._y(b.end) - self._y(b.start) - 2)

    def _slot_rect(self, col: int, minute: int) -> QRect:
        x0, x1 = self._col_span(col)
        return QRect(x0, self._y(minute), x1 - x0, self._y(minute + SLOT_MINUTES) - self._y(minute))

    def _hit(self, pos: QPoint) -> tuple[int, int] | None:
        """(column, slot start minute) under pos, or None outside the cells."""
        if pos.x() < AXIS_W or pos.y() < self._top():
            return None
        row = (pos.y() - self._top()) // self._row_h()
        if row >= self._rows():
            return None
        for i in range(len(self._columns)):
            x0, x1 = self._col_span(i)
            if x0 <= pos.x() < x1:
                return i, self._first + row * SLOT_MINUTES
        return None

    def minimumSizeHint(self) -> QSize:
        return QSize(AXIS_W + MIN_COL_W * max(len(self._columns), 1),
                     self._top() + MIN_ROW_H * max(self._rows(), 1) + 1)

    def sizeHint(self) -> QSize:
        return QSize(AXIS_W + 220 * max(len(self._columns), 1), self._top() + 24 * max(self._rows(), 1) + 1)

    # ----- free-slot logic
    def _slot_free(self, col: int, minute: int) -> bool:
        c = self._columns[col]
        if c.closed_reason:
            # QA: a manager could not take a booking on a 休館日 at all. A manager may drag there; the
            # booking dialog then asks for the 規則外 reason. Desk staff are still refused.
            if not may_override_rules(self.ctx.actor.role):
                return False
            span = (self._first, self._last)
        elif c.open_span is None:
            return False
        else:
            span = c.open_span
        if not (span[0] <= minute and minute + SLOT_MINUTES <= span[1]):
            return False
        return not any(b.col == col and b.start < minute + SLOT_MINUTES and minute < b.end for b in self._blocks)

    def _update_drag(self, minute: int) -> None:
        d = self._drag
        assert d is not None
        d.current = minute
        lo = hi = d.anchor
        step = SLOT_MINUTES if minute >= d.anchor else -SLOT_MINUTES
        m = d.anchor
        # Grow from the anchor towards the pointer and stop before the first slot that is taken.
        while m != minute:
            nxt = m + step
            if not self._slot_free(d.col, nxt):
                break
            m = nxt
        lo, hi = min(d.anchor, m), max(d.anchor, m)
        d.lo, d.hi = lo, hi + SLOT_MINUTES

    def selection(self) -> tuple[int, dt.datetime, dt.datetime] | None:
        """(room_id, start, end) being dragged, or None."""
        if self._drag is None:
            return None
        c = self._columns[self._drag.col]
        base = dt.datetime.combine(c.day, dt.time())
        return (c.room_id, base + dt.timedelta(minutes=self._drag.lo), base + dt.timedelta(minutes=self._drag.hi))

    # ----- events
    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        pos = event.position().toPoint()
        if self.block_at(pos) is not None:
            return
        hit = self._hit(pos)
        if hit is None or not self._slot_free(*hit):
            return
        self._drag = _Drag(hit[0], hit[1], hit[1])
        self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drag is None:
            return super().mouseMoveEvent(event)
        pos = event.position().toPoint()
        # Stay in the column where the drag began; only the vertical position matters.
        row = (pos.y() - self._top()) // self._row_h()
        row = max(0, min(self._rows() - 1, row))
        self._update_drag(self._first + row * SLOT_MINUTES)
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._drag is None or event.button() != Qt.MouseButton.LeftButton:
            return super().mouseReleaseEvent(event)
        sel = self.selection()
        self._drag = None
        self.update()
        if sel is not None:
            self.newBookingRequested.emit(*sel)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        booking_id = self.block_at(event.position().toPoint())
        if booking_id is not None:
            self._drag = None
            self.bookingActivated.emit(booking_id)
            return
        super().mouseDoubleClickEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Left, Qt.Key.Key_PageUp):
            self._step(-1)
        elif key in (Qt.Key.Key_Right, Qt.Key.Key_PageDown):
            self._step(1)
        elif key == Qt.Key.Key_T:
            self.set_date(self.today())
        elif key == Qt.Key.Key_Escape and self._drag is not None:
            self._drag = None
            self.update()
        else:
            super().keyPressEvent(event)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            help_event: QHelpEvent = event  # type: ignore[assignment]
            pos = help_event.pos()
            for b in self._blocks:
                if self._block_rect(b).contains(pos):
                    QToolTip.showText(help_event.globalPos(), tip(booking_tooltip(b.booking)), self)  # names as typed
                    return True
            QToolTip.hideText()
            event.ignore()
            return True
        return super().event(event)

    # ----- painting
    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        try:
            p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
            p.fillRect(self.rect(), QColor("#ffffff"))
            self._paint_title(p)
            self._paint_column_heads(p)
            self._paint_axis(p)
            self._paint_cells(p)
            p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            for b in self._blocks:
                self._paint_block(p, b)
            self._paint_selection(p)
            self._paint_now(p)
        finally:
            p.end()

    def _paint_title(self, p: QPainter) -> None:
        rect = QRect(0, 0, self.width(), TITLE_H)
        p.fillRect(rect, self._title_bg or theme.HEADER_BG)
        font = QFont(self.font())
        font.setPointSizeF(self.font().pointSizeF() * 1.25)
        font.setBold(True)
        p.setFont(font)
        p.setPen(self._title_color or QColor("#202020"))
        text_rect = rect.adjusted(10, 0, -10, 0)
        p.drawText(text_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, self._title)
        if self._note:
            p.setFont(self.font())
            p.setPen(QColor("#555555"))
            p.drawText(text_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, self._note)
        p.setFont(self.font())

    def _paint_column_heads(self, p: QPainter) -> None:
        head = QRect(0, TITLE_H, self.width(), COLHEAD_H)
        p.fillRect(head, QColor("#f7f9fc"))
        small = QFont(self.font())
        small.setPointSizeF(self.font().pointSizeF() * 0.85)
        for i, c in enumerate(self._columns):
            x0, x1 = self._col_span(i)
            r = QRect(x0, TITLE_H, x1 - x0, COLHEAD_H)
            if c.closed_reason:
                p.fillRect(r, theme.CLOSED_BG)
            elif c.day == self.today() and len({col.day for col in self._columns}) > 1:
                p.fillRect(r, theme.TODAY_BG)  # the week view marks today's column
            bold = QFont(self.font())
            bold.setBold(True)
            p.setFont(bold)
            p.setPen(c.title_color or QColor("#202020"))
            fm = QFontMetrics(bold)
            top = QRect(x0 + 4, TITLE_H + 2, x1 - x0 - 8, COLHEAD_H // 2)
            p.drawText(top, Qt.AlignmentFlag.AlignCenter, fm.elidedText(c.title, Qt.TextElideMode.ElideRight, top.width()))
            p.setFont(small)
            p.setPen(c.title_color if c.title_color and not c.subtitle.endswith("名") else QColor("#606060"))
            sub = QRect(x0 + 4, TITLE_H + COLHEAD_H // 2, x1 - x0 - 8, COLHEAD_H // 2 - 2)
            p.drawText(sub, Qt.AlignmentFlag.AlignCenter,
                       QFontMetrics(small).elidedText(c.subtitle, Qt.TextElideMode.ElideRight, sub.width()))
        p.setFont(self.font())
        p.setPen(QPen(theme.GRID_LINE_STRONG))
        p.drawLine(0, self._top() - 1, self.width(), self._top() - 1)

    def _paint_axis(self, p: QPainter) -> None:
        # Period bands (午前・午後・夜間) shade the axis so staff see which 区分 a slot belongs to.
        for name, start, end in self._periods:
            s, e = max(start, self._first), min(end, self._last)
            if e <= s:
                continue
            band = QRect(0, self._y(s), AXIS_W - 1, self._y(e) - self._y(s))
            p.fillRect(band, theme.PERIOD_COLORS.get(name, QColor("#f0f0f0")))
            p.setPen(QColor("#8a8a8a"))
            small = QFont(self.font())
            small.setPointSizeF(self.font().pointSizeF() * 0.8)
            p.setFont(small)
            label = QRect(band.left() + 2, band.top(), 16, band.height())
            p.drawText(label, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter, "\n".join(name))
        p.setFont(self.font())
        p.setPen(QColor("#404040"))
        for r in range(self._rows()):
            m = self._first + r * SLOT_MINUTES
            if m % 60 == 0:
                rect = QRect(18, self._y(m) + 1, AXIS_W - 24, self._row_h())
                p.drawText(rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop, minutes_text(m))
        p.setPen(QPen(theme.GRID_LINE_STRONG))
        p.drawLine(AXIS_W - 1, TITLE_H, AXIS_W - 1, self._y(self._last))

    def _paint_cells(self, p: QPainter) -> None:
        closed_brush = QBrush(theme.CLOSED_BG)
        out_of_hours = QColor("#ececec")
        for i, c in enumerate(self._columns):
            x0, x1 = self._col_span(i)
            body = QRect(x0, self._top(), x1 - x0, self._y(self._last) - self._top())
            if c.closed_reason or c.open_span is None:
                p.fillRect(body, closed_brush)
                continue
            s, e = c.open_span
            if s > self._first:
                p.fillRect(QRect(x0, self._top(), x1 - x0, self._y(s) - self._top()), out_of_hours)
            if e < self._last:
                p.fillRect(QRect(x0, self._y(e), x1 - x0, self._y(self._last) - self._y(e)), out_of_hours)
        right = self._col_span(len(self._columns) - 1)[1] if self._columns else self.width()
        for r in range(self._rows() + 1):
            m = self._first + r * SLOT_MINUTES
            p.setPen(QPen(theme.GRID_LINE_STRONG if m % 60 == 0 else theme.GRID_LINE))
            p.drawLine(AXIS_W, self._y(m), right, self._y(m))
        p.setPen(QPen(theme.GRID_LINE_STRONG))
        # Column separators last, so the closed and out-of-hours fills never hide them.
        for i in range(len(self._columns)):
            x0 = self._col_span(i)[0]
            p.drawLine(x0, TITLE_H, x0, self._y(self._last))
        p.drawLine(right, TITLE_H, right, self._y(self._last))
        # The reason a closed column is closed, written across it.
        for i, c in enumerate(self._columns):
            if c.closed_reason:
                x0, x1 = self._col_span(i)
                body = QRect(x0, self._top(), x1 - x0, self._y(self._last) - self._top())
                p.setPen(theme.CLOSED_TEXT)
                p.drawText(body.adjusted(4, 8, -4, 0), Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop
                           | Qt.TextFlag.TextWordWrap, c.closed_reason)

    def _paint_block(self, p: QPainter, b: _Block) -> None:
        r = QRectF(self._block_rect(b))
        status = b.booking.status
        fill = theme.status_color(status)
        p.setPen(QPen(fill.darker(130), 1))
        p.setBrush(fill)
        p.drawRoundedRect(r, 4, 4)
        if status == BookingStatus.TENTATIVE.value:
            # 仮予約 is striped and dashed: clearly not yet certain.
            p.setBrush(QBrush(theme.TENTATIVE_BORDER.lighter(120), Qt.BrushStyle.BDiagPattern))
            p.setPen(QPen(theme.TENTATIVE_BORDER, 1.5, Qt.PenStyle.DashLine))
            p.drawRoundedRect(r, 4, 4)
        p.setBrush(Qt.BrushStyle.NoBrush)
        bk = b.booking
        time_text = f"{booking_service.hm(bk.start)}〜{booking_service.hm(bk.end)}"
        name = bk.booker_name or "（利用者未入力）"
        lines = [time_text, name]
        if bk.purpose:
            lines.append(bk.purpose)
        lines.append(f"{bk.attendees}名")
        fm = QFontMetrics(self.font())
        inner = r.toRect().adjusted(5, 2, -4, -2)
        tag = self._tag_rect(r.toRect()) if bk.override_reason else None
        n = max(1, inner.height() // fm.height())
        if n == 1:
            lines = [f"{time_text} {name}"]
        elif n < len(lines):
            # Keep time and name; fold the rest onto the last visible line.
            lines = lines[: n - 1] + ["　".join(lines[n - 1:])]
        p.setPen(theme.status_text_color(status))
        p.setFont(self.font())
        for k, text in enumerate(lines[:n]):
            line = QRect(inner.left(), inner.top() + k * fm.height(), inner.width(), fm.height())
            if tag is not None and line.intersects(tag):
                line.setRight(tag.left() - 3)  # the text stops short of the 規則外 tag
            if k == 1:
                bold = QFont(self.font())
                bold.setBold(True)
                p.setFont(bold)
                p.drawText(line, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                           QFontMetrics(bold).elidedText(text, Qt.TextElideMode.ElideRight, line.width()))
                p.setFont(self.font())
            else:
                p.drawText(line, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                           fm.elidedText(text, Qt.TextElideMode.ElideRight, line.width()))
        if tag is not None and not tag.isEmpty():
            # 規則外 (accepted against the rules by a manager): a small orange tag; the reason is in the tooltip.
            small = QFont(self.font())
            small.setPointSizeF(self.font().pointSizeF() * 0.8)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(OVERRIDE_TAG_BG)
            p.drawRoundedRect(QRectF(tag), 3, 3)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.setFont(small)
            p.setPen(OVERRIDE_TAG_FG)
            p.drawText(tag, Qt.AlignmentFlag.AlignCenter, OVERRIDE_TAG)
            p.setFont(self.font())

    def _paint_selection(self, p: QPainter) -> None:
        if self._drag is None:
            return
        x0, x1 = self._col_span(self._drag.col)
        r = QRect(x0 + 1, self._y(self._drag.lo), x1 - x0 - 2, self._y(self._drag.hi) - self._y(self._drag.lo))
        p.fillRect(r, theme.SELECTION)
        p.setPen(QPen(QColor("#1a56c4"), 2))
        p.drawRect(r.adjusted(1, 1, -1, -1))
        p.setPen(QColor("#0d3a8a"))
        p.drawText(r.adjusted(6, 2, -4, 0), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
                   f"{minutes_text(self._drag.lo)}〜{minutes_text(self._drag.hi)}")

    def _paint_now(self, p: QPainter) -> None:
        now = self.now_fn()
        m = _minutes(now)
        if not (self._first <= m <= self._last):
            return
        for i, c in enumerate(self._columns):
            if c.day != now.date():
                continue
            x0, x1 = self._col_span(i)
            y = self._y(m) if m < self._last else self._y(self._last)
            p.setPen(QPen(theme.NOW_LINE, 2))
            p.drawLine(x0, y, x1, y)
            if i == 0 or self._columns[i - 1].day != c.day:
                p.setBrush(theme.NOW_LINE)
                p.drawEllipse(QPoint(x0 + 3, y), 4, 4)
                p.setBrush(Qt.BrushStyle.NoBrush)

    def _default_now(self) -> dt.datetime:
        return clock.now()


class DayView(_TimeGrid):
    """Day view (日表示): every room as a column, half-hour rows over the day's opening hours."""

    def _step(self, direction: int) -> None:
        self.set_date(self._date + dt.timedelta(days=direction))

    def room_ids(self) -> list[int]:
        return [c.room_id for c in self._columns]

    def cell_rect(self, room_id: int, t: dt.time) -> QRect:
        """Rectangle of the half-hour cell of room_id that starts at t (for tests and drag helpers)."""
        col = next(i for i, c in enumerate(self._columns) if c.room_id == room_id)
        return self._slot_rect(col, _minutes(t) // SLOT_MINUTES * SLOT_MINUTES)

    def _load(self, session) -> None:
        d = self._date
        profile = centre.get_profile(session)
        rooms = centre.list_rooms(session)
        start = dt.datetime.combine(d, dt.time())
        bookings = booking_service.bookings_between(session, start, start + dt.timedelta(days=1))
        reason = jhours.closure_reason(profile, d)
        span = jhours.opening_hours(profile, d)
        open_span = (_minutes(span[0]), _end_minutes_t(span[1])) if span else None
        self._columns = [
            _Column(d, r.id, r.name, f"定員{r.capacity}名", None, open_span, reason) for r in rooms
        ]
        index = {r.id: i for i, r in enumerate(rooms)}
        self._set_blocks(bookings, lambda b: index.get(b.room_id) if b.room_id is not None else None)
        grid_span = span or _usual_hours(profile)
        self._set_rows([(_minutes(grid_span[0]), _end_minutes_t(grid_span[1]))])
        self._set_periods(profile, d)
        title = theme.date_header(d)
        if reason:
            title += f"　休館日（{reason}）"
        elif span:
            title += f"　開館 {jcal.format_time(span[0])}〜{jcal.format_time(span[1])}"
        self._title = title
        self._title_color = theme.day_color(d)
        self._title_bg = theme.CLOSED_BG if reason else (theme.TODAY_BG if d == self.today() else None)
        no_room = sum(1 for b in bookings if b.room_id is None and b.blocks_slot)
        if no_room:
            self._note = "・".join(x for x in (f"備品のみ {no_room}件", self._note) if x)


def _end_minutes_t(t: dt.time) -> int:
    # A closing time of 0:00 means midnight at the end of the day.
    m = _minutes(t)
    return 24 * 60 if m == 0 else m


def week_start(d: dt.date) -> dt.date:
    """The Sunday that begins d's week (Japanese calendars run 日〜土)."""
    return d - dt.timedelta(days=(d.weekday() + 1) % 7)


class WeekView(_TimeGrid):
    """Week view (週表示): one room over seven days (Sunday to Saturday)."""

    roomChanged = Signal(int)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self._room_id: int | None = None
        self._room_name = ""
        self._rooms: list[tuple[int, str]] = []

    def room_id(self) -> int | None:
        return self._room_id

    def rooms(self) -> list[tuple[int, str]]:
        return list(self._rooms)

    def set_room(self, room_id: int) -> None:
        if room_id != self._room_id:
            self._room_id = room_id
            self.refresh()
            self.roomChanged.emit(room_id)

    def days(self) -> list[dt.date]:
        first = week_start(self._date)
        return [first + dt.timedelta(days=i) for i in range(7)]

    def cell_rect(self, day: dt.date, t: dt.time) -> QRect:
        col = next(i for i, c in enumerate(self._columns) if c.day == day)
        return self._slot_rect(col, _minutes(t) // SLOT_MINUTES * SLOT_MINUTES)

    def _step(self, direction: int) -> None:
        self.set_date(self._date + dt.timedelta(days=7 * direction))

    def _load(self, session) -> None:
        profile = centre.get_profile(session)
        rooms = centre.list_rooms(session)
        self._rooms = [(r.id, r.name) for r in rooms]
        if self._room_id not in {r.id for r in rooms}:
            self._room_id = rooms[0].id if rooms else None
        room = next((r for r in rooms if r.id == self._room_id), None)
        self._room_name = room.name if room else ""
        days = self.days()
        start = dt.datetime.combine(days[0], dt.time())
        bookings: list[BookingView] = []
        if room is not None:
            bookings = booking_service.bookings_between(session, start, start + dt.timedelta(days=7),
                                                        room_id=room.id)
        self._columns = []
        spans = []
        for d in days:
            reason = jhours.closure_reason(profile, d)
            span = jhours.opening_hours(profile, d)
            open_span = (_minutes(span[0]), _end_minutes_t(span[1])) if span else None
            if open_span:
                spans.append(open_span)
            holiday = jcal.holiday_name(d)
            subtitle = reason or holiday or ""
            self._columns.append(_Column(d, room.id if room else 0, theme.short_day(d), subtitle,
                                         theme.day_color(d), open_span, reason))
        index = {d: i for i, d in enumerate(days)}
        self._set_blocks(bookings, lambda b: index.get(b.start.date()))
        if not spans:
            u = _usual_hours(profile)
            spans = [(_minutes(u[0]), _end_minutes_t(u[1]))]
        self._set_rows(spans)
        weekday = next((d for d in days if jcal.day_kind(d) != "sunday_holiday"
                        and jhours.closure_reason(profile, d) is None), days[1])
        self._set_periods(profile, weekday)
        last = days[-1]
        self._title = (f"{jcal.format_western(days[0])}({jcal.weekday_ja(days[0])})〜"
                       f"{'' if last.year == days[0].year else f'{last.year}年'}"
                       f"{last.month}月{last.day}日({jcal.weekday_ja(last)}) {jcal.wareki_year(days[0])}"
                       f"　{self._room_name}")
        self._title_color = None
        self._title_bg = None


# --------------------------------------------------------------------------- month overview


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
        self.update()

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
            self.update()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        d = self.day_at(event.position().toPoint())
        if d is not None:
            self.dayActivated.emit(d)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_PageUp, Qt.Key.Key_Left):
            self.set_date(_add_months(self._date, -1))
        elif key in (Qt.Key.Key_PageDown, Qt.Key.Key_Right):
            self.set_date(_add_months(self._date, 1))
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
                p.setPen(QPen(QColor("#1a56c4"), 2))
                p.drawRect(r.adjusted(1, 1, -1, -1))
        p.setFont(self.font())


def _add_months(d: dt.date, n: int) -> dt.date:
    y, m0 = divmod(d.month - 1 + n, 12)
    year, month = d.year + y, m0 + 1
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return dt.date(year, month, min(d.day, (nxt - dt.timedelta(days=1)).day))


# --------------------------------------------------------------------------- the page


class CalendarPage(QWidget):
    """The booking calendar page (予約カレンダー) with 日 / 週 / 月 modes and date navigation."""

    MODES = ("day", "week", "month")
    dateChanged = Signal(object)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self._date = clock.today()
        self._mode = "day"

        self.day_view = DayView(ctx)
        self.week_view = WeekView(ctx)
        self.month_view = MonthView(ctx)

        bar = QHBoxLayout()
        bar.setContentsMargins(6, 6, 6, 2)
        self.mode_group = QButtonGroup(self)
        self.mode_buttons: dict[str, QPushButton] = {}
        for mode, label in zip(self.MODES, (self.tr("日"), self.tr("週"), self.tr("月"))):
            b = QPushButton(label)
            b.setCheckable(True)
            b.setMinimumWidth(44)
            b.setToolTip({"day": self.tr("日表示（部屋ごと）"), "week": self.tr("週表示（1部屋の7日間）"),
                          "month": self.tr("月表示（日ごとの予約件数）")}[mode])
            self.mode_group.addButton(b)
            self.mode_buttons[mode] = b
            bar.addWidget(b)
            b.clicked.connect(lambda _=False, m=mode: self.set_mode(m))
        bar.addSpacing(16)
        self.prev_button = QPushButton(self.tr("◀ 前へ"))
        self.today_button = QPushButton(self.tr("今日"))
        self.next_button = QPushButton(self.tr("次へ ▶"))
        self.today_button.setToolTip(self.tr("今日の日付に戻ります（T）"))
        for b in (self.prev_button, self.today_button, self.next_button):
            bar.addWidget(b)
        self.prev_button.clicked.connect(lambda: self.step(-1))
        self.next_button.clicked.connect(lambda: self.step(1))
        self.today_button.clicked.connect(self.go_today)
        bar.addSpacing(12)
        self.date_edit = date_edit("calendar_date", self._date, "yyyy/MM/dd (ddd)")
        self.date_edit.setMinimumWidth(150)
        self.date_edit.dateChanged.connect(lambda qd: self.set_date(from_qdate(qd)))
        bar.addWidget(self.date_edit)
        bar.addSpacing(12)
        self.room_label = QLabel(self.tr("部屋："))
        self.room_combo = QComboBox()
        self.room_combo.setMinimumWidth(170)
        self.room_combo.currentIndexChanged.connect(self._room_chosen)
        bar.addWidget(self.room_label)
        bar.addWidget(self.room_combo)
        bar.addStretch(1)
        bar.addWidget(self._legend())

        self.stack = QStackedWidget()
        for view in (self.day_view, self.week_view, self.month_view):
            area = QScrollArea()
            area.setWidgetResizable(True)
            area.setFrameShape(QScrollArea.Shape.NoFrame)
            area.setWidget(view)
            self.stack.addWidget(area)
            view.dateChanged.connect(self._view_date_changed)
        for view in (self.day_view, self.week_view):
            view.newBookingRequested.connect(self.open_new_booking)
            view.bookingActivated.connect(self.open_booking)
        self.month_view.dayActivated.connect(self.open_day)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(bar)
        layout.addWidget(self.stack, 1)

        ctx.changed.connect(self._on_changed)
        self.set_mode("day")

    def _legend(self) -> QWidget:
        w = QWidget()
        row = QHBoxLayout(w)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(8)
        for status in ("tentative", "confirmed", "in_use", "completed"):
            chip = QLabel(STATUS_LABELS[BookingStatus(status)])
            fg = theme.status_text_color(status).name()
            bg = theme.status_color(status).name()
            border = theme.TENTATIVE_BORDER.name() if status == "tentative" else bg
            chip.setStyleSheet(f"QLabel {{ background: {bg}; color: {fg}; border: 1px solid {border};"
                               " border-radius: 3px; padding: 1px 6px; }")
            row.addWidget(chip)
        chip = QLabel(OVERRIDE_TAG)
        chip.setObjectName("legend_override")
        chip.setToolTip("管理者が規則外として受け付けた予約（理由は予約にマウスを置くと表示）")
        chip.setStyleSheet(f"QLabel {{ background: {OVERRIDE_TAG_BG.name()}; color: {OVERRIDE_TAG_FG.name()};"
                           " border-radius: 3px; padding: 1px 6px; }")
        row.addWidget(chip)
        return w

    # ----- state
    def today(self) -> dt.date:
        return clock.today()

    def date(self) -> dt.date:
        return self._date

    def mode(self) -> str:
        return self._mode

    def current_view(self) -> QWidget:
        return {"day": self.day_view, "week": self.week_view, "month": self.month_view}[self._mode]

    def set_mode(self, mode: str) -> None:
        if mode not in self.MODES:
            raise ValueError(mode)
        self._mode = mode
        self.mode_buttons[mode].setChecked(True)
        self.stack.setCurrentIndex(self.MODES.index(mode))
        week = mode == "week"
        self.room_label.setVisible(week)
        self.room_combo.setVisible(week)
        view = self.current_view()
        view.set_date(self._date)  # reads the data afresh: other modes may be stale
        if week:
            self._fill_rooms()
        view.setFocus()

    def set_date(self, d: dt.date) -> None:
        if d == self._date and self.current_view().date() == d:
            return
        self._date = d
        self._sync_picker()
        self.current_view().set_date(d)
        self.dateChanged.emit(d)

    def step(self, direction: int) -> None:
        if self._mode == "day":
            self.set_date(self._date + dt.timedelta(days=direction))
        elif self._mode == "week":
            self.set_date(self._date + dt.timedelta(days=7 * direction))
        else:
            self.set_date(_add_months(self._date, direction))

    def go_today(self) -> None:
        self.set_date(self.today())
        self.current_view().setFocus()

    def open_day(self, d: dt.date) -> None:
        self._date = d
        self._sync_picker()
        self.set_mode("day")
        self.dateChanged.emit(d)

    def refresh(self) -> None:
        self.current_view().refresh()
        if self._mode == "week":
            self._fill_rooms()

    def _view_date_changed(self, d: dt.date) -> None:
        # A view moved itself (keyboard): follow it.
        if d != self._date:
            self._date = d
            self._sync_picker()
            self.dateChanged.emit(d)

    def _sync_picker(self) -> None:
        self.date_edit.blockSignals(True)
        self.date_edit.setDate(to_qdate(self._date))
        self.date_edit.blockSignals(False)

    def _fill_rooms(self) -> None:
        self.room_combo.blockSignals(True)
        self.room_combo.clear()
        for room_id, name in self.week_view.rooms():
            self.room_combo.addItem(name, room_id)
        i = self.room_combo.findData(self.week_view.room_id())
        self.room_combo.setCurrentIndex(max(i, 0))
        self.room_combo.blockSignals(False)

    def _room_chosen(self, index: int) -> None:
        if index >= 0:
            self.week_view.set_room(self.room_combo.itemData(index))

    def _on_changed(self, changes) -> None:
        if REFRESH_ON & set(changes or ()):
            self.refresh()

    # ----- dialogs
    # The booking dialog is imported when first opened: the calendar is the first page shown, and the
    # dialog's module brings 51 more modules, ~0.4 s here (python -X importtime, after main_window and
    # calendar_views). An import error is raised, never hidden.
    def open_new_booking(self, room_id: int, start: dt.datetime, end: dt.datetime) -> int | None:
        from booking_app.ui.booking.booking_dialog import BookingDialog
        booking_id = BookingDialog.create(self, self.ctx, room_id=room_id, start=start, end=end)
        if booking_id is not None:
            self.refresh()
        return booking_id

    def open_booking(self, booking_id: int) -> bool:
        from booking_app.ui.booking.booking_dialog import BookingDialog
        changed = BookingDialog.edit(self, self.ctx, booking_id)
        if changed:
            self.refresh()
        return changed
