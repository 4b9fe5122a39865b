"""Flow 3 of issue 17 from the main window, keys only: Ctrl+N opens 予約の登録, the booking of 小会議室1 on
Tuesday 2026-12-01 (the clock pinned to Wednesday 2026-11-25) 18:00–21:00 for a registered group with a
projector is typed, and Ctrl+S saves it.

The dialog runs modally (``exec``), so the keys for it are pressed from a timer inside its loop; the test
still only sends keys to the focused widget (``keyboard_walk``).
"""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QTimer, Qt
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

import keyboard_walk as kw
from booking_app.services import bookings as booking_svc
from booking_app.store.engine import read_session
from booking_app.store.models import Booking, EquipmentType, MemberGroup, Room
from booking_app.ui.booking.booking_dialog import BookingDialog

# The group ふくふく読書会 (R0012) and the 利用票 recorder come from tests/ui/conftest.py.
pytestmark = [pytest.mark.now(dt.datetime(2026, 11, 25, 10, 0)),
              pytest.mark.usefixtures("reading_group", "no_slips")]

ALT = Qt.KeyboardModifier.AltModifier
CTRL = Qt.KeyboardModifier.ControlModifier


def in_dialog(steps) -> dict:
    """Run ``steps(dialog)`` once the booking dialog is the active modal window; a failure is kept (and
    the dialog closed, so the test does not hang) for the test to raise. The dialog is deleted once
    closed: its result is kept as ``seen["result"]``."""
    seen: dict = {}

    def run() -> None:
        dlg = QApplication.activeModalWidget()
        if not isinstance(dlg, BookingDialog) or not dlg.isActiveWindow():
            QTimer.singleShot(10, run)
            return
        dlg.finished.connect(lambda result: seen.__setitem__("result", result))
        try:
            steps(dlg)
            assert not dlg.isVisible(), "the keys did not close the dialog"
        except BaseException as exc:  # noqa: BLE001 - raised again by the test
            seen["error"] = exc
            if dlg.isVisible():
                dlg.done(0)

    QTimer.singleShot(0, run)
    return seen


def press_until(key, done, limit: int = 30) -> None:
    for _ in range(limit):
        if done():
            return
        kw.press(key)
    assert done()


@pytest.mark.answers_modals
def test_ctrl_n_then_the_whole_booking_by_keys_and_ctrl_s(window, ctx, engine, prompts, no_slips):
    with read_session(engine) as s:
        room = s.scalars(select(Room).where(Room.name == "小会議室1")).one().id
        projector = s.scalars(select(EquipmentType).where(EquipmentType.name == "プロジェクター")).one().id
        group = s.scalars(select(MemberGroup)).one().id

    def book(dlg: BookingDialog) -> None:
        assert kw.focused() is dlg.date_edit
        kw.type_text("20261201")
        kw.press(Qt.Key.Key_Tab)
        kw.type_text("18:00")
        kw.press(Qt.Key.Key_Tab)
        kw.type_text("21:00")
        kw.press(Qt.Key.Key_R, ALT)
        press_until(Qt.Key.Key_Down, lambda: dlg.room_combo.currentData() == room)
        kw.press(Qt.Key.Key_G, ALT)
        kw.type_text("R0012")
        kw.press(Qt.Key.Key_Return)
        assert dlg.group_status.text() == "有効"
        kw.press(Qt.Key.Key_P, ALT)
        kw.type_text("reading circle")
        kw.press(Qt.Key.Key_Tab)
        kw.type_text("8")
        kw.press(Qt.Key.Key_E, ALT)
        row = dlg.equipment_model.row_of(projector)
        press_until(Qt.Key.Key_Down, lambda: dlg.equipment_table.currentIndex().row() == row)
        kw.type_text("1")
        kw.press(Qt.Key.Key_S, CTRL)

    seen = in_dialog(book)
    kw.press(Qt.Key.Key_N, CTRL)  # returns when the dialog has closed
    if "error" in seen:
        raise seen["error"]
    assert prompts.of("show_error") == [] and seen["result"] == BookingDialog.DialogCode.Accepted
    with read_session(engine) as s:
        [b] = s.scalars(select(Booking)).all()
        bid = b.id
    v = ctx.read(lambda s: booking_svc.get_booking(s, bid))
    assert (v.room_id, v.group_id, v.purpose, v.attendees) == (room, group, "reading circle", 8)
    assert (v.start, v.end) == (dt.datetime(2026, 12, 1, 18), dt.datetime(2026, 12, 1, 21))
    assert {e.equipment_type_id: e.quantity for e in v.equipment} == {projector: 1}
    assert no_slips == [[bid]]


@pytest.mark.answers_modals
def test_ctrl_n_then_esc_closes_an_untouched_dialog_at_once(window, engine, prompts):
    seen = in_dialog(lambda dlg: kw.press(Qt.Key.Key_Escape))
    kw.press(Qt.Key.Key_N, CTRL)
    if "error" in seen:
        raise seen["error"]
    assert seen["result"] == BookingDialog.DialogCode.Rejected and prompts.of("confirm") == []
    with read_session(engine) as s:
        assert s.scalars(select(Booking)).all() == []
