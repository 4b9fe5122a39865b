"""支払 and the money pages by the keyboard alone (issue 17, flow 4): F4 on 本日の予約 opens the payment dialog
in 宛名, a name typed and Enter take the payment and print the receipt; Tab walks every control without a
trap; Esc asks before throwing typed input away; the receipts and cash-up pages name their controls.

From the moment a page or dialog is shown, only keys sent to the focused widget (keyboard_walk).
"""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

import keyboard_walk as kw
from booking_app.store.engine import read_session
from booking_app.store.models import Charge, Receipt
from booking_app.ui.booking.today_list import TodayListPage
from booking_app.ui.keyboard import DISCARD_TEXT
from booking_app.ui.money.cashup_page import CashupPage
from booking_app.ui.money.payment_dialog import PaymentDialog
from booking_app.ui.money.receipts_page import ReceiptsPage, VoidDialog
from test_payment_dialog import (  # noqa: F401 - shared fixtures
    CLUB,
    errors,
    general_booking,
    isolated_settings,
    pay_booking,
    previews,
    receipt_no,
)
from test_today_keyboard import shown

pytestmark = pytest.mark.now(dt.datetime(2026, 11, 25, 10, 0))

Key = Qt.Key
PAYER = "ふくふく子ども食堂"


@pytest.fixture
def today_booking(engine) -> int:
    """Today's 大会議室 booking in the morning: a ¥1,500 room fee to pay."""
    return general_booking(engine, days_ahead=0)


def open_dialog(qtbot, ctx, booking_id: int) -> PaymentDialog:
    return shown(qtbot, PaymentDialog(ctx, booking_id=booking_id), size=(900, 600))


# ----------------------------------------------------------------------------- flow 4: pay and print


@pytest.mark.answers_modals
def test_flow4_f4_pays_by_keys_and_prints_the_receipt(qtbot, ctx, engine, today_booking, previews, errors):
    page = shown(qtbot, TodayListPage(ctx))
    kw.tab_to(page.table)
    kw.press(Key.Key_Down)
    assert page.selected().id == today_booking
    seen: dict = {}

    def in_the_dialog() -> None:
        # The dialog runs modally (PaymentDialog.take); a clerk sees it and types.
        qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), PaymentDialog))
        dlg = QApplication.activeModalWidget()
        qtbot.waitUntil(lambda: kw.focused() is dlg.payer_edit)
        seen["start"] = (kw.focused(), dlg.payer_edit.selectedText(), dlg.pay_button.isDefault())
        kw.type_text(PAYER)  # over the booker's name, which was selected
        seen["typed"] = dlg.payer_edit.text()
        kw.press(Key.Key_Return)  # 領収, the default button

    QTimer.singleShot(0, in_the_dialog)
    kw.press(Key.Key_F4)  # 支払…
    dlg_payer_edit, selected, default = seen["start"]
    assert dlg_payer_edit.objectName() == "payer_name" and selected == CLUB and default
    assert seen["typed"] == PAYER
    assert errors == []
    with read_session(engine) as s:
        (receipt,) = s.scalars(select(Receipt)).all()
        assert (receipt.payer_name, receipt.total, receipt.method) == (PAYER, 1500, "cash")
        charges = s.scalars(select(Charge).where(Charge.booking_id == today_booking)).all()
        assert {c.status for c in charges} == {"paid"}
    # The receipt went to the preview (the printer), made out to the name typed.
    assert len(previews) == 1 and receipt_no(1) in previews[0]["text"] and PAYER in previews[0]["text"]
    # Back in the list for the next booking: the page's focus widget is still the list (the offscreen platform
    # does not activate the page again when the dialog closes, a desktop does and gives it the focus).
    assert page.focusWidget() is page.table and page.selected().id == today_booking


def test_payment_dialog_starts_in_the_payer_and_tab_reaches_everything(qtbot, ctx, engine, today_booking):
    dlg = open_dialog(qtbot, ctx, today_booking)
    assert kw.focused() is dlg.payer_edit and dlg.payer_edit.selectedText() == CLUB
    assert dlg.pay_button.isDefault() and not dlg.close_button.isDefault()
    chain = kw.tab_chain()
    kw.assert_no_trap(chain, must_reach=[dlg.payer_edit, dlg.purpose_edit, dlg.method_combo, dlg.layout_combo,
                                         dlg.pay_button, dlg.close_button, dlg.table, dlg.item_combo,
                                         dlg.qty_spin, dlg.add_button])
    at = chain.index
    assert at(dlg.payer_edit) < at(dlg.method_combo) < at(dlg.pay_button) < at(dlg.close_button)  # 宛名 first
    # The charges table is one stop, both ways: Tab and Shift+Tab leave it.
    kw.tab_to(dlg.table)
    kw.press(Key.Key_Tab)
    assert kw.focused() is not dlg.table
    kw.press(Key.Key_Backtab)
    assert kw.focused() is dlg.table
    kw.press(Key.Key_Backtab)
    assert kw.focused() is dlg.close_button
    assert kw.unnamed(dlg) == []
    assert kw.accessible_name(dlg.payer_edit).startswith("宛名")
    assert kw.accessible_name(dlg.table).startswith("未収金")


def test_payment_mnemonics_reach_the_fields(qtbot, ctx, engine, today_booking):
    dlg = open_dialog(qtbot, ctx, today_booking)
    kw.press(Key.Key_M, Qt.KeyboardModifier.AltModifier)
    assert kw.focused() is dlg.method_combo
    kw.press(Key.Key_Down)  # カード
    assert dlg.method_combo.currentData() == "card"
    kw.press(Key.Key_T, Qt.KeyboardModifier.AltModifier)
    assert kw.focused() is dlg.purpose_edit
    kw.press(Key.Key_Q, Qt.KeyboardModifier.AltModifier)
    assert kw.focused() is dlg.qty_spin
    kw.press(Key.Key_A, Qt.KeyboardModifier.AltModifier)
    assert kw.focused() is dlg.payer_edit


def test_space_in_the_charges_unticks_a_line_and_enter_still_pays(qtbot, ctx, engine, today_booking, previews,
                                                                  errors):
    dlg = open_dialog(qtbot, ctx, today_booking)
    kw.tab_to(dlg.table)
    kw.press(Key.Key_Down)
    kw.press(Key.Key_Space)
    assert dlg.model.checked_ids() == [] and not dlg.pay_button.isEnabled()
    kw.press(Key.Key_Space)
    assert len(dlg.model.checked_ids()) == 1 and dlg.pay_button.isEnabled()
    kw.tab_to(dlg.payer_edit, back=True)
    kw.press(Key.Key_Enter)  # the keypad's Enter: the default button too
    assert errors == [] and dlg.receipt_id is not None and len(previews) == 1


def test_esc_closes_an_untouched_dialog_and_asks_once_something_was_typed(qtbot, ctx, engine, today_booking,
                                                                          prompts):
    dlg = open_dialog(qtbot, ctx, today_booking)
    kw.press(Key.Key_Escape)
    assert not dlg.isVisible() and prompts.of("confirm") == []

    dlg = open_dialog(qtbot, ctx, today_booking)
    kw.type_text("関門")
    prompts.answer_confirm(False)  # 入力に戻る
    kw.press(Key.Key_Escape)
    (asked,) = prompts.of("confirm")
    assert asked.text == DISCARD_TEXT
    assert dlg.isVisible() and dlg.payer_edit.text() == "関門"  # nothing lost
    prompts.answer_confirm(True)  # 破棄する
    kw.press(Key.Key_Escape)
    assert not dlg.isVisible() and dlg.receipt_id is None

    # A line unticked is input as well.
    dlg = open_dialog(qtbot, ctx, today_booking)
    kw.tab_to(dlg.table)
    kw.press(Key.Key_Down)
    kw.press(Key.Key_Space)
    prompts.answer_confirm(False)
    kw.press(Key.Key_Escape)
    assert dlg.isVisible() and len(prompts.of("confirm")) == 3


# ----------------------------------------------------------------------------- 領収書 and 日計表


def test_receipts_page_by_keys_enter_shows_the_receipt(qtbot, ctx, engine, desk, today_booking, previews, errors):
    pay_booking(engine, desk, today_booking)
    page = shown(qtbot, ReceiptsPage(ctx))
    qtbot.waitUntil(lambda: page.last_load is not None and not page.loading, timeout=10_000)
    assert page.model.rowCount() == 1
    chain = kw.tab_chain()
    kw.assert_no_trap(chain, must_reach=[page.date_edit, page.search_edit, page.table, page.printing_button,
                                         page.pay_button])
    assert kw.unnamed(page) == []
    assert kw.accessible_name(page.table) == "領収書一覧"
    kw.tab_to(page.table)
    assert page.selected() is None
    kw.press(Key.Key_Down)
    assert page.show_button.text() == "表示・再発行 (Enter)" and page.show_button.isEnabled()
    kw.press(Key.Key_Return)  # 表示・再発行
    assert errors == [] and len(previews) == 1 and receipt_no(1) in previews[0]["text"]
    qtbot.waitUntil(lambda: not page.loading, timeout=10_000)
    chain = kw.tab_chain()  # with a row selected its buttons are on the chain too
    kw.assert_no_trap(chain, must_reach=[page.table, page.show_button])


def test_void_dialog_by_keys_asks_before_dropping_the_reason(qtbot, ctx, engine, desk, today_booking, prompts):
    r = pay_booking(engine, desk, today_booking)
    dlg = shown(qtbot, VoidDialog(None, r), size=(500, 300))
    assert kw.unnamed(dlg) == []
    kw.press(Key.Key_R, Qt.KeyboardModifier.AltModifier)
    assert kw.focused() is dlg.reason_edit
    kw.type_text("金額の誤り")
    kw.press(Key.Key_M, Qt.KeyboardModifier.AltModifier)
    assert kw.focused() is dlg.method_combo
    prompts.answer_confirm(False)
    kw.press(Key.Key_Escape)
    assert dlg.isVisible() and [c.text for c in prompts.of("confirm")] == [DISCARD_TEXT]
    kw.press(Key.Key_R, Qt.KeyboardModifier.AltModifier)
    kw.press(Key.Key_Return)  # 取消・返金する, the default button
    assert dlg.result() == VoidDialog.DialogCode.Accepted and dlg.values() == ("金額の誤り", "cash")


def test_receipts_search_by_keys(qtbot, ctx, engine, desk, today_booking):
    pay_booking(engine, desk, today_booking)
    page = shown(qtbot, ReceiptsPage(ctx))
    qtbot.waitUntil(lambda: page.last_load is not None and not page.loading, timeout=10_000)
    page.focus_search()  # Ctrl+F in the main window
    assert kw.focused() is page.search_edit
    kw.type_text("000099")
    qtbot.waitUntil(lambda: page.model.rowCount() == 0, timeout=10_000)
    kw.press(Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    kw.type_text("000001")
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=10_000)


def test_cashup_page_names_its_controls_and_tab_leaves_every_table(qtbot, ctx, engine, desk, today_booking):
    pay_booking(engine, desk, today_booking)
    page = shown(qtbot, CashupPage(ctx))
    assert kw.unnamed(page) == []
    assert kw.accessible_name(page.counted_spin).startswith("現金実査")
    chain = kw.tab_chain()
    kw.assert_no_trap(chain, must_reach=[page.date_edit, page.terminal_combo, page.receipts_table,
                                         page.counted_spin, page.close_button, page.pdf_button, page.xlsx_button])
    # Count the drawer by keys: Alt+C, the amount, and the difference follows.
    kw.press(Key.Key_C, Qt.KeyboardModifier.AltModifier)
    assert kw.focused() is page.counted_spin
    kw.press(Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    kw.type_text("1500")
    assert page.difference_label.text() == "¥0（一致）"
