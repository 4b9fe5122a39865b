"""The 保険 page at the counter: enrol a group, take the premium, check cover on a date, accident
reports near their deadline on the home line, renewals, the certificate and the roster export.

Modal dialogs are answered from a timer (``when_modal``) so nothing blocks; the receipt and certificate
previews are replaced (payment_dialog.preview_pdf) and recorded.
"""

from __future__ import annotations

from collections.abc import Callable
import re
import subprocess
import threading
from datetime import date, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QInputDialog, QLineEdit, QMenu, QPushButton
from sqlalchemy import select

from booking_app.services import insurance as ins
from booking_app.store.engine import read_session, write_session
from booking_app.store.models import Charge
from booking_app.ui.money import payment_dialog as pd
from booking_app.ui.insurance.enrol_dialog import EnrolDialog
from booking_app.ui.groups.groups_page import GroupsPage
from booking_app.ui.insurance.insurance_models import AccidentsModel, CoverResultsModel, EnrolmentsModel, RenewalCandidatesModel
from booking_app.ui.insurance.insurance_page import InsurancePage
from booking_app.ui.main_window import MainWindow
from booking_app.ui.money.payment_dialog import PaymentDialog
from tests.ui.test_enrol_dialog import (  # noqa: F401 — shared fixtures
    CLUB,
    ROSTER,
    TODAY,
    engine,
    errors,
    fill_group_enrolment,
    group_id,
    type_text,
)

pytestmark = pytest.mark.now(TODAY)


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
    w = InsurancePage(ctx)
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


@pytest.mark.answers_modals
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
    page = InsurancePage(ctx)
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
        ins.file_accident(s, desk, reporter_name="代表 一子", reporter_phone="083-000-0000", enrolment_id=v.id, person_name="山田 太郎", occurred_at=datetime(2026, 11, 15, 10),
                          place="彦島海岸", description="清掃中に転倒", injury="右手首の捻挫",
                          now=datetime(2026, 11, 25, 9))
        ins.file_accident(s, desk, reporter_name="代表 一子", reporter_phone="083-000-0000", enrolment_id=v.id, person_name="佐藤 花子", occurred_at=datetime(2026, 11, 24, 10),
                          place="センター", description="机で指を挟んだ", now=datetime(2026, 11, 25, 9))
    window = MainWindow(ctx)
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
        ins.file_accident(s, desk, reporter_name="代表 一子", reporter_phone="083-000-0000", enrolment_id=v.id, person_name="鈴木 一郎", occurred_at=datetime(2026, 11, 1, 10),
                          place="公園", description="転倒", now=datetime(2026, 11, 25, 9))
    with read_session(engine) as s:
        rows = ins.list_accidents(s, today=TODAY)
    model = AccidentsModel()
    model.set_rows(rows)
    assert model.index(0, 6).data() == "10日超過"
    assert model.index(0, 6).data(Qt.ItemDataRole.ForegroundRole).color().name() == "#c62828"


@pytest.fixture
def accident_pdfs(monkeypatch):
    """The accident reports the page would preview, as title, name and text (read with pdftotext)."""
    shown: list[dict] = []

    def fake(parent, path, *, title, suggested_name):
        text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                              text=True).stdout
        shown.append({"title": title, "name": suggested_name, "text": text})

    monkeypatch.setattr(pd, "preview_pdf", fake)
    return shown


@pytest.mark.answers_modals
def test_accident_dialog_files_a_report_with_its_deadline(qtbot, page, engine, desk, group_id, errors,
                                                          accident_pdfs):
    from booking_app.ui.insurance.accident_dialog import AccidentDialog

    v = enrol_basic(engine, desk, group_id)
    pay_all(engine, desk, v)
    page.refresh()

    def fill(dlg: AccidentDialog):
        dlg.enrolment_combo.setCurrentIndex(dlg.enrolment_combo.findData(v.id))
        assert dlg.group_id == group_id and dlg.group_edit.text() == CLUB  # the enrolment's group
        dlg.occurred_edit.setDate(QDate(2026, 11, 20))
        assert "2026/12/04" in dlg.deadline_label.text() and "あと9日" in dlg.deadline_label.text()
        assert "補償あり" in dlg.cover_label.text()
        type_text(dlg.person_edit, "山田 太郎")
        type_text(dlg.reporter_edit, "代表 一子")
        type_text(dlg.reporter_phone_edit, "０８３－２２２－３３３３")
        type_text(dlg.place_edit, "彦島海岸")
        dlg.description_edit.setPlainText("清掃中に転倒")
        type_text(dlg.injury_edit, "右手首の捻挫")
        dlg.witnesses_edit.setPlainText("佐藤 一郎（会員）")
        qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)

    page.show_tab("accidents")
    opened = when_modal(qtbot, AccidentDialog, fill)
    qtbot.mouseClick(page.new_accident_button, Qt.MouseButton.LeftButton)
    assert opened and errors == []
    assert column(page.accidents_model, 1) == ["山田 太郎"]
    assert page.accidents_model.index(0, 4).data() == "ボランティア活動保険（基本タイプ）"
    # Filed: the 事故報告書 is shown at once, with what the insurer asks.
    assert len(accident_pdfs) == 1 and accident_pdfs[0]["title"].startswith("事故報告書　山田 太郎")
    text = re.sub(r"\s+", "", accident_pdfs[0]["text"])
    for expected in ("事故報告書", "山田太郎", "代表一子", "TEL083-222-3333", CLUB.replace(" ", ""), "彦島海岸",
                     "清掃中に転倒", "右手首の捻挫", "佐藤一郎（会員）", "2026年12月4日", "下関市社会福祉協議会御中", "以上"):
        assert expected in text, expected
    # And again from the list, for the selected report.
    page.accidents_view.selectRow(0)
    qtbot.mouseClick(page.print_accident_button, Qt.MouseButton.LeftButton)
    assert len(accident_pdfs) == 2 and errors == []


@pytest.mark.answers_modals
def test_accident_dialog_names_the_field_it_refuses_and_finds_the_group(qtbot, page, engine, desk, group_id,
                                                                         errors, accident_pdfs):
    from booking_app.ui.insurance.accident_dialog import AccidentDialog

    page.refresh()
    refused: list[str] = []

    def fill(dlg: AccidentDialog):
        type_text(dlg.group_edit, CLUB[:4])
        qtbot.waitUntil(lambda: dlg.group_hits.count() > 0)
        qtbot.mouseClick(dlg.group_hits.viewport(), Qt.MouseButton.LeftButton,
                         pos=dlg.group_hits.visualItemRect(dlg.group_hits.item(0)).center())
        assert dlg.group_id == group_id and not dlg.group_hits.isVisible()
        type_text(dlg.person_edit, "山田 太郎")
        type_text(dlg.reporter_edit, "代表 一子")
        type_text(dlg.reporter_phone_edit, "83-222")
        type_text(dlg.place_edit, "センター")
        dlg.description_edit.setPlainText("机で指を挟んだ")
        qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
        refused.extend(errors)
        assert dlg.isVisible() and dlg.focusWidget() is dlg.reporter_phone_edit
        errors.clear()
        dlg.reporter_phone_edit.clear()
        type_text(dlg.reporter_phone_edit, "083-222-3333")
        qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)

    page.show_tab("accidents")
    opened = when_modal(qtbot, AccidentDialog, fill)
    qtbot.mouseClick(page.new_accident_button, Qt.MouseButton.LeftButton)
    assert opened and errors == []
    assert len(refused) == 1 and "報告者の電話番号「83-222」は電話番号の形ではありません" in refused[0]
    with read_session(engine) as s:
        (a,) = ins.list_accidents(s, today=TODAY)
    assert (a.group_id, a.reporter_phone) == (group_id, "083-222-3333")
    assert "加入が確認できていません" in re.sub(r"\s+", "", accident_pdfs[0]["text"])


@pytest.mark.answers_modals
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
        ins.file_accident(s, desk, reporter_name="代表 一子", reporter_phone="083-000-0000", enrolment_id=v.id, person_name="山田 太郎", occurred_at=datetime(2026, 11, 15, 10),
                          place="彦島海岸", description="清掃中に転倒", now=datetime(2026, 11, 25, 9))
    with read_session(engine) as s:
        enrolments = ins.list_enrolments(s, fiscal_year=2026)
        accidents = ins.list_accidents(s, today=TODAY)
        cover = ins.check_cover(s, day=TODAY, group_id=group_id)
    for model, rows in ((EnrolmentsModel(), enrolments), (RenewalCandidatesModel(), enrolments),
                        (AccidentsModel(), accidents), (CoverResultsModel(), cover)):
        model.set_rows(rows)
        assert model.rowCount() == 1
        qtmodeltester.check(model)


def test_certificate_preview_and_roster_export(qtbot, page, engine, desk, manager, group_id, errors, previews,
                                               monkeypatch, tmp_path, prompts):
    from booking_app.ui.insurance import insurance_page as ip

    v = enrol_basic(engine, desk, group_id)
    pay_all(engine, desk, v)
    page.refresh_list(select_id=v.id)
    qtbot.mouseClick(page.certificate_button, Qt.MouseButton.LeftButton)
    assert errors == [] and previews and previews[-1]["title"] == f"加入証明書　{CLUB}"
    assert previews[-1]["head"] == b"%PDF-" and previews[-1]["size"] > 1000

    target = tmp_path / "保険名簿.xlsx"
    prompts.save_path = target
    # The roster is written on the worker thread: the desk's screen stays live while a big year is written.
    threads: list[str] = []
    real_export = ip.export_insurance

    def export_on(*a, **k):
        threads.append(threading.current_thread().name)
        return real_export(*a, **k)

    monkeypatch.setattr(ip, "export_insurance", export_on)
    # The roster holds personal data: desk staff are refused by the service and nothing is written.
    page.ctx.set_actor(desk)
    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.last_op.done, timeout=10_000)
    assert not target.exists() and "管理者" in str(errors[-1])
    page.ctx.set_actor(manager)
    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    assert prompts.of("ask_save_path")[-1].text == "保険名簿_令和8年度.xlsx"
    qtbot.waitUntil(lambda: page.last_op.done, timeout=10_000)
    assert target.exists() and target.stat().st_size > 0 and page.last_export_path == target
    assert errors and "令和8年度の名簿（3行）を書き出しました" in errors[-1]  # the notice (captured with the errors)
    assert len(threads) == 2 and threading.main_thread().name not in threads


def test_group_panel_lists_the_groups_enrolments(qtbot, ctx, engine, desk, group_id):
    v = enrol_basic(engine, desk, group_id)
    w = GroupsPage(ctx)
    qtbot.addWidget(w)
    w.show_group(group_id)
    assert "ボランティア活動保険（基本タイプ）" in w.insurance_label.text() and "今日：未払い" in w.insurance_label.text()
    pay_all(engine, desk, v)
    ctx.changed.emit({"charge"})
    assert "今日：補償あり" in w.insurance_label.text()


# ----------------------------------------------------------------------------- その他: cancel, lists, ledger, plans


def choose_more(qtbot, page, *texts: str) -> list[str]:
    """Open その他 and click the entries whose text starts with ``texts`` (a submenu, then its entry).

    Returns what happened to each entry: 'clicked', or 'disabled' (the menus are then closed, so a
    greyed entry fails the test's assertion instead of leaving a menu open).
    """
    wanted, done, opened = list(texts), [], []

    def poll():
        popup = QApplication.activePopupWidget()
        if not isinstance(popup, QMenu) or popup in opened or not popup.isVisible():
            QTimer.singleShot(10, poll)
            return
        opened.append(popup)
        text = wanted.pop(0)
        action = next(a for a in popup.actions() if a.text().startswith(text))
        if not action.isEnabled():
            done.append("disabled")
            for m in reversed(opened):
                m.close()
            return
        done.append("clicked")
        qtbot.mouseClick(popup, Qt.MouseButton.LeftButton, pos=popup.actionGeometry(action).center())
        if wanted:
            QTimer.singleShot(0, poll)

    QTimer.singleShot(0, poll)
    qtbot.mouseClick(page.more_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(done) == len(texts) or "disabled" in done)
    return done


def answer_reason(qtbot, reason: str, *, accept: bool = True) -> Callable:
    def act(dlg: QInputDialog):
        assert dlg.windowTitle() == "加入を取り消す" and CLUB in dlg.labelText()
        type_text(dlg.findChild(QLineEdit), reason)
        box = dlg.findChild(QDialogButtonBox)
        button = box.button(QDialogButtonBox.StandardButton.Ok if accept else QDialogButtonBox.StandardButton.Cancel)
        assert button.text() == ("取り消す" if accept else "やめる")
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

    return act


@pytest.mark.answers_modals
def test_cancel_an_unpaid_enrolment_with_a_reason(qtbot, page, engine, desk, group_id, errors):
    v = enrol_basic(engine, desk, group_id)
    page.refresh_list(select_id=v.id)
    assert page.cancel_action.isEnabled()
    # やめる: nothing changes.
    opened = when_modal(qtbot, QInputDialog, answer_reason(qtbot, "間違い", accept=False))
    assert choose_more(qtbot, page, "加入を取り消す") == ["clicked"]
    assert opened and errors == [] and page.selected().status == "active"
    # 取り消す with a reason: the row says 取消, the premium owed is cancelled, the history stays.
    opened = when_modal(qtbot, QInputDialog, answer_reason(qtbot, "申込の取り下げ"))
    assert choose_more(qtbot, page, "加入を取り消す") == ["clicked"]
    assert opened and errors == []
    assert page.enrolments_model.rowCount() == 1 and page.selected().id == v.id
    assert page.enrolments_model.index(0, EnrolmentsModel.PAY_COL).data() == "取消"
    assert "取り消されています" in page.detail_label.text()
    assert not page.cancel_action.isEnabled() and not page.pay_button.isEnabled()
    with read_session(engine) as s:
        e = ins.get_enrolment(s, v.id)
        assert e.status == "cancelled" and "申込の取り下げ" in e.note
        assert s.scalars(select(Charge.status).where(Charge.enrolment_id == v.id)).all() == ["cancelled"]
    # A cancelled enrolment no longer answers the cover check with cover.
    page.set_cover_group(group_id)
    page.cover_date.setDate(QDate(2026, 12, 1))
    page.check_cover()
    assert page.answer_label.text() == "補償なし"


@pytest.mark.answers_modals
def test_cancelling_a_paid_enrolment_is_refused_with_the_services_message(qtbot, page, engine, desk, group_id,
                                                                           errors):
    v = enrol_basic(engine, desk, group_id)
    pay_all(engine, desk, v)
    page.refresh_list(select_id=v.id)
    # Paid in full: greyed, and the tooltip says what to do instead.
    assert not page.cancel_action.isEnabled() and "領収書を取り消して" in page.cancel_action.toolTip()
    assert choose_more(qtbot, page, "加入を取り消す") == ["disabled"]
    # Paid, then a person added and not yet paid: staff may try, and the service says no, in its words.
    with write_session(engine) as s:
        ins.add_people(s, desk, v.id, [ins.PersonInput("高橋 次郎", "タカハシ ジロウ")], on=TODAY,
                       now=datetime(2026, 11, 25, 10))
    page.refresh_list(select_id=v.id)
    assert page.cancel_action.isEnabled()
    opened = when_modal(qtbot, QInputDialog, answer_reason(qtbot, "退会"))
    assert choose_more(qtbot, page, "加入を取り消す") == ["clicked"]
    assert opened
    assert errors == ["保険料が支払済みのため取り消せません。先に領収書を取り消して（返金して）ください。"]
    with read_session(engine) as s:
        assert ins.get_enrolment(s, v.id).status == "active"


@pytest.fixture
def list_pdfs(monkeypatch):
    """The PDFs the page would preview, as title and text (read with pdftotext, then removed)."""
    shown: list[dict] = []

    def fake(parent, path, *, title, suggested_name):
        path = Path(path)
        text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                              text=True).stdout
        shown.append({"title": title, "name": suggested_name, "text": text, "head": path.read_bytes()[:5]})
        path.unlink()

    monkeypatch.setattr(pd, "preview_pdf", fake)
    return shown


def test_enrolment_list_pdf_of_the_year_and_by_scheme(qtbot, page, engine, desk, group_id, errors, list_pdfs):
    v = enrol_basic(engine, desk, group_id)
    pay_all(engine, desk, v)
    with write_session(engine) as s:
        a1 = next(p for p in ins.plans_for_year(s, 2026, actor=desk) if p.code == "EVT-A1")
        ins.enrol_event(s, desk, plan_id=a1.id, holder_name="海岸クリーン実行委員会", event_name="彦島海岸清掃",
                        event_place="彦島海岸", event_start=date(2026, 12, 6), event_end=date(2026, 12, 6),
                        expected_participants=2, people=ins.parse_roster_text(ROSTER), applied_on=TODAY,
                        now=datetime(2026, 11, 25, 10))
    page.refresh_list()
    assert page.list_menu.title() == "加入者一覧（令和8年度・PDF）"

    assert choose_more(qtbot, page, "加入者一覧", "すべての保険") == ["clicked", "clicked"]
    assert errors == [] and len(list_pdfs) == 1
    pdf = list_pdfs[-1]
    assert pdf["head"] == b"%PDF-" and pdf["title"] == "令和8年度 保険加入者一覧"
    assert pdf["name"] == "保険加入者一覧_令和8年度.pdf"
    text = pdf["text"]
    assert "令和8年度 保険加入者一覧" in text and "2件" in text
    assert CLUB in text and "海岸クリーン実行委員会" in text and "彦島海岸清掃" in text
    assert "¥1,050" in text and "¥560" in text  # 3 people × ¥28 is below the A1 minimum
    assert "有効" in text and "未払い" in text

    assert choose_more(qtbot, page, "加入者一覧", "行事用保険") == ["clicked", "clicked"]
    text = list_pdfs[-1]["text"]
    assert list_pdfs[-1]["title"] == "令和8年度 保険加入者一覧（行事用保険）"
    assert "海岸クリーン実行委員会" in text and CLUB not in text and "1件" in text

    assert choose_more(qtbot, page, "加入者一覧", "市民活動保険") == ["clicked", "clicked"]
    assert "該当する加入はありません" in list_pdfs[-1]["text"]

    # The year chosen in 加入一覧 is the year printed.
    page.year_combo.setCurrentIndex(page.year_combo.findData(2025))
    assert choose_more(qtbot, page, "加入者一覧", "すべての保険") == ["clicked", "clicked"]
    assert list_pdfs[-1]["title"] == "令和7年度 保険加入者一覧" and CLUB not in list_pdfs[-1]["text"]
    assert errors == []


def test_ledger_export_to_csv_and_xlsx_for_managers(qtbot, ctx, engine, desk, manager, group_id, errors, prompts,
                                                    tmp_path):
    import csv

    import openpyxl


    paid = enrol_basic(engine, desk, group_id)
    pay_all(engine, desk, paid)
    with write_session(engine) as s:
        plan = next(p for p in ins.plans_for_year(s, 2026, actor=desk) if p.code == "VOL-DISASTER")
        ins.enrol_group(s, desk, plan_id=plan.id, group_id=group_id, people=ins.parse_roster_text(ROSTER),
                        applied_on=TODAY, now=datetime(2026, 11, 25, 10))
    page = InsurancePage(ctx)
    qtbot.addWidget(page)
    page.show()
    # Desk staff: greyed, as the ledger holds every group's payments.
    assert not page.ledger_action.isEnabled() and "管理者のみ" in page.ledger_action.toolTip()
    ctx.set_actor(manager)
    assert page.ledger_action.isEnabled()
    assert page.ledger_action.text() == "年度台帳を書き出す（令和8年度）…"

    target = tmp_path / "台帳.csv"
    prompts.save_path = target
    assert choose_more(qtbot, page, "年度台帳を書き出す") == ["clicked"]
    assert [c.text for c in prompts.of("ask_save_path")] == ["保険加入台帳_令和8年度.xlsx"]
    qtbot.waitUntil(lambda: page.last_op.done, timeout=10_000)
    assert errors and "令和8年度の加入台帳（2件）を書き出しました" in errors[-1]
    assert page.last_export_path == target
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw  # Excel opens UTF-8 with BOM right
    rows = list(csv.reader(target.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0][:4] == ["加入番号", "保険種類", "プラン", "団体名・主催者"]
    by_plan = {r[2]: r for r in rows[1:3]}
    basic, disaster = by_plan["ボランティア活動保険（基本タイプ）"], by_plan["ボランティア活動保険（天災タイプ）"]
    assert basic[3] == CLUB and basic[13:17] == ["1050", "1050", "0", "有効"]
    assert disaster[13:17] == ["1500", "0", "1500", "未払い"]
    assert rows[3] == [] and rows[4][0] == "プラン"  # the totals per plan after a blank line
    assert rows[-1][:7] == ["合計", "", "2", "6", "2550", "1050", "1500"]

    written = tmp_path / "台帳.xlsx"  # (a name typed without a suffix gets the chosen filter's: tests/ui/test_scaffold.py)
    prompts.save_path = written
    assert choose_more(qtbot, page, "年度台帳を書き出す") == ["clicked"]
    qtbot.waitUntil(lambda: page.last_op.done, timeout=10_000)
    assert page.last_export_path == written and written.exists()
    wb = openpyxl.load_workbook(written)
    assert wb.sheetnames == ["加入台帳", "プラン別集計"]
    assert wb["加入台帳"]["A1"].value == "令和8年度 活動保険 加入台帳（2件）"
    assert {wb["加入台帳"].cell(r, 4).value for r in (3, 4)} == {CLUB}


@pytest.mark.answers_modals
def test_plans_and_premiums_from_the_menu(qtbot, page, engine, manager, errors):
    from booking_app.ui.insurance.insurance_plans_dialog import InsurancePlansDialog

    page.ctx.set_actor(manager)
    page.year_combo.setCurrentIndex(page.year_combo.findData(2027))
    seen: list = []

    def look(dlg: InsurancePlansDialog):
        seen.append((dlg.year_combo.currentData(), dlg.save_button.isEnabled(), dlg.model.rowCount()))
        qtbot.mouseClick(dlg.findChild(QPushButton, "close"), Qt.MouseButton.LeftButton)

    opened = when_modal(qtbot, InsurancePlansDialog, look)
    assert choose_more(qtbot, page, "プラン・保険料") == ["clicked"]
    assert opened and seen == [(2027, True, 8)] and errors == []


def test_page_fits_a_1366_screen_and_screenshot(qtbot, ctx, engine, desk, group_id, tmp_path):
    import os

    enrol_basic(engine, desk, group_id)
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    window.show_page("insurance")
    page = window.pages["insurance"]
    qtbot.waitExposed(window)
    # Every button of the action row is shown in full: the row needs no more than the page has.
    head = page.layout().itemAt(0).layout()
    assert head.minimumSize().width() <= page.width()
    assert page.more_button.geometry().right() <= page.width()
    assert window.width() <= 1366 and window.height() <= 768
    out = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    assert window.grab().save(str(out / "insurance_page.png"))
