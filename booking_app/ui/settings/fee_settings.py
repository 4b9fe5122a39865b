"""料金 (fee tables) tab of the settings page: room fees, equipment, items and the receipt issuer.

What the manager edits here is stored by ``services.fees.save_fees`` (manager only). A charge keeps
the price it was made with, so a change here applies to quotes and charges made from now on; the tab
says so after saving. Desk staff see the same tables read-only.

Rooms come from the room list and the periods (時間区分) from the centre profile, so a new room or
period shows up here with 0 yen; fees stored for a room or period that is no longer listed are kept
as they are (an old booking may still be edited at its old price).
"""

from __future__ import annotations

import unicodedata
from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStyledItemDelegate,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from booking_app.domain.errors import DomainError, ValidationError
from booking_app.domain.fees import (FEE_CLASSES, TAX_CLASSES, FeeSchedule, Item, normalise_invoice_number,
                                      valid_invoice_number)
from booking_app.domain.profile import PERIOD_KEYS
from booking_app.reports.docs import Issuer
from booking_app.services import centre
from booking_app.services import fees as fee_svc
from booking_app.services.payments import issuer_gaps
from booking_app.ui.context import AppContext
from booking_app.ui.keyboard import free_tab_everywhere
from booking_app.ui.plain_text import plain_label
from booking_app.ui.settings.rows_model import RowsModel, editable_table

FEE_CLASS_LABELS = {"member": "会員", "general": "一般"}
INVOICE_FIELD = "適格請求書発行事業者登録番号"
INVOICE_EXAMPLE = "T8000000000001"  # a made-up number whose check digit is right
SAVED_NOTE = "料金表を保存しました。既に請求した料金は元の金額のままです。"


def _to_int(value: Any) -> int | None:
    text = unicodedata.normalize("NFKC", "" if value is None else str(value))
    text = text.replace("¥", "").replace("￥", "").replace(",", "").replace("円", "").strip()
    try:
        return int(text)
    except ValueError:
        return None


class FeeRowsModel(RowsModel):
    """RowsModel with two more kinds: ``yen`` (shown ¥1,234, edited as a number) and ``tax`` (税区分)."""

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        key, _, kind = self.columns[index.column()]
        value = self._rows[index.row()].get(key)
        if kind == "yen":
            if role == Qt.ItemDataRole.DisplayRole:
                n = _to_int(value)
                return f"¥{n:,}" if n is not None else str(value)
            if role == Qt.ItemDataRole.EditRole:
                return _to_int(value) or 0
            if role == Qt.ItemDataRole.TextAlignmentRole:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return None
        if kind == "tax":
            if role == Qt.ItemDataRole.DisplayRole:
                return TAX_CLASSES.get(value, str(value or ""))
            if role == Qt.ItemDataRole.EditRole:
                return value
            return None
        return super().data(index, role)

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole):
        if not index.isValid() or not self.editable or role != Qt.ItemDataRole.EditRole:
            return super().setData(index, value, role)
        key, _, kind = self.columns[index.column()]
        if kind == "yen":
            n = _to_int(value)
            if n is None:
                return False
            value_to_store: Any = n
        elif kind == "tax":
            if value not in TAX_CLASSES:
                return False
            value_to_store = value
        else:
            return super().setData(index, value, role)
        row = self._rows[index.row()]
        row[key] = value_to_store
        row["_dirty"] = True
        self.dataChanged.emit(index, index, [role])
        return True


class TaxDelegate(QStyledItemDelegate):
    """税区分 chosen from a list (10%対象／非課税), never typed."""

    def createEditor(self, parent, option, index):  # noqa: N802 - Qt naming
        combo = QComboBox(parent)
        combo.setObjectName("tax_editor")
        for key, label in TAX_CLASSES.items():
            combo.addItem(label, key)
        return combo

    def setEditorData(self, editor, index):  # noqa: N802 - Qt naming
        i = editor.findData(index.data(Qt.ItemDataRole.EditRole))
        editor.setCurrentIndex(max(i, 0))

    def setModelData(self, editor, model, index):  # noqa: N802 - Qt naming
        model.setData(index, editor.currentData(), Qt.ItemDataRole.EditRole)


def _table(name: str, model: FeeRowsModel, stretch: str | None = None) -> QTableView:
    t = editable_table(name, model, stretch, min_width=72)
    t.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    t.setAlternatingRowColors(True)
    delegate = TaxDelegate(t)
    for i, (_key, _label, kind) in enumerate(model.columns):
        if kind == "tax":
            t.setItemDelegateForColumn(i, delegate)
    return t


class FeeSettingsWidget(QWidget):
    """料金設定: the fee tables (料金表) and the issuer block of receipts, as one tab."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("fee_settings")
        self.ctx = ctx
        self.schedule: FeeSchedule | None = None
        self.periods: list[str] = []
        self._editable = True

        grid = QGridLayout(self)
        grid.setContentsMargins(6, 6, 6, 6)

        # 部屋の料金: one row per room, one column per fee class × period.
        rooms_box = QGroupBox("部屋の料金（1区分あたり・税込）")
        v = QVBoxLayout(rooms_box)
        self.rooms_model = FeeRowsModel([("room", "部屋", "ro")], self)
        self.rooms_table = _table("fee_rooms_table", self.rooms_model)
        self.rooms_table.setAccessibleName("部屋の料金")
        v.addWidget(self.rooms_table, 1)
        note = QLabel("区分をまたぐ利用は、またいだ区分すべての料金になります。")
        note.setObjectName("fee_rooms_note")
        v.addWidget(note)
        grid.addWidget(rooms_box, 0, 0)

        # 発行者 (領収書に載る事項)
        issuer_box = QGroupBox("領収書の発行者")
        form = QFormLayout(issuer_box)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.operator_edit = QLineEdit()
        self.operator_edit.setObjectName("fee_operator")
        self.operator_edit.setPlaceholderText("例：NPO法人○○")
        self.invoice_edit = QLineEdit()
        self.invoice_edit.setObjectName("fee_invoice_number")
        self.invoice_edit.setPlaceholderText(f"例：{INVOICE_EXAMPLE}")
        self.invoice_edit.setMaxLength(20)
        self.stamp_check = QCheckBox("必要（5万円以上で印紙欄）")
        self.stamp_check.setObjectName("fee_stamp_duty")
        form.addRow("指定管理者名(&O)", self.operator_edit)
        form.addRow(f"{INVOICE_FIELD}(&T)", self.invoice_edit)
        form.addRow("収入印紙(&S)", self.stamp_check)
        hint = QLabel("登録番号はTと13桁の数字です（検査数字も確かめます）。\n空欄なら領収書に登録番号を載せません。")
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #555555;")
        form.addRow(hint)
        # What the receipts would lack with the values typed here.
        self.issuer_gaps_label = plain_label()
        self.issuer_gaps_label.setObjectName("fee_issuer_gaps")
        self.issuer_gaps_label.setWordWrap(True)
        self.issuer_gaps_label.setStyleSheet("color: #8a3b00; font-weight: bold;")
        form.addRow(self.issuer_gaps_label)
        self.operator_edit.textChanged.connect(lambda _t: self._show_issuer_gaps())
        self.invoice_edit.textChanged.connect(lambda _t: self._show_issuer_gaps())
        grid.addWidget(issuer_box, 0, 1)

        # 備品 (1回あたり)
        eq_box = QGroupBox("備品の料金（1回あたり・0円は無料）")
        v = QVBoxLayout(eq_box)
        self.equipment_model = FeeRowsModel([("name", "備品", "ro"), ("price", "料金", "yen"),
                                             ("tax", "税区分", "tax")], self)
        self.equipment_table = _table("fee_equipment_table", self.equipment_model, "name")
        self.equipment_table.setAccessibleName("備品の料金")
        v.addWidget(self.equipment_table, 1)
        grid.addWidget(eq_box, 1, 0)

        # 品目 (印刷機・コピー・ロッカー・手数料)
        items_box = QGroupBox("品目（印刷機・コピー・手数料など）")
        v = QVBoxLayout(items_box)
        self.items_model = FeeRowsModel([("name", "品目名", "text"), ("price", "単価", "yen"),
                                         ("unit", "単位", "text"), ("tax", "税区分", "tax")], self)
        self.items_table = _table("fee_items_table", self.items_model, "name")
        self.items_table.setAccessibleName("品目の料金")
        v.addWidget(self.items_table, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        self.item_add_button = QPushButton("品目を追加")
        self.item_add_button.setObjectName("fee_item_add")
        self.item_remove_button = QPushButton("品目を削除")
        self.item_remove_button.setObjectName("fee_item_remove")
        row.addWidget(self.item_add_button)
        row.addWidget(self.item_remove_button)
        v.addLayout(row)
        grid.addWidget(items_box, 1, 1)

        bottom = QHBoxLayout()
        self.status_label = plain_label()
        self.status_label.setObjectName("fee_status")
        self.status_label.setStyleSheet("color: #2e7d32;")
        bottom.addWidget(self.status_label, 1)
        self.revert_button = QPushButton("元に戻す")
        self.revert_button.setObjectName("fee_revert")
        self.save_button = QPushButton("料金表を保存")
        self.save_button.setObjectName("fee_save")
        bottom.addWidget(self.revert_button)
        bottom.addWidget(self.save_button)
        grid.addLayout(bottom, 2, 0, 1, 2)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)
        grid.setRowStretch(0, 0)  # the room table is as tall as its rows; the lists below take the rest
        grid.setRowStretch(1, 1)

        self.item_add_button.clicked.connect(self.add_item)
        self.item_remove_button.clicked.connect(self.remove_item)
        self.revert_button.clicked.connect(self.reload)
        self.save_button.clicked.connect(self.save)
        free_tab_everywhere(self)  # Tab leaves the fee tables (arrows move between cells)
        self.reload()

    # ---------------------------------------------------------------- loading

    def reload(self) -> None:
        """Read the tables again (drops unsaved edits)."""
        schedule, rooms, equipment, profile = self.ctx.read(lambda s: (
            fee_svc.get_fees(s), centre.list_rooms(s), centre.list_equipment(s, include_inactive=True),
            centre.get_profile(s)))
        self.schedule = schedule
        periods: list[str] = []
        for key in PERIOD_KEYS:  # 平日 and 日祝 usually share names; each name is one column
            for p in profile.periods.get(key, ()):
                if p.name not in periods:
                    periods.append(p.name)
        self.periods = periods
        columns = [("room", "部屋", "ro")] + [
            (f"{c}:{p}", f"{FEE_CLASS_LABELS[c]}・{p}", "yen") for c in FEE_CLASSES for p in periods]
        self.rooms_model.beginResetModel()
        self.rooms_model.columns = columns
        self.rooms_model.endResetModel()
        rows = []
        for r in rooms:
            table = schedule.room_fees.get(r.name, {})
            row: dict[str, Any] = {"room": r.name}
            for c in FEE_CLASSES:
                for p in periods:
                    row[f"{c}:{p}"] = int(table.get(c, {}).get(p, 0))
            rows.append(row)
        self.rooms_model.set_rows(rows)
        hh = self.rooms_table.horizontalHeader()
        for i in range(1, len(columns)):  # the prices share the width; the room name keeps its own
            hh.setSectionResizeMode(i, QHeaderView.ResizeMode.Stretch)
        # Every room in sight without scrolling, up to ten (a bigger centre scrolls).
        shown = min(len(rows), 10)
        row_h = self.rooms_table.verticalHeader().defaultSectionSize()
        self.rooms_table.setFixedHeight(hh.sizeHint().height() + shown * row_h
                                          + 2 * self.rooms_table.frameWidth() + 2)

        names = [e.name for e in equipment]
        names += [n for n in schedule.equipment if n not in names]
        self.equipment_model.set_rows([
            {"name": n, "price": schedule.equipment[n].price if n in schedule.equipment else 0,
             "tax": schedule.equipment[n].tax if n in schedule.equipment else "taxable10"} for n in names])
        self.items_model.set_rows([{"name": i.name, "price": i.price, "unit": i.unit, "tax": i.tax}
                                   for i in schedule.items.values()])
        self.operator_edit.setText(schedule.operator)
        self.invoice_edit.setText(schedule.invoice_number)
        self.stamp_check.setChecked(schedule.stamp_duty_applies)
        self._show_issuer_gaps()
        self.set_editable(self._editable)

    def set_editable(self, editable: bool) -> None:
        """Managers edit; desk staff only look (the settings page decides by role)."""
        self._editable = editable
        for m in (self.rooms_model, self.equipment_model, self.items_model):
            m.editable = editable
        for e in (self.operator_edit, self.invoice_edit):
            e.setReadOnly(not editable)
        self.stamp_check.setEnabled(editable)
        for b in (self.item_add_button, self.item_remove_button, self.save_button, self.revert_button):
            b.setEnabled(editable)

    def _show_issuer_gaps(self) -> None:
        gaps = issuer_gaps(Issuer("", self.operator_edit.text(), "", "",
                                  normalise_invoice_number(self.invoice_edit.text())))
        self.issuer_gaps_label.setText(f"未設定：{'・'.join(gaps)}（領収書に載らず、適格請求書になりません）"
                                       if gaps else "")
        self.issuer_gaps_label.setVisible(bool(gaps))

    # ---------------------------------------------------------------- editing

    def add_item(self) -> None:
        i = self.items_model.add_row({"name": "", "price": 0, "unit": "枚", "tax": "taxable10"})
        index = self.items_model.index(i, 0)
        self.items_table.setCurrentIndex(index)
        self.items_table.edit(index)

    def remove_item(self) -> None:
        idx = self.items_table.currentIndex()
        if idx.isValid():
            self.items_model.remove_row(idx.row())

    # ---------------------------------------------------------------- saving

    def schedule_from_form(self) -> FeeSchedule:
        """The fee tables as the tab shows them. Raises ValidationError naming the table and field."""
        assert self.schedule is not None
        old = self.schedule
        room_fees: dict[str, dict[str, dict[str, int]]] = {
            r: {c: dict(p) for c, p in classes.items()} for r, classes in old.room_fees.items()}
        for row in self.rooms_model.rows():
            room = row["room"]
            classes = room_fees.setdefault(room, {})
            for c in FEE_CLASSES:
                table = classes.setdefault(c, {})
                for p in self.periods:
                    yen = _to_int(row.get(f"{c}:{p}"))
                    if yen is None or yen < 0:
                        raise ValidationError(f"料金（部屋）：{room}の{FEE_CLASS_LABELS[c]}・{p}は0円以上の数で"
                                              "入力してください。", field="rooms")
                    table[p] = yen
        equipment: dict[str, Item] = {}
        for row in self.equipment_model.rows():
            price = _to_int(row["price"])
            if price is None or price < 0:
                raise ValidationError(f"料金（備品）：「{row['name']}」の料金は0円以上にしてください。",
                                      field="equipment")
            equipment[row["name"]] = Item(row["name"], price, "", row["tax"])
        items: dict[str, Item] = {}
        for n, row in enumerate(self.items_model.rows(), start=1):
            name = unicodedata.normalize("NFKC", row["name"] or "").strip()
            if not name:
                raise ValidationError(f"料金（品目）：{n}行目の品目名を入力してください。", field="items")
            if name in items:
                raise ValidationError(f"料金（品目）：「{name}」が2行あります。品目名は重ならないようにしてください。",
                                      field="items")
            price = _to_int(row["price"])
            if price is None or price < 0:
                raise ValidationError(f"料金（品目）：「{name}」の単価は0円以上にしてください。", field="items")
            items[name] = Item(name, price, (row["unit"] or "").strip(), row["tax"])
        invoice = normalise_invoice_number(self.invoice_edit.text())
        if invoice and not valid_invoice_number(invoice):
            raise ValidationError(
                f"料金（領収書の発行者）：{INVOICE_FIELD}「{self.invoice_edit.text().strip()}」が正しくありません。"
                f"Tと13桁の数字で、検査数字が合うものを入力してください（例：{INVOICE_EXAMPLE}）。",
                field="invoice_number")
        return FeeSchedule(room_fees, equipment, items, self.operator_edit.text().strip(), invoice,
                           self.stamp_check.isChecked())

    def save(self) -> bool:
        """料金表を保存 (manager only; the service refuses anyone else in Japanese)."""
        self.status_label.clear()
        try:
            schedule = self.schedule_from_form()
            self.ctx.write(lambda s, a: fee_svc.save_fees(s, a, schedule), changes={"fees"})
        except ValidationError as exc:
            message = exc.message if exc.message.startswith("料金") else f"料金：{exc.message}"
            self.ctx.prompts.show_error(self, ValidationError(message, field=exc.field))
            return False
        except DomainError as exc:
            self.ctx.prompts.show_error(self, exc)
            return False
        self.reload()
        self.status_label.setText(SAVED_NOTE)
        return True

    def room_fee_index(self, room: str, fee_class: str, period: str) -> QModelIndex:
        """The cell of a room × fee class × period (tests and the user guide point at it)."""
        row = next(i for i, r in enumerate(self.rooms_model.rows()) if r["room"] == room)
        return self.rooms_model.index(row, self.rooms_model.col(f"{fee_class}:{period}"))


__all__ = ["FeeSettingsWidget", "FeeRowsModel", "normalise_invoice_number"]
