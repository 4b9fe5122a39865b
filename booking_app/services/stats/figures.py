"""The figures the city asks for (月次・年度統計) and the months' users against last year's.

:func:`month_figures` and :func:`year_figures` give a :class:`~booking_app.domain.figures.MonthFigures`;
:func:`monthly_users` the fiscal year's :class:`~booking_app.domain.figures.MonthRow` list. A closed
month's figures are the stored, submitted ones (MonthClosing.figures), with its amendments listed; any
other period is computed from the ledger as of a moment, a running period counted up to today.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from booking_app.domain import hours
from booking_app.domain import japanese_calendar as jcal
from booking_app.domain.booking_rules import OCCUPYING, BookingStatus
from booking_app.domain.counting import fiscal_months
from booking_app.domain.errors import ValidationError
from booking_app.domain.figures import (
    NO_ROOM,
    STORED_FIELDS,
    UNREGISTERED,
    AllocationFigures,
    MonthFigures,
    MonthRow,
)
from booking_app.domain.groups import GROUP_TYPES, effective_status
from booking_app.services.centre import get_profile
from booking_app.services.common import local_now
from booking_app.services.payments import CATEGORY_LABELS
from booking_app.services.stats.allocation import allocation_figures
from booking_app.services.stats.amendments import amendments_of_month, amendments_of_year
from booking_app.services.stats.ledger import (
    COMPLETED,
    at_midnight,
    category_order,
    fy_range,
    month_label,
    month_range,
    room_users,
    staff_names,
    users_by_category,
    users_by_month,
    walkin_categories,
)
from booking_app.store.models import (
    Booking,
    Charge,
    InsuranceEnrolment,
    InsurancePlan,
    MemberGroup,
    MonthClosing,
    PrintingLog,
    Receipt,
    ReceiptLine,
    ReceiptVoid,
    Room,
)

# revenue_by_kind keys, in the order of the city's table (the cash-up's categories).
REVENUE_KINDS = ("room", "equipment", "printing", "insurance", "other")


# --------------------------------------------------------------------------- the months' users


def monthly_users(session: Session, fiscal_year: int, *, today: date | None = None) -> list[MonthRow]:
    """April to March: each month's users by category, and last year's same month (see :class:`MonthRow`).

    As of ``today`` (default: the clock's): months ahead are None, the running month counts up to today
    and carries last year's same month up to the same day, so every comparison is like-for-like.
    """
    today = today or local_now().date()
    lo = fy_range(fiscal_year - 1)[0]
    hi = min(fy_range(fiscal_year)[1], max(today + timedelta(days=1), fy_range(fiscal_year)[0]))
    cells = users_by_month(session, lo, hi)
    walkins = walkin_categories(session)
    rows = []
    for y, m in fiscal_months(fiscal_year):
        first, after = month_range(y, m)
        last_year = sum(cells.get((y - 1, m), {}).values())
        if first > today:
            rows.append(MonthRow(y, m, None, {}, last_year))
            continue
        by_cat = category_order(session, cells.get((y, m), {}), walkins)
        if today < after - timedelta(days=1):  # running: up to today, against last year up to the same day
            ly_last = _last_day(y - 1, m, today.day)
            to_date = sum(users_by_category(session, date(y - 1, m, 1), ly_last + timedelta(days=1)).values())
            rows.append(MonthRow(y, m, sum(by_cat.values()), by_cat, last_year, today.day, to_date))
        else:
            rows.append(MonthRow(y, m, sum(by_cat.values()), by_cat, last_year))
    return rows


def _last_day(year: int, month: int, day: int) -> date:
    """``day`` of that month, or the month's last day when it has fewer (29 February → 28 February)."""
    return min(date(year, month, 1) + timedelta(days=day - 1), month_range(year, month)[1] - timedelta(days=1))


def _users_by_room(session: Session, lo: date, hi: date) -> dict[str, int]:
    rows = session.execute(
        select(Booking.room_id, room_users())
        .where(Booking.start_at >= at_midnight(lo), Booking.start_at < at_midnight(hi))
        .group_by(Booking.room_id)
    ).all()
    found = {rid: int(n or 0) for rid, n in rows}
    out: dict[str, int] = {}
    for rid, name, active in session.execute(select(Room.id, Room.name, Room.active)
                                             .order_by(Room.sort_order, Room.id)):
        if active or found.get(rid):
            out[name] = found.get(rid, 0)
    if found.get(None):
        out[NO_ROOM] = found[None]
    return out


def users_by_room(session: Session, fiscal_year: int) -> dict[str, int]:
    """Room users (checked-out head counts) of the fiscal year per room; sums to 部屋利用."""
    return _users_by_room(session, *fy_range(fiscal_year))


# --------------------------------------------------------------------------- the parts of a period's figures


def _occupancy(session: Session, lo: date, hi: date) -> dict[str, dict[str, float]]:
    """Booked minutes over open minutes per room and period (午前・午後・夜間), on the open days of [lo, hi).

    Open minutes: each open day's periods (hours.periods_for, computed once per date). Booked minutes:
    the part of each live booking (確定・利用中・利用済) inside each period of its day; a room's bookings
    never overlap, so they add up. Time outside every period (the lunch hour) is not counted.
    """
    profile = get_profile(session)
    periods_of: dict[date, tuple[tuple[str, int, int], ...]] = {}

    def periods(d: date) -> tuple[tuple[str, int, int], ...]:
        if d not in periods_of:
            periods_of[d] = tuple((p.name, p.start.hour * 60 + p.start.minute, p.end.hour * 60 + p.end.minute)
                                  for p in hours.periods_for(profile, d))
        return periods_of[d]

    names: list[str] = []
    for key in ("weekday", "sunday_holiday"):
        for p in profile.periods.get(key, ()):
            if p.name not in names:
                names.append(p.name)
    open_min = dict.fromkeys(names, 0)
    d = lo
    while d < hi:
        for name, s, e in periods(d):
            open_min[name] = open_min.get(name, 0) + (e - s)
            if name not in names:
                names.append(name)
        d += timedelta(days=1)

    booked: dict[int, dict[str, int]] = {}
    for rid, start, end in session.execute(
        select(Booking.room_id, Booking.start_at, Booking.end_at)
        .where(Booking.start_at >= at_midnight(lo), Booking.start_at < at_midnight(hi),
               Booking.room_id.is_not(None), Booking.status.in_(OCCUPYING))
    ):
        if rid is None:  # excluded by the query; typed as nullable
            continue
        day = start.date()
        s_min = start.hour * 60 + start.minute
        e_min = 24 * 60 if end.date() != day else end.hour * 60 + end.minute  # ends at midnight
        cell = booked.setdefault(rid, {})
        for name, ps, pe in periods(day):
            overlap = min(e_min, pe) - max(s_min, ps)
            if overlap > 0:
                cell[name] = cell.get(name, 0) + overlap

    out: dict[str, dict[str, float]] = {}
    for rid, name, active in session.execute(select(Room.id, Room.name, Room.active)
                                             .order_by(Room.sort_order, Room.id)):
        if not active and rid not in booked:
            continue
        cell = booked.get(rid, {})
        out[name] = {p: (cell.get(p, 0) / open_min[p] if open_min.get(p) else 0.0) for p in names}
    return out


def _status_counts(session: Session, lo: date, hi: date) -> dict[str, int]:
    return {st: int(n) for st, n in session.execute(
        select(Booking.status, func.count())
        .where(Booking.start_at >= at_midnight(lo), Booking.start_at < at_midnight(hi))
        .group_by(Booking.status))}


def _users_by_group_type(session: Session, lo: date, hi: date) -> dict[str, int]:
    """Room users by the booking group's type; persons and unregistered groups together."""
    rows = session.execute(
        select(Booking.booker_kind, MemberGroup.group_type, room_users())
        .outerjoin(MemberGroup, MemberGroup.id == Booking.group_id)
        .where(Booking.start_at >= at_midnight(lo), Booking.start_at < at_midnight(hi))
        .group_by(Booking.booker_kind, MemberGroup.group_type)
    ).all()
    out = {GROUP_TYPES["purpose"]: 0, GROUP_TYPES["community"]: 0, UNREGISTERED: 0}
    for kind, gtype, n in rows:
        key = GROUP_TYPES.get(gtype, gtype) if kind == "member" and gtype else UNREGISTERED
        out[key] = out.get(key, 0) + int(n or 0)
    return out


def _groups(session: Session, lo: date, hi: date, today: date) -> tuple[int, int]:
    """(new registrations in [lo, hi), groups in good standing at the period's end or today)."""
    new = session.scalar(select(func.count()).select_from(MemberGroup)
                         .where(MemberGroup.registered_on >= lo, MemberGroup.registered_on < hi)) or 0
    on = min(hi - timedelta(days=1), today)
    registered = sum(
        1 for st, valid, reg_on, reg_no in session.execute(
            select(MemberGroup.status, MemberGroup.valid_until, MemberGroup.registered_on,
                   MemberGroup.reg_no))
        if reg_no and (reg_on is None or reg_on <= on) and effective_status(st, valid, on).in_good_standing
    )
    return int(new), registered


def _insurance(session: Session, lo: date, hi: date) -> dict[str, int]:
    rows = session.execute(
        select(InsuranceEnrolment.plan_id, func.count(InsuranceEnrolment.id))
        .where(InsuranceEnrolment.applied_on >= lo, InsuranceEnrolment.applied_on < hi,
               InsuranceEnrolment.status != "cancelled")
        .group_by(InsuranceEnrolment.plan_id)
    ).all()
    if not rows:
        return {}
    names: dict[int, str] = {pid: str((data or {}).get("name", pid)) for pid, data in session.execute(
        select(InsurancePlan.id, InsurancePlan.data).where(InsurancePlan.id.in_([r[0] for r in rows])))}
    out: dict[str, int] = {}
    for pid, n in rows:  # the same plan of different fiscal years counts under one name
        out[names[pid]] = out.get(names[pid], 0) + int(n)
    return out


def _printing(session: Session, lo: date, hi: date) -> dict[str, int]:
    uses, masters, sheets = session.execute(
        select(func.count(PrintingLog.id), func.coalesce(func.sum(PrintingLog.masters), 0),
               func.coalesce(func.sum(PrintingLog.sheets), 0))
        .where(PrintingLog.at >= at_midnight(lo), PrintingLog.at < at_midnight(hi))
    ).one()
    return {"uses": int(uses), "masters": int(masters), "sheets": int(sheets)}


def _revenue_category(kind: str | None, log_id: int | None) -> str:
    # The same categories as the daily cash-up (payments.cashup), so the two always agree, except 減免:
    # the cash-up shows it on a row of its own (the drawer), the city's table takes it off 部屋 (the
    # facility fees it reduces) and the 減免 table of the month shows it by reason.
    if log_id is not None:
        return "printing"
    if kind == "reduction":
        return "room"
    return kind if kind in ("room", "equipment", "insurance") else "other"


def _revenue(session: Session, lo: date, hi: date) -> dict[str, int]:
    """Receipts issued in [lo, hi) by kind, less the refunds of voids made in [lo, hi), by the same kinds."""
    totals = dict.fromkeys(REVENUE_KINDS, 0)
    base = (select(ReceiptLine.amount, Charge.kind, Charge.printing_log_id)
            .outerjoin(Charge, Charge.id == ReceiptLine.charge_id))
    issued = base.join(Receipt, Receipt.id == ReceiptLine.receipt_id).where(
        Receipt.issued_at >= at_midnight(lo), Receipt.issued_at < at_midnight(hi))
    for amount, kind, log_id in session.execute(issued):
        totals[_revenue_category(kind, log_id)] += amount
    voided = base.join(ReceiptVoid, ReceiptVoid.receipt_id == ReceiptLine.receipt_id).where(
        ReceiptVoid.at >= at_midnight(lo), ReceiptVoid.at < at_midnight(hi))
    for amount, kind, log_id in session.execute(voided):
        totals[_revenue_category(kind, log_id)] -= amount
    return {CATEGORY_LABELS[k]: v for k, v in totals.items()}


def _booking_split(session: Session, lo: date, hi: date, moment: datetime) -> tuple[int, int]:
    """(実績, 予定): live bookings (確定・利用中・利用済) of [lo, hi) begun before ``moment``, and after it."""
    begun = Booking.start_at < moment
    done, planned = session.execute(
        select(func.coalesce(func.sum(case((begun, 1), else_=0)), 0),
               func.coalesce(func.sum(case((begun, 0), else_=1)), 0))
        .where(Booking.start_at >= at_midnight(lo), Booking.start_at < at_midnight(hi),
               Booking.status.in_(OCCUPYING))
    ).one()
    return int(done), int(planned)


# --------------------------------------------------------------------------- a period's figures


def as_of(today: date | None, now: datetime | None) -> tuple[date, datetime]:
    """(the day figures are counted up to, the moment bookings are split at into 実績 and 予定).

    A caller naming ``today`` asks for the figures as at the end of that day; by default, now.
    """
    if now is not None:
        return now.date(), now
    if today is not None:
        return today, at_midnight(today + timedelta(days=1))
    moment = local_now()
    return moment.date(), moment


def compute(session: Session, lo: date, hi: date, label: str, *, today: date,
            moment: datetime | None = None) -> MonthFigures:
    """The figures of [lo, hi) as of ``today``: a period still running counts up to today (inclusive).

    Bookings that have begun by ``moment`` (default: the end of today) are 実績; confirmed ones after it
    are 予定. Users, cancellations, no-shows and occupancy are counted on the days up to today only, so a
    running year is never diluted by months that have not happened.
    """
    moment = moment or at_midnight(today + timedelta(days=1))
    cut = max(lo, min(hi, today + timedelta(days=1)))  # [lo, cut) is what has happened
    by_category = users_by_category(session, lo, cut)
    statuses = _status_counts(session, lo, cut)
    done, planned = _booking_split(session, lo, hi, moment)
    new_groups, registered = _groups(session, lo, cut, today)
    return MonthFigures(
        period_label=label, users_total=sum(by_category.values()), users_by_category=by_category,
        users_by_room=_users_by_room(session, lo, cut),
        users_by_group_type=_users_by_group_type(session, lo, cut),
        bookings=done,
        cancellations=statuses.get(BookingStatus.CANCELLED.value, 0),
        no_shows=statuses.get(BookingStatus.NO_SHOW.value, 0), occupancy=_occupancy(session, lo, cut),
        new_groups=new_groups, groups_registered=registered, insurance_enrolments=_insurance(session, lo, cut),
        printing=_printing(session, lo, cut), revenue_by_kind=_revenue(session, lo, cut),
        start=lo, end=hi - timedelta(days=1), as_of=today if today < hi - timedelta(days=1) else None,
        bookings_planned=planned, allocation=allocation_figures(session, lo, hi),
    )


def figures_to_json(f: MonthFigures) -> dict[str, Any]:
    """The submitted figures as stored in MonthClosing.figures (dates as ISO text)."""
    d = asdict(f)
    out = {k: d[k] for k in STORED_FIELDS}
    out["start"] = f.start.isoformat() if f.start else None
    out["end"] = f.end.isoformat() if f.end else None
    out["allocation"] = f.allocation.to_json() if f.allocation is not None else None
    return out


def figures_from_json(d: dict[str, Any]) -> MonthFigures:
    kw: dict[str, Any] = {k: d.get(k) for k in STORED_FIELDS if k in d}
    for k in ("start", "end"):
        if kw.get(k):
            kw[k] = date.fromisoformat(kw[k])
    kw.setdefault("force_reason", "")
    kw["allocation"] = AllocationFigures.from_json(kw["allocation"]) if kw.get("allocation") else None
    return MonthFigures(**kw)


def month_figures(session: Session, year: int, month: int, *, today: date | None = None,
                  now: datetime | None = None) -> MonthFigures:
    """A month's statistics: the submitted figures once closed (with amendments listed), else live ones
    as of ``now`` (a running month up to today, its bookings split into 実績 and 予定)."""
    if not 1 <= month <= 12:
        raise ValidationError("月は1〜12で指定してください。", field="month")
    amendments = amendments_of_month(session, year, month)
    closing = session.scalars(select(MonthClosing).where(MonthClosing.year == year,
                                                         MonthClosing.month == month)).first()
    if closing is not None:
        f = figures_from_json(closing.figures)
        if f.allocation is None:  # closed before issue 18's figures were stored: read them now
            f = replace(f, allocation=allocation_figures(session, *month_range(year, month)))
        return replace(f, amendments=amendments, closed=True, closed_at=closing.closed_at,
                       closed_by=staff_names(session).get(closing.closed_by, ""))
    lo, hi = month_range(year, month)
    day, moment = as_of(today, now)
    f = compute(session, lo, hi, month_label(year, month), today=day, moment=moment)
    return replace(f, amendments=amendments, year=year, month=month)


def month_allocation(session: Session, year: int, month: int) -> AllocationFigures:
    """The month's lottery, キャンセル待ち, 減免 and 還付 alone (the 月次締め tab's line): the submitted
    figures once the month is closed with them, else read now. Cheaper than :func:`month_figures`."""
    if not 1 <= month <= 12:
        raise ValidationError("月は1〜12で指定してください。", field="month")
    closing = session.scalars(select(MonthClosing).where(MonthClosing.year == year,
                                                         MonthClosing.month == month)).first()
    stored = (closing.figures or {}).get("allocation") if closing is not None else None
    if stored:
        return AllocationFigures.from_json(stored)
    return allocation_figures(session, *month_range(year, month))


def year_figures(session: Session, fiscal_year: int, *, today: date | None = None,
                 now: datetime | None = None) -> MonthFigures:
    """The fiscal year's statistics (April–March), computed from the ledger; the year's amendments listed.

    A year still running is counted up to today (``as_of``), its bookings split into 実績 and 予定, the
    same rule as :func:`monthly_users`. ``closed`` is True once all twelve months are closed
    (``closed_at`` the last of them).
    """
    lo, hi = fy_range(fiscal_year)
    day, moment = as_of(today, now)
    f = compute(session, lo, hi, jcal.fiscal_year_label(fiscal_year), today=day, moment=moment)
    months = fiscal_months(fiscal_year)
    amendments = amendments_of_year(session, fiscal_year)
    ym = MonthClosing.year * 100 + MonthClosing.month
    closings = list(session.scalars(select(MonthClosing).where(
        ym >= months[0][0] * 100 + months[0][1], ym <= months[-1][0] * 100 + months[-1][1])))
    last = max(closings, key=lambda c: c.closed_at) if len(closings) == 12 else None
    if last is None:
        return replace(f, amendments=amendments, closed=False, closed_at=None, closed_by="", year=fiscal_year)
    return replace(f, amendments=amendments, closed=True, closed_at=last.closed_at,
                   closed_by=staff_names(session).get(last.closed_by, ""), year=fiscal_year)


__all__ = ["REVENUE_KINDS", "monthly_users", "users_by_room", "as_of", "compute", "figures_to_json",
           "figures_from_json", "month_figures", "month_allocation", "year_figures"]
