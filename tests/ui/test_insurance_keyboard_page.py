"""保険の画面 by keys (issue 17): every tab's controls named, tables one Tab stop each, no Tab trap; Ctrl+F
puts the keyboard in the list's filter. Keys only, from the moment the page is shown (keyboard_walk)."""

from __future__ import annotations

from datetime import date

import keyboard_walk as kw
import pytest
from PySide6.QtCore import Qt

from booking_app.ui.insurance.insurance_page import InsurancePage

pytestmark = pytest.mark.now(date(2026, 11, 25))


@pytest.fixture
def page(qtbot, ctx):
    w = InsurancePage(ctx)
    qtbot.addWidget(w)
    w.resize(1216, 720)
    with qtbot.waitActive(w):
        w.show()
        w.activateWindow()
    return w


def test_each_tab_is_named_and_tab_comes_round(qtbot, page):
    kw.tab_to(page.tabs.tabBar())
    musts = {
        "list": [page.year_combo, page.filter_edit, page.unpaid_check, page.enrolments_view,
                 page.enrol_group_button],
        "cover": [page.by_group_radio, page.cover_group_edit, page.cover_date, page.check_button, page.cover_view],
        "accidents": [page.new_accident_button, page.open_only_check, page.accidents_view],
        "renewal": [page.renewal_year_combo, page.renewal_view],
    }
    for i, key in enumerate(("list", "cover", "accidents", "renewal")):
        if i:
            kw.tab_to(page.tabs.tabBar())
            kw.press(Qt.Key.Key_Right)
        assert page.tabs.currentIndex() == i
        assert kw.unnamed(page) == [], key
        chain = kw.tab_chain()
        kw.assert_no_trap(chain, must_reach=[page.tabs.tabBar(), *musts[key]])


def test_focus_search_and_the_year_by_its_letter(qtbot, page):
    kw.tab_to(page.tabs.tabBar())
    kw.press(Qt.Key.Key_Right)  # 補償の確認
    page.focus_search()  # the main window's Ctrl+F
    assert page.tabs.currentIndex() == 0 and kw.focused() is page.filter_edit
    kw.press(Qt.Key.Key_Y, Qt.KeyboardModifier.AltModifier)
    assert kw.focused() is page.year_combo
