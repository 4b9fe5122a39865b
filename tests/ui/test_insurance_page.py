"""The 保険 page at the counter: enrol a group, take the premium, check cover on a date, accident
reports near their deadline on the home line, renewals, the certificate and the roster export.

Modal dialogs are answered from a timer (``when_modal``) so nothing blocks; the receipt and certificate
previews are replaced (payment_dialog.preview_pdf) and recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, Qt, QTimer
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from booking_app.services import insurance as ins
from booking_app.store.engine import read_session, write_session
from booking_app.store.models import Charge
from booking_app.ui import payment_dialog as pd
from booking_app.ui.enrol_dialog import EnrolDialog
from booking_app.ui.groups_page import GroupsPage
from booking_app.ui.insurance_models import AccidentsModel, CoverResultsModel, EnrolmentsModel, RenewalCandidatesModel
from booking_app.ui.insurance_page import InsurancePage
from booking_app.ui.main_window import MainWindow
from booking_app.ui.payment_dialog import PaymentDialog
from tests.ui.test_enrol_dialog import (  # noqa: F401 — shared fixtures
    CLUB,
    ROSTER,
    TODAY,
    ctx,
    desk,
    engine,
    errors,
    fill_group_enrolment,
    group_id,
    manager,
    type_text,
)


def when_modal(qtbot, cls, act: Callable) -> list:
    """Run ``act(dialog)`` once a modal ``cls`` is open; the list records that it ran."""
    seen: list = []

    def poll():
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, cls):
            QTimer.singleShot(10, poll)
            return
        seen.append(dialog)
        act(dialog)

    QTimer.singleShot(0, poll)
    return seen


@pytest.fixture
def previews(monkeypatch):
    shown: list[dict] = []

    def fake(parent, path, *, title, suggested_name):
        path = Path(path)
        shown.append({"title": title, "name": suggested_name, "size": path.stat().st_size,
                      "head": path.read_bytes()[:5]})

    monkeypatch.setattr(pd, "preview_pdf", fake)
    return shown


@pytest.fixture
def page(qtbot, ctx):
    w = InsurancePage(ctx, today=TODAY)
    qtbot.addWidget(w)
    w.resize(1216, 720)
    w.show()
    return w


def enrol_basic(engine, actor, group_id: int, *, applied_on: date = date(2026, 6, 1), fy: int = 2026):
    with write_session(engine) as s:
        plan = next(p for p in ins.plans_for_year(s, fy, actor=actor) if p.plan.code == "VOL-BASIC")
        return ins.enrol_group(s, actor, plan_id=plan.id, group_id=group_id, people=ins.parse_roster_text(ROSTER),
                               applied_on=applied_on, now=datetime.combine(applied_on, datetime.min.time()))


def pay_all(engine, actor, view) -> None:
    from booking_app.services import payments as pay_svc

    with write_session(engine) as s:
        pay_svc.take_payment(s, actor, list(view.open_charge_ids), payer_name=view.holder_name, purpose="保険料として",
                             method="cash")


def column(model, col: int) -> list[str]:
    return [model.index(r, col).data() for r in range(model.rowCount())]


# ----------------------------------------------------------------------------- tests


def test_enrol_pay_and_check_cover_on_the_day_and_the_next(qtbot, page, engine, errors, previews, qtmodeltester):
    # 団体の加入… : find the club, paste three people, read the premium, save.
    seen_premium: list[str] = []

    def enrol(dlg: EnrolDialog):
        fill_group_enrolment(qtbot, dlg)
        seen_premium.append(dlg.premium_label.text())
        qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)

    opened = when_modal(qtbot, EnrolDialog, enrol)
    qtbot.mouseClick(page.enrol_group_button, Qt.MouseButton.LeftButton)
    assert opened and seen_premium == ["保険料 ¥1,050"] and errors == []
    model = page.enrolments_model
    qtmodeltester.check(model)
    assert model.rowCount() == 1
    assert [model.index(0, c).data() for c in range(model.columnCount())] == [
        "ボランティア活動保険（基本タイプ）", CLUB, "", "2026/11/26〜2027/03/31", "3人", "¥1,050", "未払"]
    assert model.index(0, EnrolmentsModel.PAY_COL).data(Qt.ItemDataRole.ForegroundRole).color().name() == "#c62828"
    assert page.selected().id == model.item(0).id  # the new enrolment is selected
    assert "未払い" in page.detail_label.text() and "山田 太郎" in page.detail_label.text()
    assert page.pay_button.isEnabled()

    # 保険料を受け取る: the payment dialog with the premium ticked; 領収 issues the receipt.
    def pay(dlg: PaymentDialog):
        assert dlg.model.checked_ids() == list(page.selected().open_charge_ids)
        assert dlg.purpose_edit.text() == "保険料として" and dlg.payer_edit.text() == CLUB
        assert "合計 ¥1,050" in dlg.total_label.text() and "非課税 ¥1,050" in dlg.total_label.text()
        qtbot.mouseClick(dlg.pay_button, Qt.MouseButton.LeftButton)

    opened = when_modal(qtbot, PaymentDialog, pay)
    qtbot.mouseClick(page.pay_button, Qt.MouseButton.LeftButton)
    assert opened and errors == []
    assert previews and previews[0]["title"].startswith("領収書")
    assert model.index(0, EnrolmentsModel.PAY_COL).data() == "支払済"
    assert model.index(0, EnrolmentsModel.PAY_COL).data(Qt.ItemDataRole.ForegroundRole).color().name() == "#1b7a3a"
    assert not page.pay_button.isEnabled()
    with read_session(engine) as s:
        assert s.scalars(select(Charge.status).where(Charge.enrolment_id.is_not(None))).all() == ["paid"]

    # 補償の確認: on the day of enrolment not yet (the day after), on the next day yes.
    page.show_tab("cover")
    type_text(page.cover_group_edit, "ふくふく")
    qtbot.keyClick(page.cover_group_edit, Qt.Key.Key_Return)
    assert page.answer_label.text() == "補償なし"
    assert "翌日" in page.answer_reason.text() and "開始前" in page.answer_reason.text()
    assert "#c62828" in page.answer_label.styleSheet()
    qtmodeltester.check(page.cover_model)
    assert page.cover_model.index(0, 0).data() == "補償なし（開始前）"
    page.cover_date.setDate(QDate(2026, 11, 26))  # a new date answers again by itself
    assert page.answer_label.text() == "補償あり" and "#1b7a3a" in page.answer_label.styleSheet()
    assert "ボランティア活動保険（基本タイプ）" in page.answer_reason.text()
    assert "2026/11/26〜2027/03/31" in page.answer_reason.text()
    # After 31 March the annual cover has lapsed.
    page.cover_date.setDate(QDate(2027, 4, 1))
    assert page.answer_label.text() == "補償なし" and "期限切れ" in page.answer_reason.text()

    # By a person's name, in kana.
    page.cover_date.setDate(QDate(2026, 12, 1))
    type_text(page.cover_person_edit, "さとう")
    qtbot.keyClick(page.cover_person_edit, Qt.Key.Key_Return)
    assert page.by_person_radio.isChecked()
    assert page.answer_label.text() == "補償あり" and "佐藤 花子" in page.answer_reason.text()
    # Nobody by that name: said plainly.
    page.cover_person_edit.clear()
    type_text(page.cover_person_edit, "存在しない人")
    qtbot.keyClick(page.cover_person_edit, Qt.Key.Key_Return)
    assert page.answer_label.text() == "補償なし" and "加入なし" in page.answer_reason.text()


def test_unpaid_enrolment_is_not_covered_and_filters(qtbot, ctx, engine, desk, group_id, errors):
    enrol_basic(engine, desk, group_id)
    page = InsurancePage(ctx, today=TODAY)
    qtbot.addWidget(page)
    page.show_tab("cover")
    page.set_cover_group(group_id)
    page.check_cover()
    assert page.answer_label.text() == "補償なし" and "未払い" in page.answer_reason.text()
    # 加入一覧: text filter and 未払いのみ.
    assert page.enrolments_model.rowCount() == 1 and "未払 1件" in page.list_count.text()
    type_text(page.filter_edit, "鈴木")  # a name on the roster finds the enrolment
    qtbot.waitUntil(lambda: page.list_count.text().startswith("1件"))
    page.filter_edit.clear()
    type_text(page.filter_edit, "該当なし")
    qtbot.waitUntil(lambda: page.enrolments_model.rowCount() == 0)
    page.filter_edit.clear()
    page.unpaid_check.setChecked(True)
    qtbot.waitUntil(lambda: page.enrolments_model.rowCount() == 1)
    page.year_combo.setCurrentIndex(page.year_combo.findData(2025))
    assert page.enrolments_model.rowCount() == 0 and page.detail_label.text().startswith("加入を選ぶと")


def test_accident_near_its_deadline_shows_on_the_home_line(qtbot, ctx, engine, desk, group_id, errors):
    v = enrol_basic(engine, desk, group_id)
    with write_session(engine) as s:
        ins.file_accident(s, desk, enrolment_id=v.id, person_name="山田 太郎", occurred_at=datetime(2026, 11, 15, 10),
                          place="彦島海岸", description="清掃中に転倒", injury="右手首の捻挫",
                          now=datetime(2026, 11, 25, 9))
        ins.file_accident(s, desk, enrolment_id=v.id, person_name="佐藤 花子", occurred_at=datetime(2026, 11, 24, 10),
                          place="センター", description="机で指を挟んだ", now=datetime(2026, 11, 25, 9))
    window = MainWindow(ctx, today=TODAY)
    qtbot.addWidget(window)
    window.show()
    line = window.accidents_due_button
    assert line.isVisible() and line.text() == "事故報告の期限が近いもの 1件"  # 11/29 is near; 12/8 is not yet
    assert "#c62828" in line.styleSheet()
    qtbot.mouseClick(line, Qt.MouseButton.LeftButton)
    assert window.current_page_key() == "insurance"
    page = window.pages["insurance"]
    assert page.tabs.tabText(page.tabs.currentIndex()) == "事故報告"
    model = page.accidents_model
    assert column(model, 1) == ["佐藤 花子", "山田 太郎"]
    assert column(model, 5) == ["2026/12/08", "2026/11/29"] and column(model, 6) == ["あと13日", "あと4日"]
    assert model.index(1, 6).data(Qt.ItemDataRole.ForegroundRole).color().name() == "#b26a00"
    assert "期限が近いもの 1件" in page.accidents_note.text()
    # 報告済みにする: the line goes away.
    page.accidents_view.selectRow(1)
    qtbot.mouseClick(page.mark_sent_button, Qt.MouseButton.LeftButton)
    assert errors == [] and column(model, 1) == ["佐藤 花子"]
    assert not line.isVisible()
    page.open_only_check.setChecked(False)
    assert column(model, 7)[1] == "報告済（2026/11/25）"


def test_overdue_report_is_red(qtbot, engine, desk, group_id):
    v = enrol_basic(engine, desk, group_id)
    with write_session(engine) as s:
        ins.file_accident(s, desk, enrolment_id=v.id, person_name="鈴木 一郎", occurred_at=datetime(2026, 11, 1, 10),
                          place="公園", description="転倒", now=datetime(2026, 11, 25, 9))
    with read_session(engine) as s:
        rows = ins.list_accidents(s, today=TODAY)
    model = AccidentsModel(today=TODAY)
    model.set_rows(rows)
    assert model.index(0, 6).data() == "10日超過"
    assert model.index(0, 6).data(Qt.ItemDataRole.ForegroundRole).color().name() == "#c62828"


def test_accident_dialog_files_a_report_with_its_deadline(qtbot, page, engine, desk, group_id, errors):
    from booking_app.ui.accident_dialog import AccidentDialog

    v = enrol_basic(engine, desk, group_id)
    pay_all(engine, desk, v)
    page.refresh()

    def fill(dlg: AccidentDialog):
        dlg.enrolment_combo.setCurrentIndex(dlg.enrolment_combo.findData(v.id))
        dlg.occurred_edit.setDate(QDate(2026, 11, 20))
        assert "2026/12/04" in dlg.deadline_label.text() and "あと9日" in dlg.deadline_label.text()
        assert "補償あり" in dlg.cover_label.text()
        type_text(dlg.person_edit, "山田 太郎")
        type_text(dlg.place_edit, "彦島海岸")
        dlg.description_edit.setPlainText("清掃中に転倒")
        type_text(dlg.injury_edit, "右手首の捻挫")
        qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)

    page.show_tab("accidents")
    opened = when_modal(qtbot, AccidentDialog, fill)
    qtbot.mouseClick(page.new_accident_button, Qt.MouseButton.LeftButton)
    assert opened and errors == []
    assert column(page.accidents_model, 1) == ["山田 太郎"]
    assert page.accidents_model.index(0, 4).data() == "ボランティア活動保険（基本タイプ）"


def test_renewal_opens_the_dialog_prefilled(qtbot, page, engine, desk, group_id, errors):
    enrol_basic(engine, desk, group_id, applied_on=date(2025, 6, 1), fy=2025)
    page.refresh()
    assert page.renewal_year_combo.currentData() == 2026  # November: renewing for this year
    qtmodeltester_rows = column(page.renewal_model, 1)
    assert qtmodeltester_rows == [CLUB]

    def check(dlg: EnrolDialog):
        assert dlg.group_id == group_id and dlg.current_plan().plan.code == "VOL-BASIC"
        assert len(dlg.roster.model.people()) == 3 and dlg.premium_label.text() == "保険料 ¥1,050"
        qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)

    page.show_tab("renewal")
    page.renewal_view.selectRow(0)
    opened = when_modal(qtbot, EnrolDialog, check)
    qtbot.mouseClick(page.renew_button, Qt.MouseButton.LeftButton)
    assert opened and errors == []
    assert page.renewal_model.rowCount() == 0  # renewed: off the list
    assert page.tabs.currentIndex() == 0 and page.enrolments_model.rowCount() == 1


def test_models_pass_the_model_tester(qtmodeltester, engine, desk, group_id):
    v = enrol_basic(engine, desk, group_id)
    with write_session(engine) as s:
        ins.file_accident(s, desk, enrolment_id=v.id, person_name="山田 太郎", occurred_at=datetime(2026, 11, 15, 10),
                          place="彦島海岸", description="清掃中に転倒", now=datetime(2026, 11, 25, 9))
    with read_session(engine) as s:
        enrolments = ins.list_enrolments(s, fiscal_year=2026)
        accidents = ins.list_accidents(s, today=TODAY)
        cover = ins.check_cover(s, day=TODAY, group_id=group_id)
    for model, rows in ((EnrolmentsModel(), enrolments), (RenewalCandidatesModel(), enrolments),
                        (AccidentsModel(today=TODAY), accidents), (CoverResultsModel(), cover)):
        model.set_rows(rows)
        assert model.rowCount() == 1
        qtmodeltester.check(model)


def test_certificate_preview_and_roster_export(qtbot, page, engine, desk, group_id, errors, previews, monkeypatch,
                                               tmp_path):
    from booking_app.ui import insurance_page as ip

    v = enrol_basic(engine, desk, group_id)
    pay_all(engine, desk, v)
    page.refresh_list(select_id=v.id)
    qtbot.mouseClick(page.certificate_button, Qt.MouseButton.LeftButton)
    assert errors == [] and previews and previews[-1]["title"] == f"加入証明書　{CLUB}"
    assert previews[-1]["head"] == b"%PDF-" and previews[-1]["size"] > 1000

    target = tmp_path / "保険名簿.xlsx"
    monkeypatch.setattr(ip, "ask_save_path", lambda parent, suggested: str(target))
    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    assert target.exists() and target.stat().st_size > 0
    assert errors and "書き出しました" in errors[-1]  # the notice (captured with the errors)


def test_group_panel_lists_the_groups_enrolments(qtbot, ctx, engine, desk, group_id):
    v = enrol_basic(engine, desk, group_id)
    w = GroupsPage(ctx, today=TODAY)
    qtbot.addWidget(w)
    w.show_group(group_id)
    assert "ボランティア活動保険（基本タイプ）" in w.insurance_label.text() and "今日：未払い" in w.insurance_label.text()
    pay_all(engine, desk, v)
    ctx.changed.emit({"charge"})
    assert "今日：補償あり" in w.insurance_label.text()
