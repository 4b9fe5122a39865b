"""The old booking ledger into the app from the UI (予約台帳の取込), for managers.

Like the group register's import (``group_io_dialog``) it always shows a preview first: the service
reads and judges the whole file without writing (``import_bookings(..., dry_run=True)``) and the dialog
shows what would be imported, every error with its row and column (then nothing can be imported: all
rows or none) and the notices. Only 取込 writes, as one unit of work through ``ctx.write``.

Rows from today on that break a rule (closed day, opening hours, booking window) are errors unless the
manager writes a reason in 「規則外の理由」 and checks the file again with it (issue 13): the reason is
then recorded on each such booking, as a rule override at the desk is. 取込 imports with the reason the
preview was made with, so what is written is what was shown. The service checks that the staff member
on duty is a manager; the dialog merely says so early.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from booking_app import clock
from booking_app.domain.errors import DomainError, PermissionDenied
from booking_app.services.common import require_manager
from booking_app.services.imports import OVERRIDE_REASON_MAX, ImportReport, import_bookings
from booking_app.ui.context import AppContext
from booking_app.ui.errors import show_error
from booking_app.ui.group_io_dialog import ERROR_COLOR, WARNING_BG, WARNING_COLOR, IssueModel, _start_dir, _table, info

IMPORT_WHAT = "予約台帳の取込"
OPEN_FILTER = "Excel・CSV (*.xlsx *.csv)"
MANAGER_ONLY_TEXT = "予約台帳の取込は管理者のみ行えます。管理者に依頼してください。"
BLOCKED_TEXT = "誤りがあるため取り込めません。ファイルを直すか、これからの日付の規則外の行なら理由を書いて確かめ直してください。"
REASON_HINT = ("今日以降の日付で、休館日・開館時間外・予約受付期間外の行を規則外として取り込むときだけ書きます。"
               "理由は各予約に記録されます。")


def _choose_open_file(parent: QWidget | None) -> str | None:
    path, _ = QFileDialog.getOpenFileName(parent, "取り込む予約台帳を選ぶ", _start_dir(), OPEN_FILTER)
    return path or None


class LedgerImportDialog(QDialog):
    """Preview and import of the booking ledger, with the manager's reason for rule overrides."""

    def __init__(self, ctx: AppContext, path: str | Path, *,
                 choose_file: Callable[[QWidget], str | None] | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.path = Path(path)
        self._choose_file = choose_file or _choose_open_file
        self.report: ImportReport | None = None
        self.checked_reason = ""  # the reason the shown preview was made with
        self.imported: ImportReport | None = None
        self.setWindowTitle("予約台帳の取込")
        self.resize(1040, 640)
        self._build()
        ctx.actor_changed.connect(self._update_buttons)
        self.preview()

    # ---------------------------------------------------------------- construction

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        top = QHBoxLayout()
        self.file_label = QLabel()
        self.file_label.setObjectName("file_label")
        self.file_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        top.addWidget(self.file_label, 1)
        self.choose_button = QPushButton("別のファイルを選ぶ…")
        self.choose_button.setObjectName("choose_file")
        self.choose_button.clicked.connect(self._choose_again)
        top.addWidget(self.choose_button)
        outer.addLayout(top)

        self.counts_label = QLabel()
        self.counts_label.setObjectName("counts_label")
        f = QFont(self.counts_label.font())
        f.setPointSize(f.pointSize() + 4)
        f.setBold(True)
        self.counts_label.setFont(f)
        outer.addWidget(self.counts_label)
        self.note_label = QLabel()
        self.note_label.setObjectName("note_label")
        self.note_label.setWordWrap(True)
        outer.addWidget(self.note_label)

        self.blocked_label = QLabel(BLOCKED_TEXT)
        self.blocked_label.setObjectName("blocked_label")
        self.blocked_label.setWordWrap(True)
        self.blocked_label.setStyleSheet(
            f"QLabel {{ color: {ERROR_COLOR.name()}; font-weight: bold; background: #fdecea;"
            " border: 1px solid #e6a9a4; border-radius: 4px; padding: 6px; }")
        outer.addWidget(self.blocked_label)

        reason_row = QHBoxLayout()
        reason_row.addWidget(QLabel("規則外の理由（管理者）："))
        self.reason_edit = QLineEdit()
        self.reason_edit.setObjectName("override_reason")
        self.reason_edit.setMaxLength(OVERRIDE_REASON_MAX)
        self.reason_edit.setPlaceholderText("例：市の依頼による臨時開館（空欄なら規則に合わない行はエラー）")
        self.reason_edit.setToolTip(REASON_HINT)
        self.reason_edit.textChanged.connect(self._update_buttons)
        self.reason_edit.returnPressed.connect(self.recheck)
        reason_row.addWidget(self.reason_edit, 1)
        self.recheck_button = QPushButton("この理由で確かめ直す")
        self.recheck_button.setObjectName("recheck")
        self.recheck_button.clicked.connect(self.recheck)
        reason_row.addWidget(self.recheck_button)
        outer.addLayout(reason_row)
        self.reason_hint = QLabel(REASON_HINT)
        self.reason_hint.setWordWrap(True)
        self.reason_hint.setStyleSheet("color: #616161;")
        outer.addWidget(self.reason_hint)

        self.error_model = IssueModel(ERROR_COLOR, "理由", self)
        self.warning_model = IssueModel(WARNING_COLOR, "注意", self)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.error_box, self.error_title, self.error_view = self._section(self.error_model, "error_table")
        self.warning_box, self.warning_title, self.warning_view = self._section(self.warning_model, "warning_table")
        self.error_title.setStyleSheet(f"QLabel {{ color: {ERROR_COLOR.name()}; font-weight: bold; }}")
        self.warning_title.setStyleSheet(
            f"QLabel {{ color: {WARNING_COLOR.name()}; font-weight: bold; background: {WARNING_BG.name()};"
            " padding: 3px 6px; border-radius: 3px; }")
        self.splitter.addWidget(self.error_box)
        self.splitter.addWidget(self.warning_box)
        outer.addWidget(self.splitter, 1)

        bottom = QHBoxLayout()
        self.permission_label = QLabel(MANAGER_ONLY_TEXT)
        self.permission_label.setObjectName("permission_label")
        self.permission_label.setStyleSheet(f"color: {ERROR_COLOR.name()};")
        bottom.addWidget(self.permission_label, 1)
        self.buttons = QDialogButtonBox()
        self.import_button = self.buttons.addButton("取込", QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setObjectName("import_button")
        self.cancel_button = self.buttons.addButton("キャンセル", QDialogButtonBox.ButtonRole.RejectRole)
        self.import_button.clicked.connect(self.run_import)
        self.cancel_button.clicked.connect(self.reject)
        bottom.addWidget(self.buttons)
        outer.addLayout(bottom)

    def _section(self, model: IssueModel, name: str):
        box = QWidget()
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 4, 0, 0)
        title = QLabel()
        title.setObjectName(name + "_title")
        lay.addWidget(title)
        view = _table(model, name, model.columnCount() - 1)
        lay.addWidget(view, 1)
        return box, title, view

    # ---------------------------------------------------------------- the preview

    def reason(self) -> str:
        return " ".join(self.reason_edit.text().split())

    def recheck(self) -> None:
        self.preview()

    def preview(self) -> bool:
        """Judge the file (with the reason as typed) without writing; False when it cannot be read."""
        ctx, path, now, reason = self.ctx, self.path, clock.now(), self.reason()

        def dry_run(s: Session) -> ImportReport:
            return import_bookings(s, ctx.actor, path, dry_run=True, now=now, override_reason=reason)

        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        failure: DomainError | None = None
        try:
            report = ctx.read(dry_run)
        except DomainError as exc:
            report, failure = None, exc
        finally:
            QApplication.restoreOverrideCursor()
        self.report, self.checked_reason = report, reason
        self._show(report, failure)
        return report is not None

    def _show(self, report: ImportReport | None, failure: DomainError | None) -> None:
        if report is None:
            self.file_label.setText(f"ファイル：{self.path.name}")
            self.counts_label.setText("読み込めませんでした")
            self.counts_label.setStyleSheet(f"color: {ERROR_COLOR.name()};")
            self.note_label.setText(failure.message if failure else "")
            self.error_model.set_rows([])
            self.warning_model.set_rows([])
            self.blocked_label.setVisible(not isinstance(failure, PermissionDenied))
            self.error_box.setVisible(False)
            self.warning_box.setVisible(False)
            self._update_buttons()
            return
        self.file_label.setText(f"ファイル：{Path(report.path).name}（{report.file_kind}）　データ {report.rows}行")
        self.file_label.setToolTip(str(report.path))
        self.error_model.set_rows(report.errors)
        self.warning_model.set_rows(report.warnings)
        if report.errors:
            self.counts_label.setText(f"誤り {len(report.errors)}件")
            self.counts_label.setStyleSheet(f"color: {ERROR_COLOR.name()};")
            notes = ["全部の行を取り込むか、何も取り込まないかのどちらかです。下の誤りを直してください。"]
            if report.rule_errors:
                notes.append(f"うち{report.rule_errors}件は、これからの日付で規則に合わない行です。規則外として取り込むなら、"
                             "「規則外の理由」を書いて「この理由で確かめ直す」を押してください。")
        else:
            self.counts_label.setText(f"予約 {report.bookings}件を取り込めます")
            self.counts_label.setStyleSheet("")
            notes = [line.strip() for line in report.result_lines()[1:]]
            notes.append("まだ取り込んでいません。内容を確かめて「取込」を押してください。")
        self.note_label.setText("\n".join(notes))
        self.blocked_label.setVisible(bool(report.errors))
        self.error_title.setText(f"誤り（{len(report.errors)}件）")
        self.warning_title.setText(f"注意（{len(report.warnings)}件）：取り込めますが、台帳の書き方を確かめてください。")
        self.error_box.setVisible(bool(report.errors))
        self.warning_box.setVisible(bool(report.warnings))
        self._update_buttons()

    def can_import(self) -> bool:
        return (self.report is not None and self.report.ok and self.ctx.actor.is_manager
                and self.reason() == self.checked_reason)  # a changed reason is checked again first

    def _update_buttons(self, *_) -> None:
        manager = self.ctx.actor.is_manager
        self.import_button.setEnabled(self.can_import())
        self.permission_label.setVisible(not manager)
        self.reason_edit.setEnabled(manager)
        self.recheck_button.setEnabled(manager and self.reason() != self.checked_reason)
        if self.can_import():
            self.import_button.setDefault(True)
        elif self.recheck_button.isEnabled():
            self.recheck_button.setDefault(True)
        else:
            self.cancel_button.setDefault(True)

    def _choose_again(self) -> None:
        chosen = self._choose_file(self)
        if chosen:
            self.path = Path(chosen)
            self.preview()

    # ---------------------------------------------------------------- the import

    def run_import(self) -> None:
        if not self.can_import():
            return
        path, now, reason = self.path, clock.now(), self.checked_reason
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            report = self.ctx.write(
                lambda s, a: import_bookings(s, a, path, dry_run=False, now=now, override_reason=reason),
                changes={"booking", "group"})
        except DomainError as exc:
            QApplication.restoreOverrideCursor()
            show_error(self, exc)
            return
        QApplication.restoreOverrideCursor()
        if not report.written:
            # The file or the bookings changed since the preview: show the new verdict instead.
            self.report = report
            self._show(report, None)
            return
        self.imported = report
        text = "予約台帳を取り込みました。\n" + "\n".join(report.result_lines())
        info(self, "予約台帳の取込", text)
        self.accept()

    # ---------------------------------------------------------------- entry point

    @classmethod
    def run(cls, parent: QWidget | None, ctx: AppContext, path: str | Path | None = None) -> bool:
        """Pick a file (unless ``path`` is given), preview it, and import on 取込; True when written."""
        try:
            require_manager(ctx.actor, IMPORT_WHAT)
        except PermissionDenied as exc:
            show_error(parent, exc)
            return False
        if path is None:
            path = _choose_open_file(parent)
            if not path:
                return False
        dlg = cls(ctx, path, parent=parent)
        try:
            return dlg.exec() == QDialog.DialogCode.Accepted and dlg.imported is not None
        finally:
            dlg.deleteLater()


__all__ = ["LedgerImportDialog"]
