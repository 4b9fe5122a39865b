"""Plans and premiums per fiscal year (プラン・保険料): look at any year, change one as a manager.

Plans are rows per fiscal year (``services.insurance``): looking at a year for the first time copies
the previous year's rows, so next April's premiums are entered on next year's rows while this year's
enrolments keep the plan, and the premium, they were made under. The dialog shows that plainly and
lets a manager change the name, the premium, the minimum premium, the overnight plan's steps, whether
the plan is offered and its note. Desk staff may look but not save (the service refuses as well).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from booking_app.domain import japanese_calendar as jcal
from booking_app.domain.errors import DomainError, ValidationError
from booking_app.services import insurance as ins
from booking_app.ui.context import AppContext
from booking_app.ui.insurance.insurance_models import BAD, GOOD, NEUTRAL, _RowsModel, yen
from booking_app.ui.insurance.keys import enter_does
from booking_app.ui.keyboard import InputSnapshot, free_tab_everywhere, may_discard, shortcut_action
from booking_app.ui.plain_text import plain_label, tip

PREMIUM_UNITS = {"none": "（市が負担：保険料なし）", "per_person_year": "円　1人・1年度",
                 "per_person_day": "円　1人・1日", "per_person_trip": "円　（宿泊日数別の表を使います）"}
KIND_LABELS = {"none": "負担なし", "per_person_year": "1人・年", "per_person_day": "1人・日",
               "per_person_trip": "宿泊日数別"}
PREMIUM_MAX = 1_000_000
TRIP_EDIT_TRIGGERS = (QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed
                      | QAbstractItemView.EditTrigger.AnyKeyPressed | QAbstractItemView.EditTrigger.SelectedClicked)


def trip_text(trips: dict[int, int]) -> str:
    """'1泊 ¥239・2泊 ¥311…' for the table and the tooltip."""
    return "・".join(f"{n}泊 {yen(v)}" for n, v in sorted(trips.items()))


class PlansModel(_RowsModel):
    """The plans (PlanInfo) of one fiscal year, the inactive ones greyed."""

    HEADERS = ("コード", "プラン", "種類", "計算", "保険料", "最低保険料", "使用")

    def item_data(self, p: Any, col: int, role: int) -> Any:
        plan = p.plan
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 4:
                if plan.premium_kind == "per_person_trip" and plan.trip_premiums:
                    prices = sorted(plan.trip_premiums.values())
                    return f"{yen(prices[0])}〜{yen(prices[-1])}（{len(prices)}段階）"
                return "—" if plan.premium_kind == "none" else yen(plan.premium)
            return (plan.code, plan.name, p.scheme_label, KIND_LABELS.get(plan.premium_kind, plan.premium_kind),
                    "", yen(plan.minimum_premium) if plan.minimum_premium else "—",
                    "使用中" if p.active else "停止")[col]
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (4, 5):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole:
            if not p.active:
                return NEUTRAL
            if col == 6:
                return GOOD
        if role == Qt.ItemDataRole.ToolTipRole:
            trips = f"\n{trip_text(plan.trip_premiums)}" if plan.trip_premiums else ""
            return tip(f"{plan.note or plan.name}{trips}")
        return None

    def row_of_code(self, code: str) -> int:
        for i, p in enumerate(self._rows):
            if p.plan.code == code:
                return i
        return -1


def _spin(name: str) -> QSpinBox:
    s = QSpinBox()
    s.setObjectName(name)
    s.setRange(0, PREMIUM_MAX)
    s.setGroupSeparatorShown(True)
    s.setAlignment(Qt.AlignmentFlag.AlignRight)
    s.setMinimumWidth(110)
    return s


class InsurancePlansDialog(QDialog):
    """プラン・保険料: the plans of a chosen fiscal year; a manager edits and saves one at a time."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *, fiscal_year: int | None = None):
        super().__init__(parent)
        self.setObjectName("insurance_plans_dialog")
        self.setWindowTitle("保険のプランと保険料")
        self.ctx = ctx
        self.saved: list[Any] = []
        this_year = jcal.fiscal_year(self.ctx.today)

        self.year_combo = QComboBox()
        self.year_combo.setObjectName("plan_year")
        years = sorted({this_year - 1, this_year, this_year + 1} | ({fiscal_year} if fiscal_year else set()))
        for fy in years:
            suffix = "（今年度）" if fy == this_year else "（来年度）" if fy == this_year + 1 else ""
            self.year_combo.addItem(f"{jcal.fiscal_year_label(fy)}{suffix}", fy)
        self.year_combo.setCurrentIndex(self.year_combo.findData(fiscal_year or this_year))
        self.year_combo.currentIndexChanged.connect(lambda _i: self.load())
        self.year_note = plain_label()
        self.year_note.setObjectName("year_note")
        self.year_note.setWordWrap(True)
        self.year_note.setStyleSheet("color: #616161;")

        self.model = PlansModel(self)
        self.table = QTableView()
        self.table.setObjectName("plans")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(26)
        for col, width in enumerate((100, 280, 150, 80, 150, 90, 60)):
            self.table.setColumnWidth(col, width)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._fill_form())

        # The form for the selected plan.
        self.form_box = QGroupBox("選んだプラン")
        self.form_box.setObjectName("plan_form")
        self.code_label = plain_label()
        self.code_label.setObjectName("plan_code")
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("plan_name")
        self.name_edit.setMaxLength(100)
        self.premium_spin = _spin("premium")
        self.premium_unit = plain_label()
        self.premium_unit.setObjectName("premium_unit")
        self.minimum_spin = _spin("minimum_premium")
        self.trip_table = QTableWidget(0, 2)
        self.trip_table.setObjectName("trip_premiums")
        self.trip_table.setHorizontalHeaderLabels(["泊数（まで）", "保険料（1人）"])
        self.trip_table.verticalHeader().setVisible(False)
        self.trip_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.trip_table.verticalHeader().setDefaultSectionSize(24)
        self.trip_table.setMinimumHeight(130)
        self.add_trip_button = QPushButton("行を追加")
        self.add_trip_button.setObjectName("add_trip_row")
        self.add_trip_button.clicked.connect(self.add_trip_row)
        self.remove_trip_button = QPushButton("行を削除")
        self.remove_trip_button.setObjectName("remove_trip_row")
        self.remove_trip_button.clicked.connect(self.remove_trip_row)
        self.trip_hint = QLabel("宿泊日数別の保険料です。泊数が表の間にあるときは、次に多い泊数の保険料になります。")
        self.trip_hint.setWordWrap(True)
        self.trip_hint.setStyleSheet("color: #616161;")
        self.trip_box = QWidget()
        tl = QVBoxLayout(self.trip_box)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.trip_hint)
        tl.addWidget(self.trip_table, 1)
        tb = QHBoxLayout()
        tb.addWidget(self.add_trip_button)
        tb.addWidget(self.remove_trip_button)
        tb.addStretch(1)
        tl.addLayout(tb)
        self.active_check = QCheckBox("このプランで加入を受け付ける")
        self.active_check.setObjectName("plan_active")
        self.note_edit = QLineEdit()
        self.note_edit.setObjectName("plan_note")
        premium_row = QHBoxLayout()
        premium_row.addWidget(self.premium_spin)
        premium_row.addWidget(self.premium_unit, 1)
        minimum_row = QHBoxLayout()
        minimum_row.addWidget(self.minimum_spin)
        minimum_hint = QLabel("円　（計算した額がこれより少ないときはこの額）")
        minimum_hint.setWordWrap(True)
        minimum_row.addWidget(minimum_hint, 1)
        form = QFormLayout()
        form.addRow("コード", self.code_label)
        form.addRow("名称(&N)", self.name_edit)
        premium_label = QLabel("保険料(&P)")
        premium_label.setBuddy(self.premium_spin)
        form.addRow(premium_label, premium_row)
        minimum_label = QLabel("最低保険料(&M)")
        minimum_label.setBuddy(self.minimum_spin)
        form.addRow(minimum_label, minimum_row)
        form.addRow("", self.active_check)
        form.addRow("備考(&B)", self.note_edit)
        # The overnight plan's steps sit beside the form, so the plan list keeps its height.
        box_lay = QHBoxLayout(self.form_box)
        box_lay.addLayout(form, 3)
        box_lay.addWidget(self.trip_box, 2)

        self.permission_label = QLabel("プランと保険料の変更は管理者のみ行えます（見ることはできます）。")
        self.permission_label.setObjectName("permission_note")
        self.permission_label.setStyleSheet(f"color: {BAD.name()};")
        self.status_label = plain_label()
        self.status_label.setObjectName("plan_status")
        self.save_button = QPushButton("保存")
        self.save_button.setObjectName("save_plan")
        self.save_button.setMinimumHeight(32)
        self.save_button.clicked.connect(self.save)
        close = QPushButton("閉じる")
        close.setObjectName("close")
        close.setMinimumHeight(32)
        close.clicked.connect(self.reject)  # as Esc: asks first when a change is not saved

        top = QHBoxLayout()
        year_label = QLabel("年度(&Y)")
        year_label.setBuddy(self.year_combo)
        top.addWidget(year_label)
        top.addWidget(self.year_combo)
        top.addWidget(self.year_note, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.permission_label)
        bottom.addWidget(self.status_label, 1)
        bottom.addWidget(self.save_button)
        bottom.addWidget(close)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.form_box)
        lay.addLayout(bottom)
        for b in self.findChildren(QPushButton):
            b.setAutoDefault(False)
        self.resize(980, 660)

        ctx.actor_changed.connect(self._on_actor_changed)  # bound: dropped when the dialog is destroyed
        self._snapshot: InputSnapshot | None = None
        self._wire_keys()
        self.load()
        self._snapshot = InputSnapshot(self, extra=self._trip_cells)

    def _wire_keys(self) -> None:
        """Tables one Tab stop each and named; Enter on a plan goes to its 名称, Enter on the overnight table
        edits the cell; 保存 is the default (Enter in a field) and Ctrl+S; Esc and 閉じる ask first when the
        form holds a change not saved."""
        self.table.setAccessibleName("保険プランの一覧")
        self.trip_table.setAccessibleName("宿泊日数別の保険料（泊数・1人の保険料）")
        free_tab_everywhere(self)
        enter_does(self.table, lambda: self.name_edit.setFocus(Qt.FocusReason.OtherFocusReason))
        enter_does(self.trip_table, lambda: self.trip_table.currentIndex().isValid()
                   and self.trip_table.edit(self.trip_table.currentIndex()))
        self.save_button.setDefault(True)
        self.save_button.setToolTip("キー：Ctrl+S（入力欄でEnterでも）")
        shortcut_action(self, "プランを保存", "Ctrl+S", self.save, section="保険のプランと保険料", name="save_plan_key")

    def _trip_cells(self) -> list[str]:
        t = self.trip_table
        return [(t.item(r, c).text() if t.item(r, c) else "") for r in range(t.rowCount()) for c in range(2)]

    def reject(self) -> None:
        if not may_discard(self, self.ctx.prompts, self._snapshot):
            return
        super().reject()

    # ---------------------------------------------------------------- reading

    def fiscal_year(self) -> int:
        return int(self.year_combo.currentData())

    def selected(self) -> Any:
        idx = self.table.selectionModel().currentIndex()
        return self.model.item(idx.row()) if idx.isValid() else None

    def load(self, select_code: str | None = None) -> None:
        """The year's plans; the first look at a year creates its rows from the year before."""
        fy = self.fiscal_year()
        keep = select_code or getattr(self.selected(), "code", None)
        try:
            # A write session because the first look creates the rows; nothing the screens show changed.
            plans = self.ctx.write(lambda s, a: ins.plans_for_year(s, fy, actor=a, include_inactive=True),
                                   changes=frozenset())
        except DomainError as exc:
            self.ctx.prompts.show_error(self, exc)
            plans = []
        self.model.set_rows(plans)
        this_year = jcal.fiscal_year(self.ctx.today)
        if fy > this_year:
            note = (f"{jcal.fiscal_year_label(fy)}の保険料です。変えても、今年度までの加入とその保険料は"
                    "そのままです。")
        elif fy == this_year:
            note = "今年度の保険料です。変えると、これからの加入に使われます（済んだ加入の保険料は変わりません）。"
        else:
            note = "過ぎた年度のプランです。記録のために残しています。"
        self.year_note.setText(note)
        row = self.model.row_of_code(keep) if keep else -1
        self.select_row(row if row >= 0 else 0)

    def select_row(self, row: int) -> None:
        if not 0 <= row < self.model.rowCount():
            self._fill_form()
            return
        self.table.selectionModel().setCurrentIndex(
            self.model.index(row, 0),
            QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self._fill_form()

    def select_code(self, code: str) -> bool:
        row = self.model.row_of_code(code)
        if row >= 0:
            self.select_row(row)
        return row >= 0

    def _fill_form(self) -> None:
        p = self.selected()
        self.status_label.setText("")
        if p is None:
            self.form_box.setTitle("選んだプラン")
            for w in (self.code_label, self.name_edit, self.note_edit):
                w.setText("")
            self._apply_role()
            if self._snapshot is not None:
                self._snapshot.retake()
            return
        plan = p.plan
        self.form_box.setTitle(f"{plan.name}（{jcal.fiscal_year_label(p.fiscal_year)}・{p.scheme_label}）")
        self.code_label.setText(plan.code)
        self.name_edit.setText(plan.name)
        self.premium_spin.setValue(plan.premium)
        self.premium_unit.setText(PREMIUM_UNITS.get(plan.premium_kind, ""))
        self.minimum_spin.setValue(plan.minimum_premium)
        self.trip_table.setRowCount(0)
        for nights, price in sorted(plan.trip_premiums.items()):
            self._append_trip(str(nights), str(price))
        trip = plan.premium_kind == "per_person_trip"
        self.trip_box.setVisible(trip)
        self.active_check.setChecked(p.active)
        self.note_edit.setText(plan.note)
        self._apply_role()
        if self._snapshot is not None:
            self._snapshot.retake()  # what a plan holds when shown is not typed input

    def _on_actor_changed(self, _actor) -> None:
        self._apply_role()

    def _apply_role(self) -> None:
        manager = self.ctx.actor.is_manager
        p = self.selected()
        editable = manager and p is not None
        kind = p.plan.premium_kind if p is not None else ""
        self.permission_label.setVisible(not manager)
        self.save_button.setEnabled(editable)
        for w in (self.name_edit, self.note_edit):
            w.setReadOnly(not editable)
        self.active_check.setEnabled(editable)
        # The city pays its own scheme and the overnight plan prices by its table: no single figure to edit.
        self.premium_spin.setEnabled(editable and kind not in ("none", "per_person_trip"))
        self.minimum_spin.setEnabled(editable and kind != "none")
        self.trip_table.setEditTriggers(TRIP_EDIT_TRIGGERS if editable else QAbstractItemView.EditTrigger.NoEditTriggers)
        self.add_trip_button.setEnabled(editable)
        self.remove_trip_button.setEnabled(editable)

    # ---------------------------------------------------------------- the overnight table

    def _append_trip(self, nights: str, price: str) -> None:
        r = self.trip_table.rowCount()
        self.trip_table.insertRow(r)
        for c, text in enumerate((nights, price)):
            item = QTableWidgetItem(text)
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.trip_table.setItem(r, c, item)

    def add_trip_row(self) -> None:
        self._append_trip("", "")
        last = self.trip_table.rowCount() - 1
        self.trip_table.scrollToBottom()
        self.trip_table.setCurrentCell(last, 0)
        self.trip_table.editItem(self.trip_table.item(last, 0))

    def remove_trip_row(self) -> None:
        r = self.trip_table.currentRow()
        if r >= 0:
            self.trip_table.removeRow(r)

    def trip_premiums(self) -> dict[int, int]:
        """The table as {nights: yen}; blank rows are skipped, a bad cell is named by its row."""
        out: dict[int, int] = {}
        for r in range(self.trip_table.rowCount()):
            cells = [(self.trip_table.item(r, c).text() if self.trip_table.item(r, c) else "").strip()
                     .translate(str.maketrans("０１２３４５６７８９", "0123456789")).replace(",", "")
                     .removesuffix("円").removesuffix("泊") for c in (0, 1)]
            if not any(cells):
                continue
            # isdecimal, not isdigit — '²' is a digit that int() refuses.
            if not all(x.isdecimal() for x in cells):
                raise ValidationError(f"宿泊日数別の{r + 1}行目：泊数と保険料を数字で入力してください。",
                                      field="trip_premiums")
            nights, price = int(cells[0]), int(cells[1])
            if nights < 1:
                raise ValidationError(f"宿泊日数別の{r + 1}行目：泊数は1以上にしてください。", field="trip_premiums")
            if nights in out:
                raise ValidationError(f"宿泊日数別：{nights}泊が2行あります。", field="trip_premiums")
            out[nights] = price
        return out

    # ---------------------------------------------------------------- saving

    def plan_from_form(self) -> Any:
        p = self.selected()
        if p is None:
            raise ValidationError("変更するプランを選んでください。", field="plan")
        plan = p.plan
        trips = self.trip_premiums() if plan.premium_kind == "per_person_trip" else dict(plan.trip_premiums)
        premium = self.premium_spin.value()
        if plan.premium_kind == "per_person_trip" and trips:
            premium = trips[min(trips)]  # the shortest stay's price, as the shipped plan lists it
        return replace(plan, name=self.name_edit.text().strip(), premium=premium,
                       minimum_premium=self.minimum_spin.value(), trip_premiums=trips,
                       note=self.note_edit.text().strip())

    def save(self) -> bool:
        fy = self.fiscal_year()
        active = self.active_check.isChecked()
        try:
            plan = self.plan_from_form()
            info = self.ctx.write(lambda s, a: ins.save_plan(s, a, fy, plan, active=active),
                                  changes=frozenset({"insurance"}))
        except DomainError as exc:
            self.ctx.prompts.show_error(self, exc)
            return False
        self.saved.append(info)
        self.load(select_code=info.code)
        self.status_label.setText(f"「{info.name}」（{jcal.fiscal_year_label(fy)}）を保存しました。")
        self.status_label.setStyleSheet(f"color: {GOOD.name()};")
        return True

    @classmethod
    def run(cls, parent: QWidget | None, ctx: AppContext, *, fiscal_year: int | None = None) -> list[Any]:
        """Show the dialog; returns the plans saved while it was open."""
        dlg = cls(ctx, parent, fiscal_year=fiscal_year)
        dlg.exec()
        return dlg.saved


__all__ = ["InsurancePlansDialog", "PlansModel"]
