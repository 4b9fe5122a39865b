"""The statistics page's dialogs: 行事の登録・編集, 訂正 of a closed month, and the unsettled bookings that
keep a month from closing (with a reason to close anyway). Each returns plain values; the tabs call the
services."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from booking_app import clock
from booking_app.domain.counting import EVENT_KINDS
from booking_app.ui.dates import date_edit, from_qdate, to_qdate
from booking_app.ui.dialog_keys import form_keys
from booking_app.ui.forms import error_line, standard_buttons
from booking_app.ui.plain_text import plain_label
from booking_app.ui.prompts import shared as shared_prompts
from booking_app.ui.stats.models import UnsettledModel, month_text
from booking_app.ui.widgets import list_table as _table


@dataclass(frozen=True)
class EventInput:
    name: str
    kind: str
    day: date
    room_id: int | None
    attendance: int | None
    note: str


class EventDialog(QDialog):
    """行事の登録・編集: name, kind, day, room, attendance (未入力 until the event is over), note."""

    def __init__(self, rooms: Sequence, event=None, parent: QWidget | None = None, *, today: date | None = None):
        super().__init__(parent)
        self.setWindowTitle("行事の編集" if event is not None else "行事の追加")
        self.setMinimumWidth(460)
        form = QFormLayout()
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("event_name")
        self.name_edit.setPlaceholderText("例：市民活動はじめて講座")
        self.kind_combo = QComboBox()
        self.kind_combo.setObjectName("event_kind")
        self.kind_combo.addItems(list(EVENT_KINDS))
        self.day_edit = date_edit("event_day", today or clock.today())
        self.room_combo = QComboBox()
        self.room_combo.setObjectName("event_room")
        self.room_combo.addItem("（なし・館外）", None)
        for r in rooms:
            self.room_combo.addItem(r.name, r.id)
        self.attendance_spin = QSpinBox()
        self.attendance_spin.setObjectName("event_attendance")
        self.attendance_spin.setRange(-1, 9999)
        self.attendance_spin.setSpecialValueText("未入力")
        self.attendance_spin.setSuffix("人")
        self.attendance_spin.setValue(-1)
        self.note_edit = QPlainTextEdit()
        self.note_edit.setObjectName("event_note")
        self.note_edit.setFixedHeight(64)
        form.addRow("行事名(&N)", self.name_edit)
        form.addRow("種類(&K)", self.kind_combo)
        form.addRow("日付(&D)", self.day_edit)
        form.addRow("部屋(&R)", self.room_combo)
        form.addRow("参加者数(&A)", self.attendance_spin)
        form.addRow("備考(&M)", self.note_edit)
        self.error_label = error_line("event_error")
        self.buttons = standard_buttons(self, QDialogButtonBox.StandardButton.Save, "保存", self._accept)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.error_label)
        lay.addWidget(self.buttons)
        if event is not None:
            self.name_edit.setText(event.name)
            self.kind_combo.setCurrentText(event.kind)
            self.day_edit.setDate(to_qdate(event.day))
            i = self.room_combo.findData(event.room_id)
            self.room_combo.setCurrentIndex(max(i, 0))
            self.attendance_spin.setValue(-1 if event.attendance is None else event.attendance)
            self.note_edit.setPlainText(event.note or "")
        # Enter/Ctrl+S save, Tab leaves 備考 and 日付, Esc asks before dropping what was typed.
        self.keys = form_keys(self, self.buttons.button(QDialogButtonBox.StandardButton.Save),
                              section="行事の追加・編集")

    def reject(self) -> None:
        if not self.keys.may_close(shared_prompts()):
            return
        super().reject()

    def value(self) -> EventInput:
        n = self.attendance_spin.value()
        # A pasted NUL character cannot be stored in PostgreSQL text: dropped here rather than refused there.
        return EventInput(self.name_edit.text().replace("\x00", "").strip(), self.kind_combo.currentText(),
                          from_qdate(self.day_edit.date()), self.room_combo.currentData(),
                          None if n < 0 else n, self.note_edit.toPlainText().replace("\x00", "").strip())

    def _accept(self) -> None:
        if not self.value().name:
            self.error_label.setText("行事名を入力してください。")
            return
        self.accept()

    @classmethod
    def get(cls, parent: QWidget | None, rooms: Sequence, event=None, *, today: date | None = None
            ) -> EventInput | None:
        dlg = cls(rooms, event, parent, today=today)
        return dlg.value() if dlg.exec() == QDialog.DialogCode.Accepted else None


@dataclass(frozen=True)
class AmendInput:
    key: str
    new_value: int
    reason: str


class AmendDialog(QDialog):
    """訂正: a figure of a closed month (key), its new value and why; the submitted number stays."""

    def __init__(self, year: int, month: int, figures: Sequence[tuple[str, str, int]], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"{month_text(year, month)}の訂正")
        self.setMinimumWidth(500)
        self._values = {key: value for key, _label, value in figures}
        note = QLabel("締め済みの数値は書き換えません。訂正として記録し、次の月次報告に載せます。")
        note.setWordWrap(True)
        form = QFormLayout()
        self.key_combo = QComboBox()
        self.key_combo.setObjectName("amend_key")
        for key, label, _value in figures:
            self.key_combo.addItem(label, key)
        self.current_label = plain_label()
        self.current_label.setObjectName("amend_current")
        self.value_spin = QSpinBox()
        self.value_spin.setObjectName("amend_value")
        self.value_spin.setRange(0, 99_999_999)
        self.value_spin.setGroupSeparatorShown(True)
        self.reason_edit = QPlainTextEdit()
        self.reason_edit.setObjectName("amend_reason")
        self.reason_edit.setPlaceholderText("例：10/14 大会議室の利用人数の入力誤り（25人→52人）")
        self.reason_edit.setFixedHeight(70)
        form.addRow("項目(&K)", self.key_combo)
        form.addRow("現在の値", self.current_label)
        form.addRow("正しい値(&V)", self.value_spin)
        form.addRow("理由(&R)", self.reason_edit)
        self.error_label = error_line("amend_error")
        self.buttons = standard_buttons(self, QDialogButtonBox.StandardButton.Ok, "訂正を記録", self._accept)
        lay = QVBoxLayout(self)
        lay.addWidget(note)
        lay.addLayout(form)
        lay.addWidget(self.error_label)
        lay.addWidget(self.buttons)
        self.key_combo.currentIndexChanged.connect(lambda _i: self._show_current())
        self._show_current()
        self.keys = form_keys(self, self.buttons.button(QDialogButtonBox.StandardButton.Ok), section="月の訂正")

    def choose_key(self, key: str) -> None:
        self.key_combo.setCurrentIndex(max(self.key_combo.findData(key), 0))
        self.keys.retake()  # chosen by the page, not typed

    def reject(self) -> None:
        if not self.keys.may_close(shared_prompts()):
            return
        super().reject()

    def _show_current(self) -> None:
        v = self._values.get(self.key_combo.currentData())
        self.current_label.setText("—" if v is None else f"{v:,}")
        if v is not None:
            self.value_spin.setValue(v)

    def value(self) -> AmendInput:
        # A pasted NUL character cannot be stored in PostgreSQL text: dropped here rather than refused there.
        return AmendInput(self.key_combo.currentData() or "", self.value_spin.value(),
                          self.reason_edit.toPlainText().replace("\x00", "").strip())

    def _accept(self) -> None:
        v = self.value()
        if not v.key:
            self.error_label.setText("訂正する項目を選んでください。")
            return
        if v.new_value == self._values.get(v.key):
            self.error_label.setText("正しい値を入力してください（現在の値と同じです）。")
            return
        if not v.reason:
            self.error_label.setText("訂正の理由を入力してください。")
            return
        self.accept()

    @classmethod
    def get(cls, parent: QWidget | None, year: int, month: int,
            figures: Sequence[tuple[str, str, int]]) -> AmendInput | None:
        dlg = cls(year, month, figures, parent)
        return dlg.value() if dlg.exec() == QDialog.DialogCode.Accepted else None


class UnsettledDialog(QDialog):
    """締められない理由: the month's bookings not yet checked out; a manager may close with a reason."""

    def __init__(self, message: str, bookings: Sequence, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("未精算の予約があります")
        self.setMinimumSize(720, 380)
        text = plain_label(message)
        text.setWordWrap(True)
        self.model = UnsettledModel(self)
        self.model.set_rows(bookings)
        view = _table("unsettled_bookings")
        view.setModel(self.model)
        view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        view.horizontalHeader().setStretchLastSection(True)
        view.setAccessibleName("未精算の予約")
        hint = QLabel("本日の予約の「利用済が未入力のみ（過去の日）」で利用人数を入力してから締めてください。"
                      "やむを得ず先に締める場合は理由を記録します。")
        hint.setWordWrap(True)
        self.reason_edit = QLineEdit()
        self.reason_edit.setObjectName("force_reason")
        self.reason_edit.setPlaceholderText("先に締める理由（例：団体に確認中、来月訂正予定）")
        self.reason_edit.setAccessibleName("先に締める理由")
        self.buttons = QDialogButtonBox()
        self.force_button = self.buttons.addButton("理由を記録して締める", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton("閉じる", QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(text)
        lay.addWidget(view, 1)
        lay.addWidget(hint)
        lay.addWidget(self.reason_edit)
        lay.addWidget(self.buttons)
        self.keys = form_keys(self, self.force_button, section="未精算の予約があります")

    def reject(self) -> None:
        if not self.keys.may_close(shared_prompts()):
            return
        super().reject()

    def _accept(self) -> None:
        if self.reason_edit.text().strip():
            self.accept()

    @classmethod
    def ask(cls, parent: QWidget | None, message: str, bookings: Sequence) -> str | None:
        dlg = cls(message, bookings, parent)
        return dlg.reason_edit.text().strip() if dlg.exec() == QDialog.DialogCode.Accepted else None


__all__ = ["EventInput", "EventDialog", "AmendInput", "AmendDialog", "UnsettledDialog"]
