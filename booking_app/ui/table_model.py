"""The shared plumbing of the read-only list tables (一覧表のモデル).

Every page shows plain service results (never live ORM rows) one per row under fixed headings; only
how a cell reads and looks differs. Subclasses set ``HEADERS`` (or override ``headers()``) and answer
``cell``/``alignment``/``foreground``/``tooltip``, or override ``item_data`` for anything more.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from booking_app.ui.plain_text import tip

_Index = QModelIndex | QPersistentModelIndex

RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


class RowsTableModel(QAbstractTableModel):
    """A flat table of plain rows under fixed column headings."""

    HEADERS: tuple[str, ...] = ()

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list[Any] = []

    # rows in and out
    def set_rows(self, rows: Sequence[Any]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self._rows_replaced()
        self.endResetModel()

    def _rows_replaced(self) -> None:
        """Adjust per-row state to the new rows, inside the model reset."""

    def row(self, i: int) -> Any:
        return self._rows[i]

    def rows(self) -> list[Any]:
        return list(self._rows)

    def headers(self) -> Sequence[str]:
        return self.HEADERS

    # Qt model API
    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.headers())

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            headers = self.headers()
            if 0 <= section < len(headers):
                return headers[section]
        return None

    def data(self, index: _Index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        return self.item_data(self._rows[index.row()], index.column(), role)

    # per-cell hooks
    def item_data(self, item: Any, col: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cell(item, col)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return self.alignment(item, col)
        if role == Qt.ItemDataRole.ForegroundRole:
            return self.foreground(item, col)
        if role == Qt.ItemDataRole.ToolTipRole:
            return tip(self.tooltip(item, col))  # user text as typed
        if role == Qt.ItemDataRole.UserRole:
            return getattr(item, "id", None)
        return None

    def cell(self, item: Any, col: int) -> Any:
        raise NotImplementedError

    def alignment(self, item: Any, col: int) -> Any:
        return None

    def foreground(self, item: Any, col: int) -> Any:
        return None

    def tooltip(self, item: Any, col: int) -> Any:
        return None
