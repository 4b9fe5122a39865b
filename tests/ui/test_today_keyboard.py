"""本日の予約 and 予約検索 by the keyboard alone (issue 17): ↓ to a booking, F2 checks in, F3 asks the head
count and checks out, Enter opens; Tab passes the list without changing its selection and reaches the buttons;
every control has a name a screen reader can say.

From the moment a page is shown, these tests use only keys sent to the focused widget (keyboard_walk): no
mouse, no setFocus, no button.click().
"""

from __future__ import annotations

import datetime as dt
from datetime import datetime, time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

import keyboard_walk as kw
from booking_app import clock
from booking_app.services.bookings import get_booking
from booking_app.store.engine import read_session
from booking_app.ui.booking import today_list as tl
from booking_app.ui.booking.search_page import BookingSearchPage
from booking_app.ui.booking.today_list import TodayListPage
from booking_app.ui.keyboard import keyed_actions
from test_today_list import book, status_of

pytestmark = pytest.mark.now(dt.datetime(2026, 11, 25, 10, 0))

Key = Qt.Key


@pytest.fixture
def errors(prompts):
    return prompts.shown("show_error")


def shown(qtbot, w: QWidget, size=(1366, 720)) -> QWidget:
    """The page as a window on the desk's screen, active: from here on only keys."""
    qtbot.addWidget(w)
    w.resize(*size)
    w.show()
    qtbot.waitExposed(w)
    with qtbot.waitActive(w):
        w.activateWindow()
    return w


def selected_id(page):
    v = page.selected()
    return None if v is None else v.id


@pytest.fixture
def two_today(engine) -> tuple[int, int]:
    today = clock.today()
    first = book(engine, datetime.combine(today, time(9)), 3, "朝の会", attendees=10)
    second = book(engine, datetime.combine(today, time(13)), 3, "午後の会", attendees=15)
    return first, second


# ----------------------------------------------------------------------------- flow 5: check in and out


def test_flow5_check_in_and_out_with_the_head_count_by_keys(qtbot, ctx, engine, two_today, prompts, errors):
    first, second = two_today
    page = shown(qtbot, TodayListPage(ctx))
    assert page.model.rowCount() == 2
    kw.tab_to(page.table)
    assert page.selected() is None  # Tab into the list selected nothing
    kw.press(Key.Key_Down)
    assert selected_id(page) == first  # the first ↓ selects the first row, not the second
    kw.press(Key.Key_Down)
    assert selected_id(page) == second

    kw.press(Key.Key_F2)  # チェックイン
    assert errors == [] and status_of(engine, second) == ("in_use", None)
    assert status_of(engine, first) == ("confirmed", None)
    assert selected_id(page) == second  # the list was read again; the row stays selected

    prompts.answer_number(12)
    kw.press(Key.Key_F3)  # 利用済（人数入力）
    (asked,) = prompts.of("ask_number")
    assert asked.title == "利用済（人数入力）" and "午後の会" in asked.text
    assert errors == [] and status_of(engine, second) == ("completed", 12)
    assert kw.focused() is page.table  # the keyboard is still in the list for the next booking


def test_f_keys_are_on_the_buttons_and_only_where_they_may_act(qtbot, ctx, engine, two_today, errors):
    first, _second = two_today
    page = shown(qtbot, TodayListPage(ctx))
    assert page.check_in_button.text() == "チェックイン (F2)"
    assert page.check_out_button.text() == "利用済（人数入力） (F3)"
    assert page.pay_button.text() == "支払… (F4)"
    assert page.slip_button.text() == "利用票印刷 (F6)"
    assert page.open_button.text() == "開く (Enter)"
    assert "キー：F2" in page.check_in_button.toolTip()
    keys = {a.shortcut().toString(): a.property("keysheet_section") for a in keyed_actions(page)
            if a.parent() in (page, page.table)}
    assert keys == {"F2": "本日の予約", "F3": "本日の予約", "F4": "本日の予約", "F6": "本日の予約",
                    "F5": "本日の予約", "Enter": "本日の予約"}
    # Nothing selected: F2 does nothing (its button is disabled), and says nothing.
    kw.tab_to(page.table)
    kw.press(Key.Key_F2)
    assert status_of(engine, first) == ("confirmed", None) and errors == []
    # A completed booking cannot be checked in again: F2 follows the button.
    kw.press(Key.Key_Down)
    kw.press(Key.Key_F2)
    assert status_of(engine, first)[0] == "in_use"
    kw.press(Key.Key_F2)
    assert status_of(engine, first)[0] == "in_use" and errors == []


def test_enter_on_the_list_opens_the_selected_booking(qtbot, ctx, engine, two_today, monkeypatch):
    first, second = two_today
    opened: list[int] = []

    def edit(parent, ctx_, booking_id):
        opened.append(booking_id)
        return False

    monkeypatch.setattr(tl.BookingDialog, "edit", staticmethod(edit))
    page = shown(qtbot, TodayListPage(ctx))
    kw.tab_to(page.table)
    kw.press(Key.Key_Return)  # nothing selected: nothing opens
    assert opened == []
    kw.press(Key.Key_Down)
    kw.press(Key.Key_Down)
    kw.press(Key.Key_Return)
    kw.press(Key.Key_Up)
    kw.press(Key.Key_Enter)  # the keypad's Enter too
    assert opened == [second, first]


def test_f5_reads_the_list_again(qtbot, ctx, engine, two_today):
    page = shown(qtbot, TodayListPage(ctx))
    assert page.model.rowCount() == 2
    book(engine, datetime.combine(clock.today(), time(18)), 2, "夜の会")  # made on another terminal
    kw.press(Key.Key_F5)
    assert page.model.rowCount() == 3


# ----------------------------------------------------------------------------- Tab and the selection


def test_tab_into_the_list_never_changes_the_selection(qtbot, ctx, engine, two_today):
    first, second = two_today
    page = shown(qtbot, TodayListPage(ctx))
    kw.tab_to(page.table)
    assert page.selected() is None
    kw.press(Key.Key_Tab)  # on to the buttons
    assert kw.focused() is not page.table and page.selected() is None
    kw.tab_to(page.table, back=True)
    assert page.selected() is None
    kw.press(Key.Key_Down)
    kw.press(Key.Key_Down)
    assert selected_id(page) == second
    # Out of the list both ways and back in: still the second booking, whatever Tab passed.
    kw.press(Key.Key_Tab)
    kw.tab_to(page.table)  # all the way round
    assert selected_id(page) == second
    kw.press(Key.Key_Backtab)
    kw.press(Key.Key_Tab)
    assert kw.focused() is page.table and selected_id(page) == second
    kw.press(Key.Key_Up)
    assert selected_id(page) == first  # the arrows move it, as before


def test_today_tab_walk_has_no_trap_and_reaches_the_buttons(qtbot, ctx, engine, two_today):
    page = shown(qtbot, TodayListPage(ctx))
    kw.tab_to(page.table)
    kw.press(Key.Key_Down)  # a booking selected: its buttons are enabled and on the chain
    chain = kw.tab_chain()
    kw.assert_no_trap(chain, must_reach=[
        page.date_edit, page.table, page.check_in_button, page.check_out_button, page.pay_button,
        page.slip_button, page.open_button, *page.counter_panel.buttons.values(), page.counter_panel.many_spin])
    # In reading order from the list: its buttons, the walk-in counter, then round to the filter bar.
    at = chain.index
    assert at(page.table) == 0
    assert at(page.check_in_button) < at(page.open_button) \
        < at(page.counter_panel.buttons[page.counter_panel.categories[0]]) < at(page.prev_button) \
        < at(page.date_edit) < at(page.unsettled_check)


def test_today_and_search_name_every_control(qtbot, ctx, engine, two_today):
    page = shown(qtbot, TodayListPage(ctx))
    kw.tab_to(page.table)
    kw.press(Key.Key_Down)  # every action enabled that can be
    assert kw.unnamed(page) == []
    assert kw.accessible_name(page.table) == "本日の予約一覧"
    assert kw.accessible_name(page.date_edit) == "表示する日付"
    names = [kw.accessible_name(b) for b in page.counter_panel.buttons.values()]
    assert "来所者を数える：相談（来所）" in names and len(set(names)) == 8
    assert kw.accessible_name(page.counter_panel.many_spin) == "まとめて数える人数"

    search = shown(qtbot, BookingSearchPage(ctx))
    kw.press(Key.Key_Tab)
    kw.press(Key.Key_Space)  # 期間: both date fields enabled
    assert search.range_check.isChecked()
    assert kw.unnamed(search) == []
    assert kw.accessible_name(search.table) == "検索結果"
    assert kw.accessible_name(search.search_edit).startswith("予約の検索")


# ----------------------------------------------------------------------------- 予約検索


def test_search_by_keys_then_check_in_with_the_same_keys(qtbot, ctx, engine, two_today, errors):
    first, _second = two_today
    page = shown(qtbot, BookingSearchPage(ctx))
    assert kw.focused() is page.search_edit
    with read_session(engine) as s:
        number = get_booking(s, first).number
    kw.type_text(number)
    kw.press(Key.Key_Return)  # in the search field Enter searches
    qtbot.waitUntil(lambda: not page.loading, timeout=10_000)
    assert [r.id for r in page.model.rows()] == [first]
    kw.tab_to(page.table)
    assert page.selected() is None
    kw.press(Key.Key_Down)
    assert selected_id(page) == first
    assert page.check_in_button.text() == "チェックイン (F2)"
    kw.press(Key.Key_F2)
    assert errors == [] and status_of(engine, first)[0] == "in_use"
    qtbot.waitUntil(lambda: not page.loading, timeout=10_000)  # searched again on the change
    assert page.model.rows()[0].status_label == "利用中" and selected_id(page) == first
    chain = kw.tab_chain()
    kw.assert_no_trap(chain, must_reach=[page.search_edit, page.table, page.check_out_button, page.pay_button,
                                         page.slip_button, page.open_button])


def test_search_enter_on_the_list_opens_and_focus_search_selects_the_words(qtbot, ctx, engine, two_today,
                                                                          monkeypatch):
    first, _second = two_today
    opened: list[int] = []
    monkeypatch.setattr(tl.BookingDialog, "edit", staticmethod(lambda p, c, bid: opened.append(bid) or False))
    page = shown(qtbot, BookingSearchPage(ctx))
    with read_session(engine) as s:
        number = get_booking(s, first).number
    kw.type_text(number)
    kw.press(Key.Key_Return)
    qtbot.waitUntil(lambda: not page.loading, timeout=10_000)
    assert opened == []  # Enter in the search field searched, it did not open
    kw.tab_to(page.table)
    kw.press(Key.Key_Down)
    kw.press(Key.Key_Return)
    assert opened == [first]
    # Ctrl+F (the main window calls focus_search): back in the field, the words selected, typing replaces.
    page.focus_search()
    assert kw.focused() is page.search_edit and page.search_edit.selectedText() == number
    kw.type_text("0000000")
    assert page.search_edit.text() == "0000000"


def test_focus_first_puts_the_keyboard_in_the_list_without_selecting(qtbot, ctx, engine, two_today):
    page = shown(qtbot, TodayListPage(ctx))
    page.focus_first()  # what the main window's Ctrl+2 calls
    assert QApplication.focusWidget() is page.table and page.selected() is None
