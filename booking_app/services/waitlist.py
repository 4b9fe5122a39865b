"""Waiting lists (キャンセル待ち, issue 18): a list per slot (room, start, end) in the order of request.

When a booking of the slot is cancelled or a 仮予約 lapses, the slot is free again; the desk sees it on the
today page (:func:`freed_slots`) and on the day grid (:func:`slot_counts`), and offers it to the FIRST entry
in line (:func:`offer_next`, by ``id``) with a reply-by time. Nobody is skipped silently: to pass someone the
desk records 辞退 (:func:`decline_offer`) or 取下げ (:func:`withdraw`) for them first. An accepted offer
becomes a booking through the ordinary booking service (:func:`accept_offer`, same transaction: the booking
rules and the database's double-booking guard apply). Offers past their reply-by time become 期限切れ
(:func:`expire_offers`, run before every write here and when the desk's lists are read).

Every public function is one unit of work inside the caller's Session and records an audit row. Two
terminals offering the same slot at once are serialised by the slot's rows (``SELECT … FOR UPDATE`` on
PostgreSQL; SQLite's writer lock taken at BEGIN); the partial unique index ``uq_waitlist_one_offer`` is the
last guard and its refusal becomes the desk's Japanese message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from booking_app.domain import japanese_calendar as jcal
from booking_app.domain.booking_rules import GROUP_BARRED
from booking_app.domain.errors import NotFound, RuleError, ValidationError
from booking_app.services import bookings as booking_svc
from booking_app.services.booking_views import BookingInput
from booking_app.services.common import Actor, audit, current_staff
from booking_app.store.models import Booking, MemberGroup, Room, WaitlistEntry

STATUS_LABELS = {
    "waiting": "待ち",
    "offered": "連絡済（回答待ち）",
    "accepted": "承諾（予約済）",
    "declined": "辞退",
    "expired": "期限切れ",
    "withdrawn": "取下げ",
}
OPEN = ("waiting", "offered")
EXPIRED_REASON = "回答期限切れ（自動）"
REPLY_HOUR = dt.time(17, 0)


# --------------------------------------------------------------------------- plain data


@dataclass(frozen=True)
class Slot:
    room_id: int
    room_name: str
    start: dt.datetime
    end: dt.datetime

    @property
    def text_ja(self) -> str:
        """「小会議室1 12月8日(火) 18:00〜21:00」."""
        return slot_text(self.room_name, self.start, self.end)


@dataclass(frozen=True)
class EntryView:
    id: int
    place: int  # 順番: 1 for the first entry ever taken for the slot (closed ones keep their number)
    room_id: int
    room_name: str
    start: dt.datetime
    end: dt.datetime
    group_id: int | None
    who: str  # the group's name, or the person's
    contact_phone: str
    status: str
    status_label: str
    requested_at: dt.datetime
    offered_at: dt.datetime | None
    reply_by: dt.datetime | None
    closed_at: dt.datetime | None
    close_reason: str
    booking_id: int | None
    booking_number: str | None
    note: str

    @property
    def is_open(self) -> bool:
        return self.status in OPEN


@dataclass(frozen=True)
class FreedSlot:
    """A slot free now with people waiting for it: for 本日の予約's 「キャンセル待ち 2件」."""

    slot: Slot
    waiting: int  # open entries (待ち and 連絡済)
    next_in_line: EntryView | None  # the first 待ち entry (None when only an offer is open)
    offered: EntryView | None  # the open offer, if any


def slot_text(room_name: str, start: dt.datetime, end: dt.datetime) -> str:
    return (f"{room_name} {start.month}月{start.day}日({jcal.weekday_ja(start.date())}) "
            f"{start:%H:%M}〜{end:%H:%M}")


def default_reply_by(start: dt.datetime, now: dt.datetime) -> dt.datetime:
    """The reply-by time the desk is offered: the next day at 17:00, or the slot's start if that is sooner."""
    next_day = dt.datetime.combine(now.date() + dt.timedelta(days=1), REPLY_HOUR)
    return min(next_day, start)


# --------------------------------------------------------------------------- reading


def expire_offers(session: Session, now: dt.datetime, actor: Actor | None = None) -> int:
    """Offers whose reply-by time has passed become 期限切れ (the next in line may then be offered)."""
    overdue = list(session.scalars(select(WaitlistEntry.id).where(
        WaitlistEntry.status == "offered", WaitlistEntry.reply_by < now).order_by(WaitlistEntry.id)))
    if not overdue:
        return 0
    session.execute(
        update(WaitlistEntry)
        .where(WaitlistEntry.id.in_(overdue), WaitlistEntry.status == "offered")
        .values(status="expired", closed_at=now, closed_by=actor.id if actor is not None else None,
                close_reason=EXPIRED_REASON)
        .execution_options(synchronize_session="fetch"))
    if actor is not None:
        for entry_id in overdue:
            audit(session, actor, "expire", "waitlist_entry", entry_id,
                  f"キャンセル待ち{entry_id}：回答期限切れ（自動）",
                  before={"status": "offered"}, after={"status": "expired"}, now=now)
    return len(overdue)


def list_for_slot(session: Session, room_id: int, start: dt.datetime, end: dt.datetime) -> list[EntryView]:
    """Every entry of the slot in order (順番 = id order), closed ones too."""
    rows = list(session.scalars(select(WaitlistEntry).where(
        WaitlistEntry.room_id == room_id, WaitlistEntry.start_at == start, WaitlistEntry.end_at == end)
        .order_by(WaitlistEntry.id)))
    return _views(session, rows)


def slot_entries(session: Session, room_id: int, start: dt.datetime) -> list[EntryView]:
    """Every entry of the room's slots that begin at ``start`` (each end's list in order), for a listing."""
    ends = session.scalars(select(WaitlistEntry.end_at).where(
        WaitlistEntry.room_id == room_id, WaitlistEntry.start_at == start).distinct().order_by(WaitlistEntry.end_at))
    return [e for end in list(ends) for e in list_for_slot(session, room_id, start, end)]


def get_entry(session: Session, entry_id: int) -> EntryView:
    e = session.get(WaitlistEntry, entry_id)
    if e is None:
        raise NotFound("そのキャンセル待ちは見つかりません。一覧を更新してください。")
    return next(v for v in list_for_slot(session, e.room_id, e.start_at, e.end_at) if v.id == entry_id)


def slot_counts(session: Session, day_from: dt.date, day_to: dt.date) -> dict[tuple[int, dt.datetime], int]:
    """{(room_id, start_at): open entries} for the slots starting on day_from … day_to (inclusive)."""
    lo = dt.datetime.combine(day_from, dt.time())
    hi = dt.datetime.combine(day_to + dt.timedelta(days=1), dt.time())
    rows = session.execute(
        select(WaitlistEntry.room_id, WaitlistEntry.start_at, func.count())
        .where(WaitlistEntry.start_at >= lo, WaitlistEntry.start_at < hi, WaitlistEntry.status.in_(OPEN))
        .group_by(WaitlistEntry.room_id, WaitlistEntry.start_at))
    return {(int(r), s): int(n) for r, s, n in rows}


def freed_slots(session: Session, today: dt.date, now: dt.datetime) -> list[FreedSlot]:
    """Slots (not yet begun) with open entries that are free now: a booking was cancelled or a hold lapsed."""
    slots = session.execute(
        select(WaitlistEntry.room_id, WaitlistEntry.start_at, WaitlistEntry.end_at)
        .where(WaitlistEntry.status.in_(OPEN), WaitlistEntry.start_at > now)
        .group_by(WaitlistEntry.room_id, WaitlistEntry.start_at, WaitlistEntry.end_at)
        .order_by(WaitlistEntry.start_at, WaitlistEntry.room_id)).all()
    out: list[FreedSlot] = []
    for room_id, start, end in slots:
        if booking_svc.room_conflicts(session, room_id, start, end, today=today):
            continue
        entries = list_for_slot(session, room_id, start, end)
        open_ = [e for e in entries if e.is_open and not _lapsed(e, now)]
        if not open_:
            continue
        slot = Slot(room_id, open_[0].room_name, start, end)
        out.append(FreedSlot(slot, len(open_), next((e for e in open_ if e.status == "waiting"), None),
                             next((e for e in open_ if e.status == "offered"), None)))
    return out


def _lapsed(e: EntryView, now: dt.datetime) -> bool:
    return e.status == "offered" and e.reply_by is not None and e.reply_by < now


def _views(session: Session, rows: Sequence[WaitlistEntry]) -> list[EntryView]:
    if not rows:
        return []
    rooms = dict(session.execute(select(Room.id, Room.name)).all())
    group_ids = {e.group_id for e in rows if e.group_id is not None}
    groups = dict(session.execute(select(MemberGroup.id, MemberGroup.name).where(
        MemberGroup.id.in_(group_ids))).all()) if group_ids else {}
    booking_ids = {e.booking_id for e in rows if e.booking_id is not None}
    numbers = {b.id: b.number for b in session.scalars(select(Booking).where(Booking.id.in_(booking_ids)))} \
        if booking_ids else {}
    out: list[EntryView] = []
    for place, e in enumerate(rows, start=1):
        who = groups.get(e.group_id, e.booker_name) if e.group_id is not None else e.booker_name
        out.append(EntryView(
            e.id, place, e.room_id, rooms.get(e.room_id, f"部屋{e.room_id}"), e.start_at, e.end_at, e.group_id,
            who or e.booker_name, e.contact_phone, e.status, STATUS_LABELS[e.status], e.requested_at,
            e.offered_at, e.reply_by, e.closed_at, e.close_reason, e.booking_id,
            numbers.get(e.booking_id) if e.booking_id is not None else None, e.note))
    return out


# --------------------------------------------------------------------------- writing


def _lock_slot(session: Session, room_id: int, start: dt.datetime) -> list[WaitlistEntry]:
    """The slot's entries in id order, locked on PostgreSQL so two terminals take turns (SQLite: the writer
    lock of BEGIN IMMEDIATE already serialises writers)."""
    q = (select(WaitlistEntry).where(WaitlistEntry.room_id == room_id, WaitlistEntry.start_at == start)
         .order_by(WaitlistEntry.id)
         .execution_options(populate_existing=True))  # what the terminal that held the lock committed
    if session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update()
    return list(session.scalars(q))


def _room(session: Session, room_id: int) -> Room:
    room = session.get(Room, room_id)
    if room is None or not room.active:
        raise ValidationError("選んだ部屋は使えません。部屋を選び直してください。", field="room")
    return room


def _text(value: str, label: str, field: str, limit: int) -> str:
    value = (value or "").strip()
    if "\x00" in value:
        raise ValidationError(f"{label}に使えない文字（制御文字）が含まれています。入力し直してください。", field=field)
    if len(value) > limit:
        raise ValidationError(f"{label}は{limit}文字以内で入力してください（今は{len(value)}文字）。", field=field)
    return value


def _flush_guarded(session: Session, slot: str) -> None:
    try:
        session.flush()
    except IntegrityError as exc:
        text = str(exc.orig)
        if "uq_waitlist_group_slot" in text or "waitlist_entries.group_id" in text:
            raise RuleError(f"この団体は{slot}のキャンセル待ちに既に登録されています。", "group") from None
        if "uq_waitlist_one_offer" in text or "waitlist_entries.start_at" in text:
            raise RuleError(f"{slot}は他の端末で既に次の方へ連絡済みです。一覧を更新してください。", "status") from None
        raise


def add_waiting(
    session: Session, actor: Actor, room_id: int, start: dt.datetime, end: dt.datetime, *,
    group_id: int | None = None, booker_name: str = "", contact_phone: str = "", note: str = "",
    now: dt.datetime,
) -> EntryView:
    """Put a group (or a person by name and phone) at the end of the slot's waiting list."""
    actor = current_staff(session, actor, "キャンセル待ちの登録")
    room = _room(session, room_id)
    if end <= start:
        raise ValidationError("終了時刻は開始時刻より後にしてください。", field="end")
    text = slot_text(room.name, start, end)
    if start <= now:
        raise RuleError(f"{text}は既に始まっています。キャンセル待ちは登録できません。", "time")
    booker_name = _text(booker_name, "氏名・団体名", "booker_name", 200)
    contact_phone = _text(contact_phone, "連絡先", "contact_phone", 40)
    note = _text(note, "備考", "note", 2000)
    if group_id is not None:
        group = session.get(MemberGroup, group_id)
        if group is None:
            raise ValidationError("選んだ団体が見つかりません。団体を選び直してください。", field="group")
        if group.status in GROUP_BARRED:
            raise RuleError(f"「{group.name}」は{GROUP_BARRED[group.status]}のためキャンセル待ちに登録できません。",
                            "group")
    elif not booker_name:
        raise ValidationError("団体を選ぶか、氏名を入力してください。", field="booker_name")
    if group_id is None and not contact_phone:
        raise ValidationError("連絡先（電話番号）を入力してください。空いたときに連絡します。", field="contact_phone")
    rows = _lock_slot(session, room_id, start)
    expire_offers(session, now, actor)
    if not booking_svc.room_conflicts(session, room_id, start, end, today=now.date()):
        raise RuleError("この枠は空いています。そのまま予約してください。", "time")
    if group_id is not None and any(r.group_id == group_id and r.end_at == end and r.status in OPEN for r in rows):
        raise RuleError(f"この団体は{text}のキャンセル待ちに既に登録されています。", "group")
    e = WaitlistEntry(room_id=room_id, start_at=start, end_at=end, group_id=group_id, booker_name=booker_name,
                      contact_phone=contact_phone, status="waiting", requested_at=now, requested_by=actor.id,
                      close_reason="", note=note)
    session.add(e)
    _flush_guarded(session, text)
    view = get_entry(session, e.id)
    audit(session, actor, "create", "waitlist_entry", e.id,
          f"キャンセル待ち登録：{text} {view.who}（{view.place}番目）",
          after={"room_id": room_id, "start": start, "end": end, "group_id": group_id, "booker_name": booker_name,
                 "contact_phone": contact_phone}, now=now)
    return view


def offer_next(
    session: Session, actor: Actor, room_id: int, start: dt.datetime, end: dt.datetime, *,
    reply_by: dt.datetime, now: dt.datetime,
) -> EntryView:
    """Offer the freed slot to the FIRST waiting entry (id order), with a reply-by time. Never skips."""
    actor = current_staff(session, actor, "キャンセル待ちの連絡")
    room = _room(session, room_id)
    text = slot_text(room.name, start, end)
    rows = _lock_slot(session, room_id, start)
    expire_offers(session, now, actor)
    if reply_by <= now:
        raise ValidationError("回答期限は今より後の日時にしてください。", field="reply_by")
    if reply_by > start:
        raise ValidationError(f"回答期限は利用開始（{start:%m/%d %H:%M}）までにしてください。", field="reply_by")
    offered = next((r for r in rows if r.status == "offered"), None)
    if offered is not None:
        who = get_entry(session, offered.id).who
        raise RuleError(f"{text}は{who}さんに連絡済みで回答待ちです。承諾・辞退を記録してから次の方に連絡してください。",
                        "status")
    if booking_svc.room_conflicts(session, room_id, start, end, today=now.date()):
        raise RuleError(f"{text}にはまだ予約が入っています。空いてから連絡してください。", "time")
    first = next((r for r in rows if r.status == "waiting" and r.end_at == end), None)
    if first is None:
        raise RuleError(f"{text}のキャンセル待ちの方はいません。", "status")
    first.status = "offered"
    first.offered_at = now
    first.offered_by = actor.id
    first.reply_by = reply_by
    _flush_guarded(session, text)
    view = get_entry(session, first.id)
    audit(session, actor, "offer", "waitlist_entry", first.id,
          f"キャンセル待ち連絡：{text} {view.place}番 {view.who}（回答期限 {reply_by:%m/%d %H:%M}）",
          before={"status": "waiting"}, after={"status": "offered", "reply_by": reply_by}, now=now)
    return view


def _load_open(session: Session, entry_id: int, now: dt.datetime, actor: Actor) -> WaitlistEntry:
    e = session.get(WaitlistEntry, entry_id)
    if e is None:
        raise NotFound("そのキャンセル待ちは見つかりません。一覧を更新してください。")
    _lock_slot(session, e.room_id, e.start_at)
    expire_offers(session, now, actor)
    session.refresh(e)
    return e


def accept_offer(
    session: Session, actor: Actor, entry_id: int, *, now: dt.datetime, tentative: bool = True,
    hold_until: dt.date | None = None, purpose: str = "キャンセル待ちからの予約", attendees: int = 1,
) -> EntryView:
    """The person offered says yes: book the slot for them (the booking service's rules and guards apply)."""
    actor = current_staff(session, actor, "キャンセル待ちの承諾")
    e = _load_open(session, entry_id, now, actor)
    if e.status != "offered":
        raise RuleError(f"このキャンセル待ちは{STATUS_LABELS[e.status]}です。連絡済み（回答待ち）の方だけ承諾できます。",
                        "status")
    if tentative and hold_until is None:  # a week to confirm, but never past the day of use
        hold_until = max(now.date(), min(e.start_at.date(), now.date() + dt.timedelta(days=7)))
    data = BookingInput(
        start=e.start_at, end=e.end_at, room_id=e.room_id,
        booker_kind="member" if e.group_id is not None else "person", group_id=e.group_id,
        booker_name="" if e.group_id is not None else e.booker_name, contact_phone=e.contact_phone,
        purpose=purpose, attendees=attendees, tentative=tentative, hold_until=hold_until if tentative else None,
        note=f"キャンセル待ち{e.id}から")
    booking = booking_svc.create_booking(session, actor, data, now=now)
    e.status = "accepted"
    e.booking_id = booking.id
    e.closed_at = now
    e.closed_by = actor.id
    session.flush()
    view = get_entry(session, e.id)
    audit(session, actor, "accept", "waitlist_entry", e.id,
          f"キャンセル待ち承諾：{slot_text(view.room_name, e.start_at, e.end_at)} {view.who} → 予約{booking.number}",
          before={"status": "offered"}, after={"status": "accepted", "booking_id": booking.id}, now=now)
    return view


def decline_offer(session: Session, actor: Actor, entry_id: int, *, reason: str = "", now: dt.datetime) -> EntryView:
    """The person says no (辞退), to an offer or when called before one; the next in line may be offered."""
    actor = current_staff(session, actor, "キャンセル待ちの辞退")
    reason = _text(reason, "辞退の理由", "reason", 500)
    e = _load_open(session, entry_id, now, actor)
    return _close(session, actor, e, "declined", reason or "辞退", now)


def withdraw(session: Session, actor: Actor, entry_id: int, reason: str, *, now: dt.datetime) -> EntryView:
    """Take the entry off the list (取下げ) at the person's wish or the desk's; the reason is required."""
    actor = current_staff(session, actor, "キャンセル待ちの取下げ")
    reason = _text(reason, "取下げの理由", "reason", 500)
    if not reason:
        raise ValidationError("取下げの理由を入力してください（例：本人から取下げの連絡）。", field="reason")
    e = _load_open(session, entry_id, now, actor)
    return _close(session, actor, e, "withdrawn", reason, now)


def _close(session: Session, actor: Actor, e: WaitlistEntry, status: str, reason: str, now: dt.datetime) -> EntryView:
    if e.status not in OPEN:
        raise RuleError(f"このキャンセル待ちは既に{STATUS_LABELS[e.status]}です。", "status")
    before = e.status
    e.status = status
    e.closed_at = now
    e.closed_by = actor.id
    e.close_reason = reason
    session.flush()
    view = get_entry(session, e.id)
    audit(session, actor, "decline" if status == "declined" else "withdraw", "waitlist_entry", e.id,
          f"キャンセル待ち{STATUS_LABELS[status]}：{slot_text(view.room_name, e.start_at, e.end_at)} "
          f"{view.who}（理由：{reason}）",
          before={"status": before}, after={"status": status, "reason": reason}, now=now)
    return view


__all__ = [
    "EntryView", "FreedSlot", "OPEN", "STATUS_LABELS", "Slot", "accept_offer", "add_waiting", "decline_offer",
    "default_reply_by", "expire_offers", "freed_slots", "get_entry", "list_for_slot", "offer_next", "slot_counts",
    "slot_entries", "slot_text", "withdraw",
]
