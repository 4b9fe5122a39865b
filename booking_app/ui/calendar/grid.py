"""The calendar's painted time grid, shared by the day and week views (予約カレンダーの時間割).

The day and week views are painted by hand (one ``paintEvent``, no widget per cell): a day has five
rooms × 26 half-hour rows and a week 7 × 26, and a widget per cell would make every refresh slow.
Each refresh reads its bookings with ONE ranged query (``bookings_between``) and keeps plain
``BookingView`` dataclasses, never live ORM objects. :class:`TimeGrid` paints columns (rooms or days),
blocks (bookings), the now line and a dragged new slot; a view says what its columns are (``_load``).

Coordinates: minutes after midnight are the unit of the time axis; a row is one 30-minute step and
slots are half-open ``[start, start + 30)`` like the bookings themselves.

The keyboard (issue 17): a cell cursor (column, slot) is drawn as a thick dark-blue frame while the grid has
the focus (and the grid itself gets a focus frame). ↑/↓ move it one slot, ←/→ one column (a room in the
day view, a day in the week view; at the edge it stops: PageUp/PageDown change the day or week), Home/End
go to the first/last slot. Shift+↑/↓ (Shift+Home/End) select from where the selection began, as a mouse
drag does, stopping before a taken slot; Enter or Insert books the selected cells (or the cursor's free
cell), Enter on a booking opens it, Esc drops the selection, T goes back to today. The cell under the
cursor is said to assistive software as the grid's accessible description (:meth:`TimeGrid.cursor_text`).

キャンセル待ち (issue 18): a booked block with people waiting for its slot wears a small 「待2」 mark at its
lower right; the context menu of a block (right click, the Menu key or Shift+F10) and W on a booked cell
ask for the slot's waiting list (``waitlistRequested``: 「キャンセル待ちに登録」).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import QEvent, QPoint, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QAccessible,
    QAccessibleEvent,
    QBrush,
    QColor,
    QContextMenuEvent,
    QFont,
    QFontMetrics,
    QHelpEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import QMenu, QScrollArea, QSizePolicy, QToolTip, QWidget

from booking_app import clock
from booking_app.domain import japanese_calendar as jcal
from booking_app.domain import hours as jhours
from booking_app.domain.booking_rules import BookingStatus
from booking_app.domain.profile import HOUR_KEYS, CentreProfile
from booking_app.domain.roles import may_override_rules
from booking_app.services import bookings as booking_service
from booking_app.services.bookings import BookingView
from booking_app.services import waitlist as waitlist_service
from booking_app.ui import theme
from booking_app.ui.context import AppContext
from booking_app.ui.dates import list_date, minutes_text
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
IN_USE_BAR_W = 7  # the 利用中 bar's width (px)
WAITLIST_ACTION = "キャンセル待ちに登録"
WAIT_MARK_BG = QColor("#6a1b9a")  # the 「待2」 mark: white on purple, apart from every status colour
WAIT_MARK_FG = QColor("#ffffff")
# Changes after which the calendar must be read again: bookings, and anything that moves the grid.
# When no opening hours apply at all (a closed day), the grid still shows the centre's usual day.
FALLBACK_HOURS = (dt.time(9), dt.time(22))


def minute_of(t: dt.time | dt.datetime) -> int:
    return t.hour * 60 + t.minute


def end_minute_of(start: dt.datetime, end: dt.datetime) -> int:
    """Minutes of end on start's day (an end at midnight is 24:00)."""
    return 24 * 60 if end.date() > start.date() else minute_of(end)


def usual_hours(profile: CentreProfile) -> tuple[dt.time, dt.time]:
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
class Column:
    """One column of the grid: a room on a day (day view) or a day of one room (week view)."""

    day: dt.date
    room_id: int
    title: str
    subtitle: str = ""
    title_color: QColor | None = None
    open_span: tuple[int, int] | None = None  # opening minutes, None when closed
    closed_reason: str | None = None
    room_name: str = ""  # said with the cell under the cursor (the week view's title is the day)


@dataclass
class Block:
    booking: BookingView
    col: int
    start: int  # minutes after midnight
    end: int


@dataclass
class Drag:
    col: int
    anchor: int  # slot start minute where the press happened
    current: int
    lo: int = field(init=False)
    hi: int = field(init=False)  # end minute (exclusive)

    def __post_init__(self) -> None:
        self.lo, self.hi = self.anchor, self.anchor + SLOT_MINUTES


class TimeGrid(QWidget):
    """Shared painting and mouse handling of the day and week views (時間割グリッド)."""

    newBookingRequested = Signal(int, object, object)  # room_id, start datetime, end datetime
    bookingActivated = Signal(int)
    waitlistRequested = Signal(int, object, object)  # room_id, start, end of a booked block (キャンセル待ち)
    dateChanged = Signal(object)  # the date now shown

    ACCESSIBLE_NAME = "予約カレンダー"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self._date = clock.today()
        # Tests replace this to put the 'now' line where they want it.
        self.now_fn: Callable[[], dt.datetime] = self._default_now
        self._columns: list[Column] = []
        self._blocks: list[Block] = []
        self._all: list[BookingView] = []
        self._waiting: dict[tuple[int, dt.datetime], int] = {}  # (room_id, slot start) → people waiting
        self._first = 9 * 60
        self._last = 22 * 60
        self._periods: list[tuple[str, int, int]] = []
        self._title = ""
        self._title_color: QColor | None = None
        self._title_bg: QColor | None = None
        self._note = ""
        self._drag: Drag | None = None
        self._cursor: tuple[int, int] | None = None  # (column, slot start minute) of the cell cursor
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName(self.ACCESSIBLE_NAME)
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
        self.ctx.read(self._load_all)
        self._fit_cursor()
        self.updateGeometry()
        self.update()

    def go_today(self) -> None:
        """Today, with the cursor on its first free slot from now on (T)."""
        self._cursor = None
        self.set_date(self.today())

    def _load_all(self, session) -> None:
        self._load(session)
        days = [c.day for c in self._columns]
        self._waiting = waitlist_service.slot_counts(session, min(days), max(days)) if days else {}

    def waiting_for(self, b: BookingView) -> int:
        """How many wait for a slot that this booking holds (キャンセル待ち)."""
        if b.room_id is None:
            return 0
        return sum(n for (room_id, start), n in self._waiting.items()
                   if room_id == b.room_id and b.start <= start < b.end)

    def request_waitlist(self, booking_id: int) -> bool:
        """「キャンセル待ちに登録」 for a booked block: ask for its slot's waiting list."""
        bk = next((b.booking for b in self._blocks if b.booking.id == booking_id), None)
        if bk is None or bk.room_id is None:
            return False
        self.waitlistRequested.emit(bk.room_id, bk.start, bk.end)
        return True

    def block_menu(self, booking_id: int) -> QMenu:
        """The context menu of a booked block: 開く and 「キャンセル待ちに登録」 (with how many wait)."""
        menu = QMenu(self)
        menu.setObjectName("block_menu")
        menu.setAccessibleName("予約の操作")
        bk = next(b.booking for b in self._blocks if b.booking.id == booking_id)
        open_action = menu.addAction("予約を開く")
        open_action.setObjectName("open_booking_action")
        open_action.triggered.connect(lambda: self.bookingActivated.emit(booking_id))
        n = self.waiting_for(bk)
        wait = menu.addAction(WAITLIST_ACTION + (f"（待ち{n}名）" if n else "") + "\tW")
        wait.setObjectName("waitlist_action")
        wait.setEnabled(bk.room_id is not None)
        wait.triggered.connect(lambda: self.request_waitlist(booking_id))
        return menu

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        pos = event.pos()
        if event.reason() == QContextMenuEvent.Reason.Keyboard and self._cursor is not None:
            block = self._block_at_cell(*self._cursor)
            booking_id = block.booking.id if block is not None else None
            rect = self.cursor_rect()
            pos = rect.center() if rect is not None else pos
        else:
            booking_id = self.block_at(pos)
        if booking_id is None:
            super().contextMenuEvent(event)
            return
        self.block_menu(booking_id).exec(self.mapToGlobal(pos))

    # ----- the cell cursor
    def cursor(self) -> tuple[int, dt.datetime] | None:
        """(room_id, start of the slot) under the cell cursor, or None when the grid has no cells."""
        if self._cursor is None:
            return None
        col, m = self._cursor
        c = self._columns[col]
        return c.room_id, dt.datetime.combine(c.day, dt.time()) + dt.timedelta(minutes=m)

    def cursor_cell(self) -> tuple[int, int] | None:
        """(column index, slot start minute) of the cell cursor."""
        return self._cursor

    def cursor_rect(self) -> QRect | None:
        return self._slot_rect(*self._cursor) if self._cursor is not None else None

    def cursor_text(self) -> str:
        """The cell under the cursor in words, for assistive software (the grid's accessible description):
        「11月25日(水) 小会議室1 18:00〜18:30 空き」, 「… 予約 確定 山田太郎 18:00〜21:00」, 「… 休館（年末年始）」."""
        if self._cursor is None:
            return ""
        col, m = self._cursor
        c = self._columns[col]
        where = f"{c.day.month}月{c.day.day}日({jcal.weekday_ja(c.day)}) {c.room_name or c.title}"
        if self._drag is not None and self._drag.col == col:
            return (f"{where} {minutes_text(self._drag.lo)}〜{minutes_text(self._drag.hi)} "
                    "選択中（Enterで新規予約、Escで取消）")
        block = self._block_at_cell(col, m)
        if block is not None:
            bk = block.booking
            text = (f"{where} 予約 {bk.status_label} {bk.booker_name or '利用者未入力'} "
                    f"{booking_service.hm(bk.start)}〜{booking_service.hm(bk.end)}")
            waiting = self.waiting_for(bk)
            return text + (" 規則外" if bk.override_reason else "") + (f" キャンセル待ち{waiting}名" if waiting else "")
        slot = f"{minutes_text(m)}〜{minutes_text(m + SLOT_MINUTES)}"
        if c.closed_reason:
            state = f"休館（{c.closed_reason}）"
        elif c.open_span is None or not (c.open_span[0] <= m and m + SLOT_MINUTES <= c.open_span[1]):
            state = "時間外"
        else:
            state = "空き" if self._slot_free(col, m) else "予約できません"
        return f"{where} {slot} {state}"

    def _block_at_cell(self, col: int, minute: int) -> Block | None:
        return next((b for b in self._blocks if b.col == col and b.start < minute + SLOT_MINUTES
                     and minute < b.end), None)

    def _first_free(self, cols: list[int], from_minute: int) -> tuple[int, int] | None:
        start = max(self._first, from_minute // SLOT_MINUTES * SLOT_MINUTES)
        for m in range(start, self._last, SLOT_MINUTES):
            for i in cols:
                if self._slot_free(i, m):
                    return i, m
        return None

    def _start_cell(self) -> tuple[int, int] | None:
        """Where the cursor starts: today's first free slot at or after now, else the first free slot."""
        if not self._columns:
            return None
        now = self.now_fn()
        every = list(range(len(self._columns)))
        today_cols = [i for i in every if self._columns[i].day == now.date()]
        next_slot = math.ceil(minute_of(now) / SLOT_MINUTES) * SLOT_MINUTES  # a slot begun is past
        hit = self._first_free(today_cols, next_slot) if today_cols else None
        hit = hit or self._first_free(today_cols or every, self._first) or self._first_free(every, self._first)
        if hit is not None:
            return hit
        c = self._columns[0]
        return 0, c.open_span[0] if c.open_span else self._first

    def _fit_cursor(self) -> None:
        """After a refresh the cursor stays where it was, kept inside the grid (a new grid starts it)."""
        if not self._columns:
            self._cursor = None
        elif self._cursor is None:
            self._cursor = self._start_cell()
        else:
            col, m = self._cursor
            self._cursor = (min(col, len(self._columns) - 1), self._clamp(m))
        self._announce()

    def _clamp(self, minute: int) -> int:
        minute = minute // SLOT_MINUTES * SLOT_MINUTES
        return max(self._first, min(self._last - SLOT_MINUTES, minute))

    def _set_cursor(self, col: int, minute: int) -> None:
        self._cursor = (col, minute)
        self._announce()
        self._reveal()
        self.update()

    def _announce(self) -> None:
        """Say the cell under the cursor to assistive software when it changed."""
        text = self.cursor_text()
        if text != self.accessibleDescription():
            self.setAccessibleDescription(text)
            QAccessible.updateAccessibility(QAccessibleEvent(self, QAccessible.Event.DescriptionChanged))

    def _scroll_area(self) -> QScrollArea | None:
        viewport = self.parentWidget()
        area = viewport.parentWidget() if viewport is not None else None
        return area if isinstance(area, QScrollArea) and area.widget() is self else None

    def _reveal(self) -> None:
        """Scroll the cursor's cell into view when the grid sits in a scroll area."""
        area = self._scroll_area()
        r = self.cursor_rect()
        if area is not None and r is not None:
            c = r.center()
            area.ensureVisible(c.x(), c.y(), r.width() // 2 + 4, r.height() // 2 + 4)

    def _move_rows(self, target: int, extend: bool) -> None:
        """The cursor to slot ``target`` of its column; with ``extend`` the selection grows or shrinks with it."""
        if self._cursor is None:
            return
        col, m = self._cursor
        target = self._clamp(target)
        if extend:
            if self._drag is None or self._drag.col != col:
                if not self._slot_free(col, m):
                    return  # a selection starts on a free cell only
                self._drag = Drag(col, m, m)
            self._update_drag(target)
            d = self._drag
            target = d.hi - SLOT_MINUTES if target >= d.anchor else d.lo  # the cursor stays on the selection's edge
        else:
            self._drag = None
        self._set_cursor(col, target)

    def _move_column(self, delta: int) -> None:
        if self._cursor is None:
            return
        col, m = self._cursor
        self._drag = None
        self._set_cursor(max(0, min(len(self._columns) - 1, col + delta)), m)

    def _activate(self, insert: bool) -> None:
        """Enter/Insert: book the selection (or the cursor's free cell); Enter on a booking opens it."""
        sel = self.selection()
        if sel is not None:
            self._drag = None
            self._announce()
            self.update()
            self.newBookingRequested.emit(*sel)
            return
        if self._cursor is None:
            return
        col, m = self._cursor
        block = self._block_at_cell(col, m)
        if block is not None:
            if not insert:
                self.bookingActivated.emit(block.booking.id)
            return
        if self._slot_free(col, m):
            c = self._columns[col]
            base = dt.datetime.combine(c.day, dt.time())
            self.newBookingRequested.emit(c.room_id, base + dt.timedelta(minutes=m),
                                          base + dt.timedelta(minutes=m + SLOT_MINUTES))

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
            self._blocks.append(Block(b, col, minute_of(b.start), end_minute_of(b.start, b.end)))
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
        self._periods = [(p.name, minute_of(p.start), minute_of(p.end)) for p in jhours.periods_for(profile, day)]

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

    def _block_rect(self, b: Block) -> QRect:
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
        hit = self._hit(pos)
        if hit is not None:
            self._cursor = hit  # the cursor follows the mouse
        if hit is None or not self._slot_free(*hit):
            self._drag = None
            self._announce()
            self.update()
            return
        self._drag = Drag(hit[0], hit[1], hit[1])
        self._announce()
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
        # On the calendar page PageUp/PageDown are the page's keys (its 前へ/次へ buttons) and T the main
        # window's; these branches serve a grid shown on its own.
        key = event.key()
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        shift = mods == Qt.KeyboardModifier.ShiftModifier
        plain = mods == Qt.KeyboardModifier.NoModifier
        cur = self._cursor
        if key in (Qt.Key.Key_Up, Qt.Key.Key_Down) and (plain or shift) and cur is not None:
            self._move_rows(cur[1] + (SLOT_MINUTES if key == Qt.Key.Key_Down else -SLOT_MINUTES), shift)
        elif key in (Qt.Key.Key_Home, Qt.Key.Key_End) and (plain or shift) and cur is not None:
            self._move_rows(self._first if key == Qt.Key.Key_Home else self._last - SLOT_MINUTES, shift)
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Right) and plain:
            self._move_column(-1 if key == Qt.Key.Key_Left else 1)
        elif key in (Qt.Key.Key_PageUp, Qt.Key.Key_PageDown) and plain:
            self._step(-1 if key == Qt.Key.Key_PageUp else 1)
        elif key == Qt.Key.Key_T and plain:
            self.go_today()
        elif key == Qt.Key.Key_W and plain and cur is not None and self._block_at_cell(*cur) is not None:
            block = self._block_at_cell(*cur)
            assert block is not None
            self.request_waitlist(block.booking.id)
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Insert) and plain:
            self._activate(insert=key == Qt.Key.Key_Insert)
        elif key == Qt.Key.Key_Escape and self._drag is not None:
            self._drag = None
            self._announce()
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
            self._paint_focus(p)
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

    def _paint_block(self, p: QPainter, b: Block) -> None:
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
        bar = 0
        if status == BookingStatus.IN_USE.value:
            # 利用中 has a thick pale bar down its left edge: told from 確定 without colour (issue 17).
            bar = IN_USE_BAR_W
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(theme.IN_USE_BAR)
            p.drawRoundedRect(QRectF(r.left(), r.top(), bar, r.height()), 2, 2)
        p.setBrush(Qt.BrushStyle.NoBrush)
        bk = b.booking
        time_text = f"{booking_service.hm(bk.start)}〜{booking_service.hm(bk.end)}"
        name = bk.booker_name or "（利用者未入力）"
        lines = [time_text, name]
        if bk.purpose:
            lines.append(bk.purpose)
        lines.append(f"{bk.attendees}名")
        fm = QFontMetrics(self.font())
        inner = r.toRect().adjusted(5 + bar, 2, -4, -2)
        tag = self._tag_rect(r.toRect()) if bk.override_reason else None
        n = max(1, inner.height() // fm.height())
        if n == 1:
            lines = [f"{time_text} {name}"]
        elif n < len(lines):
            # Keep time and name; fold the rest onto the last visible line.
            lines = lines[: n - 1] + ["　".join(lines[n - 1:])]
        mark_right = self._paint_mark(p, status, QRect(inner.left(), inner.top(), inner.width(), fm.height()))
        p.setPen(theme.status_text_color(status))
        p.setFont(self.font())
        for k, text in enumerate(lines[:n]):
            line = QRect(inner.left(), inner.top() + k * fm.height(), inner.width(), fm.height())
            if k == 0 and mark_right is not None:
                line.setLeft(mark_right + 4)  # the first line begins after the state's mark
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
        waiting = self.waiting_for(bk)
        wait_rect = self.wait_mark_rect(bk.id) if waiting else None
        if wait_rect is not None:
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(WAIT_MARK_BG)
            p.drawRoundedRect(QRectF(wait_rect), 3, 3)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.setFont(self._mark_font())
            p.setPen(WAIT_MARK_FG)
            p.drawText(wait_rect, Qt.AlignmentFlag.AlignCenter, f"待{waiting}")
            p.setFont(self.font())
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

    def wait_mark_rect(self, booking_id: int) -> QRect | None:
        """Where the 「待2」 mark of a booked block is painted (lower right); None without people waiting."""
        for b in self._blocks:
            if b.booking.id == booking_id:
                n = self.waiting_for(b.booking)
                if not n:
                    return None
                r = self._block_rect(b)
                fm = QFontMetrics(self._mark_font())
                w, h = fm.horizontalAdvance(f"待{n}") + 8, fm.height() + 2
                if w > r.width() - 6 or h > r.height() - 4:
                    return None
                return QRect(r.right() - w - 3, r.bottom() - h - 2, w, h)
        return None

    def mark_rect(self, booking_id: int) -> QRect | None:
        """Where the state mark (仮・確・中・済) of a booking's block is painted."""
        for b in self._blocks:
            if b.booking.id == booking_id:
                r = self._block_rect(b)
                bar = IN_USE_BAR_W if b.booking.status == BookingStatus.IN_USE.value else 0
                inner = r.adjusted(5 + bar, 2, -4, -2)
                return self._mark_rect(b.booking.status, QRect(inner.left(), inner.top(), inner.width(),
                                                               QFontMetrics(self.font()).height()))
        return None

    def _mark_font(self) -> QFont:
        f = QFont(self.font())
        f.setPointSizeF(self.font().pointSizeF() * 0.85)
        f.setBold(True)
        return f

    def _mark_rect(self, status: str, line: QRect) -> QRect | None:
        mark = theme.status_mark(status)
        if not mark:
            return None
        fm = QFontMetrics(self._mark_font())
        w, h = fm.horizontalAdvance(mark) + 6, min(fm.height() + 1, line.height())
        if w > line.width():
            return None
        return QRect(line.left(), line.top() + (line.height() - h) // 2, w, h)

    def _paint_mark(self, p: QPainter, status: str, line: QRect) -> int | None:
        """The state's mark as a small white badge at the start of the block's first line; its right edge."""
        rect = self._mark_rect(status, line)
        if rect is None:
            return None
        p.setPen(QPen(theme.MARK_FG, 1))
        p.setBrush(theme.MARK_BG)
        p.drawRoundedRect(QRectF(rect), 2, 2)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setFont(self._mark_font())
        p.setPen(theme.MARK_FG)
        p.drawText(rect, Qt.AlignmentFlag.AlignCenter, theme.status_mark(status))
        p.setFont(self.font())
        return rect.right()

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

    def _paint_focus(self, p: QPainter) -> None:
        """With the keyboard focus: a frame round the grid and a thick dark-blue frame on the cursor's cell."""
        if not self.hasFocus():
            return
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(theme.FOCUS_FRAME, 2))
        p.drawRect(self.rect().adjusted(1, 1, -1, -1))
        r = self.cursor_rect()
        if r is not None:
            p.setPen(QPen(QColor("#ffffff"), 5))  # a white halo keeps the frame visible on a dark block
            p.drawRect(r.adjusted(2, 2, -2, -2))
            p.setPen(QPen(theme.CURSOR, 3))
            p.drawRect(r.adjusted(2, 2, -2, -2))

    def _paint_now(self, p: QPainter) -> None:
        now = self.now_fn()
        m = minute_of(now)
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


def closing_minute(t: dt.time) -> int:
    # A closing time of 0:00 means midnight at the end of the day.
    m = minute_of(t)
    return 24 * 60 if m == 0 else m


def week_start(d: dt.date) -> dt.date:
    """The Sunday that begins d's week (Japanese calendars run 日〜土)."""
    return d - dt.timedelta(days=(d.weekday() + 1) % 7)
