"""団体の登録・変更 and 停止・抹消・解除 by keys only (issue 17): Alt+mnemonics reach the fields, Tab walks
the whole form (備考 passes it on), Ctrl+S and Enter save, Esc on typed input asks before discarding.

From the moment the dialog is shown the test only presses keys on the focused widget (keyboard_walk).
"""

from __future__ import annotations

from datetime import datetime

import keyboard_walk as kw
import pytest
from PySide6.QtCore import Qt
from sqlalchemy import func, select

from booking_app.domain.groups import ACTIVITY_FIELDS, DECLARATIONS, GroupInput
from booking_app.services import groups as group_svc
from booking_app.store.engine import read_session, write_session
from booking_app.store.models import MemberGroup
from booking_app.ui.groups.group_dialog import GroupDialog, StatusChangeDialog
from booking_app.ui.keyboard import DISCARD_TEXT
from tests.actors import actor_for

ALT = Qt.KeyboardModifier.AltModifier
CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def engine(engine):
    desk = actor_for(engine, "desk")
    with write_session(engine) as s:
        group_svc.register_group(
            s, desk, GroupInput(name="関門太鼓の会", kana="かんもんたいこのかい", activity_fields=["社会教育"],
                                representative="山田 花子", phone="083-111-2222",
                                declarations={k: True for k in DECLARATIONS}),
            now=datetime(2026, 4, 10, 10))
    return engine


def groups(engine) -> list[tuple[str, str]]:
    with read_session(engine) as s:
        return [(g.reg_no, g.name) for g in s.scalars(select(MemberGroup).order_by(MemberGroup.id))]


def shown(qtbot, dlg):
    qtbot.addWidget(dlg)
    with qtbot.waitActive(dlg):
        dlg.show()
        dlg.activateWindow()
    return dlg


def fill_by_keys(dlg: GroupDialog) -> None:
    """The required fields, reached by their Alt+letter and typed in; the rest left as they are."""
    kw.press(Qt.Key.Key_N, ALT)
    assert kw.focused() is dlg.name_edit
    kw.type_text("竹崎ひまわり会")
    kw.press(Qt.Key.Key_K, ALT)
    assert kw.focused() is dlg.kana_edit
    kw.type_text("たけざきひまわりかい")
    kw.press(Qt.Key.Key_R, ALT)
    kw.type_text("竹崎 太郎")
    kw.press(Qt.Key.Key_P, ALT)
    kw.type_text("083-999-0000")
    kw.press(Qt.Key.Key_F, ALT)  # 活動分野: the first field's box
    assert kw.focused() is dlg.field_checks[ACTIVITY_FIELDS[0]]
    kw.press(Qt.Key.Key_Space)
    kw.press(Qt.Key.Key_D, ALT)  # 条例の要件: the first declaration, then Tab from box to box
    for i, _key in enumerate(DECLARATIONS):
        if i:
            kw.press(Qt.Key.Key_Tab)
        kw.press(Qt.Key.Key_Space)
    assert all(cb.isChecked() for cb in dlg.declaration_checks.values())


def test_register_by_keys_and_ctrl_s(qtbot, ctx, engine, prompts):
    dlg = shown(qtbot, GroupDialog(ctx))
    fill_by_keys(dlg)
    kw.press(Qt.Key.Key_S, CTRL)
    assert prompts.errors == [] and dlg.result() == GroupDialog.DialogCode.Accepted
    assert groups(engine)[-1] == ("0002", "竹崎ひまわり会")


def test_enter_in_a_field_saves(qtbot, ctx, engine, prompts):
    dlg = shown(qtbot, GroupDialog(ctx))
    fill_by_keys(dlg)
    kw.press(Qt.Key.Key_M, ALT)  # メール
    kw.type_text("himawari@example.jp")
    kw.press(Qt.Key.Key_Return)
    assert dlg.result() == GroupDialog.DialogCode.Accepted
    with read_session(engine) as s:
        assert s.scalar(select(MemberGroup.email).where(MemberGroup.reg_no == "0002")) == "himawari@example.jp"


def test_a_refused_save_by_key_keeps_the_dialog_and_points_at_the_field(qtbot, ctx, engine, prompts):
    dlg = shown(qtbot, GroupDialog(ctx))
    kw.press(Qt.Key.Key_S, CTRL)
    assert dlg.isVisible() and len(prompts.errors) == 1
    assert kw.focused() is dlg.name_edit  # the field the refusal names has the focus, ready for typing
    with read_session(engine) as s:
        assert s.scalar(select(func.count()).select_from(MemberGroup)) == 1


def test_tab_walks_the_whole_form_and_every_control_is_named(qtbot, ctx, prompts):
    dlg = shown(qtbot, GroupDialog(ctx))
    assert kw.unnamed(dlg) == []
    chain = kw.tab_chain()
    kw.assert_no_trap(chain, must_reach=[dlg.name_edit, dlg.kana_edit, dlg.note_edit, dlg.members_spin,
                                         *dlg.declaration_checks.values(), dlg.save_button,
                                         dlg.findChild(type(dlg.save_button), "cancel")])
    # After Tab has passed キャンセル, Enter in a field still saves (here: refused, naming the field).
    kw.press(Qt.Key.Key_K, ALT)
    kw.type_text("たけざき")
    kw.press(Qt.Key.Key_Return)
    assert dlg.isVisible() and len(prompts.errors) == 1 and kw.focused() is dlg.name_edit


def test_esc_on_typed_input_asks_and_can_go_back(qtbot, ctx, prompts):
    dlg = shown(qtbot, GroupDialog(ctx))
    kw.press(Qt.Key.Key_B, ALT)  # 備考
    assert kw.focused() is dlg.note_edit
    kw.type_text("電話で受付")
    prompts.answer_confirm(False)  # 入力に戻る
    kw.press(Qt.Key.Key_Escape)
    assert [q for q in prompts.of("confirm") if DISCARD_TEXT in str(q)]
    assert dlg.isVisible() and dlg.note_edit.toPlainText() == "電話で受付"
    prompts.answer_confirm(True)  # 破棄する
    kw.press(Qt.Key.Key_Escape)
    assert not dlg.isVisible() and dlg.result() == GroupDialog.DialogCode.Rejected


def test_esc_on_an_untouched_dialog_closes_at_once(qtbot, ctx, engine, prompts):
    with read_session(engine) as s:
        gid = s.scalars(select(MemberGroup.id)).one()
    dlg = shown(qtbot, GroupDialog(ctx, group_id=gid))  # filled from the register: nothing typed yet
    kw.press(Qt.Key.Key_Escape)
    assert not dlg.isVisible() and prompts.of("confirm") == []


def test_edit_by_keys_saves_with_ctrl_s(qtbot, ctx, engine):
    with read_session(engine) as s:
        gid = s.scalars(select(MemberGroup.id)).one()
    dlg = shown(qtbot, GroupDialog(ctx, group_id=gid))
    kw.press(Qt.Key.Key_U, ALT)  # 会員数
    kw.press(Qt.Key.Key_A, CTRL)
    kw.type_text("12")
    kw.press(Qt.Key.Key_S, CTRL)
    assert dlg.result() == GroupDialog.DialogCode.Accepted
    with read_session(engine) as s:
        assert s.get(MemberGroup, gid).members == 12


def test_status_change_by_keys(qtbot, ctx, engine, prompts):
    ctx.set_actor(actor_for(engine, "manager"))
    with read_session(engine) as s:
        gid = s.scalars(select(MemberGroup.id)).one()
    dlg = shown(qtbot, StatusChangeDialog(ctx, gid, "0001　関門太鼓の会", "active"))
    assert kw.unnamed(dlg) == []
    kw.assert_no_trap(kw.tab_chain(), must_reach=[dlg.status_combo, dlg.reason_edit, dlg.ok_button])
    kw.press(Qt.Key.Key_R, ALT)
    assert kw.focused() is dlg.reason_edit
    kw.type_text("会費未納")
    prompts.answer_confirm(False)
    kw.press(Qt.Key.Key_Escape)
    assert dlg.isVisible()  # asked, and staff went back to the form
    assert kw.focused() is dlg.reason_edit, kw.describe(kw.focused())
    kw.press(Qt.Key.Key_Return)
    assert dlg.result() == StatusChangeDialog.DialogCode.Accepted, prompts.errors
    with read_session(engine) as s:
        assert s.get(MemberGroup, gid).status == "suspended"


def test_anonymise_and_due_groups_by_keys(qtbot, ctx, engine, prompts):
    from booking_app.ui.groups.privacy_dialog import AnonymiseDialog, DueGroupsDialog

    ctx.set_actor(actor_for(engine, "manager"))
    due = shown(qtbot, DueGroupsDialog(ctx))
    assert kw.unnamed(due) == []
    kw.assert_no_trap(kw.tab_chain(), must_reach=[due.table])
    with read_session(engine) as s:
        gid = s.scalars(select(MemberGroup.id)).one()
    dlg = shown(qtbot, AnonymiseDialog(ctx, gid, "0001　関門太鼓の会"))
    assert kw.unnamed(dlg) == []
    kw.assert_no_trap(kw.tab_chain(), must_reach=[dlg.reason_edit, dlg.ok_button])
    kw.press(Qt.Key.Key_R, ALT)
    assert kw.focused() is dlg.reason_edit
    kw.type_text("本人の請求")
    prompts.answer_confirm(False)
    kw.press(Qt.Key.Key_Escape)  # a reason typed: asked, and staff go back
    assert dlg.isVisible() and [q for q in prompts.of("confirm") if DISCARD_TEXT in str(q)]
