"""The barcode/QR scanner filter: a fast burst ending in Enter is a scan, a person typing is not.

Keys are sent to the window (``QWindow``), the way real keyboards and scanners deliver them; the clock
is a fake one moved by the test, so fast and slow typing are exact and no test sleeps.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication, QLineEdit, QVBoxLayout, QWidget

from booking_app.services.groups import CARD_PREFIX
from booking_app.ui.scanner import GROUP_PREFIX, ScannerFilter, install_scanner, parse_code

SCANNER_GAP = 0.008  # a USB scanner: a few ms per key
PERSON_GAP = 0.180  # a quick typist still needs well over 50 ms per key


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def scanner(qapp, clock):
    filt = ScannerFilter(qapp, clock=clock)
    qapp.installEventFilter(filt)
    yield filt
    qapp.removeEventFilter(filt)
    filt.flush()
    filt.deleteLater()


@pytest.fixture
def form(qtbot):
    """A window with two line edits, the first focused, as at the desk."""
    window = QWidget()
    layout = QVBoxLayout(window)
    first, second = QLineEdit(), QLineEdit()
    layout.addWidget(first)
    layout.addWidget(second)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    first.setFocus()
    qtbot.waitUntil(first.hasFocus)
    return window, first, second


def type_keys(qtbot, window: QWidget, clock: FakeClock, text: str, gap: float, *, enter: bool = True) -> None:
    """Type text into the window like a keyboard, gap seconds apart (on the fake clock)."""
    handle = window.windowHandle()
    for ch in text:
        clock.now += gap
        qtbot.keyClick(handle, ch)
    if enter:
        clock.now += gap
        qtbot.keyClick(handle, Qt.Key.Key_Return)


def test_prefix_matches_the_card_service():
    assert GROUP_PREFIX == CARD_PREFIX


def test_fast_card_scan_emits_group_and_leaves_the_field_empty(qtbot, scanner, clock, form):
    window, line, _ = form
    groups, bookings = [], []
    scanner.bookingScanned.connect(bookings.append)
    with qtbot.waitSignal(scanner.groupScanned, timeout=2000) as blocker:
        type_keys(qtbot, window, clock, "FKG:0012", SCANNER_GAP)
    assert blocker.args == ["0012"]
    assert line.text() == ""
    assert scanner.pending == ""
    # What the person types next goes into the field as usual.
    type_keys(qtbot, window, clock, "abc", PERSON_GAP, enter=False)
    assert line.text() == "abc"
    assert bookings == [] and groups == []


def test_slow_typing_of_the_same_text_goes_into_the_field(qtbot, scanner, clock, form):
    window, line, _ = form
    seen: list = []
    scanner.groupScanned.connect(seen.append)
    scanner.bookingScanned.connect(seen.append)
    type_keys(qtbot, window, clock, "FKG:0012", PERSON_GAP)
    assert line.text() == "FKG:0012"
    assert scanner.pending == ""
    qtbot.wait(20)  # let a wrongly queued emission run, so the assertion below can fail
    assert seen == []


def test_booking_slip_scan_emits_booking_id(qtbot, scanner, clock, form):
    window, line, _ = form
    with qtbot.waitSignal(scanner.bookingScanned, timeout=2000) as blocker:
        type_keys(qtbot, window, clock, "FKB:123", SCANNER_GAP)
    assert blocker.args == [123]
    assert line.text() == ""


def test_held_first_key_reaches_the_field_when_no_scan_follows(qtbot, scanner, clock, form):
    """A person types 'F' and stops: it is held only until the scanner's time is up."""
    window, line, _ = form
    type_keys(qtbot, window, clock, "F", PERSON_GAP, enter=False)
    assert scanner.pending == "F"  # possibly the start of a scan …
    clock.now += PERSON_GAP  # … but nothing came in time
    qtbot.waitUntil(lambda: line.text() == "F", timeout=2000)
    assert scanner.pending == ""


def test_a_fast_burst_that_is_not_a_code_is_typed_in_order(qtbot, scanner, clock, form):
    window, line, _ = form
    seen: list = []
    scanner.groupScanned.connect(seen.append)
    type_keys(qtbot, window, clock, "FKX1", SCANNER_GAP, enter=False)
    assert line.text() == "FKX1"
    type_keys(qtbot, window, clock, "FKG:", SCANNER_GAP)  # prefix without a number is no code
    assert line.text() == "FKX1FKG:"
    qtbot.wait(20)
    assert seen == []


def test_scan_lands_in_no_field_even_after_focus_moves(qtbot, scanner, clock, form):
    window, first, second = form
    second.setFocus()
    qtbot.waitUntil(second.hasFocus)
    with qtbot.waitSignal(scanner.groupScanned, timeout=2000) as blocker:
        # Caps Lock on: the scanner's letters arrive in lower case.
        type_keys(qtbot, window, clock, "fkg:r0007", SCANNER_GAP)
    assert blocker.args == ["R0007"]
    assert first.text() == second.text() == ""


def test_ime_commit_of_a_full_width_code_is_recognised(qtbot, scanner, form):
    _window, line, _ = form
    event = QInputMethodEvent()
    event.setCommitString("ＦＫＧ：００１２")
    with qtbot.waitSignal(scanner.groupScanned, timeout=2000) as blocker:
        QApplication.sendEvent(line, event)
    assert blocker.args == ["0012"]
    assert line.text() == ""
    # Ordinary Japanese input is untouched.
    event = QInputMethodEvent()
    event.setCommitString("ふくふく")
    QApplication.sendEvent(line, event)
    assert line.text() == "ふくふく"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("FKG:0012", ("group", "0012")),
        ("FKG+0012", ("group", "0012")),  # US-keyboard scanner on a JIS layout PC
        ("fkg:r0001", ("group", "R0001")),
        ("ＦＫＢ：４５", ("booking", "45")),
        ("FKB:12A", None),
        ("FKG:", None),
        ("FKX:1", None),
        ("0012", None),
    ],
)
def test_parse_code(text, expected):
    assert parse_code(text) == expected


def test_install_scanner_installs_once(qapp):
    first = install_scanner(qapp)
    try:
        assert install_scanner(qapp) is first
        assert isinstance(first, ScannerFilter)
    finally:
        qapp.removeEventFilter(first)
        first.setParent(None)
        first.deleteLater()
