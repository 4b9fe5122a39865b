"""The settings tables' model: rows of plain dict values, edited in place (部屋, 備品, 時間帯, 休館日, 料金…).

Each column is ``(key, caption, kind)``; kinds: text, int, opt_int (empty = 無制限), bool, ro (read-only).
An edited row is marked ``_dirty`` so a page saves only what changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView


class RowsModel(QAbstractTableModel):
    """Rows of plain values for a settings table. kinds: text, int, opt_int (empty = 無制限), bool, ro."""

    def __init__(self, columns: Sequence[tuple[str, str, str]], parent=None):
        super().__init__(parent)
        self.columns = list(columns)
        self._rows: list[dict[str, Any]] = []
        self.editable = True

    def set_rows(self, rows: Sequence[dict[str, Any]]) -> None:
        self.beginResetModel()
        self._rows = [dict(r, _dirty=False) for r in rows]
        self.endResetModel()

    def rows(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self._rows]

    def add_row(self, row: dict[str, Any]) -> int:
        n = len(self._rows)
        self.beginInsertRows(QModelIndex(), n, n)
        self._rows.append(dict(row, _dirty=True))
        self.endInsertRows()
        return n

    def remove_row(self, i: int) -> None:
        if 0 <= i < len(self._rows):
            self.beginRemoveRows(QModelIndex(), i, i)
            del self._rows[i]
            self.endRemoveRows()

    def col(self, key: str) -> int:
        return next(i for i, c in enumerate(self.columns) if c[0] == key)

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.columns[section][1]
        return None

    def flags(self, index):
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        f = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        kind = self.columns[index.column()][2]
        if self.editable and kind != "ro":
            f |= Qt.ItemFlag.ItemIsUserCheckable if kind == "bool" else Qt.ItemFlag.ItemIsEditable
        return f

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        key, _, kind = self.columns[index.column()]
        value = self._rows[index.row()].get(key)
        if kind == "bool":
            if role == Qt.ItemDataRole.CheckStateRole:
                return Qt.CheckState.Checked if value else Qt.CheckState.Unchecked
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            if kind == "opt_int" and value in (None, ""):
                return "無制限"
            return "" if value is None else str(value)
        if role == Qt.ItemDataRole.EditRole:
            if kind == "int":
                return int(value or 0)
            return "" if value is None else str(value)
        return None

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole):
        if not index.isValid() or not self.editable:
            return False
        key, _, kind = self.columns[index.column()]
        row = self._rows[index.row()]
        if kind == "bool" and role == Qt.ItemDataRole.CheckStateRole:
            row[key] = Qt.CheckState(value) == Qt.CheckState.Checked
        elif kind != "bool" and role == Qt.ItemDataRole.EditRole:
            if kind == "int":
                try:
                    row[key] = int(value)
                except (TypeError, ValueError):
                    return False
            else:
                row[key] = "" if value is None else str(value).strip()
        else:
            return False
        row["_dirty"] = True
        self.dataChanged.emit(index, index, [role])
        return True


def editable_table(name: str, model: RowsModel, stretch: str | None = None, *, min_width: int = 96) -> QTableView:
    """A settings table edited in place (double-click, F2 or typing), whole rows selected, columns as wide as
    their contents but at least ``min_width`` px (96: an empty 日付 column still shows a whole date when typed
    into); the ``stretch`` column takes what is left."""
    t = QTableView()
    t.setObjectName(name)
    t.setModel(model)
    t.verticalHeader().setVisible(False)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed
                      | QAbstractItemView.EditTrigger.AnyKeyPressed)
    hh = t.horizontalHeader()
    hh.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    hh.setMinimumSectionSize(min_width)
    if stretch:
        hh.setSectionResizeMode(model.col(stretch), QHeaderView.ResizeMode.Stretch)
    return t


__all__ = ["RowsModel", "editable_table"]
