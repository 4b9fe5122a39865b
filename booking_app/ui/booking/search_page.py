"""予約検索 (booking search): by number, group name or kana, booker, purpose or phone, within dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QHeaderView, QLabel, QLineEdit, QPushButton, QWidget

from booking_app.services import bookings as booking_svc
from booking_app.services.bookings import BookingView
from booking_app.services.unit_of_work import Session
from booking_app.domain.booking_rules import CHECK_IN_FROM, NOT_CHECKED_OUT
from booking_app.ui.booking.today_list import BookingTableModel, CounterVerbs, _status_in
from booking_app.ui.keyboard import tab_leaves_dates  # Tab leaves a date field (←→ move in it)
from booking_app.ui.context import AppContext
from booking_app.ui.dates import date_edit, from_qdate
from booking_app.ui.list_page import ListPage

SEARCH_COLUMNS = ("number", "date", "time", "room", "who", "purpose", "phone", "status")
LIMIT = 200
ASK_TEXT = "条件を入れて検索してください"


@dataclass(frozen=True)
class SearchFilter:
    """The words typed and, when 期間 is ticked, the dates searched within."""

    text: str
    day_from: date | None = None
    day_to: date | None = None

    @property
    def empty(self) -> bool:
        return not self.text.strip() and self.day_from is None


class BookingSearchPage(CounterVerbs, ListPage):
    """予約検索: type, press Enter, double-click a row (or 開く, or Enter on the list) to open the booking.

    Searches only when asked (Enter, 検索); a booking changed elsewhere searches again with the last words.
    The counter's verbs and keys are those of 本日の予約 (F2 チェックイン, F3 利用済, F4 支払, F6 利用票):
    a group that arrives without its slip is found here and checked in from here.
    """

    REFRESH_ON = frozenset({"booking"})
    LOAD_ON_SHOW = False

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, BookingTableModel(SEARCH_COLUMNS), name="booking_search_page",
                         table_name="search_results", parent=parent)
        today = ctx.today

        top = self.filter_bar
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
        label = QLabel("検索(&S)")
        label.setBuddy(self.search_edit)
        top.addWidget(label)
        top.addWidget(self.search_edit, 1)
        top.addWidget(self.range_check)
        top.addWidget(self.from_edit)
        top.addWidget(QLabel("〜"))
        top.addWidget(self.to_edit)
        top.addWidget(self.search_button)

        self.table.setSortingEnabled(True)
        # Keep the service's order (newest first) until staff click a header.
        self.proxy.sort(-1)
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(self.model.column_of("purpose"), QHeaderView.ResizeMode.Stretch)
        self.count_label = self.status_label
        self.count_label.setText(ASK_TEXT)
        self.check_in_button = self.add_action("チェックイン", "check_in_button", self.check_in,
                                               enabled=_status_in(CHECK_IN_FROM))
        self.check_out_button = self.add_action("利用済（人数入力）", "check_out_button", self.check_out,
                                                enabled=_status_in(NOT_CHECKED_OUT))  # 確定・利用中
        self.pay_button = self.add_action("支払…", "pay_button", self.take_payment, stretch_before=True)
        self.slip_button = self.add_action("利用票印刷", "slip_button", self.print_selected_slip)
        self.open_button = self.add_action("開く", "open_button", self.open_selected)
        self.last_op = None  # the latest background PDF job (tests wait on it)
        self.add_counter_keys("予約検索")
        self.table.setAccessibleName("検索結果")
        self.search_edit.setAccessibleName("予約の検索（番号・団体名・かな・氏名・目的・電話番号）")
        self.from_edit.setAccessibleName("期間の開始日")
        self.to_edit.setAccessibleName("期間の終了日")
        tab_leaves_dates(self)
        order = [self.search_edit, self.range_check, self.from_edit, self.to_edit, self.search_button, self.table,
                 self.check_in_button, self.check_out_button, self.pay_button, self.slip_button, self.open_button]
        for a, b in zip(order, order[1:]):
            QWidget.setTabOrder(a, b)

        self.from_edit.setEnabled(False)
        self.to_edit.setEnabled(False)
        self.range_check.toggled.connect(self.from_edit.setEnabled)
        self.range_check.toggled.connect(self.to_edit.setEnabled)
        self.search_edit.returnPressed.connect(self.search)
        self.search_button.clicked.connect(self.search)
        self.table.doubleClicked.connect(lambda _i: self.open_selected())

    def current_filter(self) -> SearchFilter:
        if self.range_check.isChecked():
            return SearchFilter(self.search_edit.text(), from_qdate(self.from_edit.date()),
                                from_qdate(self.to_edit.date()))
        return SearchFilter(self.search_edit.text())

    def fetch(self, session: Session, filter: SearchFilter) -> list[BookingView]:
        if filter.empty:  # a change elsewhere before any search: nothing asked, nothing to read
            return []
        return booking_svc.search_bookings(session, filter.text, day_from=filter.day_from, day_to=filter.day_to,
                                           limit=LIMIT)

    def loaded(self, rows: list[BookingView], filter: SearchFilter) -> None:
        if filter.empty:
            self.count_label.setText(ASK_TEXT)
            return
        more = f"（先頭{LIMIT}件まで。条件を絞ってください）" if len(rows) >= LIMIT else ""
        self.count_label.setText(f"{len(rows)}件見つかりました{more}" if rows else "該当する予約はありません")

    def search(self):
        """Search with what the filter bar says, in the background (``last_load``); None when nothing is asked."""
        f = self.current_filter()
        if f.empty:
            self.count_label.setText("検索する言葉か期間を入力してください")
            return None
        return self.load(f)

    def focus_search(self) -> None:
        """Ctrl+F: the keyboard in the search field, its words selected (typing replaces them)."""
        self.search_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_edit.selectAll()

    def focus_first(self) -> None:
        """Where the keyboard lands when the page is brought up (Ctrl+3): the search field."""
        self.focus_search()


__all__ = ["BookingSearchPage"]
