"""Pieces every form dialog lays out the same way (フォームの部品)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QDialog, QHBoxLayout, QPushButton


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


__all__ = ["save_row"]
