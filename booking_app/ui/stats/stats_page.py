"""The statistics page (統計): dashboard, centre events' attendance, month close, statistics out.

Four tabs, one job each: ダッシュボード shows the year against the target; 行事の参加者 lists the
centre's own events (講座・研修・交流会) with their attendance, which counts toward the users; 月次締め
lists the fiscal year's months, lets a manager close one (locking its figures) and record a 訂正
(amendment) to a closed one; 出力 writes a month's or a fiscal year's statistics as xlsx, CSV or PDF
off the GUI thread. Every rule lives in ``services.stats`` (its modules); this page only asks and shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from booking_app import clock
from booking_app.domain import japanese_calendar as jcal
from booking_app.domain.counting import EVENT_KINDS, fiscal_months
from booking_app.domain.errors import DomainError
from booking_app.services import lookups
from booking_app.services import unit_of_work
from booking_app.services.centre import list_rooms
from booking_app.services.stats.amendments import amendable_figures, year_amendments
from booking_app.services.stats.events import list_events, save_event
from booking_app.services.stats.figures import month_figures, monthly_users
from booking_app.services.stats.month_close import amend, close_month, unsettled_bookings
from booking_app.services.stats_export import export_stats
from booking_app.ui.dates import from_qdate, to_qdate
from booking_app.ui.context import AppContext
from booking_app.ui.stats.dashboard import Dashboard, watcher_for
from booking_app.ui.errors import show_error
from booking_app.ui.table_model import RowsTableModel
from booking_app.ui.widgets import list_table as _table, action_button as _button
from booking_app.ui import plain_text
from booking_app.ui.plain_text import plain_label

TABS = ("dashboard", "events", "months", "export")
FORMATS = (("xlsx", "Excel（.xlsx）"), ("csv", "CSV（.csv）"), ("pdf", "PDF報告書（.pdf）"))
CLOSED_BG = QColor("#e3f0e5")
CLOSED_FG = QColor("#1b5e20")
OPEN_FG = QColor("#8a5a00")


def info(parent: QWidget | None, title: str, text: str) -> None:
    """A plain notice (tests replace this so nothing blocks)."""
    plain_text.information(parent, title, text)


def confirm(parent: QWidget | None, title: str, text: str) -> bool:
    """A yes/no question (tests replace this so nothing blocks)."""
    return plain_text.question(parent, title, text)


def ask_save_path(parent: QWidget | None, suggested: str, fmt: str) -> str:
    """Where to write the statistics (tests replace this so nothing blocks)."""
    filters = {"xlsx": "Excel (*.xlsx)", "csv": "CSV (*.csv)", "pdf": "PDF (*.pdf)"}
    path, _ = QFileDialog.getSaveFileName(parent, "統計を出力する", suggested, filters[fmt])
    if path and not path.lower().endswith("." + fmt):
        path += "." + fmt
    return path


def month_text(year: int, month: int) -> str:
    return f"{year}年{month}月"




def _year_combo(name: str, today: date) -> QComboBox:
    c = QComboBox()
    c.setObjectName(name)
    fy = jcal.fiscal_year(today)
    for y in (fy, fy - 1, fy - 2):
        c.addItem(f"{jcal.fiscal_year_label(y)}（{y}年度）", y)
    return c


# --- models --------------------------------------------------------------------------------------------

class _RowsModel(RowsTableModel):
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


class EventsModel(_RowsModel):
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


class MonthsModel(_RowsModel):
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


class AmendmentsModel(_RowsModel):
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


class UnsettledModel(_RowsModel):
    """未精算の予約 that keep a month from closing (no personal data beyond the booker's name)."""

    HEADERS = ("予約番号", "日付", "時間", "部屋", "団体・氏名", "状態")

    def cell(self, b, col: int):
        d = b.start.date()
        return (b.number, f"{jcal.format_slash(d)}({jcal.weekday_ja(d)})", f"{b.start:%H:%M}〜{b.end:%H:%M}",
                b.room_name or "（備品のみ）", b.booker_name, b.status_label)[col]


# --- dialogs -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class EventInput:
    name: str
    kind: str
    day: date
    room_id: int | None
    attendance: int | None
    note: str


class EventDialog(QDialog):
    """行事の登録・編集: name, kind, day, room, attendance (未入力 until the event is over), note."""

    def __init__(self, rooms: Sequence, event=None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("行事の編集" if event is not None else "行事の追加")
        self.setMinimumWidth(460)
        form = QFormLayout()
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("event_name")
        self.name_edit.setPlaceholderText("例：市民活動はじめて講座")
        self.kind_combo = QComboBox()
        self.kind_combo.setObjectName("event_kind")
        self.kind_combo.addItems(list(EVENT_KINDS))
        from booking_app.ui.insurance.enrol_dialog import date_edit

        self.day_edit = date_edit("event_day", clock.today())
        self.room_combo = QComboBox()
        self.room_combo.setObjectName("event_room")
        self.room_combo.addItem("（なし・館外）", None)
        for r in rooms:
            self.room_combo.addItem(r.name, r.id)
        self.attendance_spin = QSpinBox()
        self.attendance_spin.setObjectName("event_attendance")
        self.attendance_spin.setRange(-1, 9999)
        self.attendance_spin.setSpecialValueText("未入力")
        self.attendance_spin.setSuffix("人")
        self.attendance_spin.setValue(-1)
        self.note_edit = QPlainTextEdit()
        self.note_edit.setObjectName("event_note")
        self.note_edit.setFixedHeight(64)
        form.addRow("行事名", self.name_edit)
        form.addRow("種類", self.kind_combo)
        form.addRow("日付", self.day_edit)
        form.addRow("部屋", self.room_combo)
        form.addRow("参加者数", self.attendance_spin)
        form.addRow("備考", self.note_edit)
        self.error_label = plain_label()
        self.error_label.setObjectName("event_error")
        self.error_label.setStyleSheet("color: #c62828;")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText("保存")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("キャンセル")
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.error_label)
        lay.addWidget(self.buttons)
        if event is not None:
            self.name_edit.setText(event.name)
            self.kind_combo.setCurrentText(event.kind)
            self.day_edit.setDate(to_qdate(event.day))
            i = self.room_combo.findData(event.room_id)
            self.room_combo.setCurrentIndex(max(i, 0))
            self.attendance_spin.setValue(-1 if event.attendance is None else event.attendance)
            self.note_edit.setPlainText(event.note or "")

    def value(self) -> EventInput:
        n = self.attendance_spin.value()
        # Bad-input fix (issue 7): a pasted NUL character cannot be stored in PostgreSQL text.
        return EventInput(self.name_edit.text().replace("\x00", "").strip(), self.kind_combo.currentText(),
                          from_qdate(self.day_edit.date()), self.room_combo.currentData(),
                          None if n < 0 else n, self.note_edit.toPlainText().replace("\x00", "").strip())

    def _accept(self) -> None:
        if not self.value().name:
            self.error_label.setText("行事名を入力してください。")
            return
        self.accept()

    @classmethod
    def get(cls, parent: QWidget | None, rooms: Sequence, event=None) -> EventInput | None:
        dlg = cls(rooms, event, parent)
        return dlg.value() if dlg.exec() == QDialog.DialogCode.Accepted else None


@dataclass(frozen=True)
class AmendInput:
    key: str
    new_value: int
    reason: str


class AmendDialog(QDialog):
    """訂正: a figure of a closed month (key), its new value and why; the submitted number stays."""

    def __init__(self, year: int, month: int, figures: Sequence[tuple[str, str, int]], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"{month_text(year, month)}の訂正")
        self.setMinimumWidth(500)
        self._values = {key: value for key, _label, value in figures}
        note = QLabel("締め済みの数値は書き換えません。訂正として記録し、次の月次報告に載せます。")
        note.setWordWrap(True)
        form = QFormLayout()
        self.key_combo = QComboBox()
        self.key_combo.setObjectName("amend_key")
        for key, label, _value in figures:
            self.key_combo.addItem(label, key)
        self.current_label = plain_label()
        self.current_label.setObjectName("amend_current")
        self.value_spin = QSpinBox()
        self.value_spin.setObjectName("amend_value")
        self.value_spin.setRange(0, 99_999_999)
        self.value_spin.setGroupSeparatorShown(True)
        self.reason_edit = QPlainTextEdit()
        self.reason_edit.setObjectName("amend_reason")
        self.reason_edit.setPlaceholderText("例：10/14 大会議室の利用人数の入力誤り（25人→52人）")
        self.reason_edit.setFixedHeight(70)
        form.addRow("項目", self.key_combo)
        form.addRow("現在の値", self.current_label)
        form.addRow("正しい値", self.value_spin)
        form.addRow("理由", self.reason_edit)
        self.error_label = plain_label()
        self.error_label.setObjectName("amend_error")
        self.error_label.setStyleSheet("color: #c62828;")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("訂正を記録")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("キャンセル")
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(note)
        lay.addLayout(form)
        lay.addWidget(self.error_label)
        lay.addWidget(self.buttons)
        self.key_combo.currentIndexChanged.connect(lambda _i: self._show_current())
        self._show_current()

    def choose_key(self, key: str) -> None:
        self.key_combo.setCurrentIndex(max(self.key_combo.findData(key), 0))

    def _show_current(self) -> None:
        v = self._values.get(self.key_combo.currentData())
        self.current_label.setText("—" if v is None else f"{v:,}")
        if v is not None:
            self.value_spin.setValue(v)

    def value(self) -> AmendInput:
        # Bad-input fix (issue 7): a pasted NUL character cannot be stored in PostgreSQL text.
        return AmendInput(self.key_combo.currentData() or "", self.value_spin.value(),
                          self.reason_edit.toPlainText().replace("\x00", "").strip())

    def _accept(self) -> None:
        v = self.value()
        if not v.key:
            self.error_label.setText("訂正する項目を選んでください。")
            return
        if v.new_value == self._values.get(v.key):
            self.error_label.setText("正しい値を入力してください（現在の値と同じです）。")
            return
        if not v.reason:
            self.error_label.setText("訂正の理由を入力してください。")
            return
        self.accept()

    @classmethod
    def get(cls, parent: QWidget | None, year: int, month: int,
            figures: Sequence[tuple[str, str, int]]) -> AmendInput | None:
        dlg = cls(year, month, figures, parent)
        return dlg.value() if dlg.exec() == QDialog.DialogCode.Accepted else None


class UnsettledDialog(QDialog):
    """締められない理由: the month's bookings not yet checked out; a manager may close with a reason."""

    def __init__(self, message: str, bookings: Sequence, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("未精算の予約があります")
        self.setMinimumSize(720, 380)
        text = plain_label(message)
        text.setWordWrap(True)
        self.model = UnsettledModel(self)
        self.model.set_rows(bookings)
        view = _table("unsettled_bookings")
        view.setModel(self.model)
        view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        view.horizontalHeader().setStretchLastSection(True)
        hint = QLabel("本日の予約の「利用済が未入力のみ（過去の日）」で利用人数を入力してから締めてください。"
                      "やむを得ず先に締める場合は理由を記録します。")
        hint.setWordWrap(True)
        self.reason_edit = QLineEdit()
        self.reason_edit.setObjectName("force_reason")
        self.reason_edit.setPlaceholderText("先に締める理由（例：団体に確認中、来月訂正予定）")
        self.buttons = QDialogButtonBox()
        self.force_button = self.buttons.addButton("理由を記録して締める", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton("閉じる", QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(text)
        lay.addWidget(view, 1)
        lay.addWidget(hint)
        lay.addWidget(self.reason_edit)
        lay.addWidget(self.buttons)

    def _accept(self) -> None:
        if self.reason_edit.text().strip():
            self.accept()

    @classmethod
    def ask(cls, parent: QWidget | None, message: str, bookings: Sequence) -> str | None:
        dlg = cls(message, bookings, parent)
        return dlg.reason_edit.text().strip() if dlg.exec() == QDialog.DialogCode.Accepted else None


# --- the page ------------------------------------------------------------------------------------------

class StatsPage(QWidget):
    """統計の画面: ダッシュボード, 行事の参加者, 月次締め, 出力."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("stats_page")
        self.ctx = ctx
        self.last_op = None  # the latest background export (tests wait on it)
        self.last_export_path: Path | None = None
        self._build()
        watcher_for(ctx).subscribe(self, "_on_updated")
        self.tabs.currentChanged.connect(lambda _i: self.refresh())

    @property
    def today(self) -> date:
        return clock.today()

    def _now(self) -> datetime:
        return clock.now()

    # ---------------------------------------------------------------- construction

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 6, 8, 6)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("stats_tabs")
        self.dashboard = Dashboard(self.ctx)
        self.tabs.addTab(self.dashboard, "ダッシュボード")
        self.tabs.addTab(self._build_events_tab(), "行事の参加者")
        self.tabs.addTab(self._build_months_tab(), "月次締め")
        self.tabs.addTab(self._build_export_tab(), "出力")
        outer.addWidget(self.tabs)

    def _build_events_tab(self) -> QWidget:
        tab = QWidget()
        lay = QVBoxLayout(tab)
        lay.setContentsMargins(4, 6, 4, 4)
        row = QHBoxLayout()
        row.addWidget(QLabel("年度"))
        self.events_year = _year_combo("events_year", self.today)
        self.events_year.currentIndexChanged.connect(lambda _i: self.refresh_events())
        row.addWidget(self.events_year)
        self.events_note = plain_label()
        self.events_note.setObjectName("events_note")
        row.addWidget(self.events_note, 1)
        self.add_event_button = _button("行事を追加…", "add_event", self.add_event)
        self.edit_event_button = _button("編集・参加者数の入力…", "edit_event", self.edit_event)
        row.addWidget(self.add_event_button)
        row.addWidget(self.edit_event_button)
        lay.addLayout(row)
        self.events_model = EventsModel(self)
        self.events_view = _table("events")
        self.events_view.setModel(self.events_model)
        for col, width in enumerate((130, 80, 360, 150, 90)):
            self.events_view.setColumnWidth(col, width)
        self.events_view.horizontalHeader().setStretchLastSection(True)
        self.events_view.doubleClicked.connect(lambda _i: self.edit_event())
        lay.addWidget(self.events_view, 1)
        hint = QLabel("センター主催の講座・研修・交流会の参加者数は、年度の利用者数に加わります。")
        hint.setStyleSheet("color: #606060;")
        lay.addWidget(hint)
        return tab

    def _build_months_tab(self) -> QWidget:
        tab = QWidget()
        lay = QVBoxLayout(tab)
        lay.setContentsMargins(4, 6, 4, 4)
        row = QHBoxLayout()
        row.addWidget(QLabel("年度"))
        self.months_year = _year_combo("months_year", self.today)
        self.months_year.currentIndexChanged.connect(lambda _i: self.refresh_months())
        row.addWidget(self.months_year)
        row.addStretch(1)
        self.close_button = _button("締める", "close_month", self.close_selected,
                                    "選んだ月の数値を確定します（管理者）")
        self.amend_button = _button("訂正…", "amend_month", self.amend_selected,
                                    "締め済みの月の数値の訂正を記録します（管理者）")
        row.addWidget(self.close_button)
        row.addWidget(self.amend_button)
        lay.addLayout(row)
        self.months_model = MonthsModel(self)
        self.months_view = _table("months")
        self.months_view.setModel(self.months_model)
        for col, width in enumerate((170, 100, 100, 80, 80, 140, 130)):
            self.months_view.setColumnWidth(col, width)
        self.months_view.horizontalHeader().setStretchLastSection(True)
        self.months_view.selectionModel().selectionChanged.connect(lambda *_: self._month_selected())
        # All twelve months in sight without scrolling; the amendments take the rest of the height.
        rows_h = self.months_view.verticalHeader().defaultSectionSize() * 12
        self.months_view.setMinimumHeight(rows_h + self.months_view.horizontalHeader().sizeHint().height() + 6)
        lay.addWidget(self.months_view)
        self.month_detail = plain_label()
        self.month_detail.setObjectName("month_detail")
        self.month_detail.setWordWrap(True)
        lay.addWidget(self.month_detail)
        box = QGroupBox("訂正の記録")
        bl = QVBoxLayout(box)
        bl.setContentsMargins(6, 4, 6, 6)
        self.amendments_model = AmendmentsModel(self)
        self.amendments_view = _table("amendments")
        self.amendments_view.setModel(self.amendments_model)
        for col, width in enumerate((130, 200, 70, 70, 380)):
            self.amendments_view.setColumnWidth(col, width)
        self.amendments_view.horizontalHeader().setStretchLastSection(True)
        bl.addWidget(self.amendments_view)
        lay.addWidget(box, 1)
        return tab

    def _build_export_tab(self) -> QWidget:
        tab = QWidget()
        lay = QVBoxLayout(tab)
        lay.setContentsMargins(12, 10, 12, 10)
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(10)
        self.by_month_radio = QRadioButton("月次")
        self.by_month_radio.setObjectName("export_by_month")
        self.by_year_radio = QRadioButton("年度")
        self.by_year_radio.setObjectName("export_by_year")
        self.by_month_radio.setChecked(True)
        self._period_group = QButtonGroup(self)
        self._period_group.addButton(self.by_month_radio)
        self._period_group.addButton(self.by_year_radio)
        self.export_month = QComboBox()
        self.export_month.setObjectName("export_month")
        self.export_year = _year_combo("export_year", self.today)
        self.export_year.currentIndexChanged.connect(lambda _i: self._fill_export_months())
        grid.addWidget(QLabel("期間"), 0, 0)
        grid.addWidget(self.by_year_radio, 0, 1)
        grid.addWidget(self.export_year, 0, 2)
        grid.addWidget(self.by_month_radio, 1, 1)
        grid.addWidget(self.export_month, 1, 2)
        grid.addWidget(QLabel("形式"), 2, 0)
        fmt_row = QHBoxLayout()
        self._format_group = QButtonGroup(self)
        self.format_radios: dict[str, QRadioButton] = {}
        for key, label in FORMATS:
            r = QRadioButton(label)
            r.setObjectName(f"format_{key}")
            self._format_group.addButton(r)
            self.format_radios[key] = r
            fmt_row.addWidget(r)
        self.format_radios["xlsx"].setChecked(True)
        fmt_row.addStretch(1)
        grid.addLayout(fmt_row, 2, 1, 1, 3)
        grid.setColumnStretch(3, 1)
        lay.addLayout(grid)
        note = QLabel("利用者数（区分別・部屋別）、予約・取消・無断キャンセル、部屋の稼働率（時間帯別）、"
                      "団体区分別の利用者、新規登録団体、保険加入、印刷機の利用、収入（種別）を出力します。"
                      "個人情報は含みません。")
        note.setWordWrap(True)
        note.setStyleSheet("color: #505050;")
        lay.addWidget(note)
        row = QHBoxLayout()
        self.export_button = _button("出力…", "export_stats", self.export)
        self.export_button.setMinimumWidth(140)
        row.addWidget(self.export_button)
        row.addStretch(1)
        lay.addLayout(row)
        self.export_result = plain_label()
        self.export_result.setObjectName("export_result")
        self.export_result.setWordWrap(True)
        self.export_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.export_result)
        lay.addStretch(1)
        self._fill_export_months()
        return tab

    def _fill_export_months(self) -> None:
        fy = self.export_year.currentData()
        self.export_month.clear()
        last = None
        for y, m in fiscal_months(fy):
            self.export_month.addItem(month_text(y, m), (y, m))
            if date(y, m, 1) <= self.today.replace(day=1):
                last = self.export_month.count() - 1
        # The month just ended is the one the city asks for.
        t = self.today
        prev = (t.year, t.month - 1) if t.month > 1 else (t.year - 1, 12)
        i = next((i for i in range(self.export_month.count()) if self.export_month.itemData(i) == prev), -1)
        self.export_month.setCurrentIndex(i if i >= 0 else (last or 0))

    # ---------------------------------------------------------------- refresh

    def show_tab(self, key: str) -> None:
        self.tabs.setCurrentIndex(TABS.index(key))

    def current_tab(self) -> str:
        return TABS[self.tabs.currentIndex()]

    def _on_updated(self, what) -> None:
        if not self.isVisible():
            return
        key = self.current_tab()
        if key == "events" and ({"event", "remote", "all"} & set(what)):
            self.refresh_events()
        elif key == "months":
            self.refresh_months()

    def refresh(self) -> None:
        key = self.current_tab()
        if key == "dashboard":
            if self.dashboard.isVisible():
                self.dashboard.refresh()
        elif key == "events":
            self.refresh_events()
        elif key == "months":
            self.refresh_months()

    # ---------------------------------------------------------------- events

    def refresh_events(self, select_id: int | None = None) -> None:
        fy = self.events_year.currentData()
        rows = self.ctx.read(lambda s: list_events(s, fiscal_year=fy))
        self.events_model.set_rows(rows)
        missing = sum(1 for e in rows if e.attendance is None and e.day <= self.today)
        total = sum(e.attendance or 0 for e in rows)
        text = f"{len(rows)}件・参加者 {total:,}人"
        if missing:
            text += f"　参加者数が未入力の行事 {missing}件"
        self.events_note.setText(text)
        if select_id is not None:
            for r, e in enumerate(rows):
                if e.id == select_id:
                    self.events_view.selectRow(r)

    def selected_event(self):
        idx = self.events_view.selectionModel().selectedRows()
        return self.events_model.row(idx[0].row()) if idx else None

    def _rooms(self):
        return self.ctx.read(list_rooms)

    def add_event(self):
        return self._save_event(None)

    def edit_event(self):
        e = self.selected_event()
        if e is None:
            return None
        return self._save_event(e)

    def _save_event(self, event):
        v = EventDialog.get(self, self._rooms(), event)
        if v is None:
            return None
        event_id = event.id if event is not None else None
        try:
            saved = self.ctx.write(lambda s, a: save_event(
                s, a, event_id=event_id, name=v.name, kind=v.kind, day=v.day, room_id=v.room_id,
                attendance=v.attendance, note=v.note), changes={"event"})
        except DomainError as exc:
            show_error(self, exc)
            return None
        if jcal.fiscal_year(v.day) != self.events_year.currentData():
            i = self.events_year.findData(jcal.fiscal_year(v.day))
            if i >= 0:
                self.events_year.setCurrentIndex(i)
        self.refresh_events(select_id=saved.id)
        return saved

    # ---------------------------------------------------------------- months

    def refresh_months(self) -> None:
        fy = self.months_year.currentData()
        keep = self.selected_month()
        today = self.today

        def load(s):
            # One rule with every output: months ahead blank, the running month to today, like-for-like.
            rows = {(r.year, r.month): r for r in monthly_users(s, fy, today=today)}
            closings = lookups.month_closings(s, fy)
            amend = year_amendments(s, fy)
            out = []
            for y, m in fiscal_months(fy):
                c = closings.get((y, m))
                if c is not None:
                    state = "closed"
                elif (y, m) == (today.year, today.month):
                    state = "current"
                elif date(y, m, 1) > today:
                    state = "future"
                else:
                    state = "open"
                n_amend = sum(1 for a in amend if (a.year, a.month) == (y, m))
                r = rows.get((y, m))
                total = r.total if r is not None and r.total is not None else 0
                out.append(MonthState(y, m, total, state, c[0] if c else None, c[1] if c else "", n_amend,
                                      getattr(r, "upto", None), r.last_year_comparable if r is not None else None))
            return out, amend

        months, amendments = self.ctx.read(load)
        self._amendments = amendments
        self.months_model.set_rows(months)
        target = keep.id if keep is not None else None
        if target is None:  # the month just ended is the one to close
            prev = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
            target = prev[0] * 100 + prev[1]
        for r, m in enumerate(months):
            if m.id == target:
                self.months_view.selectRow(r)
                break
        self._month_selected()

    def selected_month(self) -> MonthState | None:
        sm = self.months_view.selectionModel()
        idx = sm.selectedRows() if sm is not None else []
        return self.months_model.row(idx[0].row()) if idx else None

    def _month_selected(self) -> None:
        m = self.selected_month()
        self.close_button.setEnabled(m is not None and m.state == "open")
        self.amend_button.setEnabled(m is not None and m.state == "closed")
        amendments = getattr(self, "_amendments", [])
        if m is None:
            self.month_detail.setText("")
            self.amendments_model.set_rows(amendments)
            return
        self.amendments_model.set_rows([a for a in amendments if (a.year, a.month) == (m.year, m.month)])
        if m.state == "closed":
            self.month_detail.setText(f"{month_text(m.year, m.month)}は締め済みです（{m.closed_by}）。"
                                      "数値の変更は「訂正」で記録します。")
        elif m.state == "open":
            self.month_detail.setText(f"{month_text(m.year, m.month)}は未締めです。"
                                      "未精算の予約を片付けてから、管理者が「締める」を押してください。")
        elif m.state == "current":
            self.month_detail.setText(f"今月は月末まで集計中です（{m.label}の数値。前年同期は前年の同じ日までと比べます）。")
        else:
            self.month_detail.setText("")

    def close_selected(self) -> bool:
        m = self.selected_month()
        if m is None:
            return False
        label = month_text(m.year, m.month)
        if not confirm(self, "月次締め", f"{label}を締めます。締めた後の数値の変更は訂正として記録されます。よろしいですか？"):
            return False
        now = self._now()
        try:
            self.ctx.write(lambda s, a: close_month(s, a, m.year, m.month, now=now), changes={"month"})
        except DomainError as exc:
            return self._close_refused(m, exc)
        self.refresh_months()
        info(self, "月次締め", f"{label}を締めました。")
        return True

    def _close_refused(self, m: MonthState, exc: DomainError) -> bool:
        """Refused: when unsettled bookings are the reason, list them (and let a manager force it)."""
        today = self.today
        try:
            unsettled = [b for b in self.ctx.read(lambda s: unsettled_bookings(s, today=today))
                         if (b.start.year, b.start.month) == (m.year, m.month)]
        except DomainError:
            unsettled = []
        if not unsettled or not self.ctx.actor.is_manager:
            show_error(self, exc)
            return False
        reason = ask_force_reason(self, exc.message, unsettled)
        if not reason:
            return False
        now = self._now()
        try:
            self.ctx.write(lambda s, a: close_month(s, a, m.year, m.month, now=now, force_reason=reason),
                           changes={"month"})
        except DomainError as exc2:
            show_error(self, exc2)
            return False
        self.refresh_months()
        info(self, "月次締め", f"{month_text(m.year, m.month)}を締めました（未精算 {len(unsettled)}件、理由を記録）。")
        return True

    def month_figure_values(self, year: int, month: int) -> list[tuple[str, str, int]]:
        """The amendable figures of a closed month: (key, Japanese label, value as it stands now)."""
        return amendable_figures(self.ctx.read(lambda s: month_figures(s, year, month)))

    def amend_selected(self):
        m = self.selected_month()
        if m is None:
            return None
        try:
            figures = self.month_figure_values(m.year, m.month)
        except DomainError as exc:
            show_error(self, exc)
            return None
        v = AmendDialog.get(self, m.year, m.month, figures)
        if v is None:
            return None
        try:
            view = self.ctx.write(lambda s, a: amend(s, a, m.year, m.month, v.key, v.new_value, v.reason),
                                  changes={"amendment"})
        except DomainError as exc:
            show_error(self, exc)
            return None
        self.refresh_months()
        return view

    # ---------------------------------------------------------------- export

    def export_period(self) -> tuple[str, dict]:
        """('2026年10月', {'month': (2026, 10)}) or ('令和8年度（2026年度）', {'fiscal_year': 2026}).

        A fiscal year is named as the city's documents name it (和暦), the western year beside it.
        """
        if self.by_year_radio.isChecked():
            fy = self.export_year.currentData()
            return f"{jcal.fiscal_year_label(fy)}（{fy}年度）", {"fiscal_year": fy}
        y, m = self.export_month.currentData()
        return month_text(y, m), {"month": (y, m)}

    def export_format(self) -> str:
        return next(k for k, r in self.format_radios.items() if r.isChecked())

    def export(self):
        label, kwargs = self.export_period()
        fmt = self.export_format()
        # the file is named by the 和暦 year alone: 統計_令和8年度.xlsx (no brackets in file names)
        stem = jcal.fiscal_year_label(kwargs["fiscal_year"]) if "fiscal_year" in kwargs else label
        path = ask_save_path(self, f"統計_{stem}.{fmt}", fmt)
        if not path:
            return None
        out = Path(path)
        engine, actor = self.ctx.engine, self.ctx.actor

        def work():
            # A write: the export records itself in the audit trail (issue 14).
            unit_of_work.write(engine, lambda session: export_stats(session, out, actor=actor, **kwargs))
            return out

        def done(p: Path) -> None:
            self.last_export_path = p
            self.export_result.setText(f"{label}の統計を保存しました：{p}")
            info(self, "統計の出力", f"{label}の統計を保存しました。\n{p}")

        def failed(exc: BaseException) -> None:
            self.export_result.setText("")
            show_error(self, exc)

        from booking_app.ui.workers import Op

        self.export_result.setText(f"{label}の統計を出力しています…")
        self.last_op = Op(self, work).success(done).failure(failed) \
            .with_progress("統計を出力しています…").run_in_background()
        return self.last_op


def ask_force_reason(parent: QWidget | None, message: str, bookings: Sequence) -> str | None:
    """The unsettled bookings of the month, and a reason to close anyway (tests replace this)."""
    return UnsettledDialog.ask(parent, message, bookings)


__all__ = ["StatsPage", "EventDialog", "AmendDialog", "UnsettledDialog", "EventsModel", "MonthsModel",
           "AmendmentsModel", "UnsettledModel", "ask_save_path", "ask_force_reason", "confirm", "info"]
