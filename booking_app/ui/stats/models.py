"""The statistics page's tables as models: 行事 (events), 月次締め (months), 訂正 (amendments) and the
unsettled bookings that keep a month from closing. Read-only; each row is a service's plain view."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont

from booking_app.domain import japanese_calendar as jcal
from booking_app.ui.table_model import RowsTableModel

CLOSED_BG = QColor("#e3f0e5")
CLOSED_FG = QColor("#1b5e20")
OPEN_FG = QColor("#8a5a00")


def month_text(year: int, month: int) -> str:
    """'2026年10月'."""
    return f"{year}年{month}月"


class RowsModel(RowsTableModel):
    """A read-only table of plain rows; subclasses give the headers, the cell text and ``style``."""

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        # Rows without an id (none today) still answer UserRole with their position.
        if role == Qt.ItemDataRole.UserRole and index.isValid() and 0 <= index.row() < len(self._rows):
            return getattr(self._rows[index.row()], "id", index.row())
        return super().data(index, role)

    def item_data(self, r, col: int, role):
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cell(r, col)
        return self.style(r, col, role)

    def style(self, r, col: int, role):
        return None


class EventsModel(RowsModel):
    """センター主催の行事: date, kind, name, room, attendance, note."""

    HEADERS = ("日付", "種類", "行事名", "部屋", "参加者数", "備考")

    def cell(self, e, col: int):
        if col == 0:
            return f"{jcal.format_slash(e.day)}({jcal.weekday_ja(e.day)})"
        if col == 1:
            return e.kind
        if col == 2:
            return e.name
        if col == 3:
            return getattr(e, "room_name", None) or "—"
        if col == 4:
            return "未入力" if e.attendance is None else f"{e.attendance:,}人"
        return (e.note or "").replace("\n", " ")

    def style(self, e, col, role):
        if role == Qt.ItemDataRole.ForegroundRole and col == 4 and e.attendance is None:
            return QBrush(QColor("#c62828"))  # not yet entered: the count is missing from the total
        if role == Qt.ItemDataRole.TextAlignmentRole and col == 4:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


@dataclass(frozen=True)
class MonthState:
    """One month of the fiscal year on the 月次締め tab."""

    year: int
    month: int
    total: int
    state: str  # closed | open | current | future
    closed_at: datetime | None = None
    closed_by: str = ""
    amendments: int = 0
    upto: int | None = None  # the running month: counted up to this day
    last_year: int | None = None  # last year's users over the same days (None for a month ahead)

    @property
    def id(self) -> int:
        return self.year * 100 + self.month

    @property
    def label(self) -> str:
        """'2026年12月（16日まで）' for the running month, as every statistics output names it."""
        return month_text(self.year, self.month) + (f"（{self.upto}日まで）" if self.upto else "")

    @property
    def ratio(self) -> float | None:
        return self.total / self.last_year if self.state != "future" and self.last_year else None

    @property
    def state_label(self) -> str:
        return {"closed": "締め済", "open": "未締め", "current": "集計中", "future": "—"}[self.state]


class MonthsModel(RowsModel):
    """The months of a fiscal year with their closed/open state (月次締め)."""

    HEADERS = ("月", "利用者数", "前年同期", "前年比", "状態", "締めた日時", "締めた人", "訂正")
    STATE_COL = 4

    def cell(self, m: MonthState, col: int):
        if col == 0:
            return m.label
        if col == 1:
            return "" if m.state == "future" else f"{m.total:,}人"
        if col == 2:  # last year over the same days; a month ahead compares with nothing
            return "" if m.state == "future" or m.last_year is None else f"{m.last_year:,}人"
        if col == 3:
            return "" if m.ratio is None else f"{100 * m.ratio:.1f}%"
        if col == 4:
            return m.state_label
        if col == 5:
            return f"{m.closed_at:%Y/%m/%d %H:%M}" if m.closed_at else ""
        if col == 6:
            return m.closed_by
        return f"{m.amendments}件" if m.amendments else ""

    def style(self, m: MonthState, col, role):
        state_col = self.STATE_COL
        if role == Qt.ItemDataRole.BackgroundRole and col == state_col and m.state == "closed":
            return QBrush(CLOSED_BG)
        if role == Qt.ItemDataRole.ForegroundRole and col == state_col:
            if m.state == "closed":
                return QBrush(CLOSED_FG)
            if m.state == "open":
                return QBrush(OPEN_FG)
        if role == Qt.ItemDataRole.FontRole and col == state_col and m.state in ("closed", "open"):
            f = QFont()
            f.setBold(True)
            return f
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (1, 2, 3):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class AmendmentsModel(RowsModel):
    """訂正の記録: when, which figure, old → new, why, who."""

    HEADERS = ("日時", "項目", "訂正前", "訂正後", "理由", "担当")

    def cell(self, a, col: int):
        if col == 0:
            return f"{a.at:%Y/%m/%d %H:%M}"
        if col == 1:
            return a.label
        if col == 2:
            return f"{a.old_value:,}"
        if col == 3:
            return f"{a.new_value:,}"
        if col == 4:
            return a.reason.replace("\n", " ")
        return getattr(a, "staff_name", "")


class UnsettledModel(RowsModel):
    """未精算の予約 that keep a month from closing (no personal data beyond the booker's name)."""

    HEADERS = ("予約番号", "日付", "時間", "部屋", "団体・氏名", "状態")

    def cell(self, b, col: int):
        d = b.start.date()
        return (b.number, f"{jcal.format_slash(d)}({jcal.weekday_ja(d)})", f"{b.start:%H:%M}〜{b.end:%H:%M}",
                b.room_name or "（備品のみ）", b.booker_name, b.status_label)[col]


__all__ = ["RowsModel", "EventsModel", "MonthState", "MonthsModel", "AmendmentsModel", "UnsettledModel", "month_text"]
