"""The booking calendar: day, week and month views driven with the mouse and keyboard like a person would."""

from __future__ import annotations

import datetime as dt
import sys
import types

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor

from booking_app.services import bookings as booking_service
from booking_app.services import centre
from booking_app.services.bookings import BookingInput
from booking_app.store.engine import make_engine, read_session, write_session
from booking_app.store.models import Booking
from booking_app.ui import theme
from booking_app.ui.calendar.calendar_views import CalendarPage
from booking_app.ui.calendar.day_view import DayView
from booking_app.ui.calendar.grid import booking_tooltip
from booking_app.ui.calendar.month_view import MonthView
from booking_app.ui.calendar.week_view import WeekView
from booking_app.ui.context import AppContext

TODAY = dt.date(2026, 11, 25)  # Wednesday
NOW = dt.datetime(2026, 11, 25, 8, 0)
DAY = dt.date(2026, 11, 27)  # Friday, open 9:00–22:00
pytestmark = [pytest.mark.now(TODAY), pytest.mark.usefixtures("japanese_font")]




@pytest.fixture
def ctx(sqlite_url):
    engine = make_engine(sqlite_url)
    with write_session(engine) as session:
        centre.ensure_initial_data(session)
        staff = centre.list_staff(session)
    context = AppContext(engine, staff[0].as_actor(), db_label="test.sqlite3")
    yield context
    engine.dispose()


@pytest.fixture
def rooms(ctx):
    with read_session(ctx.engine) as session:
        return {r.name: r.id for r in centre.list_rooms(session)}


def book(ctx, room_id, day, start, end, name="下関まちづくり協議会", purpose="定例会議", attendees=6,
         tentative=False) -> int:
    data = BookingInput(start=dt.datetime.combine(day, start), end=dt.datetime.combine(day, end), room_id=room_id,
                        booker_kind="group", booker_name=name, purpose=purpose, attendees=attendees,
                        tentative=tentative, hold_until=DAY if tentative else None)
    with write_session(ctx.engine) as session:
        return booking_service.create_booking(session, ctx.actor, data, now=NOW).id


def shown(qtbot, widget, w=1100, h=700):
    qtbot.addWidget(widget)
    widget.resize(w, h)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def drag(qtbot, widget, start: QPoint, end: QPoint) -> None:
    qtbot.mousePress(widget, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(widget, pos=QPoint(start.x(), (start.y() + end.y()) // 2))
    qtbot.mouseMove(widget, pos=end)
    qtbot.mouseRelease(widget, Qt.MouseButton.LeftButton, pos=end)


# --------------------------------------------------------------------------- day view


def test_day_view_shows_live_blocks_and_counts_cancelled(qtbot, ctx, rooms):
    big, small = rooms["大会議室"], rooms["小会議室1"]
    a = book(ctx, big, DAY, dt.time(9), dt.time(12))
    b = book(ctx, small, DAY, dt.time(13), dt.time(15), name="読み聞かせの会", tentative=True)
    c = book(ctx, small, DAY, dt.time(18), dt.time(20), name="取消の会")
    with write_session(ctx.engine) as session:
        booking_service.cancel_booking(session, ctx.actor, c, reason="団体の都合", now=NOW)
    other_day = book(ctx, big, DAY + dt.timedelta(days=1), dt.time(9), dt.time(12))

    view = shown(qtbot, DayView(ctx))
    view.set_date(DAY)

    assert view.block_at(view.cell_rect(big, dt.time(10, 30)).center()) == a
    assert view.block_at(view.cell_rect(small, dt.time(14)).center()) == b
    # The cancelled booking frees its slot and is only counted in the header note.
    assert view.block_at(view.cell_rect(small, dt.time(18, 30)).center()) is None
    assert "取消 1件" in view.note_text()
    assert view.block_at(view.cell_rect(rooms["作業室"], dt.time(10)).center()) is None
    assert other_day not in {bv.id for bv in view.bookings()}
    # The block is painted in the 確定 colour where it sits.
    image = view.grab().toImage()
    probe = view.block_rect(a).bottomRight() - QPoint(6, 6)
    assert QColor(image.pixel(probe)) == theme.status_color("confirmed")
    tip = booking_tooltip(next(bv for bv in view.bookings() if bv.id == a))
    assert "下関まちづくり協議会" in tip and "9:00〜12:00" in tip and "6名" in tip


def test_day_view_reads_bookings_with_one_query_per_refresh(qtbot, ctx, rooms, monkeypatch):
    book(ctx, rooms["大会議室"], DAY, dt.time(9), dt.time(12))
    calls = []
    real = booking_service.bookings_between
    monkeypatch.setattr(booking_service, "bookings_between", lambda *a, **k: calls.append(a) or real(*a, **k))
    view = shown(qtbot, DayView(ctx))
    calls.clear()
    view.set_date(DAY)
    assert len(calls) == 1
    _session, start, end = calls[0]
    assert (start, end) == (dt.datetime(2026, 11, 27), dt.datetime(2026, 11, 28))


def test_drag_over_free_cells_requests_a_new_booking(qtbot, ctx, rooms):
    room = rooms["小会議室2"]
    view = shown(qtbot, DayView(ctx))
    view.set_date(DAY)
    with qtbot.wait_signal(view.newBookingRequested) as sig:
        drag(qtbot, view, view.cell_rect(room, dt.time(10)).center(), view.cell_rect(room, dt.time(11, 30)).center())
    assert sig.args == [room, dt.datetime(2026, 11, 27, 10), dt.datetime(2026, 11, 27, 12)]

    # Dragging upwards works too.
    with qtbot.wait_signal(view.newBookingRequested) as sig:
        drag(qtbot, view, view.cell_rect(room, dt.time(15)).center(), view.cell_rect(room, dt.time(13)).center())
    assert sig.args == [room, dt.datetime(2026, 11, 27, 13), dt.datetime(2026, 11, 27, 15, 30)]


def test_drag_stops_before_a_booked_slot(qtbot, ctx, rooms):
    room = rooms["大会議室"]
    book(ctx, room, DAY, dt.time(12), dt.time(13))
    view = shown(qtbot, DayView(ctx))
    view.set_date(DAY)
    with qtbot.wait_signal(view.newBookingRequested) as sig:
        drag(qtbot, view, view.cell_rect(room, dt.time(10)).center(), view.cell_rect(room, dt.time(14)).center())
    assert sig.args[1:] == [dt.datetime(2026, 11, 27, 10), dt.datetime(2026, 11, 27, 12)]
    # Pressing on a block starts no drag; double-clicking it opens it.
    with qtbot.assertNotEmitted(view.newBookingRequested):
        drag(qtbot, view, view.cell_rect(room, dt.time(12)).center(), view.cell_rect(room, dt.time(15)).center())


def test_double_click_on_block_activates_booking(qtbot, ctx, rooms):
    a = book(ctx, rooms["作業室"], DAY, dt.time(14), dt.time(16))
    view = shown(qtbot, DayView(ctx))
    view.set_date(DAY)
    with qtbot.wait_signal(view.bookingActivated) as sig:
        qtbot.mouseDClick(view, Qt.MouseButton.LeftButton, pos=view.block_rect(a).center())
    assert sig.args == [a]


def test_keyboard_moves_the_date(qtbot, ctx):
    view = shown(qtbot, DayView(ctx))
    view.set_date(DAY)
    view.setFocus()
    with qtbot.wait_signal(view.dateChanged) as sig:
        qtbot.keyClick(view, Qt.Key.Key_PageDown)
    assert sig.args == [DAY + dt.timedelta(days=1)] and view.date() == dt.date(2026, 11, 28)
    qtbot.keyClick(view, Qt.Key.Key_PageUp)
    qtbot.keyClick(view, Qt.Key.Key_PageUp)
    assert view.date() == dt.date(2026, 11, 26)
    qtbot.keyClick(view, Qt.Key.Key_Left)  # ← and → move the cell cursor between rooms, not the day
    qtbot.keyClick(view, Qt.Key.Key_Right)
    assert view.date() == dt.date(2026, 11, 26)
    qtbot.keyClick(view, Qt.Key.Key_T)
    assert view.date() == TODAY


def test_holiday_header_in_red_with_wareki_and_name(qtbot, ctx):
    view = shown(qtbot, DayView(ctx))
    view.set_date(dt.date(2026, 11, 23))
    assert view.header_text().startswith("2026年11月23日(月) 令和8年")
    assert "勤労感謝の日" in view.header_text()
    assert view.header_color() == theme.HOLIDAY
    # The band is really painted in red, not only told so.
    image = view.grab().toImage()
    band = [QColor(image.pixel(x, y)) for x in range(0, 500) for y in range(4, 30)]
    assert sum(1 for c in band if c.red() > 150 and c.green() < 90 and c.blue() < 90) > 30
    # A Saturday is blue; an ordinary Friday plain.
    view.set_date(dt.date(2026, 11, 28))
    assert view.header_color() == theme.SATURDAY
    view.set_date(DAY)
    assert view.header_color() is None and "令和8年" in view.header_text()


def test_closed_day_shows_reason_and_refuses_drags(qtbot, ctx, rooms):
    view = shown(qtbot, DayView(ctx))
    view.set_date(dt.date(2026, 12, 30))
    assert "年末年始" in view.header_text() and "休館" in view.header_text()
    room = rooms["大会議室"]
    with qtbot.assertNotEmitted(view.newBookingRequested):
        drag(qtbot, view, view.cell_rect(room, dt.time(10)).center(), view.cell_rect(room, dt.time(12)).center())
    image = view.grab().toImage()
    assert QColor(image.pixel(view.cell_rect(room, dt.time(15)).center())) == theme.CLOSED_BG


def manager_of(ctx):
    with read_session(ctx.engine) as session:
        return next(st for st in centre.list_staff(session) if st.role == "manager").as_actor()


def test_manager_may_drag_on_a_closed_day_desk_may_not(qtbot, ctx, rooms, monkeypatch):
    # QA: even a manager was refused; the booking dialog asks a manager for the 規則外 reason anyway.
    fake_dialog = []

    class AskingDialog:  # closed without saving: the real one would ask the reason first
        @classmethod
        def create(cls, parent, ctx, *, room_id, start, end):
            fake_dialog.append(("create", room_id, start, end))
            return None

    module = types.ModuleType("booking_app.ui.booking.booking_dialog")
    module.BookingDialog = AskingDialog
    monkeypatch.setitem(sys.modules, "booking_app.ui.booking.booking_dialog", module)
    closed = dt.date(2026, 12, 30)
    page = shown(qtbot, CalendarPage(ctx), 1200, 720)
    page.set_date(closed)
    view, room = page.day_view, rooms["大会議室"]
    assert not ctx.actor.is_manager
    with qtbot.assertNotEmitted(view.newBookingRequested):
        drag(qtbot, view, view.cell_rect(room, dt.time(10)).center(), view.cell_rect(room, dt.time(11, 30)).center())
    assert fake_dialog == []
    ctx.set_actor(manager_of(ctx))
    drag(qtbot, view, view.cell_rect(room, dt.time(10)).center(), view.cell_rect(room, dt.time(11, 30)).center())
    assert fake_dialog == [("create", room, dt.datetime(2026, 12, 30, 10), dt.datetime(2026, 12, 30, 12))]


def test_override_booking_is_tagged_with_its_reason(qtbot, ctx, rooms):
    closed = dt.date(2026, 12, 30)
    manager = manager_of(ctx)
    big, small = rooms["大会議室"], rooms["小会議室1"]
    data = BookingInput(start=dt.datetime.combine(closed, dt.time(10)), end=dt.datetime.combine(closed, dt.time(12)),
                        room_id=big, booker_kind="group", booker_name="市民活動課", purpose="年末の片付け",
                        attendees=4, override_reason="市の依頼による臨時利用")
    with write_session(ctx.engine) as session:
        a = booking_service.create_booking(session, manager, data, now=NOW).id
    view = shown(qtbot, DayView(ctx))
    view.set_date(DAY)
    b = book(ctx, small, DAY, dt.time(10), dt.time(12))  # within the rules: no tag
    view.set_date(closed)
    tag = view.override_tag_rect(a)
    assert tag is not None and view.block_rect(a).contains(tag)
    image = view.grab().toImage()
    assert QColor(image.pixel(tag.left() + 2, tag.center().y())) == QColor("#e65100")
    tip = booking_tooltip(next(bv for bv in view.bookings() if bv.id == a))
    assert "規則外（管理者承認）：市の依頼による臨時利用" in tip
    view.set_date(DAY)
    assert view.override_tag_rect(b) is None
    assert "規則外" not in booking_tooltip(next(bv for bv in view.bookings() if bv.id == b))


def test_sunday_rows_follow_holiday_hours(qtbot, ctx):
    view = shown(qtbot, DayView(ctx))
    view.set_date(dt.date(2026, 11, 29))  # Sunday 9:00–18:00
    assert view._first == 9 * 60 and view._last == 18 * 60


def test_now_line_only_on_today(qtbot, ctx, rooms):
    view = shown(qtbot, DayView(ctx))
    view.now_fn = lambda: dt.datetime(2026, 11, 25, 14, 10)
    view.set_date(TODAY)
    y = view.cell_rect(rooms["作業室"], dt.time(14)).top() + 7  # 10 of 30 minutes into the row
    x = view.cell_rect(rooms["作業室"], dt.time(14)).center().x()
    reds = [QColor(view.grab().toImage().pixel(x, yy)) for yy in range(y - 3, y + 4)]
    assert any(c.red() > 200 and c.green() < 100 for c in reds)
    view.set_date(DAY)
    reds = [QColor(view.grab().toImage().pixel(x, yy)) for yy in range(y - 3, y + 4)]
    assert not any(c.red() > 200 and c.green() < 100 for c in reds)


# --------------------------------------------------------------------------- week and month


def test_week_view_one_room_over_seven_days(qtbot, ctx, rooms):
    big = rooms["大会議室"]
    a = book(ctx, big, DAY, dt.time(9), dt.time(12))
    book(ctx, rooms["小会議室1"], DAY, dt.time(9), dt.time(12))  # another room: not in this week view
    view = shown(qtbot, WeekView(ctx))
    view.set_date(DAY)
    view.set_room(big)
    assert view.days()[0] == dt.date(2026, 11, 22) and view.days()[-1] == dt.date(2026, 11, 28)
    assert view.block_at(view.cell_rect(DAY, dt.time(10)).center()) == a
    assert [b.room_id for b in view.bookings()] == [big]
    # Drag on Thursday's column.
    thu = dt.date(2026, 11, 26)
    with qtbot.wait_signal(view.newBookingRequested) as sig:
        drag(qtbot, view, view.cell_rect(thu, dt.time(18)).center(), view.cell_rect(thu, dt.time(19, 30)).center())
    assert sig.args == [big, dt.datetime(2026, 11, 26, 18), dt.datetime(2026, 11, 26, 20)]
    # Sunday closes at 18:00: its evening cells refuse a drag.
    sun = dt.date(2026, 11, 22)
    with qtbot.assertNotEmitted(view.newBookingRequested):
        drag(qtbot, view, view.cell_rect(sun, dt.time(19)).center(), view.cell_rect(sun, dt.time(20)).center())
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_PageDown)
    assert view.days()[0] == dt.date(2026, 11, 29)


def test_month_view_counts_and_opens_a_day(qtbot, ctx, rooms):
    book(ctx, rooms["大会議室"], DAY, dt.time(9), dt.time(12))
    book(ctx, rooms["小会議室1"], DAY, dt.time(9), dt.time(12))
    c = book(ctx, rooms["作業室"], DAY, dt.time(9), dt.time(12))
    book(ctx, rooms["作業室"], dt.date(2026, 11, 30), dt.time(9), dt.time(12))
    with write_session(ctx.engine) as session:
        booking_service.cancel_booking(session, ctx.actor, c, reason="都合", now=NOW)
    page = shown(qtbot, CalendarPage(ctx))
    page.set_mode("month")
    month: MonthView = page.month_view
    assert month.counts() == {DAY: 2, dt.date(2026, 11, 30): 1}
    assert month.header_text() == "2026年11月 令和8年"
    rect = month.day_rect(DAY)
    qtbot.mouseDClick(month, Qt.MouseButton.LeftButton, pos=rect.center())
    assert page.mode() == "day" and page.day_view.date() == DAY
    assert page.date_edit.date().day() == 27


# --------------------------------------------------------------------------- the page


@pytest.fixture
def fake_dialog(monkeypatch):
    """Stands in for the booking dialog (another engineer's screen) and records how it was called."""
    calls = []

    class FakeBookingDialog:
        @classmethod
        def create(cls, parent, ctx, *, room_id, start, end):
            calls.append(("create", room_id, start, end))
            return ctx.write(lambda s, actor: booking_service.create_booking(
                s, actor, BookingInput(start=start, end=end, room_id=room_id, booker_kind="person",
                                       booker_name="山田花子", purpose="打合せ", attendees=3), now=NOW).id)

        @classmethod
        def edit(cls, parent, ctx, booking_id):
            calls.append(("edit", booking_id))
            return False

    module = types.ModuleType("booking_app.ui.booking.booking_dialog")
    module.BookingDialog = FakeBookingDialog
    monkeypatch.setitem(sys.modules, "booking_app.ui.booking.booking_dialog", module)
    return calls


def test_page_opens_dialog_and_shows_the_new_booking(qtbot, ctx, rooms, fake_dialog):
    page = shown(qtbot, CalendarPage(ctx), 1200, 720)
    page.set_date(DAY)
    view = page.day_view
    room = rooms["小会議室1"]
    drag(qtbot, view, view.cell_rect(room, dt.time(13)).center(), view.cell_rect(room, dt.time(14, 30)).center())
    assert fake_dialog == [("create", room, dt.datetime(2026, 11, 27, 13), dt.datetime(2026, 11, 27, 15))]
    new_id = view.block_at(view.cell_rect(room, dt.time(14)).center())
    assert new_id is not None
    qtbot.mouseDClick(view, Qt.MouseButton.LeftButton, pos=view.block_rect(new_id).center())
    assert fake_dialog[-1] == ("edit", new_id)


def test_page_refreshes_when_a_booking_changes_elsewhere(qtbot, ctx, rooms):
    page = shown(qtbot, CalendarPage(ctx))
    page.set_date(DAY)
    room = rooms["多目的交流ホール"]
    assert page.day_view.block_at(page.day_view.cell_rect(room, dt.time(10)).center()) is None
    new_id = ctx.write(lambda s, actor: booking_service.create_booking(
        s, actor, BookingInput(start=dt.datetime.combine(DAY, dt.time(10)),
                               end=dt.datetime.combine(DAY, dt.time(12)), room_id=room, booker_kind="person",
                               booker_name="山田花子", purpose="講座", attendees=30), now=NOW).id)
    assert page.day_view.block_at(page.day_view.cell_rect(room, dt.time(10)).center()) == new_id


def test_page_navigation_buttons_and_modes(qtbot, ctx, rooms):
    page = shown(qtbot, CalendarPage(ctx))
    assert page.date() == TODAY and page.mode() == "day"
    qtbot.mouseClick(page.next_button, Qt.MouseButton.LeftButton)
    assert page.day_view.date() == dt.date(2026, 11, 26)
    qtbot.mouseClick(page.mode_buttons["week"], Qt.MouseButton.LeftButton)
    assert page.mode() == "week" and page.room_combo.isVisible()
    assert page.room_combo.count() == len(rooms)
    page.room_combo.setCurrentIndex(2)
    assert page.week_view.room_id() == page.room_combo.itemData(2)
    qtbot.mouseClick(page.next_button, Qt.MouseButton.LeftButton)
    assert page.week_view.date() == dt.date(2026, 12, 3)
    qtbot.mouseClick(page.mode_buttons["month"], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(page.prev_button, Qt.MouseButton.LeftButton)
    assert page.month_view.date() == dt.date(2026, 11, 3)
    qtbot.mouseClick(page.today_button, Qt.MouseButton.LeftButton)
    assert page.date() == TODAY
    page.date_edit.setDate(page.date_edit.date().addDays(40))
    assert page.month_view.date() == dt.date(2027, 1, 4)
    assert not page.room_combo.isVisible()


def test_a_broken_booking_dialog_import_is_raised_not_hidden(qtbot, ctx, rooms, monkeypatch):
    page = shown(qtbot, CalendarPage(ctx))
    monkeypatch.delitem(sys.modules, "booking_app.ui.booking.booking_dialog", raising=False)
    monkeypatch.setitem(sys.modules, "booking_app.ui.booking.booking_dialog", None)  # import fails like a broken module
    with pytest.raises(ImportError):
        page.open_new_booking(rooms["大会議室"], dt.datetime(2026, 11, 27, 9), dt.datetime(2026, 11, 27, 10))


@pytest.mark.answers_modals
def test_drag_opens_the_real_booking_dialog_at_the_dragged_time(qtbot, ctx, rooms):
    pytest.importorskip("booking_app.ui.booking.booking_dialog")
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QDialog

    page = shown(qtbot, CalendarPage(ctx), 1200, 720)
    page.set_date(DAY)
    view = page.day_view
    room = rooms["作業室"]
    seen = []

    def close_dialog():
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QDialog):
            QTimer.singleShot(20, close_dialog)
            return
        seen.append(type(dialog).__name__)
        dialog.reject()

    QTimer.singleShot(0, close_dialog)
    drag(qtbot, view, view.cell_rect(room, dt.time(10)).center(), view.cell_rect(room, dt.time(10, 30)).center())
    assert seen == ["BookingDialog"]
    assert view.block_at(view.cell_rect(room, dt.time(10)).center()) is None  # cancelled: nothing booked


def test_repainting_the_day_view_does_not_drain_none(qtbot, ctx, rooms):
    """PySide6 6.12.0 dropped a reference to None on each QPainter call and the app aborted
    after a few dozen repaints; this guards the pin in pyproject.toml."""
    import sys

    book(ctx, rooms["大会議室"], DAY, dt.time(9), dt.time(12))
    view = shown(qtbot, DayView(ctx))
    view.set_date(DAY)
    view.grab()
    before = sys.getrefcount(None)
    for _ in range(30):
        view.grab()
    assert sys.getrefcount(None) >= before - 50



def test_a_lapsed_hold_leaves_its_cells_free_to_drag(qtbot, ctx, rooms, frozen_clock):
    """Issue 13, item 4: a 仮予約 past its deadline is no block, whether or not a write has marked it
    期限切れ yet: its cells can be dragged to book, the note counts it, the month overview does not."""
    room = rooms["小会議室1"]
    later = DAY + dt.timedelta(days=7)  # Friday 12/4
    held = book(ctx, room, later, dt.time(13), dt.time(15), name="読み聞かせの会", tentative=True)  # held to 11/27
    view = shown(qtbot, DayView(ctx))
    view.set_date(later)
    assert view.block_at(view.cell_rect(room, dt.time(14)).center()) == held
    month = shown(qtbot, MonthView(ctx))
    month.set_date(later)
    assert month.counts() == {later: 1}

    frozen_clock.advance(days=3)  # 11/28: the hold has lapsed, and nothing has been written since
    view.refresh()
    month.refresh()
    assert view.block_at(view.cell_rect(room, dt.time(14)).center()) is None
    assert "期限切れ 1件" in view.note_text()
    assert month.counts() == {}
    with qtbot.wait_signal(view.newBookingRequested) as sig:
        drag(qtbot, view, view.cell_rect(room, dt.time(13)).center(), view.cell_rect(room, dt.time(14, 30)).center())
    assert sig.args == [room, dt.datetime.combine(later, dt.time(13)), dt.datetime.combine(later, dt.time(15))]
    with read_session(ctx.engine) as session:
        assert booking_service.get_booking(session, held).status == "expired"  # as the desk sees it
        assert session.get(Booking, held).status == "tentative"  # not yet marked in the database
