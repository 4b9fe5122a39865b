"""事故報告 and プラン・保険料 by keys only (issue 17): Alt+letters reach the fields, 状況 passes Tab on,
Ctrl+S saves, Esc on typed input asks 「入力内容を破棄しますか？」, every control is named, no Tab trap.
Keys only from the moment the dialog is shown (keyboard_walk)."""

from __future__ import annotations

from datetime import date

import keyboard_walk as kw
import pytest
from PySide6.QtCore import Qt
from sqlalchemy import func, select

from booking_app.store.engine import read_session
from booking_app.store.models import AccidentReport, InsurancePlan
from booking_app.ui.context import AppContext
from booking_app.ui.insurance.accident_dialog import AccidentDialog
from booking_app.ui.insurance.insurance_plans_dialog import InsurancePlansDialog
from booking_app.ui.keyboard import DISCARD_TEXT

pytestmark = pytest.mark.now(date(2026, 11, 25))
ALT = Qt.KeyboardModifier.AltModifier
CTRL = Qt.KeyboardModifier.ControlModifier


def shown(qtbot, dlg):
    qtbot.addWidget(dlg)
    with qtbot.waitActive(dlg):
        dlg.show()
        dlg.activateWindow()
    return dlg


def reports(engine) -> int:
    with read_session(engine) as s:
        return s.scalar(select(func.count()).select_from(AccidentReport))


def test_accident_report_by_keys(qtbot, ctx, engine, prompts):
    dlg = shown(qtbot, AccidentDialog(ctx))
    assert kw.unnamed(dlg) == []
    chain = kw.tab_chain()
    kw.assert_no_trap(chain, must_reach=[
        dlg.enrolment_combo, dlg.group_edit, dlg.person_edit, dlg.reporter_edit, dlg.reporter_phone_edit,
        dlg.occurred_edit, dlg.place_edit, dlg.description_edit, dlg.witnesses_edit, dlg.save_button])
    order = [dlg.enrolment_combo, dlg.group_edit, dlg.person_edit, dlg.reporter_edit, dlg.reporter_phone_edit]
    start = chain.index(dlg.enrolment_combo)
    assert chain[start:start + len(order)] == order  # in the order the form reads
    kw.press(Qt.Key.Key_P, ALT)
    kw.type_text("山田 太郎")
    kw.press(Qt.Key.Key_R, ALT)
    kw.type_text("代表 一子")
    kw.press(Qt.Key.Key_T, ALT)
    kw.type_text("083-222-3333")
    kw.press(Qt.Key.Key_L, ALT)
    kw.type_text("彦島海岸")
    kw.press(Qt.Key.Key_S, ALT)
    assert kw.focused() is dlg.description_edit
    kw.type_text("清掃中に転倒")
    kw.press(Qt.Key.Key_Tab)  # 状況 passes Tab on
    assert kw.focused() is dlg.injury_edit and dlg.description_edit.toPlainText() == "清掃中に転倒"
    kw.press(Qt.Key.Key_S, CTRL)
    assert prompts.errors == [] and dlg.result() == AccidentDialog.DialogCode.Accepted
    assert reports(engine) == 1


def test_accident_esc_asks_once_typed(qtbot, ctx, engine, prompts):
    dlg = shown(qtbot, AccidentDialog(ctx))
    kw.press(Qt.Key.Key_P, ALT)
    kw.type_text("山田")
    prompts.answer_confirm(False)
    kw.press(Qt.Key.Key_Escape)
    assert [q for q in prompts.of("confirm") if DISCARD_TEXT in str(q)] and dlg.isVisible()
    prompts.answer_confirm(True)
    kw.press(Qt.Key.Key_Escape)
    assert not dlg.isVisible() and reports(engine) == 0


def test_plans_by_keys(qtbot, engine, manager, prompts):
    ctx = AppContext(engine, manager)
    dlg = shown(qtbot, InsurancePlansDialog(ctx))
    assert kw.unnamed(dlg) == []
    kw.assert_no_trap(kw.tab_chain(), must_reach=[dlg.year_combo, dlg.table, dlg.name_edit, dlg.note_edit,
                                                  dlg.save_button])
    kw.press(Qt.Key.Key_Escape)  # nothing typed: closes at once
    assert not dlg.isVisible() and prompts.of("confirm") == []

    dlg = shown(qtbot, InsurancePlansDialog(ctx))
    kw.tab_to(dlg.table)
    kw.press(Qt.Key.Key_Down)
    code = dlg.selected().plan.code
    kw.press(Qt.Key.Key_Return)  # Enter on a plan: to its 名称 (it saves nothing)
    assert kw.focused() is dlg.name_edit
    kw.press(Qt.Key.Key_B, ALT)
    kw.type_text("窓口で説明")
    prompts.answer_confirm(False)
    kw.press(Qt.Key.Key_Escape)  # a change not saved: asked, and staff go back
    assert dlg.isVisible() and [q for q in prompts.of("confirm") if DISCARD_TEXT in str(q)]
    kw.press(Qt.Key.Key_S, CTRL)
    assert prompts.errors == [] and "保存しました" in dlg.status_label.text()
    with read_session(engine) as s:
        assert s.scalars(select(InsurancePlan).where(InsurancePlan.fiscal_year == 2026,
                                                     InsurancePlan.code == code)).one().data["note"].endswith("窓口で説明")
    asked = len(prompts.of("confirm"))
    kw.press(Qt.Key.Key_Escape)  # saved: closes without asking
    assert not dlg.isVisible() and len(prompts.of("confirm")) == asked
