"""The printing-machine log (印刷機の記録): who used the risograph, masters, sheets, paper, and the fee.

The fee shown is the fee schedule's (製版 per master + 印刷 per sheet, paper brought or bought); the
service computes the charge itself, so what is shown here is only a preview for the user.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from booking_app.domain.fees import FeeSchedule
from booking_app.ui.context import AppContext
from booking_app.ui.dialog_keys import form_keys
from booking_app.ui.plain_text import plain_label
from booking_app.ui.widgets import run_modal
from booking_app.services import fees as fee_svc
from booking_app.services import payments as pay_svc

MASTER_ITEM = "印刷機 製版"
SHEET_ITEMS = {"brought": "印刷機 印刷（用紙持込）", "bought": "印刷機 印刷（用紙込）"}


def current_schedule(ctx: AppContext) -> FeeSchedule:
    """The fee tables in force (stored over the shipped defaults)."""
    return ctx.read(fee_svc.get_fees)


def printing_fee(schedule: FeeSchedule, masters: int, sheets: int, paper: str) -> int:
    master = schedule.items.get(MASTER_ITEM)
    sheet = schedule.items.get(SHEET_ITEMS.get(paper, SHEET_ITEMS["brought"]))
    return masters * (master.price if master else 0) + sheets * (sheet.price if sheet else 0)


class PrintingLogDialog(QDialog):
    """印刷機の記録: a use of the printing machine; saving it makes an open charge to be paid."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *, user_name: str = "",
                 group_id: int | None = None):
        super().__init__(parent)
        self.setObjectName("printing_log_dialog")
        self.setWindowTitle("印刷機の記録")
        self.ctx = ctx
        self.group_id = group_id
        self.result_value = None
        self.schedule = current_schedule(ctx)

        self.user_edit = QLineEdit(user_name)
        self.user_edit.setObjectName("user_name")
        self.user_edit.setMaxLength(200)  # never longer than the column's String(n), which PostgreSQL enforces
        self.user_edit.setPlaceholderText("団体名または氏名")
        self.masters_spin = QSpinBox()
        self.masters_spin.setObjectName("masters")
        self.masters_spin.setRange(0, 999)
        self.masters_spin.setSuffix(" 枚")
        self.sheets_spin = QSpinBox()
        self.sheets_spin.setObjectName("sheets")
        self.sheets_spin.setRange(0, 99_999)
        self.sheets_spin.setSuffix(" 枚")
        self.brought_radio = QRadioButton("持込")
        self.brought_radio.setObjectName("paper_brought")
        self.bought_radio = QRadioButton("購入（用紙込）")
        self.bought_radio.setObjectName("paper_bought")
        self.brought_radio.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.brought_radio)
        group.addButton(self.bought_radio)
        paper_row = QHBoxLayout()
        paper_row.addWidget(self.brought_radio)
        paper_row.addWidget(self.bought_radio)
        paper_row.addStretch(1)
        self.fee_label = plain_label()
        self.fee_label.setObjectName("fee_label")
        f = self.fee_label.font()
        f.setBold(True)
        self.fee_label.setFont(f)

        form = QFormLayout()
        form.addRow("利用者(&U)", self.user_edit)
        form.addRow("製版（マスター）(&M)", self.masters_spin)
        form.addRow("印刷枚数(&N)", self.sheets_spin)
        form.addRow("用紙", paper_row)
        form.addRow("料金", self.fee_label)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("記録")
        self.ok_button.setObjectName("save_button")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("キャンセル")
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.buttons)

        for spin in (self.masters_spin, self.sheets_spin):
            spin.valueChanged.connect(lambda _v: self._update_fee())
        self.brought_radio.toggled.connect(lambda _on: self._update_fee())
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self._update_fee()
        # Enter/Ctrl+S 記録, Esc asks before dropping typed counts (a name passed in is not 'typed').
        self.keys = form_keys(self, self.ok_button, section="印刷機の記録")

    def reject(self) -> None:
        if not self.keys.may_close(self.ctx.prompts):
            return
        super().reject()

    def paper(self) -> str:
        return "bought" if self.bought_radio.isChecked() else "brought"

    def fee(self) -> int:
        return printing_fee(self.schedule, self.masters_spin.value(), self.sheets_spin.value(), self.paper())

    def _update_fee(self) -> None:
        self.fee_label.setText(f"¥{self.fee():,}")

    def save(self) -> bool:
        name = self.user_edit.text().strip()
        masters, sheets, paper, group_id = self.masters_spin.value(), self.sheets_spin.value(), self.paper(), \
            self.group_id

        def write() -> None:
            self.result_value = self.ctx.write(
                lambda s, a: pay_svc.log_printing(s, a, user_name=name, group_id=group_id, masters=masters,
                                                  sheets=sheets, paper=paper),
                changes={"charge", "printing"})

        if not self.ctx.prompts.attempt(self, write):
            return False
        self.accept()
        return True

    @classmethod
    def record(cls, parent: QWidget | None, ctx: AppContext, *, user_name: str = "",
               group_id: int | None = None):
        """Open the dialog; the service's result (the log or its charge) or None when cancelled."""
        return run_modal(parent, ctx.prompts, lambda: cls(ctx, parent, user_name=user_name, group_id=group_id),
                         lambda dlg, accepted: dlg.result_value if accepted else None, refused=None)


__all__ = ["PrintingLogDialog", "printing_fee", "current_schedule"]
