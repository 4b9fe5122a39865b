"""Pieces screens lay out the same way (画面の部品): a dialog's buttons and 理由 field, a list's sized table."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QAbstractItemModel
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHBoxLayout, QLineEdit, QPushButton, QTableView

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


__all__ = ["dialog_buttons", "reason_edit", "save_row", "sized_table"]
