"""本日の予約 (today's bookings) for the counter: check in, check out with the head count, no-show, undo.

The page lists one day (today by default) or, with 「利用済が未入力のみ」, every past booking that was
never checked out: a group that leaves after the desk closes is checked out by the next day's staff.
Each row shows its equipment (備品) and whether its fees are paid (支払: 未払 ¥… / 済 2026-000123 / —),
read for the whole list at once (services.today); 「未払のみ」 narrows the list to what is still owed.
The table model holds plain BookingView rows, never ORM objects.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QWidget,
)

from booking_app.domain import japanese_calendar as jcal
from booking_app.domain.booking_rules import CHECK_IN_FROM, NO_SHOW_FROM, NOT_CHECKED_OUT, UNDO_BACK, BookingStatus
from booking_app.domain.errors import NotFound
from booking_app.services import bookings as booking_svc
from booking_app.services import slips as slip_svc
from booking_app.services import today as today_svc
from booking_app.services.bookings import BookingView, hm
from booking_app.services.today import PaymentState
from booking_app.services.unit_of_work import Session
from booking_app.ui import theme
from booking_app.ui.booking import slips
from booking_app.ui.booking.booking_dialog import BookingDialog
from booking_app.ui.context import AppContext
from booking_app.ui.dates import date_edit, from_qdate, list_date, to_qdate
from booking_app.ui.keyboard import tab_leaves_dates  # Tab leaves a date field (←→ move in it)
from booking_app.ui.keyboard import bind_key, shortcut_action
from booking_app.ui.list_page import ListPage, always
from booking_app.ui.money import payment_dialog
from booking_app.ui.money.payment_dialog import PaymentDialog
from booking_app.ui.stats.counter_panel import CounterPanel
from booking_app.ui.table_model import RowsTableModel
from booking_app.ui.waitlist.today_panel import WaitlistPanel
from booking_app.ui.widgets import named_button, page_title
from booking_app.ui.workers import Op

KIND_LABELS = {"member": "登録団体", "group": "団体", "person": "個人"}
NOT_CHECKED_OUT_LIMIT = 300  # the oldest first; the title says when there are more
UNPAID_COLOR = "#c62828"
PAID_COLOR = "#1b7a3a"


# --- the table model, shared with the search page -------------------------------------------------------

Column = tuple[str, Callable[[BookingView], str]]


def _time_text(v: BookingView) -> str:
    end = "24:00" if v.end.date() > v.start.date() else hm(v.end)
    return f"{hm(v.start)}〜{end}"


def _people(v: BookingView) -> str:
    if v.actual_users is not None:
        return f"{v.actual_users}人（予定{v.attendees}）"
    return f"{v.attendees}人"


def _who(v: BookingView) -> str:
    return v.booker_name if v.booker_kind == "member" else f"{v.booker_name}（{KIND_LABELS.get(v.booker_kind, '')}）"


def equipment_text(v: BookingView) -> str:
    """「プロジェクター1台、スクリーン1台」: every item with its quantity and unit; '' when none."""
    return "、".join(f"{e.name}{e.quantity}{e.unit}" for e in v.equipment)


COLUMNS: dict[str, Column] = {
    "number": ("番号", lambda v: v.number),
    "date": ("日付", lambda v: list_date(v.start.date())),
    "time": ("時間", _time_text),
    "room": ("部屋", lambda v: v.room_name or "（備品のみ）"),
    "who": ("団体・氏名", _who),
    "purpose": ("目的", lambda v: v.purpose),
    "people": ("人数", _people),
    "status": ("状態", lambda v: v.status_label),
    "phone": ("連絡先", lambda v: v.contact_phone),
    "equipment": ("備品", equipment_text),
    # Filled from the model's payment states (set_rows(..., payments=)), not from the booking itself.
    "payment": ("支払", lambda v: ""),
}
TODAY_COLUMNS = ("time", "room", "who", "purpose", "people", "equipment", "payment", "status")


class BookingTableModel(RowsTableModel):
    """Bookings as rows (予約一覧); columns chosen by key from COLUMNS."""

    _rows: list[BookingView]

    def __init__(self, columns: Sequence[str] = TODAY_COLUMNS, parent=None):
        super().__init__(parent)
        self._cols = [COLUMNS[c] for c in columns]
        self._keys = list(columns)
        self._payments: dict[int, PaymentState] = {}

    def set_rows(self, rows: Sequence[BookingView], payments: dict[int, PaymentState] | None = None) -> None:
        """The rows, and for the 支払 column their payment states (services.today.payment_states)."""
        self._payments = dict(payments or {})
        super().set_rows(rows)

    def set_payments(self, payments: dict[int, PaymentState]) -> None:
        """The payment states of the rows shown (the 支払 column and its colour)."""
        self._payments = dict(payments)
        if self._rows and "payment" in self._keys:
            col = self._keys.index("payment")
            self.dataChanged.emit(self.index(0, col), self.index(len(self._rows) - 1, col))

    def payment(self, v: BookingView) -> PaymentState | None:
        return self._payments.get(v.id)

    def column_of(self, key: str) -> int:
        return self._keys.index(key)

    def headers(self) -> Sequence[str]:
        return [c[0] for c in self._cols]

    def cell(self, v: BookingView, col: int):
        if self._keys[col] == "payment":
            state = self._payments.get(v.id)
            return state.label if state is not None else ""
        return self._cols[col][1](v)

    def item_data(self, v: BookingView, col: int, role: int):
        if role == Qt.ItemDataRole.BackgroundRole and self._keys[col] == "status":
            return QBrush(theme.status_color(v.status))
        return super().item_data(v, col, role)

    def foreground(self, v: BookingView, col: int):
        key = self._keys[col]
        if key == "status":
            return QBrush(theme.status_text_color(v.status))
        if key == "date":
            c = theme.day_color(v.start.date())
            return QBrush(c) if c is not None else None
        if key == "payment":
            state = self._payments.get(v.id)
            if state is not None and state.has_fee:
                return QBrush(QColor(UNPAID_COLOR if state.unpaid else PAID_COLOR))
        return None

    def tooltip(self, v: BookingView, col: int):
        if self._keys[col] == "payment" and v.id in self._payments:
            return self._payments[v.id].detail
        parts = [f"予約番号 {v.number}"]
        if v.purpose:
            parts.append(f"目的：{v.purpose}")
        if v.equipment:
            parts.append("備品：" + equipment_text(v))
        if v.status_reason:
            parts.append(v.status_reason)
        return "\n".join(parts)


def unsettled_bookings(session: Session, before: datetime, limit: int = NOT_CHECKED_OUT_LIMIT) -> list[BookingView]:
    """Bookings that ended before ``before`` and are still 確定/利用中: never checked out (利用済 not entered)."""
    return today_svc.not_checked_out(session, before, limit)


# --- the page ------------------------------------------------------------------------------------------

def _counter_panel(ctx: AppContext) -> CounterPanel:
    """The walk-in counter (来館者カウント) beside the list."""
    panel = CounterPanel(ctx)
    panel.setFixedWidth(276)  # two buttons a row (「相談（メール）」 whole); the list keeps the rest
    return panel


@dataclass(frozen=True)
class DayFilter:
    """What the list shows: a day, or every past booking not checked out (before ``today``); unpaid only or all."""

    day: date
    today: date
    not_checked_out: bool = False
    unpaid_only: bool = False


@dataclass(frozen=True)
class DayRows:
    """One read of the list: the rows shown, their payment states, the count before 未払のみ, and whether
    the not-checked-out list stopped at its limit."""

    rows: list[BookingView]
    payments: dict[int, PaymentState]
    total: int
    more: bool = False


def read_day(session: Session, f: DayFilter) -> DayRows:
    """The list for ``f``: one ranged query and its lookups, then one for every payment state."""
    if f.not_checked_out:
        # Everything that ended before today's start; today's own bookings are still in progress.
        found = unsettled_bookings(session, datetime.combine(f.today, time()), NOT_CHECKED_OUT_LIMIT + 1)
    else:
        start = datetime.combine(f.day, time())
        found = booking_svc.bookings_between(session, start, start + timedelta(days=1))
    payments = today_svc.payment_states(session, [r.id for r in found])
    more = False
    if f.not_checked_out:
        more = len(found) > NOT_CHECKED_OUT_LIMIT
        found = found[:NOT_CHECKED_OUT_LIMIT]
    else:
        found = [r for r in found if r.status != BookingStatus.SKIPPED.value]
    total = len(found)
    if f.unpaid_only:
        found = [r for r in found if payments.get(r.id) is not None and payments[r.id].unpaid]
    return DayRows(found, payments, total, more)



def open_selected_booking(page: ListPage) -> bool:
    """開く (the booking lists' button, Enter on the list and double-click): the selected booking in the
    booking dialog; the list is read again when it was changed or cancelled there."""
    v = page.selected()
    if v is None:
        return False
    changed = BookingDialog.edit(page, page.ctx, v.id)
    if changed:
        page.refresh()
    return changed


def _status_in(states) -> Callable[[BookingView | None], bool]:
    """An action's rule for the selected row: its state is one of ``states`` (a set of the domain's)."""
    return lambda v: v is not None and v.status in states


# --- keys: the same on 本日の予約 and 予約検索 ------------------------------------------------------------

CHECK_IN_KEY = "F2"
CHECK_OUT_KEY = "F3"
PAY_KEY = "F4"
REFRESH_KEY = "F5"
SLIP_KEY = "F6"
OPEN_KEYS = ("Enter", "Return")  # the main keyboard's Enter is Return to Qt; the keypad's is Enter


class CounterVerbs:
    """The counter's verbs on the selected booking of a list page (本日の予約 and 予約検索), with their keys.

    F2 チェックイン, F3 利用済（人数入力）, F4 支払…, F6 利用票印刷, F5 read the list again, Enter on the
    list 開く: one set of keys on both pages (:meth:`add_counter_keys`), listed in キー操作一覧 under the page.
    """

    ctx: AppContext
    table: QAbstractItemView
    check_in_button: QWidget
    check_out_button: QWidget
    pay_button: QWidget
    slip_button: QWidget
    open_button: QWidget
    last_op: Op | None
    selected: Callable[[], BookingView | None]  # ListPage's

    def add_counter_keys(self, section: str) -> None:
        page: Any = self
        bind_key(page, page.check_in_button, CHECK_IN_KEY, section=section)
        bind_key(page, page.check_out_button, CHECK_OUT_KEY, section=section)
        bind_key(page, page.pay_button, PAY_KEY, section=section)
        bind_key(page, page.slip_button, SLIP_KEY, section=section)
        # Enter opens only where the list has the focus: in the search field it searches, on a button it presses.
        bind_key(page.table, page.open_button, OPEN_KEYS, section=section)
        page.refresh_action = shortcut_action(page, "最新の情報に更新", REFRESH_KEY, page.refresh, section=section,
                                              name="refresh_key")
        page.table.setToolTip("↑↓：予約を選ぶ　Enter：開く　F2：チェックイン　F3：利用済（人数入力）"
                              "　F4：支払　F6：利用票")

    def _run(self, fn) -> bool:
        page: Any = self
        return self.ctx.prompts.attempt(page, lambda: self.ctx.write(fn))

    def check_in(self) -> bool:
        v = self.selected()
        if v is None:
            return False
        return self._run(lambda s, a: booking_svc.check_in(s, a, v.id, expected_version=v.version))

    def check_out(self) -> bool:
        v = self.selected()
        if v is None:
            return False
        page: Any = self
        n = self.ctx.prompts.ask_number(page, "利用済（人数入力）",
                                        f"{v.booker_name}　{_time_text(v)}\n実際の利用人数を入力してください",
                                        value=v.attendees, maximum=1000)
        if n is None:
            return False
        return self._run(lambda s, a: booking_svc.check_out(s, a, v.id, n, expected_version=v.version))

    def open_selected(self) -> bool:
        page: Any = self
        return open_selected_booking(page)

    def take_payment(self) -> int | None:
        """支払: the selected booking's open charges in the payment dialog; the receipt id or None."""
        v = self.selected()
        if v is None:
            return None
        page: Any = self
        return PaymentDialog.take(page, self.ctx, booking_id=v.id, group_id=v.group_id)

    def print_selected_slip(self):
        v = self.selected()
        if v is None:
            return None
        ids = [v.id]
        return self._print_slips(lambda s, a: slip_svc.print_slips(s, a, ids), f"利用票_{v.number}.pdf",
                                 f"利用票 {v.number}")

    def _print_slips(self, gather, suggested: str, title: str) -> Op:
        """Gather and render the slips off the GUI thread (many slips take a while), then preview.

        ``gather(session, actor)`` reads the slips and records the print run in the audit trail
        (slips.slip_pdf runs it in a write transaction, then renders)."""
        engine, actor = self.ctx.engine, self.ctx.actor
        page: Any = self

        def done(result) -> None:
            if result is None:
                self.ctx.prompts.show_error(page, NotFound(slips.NO_SLIPS))
                return
            payment_dialog.preview_pdf(page, result[0], title=title, suggested_name=suggested)

        def failed(exc: BaseException) -> None:
            self.ctx.prompts.show_error(page, exc)

        self.last_op = Op(page, lambda: slips.slip_pdf(engine, actor, gather)).success(done).failure(failed) \
            .with_progress("利用票を作成しています…").run_in_background()
        return self.last_op


class TodayListPage(CounterVerbs, ListPage):
    """本日の予約: the counter's list of one day with the check-in / check-out buttons.

    Built on the ListPage scaffold (table, proxy, actions enabled by the selected row's state), but it
    reads at once rather than in the background: a day is one ranged query and its lookups, and the desk
    acts on the row it sees right after a click (check-in, then check-out on the refreshed row).
    """

    REFRESH_ON = frozenset({"booking", "profile", "room", "equipment", "charge", "receipt", "waitlist"})
    LOAD_ON_SHOW = False  # read in __init__ and on every change

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, BookingTableModel(TODAY_COLUMNS), name="today_list_page", table_name="today_table",
                         parent=parent)
        self.day = ctx.today  # the day shown: today at first, then wherever the desk moves it

        top = self.filter_bar
        self.prev_button = named_button("◀ 前日", "prev_day")
        self.today_button = named_button("今日", "today_button")
        self.next_button = named_button("翌日 ▶", "next_day")
        self.date_edit = date_edit("date", self.day)
        self.title = page_title()
        # What the filter does, in the words of the button it is about: bookings whose day is over and
        # nobody pressed 利用済（人数入力）or 無断キャンセル (the head count the statistics need). It used
        # to say 未精算, which at a counter means "not paid": payment has its own filter, 未払のみ.
        self.unsettled_check = QCheckBox("利用済が未入力のみ（過去の日）")
        self.unsettled_check.setObjectName("unsettled_filter")
        self.unsettled_check.setToolTip("終わった日の予約で、［利用済（人数入力）］も［無断キャンセル］もされていないものを"
                                        "日をまたいで表示します（利用人数の入力漏れの確認）")
        self.unpaid_check = QCheckBox("未払のみ")
        self.unpaid_check.setObjectName("unpaid_filter")
        self.unpaid_check.setToolTip("料金が未払の予約だけを表示します")
        for w in (self.prev_button, self.date_edit, self.next_button, self.today_button):
            top.addWidget(w)
        top.addWidget(self.title, 1)
        top.addWidget(self.unpaid_check)
        top.addWidget(self.unsettled_check)

        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(self.model.column_of("purpose"), QHeaderView.ResizeMode.Stretch)
        # 備品 fits its text up to about 12 characters (「プロジェクター1台、スクリーン1台」 is cut with …, the
        # tooltip has it all), so 目的 keeps room beside the counter panel at 1366 px. One line a row.
        hh.setSectionResizeMode(self.model.column_of("equipment"), QHeaderView.ResizeMode.Interactive)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.empty_label = self.status_label

        self.check_in_button = self.add_action("チェックイン", "check_in_button", self.check_in,
                                               enabled=_status_in(CHECK_IN_FROM))
        self.check_out_button = self.add_action("利用済（人数入力）", "check_out_button", self.check_out,
                                                enabled=_status_in(NOT_CHECKED_OUT))  # 確定・利用中
        self.no_show_button = self.add_action("無断キャンセル", "no_show_button", self.no_show,
                                              enabled=_status_in(NO_SHOW_FROM))
        self.undo_button = self.add_action("元に戻す", "undo_button", self.undo, enabled=_status_in(UNDO_BACK))
        # --- payments and slips: 支払, 利用票印刷, 翌日の利用票
        self.pay_button = self.add_action("支払…", "pay_button", self.take_payment, stretch_before=True)
        self.slip_button = self.add_action("利用票印刷", "slip_button", self.print_selected_slip)
        self.tomorrow_slips_button = self.add_action("翌日の利用票", "tomorrow_slips_button",
                                                     self.print_next_day_slips, enabled=always,
                                                     tip="表示中の日の翌日の利用票をまとめて印刷します")
        self.open_button = self.add_action("開く", "open_button", self.open_selected)
        self.last_op = None  # the latest background PDF job (tests wait on it)

        # The walk-in counter (来館者カウント) docked right of the list, where the desk clicks it all day.
        self.layout_.removeWidget(self.table)
        middle = QHBoxLayout()
        middle.addWidget(self.table, 1)
        self.counter_panel = _counter_panel(ctx)
        middle.addWidget(self.counter_panel)
        self.layout_.insertLayout(1, middle, 1)
        # キャンセル待ち: freed slots with people waiting, above the list (hidden when there are none).
        self.waitlist_panel = WaitlistPanel(ctx)
        self.layout_.insertWidget(1, self.waitlist_panel)

        # Keys (キー操作一覧 「本日の予約」): F2 F3 F4 F6 on the buttons, F5, Enter on the list; names for
        # assistive software; Tab in reading order: the filter bar, the list, its buttons, the walk-in counter.
        self.add_counter_keys("本日の予約")
        self.table.setAccessibleName("本日の予約一覧")
        self.date_edit.setAccessibleName("表示する日付")
        tab_leaves_dates(self)
        order = [self.prev_button, self.date_edit, self.next_button, self.today_button, self.unpaid_check,
                 self.unsettled_check, *self.waitlist_panel.tab_order(), self.table, self.check_in_button,
                 self.check_out_button, self.no_show_button, self.undo_button, self.pay_button, self.slip_button, self.tomorrow_slips_button, self.open_button,
                 *self.counter_panel.tab_order()]
        for a, b in zip(order, order[1:]):
            QWidget.setTabOrder(a, b)

        self.prev_button.clicked.connect(lambda: self.set_day(self.day - timedelta(days=1)))
        self.next_button.clicked.connect(lambda: self.set_day(self.day + timedelta(days=1)))
        self.today_button.clicked.connect(lambda: self.set_day(self.ctx.today))
        self.date_edit.dateChanged.connect(self._on_date_edit)
        self.unsettled_check.toggled.connect(lambda _on: self.refresh())
        self.unpaid_check.toggled.connect(lambda _on: self.refresh())
        self.table.doubleClicked.connect(lambda _i: self.open_selected())
        self.refresh()

    # ---------------------------------------------------------------- data

    def set_day(self, d: date) -> None:
        self.date_edit.setDate(to_qdate(d))

    def _on_date_edit(self, q) -> None:
        self.day = from_qdate(q)
        self.refresh()

    def current_filter(self) -> DayFilter:
        return DayFilter(self.day, self.ctx.today, self.unsettled_check.isChecked(), self.unpaid_check.isChecked())

    def fetch(self, session: Session, filter: DayFilter) -> DayRows:
        return read_day(session, filter)

    def rows_of(self, result: DayRows) -> list[BookingView]:
        return result.rows

    def refresh(self) -> None:
        """Read the list for the filter bar's choice at once (also on a change and when shown again after
        one; see the class docstring), keeping the selected booking."""
        f = self.current_filter()
        self.show_result(self.ctx.read(lambda s: read_day(s, f)), f)
        self.waitlist_panel.refresh()

    def loaded(self, result: DayRows, filter: DayFilter) -> None:
        self.model.set_payments(result.payments)
        self._fit_equipment_column()
        shown_count = len(result.rows)
        count = f"未払 {shown_count}件／全{result.total}件" if filter.unpaid_only else f"{result.total}件"
        if filter.not_checked_out:
            more_text = f"　古い順に{NOT_CHECKED_OUT_LIMIT}件まで表示（ほかにもあります）" if result.more else ""
            self.title.setText(f"利用済が未入力の予約（{count}）{more_text}")
            self.title.setStyleSheet("")
            empty = "利用済が未入力の予約はありません"
        else:
            label = "本日の予約" if filter.day == filter.today else "予約"
            self.title.setText(f"{label}　{jcal.format_both(filter.day)}（{count}）")
            color = theme.day_color(filter.day)
            self.title.setStyleSheet(f"color: {color.name()};" if color is not None else "")
            empty = "この日の予約はありません"
        if filter.unpaid_only and result.total:
            empty = "未払の予約はありません"
        self.status_label.setText(empty if not result.rows else "")
        self.date_edit.setEnabled(not filter.not_checked_out)

    def _fit_equipment_column(self) -> None:
        col = self.model.column_of("equipment")
        self.table.resizeColumnToContents(col)
        cap = self.table.fontMetrics().horizontalAdvance("あ") * 12 + 12
        self.table.setColumnWidth(col, min(self.table.columnWidth(col), cap))

    def select_booking(self, booking_id: int) -> bool:
        return self.select_id(booking_id)

    def focus_first(self) -> None:
        """Where the keyboard lands when the page is brought up (Ctrl+2): the list, its selection as it was."""
        self.table.setFocus(Qt.FocusReason.ShortcutFocusReason)

    # ---------------------------------------------------------------- actions

    def no_show(self) -> bool:
        v = self.selected()
        if v is None or not self.confirm_no_show(v):
            return False
        return self._run(lambda s, a: booking_svc.mark_no_show(s, a, v.id, expected_version=v.version))

    def confirm_no_show(self, v: BookingView) -> bool:
        """Ask before recording a no-show (無断キャンセル): it may bring a fee and marks the group, so one
        stray click must not do it (「やめる」 is the default)."""
        where = v.room_name or "備品のみ"
        return self.ctx.prompts.confirm(
            self, "無断キャンセル",
            f"{v.booker_name}（{where}、{jcal.format_slash(v.start.date())} {hm(v.start)}〜{hm(v.end)}）を"
            "無断キャンセルにしますか？\n\n連絡なく来館されなかった予約として記録します。",
            yes="無断キャンセルにする", no="やめる")

    def undo(self) -> bool:
        v = self.selected()
        if v is None:
            return False
        return self._run(lambda s, a: booking_svc.undo_status(s, a, v.id))

    # ---------------------------------------------------------------- slips

    def print_next_day_slips(self):
        """明日の利用票: every slip of the day after the one shown, in one PDF, via the preview."""
        day = self.day + timedelta(days=1)
        return self._print_slips(lambda s, a: slip_svc.print_day_slips(s, a, day), f"利用票_{day:%Y%m%d}.pdf",
                                 f"利用票 {jcal.format_both(day)}")


__all__ = ["TodayListPage", "BookingTableModel", "COLUMNS", "CounterVerbs", "open_selected_booking",
           "unsettled_bookings"]
