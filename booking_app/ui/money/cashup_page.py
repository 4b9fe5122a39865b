"""The daily cash-up page (日計表): a day's takings on one terminal, the cash count, closing the day.

Figures come from ``services.payments.cashup`` (a CashupDoc), so the screen, the PDF and the Excel
file show the same numbers. 締める records the closing; after that the service refuses payments on
that day and terminal. PDF and Excel are made off the GUI thread (``ui.workers``).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from PySide6.QtCore import QAbstractTableModel
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from booking_app.domain import japanese_calendar as jcal
from booking_app.domain.errors import DomainError
from booking_app.reports.docs import CashupDoc
from booking_app.services.terminal import terminal_name
from booking_app.ui.dates import date_edit, from_qdate
from booking_app.ui.context import AppContext
from booking_app.ui.export_op import export_file
from booking_app.ui.keyboard import tab_leaves_dates  # Tab leaves a date field (←→ move in it)
from booking_app.ui.keyboard import free_tab_everywhere
from booking_app.ui.money import payment_dialog as pd
from booking_app.ui.plain_text import plain_label
from booking_app.ui.table_model import RIGHT, RowsTableModel
from booking_app.ui.widgets import named_button, page_title
from booking_app.ui.workers import Op
from booking_app.services import payments as pay_svc
from booking_app.services.lookups import terminals_on

BAD_RED = QColor("#c62828")
NOT_COUNTED_GREY = QColor("#757575")
CASH_LABEL = "現金"


class RowsModel(RowsTableModel):
    """A read-only table of plain tuples with fixed headers; money columns right-aligned as ¥."""

    _rows: list[tuple]

    def __init__(self, headers: Sequence[str], money_columns: Sequence[int] = (), red_column: int | None = None,
                 parent=None):
        super().__init__(parent)
        self._headers = list(headers)
        self._money = set(money_columns)
        self._red = red_column

    def headers(self) -> Sequence[str]:
        return self._headers

    def set_rows(self, rows: Sequence[tuple]) -> None:
        super().set_rows([tuple(r) for r in rows])

    def cell(self, r: tuple, col: int):
        value = r[col]
        if col in self._money and isinstance(value, int):
            # Refund rows are negative: △ as Japanese ledgers (and the printed 日計表) write it.
            return f"¥{value:,}" if value >= 0 else f"△¥{-value:,}"
        return str(value) if value is not None else ""

    def alignment(self, r: tuple, col: int):
        return RIGHT if col in self._money or isinstance(r[col], int) else None

    def foreground(self, r: tuple, col: int):
        return QBrush(BAD_RED) if self._red is not None and r[col] == "取消" else None


def _table(model: QAbstractTableModel, name: str) -> QTableView:
    t = QTableView()
    t.setObjectName(name)
    t.setModel(model)
    t.verticalHeader().setVisible(False)
    t.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
    t.setSelectionMode(QTableView.SelectionMode.NoSelection)
    hh = t.horizontalHeader()
    hh.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    hh.setStretchLastSection(True)
    return t


def expected_cash(doc: CashupDoc) -> int:
    """Cash that should be in the drawer from today's takings: cash received − cash refunded."""
    if "cash_expected" in doc.extra:
        return int(doc.extra["cash_expected"])
    received = sum(r.amount for r in doc.by_method if r.label == CASH_LABEL)
    refunded = sum(v[3] for v in doc.voids if v[4] == CASH_LABEL)
    return received - refunded


class CashupPage(QWidget):
    """日計表: by payment method and by item type, receipts, voids and refunds, cash count, closing."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("cashup_page")
        self.ctx = ctx
        self.day = ctx.today  # the day shown: today at first
        self.doc: CashupDoc | None = None
        self.last_op: Op | None = None

        self.date_edit = date_edit("date", self.day)
        self.terminal_combo = QComboBox()
        self.terminal_combo.setObjectName("terminal")
        self.terminal_combo.setEditable(True)
        self.terminal_combo.addItem(terminal_name())
        # QA: the combo was a few characters wide, 「デモの端末」 showed as 「端末」; room for a PC name.
        self.terminal_combo.setMinimumContentsLength(12)
        self.terminal_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.refresh_button = named_button("再集計", "refresh_button")
        self.title = page_title()
        self.state_label = plain_label()
        self.state_label.setObjectName("state_label")
        top = QHBoxLayout()
        day_label = QLabel("日付(&D)")
        day_label.setBuddy(self.date_edit)  # the field's accessible name; Alt+D
        terminal_label = QLabel("端末(&E)")
        terminal_label.setBuddy(self.terminal_combo)
        top.addWidget(day_label)
        top.addWidget(self.date_edit)
        top.addWidget(terminal_label)
        top.addWidget(self.terminal_combo)
        top.addWidget(self.refresh_button)
        top.addWidget(self.title, 1)
        top.addWidget(self.state_label)

        self.method_model = RowsModel(("支払方法", "件数", "金額"), money_columns=(2,), parent=self)
        self.kind_model = RowsModel(("品目の種類", "件数", "金額"), money_columns=(2,), parent=self)
        self.receipts_model = RowsModel(("番号", "時刻", "宛名", "金額", "状態"), money_columns=(3,),
                                        red_column=4, parent=self)
        self.voids_model = RowsModel(("番号", "時刻", "理由", "返金額", "返金方法"), money_columns=(3,),
                                     parent=self)
        self.method_table = _table(self.method_model, "by_method_table")
        self.kind_table = _table(self.kind_model, "by_kind_table")
        self.receipts_table = _table(self.receipts_model, "receipts_table")
        self.voids_table = _table(self.voids_model, "voids_table")
        # 還付 of cancelled paid bookings (services.refunding): shown only on a day that has any
        self.refunds_model = RowsModel(("還付番号", "時刻", "予約番号", "理由", "還付額", "方法"), money_columns=(4,),
                                       parent=self)
        self.refunds_table = _table(self.refunds_model, "refunds_table")

        def box(title: str, w: QWidget) -> QGroupBox:
            g = QGroupBox(title)
            QVBoxLayout(g).addWidget(w)
            return g

        self.received_label = plain_label()
        self.received_label.setObjectName("received_label")
        self.refunded_label = plain_label()
        self.refunded_label.setObjectName("refunded_label")
        self.net_label = plain_label()
        self.net_label.setObjectName("net_label")
        nf = self.net_label.font()
        nf.setBold(True)
        nf.setPointSizeF(nf.pointSizeF() * 1.3)
        self.net_label.setFont(nf)
        self.expected_label = plain_label()
        self.expected_label.setObjectName("expected_label")
        self.counted_spin = QSpinBox()
        self.counted_spin.setObjectName("cash_counted")
        self.counted_spin.setRange(0, 99_999_999)
        self.counted_spin.setPrefix("¥")
        self.counted_spin.setGroupSeparatorShown(True)
        self.difference_label = plain_label()
        self.difference_label.setObjectName("difference_label")
        totals = QGroupBox("合計と現金実査")
        grid = QGridLayout(totals)
        rows = (("受領合計", self.received_label), ("返金合計", self.refunded_label), ("差引", self.net_label),
                ("現金（帳簿）", self.expected_label), ("現金実査", self.counted_spin),
                ("過不足", self.difference_label))
        for row, (text, value) in enumerate(rows):
            label = QLabel(text)
            grid.addWidget(label, row, 0)
            grid.addWidget(value, row, 1)
            if value is self.counted_spin:
                label.setText("現金実査(&C)")
                label.setBuddy(value)  # 「現金実査」 to a screen reader; Alt+C to count the drawer
        grid.setRowStretch(len(rows), 1)

        upper = QHBoxLayout()
        upper.addWidget(box("支払方法別", self.method_table), 1)
        upper.addWidget(box("種類別", self.kind_table), 1)
        upper.addWidget(totals, 1)
        lower = QHBoxLayout()
        lower.addWidget(box("領収書", self.receipts_table), 3)
        lower.addWidget(box("取消・返金", self.voids_table), 2)
        self.refunds_box = box("還付（予約の取消）", self.refunds_table)
        self.refunds_box.setObjectName("refunds_box")
        lower.addWidget(self.refunds_box, 2)

        self.close_button = named_button("締める…", "close_day_button")
        self.pdf_button = named_button("PDF（印刷プレビュー）", "pdf_button")
        self.xlsx_button = named_button("Excelに出力…", "xlsx_button")
        buttons = QHBoxLayout()
        buttons.addWidget(self.close_button)
        buttons.addStretch(1)
        buttons.addWidget(self.pdf_button)
        buttons.addWidget(self.xlsx_button)

        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addLayout(upper, 2)
        lay.addLayout(lower, 3)
        lay.addLayout(buttons)
        # Tab leaves each table (they are read-only lists); the tables are named by their group boxes.
        free_tab_everywhere(self)
        tab_leaves_dates(self)

        self.date_edit.dateChanged.connect(lambda q: self._set_day(from_qdate(q)))
        self.terminal_combo.activated.connect(lambda _i: self.refresh())
        self.refresh_button.clicked.connect(self.refresh)
        # QA: before the drawer was counted the spin box's 0 read as a red 「不足 ¥51,912」. A count is
        # "entered" once staff change the value or type in the box (typing 0 over 0 changes no value).
        self._counted_entered = False
        self._count_key: tuple[date, str] | None = None
        self.counted_spin.valueChanged.connect(lambda _v: self._count_entered())
        self.counted_spin.lineEdit().textEdited.connect(lambda _t: self._count_entered())
        self.close_button.clicked.connect(self.close_day)
        self.pdf_button.clicked.connect(self.export_pdf)
        self.xlsx_button.clicked.connect(lambda _c=False: self.export_xlsx())
        ctx.changed.connect(self._on_changed)
        self.refresh()

    # ---------------------------------------------------------------- data

    def terminal(self) -> str:
        return self.terminal_combo.currentText().strip() or terminal_name()

    def _set_day(self, d: date) -> None:
        self.day = d
        self.refresh()

    def _on_changed(self, what) -> None:
        if not what or "receipt" in what or "cashup" in what:
            self.refresh()

    def refresh(self) -> None:
        day, terminal = self.day, self.terminal()
        try:
            doc = self.ctx.read(lambda s: pay_svc.cashup(s, day, terminal))
        except DomainError as exc:
            self.ctx.prompts.show_error(self, exc)
            return
        self.doc = doc
        self._offer_terminals(day, terminal)
        self.method_model.set_rows([(r.label, r.count, r.amount) for r in doc.by_method])
        self.kind_model.set_rows([(r.label, r.count, r.amount) for r in doc.by_kind])
        self.receipts_model.set_rows(doc.receipts)
        self.voids_model.set_rows(doc.voids)
        self.refunds_model.set_rows(doc.refunds)
        self.refunds_box.setVisible(bool(doc.refunds))
        self.received_label.setText(f"¥{doc.total_received:,}")
        self.refunded_label.setText(f"¥{doc.total_refunded:,}")
        self.net_label.setText(f"¥{doc.net:,}")
        self.expected_label.setText(f"¥{expected_cash(doc):,}")
        self.title.setText(f"日計表　{jcal.format_both(day)}　{terminal}")
        closed = doc.closed_at is not None
        if closed or self._count_key != (day, terminal):
            # another day or terminal starts uncounted; a closed day shows the count it was closed with
            self._count_key = (day, terminal)
            self._counted_entered = closed and doc.cash_counted is not None
            self.counted_spin.blockSignals(True)
            self.counted_spin.setValue(doc.cash_counted if self._counted_entered else 0)
            self.counted_spin.blockSignals(False)
        if closed:
            self.state_label.setText(f"締め済み（{doc.closed_by}　{doc.closed_at:%H:%M}）")
            self.state_label.setStyleSheet(f"color: {BAD_RED.name()}; font-weight: bold;")
        else:
            self.state_label.setText("未締め")
            self.state_label.setStyleSheet("")
        self.close_button.setEnabled(not closed)
        self.counted_spin.setEnabled(not closed)
        self._update_difference()

    def _offer_terminals(self, day: date, current: str) -> None:
        """The list offers this PC and every terminal that took or refunded money that day.

        QA: a manager closing yesterday's cash-up at another PC had to know and type the counter PC's
        name; a typo closed an empty day of a terminal that does not exist.
        """
        here = terminal_name()
        names = [here] + sorted(n for n in self.ctx.read(lambda s: terminals_on(s, day)) if n != here)
        if [self.terminal_combo.itemText(i) for i in range(self.terminal_combo.count())] == names:
            return
        self.terminal_combo.blockSignals(True)
        self.terminal_combo.clear()
        self.terminal_combo.addItems(names)
        self.terminal_combo.setCurrentText(current)
        self.terminal_combo.blockSignals(False)

    def _count_entered(self) -> None:
        self._counted_entered = True
        self._update_difference()

    def counted(self) -> int | None:
        """The cash counted (現金実査), or None while nothing has been entered."""
        return self.counted_spin.value() if self._counted_entered else None

    def difference(self) -> int | None:
        counted = self.counted()
        if counted is None:
            return None
        return counted - (expected_cash(self.doc) if self.doc else 0)

    def _update_difference(self) -> None:
        diff = self.difference()
        if diff is None:
            self.difference_label.setText("未入力")
            self.difference_label.setStyleSheet(f"color: {NOT_COUNTED_GREY.name()};")
        elif diff == 0:
            self.difference_label.setText("¥0（一致）")
            self.difference_label.setStyleSheet("")
        else:
            self.difference_label.setText(f"{'過剰' if diff > 0 else '不足'} ¥{abs(diff):,}")
            self.difference_label.setStyleSheet(f"color: {BAD_RED.name()}; font-weight: bold;")

    # ---------------------------------------------------------------- actions

    def close_day(self) -> bool:
        if self.doc is None:
            return False
        day, terminal, counted = self.day, self.terminal(), self.counted()
        diff = self.difference()
        text = (f"{jcal.format_both(day)}（{terminal}）を締めます。\n"
                f"差引 ¥{self.doc.net:,}　現金実査 "
                + ("未入力" if counted is None else f"¥{counted:,}")
                + ("" if not diff else f"（過不足 {diff:+,}円）")
                + "\n締めた後は、この日この端末で領収できません。よろしいですか。")
        if not self.ctx.prompts.confirm(self, "日計表を締める", text, yes="締める", no="やめる"):
            return False
        return self.ctx.prompts.attempt(self, lambda: self.ctx.write(
            lambda s, a: pay_svc.close_day(s, a, day, terminal, cash_counted=counted), changes={"cashup"}))

    def _suggested(self, ext: str) -> str:
        return f"日計表_{self.day:%Y%m%d}_{self.terminal()}.{ext}"

    def export_pdf(self) -> Op | None:
        """Render the cash-up PDF in the background, then open the preview."""
        if self.doc is None:
            return None
        doc = self.doc
        suggested = self._suggested("pdf")

        def work() -> Path:
            # Imported on first use: reports.cashup (reportlab, openpyxl) adds ~0.4 s to start-up
            # (python -X importtime -c "import booking_app.reports.cashup", cumulative 408 ms).
            from booking_app.reports.cashup import render_cashup_pdf

            fd, name = tempfile.mkstemp(prefix="cashup_", suffix=".pdf")
            os.close(fd)
            render_cashup_pdf(doc, Path(name))
            return Path(name)

        def done(path: Path) -> None:
            pd.preview_pdf(self, path, title=f"日計表 {jcal.format_slash(doc.day)}", suggested_name=suggested)

        self.last_op = Op(self, work).success(done).with_progress("日計表を作成しています…").run_in_background()
        return self.last_op

    def export_xlsx(self, target: Path | None = None) -> Op | None:
        """The day's cash-up as an Excel book, written on the worker (to ``target`` without asking, if given)."""
        if self.doc is None:
            return None
        doc = self.doc

        def write(path: Path) -> Path:
            from booking_app.reports.cashup import write_cashup_xlsx  # on first use: ~0.4 s (see export_pdf)

            write_cashup_xlsx(doc, path)
            return path

        op = export_file(self, self.ctx, title="Excelに出力", suggested=self._suggested("xlsx"), write=write,
                         done=lambda _r, path: f"保存しました：\n{path}", progress="Excelファイルを作成しています…",
                         path=target)
        if op is not None:
            self.last_op = op
        return op


__all__ = ["CashupPage", "RowsModel", "expected_cash"]
