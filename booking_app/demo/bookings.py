"""The demo's bulk bookings, written from the desk's own plan.

A year holds thousands of single bookings; through ``bookings.create_booking`` each would cost its
conflict queries and flushes. So the demo picks free slots against an in-memory occupancy
(``slots.Occupancy``) and writes the bookings in bulk, but each one's rows come from
``services.booking_plan.plan_new_booking``, the plan the desk's save writes: the ``bookings`` row, its
equipment lines, its open charges (the quote of its fee class on the day it was booked) and its audit
entries (``quote``, then ``create``), stamped when it was booked. What happened to it afterwards (checked
out with a head count, cancelled with a reason (its open charges cancelled with it, as
``fees.sync_booking_charges`` does), a no-show) is an :class:`Outcome` applied on top.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from booking_app.demo.groups import person, phone
from booking_app.demo.slots import Occupancy, add_months, attendees
from booking_app.demo.tables import CANCEL_REASONS, PERSON_PURPOSES, PRINT_PURPOSES, PURPOSES, UNREGISTERED
from booking_app.domain.booking_rules import DEAD, BookingStatus
from booking_app.domain.fees import FeeSchedule
from booking_app.domain.groups import effective_status
from booking_app.domain.profile import CentreProfile
from booking_app.services.booking_plan import (
    NewBookingPlan,
    cancel_after,
    cancelled_summary,
    plan_new_booking,
    quote_after,
    quote_summary,
)
from booking_app.services.bookings import BookingInput
from booking_app.services.common import Actor, audit
from booking_app.store.models import Booking, BookingEquipment, Charge, EquipmentType, MemberGroup, Room

NO_SHOW_REASON = "連絡なく来館されなかった"


@dataclass(frozen=True)
class Outcome:
    """When a booking was made and what became of it.

    ``tentative``/``hold_until``: how it was booked (a 仮予約 holds till then). ``status``,
    ``status_reason``, ``actual_users`` and ``updated_at``: where it stands now.
    """

    created_at: datetime
    status: str
    updated_at: datetime
    status_reason: str = ""
    actual_users: int | None = None
    tentative: bool = False
    hold_until: date | None = None

    def columns(self) -> dict[str, Any]:
        """The ``bookings`` columns the outcome changes after the plan's row."""
        return {"status": self.status, "status_reason": self.status_reason, "actual_users": self.actual_users,
                "updated_at": self.updated_at}


def booked_at(rng: random.Random, day: date, *, months_ahead: int, today: date, now: datetime) -> datetime:
    """When a booking of ``day`` was made: 2–70 days before, not before its booking window opened
    (the 1st of the month ``months_ahead`` before, as ``hours.window_end`` counts) and not after the
    demo's clock."""
    made = day - timedelta(days=rng.randint(2, 70))
    made = min(max(made, add_months(day, -months_ahead)), today)
    return min(datetime.combine(made, time(rng.randint(9, 20), rng.choice((0, 15, 30, 45)))), now)


def settle(rng: random.Random, start: datetime, end: datetime, booked_for: int, *, created_at: datetime,
           updated_at: datetime, today: date, now: datetime, may_hold: bool, status: str = "",
           no_shows: float = 0.015) -> Outcome:
    """What happened to a booking: past ones mostly checked out with the head count, ~5 % cancelled
    with a reason, ``no_shows`` of them no-shows; coming ones now and then cancelled, and (``may_hold``)
    some of the next three weeks held as 仮予約. ``status``: its status when booked ('' = confirmed)."""
    day = start.date()
    r = rng.random()
    if day < today:
        if r < 0.05:
            reason = rng.choice(CANCEL_REASONS)
            return Outcome(created_at, BookingStatus.CANCELLED.value,
                           max(created_at, start - timedelta(days=rng.randint(1, 10))), reason)
        if r < 0.05 + no_shows:
            return Outcome(created_at, BookingStatus.NO_SHOW.value, start + timedelta(minutes=30), NO_SHOW_REASON)
        users = max(1, booked_for + rng.randint(-3, 2)) if booked_for else rng.randint(1, 2)
        return Outcome(created_at, BookingStatus.COMPLETED.value, end + timedelta(minutes=rng.choice((0, 5, 10))),
                       actual_users=users)
    if r < 0.03:
        reason = rng.choice(CANCEL_REASONS)
        return Outcome(created_at, BookingStatus.CANCELLED.value,
                       max(created_at, now - timedelta(days=rng.randint(0, 5))), reason)
    if may_hold and day > today and (day - today).days <= 21 and r < 0.13:
        hold = min(day, today + timedelta(days=rng.randint(1, 7)))
        return Outcome(created_at, BookingStatus.TENTATIVE.value, updated_at, tentative=True, hold_until=hold)
    return Outcome(created_at, status or BookingStatus.CONFIRMED.value, updated_at)


def single(rng: random.Random, room: Room, start: datetime, end: datetime, order: Sequence[MemberGroup],
           weights: Sequence[float], types: Mapping[str, EquipmentType], occ: Occupancy) -> BookingInput:
    """A room booking: mostly a registered group's meeting, now and then a group not registered (with
    its representative noted) or one person; equipment asked for only while some is free."""
    booked_for = attendees(rng, room)
    r = rng.random()
    if r < 0.86:
        g = rng.choices(order, weights)[0]
        data = BookingInput(start, end, room.id, "member", g.id, g.name, g.phone, rng.choice(PURPOSES))
    elif r < 0.94:
        data = BookingInput(start, end, room.id, "group", None, rng.choice(UNREGISTERED), phone(rng),
                            rng.choice(PURPOSES), note=f"代表者：{person(rng)}")
        booked_for = max(2, booked_for)
    else:
        data = BookingInput(start, end, room.id, "person", None, person(rng), phone(rng).replace("083", "090", 1),
                            rng.choice(PERSON_PURPOSES))
        booked_for = rng.randint(1, min(4, room.capacity))
    wanted: dict[int, int] = {}
    if rng.random() < 0.16 and "プロジェクター" in types:
        wanted[types["プロジェクター"].id] = 1
        if rng.random() < 0.7 and "スクリーン" in types:
            wanted[types["スクリーン"].id] = 1
    if rng.random() < 0.12 and "ホワイトボード" in types:
        wanted[types["ホワイトボード"].id] = 1
    if room.capacity >= 30 and rng.random() < 0.15 and "ワイヤレスマイク" in types:
        wanted[types["ワイヤレスマイク"].id] = 1
    by_id = {t.id: t for t in types.values()}
    # Equipment already lent out at that time is simply not asked for, as the desk would tell the group.
    wanted = {t: q for t, q in wanted.items() if occ.equipment_free(by_id[t], q, start, end)}
    occ.take(room.id, start, end, wanted)
    return replace(data, attendees=booked_for, equipment=wanted)


def equipment_only(rng: random.Random, open_t: datetime, close_t: datetime, equipment: Sequence[EquipmentType],
                   order: Sequence[MemberGroup], weights: Sequence[float], occ: Occupancy,
                   density: float) -> list[BookingInput]:
    """A day's bookings of the printing machine and its kin, without a room (1–3 people each)."""
    out: list[BookingInput] = []
    for _ in range(rng.randint(2, 6)):
        if rng.random() > density or not equipment:
            continue
        et = rng.choice(equipment)
        start = open_t + timedelta(minutes=30 * rng.randint(0, int((close_t - open_t).seconds / 1800) - 2))
        end = start + timedelta(minutes=rng.choice((30, 60, 60, 90)))
        if end <= close_t and occ.equipment_free(et, 1, start, end):
            g = rng.choices(order, weights)[0]
            out.append(BookingInput(start, end, None, "member", g.id, g.name, g.phone, rng.choice(PRINT_PURPOSES),
                                    rng.randint(1, 3), {et.id: 1}))
            occ.take(None, start, end, {et.id: 1})
    return out


class Planner:
    """Plans bulk bookings as the desk's save does, from facts read once: the fee tables, the profile,
    the room and equipment names, and each group's standing (its fee class on the day it booked)."""

    def __init__(self, schedule: FeeSchedule, profile: CentreProfile, rooms: Iterable[Room],
                 types: Iterable[EquipmentType], groups: Iterable[MemberGroup], desk: Actor) -> None:
        self.schedule, self.profile, self.desk = schedule, profile, desk
        self.room_names = {r.id: r.name for r in rooms}
        self.type_names = {t.id: t.name for t in types}
        self.groups = {g.id: g for g in groups}

    def plan(self, data: BookingInput, outcome: Outcome) -> NewBookingPlan:
        group = self.groups.get(data.group_id) if data.booker_kind == "member" and data.group_id else None
        fee_class = "general"
        if group is not None and effective_status(group.status, group.valid_until,
                                                  outcome.created_at.date()).in_good_standing:
            fee_class = "member"
        booked = replace(data, tentative=outcome.tentative, hold_until=outcome.hold_until)
        room_name = self.room_names.get(data.room_id) if data.room_id is not None else None
        return plan_new_booking(booked, actor_id=self.desk.id, now=outcome.created_at,
                                group=(group.id, group.name) if group is not None else None,
                                quote=(self.schedule, self.profile, room_name, self.type_names, fee_class))


def write_bookings(session: Session, desk: Actor,
                   planned: Sequence[tuple[NewBookingPlan, Outcome]]) -> tuple[list[Booking], dict[int, list[Charge]]]:
    """Write planned bookings in bulk: rows, equipment lines, open charges, and the audit entries each
    save writes (``quote`` then ``create``, when it was booked); then the outcome: a cancelled booking's
    open charges are cancelled with a ``cancel`` entry, as ``fees.sync_booking_charges`` does then (a
    no-show's stay open: the desk waives them or not). Returns the bookings (in number order) and their
    charges by booking id."""
    bookings: list[Booking] = []
    for plan, outcome in planned:
        b = Booking(**(plan.booking | outcome.columns()))
        b.equipment = [BookingEquipment(equipment_type_id=t, quantity=q) for t, q in plan.equipment]
        bookings.append(b)
    session.add_all(bookings)
    session.flush()
    charges = {b.id: [Charge(**row) for row in plan.charge_rows(b.id)]
               for b, (plan, _outcome) in zip(bookings, planned) if plan.charges}
    session.add_all(c for rows in charges.values() for c in rows)
    session.flush()
    for b, (plan, outcome) in sorted(zip(bookings, planned), key=lambda item: item[0].id):
        rows = charges.get(b.id, [])
        if rows:
            audit(session, desk, "quote", "charge", None,
                  quote_summary(b.number, len(rows), plan.charges_total, 0),
                  after=quote_after(b.id, [c.id for c in rows], []), now=outcome.created_at)
        audit(session, desk, "create", "booking", b.id, plan.created_summary(b.id), after=plan.snapshot(),
              now=outcome.created_at)
        if rows and b.status in DEAD:
            for c in rows:
                c.status = "cancelled"
            audit(session, desk, "cancel", "charge", None,
                  cancelled_summary(b.number, len(rows), BookingStatus(b.status)),
                  after=cancel_after(b.id, [c.id for c in rows]), now=outcome.updated_at)
    bookings.sort(key=lambda b: b.id)
    return bookings, charges
