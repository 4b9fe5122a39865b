"""行事の参加者: the centre's own events (講座・研修・交流会) of a fiscal year and their attendance, which
counts toward the year's users; add one, or edit it to enter the attendance afterwards."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from booking_app.domain import japanese_calendar as jcal
from booking_app.domain.errors import DomainError
from booking_app.services.centre import list_rooms
from booking_app.services.stats.events import EventView, list_events, save_event
from booking_app.ui.context import AppContext
from booking_app.ui.forms import sized_table
from booking_app.ui.keyboard import shortcut_action
from booking_app.ui.plain_text import plain_label
from booking_app.ui.stats.dialogs import EventDialog
from booking_app.ui.stats.models import EventsModel
from booking_app.ui.stats.year_tab import YearTab
from booking_app.ui.widgets import action_button as _button


class EventsTab(YearTab):
    """The fiscal year's events, the attendance total and how many still lack it."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, "events", parent)
        row, lay = self.top, self.lay
        self.note = plain_label()
        self.note.setObjectName("events_note")
        row.addWidget(self.note, 1)
        self.add_button = _button("行事を追加…", "add_event", self.add_event)
        self.edit_button = _button("編集・参加者数の入力…", "edit_event", self.edit_event)
        row.addWidget(self.add_button)
        row.addWidget(self.edit_button)
        self.model = EventsModel(self)
        self.view = sized_table("events", self.model, (130, 80, 360, 150, 90))
        self.view.setAccessibleName("行事の一覧")
        self.view.doubleClicked.connect(lambda _i: self.edit_event())
        # Enter on a row opens it, as a double click does (the key sheet lists it under 統計).
        shortcut_action(self.view, "行事を開く（編集・参加者数の入力）", ("Return", "Enter"), self.edit_event,
                        section="統計", name="open_event_key", context=Qt.ShortcutContext.WidgetShortcut)
        lay.addWidget(self.view, 1)
        hint = QLabel("センター主催の講座・研修・交流会の参加者数は、年度の利用者数に加わります。")
        hint.setStyleSheet("color: #606060;")
        lay.addWidget(hint)

    def refresh(self, select_id: int | None = None) -> None:
        fy = self.year.currentData()
        rows = self.ctx.read(lambda s: list_events(s, fiscal_year=fy))
        self.model.set_rows(rows)
        today = self.ctx.today
        missing = sum(1 for e in rows if e.attendance is None and e.day <= today)
        total = sum(e.attendance or 0 for e in rows)
        text = f"{len(rows)}件・参加者 {total:,}人"
        if missing:
            text += f"　参加者数が未入力の行事 {missing}件"
        self.note.setText(text)
        if select_id is not None:
            for r, e in enumerate(rows):
                if e.id == select_id:
                    self.view.selectRow(r)

    def selected(self) -> EventView | None:
        idx = self.view.selectionModel().selectedRows()
        return self.model.row(idx[0].row()) if idx else None

    def _rooms(self) -> Sequence:
        return self.ctx.read(list_rooms)

    def add_event(self) -> EventView | None:
        return self._save(None)

    def edit_event(self) -> EventView | None:
        e = self.selected()
        return None if e is None else self._save(e)

    def _save(self, event: EventView | None) -> EventView | None:
        v = EventDialog.get(self, self._rooms(), event, today=self.ctx.today)
        if v is None:
            return None
        event_id = event.id if event is not None else None
        try:
            saved = self.ctx.write(lambda s, a: save_event(
                s, a, event_id=event_id, name=v.name, kind=v.kind, day=v.day, room_id=v.room_id,
                attendance=v.attendance, note=v.note), changes={"event"})
        except DomainError as exc:
            self.ctx.prompts.show_error(self, exc)
            return None
        if jcal.fiscal_year(v.day) != self.year.currentData():
            i = self.year.findData(jcal.fiscal_year(v.day))
            if i >= 0:
                self.year.setCurrentIndex(i)
        self.refresh(select_id=saved.id)
        return saved


__all__ = ["EventsTab"]
