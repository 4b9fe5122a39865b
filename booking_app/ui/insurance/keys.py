"""Keys shared by the insurance screens: Tab leaves a date field, an editable roster gives Tab back.

A ``QDateEdit`` walks its year/month/day sections on Tab, so Tab never leaves it from the first section
(the keyboard walk sees a trap); ←/→ move between the sections anyway. :func:`tab_leaves_dates` makes Tab
and Shift+Tab move to the next and previous control instead. (A candidate for ``ui/keyboard.tab_leaves``.)
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QDateTimeEdit, QWidget


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


__all__ = ["tab_leaves_dates"]
