"""The waiting list of one slot (キャンセル待ち — 小会議室1 12月8日(火) 18:00〜21:00).

The entries in order (順番, 団体/氏名, 連絡先, 受付日時, 状態, 回答期限) and what the desk does with them:

* 追加 (Alt+A): a registered group picked like in the booking dialog, or a name and a phone number;
* 次の方に連絡 (Alt+N): offer the freed slot to the FIRST waiting entry with the reply-by time shown
  (the next day 17:00, or the slot's start if sooner); nobody is skipped — to pass someone, record 辞退 or
  取下げ for them first;
* 承諾→予約 (Alt+Y): the person offered says yes; a 仮予約 or a 確定 booking is made by the booking rules;
* 辞退 (Alt+D) and 取下げ (Alt+W, a reason is asked).

Everything goes through ``services.waitlist`` (no SQL here); offers past their reply-by time are turned
into 期限切れ whenever the list is read.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDateTime, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDateTimeEdit,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from booking_app import clock
from booking_app.domain.errors import DomainError
from booking_app.services import waitlist as wl
from booking_app.services.centre import list_rooms
from booking_app.ui.context import AppContext
from booking_app.ui.groups.group_picker import GroupPicker
from booking_app.ui.keyboard import bind_key
from booking_app.ui.plain_text import plain_label
from booking_app.ui.table_model import RowsTableModel
from booking_app.ui.widgets import named_button, page_title

TITLE = "キャンセル待ち"
CLOSED_COLOR = QColor("#777777")
OFFER_COLOR = QColor("#b35c00")


def _when(d: dt.datetime | None) -> str:
    return f"{d.month}/{d.day} {d:%H:%M}" if d is not None else ""


class EntriesModel(RowsTableModel):
    HEADERS = ("順番", "団体/氏名", "連絡先", "受付日時", "状態", "回答期限")

    def cell(self, v: wl.EntryView, col: int):
        if col == 0:
            return f"{v.place}"
        if col == 1:
            return v.who
        if col == 2:
            return v.contact_phone
        if col == 3:
            return _when(v.requested_at)
        if col == 4:
            if v.status == "accepted" and v.booking_number:
                return f"{v.status_label} {v.booking_number}"
            return v.status_label
        return _when(v.reply_by) if v.status == "offered" else ""

    def foreground(self, v: wl.EntryView, col: int):
        if v.status == "offered":
            return OFFER_COLOR
        return None if v.is_open else CLOSED_COLOR

    def tooltip(self, v: wl.EntryView, col: int):
        parts = [f"{v.place}番 {v.who}（{v.status_label}）"]
        if v.close_reason:
            parts.append(f"理由：{v.close_reason}")
        if v.note:
            parts.append(f"備考：{v.note}")
        return "\n".join(parts)


class WaitlistDialog(QDialog):
    """キャンセル待ち of one slot: the list in order and its buttons."""

    def __init__(self, ctx: AppContext, room_id: int, start: dt.datetime, end: dt.datetime,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("waitlist_dialog")
        self.ctx = ctx
        self.room_id, self.start, self.end = room_id, start, end
        room_name = ctx.read(lambda s: next((r.name for r in list_rooms(s) if r.id == room_id), f"部屋{room_id}"))
        self.slot_text = wl.slot_text(room_name, start, end)
        self.setWindowTitle(f"{TITLE} — {self.slot_text}")
        self.entries: list[wl.EntryView] = []
        self.changed_anything = False

        self.heading = page_title("waitlist_title")
        self.heading.setText(f"{TITLE} — {self.slot_text}")
        self.state_label = plain_label()
        self.state_label.setObjectName("waitlist_state")
        self.state_label.setWordWrap(True)

        self.model = EntriesModel(self)
        self.table = QTableView()
        self.table.setObjectName("waitlist_table")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setAccessibleName("キャンセル待ちの一覧（順番どおり）")
        self.table.setTabKeyNavigation(False)
        self.table.setMinimumHeight(150)

        # --- 追加: a group, or a name and a phone number
        add_box = QGroupBox("追加")
        add_box.setObjectName("waitlist_add_box")
        self.group_picker = GroupPicker(ctx, shown="display", hits_height=80)
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("waitlist_name")
        self.name_edit.setAccessibleName("氏名（団体を選ばないとき）")
        self.name_edit.setPlaceholderText("登録団体でないときの氏名・団体名")
        self.phone_edit = QLineEdit()
        self.phone_edit.setObjectName("waitlist_phone")
        self.phone_edit.setAccessibleName("連絡先（電話番号）")
        self.phone_edit.setPlaceholderText("例：083-000-0000")
        self.add_button = named_button("追加", "waitlist_add")
        self.add_button.setAccessibleName("キャンセル待ちに追加")
        self.add_button.setAutoDefault(False)
        form = QFormLayout(add_box)
        form.addRow("登録団体", self.group_picker)
        form.addRow("氏名", self.name_edit)
        form.addRow("連絡先", self.phone_edit)
        form.addRow("", self.add_button)

        # --- 連絡 and the answers
        self.reply_edit = QDateTimeEdit()
        self.reply_edit.setObjectName("waitlist_reply_by")
        self.reply_edit.setDisplayFormat("yyyy/MM/dd HH:mm")
        self.reply_edit.setCalendarPopup(True)
        self.reply_edit.setAccessibleName("回答期限")
        self.offer_button = named_button("次の方に連絡", "waitlist_offer")
        self.offer_button.setAccessibleName("次の方に連絡（順番の先頭の方）")
        self.accept_button = named_button("承諾→予約", "waitlist_accept")
        self.accept_button.setAccessibleName("承諾して予約する")
        self.decline_button = named_button("辞退", "waitlist_decline")
        self.decline_button.setAccessibleName("辞退を記録")
        self.withdraw_button = named_button("取下げ", "waitlist_withdraw")
        self.withdraw_button.setAccessibleName("取下げを記録")
        self.close_button = named_button("閉じる", "waitlist_close")
        for b in (self.offer_button, self.accept_button, self.decline_button, self.withdraw_button,
                  self.close_button):
            b.setAutoDefault(False)

        offer_row = QHBoxLayout()
        offer_row.addWidget(plain_label("回答期限"))
        offer_row.addWidget(self.reply_edit)
        offer_row.addWidget(self.offer_button)
        offer_row.addStretch(1)
        answer_row = QHBoxLayout()
        for b in (self.accept_button, self.decline_button, self.withdraw_button):
            answer_row.addWidget(b)
        answer_row.addStretch(1)
        answer_row.addWidget(self.close_button)

        lay = QVBoxLayout(self)
        lay.addWidget(self.heading)
        lay.addWidget(self.state_label)
        lay.addWidget(self.table, 1)
        lay.addLayout(offer_row)
        lay.addLayout(answer_row)
        lay.addWidget(add_box)

        order = [self.table, self.reply_edit, self.offer_button, self.accept_button, self.decline_button,
                 self.withdraw_button, self.close_button, self.group_picker.edit, self.name_edit, self.phone_edit,
                 self.add_button]
        for a, b in zip(order, order[1:]):
            QWidget.setTabOrder(a, b)

        for button, key in ((self.add_button, "Alt+A"), (self.offer_button, "Alt+N"), (self.accept_button, "Alt+Y"),
                            (self.decline_button, "Alt+D"), (self.withdraw_button, "Alt+W")):
            bind_key(self, button, key, section=TITLE)
        self.add_button.clicked.connect(self.add)
        self.offer_button.clicked.connect(self.offer)
        self.accept_button.clicked.connect(self.accept_selected)
        self.decline_button.clicked.connect(self.decline_selected)
        self.withdraw_button.clicked.connect(self.withdraw_selected)
        self.close_button.clicked.connect(self.accept)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._enable())
        self.resize(760, 560)
        self.refresh()
        self.table.setFocus()

    # ---------------------------------------------------------------- data

    def refresh(self) -> None:
        """Turn lapsed offers into 期限切れ, then read the list and the slot's state."""
        now = clock.now()
        keep = self.selected()
        expired = self.ctx.write(lambda s, a: wl.expire_offers(s, now, a), changes=frozenset())
        if expired:
            self.ctx.changed.emit({"waitlist"})
        self.entries = self.ctx.read(lambda s: wl.list_for_slot(s, self.room_id, self.start, self.end))
        freed = self.ctx.read(lambda s: any(
            f.slot.room_id == self.room_id and f.slot.start == self.start and f.slot.end == self.end
            for f in wl.freed_slots(s, now.date(), now)))
        self.model.set_rows(self.entries)
        open_ = [e for e in self.entries if e.is_open]
        offered = next((e for e in open_ if e.status == "offered"), None)
        if offered is not None:
            state = f"{offered.place}番 {offered.who}さんに連絡済み（回答期限 {_when(offered.reply_by)}）。承諾・辞退を記録してください。"
        elif not open_:
            state = "キャンセル待ちの方はいません。"
        elif freed:
            state = f"この枠は空いています。待ち{len(open_)}名：次は{open_[0].place}番 {open_[0].who}さんです。"
        else:
            state = f"この枠には予約が入っています（待ち{len(open_)}名）。空いたら順番に連絡します。"
        self.state_label.setText(state)
        self.free = freed
        self.reply_edit.setDateTime(QDateTime(wl.default_reply_by(self.start, now)))
        row = next((i for i, e in enumerate(self.entries) if keep is not None and e.id == keep.id), None)
        if row is None:
            row = next((i for i, e in enumerate(self.entries) if e.status == "offered"), None)
        if row is None:
            row = next((i for i, e in enumerate(self.entries) if e.is_open), None)
        if row is not None:
            self.table.selectRow(row)
        self._enable()

    def selected(self) -> wl.EntryView | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return self.entries[rows[0].row()] if rows and rows[0].row() < len(self.entries) else None

    def select_entry(self, entry_id: int) -> None:
        for i, e in enumerate(self.entries):
            if e.id == entry_id:
                self.table.selectRow(i)

    def _enable(self) -> None:
        v = self.selected()
        has_offer = any(e.status == "offered" for e in self.entries)
        waiting = any(e.status == "waiting" for e in self.entries)
        self.offer_button.setEnabled(self.free and waiting and not has_offer)
        self.reply_edit.setEnabled(self.offer_button.isEnabled())
        self.accept_button.setEnabled(v is not None and v.status == "offered")
        self.decline_button.setEnabled(v is not None and v.is_open)
        self.withdraw_button.setEnabled(v is not None and v.is_open)

    def _write(self, fn) -> object | None:
        try:
            result = self.ctx.write(fn, changes={"waitlist", "booking"})
        except DomainError as exc:
            self.ctx.prompts.show_error(self, exc)
            return None
        self.changed_anything = True
        return result

    # ---------------------------------------------------------------- actions

    def add(self) -> wl.EntryView | None:
        gid = self.group_picker.group_id
        name, phone = self.name_edit.text().strip(), self.phone_edit.text().strip()
        now = clock.now()
        v = self._write(lambda s, a: wl.add_waiting(s, a, self.room_id, self.start, self.end, group_id=gid,
                                                    booker_name="" if gid is not None else name,
                                                    contact_phone=phone, now=now))
        if isinstance(v, wl.EntryView):
            self.group_picker.set_group(None)
            self.name_edit.clear()
            self.phone_edit.clear()
            self.refresh()
            self.select_entry(v.id)
            return v
        return None

    def offer(self) -> wl.EntryView | None:
        reply_by = self.reply_edit.dateTime().toPython()
        assert isinstance(reply_by, dt.datetime)
        reply_by = reply_by.replace(second=0, microsecond=0)
        now = clock.now()
        v = self._write(lambda s, a: wl.offer_next(s, a, self.room_id, self.start, self.end, reply_by=reply_by,
                                                   now=now))
        self.refresh()
        if isinstance(v, wl.EntryView):
            self.select_entry(v.id)
            phone = f"（{v.contact_phone}）" if v.contact_phone else ""
            self.ctx.prompts.info(self, TITLE, f"{v.place}番 {v.who}さん{phone}に連絡してください。\n"
                                               f"回答期限：{_when(v.reply_by)}")
            return v
        return None

    def accept_selected(self) -> wl.EntryView | None:
        v = self.selected()
        if v is None or v.status != "offered":
            return None
        kind = self.ctx.prompts.ask_choice(
            self, TITLE, f"{v.who}さんの承諾を記録し、{self.slot_text}を予約します。",
            [("tentative", "仮予約にする"), ("confirmed", "確定にする")], default="tentative")
        if kind is None:
            return None
        now = clock.now()
        done = self._write(lambda s, a: wl.accept_offer(s, a, v.id, now=now, tentative=kind == "tentative"))
        self.refresh()
        if isinstance(done, wl.EntryView):
            self.ctx.prompts.info(self, TITLE, f"予約番号 {done.booking_number} を作成しました（{v.who}）。")
            return done
        return None

    def decline_selected(self) -> wl.EntryView | None:
        v = self.selected()
        if v is None or not v.is_open:
            return None
        reason = self.ctx.prompts.ask_text(self, TITLE, f"{v.place}番 {v.who}さんの辞退を記録します。理由（任意）：")
        if reason is None:
            return None
        now = clock.now()
        done = self._write(lambda s, a: wl.decline_offer(s, a, v.id, reason=reason, now=now))
        self.refresh()
        return done if isinstance(done, wl.EntryView) else None

    def withdraw_selected(self) -> wl.EntryView | None:
        v = self.selected()
        if v is None or not v.is_open:
            return None
        reason = self.ctx.prompts.ask_text(self, TITLE, f"{v.place}番 {v.who}さんを取り下げます。理由：")
        if reason is None:
            return None
        now = clock.now()
        done = self._write(lambda s, a: wl.withdraw(s, a, v.id, reason, now=now))
        self.refresh()
        return done if isinstance(done, wl.EntryView) else None

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt's name
        # No default button: Enter on a focused button presses it, Enter in 氏名/連絡先 adds, Enter in the list
        # does nothing surprising; Esc closes.
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            w = self.focusWidget()
            if isinstance(w, QPushButton) and w.isEnabled():
                w.click()
            elif w in (self.name_edit, self.phone_edit):
                self.add()
            event.accept()
            return
        super().keyPressEvent(event)


def open_waitlist(ctx: AppContext, room_id: int, start: dt.datetime, end: dt.datetime,
                  parent: QWidget | None = None) -> WaitlistDialog:
    """Open the slot's list (modal) and return the dialog once closed."""
    dlg = WaitlistDialog(ctx, room_id, start, end, parent)
    dlg.exec()
    return dlg
