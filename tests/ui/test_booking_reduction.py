"""The booking dialog's 減免 (issue 18): a manager chooses it by keys, the fee shows the reduction and what
is paid, a desk clerk sees it read-only with the approver's name, and an edit keeps or changes it."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select

import keyboard_walk as kw
from booking_app.services import bookings as booking_svc
from booking_app.services import reductions
from booking_app.store.engine import read_session, write_session
from booking_app.store.models import Booking, Charge, Room
from booking_app.ui.booking import slips
from booking_app.ui.booking.booking_dialog import BookingDialog
from booking_app.ui.context import AppContext

pytestmark = pytest.mark.now(dt.datetime(2026, 11, 25, 10, 0))

DAY = dt.date(2026, 12, 2)  # a plain Wednesday inside every window


@pytest.fixture(autouse=True)
def no_slips(monkeypatch):
    monkeypatch.setattr(slips, "print_saved_slips", lambda *a, **k: None)


def room_id(engine, name: str = "大会議室") -> int:
    with read_session(engine) as s:
        return s.scalar(select(Room.id).where(Room.name == name))


def shown(qtbot, ctx, **kw_) -> BookingDialog:
    dlg = BookingDialog(ctx, **kw_)
    qtbot.addWidget(dlg)
    with qtbot.waitActive(dlg):
        dlg.show()
        dlg.activateWindow()
    return dlg


def person(dlg: BookingDialog) -> None:
    dlg.kind_combo.setCurrentIndex(dlg.kind_combo.findData("person"))
    dlg.name_edit.setText("山田花子")
    dlg.purpose_edit.setText("講座")


def charges(engine, booking_id: int) -> list[tuple[str, int]]:
    with read_session(engine) as s:
        return [(c.kind, c.amount) for c in s.scalars(select(Charge).where(
            Charge.booking_id == booking_id, Charge.status == "open").order_by(Charge.id))]


def test_a_manager_picks_a_reduction_by_keys_and_the_fee_shows_it(qtbot, engine, manager):
    ctx = AppContext(engine, manager)
    start, end = dt.datetime.combine(DAY, dt.time(9)), dt.datetime.combine(DAY, dt.time(12))
    dlg = shown(qtbot, ctx, room_id=room_id(engine), start=start, end=end)
    person(dlg)
    assert dlg.fee_label.text() == "¥1,500（一般）"
    assert dlg.reduction_combo.isEnabled() and kw.accessible_name(dlg.reduction_combo) == "減免"
    kw.tab_to(dlg.reduction_combo)  # in the Tab order, after 予定人数
    kw.press(Qt.Key.Key_Down)
    kw.press(Qt.Key.Key_Down)
    assert dlg.reduction_combo.currentData() == "disability"
    assert dlg.fee_label.text() == "¥1,500　減免 △¥750　お支払い ¥750（一般）"
    assert dlg.reduction_approver.text() == "保存すると承認（管理者）"
    assert not kw.unnamed(dlg)
    assert dlg.save()
    with read_session(engine) as s:
        b = s.get(Booking, dlg.result_id)
        assert (b.reduction_code, b.reduction_approved_by) == ("disability", manager.id)
    assert charges(engine, dlg.result_id) == [("room", 1500), ("reduction", -750)]


def test_a_desk_clerk_sees_it_read_only_with_the_approver_and_an_edit_keeps_it(qtbot, engine, desk, manager):
    start, end = dt.datetime.combine(DAY, dt.time(13)), dt.datetime.combine(DAY, dt.time(17))
    with write_session(engine) as s:
        view = booking_svc.create_booking(s, manager, booking_svc.BookingInput(
            start=start, end=end, room_id=room_id(engine), booker_kind="person", booker_name="山田花子",
            purpose="講座", attendees=5, reduction_code="city"), now=dt.datetime(2026, 11, 25, 10))
    dlg = shown(qtbot, AppContext(engine, desk), booking_id=view.id)
    assert not dlg.reduction_combo.isEnabled()
    assert dlg.reduction_combo.currentText() == "市主催・共催（100%）"
    assert dlg.reduction_approver.text() == f"承認：{manager.name}"
    assert dlg.fee_label.text() == "¥2,000　減免 △¥2,000　お支払い ¥0（一般）"
    assert dlg.reduction_combo not in kw.tab_chain()  # read-only: not a Tab stop
    dlg.attendees_spin.setValue(8)
    assert dlg.save()
    with read_session(engine) as s:
        b = s.get(Booking, view.id)
        assert (b.attendees, b.reduction_code) == (8, "city")


def test_a_manager_removes_it_on_an_edit(qtbot, engine, manager):
    start, end = dt.datetime.combine(DAY, dt.time(13)), dt.datetime.combine(DAY, dt.time(17))
    with write_session(engine) as s:
        view = booking_svc.create_booking(s, manager, booking_svc.BookingInput(
            start=start, end=end, room_id=room_id(engine), booker_kind="person", booker_name="山田花子",
            purpose="講座", attendees=5, reduction_code="disability"), now=dt.datetime(2026, 11, 25, 10))
    dlg = shown(qtbot, AppContext(engine, manager), booking_id=view.id)
    dlg.reduction_combo.setCurrentIndex(dlg.reduction_combo.findData(None))
    assert dlg.reduction_approver.text() == "保存すると減免を外します"
    assert dlg.save()
    with read_session(engine) as s:
        assert s.get(Booking, view.id).reduction_code is None
        assert reductions.reduction_label(s, None) == "なし"
    assert charges(engine, view.id) == [("room", 2000)]
