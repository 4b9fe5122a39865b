"""The counter's keys (キー操作): shortcuts as named actions, Tab that leaves tables and notes, Esc that asks.

A clerk works with one hand on the keyboard and the other on the phone or the scanner, so every verb the
desk uses all day has a key, and the key is *visible*: on the button, in its tooltip, in the menus and in
Help → キー操作一覧 (:mod:`booking_app.ui.key_sheet`), which is generated from the actions made here. A key
is therefore never wired with a bare ``QShortcut`` or a ``keyPressEvent`` branch a user cannot discover:

    self.check_in_button = action_button("チェックイン", "check_in_button", self.check_in)
    bind_key(self, self.check_in_button, "F2", section="本日の予約")

The action belongs to the page (``WidgetWithChildrenShortcut``): F2 checks in on 本日の予約 and does
nothing on 団体. It presses the button, so a disabled button (nothing selected, a role that may not)
also disables its key.

Dialogs that collect typed input close on Esc only after 「入力内容を破棄しますか？」 when something was
typed (:class:`InputSnapshot`); an untouched dialog closes at once, as Esc always did.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDateTimeEdit,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QTextEdit,
    QTimeEdit,
    QWidget,
)

# The property a key's section is kept in; the key sheet groups by it.
SECTION_PROPERTY = "keysheet_section"
GLOBAL_SECTION = "全体"

DISCARD_TITLE = "入力の破棄"
DISCARD_TEXT = "入力内容を破棄しますか？"


def key_text(sequence: str | QKeySequence) -> str:
    """A key as staff read it on a button or in the sheet (``Ctrl+S``, ``F2``, ``Enter``)."""
    seq = QKeySequence(sequence)
    return seq.toString(QKeySequence.SequenceFormat.NativeText)


def shortcut_action(owner: QWidget, text: str,
                    sequence: str | QKeySequence | QKeySequence.StandardKey | Iterable[str],
                    slot: Callable[[], object], *, section: str, name: str = "",
                    context: Qt.ShortcutContext = Qt.ShortcutContext.WidgetWithChildrenShortcut) -> QAction:
    """A named action with a key, added to ``owner`` (so it works where ``owner`` has the focus).

    ``section`` is the heading it is listed under in キー操作一覧 (a page or dialog name, or 全体).
    Several sequences may be given (Enter and Return); the first is the one shown.
    """
    action = QAction(text, owner)
    if name:
        action.setObjectName(name)
    if isinstance(sequence, (str, QKeySequence, QKeySequence.StandardKey)):
        # A standard key is its platform's first binding (Ctrl+S); the others are media keys ("Save").
        sequences = [QKeySequence(sequence)]
    else:
        sequences = [QKeySequence(s) for s in sequence]
    if not sequences or sequences[0].isEmpty():
        raise ValueError(f"no key on this platform for {text!r}: name the key (\"Ctrl+Q\")")
    action.setShortcuts(sequences)
    action.setShortcutContext(context)
    action.setProperty(SECTION_PROPERTY, section)
    action.setToolTip(f"{text}（{key_text(sequences[0])}）")
    action.triggered.connect(lambda _checked=False: slot())
    owner.addAction(action)
    return action


def bind_key(owner: QWidget, button: QAbstractButton,
             sequence: str | QKeySequence | QKeySequence.StandardKey | Iterable[str], *,
             section: str, show_in_text: bool = True) -> QAction:
    """Give ``button`` a key: an action on ``owner`` that clicks the button when it is enabled.

    The key is written on the button (「チェックイン (F2)」) unless ``show_in_text`` is False, and always
    in its tooltip.
    """
    label = button.text().replace("&", "")

    def press() -> None:
        if button.isEnabled() and button.isVisible():
            button.click()

    action = shortcut_action(owner, label, sequence, press, section=section,
                             name=f"{button.objectName()}_key" if button.objectName() else "")
    shown = key_text(action.shortcut())
    if show_in_text:
        button.setText(f"{button.text()} ({shown})")
    tip = button.toolTip()
    button.setToolTip(f"{tip}\nキー：{shown}" if tip else f"キー：{shown}")
    return action


def keyed_actions(root: QObject) -> list[QAction]:
    """Every action under ``root`` that has a key, in creation order (for the key sheet and its tests)."""
    return [a for a in root.findChildren(QAction) if not a.shortcut().isEmpty()]


class _TabLeavesDate(QObject):
    """Tab (Shift+Tab) moves on from a date field instead of stepping through its year, month and day.

    Qt's date field keeps Tab while a later section is left; putting it on its last (first) section just
    before Tab lets Qt's own focus chain move on. The arrows and typing still move between the sections
    (a typed year goes on to the month by itself: 20261201 fills the field).
    """

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt naming
        if event.type() == QEvent.Type.KeyPress and isinstance(obj, QDateTimeEdit):
            key = event.key()  # type: ignore[attr-defined]
            shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)  # type: ignore[attr-defined]
            if key == Qt.Key.Key_Backtab or (key == Qt.Key.Key_Tab and shift):
                obj.setCurrentSectionIndex(0)
            elif key == Qt.Key.Key_Tab:
                obj.setCurrentSectionIndex(obj.sectionCount() - 1)
        return False


class _SelectionStaysOnFocus(QObject):
    """A list entered by the keyboard (Tab, Shift+Tab, a shortcut) keeps its selection as it is.

    Qt makes the first cell *current* when focus arrives in a list with nothing selected, so the first ↓
    then selected the *second* row (and a one-row list could not be selected by ↓ at all). With nothing
    current, the first ↓ selects the first row; nothing is selected by the focus passing through.
    """

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt naming
        if event.type() == QEvent.Type.FocusIn and isinstance(obj, QAbstractItemView) \
                and event.reason() != Qt.FocusReason.MouseFocusReason:  # type: ignore[attr-defined]
            sm = obj.selectionModel()
            if sm is not None and not sm.hasSelection():
                obj.setCurrentIndex(QModelIndex())  # nothing current: focusInEvent then picks nothing either
        return False


def keep_selection_on_focus(view: QAbstractItemView) -> None:
    """See :class:`_SelectionStaysOnFocus` (the filter is the view's child)."""
    view.installEventFilter(_SelectionStaysOnFocus(view))


def tab_leaves(widget: QWidget) -> None:
    """Tab moves on from ``widget`` instead of being typed into it or moving between its parts.

    Tables (``setTabKeyNavigation(False)``: arrows still move between cells), multi-line text
    (``setTabChangesFocus(True)``: a note never needs a tab character) and date fields (Tab does not walk
    their 年・月・日; ``ui.dates.date_edit`` makes every date field so).
    """
    if isinstance(widget, QAbstractItemView):
        widget.setTabKeyNavigation(False)
    elif isinstance(widget, (QTextEdit, QPlainTextEdit)):
        widget.setTabChangesFocus(True)
    elif isinstance(widget, QDateTimeEdit) and widget.findChild(_TabLeavesDate) is None:
        widget.installEventFilter(_TabLeavesDate(widget))


def tab_leaves_dates(root: QWidget) -> None:
    """:func:`tab_leaves` for every date (and date-time) field under ``root`` (those not made by
    ``ui.dates.date_edit``, which does it itself)."""
    for w in root.findChildren(QDateTimeEdit):
        tab_leaves(w)


def free_tab_everywhere(root: QWidget) -> None:
    """:func:`tab_leaves` for every table and multi-line text field under ``root``."""
    for w in root.findChildren(QWidget):
        tab_leaves(w)


# ----------------------------------------------------------------------------- discarding typed input


def _value_of(w: QWidget) -> Any:
    if isinstance(w, QLineEdit):
        return w.text()
    if isinstance(w, (QTextEdit, QPlainTextEdit)):
        return w.toPlainText()
    if isinstance(w, (QCheckBox, QRadioButton)):
        return w.isChecked()
    if isinstance(w, QComboBox):
        return (w.currentIndex(), w.currentText())
    if isinstance(w, (QDateEdit, QTimeEdit, QDateTimeEdit)):
        return w.dateTime().toString(Qt.DateFormat.ISODate)
    if isinstance(w, QAbstractSpinBox):
        return w.text()
    return None


class InputSnapshot:
    """What a dialog's fields held when it was shown, to tell whether staff typed anything since.

    Take it when the dialog is filled (end of ``__init__`` or first show); :meth:`changed` compares every
    line, text, check box, combo box, date and number field under the dialog with it. Fields a dialog
    fills by itself later (a computed total in a read-only field) are skipped: read-only fields do not count.
    """

    def __init__(self, root: QWidget, extra: Callable[[], Any] | None = None):
        self.root = root
        self.extra = extra  # state outside plain fields (an equipment table's rows)
        self.values = self._take()

    def _take(self) -> list[Any]:
        out: list[Any] = []
        for w in self.root.findChildren(QWidget):
            if isinstance(w, QLineEdit) and (w.isReadOnly() or isinstance(w.parent(), (QComboBox, QAbstractSpinBox))):
                continue
            if isinstance(w, (QTextEdit, QPlainTextEdit)) and w.isReadOnly():
                continue
            v = _value_of(w)
            if v is not None:
                out.append((w.objectName(), type(w).__name__, v))
        if self.extra is not None:
            out.append(("extra", self.extra()))
        return out

    def retake(self) -> None:
        """After a save that keeps the dialog open: what is there now is no longer 'typed'."""
        self.values = self._take()

    def changed(self) -> bool:
        return self._take() != self.values


def may_discard(parent: QWidget, prompts: Any, snapshot: InputSnapshot | None) -> bool:
    """True when the dialog may close: nothing typed, or staff chose 「破棄する」."""
    if snapshot is None or not snapshot.changed():
        return True
    return bool(prompts.confirm(parent, DISCARD_TITLE, DISCARD_TEXT, yes="破棄する", no="入力に戻る"))
