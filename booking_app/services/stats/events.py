"""The centre's own events (講座・研修・交流会) and their attendance, counted on their day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking_app.domain import japanese_calendar as jcal
from booking_app.domain.counting import EVENT_KINDS
from booking_app.domain.errors import NotFound, ValidationError
from booking_app.services.common import Actor, audit, local_now
from booking_app.services.stats.ledger import fy_range
from booking_app.services.stats.month_lock import ensure_month_open
from booking_app.store.models import CentreEvent, Room

MAX_ATTENDANCE = 10_000


@dataclass(frozen=True)
class EventView:
    """An event run by the centre (講座・研修・交流会) and its attendance."""

    id: int
    name: str
    kind: str
    day: date
    room_id: int | None
    room_name: str
    attendance: int | None
    note: str


def _room_names(session: Session) -> dict[int, str]:
    return {i: n for i, n in session.execute(select(Room.id, Room.name))}


def _event_view(e: CentreEvent, rooms: dict[int, str]) -> EventView:
    return EventView(e.id, e.name, e.kind, e.day, e.room_id, rooms.get(e.room_id, "") if e.room_id else "",
                     e.attendance, e.note)


def _event_snapshot(e: CentreEvent) -> dict[str, Any]:
    return {"name": e.name, "kind": e.kind, "day": e.day, "room_id": e.room_id, "attendance": e.attendance,
            "note": e.note}


def save_event(session: Session, actor: Actor, *, event_id: int | None = None, name: str, kind: str,
               day: date, room_id: int | None = None, attendance: int | None = None, note: str = "",
               now: datetime | None = None) -> EventView:
    """Record a centre event (講座・研修・交流会) or change it, e.g. to enter its attendance afterwards."""
    now = now or local_now()
    name = (name or "").strip()
    if not name:
        raise ValidationError("行事名を入力してください（例：NPO会計講座）。", field="name")
    if len(name) > 200:
        raise ValidationError("行事名は200文字以内で入力してください。", field="name")
    if kind not in EVENT_KINDS:
        raise ValidationError(f"種別は{'・'.join(EVENT_KINDS)}から選んでください。", field="kind")
    if not isinstance(day, date) or isinstance(day, datetime):
        raise ValidationError("開催日を入力してください。", field="day")
    if attendance is not None and (isinstance(attendance, bool) or not isinstance(attendance, int)
                                   or not 0 <= attendance <= MAX_ATTENDANCE):
        raise ValidationError(f"参加者数は0〜{MAX_ATTENDANCE:,}の数で入力してください。", field="attendance")
    if room_id is not None and session.get(Room, room_id) is None:
        raise ValidationError("選んだ部屋が見つかりません。部屋を選び直してください。", field="room")
    if event_id is None:
        if attendance is not None:
            ensure_month_open(session, day)
        e = CentreEvent(name=name, kind=kind, day=day, room_id=room_id, attendance=attendance,
                        note=note or "", created_at=now, created_by=actor.id)
        session.add(e)
        session.flush()
        audit(session, actor, "create", "centre_event", e.id, f"行事「{name}」を登録（{jcal.format_slash(day)}）",
              after=_event_snapshot(e), now=now)
    else:
        found = session.get(CentreEvent, event_id)
        if found is None:
            raise NotFound("行事が見つかりません。")
        e = found
        # Only the counted part (day and attendance) is locked by a closed month; names and notes may change.
        if (e.day, e.attendance) != (day, attendance):
            if e.attendance is not None:
                ensure_month_open(session, e.day)
            if attendance is not None:
                ensure_month_open(session, day)
        before = _event_snapshot(e)
        e.name, e.kind, e.day, e.room_id = name, kind, day, room_id
        e.attendance, e.note = attendance, note or ""
        e.updated_at, e.updated_by = now, actor.id
        session.flush()
        audit(session, actor, "update", "centre_event", e.id, f"行事「{name}」を変更", before=before,
              after=_event_snapshot(e), now=now)
    return _event_view(e, _room_names(session))


def list_events(session: Session, *, fiscal_year: int) -> list[EventView]:
    """The fiscal year's events in date order."""
    lo, hi = fy_range(fiscal_year)
    rooms = _room_names(session)
    rows = session.scalars(select(CentreEvent).where(CentreEvent.day >= lo, CentreEvent.day < hi)
                           .order_by(CentreEvent.day, CentreEvent.id))
    return [_event_view(e, rooms) for e in rows]


__all__ = ["MAX_ATTENDANCE", "EventView", "save_event", "list_events"]
