"""個人情報の匿名化: the confirmation of one group's 匿名化, and the list of groups past the
retention period (保存期間を過ぎた団体) with 匿名化 per row. Every answer comes from services/privacy.py.

Both dialogs open with ``open()`` (window-modal, not blocking), so a test drives them like a person.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from booking_app.domain.errors import DomainError
from booking_app.domain.groups import GROUP_STATUS_LABELS, GroupStatus
from booking_app.services import privacy
from booking_app.ui.context import AppContext
from booking_app.ui.forms import dialog_buttons, reason_edit
from booking_app.ui.keyboard import InputSnapshot, may_discard, shortcut_action, tab_leaves
from booking_app.ui.plain_text import plain_label
from booking_app.ui.table_model import RowsTableModel
from booking_app.ui.widgets import list_table

INVALID_STYLE = "border: 2px solid #c62828;"

EXPLANATION = (
    "団体と関係する人の個人情報を「（匿名化済み）」に置き換え、操作履歴に残っている同じ値も消去します。"
    "元に戻すことはできません。\n"
    "消去するもの：代表者・連絡担当者・電話・メール・住所・活動場所・備考、予約者名と連絡先、"
    "保険の加入者名簿、事故報告の氏名・連絡先・状況、窓口確認のメモ。\n"
    "残すもの：団体名・登録番号・状態と日付・活動分野・会員数、予約の部屋・日時・人数、金額と件数"
    "（統計・会計・保険の集計は変わりません）。領収書の宛名は法令により7年間残ります。"
)


def _status_label(status: str) -> str:
    try:
        return GROUP_STATUS_LABELS.get(GroupStatus(status), status)
    except ValueError:
        return status


class AnonymiseDialog(QDialog):
    """匿名化の確認: what is erased and what is kept, and the reason (required; 「本人の請求」 within the
    retention period)."""

    def __init__(self, ctx: AppContext, group_id: int, title: str, parent: QWidget | None = None, *,
                 reason: str = ""):
        super().__init__(parent)
        self.setObjectName("anonymise_dialog")
        self.ctx = ctx
        self.group_id = group_id
        self.result_value: privacy.AnonymiseResult | None = None
        self.setWindowTitle("個人情報の匿名化")
        lay = QVBoxLayout(self)
        head = plain_label(f"{title}")
        head.setStyleSheet("font-weight: bold; font-size: 12pt;")
        lay.addWidget(head)
        text = plain_label(EXPLANATION)
        text.setWordWrap(True)
        lay.addWidget(text)
        form = QFormLayout()
        self.reason_edit = reason_edit("例：保存期間の経過／本人の請求（記録に残ります）", reason)
        form.addRow("理由(&R) *", self.reason_edit)
        lay.addLayout(form)
        self.ok_button, buttons = dialog_buttons(self, "匿名化する", "apply", self.apply)
        self.ok_button.setStyleSheet("QPushButton#apply { color: #c62828; font-weight: bold; }")
        lay.addWidget(buttons)
        self.resize(560, 260)
        self._snapshot = InputSnapshot(self)  # Esc asks once the reason was changed

    def reject(self) -> None:
        if not may_discard(self, self.ctx.prompts, self._snapshot):
            return
        super().reject()

    def apply(self) -> bool:
        gid, reason, today = self.group_id, self.reason_edit.text(), self.ctx.today
        # The search of the whole trail for the erased values takes ~1–2 s at 200,000 audit rows.
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            self.result_value = self.ctx.write(
                lambda s, a: privacy.anonymise_group(s, a, gid, reason=reason, today=today),
                changes={"group", "audit"})
        except DomainError as exc:
            QApplication.restoreOverrideCursor()
            self.ctx.prompts.show_error(self, exc)
            if exc.field == "reason" or "理由" in exc.message:
                self.reason_edit.setStyleSheet(INVALID_STYLE)
                self.reason_edit.setFocus()
            return False
        except BaseException:
            QApplication.restoreOverrideCursor()
            raise
        QApplication.restoreOverrideCursor()
        self.accept()
        return True

    @classmethod
    def start(cls, parent: QWidget | None, ctx: AppContext, group_id: int, title: str, *,
              reason: str = "") -> AnonymiseDialog:
        """Open the dialog window-modal without blocking; the caller connects ``accepted``."""
        dlg = cls(ctx, group_id, title, parent, reason=reason)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.open()
        return dlg


class DueGroupsModel(RowsTableModel):
    HEADERS = ("登録番号", "団体名", "状態", "理由", "保存期限")
    REG_NO, NAME, STATUS, REASON, DUE = range(5)

    def cell(self, d: privacy.DueGroup, col: int):
        if col == self.REG_NO:
            return d.reg_no or ""
        if col == self.NAME:
            return d.name
        if col == self.STATUS:
            return _status_label(d.status)
        if col == self.REASON:
            return d.reason
        if col == self.DUE:
            return f"{d.due_on:%Y/%m/%d}"
        return None


class DueGroupsDialog(QDialog):
    """保存期間を過ぎた団体: the groups whose personal data is due for erasure, with 匿名化 per row."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("due_groups_dialog")
        self.ctx = ctx
        self.anonymise_dialog: AnonymiseDialog | None = None
        self.setWindowTitle("保存期間を過ぎた団体")
        lay = QVBoxLayout(self)
        self.head = plain_label()
        self.head.setWordWrap(True)
        lay.addWidget(self.head)
        self.model = DueGroupsModel(self)
        self.table = list_table("due_groups")
        self.table.setAccessibleName("保存期間を過ぎた団体の一覧")
        tab_leaves(self.table)
        self.table.setModel(self.model)
        # Enter on a row: its 匿名化 (as a double click), not the dialog's default button.
        shortcut_action(self.table, "選択した団体を匿名化", ("Return", "Enter"), self.anonymise_selected,
                        section="保存期間を過ぎた団体", name="anonymise_row_key",
                        context=Qt.ShortcutContext.WidgetShortcut)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        for col in range(len(DueGroupsModel.HEADERS)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(DueGroupsModel.NAME, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(lambda _i: self.anonymise_selected())
        lay.addWidget(self.table, 1)
        row = QHBoxLayout()
        self.message = plain_label()
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        row.addWidget(self.message, 1)
        self.anonymise_button = QPushButton("選択した団体を匿名化…")
        self.anonymise_button.setObjectName("anonymise")
        self.anonymise_button.clicked.connect(self.anonymise_selected)
        row.addWidget(self.anonymise_button)
        close = QPushButton("閉じる")
        close.setObjectName("close")
        close.clicked.connect(self.accept)
        row.addWidget(close)
        lay.addLayout(row)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.resize(860, 420)
        self.refresh()

    def refresh(self) -> None:
        today = self.ctx.today
        rows, years = self.ctx.read(lambda s: (privacy.groups_due_for_erasure(s, today),
                                               privacy.get_privacy_settings(s).retention_years))
        self.years = years
        self.model.set_rows(rows)
        self.head.setText(f"抹消から、または最後の利用（予約・窓口確認・保険）から{years}年を過ぎた団体です"
                          f"（{len(rows)}団体）。個人情報を匿名化してください。保存期間は設定画面で変えられます。")
        if rows:
            self.table.selectRow(0)
        self._update_buttons()

    def selected(self) -> privacy.DueGroup | None:
        idx = self.table.currentIndex()
        rows = self.model.rows()
        return rows[idx.row()] if idx.isValid() and 0 <= idx.row() < len(rows) else None

    def _update_buttons(self) -> None:
        manager = self.ctx.actor.is_manager
        self.anonymise_button.setEnabled(manager and self.selected() is not None)
        if not manager:
            self.message.setText("匿名化は管理者のみ行えます。")

    def anonymise_selected(self) -> AnonymiseDialog | None:
        d = self.selected()
        if d is None or not self.ctx.actor.is_manager:
            return None
        title = f"{d.reg_no}　{d.name}" if d.reg_no else d.name
        self.anonymise_dialog = AnonymiseDialog.start(self, self.ctx, d.id, title,
                                                      reason=f"保存期間（{self.years}年）の経過")
        self.anonymise_dialog.accepted.connect(lambda: self._done(title))
        return self.anonymise_dialog

    def _done(self, title: str) -> None:
        result = self.anonymise_dialog.result_value if self.anonymise_dialog else None
        self.anonymise_dialog = None
        if result is not None:
            self.message.setText(f"{title}を匿名化しました（項目{result.fields}件、操作履歴{result.redacted_rows}件を消去）。")
        self.refresh()

    @classmethod
    def start(cls, parent: QWidget | None, ctx: AppContext) -> DueGroupsDialog:
        dlg = cls(ctx, parent)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.open()
        return dlg


__all__ = ["AnonymiseDialog", "DueGroupsDialog"]
