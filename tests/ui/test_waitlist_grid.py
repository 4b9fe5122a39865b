"""キャンセル待ち on the day grid: the 「待2」 mark on a booked block, the cell said with its waiting count, and
「キャンセル待ちに登録」 from the block's context menu or W on the booked cell (the calendar page opens the slot's
list)."""

from __future__ import annotations

import datetime as dt

import keyboard_walk as kw
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor

from booking_app.services import bookings as booking_service
from booking_app.services import waitlist as wl
from booking_app.services.bookings import BookingInput
from booking_app.store.engine import read_session, write_session
from booking_app.ui.calendar import grid
from booking_app.ui.calendar.calendar_views import CalendarPage
from booking_app.ui.calendar.day_view import DayView
from booking_app.services import centre

NOW = dt.datetime(2026, 11, 25, 10, 0)
DAY = dt.date(2026, 11, 27)  # Friday, open 9:00–22:00
START, END = dt.datetime.combine(DAY, dt.time(18)), dt.datetime.combine(DAY, dt.time(21))
pytestmark = [pytest.mark.now("2026-11-25 10:00"), pytest.mark.usefixtures("japanese_font")]




@pytest.fixture
def slot(ctx):
    with read_session(ctx.engine) as s:
        room = next(r.id for r in centre.list_rooms(s) if r.name == "大会議室")
    data = BookingInput(start=START, end=END, room_id=room, booker_kind="group", booker_name="夜の合唱団",
                        purpose="練習", attendees=20)
    with write_session(ctx.engine) as s:
        bid = booking_service.create_booking(s, ctx.actor, data, now=NOW).id
        for name in ("一番の人", "二番の人"):
            wl.add_waiting(s, ctx.actor, room, START, END, booker_name=name, contact_phone="090-0000-0000", now=NOW)
    return room, bid


def shown(qtbot, widget, w=1100, h=700):
    qtbot.addWidget(widget)
    widget.resize(w, h)
    with qtbot.waitActive(widget):
        widget.show()
        widget.activateWindow()
    return widget


def test_a_booked_block_wears_the_waiting_mark_and_says_it(qtbot, ctx, slot):
    room, bid = slot
    view = shown(qtbot, DayView(ctx))
    view.set_date(DAY)
    bk = next(b for b in view.bookings() if b.id == bid)
    assert view.waiting_for(bk) == 2
    rect = view.wait_mark_rect(bid)
    assert rect is not None and view.block_rect(bid).contains(rect)
    image = view.grab().toImage()
    assert QColor(image.pixel(QPoint(rect.left() + 2, rect.center().y()))) == grid.WAIT_MARK_BG
    view.grab().save("/tmp/wl_day_grid.png")
    view.setFocus()
    col = view.room_ids().index(room)
    view._set_cursor(col, 18 * 60 + 30)
    assert view.cursor_text().endswith("キャンセル待ち2名")
    menu = view.block_menu(bid)
    texts = [a.text() for a in menu.actions()]
    assert texts == ["予約を開く", "キャンセル待ちに登録（待ち2名）\tW"]
    got = []
    view.waitlistRequested.connect(lambda *a: got.append(a))
    kw.press(Qt.Key.Key_W)  # on the booked cell
    menu.actions()[1].trigger()
    assert got == [(room, START, END)] * 2


def test_the_calendar_page_opens_the_slot_s_list(qtbot, ctx, slot, monkeypatch):
    room, bid = slot
    from booking_app.ui.waitlist.dialog import WaitlistDialog

    opened = []
    monkeypatch.setattr(WaitlistDialog, "exec", lambda self: opened.append(self) or 0)
    page = shown(qtbot, CalendarPage(ctx), 1366, 768)
    page.set_date(DAY)
    page.day_view.request_waitlist(bid)
    assert len(opened) == 1 and opened[0].windowTitle() == "キャンセル待ち — 大会議室 11月27日(金) 18:00〜21:00"
    assert [e.who for e in opened[0].entries] == ["一番の人", "二番の人"]
