"""予約検索 (booking search): by number, group name or kana, booker, purpose or phone, within dates."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from booking_app import clock
from booking_app.domain.errors import DomainError
from booking_app.services import bookings as booking_svc
from booking_app.ui.booking.booking_dialog import BookingDialog
from booking_app.ui.context import AppContext
from booking_app.ui.dates import date_edit, from_qdate
from booking_app.ui.errors import show_error
from booking_app.ui.booking.today_list import BookingTableModel

SEARCH_COLUMNS = ("number", "date", "time", "room", "who", "purpose", "phone", "status")
LIMIT = 200


class BookingSearchPage(QWidget):
    """予約検索: type, press Enter, double-click a row to open the booking."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("booking_search_page")
        self.ctx = ctx
        today = clock.today()

        top = QHBoxLayout()
        self.search_edit = QLineEdit()
        self.search_edit.setObjectName("search_text")
        self.search_edit.setPlaceholderText("予約番号・団体名・かな・氏名・目的・電話番号")
        self.search_edit.setClearButtonEnabled(True)
        self.range_check = QCheckBox("期間")
        self.range_check.setObjectName("date_filter")
        self.from_edit = date_edit("date_from", today - timedelta(days=30))
        self.to_edit = date_edit("date_to", today + timedelta(days=90))
        self.search_button = QPushButton("検索")
        self.search_button.setObjectName("search_button")
        top.addWidget(QLabel("検索"))
        top.addWidget(self.search_edit, 1)
        top.addWidget(self.range_check)
        top.addWidget(self.from_edit)
        top.addWidget(QLabel("〜"))
        top.addWidget(self.to_edit)
        top.addWidget(self.search_button)

        self.model = BookingTableModel(SEARCH_COLUMNS, self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setObjectName("search_results")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        # Keep the service's order (newest first) until staff click a header.
        self.proxy.sort(-1)
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(self.model.column_of("purpose"), QHeaderView.ResizeMode.Stretch)
        self.count_label = QLabel("条件を入れて検索してください")
        self.count_label.setObjectName("count_label")

        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.count_label)

        self.from_edit.setEnabled(False)
        self.to_edit.setEnabled(False)
        self.range_check.toggled.connect(self.from_edit.setEnabled)
        self.range_check.toggled.connect(self.to_edit.setEnabled)
        self.search_edit.returnPressed.connect(self.search)
        self.search_button.clicked.connect(self.search)
        self.table.doubleClicked.connect(self._open_index)
        ctx.changed.connect(self._on_changed)
        self._searched = False

    def _on_changed(self, what) -> None:
        if self._searched and (not what or "booking" in what):
            self.search()

    def search(self) -> None:
        text = self.search_edit.text()
        day_from: date | None = None
        day_to: date | None = None
        if self.range_check.isChecked():
            day_from, day_to = from_qdate(self.from_edit.date()), from_qdate(self.to_edit.date())
        if not text.strip() and day_from is None:
            self.count_label.setText("検索する言葉か期間を入力してください")
            return
        try:
            rows = self.ctx.read(lambda s: booking_svc.search_bookings(s, text, day_from=day_from,
                                                                       day_to=day_to, limit=LIMIT))
        except DomainError as exc:
            show_error(self, exc)
            return
        self._searched = True
        self.model.set_rows(rows)
        more = f"（先頭{LIMIT}件まで。条件を絞ってください）" if len(rows) >= LIMIT else ""
        self.count_label.setText(f"{len(rows)}件見つかりました{more}" if rows else "該当する予約はありません")

    def _open_index(self, index) -> None:
        v = self.model.row(self.proxy.mapToSource(index).row())
        if BookingDialog.edit(self, self.ctx, v.id):
            self.search()


__all__ = ["BookingSearchPage"]
