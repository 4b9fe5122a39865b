"""Day view (日表示) of the booking calendar: every room as a column of the painted time grid."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QRect

from booking_app.domain import japanese_calendar as jcal
from booking_app.domain import hours as jhours
from booking_app.services import bookings as booking_service
from booking_app.services import centre
from booking_app.ui import theme
from booking_app.ui.calendar.grid import SLOT_MINUTES, Column, TimeGrid, closing_minute, minute_of, usual_hours


class DayView(TimeGrid):
    """Day view (日表示): every room as a column, half-hour rows over the day's opening hours.

    ←/→ move the cell cursor between rooms and stop at the first and last room; PageUp/PageDown change the day.
    """

    ACCESSIBLE_NAME = "予約カレンダー（日表示）"

    def _step(self, direction: int) -> None:
        self.set_date(self._date + dt.timedelta(days=direction))

    def room_ids(self) -> list[int]:
        return [c.room_id for c in self._columns]

    def cell_rect(self, room_id: int, t: dt.time) -> QRect:
        """Rectangle of the half-hour cell of room_id that starts at t (for tests and drag helpers)."""
        col = next(i for i, c in enumerate(self._columns) if c.room_id == room_id)
        return self._slot_rect(col, minute_of(t) // SLOT_MINUTES * SLOT_MINUTES)

    def _load(self, session) -> None:
        d = self._date
        profile = centre.get_profile(session)
        rooms = centre.list_rooms(session)
        start = dt.datetime.combine(d, dt.time())
        bookings = booking_service.bookings_between(session, start, start + dt.timedelta(days=1))
        reason = jhours.closure_reason(profile, d)
        span = jhours.opening_hours(profile, d)
        open_span = (minute_of(span[0]), closing_minute(span[1])) if span else None
        self._columns = [
            Column(d, r.id, r.name, f"定員{r.capacity}名", None, open_span, reason, r.name) for r in rooms
        ]
        index = {r.id: i for i, r in enumerate(rooms)}
        self._set_blocks(bookings, lambda b: index.get(b.room_id) if b.room_id is not None else None)
        grid_span = span or usual_hours(profile)
        self._set_rows([(minute_of(grid_span[0]), closing_minute(grid_span[1]))])
        self._set_periods(profile, d)
        title = theme.date_header(d)
        if reason:
            title += f"　休館日（{reason}）"
        elif span:
            title += f"　開館 {jcal.format_time(span[0])}〜{jcal.format_time(span[1])}"
        self._title = title
        self._title_color = theme.day_color(d)
        self._title_bg = theme.CLOSED_BG if reason else (theme.TODAY_BG if d == self.today() else None)
        no_room = sum(1 for b in bookings if b.room_id is None and b.blocks_slot)
        if no_room:
            self._note = "・".join(x for x in (f"備品のみ {no_room}件", self._note) if x)
