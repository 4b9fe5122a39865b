"""The insurance enrolment dialog, driven like a person would: find the group, paste the roster, read
the premium and the cover dates, save; events refused for an excluded kind with the Japanese reason.

The fixtures here (a database with a registered group, captured error boxes) are shared with
test_insurance_page.py; desk, manager and ctx come from tests/ui/conftest.py, built on this engine.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from booking_app.domain.groups import DECLARATIONS, GroupInput
from booking_app.services import groups as group_svc
from booking_app.services import insurance as ins
from booking_app.store.engine import read_session, write_session
from booking_app.store.models import Charge, InsuranceEnrolment, InsuredPerson
from booking_app.ui.insurance.enrol_dialog import AddPeopleDialog, EnrolDialog, RemovePersonDialog
from tests.actors import actor_for

TODAY = date(2026, 11, 25)
ROSTER = "山田 太郎\tヤマダ タロウ\n佐藤 花子\tサトウ ハナコ\n鈴木 一郎\tスズキ イチロウ\n"
CLUB = "フクフク読書会"
pytestmark = pytest.mark.now(TODAY)


def type_text(widget, text: str) -> None:
    """Type text key by key like an IME commit would; QTest.keyClicks only knows ASCII keys."""
    for ch in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier, ch))


def paste_into(qtbot, view, text: str) -> None:
    """Copy lines to the clipboard and press Ctrl+V on the table, as from a spreadsheet."""
    QApplication.clipboard().setText(text)
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)


def tick(qtbot, box) -> None:
    """Click a check box on its box (a stretched check box does not react to clicks right of its text)."""
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))


@pytest.fixture
def engine(engine):
    """The conftest database with the club registered."""
    desk = actor_for(engine, "desk")
    with write_session(engine) as s:
        group_svc.register_group(s, desk, GroupInput(
            name=CLUB, kana="ふくふくどくしょかい", activity_fields=["まちづくり"], representative="山田 花子",
            phone="083-111-2222", declarations={k: True for k in DECLARATIONS}), now=datetime(2026, 4, 10, 10))
    return engine


@pytest.fixture
def group_id(engine) -> int:
    with read_session(engine) as s:
        return group_svc.search_groups(s, CLUB)[0].id


@pytest.fixture(autouse=True)
def errors(monkeypatch, prompts):
    """What staff would read in the error boxes and notices of the insurance screens, in order, without blocking
    (the pages and dialogs ask ctx.prompts, the shared recorder)."""
    shown: list[str] = []

    def capture(parent, exc):
        shown.append(getattr(exc, "message", str(exc)))

    monkeypatch.setattr(prompts, "show_error", capture)
    monkeypatch.setattr(prompts, "info", lambda parent, title, text: shown.append(text))
    return shown


def open_dialog(qtbot, ctx, **kw) -> EnrolDialog:
    dlg = EnrolDialog(ctx, **kw)
    qtbot.addWidget(dlg)
    dlg.show()
    return dlg


def choose_plan(dlg: EnrolDialog, code: str) -> None:
    assert dlg.select_plan_code(code), code


def fill_group_enrolment(qtbot, dlg: EnrolDialog) -> None:
    """Find the club by its reading, pick the basic volunteer plan and paste three people."""
    type_text(dlg.group_edit, "ふくふく")
    qtbot.keyClick(dlg.group_edit, Qt.Key.Key_Return)
    choose_plan(dlg, "VOL-BASIC")
    paste_into(qtbot, dlg.roster.table, ROSTER)


# ----------------------------------------------------------------------------- tests


def test_group_enrolment_with_pasted_roster_shows_premium_and_dates(qtbot, ctx, engine, group_id, errors,
                                                                    qtmodeltester):
    dlg = open_dialog(qtbot, ctx)
    assert dlg.windowTitle() == "団体の保険加入"
    plans = [dlg.plan_combo.itemText(i) for i in range(dlg.plan_combo.count())]
    assert any(p.startswith("下関市市民活動保険") for p in plans)
    assert not any("行事用" in p for p in plans)  # events are enrolled from 行事の加入
    fill_group_enrolment(qtbot, dlg)
    qtmodeltester.check(dlg.roster.model)
    assert dlg.group_id == group_id and CLUB in dlg.group_label.text() and "有効" in dlg.group_label.text()
    assert dlg.roster.model.people() == [("山田 太郎", "ヤマダ タロウ"), ("佐藤 花子", "サトウ ハナコ"),
                                         ("鈴木 一郎", "スズキ イチロウ")]
    assert dlg.roster.count_label.text() == "3人"
    assert dlg.premium_label.text() == "保険料 ¥1,050"
    assert "2026/11/26〜2027/03/31" in dlg.cover_label.text() and "3人" in dlg.cover_label.text()

    # One more typed into the blank last row, then taken out again with 選択行を削除.
    model = dlg.roster.model
    model.setData(model.index(3, 0), "高橋 次郎")
    assert dlg.premium_label.text() == "保険料 ¥1,400"
    dlg.roster.table.selectRow(3)
    qtbot.mouseClick(dlg.roster.remove_button, Qt.MouseButton.LeftButton)
    assert dlg.premium_label.text() == "保険料 ¥1,050"

    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    assert errors == []
    assert dlg.result() == EnrolDialog.DialogCode.Accepted
    v = dlg.enrolment
    assert (v.premium, v.paid, v.cover_start, v.group_id) == (1050, False, date(2026, 11, 26), group_id)
    with read_session(engine) as s:
        e = s.get(InsuranceEnrolment, v.id)
        assert e.applied_on == TODAY
        assert [p.name for p in s.scalars(select(InsuredPerson).where(InsuredPerson.enrolment_id == e.id)
                                          .order_by(InsuredPerson.id))] == ["山田 太郎", "佐藤 花子", "鈴木 一郎"]
        charge = s.scalars(select(Charge).where(Charge.enrolment_id == e.id)).one()
        assert (charge.amount, charge.kind, charge.tax, charge.status) == (1050, "insurance", "exempt", "open")


def test_city_plan_needs_no_roster_and_costs_nothing(qtbot, ctx, group_id, errors):
    dlg = open_dialog(qtbot, ctx, group_id=group_id)
    choose_plan(dlg, "CITY")
    assert dlg.roster_box.isHidden() and dlg.head_count_spin.isHidden()
    assert dlg.premium_label.text() == "保険料 ¥0"
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    assert errors == [] and dlg.enrolment.in_force
    # Enrolling the same group twice is refused with the reason, and the dialog keeps what was chosen.
    again = open_dialog(qtbot, ctx, group_id=group_id)
    choose_plan(again, "CITY")
    qtbot.mouseClick(again.save_button, Qt.MouseButton.LeftButton)
    assert errors and "既に加入しています" in errors[0]
    assert again.isVisible() and again.enrolment is None and again.group_id == group_id


def test_a_bad_pasted_line_is_named_and_nothing_is_added(qtbot, ctx, errors):
    dlg = open_dialog(qtbot, ctx)
    choose_plan(dlg, "VOL-BASIC")
    paste_into(qtbot, dlg.roster.table, "山田 太郎\tヤマダ タロウ\n\tサトウ ハナコ\n")
    assert errors and "2" in errors[0]  # the bad line is named by its number
    assert dlg.roster.model.people() == []
    assert dlg.premium_label.text() == "保険料 ¥0"


def test_roster_imported_from_a_file(qtbot, ctx, tmp_path, prompts, errors):
    path = tmp_path / "名簿.csv"
    path.write_text("氏名,フリガナ\n山田 太郎,ヤマダ タロウ\n佐藤 花子,サトウ ハナコ\n", encoding="utf-8")
    prompts.open_path = path
    dlg = open_dialog(qtbot, ctx)
    choose_plan(dlg, "VOL-DISASTER")
    qtbot.mouseClick(dlg.roster.import_button, Qt.MouseButton.LeftButton)
    assert errors == []
    assert [n for n, _k in dlg.roster.model.people()] == ["山田 太郎", "佐藤 花子"]
    assert [c.title for c in prompts.of("ask_open_path")] == ["名簿ファイルを選ぶ"]
    assert dlg.premium_label.text() == "保険料 ¥1,000"


def fill_event(qtbot, dlg: EnrolDialog, code: str) -> None:
    choose_plan(dlg, code)
    type_text(dlg.holder_edit, "彦島子ども会")
    type_text(dlg.event_name_edit, "海岸清掃")
    type_text(dlg.event_place_edit, "彦島海岸")
    dlg.start_edit.setDate(dlg.start_edit.date().addDays(3))  # 2026/11/29
    dlg.participants_spin.setValue(30)


def test_an_excluded_event_kind_is_refused_with_the_reason(qtbot, ctx, engine, errors):
    dlg = open_dialog(qtbot, ctx, mode="event")
    assert dlg.windowTitle() == "行事の保険加入"
    fill_event(qtbot, dlg, "EVT-A1")
    paste_into(qtbot, dlg.roster.table, ROSTER)
    assert dlg.premium_label.text() == "保険料 ¥560"  # 3 × ¥28 is below the ¥560 minimum
    assert "2026/11/29〜2026/11/29" in dlg.cover_label.text()
    tick(qtbot, dlg.kind_checks["social"])
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    assert errors == ["ボランティア行事用保険 A1は「懇親会など親睦目的の行事」には使えません。"]
    assert dlg.isVisible() and dlg.enrolment is None
    assert dlg.event_name_edit.text() == "海岸清掃" and len(dlg.roster.model.people()) == 3  # input kept
    with read_session(engine) as s:
        assert s.scalars(select(InsuranceEnrolment)).first() is None
    # Untick it and the same form goes through.
    tick(qtbot, dlg.kind_checks["social"])
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    assert len(errors) == 1 and dlg.enrolment.premium == 560 and dlg.enrolment.event_name == "海岸清掃"


def test_head_count_plan_for_an_indoor_event_only(qtbot, ctx, errors):
    dlg = open_dialog(qtbot, ctx, mode="event")
    fill_event(qtbot, dlg, "EVT-C")
    dlg.end_edit.setDate(dlg.start_edit.date().addDays(1))  # two days
    assert dlg.roster_box.isHidden() and dlg.head_count_spin.isVisible() and dlg.indoor_check.isEnabled()
    dlg.head_count_spin.setValue(30)
    assert dlg.premium_label.text() == "保険料 ¥1,680"  # 30 people × 2 days × ¥28
    tick(qtbot, dlg.indoor_check)
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    assert errors and "屋内" in errors[0] and dlg.enrolment is None


def test_an_event_starting_today_is_flagged_before_saving(qtbot, ctx):
    dlg = open_dialog(qtbot, ctx, mode="event")
    choose_plan(dlg, "EVT-A1")
    dlg.start_edit.setDate(dlg.start_edit.date().addDays(-1))  # today: cover could only start tomorrow
    assert dlg.premium_label.text() == "保険料 —" and "翌日" in dlg.cover_label.text()


def test_people_added_later_and_removed_keep_history(qtbot, ctx, engine, desk, group_id, errors):
    with write_session(engine) as s:
        plan = next(p for p in ins.plans_for_year(s, 2026, actor=desk) if p.plan.code == "VOL-BASIC")
        v = ins.enrol_group(s, desk, plan_id=plan.id, group_id=group_id, people=ins.parse_roster_text(ROSTER),
                            applied_on=date(2026, 6, 1), now=datetime(2026, 6, 1, 10))
    add = AddPeopleDialog(ctx, v)
    qtbot.addWidget(add)
    add.show()
    paste_into(qtbot, add.roster.table, "高橋 次郎\tタカハシ ジロウ")
    qtbot.mouseClick(add.save_button, Qt.MouseButton.LeftButton)
    assert errors == []
    after = add.result_view
    assert [p.name for p in after.people][-1] == "高橋 次郎" and after.people[-1].cover_start == date(2026, 11, 26)
    assert len(after.open_charge_ids) == 2  # the unpaid first premium and the added person's own ¥350

    rm = RemovePersonDialog(ctx, after)
    qtbot.addWidget(rm)
    rm.show()
    rm.list.setCurrentRow(1)
    type_text(rm.reason_edit, "退会")
    qtbot.mouseClick(rm.save_button, Qt.MouseButton.LeftButton)
    assert errors == [] and rm.removed
    with read_session(engine) as s:
        p = s.scalars(select(InsuredPerson).where(InsuredPerson.name == "佐藤 花子")).one()
        assert p.removed_on is not None and p.removed_reason == "退会"


def test_paste_shortcut_matches_the_platform_paste_key():
    # The roster table listens for the platform's Paste key (Ctrl+V here, Cmd+V on a Mac).
    assert QKeySequence(QKeySequence.StandardKey.Paste).toString() == "Ctrl+V"


def test_a_pasted_roster_with_a_bad_line_adds_nobody_and_names_the_line(qtbot, ctx, group_id, errors):
    dlg = open_dialog(qtbot, ctx)
    assert not dlg.roster.paste_text("山田 太郎,ヤマダ タロウ\n佐藤 花子,<b>x</b>")
    assert len(errors) == 1 and "2行目［フリガナ］" in errors[0]
    assert dlg.roster.model.people() == []
    assert dlg.roster.paste_text("山田 太郎,ヤマダ タロウ\n佐藤 花子,サトウ ハナコ")
    assert dlg.roster.model.people() == [("山田 太郎", "ヤマダ タロウ"), ("佐藤 花子", "サトウ ハナコ")]
    assert len(errors) == 1
