"""The main window by keyboard: pages on Ctrl+1…9, Ctrl+F, Ctrl+N, F1 (キー操作一覧), the first focus and the
focus ring. Keys go to the focused widget (tests/ui/keyboard_walk.py); the test never sets the focus."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QApplication

import keyboard_walk as kw
from booking_app import fonts
from booking_app.ui import focus_ring, key_sheet
from booking_app.ui.keyboard import SECTION_PROPERTY, key_text, keyed_actions

pytestmark = pytest.mark.now(dt.date(2026, 11, 25))


@pytest.fixture
def ring():
    """The focus ring as the app installs it, taken away after the test."""
    keeper = focus_ring.install(QApplication.instance())
    yield keeper
    focus_ring.uninstall()


def test_the_keyboard_starts_in_the_calendar(window):
    assert window.current_page_key() == "calendar"
    assert window.pages["calendar"].isAncestorOf(kw.focused())


def test_ctrl_digit_opens_each_page_and_puts_the_keyboard_in_it(window):
    for i, key in enumerate(window.PAGES, start=1):
        kw.press(str(i % 10), Qt.KeyboardModifier.ControlModifier)  # the 10th page is Ctrl+0
        assert window.current_page_key() == key, f"Ctrl+{i % 10}"
        assert window.pages[key].isAncestorOf(kw.focused()), \
            f"Ctrl+{i % 10}: the focus stayed on {kw.describe(kw.focused())}"
    kw.press("1", Qt.KeyboardModifier.ControlModifier)
    assert window.current_page_key() == "calendar"


def test_page_keys_are_in_the_menu_and_say_their_key(window):
    for i, key in enumerate(window.PAGES, start=1):
        action = window.page_actions[key]
        assert key_text(action.shortcut()) == f"Ctrl+{i % 10}"
        assert f"Ctrl+{i % 10}" in action.toolTip()
    menu_texts = [a.text() for a in window.menuBar().actions()]
    assert "移動(&G)" in menu_texts


def test_ctrl_f_goes_to_a_search_field(window):
    kw.press("F", Qt.KeyboardModifier.ControlModifier)
    page = window.stack.currentWidget()
    assert callable(getattr(page, "focus_search", None))
    assert page.isAncestorOf(kw.focused())


def test_ctrl_n_opens_a_new_booking(window, monkeypatch):
    opened = []
    from booking_app.ui import main_window as mw

    monkeypatch.setattr(mw.BookingDialog, "create", classmethod(lambda cls, parent, ctx, **kw_: opened.append(kw_)))
    kw.press("N", Qt.KeyboardModifier.ControlModifier)
    assert opened == [{"day": dt.date(2026, 11, 25)}]


def test_f1_shows_every_key_of_the_window_from_its_actions(window, qtbot, monkeypatch, tmp_path):
    kw.press(Qt.Key.Key_F1)
    sheet = window.findChild(key_sheet.KeySheetDialog)
    assert sheet is not None and sheet.isVisible()
    listed = {(sheet.table.item(r, 0).text(), sheet.table.item(r, 1).text()) for r in range(sheet.table.rowCount())}
    actions = keyed_actions(window)
    assert len(actions) >= 15
    for a in actions:
        if sheet.isAncestorOf(a.parent()) or a.parent() is sheet:
            continue  # the sheet's own 印刷 key, made after it read the window's
        section = a.property(SECTION_PROPERTY)
        assert section, f"{a.text()} has a key but no section"
        assert (section, key_sheet.sheet_key(a)) in listed, a.text()
    assert ("全体", "Ctrl+5") in listed and ("全体", "F1") in listed
    # 印刷 (Ctrl+P in the sheet): a PDF with the same rows, through the preview.
    shown = []
    monkeypatch.setattr(key_sheet, "preview", lambda parent, path: shown.append(path))
    with qtbot.waitActive(sheet):
        sheet.activateWindow()
    kw.press("P", Qt.KeyboardModifier.ControlModifier)
    assert shown and shown[0].read_bytes().startswith(b"%PDF")
    png = tmp_path / "sheet"
    subprocess.run(["pdftotext", str(shown[0]), str(tmp_path / "sheet.txt")], check=True)
    text = (tmp_path / "sheet.txt").read_text()
    assert "キー操作一覧" in text and "Ctrl+2" in text and "本日の予約" in text
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(shown[0]), str(png)], check=True)
    assert list(tmp_path.glob("sheet*.png"))


def test_the_key_sheet_pdf_stays_on_the_page(tmp_path):
    from reportlab.lib.pagesizes import A4

    from booking_app.reports.key_sheet_pdf import write_key_sheet

    drawn = []
    rows = [("全体", f"Ctrl+{i % 10}", "とても長い操作の説明" * 6) for i in range(120)]
    write_key_sheet(tmp_path / "k.pdf", rows, centre="しものせき市民活動センター", record=drawn)
    assert max(d.page for d in drawn) >= 3
    for d in drawn:
        x0, y0, x1, y1 = d.box
        assert 0 <= x0 and x1 <= A4[0] and 0 <= y0 and y1 <= A4[1], d


def test_the_navigation_list_has_a_name(window):
    assert kw.accessible_name(window.nav) == "画面の切り替え"


def test_the_focus_ring_follows_the_keyboard(window, qtbot, tmp_path, ring):
    app = QApplication.instance()
    previous = app.font()
    app.setFont(QFont(fonts.register_qt_fonts(), 10))
    keeper = ring
    try:
        kw.press("3", Qt.KeyboardModifier.ControlModifier)  # 予約検索: its search field
        qtbot.waitUntil(lambda: keeper.ring is not None and keeper.ring.isVisible())
        target = kw.focused()
        ring = keeper.ring
        assert ring.widget() in (target, target.parentWidget())
        qtbot.wait(20)
        image = window.grab().toImage()
        ring_rect = ring.geometry()
        top_left = ring.parentWidget().mapTo(window, ring_rect.topLeft())
        # The ring's colour is painted on its top edge, in the middle.
        mid = top_left.x() + ring_rect.width() // 2
        colours = {QColor(image.pixel(mid, top_left.y() + dy)).name() for dy in range(0, 3)}
        assert focus_ring.FOCUS_COLOR.name() in colours, colours
        image.save(str(Path("/tmp/kb") / "main_window_focus.png") if Path("/tmp/kb").is_dir()
                   else str(tmp_path / "focus.png"))
    finally:
        app.setFont(previous)


@pytest.mark.parametrize("style_name", ["Fusion", "Windows"])
def test_the_focus_ring_shows_in_the_counter_pcs_style(qtbot, style_name, tmp_path, ring):
    """The Windows style (the counter PCs) draws a dotted line inside a focused button; the ring is around it."""
    from PySide6.QtWidgets import QDialog, QHBoxLayout, QLineEdit, QPushButton, QStyleFactory

    keeper = ring
    style = QStyleFactory.create(style_name)
    dlg = QDialog()
    qtbot.addWidget(dlg)
    dlg.setStyle(style)
    row = QHBoxLayout(dlg)
    edit, save = QLineEdit(), QPushButton("保存")
    for w in (edit, save):
        w.setStyle(style)
        row.addWidget(w)
    with qtbot.waitActive(dlg):
        dlg.show()
        dlg.activateWindow()
    edit.setFocus()  # the dialog's own first focus (a dialog gives it to its first field when opened)
    kw.press(Qt.Key.Key_Tab)
    assert kw.focused() is save
    qtbot.waitUntil(lambda: keeper.ring is not None and keeper.ring.widget() is save)
    image = dlg.grab().toImage()
    ring = keeper.ring.geometry()
    colours = {QColor(image.pixel(ring.center().x(), ring.top() + dy)).name() for dy in range(3)}
    assert focus_ring.FOCUS_COLOR.name() in colours, colours
    out = Path("/tmp/kb") if Path("/tmp/kb").is_dir() else tmp_path
    image.save(str(out / f"focus_{style_name}.png"))
