"""保険の加入 by keys only (issue 17): Alt+letters reach the fields, Enter in the group search picks the group
(and saves nothing), the roster takes typed and pasted people and gives Tab back, Ctrl+S enrols, Esc on
typed input asks 「入力内容を破棄しますか？」; every control is named.

From the moment the dialog is shown the test only presses keys on the focused widget (keyboard_walk); the
clipboard is filled as a spreadsheet's copy would.
"""

from __future__ import annotations

from datetime import date, datetime

import keyboard_walk as kw
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from sqlalchemy import func, select

from booking_app.domain.groups import DECLARATIONS, GroupInput
from booking_app.services import groups as group_svc
from booking_app.store.engine import read_session, write_session
from booking_app.store.models import InsuranceEnrolment, InsuredPerson
from booking_app.ui.insurance.enrol_dialog import EnrolDialog
from booking_app.ui.keyboard import DISCARD_TEXT
from tests.actors import actor_for

TODAY = date(2026, 11, 25)
pytestmark = pytest.mark.now(TODAY)
CLUB = "フクフク読書会"
ALT = Qt.KeyboardModifier.AltModifier
CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def engine(engine):
    desk = actor_for(engine, "desk")
    with write_session(engine) as s:
        group_svc.register_group(s, desk, GroupInput(
            name=CLUB, kana="ふくふくどくしょかい", activity_fields=["まちづくり"], representative="山田 花子",
            phone="083-111-2222", declarations={k: True for k in DECLARATIONS}), now=datetime(2026, 4, 10, 10))
    return engine


def shown(qtbot, dlg):
    qtbot.addWidget(dlg)
    with qtbot.waitActive(dlg):
        dlg.show()
        dlg.activateWindow()
    return dlg


def enrolments(engine) -> int:
    with read_session(engine) as s:
        return s.scalar(select(func.count()).select_from(InsuranceEnrolment))


def choose_plan_by_keys(dlg: EnrolDialog, code: str) -> None:
    kw.press(Qt.Key.Key_P, ALT)
    assert kw.focused() is dlg.plan_combo
    target = next(i for i, p in enumerate(dlg.plans) if p.plan.code == code)
    while dlg.plan_combo.currentIndex() != target:
        kw.press(Qt.Key.Key_Down if dlg.plan_combo.currentIndex() < target else Qt.Key.Key_Up)


def pick_club_by_keys(dlg: EnrolDialog) -> None:
    kw.press(Qt.Key.Key_G, ALT)
    assert kw.focused() is dlg.group_edit
    kw.type_text("ふくふく")
    kw.press(Qt.Key.Key_Return)  # picks the first group found …
    assert dlg.group_id is not None and CLUB in dlg.group_label.text()
    assert dlg.isVisible()  # … and saves nothing


def test_group_enrolment_by_keys(qtbot, ctx, engine, prompts):
    dlg = shown(qtbot, EnrolDialog(ctx))
    pick_club_by_keys(dlg)
    assert enrolments(engine) == 0
    choose_plan_by_keys(dlg, "VOL-BASIC")
    kw.tab_to(dlg.roster.table)
    kw.type_text("山田 太郎")  # typing edits the current cell
    kw.press(Qt.Key.Key_Tab)  # while editing, Tab is the next cell (フリガナ)
    kw.type_text("ヤマダ タロウ")
    kw.press(Qt.Key.Key_Return)  # ends the edit, on to the next row's 氏名; the dialog is not saved
    assert dlg.isVisible() and dlg.roster.model.people() == [("山田 太郎", "ヤマダ タロウ")]
    assert dlg.roster.table.currentIndex().row() == 1 and dlg.roster.table.currentIndex().column() == 0
    kw.press(Qt.Key.Key_Return)  # Enter again: still the table's (it edits the cell), never 加入する
    kw.press(Qt.Key.Key_Escape)  # leaves that edit unchanged
    assert dlg.isVisible() and enrolments(engine) == 0
    QApplication.clipboard().setText("佐藤 花子\tサトウ ハナコ\n鈴木 一郎\tスズキ イチロウ\n")
    kw.press(Qt.Key.Key_V, CTRL)  # pasted from a spreadsheet
    assert len(dlg.roster.model.people()) == 3
    kw.press(Qt.Key.Key_Tab)  # not editing: Tab leaves the roster
    kw.press(Qt.Key.Key_Backtab)
    assert kw.focused() is dlg.roster.table
    kw.type_text("高橋")  # a fourth person, typed into the blank last row …
    kw.press(Qt.Key.Key_Tab)
    kw.type_text("タカハシ")
    kw.press(Qt.Key.Key_Tab)  # … and Tab in フリガナ ends the edit and leaves the table
    assert len(dlg.roster.model.people()) == 4
    assert kw.focused() is not dlg.roster.table and not dlg.roster.table.isAncestorOf(kw.focused())
    kw.press(Qt.Key.Key_S, CTRL)
    assert prompts.errors == [] and dlg.result() == EnrolDialog.DialogCode.Accepted
    with read_session(engine) as s:
        assert s.scalar(select(func.count()).select_from(InsuredPerson)) == 4
    assert dlg.enrolment is not None and dlg.enrolment.holder_name == CLUB


def test_enter_in_a_plain_field_saves(qtbot, ctx, engine, prompts):
    """A plan without a roster (名簿なし): pick the group, Enter on the plan saves."""
    dlg = shown(qtbot, EnrolDialog(ctx))
    pick_club_by_keys(dlg)
    rosterless = [p.plan.code for p in dlg.plans if p.plan.roster == "none"]
    assert rosterless, [p.plan.code for p in dlg.plans]
    choose_plan_by_keys(dlg, rosterless[0])
    kw.press(Qt.Key.Key_Return)
    assert dlg.result() == EnrolDialog.DialogCode.Accepted, prompts.errors
    assert enrolments(engine) == 1


@pytest.mark.parametrize("mode", ["group", "event"])
def test_no_tab_trap_and_every_control_named(qtbot, ctx, mode):
    dlg = shown(qtbot, EnrolDialog(ctx, mode=mode))
    if mode == "group":
        choose_plan_by_keys(dlg, "VOL-BASIC")  # a plan with a roster
    assert kw.unnamed(dlg) == []
    chain = kw.tab_chain()
    must = [dlg.plan_combo, dlg.group_edit, dlg.roster.table, dlg.roster.paste_button, dlg.save_button,
            dlg.cancel_button]
    if mode == "event":
        must += [dlg.holder_edit, dlg.event_name_edit, dlg.start_edit, dlg.end_edit, dlg.participants_spin,
                 *dlg.kind_checks.values()]
    kw.assert_no_trap(chain, must_reach=must)
    assert chain.index(dlg.group_edit) == chain.index(dlg.plan_combo) + 1  # in the order the form reads


def test_esc_asks_before_discarding_a_roster(qtbot, ctx, engine, prompts):
    dlg = shown(qtbot, EnrolDialog(ctx))
    kw.press(Qt.Key.Key_Escape)  # untouched: closes at once
    assert not dlg.isVisible() and prompts.of("confirm") == []
    dlg = shown(qtbot, EnrolDialog(ctx))
    choose_plan_by_keys(dlg, "VOL-BASIC")
    kw.tab_to(dlg.roster.table)
    QApplication.clipboard().setText("佐藤 花子\tサトウ ハナコ\n")
    kw.press(Qt.Key.Key_V, CTRL)
    prompts.answer_confirm(False)  # 入力に戻る
    kw.press(Qt.Key.Key_Escape)
    assert [q for q in prompts.of("confirm") if DISCARD_TEXT in str(q)]
    assert dlg.isVisible() and len(dlg.roster.model.people()) == 1
    assert kw.focused() is dlg.roster.table  # back where staff were
    prompts.answer_confirm(True)
    kw.press(Qt.Key.Key_Escape)
    assert not dlg.isVisible() and enrolments(engine) == 0


def test_add_people_and_remove_a_person_by_keys(qtbot, ctx, engine, desk, prompts):
    from booking_app.services import insurance as ins
    from booking_app.ui.insurance.enrol_dialog import AddPeopleDialog, RemovePersonDialog

    with read_session(engine) as s:
        gid = group_svc.search_groups(s, CLUB)[0].id
    with write_session(engine) as s:
        plan = next(p for p in ins.plans_for_year(s, 2026, actor=desk) if p.plan.code == "VOL-BASIC")
        v = ins.enrol_group(s, desk, plan_id=plan.id, group_id=gid,
                            people=ins.parse_roster_text("山田 太郎\tヤマダ タロウ\n佐藤 花子\tサトウ ハナコ\n"),
                            applied_on=date(2026, 6, 1), now=datetime(2026, 6, 1, 10))
    add = shown(qtbot, AddPeopleDialog(ctx, v))
    assert kw.unnamed(add) == []
    kw.assert_no_trap(kw.tab_chain(), must_reach=[add.roster.table, add.save_button])
    kw.tab_to(add.roster.table)
    kw.type_text("高橋 次郎")
    kw.press(Qt.Key.Key_Tab)
    kw.type_text("タカハシ ジロウ")
    kw.press(Qt.Key.Key_Return)  # ends the edit; nothing saved yet
    assert add.isVisible() and add.result_view is None
    kw.press(Qt.Key.Key_S, CTRL)
    assert prompts.errors == [] and add.result_view is not None
    after = add.result_view
    assert len([p for p in after.people if p.removed_on is None]) == 3

    rm = shown(qtbot, RemovePersonDialog(ctx, after))
    assert kw.unnamed(rm) == []
    kw.assert_no_trap(kw.tab_chain(), must_reach=[rm.list, rm.reason_edit, rm.save_button])
    kw.tab_to(rm.list)
    kw.press(Qt.Key.Key_Down)
    kw.press(Qt.Key.Key_R, ALT)
    kw.type_text("退会")
    kw.press(Qt.Key.Key_Return)  # the default button: 名簿から外す
    assert prompts.errors == [] and rm.removed
