"""Flow 6 of issue 17, from the main window by keys alone: Ctrl+1 to the calendar, the cell cursor to
小会議室1 18:00, Shift+↓ to 21:00, Enter opens the booking dialog pre-filled, the group typed, Ctrl+S saves,
and the new booking stands in the grid under the cursor."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

import keyboard_walk as kw
from booking_app.store.engine import read_session
from booking_app.store.models import Booking, MemberGroup, Room
from booking_app.ui.booking.booking_dialog import BookingDialog

NOW = dt.datetime(2026, 11, 25, 10, 15)  # Wednesday morning at the counter
# The group ふくふく読書会 (R0012) and the 利用票 recorder come from tests/ui/conftest.py.
pytestmark = [pytest.mark.now(NOW), pytest.mark.usefixtures("reading_group", "no_slips", "japanese_font")]
K = Qt.Key
ALT = Qt.KeyboardModifier.AltModifier
CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier




@pytest.mark.answers_modals
def test_flow_6_book_from_the_day_grid_by_keys(qtbot, window, engine, prompts, no_slips):
    with read_session(engine) as s:
        room = s.scalars(select(Room).where(Room.name == "小会議室1")).one().id
        group = s.scalars(select(MemberGroup).where(MemberGroup.reg_no == "R0012")).one().id
    kw.press(K.Key_3, CTRL)  # somewhere else first: 予約検索
    kw.press(K.Key_1, CTRL)  # 予約カレンダー: the keyboard lands in the day grid
    page = window.pages["calendar"]
    view = page.day_view
    assert window.current_page_key() == "calendar" and kw.focused() is view
    # ← → between rooms, ↓ ↑ between half hours, to 小会議室1 18:00.
    for _ in range(8):
        if view.cursor()[0] == room:
            break
        kw.press(K.Key_Right)
    for _ in range(30):
        if view.cursor()[1].time() >= dt.time(18):
            break
        kw.press(K.Key_Down)
    assert view.cursor() == (room, dt.datetime(2026, 11, 25, 18))
    iface = QAccessible.queryAccessibleInterface(view)
    assert iface.text(QAccessible.Text.Description) == "11月25日(水) 小会議室1 18:00〜18:30 空き"
    for _ in range(5):
        kw.press(K.Key_Down, SHIFT)
    assert view.selection() == (room, dt.datetime(2026, 11, 25, 18), dt.datetime(2026, 11, 25, 21))
    seen: dict = {}

    def in_the_dialog() -> None:
        dlg = QApplication.activeModalWidget()
        if not isinstance(dlg, BookingDialog) or QApplication.activeWindow() is not dlg:
            QTimer.singleShot(20, in_the_dialog)
            return
        seen["prefilled"] = (dlg.day, dlg.start_combo.currentText(), dlg.end_combo.currentText(),
                             dlg.room_combo.currentData())
        kw.press(K.Key_G, ALT)  # 団体(&G): 登録団体 is the default 利用者区分
        kw.type_text("R0012")
        kw.press(K.Key_Return)  # picks the group from the list, does not save
        seen["group"] = dlg.group_edit.text()
        kw.press(K.Key_P, ALT)  # 利用目的(&P)
        kw.type_text("reading")
        kw.press(K.Key_S, CTRL)  # 保存
        seen["result"] = dlg.result()
        seen["id"] = dlg.result_id

    QTimer.singleShot(0, in_the_dialog)
    kw.press(K.Key_Return)

    assert seen["prefilled"] == (dt.date(2026, 11, 25), "18:00", "21:00", room)
    assert seen["group"] == "R0012 ふくふく読書会"
    assert prompts.of("show_error") == []
    assert seen["result"] == BookingDialog.DialogCode.Accepted
    with read_session(engine) as s:
        [b] = list(s.scalars(select(Booking)))
        assert (b.room_id, b.group_id, b.purpose) == (room, group, "reading")
        assert (b.start_at, b.end_at) == (dt.datetime(2026, 11, 25, 18), dt.datetime(2026, 11, 25, 21))
    assert no_slips == [[seen["id"]]]
    # The calendar shows the new booking under the cursor, and says so.
    assert view.block_at(view.cursor_rect().center()) == b.id
    assert view.cursor() == (room, dt.datetime(2026, 11, 25, 20, 30))
    assert "予約 確定 ふくふく読書会 18:00〜21:00" in iface.text(QAccessible.Text.Description)
