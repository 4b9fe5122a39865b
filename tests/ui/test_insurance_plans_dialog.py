"""プラン・保険料: a manager changes next year's premium and this year's enrolments keep theirs; desk staff
may look but not save; the overnight plan's table is edited and checked row by row.

The fixtures (a registered group, desk and manager actors, captured error boxes) come from
test_enrol_dialog.py; the plans dialog's own error boxes are captured here.
"""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit
from sqlalchemy import select

from booking_app.services import insurance as ins
from booking_app.store.engine import read_session, write_session
from booking_app.store.models import Charge, InsuranceEnrolment, InsurancePlan
from booking_app.ui.context import AppContext
from booking_app.ui.insurance.insurance_plans_dialog import InsurancePlansDialog
from tests.ui.test_enrol_dialog import (  # noqa: F401 — shared fixtures
    ROSTER,
    TODAY,
    engine,
    errors,
    group_id,
    tick,
    type_text,
)

pytestmark = pytest.mark.now(TODAY)


def open_plans(qtbot, ctx, **kw) -> InsurancePlansDialog:
    dlg = InsurancePlansDialog(ctx, **kw)
    qtbot.addWidget(dlg)
    dlg.show()
    return dlg


def enrol_this_year(engine, actor, group_id: int):
    with write_session(engine) as s:
        plan = next(p for p in ins.plans_for_year(s, 2026, actor=actor) if p.plan.code == "VOL-BASIC")
        return ins.enrol_group(s, actor, plan_id=plan.id, group_id=group_id, people=ins.parse_roster_text(ROSTER),
                               applied_on=date(2026, 6, 1), now=datetime(2026, 6, 1, 10))


def set_spin(qtbot, spin, value: int) -> None:
    """Select what the box holds and type the new figure, as staff would."""
    spin.setFocus()
    qtbot.keyClick(spin, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(spin, str(value))
    qtbot.keyClick(spin, Qt.Key.Key_Tab)


def cell_editor(table) -> QLineEdit:
    """The line edit a table cell opened for typing."""
    editors = [e for e in table.viewport().findChildren(QLineEdit) if e.isVisible()]
    assert len(editors) == 1, editors
    return editors[0]


def plan_row(engine, fy: int, code: str) -> InsurancePlan:
    with read_session(engine) as s:
        return s.scalars(select(InsurancePlan).where(InsurancePlan.fiscal_year == fy,
                                                     InsurancePlan.code == code)).one()


def test_next_years_premium_leaves_this_years_enrolments_untouched(qtbot, engine, manager, group_id, errors,
                                                                   qtmodeltester):
    enrolled = enrol_this_year(engine, manager, group_id)
    assert enrolled.premium == 1050
    ctx = AppContext(engine, manager)
    changes: list = []
    ctx.changed.connect(changes.append)
    dlg = open_plans(qtbot, ctx)
    assert dlg.year_combo.currentData() == 2026 and "今年度" in dlg.year_combo.currentText()
    qtmodeltester.check(dlg.model)
    assert not dlg.permission_label.isVisible() and dlg.save_button.isEnabled()

    # 来年度 (令和9年度): the first look creates its rows from this year's.
    dlg.year_combo.setCurrentIndex(dlg.year_combo.findData(2027))
    assert "そのまま" in dlg.year_note.text()
    assert dlg.select_code("VOL-BASIC")
    row = dlg.model.row_of_code("VOL-BASIC")
    assert dlg.model.index(row, 4).data() == "¥350" and dlg.model.index(row, 6).data() == "使用中"
    assert dlg.premium_spin.value() == 350 and dlg.premium_unit.text().startswith("円　1人・1年度")
    assert not dlg.trip_table.isVisible()  # only the overnight plan has a table
    set_spin(qtbot, dlg.premium_spin, 400)
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    assert errors == [] and "保存しました" in dlg.status_label.text()
    assert dlg.model.index(dlg.model.row_of_code("VOL-BASIC"), 4).data() == "¥400"
    assert changes == [{"insurance"}]  # only the save tells the screens; loading a year does not

    # In the database: next year 400, this year still 350, the enrolment and its charge as they were.
    assert plan_premium(plan_row(engine, 2027, "VOL-BASIC")) == 400
    this_year = plan_row(engine, 2026, "VOL-BASIC")
    assert plan_premium(this_year) == 350
    with read_session(engine) as s:
        e = s.get(InsuranceEnrolment, enrolled.id)
        assert (e.plan_id, e.premium) == (this_year.id, 1050)
        assert s.scalars(select(Charge.amount).where(Charge.enrolment_id == enrolled.id)).all() == [1050]
        (view,) = ins.list_enrolments(s, fiscal_year=2026)
        assert (view.plan_id, view.premium) == (enrolled.plan_id, 1050)
        assert ins.list_enrolments(s, fiscal_year=2027) == []

    # Back on this year the dialog still says 350.
    dlg.year_combo.setCurrentIndex(dlg.year_combo.findData(2026))
    assert dlg.model.index(dlg.model.row_of_code("VOL-BASIC"), 4).data() == "¥350"
    assert dlg.selected().code == "VOL-BASIC"  # the same plan stays chosen across years


def plan_premium(row: InsurancePlan) -> int:
    return int(row.data["premium"])


def test_desk_staff_can_look_but_not_save(qtbot, ctx, engine, desk, manager, errors):
    dlg = open_plans(qtbot, ctx)
    assert dlg.model.rowCount() >= 8  # the shipped plans, created for the year on the first look
    assert dlg.permission_label.isVisible() and "管理者のみ" in dlg.permission_label.text()
    assert not dlg.save_button.isEnabled() and dlg.name_edit.isReadOnly()
    assert not dlg.premium_spin.isEnabled() and not dlg.active_check.isEnabled()
    # Even if the form were saved, the service refuses and says why.
    assert dlg.select_code("VOL-BASIC")
    dlg.premium_spin.setValue(999)
    assert dlg.save() is False
    assert errors == ["保険プランの変更は管理者のみ行えます。管理者に依頼してください。"]
    assert plan_premium(plan_row(engine, 2026, "VOL-BASIC")) == 350
    # A manager taking over the desk may save at once.
    ctx.set_actor(manager)
    assert dlg.save_button.isEnabled() and not dlg.permission_label.isVisible()


def test_overnight_table_and_stopping_a_plan(qtbot, engine, manager, errors):
    ctx = AppContext(engine, manager)
    with write_session(engine) as s:
        ins.plans_for_year(s, 2026, actor=manager)  # this year's rows exist, as at any working desk
    dlg = open_plans(qtbot, ctx, fiscal_year=2027)
    assert dlg.year_combo.currentData() == 2027
    assert dlg.select_code("EVT-B")
    assert dlg.trip_table.isVisible() and not dlg.premium_spin.isEnabled()
    assert dlg.trip_table.rowCount() == 8 and dlg.trip_table.item(0, 1).text() == "239"
    assert dlg.model.index(dlg.model.row_of_code("EVT-B"), 4).data() == "¥239〜¥863（8段階）"
    # A 30-night step, typed into a new row.
    qtbot.mouseClick(dlg.add_trip_button, Qt.MouseButton.LeftButton)
    type_text(cell_editor(dlg.trip_table), "30")  # the new row opens for typing at once
    qtbot.keyClick(cell_editor(dlg.trip_table), Qt.Key.Key_Tab)
    editor = cell_editor(dlg.trip_table)
    type_text(editor, "１２００円")  # full-width digits as an IME leaves them
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dlg.trip_table.item(8, 1).text() != "")  # the delegate commits on the next turn
    assert [dlg.trip_table.item(8, c).text() for c in (0, 1)] == ["30", "１２００円"]
    assert dlg.trip_premiums()[30] == 1200
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    assert errors == []
    assert plan_row(engine, 2027, "EVT-B").data["trip_premiums"]["30"] == 1200
    assert "30" not in plan_row(engine, 2026, "EVT-B").data["trip_premiums"]

    # A bad cell is named by its row and nothing is saved.
    dlg.trip_table.item(1, 1).setText("abc")
    assert dlg.save() is False and errors == ["宿泊日数別の2行目：泊数と保険料を数字で入力してください。"]
    assert plan_row(engine, 2027, "EVT-B").data["trip_premiums"]["2"] == 311

    # Stopping a plan: shown as 停止, and enrolling in it is refused by the service.
    errors.clear()
    assert dlg.select_code("VOL-DISASTER")
    tick(qtbot, dlg.active_check)
    assert not dlg.active_check.isChecked()
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    assert errors == [] and dlg.model.index(dlg.model.row_of_code("VOL-DISASTER"), 6).data() == "停止"
    assert plan_row(engine, 2027, "VOL-DISASTER").active is False
    assert plan_row(engine, 2026, "VOL-DISASTER").active is True


def test_screenshot_of_the_dialog(qtbot, engine, manager, tmp_path):
    """Rendered for a person to look at when SCREENSHOT_DIR is set; always checks it fits 1366×768."""
    dlg = open_plans(qtbot, AppContext(engine, manager))
    assert dlg.select_code("VOL-BASIC")
    assert dlg.width() <= 1366 and dlg.height() <= 740
    qtbot.waitExposed(dlg)
    shot = dlg.grab()
    assert not shot.isNull()
    out = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    shot.save(str(out / "insurance_plans_dialog.png"))
