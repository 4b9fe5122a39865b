"""Item models for the member-group screens (登録団体の一覧モデル).

The models hold plain service results (``GroupSummary``, ``BookingView``), never live ORM rows, so a
view can outlive the session that produced them. Status colours live here too, so the result list,
the status panel and the renewal list say 有効 in the same green.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from booking_app.domain import japanese_calendar as jcal
from booking_app.services.bookings import BookingView
from booking_app.services.groups import GroupSummary
from booking_app.ui import theme
from booking_app.ui.table_model import RowsTableModel
from booking_app.ui.plain_text import tip

# The counter's colours: green means "accept as a member", red means "not as a member".
# 更新待ち is still good, so it stays on the green side, warmed towards amber as a reminder.
GROUP_STATUS_COLORS: dict[str, QColor] = {
    "active": QColor("#1b7a3a"),
    "renewal_due": QColor("#7c8a00"),
    "expired": QColor("#c62828"),
    "suspended": QColor("#c62828"),
    "deregistered": QColor("#c62828"),
    "unregistered": QColor("#c62828"),
}
# Pale fills behind the big status word.
GROUP_STATUS_BACKGROUNDS: dict[str, QColor] = {
    "active": QColor("#e8f5e9"),
    "renewal_due": QColor("#f4f6d8"),
    "expired": QColor("#fdecea"),
    "suspended": QColor("#fdecea"),
    "deregistered": QColor("#fdecea"),
    "unregistered": QColor("#fdecea"),
}
NEUTRAL = QColor("#616161")

ID_ROLE = Qt.ItemDataRole.UserRole + 1

_Index = QModelIndex | QPersistentModelIndex


def group_status_color(status: str) -> QColor:
    return QColor(GROUP_STATUS_COLORS.get(status, NEUTRAL))


def group_status_background(status: str) -> QColor:
    return QColor(GROUP_STATUS_BACKGROUNDS.get(status, QColor("#f5f5f5")))


class _RowsModel(RowsTableModel):
    """A flat table of plain result objects; subclasses answer ``item_data(item, column, role)``."""

    def item_data(self, item: Any, col: int, role: int) -> Any:
        raise NotImplementedError


class GroupResultsModel(_RowsModel):
    """Search results at the counter (検索結果): 番号, 団体名, ふりがな, 区分, 代表者, 状態."""

    HEADERS = ("番号", "団体名", "ふりがな", "区分", "代表者", "状態")
    STATUS_COLUMN = 5
    _rows: list[GroupSummary]

    def summary(self, row: int) -> GroupSummary:
        return self._rows[row]

    def row_of(self, group_id: int) -> int:
        return next((i for i, g in enumerate(self._rows) if g.id == group_id), -1)

    def item_data(self, g: GroupSummary, col: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return (g.reg_no or "", g.name, g.kana, g.type_label, g.representative, g.status_label)[col]
        if role == ID_ROLE:
            return g.id
        if role == Qt.ItemDataRole.ForegroundRole and col == self.STATUS_COLUMN:
            return QBrush(group_status_color(g.status))
        if role == Qt.ItemDataRole.FontRole and col == self.STATUS_COLUMN:
            f = QFont()
            f.setBold(True)
            return f
        if role == Qt.ItemDataRole.ToolTipRole and col == self.STATUS_COLUMN and g.valid_until:
            return f"有効期限 {jcal.format_slash(g.valid_until)}"
        return None


class GroupBookingsModel(_RowsModel):
    """The selected group's bookings (団体の予約): 日付, 時間, 部屋, 状態."""

    HEADERS = ("日付", "時間", "部屋", "状態")
    _rows: list[BookingView]

    def item_data(self, b: BookingView, col: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                d = b.start.date()
                return f"{jcal.format_slash(d)}({jcal.weekday_ja(d)})"
            if col == 1:
                return f"{jcal.format_time(b.start.time())}–{jcal.format_time(b.end.time())}"
            if col == 2:
                return b.room_name or "備品のみ"  # QA: was a blank cell (short: the column is narrow)
            return b.status_label
        if role == Qt.ItemDataRole.ToolTipRole and col == 2:
            return tip(b.room_name or "備品のみの予約")  # the column is narrow: the full room name
        if role == ID_ROLE:
            return b.id
        if role == Qt.ItemDataRole.ForegroundRole:
            if col == 0:
                c = theme.day_color(b.start.date())
                return QBrush(c) if c is not None else None
            if col == 3 and b.status in ("cancelled", "no_show", "expired", "skipped"):
                return QBrush(QColor("#757575"))
        return None


class RenewalModel(_RowsModel):
    """The renewal list (年度更新の対象) with a checkbox per group: 更新, 番号, 団体名, 状態, 有効期限."""

    HEADERS = ("更新", "番号", "団体名", "状態", "有効期限")
    _rows: list[GroupSummary]

    def __init__(self, parent=None):
        super().__init__(parent)
        self._checked: set[int] = set()

    def _rows_replaced(self) -> None:
        # A refresh keeps what staff already ticked, for the groups still on the list.
        self._checked &= {g.id for g in self._rows}

    def checked_ids(self) -> list[int]:
        return [g.id for g in self._rows if g.id in self._checked]

    def set_all_checked(self, checked: bool) -> None:
        self._checked = {g.id for g in self._rows} if checked else set()
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, 0),
                                  [Qt.ItemDataRole.CheckStateRole])

    def flags(self, index: _Index):
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        f = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == 0:
            f |= Qt.ItemFlag.ItemIsUserCheckable
        return f

    def item_data(self, g: GroupSummary, col: int, role: int) -> Any:
        if role == Qt.ItemDataRole.CheckStateRole and col == 0:
            return Qt.CheckState.Checked if g.id in self._checked else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return None
            until = jcal.format_slash(g.valid_until) if g.valid_until else "—"
            return (None, g.reg_no or "", g.name, g.status_label, until)[col]
        if role == ID_ROLE:
            return g.id
        if role == Qt.ItemDataRole.ForegroundRole and col == 3:
            return QBrush(group_status_color(g.status))
        return None

    def setData(self, index: _Index, value, role=Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or index.column() != 0 or role != Qt.ItemDataRole.CheckStateRole:
            return False
        gid = self._rows[index.row()].id
        state = Qt.CheckState(value) if not isinstance(value, Qt.CheckState) else value
        if state == Qt.CheckState.Checked:
            self._checked.add(gid)
        else:
            self._checked.discard(gid)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        return True


__all__ = [
    "GROUP_STATUS_BACKGROUNDS", "GROUP_STATUS_COLORS", "GroupBookingsModel", "GroupResultsModel", "ID_ROLE",
    "RenewalModel", "group_status_background", "group_status_color",
]
