"""The booking calendar page (予約カレンダー): a day view of every room, a week view of one room and a
month overview (day_view, week_view, month_view; their shared painting in grid.py), with 日 / 週 / 月
modes and date navigation. New and changed bookings open the booking dialog.

Keys (issue 17): PageUp/PageDown are the page's 前へ/次へ (a day, a week or a month), T today (the main
window's), Tab goes 日・週・月 → 前へ・今日・次へ → the date → (the week's room) → the grid and round again.
Inside the grids the arrows move a cell cursor (grid.py); in the month the arrows move the chosen day.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from booking_app import clock
from booking_app.domain.booking_rules import STATUS_LABELS, BookingStatus
from booking_app.ui import theme
from booking_app.ui.context import AppContext
from booking_app.ui.keyboard import bind_key
from booking_app.ui.dates import date_edit, from_qdate, to_qdate
from booking_app.ui.calendar.day_view import DayView
from booking_app.ui.calendar.grid import OVERRIDE_TAG, OVERRIDE_TAG_BG, OVERRIDE_TAG_FG
from booking_app.ui.calendar.month_view import MonthView, add_months
from booking_app.ui.calendar.week_view import WeekView


REFRESH_ON = frozenset({"booking", "profile", "room", "rooms", "group", "groups"})


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
            b.setObjectName(f"calendar_mode_{mode}")
            b.setAccessibleName({"day": self.tr("日表示"), "week": self.tr("週表示"), "month": self.tr("月表示")}[mode])
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
        self.prev_button.setObjectName("calendar_prev")
        self.next_button.setObjectName("calendar_next")
        self.today_button.setObjectName("calendar_today")
        self.prev_button.setToolTip(self.tr("前の日・週・月へ"))
        self.next_button.setToolTip(self.tr("次の日・週・月へ"))
        bind_key(self, self.prev_button, "PgUp", section="予約カレンダー")
        bind_key(self, self.next_button, "PgDown", section="予約カレンダー")
        self.today_button.clicked.connect(self.go_today)
        bar.addSpacing(12)
        self.date_edit = date_edit("calendar_date", self._date, "yyyy/MM/dd (ddd)")
        self.date_edit.setMinimumWidth(150)
        self.date_edit.setAccessibleName(self.tr("表示する日付"))
        self.date_edit.dateChanged.connect(lambda qd: self.set_date(from_qdate(qd)))
        bar.addWidget(self.date_edit)
        bar.addSpacing(12)
        self.room_label = QLabel(self.tr("部屋："))
        self.room_combo = QComboBox()
        self.room_combo.setMinimumWidth(170)
        self.room_combo.setObjectName("calendar_room")
        self.room_label.setBuddy(self.room_combo)
        self.room_combo.setAccessibleName(self.tr("週表示の部屋"))
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
            area.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the grid inside is the Tab stop, not its frame
            area.setWidget(view)
            self.stack.addWidget(area)
            view.dateChanged.connect(self._view_date_changed)
        for view in (self.day_view, self.week_view):
            view.newBookingRequested.connect(self.open_new_booking)
            view.bookingActivated.connect(self.open_booking)
            view.waitlistRequested.connect(self.open_waitlist)
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
            # The mark as the blocks wear it (仮・確・中・済), so a state is told without its colour.
            chip = QLabel(f"{theme.status_mark(status)} {STATUS_LABELS[BookingStatus(status)]}")
            chip.setObjectName(f"legend_{status}")
            fg = theme.status_text_color(status).name()
            bg = theme.status_color(status).name()
            border = theme.TENTATIVE_BORDER.name() if status == "tentative" else bg
            style = "border-style: dashed;" if status == "tentative" else ""
            if status == "in_use":
                style = f"border-left: 6px solid {theme.IN_USE_BAR.name()};"
            chip.setStyleSheet(f"QLabel {{ background: {bg}; color: {fg}; border: 1px solid {border}; {style}"
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
            self.set_date(add_months(self._date, direction))

    def go_today(self) -> None:
        view = self.current_view()
        if isinstance(view, (DayView, WeekView)):
            view.go_today()  # today, the cursor on its first free slot; the page follows (dateChanged)
        else:
            self.set_date(self.today())
        view.setFocus()

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
    # the calendar modules). An import error is raised, never hidden.
    def open_new_booking(self, room_id: int, start: dt.datetime, end: dt.datetime) -> int | None:
        from booking_app.ui.booking.booking_dialog import BookingDialog
        booking_id = BookingDialog.create(self, self.ctx, room_id=room_id, start=start, end=end)
        if booking_id is not None:
            self.refresh()
        return booking_id

    def open_waitlist(self, room_id: int, start: dt.datetime, end: dt.datetime) -> None:
        """キャンセル待ち of a booked slot (the grid's 「キャンセル待ちに登録」); the grid's 「待n」 follows."""
        from booking_app.ui.waitlist.dialog import WaitlistDialog
        WaitlistDialog(self.ctx, room_id, start, end, self).exec()
        self.refresh()

    def open_booking(self, booking_id: int) -> bool:
        from booking_app.ui.booking.booking_dialog import BookingDialog
        changed = BookingDialog.edit(self, self.ctx, booking_id)
        if changed:
            self.refresh()
        return changed
