"""The old booking ledger into the app from the UI (予約台帳の取込), for managers.

Like the group register's import (``group_io_dialog``) it always shows a preview first: the service
reads and judges the whole file without writing (``import_bookings_file(..., dry_run=True)``) and the dialog
shows what would be imported, every error with its row and column (then nothing can be imported: all
rows or none) and the notices. Only 取込 writes: the service reads and checks the file again outside any
transaction, then writes in one short unit of work (issue 15), so other terminals never wait for the file.

Rows from today on that break a rule (closed day, opening hours, booking window) are errors unless the
manager writes a reason in 「規則外の理由」 and checks the file again with it (issue 13): the reason is
then recorded on each such booking, as a rule override at the desk is. 取込 imports with the reason the
preview was made with, so what is written is what was shown. The service checks that the staff member
on duty is a manager; the dialog merely says so early.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QSplitter

from booking_app import clock
from booking_app.domain.errors import DomainError
from booking_app.domain.roles import may_override_rules
from booking_app.services.imports import OVERRIDE_REASON_MAX, ImportReport, import_bookings_file
from booking_app.ui.import_preview import ERROR_COLOR, WARNING_COLOR, ImportPreviewDialog, IssueModel

IMPORT_WHAT = "予約台帳の取込"
MANAGER_ONLY_TEXT = "予約台帳の取込は管理者のみ行えます。管理者に依頼してください。"
BLOCKED_TEXT = "誤りがあるため取り込めません。ファイルを直すか、これからの日付の規則外の行なら理由を書いて確かめ直してください。"
REASON_HINT = ("今日以降の日付で、休館日・開館時間外・予約受付期間外の行を規則外として取り込むときだけ書きます。"
               "理由は各予約に記録されます。")


class LedgerImportDialog(ImportPreviewDialog):
    """Preview and import of the booking ledger, with the manager's reason for rule overrides."""

    TITLE = "予約台帳の取込"
    IMPORT_WHAT = IMPORT_WHAT
    CHOOSE_CAPTION = "取り込む予約台帳を選ぶ"
    BLOCKED_TEXT = BLOCKED_TEXT
    MANAGER_ONLY_TEXT = MANAGER_ONLY_TEXT
    checked_reason = ""  # the reason the shown preview was made with

    # ---------------------------------------------------------------- construction

    def _build_body(self, outer) -> None:
        reason_row = QHBoxLayout()
        self.reason_edit = QLineEdit()
        reason_label = QLabel("規則外の理由（管理者）(&R)：")
        reason_label.setBuddy(self.reason_edit)  # Alt+R
        reason_row.addWidget(reason_label)
        self.reason_edit.setAccessibleName("規則外の理由")
        self.reason_edit.setObjectName("override_reason")
        self.reason_edit.setMaxLength(OVERRIDE_REASON_MAX)
        self.reason_edit.setPlaceholderText("例：市の依頼による臨時開館（空欄なら規則に合わない行はエラー）")
        self.reason_edit.setToolTip(REASON_HINT)
        self.reason_edit.textChanged.connect(self._update_buttons)
        # Enter with a new reason checks again, and only that: the same key must not also press 取込,
        # which the check makes the default button (eventFilter).
        self.reason_edit.installEventFilter(self)
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
        self.error_box, self.error_title, self.error_view = self._section(self.error_model, "error_table",
                                                                          ERROR_COLOR, label="誤り")
        self.warning_box, self.warning_title, self.warning_view = self._section(self.warning_model, "warning_table",
                                                                                label="注意")
        self._style_warning_title(self.warning_title)
        self.splitter.addWidget(self.error_box)
        self.splitter.addWidget(self.warning_box)
        outer.addWidget(self.splitter, 1)

    # ---------------------------------------------------------------- the preview

    def reason(self) -> str:
        return " ".join(self.reason_edit.text().split())

    def recheck(self) -> None:
        self.preview()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (watched is self.reason_edit and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent)
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.recheck_button.isEnabled()):
            self.recheck()
            return True
        return super().eventFilter(watched, event)

    def preview(self) -> bool:
        """Judge the file (with the reason as typed) without writing; False when it cannot be read."""
        ctx, path, now, reason = self.ctx, self.path, clock.now(), self.reason()

        def dry_run() -> ImportReport:
            return import_bookings_file(ctx.engine, ctx.actor, path, dry_run=True, now=now, override_reason=reason)

        report, failure = self._read(dry_run)
        self.report, self.checked_reason = report, reason
        self._show(report, failure)
        return report is not None

    def _show(self, report: ImportReport | None, failure: DomainError | None) -> None:
        if report is None:
            self._show_unreadable(failure, (self.error_model, self.warning_model),
                                  (self.error_box, self.warning_box))
            return
        self._show_file(report)
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
        return (self.report is not None and self.report.ok and self.may_import()
                and self.reason() == self.checked_reason)  # a changed reason is checked again first

    def _update_buttons(self, *_) -> None:
        may_override = may_override_rules(self.ctx.actor.role)  # the 規則外の理由 is a rule override
        self.import_button.setEnabled(self.can_import())
        self.permission_label.setVisible(not self.may_import())
        self.reason_edit.setEnabled(may_override)
        self.recheck_button.setEnabled(may_override and self.reason() != self.checked_reason)
        if self.can_import():
            self.import_button.setDefault(True)
        elif self.recheck_button.isEnabled():
            self.recheck_button.setDefault(True)
        else:
            self.cancel_button.setDefault(True)

    # ---------------------------------------------------------------- the import

    def run_import(self) -> None:
        if not self.can_import():
            return
        ctx, path, now, reason = self.ctx, self.path, clock.now(), self.checked_reason
        report = self._write(
            lambda: import_bookings_file(ctx.engine, ctx.actor, path, dry_run=False, now=now, override_reason=reason),
            changes={"booking", "group"})
        if report is None:
            return
        text = "予約台帳を取り込みました。\n" + "\n".join(report.result_lines())
        self.ctx.prompts.info(self, "予約台帳の取込", text)
        self.accept()

    def _show_new_verdict(self, report: ImportReport) -> None:
        # The file or the bookings changed since the preview: show the new verdict instead.
        self._show(report, None)


__all__ = ["LedgerImportDialog"]
