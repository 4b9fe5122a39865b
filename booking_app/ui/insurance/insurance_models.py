"""Item models for the insurance screens (保険の一覧モデル).

Like the group models they hold plain service results (``EnrolmentView``, ``AccidentView``,
``CoverResult``), never ORM rows. The colours live here so 支払済 / 補償あり are the same green and
未払 / 補償なし / an overdue report the same red on every insurance screen and on the group panel.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from booking_app import clock
from booking_app.domain import japanese_calendar as jcal
from booking_app.ui.table_model import RowsTableModel
from booking_app.ui.plain_text import tip

GOOD = QColor("#1b7a3a")
BAD = QColor("#c62828")
WARN = QColor("#b26a00")
NEUTRAL = QColor("#616161")
GOOD_BG = QColor("#e8f5e9")
BAD_BG = QColor("#fdecea")

ID_ROLE = Qt.ItemDataRole.UserRole + 1

_Index = QModelIndex | QPersistentModelIndex


def period_text(start: date | None, end: date | None) -> str:
    if start is None or end is None:
        return "—"
    return f"{jcal.format_slash(start)}〜{jcal.format_slash(end)}"


def yen(n: int | None) -> str:
    return f"¥{int(n or 0):,}"


def people_count(v: Any) -> int:
    """Insured people now on the roster, or the head count of a plan without one."""
    people = [p for p in (getattr(v, "people", ()) or ()) if getattr(p, "removed_on", None) is None]
    if people:
        return len(people)
    return int(getattr(v, "head_count", None) or 0)


def payment_label(v: Any) -> str:
    if getattr(v, "status", "active") == "cancelled":
        return "取消"
    if not v.premium:
        return "負担なし"
    return "支払済" if v.paid else "未払"


@dataclass(frozen=True)
class TodayState:
    """Whether an enrolment covers a given day, in one short word and a sentence."""

    covered: bool
    word: str  # 補償あり / 開始前 / 期限切れ / 未払い / 取消
    text: str


def state_on(v: Any, day: date) -> TodayState:
    """The same order of reasons as domain.insurance.judge_cover: unpaid first, then the dates."""
    if getattr(v, "status", "active") == "cancelled":
        return TodayState(False, "取消", "取り消されています。")
    if v.premium and not v.paid:
        return TodayState(False, "未払い", "保険料が未払いのため、まだ補償されていません。")
    if day < v.cover_start:
        return TodayState(False, "開始前", f"補償は{jcal.format_slash(v.cover_start)}から（手続きの翌日から）。")
    if day > v.cover_end:
        return TodayState(False, "期限切れ", f"補償は{jcal.format_slash(v.cover_end)}で終わっています。")
    return TodayState(True, "補償あり", f"{period_text(v.cover_start, v.cover_end)}の補償期間内です。")


def reason_word(reason: str) -> str:
    """The short word the counter says for a refusal reason from the service (開始前 / 期限切れ …)."""
    if "未払" in reason:
        return "未払い"
    if "始まります" in reason or "翌日" in reason or "開始前" in reason:
        return "開始前"
    if "終わって" in reason or "期限" in reason or "失効" in reason:
        return "期限切れ"
    return "対象外"


class _RowsModel(RowsTableModel):
    """A flat read-only table of plain result objects under fixed column headings."""

    def item(self, row: int) -> Any:
        return self._rows[row]

    def row_of(self, item_id: int | None) -> int:
        for i, r in enumerate(self._rows):
            if getattr(r, "id", None) == item_id:
                return i
        return -1

    def flags(self, index: _Index):
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: _Index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.column() < len(self.HEADERS):
            return None
        if role == ID_ROLE and 0 <= index.row() < len(self._rows):
            return getattr(self._rows[index.row()], "id", None)
        return super().data(index, role)

    def item_data(self, item: Any, col: int, role: int) -> Any:  # pragma: no cover - overridden
        return None


class EnrolmentsModel(_RowsModel):
    """加入一覧: one enrolment a row; 支払済 green, 未払 red."""

    HEADERS = ("プラン", "加入者", "行事", "補償期間", "人数", "保険料", "支払")
    PAY_COL = 6

    def item_data(self, v: Any, col: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return v.plan_name
            if col == 1:
                return v.holder_name
            if col == 2:
                return v.event_name or ""
            if col == 3:
                return period_text(v.cover_start, v.cover_end)
            if col == 4:
                n = people_count(v)
                return f"{n}人" if n else "—"  # the city's plan covers the group without a roster
            if col == 5:
                return yen(v.premium)
            if col == 6:
                return payment_label(v)
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (4, 5):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if col == self.PAY_COL:
            label = payment_label(v)
            if role == Qt.ItemDataRole.ForegroundRole:
                return QBrush(GOOD if label == "支払済" else BAD if label == "未払" else NEUTRAL)
            if role == Qt.ItemDataRole.BackgroundRole and label in ("支払済", "未払"):
                return QBrush(GOOD_BG if label == "支払済" else BAD_BG)
            if role == Qt.ItemDataRole.FontRole and label == "未払":
                f = QFont()
                f.setBold(True)
                return f
        if role == Qt.ItemDataRole.ToolTipRole:
            return tip(f"{v.plan_name}　{v.holder_name}　申込 {jcal.format_slash(v.applied_on)}")
        return None


class RenewalCandidatesModel(_RowsModel):
    """年度更新: last year's annual enrolments whose group has not enrolled for the new year."""

    HEADERS = ("プラン", "団体", "昨年度の補償期間", "人数", "昨年度の保険料")

    def item_data(self, v: Any, col: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            n = people_count(v)
            return (v.plan_name, v.holder_name, period_text(v.cover_start, v.cover_end), f"{n}人" if n else "—",
                    yen(v.premium))[col]
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (3, 4):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class AccidentsModel(_RowsModel):
    """事故報告: the reports with their deadline to the city; overdue ones in red."""

    HEADERS = ("発生日時", "氏名", "場所", "内容", "保険", "報告期限", "残り", "状態")
    STATUS_LABELS = {"open": "未報告", "sent": "報告済", "closed": "完了"}

    def days_left(self, a: Any) -> int:
        """Days to the deadline as of today by the app's clock (the rows may have been read yesterday)."""
        return (a.deadline - clock.today()).days

    def item_data(self, a: Any, col: int, role: int) -> Any:
        open_ = a.status == "open"
        left = self.days_left(a)
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return f"{jcal.format_slash(a.occurred_at.date())} {jcal.format_time(a.occurred_at.time())}"
            if col == 1:
                return a.person_name
            if col == 2:
                return a.place
            if col == 3:
                return a.description.replace("\n", " ")
            if col == 4:
                return a.plan_name or "（未確認）"
            if col == 5:
                return jcal.format_slash(a.deadline)
            if col == 6:
                if not open_:
                    return "—"
                return f"{-left}日超過" if left < 0 else ("今日まで" if left == 0 else f"あと{left}日")
            if col == 7:
                text = self.STATUS_LABELS.get(a.status, a.status)
                if a.status == "sent" and a.sent_on:
                    text += f"（{jcal.format_slash(a.sent_on)}）"
                return text
        if role == Qt.ItemDataRole.ForegroundRole and open_ and col in (5, 6, 7):
            return QBrush(BAD if left < 0 else WARN if left <= 7 else NEUTRAL)
        if role == Qt.ItemDataRole.FontRole and open_ and left < 0 and col in (5, 6):
            f = QFont()
            f.setBold(True)
            return f
        if role == Qt.ItemDataRole.ToolTipRole and col == 1:
            return tip("\n".join(x for x in (
                f"団体：{a.group_name or a.holder_name}" if (a.group_name or a.holder_name) else "",
                f"報告者：{a.reporter_name}　TEL {a.reporter_phone}" if a.reporter_name else "報告者：（記入なし）",
                a.witnesses and f"目撃者：{a.witnesses}") if x))
        if role == Qt.ItemDataRole.ToolTipRole and col == 3:
            return tip("\n".join(x for x in (a.description, a.injury and f"けが：{a.injury}",
                                             a.damage and f"損害：{a.damage}") if x))
        return None


class CoverResultsModel(_RowsModel):
    """補償の確認の内訳: one line per enrolment (or person) the question touched."""

    HEADERS = ("判定", "プラン", "加入者", "氏名", "理由")

    def item_data(self, r: Any, col: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return "補償あり" if r.covered else f"補償なし（{reason_word(r.reason)}）"
            return (None, r.plan_name, r.holder_name, r.person_name or "", r.reason)[col]
        if role == Qt.ItemDataRole.ForegroundRole and col == 0:
            return QBrush(GOOD if r.covered else BAD)
        if role == Qt.ItemDataRole.ToolTipRole and col == 4:
            return tip(r.reason)
        return None


@dataclass
class RosterRow:
    name: str = ""
    kana: str = ""


class RosterModel(QAbstractTableModel):
    """名簿: name and kana, editable, with one blank row at the end to type the next person into."""

    HEADERS = ("氏名", "フリガナ")

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list[RosterRow] = [RosterRow()]

    # -- content
    def people(self) -> list[tuple[str, str]]:
        return [(r.name.strip(), r.kana.strip()) for r in self._rows if r.name.strip()]

    def set_people(self, people: Sequence[Any]) -> None:
        self.beginResetModel()
        self._rows = [RosterRow(getattr(p, "name", ""), getattr(p, "kana", "") or "") for p in people]
        self._rows.append(RosterRow())
        self.endResetModel()

    def add_people(self, people: Sequence[Any]) -> None:
        """Append after the people already listed (the blank row stays last)."""
        current = [r for r in self._rows if r.name.strip() or r.kana.strip()]
        self.set_people(current + [RosterRow(getattr(p, "name", ""), getattr(p, "kana", "") or "") for p in people])

    def remove_rows(self, rows: Sequence[int]) -> None:
        keep = [r for i, r in enumerate(self._rows) if i not in set(rows) and (r.name or r.kana)]
        self.set_people(keep)

    # -- Qt
    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else 2

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < 2:
            return self.HEADERS[section]
        if orientation == Qt.Orientation.Vertical and 0 <= section < len(self._rows):
            return str(section + 1)
        return None

    def flags(self, index: _Index):
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEditable

    def data(self, index: _Index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._rows) or not 0 <= index.column() < 2:
            return None
        r = self._rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return r.name if index.column() == 0 else r.kana
        return None

    def setData(self, index: _Index, value, role=Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or role != Qt.ItemDataRole.EditRole or not 0 <= index.row() < len(self._rows):
            return False
        r = self._rows[index.row()]
        text = str(value or "")
        if index.column() == 0:
            r.name = text
        else:
            r.kana = text
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole])
        if index.row() == len(self._rows) - 1 and text.strip():
            # Typing into the blank last row makes a new blank row below it.
            n = len(self._rows)
            self.beginInsertRows(QModelIndex(), n, n)
            self._rows.append(RosterRow())
            self.endInsertRows()
        return True


__all__ = [
    "AccidentsModel", "CoverResultsModel", "EnrolmentsModel", "RenewalCandidatesModel", "RosterModel",
    "TodayState", "people_count", "payment_label", "period_text", "reason_word", "state_on", "yen",
    "GOOD", "BAD", "WARN", "NEUTRAL", "GOOD_BG", "BAD_BG", "ID_ROLE",
]
