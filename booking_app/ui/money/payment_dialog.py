"""Taking a payment (支払・領収): the open charges, extra items, payer and method, then the receipt.

The dialog collects; ``services.payments`` decides (numbering, the payer rule 「上様」は不可, closed
days). On an error the dialog stays open with everything typed. After 領収 the receipt is rendered
to a temporary PDF in the layout staff last chose (A5 / A4 / 80 mm roll, remembered in QSettings),
shown in the print preview, and its printing recorded.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from booking_app.domain.errors import DomainError, ValidationError
from booking_app.domain.fees import TAX_CLASSES, FeeLine, signed_yen, tax_summary
from booking_app.ui.context import AppContext
from booking_app.ui.keyboard import InputSnapshot, may_discard, tab_leaves
from booking_app.ui.plain_text import plain_label, tip
from booking_app.services import payments as pay_svc
from booking_app.services import bookings as booking_svc
from booking_app.services.group_lookup import get_group
from booking_app.ui.printing.print_preview import PdfPreviewDialog
from booking_app.ui.printing.printing_log_dialog import PrintingLogDialog, current_schedule

METHODS = (("cash", "現金"), ("card", "カード"), ("transfer", "振込"), ("qr", "QR"), ("other", "その他"))
METHOD_LABELS = dict(METHODS)
LAYOUTS = (("A5", "A5"), ("A4", "A4"), ("roll80", "レシート80mm"))
LAYOUT_KEY = "receipts/layout"
DEFAULT_PURPOSE = "施設使用料として"
# 但し書き by what is paid (ChargeView.category); several kinds together read as the facility's fees.
PURPOSE_BY_CATEGORY = {
    "room": DEFAULT_PURPOSE,
    "equipment": "備品使用料として",
    "printing": "印刷機使用料として",
    "insurance": "保険料として",
}
MIXED_PURPOSE = "施設・備品使用料として"
# Items offered as quick buttons when the fee table has them; the rest are in the list.
QUICK_ITEMS = ("コピー 白黒", "コピー カラー", "ラミネート", "団体ロッカー")
WARNING_STYLE = "color: #8a3b00; background: #fff3c4; border: 1px solid #e0b000; padding: 4px;"


def settings() -> QSettings:
    return QSettings()


def remembered_layout() -> str:
    value = settings().value(LAYOUT_KEY, "A5")
    return value if value in dict(LAYOUTS) else "A5"


def remember_layout(layout: str) -> None:
    settings().setValue(LAYOUT_KEY, layout)


def render_receipt_pdf(doc, layout: str) -> Path:
    """Render a ReceiptDoc to a fresh temporary PDF (the preview deletes it when closed)."""
    from booking_app.reports.receipt_pdf import render_receipt

    fd, name = tempfile.mkstemp(prefix=f"receipt_{doc.receipt_no}_", suffix=".pdf")
    os.close(fd)
    render_receipt(doc, Path(name), layout=layout)
    return Path(name)


def show_receipt(parent: QWidget | None, ctx: AppContext, receipt_id: int, layout: str) -> Path:
    """Record a printing of the receipt (the second and later say 再発行) and show it in the preview.

    Returns the temporary PDF path (deleted when the preview closes).
    """
    doc = ctx.write(lambda s, a: pay_svc.record_print(s, a, receipt_id, layout=layout), changes={"receipt"})
    path = render_receipt_pdf(doc, layout)
    preview_pdf(parent, path, title=f"領収書 {doc.receipt_no}" + ("（再発行）" if doc.reissue else ""),
                suggested_name=f"領収書_{doc.receipt_no}.pdf")
    return path


def preview_pdf(parent: QWidget | None, path: Path, *, title: str, suggested_name: str) -> None:
    """The one place every screen opens a preview (tests replace it so nothing blocks)."""
    PdfPreviewDialog.show_pdf(parent, path, title=title, suggested_name=suggested_name, delete_on_close=True)


def _get(row: Any, name: str, default: Any = None) -> Any:
    return getattr(row, name, default)


class ChargesModel(QAbstractTableModel):
    """Open charges (未収金) with a check box: the ones ticked are paid by this receipt."""

    HEADERS = ("品目", "数量", "単価", "金額", "税区分")
    checked_changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list[Any] = []
        self._checked: list[bool] = []

    def set_rows(self, rows: Sequence[Any], checked_ids: set[int] | None = None) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self._checked = [checked_ids is None or r.id in checked_ids for r in self._rows]
        self.endResetModel()
        self.checked_changed.emit()

    def row(self, i: int) -> Any:
        return self._rows[i]

    def checked_ids(self) -> list[int]:
        return [r.id for r, c in zip(self._rows, self._checked, strict=True) if c]

    def checked_rows(self) -> list[Any]:
        return [r for r, c in zip(self._rows, self._checked, strict=True) if c]

    def checked_lines(self) -> list[FeeLine]:
        return [FeeLine(r.description, r.quantity, r.unit_price, r.tax, _get(r, "kind", "item"))
                for r, c in zip(self._rows, self._checked, strict=True) if c]

    def set_checked(self, row: int, on: bool) -> None:
        self.setData(self.index(row, 0), Qt.CheckState.Checked if on else Qt.CheckState.Unchecked,
                     Qt.ItemDataRole.CheckStateRole)

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None

    def flags(self, index):
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        f = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == 0:
            f |= Qt.ItemFlag.ItemIsUserCheckable
        return f

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        r, col = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return r.description
            if col == 1:
                return f"{r.quantity:,}{_get(r, 'unit', '')}"  # 「3枚」「12か月」, as the receipt prints it
            if col == 2:
                return signed_yen(r.unit_price)  # a 減免 line reads △¥626, as the receipt prints it
            if col == 3:
                return signed_yen(r.amount)
            if col == 4:
                return TAX_CLASSES.get(r.tax, r.tax)
        if role == Qt.ItemDataRole.CheckStateRole and col == 0:
            return Qt.CheckState.Checked if self._checked[index.row()] else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (1, 2, 3):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.UserRole:
            return r.id
        return None

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole):
        if not index.isValid() or index.column() != 0 or role != Qt.ItemDataRole.CheckStateRole:
            return False
        on = Qt.CheckState(value) == Qt.CheckState.Checked if not isinstance(value, bool) else value
        self._checked[index.row()] = on
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        self.checked_changed.emit()
        return True


def default_purpose(charges: Sequence[Any]) -> str:
    """The 但し書き for these charges: what is being paid, not always 施設使用料.

    Item charges (コピー, ラミネート, ロッカー…) name the item: 「コピー代として」.
    """
    if not charges:
        return DEFAULT_PURPOSE
    categories = {_get(c, "category", None) or _get(c, "kind", "other") for c in charges}
    if len(categories) > 1:
        return MIXED_PURPOSE
    (category,) = categories
    if category in PURPOSE_BY_CATEGORY:
        return PURPOSE_BY_CATEGORY[category]
    # 'コピー 白黒' and 'コピー カラー' are both コピー on a receipt
    names = list(dict.fromkeys(str(_get(c, "description", "")).split(" ")[0] or "物品" for c in charges))
    if len(names) > 2:
        return f"{names[0]}等の代金として"
    return f"{'・'.join(names)}代として"


def totals_text(lines: Sequence[FeeLine]) -> str:
    s = tax_summary(lines)
    parts = [f"合計 ¥{s.total:,}"]
    detail = []
    if s.taxable10:
        detail.append(f"10%対象 ¥{s.taxable10:,}（内消費税 ¥{s.tax10:,}）")
    if s.exempt:
        detail.append(f"非課税 ¥{s.exempt:,}")
    if detail:
        parts.append("　".join(detail))
    return "　".join(parts)


class PaymentDialog(QDialog):
    """支払: pay the open charges of a booking or a group (or walk-in items) and issue a receipt (領収書).

    By keys: it opens in 宛名 with the name selected (type over it, or keep it), Enter presses 領収 (the
    default button: pays and prints); Tab goes 宛名 → 但し書き → 支払方法 → 様式 → 領収 → 閉じる → the
    charges (Space ticks a line) → 品目を追加; Alt+A/T/M/Y/I/Q jump to the labelled fields. Esc after
    anything was typed or ticked asks 「入力内容を破棄しますか？」.
    """

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *, booking_id: int | None = None,
                 group_id: int | None = None, payer_name: str = "", charge_ids: Sequence[int] | None = None):
        super().__init__(parent)
        self.setObjectName("payment_dialog")
        self.setWindowTitle("支払・領収書")
        self.ctx = ctx
        self.booking_id = booking_id
        self.group_id = group_id
        self.receipt_id: int | None = None
        self._added: set[int] = set()  # charges made in this dialog, ticked on arrival
        # charge_ids (e.g. an insurance premium): listed even outside the booking/group, and the only
        # ones ticked on arrival, so paying a premium never sweeps up the group's other open charges.
        self._preselect = set(charge_ids) if charge_ids else None
        self._added |= self._preselect or set()

        self.schedule = current_schedule(ctx)
        payer = payer_name or self._default_payer()

        # A receipt without its issuer (指定管理者・登録番号) is no qualified invoice: say so before issuing one.
        # The desk may still take the money.
        self.issuer_warning = plain_label(ctx.read(lambda s: pay_svc.issuer_warning(pay_svc.issuer(s))))
        self.issuer_warning.setObjectName("issuer_warning")
        self.issuer_warning.setWordWrap(True)
        self.issuer_warning.setStyleSheet(WARNING_STYLE)
        self.issuer_warning.setVisible(bool(self.issuer_warning.text()))

        self.header = plain_label()
        self.header.setObjectName("header")
        f = self.header.font()
        f.setBold(True)
        self.header.setFont(f)

        self.model = ChargesModel(self)
        self.table = QTableView()
        self.table.setObjectName("charges_table")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setAccessibleName("未収金（チェックした料金を領収）")
        self.table.setToolTip("↑↓：行を選ぶ　Space：チェックの切り替え（領収する／しない）　Tab：次の欄へ")
        tab_leaves(self.table)  # one Tab stop; arrows move in it
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.empty_label = plain_label()
        self.empty_label.setObjectName("empty_label")

        # Adding items: quick buttons for the usual ones, a list with a quantity for any item.
        items_row = QHBoxLayout()
        items_label = QLabel("品目を追加(&I)：")
        items_row.addWidget(items_label)
        self.quick_buttons: dict[str, QPushButton] = {}
        for name in QUICK_ITEMS:
            if name in self.schedule.items:
                b = QPushButton(name.replace("団体", ""))
                b.setObjectName(f"quick_{name}")
                b.setToolTip(tip(f"{name} ¥{self.schedule.items[name].price:,}/{self.schedule.items[name].unit}"))
                b.clicked.connect(lambda _c=False, n=name: self.add_item(n, self.qty_spin.value()))
                self.quick_buttons[name] = b
                items_row.addWidget(b)
        self.item_combo = QComboBox()
        self.item_combo.setObjectName("item_combo")
        for name, item in self.schedule.items.items():
            if not name.startswith("印刷機"):
                self.item_combo.addItem(f"{name}（¥{item.price:,}/{item.unit or '件'}）", name)
        self.qty_spin = QSpinBox()
        self.qty_spin.setObjectName("item_quantity")
        self.qty_spin.setRange(1, 9999)
        self.add_button = QPushButton("追加")
        self.add_button.setObjectName("add_item_button")
        self.printing_button = QPushButton("印刷機の記録…")
        self.printing_button.setObjectName("printing_button")
        items_label.setBuddy(self.item_combo)
        self.item_combo.setAccessibleName("追加する品目")
        qty_label = QLabel("数量(&Q)")
        qty_label.setBuddy(self.qty_spin)
        items_row.addSpacing(12)
        items_row.addWidget(self.item_combo, 1)
        items_row.addWidget(qty_label)
        items_row.addWidget(self.qty_spin)
        items_row.addWidget(self.add_button)
        items_row.addSpacing(12)
        items_row.addWidget(self.printing_button)

        self.payer_edit = QLineEdit(payer)
        self.payer_edit.setObjectName("payer_name")
        self.payer_edit.setMaxLength(200)  # never longer than the column's String(n), which PostgreSQL enforces
        self.payer_edit.setPlaceholderText("団体名または氏名（「上様」は使えません）")
        self.purpose_edit = QLineEdit(DEFAULT_PURPOSE)
        # The 但し書き follows the ticked charges until staff type their own (then it is left alone).
        self._auto_purpose = DEFAULT_PURPOSE
        self.purpose_edit.setObjectName("purpose")
        self.purpose_edit.setMaxLength(200)  # never longer than the column's String(n), which PostgreSQL enforces
        self.method_combo = QComboBox()
        self.method_combo.setObjectName("method")
        for key, label in METHODS:
            self.method_combo.addItem(label, key)
        self.layout_combo = QComboBox()
        self.layout_combo.setObjectName("layout")
        for key, label in LAYOUTS:
            self.layout_combo.addItem(label, key)
        self.layout_combo.setCurrentIndex(self.layout_combo.findData(remembered_layout()))
        payer_row = QHBoxLayout()
        payer_row.addWidget(self.payer_edit, 1)
        payer_row.addWidget(QLabel("様"))
        payer_label = QLabel("宛名(&A)")
        payer_label.setBuddy(self.payer_edit)  # its accessible name; Alt+A
        form = QFormLayout()
        form.addRow(payer_label, payer_row)
        form.addRow("但し書き(&T)", self.purpose_edit)
        form.addRow("支払方法(&M)", self.method_combo)
        form.addRow("領収書の様式(&Y)", self.layout_combo)

        self.total_label = plain_label()
        self.total_label.setObjectName("total_label")
        tf = self.total_label.font()
        tf.setPointSizeF(tf.pointSizeF() * 1.4)
        tf.setBold(True)
        self.total_label.setFont(tf)

        self.pay_button = QPushButton("領収")
        self.pay_button.setObjectName("pay_button")
        self.close_button = QPushButton("閉じる")
        self.close_button.setObjectName("close_button")
        buttons = QHBoxLayout()
        buttons.addWidget(self.total_label, 1)
        buttons.addWidget(self.pay_button)
        buttons.addWidget(self.close_button)

        lay = QVBoxLayout(self)
        lay.addWidget(self.issuer_warning)
        lay.addWidget(self.header)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.empty_label)
        lay.addLayout(items_row)
        lay.addLayout(form)
        lay.addLayout(buttons)

        self.model.checked_changed.connect(self._update_total)
        self.add_button.clicked.connect(lambda: self.add_item(self.item_combo.currentData(), self.qty_spin.value()))
        self.printing_button.clicked.connect(self.record_printing)
        self.pay_button.clicked.connect(self.pay)
        self.close_button.clicked.connect(self.reject)
        self.layout_combo.currentIndexChanged.connect(lambda _i: remember_layout(self.layout_combo.currentData()))
        for b in self.findChildren(QPushButton):
            b.setAutoDefault(False)
        # Enter anywhere but on another button takes the payment: 宛名, Enter.
        self.pay_button.setDefault(True)
        self.pay_button.setToolTip("料金を受け取り、領収書を印刷します（Enter）")
        self.close_button.setToolTip("領収せずに閉じます（Esc）")
        order = [self.payer_edit, self.purpose_edit, self.method_combo, self.layout_combo, self.pay_button,
                 self.close_button, self.table, *self.quick_buttons.values(), self.item_combo, self.qty_spin,
                 self.add_button, self.printing_button]
        for a, b in zip(order, order[1:]):
            QWidget.setTabOrder(a, b)
        self.refresh()
        self.resize(900, 600)
        # The keyboard starts in 宛名, the name selected: typing replaces it, Enter keeps it and pays.
        self.payer_edit.setFocus(Qt.FocusReason.OtherFocusReason)
        self.payer_edit.selectAll()
        # What the dialog holds before staff touch it (Esc closes at once until something changes).
        self._snapshot = InputSnapshot(
            self, extra=lambda: (tuple(self.model.checked_ids()), tuple(sorted(self._added))))

    # ---------------------------------------------------------------- data

    def _default_payer(self) -> str:
        """The group's or the booker's name: a receipt is never made out to 上様."""
        if self.booking_id is not None:
            v = self.ctx.read(lambda s: booking_svc.get_booking(s, self.booking_id))
            return v.booker_name
        if self.group_id is not None:
            hit = self.ctx.read(lambda s: get_group(s, self.group_id))
            return hit.name if hit else ""
        return ""

    def refresh(self) -> None:
        """Reload the open charges: the booking's or group's, or (walk-in) items not tied to a booking.

        Charges added in this dialog are always listed and ticked, even when they belong to no booking.
        """
        previous = set(self.model.checked_ids()) if self.model.rowCount() else None
        bid, gid, added = self.booking_id, self.group_id, set(self._added)

        def load(s):
            if bid is not None:
                rows = pay_svc.open_charges(s, booking_id=bid)
            elif gid is not None:
                rows = pay_svc.open_charges(s, group_id=gid)
            else:
                rows = [c for c in pay_svc.open_charges(s) if c.booking_id is None]
            have = {c.id for c in rows}
            if added - have:
                rows += [c for c in pay_svc.open_charges(s) if c.id in added and c.id not in have]
            return rows

        rows = self.ctx.read(load)
        if previous is not None:
            checked = previous | added
        elif self._preselect is not None or (bid is None and gid is None):
            # charge_ids given, or a walk-in: only those / what was added for them, never someone else's copies
            checked = added
        else:
            checked = None  # all of the booking's or group's charges
        self.model.set_rows(rows, checked)
        who = self.payer_edit.text() or "（宛名未入力）"
        self.header.setText(f"{who} 様の未収金 {len(rows)}件")
        self.empty_label.setText("未収金はありません。品目を追加できます。" if not rows else "")
        self._update_total()

    def _update_total(self) -> None:
        lines = self.model.checked_lines()
        self.total_label.setText(totals_text(lines))
        self.pay_button.setEnabled(bool(lines))
        if self.purpose_edit.text() == self._auto_purpose:
            self._auto_purpose = default_purpose(self.model.checked_rows())
            self.purpose_edit.setText(self._auto_purpose)

    # ---------------------------------------------------------------- actions

    def add_item(self, name: str | None, quantity: int) -> bool:
        """An item charge (コピー, ラミネート…) for this payer, ticked to be paid now."""
        if not name:
            return False
        payer, gid = self.payer_edit.text().strip(), self.group_id
        try:
            charge = self.ctx.write(
                lambda s, a: pay_svc.add_item_charge(s, a, name, quantity, group_id=gid, payer_name=payer),
                changes={"charge"})
        except DomainError as exc:
            self.ctx.prompts.show_error(self, exc)
            return False
        self._added.add(charge.id)
        self.refresh()
        return True

    def record_printing(self) -> bool:
        result = PrintingLogDialog.record(self, self.ctx, user_name=self.payer_edit.text().strip(),
                                          group_id=self.group_id)
        if result is None:
            return False
        _log_id, charge = result  # (printing log id, its charge or None when the fee is 0)
        if charge is not None:
            self._added.add(charge.id)
        self.refresh()
        return True

    def pay(self) -> bool:
        """領収: take the payment, then show and record the receipt. Errors keep the input."""
        ids = self.model.checked_ids()
        payer = self.payer_edit.text().strip()
        purpose = self.purpose_edit.text().strip()
        method = self.method_combo.currentData()
        try:
            if not ids:
                raise ValidationError("領収する料金を選んでください。", field="charges")
            receipt = self.ctx.write(
                lambda s, a: pay_svc.take_payment(s, a, ids, payer_name=payer, purpose=purpose, method=method),
                changes={"receipt", "charge", "booking"})
        except DomainError as exc:
            self.ctx.prompts.show_error(self, exc)
            return False
        self.receipt_id = receipt.id
        layout = self.layout_combo.currentData()
        remember_layout(layout)
        try:
            show_receipt(self, self.ctx, self.receipt_id, layout)
        except DomainError as exc:  # the payment stands; only the printing failed
            self.ctx.prompts.show_error(self, exc)
        self.accept()
        return True

    def reject(self) -> None:
        """閉じる, Esc, the window's ×: at once when nothing was typed or ticked, else after 「入力内容を破棄しますか？」."""
        if self.receipt_id is None and not may_discard(self, self.ctx.prompts, self._snapshot):
            return
        super().reject()

    @classmethod
    def take(cls, parent: QWidget | None, ctx: AppContext, *, booking_id: int | None = None,
             group_id: int | None = None, payer_name: str = "", charge_ids: Sequence[int] | None = None
             ) -> int | None:
        """Open the dialog; the new receipt's id, or None when closed without a payment."""
        dlg = cls(ctx, parent, booking_id=booking_id, group_id=group_id, payer_name=payer_name, charge_ids=charge_ids)
        dlg.exec()
        return dlg.receipt_id


__all__ = ["PaymentDialog", "ChargesModel", "METHODS", "METHOD_LABELS", "LAYOUTS", "show_receipt",
           "preview_pdf", "render_receipt_pdf", "remembered_layout", "totals_text", "default_purpose"]
