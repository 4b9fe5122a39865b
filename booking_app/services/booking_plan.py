"""How a new booking becomes rows: the one plan every writer of a booking writes.

A new booking is four kinds of row: the ``bookings`` row, its ``booking_equipment`` lines, the open
``charges`` of its quote, and two audit entries (the charges' ``quote``, then the booking's ``create``).
Three writers make them — the ORM path (``services.bookings``), the plain-SQL save
(``services.booking_fast_save``) and the demo seeder (``booking_app.demo.bookings``) — and each used to spell the
booking's audit snapshot, its charge lines and its summaries itself. They now take them from here:

* :func:`plan_new_booking` — pure (no session, no database): from the input and the facts already read
  (the room's name, the group, the profile and fee tables, the equipment names, the override reason
  that was accepted) the booking's column values, its equipment lines and its charge lines
  (:meth:`NewBookingPlan.charge_rows`: the charges' column values once the booking has its id).
* :func:`fee_lines` / :func:`charged_lines` — a booking's quote (``services.fees`` quotes a dialog and
  syncs a booking's charges with them).
* :func:`booking_snapshot`, :func:`created_summary`, :func:`quote_summary`, :func:`quote_after`,
  :func:`cancelled_summary`, :func:`cancel_after` (open charges cancelled with their booking) — the
  audit entries' content, so the trail reads the same whichever writer wrote the row
  (``tests/services/test_booking_fast_save.py`` compares the two paths' rows on both databases).

Nothing here imports the store or a session: the writers turn the plan into rows their own way (ORM
objects, or SQL compiled once from the table metadata).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from booking_app.domain import hours
from booking_app.domain.booking_rules import BookingStatus
from booking_app.domain.fees import TAX_CLASSES, FeeLine, FeeSchedule, equipment_fee_lines, room_fee_lines, yen
from booking_app.domain.profile import CentreProfile
from booking_app.domain.refunds import ReductionCode, find_reduction, reduced_fee


def hm(t: datetime | time) -> str:
    """9:00, 13:30: how the desk writes a time in messages and the audit trail."""
    return f"{t.hour}:{t.minute:02d}"


# --------------------------------------------------------------------------- the quote


def fee_lines(schedule: FeeSchedule, profile: CentreProfile, room_name: str | None, start: datetime,
              end: datetime, equipment: Mapping[str, int], fee_class: str,
              reduction: ReductionCode | None = None) -> list[FeeLine]:
    """Every line of a booking's fee, 0-yen lines included (the dialog shows them): the room's periods
    touched on that day's hours, then the priced equipment (``equipment``: type name → quantity), then
    the 減免 lines of ``reduction`` (:func:`reduction_lines`)."""
    lines: list[FeeLine] = []
    if room_name is not None:
        lines += room_fee_lines(schedule, room_name, hours.periods_for(profile, start.date()), start, end,
                                fee_class)
    wanted = {name: q for name, q in equipment.items() if q}
    if wanted:
        lines += equipment_fee_lines(schedule, wanted)
    return lines + reduction_lines(lines, reduction)


def charged_lines(lines: list[FeeLine], start: datetime) -> list[FeeLine]:
    """The lines that become charges: those of a positive amount and the 減免 lines (below zero), each
    named with the booking's date."""
    prefix = f"{start:%Y/%m/%d} "
    return [FeeLine(prefix + ln.description, ln.quantity, ln.unit_price, ln.tax, ln.kind)
            for ln in lines if ln.amount > 0 or (ln.kind == REDUCTION and ln.amount < 0)]


# --------------------------------------------------------------------------- 減免 (issue 18)

REDUCTION = "reduction"  # Charge.kind of a 減免 line


def reduction_description(reduction: ReductionCode) -> str:
    """「減免（障がい者団体 50%）」: the line's name on the dialog, the receipt and the slip."""
    return f"減免（{reduction.label} {reduction.rate}%）"


def reduction_lines(lines: Sequence[FeeLine], reduction: ReductionCode | None,
                    prefix: str = "") -> list[FeeLine]:
    """The 減免 lines of a booking's ``lines``: per tax class of the lines it reduces (10%対象, then
    非課税), one line of kind ``reduction``, quantity 1, price −reduction, where the reduction is
    ``refunds.reduced_fee`` of that class's total: the payable is rounded down and the odd yen goes to
    the reduction (50 % of ¥1,251 → −¥626, ¥625 to pay). A class totalling ¥0 (a member's room) and a
    0 % code give no line; lines already of kind ``reduction`` are not reduced again. ``prefix``: the
    booking's date, as :func:`charged_lines` names the charges."""
    if reduction is None:
        return []
    out: list[FeeLine] = []
    for tax in TAX_CLASSES:
        total = sum(ln.amount for ln in lines if ln.tax == tax and ln.kind != REDUCTION)
        if total <= 0:
            continue
        off, _payable = reduced_fee(total, reduction.rate)
        if off:
            out.append(FeeLine(prefix + reduction_description(reduction), 1, -off, tax, REDUCTION))
    return out


def booking_reduction(profile: CentreProfile, code: str | None) -> ReductionCode | None:
    """The ReductionCode of a booking's ``reduction_code`` (None: no 減免). A code the centre's settings no
    longer list raises ValidationError naming 減免区分 (the fee cannot be worked out without its rate)."""
    return None if code is None else find_reduction(profile.reductions, code)


# --------------------------------------------------------------------------- the audit entries


def booking_snapshot(*, room_id: int | None, start: datetime, end: datetime, status: str, booker_kind: str,
                     group_id: int | None, booker_name: str, purpose: str, attendees: int,
                     actual_users: int | None, equipment: Mapping[int, int], hold_until: date | None,
                     status_reason: str, override_reason: str, series_id: int | None,
                     reduction_code: str | None = None) -> dict[str, Any]:
    """A booking as its audit entries record it (``before`` / ``after``); ``reduction_code`` (減免) only
    when the booking has one, so the entries of the bookings without read as they always did."""
    extra: dict[str, Any] = {"reduction_code": reduction_code} if reduction_code else {}
    return extra | {
        "room_id": room_id, "start": start, "end": end, "status": status,
        "booker_kind": booker_kind, "group_id": group_id, "booker_name": booker_name,
        "purpose": purpose, "attendees": attendees, "actual_users": actual_users,
        "equipment": {str(t): q for t, q in equipment.items()},
        "hold_until": hold_until, "status_reason": status_reason, "override_reason": override_reason,
        "series_id": series_id,
    }


def created_summary(number: str, start: datetime, end: datetime) -> str:
    return f"予約{number}を登録（{start:%Y/%m/%d} {hm(start)}〜{hm(end)}）"


def quote_summary(number: str, created: int, total: int, cancelled: int, note: str = "") -> str:
    return (f"予約{number}の料金を更新（追加{created}件 {yen(total)}、取消{cancelled}件）"
            + (f" {note}" if note else ""))


def quote_after(booking_id: int, created: list[int], cancelled: list[int]) -> dict[str, Any]:
    return {"booking_id": booking_id, "created": created, "cancelled": cancelled}


def cancelled_summary(number: str, count: int, status: BookingStatus) -> str:
    """The ``cancel`` entry of a booking's open charges cancelled with it (取消, 無断キャンセル...)."""
    return f"予約{number}の未収金{count}件を取消（予約{status.label}）"


def cancel_after(booking_id: int, cancelled: list[int]) -> dict[str, Any]:
    return {"booking_id": booking_id, "cancelled": cancelled}


def booking_number(booking_id: int) -> str:
    return f"{booking_id:07d}"


# --------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class NewBookingPlan:
    """The rows of one new booking, before the database gives it an id.

    ``booking``: the ``bookings`` row's column values (no id, no version); ``equipment``: (type id,
    quantity) lines; ``charges``: the open charges' lines, in the order they are written.
    """

    booking: dict[str, Any]
    equipment: tuple[tuple[int, int], ...]
    charges: tuple[FeeLine, ...]

    @property
    def charges_total(self) -> int:
        return sum(c.amount for c in self.charges)

    def snapshot(self) -> dict[str, Any]:
        """The ``create`` audit entry's ``after``."""
        b = self.booking
        return booking_snapshot(
            room_id=b["room_id"], start=b["start_at"], end=b["end_at"], status=b["status"],
            booker_kind=b["booker_kind"], group_id=b["group_id"], booker_name=b["booker_name"],
            purpose=b["purpose"], attendees=b["attendees"], actual_users=b["actual_users"],
            equipment=dict(self.equipment), hold_until=b["hold_until"], status_reason=b["status_reason"],
            override_reason=b["override_reason"], series_id=b["series_id"], reduction_code=b["reduction_code"])

    def charge_rows(self, booking_id: int) -> list[dict[str, Any]]:
        """The ``charges`` rows' column values (open, made when the booking was, by its author)."""
        b = self.booking
        return [{"booking_id": booking_id, "group_id": b["group_id"], "payer_name": b["booker_name"],
                 "kind": ln.kind, "description": ln.description, "quantity": ln.quantity,
                 "unit_price": ln.unit_price, "amount": ln.amount, "tax": ln.tax, "status": "open",
                 "created_at": b["created_at"], "created_by": b["created_by"]} for ln in self.charges]

    def created_summary(self, booking_id: int) -> str:
        return created_summary(booking_number(booking_id), self.booking["start_at"], self.booking["end_at"])


def plan_new_booking(data: Any, *, actor_id: int, now: datetime, group: tuple[int, str] | None,
                     override_reason: str = "", series_id: int | None = None,
                     quote: tuple[FeeSchedule, CentreProfile, str | None, Mapping[int, str], str] | None = None,
                     ) -> NewBookingPlan:
    """The rows of a new booking of ``data`` (a ``bookings.BookingInput`` whose rules were checked).

    ``group``: the member group's (id, name) when it books as a member; ``override_reason``: the
    manager's reason when a rule was broken and overridden, else ''. ``quote``: (fee tables, profile,
    room name or None, equipment type names by id, fee class) to plan the charges too; None when the
    writer leaves them to ``fees.sync_booking_charges`` (the ORM path, which also re-quotes a changed
    booking).
    """
    status = BookingStatus.TENTATIVE if data.tentative else BookingStatus.CONFIRMED
    reduction_code = getattr(data, "reduction_code", None) or None
    booking = {
        "room_id": data.room_id, "series_id": series_id, "series_detached": False,
        "group_id": group[0] if group else None, "booker_kind": data.booker_kind,
        "booker_name": group[1] if group else data.booker_name.strip(),
        "contact_phone": data.contact_phone.strip(), "purpose": data.purpose.strip(),
        "attendees": data.attendees, "start_at": data.start, "end_at": data.end, "status": status.value,
        "hold_until": data.hold_until if data.tentative else None, "actual_users": None, "status_reason": "",
        "override_reason": override_reason, "note": data.note,
        # 減免: set only by a manager (the writers check it; PostgreSQL's trigger too), who approves it.
        "reduction_code": reduction_code, "reduction_approved_by": actor_id if reduction_code else None,
        "created_at": now, "created_by": actor_id, "updated_at": now, "updated_by": actor_id,
    }
    equipment = tuple((t, q) for t, q in data.equipment.items() if q)
    charges: list[FeeLine] = []
    if quote is not None:
        schedule, profile, room_name, type_names, fee_class = quote
        lines = fee_lines(schedule, profile, room_name if data.room_id is not None else None, data.start,
                          data.end, {type_names[t]: q for t, q in equipment}, fee_class,
                          booking_reduction(profile, reduction_code))
        # Equal lines side by side, in the order of their first, as fees.sync_booking_charges writes them.
        same: dict[tuple[str, str, int, int, str], list[FeeLine]] = {}
        for ln in charged_lines(lines, data.start):
            same.setdefault((ln.kind, ln.description, ln.quantity, ln.unit_price, ln.tax), []).append(ln)
        charges = [ln for group_lines in same.values() for ln in group_lines]
    return NewBookingPlan(booking, equipment, tuple(charges))


__all__ = ["REDUCTION", "NewBookingPlan", "booking_number", "booking_reduction", "reduction_description",
           "reduction_lines", "booking_snapshot", "cancel_after", "cancelled_summary",
           "charged_lines", "created_summary", "fee_lines", "hm", "plan_new_booking", "quote_after", "quote_summary"]
