"""The 日計表 page with 還付: the refunds of cancelled paid bookings are money out of the drawer."""

from __future__ import annotations

from booking_app import clock
from booking_app.services import payments as pay_svc
from booking_app.services import refunding
from booking_app.services.terminal import terminal_name
from booking_app.store.engine import read_session, write_session
from booking_app.ui.money.cashup_page import CashupPage
from test_payment_dialog import (  # noqa: F401 - shared fixtures
    errors,
    general_booking,
    isolated_settings,
    pay_booking,
)


def rows(model) -> list[tuple[str, ...]]:
    return [tuple(model.index(r, c).data() for c in range(model.columnCount())) for r in range(model.rowCount())]


def open_page(qtbot, ctx) -> CashupPage:
    page = CashupPage(ctx)
    qtbot.addWidget(page)
    page.resize(1300, 700)
    page.show()
    return page


def test_the_page_lists_the_days_refunds_and_counts_them_out_of_the_drawer(qtbot, ctx, engine, desk, errors,
                                                                            qtmodeltester):
    empty = open_page(qtbot, ctx)
    assert not empty.refunds_box.isVisible()  # a day without 還付 keeps the page as it was
    kept = general_booking(engine, "関門ウォーキングの会", days_ahead=12)
    pay_booking(engine, desk, kept, method="cash", payer="関門ウォーキングの会")
    cancelled = general_booking(engine, days_ahead=10)
    pay_booking(engine, desk, cancelled, method="cash")
    with write_session(engine) as s:
        done = refunding.cancel_with_refund(s, desk, cancelled, "団体の都合", method="cash", now=clock.now())
    (refund,) = done.refunds
    assert (refund.rate, refund.amount) == (100, 1500)
    page = open_page(qtbot, ctx)
    qtmodeltester.check(page.refunds_model)
    with read_session(engine) as s:
        doc = pay_svc.cashup(s, clock.today(), terminal_name())
    assert page.refunds_box.isVisible()
    [row] = rows(page.refunds_model)
    assert (row[0], row[2], row[3], row[4], row[5]) == (refund.refund_no, f"{cancelled:07d}", "団体の都合",
                                                        "¥1,500", "現金")
    assert ("還付（現金）", "1", "△¥1,500") in rows(page.method_model)
    assert ("還付", "1", "△¥1,500") in rows(page.kind_model)
    assert page.received_label.text() == "¥3,000" and page.refunded_label.text() == "¥1,500"
    assert page.net_label.text() == "¥1,500" and page.expected_label.text() == "¥1,500"
    assert doc.extra["cash_expected"] == 1500
    assert list(errors) == []
