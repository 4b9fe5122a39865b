"""The common new booking, saved with plain SQL on the session's own DBAPI connection (SQLite and PostgreSQL).

Why this exists: the issue's speed target puts a new booking within 3 × of the same transaction
written by hand with ``sqlite3`` (BEGIN IMMEDIATE, one overlap query, one INSERT, COMMIT), and within
5 ms on PostgreSQL at 1M bookings. Through the ORM a save costs ~2 ms on SQLite, of which ~0.85 ms is the
unit of work alone; on PostgreSQL the ORM path makes ~12 round trips with SQLAlchemy's work between
them. This module does the same save with ~8 statements on the DBAPI cursor of the session's
connection, inside the session's transaction (so ``write_session`` still commits or rolls back
everything, and the caller can go on using the session).

It decides nothing of its own. It takes the **plain case only** — a valid input whose slot has no
conflict, no closed day, no hours or window problem, no overdue hold to expire — and answers ``None``
for anything else, and then ``create_booking`` runs the ORM path, which finds the same problem and
raises the desk's message (or applies a manager's override). The rules it does apply are the same
functions the ORM path calls (``check_input``, ``hours.check_slot``/``check_window``,
``peak_in_use``, ``room_fee_lines``...), and ``tests/services/test_booking_fast_save.py`` checks on
both databases that both paths write identical rows (booking, equipment lines, charges, audit
entries with their hash chain) for the same input.

PostgreSQL's guards hold here as on the ORM path: the exclusion constraint refuses an overlapping row
another terminal committed since the check (the same 「他の端末が同じ部屋・時間を予約しました」), the
equipment types are locked ``FOR UPDATE`` in id order, and the audit rows are numbered and chained by
the server's trigger. Errors raised by the driver itself (a lock time-out) are turned into ``Busy`` by
``store.engine`` like SQLAlchemy's.
"""

from __future__ import annotations

import functools
import json
from datetime import date, datetime, timedelta
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Date, bindparam, insert
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session, aliased

from booking_app.domain import booking_rules, hours
from booking_app.domain.booking_rules import GROUP_BARRED, BookingStatus, peak_in_use
from booking_app.domain.fees import FeeSchedule, load_default_fees
from booking_app.domain.groups import effective_status
from booking_app.domain.profile import CentreProfile, load_default_profile
from booking_app.services import fees
from booking_app.services.booking_plan import booking_number, plan_new_booking, quote_after, quote_summary
from booking_app.services.booking_views import BookingInput, BookingView, EquipmentLine, check_input, overlap_error
from booking_app.services.centre import PROFILE_KEY
from booking_app.services.common import Actor, jsonable
from booking_app.store.audit_chain import note_written, pg_append, sqlite_append, sqlite_tail, sqlite_ts
from booking_app.store.models import Base, Booking


_T = TypeVar("_T")



@functools.cache
def _rule(name: str, alias: str | None = None) -> tuple[str, tuple[str, ...], dict[str, Any]]:
    """The domain's SQL rule (``booking_rules.blocks_slot_sql`` / ``hold_lapsed_sql``) as SQLite text.

    Compiled once from the same SQLAlchemy expression the ORM path uses, so "what blocks a slot" is
    written in one place; ``_rule_args`` gives its ``?`` values for a day.
    """
    row = aliased(Booking, name=alias) if alias else Booking
    expr = getattr(booking_rules, name)(bindparam("today", date.min, type_=Date), row)
    compiled = expr.compile(dialect=sqlite.dialect(paramstyle="qmark"), compile_kwargs={"render_postcompile": True})
    return str(compiled), tuple(compiled.positiontup), dict(compiled.params)


def _rule_args(name: str, today: date, alias: str | None = None, *, pg: bool = False) -> list[Any]:
    _sql, order, params = _rule(name, alias)
    day = today if pg else today.isoformat()
    return [day if key == "today" else params[key] for key in order]


def _rule_sql(name: str, alias: str | None = None) -> str:
    return _rule(name, alias)[0]


@functools.cache
def _pg(sql: str) -> str:
    """A statement of this module (written with SQLite's ``?``) in psycopg's ``%s`` style. No statement
    here contains a ``%`` or a literal ``?``."""
    assert "%" not in sql
    return sql.replace("?", "%s")


@functools.cache
def _insert(table: str, columns: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """An INSERT of ``columns`` into ``table``, compiled once from the table metadata (SQLite's ``?``
    style; ``_pg`` turns it into psycopg's), and the order its values go in."""
    stmt = insert(Base.metadata.tables[table]).values({c: bindparam(c) for c in columns})
    compiled = stmt.compile(dialect=sqlite.dialect(paramstyle="qmark"))
    assert compiled.positiontup is not None  # a positional (qmark) compile always has its order
    return str(compiled), tuple(compiled.positiontup)


_CHARGE = ("booking_id", "group_id", "payer_name", "kind", "description", "quantity", "unit_price", "amount",
           "tax", "status", "created_at", "created_by")

# Parsed settings keyed by their stored JSON text: parsing the profile costs more than the whole
# rest of a save, and the text changes only when a manager saves the settings.
_parsed: dict[tuple[str, str], Any] = {}


_ts = sqlite_ts


def _day(s: str | date | None) -> date | None:
    if isinstance(s, date):
        return s  # PostgreSQL hands back dates
    return date.fromisoformat(s[:10]) if s else None


def _when(s: str | datetime) -> datetime:
    return s if isinstance(s, datetime) else datetime.fromisoformat(s)


class _Db:
    """The session's own DBAPI cursor, and how this database spells statements and values.

    SQLite (sqlite3): ``?`` parameters, DateTime/Date as SQLAlchemy's text, ``lastrowid``.
    PostgreSQL (psycopg): ``%s`` parameters, native datetime/date, ``RETURNING id``; statements go
    straight to the driver, so no SQLAlchemy work sits between the round trips.
    """

    def __init__(self, session: Session) -> None:
        conn = session.connection()  # SQLite: BEGIN IMMEDIATE happens here
        self.pg = conn.dialect.name == "postgresql"
        driver = conn.connection.driver_connection
        assert driver is not None  # a checked-out connection always has its driver's
        # sqlite3.Cursor or psycopg.Cursor: the two share what is used here, and no stub names both
        self.cur: Any = driver.cursor()

    def execute(self, sql: str, args: Sequence[Any] = ()) -> Any:
        """Run ``sql`` (``?`` style) and return the driver's cursor, to iterate or fetch from."""
        return self.cur.execute(_pg(sql) if self.pg else sql, args)

    def insert(self, sql: str, args: Sequence[Any]) -> int:
        """Run an INSERT and return the new row's id."""
        new_id: int
        if self.pg:
            new_id = self.cur.execute(_pg(sql + " RETURNING id"), args).fetchone()[0]
            return new_id
        self.cur.execute(sql, args)
        new_id = self.cur.lastrowid
        return new_id

    def ts(self, d: datetime) -> datetime | str:
        return d if self.pg else _ts(d)

    def day(self, d: date | None) -> date | str | None:
        return d if self.pg or d is None else d.isoformat()

    def insert_row(self, table: str, row: dict[str, Any]) -> int:
        """INSERT a plan's row (column → value); on SQLite dates and times go in as SQLAlchemy's text."""
        sql, order = _insert(table, tuple(row))
        if self.pg:
            return self.insert(sql, [row[c] for c in order])
        # PERF: ``type() is`` rather than isinstance, ~20 values a save (a datetime is also a date)
        return self.insert(sql, [_ts(v) if type(v) is datetime else v.isoformat() if type(v) is date else v
                                 for v in map(row.__getitem__, order)])


def _setting(key: str, text: str | None, parse: Callable[[Any], _T], default: Callable[[], _T]) -> _T:
    """The parsed setting of stored JSON ``text`` (None: not stored, the shipped default)."""
    if text is None:
        return default()
    cached = _parsed.get((key, text))
    if cached is None:
        if len(_parsed) > 16:
            _parsed.clear()
        cached = _parsed[(key, text)] = parse(json.loads(text))
    parsed: _T = cached  # stored under this key by this parse
    return parsed


def _profile(text: str | None) -> CentreProfile:
    return _setting(PROFILE_KEY, text, CentreProfile.from_dict, load_default_profile)


def _fees(text: str | None) -> FeeSchedule:
    # get_fees merges the stored sections over the defaults; reuse it on the parsed JSON so the merge
    # rule stays in one place.
    def parse(stored: dict[str, Any] | None) -> FeeSchedule:
        return fees.merge_fees(stored or {})

    return _setting(fees.FEES_KEY, text, parse, load_default_fees)


@functools.cache
def _facts_sql() -> str:
    """Everything the plain case reads before writing, in ONE statement (one round trip on PostgreSQL,
    where each costs more than the work): the room, the group, the stored profile and fee tables (as
    text: PostgreSQL's json column would come back parsed, and the text is the cache key), whether any
    hold is overdue, and whether the room's slot is taken (``bookings.blocks_slot_sql``, the same rule
    as the ORM path's conflict query, with the same index range). One row always (the LEFT JOINs)."""
    return (
        "SELECT r.name, r.capacity, r.active, g.id, g.name, g.reg_no, g.status, g.valid_until, "
        "(SELECT CAST(value AS TEXT) FROM centre_settings WHERE key = ?), "
        "(SELECT CAST(value AS TEXT) FROM centre_settings WHERE key = ?), "
        f"EXISTS (SELECT 1 FROM bookings WHERE {_rule_sql('hold_lapsed_sql')}), "
        "EXISTS (SELECT 1 FROM bookings WHERE room_id = ? AND start_at < ? AND start_at > ? AND end_at > ? "
        f"AND {_rule_sql('blocks_slot_sql')}) "
        "FROM (SELECT 1 AS one) AS one LEFT JOIN rooms r ON r.id = ? LEFT JOIN member_groups g ON g.id = ?"
    )


# The two-key advisory lock space of "a booking is being saved for this room" (0x524F4F4D = "ROOM").
ROOM_LOCK_SPACE = 0x524F4F4D


def try_create(session: Session, actor: Actor, data: BookingInput, now: datetime) -> BookingView | None:
    """Save ``data`` as a new confirmed/tentative booking with plain SQL, or return None.

    ``None`` means "not the plain case": the caller runs the ORM path, which raises the message.
    Nothing has been written when None is returned.
    """
    try:
        check_input(data)
    except Exception:  # noqa: BLE001 - the ORM path raises the same error with its message
        return None
    if data.tentative and data.hold_until is not None and data.hold_until < now.date():
        return None
    if data.override_reason.strip():
        return None  # an override is recorded only when a rule is broken: the ORM path decides
    if data.reduction_code:
        return None  # 減免: a manager's approval, checked (and refused) by the ORM path

    db = _Db(session)
    pg = db.pg
    today = now.date()

    start, end, since = db.ts(data.start), db.ts(data.end), db.ts(data.start - timedelta(days=1))
    member = data.booker_kind == "member"
    if pg and data.room_id is not None:
        # Terminals booking the same room take turns, in a statement of its own before the read (whose
        # snapshot must follow the lock): the next one then reads the winner's booking and gets the conflict
        # message. Without it, eight terminals inserting the same slot at once each waited in the exclusion
        # constraint's check for another, and the deadlocks the server broke came out as 「別の端末が処理中」
        # (test_concurrency on PostgreSQL). Held to commit; a separate key space from the audit chain's.
        db.execute("SELECT pg_advisory_xact_lock(?, ?)", [ROOM_LOCK_SPACE, data.room_id])
    (room_name, capacity, room_active, g_id, g_name, g_reg_no, g_status, g_valid_until, profile_text, fees_text,
     lapsed, taken) = db.execute(_facts_sql(), [
         PROFILE_KEY, fees.FEES_KEY, *_rule_args("hold_lapsed_sql", today, pg=pg),
         data.room_id, end, since, start, *_rule_args("blocks_slot_sql", today, pg=pg),
         data.room_id, data.group_id if member else None]).fetchone()
    room = None
    if data.room_id is not None:
        if room_name is None or not room_active or data.attendees > capacity:
            return None
        room = (room_name, capacity)
    if lapsed or taken:
        # An overdue hold would be expired (and audited) by the ORM path before the check; a taken slot
        # is the ORM path's conflict message.
        return None
    wanted = {t: q for t, q in data.equipment.items() if q}
    types: dict[int, tuple[str, int | None, str]] = {}
    if wanted:
        marks = ",".join("?" * len(wanted))
        # PostgreSQL: lock the types in id order, as bookings._lock_equipment does, so two terminals
        # cannot both see the last unit free (SQLite's BEGIN IMMEDIATE already serialises writers).
        lock = " ORDER BY id FOR UPDATE" if pg else ""
        for tid, name, stock, unit, active in db.execute(
            f"SELECT id, name, stock, unit, active FROM equipment_types WHERE id IN ({marks}){lock}",
            sorted(wanted)
        ):
            if active:
                types[tid] = (name, stock, unit)
        if len(types) != len(wanted):
            return None

    group_id, booker_name, reg_no, is_member = None, data.booker_name.strip(), None, False
    if member:
        if g_id is None or g_status in GROUP_BARRED:
            return None
        group_id, booker_name, reg_no = data.group_id, g_name, g_reg_no
        is_member = effective_status(g_status, _day(g_valid_until), today).in_good_standing

    profile = _profile(profile_text)
    if hours.check_slot(profile, data.start, data.end):
        return None
    if hours.check_window(profile, today, data.start.date(), is_member) is not None:
        return None
    counted = [t for t in wanted if types[t][1] is not None]
    if counted:
        usage: dict[int, list[tuple[datetime, datetime, int]]] = {t: [] for t in counted}
        marks = ",".join("?" * len(counted))
        # Same plan as bookings.equipment_in_use (see the PERF note there): start from the time range.
        for tid, s, e, qty in db.execute(
            "SELECT be.equipment_type_id, b.start_at, b.end_at, be.quantity FROM booking_equipment be "
            "JOIN bookings b ON b.id = be.booking_id "
            f"WHERE be.equipment_type_id + 0 IN ({marks}) AND b.start_at < ? AND b.start_at > ? "
            f"AND b.end_at > ? AND {_rule_sql('blocks_slot_sql', 'b')}",
            [*counted, end, since, start, *_rule_args("blocks_slot_sql", today, "b", pg=pg)],
        ):
            usage[tid].append((_when(s), _when(e), qty))
        for tid, intervals in usage.items():
            stock = types[tid][1]
            assert stock is not None  # counted holds only the types with a stock
            if peak_in_use(intervals, data.start, data.end) + wanted[tid] > stock:
                return None

    # ---- the plain case: write the rows of booking_plan.plan_new_booking, in the ORM path's order
    fee_class = "member" if is_member else "general"
    plan = plan_new_booking(
        data, actor_id=actor.id, now=now, group=(group_id, booker_name) if group_id is not None else None,
        quote=(_fees(fees_text), profile, room[0] if room is not None else None,
               {t: types[t][0] for t in wanted}, fee_class))
    row = plan.booking | {"version": 1}
    if pg:
        from psycopg import errors as pg_errors

        try:
            booking_id = db.insert_row("bookings", row)
        except pg_errors.ExclusionViolation:
            # Another terminal booked the slot since the check: the exclusion constraint's answer,
            # worded as the ORM path words it (the transaction is rolled back by write_session).
            raise overlap_error("保存") from None
    else:
        booking_id = db.insert_row("bookings", row)
    number = booking_number(booking_id)
    if plan.equipment:
        sql, _order = _insert("booking_equipment", ("booking_id", "equipment_type_id", "quantity"))
        db.cur.executemany(_pg(sql) if pg else sql, [(booking_id, t, q) for t, q in plan.equipment])

    stamp = db.ts(now)
    sql, order = _insert("charges", _CHARGE)
    charge_ids = [db.insert(sql, [
        {"booking_id": booking_id, "group_id": group_id, "payer_name": booker_name, "kind": ln.kind,
         "description": ln.description, "quantity": ln.quantity, "unit_price": ln.unit_price, "amount": ln.amount,
         "tax": ln.tax, "status": "open", "created_at": stamp, "created_by": actor.id}[c] for c in order])
        for ln in plan.charges]
    # 'null' as the ORM's JSON type writes a None ``before`` (a JSON null, not SQL NULL); the row is
    # numbered and chained like the ORM's (store/audit_chain.py): on SQLite here, the chain's tail read
    # once for both rows (the write lock is held); on PostgreSQL by the server's trigger.
    if pg:
        def append(**row: Any) -> None:
            pg_append(db.cur, **row)
    else:
        tail = sqlite_tail(db.cur)

        def append(**row: Any) -> None:
            nonlocal tail
            tail = sqlite_append(db.cur, tail=tail, **row)

    if charge_ids:
        append(at=now, staff_id=actor.id, action="quote", entity="charge", entity_id=None,
               summary=quote_summary(number, len(charge_ids), plan.charges_total, 0),
               before="null", after=json.dumps(quote_after(booking_id, charge_ids, [])))
    append(at=now, staff_id=actor.id, action="create", entity="booking", entity_id=booking_id,
           summary=plan.created_summary(booking_id), before="null", after=json.dumps(jsonable(plan.snapshot())))
    if not pg:
        # For the change watcher, as seal_new_entries does: the ids of this save's audit rows (the last
        # one and, before it, the quote's).
        note_written(session, range(tail[0] - (1 if charge_ids else 0), tail[0] + 1))
    status = BookingStatus(plan.booking["status"])
    hold_until = plan.booking["hold_until"]
    return BookingView(
        id=booking_id, number=number, room_id=data.room_id, room_name=room[0] if room is not None else "",
        start=data.start, end=data.end, status=status.value, status_label=status.label,
        booker_kind=data.booker_kind, group_id=group_id, group_reg_no=reg_no, booker_name=booker_name,
        contact_phone=data.contact_phone.strip(), purpose=data.purpose.strip(), attendees=data.attendees,
        actual_users=None,
        equipment=tuple(EquipmentLine(t, types[t][0], q, types[t][2]) for t, q in wanted.items()),
        series_id=None, hold_until=hold_until, status_reason="", override_reason="", note=data.note, version=1,
    )
