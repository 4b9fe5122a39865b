"""Keys shared by the insurance screens: Tab leaves a date field, an editable roster gives Tab back.

A ``QDateEdit`` walks its year/month/day sections on Tab, so Tab never leaves it from the first section
(the keyboard walk sees a trap); ←/→ move between the sections anyway. :func:`tab_leaves_dates` makes Tab
and Shift+Tab move to the next and previous control instead. (A candidate for ``ui/keyboard.tab_leaves``.)
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox, QDateTimeEdit, QWidget


class _DateTabLeaves(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt naming)
        if (event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) and isinstance(watched, QWidget)
                and event.key() in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab)):
            forward = event.key() == Qt.Key.Key_Tab and not (event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            # The window's chain, as Tab on any other field would move.
            nxt = watched.nextInFocusChain() if forward else watched.previousInFocusChain()
            while nxt is not None and nxt is not watched:
                if (nxt.isVisible() and nxt.isEnabled() and nxt.focusPolicy() & Qt.FocusPolicy.TabFocus
                        and nxt.focusProxy() is None and nxt.window() is watched.window()
                        and not isinstance(nxt.parentWidget(), (QAbstractSpinBox, QComboBox))):
                    nxt.setFocus(Qt.FocusReason.TabFocusReason if forward else Qt.FocusReason.BacktabFocusReason)
                    return True
                nxt = nxt.nextInFocusChain() if forward else nxt.previousInFocusChain()
        return False


def tab_leaves_dates(root: QWidget) -> None:
    """Tab and Shift+Tab leave every date (and date-time) field under ``root``."""
    keeper = _DateTabLeaves(root)
    for w in root.findChildren(QDateTimeEdit):
        w.installEventFilter(keeper)


class _PickerEnter(QObject):
    def __init__(self, picker: QWidget):
        super().__init__(picker)
        self._picker = picker

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt naming)
        if (event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent)
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)):
            self._picker.pick_first()  # type: ignore[attr-defined]
            return True
        return False


def enter_picks_only(picker: QWidget) -> None:
    """Enter in a GroupPicker's search field picks the first group found and stops there: it does not go
    on to the dialog's default button (saving a form whose group was only just chosen). Install after the
    picker is built (filters run newest first)."""
    picker.edit.installEventFilter(_PickerEnter(picker))  # type: ignore[attr-defined]





class _EnterDoes(QObject):
    def __init__(self, widget: QWidget, action):
        super().__init__(widget)
        self._action = action

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt naming)
        if (event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent)
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.modifiers()
                and QApplication.focusWidget() is watched):  # not an Enter passed up from a cell editor
            self._action()
            return True
        return False


def enter_does(widget: QWidget, action) -> None:
    """Enter on ``widget`` (a list in a dialog) runs ``action`` and goes no further: not on to the dialog's
    default button. A cell editor open in a table takes its own Enter first, as always."""
    widget.installEventFilter(_EnterDoes(widget, action))


__all__ = ["enter_does", "enter_picks_only", "tab_leaves_dates"]
