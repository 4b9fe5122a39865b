"""The 領収書 page with 還付: a receipt of a cancelled paid booking says what was refunded, reprints its
還付明細書, and its void (管理者) says it pays back only the rest."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from booking_app import clock
from booking_app.services import payments as pay_svc
from booking_app.services import refunding
from booking_app.store.engine import read_session, write_session
from booking_app.ui.money.receipts_page import ReceiptsModel, ReceiptsPage, VoidDialog
from test_payment_dialog import (  # noqa: F401 - shared fixtures
    booking_id,
    errors,
    general_booking,
    isolated_settings,
    pay_booking,
    previews,
)


def open_page(qtbot, ctx) -> ReceiptsPage:
    page = ReceiptsPage(ctx)
    qtbot.addWidget(page)
    page.resize(1200, 600)
    page.show()
    qtbot.waitUntil(lambda: page.last_load is not None and not page.loading, timeout=10_000)
    return page


def test_a_refunded_receipt_says_so_and_reprints_its_slip(qtbot, ctx, engine, desk, errors, previews,
                                                         qtmodeltester):
    kept = general_booking(engine, "関門ウォーキングの会", days_ahead=12)
    pay_booking(engine, desk, kept, payer="関門ウォーキングの会")
    cancelled = general_booking(engine, days_ahead=5)
    receipt = pay_booking(engine, desk, cancelled)
    with write_session(engine) as s:
        done = refunding.cancel_with_refund(s, desk, cancelled, "団体の都合", method="cash", now=clock.now())
    (refund,) = done.refunds
    assert refund.amount > 0
    page = open_page(qtbot, ctx)
    qtmodeltester.check(page.model)
    states = {page.proxy.index(r, ReceiptsModel.NUMBER).data(): page.proxy.index(r, ReceiptsModel.STATE).data()
              for r in range(page.proxy.rowCount())}
    assert states[receipt.receipt_no] == f"還付 ¥{refund.amount:,}"
    assert list(states.values()).count("有効") == 1
    assert not page.refund_slip_button.isEnabled()
    row = next(r for r in range(page.proxy.rowCount())
               if page.proxy.index(r, ReceiptsModel.NUMBER).data() == receipt.receipt_no)
    rect = page.table.visualRect(page.proxy.index(row, 0))
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert page.refund_slip_button.isEnabled()
    qtbot.mouseClick(page.refund_slip_button, Qt.MouseButton.LeftButton)
    assert [p["title"] for p in previews] == [f"還付明細書 {refund.refund_no}"]
    assert refund.refund_no in previews[0]["text"] and receipt.receipt_no in previews[0]["text"]
    assert list(errors) == []

    with read_session(engine) as s:
        view = pay_svc.get_receipt(s, receipt.id)
    assert (view.refunded, view.refund_ids) == (refund.amount, (refund.id,))
    dlg = VoidDialog(None, view)
    qtbot.addWidget(dlg)
    info = " ".join(lbl.text() for lbl in dlg.findChildren(QLabel))
    assert f"還付済みの ¥{refund.amount:,} を除き、返金額は ¥{receipt.total - refund.amount:,} です。" in info
