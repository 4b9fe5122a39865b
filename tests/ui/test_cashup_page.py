"""The daily cash-up page (日計表): figures as the service computes them, cash count, closing, exports."""

from __future__ import annotations

from PySide6.QtCore import Qt
from sqlalchemy import select

from booking_app import clock
from booking_app.services import payments as pay_svc
from booking_app.services.terminal import terminal_name
from booking_app.store.engine import read_session, write_session
from booking_app.store.models import DayClosing
from booking_app.ui.money import cashup_page as cp
from booking_app.ui.money.cashup_page import CashupPage
from booking_app.ui.money.payment_dialog import PaymentDialog
from booking_app.ui.workers import wait_for_ops
from test_payment_dialog import (  # noqa: F401 - shared fixtures
    booking_id,
    errors,
    general_booking,
    isolated_settings,
    pay_booking,
    previews,
    receipt_no,
)


def open_page(qtbot, ctx) -> CashupPage:
    page = CashupPage(ctx)
    qtbot.addWidget(page)
    page.resize(1300, 700)
    page.show()
    return page


def money(v: int) -> str:
    return f"¥{v:,}" if v >= 0 else f"△¥{-v:,}"


def rows(model) -> list[tuple[str, ...]]:
    return [tuple(model.index(r, c).data() for c in range(model.columnCount())) for r in range(model.rowCount())]


def setup_day(engine, desk, manager, booking_id):
    """Cash ¥1,500 for one booking; card ¥1,500 for another, voided and refunded by card."""
    pay_booking(engine, desk, booking_id, method="cash")
    other = general_booking(engine, "関門ウォーキングの会", days_ahead=9)
    r2 = pay_booking(engine, desk, other, method="card", payer="関門ウォーキングの会")
    with write_session(engine) as s:
        pay_svc.void_receipt(s, manager, r2.id, "金額の誤り", refund_method="card")


def test_figures_match_the_service_and_cash_count(qtbot, ctx, engine, desk, manager, booking_id, errors,
                                                  qtmodeltester):
    setup_day(engine, desk, manager, booking_id)
    page = open_page(qtbot, ctx)
    for model in (page.method_model, page.kind_model, page.receipts_model, page.voids_model):
        qtmodeltester.check(model)
    with read_session(engine) as s:
        doc = pay_svc.cashup(s, clock.today(), terminal_name())
    assert page.terminal() == terminal_name()
    assert rows(page.method_model) == [(r.label, str(r.count), money(r.amount)) for r in doc.by_method]
    assert ("現金", "1", "¥1,500") in rows(page.method_model)
    assert ("返金（カード）", "1", "△¥1,500") in rows(page.method_model)
    assert rows(page.kind_model) == [(r.label, str(r.count), money(r.amount)) for r in doc.by_kind]
    assert [r[0] for r in rows(page.receipts_model)] == [receipt_no(1), receipt_no(2)]
    assert rows(page.receipts_model)[1][4] == "取消"
    assert page.receipts_model.index(1, 4).data(Qt.ItemDataRole.ForegroundRole).color() == cp.BAD_RED
    assert rows(page.voids_model)[0][0] == receipt_no(2) and rows(page.voids_model)[0][3] == "¥1,500"
    assert page.received_label.text() == "¥3,000"
    assert page.refunded_label.text() == "¥1,500"
    assert page.net_label.text() == "¥1,500"
    assert page.expected_label.text() == "¥1,500"  # the card refund does not leave the drawer
    assert page.state_label.text() == "未締め"
    # QA: before the drawer is counted the box's ¥0 read as a red 「不足 ¥1,500」.
    assert page.difference_label.text() == "未入力"
    assert "#757575" in page.difference_label.styleSheet()
    page.counted_spin.setValue(1000)
    assert page.difference_label.text() == "不足 ¥500"
    assert cp.BAD_RED.name() in page.difference_label.styleSheet()
    page.counted_spin.setValue(1500)
    assert page.difference_label.text() == "¥0（一致）"
    # Another day shows nothing, and its count starts again from 未入力.
    page.date_edit.setDate(page.date_edit.date().addDays(-1))
    assert page.receipts_model.rowCount() == 0 and page.received_label.text() == "¥0"
    assert page.difference_label.text() == "未入力" and page.counted() is None
    # An empty drawer counted as 0 is an entry: typing 0 over the 0 shown counts.
    page.counted_spin.lineEdit().selectAll()
    qtbot.keyClicks(page.counted_spin.lineEdit(), "0")
    assert page.counted() == 0 and page.difference_label.text() == "¥0（一致）"


def test_closing_without_a_count_records_none(qtbot, ctx, engine, desk, manager, booking_id, errors, prompts):
    setup_day(engine, desk, manager, booking_id)
    page = open_page(qtbot, ctx)
    asked = prompts.shown("confirm")
    prompts.answer_confirm(True)
    qtbot.mouseClick(page.close_button, Qt.MouseButton.LeftButton)
    assert "現金実査 未入力" in asked[0] and "過不足" not in asked[0]
    assert page.state_label.text().startswith("締め済み") and page.difference_label.text() == "未入力"
    with read_session(engine) as s:
        assert s.scalars(select(DayClosing)).one().cash_counted is None


def test_close_day_then_payment_is_refused(qtbot, ctx, engine, desk, manager, booking_id, errors, previews,
                                           prompts):
    setup_day(engine, desk, manager, booking_id)
    page = open_page(qtbot, ctx)
    asked = prompts.shown("confirm")
    prompts.answer_confirm(False, True)
    page.counted_spin.setValue(1400)
    qtbot.mouseClick(page.close_button, Qt.MouseButton.LeftButton)
    assert "過不足 -100円" in asked[0] and page.state_label.text() == "未締め"  # said no: nothing closed
    qtbot.mouseClick(page.close_button, Qt.MouseButton.LeftButton)
    assert len(asked) == 2
    assert errors == []
    assert page.state_label.text().startswith("締め済み（受付スタッフ")
    assert not page.close_button.isEnabled() and not page.counted_spin.isEnabled()
    assert page.difference_label.text() == "不足 ¥100"
    with read_session(engine) as s:
        closing = s.scalars(select(DayClosing)).one()
        assert (closing.cash_counted, closing.totals["net"]) == (1400, 1500)

    third = general_booking(engine, "唐戸ギター同好会", days_ahead=10)
    dlg = PaymentDialog(ctx, booking_id=third)
    qtbot.addWidget(dlg)
    qtbot.mouseClick(dlg.pay_button, Qt.MouseButton.LeftButton)
    assert len(errors) == 1 and "締め済みのため、領収できません" in errors[0]
    assert dlg.receipt_id is None


def test_pdf_and_excel_exports_run_in_background(qtbot, ctx, engine, desk, manager, booking_id, errors, previews,
                                                 prompts, tmp_path):
    from openpyxl import load_workbook

    setup_day(engine, desk, manager, booking_id)
    page = open_page(qtbot, ctx)
    qtbot.mouseClick(page.pdf_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.last_op.done, timeout=10_000)
    assert page.last_op.error is None
    assert len(previews) == 1 and previews[0]["pages"] >= 1
    assert "日計表" in previews[0]["text"] and receipt_no(2) in previews[0]["text"]

    prompts.save_path = tmp_path / "日計表.xlsx"
    saved = prompts.shown("info")
    qtbot.mouseClick(page.xlsx_button, Qt.MouseButton.LeftButton)
    assert prompts.of("ask_save_path")[-1].text == f"日計表_{clock.today():%Y%m%d}_{terminal_name()}.xlsx"
    qtbot.waitUntil(lambda: page.last_op.done, timeout=10_000)
    assert page.last_op.error is None and saved == [f"保存しました：\n{tmp_path / '日計表.xlsx'}"]
    wb = load_workbook(tmp_path / "日計表.xlsx")
    values = [c for row in wb.active.iter_rows(values_only=True) for c in row if c is not None]
    assert receipt_no(1) in values and 1500 in values
    assert wait_for_ops()


def test_terminals_that_took_money_that_day_are_offered(qtbot, ctx, engine, desk, booking_id, errors):
    # QA: only this PC was listed; the counter PC's day could be reached only by typing its exact name.
    with write_session(engine) as s:
        ids = [c.id for c in pay_svc.open_charges(s, booking_id=booking_id)]
        pay_svc.take_payment(s, desk, ids, payer_name="カウンターの会", purpose="施設使用料として",
                             method="cash", terminal="カウンター")
    page = open_page(qtbot, ctx)
    combo = page.terminal_combo
    offered = [combo.itemText(i) for i in range(combo.count())]
    assert offered[0] == terminal_name() and "カウンター" in offered
    assert page.terminal() == terminal_name() and not page.doc.receipts  # this PC took nothing
    combo.setCurrentIndex(offered.index("カウンター"))
    combo.activated.emit(combo.currentIndex())
    assert page.terminal() == "カウンター"
    shown = rows(page.receipts_model)
    assert len(shown) == 1 and any("カウンターの会" in str(c) for c in shown[0])
