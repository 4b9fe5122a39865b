"""The group register form, filled in by typing and clicking; refusals keep the input and point at the field."""

from __future__ import annotations

from datetime import datetime

import pytest
from PySide6.QtCore import QEvent, QPoint, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QCheckBox, QRadioButton
from sqlalchemy import func, select

from booking_app.domain.groups import DECLARATIONS, GroupInput
from booking_app.services import groups as group_svc
from booking_app.store.engine import read_session, write_session
from booking_app.store.models import MemberGroup
from booking_app.ui.groups import group_dialog as gd
from booking_app.ui.groups.group_dialog import GroupDialog
from tests.actors import actor_for


@pytest.fixture
def engine(engine):
    """The conftest database with two groups registered."""
    desk = actor_for(engine, "desk")
    with write_session(engine) as s:
        for name, kana in (("フクフク読書会", "ふくふくどくしょかい"), ("関門太鼓の会", "かんもんたいこのかい")):
            group_svc.register_group(
                s, desk, GroupInput(name=name, kana=kana, activity_fields=["社会教育"], representative="山田 花子",
                                    phone="083-111-2222", declarations={k: True for k in DECLARATIONS}),
                now=datetime(2026, 4, 10, 10))
    return engine


@pytest.fixture
def shown(prompts):
    """The refusals the dialog showed, as staff would read them (recorded by the shared prompts recorder)."""
    return prompts.shown("show_error")


def type_text(widget, text: str) -> None:
    """Type text key by key like an IME commit would; QTest.keyClicks only knows ASCII keys."""
    for ch in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier, ch))


def open_dialog(qtbot, ctx, **kw) -> GroupDialog:
    dlg = GroupDialog(ctx, **kw)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    return dlg


def click(qtbot, widget) -> None:
    dlg = widget.window()
    dlg.scroll.ensureWidgetVisible(widget)
    if isinstance(widget, QCheckBox | QRadioButton):
        # Click on the box itself, as a person would (the widget may be wider than its text).
        qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=QPoint(8, widget.height() // 2))
    else:
        qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def fill(qtbot, dlg: GroupDialog, *, skip_declaration: str | None = None) -> None:
    type_text(dlg.name_edit, "竹崎ひまわり会")
    type_text(dlg.kana_edit, "タケザキヒマワリカイ")
    click(qtbot, dlg.type_buttons["community"])
    click(qtbot, dlg.machizukuri_check)
    dlg.district_combo.setCurrentIndex(dlg.district_combo.findText("彦島"))
    click(qtbot, dlg.field_checks["まちづくり"])
    click(qtbot, dlg.field_checks["子どもの健全育成"])
    type_text(dlg.representative_edit, "竹崎 太郎")
    qtbot.keyClicks(dlg.phone_edit, "083-999-0000")
    qtbot.keyClicks(dlg.email_edit, "himawari@example.jp")
    dlg.members_spin.setValue(25)
    for key, cb in dlg.declaration_checks.items():
        if key != skip_declaration:
            click(qtbot, cb)


def group_count(engine) -> int:
    with read_session(engine) as s:
        return s.scalar(select(func.count()).select_from(MemberGroup))


def test_register_by_typing_and_clicking(qtbot, ctx, engine, shown):
    dlg = open_dialog(qtbot, ctx)
    fill(qtbot, dlg)
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    assert shown == []
    assert dlg.result() == GroupDialog.DialogCode.Accepted
    with read_session(engine) as s:
        g = s.get(MemberGroup, dlg.result_id)
        assert (g.reg_no, g.name, g.kana, g.group_type) == ("0003", "竹崎ひまわり会", "タケザキヒマワリカイ", "community")
        assert (g.is_machizukuri, g.district, g.members) == (True, "彦島", 25)
        assert g.activity_fields == ["まちづくり", "子どもの健全育成"]
        assert (g.representative, g.phone, g.email) == ("竹崎 太郎", "083-999-0000", "himawari@example.jp")
        assert all(g.declarations[k] for k in DECLARATIONS)


def test_clicking_a_declaration_text_ticks_its_box(qtbot, ctx):
    dlg = open_dialog(qtbot, ctx)
    label = dlg.findChild(gd.QLabel, "decl_label_not_gang")
    dlg.scroll.ensureWidgetVisible(label)
    qtbot.mouseClick(label, Qt.MouseButton.LeftButton)
    assert dlg.declaration_checks["not_gang"].isChecked()
    assert label.wordWrap()


def test_unchecked_declaration_is_refused_naming_it_and_input_is_kept(qtbot, ctx, engine, shown):
    before = group_count(engine)
    dlg = open_dialog(qtbot, ctx)
    fill(qtbot, dlg, skip_declaration="not_political")
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    assert len(shown) == 1
    assert "登録できません" in shown[0]
    assert DECLARATIONS["not_political"] in shown[0]
    assert DECLARATIONS["not_religious"] not in shown[0]
    assert group_count(engine) == before
    assert dlg.isVisible() and dlg.result() != GroupDialog.DialogCode.Accepted
    assert dlg.name_edit.text() == "竹崎ひまわり会"
    assert dlg.representative_edit.text() == "竹崎 太郎"
    assert dlg.field_checks["まちづくり"].isChecked()
    assert dlg.decl_box.property("invalid") is True
    assert "#d32f2f" in dlg.decl_box.styleSheet()
    assert dlg.focusWidget() is dlg.declaration_checks["not_political"]

    # Ticking it and saving again registers, and the red border goes.
    click(qtbot, dlg.declaration_checks["not_political"])
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    assert dlg.result() == GroupDialog.DialogCode.Accepted
    assert group_count(engine) == before + 1
    assert dlg.decl_box.styleSheet() == ""


def test_missing_name_marks_the_name_field(qtbot, ctx, engine, shown):
    dlg = open_dialog(qtbot, ctx)
    fill(qtbot, dlg)
    dlg.name_edit.clear()
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    assert shown == ["団体名を入力してください。"]
    assert "#d32f2f" in dlg.name_edit.styleSheet()
    assert dlg.focusWidget() is dlg.name_edit
    assert dlg.kana_edit.text() == "タケザキヒマワリカイ"


def test_no_activity_field_marks_the_list(qtbot, ctx, shown):
    dlg = open_dialog(qtbot, ctx)
    fill(qtbot, dlg)
    click(qtbot, dlg.field_checks["まちづくり"])
    click(qtbot, dlg.field_checks["子どもの健全育成"])
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    assert shown == ["活動分野を1つ以上選んでください。"]
    assert dlg.fields_box.property("invalid") is True


@pytest.mark.answers_modals
def test_register_classmethod_returns_the_new_id(qtbot, ctx, engine, shown):
    failures: list[BaseException] = []

    def drive():
        dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, GroupDialog) and w.isVisible()]
        if not dialogs:  # not open yet: look again shortly
            QTimer.singleShot(10, drive)
            return
        dlg = dialogs[0]
        try:
            fill(qtbot, dlg)
            qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
        except BaseException as exc:  # a failed step must never leave the modal loop running
            failures.append(exc)
        finally:
            if dlg.isVisible():
                dlg.reject()

    QTimer.singleShot(0, drive)
    gid = GroupDialog.register(None, ctx)
    assert failures == [] and shown == []
    assert gid is not None
    with read_session(engine) as s:
        assert s.get(MemberGroup, gid).reg_no == "0003"


def test_edit_loads_and_saves(qtbot, ctx, engine, shown):
    with read_session(engine) as s:
        gid = s.scalars(select(MemberGroup.id).where(MemberGroup.reg_no == "0002")).one()
    changes = []
    ctx.changed.connect(changes.append)
    dlg = open_dialog(qtbot, ctx, group_id=gid)
    assert dlg.name_edit.text() == "関門太鼓の会"
    assert dlg.field_checks["社会教育"].isChecked()
    assert all(cb.isChecked() for cb in dlg.declaration_checks.values())
    assert dlg.save_button.text() == "変更を保存"
    dlg.representative_edit.clear()
    type_text(dlg.representative_edit, "佐藤 一郎")
    dlg.members_spin.setValue(12)
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    assert dlg.result() == GroupDialog.DialogCode.Accepted
    with read_session(engine) as s:
        g = s.get(MemberGroup, gid)
        assert (g.representative, g.members, g.reg_no) == ("佐藤 一郎", 12, "0002")
    assert changes == [{"group"}]


def test_fits_a_small_screen(qtbot, ctx):
    dlg = open_dialog(qtbot, ctx)
    assert dlg.width() <= 1366 and dlg.height() <= 740
    dlg.resize(640, 500)  # squeezed: the form keeps its columns whole and scrolls rather than clip
    qtbot.waitUntil(lambda: dlg.height() == 500)
    assert dlg.scroll.widget().width() <= dlg.scroll.viewport().width()
    # Every declaration is shown whole: its wrapped label is as tall as its text needs.
    for key in DECLARATIONS:
        label = dlg.findChild(gd.QLabel, f"decl_label_{key}")
        assert label.height() >= label.heightForWidth(label.width())
