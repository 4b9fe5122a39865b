"""料金 tab of the settings page: a manager edits the fee tables; quotes follow, charges keep their price."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QComboBox, QWidget
from sqlalchemy import select

from booking_app.services import bookings as booking_svc
from booking_app.services import fees as fee_svc
from booking_app.services.common import Actor
from booking_app.store.engine import read_session, write_session
from booking_app.store.models import Booking, CentreSetting, Charge, Room, Staff
from booking_app.ui import dates
from booking_app.ui.booking import booking_dialog as bd
from booking_app.ui.context import AppContext
from booking_app.ui.settings.fee_settings import FeeSettingsWidget, normalise_invoice_number
from booking_app.ui.settings.settings_page import SettingsPage
from days import open_day

GOOD_T = "T8000000000001"  # check digit right
BAD_T = "T8000000000002"  # one digit off: the check digit no longer matches


def ctx_as(engine, role: str) -> AppContext:
    with read_session(engine) as s:
        st = s.scalars(select(Staff).where(Staff.role == role)).first()
        return AppContext(engine, Actor(st.id, st.name, st.role))


@pytest.fixture(autouse=True)
def errors(prompts):
    """The refusals shown, as staff would read them (the screens ask ctx.prompts, the recorder)."""
    return prompts.shown("show_error")


@pytest.fixture(autouse=True)
def no_slip_preview(monkeypatch):
    """Saving a booking may open the slip preview; here it must never block."""
    from booking_app.ui.money import payment_dialog as pd

    monkeypatch.setattr(pd, "preview_pdf", lambda *a, **k: None)


def next_weekday(weekday: int) -> date:
    """The first open day of that weekday a week or more ahead of the pinned today (any day of the year)."""
    return open_day(after=7, weekday=weekday)


def type_text(widget, text: str) -> None:
    """Type text key by key like an IME commit would; QTest.keyClicks only knows ASCII keys."""
    for ch in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier, ch))


def open_editor(qtbot, table, index) -> QWidget:
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=table.visualRect(index).center())
    assert table.currentIndex() == index
    qtbot.keyClick(table, Qt.Key.Key_F2)
    editors = [w for w in table.viewport().findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly)
               if w.isVisible()]
    assert len(editors) == 1, "F2 should open one cell editor"
    return editors[0]


def edit_number(qtbot, table, index, value: int) -> None:
    """Click a cell, F2, type the number over the old one, Enter: as staff do."""
    editor = open_editor(qtbot, table, index)
    editor.selectAll()
    qtbot.keyClicks(editor, str(value))
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: index.data(Qt.ItemDataRole.EditRole) == value, timeout=2000)


def shown_tab(qtbot, ctx) -> tuple[SettingsPage, FeeSettingsWidget]:
    page = SettingsPage(ctx)
    qtbot.addWidget(page)
    page.resize(1216, 680)
    page.show()
    tab = page.tabs.indexOf(page.fees)
    assert page.tabs.tabText(tab) == "料金"
    page.tabs.setCurrentIndex(tab)
    qtbot.waitExposed(page)
    return page, page.fees


def general_booking(engine, day: date) -> int:
    with read_session(engine) as s:
        room = s.scalars(select(Room.id).where(Room.name == "大会議室")).one()
    with write_session(engine) as s:
        return booking_svc.create_booking(s, ctx_as(engine, "desk").actor, booking_svc.BookingInput(
            start=datetime.combine(day, time(13)), end=datetime.combine(day, time(17)), room_id=room,
            booker_kind="group", booker_name="関門ウォーキングの会", purpose="会議", attendees=20)).id


def charges_of(engine, booking_id: int) -> list[tuple[int, str]]:
    with read_session(engine) as s:
        return [(c.amount, c.status) for c in s.scalars(
            select(Charge).where(Charge.booking_id == booking_id).order_by(Charge.id))]


def test_manager_changes_fees_quotes_follow_and_charges_keep_their_price(qtbot, engine, errors, qtmodeltester):
    day = next_weekday(2)
    existing = general_booking(engine, day)
    assert charges_of(engine, existing) == [(2000, "open")]

    ctx = ctx_as(engine, "manager")
    page, tab = shown_tab(qtbot, ctx)
    assert not page.readonly_note.isVisible() and tab.save_button.isEnabled()
    for model in (tab.rooms_model, tab.equipment_model, tab.items_model):
        qtmodeltester.check(model)
    cell = tab.room_fee_index("大会議室", "general", "午後")
    assert cell.data() == "¥2,000"
    assert tab.rooms_model.headerData(cell.column(), Qt.Orientation.Horizontal) == "一般・午後"
    edit_number(qtbot, tab.rooms_table, cell, 2500)
    assert cell.data() == "¥2,500"

    items = tab.items_model
    copy_row = next(i for i, r in enumerate(items.rows()) if r["name"] == "コピー 白黒")
    edit_number(qtbot, tab.items_table, items.index(copy_row, items.col("price")), 15)
    # A new item, named in Japanese, and the tax class chosen from the list.
    qtbot.mouseClick(tab.item_add_button, Qt.MouseButton.LeftButton)
    new_row = items.rowCount() - 1
    name_editor = tab.items_table.indexWidget(items.index(new_row, 0)) or [
        w for w in tab.items_table.viewport().findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly)
        if w.isVisible()][0]
    type_text(name_editor, "会議室延長")
    qtbot.keyClick(name_editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: items.rows()[new_row]["name"] == "会議室延長", timeout=2000)
    edit_number(qtbot, tab.items_table, items.index(new_row, items.col("price")), 300)
    combo = open_editor(qtbot, tab.items_table, items.index(new_row, items.col("tax")))
    assert isinstance(combo, QComboBox) and combo.objectName() == "tax_editor"
    combo.setCurrentIndex(combo.findText("非課税"))
    qtbot.keyClick(combo, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: items.index(new_row, items.col("tax")).data() == "非課税", timeout=2000)
    # And one removed.
    locker_row = next(i for i, r in enumerate(items.rows()) if r["name"] == "団体ロッカー")
    tab.items_table.selectRow(locker_row)
    qtbot.mouseClick(tab.item_remove_button, Qt.MouseButton.LeftButton)

    type_text(tab.operator_edit, "NPO法人 しものせき市民活動ネット")
    qtbot.keyClicks(tab.invoice_edit, GOOD_T)
    qtbot.mouseClick(tab.stamp_check, Qt.MouseButton.LeftButton)
    with qtbot.wait_signal(ctx.changed):
        qtbot.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)
    assert errors == []
    assert "既に請求した料金は元の金額のまま" in tab.status_label.text()

    with read_session(engine) as s:
        fees = fee_svc.get_fees(s)
    assert fees.room_fees["大会議室"]["general"]["午後"] == 2500
    assert fees.room_fees["大会議室"]["general"]["午前"] == 1500  # untouched cells stay
    assert fees.items["コピー 白黒"].price == 15
    assert (fees.items["会議室延長"].price, fees.items["会議室延長"].tax) == (300, "exempt")
    assert "団体ロッカー" not in fees.items
    assert (fees.operator, fees.invoice_number, fees.stamp_duty_applies) == (
        "NPO法人 しものせき市民活動ネット", GOOD_T, True)
    # The tab shows what was stored.
    assert tab.room_fee_index("大会議室", "general", "午後").data() == "¥2,500"

    # A new booking is quoted at the new price…
    dlg = bd.BookingDialog(ctx)
    qtbot.addWidget(dlg)
    dlg.show()
    dlg.date_edit.setDate(dates.to_qdate(day + timedelta(days=7)))
    dlg.kind_combo.setCurrentIndex(dlg.kind_combo.findData("group"))
    dlg.room_combo.setCurrentIndex(dlg.room_combo.findText("大会議室", Qt.MatchFlag.MatchStartsWith))
    qtbot.mouseClick(dlg.findChild(type(dlg.save_button), "period_午後"), Qt.MouseButton.LeftButton)
    assert dlg.fee_label.text() == "¥2,500（一般）"
    dlg.reject()

    # …while the booking already charged, edited at the desk, keeps its ¥2,000.
    edit = bd.BookingDialog(ctx, booking_id=existing)
    qtbot.addWidget(edit)
    edit.show()
    edit.purpose_edit.clear()
    type_text(edit.purpose_edit, "総会")
    qtbot.mouseClick(edit.save_button, Qt.MouseButton.LeftButton)
    assert errors == []
    with read_session(engine) as s:
        assert s.get(Booking, existing).purpose == "総会"
    assert charges_of(engine, existing) == [(2000, "open")]


def test_wrong_invoice_number_is_refused_and_nothing_saved(qtbot, engine, errors):
    page, tab = shown_tab(qtbot, ctx_as(engine, "manager"))
    edit_number(qtbot, tab.rooms_table, tab.room_fee_index("大会議室", "general", "午後"), 2500)
    qtbot.keyClicks(tab.invoice_edit, BAD_T)
    qtbot.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)
    assert len(errors) == 1
    assert "適格請求書発行事業者登録番号" in errors[0] and BAD_T in errors[0] and "検査数字" in errors[0]
    with read_session(engine) as s:
        assert s.get(CentreSetting, fee_svc.FEES_KEY) is None
    # The input stays for correcting; full-width and hyphens are folded.
    assert tab.invoice_edit.text() == BAD_T
    assert normalise_invoice_number("ｔ８０００-０００００-０００１") == GOOD_T


def test_negative_price_names_the_cell(qtbot, engine, errors):
    page, tab = shown_tab(qtbot, ctx_as(engine, "manager"))
    m = tab.rooms_model
    assert m.setData(tab.room_fee_index("作業室", "member", "夜間"), -100)
    assert not tab.save()
    assert errors == ["料金（部屋）：作業室の会員・夜間は0円以上の数で入力してください。"]
    with read_session(engine) as s:
        assert s.get(CentreSetting, fee_svc.FEES_KEY) is None


def test_desk_staff_see_fees_read_only_and_cannot_save(qtbot, engine, errors):
    page, tab = shown_tab(qtbot, ctx_as(engine, "desk"))
    assert page.readonly_note.isVisible()
    assert not tab.save_button.isEnabled() and not tab.item_add_button.isEnabled()
    assert tab.invoice_edit.isReadOnly() and tab.operator_edit.isReadOnly() and not tab.stamp_check.isEnabled()
    cell = tab.room_fee_index("大会議室", "general", "午後")
    assert not (tab.rooms_model.flags(cell) & Qt.ItemFlag.ItemIsEditable)
    qtbot.mouseClick(tab.rooms_table.viewport(), Qt.MouseButton.LeftButton,
                     pos=tab.rooms_table.visualRect(cell).center())
    qtbot.keyClick(tab.rooms_table, Qt.Key.Key_F2)
    assert not [w for w in tab.rooms_table.viewport().findChildren(
        QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly) if w.isVisible()]
    # Even if a save were triggered, the service refuses in Japanese.
    tab.rooms_model.editable = True
    tab.rooms_model.setData(cell, 9999)
    assert not tab.save()
    assert errors and "管理者" in errors[0]
    with read_session(engine) as s:
        assert s.get(CentreSetting, fee_svc.FEES_KEY) is None
