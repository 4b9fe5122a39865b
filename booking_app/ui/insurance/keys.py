"""Enter in the insurance screens: it picks a group in a picker, or runs a list's own action, and goes no
further (not on to the dialog's default button). Tab and the other shared keys are ``ui.keyboard``'s."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QWidget


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


__all__ = ["enter_does", "enter_picks_only"]
