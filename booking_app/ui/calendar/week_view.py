"""Week view (週表示) of the booking calendar: one room over seven days (Sunday to Saturday)."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QRect, Signal
from PySide6.QtWidgets import (
    QWidget,
)

from booking_app.domain import japanese_calendar as jcal
from booking_app.domain import hours as jhours
from booking_app.services import bookings as booking_service
from booking_app.services import centre
from booking_app.services.bookings import BookingView
from booking_app.ui import theme
from booking_app.ui.context import AppContext
from booking_app.ui.calendar.grid import SLOT_MINUTES, Column, TimeGrid, closing_minute, minute_of, usual_hours, week_start


class WeekView(TimeGrid):
    """Week view (週表示): one room over seven days (Sunday to Saturday).

    ←/→ move the cell cursor between days and stop at Sunday and Saturday; PageUp/PageDown change the week.
    """

    ACCESSIBLE_NAME = "予約カレンダー（週表示）"
    roomChanged = Signal(int)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self._room_id: int | None = None
        self._room_name = ""
        self._rooms: list[tuple[int, str]] = []

    def room_id(self) -> int | None:
        return self._room_id

    def rooms(self) -> list[tuple[int, str]]:
        return list(self._rooms)

    def set_room(self, room_id: int) -> None:
        if room_id != self._room_id:
            self._room_id = room_id
            self.refresh()
            self.roomChanged.emit(room_id)

    def days(self) -> list[dt.date]:
        first = week_start(self._date)
        return [first + dt.timedelta(days=i) for i in range(7)]

    def cell_rect(self, day: dt.date, t: dt.time) -> QRect:
        col = next(i for i, c in enumerate(self._columns) if c.day == day)
        return self._slot_rect(col, minute_of(t) // SLOT_MINUTES * SLOT_MINUTES)

    def _step(self, direction: int) -> None:
        self.set_date(self._date + dt.timedelta(days=7 * direction))

    def _load(self, session) -> None:
        profile = centre.get_profile(session)
        rooms = centre.list_rooms(session)
        self._rooms = [(r.id, r.name) for r in rooms]
        if self._room_id not in {r.id for r in rooms}:
            self._room_id = rooms[0].id if rooms else None
        room = next((r for r in rooms if r.id == self._room_id), None)
        self._room_name = room.name if room else ""
        days = self.days()
        start = dt.datetime.combine(days[0], dt.time())
        bookings: list[BookingView] = []
        if room is not None:
            bookings = booking_service.bookings_between(session, start, start + dt.timedelta(days=7),
                                                        room_id=room.id)
        self._columns = []
        spans = []
        for d in days:
            reason = jhours.closure_reason(profile, d)
            span = jhours.opening_hours(profile, d)
            open_span = (minute_of(span[0]), closing_minute(span[1])) if span else None
            if open_span:
                spans.append(open_span)
            holiday = jcal.holiday_name(d)
            subtitle = reason or holiday or ""
            self._columns.append(Column(d, room.id if room else 0, theme.short_day(d), subtitle,
                                         theme.day_color(d), open_span, reason, self._room_name))
        index = {d: i for i, d in enumerate(days)}
        self._set_blocks(bookings, lambda b: index.get(b.start.date()))
        if not spans:
            u = usual_hours(profile)
            spans = [(minute_of(u[0]), closing_minute(u[1]))]
        self._set_rows(spans)
        weekday = next((d for d in days if jcal.day_kind(d) != "sunday_holiday"
                        and jhours.closure_reason(profile, d) is None), days[1])
        self._set_periods(profile, weekday)
        last = days[-1]
        self._title = (f"{jcal.format_western(days[0])}({jcal.weekday_ja(days[0])})〜"
                       f"{'' if last.year == days[0].year else f'{last.year}年'}"
                       f"{last.month}月{last.day}日({jcal.weekday_ja(last)}) {jcal.wareki_year(days[0])}"
                       f"　{self._room_name}")
        self._title_color = None
        self._title_bg = None
