"""The booking dialog (予約入力): create, edit or cancel one booking or a recurring series.

The dialog only collects input and shows answers: every rule is checked by the services, whose
Japanese messages are shown as they are. On any error the dialog stays open with the input intact,
so nothing typed is lost. Its parts live beside it: the recurrence editor (recurrence_editor.py), the
equipment and preview models (booking_models.py) and the slips printed after saving (slips.py).
Widgets carry stable object names (``room``, ``purpose``, ``save_button``…) that the tests and the user
guide refer to.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from PySide6.QtCore import QEvent, QObject, QStringListModel, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QCompleter,
    QDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from booking_app import clock
from booking_app.domain import japanese_calendar as jcal
from booking_app.domain import hours
from booking_app.domain.booking_rules import BookingStatus, override_allowed
from booking_app.domain.errors import DomainError, RuleError, ValidationError
from booking_app.domain.fees import signed_yen
from booking_app.domain.roles import may_override_rules, role_at_least
from booking_app.domain.recurrence import RecurrenceRule
from booking_app.services import bookings as booking_svc
from booking_app.services import series as series_svc
from booking_app.services import unit_of_work
from booking_app.services.bookings import BookingInput, BookingView
from booking_app.services.centre import get_profile, list_rooms
from booking_app.services.group_lookup import GroupHit, get_group, search_groups
from booking_app.services.series import PreviewItem
from booking_app.ui import theme
from booking_app.ui.booking import slips
from booking_app.ui.booking.booking_models import BAD_RED, OK_GREEN, EquipmentModel, QuantityDelegate
from booking_app.ui.booking.recurrence_editor import RecurrenceEditor
from booking_app.ui.context import AppContext
from booking_app.ui.dates import date_edit, from_qdate, list_date, minutes_text, to_qdate
from booking_app.ui.keyboard import InputSnapshot, bind_key, may_discard, shortcut_action, tab_leaves
from booking_app.ui.plain_text import plain_label
from booking_app.ui.widgets import run_modal
from booking_app.services import fees as fee_svc
from booking_app.services import reductions as reduction_svc

STEP_MINUTES = 30
FIRST_MINUTE = 6 * 60  # the list of times starts at 6:00; the centre opens at 9:00 by default
LAST_MINUTE = 24 * 60
KEY_SECTION = "予約の登録"  # the heading of this dialog's keys in キー操作一覧
BOOKER_KINDS = (("member", "登録団体"), ("group", "団体（未登録）"), ("person", "個人"))
SCOPE_CHOICES = (("one", "この日のみ"), ("following", "この日以降"), ("all", "すべて"))


# --- helpers ------------------------------------------------------------------------------------------

def _time_combo(name: str, first: int, last: int) -> QComboBox:
    c = QComboBox()
    c.setObjectName(name)
    for m in range(first, last + 1, STEP_MINUTES):
        c.addItem(minutes_text(m), m)
    c.setMaxVisibleItems(16)
    return c


def _buddy(text: str, field: QWidget) -> QLabel:
    """A form label that names ``field`` and jumps to it on Alt+its letter (「部屋(&R)」: Alt+R).

    The field's accessible name is the label without the letter (「部屋」, not 「部屋(R)」), unless the
    field has its own (開始時刻 beside 時間)."""
    label = QLabel(text)
    label.setBuddy(field)
    if not field.accessibleName():
        field.setAccessibleName(_without_mnemonic(text))
    return label


def _without_mnemonic(text: str) -> str:
    return re.sub(r"\(&\w\)$", "", text).replace("&", "")


def _select_data(combo: QComboBox, value) -> bool:
    i = combo.findData(value)
    if i >= 0:
        combo.setCurrentIndex(i)
    return i >= 0


# --- the dialog ---------------------------------------------------------------------------------------

class BookingDialog(QDialog):
    """予約の登録・変更 dialog. Construct with ``booking_id`` to edit, otherwise it creates."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *, booking_id: int | None = None,
                 room_id: int | None = None, start: datetime | None = None, end: datetime | None = None,
                 group_id: int | None = None, day: date | None = None):
        """A new booking starts from what the caller knows: ``room_id``/``start``/``end`` (a dragged slot),
        ``day`` (a date without a time: the usual 9:00–12:00 on it) and ``group_id`` (a registered group)."""
        super().__init__(parent)
        self.setObjectName("booking_dialog")
        self.ctx = ctx
        self.booking_id = booking_id
        self.result_id: int | None = None
        self.slip_op = None  # the background slip job of a long series (tests wait on it)
        self._saved_series_id: int | None = None
        self._saved_count = 0
        self.changed_something = False
        self._view: BookingView | None = None
        self._group: GroupHit | None = None
        self._hits: list[GroupHit] = []
        self._loading = True
        self.profile, self.rooms = ctx.read(lambda s: (get_profile(s), list_rooms(s)))
        self.may_reduce = role_at_least(ctx.actor.role, "manager")  # 減免 is a manager's approval

        self.setWindowTitle("予約の変更" if booking_id else "予約の登録")
        self._build()
        if booking_id is not None:
            self._load(booking_id)
        else:
            self._init_new(room_id, start, end, group_id=group_id, day=day)
        self._loading = False
        self._refresh_day()
        self._refresh_availability()
        self._refresh_hint()
        self.resize(1120, 700)
        # What the dialog holds now is not 'typed': Esc closes at once until staff change something.
        self._snapshot = InputSnapshot(self, extra=self.equipment_model.quantities)
        self.date_edit.setFocus(Qt.FocusReason.OtherFocusReason)  # the first field, in reading order

    @property
    def today(self) -> date:
        """Today by the app's clock (default hold and series dates)."""
        return clock.today()

    # ---------------------------------------------------------------- construction

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        self.header_label = plain_label()
        self.header_label.setObjectName("header_label")
        self.header_label.setVisible(False)
        outer.addWidget(self.header_label)

        columns = QHBoxLayout()
        outer.addLayout(columns, 1)
        left = QFormLayout()
        left.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        left.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        # Some styles wrap long rows under their label; at the desk a label must sit beside its field.
        left.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        left_box = QWidget()
        left_col = QVBoxLayout(left_box)
        left_col.setContentsMargins(0, 0, 0, 0)
        left_col.addLayout(left)
        left_col.addStretch(1)  # spare height goes below the form, not between its rows
        columns.addWidget(left_box, 5)
        right = QVBoxLayout()
        columns.addLayout(right, 6)

        # 利用日 and 和暦 label
        self.date_edit = date_edit("date", self.today)
        self.day_label = plain_label()
        self.day_label.setObjectName("day_label")
        row = QHBoxLayout()
        row.addWidget(self.date_edit)
        row.addWidget(self.day_label, 1)
        left.addRow(_buddy("利用日(&D)", self.date_edit), row)

        # 開始・終了
        self.start_combo = _time_combo("start_time", FIRST_MINUTE, LAST_MINUTE - STEP_MINUTES)
        self.end_combo = _time_combo("end_time", FIRST_MINUTE + STEP_MINUTES, LAST_MINUTE)
        row = QHBoxLayout()
        row.addWidget(self.start_combo)
        row.addWidget(QLabel("〜"))
        row.addWidget(self.end_combo)
        row.addStretch(1)
        self.start_combo.setAccessibleName("開始時刻")
        self.end_combo.setAccessibleName("終了時刻")
        left.addRow(_buddy("時間(&T)", self.start_combo), row)

        # 時間区分 buttons (rebuilt when the day changes: Sundays have no 夜間)
        self.period_row = QHBoxLayout()
        self.period_row.setContentsMargins(0, 0, 0, 0)
        period_box = QWidget()
        period_box.setObjectName("period_buttons")
        period_box.setLayout(self.period_row)
        left.addRow("時間区分", period_box)

        # 部屋
        self.room_combo = QComboBox()
        self.room_combo.setObjectName("room")
        for r in self.rooms:
            self.room_combo.addItem(f"{r.name}（定員{r.capacity}人）", r.id)
        self.room_combo.addItem("なし（備品のみ）", None)
        left.addRow(_buddy("部屋(&R)", self.room_combo), self.room_combo)

        # 利用者区分
        self.kind_combo = QComboBox()
        self.kind_combo.setObjectName("booker_kind")
        for key, label in BOOKER_KINDS:
            self.kind_combo.addItem(label, key)
        left.addRow(_buddy("利用者区分(&K)", self.kind_combo), self.kind_combo)

        # 団体 (registered) with completer and state label
        self.group_edit = QLineEdit()
        self.group_edit.setObjectName("group_search")
        self.group_edit.setPlaceholderText("団体名・かな・登録番号で検索")
        self._group_model = QStringListModel(self)
        self.completer = QCompleter(self._group_model, self)
        self.completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self.completer.setMaxVisibleItems(12)
        self.group_edit.setCompleter(self.completer)
        self.group_status = QLabel("未選択")
        self.group_status.setObjectName("group_status")
        self.group_status.setMinimumWidth(110)
        row = QHBoxLayout()
        row.addWidget(self.group_edit, 1)
        row.addWidget(self.group_status)
        self.group_label = _buddy("団体(&G)", self.group_edit)
        left.addRow(self.group_label, row)

        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("booker_name")
        self.name_edit.setMaxLength(200)  # bad-input fix (issue 7): never longer than the column's String(n), which PostgreSQL enforces
        self.name_label = _buddy("団体名／氏名(&N)", self.name_edit)
        left.addRow(self.name_label, self.name_edit)
        self.phone_edit = QLineEdit()
        self.phone_edit.setObjectName("contact_phone")
        self.phone_edit.setMaxLength(40)  # bad-input fix (issue 7): never longer than the column's String(n), which PostgreSQL enforces
        self.phone_edit.setPlaceholderText("例：083-000-0000")
        left.addRow(_buddy("連絡先(&C)", self.phone_edit), self.phone_edit)

        self.purpose_edit = QLineEdit()
        self.purpose_edit.setObjectName("purpose")
        self.purpose_edit.setMaxLength(200)  # bad-input fix (issue 7): never longer than the column's String(n), which PostgreSQL enforces
        self.purpose_edit.setPlaceholderText("例：定例会、講座")
        left.addRow(_buddy("利用目的(&P)", self.purpose_edit), self.purpose_edit)

        self.attendees_spin = QSpinBox()
        self.attendees_spin.setObjectName("attendees")
        self.attendees_spin.setRange(0, 999)
        self.attendees_spin.setSuffix("人")
        self.capacity_label = plain_label()
        self.capacity_label.setObjectName("capacity_label")
        row = QHBoxLayout()
        row.addWidget(self.attendees_spin)
        row.addWidget(self.capacity_label, 1)
        left.addRow(_buddy("予定人数(&A)", self.attendees_spin), row)

        # 料金: the quote as the fields change (payments issue); see _refresh_fee.
        self.fee_label = QLabel("—")
        self.fee_label.setObjectName("fee_label")
        left.addRow("料金", self.fee_label)

        # 減免 (issue 18): なし + the centre's codes with their rate; a manager chooses (and approves), a desk
        # clerk sees it read-only with the approver's name.
        self.reduction_combo = QComboBox()
        self.reduction_combo.setObjectName("reduction")
        self.reduction_combo.addItem("なし", None)
        for code in self.profile.reductions:
            self.reduction_combo.addItem(f"{code.label}（{code.rate}%）", code.code)
        self.reduction_combo.setEnabled(self.may_reduce)
        self.reduction_approver = plain_label()
        self.reduction_approver.setObjectName("reduction_approver")
        row = QHBoxLayout()
        row.addWidget(self.reduction_combo)
        row.addWidget(self.reduction_approver, 1)
        left.addRow(_buddy("減免(&U)", self.reduction_combo), row)
        self._show_reduction_approver()

        self.tentative_check = QCheckBox("仮予約(&H)")
        self.tentative_check.setObjectName("tentative")
        self.hold_edit = date_edit("hold_until", self.today + timedelta(days=self.profile.tentative_hold_days))
        self.hold_label = _buddy("保留期限(&L)", self.hold_edit)
        self.hold_label.setObjectName("hold_label")
        row = QHBoxLayout()
        row.addWidget(self.tentative_check)
        row.addWidget(self.hold_label)
        row.addWidget(self.hold_edit)
        row.addStretch(1)
        left.addRow("予約の種類", row)

        self.note_edit = QPlainTextEdit()
        self.note_edit.setObjectName("note")
        self.note_edit.setFixedHeight(52)
        tab_leaves(self.note_edit)  # Tab moves on; Enter makes a new line
        left.addRow(_buddy("備考(&M)", self.note_edit), self.note_edit)

        self.override_edit = QLineEdit()
        self.override_edit.setObjectName("override_reason")
        self.override_edit.setPlaceholderText("管理者が規則外で受け付ける理由（例：市の行事のため）")
        self.override_label = _buddy("規則外の理由(&O)", self.override_edit)
        left.addRow(self.override_label, self.override_edit)
        self._show_override(False)

        # right column: equipment and recurrence
        eq_box = QGroupBox("備品")
        eq_layout = QVBoxLayout(eq_box)
        self.equipment_keys_label = QLabel("数量(&E)：↑↓で選び数字で入力　＋/Space 増やす　− 減らす　Delete 外す")
        self.equipment_keys_label.setObjectName("equipment_keys_label")
        self.equipment_keys_label.setWordWrap(True)
        self.equipment_keys_label.setStyleSheet("color: #616161;")
        eq_layout.addWidget(self.equipment_keys_label)
        self.equipment_model = EquipmentModel(self)
        self.equipment_table = QTableView()
        self.equipment_table.setObjectName("equipment_table")
        self.equipment_table.setModel(self.equipment_model)
        self.equipment_table.setItemDelegateForColumn(EquipmentModel.QTY, QuantityDelegate(self.equipment_table))
        self.equipment_table.verticalHeader().setVisible(False)
        self.equipment_table.verticalHeader().setDefaultSectionSize(28)
        hh = self.equipment_table.horizontalHeader()
        hh.setSectionResizeMode(EquipmentModel.NAME, QHeaderView.ResizeMode.Stretch)
        hh.setSectionResizeMode(EquipmentModel.QTY, QHeaderView.ResizeMode.Fixed)
        hh.setSectionResizeMode(EquipmentModel.FREE, QHeaderView.ResizeMode.Fixed)
        self.equipment_table.setColumnWidth(EquipmentModel.QTY, 100)
        self.equipment_table.setColumnWidth(EquipmentModel.FREE, 150)
        # One Tab stop: ↑↓ choose a line, digits type its quantity, +/Space add one, -/Delete take off.
        self.equipment_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.equipment_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.equipment_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.equipment_table.setAccessibleName("備品")
        self.equipment_keys_label.setBuddy(self.equipment_table)  # Alt+E
        self.equipment_table.setAccessibleDescription(
            "↑↓で備品を選び、数字で数量を入力。＋かSpaceで1つ増やし、−で1つ減らし、Deleteで外します")
        self.equipment_table.setToolTip("↑↓で備品を選び、数字で数量（＋/Spaceで1つ増やす、−で減らす、Deleteで外す）")
        tab_leaves(self.equipment_table)
        self._qty_typed: tuple[int, str] | None = None  # (row, digits typed so far on it)
        self.equipment_table.installEventFilter(self)
        self.equipment_table.setMinimumHeight(200)
        self.equipment_model.modelReset.connect(self._open_quantity_editors)
        eq_layout.addWidget(self.equipment_table)
        right.addWidget(eq_box, 3)

        # 繰り返し: a check box, and under it a frame with the rule only while it is ticked. (A checkable
        # QGroupBox drew an empty frame under the unticked box: Fusion ignores setFlat.)
        self.recurrence_box = QCheckBox("繰り返し(&W)")
        self.recurrence_box.setObjectName("recurrence_box")
        self.recurrence_box.setChecked(False)
        self.rec_frame = QFrame()
        self.rec_frame.setFrameShape(QFrame.Shape.StyledPanel)
        self.rec_frame.setObjectName("recurrence_frame")
        rec_outer = QVBoxLayout(self.rec_frame)
        self.recurrence = RecurrenceEditor(self.today)
        self.recurrence.preview_requested.connect(self.preview)
        rec_outer.addWidget(self.recurrence)
        self._show_recurrence(False)
        self.recurrence_box.toggled.connect(self._show_recurrence)
        right.addWidget(self.recurrence_box, 0)
        right.addWidget(self.rec_frame, 0)
        self.series_label = plain_label()
        self.series_label.setObjectName("series_label")
        self.series_label.setWordWrap(True)
        self.series_label.setVisible(False)
        right.addWidget(self.series_label)
        right.addStretch(0)

        # problems found before saving, and the buttons
        self.hint_label = plain_label()
        self.hint_label.setObjectName("hint_label")
        self.hint_label.setWordWrap(True)
        self.hint_label.setStyleSheet(f"color: {BAD_RED};")
        outer.addWidget(self.hint_label)
        buttons = QHBoxLayout()
        self.cancel_booking_button = QPushButton("予約を取消…")
        self.cancel_booking_button.setObjectName("cancel_booking_button")
        self.cancel_booking_button.setVisible(False)
        buttons.addWidget(self.cancel_booking_button)
        buttons.addStretch(1)
        self.print_slip_check = QCheckBox("保存後に利用票を印刷(&I)")
        self.print_slip_check.setObjectName("print_slip_after_save")
        self.print_slip_check.setChecked(slips.print_slip_remembered())
        self.print_slip_check.toggled.connect(slips.remember_print_slip)
        buttons.addWidget(self.print_slip_check)
        self.save_button = QPushButton("保存")
        self.save_button.setObjectName("save_button")
        self.close_button = QPushButton("閉じる")
        self.close_button.setObjectName("close_button")
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.close_button)
        outer.addLayout(buttons)
        # 保存 is the default button: Enter in a one-line field saves (not in 備考, not while picking a
        # group: see eventFilter). Other buttons press on Enter when they have the focus.
        for b in self.findChildren(QPushButton):
            b.setAutoDefault(True)
        self.save_button.setDefault(True)
        self.save_key = bind_key(self, self.save_button, "Ctrl+S", section=KEY_SECTION)
        self.close_button.setToolTip("キー：Esc（入力があれば破棄するか確かめます）")
        self._equipment_keys()

        # signals
        self.date_edit.dateChanged.connect(self._on_day_changed)
        self.start_combo.currentIndexChanged.connect(self._on_time_changed)
        self.end_combo.currentIndexChanged.connect(self._on_time_changed)
        self.room_combo.currentIndexChanged.connect(self._on_room_changed)
        self.kind_combo.currentIndexChanged.connect(self._on_kind_changed)
        self.reduction_combo.currentIndexChanged.connect(self._on_reduction_changed)
        self.group_edit.textEdited.connect(self._on_group_text)
        self.group_edit.returnPressed.connect(self._pick_group_from_text)
        self.group_edit.editingFinished.connect(self._show_chosen_group)
        self.completer.activated[str].connect(self._on_group_activated)
        self.attendees_spin.valueChanged.connect(self._refresh_capacity)
        self._show_hold(False)
        self.tentative_check.toggled.connect(self._show_hold)
        self.equipment_model.dataChanged.connect(lambda *_: self._refresh_hint())
        self.save_button.clicked.connect(self.save)
        self.close_button.clicked.connect(self.reject)
        self.cancel_booking_button.clicked.connect(self.cancel_booking)
        # Enter picks a group in the search box; it never saves a half-chosen group (eventFilter).
        self.group_edit.installEventFilter(self)  # (date fields give Tab back by themselves: ui.dates.date_edit)
        self._on_kind_changed()

    # ---------------------------------------------------------------- keyboard

    def _period_buttons(self) -> list[QPushButton]:
        out = []
        for i in range(self.period_row.count()):
            w = self.period_row.itemAt(i).widget()
            if isinstance(w, QPushButton):
                out.append(w)
        return out

    def _fix_tab_order(self) -> None:
        """Tab walks the form in reading order: the left column top to bottom (the 時間区分 buttons are
        rebuilt with the day, so they are put back after 終了), then 備品, 繰り返し, and the buttons."""
        if not hasattr(self, "close_button"):
            return
        chain: list[QWidget] = [
            self.date_edit, self.start_combo, self.end_combo, *self._period_buttons(), self.room_combo,
            self.kind_combo, self.group_edit, self.name_edit, self.phone_edit, self.purpose_edit,
            self.attendees_spin, self.reduction_combo, self.tentative_check, self.hold_edit, self.note_edit,
            self.override_edit,
            self.equipment_table, self.recurrence_box, *self.recurrence.focus_chain(),
            self.cancel_booking_button, self.print_slip_check, self.save_button, self.close_button,
        ]
        for first, second in zip(chain, chain[1:]):
            QWidget.setTabOrder(first, second)

    def _equipment_keys(self) -> None:
        """The equipment table's keys, as actions on the table (listed in キー操作一覧)."""
        t = self.equipment_table
        ctx = Qt.ShortcutContext.WidgetShortcut
        self.equipment_more_key = shortcut_action(t, "備品を1つ増やす", ["+", "Space"], lambda: self._step_quantity(1),
                                                  section=KEY_SECTION, name="equipment_more", context=ctx)
        self.equipment_less_key = shortcut_action(t, "備品を1つ減らす", "-", lambda: self._step_quantity(-1),
                                                  section=KEY_SECTION, name="equipment_less", context=ctx)
        self.equipment_remove_key = shortcut_action(t, "備品を外す", "Delete", lambda: self._set_quantity(0),
                                                    section=KEY_SECTION, name="equipment_remove", context=ctx)

    def _current_equipment_row(self) -> int:
        row = self.equipment_table.currentIndex().row()
        if row < 0 and self.equipment_model.rowCount():
            row = 0
            self.equipment_table.setCurrentIndex(self.equipment_model.index(0, EquipmentModel.NAME))
        return row

    def _set_quantity(self, qty: int) -> None:
        self._qty_typed = None
        row = self._current_equipment_row()
        if row >= 0:
            self.equipment_model.setData(self.equipment_model.index(row, EquipmentModel.QTY), max(0, min(qty, 99)))

    def _step_quantity(self, step: int) -> None:
        row = self._current_equipment_row()
        if row >= 0:
            now = self.equipment_model.index(row, EquipmentModel.QTY).data(Qt.ItemDataRole.EditRole) or 0
            self._set_quantity(int(now) + step)

    def _type_quantity(self, digit: str) -> None:
        """A digit typed on an equipment line: its quantity (a second digit right after makes 12)."""
        row = self._current_equipment_row()
        if row < 0:
            return
        digits = (self._qty_typed[1] if self._qty_typed and self._qty_typed[0] == row else "") + digit
        digits = digits[-2:]
        self._set_quantity(int(digits))
        self._qty_typed = (row, digits)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            if watched is self.equipment_table:
                text = event.text()
                plain = not (event.modifiers() & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier))
                if plain and len(text) == 1 and text in "0123456789０１２３４５６７８９":
                    self._type_quantity(str("0123456789０１２３４５６７８９".index(text) % 10))
                    return True
                self._qty_typed = None
            elif watched is self.group_edit and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                # Enter picks the group (the highlighted candidate, else the first); only once the group
                # is chosen and shown does Enter go on to 保存 as in the other one-line fields.
                popup = self.completer.popup()
                if popup.isVisible():
                    index = popup.currentIndex()
                    popup.hide()
                    if index.isValid():
                        self._on_group_activated(str(index.data()))
                    else:
                        self._pick_group_from_text()
                    return True
                if self._group is None or self.group_edit.text() != self._group.display:
                    self._pick_group_from_text()
                    return True
        elif event.type() == QEvent.Type.FocusOut and watched is self.equipment_table:
            self._qty_typed = None
        return super().eventFilter(watched, event)

    def reject(self) -> None:
        """Esc, 閉じる or the window's ×: at once when nothing was typed, else 「入力内容を破棄しますか？」."""
        if not may_discard(self, self.ctx.prompts, getattr(self, "_snapshot", None)):
            return
        super().reject()

    # ---------------------------------------------------------------- filling

    def _init_new(self, room_id, start, end, *, group_id: int | None = None, day: date | None = None) -> None:
        if room_id is not None:
            _select_data(self.room_combo, room_id)
        if day is not None and start is None:
            self.date_edit.setDate(to_qdate(day))
        if group_id is not None:
            hit = self.ctx.read(lambda s: get_group(s, group_id))
            if hit is not None:
                _select_data(self.kind_combo, "member")
                self._set_group(hit)
        if start is not None:
            self.date_edit.setDate(to_qdate(start.date()))
            _select_data(self.start_combo, start.hour * 60 + start.minute)
            if end is None:
                end = start + timedelta(hours=2)
        else:
            _select_data(self.start_combo, 9 * 60)
        if end is not None:
            end_min = LAST_MINUTE if (start and end.date() > start.date()) else end.hour * 60 + end.minute
            _select_data(self.end_combo, end_min)
        else:
            _select_data(self.end_combo, 12 * 60)
        self._preset_recurrence()

    def _preset_recurrence(self) -> None:
        """Make the repeat settings follow the booking day until staff open them (毎週 that weekday)."""
        self.recurrence.preset(self.day)

    def _load(self, booking_id: int) -> None:
        v = self.ctx.read(lambda s: booking_svc.get_booking(s, booking_id))
        self._view = v
        self.date_edit.setDate(to_qdate(v.start.date()))
        _select_data(self.start_combo, v.start.hour * 60 + v.start.minute)
        end_min = LAST_MINUTE if v.end.date() > v.start.date() else v.end.hour * 60 + v.end.minute
        _select_data(self.end_combo, end_min)
        if not _select_data(self.room_combo, v.room_id):
            if v.room_id is not None:  # an inactive room still shows on its old bookings
                self.room_combo.addItem(f"{v.room_name}（使用停止）", v.room_id)
                _select_data(self.room_combo, v.room_id)
        _select_data(self.kind_combo, v.booker_kind)
        if v.group_id is not None:
            hit = self.ctx.read(lambda s: get_group(s, v.group_id))
            if hit is not None:
                self._set_group(hit)
        else:
            self.name_edit.setText(v.booker_name)
        self.phone_edit.setText(v.contact_phone)
        self.purpose_edit.setText(v.purpose)
        self.attendees_spin.setValue(v.attendees)
        self.equipment_model.set_quantities({e.equipment_type_id: e.quantity for e in v.equipment})
        self.tentative_check.setChecked(v.status == BookingStatus.TENTATIVE.value)
        if v.hold_until:
            self.hold_edit.setDate(to_qdate(v.hold_until))
        self.note_edit.setPlainText(v.note)
        if v.reduction_code is not None and not _select_data(self.reduction_combo, v.reduction_code):
            self.reduction_combo.addItem(f"{v.reduction_code}（設定にない区分）", v.reduction_code)
            _select_data(self.reduction_combo, v.reduction_code)
        self._show_reduction_approver()
        if v.override_reason:
            self.override_edit.setText(v.override_reason)
            self._show_override(True)
        text = f"予約番号 {v.number}　状態：{v.status_label}"
        if v.actual_users is not None:
            text += f"　利用人数 {v.actual_users}人"
        if v.status_reason:
            text += f"　（{v.status_reason}）"
        self.header_label.setText(text)
        self.header_label.setVisible(True)
        self.recurrence_box.setVisible(False)
        self.print_slip_check.setVisible(False)  # slips come with a new booking; reprints from the lists
        if v.series_id is not None:
            summary = self.ctx.read(lambda s: series_svc.series_summary(s, v.series_id))
            self.series_label.setText(f"繰り返し予約：{summary}")
            self.series_label.setVisible(True)
        editable = v.status in booking_svc.EDITABLE
        self.save_button.setEnabled(editable)
        self.cancel_booking_button.setVisible(editable)
        if not editable:
            self.save_button.setToolTip(f"{v.status_label}の予約は変更できません")

    # ---------------------------------------------------------------- reactions

    def _on_day_changed(self, *_):
        if not self.recurrence_box.isChecked() and self.booking_id is None:
            self._preset_recurrence()
        self._show_group_state()  # validity is judged on the booking day
        self._refresh_day()
        self._refresh_availability()
        self._refresh_hint()

    def _on_time_changed(self, *_):
        if self._loading:
            return
        self._refresh_availability()
        self._refresh_hint()

    def _on_room_changed(self, *_):
        self._refresh_capacity()
        self._refresh_hint()

    def _show_hold(self, tentative: bool) -> None:
        """保留期限 belongs to a tentative booking only: hidden (not greyed) for a confirmed one."""
        self.hold_label.setVisible(tentative)
        self.hold_edit.setVisible(tentative)
        self.hold_edit.setEnabled(tentative)

    def _show_recurrence(self, on: bool) -> None:
        """Unticked, 繰り返し is the check box alone, with no empty frame under it (QA)."""
        self.rec_frame.setVisible(on)

    def _refresh_day(self) -> None:
        d = self.day
        text = jcal.format_long(d)
        holiday = jcal.holiday_name(d)
        if holiday:
            text += f" {holiday}"
        reason = hours.closure_reason(self.profile, d)
        if reason:
            text += f"（{reason}）"
        self.day_label.setText(text)
        color = theme.day_color(d)
        self.day_label.setStyleSheet(f"color: {color.name()};" if color is not None else "")
        # period buttons for this day
        while self.period_row.count():
            item = self.period_row.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        periods = hours.periods_for(self.profile, d)
        for p in periods:
            b = QPushButton(p.label)
            b.setObjectName(f"period_{p.name}")
            b.setAutoDefault(True)  # Enter on a focused 時間区分 presses it (not 保存)
            b.setToolTip(f"{p.label}：{p.start:%H:%M}〜{p.end:%H:%M}")
            b.clicked.connect(lambda _c=False, p=p: self.set_times(p.start, p.end))
            self.period_row.addWidget(b)
        if not periods:
            self.period_row.addWidget(QLabel("休館日のため時間区分はありません"))
        self.period_row.addStretch(1)
        self._fix_tab_order()

    def set_times(self, start: time, end: time) -> None:
        self._loading = True
        _select_data(self.start_combo, start.hour * 60 + start.minute)
        _select_data(self.end_combo, LAST_MINUTE if end == time(0) else end.hour * 60 + end.minute)
        self._loading = False
        self._on_time_changed()

    def _refresh_capacity(self, *_) -> None:
        cap = self._capacity()
        if cap is None:
            self.capacity_label.setText("（部屋なし）")
            self.capacity_label.setStyleSheet("")
            return
        over = self.attendees_spin.value() > cap
        self.capacity_label.setText(f"定員 {cap}人" + ("　定員を超えています" if over else ""))
        self.capacity_label.setStyleSheet(f"color: {BAD_RED};" if over else "")

    def _capacity(self) -> int | None:
        rid = self.room_combo.currentData()
        return next((r.capacity for r in self.rooms if r.id == rid), None)

    def _on_kind_changed(self, *_) -> None:
        kind = self.kind_combo.currentData()
        member = kind == "member"
        self.group_edit.setEnabled(member)
        self.group_status.setEnabled(member)
        self.name_edit.setEnabled(not member)
        self.name_label.setText("氏名(&N)" if kind == "person" else "団体名(&N)")
        self.name_edit.setAccessibleName(_without_mnemonic(self.name_label.text()))
        if member:
            self.name_edit.setPlaceholderText("登録団体は上の欄で選びます")
        else:
            self.name_edit.setPlaceholderText("氏名" if kind == "person" else "団体名")
        self._refresh_fee()

    def _on_group_text(self, text: str) -> None:
        self._group = None
        self._show_group_state()
        self._hits = self.ctx.read(lambda s: search_groups(s, text, 20)) if text.strip() else []
        self._group_model.setStringList([h.display for h in self._hits])
        exact = [h for h in self._hits if text.strip() in (h.name, h.reg_no, h.display)]
        if len(exact) == 1:
            self._set_group(exact[0], keep_text=True)

    def _pick_group_from_text(self) -> None:
        if self._group is None and self._hits:
            self._set_group(self._hits[0])
        else:
            self._show_chosen_group()

    def _show_chosen_group(self) -> None:
        """A group matched exactly while typing (e.g. its number 「0098」) keeps the typed text; on Enter
        or leaving the field the box shows 「0098 赤間傾聴の会」, so the desk sees which group it is."""
        if self._group is not None and self.group_edit.text() != self._group.display:
            self._set_group(self._group)

    def _on_group_activated(self, text: str) -> None:
        hit = next((h for h in self._hits if h.display == text), None)
        if hit is not None:
            self._set_group(hit)

    def _set_group(self, hit: GroupHit, keep_text: bool = False) -> None:
        self._group = hit
        if not keep_text:
            self.group_edit.setText(hit.display)
            self.completer.popup().hide()  # chosen: the list has done its job
        if hit.phone and not self.phone_edit.text():
            self.phone_edit.setText(hit.phone)
        self._show_group_state()
        self._refresh_fee()

    def _show_group_state(self) -> None:
        if self._group is None:
            self.group_status.setText("未選択")
            self.group_status.setStyleSheet("color: #757575;")
            return
        # Membership is judged as of today, as the booking service does (not on the booking date).
        d = self.today
        ok = self._group.is_valid_on(d)
        self.group_status.setText(self._group.state_label(d))
        self.group_status.setStyleSheet(f"color: {OK_GREEN if ok else BAD_RED}; font-weight: bold;")

    def _open_quantity_editors(self) -> None:
        for row in range(self.equipment_model.rowCount()):
            self.equipment_table.openPersistentEditor(self.equipment_model.index(row, EquipmentModel.QTY))

    def _refresh_availability(self) -> None:
        try:
            start, end = self._times()
        except ValidationError:
            return
        exclude = self.booking_id
        rows = self.ctx.read(lambda s: booking_svc.equipment_availability(s, start, end, exclude))
        self.equipment_model.set_availability(rows)

    def _refresh_hint(self) -> None:
        """Problems visible before saving: closed day, hours, a clashing room, short equipment."""
        if self._loading:
            return
        try:
            start, end = self._times()
        except ValidationError as exc:
            self._show_hint(exc.message)
            return
        lines = [rb.message for rb in hours.check_slot(self.profile, start, end)]
        rid = self.room_combo.currentData()
        if rid is not None:
            exclude = [self.booking_id] if self.booking_id else []
            clashes = self.ctx.read(lambda s: [
                booking_svc.hm(b.start_at) + "〜" + booking_svc.hm(b.end_at)
                for b in booking_svc.room_conflicts(s, rid, start, end, exclude)
            ])
            if clashes:
                lines.append(f"{self.room_combo.currentText().split('（')[0]}は {', '.join(clashes)} に予約があります")
        lines += self.equipment_model.shortages()
        self._show_hint("\n".join(lines))
        self._refresh_fee()

    def _show_hint(self, text: str) -> None:
        """The problems under the form, also read out with 保存 (a label is no Tab stop: whoever reaches
        保存 by keys hears 「小会議室1は 18:00〜21:00 に予約があります」 before pressing it)."""
        self.hint_label.setText(text)
        self.save_button.setAccessibleDescription(text)

    def _refresh_fee(self) -> None:
        """The fee (料金) of what the form says, 会員 or 一般; '—' while the form is incomplete.

        Wrapped so that a failing quote never breaks booking itself.
        """
        if self._loading:
            return
        try:
            data = self.booking_input()
            lines = self.ctx.read(lambda s: fee_svc.quote(s, data, today=self.today))
            total = sum(line.amount for line in lines)
            label = "会員" if data.booker_kind == "member" else "一般"
            reduced = [line for line in lines if line.kind == "reduction"]
            if reduced:
                # 減免: the fee, the reduction as a negative amount (△, as the receipt prints it), what is paid.
                off = sum(line.amount for line in reduced)
                self.fee_label.setText(f"¥{total - off:,}　減免 {signed_yen(off)}　お支払い ¥{total:,}（{label}）")
            else:
                self.fee_label.setText(f"¥{total:,}（{label}）")
            self.fee_label.setAccessibleName(f"料金 {self.fee_label.text()}")
        except Exception:  # noqa: BLE001 - a quote is a courtesy; the booking must still be possible
            self.fee_label.setText("—")

    def _on_reduction_changed(self, *_) -> None:
        self._show_reduction_approver()
        self._refresh_fee()

    def _show_reduction_approver(self) -> None:
        """Beside the 減免 combo: who approved the booking's 減免, or what happens on saving."""
        v = self._view
        code = self.reduction_combo.currentData()
        if v is not None and v.reduction_code is not None and code == v.reduction_code:
            name = self.ctx.read(lambda s: reduction_svc.approver_name(s, v.reduction_approved_by))
            text = f"承認：{name}" if name else "承認済み"
        elif not self.may_reduce:
            text = "管理者が承認します"
        elif code != (v.reduction_code if v is not None else None):
            text = "保存すると承認（管理者）" if code is not None else ("保存すると減免を外します" if v else "")
        else:
            text = ""
        self.reduction_approver.setText(text)
        self.reduction_combo.setAccessibleDescription(text)

    def _reduction_write(self, v: BookingView) -> Callable[[Any, Any], reduction_svc.ReductionResult] | None:
        """The 減免 change of an edited booking, written with the edit (a manager's): None when unchanged."""
        code = self.reduction_combo.currentData()
        if not self.may_reduce or code == v.reduction_code:
            return None
        return lambda s, a: reduction_svc.set_reduction(s, a, v.id, code, now=clock.now())

    def _show_override(self, visible: bool) -> None:
        self.override_label.setVisible(visible)
        self.override_edit.setVisible(visible)

    # ---------------------------------------------------------------- reading the form

    @property
    def day(self) -> date:
        return from_qdate(self.date_edit.date())

    def _times(self) -> tuple[datetime, datetime]:
        d = self.day
        s, e = self.start_combo.currentData(), self.end_combo.currentData()
        if s is None or e is None:
            raise ValidationError("開始・終了の時刻を選んでください。", field="time")
        if e <= s:
            raise ValidationError("終了時刻は開始時刻より後にしてください。", field="end")
        start = datetime.combine(d, time(s // 60, s % 60))
        end = datetime.combine(d + timedelta(days=1), time()) if e == LAST_MINUTE else \
            datetime.combine(d, time(e // 60, e % 60))
        return start, end

    def booking_input(self) -> BookingInput:
        """What the form says, as the services take it. Raises ValidationError for an unreadable form."""
        start, end = self._times()
        kind = self.kind_combo.currentData()
        if kind == "member" and self._group is None:
            if self.group_edit.text().strip():
                raise ValidationError("団体を候補の一覧から選んでください（Enterで先頭の候補を選べます）。",
                                      field="group")
            raise ValidationError("登録団体を選んでください（未登録の団体・個人は区分を変えてください）。",
                                  field="group")
        return BookingInput(
            start=start, end=end, room_id=self.room_combo.currentData(), booker_kind=kind,
            group_id=self._group.id if (kind == "member" and self._group) else None,
            booker_name=self.name_edit.text() if kind != "member" else "",
            contact_phone=self.phone_edit.text(), purpose=self.purpose_edit.text(),
            attendees=self.attendees_spin.value(), equipment=self.equipment_model.quantities(),
            tentative=self.tentative_check.isChecked(),
            hold_until=from_qdate(self.hold_edit.date()) if self.tentative_check.isChecked() else None,
            note=self.note_edit.toPlainText().replace("\x00", ""),  # bad-input fix (issue 7): PostgreSQL text refuses NUL
            override_reason=self.override_edit.text() if self.override_edit.isVisible() else "",
            reduction_code=self.reduction_combo.currentData(),
        )

    def recurrence_rule(self) -> RecurrenceRule:
        return self.recurrence.rule(self.day)

    # ---------------------------------------------------------------- actions

    def _error(self, exc: DomainError) -> None:
        if isinstance(exc, RuleError) and may_override_rules(self.ctx.actor.role) and not self.override_edit.isVisible():
            # A manager may book outside the rules with a written reason: offer the field.
            self._show_override(True)
            self.override_edit.setFocus()
        self.ctx.prompts.show_error(self, exc)

    def preview(self) -> list[PreviewItem] | None:
        """Fill the preview table (プレビュー) from the services; None when the input is incomplete."""
        try:
            data = self.booking_input()
            rule = self.recurrence_rule()
            items = self.ctx.read(lambda s: series_svc.preview_series(s, data, rule))
        except DomainError as exc:
            self._error(exc)
            return None
        self.recurrence.preview_model.set_items(items)
        return items

    def save(self) -> bool:
        """Save and close on success; on an error say why and keep everything typed."""
        try:
            data = self.booking_input()
            if self.booking_id is not None:
                done = self._save_edit(data)
            elif self.recurrence_box.isChecked():
                done = self._save_series(data)
            else:
                view = self.ctx.write(lambda s, a: booking_svc.create_booking(s, a, data))
                self.result_id = view.id
                self._saved_series_id, self._saved_count = None, 1
                done = True
        except DomainError as exc:
            self._error(exc)
            return False
        except unit_of_work.DatabaseError as exc:  # server restarting / network gone: nothing saved, keep the input
            self.ctx.prompts.show_error(self, exc)
            return False
        if done:
            self.changed_something = True
            new = self.booking_id is None
            self.accept()
            if new and self.print_slip_check.isChecked() and self.result_id is not None:
                self.print_slips()
        return done

    def print_slips(self) -> None:
        """利用票 of what was just saved (see ui/booking/slips.py). The preview belongs to the dialog's
        parent, as the dialog itself is closing."""
        ids = [self.result_id] if self.result_id is not None else []
        self.slip_op = slips.print_saved_slips(self.parentWidget(), self.ctx, ids,
                                               self._saved_series_id, self._saved_count)

    def _save_series(self, data: BookingInput) -> bool:
        rule = self.recurrence_rule()
        items = self.ctx.read(lambda s: series_svc.preview_series(s, data, rule))
        self.recurrence.preview_model.set_items(items)
        overridable = override_allowed(data.override_reason, may_override_rules(self.ctx.actor.role))
        blocked = [i for i in items if i.state in ("conflict", "closed") or (i.state == "rule" and not overridable)]
        skip = False
        if blocked:
            lines = "\n".join(f"{list_date(i.day)} {i.state_label}：{i.detail}" for i in blocked[:10])
            more = f"\nほか{len(blocked) - 10}日" if len(blocked) > 10 else ""
            answer = self.ctx.prompts.ask_choice(
                self, "予約できない日があります",
                f"{len(items)}日のうち{len(blocked)}日は予約できません。\n{lines}{more}",
                (("abort", "すべて中止"), ("skip", "該当日を除外して登録")),
            )
            if answer != "skip":
                return False
            skip = True
        result = self.ctx.write(
            lambda s, a: series_svc.create_series(s, a, data, rule, skip_unavailable=skip))
        self.result_id = result.created[0] if result.created else None
        self._saved_series_id, self._saved_count = result.series_id, len(result.created)
        return True

    def _save_edit(self, data: BookingInput) -> bool:
        v = self._view
        assert v is not None
        reduce = self._reduction_write(v)  # 減免: of this booking only, in the same transaction

        notes: list[str] = []

        def series_write(s: Any, a: Any, scope: str) -> object:
            done = series_svc.update_series(s, a, v.id, data, scope)
            if reduce is not None:
                notes[:] = [reduce(s, a).note]
            return done

        def one_write(s: Any, a: Any) -> object:
            done = booking_svc.update_booking(s, a, v.id, data, expected_version=v.version)
            if reduce is not None:
                notes[:] = [reduce(s, a).note]
            return done

        if not self._write_one_or_series(v, "変更の範囲", "繰り返し予約のどの日を変更しますか。",
                                         series_write, one_write):
            return False
        if any(notes):  # e.g. a 減免 on a paid booking: 領収書の取消 and a new payment
            self.ctx.prompts.info(self, "減免", notes[0])
        self.result_id = v.id
        return True

    def _write_one_or_series(self, v: BookingView, title: str, question: str,
                             series_write: Callable[[Any, Any, str], object],
                             one_write: Callable[[Any, Any], object]) -> bool:
        """Write one booking, or for a series ask which dates first (「戻る」: nothing written, False)."""
        if v.series_id is None:
            self.ctx.write(one_write)
            return True
        scope = self.ctx.prompts.ask_choice(self, title, question, SCOPE_CHOICES)
        if scope is None:
            return False
        self.ctx.write(lambda s, a: series_write(s, a, scope))
        return True

    def cancel_booking(self) -> bool:
        """取消 with a reason (and for a series, which dates). A paid booking shows its 還付 first, asks how
        the money goes back and cancels that date only (ui.money.refund_flow)."""
        from booking_app.ui.money import refund_flow

        v = self._view
        if v is None:
            return False
        reason = self.ctx.prompts.ask_text(self, "予約の取消", refund_flow.reason_label(self.ctx))
        if reason is None:
            return False
        try:
            refunded = refund_flow.cancel_paid_booking(self, self.ctx, v.id, reason, version=v.version,
                                                       series=v.series_id is not None)
            if refunded is False:
                return False
            if refunded is None and not self._write_one_or_series(
                    v, "取消の範囲", "繰り返し予約のどの日を取り消しますか。",
                    lambda s, a, scope: series_svc.cancel_series(s, a, v.id, scope, reason),
                    lambda s, a: booking_svc.cancel_booking(s, a, v.id, reason, expected_version=v.version)):
                return False
        except DomainError as exc:
            self.ctx.prompts.show_error(self, exc)
            return False
        self.changed_something = True
        self.accept()
        return True

    # ---------------------------------------------------------------- entry points for callers

    @classmethod
    def create(cls, parent: QWidget | None, ctx: AppContext, *, room_id: int | None = None,
               start: datetime | None = None, end: datetime | None = None, group_id: int | None = None,
               day: date | None = None) -> int | None:
        """Open for a new booking; the new id (the first of a series), or None when cancelled."""
        return run_modal(parent, ctx.prompts, lambda: cls(ctx, parent, room_id=room_id, start=start, end=end,
                                                           group_id=group_id, day=day),
                         lambda dlg, accepted: dlg.result_id if accepted else None, refused=None)

    @classmethod
    def edit(cls, parent: QWidget | None, ctx: AppContext, booking_id: int) -> bool:
        """Open an existing booking; True when it was changed or cancelled."""
        return run_modal(parent, ctx.prompts, lambda: cls(ctx, parent, booking_id=booking_id),
                         lambda dlg, _accepted: dlg.changed_something, refused=False)


__all__ = ["BookingDialog"]
