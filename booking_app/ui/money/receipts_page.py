"""The receipts page (領収書): find a receipt, show or reissue it, void and refund it, take a payment.

A receipt is never edited: 表示・再発行 records another printing (which prints 再発行), and
取消・返金 records a void with the refund pointing at the original. Only managers may void: the
service refuses anyone else, and the page disables the button for them (following ctx.actor_changed)
so desk staff are not offered an action that can only fail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from booking_app.domain import japanese_calendar as jcal
from booking_app.domain.errors import ValidationError
from booking_app.services import payments as pay_svc
from booking_app.ui import prompts
from booking_app.ui.context import AppContext
from booking_app.ui.dates import date_edit, from_qdate
from booking_app.ui.keyboard import tab_leaves_dates  # Tab leaves a date field (←→ move in it)
from booking_app.ui.keyboard import InputSnapshot, bind_key, may_discard
from booking_app.ui.list_page import ListPage, always
from booking_app.ui.money.payment_dialog import METHOD_LABELS, METHODS, PaymentDialog, remembered_layout, show_receipt
from booking_app.ui.plain_text import plain_label
from booking_app.ui.printing.printing_log_dialog import PrintingLogDialog
from booking_app.ui.table_model import RIGHT, RowsTableModel
from booking_app.ui.widgets import page_title

VOID_RED = QColor("#c62828")
SEARCH_DELAY_MS = 200
PAGE_SIZE = 200  # receipts listed at a time, newest first (さらに表示 lists the next ones)


class ReceiptsModel(RowsTableModel):
    """Receipts as plain rows (領収書一覧); never ORM objects."""

    HEADERS = ("番号", "日時", "宛名", "金額", "方法", "状態", "再発行回数")
    NUMBER, AT, PAYER, TOTAL, METHOD, STATE, REISSUES = range(7)

    def cell(self, r: Any, col: int) -> Any:
        if col == self.NUMBER:
            return r.receipt_no
        if col == self.AT:
            return f"{jcal.format_slash(r.issued_at.date())} {r.issued_at:%H:%M}"
        if col == self.PAYER:
            return f"{r.payer_name} 様"
        if col == self.TOTAL:
            return f"¥{r.total:,}"
        if col == self.METHOD:
            return METHOD_LABELS.get(r.method, r.method)
        if col == self.STATE:
            if r.voided:
                return "取消"
            refunded = getattr(r, "refunded", 0)
            return f"還付 ¥{refunded:,}" if refunded else "有効"  # a cancelled booking paid on it (還付)
        if col == self.REISSUES:
            return str(r.reissue_count)
        return None

    def foreground(self, r: Any, col: int) -> Any:
        return QBrush(VOID_RED) if col == self.STATE and r.voided else None

    def alignment(self, r: Any, col: int) -> Any:
        return RIGHT if col in (self.TOTAL, self.REISSUES) else None

    def tooltip(self, r: Any, col: int) -> Any:
        return getattr(r, "purpose", "") or None


class VoidDialog(QDialog):
    """取消・返金: the reason and how the money goes back (管理者のみ)."""

    def __init__(self, parent: QWidget | None, receipt: Any):
        super().__init__(parent)
        self.setObjectName("void_dialog")
        self.setWindowTitle("領収書の取消・返金")
        refunded = getattr(receipt, "refunded", 0)
        # A cancelled booking on it was refunded (還付) already: the void pays back only the rest.
        amount_text = (f"還付済みの ¥{refunded:,} を除き、返金額は ¥{receipt.total - refunded:,} です。" if refunded
                       else "返金額は領収額と同じです。")
        info = plain_label(f"領収書 {receipt.receipt_no}　{receipt.payer_name} 様　¥{receipt.total:,}\n"
                           f"取消すと元に戻せません。{amount_text}")
        self.reason_edit = QLineEdit()
        self.reason_edit.setObjectName("reason")
        self.reason_edit.setPlaceholderText("例：金額の誤り、宛名の誤り")
        self.method_combo = QComboBox()
        self.method_combo.setObjectName("refund_method")
        for key, label in METHODS:
            self.method_combo.addItem(label, key)
        self.method_combo.setCurrentIndex(self.method_combo.findData(receipt.method))
        form = QFormLayout()
        form.addRow("取消の理由(&R)", self.reason_edit)
        form.addRow("返金方法(&M)", self.method_combo)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("取消・返金する")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("やめる")
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(info)
        lay.addLayout(form)
        lay.addWidget(buttons)
        self._snapshot = InputSnapshot(self)  # Esc after a reason was typed asks 入力内容を破棄しますか

    def reject(self) -> None:
        if not may_discard(self, prompts.shared(), self._snapshot):
            return
        super().reject()

    def _accept(self) -> None:
        if not self.reason_edit.text().strip():
            # A dialog without a context asks the shared prompts (the page's ctx.prompts is that one too).
            prompts.shared().show_error(self, ValidationError("取消の理由を入力してください。", field="reason"))
            return
        self.accept()

    def values(self) -> tuple[str, str]:
        return self.reason_edit.text().strip(), self.method_combo.currentData()

    @classmethod
    def get(cls, parent: QWidget | None, receipt: Any) -> tuple[str, str] | None:
        dlg = cls(parent, receipt)
        return dlg.values() if dlg.exec() == QDialog.DialogCode.Accepted else None


@dataclass(frozen=True)
class ReceiptFilter:
    """What the list shows: one day (None: every day), a search text, how many rows (newest first)."""

    day: date | None
    text: str
    limit: int


class ReceiptsPage(ListPage):
    """領収書: the receipts of a day (or all days) with search, reissue, void and new payments."""

    REFRESH_ON = frozenset({"receipt"})

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, ReceiptsModel(), name="receipts_page", table_name="receipts_table", parent=parent)
        self.day = ctx.today  # the day shown: today at first
        self.page_size = PAGE_SIZE
        self.limit = self.page_size  # rows listed now: one page, more after さらに表示

        self.date_edit = date_edit("date", self.day)
        self.all_days_check = QCheckBox("全期間")
        self.all_days_check.setObjectName("all_days")
        self.search_edit = QLineEdit()
        self.search_edit.setObjectName("search")
        self.search_edit.setPlaceholderText("番号・宛名で検索")
        self.search_edit.setClearButtonEnabled(True)
        self.title = page_title()
        day_label = QLabel("日付(&D)")
        day_label.setBuddy(self.date_edit)
        self.search_edit.setAccessibleName("領収書の検索（番号・宛名）")
        self.table.setAccessibleName("領収書一覧")
        self.filter_bar.addWidget(day_label)
        self.filter_bar.addWidget(self.date_edit)
        self.filter_bar.addWidget(self.all_days_check)
        self.filter_bar.addWidget(self.search_edit, 1)
        self.filter_bar.addWidget(self.title)

        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(ReceiptsModel.PAYER, QHeaderView.ResizeMode.Stretch)
        self.empty_label = self.status_label
        self.empty_label.setObjectName("empty_label")
        # The list shows the newest receipts a page at a time and says so; the title's count and 有効合計
        # are always over every receipt the filter matches.
        self.more_label = plain_label()
        self.more_label.setObjectName("more_label")
        self.more_button = QPushButton()
        self.more_button.setObjectName("more_button")
        self.more_button.clicked.connect(self.show_more)
        self.more_label.hide()
        self.more_button.hide()
        self.status_bar.addWidget(self.more_label)
        self.status_bar.addWidget(self.more_button)

        self.show_button = self.add_action("表示・再発行", "show_button", self.show_selected)
        self.void_button = self.add_action(
            "取消・返金…", "void_button", self.void_selected,
            enabled=lambda r: self.ctx.actor.is_manager and r is not None and not r.voided)
        self.refund_slip_button = self.add_action(
            "還付明細書", "refund_slip_button", self.show_refund_slips,
            enabled=lambda r: r is not None and bool(getattr(r, "refund_ids", ())),
            tip="選んだ領収書の予約の取消で記録した還付の明細書を表示・印刷します")
        self.printing_button = self.add_action("印刷機の記録…", "printing_button", self.record_printing,
                                               enabled=always, stretch_before=True)
        self.pay_button = self.add_action("支払を受ける…", "pay_button", self.take_payment, enabled=always)
        # Enter on the list shows the receipt (表示・再発行), as a double-click does; only where the list
        # has the focus (in the search field Enter does nothing else).
        bind_key(self.table, self.show_button, ("Enter", "Return"), section="領収書")
        tab_leaves_dates(self)
        order = [self.date_edit, self.all_days_check, self.search_edit, self.table, self.more_button,
                 self.show_button, self.void_button, self.refund_slip_button, self.printing_button, self.pay_button]
        for a, b in zip(order, order[1:]):
            QWidget.setTabOrder(a, b)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._new_filter)
        self.search_edit.textChanged.connect(lambda _t: self._search_timer.start())
        self.date_edit.dateChanged.connect(lambda q: self._set_day(from_qdate(q)))
        self.all_days_check.toggled.connect(lambda _on: self._new_filter())
        self.table.doubleClicked.connect(lambda _i: self.show_selected())
        self.update_actions()

    # ---------------------------------------------------------------- the list

    def current_filter(self) -> ReceiptFilter:
        day = None if self.all_days_check.isChecked() else self.day
        return ReceiptFilter(day, self.search_edit.text().strip(), self.limit)

    def fetch(self, session, f: ReceiptFilter) -> tuple[list[Any], Any]:
        return (pay_svc.list_receipts(session, day=f.day, text=f.text, limit=f.limit),
                pay_svc.receipt_totals(session, day=f.day, text=f.text))

    def rows_of(self, result: tuple[list[Any], Any]) -> list[Any]:
        return result[0]

    def loaded(self, result: tuple[list[Any], Any], f: ReceiptFilter) -> None:
        rows, totals = result
        where = "全期間" if f.day is None else jcal.format_both(f.day)
        self.title.setText(f"{where}　{totals.count:,}件　有効合計 ¥{totals.valid_total:,}")
        self.empty_label.setText("該当する領収書はありません" if not rows else "")
        capped = len(rows) < totals.count
        self.more_label.setText(f"新しい順に{len(rows):,}件を表示（全{totals.count:,}件）" if capped else "")
        self.more_label.setVisible(capped)
        self.more_button.setText(f"さらに{min(self.page_size, totals.count - len(rows)):,}件を表示")
        self.more_button.setVisible(capped)

    def update_actions(self) -> None:
        super().update_actions()
        self.void_button.setToolTip("選んだ領収書を取消し、返金を記録します" if self.ctx.actor.is_manager
                                    else "取消・返金は管理者のみ行えます")

    def _set_day(self, d: date) -> None:
        self.day = d
        self._new_filter()

    def _new_filter(self) -> None:
        """Another day, period or search: back to the first page."""
        self._search_timer.stop()
        self.limit = self.page_size
        self.date_edit.setEnabled(not self.all_days_check.isChecked())
        self.load()

    def show_more(self) -> None:
        """さらに表示: the next page of older receipts under the ones listed."""
        self.limit += self.page_size
        self.load()

    def select_receipt(self, receipt_id: int) -> bool:
        return self.select_id(receipt_id)

    def focus_search(self) -> None:
        """Ctrl+F (and the page brought up by its key): the search field, its words selected."""
        self.search_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_edit.selectAll()

    def focus_first(self) -> None:
        self.focus_search()

    # ---------------------------------------------------------------- actions

    def show_selected(self) -> bool:
        """Show the receipt; this records a printing, so every showing after the first is 再発行."""
        r = self.selected()
        if r is None:
            return False
        return self.ctx.prompts.attempt(self, lambda: show_receipt(self, self.ctx, r.id, remembered_layout()))

    def void_selected(self) -> bool:
        r = self.selected()
        if r is None:
            return False
        answer = VoidDialog.get(self, r)
        if answer is None:
            return False
        reason, method = answer
        return self.ctx.prompts.attempt(self, lambda: self.ctx.write(
            lambda s, a: pay_svc.void_receipt(s, a, r.id, reason=reason, refund_method=method),
            changes={"receipt", "charge", "booking"}))

    def show_refund_slips(self) -> bool:
        """The 還付明細書 of every refund on the selected receipt, in the print preview (a reprint)."""
        from booking_app.ui.money.refund_flow import show_refund_slip

        r = self.selected()
        if r is None or not getattr(r, "refund_ids", ()):
            return False
        return all(self.ctx.prompts.attempt(self, lambda fid=fid: show_refund_slip(self, self.ctx, fid))
                   for fid in r.refund_ids)

    def take_payment(self) -> int | None:
        receipt_id = PaymentDialog.take(self, self.ctx)
        if receipt_id is not None:
            self.load(select=receipt_id)
        return receipt_id

    def record_printing(self) -> bool:
        return PrintingLogDialog.record(self, self.ctx) is not None


__all__ = ["ReceiptsPage", "ReceiptsModel", "ReceiptFilter", "VoidDialog"]
