"""The draw's bulk writing (services/lottery.run_draw, issue 18): the same seed gives the same result on SQLite
and PostgreSQL, every 仮予約 keeps the audit rows and charges of an ordinary save, and the databases' guard
still refuses a 仮予約 on a booked slot.

March 2027 as in test_lottery.py: entries on 2026-12-05, the draw on 2026-12-15.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy
from factories import World, at, seed
from sqlalchemy import select

from booking_app.domain.errors import ConflictError
from booking_app.services import audit_log
from booking_app.services import bookings as booking_svc
from booking_app.services import lottery as lot
from booking_app.services.booking_views import BookingInput
from booking_app.store.engine import make_engine
from booking_app.store.models import AuditEntry, Booking, Charge, LotteryDraw, LotteryWish

pytestmark = pytest.mark.now("2026-12-05 10:00")

MONTH = date(2027, 3, 1)
TAKE = datetime(2026, 12, 5, 10, 0)
DRAW = datetime(2026, 12, 15, 10, 0)
OPENS = datetime(2026, 12, 20, 9, 0)  # 先着順 from this day
# A lottery room's March is held for the draw until 2026-12-20 (先着順): a booking made before the draw is a
# manager's, with a reason.
HELD = "センターの行事"
ROOMS = ("大会議室", "多目的交流ホール")


def _slot(world: World, room: str, day: date, evening: bool = True) -> tuple[int, datetime, datetime]:
    return (world.rooms[room], at(day, 18), at(day, 22)) if evening else (world.rooms[room], at(day, 13), at(day, 17))


def _fill(world: World) -> None:
    """Twelve groups, 30 entries with 1–3 wishes (some all-or-nothing pairs), one evening booked before."""
    groups = [world.make_group(f"抽選の会{i:02d}") for i in range(12)]
    world.book(at(date(2027, 3, 4), 18), at(date(2027, 3, 4), 22), group_id=groups[0], now=TAKE,
               actor=world.manager, override_reason=HELD)
    days = [date(2027, 3, d) for d in (2, 3, 4, 5, 9, 10)]  # weekdays with evenings
    for i in range(30):
        g = groups[i % 12]
        wishes = []
        for rank in range(1 + i % 3):
            room = ROOMS[(i + rank) % 2]
            day = days[(i * 7 + rank * 3) % len(days)]
            wish = [_slot(world, room, day, evening=(i + rank) % 4 != 0)]
            if i % 9 == 4:  # a pair of consecutive days, all or nothing
                wish.append(_slot(world, room, day + timedelta(days=1), evening=(i + rank) % 4 != 0))
            if not any(set(wish) & set(w) for w in wishes):
                wishes.append(wish)
        data = lot.EntryInput(group_id=g, month=MONTH, channel="counter", wishes=wishes)
        with world.write() as s:
            lot.take_entry(s, world.desk, data, now=TAKE + timedelta(minutes=i))


def _outcome(world: World, seed_text: str) -> tuple[str, list, list]:
    with world.write() as s:
        view = lot.run_draw(s, world.manager, MONTH, now=DRAW, seed=seed_text)
    with world.read() as s:
        rooms = dict(s.execute(select(sqlalchemy.text("id, name FROM rooms"))).all())
        held = [(rooms[b.room_id], b.start_at, b.end_at, b.booker_name, b.status, b.hold_until, b.purpose, b.note)
                for b in s.scalars(select(Booking).where(Booking.status == "tentative")
                                   .order_by(Booking.start_at, Booking.room_id))]
        assert lot.replay_draw(s, MONTH) is True
    return view.digest, [(v.entry_no, v.won_rank) for v in view.winners], held


@pytest.mark.postgres
def test_the_same_seed_gives_the_same_draw_on_sqlite_and_postgresql(sqlite_url, pg_url):
    results = []
    for url in (sqlite_url, pg_url):
        engine = make_engine(url)
        try:
            world = seed(engine)
            _fill(world)
            results.append(_outcome(world, "cross-db"))
        finally:
            engine.dispose()
    (d1, won1, held1), (d2, won2, held2) = results
    assert d1 == d2 and len(d1) == 64
    assert won1 == won2 and len(won1) >= 5
    assert held1 == held2 and len(held1) >= len(won1)


def test_each_hold_has_the_rows_and_audit_of_an_ordinary_save(world: World):
    """Booked in bulk, each 仮予約 equals what bookings.create_booking writes for the same input: the row, the
    charges and the ``quote`` / ``create`` audit entries; the chain verifies; one ``draw`` row sums up."""
    _fill(world)
    with world.write() as s:
        drawn = lot.run_draw(s, world.manager, MONTH, now=DRAW, seed="audit")
    with world.read() as s:
        holds = list(s.scalars(select(Booking).where(Booking.status == "tentative").order_by(Booking.id)))
        linked = sorted(s.scalars(select(LotteryWish.booking_id).where(LotteryWish.booking_id.is_not(None))))
        s.expunge_all()
    assert linked == [h.id for h in holds] and len(holds) == sum(len(v.won_slots) for v in drawn.winners)
    creates = [r for r in world.audit_rows(entity="booking") if r.action == "create" and r.at == DRAW]
    assert sorted(r.entity_id for r in creates) == [h.id for h in holds]
    assert all(r.staff_id == world.manager.id and r.at == DRAW for r in creates)
    draws = world.audit_rows(entity="lottery_draw")
    assert len(draws) == 1 and f"仮予約{len(holds)}件" in draws[0].summary
    with world.read() as s:
        assert audit_log.verify_chain(s).broken_id is None

    # The same input through the ordinary save (the hold cancelled first), on the first-come day.
    h = holds[0]
    with world.read() as s:
        bulk_charges = [(c.kind, c.description, c.quantity, c.unit_price, c.amount, c.tax, c.status)
                        for c in s.scalars(select(Charge).where(Charge.booking_id == h.id).order_by(Charge.id))]
        bulk_audit = [(a.action, a.entity, a.after) for a in s.scalars(
            select(AuditEntry).where(AuditEntry.at == DRAW, AuditEntry.entity.in_(("booking", "charge")))
            .order_by(AuditEntry.id)) if a.entity_id == h.id or (a.after or {}).get("booking_id") == h.id]
    with world.write() as s:
        booking_svc.cancel_booking(s, world.manager, h.id, "比較のため", now=DRAW)
    with world.write() as s:
        made = booking_svc.create_booking(s, world.manager, BookingInput(
            start=h.start_at, end=h.end_at, room_id=h.room_id, booker_kind="member", group_id=h.group_id,
            purpose=h.purpose, tentative=True, hold_until=h.hold_until, note=h.note), now=OPENS)
    with world.read() as s:
        b = s.get(Booking, made.id)
        assert b is not None
        same = [(k, getattr(b, k)) for k in ("room_id", "start_at", "end_at", "status", "booker_kind", "group_id",
                                             "booker_name", "purpose", "hold_until", "note", "attendees")]
        assert same == [(k, getattr(h, k)) for k, _v in same]
        charges = [(c.kind, c.description, c.quantity, c.unit_price, c.amount, c.tax, c.status)
                   for c in s.scalars(select(Charge).where(Charge.booking_id == made.id).order_by(Charge.id))]
        ordinary = [(a.action, a.entity) for a in s.scalars(
            select(AuditEntry).where(AuditEntry.action.in_(("quote", "create")),
                                     AuditEntry.entity.in_(("booking", "charge")))
            .order_by(AuditEntry.id)) if a.entity_id == made.id or (a.after or {}).get("booking_id") == made.id]
    assert charges == bulk_charges
    assert ordinary == [(a, e) for a, e, _after in bulk_audit]


def test_a_hold_on_a_slot_booked_unseen_is_refused_and_nothing_is_saved(world: World, monkeypatch):
    """If the draw's read of the booked slots missed one (as a booking committed by another terminal between
    the read and the write would be), the guard refuses the 仮予約 and the whole draw rolls back."""
    g, other = world.make_group("抽選の会"), world.make_group("先の会")
    tue = date(2027, 3, 2)
    with world.write() as s:
        lot.take_entry(s, world.desk, lot.EntryInput(g, MONTH, "counter", [[_slot(world, "大会議室", tue)]]),
                       now=TAKE)
    world.book(at(tue, 18), at(tue, 22), group_id=other, now=TAKE, actor=world.manager, override_reason=HELD)
    monkeypatch.setattr(lot, "blocks_slot_sql", lambda today: sqlalchemy.false())  # the read sees nothing
    with pytest.raises(ConflictError, match="当選の区分に既に予約があります|他の端末が当選の区分を予約しました"):
        with world.write() as s:
            lot.run_draw(s, world.manager, MONTH, now=DRAW, seed="x")
    assert world.count(LotteryDraw) == 0 and world.count(Booking) == 1
    with world.read() as s:
        assert list(s.scalars(select(LotteryWish.booking_id))) == [None]
