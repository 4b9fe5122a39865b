"""The booking dialog's item models: its equipment lines (備品) and a series' preview dates (プレビュー).

Both hold plain rows from the services (``EquipmentAvailability``, ``PreviewItem``), never ORM objects.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QSpinBox, QStyledItemDelegate

from booking_app.services.bookings import EquipmentAvailability
from booking_app.services.series import PreviewItem
from booking_app.ui import theme
from booking_app.ui.dates import list_date
from booking_app.ui.table_model import RowsTableModel

PREVIEW_COLORS = {"free": "#2e7d32", "conflict": "#c62828", "closed": "#616161", "rule": "#e65100"}
OK_GREEN, BAD_RED = "#2e7d32", "#c62828"


# --- equipment table ------------------------------------------------------------------------------------

class EquipmentModel(RowsTableModel):
    """Equipment lines of the dialog (備品): name, quantity asked (editable) and 空き n/在庫 m."""

    NAME, QTY, FREE = range(3)
    HEADERS = ("備品", "数量", "空き／在庫")
    _rows: list[EquipmentAvailability]

    def __init__(self, parent=None):
        super().__init__(parent)
        self._qty: dict[int, int] = {}

    # data in and out
    def set_availability(self, rows: list[EquipmentAvailability]) -> None:
        if [r.id for r in rows] == [r.id for r in self._rows]:
            self._rows = list(rows)
            if rows:
                self.dataChanged.emit(self.index(0, 0), self.index(len(rows) - 1, self.FREE))
            return
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def quantities(self) -> dict[int, int]:
        return {k: v for k, v in self._qty.items() if v}

    def set_quantities(self, qty: dict[int, int]) -> None:
        self._qty = dict(qty)
        if self._rows:
            self.dataChanged.emit(self.index(0, self.QTY), self.index(len(self._rows) - 1, self.FREE))

    def row_of(self, type_id: int) -> int:
        return next((i for i, r in enumerate(self._rows) if r.id == type_id), -1)

    def availability(self, row: int) -> EquipmentAvailability:
        return self._rows[row]

    def shortages(self) -> list[str]:
        """Japanese lines for items asked beyond what is free (shown before saving)."""
        out = []
        for r in self._rows:
            q = self._qty.get(r.id, 0)
            if q and r.free is not None and q > r.free:
                out.append(f"{r.name}：残り{r.free}{r.unit}（{q}{r.unit}は貸し出せません）")
        return out

    # Qt model API
    def flags(self, index):
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        f = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == self.QTY:
            f |= Qt.ItemFlag.ItemIsEditable
        return f

    def item_data(self, r: EquipmentAvailability, col: int, role: int):
        q = self._qty.get(r.id, 0)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if col == self.NAME:
                return r.name
            if col == self.QTY:
                return q if role == Qt.ItemDataRole.EditRole else f"{q}{r.unit}"
            if col == self.FREE:
                if r.stock is None:
                    return "無制限"
                return f"空き {r.free}/在庫 {r.stock}"
        if role == Qt.ItemDataRole.ForegroundRole and col == self.FREE:
            if r.free is not None and (r.free == 0 or q > r.free):
                return QBrush(QColor(BAD_RED))
        if role == Qt.ItemDataRole.UserRole:
            return r.id
        return None

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole):
        if not index.isValid() or index.column() != self.QTY or role != Qt.ItemDataRole.EditRole:
            return False
        try:
            q = max(int(value), 0)
        except (TypeError, ValueError):
            return False
        r = self._rows[index.row()]
        if self._qty.get(r.id, 0) == q:
            return True
        self._qty[r.id] = q
        self.dataChanged.emit(self.index(index.row(), self.QTY), self.index(index.row(), self.FREE))
        return True


class QuantityDelegate(QStyledItemDelegate):
    """A spin box per equipment line, committing on every step so the shortage colour is live."""

    def createEditor(self, parent, option, index):
        spin = QSpinBox(parent)
        spin.setRange(0, 99)
        model = index.model()
        row = index.row()
        spin.setObjectName(f"equipment_qty_{model.availability(row).id}")
        spin.setSuffix(model.availability(row).unit)
        spin.setAccessibleName(f"{model.availability(row).name}の数量")
        # The table is the one Tab stop of the equipment (digits, +, -, Delete on its lines); the spin
        # boxes are for the mouse, so Tab does not walk through every line.
        spin.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        spin.valueChanged.connect(lambda _v, s=spin: self.commitData.emit(s))
        return spin

    def setEditorData(self, editor, index):
        value = int(index.data(Qt.ItemDataRole.EditRole) or 0)
        if editor.value() != value:
            editor.blockSignals(True)
            editor.setValue(value)
            editor.blockSignals(False)

    def setModelData(self, editor, model, index):
        model.setData(index, editor.value(), Qt.ItemDataRole.EditRole)


# --- series preview table ---------------------------------------------------------------------------------

class PreviewModel(RowsTableModel):
    """Dates of a series preview (プレビュー): 日付, 状態 (空き/重複/休館/規則外), 内容."""

    HEADERS = ("日付", "状態", "内容")

    def set_items(self, items: list[PreviewItem]) -> None:
        self.set_rows(items)

    def items(self) -> list[PreviewItem]:
        return self.rows()

    def cell(self, it: PreviewItem, col: int):
        if col == 0:
            return list_date(it.day)
        if col == 1:
            return it.state_label
        return "　".join(x for x in (it.detail, it.note) if x)

    def foreground(self, it: PreviewItem, col: int):
        if col == 1:
            return QBrush(QColor(PREVIEW_COLORS.get(it.state, "#000000")))
        if col == 0:
            c = theme.day_color(it.day)
            return QBrush(c) if c is not None else None
        return None

    def tooltip(self, it: PreviewItem, col: int):
        return (it.detail or None) if col == 2 else None


__all__ = ["BAD_RED", "OK_GREEN", "EquipmentModel", "PreviewModel", "QuantityDelegate"]
