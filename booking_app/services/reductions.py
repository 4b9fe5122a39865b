"""減免 (reductions) of bookings (issue 18): a manager approves a code of the centre's settings.

A booking's ``reduction_code`` is a code of ``CentreProfile.reductions`` (``domain.refunds.ReductionCode``:
code, label, rate) and ``reduction_approved_by`` the manager who approved it. Only a manager sets, changes
or removes them: :func:`set_reduction` (an existing booking) and :func:`check_new_reduction` (a booking
created with a code, ``BookingInput.reduction_code``) refuse anyone else with a Japanese
``PermissionDenied``; on PostgreSQL the trigger ``fukufuku_booking_reduction_guard`` (migration 0012)
refuses a desk login too.

The money follows from the code: ``fees.sync_booking_charges`` gives the booking one ``reduction`` line
per tax class (``booking_plan.reduction_lines``), and keeps it in step as for any change — on a paid
booking the existing 差額 rules apply (fees.py's docstring): a 減免 set after payment leaves the paid
charges as they are and tells the desk to void the receipt and take the payment again; a 減免 removed
after payment adds one 差額 charge for what is now owed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booking_app.domain.booking_rules import DEAD, QUOTED, BookingStatus
from booking_app.domain.errors import NotFound, RuleError
from booking_app.domain.refunds import ReductionCode, find_reduction
from booking_app.services.booking_plan import REDUCTION, booking_number
from booking_app.services.booking_views import BookingView, to_view
from booking_app.services.centre import get_profile
from booking_app.services.common import Actor, audit, require_manager
from booking_app.services.fees import sync_booking_charges
from booking_app.services.stats.month_lock import ensure_month_open
from booking_app.store.models import Booking, Charge, Staff

WHAT = "減免の承認"


@dataclass(frozen=True)
class ReductionResult:
    """The booking after :func:`set_reduction`, and the desk's note of its charges ('' or e.g.
    「変更後の料金が支払済みの額より¥1,000少なくなりました。…」)."""

    booking: BookingView
    note: str = ""


def reduction_choices(session: Session) -> tuple[ReductionCode, ...]:
    """The centre's 減免区分, in the order the settings list them (the booking dialog's combo)."""
    return get_profile(session).reductions


def reduction_label(session: Session, code: str | None) -> str:
    """「障がい者団体 50%」, 「なし」 for no code, or the bare code when the settings no longer list it."""
    if not code:
        return "なし"
    for c in get_profile(session).reductions:
        if c.code == code:
            return f"{c.label} {c.rate}%"
    return code


def approver_name(session: Session, staff_id: int | None) -> str:
    """The name of the manager who approved a 減免 ('' when none)."""
    if staff_id is None:
        return ""
    return session.scalar(select(Staff.name).where(Staff.id == staff_id)) or ""


def check_new_reduction(session: Session, actor: Actor, code: str | None) -> str | None:
    """The code a new booking may be created with: None when none is given; else only a manager
    (PermissionDenied otherwise) and only a code of the centre's settings (ValidationError)."""
    code = (code or "").strip() or None
    if code is None:
        return None
    require_manager(session, actor, WHAT)
    find_reduction(get_profile(session).reductions, code)
    return code


def set_reduction(session: Session, actor: Actor, booking_id: int, code: str | None, *,
                  now: datetime) -> ReductionResult:
    """Set, change or remove (``code`` None) the 減免 of a booking: a manager only, who becomes its approver.

    Only a 仮予約 or 確定 booking (its charges still follow its quote); the booking's month must be open in
    the statistics. The charges are re-quoted at once (sync_booking_charges) and the change is audited
    (``update`` of the booking, ``before``/``after`` its code and approver). Setting the code it already
    has changes nothing.
    """
    manager = require_manager(session, actor, WHAT)
    b = session.get(Booking, booking_id)
    if b is None:
        raise NotFound(f"予約番号 {booking_number(booking_id)} は見つかりません。")
    code = (code or "").strip() or None
    profile = get_profile(session)
    new = find_reduction(profile.reductions, code) if code is not None else None
    if b.status not in QUOTED:
        raise RuleError(f"{BookingStatus(b.status).label}の予約の減免は変更できません"
                        "（仮予約・確定の予約だけが料金を見直します）。")
    ensure_month_open(session, b.start_at.date())
    if code == b.reduction_code:
        return ReductionResult(to_view(session, b, today=now.date()))
    old = b.reduction_code
    old_text = _describe(profile.reductions, old)
    before = {"reduction_code": old, "reduction_approved_by": b.reduction_approved_by}
    b.reduction_code = code
    b.reduction_approved_by = manager.id if code is not None else None
    b.updated_at, b.updated_by = now, manager.id
    session.flush()  # the booking's code first: PostgreSQL refuses a 減免 line on a booking without one
    result = sync_booking_charges(session, manager, b, now=now)
    new_text = _describe(profile.reductions, code)
    if new is None:
        summary = f"予約{b.number}の減免を取消（{old_text}）"
    elif old is None:
        summary = f"予約{b.number}の減免を承認（{new_text}）"
    else:
        summary = f"予約{b.number}の減免を変更（{old_text}→{new_text}）"
    audit(session, manager, "update", "booking", b.id, summary, before=before,
          after={"reduction_code": code, "reduction_approved_by": b.reduction_approved_by}, now=now)
    return ReductionResult(to_view(session, b, today=now.date()), result.note)


@dataclass(frozen=True)
class ReductionTotal:
    """One 減免区分's month (for the statistics): bookings reduced and the yen taken off (a positive figure)."""

    code: str
    label: str
    rate: int | None  # None: a code the settings no longer list
    bookings: int
    yen: int


def reduction_totals(session: Session, year: int, month: int) -> list[ReductionTotal]:
    """The 減免 of the bookings used in ``year``/``month`` (their start), per code in the settings' order (codes
    no longer listed after them): the reduction lines not cancelled, of bookings not cancelled, skipped or
    expired. A paid booking whose 減免 was set after payment has no reduction line yet and is not counted
    until its receipt is taken again (fees.py)."""
    first = date(year, month, 1)
    after = date(year + (month == 12), month % 12 + 1, 1)
    rows = session.execute(
        select(Booking.reduction_code, func.count(func.distinct(Booking.id)), func.sum(Charge.amount))
        .join(Charge, Charge.booking_id == Booking.id)
        .where(Charge.kind == REDUCTION, Charge.status != "cancelled", Booking.status.not_in(DEAD),
               Booking.start_at >= datetime.combine(first, time()), Booking.start_at < datetime.combine(after, time()))
        .group_by(Booking.reduction_code)
    ).all()
    found = {code: (int(n), -int(total or 0)) for code, n, total in rows}
    codes = get_profile(session).reductions
    out = [ReductionTotal(c.code, c.label, c.rate, *found.pop(c.code)) for c in codes if c.code in found]
    out += [ReductionTotal(code or "", code or "", None, n, y) for code, (n, y) in sorted(found.items(),
                                                                                      key=lambda kv: kv[0] or "")]
    return out


def _describe(codes: tuple[ReductionCode, ...], code: str | None) -> str:
    for c in codes:
        if c.code == code:
            return f"{c.label} {c.rate}%"
    return code or "なし"


__all__ = ["ReductionResult", "ReductionTotal", "approver_name", "check_new_reduction", "reduction_choices",
           "reduction_label", "reduction_totals", "set_reduction"]
