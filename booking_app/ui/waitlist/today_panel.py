"""The today page's 「キャンセル待ち 2件」: slots free again (a booking cancelled, a 仮予約 lapsed) with
people waiting, one line each with how many wait and who is next; Enter or a double-click (or 開く) opens
the slot's list (``WaitlistDialog``). Hidden when there is nothing to offer."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from booking_app import clock
from booking_app.services import waitlist as wl
from booking_app.ui.context import AppContext
from booking_app.ui.plain_text import plain_label
from booking_app.ui.waitlist.dialog import WaitlistDialog
from booking_app.ui.widgets import named_button

PANEL_BG = "#fff4e0"


def line_text(f: wl.FreedSlot) -> str:
    """「大会議室 12月2日(水) 18:00〜21:00　待ち3名　次：1番 甲の会」 (or who has been called)."""
    if f.offered is not None:
        state = f"連絡済：{f.offered.place}番 {f.offered.who}（回答期限 {f.offered.reply_by:%m/%d %H:%M}）"
    elif f.next_in_line is not None:
        state = f"次：{f.next_in_line.place}番 {f.next_in_line.who}"
    else:
        state = ""
    return f"{f.slot.text_ja}　待ち{f.waiting}名　{state}".rstrip()


class WaitlistPanel(QFrame):
    """キャンセル待ち n件: the freed slots with waiting entries (read on every refresh of the page)."""

    opened = Signal(object)  # the WaitlistDialog, once closed

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("waitlist_panel")
        self.ctx = ctx
        self.slots: list[wl.FreedSlot] = []
        self.setStyleSheet(f"#waitlist_panel {{ background: {PANEL_BG}; border: 1px solid #e0b060; "
                           "border-radius: 4px; }")
        self.title = plain_label("キャンセル待ち")
        self.title.setObjectName("waitlist_panel_title")
        f = self.title.font()
        f.setBold(True)
        self.title.setFont(f)
        self.list = QListWidget()
        self.list.setObjectName("waitlist_slots")
        self.list.setAccessibleName("キャンセル待ちのある空き枠")
        self.list.setAccessibleDescription("Enterでその枠のキャンセル待ちを開く")
        self.open_button = named_button("キャンセル待ちを開く", "waitlist_open")
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.open_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 4, 8, 4)
        lay.setSpacing(2)
        lay.addLayout(head)
        lay.addWidget(self.list)
        self.list.itemActivated.connect(lambda _i: self.open_current())
        self.open_button.clicked.connect(self.open_current)
        self.setVisible(False)

    def tab_order(self) -> list[QWidget]:
        return [self.list, self.open_button]

    def refresh(self) -> None:
        now = clock.now()
        self.slots = self.ctx.read(lambda s: wl.freed_slots(s, now.date(), now))
        self.list.clear()
        for f in self.slots:
            item = QListWidgetItem(line_text(f))
            item.setToolTip(line_text(f))
            self.list.addItem(item)
        self.title.setText(f"キャンセル待ち {len(self.slots)}件　（空いた枠に待っている方がいます。順番に連絡してください）")
        if self.slots:
            self.list.setCurrentRow(0)
            rows = min(len(self.slots), 3)  # as tall as its lines (three at most; it scrolls beyond)
            self.list.setFixedHeight(self.list.sizeHintForRow(0) * rows + 2 * self.list.frameWidth() + 2)
        self.setVisible(bool(self.slots))

    def open_current(self) -> WaitlistDialog | None:
        row = self.list.currentRow()
        if not (0 <= row < len(self.slots)):
            return None
        s = self.slots[row].slot
        dlg = WaitlistDialog(self.ctx, s.room_id, s.start, s.end, self.window())
        dlg.exec()
        self.refresh()
        self.opened.emit(dlg)
        return dlg


__all__ = ["WaitlistPanel", "line_text"]
