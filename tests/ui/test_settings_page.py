"""センター設定: a manager edits and saves; desk staff only look."""

from __future__ import annotations

from datetime import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from sqlalchemy import select

from booking_app.services.centre import get_profile
from booking_app.services.common import Actor
from booking_app.store.engine import read_session
from booking_app.store.models import EquipmentType, Room, Staff
from booking_app.ui.context import AppContext
from booking_app.ui.settings.settings_page import SettingsPage


def ctx_as(engine, role: str) -> AppContext:
    with read_session(engine) as s:
        st = s.scalars(select(Staff).where(Staff.role == role)).first()
        return AppContext(engine, Actor(st.id, st.name, st.role))


@pytest.fixture(autouse=True)
def errors(prompts):
    """The refusals the page showed, as staff would read them (ctx.prompts records them)."""
    return prompts.shown("show_error")


def page_for(qtbot, ctx) -> SettingsPage:
    page = SettingsPage(ctx)
    qtbot.addWidget(page)
    page.resize(1200, 700)
    page.show()
    return page


def int_or(text: str):
    return int(text) if text.isdigit() else text


def edit_cell(qtbot, table, row: int, col: int, text: str) -> None:
    """Click a cell, press F2, type the new value over the old one, press Enter: as staff do."""
    index = table.model().index(row, col)
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=table.visualRect(index).center())
    assert table.currentIndex() == index
    qtbot.keyClick(table, Qt.Key.Key_F2)
    editors = [w for w in table.viewport().findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly)
               if w.isVisible()]
    assert len(editors) == 1, "F2 should open one cell editor"
    editor = editors[0]
    editor.selectAll()
    qtbot.keyClicks(editor, text)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    # The delegate commits and closes the editor through a queued call.
    qtbot.waitUntil(lambda: table.model().index(row, col).data(Qt.ItemDataRole.EditRole) in (text, int_or(text)),
                    timeout=2000)


def test_manager_changes_a_room_capacity(qtbot, engine, errors, qtmodeltester):
    ctx = ctx_as(engine, "manager")
    page = page_for(qtbot, ctx)
    assert not page.readonly_note.isVisible()
    model = page.rooms_model
    qtmodeltester.check(model)
    row = next(i for i, r in enumerate(model.rows()) if r["name"] == "小会議室1")
    edit_cell(qtbot, page.rooms_table, row, model.col("capacity"), "16")
    assert model.index(row, model.col("capacity")).data() == "16"
    with qtbot.wait_signal(ctx.changed):
        qtbot.mouseClick(page.findChild(type(page.profile_save), "room_save"), Qt.MouseButton.LeftButton)
    assert errors == []
    with read_session(engine) as s:
        assert s.scalars(select(Room.capacity).where(Room.name == "小会議室1")).one() == 16


def test_equipment_stock_empty_means_unlimited(qtbot, engine, errors):
    page = page_for(qtbot, ctx_as(engine, "manager"))
    m = page.equipment_model
    row = next(i for i, r in enumerate(m.rows()) if r["name"] == "ホワイトボード")
    m.setData(m.index(row, m.col("stock")), "")
    assert m.index(row, m.col("stock")).data() == "無制限"
    assert page.save_equipment()
    with read_session(engine) as s:
        assert s.scalars(select(EquipmentType.stock).where(EquipmentType.name == "ホワイトボード")).one() is None


def test_profile_hours_saved_and_bad_time_named(qtbot, engine, errors):
    page = page_for(qtbot, ctx_as(engine, "manager"))
    page.tabs.setCurrentIndex(2)
    hm = page.hours_model
    mon = next(i for i, r in enumerate(hm.rows()) if r["key"] == "mon")
    edit_cell(qtbot, page.hours_table, mon, hm.col("close"), "9pm")
    assert not page.save_profile()
    assert errors and errors[-1].startswith("開館時間（月曜）の閉館：")
    edit_cell(qtbot, page.hours_table, mon, hm.col("close"), "23:00")
    page.hold_days.setValue(5)
    assert page.save_profile(), errors
    with read_session(engine) as s:
        p = get_profile(s)
    assert p.hours["mon"] == (time(9), time(23)) and p.tentative_hold_days == 5


def test_desk_staff_see_read_only_and_cannot_save(qtbot, engine, errors):
    page = page_for(qtbot, ctx_as(engine, "desk"))
    assert page.readonly_note.isVisible() and "変更は管理者のみ" in page.readonly_note.text()
    assert not page.profile_save.isEnabled()
    assert not page.findChild(type(page.profile_save), "room_save").isEnabled()
    m = page.rooms_model
    assert not (m.flags(m.index(0, m.col("capacity"))) & Qt.ItemFlag.ItemIsEditable)
    # Even if a save were triggered, the service refuses in Japanese.
    page.rooms_model.editable = True
    m.setData(m.index(0, m.col("capacity")), 99)
    assert not page.save_rooms()
    assert errors and "管理者のみ" in errors[0]
    with read_session(engine) as s:
        assert 99 not in s.scalars(select(Room.capacity)).all()


def test_fee_tab_follows_the_role_and_the_room_list(qtbot, engine, errors):
    ctx = ctx_as(engine, "desk")
    page = page_for(qtbot, ctx)
    assert [page.tabs.tabText(i) for i in range(page.tabs.count())][-4:] == ["料金", "年度目標", "職員アカウント", "データ保護"]
    fees = page.fees
    assert not fees.save_button.isEnabled() and fees.invoice_edit.isReadOnly()
    # The manager takes over at the same terminal: the tab becomes editable with the others.
    manager = ctx_as(engine, "manager").actor
    ctx.set_actor(manager)
    assert fees.save_button.isEnabled() and not fees.invoice_edit.isReadOnly()
    assert not page.readonly_note.isVisible()
    # A room added on the 部屋 tab gets a row of fees (0 yen until set).
    page.rooms_model.add_row({"id": None, "name": "和室", "kana": "わしつ", "capacity": 10, "sort_order": 9,
                              "active": True})
    assert page.save_rooms(), errors
    assert fees.room_fee_index("和室", "general", "午前").data() == "¥0"


def test_profile_save_row_only_where_it_saves_something(qtbot, engine):
    """「センター設定を保存／元に戻す」 is hidden under 料金, 年度目標 and 職員アカウント, which save
    themselves; 接続設定 stays in the row everywhere."""
    page = page_for(qtbot, ctx_as(engine, "admin"))
    tabs = page.tabs
    titles = [tabs.tabText(i) for i in range(tabs.count())]

    def click_tab(title: str) -> None:
        bar = tabs.tabBar()
        qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(titles.index(title)).center())
        assert tabs.currentIndex() == titles.index(title)

    for title in ("料金", "職員アカウント", "年度目標", "データ保護"):
        click_tab(title)
        assert not page.profile_save.isVisible() and not page.reload_button.isVisible(), title
        assert not page.profile_hint.isVisible()
        if hasattr(page, "connection_button"):
            assert page.connection_button.isVisible() and page.connection_button.isEnabled()
    for title in ("開館時間", "休館日", "予約受付"):
        click_tab(title)
        assert page.profile_save.isVisible() and page.reload_button.isVisible(), title


def test_settings_warn_until_the_receipt_issuer_is_complete(qtbot, engine, errors):
    """Issue 13, item 10: 設定 says what receipts lack until the 指定管理者名 and 登録番号 are set."""
    page = page_for(qtbot, ctx_as(engine, "manager"))
    assert page.issuer_warning.isVisible()  # on every tab, above them
    assert "領収書の発行者が未設定です（指定管理者名・登録番号）" in page.issuer_warning.text()
    page.tabs.setCurrentWidget(page.fees)
    fees = page.fees
    assert fees.issuer_gaps_label.isVisible() and "指定管理者名・登録番号" in fees.issuer_gaps_label.text()
    qtbot.keyClicks(fees.invoice_edit, "T9234567890123")  # the hint follows what is typed
    assert fees.issuer_gaps_label.text().startswith("未設定：指定管理者名（")
    fees.operator_edit.setFocus()
    fees.operator_edit.insert("NPO法人ふくふく")
    assert not fees.issuer_gaps_label.isVisible()
    assert page.issuer_warning.isVisible()  # not saved yet: receipts still lack them
    qtbot.mouseClick(fees.save_button, Qt.MouseButton.LeftButton)
    assert errors == []
    assert not page.issuer_warning.isVisible() and page.issuer_warning.text() == ""


@pytest.mark.parametrize("role, editable", [("desk", (False, False, False)), ("manager", (True, True, False)),
                                            ("admin", (True, True, True))])
def test_data_protection_tab_holds_the_three_settings_and_follows_the_role(qtbot, engine, role, editable):
    """データ保護 (issue 15): 取込の上限 and 個人情報の保存期間 are a manager's, バックアップの暗号化 a
    システム管理者's; everyone sees them."""
    page = page_for(qtbot, ctx_as(engine, role))
    titles = [page.tabs.tabText(i) for i in range(page.tabs.count())]
    bar = page.tabs.tabBar()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(titles.index("データ保護")).center())
    saves = [page.findChild(QWidget, name) for name in ("save_import_limits", "save_privacy",
                                                         "backup_encryption_save")]
    assert all(w is not None and w.isVisible() for w in saves)
    assert tuple(w.isEnabled() for w in saves) == editable
