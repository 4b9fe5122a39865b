"""The per-operation booking benches, shared by the SQLite and the PostgreSQL script.

Not a bench itself. Every save goes into a free 30-minute slot of the big database (a gap left by
the generator, or the slot of a cancelled / no-show booking), on a random room and day spread over
the nine past years of data, with ``now`` set to 8:00 that day: so every save succeeds through all
the checks, and the index pages touched are spread over the whole file rather than one hot page.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import DateTime, Engine, bindparam, text

from _common import line, measure, note
from make_big_db import SLOT_MIN, START, TODAY, open_days

from booking_app.domain.recurrence import RecurrenceRule
from booking_app.services.bookings import BookingInput, create_booking, room_conflicts
from booking_app.services.common import Actor
from booking_app.services.series import preview_series
from booking_app.store.engine import read_session, write_session

BLOCKING_SQL = "('tentative','confirmed','in_use','completed')"
# Typed so that SQLAlchemy writes and reads datetimes in each backend's own format.
BUSY_QUERY = (
    text(f"SELECT start_at FROM bookings WHERE room_id = :r AND start_at >= :a AND start_at < :b "
         f"AND status IN {BLOCKING_SQL}")
    .bindparams(bindparam("a", type_=DateTime()), bindparam("b", type_=DateTime()))
    .columns(start_at=DateTime())
)
DESK = Actor(1, "受付スタッフ", "desk")


@dataclass(frozen=True)
class Slot:
    room_id: int
    capacity: int
    start: datetime
    lane: int  # the equipment type this room lends (see make_big_db)

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=SLOT_MIN)


class SlotPicker:
    """Hands out distinct free slots on random (room, past day) pairs of the big database."""

    def __init__(self, engine: Engine, seed: int) -> None:
        self.engine = engine
        self.rng = random.Random(seed)
        self.days = [(d, o, k) for d, o, k in open_days() if START <= d < TODAY]
        self.taken: set[tuple[int, datetime]] = set()
        with engine.connect() as c:
            self.rooms = [tuple(r) for r in c.execute(text("SELECT id, capacity FROM rooms ORDER BY id"))]
            units: list[int] = []
            for tid, stock in c.execute(text("SELECT id, stock FROM equipment_types WHERE stock IS NOT NULL "
                                             "ORDER BY sort_order, id")):
                units.extend([tid] * stock)
        self.lanes = {rid: units[i] for i, (rid, _c) in enumerate(self.rooms)}

    def take(self, count: int) -> list[Slot]:
        out: list[Slot] = []
        with self.engine.connect() as c:
            while len(out) < count:
                day, open_min, k = self.rng.choice(self.days)
                room_id, cap = self.rng.choice(self.rooms)
                day0 = datetime.combine(day, time())
                busy = {r[0] for r in c.execute(BUSY_QUERY,
                                                {"r": room_id, "a": day0, "b": day0 + timedelta(days=1)})}
                free = [day0 + timedelta(minutes=open_min + i * SLOT_MIN) for i in range(k)]
                free = [s for s in free if s not in busy and (room_id, s) not in self.taken]
                if not free:
                    continue
                s = self.rng.choice(free)
                self.taken.add((room_id, s))
                out.append(Slot(room_id, cap, s, self.lanes[room_id]))
        return out


def booking_input(slot: Slot, i: int, group_ids: list[int], *, equipment: bool = True) -> BookingInput:
    """A registered group's room booking; every fifth also borrows the room's equipment lane,
    like the 20% of generated bookings with an equipment line."""
    return BookingInput(
        start=slot.start, end=slot.end, room_id=slot.room_id, booker_kind="member",
        group_id=group_ids[i % len(group_ids)], purpose="定例会", attendees=min(slot.capacity, 5),
        equipment={slot.lane: 1} if equipment and i % 5 == 0 else {},
    )


def morning_of(slot: Slot) -> datetime:
    return datetime.combine(slot.start.date(), time(8, 0))


def group_ids(engine: Engine) -> list[int]:
    with engine.connect() as c:
        return [g for (g,) in c.execute(text("SELECT id FROM member_groups WHERE status = 'active' ORDER BY id"))]


def bench_service_save(engine: Engine, picker: SlotPicker, name: str, *, n: int, warmup: int, size: str,
                       target_ms: float | None, quiet: bool = False, actor: Actor = DESK,
                       equipment: bool = True) -> list[int]:
    """create_booking inside write_session: checks, insert, audit entry, commit (as ``actor``; on
    PostgreSQL ``engine`` may be a staff member's own login, bench_bookings_pg.py --as-staff-login)."""
    gids = group_ids(engine)
    slots = picker.take(n + warmup)
    inputs = [booking_input(s, i, gids, equipment=equipment) for i, s in enumerate(slots)]
    nows = [morning_of(s) for s in slots]

    def op(i: int) -> None:
        k = i if i >= 0 else n + (-1 - i)  # warm-up calls use the slots after the measured ones
        with write_session(engine) as session:
            create_booking(session, actor, inputs[k], now=nows[k])

    samples = measure(op, n, warmup=warmup)
    if not quiet:
        report_service_save(name, samples, size=size, target_ms=target_ms)
    return samples


def report_service_save(name: str, samples: list[int], *, size: str, target_ms: float | None,
                        equipment: bool = True) -> None:
    if not equipment:
        line(name, samples, size=size, target_ms=target_ms, extra="room only: no save borrows equipment")
        return
    line(name, samples, size=size, target_ms=target_ms, extra="every 5th save also borrows one equipment item")
    line(name + "_room_only", [t for i, t in enumerate(samples) if i % 5], size=size,
         extra="subset: the saves without equipment")
    line(name + "_with_equipment", [t for i, t in enumerate(samples) if i % 5 == 0], size=size,
         extra="subset: the saves with one equipment line")


def bench_orm_floor(engine: Engine, picker: SlotPicker, name: str, *, n: int, warmup: int, size: str,
                    quiet: bool = False) -> list[int]:
    """The same transaction as the hand-written floor plus the audit row, through the SQLAlchemy ORM
    with no service logic: write_session, one overlap SELECT, add Booking + AuditEntry, commit.
    Separates what SQLAlchemy itself costs from what the service's checks cost."""
    from sqlalchemy import select

    from booking_app.store.models import AuditEntry, Booking

    gids = group_ids(engine)
    slots = picker.take(n + warmup)

    def op(i: int) -> None:
        k = i if i >= 0 else n + (-1 - i)
        s = slots[k]
        now = morning_of(s)
        with write_session(engine) as session:
            clash = session.scalars(select(Booking.id).where(
                Booking.room_id == s.room_id, Booking.start_at < s.end,
                Booking.start_at > s.start - timedelta(days=1), Booking.end_at > s.start,
                Booking.status.in_(("tentative", "confirmed", "in_use", "completed")))).all()
            assert not clash
            b = Booking(room_id=s.room_id, group_id=gids[k % len(gids)], booker_kind="member", booker_name="団体",
                        purpose="定例会", attendees=1, start_at=s.start, end_at=s.end, status="confirmed",
                        created_at=now, created_by=DESK.id, updated_at=now, updated_by=DESK.id)
            session.add(b)
            session.flush()
            session.add(AuditEntry(at=now, staff_id=DESK.id, action="create", entity="booking", entity_id=b.id,
                                   summary="bench", after={"room_id": s.room_id}))

    samples = measure(op, n, warmup=warmup)
    if not quiet:
        line(name, samples, size=size, extra="SQLAlchemy ORM, no service logic: overlap SELECT + 2 INSERTs + COMMIT")
    return samples


def bench_conflict_check(engine: Engine, picker: SlotPicker, name: str, *, n: int, size: str,
                         target_ms: float | None) -> list[int]:
    """services.bookings.room_conflicts in a read session, on random rooms / days / times."""
    rng = random.Random(7)
    probes = []
    for _ in range(n + 50):
        day, open_min, k = rng.choice(picker.days)
        room_id, _cap = rng.choice(picker.rooms)
        start = datetime.combine(day, time()) + timedelta(minutes=open_min + rng.randrange(k) * SLOT_MIN)
        probes.append((room_id, start, start + timedelta(minutes=2 * SLOT_MIN)))
    found = 0

    def op(i: int) -> None:
        nonlocal found
        room_id, start, end = probes[i if i >= 0 else n - 1 - i]
        with read_session(engine) as session:
            t0 = _now_ns()
            rows = room_conflicts(session, room_id, start, end)
            timings.append(_now_ns() - t0)
        found += len(rows)

    timings: list[int] = []
    measure(op, n, warmup=50)
    samples = timings[50:]  # the call alone, not opening and closing the read session
    line(name, samples, size=size, target_ms=target_ms,
         extra=f"avg {found / n:.1f} conflicting rows found per check")
    return samples


def bench_series_preview(engine: Engine, picker: SlotPicker, name: str, *, n: int, size: str,
                         target_ms: float | None, equipment: bool = False) -> list[int]:
    """preview_series for a weekly rule of 52 dates, 10:00–12:00, in a read session, starting on random
    days; with ``equipment`` the series also borrows the room's equipment lane (one more query)."""
    rng = random.Random(11)
    gids = group_ids(engine)
    last_start = TODAY - timedelta(days=7 * 53)
    starts = [d for d, _o, _k in picker.days if d <= last_start]
    cases = []
    for i in range(n + 5):
        d = rng.choice(starts)
        room_id, cap = rng.choice(picker.rooms)
        tmpl = BookingInput(start=datetime.combine(d, time(10)), end=datetime.combine(d, time(12)),
                            room_id=room_id, booker_kind="member", group_id=gids[i % len(gids)],
                            purpose="定例会", attendees=min(cap, 5),
                            equipment={picker.lanes[room_id]: 1} if equipment else {})
        rule = RecurrenceRule(kind="weekly", start=d, count=52, weekdays=(d.weekday(),))
        cases.append((tmpl, rule, datetime.combine(d, time(8))))
    states: dict[str, int] = {}

    def op(i: int) -> None:
        tmpl, rule, now = cases[i if i >= 0 else n - 1 - i]
        with read_session(engine) as session:
            items = preview_series(session, tmpl, rule, now=now)
        assert len(items) == 52, len(items)
        if i >= 0:
            for it in items:
                states[it.state] = states.get(it.state, 0) + 1

    samples = measure(op, n, warmup=5)
    mix = ", ".join(f"{k} {v / n:.1f}" for k, v in sorted(states.items()))
    line(name, samples, size=size, target_ms=target_ms,
         extra=f"52 dates{' + equipment' if equipment else ''}; per preview: {mix}")
    return samples


def _now_ns() -> int:
    import time as _t

    return _t.perf_counter_ns()


def explain_conflict_query(engine: Engine) -> None:
    """Print the plan of the conflict check so the docs can say which index it uses."""
    day = datetime.combine(date(2022, 6, 1), time(10))
    params = {"e": day + timedelta(hours=1), "p": day - timedelta(days=1), "s": day}
    if engine.dialect.name == "sqlite":  # bind text in the stored format, as the ORM does
        params = {k: v.strftime("%Y-%m-%d %H:%M:%S.%f") for k, v in params.items()}
    with engine.connect() as c:
        if engine.dialect.name == "sqlite":
            rows = c.execute(text(
                f"EXPLAIN QUERY PLAN SELECT id FROM bookings WHERE room_id = 1 AND start_at < :e "
                f"AND start_at > :p AND end_at > :s AND status IN {BLOCKING_SQL}"), params).fetchall()
            note("conflict query plan: " + " / ".join(str(r[-1]) for r in rows))
        else:
            rows = c.execute(text(
                f"EXPLAIN SELECT id FROM bookings WHERE room_id = 1 AND start_at < :e "
                f"AND start_at > :p AND end_at > :s AND status IN {BLOCKING_SQL}"), params).fetchall()
            note("conflict query plan: " + " / ".join(r[0].strip() for r in rows[:2]))
