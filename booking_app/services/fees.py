"""Fees (料金) as services: the centre's fee tables, the live quote of a booking, and its charges.

The tables live in centre_settings under the key 'fees', over the shipped resources/fees.toml.
A booking's charges (請求明細) are kept equal to its quote while they are open; their prices are
frozen when they are made, so a change of the tables never changes what was already charged
(a line that stays the same through an edit keeps its old price, too).

Charge rules of a booking (sync_booking_charges):
* tentative / confirmed: the open charges follow the quote (member rates are 0 → no charge);
* cancelled / skipped / expired: the open charges are cancelled (paid ones need a receipt void);
* no-show (無断キャンセル), in use, completed: left as they are — a general user who did not come
  may still owe the fee, and the desk decides (cancel_charge) whether to ask for it;
* a paid booking edited so that its quote grows gets an extra open charge for the difference
  (差額); when it shrinks nothing is made: a refund is a void of the receipt (see payments).

減免 (issue 18): a booking with an approved ``reduction_code`` gets, per tax class, one line of kind
``reduction`` below zero (``booking_plan.reduction_lines``), worked out from the lines as charged (their
frozen prices), never frozen itself. On a booking with paid lines, a 減免 line not yet paid is netted
with the rest like any change: set on a paid booking, the quote shrinks (nothing is made; the desk is
told to void the receipt and take the payment again); removed from a paid booking, the paid reduction
line is no longer wanted and the difference is one 差額 charge. A 100 % 減免 leaves the booking's lines
and its 減免 line open, adding up to ¥0: nothing to collect (a ¥0 receipt is never issued), and the lines
stay so the statistics count the 減免.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking_app.domain.booking_rules import DEAD, QUOTED, BookingStatus
from booking_app.domain.errors import ValidationError
from booking_app.domain.fees import (
    FeeLine,
    FeeSchedule,
    load_default_fees,
    yen,
)
from booking_app.domain.groups import effective_status
from booking_app.services.booking_plan import (
    REDUCTION,
    booking_reduction,
    charged_lines,
    fee_lines,
    quote_after,
    quote_summary,
    reduction_lines,
)
from booking_app.services.centre import get_profile
from booking_app.services.booking_views import BookingInput
from booking_app.services.common import Actor, audit, local_now, require_manager
from booking_app.services.settings_store import put_value
from booking_app.store.models import Booking, CentreSetting, Charge, EquipmentType, MemberGroup, Room


FEES_KEY = "fees"
# Bookings whose open charges are cancelled (nobody will use the room), and those whose charges follow
# the quote: the domain's status sets (booking_rules), under the names payments and today read here.
DEAD_STATUSES = DEAD
QUOTED_STATUSES = QUOTED
# Item names in the fee table used by the printing-machine log (印刷機).
PRINT_MASTER_ITEM = "印刷機 製版"
PRINT_SHEET_ITEMS = {"brought": "印刷機 印刷（用紙持込）", "bought": "印刷機 印刷（用紙込）"}


# --------------------------------------------------------------------------- the tables


def get_fees(session: Session) -> FeeSchedule:
    """The fee tables: the stored ones over the shipped defaults.

    The issuer values are merged key by key; a stored section (rooms, equipment, items) replaces
    the default section whole, so an item removed in the settings screen stays removed.
    """
    row = session.get(CentreSetting, FEES_KEY)
    if row is None:
        return load_default_fees()
    return merge_fees(row.value or {})


def merge_fees(stored: dict[str, Any]) -> FeeSchedule:
    """The stored sections over the shipped defaults (see get_fees)."""
    merged: dict[str, Any] = load_default_fees().to_dict()
    merged["issuer"] = {**merged.get("issuer", {}), **stored.get("issuer", {})}
    for section in ("rooms", "equipment", "items"):
        if section in stored:
            merged[section] = stored[section]
    return FeeSchedule.from_dict(merged)


def validate_schedule(schedule: FeeSchedule) -> None:
    """The domain checks plus what the printing-machine log needs."""
    schedule.validate()
    master = schedule.items.get(PRINT_MASTER_ITEM)
    for name in PRINT_SHEET_ITEMS.values():
        sheet = schedule.items.get(name)
        if master is not None and sheet is not None and sheet.tax != master.tax:
            raise ValidationError(f"「{PRINT_MASTER_ITEM}」と「{name}」は同じ税区分にしてください。", field="items")


def save_fees(session: Session, actor: Actor, schedule: FeeSchedule, *, now: datetime | None = None) -> None:
    """Store the fee tables (manager only). Existing charges keep their prices."""
    require_manager(session, actor, "料金表の変更")
    validate_schedule(schedule)
    now = now or local_now()
    value = schedule.to_dict()
    before = put_value(session, FEES_KEY, value, by=actor.id, now=now)
    audit(session, actor, "update", "fees", None, "料金表を変更", before=before, after=value, now=now)


# --------------------------------------------------------------------------- quoting


def fee_class_for(session: Session, booking: Any, today: date) -> str:
    """'member' for a registered group in good standing (有効・更新待ち) today, else 'general'.

    Takes a BookingInput, a BookingView or a Booking row: anything with booker_kind and group_id.
    """
    if getattr(booking, "booker_kind", None) != "member" or getattr(booking, "group_id", None) is None:
        return "general"
    group = session.get(MemberGroup, booking.group_id)
    if group is None:
        return "general"
    standing = effective_status(group.status, group.valid_until, today).in_good_standing
    return "member" if standing else "general"


def _lines(session: Session, schedule: FeeSchedule, room_id: int | None, start: datetime, end: datetime,
           equipment: dict[int, int], fee_class: str, reduction_code: str | None = None) -> list[FeeLine]:
    """``booking_plan.fee_lines`` with the room's and equipment's names read from the database (and the
    減免 lines of ``reduction_code``, a code of the centre's settings)."""
    room = session.get(Room, room_id) if room_id is not None else None
    wanted = {t: q for t, q in equipment.items() if q}
    names = dict(session.execute(select(EquipmentType.id, EquipmentType.name)
                                 .where(EquipmentType.id.in_(list(wanted)))).all()) if wanted else {}
    profile = get_profile(session)
    return fee_lines(schedule, profile, room.name if room is not None else None, start, end,
                     {names[t]: q for t, q in wanted.items() if t in names}, fee_class,
                     booking_reduction(profile, reduction_code))


def quote(session: Session, data: BookingInput, *, today: date,
          schedule: FeeSchedule | None = None) -> list[FeeLine]:
    """The fee of what the booking dialog shows now: every period touched, priced equipment.

    Lines of 0 yen (a member's room) are included so the dialog can show them, and the 減免 lines of
    ``data.reduction_code`` (below zero); an incomplete input (no time yet) quotes nothing.
    """
    if data.start is None or data.end is None or data.end <= data.start:
        return []
    schedule = schedule or get_fees(session)
    return _lines(session, schedule, data.room_id, data.start, data.end, dict(data.equipment),
                  fee_class_for(session, data, today), data.reduction_code)


def quote_total(lines: list[FeeLine]) -> int:
    return sum(line.amount for line in lines)


# --------------------------------------------------------------------------- a booking's charges


@dataclass(frozen=True)
class SyncResult:
    """What sync_booking_charges did; ``note`` is a Japanese message for the desk, or ''."""

    created: tuple[int, ...] = ()
    cancelled: tuple[int, ...] = ()
    note: str = ""


def _key(kind: str, description: str, quantity: int, tax: str) -> tuple[str, str, int, str]:
    return (kind, description, quantity, tax)


def _full(c: Charge | FeeLine) -> tuple[str, str, int, int, str]:
    return (c.kind, c.description, c.quantity, c.unit_price, c.tax)


def sync_booking_charges(session: Session, actor: Actor, booking: Booking, *, now: datetime) -> SyncResult:
    """Keep the booking's open charges equal to its quote (rules in the module docstring)."""
    charges = list(session.scalars(select(Charge).where(Charge.booking_id == booking.id).order_by(Charge.id)))
    open_ = [c for c in charges if c.status == "open"]
    paid = [c for c in charges if c.status == "paid"]
    if booking.status in DEAD_STATUSES:
        for c in open_:
            c.status = "cancelled"
        if open_:
            # entity_id None: the rows are named in ``after`` (a charge id is no booking id).
            audit(session, actor, "cancel", "charge", None,
                  f"予約{booking.number}の未収金{len(open_)}件を取消（予約{BookingStatus(booking.status).label}）",
                  after={"booking_id": booking.id, "cancelled": [c.id for c in open_]}, now=now)
        note = "支払済みの料金があります。返金は領収書の取消で行ってください。" if paid else ""
        return SyncResult(cancelled=tuple(c.id for c in open_), note=note)
    if booking.status not in QUOTED_STATUSES:
        return SyncResult()

    prefix = f"{booking.start_at:%Y/%m/%d} "
    fee_class = fee_class_for(session, booking, now.date())
    raw = _lines(session, get_fees(session), booking.room_id, booking.start_at, booking.end_at,
                 {e.equipment_type_id: e.quantity for e in booking.equipment}, fee_class)
    # A line that was already charged (open or paid) keeps the price it was charged at.
    frozen = {_key(c.kind, c.description, c.quantity, c.tax): c.unit_price for c in paid + open_}
    desired = [FeeLine(ln.description, ln.quantity, frozen.get(_key(ln.kind, ln.description, ln.quantity, ln.tax),
                                                                 ln.unit_price), ln.tax, ln.kind)
               for ln in charged_lines(raw, booking.start_at)]
    # 減免: from the lines as charged (frozen prices), never frozen itself.
    desired += reduction_lines(desired, booking_reduction(get_profile(session), booking.reduction_code), prefix)

    note = ""
    want = Counter(_full(line) for line in desired)
    have_paid = Counter(_full(c) for c in paid)
    unpaid_wanted = want - have_paid  # lines still to be paid
    paid_not_wanted = have_paid - want  # paid lines the booking no longer has
    # A 減免 line not yet paid on a booking with paid lines takes money off what was paid: netted as below.
    reducing_paid = bool(paid) and any(k[0] == REDUCTION for k in unpaid_wanted)
    if not paid_not_wanted and not reducing_paid:
        target = Counter(unpaid_wanted)
    else:
        # Paid lines changed: net the difference per tax rate, as one line per rate.
        target = Counter()
        kind = "room" if booking.room_id is not None else "equipment"
        for tax in ("taxable10", "exempt"):
            more = sum(k[3] * k[2] * n for k, n in unpaid_wanted.items() if k[4] == tax)
            less = sum(k[3] * k[2] * n for k, n in paid_not_wanted.items() if k[4] == tax)
            paid_total = sum(c.amount for c in paid if c.tax == tax)
            diff = more - less
            if diff > 0:
                desc = (f"{prefix}予約{booking.number} 変更による差額"
                        f"（支払済み{yen(paid_total)}→変更後{yen(paid_total + diff)}）")
                target[(kind, desc[:200], 1, diff, tax)] += 1
            elif diff < 0:
                note = (f"変更後の料金が支払済みの額より{yen(-diff)}少なくなりました。"
                        "返金は領収書の取消（管理者）で行い、改めて領収してください。")

    keep = Counter(target)
    cancelled = []
    for c in open_:
        if keep[_full(c)] > 0:
            keep[_full(c)] -= 1
        else:
            c.status = "cancelled"
            cancelled.append(c.id)
    created_rows = []
    for (kind, desc, qty, price, tax), n in keep.items():
        for _ in range(n):
            row = Charge(booking_id=booking.id, group_id=booking.group_id, payer_name=booking.booker_name,
                         kind=kind, description=desc, quantity=qty, unit_price=price, amount=qty * price,
                         tax=tax, status="open", created_at=now, created_by=actor.id)
            session.add(row)
            created_rows.append(row)
    if created_rows or cancelled:
        session.flush()
        total = sum(r.amount for r in created_rows)
        audit(session, actor, "quote", "charge", None,
              quote_summary(booking.number, len(created_rows), total, len(cancelled), note),
              after=quote_after(booking.id, [r.id for r in created_rows], cancelled), now=now)
    elif note:
        audit(session, actor, "quote", "charge", None, f"予約{booking.number}：{note}",
              after={"booking_id": booking.id}, now=now)
    return SyncResult(tuple(r.id for r in created_rows), tuple(cancelled), note)


__all__ = ["FEES_KEY", "SyncResult", "get_fees", "save_fees", "validate_schedule", "fee_class_for", "quote",
           "quote_total", "sync_booking_charges", "PRINT_MASTER_ITEM", "PRINT_SHEET_ITEMS"]
