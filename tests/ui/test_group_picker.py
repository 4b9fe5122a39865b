"""The group search (団体検索) shared by the enrolment and accident dialogs, driven from the keyboard:
type a kana, move into the hits, pick one; typing again forgets it; nothing found says so."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication

from booking_app.domain.groups import DECLARATIONS, GroupInput
from booking_app.services import groups as group_svc
from booking_app.store.engine import write_session
from booking_app.ui.groups.group_picker import NO_HITS, GroupPicker

pytestmark = pytest.mark.now(date(2026, 11, 25))  # the clubs below are registered for this fiscal year


def type_text(widget, text: str) -> None:
    """Type text key by key like an IME commit would; QTest.keyClicks only knows ASCII keys."""
    for ch in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier, ch))


@pytest.fixture
def clubs(engine, desk) -> list[int]:
    ids = []
    with write_session(engine) as s:
        for name, kana in (("ふくふく読書会", "ふくふくどくしょかい"), ("ふくふく合唱団", "ふくふくがっしょうだん")):
            g = group_svc.register_group(s, desk, GroupInput(
                name=name, kana=kana, activity_fields=["まちづくり"], representative="山田 花子",
                phone="083-111-2222", declarations={k: True for k in DECLARATIONS}), now=datetime(2026, 4, 10, 10))
            ids.append(g.id)
    return ids


@pytest.fixture
def picker(qtbot, ctx) -> GroupPicker:
    w = GroupPicker(ctx)
    qtbot.addWidget(w)
    w.resize(420, 200)
    w.show()
    qtbot.waitExposed(w)
    w.edit.setFocus()
    return w


def test_type_a_kana_and_pick_the_second_hit_with_the_keyboard(qtbot, picker, clubs):
    seen: list = []
    picker.picked.connect(seen.append)
    type_text(picker.edit, "ふくふく")
    qtbot.waitUntil(lambda: picker.hits.isVisible() and picker.hits.count() == 2)
    assert "有効" in picker.hits.item(0).text()
    qtbot.keyClick(picker.edit, Qt.Key.Key_Down)  # into the list, on the first hit
    assert picker.hits.hasFocus() and picker.hits.currentRow() == 0
    qtbot.keyClick(picker.hits, Qt.Key.Key_Down)
    second = picker.hits.currentItem().data(Qt.ItemDataRole.UserRole)
    qtbot.keyClick(picker.hits, Qt.Key.Key_Return)
    assert picker.group_id == second and seen == [second] and not picker.hits.isVisible()
    assert picker.hit.name in picker.edit.text() and picker.label.text().startswith("選択中：")
    assert picker.edit.hasFocus()  # back in the field, ready for the next one
    type_text(picker.edit, "x")  # typing again forgets the choice
    assert picker.group_id is None and seen == [second, None] and picker.label.text() == "団体を選んでください"


def test_enter_picks_the_first_hit_and_nothing_found_says_so(qtbot, picker, clubs):
    type_text(picker.edit, "どくしょ")
    qtbot.keyClick(picker.edit, Qt.Key.Key_Return)  # at once, without waiting for the pause
    assert picker.group_id == clubs[0] and picker.edit.text().endswith("ふくふく読書会")
    picker.edit.clear()
    type_text(picker.edit, "ありません会")
    qtbot.keyClick(picker.edit, Qt.Key.Key_Return)
    assert picker.group_id is None and picker.hits.item(0).text() == NO_HITS
    qtbot.keyClick(picker.edit, Qt.Key.Key_Down)  # nothing to move into
    assert picker.edit.hasFocus()


# --- by keys in a dialog (issue 17) ------------------------------------------------------------------------


def test_in_a_dialog_enter_picks_without_pressing_the_default_button_and_tab_leaves(qtbot, ctx, clubs):
    import keyboard_walk as kw
    from PySide6.QtWidgets import QDialog, QFormLayout, QLineEdit, QPushButton

    dlg = QDialog()
    qtbot.addWidget(dlg)
    form = QFormLayout(dlg)
    picker = GroupPicker(ctx, delay_ms=0)
    form.addRow("団体(&G)", picker)
    note = QLineEdit()
    form.addRow("メモ(&M)", note)
    ok = QPushButton("登録")
    ok.setDefault(True)
    ok.clicked.connect(dlg.accept)
    form.addRow(ok)
    with qtbot.waitActive(dlg):
        dlg.show()
        dlg.activateWindow()
    kw.press(Qt.Key.Key_G, Qt.KeyboardModifier.AltModifier)
    assert kw.focused() is picker.edit
    type_text(picker.edit, "ふくふく")  # (an IME commit: kw.type_text knows ASCII only)
    qtbot.waitUntil(lambda: picker.hits.isVisible() and picker.hits.count() == 2)
    assert kw.unnamed(dlg) == []
    assert kw.accessible_name(picker.edit) == "団体検索" and kw.accessible_name(picker.hits) == "団体の候補"
    chain = kw.tab_chain()
    kw.assert_no_trap(chain, must_reach=[picker.hits, note, ok])

    kw.tab_to(picker.edit)
    kw.press(Qt.Key.Key_Return)  # picks the first group; the dialog stays open
    assert picker.group_id is not None and dlg.isVisible() and dlg.result() == 0
    kw.press(Qt.Key.Key_Return)  # on a picked group Enter goes on to 登録
    assert dlg.result() == QDialog.DialogCode.Accepted
