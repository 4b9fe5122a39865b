"""Pieces screens lay out the same way (画面の部品): a dialog's buttons and 理由 field, a list's sized table."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QAbstractItemModel
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QTableView

from booking_app.ui.plain_text import plain_label
from booking_app.ui.widgets import list_table


def save_row(dialog: QDialog, text: str, name: str, save: Callable[[], object]) -> tuple[QPushButton, QHBoxLayout]:
    """［text］ and ［キャンセル］ at the right of a row: the save button (object name ``name``) runs ``save``,
    キャンセル closes the dialog unsaved. Neither is the auto-default, so Enter in a field saves nothing."""
    save_button = QPushButton(text)
    save_button.setObjectName(name)
    save_button.clicked.connect(save)
    cancel = QPushButton("キャンセル")
    cancel.setObjectName("cancel")
    cancel.clicked.connect(dialog.reject)
    row = QHBoxLayout()
    row.addStretch(1)
    for button in (save_button, cancel):
        button.setAutoDefault(False)
        row.addWidget(button)
    return save_button, row


def dialog_buttons(dialog: QDialog, text: str, name: str, slot: Callable[[], object]
                   ) -> tuple[QPushButton, QDialogButtonBox]:
    """The platform's ［text］［キャンセル］ box: the accept button (object name ``name``) runs ``slot``,
    キャンセル (``cancel``) closes the dialog unchanged."""
    buttons = QDialogButtonBox()
    accept = buttons.addButton(text, QDialogButtonBox.ButtonRole.AcceptRole)
    accept.setObjectName(name)
    cancel = buttons.addButton("キャンセル", QDialogButtonBox.ButtonRole.RejectRole)
    cancel.setObjectName("cancel")
    accept.clicked.connect(slot)
    cancel.clicked.connect(dialog.reject)
    return accept, buttons


def standard_buttons(dialog: QDialog, accept: QDialogButtonBox.StandardButton, text: str,
                     slot: Callable[[], object]) -> QDialogButtonBox:
    """A standard ``accept`` button renamed ``text`` (it runs ``slot``, which accepts when the form is
    right) and ［キャンセル］, which closes the dialog unchanged."""
    box = QDialogButtonBox(accept | QDialogButtonBox.StandardButton.Cancel)
    box.button(accept).setText(text)
    box.button(QDialogButtonBox.StandardButton.Cancel).setText("キャンセル")
    box.accepted.connect(slot)
    box.rejected.connect(dialog.reject)
    return box


def error_line(name: str) -> QLabel:
    """The red line under a form where the dialog says what to fix (plain text: it may quote input)."""
    label = plain_label()
    label.setObjectName(name)
    label.setStyleSheet("color: #c62828;")
    return label


def reason_edit(placeholder: str, text: str = "") -> QLineEdit:
    """The 理由 field of a recorded change (object name ``reason``)."""
    edit = QLineEdit(text)
    edit.setObjectName("reason")
    edit.setPlaceholderText(placeholder)
    return edit


def sized_table(name: str, model: QAbstractItemModel, widths: Sequence[int]) -> QTableView:
    """A read-only list (ui.widgets.list_table) showing ``model``, its columns ``widths`` px wide, the last
    one taking what is left."""
    view = list_table(name)
    view.setModel(model)
    for col, width in enumerate(widths):
        view.setColumnWidth(col, width)
    view.horizontalHeader().setStretchLastSection(True)
    return view


__all__ = ["dialog_buttons", "error_line", "reason_edit", "save_row", "sized_table", "standard_buttons"]
