"""Factories for service tests: a seeded database, desk/manager actors, groups and bookings.

Every helper runs its own unit of work (``write_session``), the way a screen calls a service, so a
refused booking rolls back exactly as it would at the desk.

The clock is fixed (``NOW`` = 2026-11-25 09:00, a Wednesday) and passed to every service, so the
booking windows are stable: a person may book up to 2026-12-31, a registered group up to 2027-02-28.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time

from sqlalchemy import Engine, delete, func, select

from booking_app.domain.booking_rules import BLOCKING_STATUSES, peak_in_use
from booking_app.services import bookings as svc
from booking_app.services.centre import ensure_initial_data
from booking_app.services.common import Actor
from booking_app.store.engine import make_engine, read_session, write_session
from booking_app.store.models import (
    AuditEntry,
    Booking,
    BookingEquipment,
    BookingSeries,
    EquipmentType,
    MemberGroup,
    Room,
    Staff,
)

NOW = datetime(2026, 11, 25, 9, 0)
# A plain Wednesday inside every window, no holiday: the default day for bookings.
DAY = date(2026, 12, 2)
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm))


@dataclass
class World:
    """A seeded database (部屋・備品・職員) and the ids tests need."""

    engine: Engine
    desk: Actor
    manager: Actor
    rooms: dict[str, int] = field(default_factory=dict)
    equipment: dict[str, int] = field(default_factory=dict)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def write(self):
        return write_session(self.engine)

    def read(self):
        return read_session(self.engine)

    # ------------------------------------------------------------------ factories

    def make_group(self, name: str = "ふくふく子ども食堂", *, status: str = "active",
                   valid_until: date | None = None, reg_no: str | None = None) -> int:
        """Insert a MemberGroup (登録団体) directly: group registration is another engineer's service."""
        with self.write() as s:
            if reg_no is None:
                n = s.scalar(select(func.count()).select_from(MemberGroup)) + 1
                reg_no = f"R{n:04d}"
            g = MemberGroup(reg_no=reg_no, name=name, kana="", status=status, valid_until=valid_until,
                            created_at=NOW, created_by=self.manager.id)
            s.add(g)
            s.flush()
            return g.id

    def input(self, start: datetime, end: datetime, *, room: str | None = "大会議室",
              group_id: int | None = None, **kw) -> svc.BookingInput:
        """A BookingInput that passes every rule unless a test changes one field."""
        defaults: dict = {
            "booker_kind": "member" if group_id is not None else "person",
            "booker_name": "" if group_id is not None else "山田花子",
            "contact_phone": "083-000-0000",
            "purpose": "定例会",
            "attendees": 5,
        }
        defaults.update(kw)
        return svc.BookingInput(start=start, end=end, room_id=self.rooms[room] if room else None,
                                group_id=group_id, **defaults)

    def book(self, start: datetime, end: datetime, *, actor: Actor | None = None, now: datetime = NOW,
             **kw) -> svc.BookingView:
        """Create one booking in its own transaction; raises the service's DomainError."""
        data = self.input(start, end, **kw)
        with self.write() as s:
            return svc.create_booking(s, actor or self.desk, data, now=now)

    def equip(self, **names_to_qty: int) -> dict[int, int]:
        return {self.equipment[n]: q for n, q in names_to_qty.items()}

    # ------------------------------------------------------------------ inspection

    def booking(self, booking_id: int) -> Booking:
        with self.read() as s:
            b = s.get(Booking, booking_id)
            s.expunge(b)
            return b

    def count(self, model) -> int:
        with self.read() as s:
            return s.scalar(select(func.count()).select_from(model))

    def audit_rows(self, entity_id: int | None = None, entity: str = "booking") -> list[AuditEntry]:
        with self.read() as s:
            q = select(AuditEntry).where(AuditEntry.entity == entity).order_by(AuditEntry.id)
            if entity_id is not None:
                q = q.where(AuditEntry.entity_id == entity_id)
            rows = list(s.scalars(q))
            s.expunge_all()
            return rows

    def equipment_peak(self, type_id: int, start: datetime, end: datetime) -> int:
        """Recompute the peak in use from the rows themselves (not through the services)."""
        with self.read() as s:
            rows = s.execute(
                select(Booking.start_at, Booking.end_at, BookingEquipment.quantity)
                .join(BookingEquipment, BookingEquipment.booking_id == Booking.id)
                .where(BookingEquipment.equipment_type_id == type_id,
                       Booking.status.in_([st.value for st in BLOCKING_STATUSES]))
            ).all()
        return peak_in_use([(a, b, q) for a, b, q in rows], start, end)

    def clear_bookings(self) -> None:
        """Remove every booking and series (hypothesis reuses one database per test). Audit rows stay:
        the database refuses to delete them (migration 0008), and no test here counts them."""
        with self.write() as s:
            # FIX (issue 4, fees): bookings now get charges (and maybe receipts) that point at them.
            from booking_app.store.models import Charge, Receipt, ReceiptLine, ReceiptPrint, ReceiptVoid

            for model in (ReceiptLine, ReceiptPrint, ReceiptVoid, Charge, Receipt):
                s.execute(delete(model))
            s.execute(delete(BookingEquipment))
            s.execute(delete(Booking))
            s.execute(delete(BookingSeries))


def seed(engine: Engine) -> World:
    """Run ensure_initial_data and collect the default rooms, equipment and staff."""
    with write_session(engine) as s:
        ensure_initial_data(s, now=NOW)
    return load_world(engine)


def load_world(engine: Engine) -> World:
    with read_session(engine) as s:
        staff = {st.role: Actor(st.id, st.name, st.role) for st in s.scalars(select(Staff))}
        rooms = {n: i for n, i in s.execute(select(Room.name, Room.id))}
        equipment = {n: i for n, i in s.execute(select(EquipmentType.name, EquipmentType.id))}
    return World(engine, staff["desk"], staff["manager"], rooms, equipment)


def open_world(url: str) -> World:
    """For worker processes: their own engine on the same database."""
    return load_world(make_engine(url))
