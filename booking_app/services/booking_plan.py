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

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from booking_app.domain import hours
from booking_app.domain.booking_rules import BookingStatus
from booking_app.domain.fees import FeeLine, FeeSchedule, equipment_fee_lines, room_fee_lines, yen
from booking_app.domain.profile import CentreProfile


def hm(t: datetime | time) -> str:
    """9:00, 13:30: how the desk writes a time in messages and the audit trail."""
    return f"{t.hour}:{t.minute:02d}"


# --------------------------------------------------------------------------- the quote


def fee_lines(schedule: FeeSchedule, profile: CentreProfile, room_name: str | None, start: datetime,
              end: datetime, equipment: Mapping[str, int], fee_class: str) -> list[FeeLine]:
    """Every line of a booking's fee, 0-yen lines included (the dialog shows them): the room's periods
    touched on that day's hours, then the priced equipment (``equipment``: type name → quantity)."""
    lines: list[FeeLine] = []
    if room_name is not None:
        lines += room_fee_lines(schedule, room_name, hours.periods_for(profile, start.date()), start, end,
                                fee_class)
    wanted = {name: q for name, q in equipment.items() if q}
    if wanted:
        lines += equipment_fee_lines(schedule, wanted)
    return lines


def charged_lines(lines: list[FeeLine], start: datetime) -> list[FeeLine]:
    """The lines that become charges: those of a positive amount, each named with the booking's date."""
    prefix = f"{start:%Y/%m/%d} "
    return [FeeLine(prefix + ln.description, ln.quantity, ln.unit_price, ln.tax, ln.kind)
            for ln in lines if ln.amount > 0]


# --------------------------------------------------------------------------- the audit entries


def booking_snapshot(*, room_id: int | None, start: datetime, end: datetime, status: str, booker_kind: str,
                     group_id: int | None, booker_name: str, purpose: str, attendees: int,
                     actual_users: int | None, equipment: Mapping[int, int], hold_until: date | None,
                     status_reason: str, override_reason: str, series_id: int | None) -> dict[str, Any]:
    """A booking as its audit entries record it (``before`` / ``after``)."""
    return {
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
            override_reason=b["override_reason"], series_id=b["series_id"])

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
    booking = {
        "room_id": data.room_id, "series_id": series_id, "series_detached": False,
        "group_id": group[0] if group else None, "booker_kind": data.booker_kind,
        "booker_name": group[1] if group else data.booker_name.strip(),
        "contact_phone": data.contact_phone.strip(), "purpose": data.purpose.strip(),
        "attendees": data.attendees, "start_at": data.start, "end_at": data.end, "status": status.value,
        "hold_until": data.hold_until if data.tentative else None, "actual_users": None, "status_reason": "",
        "override_reason": override_reason, "note": data.note,
        "created_at": now, "created_by": actor_id, "updated_at": now, "updated_by": actor_id,
    }
    equipment = tuple((t, q) for t, q in data.equipment.items() if q)
    charges: list[FeeLine] = []
    if quote is not None:
        schedule, profile, room_name, type_names, fee_class = quote
        lines = fee_lines(schedule, profile, room_name if data.room_id is not None else None, data.start,
                          data.end, {type_names[t]: q for t, q in equipment}, fee_class)
        # Equal lines side by side, in the order of their first, as fees.sync_booking_charges writes them.
        same: dict[tuple[str, str, int, int, str], list[FeeLine]] = {}
        for ln in charged_lines(lines, data.start):
            same.setdefault((ln.kind, ln.description, ln.quantity, ln.unit_price, ln.tax), []).append(ln)
        charges = [ln for group_lines in same.values() for ln in group_lines]
    return NewBookingPlan(booking, equipment, tuple(charges))


__all__ = ["NewBookingPlan", "booking_number", "booking_snapshot", "cancel_after", "cancelled_summary",
           "charged_lines", "created_summary", "fee_lines", "hm", "plan_new_booking", "quote_after", "quote_summary"]
