"""The booking calendar by keyboard alone (issue 17): the cell cursor of the day and week grids, the month's
chosen day, what the grid says to assistive software, and booking states told apart without colour.

Once the page is shown (and has given the grid its first focus) the tests only press keys
(``keyboard_walk.press``): no mouse, no setFocus.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import types

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible, QColor, QImage
from PySide6.QtWidgets import QLabel

import keyboard_walk as kw
from booking_app.services import bookings as booking_service
from booking_app.services import centre
from booking_app.services.bookings import BookingInput
from booking_app.store.engine import read_session, write_session
from booking_app.ui import theme
from booking_app.ui.calendar.calendar_views import CalendarPage
from booking_app.ui.calendar.day_view import DayView

TODAY = dt.date(2026, 11, 25)  # Wednesday, open 9:00–22:00
NOW = dt.datetime(2026, 11, 25, 10, 15)
pytestmark = [pytest.mark.now(NOW), pytest.mark.usefixtures("japanese_font")]
SHOTS = "/tmp/kb"

K = Qt.Key
SHIFT = Qt.KeyboardModifier.ShiftModifier




@pytest.fixture
def rooms(ctx):
    with read_session(ctx.engine) as session:
        return {r.name: r.id for r in centre.list_rooms(session)}


@pytest.fixture
def dialog_calls(monkeypatch):
    """Stands in for the booking dialog (another engineer's screen) and records how the calendar opened it."""
    calls = []

    class FakeBookingDialog:
        @classmethod
        def create(cls, parent, ctx, *, room_id, start, end):
            calls.append(("create", room_id, start, end))
            return None

        @classmethod
        def edit(cls, parent, ctx, booking_id):
            calls.append(("edit", booking_id))
            return False

    module = types.ModuleType("booking_app.ui.booking.booking_dialog")
    module.BookingDialog = FakeBookingDialog
    monkeypatch.setitem(sys.modules, "booking_app.ui.booking.booking_dialog", module)
    return calls


def book(ctx, room_id, day, start, end, name="下関まちづくり協議会", tentative=False) -> int:
    data = BookingInput(start=dt.datetime.combine(day, start), end=dt.datetime.combine(day, end), room_id=room_id,
                        booker_kind="group", booker_name=name, purpose="定例会議", attendees=6,
                        tentative=tentative, hold_until=day if tentative else None)
    with write_session(ctx.engine) as session:
        return booking_service.create_booking(session, ctx.actor, data, now=NOW - dt.timedelta(hours=3)).id


def page_shown(qtbot, ctx, w=1200, h=760) -> CalendarPage:
    """The calendar page as a window; the page gives the day grid its first focus (set_mode)."""
    page = CalendarPage(ctx)
    qtbot.addWidget(page)
    page.resize(w, h)
    with qtbot.waitActive(page):
        page.show()
        page.activateWindow()
    assert kw.focused() is page.day_view, "the page gives the grid the first focus"
    return page


def description(w) -> str:
    iface = QAccessible.queryAccessibleInterface(w)
    return iface.text(QAccessible.Text.Description)


def cursor_to(view, room_id: int, t: dt.time) -> None:
    """Arrow keys until the cursor is on room_id's slot at t (← → between rooms, ↑ ↓ between slots)."""
    for _ in range(12):
        room, _start = view.cursor()
        if room == room_id:
            break
        order = view.room_ids()
        kw.press(K.Key_Right if order.index(room) < order.index(room_id) else K.Key_Left)
    for _ in range(40):
        _room, start = view.cursor()
        if start.time() == t:
            break
        kw.press(K.Key_Down if start.time() < t else K.Key_Up)
    assert view.cursor() == (room_id, dt.datetime.combine(view.date(), t))


def switch_mode(page, mode: str) -> None:
    """日・週・月 are one Tab stop (an exclusive group, like radio buttons): Tab to it, arrows, Space."""
    kw.tab_until(lambda w: w in page.mode_buttons.values())
    for _ in range(3):
        if kw.focused() is page.mode_buttons[mode]:
            break
        kw.press(K.Key_Right)
    assert kw.focused() is page.mode_buttons[mode]
    kw.press(K.Key_Space)
    assert page.mode() == mode


def save(widget, name: str, grey: bool = False) -> str:
    os.makedirs(SHOTS, exist_ok=True)
    image = widget.grab().toImage()
    if grey:
        image = image.convertToFormat(QImage.Format.Format_Grayscale8)
    path = os.path.join(SHOTS, name)
    assert image.save(path)
    return path


# --------------------------------------------------------------------------- the day grid's cursor


def test_cursor_starts_on_todays_next_free_slot_and_the_arrows_move_it(qtbot, ctx, rooms):
    big, small1 = rooms["大会議室"], rooms["小会議室1"]
    book(ctx, big, TODAY, dt.time(10, 30), dt.time(12))
    page = page_shown(qtbot, ctx)
    view = page.day_view
    # 10:15 now: 10:00 has begun, 大会議室 is taken at 10:30, so the first free cell is 小会議室1 10:30.
    assert view.cursor() == (small1, dt.datetime(2026, 11, 25, 10, 30))
    kw.press(K.Key_Down)
    assert view.cursor() == (small1, dt.datetime(2026, 11, 25, 11))
    kw.press(K.Key_Left)
    assert view.cursor() == (big, dt.datetime(2026, 11, 25, 11))
    kw.press(K.Key_Left)  # the first room: ← stops there
    assert view.cursor() == (big, dt.datetime(2026, 11, 25, 11)) and view.date() == TODAY
    kw.press(K.Key_Home)
    assert view.cursor()[1].time() == dt.time(9)
    kw.press(K.Key_Up)  # the first slot: ↑ stops there
    assert view.cursor()[1].time() == dt.time(9)
    kw.press(K.Key_End)
    assert view.cursor()[1].time() == dt.time(21, 30)
    for _ in range(len(view.room_ids()) + 2):
        kw.press(K.Key_Right)
    assert view.cursor()[0] == view.room_ids()[-1] and view.date() == TODAY


def test_shift_down_five_times_from_18_then_enter_books_18_to_21(qtbot, ctx, rooms, dialog_calls):
    room = rooms["小会議室1"]
    page = page_shown(qtbot, ctx)
    view = page.day_view
    cursor_to(view, room, dt.time(18))
    for _ in range(5):
        kw.press(K.Key_Down, SHIFT)
    assert view.selection() == (room, dt.datetime(2026, 11, 25, 18), dt.datetime(2026, 11, 25, 21))
    assert view.cursor()[1] == dt.datetime(2026, 11, 25, 20, 30)  # the cursor rides the selection's end
    assert "18:00〜21:00 選択中" in description(view)
    path = save(view, "calendar_day_cursor_selection.png")
    assert os.path.getsize(path) > 0
    with qtbot.wait_signal(view.newBookingRequested) as sig:
        kw.press(K.Key_Return)
    assert sig.args == [room, dt.datetime(2026, 11, 25, 18), dt.datetime(2026, 11, 25, 21)]
    assert dialog_calls == [("create", room, dt.datetime(2026, 11, 25, 18), dt.datetime(2026, 11, 25, 21))]
    assert view.selection() is None


def test_the_selection_stops_before_a_taken_slot_and_insert_books_it(qtbot, ctx, rooms, dialog_calls):
    room = rooms["小会議室1"]
    book(ctx, room, TODAY, dt.time(19, 30), dt.time(21))
    page = page_shown(qtbot, ctx)
    view = page.day_view
    cursor_to(view, room, dt.time(18))
    for _ in range(5):
        kw.press(K.Key_Down, SHIFT)
    assert view.selection() == (room, dt.datetime(2026, 11, 25, 18), dt.datetime(2026, 11, 25, 19, 30))
    assert view.cursor()[1].time() == dt.time(19)
    kw.press(K.Key_Up, SHIFT)  # shrinks back towards the anchor
    assert view.selection()[2] == dt.datetime(2026, 11, 25, 19)
    kw.press(K.Key_Insert)
    assert dialog_calls == [("create", room, dt.datetime(2026, 11, 25, 18), dt.datetime(2026, 11, 25, 19))]


def test_upwards_selection_and_a_single_free_cell(qtbot, ctx, rooms, dialog_calls):
    room = rooms["小会議室1"]
    page = page_shown(qtbot, ctx)
    view = page.day_view
    cursor_to(view, room, dt.time(14))
    kw.press(K.Key_Up, SHIFT)
    kw.press(K.Key_Up, SHIFT)
    assert view.selection() == (room, dt.datetime(2026, 11, 25, 13), dt.datetime(2026, 11, 25, 14, 30))
    assert view.cursor()[1].time() == dt.time(13)
    kw.press(K.Key_Down)  # a plain arrow drops the selection
    assert view.selection() is None
    kw.press(K.Key_Enter)  # Enter on one free cell books that half hour
    assert dialog_calls == [("create", room, dt.datetime(2026, 11, 25, 13, 30), dt.datetime(2026, 11, 25, 14))]


def test_escape_drops_the_selection(qtbot, ctx, rooms, dialog_calls):
    room = rooms["小会議室1"]
    page = page_shown(qtbot, ctx)
    view = page.day_view
    cursor_to(view, room, dt.time(18))
    kw.press(K.Key_Down, SHIFT)
    kw.press(K.Key_Down, SHIFT)
    assert view.selection() is not None and "選択中" in description(view)
    kw.press(K.Key_Escape)
    assert view.selection() is None
    assert "選択中" not in description(view)
    assert view.cursor() == (room, dt.datetime(2026, 11, 25, 19))
    assert dialog_calls == []


def test_enter_on_a_block_opens_the_booking_insert_does_not(qtbot, ctx, rooms, dialog_calls):
    room = rooms["小会議室1"]
    a = book(ctx, room, TODAY, dt.time(18), dt.time(21), name="山田太郎")
    page = page_shown(qtbot, ctx)
    view = page.day_view
    cursor_to(view, room, dt.time(19))
    kw.press(K.Key_Down, SHIFT)  # no selection starts on a booking
    assert view.selection() is None
    kw.press(K.Key_Insert)
    assert dialog_calls == []
    with qtbot.wait_signal(view.bookingActivated) as sig:
        kw.press(K.Key_Return)
    assert sig.args == [a] and dialog_calls == [("edit", a)]


def test_page_down_changes_the_day_and_keeps_the_cursor(qtbot, ctx, rooms):
    room = rooms["小会議室1"]
    page = page_shown(qtbot, ctx)
    view = page.day_view
    cursor_to(view, room, dt.time(18))
    kw.press(K.Key_PageDown)
    assert view.date() == TODAY + dt.timedelta(days=1) and page.date() == view.date()
    assert page.date_edit.date().day() == 26
    assert view.cursor() == (room, dt.datetime(2026, 11, 26, 18))
    assert kw.focused() is view
    kw.press(K.Key_PageUp)
    kw.press(K.Key_PageUp)
    assert view.date() == TODAY - dt.timedelta(days=1)
    kw.press(K.Key_T)  # today again, the cursor back on its first free slot from now
    assert view.date() == TODAY and view.cursor()[1] == dt.datetime(2026, 11, 25, 10, 30)
    assert page.date() == TODAY and page.date_edit.date().day() == 25
    kw.press(K.Key_PageDown)
    kw.press(K.Key_Down)
    kw.tab_to(page.today_button)  # 今日 by Tab and Space: today, and the keyboard back in the grid
    kw.press(K.Key_Space)
    assert page.date() == TODAY and page.date_edit.date().day() == 25
    assert view.cursor() == (rooms["大会議室"], dt.datetime(2026, 11, 25, 10, 30))  # the first free slot from now
    assert kw.focused() is view
    # The page's keys show on its buttons and are listed for the key sheet.
    assert "PgUp" in page.prev_button.text() and "PgDown" in page.next_button.text()
    from booking_app.ui.keyboard import SECTION_PROPERTY, keyed_actions
    assert {a.property(SECTION_PROPERTY) for a in keyed_actions(page)} == {"予約カレンダー"}


def test_the_cursor_follows_a_refresh_and_stays_in_range(qtbot, ctx, rooms):
    room = rooms["小会議室1"]
    page = page_shown(qtbot, ctx)
    view = page.day_view
    cursor_to(view, room, dt.time(21, 30))
    a = book(ctx, room, TODAY, dt.time(21), dt.time(22), name="夜の合唱団")
    page.refresh()
    assert view.cursor() == (room, dt.datetime(2026, 11, 25, 21, 30))
    assert "予約 確定 夜の合唱団 21:00〜22:00" in description(view)
    # Sunday closes at 18:00: the grid is shorter and the cursor is kept inside it.
    kw.press(K.Key_PageDown)
    kw.press(K.Key_PageDown)
    kw.press(K.Key_PageDown)
    kw.press(K.Key_PageDown)
    assert view.date() == dt.date(2026, 11, 29)
    _room, start = view.cursor()
    assert start.time() <= dt.time(17, 30)
    assert a


def test_the_accessible_description_follows_the_cursor(qtbot, ctx, rooms):
    room = rooms["小会議室1"]
    book(ctx, room, TODAY, dt.time(18), dt.time(21), name="山田太郎")
    page = page_shown(qtbot, ctx)
    view = page.day_view
    assert kw.accessible_name(view) == "予約カレンダー（日表示）"
    cursor_to(view, room, dt.time(17, 30))
    assert description(view) == "11月25日(水) 小会議室1 17:30〜18:00 空き"
    kw.press(K.Key_Down)
    assert description(view) == "11月25日(水) 小会議室1 予約 確定 山田太郎 18:00〜21:00"
    kw.press(K.Key_End)
    kw.press(K.Key_Down)
    assert description(view) == "11月25日(水) 小会議室1 21:30〜22:00 空き"
    assert kw.accessible_name(view) == "予約カレンダー（日表示）"  # the name stays; the description moves


def test_a_closed_day_is_said_to_be_closed(qtbot, ctx, rooms):
    page = page_shown(qtbot, ctx)
    view = page.day_view
    kw.press(K.Key_PageDown)  # Thursday 11/26 is open; step to the first closed day the profile has
    for _ in range(60):
        if view.header_text().find("休館日") >= 0:
            break
        kw.press(K.Key_PageDown)
    assert "休館日" in view.header_text()
    assert "休館（" in description(view)


def test_focus_is_drawn_on_the_grid_and_the_cursor(qtbot, ctx, rooms):
    room = rooms["小会議室1"]
    page = page_shown(qtbot, ctx)
    view = page.day_view
    cursor_to(view, room, dt.time(18))
    image = view.grab().toImage()
    r = view.cursor_rect()
    # The cursor's thick dark-blue frame, 2–4 px inside the cell.
    assert QColor(image.pixel(r.center().x(), r.top() + 3)) == theme.CURSOR
    assert QColor(image.pixel(1, view.height() // 2)) == theme.FOCUS_FRAME
    kw.tab_until(lambda w: w is not view)  # focus leaves: neither frame is drawn
    image = view.grab().toImage()
    assert QColor(image.pixel(r.center().x(), r.top() + 3)) != theme.CURSOR
    assert QColor(image.pixel(1, view.height() // 2)) != theme.FOCUS_FRAME


def test_the_cursor_is_scrolled_into_view(qtbot, ctx, rooms):
    page = page_shown(qtbot, ctx, 900, 420)  # too low for 26 rows: the scroll area scrolls
    view = page.day_view
    area = page.stack.currentWidget()
    kw.press(K.Key_End)
    r = view.cursor_rect()
    top = area.verticalScrollBar().value()
    assert area.verticalScrollBar().maximum() > 0
    assert top <= r.top() and r.bottom() <= top + area.viewport().height()
    kw.press(K.Key_Home)
    assert area.verticalScrollBar().value() <= view.cursor_rect().top()


# --------------------------------------------------------------------------- the week grid


def test_week_cursor_moves_between_days_and_books_one_room(qtbot, ctx, rooms, dialog_calls):
    big = rooms["大会議室"]
    page = page_shown(qtbot, ctx)
    switch_mode(page, "week")
    view = page.week_view
    assert page.mode() == "week" and kw.focused() is view
    assert kw.accessible_name(view) == "予約カレンダー（週表示）"
    assert view.cursor() == (big, dt.datetime(2026, 11, 25, 10, 30))  # today's column, next free slot
    kw.press(K.Key_Right)
    assert view.cursor()[1].date() == dt.date(2026, 11, 26)
    kw.press(K.Key_Right)
    kw.press(K.Key_Right)
    kw.press(K.Key_Right)  # Saturday is the last column: → stops
    assert view.cursor()[1].date() == dt.date(2026, 11, 28) and view.days()[0] == dt.date(2026, 11, 22)
    assert description(view).startswith("11月28日(土) 大会議室 ")
    kw.press(K.Key_Down, SHIFT)
    save(page, "calendar_week_cursor.png")
    kw.press(K.Key_Return)
    assert dialog_calls == [("create", big, dt.datetime(2026, 11, 28, 10, 30), dt.datetime(2026, 11, 28, 11, 30))]
    kw.press(K.Key_PageDown)
    assert view.days()[0] == dt.date(2026, 11, 29) and view.cursor()[1].date() == dt.date(2026, 12, 5)


# --------------------------------------------------------------------------- the month view


def test_month_arrows_move_the_day_and_enter_opens_it(qtbot, ctx, rooms):
    book(ctx, rooms["大会議室"], dt.date(2026, 11, 27), dt.time(9), dt.time(12))
    page = page_shown(qtbot, ctx)
    switch_mode(page, "month")
    month = page.month_view
    assert kw.focused() is month and kw.accessible_name(month) == "予約カレンダー（月表示）"
    assert month.selected_date() == TODAY
    kw.press(K.Key_Right)
    kw.press(K.Key_Right)
    assert month.selected_date() == dt.date(2026, 11, 27)
    assert description(month) == "11月27日(金) 予約1件"
    save(page, "calendar_month_focus.png")
    kw.press(K.Key_Down)  # a week on: December shows
    assert month.selected_date() == dt.date(2026, 12, 4) and month.date().month == 12
    assert page.date_edit.date().month() == 12
    kw.press(K.Key_Up)
    assert month.selected_date() == dt.date(2026, 11, 27) and month.date().month == 11
    kw.press(K.Key_Return)
    assert page.mode() == "day" and page.day_view.date() == dt.date(2026, 11, 27)
    assert kw.focused() is page.day_view


# --------------------------------------------------------------------------- Tab and names


def test_every_control_is_named_and_tab_goes_round(qtbot, ctx, rooms):
    page = page_shown(qtbot, ctx)
    assert kw.unnamed(page) == []
    chain = kw.tab_chain()
    kw.assert_no_trap(chain, must_reach=[page.mode_buttons["day"], page.prev_button, page.today_button,
                                         page.next_button, page.date_edit, page.day_view])
    assert not any(w is page.stack.currentWidget() for w in chain)  # the scroll area is no Tab stop
    switch_mode(page, "week")
    assert kw.unnamed(page) == []
    chain = kw.tab_chain()
    kw.assert_no_trap(chain, must_reach=[page.room_combo, page.week_view, page.date_edit])
    switch_mode(page, "month")
    chain = kw.tab_chain()
    kw.assert_no_trap(chain, must_reach=[page.month_view, page.date_edit])


# --------------------------------------------------------------------------- states without colour


def test_states_differ_in_a_greyscale_image(qtbot, ctx, rooms):
    confirmed = book(ctx, rooms["大会議室"], TODAY, dt.time(11), dt.time(14))
    in_use = book(ctx, rooms["小会議室1"], TODAY, dt.time(11), dt.time(14))
    tentative = book(ctx, rooms["小会議室2"], TODAY, dt.time(11), dt.time(14), tentative=True)
    with write_session(ctx.engine) as session:
        booking_service.check_in(session, ctx.actor, in_use, now=NOW)
    page = page_shown(qtbot, ctx)
    view = page.day_view
    grey = view.grab().toImage().convertToFormat(QImage.Format.Format_Grayscale8)
    save(view, "calendar_states_grey.png", grey=True)
    save(view, "calendar_states.png")

    def level(x: int, y: int) -> int:
        return QColor(grey.pixel(x, y)).value()

    def fill_level(booking_id: int) -> int:
        r = view.block_rect(booking_id)
        return level(r.right() - 6, r.bottom() - 4)  # a corner of the fill with no text on it

    # Each block carries its mark: a white badge with dark text pixels in it.
    for booking_id, mark in ((confirmed, "確"), (in_use, "中"), (tentative, "仮")):
        m = view.mark_rect(booking_id)
        assert m is not None and m.width() > 4, mark
        levels = [level(x, y) for x in range(m.left() + 2, m.right() - 1) for y in range(m.top() + 2, m.bottom() - 1)]
        assert max(levels) > 230 and min(levels) < 100, f"the mark {mark} is not readable in grey"
    assert theme.STATUS_MARKS["confirmed"] == "確" and theme.STATUS_MARKS["in_use"] == "中"
    # 確定 and 利用中 differ in grey by their fill, and 利用中 has its pale bar down the left edge.
    assert abs(fill_level(confirmed) - fill_level(in_use)) >= 30, (fill_level(confirmed), fill_level(in_use))
    mid_y = view.block_rect(in_use).center().y()
    assert level(view.block_rect(in_use).left() + 3, mid_y) - fill_level(in_use) >= 80
    assert abs(level(view.block_rect(confirmed).left() + 3, mid_y) - fill_level(confirmed)) < 10
    # 仮予約 is pale and striped: its fill is not one grey.
    t = view.block_rect(tentative)
    stripe = {level(x, t.bottom() - 10) for x in range(t.right() - 60, t.right() - 6)}
    assert len(stripe) > 1
    # The legend pairs each mark with its state.
    texts = [page.findChild(QLabel, f"legend_{s}").text() for s in ("tentative", "confirmed", "in_use", "completed")]
    assert texts == ["仮 仮予約", "確 確定", "中 利用中", "済 利用済"]


def test_day_view_alone_keeps_its_keys(qtbot, ctx, rooms, dialog_calls):
    """A grid shown on its own (no page round it) steps days with PageUp/PageDown itself."""
    view = DayView(ctx)
    qtbot.addWidget(view)
    view.resize(1000, 700)
    view.set_date(TODAY)
    with qtbot.waitActive(view):
        view.show()
        view.activateWindow()
    assert kw.focused() is view
    kw.press(K.Key_PageDown)
    assert view.date() == TODAY + dt.timedelta(days=1)
    kw.press(K.Key_T)
    assert view.date() == TODAY


# --------------------------------------------------------------------------- the real booking dialog


@pytest.mark.answers_modals
def test_enter_opens_the_real_booking_dialog_pre_filled(qtbot, ctx, rooms):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from booking_app.ui.booking.booking_dialog import BookingDialog
    from booking_app.ui.dates import from_qdate

    room = rooms["小会議室1"]
    page = page_shown(qtbot, ctx)
    save(page, "calendar_page_legend.png")
    view = page.day_view
    cursor_to(view, room, dt.time(18))
    for _ in range(5):
        kw.press(K.Key_Down, SHIFT)
    seen: dict = {}

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, BookingDialog) or QApplication.activeWindow() is not dialog:
            QTimer.singleShot(20, answer)  # keys go to the dialog once it is the active window
            return
        seen.update(day=from_qdate(dialog.date_edit.date()), start=dialog.start_combo.currentText(),
                    end=dialog.end_combo.currentText(), room=dialog.room_combo.currentData())
        kw.press(K.Key_Escape)  # nothing typed: the dialog closes at once

    QTimer.singleShot(0, answer)
    kw.press(K.Key_Return)
    assert seen == {"day": TODAY, "start": "18:00", "end": "21:00", "room": room}
    assert view.selection() is None
    # The window keeps the grid as its focus widget: activated again (the offscreen platform has no window
    # manager to hand activation back), the keys go to the grid.
    assert page.focusWidget() is view
