"""The receipts page (領収書): find a receipt, show or reissue it, void and refund it, take a payment.

A receipt is never edited: 表示・再発行 records another printing (which prints 再発行), and
取消・返金 records a void with the refund pointing at the original. Only managers may void: the
service refuses anyone else, and the page disables the button for them (following ctx.actor_changed)
so desk staff are not offered an action that can only fail.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import QSortFilterProxyModel, QTimer
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
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
from booking_app.domain import japanese_calendar as jcal
from booking_app.domain.errors import DomainError, ValidationError
from booking_app.ui.dates import date_edit as _japanese_date_edit, from_qdate
from booking_app.ui.context import AppContext
from booking_app.ui.errors import show_error
from booking_app.ui.money.payment_dialog import METHOD_LABELS, METHODS, PaymentDialog, remembered_layout, show_receipt
from booking_app.ui.table_model import RIGHT, RowsTableModel
from booking_app.ui.widgets import select_row_by_id, selected_row
from booking_app.ui.plain_text import plain_label

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
            return "取消" if r.voided else "有効"
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
        info = plain_label(f"領収書 {receipt.receipt_no}　{receipt.payer_name} 様　¥{receipt.total:,}\n"
                      "取消すと元に戻せません。返金額は領収額と同じです。")
        self.reason_edit = QLineEdit()
        self.reason_edit.setObjectName("reason")
        self.reason_edit.setPlaceholderText("例：金額の誤り、宛名の誤り")
        self.method_combo = QComboBox()
        self.method_combo.setObjectName("refund_method")
        for key, label in METHODS:
            self.method_combo.addItem(label, key)
        self.method_combo.setCurrentIndex(self.method_combo.findData(receipt.method))
        form = QFormLayout()
        form.addRow("取消の理由", self.reason_edit)
        form.addRow("返金方法", self.method_combo)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("取消・返金する")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("やめる")
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(info)
        lay.addLayout(form)
        lay.addWidget(buttons)

    def _accept(self) -> None:
        if not self.reason_edit.text().strip():
            show_error(self, ValidationError("取消の理由を入力してください。", field="reason"))
            return
        self.accept()

    def values(self) -> tuple[str, str]:
        return self.reason_edit.text().strip(), self.method_combo.currentData()

    @classmethod
    def get(cls, parent: QWidget | None, receipt: Any) -> tuple[str, str] | None:
        dlg = cls(parent, receipt)
        return dlg.values() if dlg.exec() == QDialog.DialogCode.Accepted else None


class ReceiptsPage(QWidget):
    """領収書: the receipts of a day (or all days) with search, reissue, void and new payments."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("receipts_page")
        self.ctx = ctx
        self.day = clock.today()  # the day shown: today at first
        self.page_size = PAGE_SIZE
        self.limit = self.page_size  # rows listed now: one page, more after さらに表示

        self.date_edit = _japanese_date_edit("date", self.day)
        self.all_days_check = QCheckBox("全期間")
        self.all_days_check.setObjectName("all_days")
        self.search_edit = QLineEdit()
        self.search_edit.setObjectName("search")
        self.search_edit.setPlaceholderText("番号・宛名で検索")
        self.search_edit.setClearButtonEnabled(True)
        self.title = plain_label()
        self.title.setObjectName("title")
        f = self.title.font()
        f.setPointSizeF(f.pointSizeF() * 1.3)
        f.setBold(True)
        self.title.setFont(f)
        top = QHBoxLayout()
        top.addWidget(QLabel("日付"))
        top.addWidget(self.date_edit)
        top.addWidget(self.all_days_check)
        top.addWidget(self.search_edit, 1)
        top.addWidget(self.title)

        self.model = ReceiptsModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setObjectName("receipts_table")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(ReceiptsModel.PAYER, QHeaderView.ResizeMode.Stretch)
        self.empty_label = plain_label()
        self.empty_label.setObjectName("empty_label")
        # The list shows the newest receipts a page at a time and says so (issue 13, item 3); the title's
        # count and 有効合計 are always over every receipt the filter matches.
        self.more_label = plain_label()
        self.more_label.setObjectName("more_label")
        self.more_button = QPushButton()
        self.more_button.setObjectName("more_button")
        self.more_button.clicked.connect(self.show_more)
        more_row = QHBoxLayout()
        more_row.addWidget(self.empty_label)
        more_row.addStretch(1)
        more_row.addWidget(self.more_label)
        more_row.addWidget(self.more_button)

        self.show_button = QPushButton("表示・再発行")
        self.show_button.setObjectName("show_button")
        self.void_button = QPushButton("取消・返金…")
        self.void_button.setObjectName("void_button")
        self.pay_button = QPushButton("支払を受ける…")
        self.pay_button.setObjectName("pay_button")
        self.printing_button = QPushButton("印刷機の記録…")
        self.printing_button.setObjectName("printing_button")
        buttons = QHBoxLayout()
        buttons.addWidget(self.show_button)
        buttons.addWidget(self.void_button)
        buttons.addStretch(1)
        buttons.addWidget(self.printing_button)
        buttons.addWidget(self.pay_button)

        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.table, 1)
        lay.addLayout(more_row)
        lay.addLayout(buttons)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._new_filter)
        self.search_edit.textChanged.connect(lambda _t: self._search_timer.start())
        self.date_edit.dateChanged.connect(lambda q: self._set_day(from_qdate(q)))
        self.all_days_check.toggled.connect(lambda _on: self._new_filter())
        self.show_button.clicked.connect(self.show_selected)
        self.void_button.clicked.connect(self.void_selected)
        self.pay_button.clicked.connect(self.take_payment)
        self.printing_button.clicked.connect(self.record_printing)
        self.table.doubleClicked.connect(lambda _i: self.show_selected())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        ctx.changed.connect(self._on_changed)
        ctx.actor_changed.connect(lambda _a: self._update_buttons())
        self.refresh()

    # ---------------------------------------------------------------- data

    def _set_day(self, d: date) -> None:
        self.day = d
        self._new_filter()

    def _new_filter(self) -> None:
        """Another day, period or search: back to the first page."""
        self.limit = self.page_size
        self.refresh()

    def show_more(self) -> None:
        """さらに表示: the next page of older receipts under the ones listed."""
        self.limit += self.page_size
        self.refresh()

    def _on_changed(self, what) -> None:
        if not what or "receipt" in what:
            self.refresh()

    def refresh(self) -> None:
        from booking_app.services import payments as pay_svc

        self._search_timer.stop()
        sel = self.selected()
        keep = sel.id if sel else None
        day = None if self.all_days_check.isChecked() else self.day
        text = self.search_edit.text().strip()
        limit = self.limit
        rows, totals = self.ctx.read(lambda s: (pay_svc.list_receipts(s, day=day, text=text, limit=limit),
                                                pay_svc.receipt_totals(s, day=day, text=text)))
        self.model.set_rows(rows)
        self.date_edit.setEnabled(day is not None)
        where = "全期間" if day is None else jcal.format_both(day)
        self.title.setText(f"{where}　{totals.count:,}件　有効合計 ¥{totals.valid_total:,}")
        self.empty_label.setText("該当する領収書はありません" if not rows else "")
        capped = len(rows) < totals.count
        self.more_label.setText(f"新しい順に{len(rows):,}件を表示（全{totals.count:,}件）" if capped else "")
        self.more_label.setVisible(capped)
        self.more_button.setText(f"さらに{min(self.page_size, totals.count - len(rows)):,}件を表示")
        self.more_button.setVisible(capped)
        if keep is not None:
            self.select_receipt(keep)
        self._update_buttons()

    def selected(self) -> Any | None:
        return selected_row(self.table, self.proxy, self.model)

    def select_receipt(self, receipt_id: int) -> bool:
        return select_row_by_id(self.table, self.proxy, self.model, receipt_id)

    def _update_buttons(self) -> None:
        r = self.selected()
        self.show_button.setEnabled(r is not None)
        manager = self.ctx.actor.is_manager
        self.void_button.setEnabled(manager and r is not None and not r.voided)
        self.void_button.setToolTip("選んだ領収書を取消し、返金を記録します" if manager
                                    else "取消・返金は管理者のみ行えます")

    # ---------------------------------------------------------------- actions

    def show_selected(self) -> bool:
        """Show the receipt; this records a printing, so every showing after the first is 再発行."""
        r = self.selected()
        if r is None:
            return False
        try:
            show_receipt(self, self.ctx, r.id, remembered_layout())
        except DomainError as exc:
            show_error(self, exc)
            return False
        return True

    def void_selected(self) -> bool:
        from booking_app.services import payments as pay_svc

        r = self.selected()
        if r is None:
            return False
        answer = VoidDialog.get(self, r)
        if answer is None:
            return False
        reason, method = answer
        try:
            self.ctx.write(lambda s, a: pay_svc.void_receipt(s, a, r.id, reason=reason, refund_method=method),
                           changes={"receipt", "charge", "booking"})
        except DomainError as exc:
            show_error(self, exc)
            return False
        return True

    def take_payment(self) -> int | None:
        receipt_id = PaymentDialog.take(self, self.ctx)
        if receipt_id is not None:
            self.refresh()
            self.select_receipt(receipt_id)
        return receipt_id

    def record_printing(self) -> bool:
        from booking_app.ui.printing.printing_log_dialog import PrintingLogDialog

        return PrintingLogDialog.record(self, self.ctx) is not None


__all__ = ["ReceiptsPage", "ReceiptsModel", "VoidDialog"]
