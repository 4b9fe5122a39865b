"""Flows 4 and 5 of issue 17 from the main window, keys only: Ctrl+2 brings 本日の予約 with the keyboard in the
list; ↓, F2 checks in, F3 with the head count checks out; F4 pays with the name typed in 宛名 and Enter.
Ctrl+3 and Ctrl+F find a booking in 予約検索, Enter on the result opens it.
"""

from __future__ import annotations

import datetime as dt
from datetime import datetime, time

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

import keyboard_walk as kw
from booking_app import clock
from booking_app.services.bookings import get_booking
from booking_app.store.engine import read_session
from booking_app.store.models import Receipt
from booking_app.ui.booking import today_list as tl
from booking_app.ui.keyboard import keyed_actions
from booking_app.ui.main_window import MainWindow
from booking_app.ui.money.payment_dialog import PaymentDialog
from test_payment_dialog import (  # noqa: F401 - shared fixtures
    CLUB,
    errors,
    general_booking,
    isolated_settings,
    previews,
    receipt_no,
)
from test_payment_keyboard import PAYER
from test_today_list import book, status_of

pytestmark = pytest.mark.now(dt.datetime(2026, 11, 25, 10, 0))

Key = Qt.Key
CTRL = Qt.KeyboardModifier.ControlModifier


def window_shown(qtbot, ctx) -> MainWindow:
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    with qtbot.waitActive(window):
        window.activateWindow()
    return window


def test_flow5_from_the_main_window(qtbot, ctx, engine, prompts, errors):
    today = clock.today()
    first = book(engine, datetime.combine(today, time(9)), 3, "朝の会", attendees=10)
    second = book(engine, datetime.combine(today, time(13)), 3, "午後の会", attendees=15)
    window = window_shown(qtbot, ctx)
    kw.press(Key.Key_2, CTRL)  # 本日の予約
    page = window.pages["today"]
    assert window.current_page_key() == "today"
    assert kw.focused() is page.table and page.selected() is None
    kw.press(Key.Key_Down)
    kw.press(Key.Key_Down)
    assert page.selected().id == second
    kw.press(Key.Key_F2)
    assert errors == [] and status_of(engine, second) == ("in_use", None)
    prompts.answer_number(12)
    kw.press(Key.Key_F3)
    assert errors == [] and status_of(engine, second) == ("completed", 12)
    assert status_of(engine, first) == ("confirmed", None)
    # The page's keys are the window's key sheet's, under 本日の予約; F2 does nothing on another page.
    sections = {(a.shortcut().toString(), a.property("keysheet_section")) for a in keyed_actions(window)}
    assert {("F2", "本日の予約"), ("F3", "本日の予約"), ("F4", "本日の予約"), ("F6", "本日の予約"),
            ("F2", "予約検索")} <= sections
    kw.press(Key.Key_1, CTRL)  # 予約カレンダー
    kw.press(Key.Key_F2)
    assert status_of(engine, first) == ("confirmed", None)


@pytest.mark.answers_modals
def test_flow4_from_the_main_window(qtbot, ctx, engine, previews, errors):
    bid = general_booking(engine, days_ahead=0)
    window = window_shown(qtbot, ctx)
    kw.press(Key.Key_2, CTRL)
    page = window.pages["today"]
    kw.press(Key.Key_Down)
    assert page.selected().id == bid
    seen: dict = {}

    def in_the_dialog() -> None:
        qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), PaymentDialog))
        dlg = QApplication.activeModalWidget()
        qtbot.waitUntil(lambda: kw.focused() is dlg.payer_edit)
        seen["selected"] = dlg.payer_edit.selectedText()
        kw.type_text(PAYER)
        kw.press(Key.Key_Return)

    QTimer.singleShot(0, in_the_dialog)
    kw.press(Key.Key_F4)
    assert seen == {"selected": CLUB} and errors == []
    with read_session(engine) as s:
        (receipt,) = s.scalars(select(Receipt)).all()
        assert (receipt.payer_name, receipt.total) == (PAYER, 1500)
    assert len(previews) == 1 and receipt_no(1) in previews[0]["text"] and PAYER in previews[0]["text"]


def test_search_from_the_main_window(qtbot, ctx, engine, monkeypatch):
    bid = book(engine, datetime.combine(clock.today(), time(9)), 3, "朝の会")
    with read_session(engine) as s:
        number = get_booking(s, bid).number
    opened: list[int] = []
    monkeypatch.setattr(tl.BookingDialog, "edit", staticmethod(lambda p, c, b: opened.append(b) or False))
    window = window_shown(qtbot, ctx)
    kw.press(Key.Key_3, CTRL)  # 予約検索: the keyboard in its search field
    page = window.pages["search"]
    assert kw.focused() is page.search_edit
    kw.type_text(number)
    kw.press(Key.Key_Return)
    qtbot.waitUntil(lambda: not page.loading, timeout=10_000)
    kw.tab_to(page.table)
    kw.press(Key.Key_Down)
    kw.press(Key.Key_Return)
    assert opened == [bid]
    kw.press(Key.Key_F, CTRL)  # back to the words, selected: typing replaces them
    assert kw.focused() is page.search_edit and page.search_edit.selectedText() == number
