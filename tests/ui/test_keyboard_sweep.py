"""Every page of the main window, reached by its key: Tab goes round the whole window (no trap) through the
page's buttons, and every control Tab can reach has a name a screen reader can say.

The pages' own keyboard tests (test_*_keyboard*.py) drive the flows; this sweep holds the two rules for
every page at once, so a new button or table that forgets them fails here.
"""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QTabWidget

import keyboard_walk as kw

pytestmark = pytest.mark.now(dt.date(2026, 11, 25))


def _buttons(page) -> list:
    """The page's enabled, shown push buttons (what a clerk must reach by Tab)."""
    return [b for b in page.findChildren(QAbstractButton)
            if b.isVisible() and b.isEnabled() and b.focusPolicy() & Qt.FocusPolicy.TabFocus]


def _tabs(page):
    """Each tab of the page (the page itself when it has no tabs), shown in turn."""
    tabs = [t for t in page.findChildren(QTabWidget) if t.isVisible()]
    if isinstance(page, QTabWidget):
        tabs.insert(0, page)
    if not tabs:
        yield page.objectName() or type(page).__name__
        return
    outer = tabs[0]
    for i in range(outer.count()):
        outer.setCurrentIndex(i)
        yield f"{outer.objectName() or type(page).__name__}:{outer.tabText(i)}"


@pytest.mark.parametrize("index", range(1, 11))
def test_each_page_has_no_tab_trap_and_names_every_control(window, qtbot, index):
    key = window.PAGES[index - 1]
    kw.press(str(index % 10), Qt.KeyboardModifier.ControlModifier)  # the 10th page (抽選) is Ctrl+0
    assert window.current_page_key() == key
    page = window.pages[key]
    for tab in _tabs(page):
        qtbot.wait(30)  # lists load in the background; the buttons they enable come after
        missing = kw.unnamed(page)
        assert not missing, f"{key} {tab}: controls without an accessible name: {missing}"
        chain = kw.tab_chain(limit=250)
        kw.assert_no_trap(chain, must_reach=_buttons(page))


def test_the_window_chrome_is_named(window):
    missing = [m for m in kw.unnamed(window) if "navigation" in m or "QStatusBar" in m or "QToolButton" in m]
    assert not missing, missing
