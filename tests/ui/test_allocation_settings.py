"""センター設定 → 抽選・還付・減免: a manager changes the rules of issue 18 and saves them (Ctrl+S); a bad
value is refused naming the field and nothing is stored; desk staff only look; the preview of the next
lottery's dates follows the edits; every control is named and Tab goes round the window."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from sqlalchemy import select

import keyboard_walk as kw
from booking_app.domain.errors import ValidationError
from booking_app.services import centre
from booking_app.store.engine import read_session, write_session
from booking_app.store.models import AuditEntry
from booking_app.ui.context import AppContext
from booking_app.ui.settings.allocation_settings import MISSING_ROOM, cycle_text
from booking_app.ui.settings.settings_page import SettingsPage

pytestmark = pytest.mark.now(dt.date(2026, 12, 7))

DEFAULT_PREVIEW = "2027年3月分：申込 12月1日〜12月10日、抽選 12月15日、確定期限 12月29日、先着受付 12月20日から"


@pytest.fixture(autouse=True)
def errors(prompts):
    return prompts.shown("show_error")


@pytest.fixture
def ctx(engine, manager) -> AppContext:
    """The main window (conftest ``window``) of a manager, for the keyboard tests."""
    return AppContext(engine, manager)


def tab_of(qtbot, engine, actor):
    page = SettingsPage(AppContext(engine, actor))
    qtbot.addWidget(page)
    page.resize(1366, 700)
    with qtbot.waitActive(page):
        page.show()
        page.activateWindow()
    page.tabs.setCurrentWidget(page.allocation)
    return page, page.allocation


def stored(engine):
    with read_session(engine) as s:
        return centre.get_profile(s)


def preview(tab) -> str:
    return tab.preview.text().replace("\n", "")


def edit_cell(qtbot, table, row: int, col: int, text: str) -> None:
    """F2 on the cell, type over it, Enter: as staff do."""
    index = table.model().index(row, col)
    table.setCurrentIndex(index)
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_F2)
    editors = [w for w in table.viewport().findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly)
               if w.isVisible()]
    assert len(editors) == 1, "F2 should open one cell editor"
    editors[0].selectAll()
    assert kw.focused() is editors[0]
    kw.type_text(text)  # Japanese arrives as the IME commits it
    enter(qtbot, table)
    assert str(table.model().index(row, col).data()) == text


def enter(qtbot, table) -> None:
    """Enter in the cell being edited; the delegate commits and closes it through a queued call: wait for it,
    so the next key does not meet a closing editor."""
    qtbot.keyClick(kw.focused(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: kw.focused() is table, timeout=2000)


def type_into_spin(qtbot, spin, value: int) -> None:
    """Select the number and type another, then Tab on (the spin box takes the value as it is typed)."""
    spin.setFocus()
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin, str(value))
    assert spin.value() == value, spin.text()


def reduction_row(tab, code: str) -> int:
    return next(i for i, r in enumerate(tab.reductions_model.rows()) if r["code"] == code)


def test_manager_changes_the_draw_day_and_a_reduction_rate_and_saves_with_ctrl_s(qtbot, engine, manager, errors):
    page, tab = tab_of(qtbot, engine, manager)
    assert not page.readonly_note.isVisible() and tab.save_button.isEnabled()
    assert preview(tab) == DEFAULT_PREVIEW
    type_into_spin(qtbot, tab.spins["draw_day"], 16)
    m = tab.reductions_model
    edit_cell(qtbot, tab.reductions_table, reduction_row(tab, "disability"), m.col("rate"), "30")
    tab.spins["draw_day"].setFocus()
    qtbot.keyClick(tab.spins["draw_day"], Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert errors == []
    p = stored(engine)
    assert p.lottery.draw_day == 16
    assert {c.code: c.rate for c in p.reductions} == {"city": 100, "disability": 30, "children": 50}
    assert p.hours == centre.load_default_profile().hours  # the rest of the profile as it was
    assert "保存しました" in tab.status_label.text()
    with read_session(engine) as s:
        row = s.scalars(select(AuditEntry).where(AuditEntry.entity == "centre_profile")).one()
    assert row.staff_id == manager.id
    assert row.after["lottery"]["draw_day"] == 16
    assert next(r["rate"] for r in row.after["reductions"] if r["code"] == "disability") == 30


def test_refunds_partial_tier_off_and_a_new_reason_and_code(qtbot, engine, manager, errors):
    page, tab = tab_of(qtbot, engine, manager)
    tab.partial_check.setChecked(False)
    assert not tab.partial_rate.isEnabled()
    assert tab.refund_summary.text() == "利用日の7日前まで全額、6日前以降は還付なし。"
    qtbot.mouseClick(tab.reason_add, Qt.MouseButton.LeftButton)
    kw.type_text("感染症対策")
    enter(qtbot, tab.reasons_table)
    qtbot.mouseClick(tab.reduction_add, Qt.MouseButton.LeftButton)
    m = tab.reductions_model
    row = m.rowCount() - 1
    assert m.flags(m.index(row, m.col("code"))) & Qt.ItemFlag.ItemIsEditable  # a new code may be typed
    assert not m.flags(m.index(0, m.col("code"))) & Qt.ItemFlag.ItemIsEditable  # a saved one may not
    kw.type_text("elderly")
    enter(qtbot, tab.reductions_table)
    edit_cell(qtbot, tab.reductions_table, row, m.col("label"), "高齢者団体")
    assert tab.save(), errors
    p = stored(engine)
    assert (p.refunds.partial_rate, p.refunds.partial_until_days_before) == (None, None)
    assert p.refunds.full_reasons[-1] == "感染症対策"
    assert p.reductions[-1].code == "elderly" and p.reductions[-1].label == "高齢者団体"


def test_a_draw_day_before_the_close_day_is_refused_naming_it_and_nothing_is_saved(qtbot, engine, manager, errors):
    page, tab = tab_of(qtbot, engine, manager)
    before = stored(engine).to_dict()
    m = tab.reductions_model
    edit_cell(qtbot, tab.reductions_table, reduction_row(tab, "children"), m.col("rate"), "40")  # a good change
    type_into_spin(qtbot, tab.spins["draw_day"], 9)
    # The preview says so before saving.
    assert tab.problem.isVisible() and "抽選日（毎月9日）は申込締切日（毎月10日）より後に" in tab.problem.text()
    tab.reductions_table.setFocus()
    assert not tab.save()
    assert errors and errors[-1].startswith("抽選日（毎月9日）は申込締切日（毎月10日）より後にしてください")
    assert kw.focused() is tab.spins["draw_day"]  # the field named has the focus
    assert stored(engine).to_dict() == before  # not even the good change
    with read_session(engine) as s:
        assert s.scalars(select(AuditEntry).where(AuditEntry.entity == "centre_profile")).all() == []
    assert tab.spins["draw_day"].value() == 9  # the edits stay on screen to be corrected


def test_a_reduction_rate_of_120_is_refused_naming_the_code(qtbot, engine, manager, errors):
    page, tab = tab_of(qtbot, engine, manager)
    before = stored(engine).to_dict()
    type_into_spin(qtbot, tab.spins["draw_day"], 16)  # a good change
    m = tab.reductions_model
    edit_cell(qtbot, tab.reductions_table, reduction_row(tab, "city"), m.col("rate"), "120")
    assert not tab.save()
    assert errors[-1] == "減免区分「市主催・共催」：割合は0〜100%にしてください（120%）"
    assert kw.focused() is tab.reductions_table
    assert stored(engine).to_dict() == before


def test_desk_staff_see_it_read_only_and_cannot_save(qtbot, engine, desk, errors):
    page, tab = tab_of(qtbot, engine, desk)
    assert page.readonly_note.isVisible() and "変更は管理者のみ" in page.readonly_note.text()
    assert not tab.save_button.isEnabled() and not tab.revert_button.isEnabled()
    assert all(s.isReadOnly() for s in tab.spins.values()) and tab.full_days.isReadOnly()
    assert not any(cb.isEnabled() for cb in tab.room_checks) and not tab.reduction_add.isEnabled()
    m = tab.reductions_model
    assert not m.flags(m.index(0, m.col("rate"))) & Qt.ItemFlag.ItemIsEditable
    before = stored(engine).to_dict()
    tab.spins["draw_day"].setFocus()
    qtbot.keyClick(tab.spins["draw_day"], Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)  # nothing happens
    assert errors == []
    # Even if a save were forced, the service refuses in Japanese.
    tab.spins["draw_day"].setReadOnly(False)
    tab.spins["draw_day"].setValue(16)
    assert not tab.save()
    assert errors and "管理者のみ" in errors[-1]
    assert stored(engine).to_dict() == before


def test_the_preview_follows_the_edits(qtbot, engine, manager):
    page, tab = tab_of(qtbot, engine, manager)
    assert preview(tab) == DEFAULT_PREVIEW and not tab.problem.isVisible()
    tab.spins["confirm_days"].setValue(10)
    assert "確定期限 12月25日" in preview(tab)
    tab.spins["months_ahead"].setValue(2)
    # Two months ahead: February's entries are being taken (12月1日〜10日).
    assert preview(tab).startswith("2027年2月分：申込 12月1日〜12月10日")
    tab.spins["entry_close_day"].setValue(5)
    # Entries for February closed on the 5th: the next lottery is March's, in January.
    assert preview(tab) == "2027年3月分：申込 1月1日〜1月5日、抽選 1月15日、確定期限 1月25日、先着受付 1月20日から"
    tab.spins["first_come_day"].setValue(14)
    assert tab.problem.isVisible() and "先着受付開始日（毎月14日）は抽選日（毎月15日）より後に" in tab.problem.text()
    for cb in tab.room_checks:
        cb.setChecked(False)
    tab.spins["first_come_day"].setValue(20)
    assert tab.problem.text() == "抽選で割り当てる部屋がありません（抽選は行われません）。"
    qtbot.mouseClick(tab.revert_button, Qt.MouseButton.LeftButton)
    assert preview(tab) == DEFAULT_PREVIEW


def test_cycle_text_is_the_domain_cycle():
    rules = centre.load_default_profile().lottery
    assert cycle_text(rules, dt.date(2026, 12, 7)) == DEFAULT_PREVIEW
    assert cycle_text(rules, dt.date(2026, 12, 10)) == DEFAULT_PREVIEW  # the last day of entries
    assert cycle_text(rules, dt.date(2026, 12, 11)).startswith("2027年4月分：申込 1月1日〜1月10日")


def test_a_lottery_room_that_is_not_a_room_is_refused(qtbot, engine, manager, errors):
    """The service checks the lottery rooms against the rooms table; the tab shows the stray one so it can be
    taken off."""
    with write_session(engine) as s:
        room = next(r for r in centre.list_rooms(s) if r.name == "大会議室")
        centre.save_room(s, manager, room_id=room.id, name="第1会議室", kana=room.kana, capacity=room.capacity,
                         sort_order=room.sort_order)
    with pytest.raises(ValidationError, match="抽選の対象の部屋：「大会議室」という部屋はありません") as exc, \
            write_session(engine) as s:
        centre.save_profile(s, manager, centre.get_profile(s))
    assert exc.value.field == "lottery.rooms"
    page, tab = tab_of(qtbot, engine, manager)
    stray = next(cb for cb in tab.room_checks if cb.property("room_name") == "大会議室")
    assert stray.isChecked() and stray.text() == "大会議室" + MISSING_ROOM
    assert not tab.save()
    assert "「大会議室」という部屋はありません" in errors[-1] and kw.focused() is tab.room_checks[0]
    stray.setChecked(False)
    next(cb for cb in tab.room_checks if cb.property("room_name") == "第1会議室").setChecked(True)
    assert tab.save(), errors
    assert stored(engine).lottery.rooms == ("第1会議室", "多目的交流ホール")


@pytest.mark.parametrize("role", ["manager", "desk"])
def test_every_control_is_named_and_tab_goes_round(qtbot, engine, role, request):
    ctx = AppContext(engine, request.getfixturevalue(role))
    from booking_app.ui.main_window import MainWindow

    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.resize(1366, 768)
    with qtbot.waitActive(w):
        w.show()
        w.activateWindow()
    w.show_page("settings")
    page = w.pages["settings"]
    page.tabs.setCurrentWidget(page.allocation)
    tab = page.allocation
    assert kw.unnamed(tab) == []
    tab.spins["months_ahead"].setFocus()
    chain = kw.tab_chain(limit=250)
    must = [b for b in (tab.save_button, tab.reduction_add, tab.reason_add) if b.isEnabled()]
    kw.assert_no_trap(chain, must_reach=[*tab.spins.values(), tab.reasons_table, tab.reductions_table, *must])
    # Tab walks this tab in the order of the screen: the cycle, the rooms, refunds, reductions.
    mine = [x for x in chain if tab.isAncestorOf(x)]
    order = [tab.spins["months_ahead"], tab.spins["no_show_months"], tab.full_days, tab.reasons_table,
             tab.reductions_table]
    assert [mine.index(x) for x in order] == sorted(mine.index(x) for x in order)


def test_ctrl_s_in_an_open_cell_saves_what_was_typed(qtbot, engine, manager, errors):
    page, tab = tab_of(qtbot, engine, manager)
    table, m = tab.reductions_table, tab.reductions_model
    table.setCurrentIndex(m.index(reduction_row(tab, "children"), m.col("rate")))
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_F2)
    editor = kw.focused()
    assert editor is not table and table.isAncestorOf(editor)
    editor.selectAll()
    kw.type_text("25")
    kw.press(Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)  # no Enter first
    assert errors == []
    assert {c.code: c.rate for c in stored(engine).reductions}["children"] == 25


def test_tab_still_goes_round_after_the_rooms_are_read_again(qtbot, engine, manager, window):
    """元に戻す makes the room check boxes anew; they keep their place in the Tab order."""
    window.show_page("settings")
    page = window.pages["settings"]
    page.tabs.setCurrentWidget(page.allocation)
    tab = page.allocation
    tab.revert_button.click()
    tab.spins["no_show_months"].setFocus()
    kw.press(Qt.Key.Key_Tab)
    assert kw.focused() is tab.room_checks[0]
    chain = kw.tab_chain(limit=250)
    kw.assert_no_trap(chain, must_reach=[*tab.room_checks, tab.save_button])
    assert kw.unnamed(tab) == []


def test_saving_the_booking_windows_afterwards_keeps_what_this_tab_saved(qtbot, engine, manager, errors):
    page, tab = tab_of(qtbot, engine, manager)
    tab.spins["draw_day"].setValue(16)
    assert tab.save(), errors
    page.hold_days.setValue(5)
    assert page.save_profile(), errors
    p = stored(engine)
    assert p.tentative_hold_days == 5
    assert p.lottery.draw_day == 16
