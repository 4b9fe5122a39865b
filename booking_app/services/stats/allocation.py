"""The statistics of issue 18 for a period [lo, hi): the lottery, the waiting lists, 減免 and 還付.

Read straight from their tables (migrations 0011 and 0012), never from the services that fill them, so
the figures say what the rows say:

* 抽選 — entries whose month of use is in the period, per lottery room: entries (not withdrawn) with a
  wish in the room, split into 当選 in this room (a wish of the room holds a booking: LotteryWish.booking_id),
  当選 in another room, 落選 and not yet drawn (LotteryEntry.status); the period's months of use with the
  day each draw was run (LotteryDraw).
* キャンセル待ち — entries requested in the period (requested_at) by their status now.
* 減免 — charge lines of kind 'reduction' on receipts issued in the period and not voided, per label
  (the line's description): count and the yen taken off as a positive figure.
* 還付 — refunds made in the period (Refund.at), by class: a reason of the refund rules' ``full_reasons``
  (or a refund whose recorded why_text says so) with the reason as the detail, else by days with the rate.

:func:`allocation_figures` gives them as one :class:`~booking_app.domain.figures.AllocationFigures`;
``figures.compute`` puts it into MonthFigures.allocation.
"""

from __future__ import annotations

import re

from dataclasses import replace
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booking_app.domain import lottery_rules as lr
from booking_app.domain.figures import (
    REFUND_BY_DAYS,
    REFUND_FULL_REASON,
    WAITLIST_LABELS,
    AllocationFigures,
    CountYen,
    LotteryMonth,
    LotteryRoomFigures,
)
from booking_app.domain.refunds import refund_rules
from booking_app.services.centre import get_profile
from booking_app.services.stats.ledger import at_midnight
from booking_app.store.models import (
    Charge,
    LotteryDraw,
    LotteryEntry,
    LotteryWish,
    Receipt,
    ReceiptLine,
    ReceiptVoid,
    Refund,
    Room,
    WaitlistEntry,
)


def _months(lo: date, hi: date) -> list[date]:
    out, m = [], lr.month_start(lo)
    if m < lo:
        m = lr.add_months(m, 1)
    while m < hi:
        out.append(m)
        m = lr.add_months(m, 1)
    return out


def lottery_part(session: Session, lo: date, hi: date) -> AllocationFigures:
    """The lottery's figures of the months of use in [lo, hi) (the other parts left empty)."""
    rules = lr.lottery_rules(get_profile(session))
    rows = session.execute(
        select(LotteryEntry.id, LotteryEntry.status, LotteryWish.room_id, LotteryWish.booking_id)
        .join(LotteryWish, LotteryWish.entry_id == LotteryEntry.id)
        .where(LotteryEntry.month >= lo, LotteryEntry.month < hi)
    ).all()
    status: dict[int, str] = {}
    wished: dict[int, set[int]] = {}
    won_in: dict[int, set[int]] = {}
    won_slots: dict[int, int] = {}
    for entry_id, st, room_id, booking_id in rows:
        status[entry_id] = st
        wished.setdefault(entry_id, set()).add(room_id)
        if booking_id is not None and st != "withdrawn":
            won_in.setdefault(entry_id, set()).add(room_id)
            won_slots[room_id] = won_slots.get(room_id, 0) + 1

    cells: dict[int, dict[str, int]] = {}
    for entry_id, rooms in wished.items():
        st = status[entry_id]
        if st == "withdrawn":
            continue
        for room_id in rooms:
            cell = cells.setdefault(room_id, dict.fromkeys(("entries", "won", "won_elsewhere", "lost", "pending"), 0))
            cell["entries"] += 1
            if room_id in won_in.get(entry_id, ()):
                cell["won"] += 1
            elif st == "won":
                cell["won_elsewhere"] += 1
            elif st == "lost":
                cell["lost"] += 1
            else:
                cell["pending"] += 1

    # The lottery rooms as the rules name them, in the rooms' order; a room with entries no longer in the
    # rules (the setting changed) is still listed.
    out_rooms = []
    for rid, name in session.execute(select(Room.id, Room.name).order_by(Room.sort_order, Room.id)):
        if name in rules.rooms or rid in cells:
            c = cells.get(rid, {})
            out_rooms.append(LotteryRoomFigures(
                name, c.get("entries", 0), c.get("won", 0), c.get("won_elsewhere", 0), c.get("lost", 0),
                c.get("pending", 0), won_slots.get(rid, 0)))
    statuses = list(status.values())
    drawn = {m: at.date() for m, at in session.execute(
        select(LotteryDraw.month, LotteryDraw.drawn_at).where(LotteryDraw.month >= lo, LotteryDraw.month < hi))}
    return AllocationFigures(
        rooms=tuple(out_rooms), months=tuple(LotteryMonth(m, drawn.get(m)) for m in _months(lo, hi)),
        entries=sum(1 for s in statuses if s != "withdrawn"), won=statuses.count("won"),
        lost=statuses.count("lost"), pending=statuses.count("entered"), withdrawn=statuses.count("withdrawn"),
        won_slots=sum(won_slots.values()))


def waitlist_outcomes(session: Session, lo: date, hi: date) -> dict[str, int]:
    """キャンセル待ち requested in [lo, hi) by status, every status listed (0 when none), by its name."""
    found = {st: int(n) for st, n in session.execute(
        select(WaitlistEntry.status, func.count())
        .where(WaitlistEntry.requested_at >= at_midnight(lo), WaitlistEntry.requested_at < at_midnight(hi))
        .group_by(WaitlistEntry.status))}
    out = {label: found.pop(st, 0) for st, label in WAITLIST_LABELS.items()}
    out.update(found)  # a status the table may gain later is shown, not dropped
    return out


_DAY_PREFIX = re.compile(r"^\d{4}/\d{1,2}/\d{1,2} ")  # the day of use on a booking's charge lines


def reduction_totals(session: Session, lo: date, hi: date) -> tuple[CountYen, ...]:
    """減免 lines on receipts issued in [lo, hi) and not voided, per label: count and yen taken off (positive).

    The label is the line's description without the day of use a booking's lines begin with
    (「2026/12/02 減免（障がい者団体 50%）」 counts as 「減免（障がい者団体 50%）」): one row per reason, not per day."""
    voided = select(ReceiptVoid.receipt_id)
    rows = session.execute(
        select(ReceiptLine.description, ReceiptLine.amount)
        .join(Charge, Charge.id == ReceiptLine.charge_id)
        .join(Receipt, Receipt.id == ReceiptLine.receipt_id)
        .where(Charge.kind == "reduction", Receipt.issued_at >= at_midnight(lo),
               Receipt.issued_at < at_midnight(hi), ReceiptLine.receipt_id.not_in(voided))
    ).all()
    totals: dict[str, list[int]] = {}
    for description, amount in rows:
        cell = totals.setdefault(_DAY_PREFIX.sub("", str(description)), [0, 0])
        cell[0] += 1
        cell[1] -= int(amount)
    return tuple(CountYen(label, n, off) for label, (n, off) in sorted(totals.items()))


def refund_totals(session: Session, lo: date, hi: date) -> tuple[CountYen, ...]:
    """還付 made in [lo, hi) by class: the full reasons (each reason, in the rules' order), then by days
    (each rate, highest first). A refund counts as a full reason when its reason is one of the rules'
    full_reasons or its why_text recorded it so (the rules may have changed since)."""
    full_reasons = refund_rules(get_profile(session)).full_reasons
    rows = session.execute(select(Refund.reason, Refund.why_text, Refund.rate, Refund.amount)
                           .where(Refund.at >= at_midnight(lo), Refund.at < at_midnight(hi))).all()
    full: dict[str, list[int]] = {}
    by_days: dict[int, list[int]] = {}
    for reason, why, rate, amount in rows:
        text = (reason or "").strip()
        if text in full_reasons or (why or "") == f"{text}による取消のため全額還付":
            cell = full.setdefault(text, [0, 0])
        else:
            cell = by_days.setdefault(int(rate), [0, 0])
        cell[0] += 1
        cell[1] += int(amount)
    order = {r: i for i, r in enumerate(full_reasons)}
    out = [CountYen(REFUND_FULL_REASON, n, y, reason)
           for reason, (n, y) in sorted(full.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0]))]
    out += [CountYen(REFUND_BY_DAYS, n, y, f"{rate}%") for rate, (n, y) in sorted(by_days.items(), reverse=True)]
    return tuple(out)


def allocation_figures(session: Session, lo: date, hi: date) -> AllocationFigures:
    """The lottery, キャンセル待ち, 減免 and 還付 of [lo, hi) (see the module docstring)."""
    return replace(lottery_part(session, lo, hi), waitlist=waitlist_outcomes(session, lo, hi),
                   reductions=reduction_totals(session, lo, hi), refunds=refund_totals(session, lo, hi))


__all__ = ["allocation_figures", "lottery_part", "waitlist_outcomes", "reduction_totals", "refund_totals"]
