"""Booking use cases (予約): create, edit, cancel, check in and out, mark no-show.

Each public function is one unit of work inside the caller's transaction (``write_session``): it
checks the rules, writes, records the audit entry and returns plain dataclasses. Nothing here knows
about Qt. Double booking is refused twice over: a friendly check first (naming what is in the way),
then the database's own guard (PostgreSQL exclusion constraint; SQLite's write lock, taken at BEGIN).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Date, Select, bindparam, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, lazyload
from sqlalchemy.orm.exc import StaleDataError

from booking_app.domain import hours
from booking_app.domain.booking_rules import (
    CHECK_IN_FROM,
    UNDO_BACK,
    EDITABLE,
    GROUP_BARRED,
    BookingStatus,
    can_transition,
    hold_lapsed,
    override_wanted,
    peak_in_use,
)
from booking_app.domain.groups import effective_status
from booking_app.domain.errors import (
    ConflictError,
    NotFound,
    PermissionDenied,
    RuleError,
    ValidationError,
)
from booking_app.domain.profile import CentreProfile
from booking_app.services.booking_fast_save import try_create
from booking_app.services.booking_plan import booking_snapshot, created_summary, hm, plan_new_booking
from booking_app.services.centre import get_profile
from booking_app.services.lottery_first_come import first_come_refusal
from booking_app.services.common import Actor, audit, current_staff, deny, is_manager, local_now
# HOOK: a booking's open charges follow its quote; see services/fees.py.
from booking_app.services.fees import sync_booking_charges
from booking_app.services.reductions import check_new_reduction
from booking_app.services.booking_views import (
    EXPIRED_REASON,
    BookingInput,
    BookingView,
    EquipmentLine,
    _today,
    blocks_slot_sql,
    check_input,
    get_booking,
    hold_lapsed_sql,
    overlap_error,
    to_view,
    views_for,
)
from booking_app.services.stats.month_lock import ensure_month_open
from booking_app.services.text_search import contains
from booking_app.store.models import Booking, BookingEquipment, EquipmentType, MemberGroup, Room

# EDITABLE and GROUP_BARRED, like every status set, are defined once in domain/booking_rules.py.
TENTATIVE = BookingStatus.TENTATIVE.value

# The SQLite save path of booking_fast_save.py; tests turn it off to compare it with the ORM path.
FAST_SAVE = True


# --------------------------------------------------------------------------- checks


@dataclass(frozen=True)
class Problem:
    """Why a slot cannot be taken: kind is 'conflict', 'closed' or 'rule' (overridable)."""

    kind: str
    message: str


def expire_overdue_holds(session: Session, today: date, actor: Actor | None = None) -> int:
    """Turn 仮予約 whose hold deadline has passed into 期限切れ so they stop blocking slots.

    Done inside each write, before the conflict check, so an expired hold never blocks
    anyone, whichever terminal is first to notice it. The indexed (status, hold_until) lookup
    makes this nearly free when nothing is overdue, which is almost always.
    """
    overdue = list(session.scalars(select(Booking.id).where(hold_lapsed_sql(today))))
    if not overdue:
        return 0
    session.execute(
        update(Booking)
        .where(Booking.id.in_(overdue), Booking.status == BookingStatus.TENTATIVE.value)
        .values(status=BookingStatus.EXPIRED.value, status_reason=EXPIRED_REASON, version=Booking.version + 1)
        .execution_options(synchronize_session="fetch")
    )
    if actor is not None:
        for booking_id in overdue:
            # Recorded under the staff member whose action noticed it; the summary says it was automatic.
            audit(session, actor, "expire", "booking", booking_id, f"予約{booking_id:07d}：仮予約の期限切れ（自動）",
                  before={"status": BookingStatus.TENTATIVE.value}, after={"status": BookingStatus.EXPIRED.value})
    return len(overdue)


def room_conflicts(
    session: Session, room_id: int, start: datetime, end: datetime, exclude_ids: Iterable[int] = (), *,
    today: date | None = None,
) -> list[Booking]:
    """Bookings of the room that block [start, end) on ``today`` (the clock's): one indexed query.

    Bookings never span midnight, so ``start_at > start - 1 day`` bounds the index range scan.
    """
    excl = [i for i in exclude_ids if i is not None]
    params = {"room_id": room_id, "end": end, "lo": start - timedelta(days=1), "start": start,
              "today": _today(today)}
    if excl:
        params["excl"] = excl
    return list(session.scalars(_room_conflicts_stmt(bool(excl)), params))


@cache
def _room_conflicts_stmt(with_exclusions: bool) -> Select[Booking]:
    """The conflict query, built once with bound parameters.

    PERF (bench/bench_bookings_*.py): building the expression (the blocks-the-slot rule is five
    comparisons) cost more than running it on SQLite; the statement is the same for every call.
    No eager 'selectin' of the equipment lines, which cost a second query whenever a conflict is
    found; callers use times and names (equipment still loads on access).
    """
    q = select(Booking).where(
        Booking.room_id == bindparam("room_id"),
        Booking.start_at < bindparam("end"),
        Booking.start_at > bindparam("lo"),
        Booking.end_at > bindparam("start"),
        blocks_slot_sql(bindparam("today", type_=Date)),
    )
    if with_exclusions:
        q = q.where(Booking.id.not_in(bindparam("excl", expanding=True)))
    return q.order_by(Booking.start_at).options(lazyload(Booking.equipment))


def equipment_in_use(
    session: Session, type_ids: Sequence[int], start: datetime, end: datetime, exclude_ids: Iterable[int] = (),
    *, today: date | None = None,
) -> dict[int, list[tuple[datetime, datetime, int]]]:
    """Intervals (start, end, quantity) of bookings blocking on ``today`` that use each type around [start, end)."""
    out: dict[int, list[tuple[datetime, datetime, int]]] = {t: [] for t in type_ids}
    if not type_ids:
        return out
    q = (
        select(BookingEquipment.equipment_type_id, Booking.start_at, Booking.end_at, BookingEquipment.quantity)
        .join(Booking, Booking.id == BookingEquipment.booking_id)
        .where(
            # PERF (bench/bench_bookings_sqlite.py): written so that the plan starts from the time
            # range (ix_bookings_start, a day or two of rows) whatever the statistics. SQLite has no
            # ANALYZE statistics on a desk database, and without them it picked the equipment-type
            # index (every line of that type ever lent: ~17,000 rows at 1M bookings, 15–20 ms)
            # or ix_bookings_status_hold for `status IN`. `+ 0` and `NOT IN` keep the same meaning
            # but cannot drive an index, so only the range can. 0.1 ms at 1M bookings.
            (BookingEquipment.equipment_type_id + 0).in_(list(type_ids)),
            Booking.start_at < end,
            Booking.start_at > start - timedelta(days=1),
            Booking.end_at > start,
            blocks_slot_sql(_today(today)),
        )
    )
    excl = [i for i in exclude_ids if i is not None]
    if excl:
        q = q.where(Booking.id.not_in(excl))
    for tid, s, e, qty in session.execute(q):
        out[tid].append((s, e, qty))
    return out


def _lock_equipment(session: Session, type_ids: Sequence[int]) -> dict[int, EquipmentType]:
    """Load (and on PostgreSQL lock, in id order to avoid deadlocks) the equipment types booked.

    The row lock serialises writers that take the same equipment, so two terminals cannot both see
    the last projector free. SQLite needs no row lock: BEGIN IMMEDIATE already serialises writers.
    """
    if not type_ids:
        return {}
    q = select(EquipmentType).where(EquipmentType.id.in_(sorted(type_ids))).order_by(EquipmentType.id)
    if session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update()
    return {e.id: e for e in session.scalars(q)}


def lapsed_message(b: Booking, *, cancelling: bool = False) -> str:
    """Why a lapsed 仮予約 cannot be confirmed, checked in, edited or cancelled: it already is 期限切れ."""
    assert b.hold_until is not None  # only a 仮予約 with a deadline lapses
    deadline = f"{b.hold_until.month}月{b.hold_until.day}日"
    if cancelling:
        return (f"この仮予約は保留期限（{deadline}）を過ぎて期限切れになっています。"
                "取り消す必要はありません（枠は空いています）。")
    return (f"この仮予約は保留期限（{deadline}）を過ぎたため期限切れです（枠は空いています）。"
            "利用する場合は新しく予約してください。")


def _check_hold(data: BookingInput, now: datetime) -> None:
    if data.tentative and data.hold_until is not None and data.hold_until < now.date():
        raise ValidationError("保留期限が過去の日付です。今日以降の日付を入力してください。", field="hold_until")


def _group_status(session: Session, data: BookingInput, today: date) -> tuple[MemberGroup | None, bool]:
    """The booking group and whether it counts as a registered member in good standing today.

    Registered and valid (有効・更新待ち): the member window and rates. Expired: booked as a general
    user. Suspended or deregistered: cannot book at all.
    """
    if data.booker_kind != "member":
        return None, False
    if data.group_id is None:
        raise ValidationError("登録団体を選んでください（未登録の団体・個人は区分を変えてください）。",
                              field="group")
    group = session.get(MemberGroup, data.group_id)
    if group is None:
        raise ValidationError("選んだ団体が見つかりません。団体を選び直してください。", field="group")
    if group.status in GROUP_BARRED:
        raise PermissionDenied(
            f"「{group.name}」は{GROUP_BARRED[group.status]}のため予約できません。"
            + (f"（理由：{group.status_reason}）" if group.status_reason else "")
            + "管理者に相談してください。"
        )
    return group, effective_status(group.status, group.valid_until, today).in_good_standing


def _validate_fields(session: Session, data: BookingInput) -> tuple[Room | None, dict[int, EquipmentType]]:
    check_input(data)
    room = None
    if data.room_id is not None:
        room = session.get(Room, data.room_id)
        if room is None or not room.active:
            raise ValidationError("選んだ部屋は使えません。部屋を選び直してください。", field="room")
        if data.attendees > room.capacity:
            raise ValidationError(
                f"予定人数（{data.attendees}人）が{room.name}の定員（{room.capacity}人）を超えています。"
                "人数を減らすか、広い部屋を選んでください。",
                field="attendees",
            )
    wanted = [t for t, q in data.equipment.items() if q]
    types = _lock_equipment(session, wanted)
    for t in wanted:
        if t not in types or not types[t].active:
            raise ValidationError("選んだ備品は使えません。備品を選び直してください。", field="equipment")
    return room, types


def slot_problems(
    session: Session,
    profile: CentreProfile,
    data: BookingInput,
    *,
    today: date,
    is_member: bool,
    exclude_ids: Iterable[int] = (),
    check_window: bool = True,
    types: dict[int, EquipmentType] | None = None,
) -> list[Problem]:
    """Everything that stands in the way of this slot: closures, hours, window, rooms, equipment."""
    problems: list[Problem] = []
    for rb in hours.check_slot(profile, data.start, data.end):
        kind = "closed" if rb.code == "closed" else "rule"
        problems.append(Problem(kind, rb.message))
    if check_window:
        window = hours.check_window(profile, today, data.start.date(), is_member)
        if window is not None:
            problems.append(Problem("rule", window.message))
    exclude_ids = list(exclude_ids)
    first_come = first_come_refusal(session, profile.lottery, data, today, exclude_ids)  # 抽選の部屋 (issue 18)
    if first_come is not None:
        problems.append(Problem("rule", first_come))
    if data.room_id is not None:
        room = session.get(Room, data.room_id)
        for other in room_conflicts(session, data.room_id, data.start, data.end, exclude_ids, today=today):
            assert room is not None  # a booking holds the room, so it exists
            problems.append(Problem("conflict", _conflict_text(session, room.name, other)))
    wanted = {t: q for t, q in data.equipment.items() if q}
    if wanted:
        types = types if types is not None else {
            e.id: e for e in session.scalars(select(EquipmentType).where(EquipmentType.id.in_(list(wanted))))
        }
        usage = equipment_in_use(session, [t for t in wanted if types[t].stock is not None], data.start,
                                 data.end, exclude_ids, today=today)
        for tid, intervals in usage.items():
            et = types[tid]
            peak = peak_in_use(intervals, data.start, data.end)
            assert et.stock is not None  # usage holds only the types with a stock
            if peak + wanted[tid] > et.stock:
                free = max(et.stock - peak, 0)
                problems.append(Problem(
                    "conflict",
                    f"{et.name}は{hm(data.start)}〜{hm(data.end)}に{et.stock}{et.unit}中{peak}{et.unit}が予約済みで、"
                    f"残りは{free}{et.unit}です（{wanted[tid]}{et.unit}は貸し出せません）。",
                ))
    return problems


def _conflict_text(session: Session, room_name: str, other: Booking) -> str:
    who = other.booker_name
    if other.group_id is not None:
        g = session.get(MemberGroup, other.group_id)
        who = g.name if g else who
    return (
        f"{room_name}は{other.start_at:%m/%d} {hm(other.start_at)}〜{hm(other.end_at)}に既に予約があります"
        f"（予約番号{other.number}・{who}）。"
    )


def _raise_for(session: Session, problems: list[Problem], actor: Actor, override_reason: str) -> None:
    """Conflicts are final. Closed days, hours and windows give way only to a manager's written reason."""
    conflicts = [p for p in problems if p.kind == "conflict"]
    if conflicts:
        raise ConflictError("\n".join(p.message for p in conflicts))
    rules = [p for p in problems if p.kind in ("closed", "rule")]
    if not rules:
        return
    text = "\n".join(p.message for p in rules)
    if not override_wanted(override_reason):
        raise RuleError(text + "\n規則外で予約するには、管理者が理由を書いて許可してください。")
    if not is_manager(session, actor):  # the role on record, not the one the caller claims
        raise deny(session, actor, "規則外の予約", text + "\n規則外の予約は管理者のみ許可できます。")


def _flush_guarded(session: Session, what: str) -> None:
    """Flush, turning the database's own double-booking guard into the desk's conflict message."""
    try:
        session.flush()
    except StaleDataError:
        # The versioned UPDATE matched no row: another terminal changed this booking after we read it
        # (found by bench/stress_terminals.py on PostgreSQL, where both read before either committed).
        raise ConflictError("この予約は他の端末で変更されました。画面を更新してから、もう一度操作してください。") from None
    except IntegrityError as exc:
        if "ex_bookings_room_overlap" in str(exc.orig) or "exclusion" in str(exc.orig).lower():
            raise overlap_error(what) from None
        raise


def snapshot(b: Booking) -> dict[str, Any]:
    """The booking as its audit entries record it (``booking_plan.booking_snapshot``)."""
    return booking_snapshot(
        room_id=b.room_id, start=b.start_at, end=b.end_at, status=b.status, booker_kind=b.booker_kind,
        group_id=b.group_id, booker_name=b.booker_name, purpose=b.purpose, attendees=b.attendees,
        actual_users=b.actual_users, equipment={e.equipment_type_id: e.quantity for e in b.equipment},
        hold_until=b.hold_until, status_reason=b.status_reason, override_reason=b.override_reason,
        series_id=b.series_id, reduction_code=b.reduction_code)


# --------------------------------------------------------------------------- writing


def create_booking(session: Session, actor: Actor, data: BookingInput, *, now: datetime | None = None) -> BookingView:
    """Book a room and/or equipment for one date. Raises a DomainError with a Japanese message."""
    now = now or local_now()
    # Who writes is checked first (the fast path's plain-SQL audit rows do not pass through audit()).
    current_staff(session, actor)
    # A lottery room's month before its first-come day is no plain case (booking_fast_save knows no lottery).
    if FAST_SAVE and first_come_refusal(session, None, data, now.date()) is None:
        # PERF (the speed target; on PostgreSQL too): the plain case on plain SQL, see
        # booking_fast_save.py. It returns None for anything else, and the ORM path below then gives the
        # desk's message.
        view = try_create(session, actor, data, now)
        if view is not None:
            return view
    loaded: list[object] = []
    booking = _create(session, actor, data, now=now, keep=loaded)
    audit(session, actor, "create", "booking", booking.id, created_summary(booking.number, data.start, data.end),
          after=snapshot(booking), now=now)
    return to_view(session, booking, today=now.date())  # ``loaded`` keeps the room and group in the identity map till here


def _create(
    session: Session, actor: Actor, data: BookingInput, *, now: datetime, series_id: int | None = None,
    check_window: bool = True, keep: list[object] | None = None,
) -> Booking:
    profile = get_profile(session)
    room, types = _validate_fields(session, data)
    _check_hold(data, now)
    group, is_member = _group_status(session, data, now.date())
    if keep is not None:
        # PERF: the session's identity map holds objects weakly; holding the room and group here
        # saves to_view two more SELECTs (bench/bench_bookings_pg.py, ~0.3 ms a save).
        keep.extend((room, group))
    expire_overdue_holds(session, now.date(), actor)
    problems = slot_problems(session, profile, data, today=now.date(), is_member=is_member, types=types,
                             check_window=check_window)
    _raise_for(session, problems, actor, data.override_reason)
    override = data.override_reason.strip() if any(p.kind != "conflict" for p in problems) else ""
    check_new_reduction(session, actor, data.reduction_code)  # 減免: a manager's, a code of the settings
    # The rows of booking_plan.plan_new_booking, as the plain-SQL save and the demo seeder write them;
    # the charges follow from sync_booking_charges (which also re-quotes a changed booking).
    plan = plan_new_booking(data, actor_id=actor.id, now=now, group=(group.id, group.name) if group else None,
                            override_reason=override, series_id=series_id)
    booking = Booking(**plan.booking)
    booking.equipment = [BookingEquipment(equipment_type_id=t, quantity=q) for t, q in plan.equipment]
    session.add(booking)
    _flush_guarded(session, "保存")
    sync_booking_charges(session, actor, booking, now=now)  # charge the quote
    return booking


def _load_for_change(session: Session, booking_id: int, expected_version: int | None) -> Booking:
    b = session.get(Booking, booking_id)
    if b is None:
        raise NotFound(f"予約番号 {booking_id:07d} は見つかりません。")
    if expected_version is not None and b.version != expected_version:
        raise ConflictError("この予約は他の端末で変更されました。画面を更新してから、もう一度操作してください。")
    return b


def update_booking(
    session: Session, actor: Actor, booking_id: int, data: BookingInput, *,
    expected_version: int | None = None, now: datetime | None = None, detach: bool = True,
) -> BookingView:
    """Change a tentative or confirmed booking; it never counts against itself."""
    now = now or local_now()
    b = _load_for_change(session, booking_id, expected_version)
    _apply_update(session, actor, b, data, now=now)
    if detach and b.series_id is not None:
        b.series_detached = True  # a single-date edit survives later edits of the whole series
    return to_view(session, b, today=now.date())


def _apply_update(session: Session, actor: Actor, b: Booking, data: BookingInput, *, now: datetime) -> None:
    if b.status not in EDITABLE:
        raise RuleError(
            f"{BookingStatus(b.status).label}の予約は変更できません。"
            "取消済みの場合は新しく予約してください。"
        )
    profile = get_profile(session)
    room, types = _validate_fields(session, data)
    _check_hold(data, now)
    group, is_member = _group_status(session, data, now.date())
    if hold_lapsed(b.status, b.hold_until, now.date()):
        raise RuleError(lapsed_message(b))
    expire_overdue_holds(session, now.date(), actor)
    # The window is judged only when the date moves: fixing the head count of a booking
    # made long ago must not be refused because its date is now "too far" or "past".
    moved = data.start.date() != b.start_at.date()
    problems = slot_problems(session, profile, data, today=now.date(), is_member=is_member,
                             exclude_ids=[b.id], check_window=moved, types=types)
    _raise_for(session, problems, actor, data.override_reason)
    before = snapshot(b)
    b.room_id, b.start_at, b.end_at = data.room_id, data.start, data.end
    b.group_id = group.id if group else None
    b.booker_kind = data.booker_kind
    b.booker_name = group.name if group else data.booker_name.strip()
    b.contact_phone, b.purpose, b.attendees = data.contact_phone.strip(), data.purpose.strip(), data.attendees
    b.note = data.note
    if data.tentative and b.status == BookingStatus.TENTATIVE.value:
        b.hold_until = data.hold_until
    elif not data.tentative and b.status == BookingStatus.TENTATIVE.value:
        b.status, b.hold_until = BookingStatus.CONFIRMED.value, None
    # The reason stays only while the booking is still outside the rules.
    b.override_reason = data.override_reason.strip() if any(p.kind != "conflict" for p in problems) else ""
    current = {e.equipment_type_id: e for e in b.equipment}
    wanted = {t: q for t, q in data.equipment.items() if q}
    for tid, line in list(current.items()):
        if tid not in wanted:
            b.equipment.remove(line)
        else:
            line.quantity = wanted[tid]
    for tid, q in wanted.items():
        if tid not in current:
            b.equipment.append(BookingEquipment(equipment_type_id=tid, quantity=q))
    b.updated_at, b.updated_by = now, actor.id
    _flush_guarded(session, "変更")
    sync_booking_charges(session, actor, b, now=now)  # re-quote the open charges
    audit(session, actor, "update", "booking", b.id, f"予約{b.number}を変更", before=before, after=snapshot(b),
          now=now)


def _transition(
    session: Session, actor: Actor, booking_id: int, new: BookingStatus, *, reason: str = "",
    actual_users: int | None = None, expected_version: int | None = None, now: datetime | None = None,
    action: str,
) -> BookingView:
    now = now or local_now()
    b = _load_for_change(session, booking_id, expected_version)
    if hold_lapsed(b.status, b.hold_until, now.date()):
        # It is 期限切れ already, marked or not: the answer must not depend on whether some other write
        # has marked it yet.
        raise RuleError(lapsed_message(b, cancelling=new == BookingStatus.CANCELLED))
    old = BookingStatus(b.status)
    if not can_transition(old, new):
        raise RuleError(f"{old.label}の予約を「{new.label}」にはできません。")
    if BookingStatus.COMPLETED in (old, new):
        # A check-out or its undo changes the user count of the booking's month; once a manager has
        # closed that month only an amendment (stats.month_close.amend) may change it.
        ensure_month_open(session, b.start_at.date())
    if new.blocks_slot and not old.blocks_slot:
        # Undoing a no-show takes the slot back: only if nobody booked it meanwhile. A lapsed hold there
        # is marked 期限切れ first, as before any save, so the database's guard agrees with the check.
        expire_overdue_holds(session, now.date(), actor)
        if b.room_id is not None and room_conflicts(session, b.room_id, b.start_at, b.end_at, [b.id],
                                                    today=now.date()):
            raise ConflictError("この時間は既に別の予約が入っているため、元に戻せません。")
        # FIX (tests/services): the equipment comes back too, so it must still be free; without this
        # check an undone no-show could put more projectors out than the centre owns.
        wanted = {e.equipment_type_id: e.quantity for e in b.equipment}
        types = _lock_equipment(session, list(wanted))
        usage = equipment_in_use(session, [t for t in wanted if types[t].stock is not None], b.start_at,
                                 b.end_at, [b.id], today=now.date())
        for tid, intervals in usage.items():
            stock = types[tid].stock
            assert stock is not None  # usage holds only the types with a stock
            if peak_in_use(intervals, b.start_at, b.end_at) + wanted[tid] > stock:
                raise ConflictError(f"{types[tid].name}は既に別の予約に貸し出されているため、元に戻せません。")
    before = snapshot(b)
    b.status = new.value
    if reason:
        b.status_reason = reason
    if new == BookingStatus.COMPLETED:
        b.actual_users = actual_users
    elif old == BookingStatus.COMPLETED:
        b.actual_users = None  # a check-out undone: the count leaves the statistics with it
    b.updated_at, b.updated_by = now, actor.id
    _flush_guarded(session, "操作")
    sync_booking_charges(session, actor, b, now=now)  # cancel open charges of a cancel
    audit(session, actor, action, "booking", b.id, f"予約{b.number}：{old.label}→{new.label}"
          + (f"（{reason}）" if reason else ""), before=before, after=snapshot(b), now=now)
    return to_view(session, b, today=now.date())


def confirm_booking(session: Session, actor: Actor, booking_id: int, **kw: Any) -> BookingView:
    return _transition(session, actor, booking_id, BookingStatus.CONFIRMED, action="confirm", **kw)


def check_cancel_reason(reason: str | None) -> None:
    if not reason or not reason.strip():
        raise ValidationError("取消理由を入力してください（例：団体の都合、雨天中止）。", field="reason")
    if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in reason):
        # PostgreSQL text refuses NUL; other control characters are never meant (bad-input tests).
        raise ValidationError("取消理由に使えない文字（制御文字）が含まれています。入力し直してください。", field="reason")
    if len(reason.strip()) > 500:
        raise ValidationError("取消理由は500文字以内で入力してください。", field="reason")


def cancel_booking(session: Session, actor: Actor, booking_id: int, reason: str, **kw: Any) -> BookingView:
    """Cancel (取消) with a reason; the slot is free at once and the record stays."""
    check_cancel_reason(reason)
    return _transition(session, actor, booking_id, BookingStatus.CANCELLED, reason=reason.strip(),
                       action="cancel", **kw)


def check_in(session: Session, actor: Actor, booking_id: int, *, now: datetime | None = None,
             **kw: Any) -> BookingView:
    now = now or local_now()
    b = session.get(Booking, booking_id)
    if b is not None and b.status not in CHECK_IN_FROM:
        # COMPLETED → IN_USE is the undo of a check-out (undo_status); a check-in from a screen that
        # was not refreshed must not quietly undo it and drop its users from the statistics.
        raise RuleError(f"{BookingStatus(b.status).label}の予約はチェックインできません。画面を更新してください。")
    if b is not None and b.start_at.date() > now.date():
        raise RuleError("利用日より前にはチェックインできません。利用日を確かめてください。")
    return _transition(session, actor, booking_id, BookingStatus.IN_USE, action="check_in", now=now, **kw)


def check_out(
    session: Session, actor: Actor, booking_id: int, actual_users: int, *, now: datetime | None = None,
    **kw: Any,
) -> BookingView:
    """Check out (利用済) with the actual number of users, which the statistics count."""
    if actual_users is None or isinstance(actual_users, bool) or not isinstance(actual_users, int) \
            or actual_users < 0:
        raise ValidationError("実際の利用人数を0以上の数で入力してください。", field="actual_users")
    if actual_users > 1000:
        raise ValidationError("利用人数が大きすぎます。入力を確かめてください。", field="actual_users")
    now = now or local_now()
    b = session.get(Booking, booking_id)
    if b is not None and b.start_at.date() > now.date():
        raise RuleError("利用日より前には利用済にできません。")
    return _transition(session, actor, booking_id, BookingStatus.COMPLETED, actual_users=actual_users,
                       action="check_out", now=now, **kw)


def mark_no_show(session: Session, actor: Actor, booking_id: int, *, now: datetime | None = None,
                 reason: str = "連絡なく来館されなかった", **kw: Any) -> BookingView:
    now = now or local_now()
    b = session.get(Booking, booking_id)
    if b is not None and b.start_at > now:
        raise RuleError("開始時刻の前には無断キャンセルにできません。")
    return _transition(session, actor, booking_id, BookingStatus.NO_SHOW, reason=reason, action="no_show",
                       now=now, **kw)


def undo_status(session: Session, actor: Actor, booking_id: int, *, now: datetime | None = None) -> BookingView:
    """Undo a mistaken check-in, check-out or no-show (recorded in the audit trail as an undo)."""
    b = session.get(Booking, booking_id)
    if b is None:
        raise NotFound("予約が見つかりません。")
    back = UNDO_BACK.get(b.status)
    if back is None:
        raise RuleError(f"{BookingStatus(b.status).label}の予約は元に戻せません。")
    return _transition(session, actor, booking_id, back, action="undo", now=now)


# --------------------------------------------------------------------------- queries for the screens


@dataclass(frozen=True)
class EquipmentAvailability:
    id: int
    name: str
    unit: str
    stock: int | None
    in_use: int

    @property
    def free(self) -> int | None:
        return None if self.stock is None else max(self.stock - self.in_use, 0)


def equipment_availability(
    session: Session, start: datetime, end: datetime, exclude_id: int | None = None, *, today: date | None = None
) -> list[EquipmentAvailability]:
    """For the dialog's live availability: the peak in use of every equipment type in [start, end)."""
    types = list(session.scalars(select(EquipmentType).where(EquipmentType.active.is_(True))
                                 .order_by(EquipmentType.sort_order, EquipmentType.id)))
    usage = equipment_in_use(session, [t.id for t in types], start, end, [exclude_id] if exclude_id else [],
                             today=today)
    return [EquipmentAvailability(t.id, t.name, t.unit, t.stock, peak_in_use(usage[t.id], start, end))
            for t in types]


def bookings_between(
    session: Session, start: datetime, end: datetime, *, room_id: int | None = None,
    include_inactive: bool = True, today: date | None = None,
) -> list[BookingView]:
    """Every booking starting in [start, end), ordered by time: one ranged query.

    Without ``include_inactive`` only those blocking their slot on ``today`` (the clock's).
    """
    today = _today(today)
    q = select(Booking).where(Booking.start_at >= start, Booking.start_at < end)
    if room_id is not None:
        q = q.where(Booking.room_id == room_id)
    if not include_inactive:
        q = q.where(blocks_slot_sql(today))
    return views_for(session, list(session.scalars(q.order_by(Booking.start_at, Booking.room_id))), today=today)


def search_bookings(session: Session, text: str, *, day_from: date | None = None, day_to: date | None = None,
                    limit: int = 200) -> list[BookingView]:
    """Find bookings by number, group or booker name/kana, purpose or phone, optionally within dates.

    Text is matched as services/text_search.py matches every search: kana in any script or width, and
    ``%``/``_`` as plain characters; a group is found by its register entry (name, reading, number).
    """
    text = (text or "").strip()
    q = select(Booking)
    if day_from is not None:
        q = q.where(Booking.start_at >= datetime.combine(day_from, time()))
    if day_to is not None:
        q = q.where(Booking.start_at < datetime.combine(day_to + timedelta(days=1), time()))
    if text:
        digits = text.lstrip("0")
        conds: list[ColumnElement[bool]] = []
        if text.isdigit() and digits:
            conds.append(Booking.id == int(digits))
        group_match = contains(text, keyed=[MemberGroup.search_text])
        booking_match = contains(text, Booking.booker_name, Booking.purpose, Booking.contact_phone)
        assert group_match is not None and booking_match is not None  # text is stripped and not empty
        group_ids = select(MemberGroup.id).where(or_(group_match, MemberGroup.reg_no == text))
        conds += [booking_match, Booking.group_id.in_(group_ids)]
        q = q.where(or_(*conds))
    q = q.order_by(Booking.start_at.desc()).limit(limit)
    return views_for(session, list(session.scalars(q)))


def month_counts(session: Session, year: int, month: int, *, today: date | None = None) -> dict[date, int]:
    """Bookings blocking their slot on ``today`` (the clock's), per day of a month, for the month overview."""
    first = date(year, month, 1)
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    rows = session.execute(
        select(Booking.start_at).where(
            Booking.start_at >= datetime.combine(first, time()), Booking.start_at < datetime.combine(nxt, time()),
            blocks_slot_sql(_today(today)),
        )
    ).scalars()
    counts: dict[date, int] = {}
    for s in rows:
        counts[s.date()] = counts.get(s.date(), 0) + 1
    return counts


def with_overrides(data: BookingInput, **changes: Any) -> BookingInput:
    return replace(data, **changes)


__all__ = [
    "BookingInput", "BookingView", "EquipmentLine", "Problem", "EquipmentAvailability", "create_booking",
    "update_booking", "cancel_booking", "confirm_booking", "check_in", "check_out", "mark_no_show", "undo_status",
    "get_booking", "bookings_between", "search_bookings", "month_counts", "equipment_availability",
    "room_conflicts", "slot_problems", "blocks_slot_sql", "hold_lapsed_sql", "expire_overdue_holds",
]
