"""What every file import of the desk shares: a preview first, then 取込 (managers only).

The group register (団体名簿の取込, ``group_io_dialog``) and the booking ledger (予約台帳の取込,
``ledger_import_dialog``) both read and judge the whole file without writing, show the file, a count in
large type, notes, every error with its row and column (then nothing can be imported: all rows or none)
and the notices, and write only on 取込, as one short unit of work that the service opens after reading
and checking the file outside any transaction (no write lock is held while a file is read). This base holds that
frame and its behaviour; each import adds the tables and wording of its own file.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QDir,
    QModelIndex,
    QPersistentModelIndex,
    QStandardPaths,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QBoxLayout,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from booking_app.domain.errors import DomainError, PermissionDenied
from booking_app.domain.roles import Role, role_at_least
from booking_app.services.common import precheck_manager
from booking_app.ui.context import AppContext
from booking_app.ui.keyboard import tab_leaves
from booking_app.ui.plain_text import plain_label, tip

OPEN_FILTER = "Excel・CSV (*.xlsx *.csv)"
ERROR_COLOR = QColor("#c62828")
WARNING_COLOR = QColor("#8a5a00")  # amber dark enough to read on white
WARNING_BG = QColor("#fff4d6")

_Index = QModelIndex | QPersistentModelIndex
# What a screen reader calls the tables of an import (their titles change with the counts).
SECTION_NAMES = {"error_table": "誤り", "warning_table": "注意", "change_table": "変更される団体"}


def start_dir() -> str:
    """Where file choosers open: the Documents folder (the home folder without one)."""
    return QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation) or QDir.homePath()


def choose_open_file(parent: QWidget | None, caption: str) -> str | None:
    path, _ = QFileDialog.getOpenFileName(parent, caption, start_dir(), OPEN_FILTER)
    return path or None


class IssueModel(QAbstractTableModel):
    """Errors (誤り) or notices of a file: 行, 列, 理由, in one colour. Rows have ``row``, ``column``, ``message``."""

    def __init__(self, color: QColor, reason_heading: str = "理由", parent=None):
        super().__init__(parent)
        self._color = QColor(color)
        self._headers = ("行", "列", reason_heading)
        self._rows: list[Any] = []

    def set_rows(self, rows: Sequence[Any]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def issue(self, row: int) -> Any:
        return self._rows[row]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._headers)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal \
                and 0 <= section < len(self._headers):
            return self._headers[section]
        return None

    def data(self, index: _Index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        issue, col = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (f"{issue.row}行目", issue.column or "—", issue.message)[col]
        if role == Qt.ItemDataRole.ToolTipRole and col == 2:
            return tip(issue.message)
        if role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(self._color)
        return None


def table(model: QAbstractTableModel, name: str, stretch: int) -> QTableView:
    """A read-only table of whole rows, one line each, the ``stretch`` column taking the spare width."""
    view = QTableView()
    view.setObjectName(name)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setWordWrap(False)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(24)
    tab_leaves(view)  # Tab goes on to 取込／キャンセル; ↑↓ still read the rows
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return view


class ImportPreviewDialog(QDialog):
    """The frame of a file import: file row, count, notes, 「取り込めません」, the tables, 取込 / キャンセル.

    A subclass sets the texts below, builds its tables in :meth:`_build_body` and implements
    :meth:`preview` (judge the file without writing), :meth:`can_import` and :meth:`run_import`.
    """

    TITLE = ""
    IMPORT_WHAT = ""  # the words the service's permission message uses
    CHOOSE_CAPTION = ""
    BLOCKED_TEXT = ""
    MANAGER_ONLY_TEXT = ""

    def __init__(self, ctx: AppContext, path: str | Path, *,
                 choose_file: Callable[[QWidget], str | None] | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.path = Path(path)
        self._choose_file = choose_file or self._choose_open_file
        self.report: Any = None
        self.imported: Any = None
        self.setWindowTitle(self.TITLE)
        self.resize(1040, 640)
        outer = QVBoxLayout(self)
        self._build_head(outer)
        self._build_body(outer)
        self._build_foot(outer)
        ctx.actor_changed.connect(self._update_buttons)
        self.preview()

    # ---------------------------------------------------------------- construction

    def _build_head(self, outer: QBoxLayout) -> None:
        top = QHBoxLayout()
        self.file_label = plain_label()
        self.file_label.setObjectName("file_label")
        self.file_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)  # not a Tab stop
        top.addWidget(self.file_label, 1)
        self.choose_button = QPushButton("別のファイルを選ぶ…")
        self.choose_button.setObjectName("choose_file")
        self.choose_button.clicked.connect(self._choose_again)
        top.addWidget(self.choose_button)
        outer.addLayout(top)

        self.counts_label = plain_label()
        self.counts_label.setObjectName("counts_label")
        f = QFont(self.counts_label.font())
        f.setPointSize(f.pointSize() + 4)
        f.setBold(True)
        self.counts_label.setFont(f)
        outer.addWidget(self.counts_label)
        self.note_label = plain_label()
        self.note_label.setObjectName("note_label")
        self.note_label.setWordWrap(True)
        outer.addWidget(self.note_label)

        self.blocked_label = QLabel(self.BLOCKED_TEXT)
        self.blocked_label.setObjectName("blocked_label")
        self.blocked_label.setWordWrap(True)
        self.blocked_label.setStyleSheet(
            f"QLabel {{ color: {ERROR_COLOR.name()}; font-weight: bold; background: #fdecea;"
            " border: 1px solid #e6a9a4; border-radius: 4px; padding: 6px; }")
        outer.addWidget(self.blocked_label)

    def _build_body(self, outer: QBoxLayout) -> None:
        raise NotImplementedError

    def _build_foot(self, outer: QBoxLayout) -> None:
        bottom = QHBoxLayout()
        self.permission_label = QLabel(self.MANAGER_ONLY_TEXT)
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

    def _section(self, model: QAbstractTableModel, name: str, color: QColor | None = None, *, label: str = ""):
        """A titled table (box, title label, view); the last column holds the sentences and stretches.

        ``label`` names the table for assistive software (「誤り」); by default its name in SECTION_NAMES."""
        box = QWidget()
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 4, 0, 0)
        title = plain_label()
        title.setObjectName(name + "_title")
        if color is not None:
            title.setStyleSheet(f"QLabel {{ color: {color.name()}; font-weight: bold; }}")
        lay.addWidget(title)
        view = table(model, name, model.columnCount() - 1)
        view.setAccessibleName(label or SECTION_NAMES.get(name, "一覧"))
        lay.addWidget(view, 1)
        return box, title, view

    def _style_warning_title(self, title: QLabel) -> None:
        title.setStyleSheet(
            f"QLabel {{ color: {WARNING_COLOR.name()}; font-weight: bold; background: {WARNING_BG.name()};"
            " padding: 3px 6px; border-radius: 3px; }")

    # ---------------------------------------------------------------- the preview

    def preview(self) -> bool:
        raise NotImplementedError

    def can_import(self) -> bool:
        raise NotImplementedError

    def run_import(self) -> None:
        raise NotImplementedError

    def _read(self, job: Callable[[], Any]) -> tuple[Any, DomainError | None]:
        """Run a dry run with the wait cursor: (its result, None) or (None, the refusal).

        ``job`` opens its own units on ``ctx.engine`` (the services' ``…_file`` entry points read the file
        outside any transaction)."""
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            return job(), None
        except DomainError as exc:
            return None, exc
        finally:
            QApplication.restoreOverrideCursor()

    def _show_unreadable(self, failure: DomainError | None, models: Sequence[Any],
                         boxes: Sequence[QWidget]) -> None:
        """The file could not be read (or staff may not import): say why, show no tables."""
        self.file_label.setText(f"ファイル：{self.path.name}")
        self.counts_label.setText("読み込めませんでした")
        self.counts_label.setStyleSheet(f"color: {ERROR_COLOR.name()};")
        self.note_label.setText(failure.message if failure else "")
        for m in models:
            m.set_rows([])
        self.blocked_label.setVisible(not isinstance(failure, PermissionDenied))
        for box in boxes:
            box.setVisible(False)
        self._update_buttons()

    def _show_file(self, report: Any) -> None:
        self.file_label.setText(f"ファイル：{Path(report.path).name}（{report.file_kind}）　データ {report.rows}行")
        self.file_label.setToolTip(str(report.path))

    def _update_buttons(self, *_) -> None:
        self.import_button.setEnabled(self.can_import())
        self.permission_label.setVisible(not self.may_import())
        if self.can_import():
            self.import_button.setDefault(True)
        else:
            self.cancel_button.setDefault(True)

    def may_import(self) -> bool:
        """Whether this terminal's role may import files (管理者 and above, as the services require):
        only hides what cannot be used; the service decides on 取込."""
        return role_at_least(self.ctx.actor.role, Role.MANAGER)

    def _choose_open_file(self, parent: QWidget | None) -> str | None:
        return choose_open_file(parent, self.CHOOSE_CAPTION)

    def _choose_again(self) -> None:
        chosen = self._choose_file(self)
        if chosen:
            self.path = Path(chosen)
            self.preview()

    # ---------------------------------------------------------------- the import

    def _write(self, job: Callable[[], Any], changes: set[str]) -> Any:
        """Run the import with the wait cursor; None (after saying why) when refused.

        ``job`` is a service's ``…_file`` entry point: it reads and checks the file before its one short
        write unit on ``ctx.engine``, so other terminals' saves never wait for the file.
        A report that was not written (the file or the data changed since the preview) is shown as the
        new verdict and None is returned; otherwise the written report, broadcast as ``changes``.
        """
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            report = job()
        except DomainError as exc:
            QApplication.restoreOverrideCursor()
            self.ctx.prompts.show_error(self, exc)
            return None
        QApplication.restoreOverrideCursor()
        if report.written and changes:
            self.ctx.changed.emit(set(changes))
        if not report.written:
            self.report = report
            self._show_new_verdict(report)
            return None
        self.imported = report
        return report

    def _show_new_verdict(self, report: Any) -> None:
        raise NotImplementedError

    # ---------------------------------------------------------------- entry point

    @classmethod
    def run(cls, parent: QWidget | None, ctx: AppContext, path: str | Path | None = None) -> bool:
        """Pick a file (unless ``path`` is given), preview it, and import on 取込; True when written."""
        try:
            precheck_manager(ctx.actor, cls.IMPORT_WHAT)
        except PermissionDenied as exc:
            ctx.prompts.show_error(parent, exc)
            return False
        if path is None:
            path = choose_open_file(parent, cls.CHOOSE_CAPTION)
            if not path:
                return False
        dlg = cls(ctx, path, parent=parent)
        try:
            return dlg.exec() == QDialog.DialogCode.Accepted and dlg.imported is not None
        finally:
            dlg.deleteLater()


__all__ = ["ERROR_COLOR", "ImportPreviewDialog", "IssueModel", "OPEN_FILTER", "WARNING_BG", "WARNING_COLOR",
           "choose_open_file", "start_dir", "table"]
