"""Moving the group register in and out from the UI (団体名簿の取込・書出).

Import always shows a preview first: the service reads and judges the whole file without writing
(``import_groups_file(..., dry_run=True)``) and the dialog shows how many groups would be created, updated
or left as they are, what changes in each updated group, every error with its row and column (then
nothing can be imported: all rows or none) and the likely duplicates. Only 取込 writes, in one short unit
of work the service opens after reading and checking the file outside any transaction. The service checks that the staff member on duty is a manager; the dialog
merely says so early.

The dry run stays on the GUI thread under a wait cursor: 5,000 rows take about 0.3 s, and a worker
thread would need its own session and a way to cancel for no visible gain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QSplitter, QWidget

from booking_app import clock
from booking_app.domain import japanese_calendar as jcal
from booking_app.domain.errors import DomainError
from booking_app.domain.groups import GroupStatus
from booking_app.services.import_limits import get_import_limits
from booking_app.services import group_io, group_roster
from booking_app.services.group_io import GroupImportReport, PlannedChange
from booking_app.services import unit_of_work
from booking_app.services.unit_of_work import Session
from booking_app.ui.context import AppContext
from booking_app.ui.export_op import ExportOp, export_file
from booking_app.ui.import_preview import (
    ERROR_COLOR,
    OPEN_FILTER,
    WARNING_COLOR,
    ImportPreviewDialog,
    IssueModel,
    start_dir,
)
from booking_app.ui.keyboard import tab_leaves
from booking_app.ui.plain_text import tip
from booking_app.ui.prompts import EXCEL_OR_CSV

IMPORT_WHAT = "団体名簿の取込"  # the words the service's permission message uses
BLOCKED_TEXT = "誤りがあるため取り込めません。ファイルを直して、もう一度選んでください。"
MANAGER_ONLY_TEXT = "団体名簿の取込は管理者のみ行えます。管理者に依頼してください。"

NEW_COLOR = QColor("#1b7a3a")
UPDATE_COLOR = QColor("#1f5fbf")

_Index = QModelIndex | QPersistentModelIndex


# --------------------------------------------------------------------------- what changes, in detail


@dataclass(frozen=True)
class ChangeRow:
    """One line of the preview: a group the import creates or updates, with old → new per column."""

    row: int
    reg_no: str
    name: str
    kind: str  # '新規' | '更新'
    details: tuple[tuple[str, str, str], ...] = ()  # (column, old, new)
    status: str = ""

    @property
    def summary(self) -> str:
        if self.kind == "新規":
            notes = [] if self.reg_no else ["登録番号は自動で割り当て"]
            if self.status == GroupStatus.EXPIRED.value:
                notes.append("有効期限が過ぎているため「期限切れ」")
            return "新しく登録" + (f"（{'、'.join(notes)}）" if notes else "")
        return "、".join(f"{col}：{_shown(old)} → {_shown(new)}" for col, old, new in self.details)


def _shown(value: str) -> str:
    value = " ".join(value.split())
    if not value:
        return "（空欄）"
    return value if len(value) <= 30 else value[:29] + "…"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return jcal.format_slash(value.date())
    if isinstance(value, date):
        return jcal.format_slash(value)
    return str(value).strip()


def change_rows(session: Session, report: GroupImportReport, *, today: date) -> list[ChangeRow]:
    """The report's planned changes with, for updates, the value now held and the value in the file.

    The report names only the columns that change; old and new are read here the way staff see them:
    the register as the export writes it, and the cell as the file holds it (before the import's own
    tidying, so a changed phone shows as typed). Any trouble reading them falls back to the names.
    """
    rows = [ChangeRow(c.row, c.reg_no, c.name, "新規", status=c.status) for c in report.created]
    updated: Sequence[PlannedChange] = report.updated
    if not updated:
        return rows
    try:
        old_by_reg = {r[0]: dict(zip(group_roster.EXPORT_COLUMNS, r, strict=True))
                      for r in group_io._export_rows(session, today)}
        table, _kind, _guessed = group_roster.read_table(Path(report.path), get_import_limits(session))
        header = group_roster.find_header(table)
        positions = header[1] if header else {}
        cells_by_row = {number: cells for number, cells in table}
    except Exception:  # noqa: BLE001 — the details are a courtesy; the names alone still tell the truth
        old_by_reg, positions, cells_by_row = {}, {}, {}
    for c in updated:
        old = old_by_reg.get(c.reg_no, {})
        cells = cells_by_row.get(c.row, [])
        details = []
        for column in c.changes:
            pos = positions.get(column)
            new = cells[pos] if pos is not None and pos < len(cells) else None
            details.append((column, _cell(old.get(column)), _cell(new)))
        rows.append(ChangeRow(c.row, c.reg_no, c.name, "更新", tuple(details), c.status))
    rows.sort(key=lambda r: r.row)
    return rows


# --------------------------------------------------------------------------- models


class ChangeModel(QAbstractTableModel):
    """What the import will change (取込予定): 行, 登録番号, 団体名, 新規/更新, 変更内容."""

    HEADERS = ("行", "登録番号", "団体名", "新規/更新", "変更内容")

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list[ChangeRow] = []

    def set_rows(self, rows: Sequence[ChangeRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def change(self, row: int) -> ChangeRow:
        return self._rows[row]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal \
                and 0 <= section < len(self.HEADERS):
            return self.HEADERS[section]
        return None

    def data(self, index: _Index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        r, col = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (str(r.row), r.reg_no or "（自動）", r.name, r.kind, r.summary)[col]
        if role == Qt.ItemDataRole.ToolTipRole and col == 4 and r.details:
            return tip("\n".join(f"{c}：{o or '（空欄）'} → {n or '（空欄）'}" for c, o, n in r.details))
        if role == Qt.ItemDataRole.ForegroundRole and col == 3:
            return QBrush(NEW_COLOR if r.kind == "新規" else UPDATE_COLOR)
        if role == Qt.ItemDataRole.TextAlignmentRole and col == 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


# --------------------------------------------------------------------------- the import dialog


class GroupImportDialog(ImportPreviewDialog):
    """Preview and import of the group register (団体名簿の取込)."""

    TITLE = "団体名簿の取込"
    IMPORT_WHAT = IMPORT_WHAT
    CHOOSE_CAPTION = "取り込む団体名簿を選ぶ"
    BLOCKED_TEXT = BLOCKED_TEXT
    MANAGER_ONLY_TEXT = MANAGER_ONLY_TEXT

    def _build_body(self, outer) -> None:
        self.change_model = ChangeModel(self)
        self.error_model = IssueModel(ERROR_COLOR, "理由", self)
        self.warning_model = IssueModel(WARNING_COLOR, "注意", self)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.error_box, self.error_title, self.error_view = self._section(
            self.error_model, "error_table", ERROR_COLOR)
        self.change_box, self.change_title, self.change_view = self._section(
            self.change_model, "change_table", QColor("#212121"))
        self.warning_box, self.warning_title, self.warning_view = self._section(
            self.warning_model, "warning_table", WARNING_COLOR)
        self._style_warning_title(self.warning_title)
        # One Tab stop each, named for a screen reader (what the title above each says).
        for view, name in ((self.error_view, "取り込めない行（誤り）"), (self.change_view, "変更される団体"),
                           (self.warning_view, "重複の可能性がある行")):
            view.setAccessibleName(name)
            tab_leaves(view)
        for box in (self.error_box, self.change_box, self.warning_box):
            self.splitter.addWidget(box)
        outer.addWidget(self.splitter, 1)

    # ---------------------------------------------------------------- the preview

    def preview(self) -> bool:
        """Judge the file without writing and show what would happen; False when it cannot be read."""
        ctx, path, now = self.ctx, self.path, clock.now()

        def dry_run() -> tuple[GroupImportReport, list[ChangeRow]]:
            report = group_io.import_groups_file(ctx.engine, ctx.actor, path, dry_run=True, now=now)
            return report, (ctx.read(lambda s: change_rows(s, report, today=now.date())) if report.ok else [])

        result, failure = self._read(dry_run)
        report, changes = result if result is not None else (None, [])
        self.report = report
        self._show(report, changes, failure)
        return report is not None

    def _show(self, report: GroupImportReport | None, changes: list[ChangeRow],
              failure: DomainError | None) -> None:
        if report is None:
            self._show_unreadable(failure, (self.change_model, self.error_model, self.warning_model),
                                  (self.error_box, self.change_box, self.warning_box))
            self.note_label.setStyleSheet(f"color: {ERROR_COLOR.name()};")
            return
        self._show_file(report)
        self.counts_label.setStyleSheet("")
        self.note_label.setStyleSheet("color: #424242;")
        self.error_model.set_rows(report.errors)
        self.warning_model.set_rows(report.warnings)
        self.change_model.set_rows(changes)
        if report.errors:
            self.counts_label.setText(f"誤り {len(report.errors)}件")
            self.counts_label.setStyleSheet(f"color: {ERROR_COLOR.name()};")
            self.note_label.setText("全部の行を取り込むか、何も取り込まないかのどちらかです。下の誤りを直してください。")
        else:
            self.counts_label.setText(f"新規 {len(report.created)}団体・更新 {len(report.updated)}団体・"
                                      f"変更なし {report.unchanged}団体")
            notes = []
            if report.expired:
                notes.append(f"うち有効期限が過ぎている{report.expired}団体は「期限切れ」で登録されます。")
            auto = sum(1 for c in report.created if not c.reg_no)
            if auto:
                notes.append(f"登録番号のない{auto}団体には新しい番号を割り当てます。")
            if not report.created and not report.updated:
                notes.append("名簿はデータベースと同じです。取り込んでも何も変わりません。")
            notes.append("まだ取り込んでいません。内容を確かめて「取込」を押してください。")
            self.note_label.setText("\n".join(notes))
        self.blocked_label.setVisible(bool(report.errors))
        self.error_title.setText(f"誤り（{len(report.errors)}件）")
        self.change_title.setText(f"変更される団体（{len(changes)}団体）")
        self.warning_title.setText(f"重複の可能性（{len(report.warnings)}件）：取り込めますが、同じ団体でないか確かめてください。")
        self.error_box.setVisible(bool(report.errors))
        self.change_box.setVisible(not report.errors and bool(changes))
        self.warning_box.setVisible(bool(report.warnings))
        self._update_buttons()

    def can_import(self) -> bool:
        return self.report is not None and self.report.ok and self.may_import()

    # ---------------------------------------------------------------- the import

    def run_import(self) -> None:
        if self.report is None or not self.report.ok:
            return
        ctx, path, now = self.ctx, self.path, clock.now()
        report = self._write(lambda: group_io.import_groups_file(ctx.engine, ctx.actor, path, dry_run=False, now=now),
                             changes={"group"})
        if report is None:
            return
        text = (f"団体名簿を取り込みました。\n新規 {len(report.created)}団体・更新 {len(report.updated)}団体・"
                f"変更なし {report.unchanged}団体")
        self.ctx.prompts.info(self, "団体名簿の取込", text)
        self.accept()

    def _show_new_verdict(self, report: GroupImportReport) -> None:
        # The file or the register changed since the preview: show the new verdict instead.
        self._show(report, [], None)


# --------------------------------------------------------------------------- export


def default_export_name(today: date) -> str:
    return f"登録団体名簿_{today:%Y%m%d}.xlsx"


def export_groups_dialog(parent: QWidget | None, ctx: AppContext, path: Path | None = None) -> ExportOp | None:
    """Write the register to a file staff choose (.xlsx or .csv) in the background; None if cancelled.

    The service refuses desk staff (the register holds personal data) and records the export in the audit
    trail, in the same transaction.
    """
    today, engine, actor = ctx.today, ctx.engine, ctx.actor
    return export_file(
        parent, ctx, title="団体名簿の書出", suggested=Path(start_dir()) / default_export_name(today),
        filters=EXCEL_OR_CSV, path=path,
        write=lambda target: unit_of_work.write(
            engine, lambda s: group_io.export_groups(s, actor, target, today=today)),
        done=lambda count, target: f"{count}団体を書き出しました。\n{target}")


__all__ = ["OPEN_FILTER", "ChangeModel", "ChangeRow", "GroupImportDialog", "IssueModel", "change_rows",
           "default_export_name", "export_groups_dialog"]
