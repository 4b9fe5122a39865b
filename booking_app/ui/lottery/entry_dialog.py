"""The entry dialog (申込の受付): a group, how it came in, and up to three wishes in rank order.

Each wish is one 区分 — a lottery room, a day of the lottery month, a period of that day — and may ask for
the same room and period on the next day too (「連続する日も（2日セット）」: both or neither). The checks
are the service's (``services.lottery.take_entry``): a refusal shows its Japanese message and keeps what
was typed. Ctrl+S saves, Esc asks before throwing typed input away (``dialog_keys.form_keys``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from booking_app import clock
from booking_app.domain import hours
from booking_app.domain import lottery_rules as lr
from booking_app.domain.errors import DomainError
from booking_app.services import lottery as lot
from booking_app.services.centre import get_profile, list_rooms
from booking_app.ui.context import AppContext
from booking_app.ui.dates import date_edit, from_qdate, to_qdate
from booking_app.ui.dialog_keys import form_keys
from booking_app.ui.groups.group_picker import GroupPicker
from booking_app.ui.insurance.keys import enter_picks_only
from booking_app.ui.plain_text import plain_label

SECTION = "抽選の申込"
NONE_ROOM = "（なし）"
RANK_KEYS = ("1", "2", "3")


class WishRow(QGroupBox):
    """第n希望: room, day, period, and the next day too (2日セット)."""

    def __init__(self, rank: int, rooms: list[tuple[int, str]], month: date, profile: Any,
                 parent: QWidget | None = None):
        super().__init__(f"第{rank}希望", parent)
        self.setObjectName(f"wish_{rank}")
        self.rank = rank
        self.profile = profile
        self.month = month
        self.room_combo = QComboBox()
        self.room_combo.setObjectName(f"wish_{rank}_room")
        if rank > 1:
            self.room_combo.addItem(NONE_ROOM, None)
        for rid, name in rooms:
            self.room_combo.addItem(name, rid)
        last = lr.add_months(month, 1) - timedelta(days=1)
        first_open = next((month + timedelta(days=i) for i in range((last - month).days + 1)
                           if hours.periods_for(profile, month + timedelta(days=i))), month)
        self.date_edit: QDateEdit = date_edit(f"wish_{rank}_date", first_open)
        self.date_edit.setDateRange(to_qdate(month), to_qdate(last))
        self.period_combo = QComboBox()
        self.period_combo.setObjectName(f"wish_{rank}_period")
        self.pair_check = QCheckBox("連続する日も（2日セット）")
        self.pair_check.setObjectName(f"wish_{rank}_pair")
        self.pair_check.setToolTip("同じ部屋・同じ区分の翌日もあわせて申し込みます（両方当選か両方落選）")
        for w, label in ((self.room_combo, "部屋"), (self.date_edit, "日付"), (self.period_combo, "区分")):
            w.setAccessibleName(f"第{rank}希望の{label}")
        self.pair_check.setAccessibleName(f"第{rank}希望：連続する日も（2日セット）")
        grid = QGridLayout(self)
        grid.setContentsMargins(8, 4, 8, 4)
        room_label = QLabel(f"部屋(&{RANK_KEYS[rank - 1]})")  # Alt+1, Alt+2, Alt+3: the n-th wish
        room_label.setBuddy(self.room_combo)
        grid.addWidget(room_label, 0, 0)
        grid.addWidget(self.room_combo, 0, 1)
        grid.addWidget(QLabel("日付"), 0, 2)
        grid.addWidget(self.date_edit, 0, 3)
        grid.addWidget(QLabel("区分"), 0, 4)
        grid.addWidget(self.period_combo, 0, 5)
        grid.addWidget(self.pair_check, 0, 6)
        grid.setColumnStretch(1, 2)
        grid.setColumnStretch(5, 2)
        self.date_edit.dateChanged.connect(lambda _d: self._fill_periods())
        self.room_combo.currentIndexChanged.connect(lambda _i: self._update_enabled())
        self._fill_periods()
        self._update_enabled()

    def day(self) -> date:
        return from_qdate(self.date_edit.date())

    def _fill_periods(self) -> None:
        keep = self.period_combo.currentText()
        self.period_combo.clear()
        for p in hours.periods_for(self.profile, self.day()):
            text = p.label if ":" in p.label else f"{p.label}（{p.start:%H:%M}〜{p.end:%H:%M}）"
            self.period_combo.addItem(text, (p.start, p.end))
        if self.period_combo.count() == 0:
            self.period_combo.addItem(f"休館日（{hours.closure_reason(self.profile, self.day()) or '区分なし'}）", None)
        i = self.period_combo.findText(keep)
        if i >= 0:
            self.period_combo.setCurrentIndex(i)

    def _update_enabled(self) -> None:
        on = self.room_combo.currentData() is not None
        for w in (self.date_edit, self.period_combo, self.pair_check):
            w.setEnabled(on)

    def slots(self) -> list[tuple[int, datetime, datetime]]:
        """The wish's slots ([] when no room is chosen); a closed day gives a slot the service refuses."""
        rid = self.room_combo.currentData()
        if rid is None:
            return []
        d = self.day()
        times = self.period_combo.currentData()
        if times is None:  # closed: let the service say why (it names the day)
            start, end = datetime.combine(d, datetime.min.time()), datetime.combine(d, datetime.min.time())
            return [(rid, start, end + timedelta(hours=1))]
        out = [(rid, datetime.combine(d, times[0]), datetime.combine(d, times[1]))]
        if self.pair_check.isChecked():
            nxt = d + timedelta(days=1)
            out.append((rid, datetime.combine(nxt, times[0]), datetime.combine(nxt, times[1])))
        return out


class EntryDialog(QDialog):
    """申込の受付 for one lottery month; ``saved`` is the EntryView once taken."""

    def __init__(self, ctx: AppContext, month: date, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("lottery_entry_dialog")
        self.setWindowTitle(f"抽選の申込の受付（{month.year}年{month.month}月分）")
        self.ctx = ctx
        self.month = lr.month_start(month)
        self.saved: lot.EntryView | None = None
        profile = ctx.read(get_profile)
        rules = lr.lottery_rules(profile)
        rooms = [(r.id, r.name) for r in ctx.read(lambda s: list_rooms(s)) if lr.is_lottery_room(rules, r.name)]

        self.group_picker = GroupPicker(ctx, self, placeholder="登録番号・団体名・ふりがなで検索", hits_height=84)
        self.channel_combo = QComboBox()
        self.channel_combo.setObjectName("channel_combo")
        for key, label in lot.CHANNELS.items():
            self.channel_combo.addItem(label, key)
        self.wish_rows = [WishRow(rank, rooms, self.month, profile, self) for rank in (1, 2, 3)]
        self.note_edit = QLineEdit()
        self.note_edit.setObjectName("note_edit")
        self.note_edit.setMaxLength(200)

        form = QFormLayout()
        for text, w in (("団体(&G)", self.group_picker), ("受付方法(&C)", self.channel_combo)):
            label = QLabel(text)
            label.setBuddy(w)
            form.addRow(label, w)
        head = plain_label(f"{self.month.year}年{self.month.month}月分の抽選の申込です。"
                           f"対象の部屋：{'・'.join(rules.rooms)}。第1希望から順に当選を目指します。")
        head.setWordWrap(True)
        head.setObjectName("entry_head")
        note_label = QLabel("備考(&N)")
        note_label.setBuddy(self.note_edit)
        note_row = QHBoxLayout()
        note_row.addWidget(note_label)
        note_row.addWidget(self.note_edit, 1)

        self.buttons = QDialogButtonBox()
        self.save_button = self.buttons.addButton("受け付ける", QDialogButtonBox.ButtonRole.AcceptRole)
        self.save_button.setObjectName("save_button")
        cancel = self.buttons.addButton("やめる", QDialogButtonBox.ButtonRole.RejectRole)
        cancel.setObjectName("cancel_button")
        self.save_button.clicked.connect(self.save)
        cancel.clicked.connect(self.reject)

        lay = QVBoxLayout(self)
        lay.addWidget(head)
        lay.addLayout(form)
        for row in self.wish_rows:
            lay.addWidget(row)
        lay.addLayout(note_row)
        lay.addWidget(self.buttons)
        self.resize(820, 520)
        enter_picks_only(self.group_picker)
        self.keys = form_keys(self, self.save_button, section=SECTION)

    def entry_input(self) -> lot.EntryInput:
        wishes = [s for s in (row.slots() for row in self.wish_rows) if s]
        return lot.EntryInput(group_id=self.group_picker.group_id or 0, month=self.month,
                              channel=str(self.channel_combo.currentData()), wishes=wishes,
                              note=self.note_edit.text())

    def save(self) -> None:
        """Take the entry in one transaction; a refusal keeps the dialog and what was typed."""
        if self.group_picker.group_id is None:
            self.ctx.prompts.warn(self, "団体", "団体を選んでください（登録番号・団体名・ふりがなで検索し、Enter）。")
            self.group_picker.edit.setFocus()
            return
        data = self.entry_input()
        now = self._now()
        try:
            self.saved = self.ctx.write(lambda s, a: lot.take_entry(s, a, data, now=now),
                                        changes={"lottery_entry"})
        except DomainError as exc:
            self.ctx.prompts.show_error(self, exc)
            return
        self.accept()

    def _now(self) -> datetime:
        return clock.now()

    def reject(self) -> None:
        if not self.keys.may_close(self.ctx.prompts):
            return
        super().reject()


__all__ = ["EntryDialog", "WishRow"]
