"""The group search (団体検索) of the insurance dialogs: type a number, a name or its kana, pick a group.

One small widget for the enrolment dialog (保険の加入) and the accident report (事故報告), which each had
their own copy. It behaves as both did at the counter:

* typing searches after a short pause (by registration number, name or kana, ``services.group_lookup``)
  and lists up to 20 groups with their state today (有効・期限切れ…); nothing found says so;
* Enter in the search field picks the first group listed (and only that: not the dialog's default button;
  Enter on a group already picked goes on to the dialog); ↓ moves into the list, where ↑/↓ choose and
  Enter (or a click) picks; Esc in the list goes back to the field;
* a picked group is shown in the field (``shown='display'``: "R0012 ふくふく読書会", or ``'name'``) and,
  with ``show_label``, below it in green when in good standing, red otherwise;
* typing again forgets the group picked (``group_id`` None) until another is picked.

``picked(object)`` is emitted with the group id (or None when forgotten).
"""

from __future__ import annotations


from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLineEdit, QListWidget, QListWidgetItem, QSizePolicy, QVBoxLayout, QWidget

from booking_app.services.group_lookup import get_group, search_groups
from booking_app.ui.context import AppContext
from booking_app.ui.insurance.insurance_models import BAD, GOOD
from booking_app.ui.plain_text import plain_label

NO_HITS = "該当する団体はありません"
CHOOSE = "団体を選んでください"
HITS_SHOWN = 20


class GroupPicker(QWidget):
    """団体検索: a search field, the hits under it and (optionally) the group chosen."""

    picked = Signal(object)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *,
                 placeholder: str = "登録番号・団体名・ふりがなで検索", shown: str = "display",
                 show_label: bool = True, hits_height: int = 90, delay_ms: int = 120):
        super().__init__(parent)
        self.setObjectName("group_picker")
        self.ctx = ctx
        self.group_id: int | None = None
        self.hit = None  # the GroupHit picked (services.group_lookup), or None
        self._shown = shown
        self.edit = QLineEdit()
        self.edit.setObjectName("group_search")
        self.edit.setPlaceholderText(placeholder)
        self.edit.setClearButtonEnabled(True)
        self.edit.setAccessibleName("団体検索")
        self.edit.setAccessibleDescription("登録番号・団体名・ふりがなで検索。Enterで先頭の団体、↓で候補へ")
        self.hits = QListWidget()
        self.hits.setObjectName("group_hits")
        self.hits.setMaximumHeight(hits_height)
        self.hits.setAccessibleName("団体の候補")
        self.hits.setAccessibleDescription("↑↓で選び、Enterで決定。Escで検索欄へ戻る")
        self.hits.setVisible(False)
        self.label = plain_label(CHOOSE)
        self.label.setObjectName("group_label")
        self.label.setWordWrap(True)
        self.label.setVisible(show_label)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(self.edit)
        lay.addWidget(self.hits)
        lay.addWidget(self.label)
        lay.addStretch(1)  # given more height than it needs, the field stays at the top, by its label
        # Never wider in height than its parts: the hits list would otherwise take a form's spare height.
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.setFocusProxy(self.edit)
        self.setAccessibleName("団体検索")  # a form's label (its buddy) may name it; the field keeps its own

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self.search)
        self.edit.textEdited.connect(self._on_edited)
        self.hits.itemClicked.connect(self._pick_item)
        self.hits.itemActivated.connect(self._pick_item)
        self.edit.installEventFilter(self)
        self.hits.installEventFilter(self)

    def text(self) -> str:
        return self.edit.text().strip()

    # ---------------------------------------------------------------- searching

    def _on_edited(self, _text: str) -> None:
        if self.group_id is not None:
            self.group_id = self.hit = None
            self._show_choice(None)
            self.picked.emit(None)
        self._timer.start()

    def search(self) -> None:
        """List the groups matching the text now (the pause after typing calls it)."""
        self._timer.stop()
        text = self.text()
        self.hits.clear()
        if not text:
            self.hits.setVisible(False)
            return
        today = self.ctx.today
        found = self.ctx.read(lambda s: search_groups(s, text, limit=HITS_SHOWN))
        for h in found:
            item = QListWidgetItem(f"{h.display}　（{h.state_label(today)}）")
            item.setData(Qt.ItemDataRole.UserRole, h.id)
            self.hits.addItem(item)
        if not found:
            item = QListWidgetItem(NO_HITS)
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.hits.addItem(item)
        self.hits.setVisible(True)

    def pick_first(self) -> None:
        """Enter in the field: the first group found for what is typed (searching now if still pausing)."""
        if self.group_id is not None and not self.hits.isVisible():
            return  # Enter on a group already picked changes nothing
        self.search()
        item = self.hits.item(0)
        if item is not None and item.data(Qt.ItemDataRole.UserRole) is not None:
            self._pick_item(item)

    def _pick_item(self, item: QListWidgetItem) -> None:
        gid = item.data(Qt.ItemDataRole.UserRole)
        if gid is not None:
            self.set_group(int(gid))
            self.edit.setFocus()

    # ---------------------------------------------------------------- the choice

    def set_group(self, group_id: int | None, text: str | None = None) -> None:
        """Show this group as picked (None: nothing picked, the field emptied); ``text`` overrides what
        the field shows. A group no longer in the register leaves nothing picked."""
        self._timer.stop()
        self.hits.clear()
        self.hits.setVisible(False)
        hit = self.ctx.read(lambda s: get_group(s, group_id)) if group_id is not None else None
        self.hit = hit
        self.group_id = hit.id if hit is not None else None
        shown = "" if hit is None else text if text is not None else hit.name if self._shown == "name" else hit.display
        self.edit.setText(shown)  # setText does not emit textEdited: the choice stands
        self._show_choice(hit)
        self.picked.emit(self.group_id)

    def _show_choice(self, hit) -> None:
        if hit is None:
            self.label.setText(CHOOSE)
            self.label.setStyleSheet("")
            return
        good = hit.is_valid_on(self.ctx.today)
        self.label.setText(f"選択中：{hit.display}（{hit.state_label(self.ctx.today)}）")
        self.label.setStyleSheet(f"color: {(GOOD if good else BAD).name()};")

    # ---------------------------------------------------------------- keyboard

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return super().eventFilter(watched, event)
        key = event.key()
        if watched is self.edit and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            # Enter picks the first group; it never also presses the dialog's default button. Only on a
            # group already picked does Enter go on to the dialog (its 保存／登録).
            if self.group_id is None or self.hits.isVisible():
                self.pick_first()
                return True
            return False
        if watched is self.edit and key == Qt.Key.Key_Down and self.hits.isVisible():
            first = self.hits.item(0)
            if first is not None and first.flags() & Qt.ItemFlag.ItemIsEnabled:
                self.hits.setFocus()
                self.hits.setCurrentRow(0)
                return True
        if watched is self.hits:
            if key == Qt.Key.Key_Escape:
                self.edit.setFocus()
                return True
            if key == Qt.Key.Key_Up and self.hits.currentRow() <= 0:
                self.edit.setFocus()
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.hits.currentItem() is not None:
                self._pick_item(self.hits.currentItem())
                return True
        return super().eventFilter(watched, event)


__all__ = ["GroupPicker", "NO_HITS"]
