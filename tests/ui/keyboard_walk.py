"""Drive the desk with the keyboard alone, as a clerk would, and check what it exposes to assistive software.

The tests of issue 17 use only these: keys go to the widget that has the focus (``QApplication.focusWidget``),
never ``setFocus`` or a mouse click from the test. ``type_text`` types into the focused field.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QAccessible, QKeyEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QApplication, QComboBox, QLabel, QPushButton, QWidget


def focused() -> QWidget | None:
    return QApplication.focusWidget()


def target() -> QWidget:
    """Where a key goes: the focused widget, else the active modal dialog or window."""
    w = QApplication.focusWidget() or QApplication.activeModalWidget() or QApplication.activeWindow()
    assert w is not None, "no widget has the keyboard focus: nothing a clerk types would arrive"
    return w


def press(key: Qt.Key | str, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    """One key to the focused widget (shortcuts included: QTest passes it through the shortcut map)."""
    QTest.keyClick(target(), key, modifier)
    QApplication.processEvents()


def type_text(text: str) -> None:
    """Characters typed into the focused widget (a scanner is a keyboard that types fast and ends with Enter).

    ASCII goes through QTest as key presses; Japanese arrives as the IME commits it, one key event per
    character with its text (QTest only knows the keys of an ASCII keyboard).
    """
    for ch in text:
        if ch.isascii():
            QTest.keyClicks(target(), ch)
        else:
            for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                QApplication.sendEvent(target(), QKeyEvent(kind, Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier, ch))
    QApplication.processEvents()


def default_button(window: QWidget) -> QPushButton | None:
    """The button Enter presses in ``window`` (a dialog's default), or None."""
    return next((b for b in window.findChildren(QPushButton) if b.isDefault() and b.isVisible()), None)


def describe(w: QWidget | None) -> str:
    if w is None:
        return "None"
    name = w.objectName() or "-"
    text = w.text() if isinstance(w, QAbstractButton) else ""
    return f"{type(w).__name__}({name}{', ' + text if text else ''})"


def tab_until(found: Callable[[QWidget], bool], *, limit: int = 80, back: bool = False) -> QWidget:
    """Press Tab (Shift+Tab when ``back``) until ``found(focused widget)``; fail naming the chain walked."""
    walked: list[str] = []
    for _ in range(limit):
        w = focused()
        if w is not None and found(w):
            return w
        walked.append(describe(w))
        press(Qt.Key.Key_Backtab if back else Qt.Key.Key_Tab)
    raise AssertionError("Tab never reached the control; chain: " + " → ".join(walked))


def tab_to(widget: QWidget, *, limit: int = 80, back: bool = False) -> QWidget:
    return tab_until(lambda w: w is widget, limit=limit, back=back)


# Tab presses a widget may keep to itself before it counts as a trap (QDateEdit: year → month → day).
SECTION_STEPS = 4


def tab_chain(*, limit: int = 150) -> list[QWidget]:
    """The widgets Tab visits from the focused one until focus comes back to a widget already visited.

    The result ends where the cycle closes; a chain whose last widget is not the first is a trap (Tab goes
    round a part of the window only).
    """
    seen: list[QWidget] = []
    stay = 0
    start = focused()
    had_default = start is not None and default_button(start.window()) is not None
    for _ in range(limit):
        w = focused()
        if w is None:
            break
        if seen and w is seen[-1] and stay < SECTION_STEPS:
            stay += 1  # a date field: Tab walks its 年・月・日 first, then leaves
            press(Qt.Key.Key_Tab)
            continue
        stay = 0
        if w in seen:
            seen.append(w)  # the widget the cycle closes on
            if had_default and w is start and not isinstance(w, QPushButton):
                # Tab passed every button; Enter in a field must still press the dialog's default one
                # (a default set before its button box was in the dialog is lost once Tab passes a button).
                assert default_button(w.window()) is not None, \
                    f"after Tab went round, Enter in {describe(w)} presses no button (the default is lost)"
            return seen
        seen.append(w)
        press(Qt.Key.Key_Tab)
    raise AssertionError("Tab did not come round in %d steps: %s" % (limit, " → ".join(describe(w) for w in seen[-20:])))


def assert_no_trap(chain: list[QWidget], must_reach: list[QWidget]) -> None:
    """The Tab chain closes on its first widget and passes every widget of ``must_reach``."""
    shown = " → ".join(describe(w) for w in chain)
    assert chain and chain[-1] is chain[0], f"Tab is trapped in a part of the window: {shown}"
    missing = [describe(w) for w in must_reach if w not in chain]
    assert not missing, f"Tab never reaches {missing}: {shown}"


def accessible_name(w: QWidget) -> str:
    """The name a screen reader says for ``w``.

    A combo box's interface answers with its current item when it has no name of its own, so for a combo
    box only its own accessible name or a label that is its buddy counts.
    """
    if isinstance(w, QComboBox) and not w.isEditable():
        if w.accessibleName().strip():
            return w.accessibleName().strip()
        window = w.window()
        for label in window.findChildren(QLabel):
            if label.buddy() is w and label.text().strip():
                return label.text().replace("&", "").strip()
        return ""
    iface = QAccessible.queryAccessibleInterface(w)
    return iface.text(QAccessible.Text.Name).strip() if iface is not None else ""


def focusable(root: QWidget) -> list[QWidget]:
    """Widgets under ``root`` (and root) that Tab can reach now: shown, enabled, taking Tab focus.

    Widgets inside another focusable one that delegate to it (a combo box's line edit, a spin box's) are
    counted as their owner.
    """
    out = []
    for w in [root, *root.findChildren(QWidget)]:
        if not (w.isVisible() and w.isEnabled()):
            continue
        if not (w.focusPolicy() & Qt.FocusPolicy.TabFocus):
            continue
        if w.focusProxy() is not None:
            continue
        parent = w.parentWidget()
        if parent is not None and parent.focusProxy() is w:
            continue  # the owner is counted
        out.append(w)
    return out


def unnamed(root: QWidget) -> list[str]:
    """Focusable controls under ``root`` with no accessible name (what a screen reader would call 'edit')."""
    missing = []
    for w in focusable(root):
        owner = w.parentWidget()
        if owner is not None and owner.focusProxy() is w:
            w = owner
        if not accessible_name(w):
            missing.append(describe(w) + " in " + describe(w.parentWidget()))
    return missing
