"""Choosing the staff member on duty (担当者の選択).

The app asks for a password (ui/login_dialog.LoginDialog) at start and when staff
switch; this chooser without a password is no longer used by the app and is kept for older callers.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from booking_app.domain.roles import role_label
from booking_app.services import centre
from booking_app.services.centre import StaffInfo
from booking_app.services.common import Actor
from booking_app.services.unit_of_work import Engine, read_session
from booking_app.ui.keyboard import tab_leaves


class StaffChooser(QDialog):
    """Pick the staff member on duty (担当者) from the active staff list."""

    def __init__(self, staff: list[StaffInfo], current_id: int | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("担当者の選択"))
        self.setMinimumWidth(340)
        self._staff = staff
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("受付を担当する職員を選んでください。")))
        self.list = QListWidget()
        for s in staff:
            item = QListWidgetItem(f"{s.name}（{role_label(s.role)}）")
            item.setData(Qt.ItemDataRole.UserRole, s.id)
            self.list.addItem(item)
        self.list.setAccessibleName(self.tr("担当者の一覧"))
        tab_leaves(self.list)
        layout.addWidget(self.list)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("この担当者で始める"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("キャンセル"))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setDefault(True)  # Enter on the list starts
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.list.itemDoubleClicked.connect(lambda _item: self.accept())
        self.list.currentRowChanged.connect(self._update_ok)
        row = next((i for i, s in enumerate(staff) if s.id == current_id), 0 if staff else -1)
        self.list.setCurrentRow(row)
        self._update_ok()

    def _update_ok(self, *_args) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(self.list.currentRow() >= 0)

    def selected(self) -> Actor | None:
        row = self.list.currentRow()
        return self._staff[row].as_actor() if 0 <= row < len(self._staff) else None

    @classmethod
    def load_staff(cls, ctx_or_engine) -> tuple[list[StaffInfo], int | None]:
        engine: Engine = ctx_or_engine if isinstance(ctx_or_engine, Engine) else ctx_or_engine.engine
        current = None if isinstance(ctx_or_engine, Engine) else getattr(ctx_or_engine.actor, "id", None)
        with read_session(engine) as session:
            return centre.list_staff(session), current

    @classmethod
    def get(cls, parent: QWidget | None, ctx_or_engine) -> Actor | None:
        """Ask who is on duty; None when the dialog is cancelled."""
        staff, current = cls.load_staff(ctx_or_engine)
        dialog = cls(staff, current, parent)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return dialog.selected()
