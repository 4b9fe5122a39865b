"""The counter's money over the year (「カウンター」, the demo's one cash drawer).

General users' bookings (not registered groups) carry the charges their plan made when they were
booked (``demo.bookings``); most past ones were paid on the day (cash mostly, some card and QR), a
fifth in advance when booked, through ``services.payments.take_payment`` in time order, so receipts run
2026-000001 … by date. Printing-machine uses and copies are logged and paid, two receipts were voided
with a reason and issued again, some no-show fees waived, coming bookings mostly still owe their fee,
and every past day's cash-up is closed but the last two.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booking_app.demo.tables import NO_SHOW_WAIVER, PAY_METHODS, TERMINAL
from booking_app.domain import hours
from booking_app.domain.booking_rules import DEAD, BookingStatus
from booking_app.domain.profile import CentreProfile
from booking_app.services.common import Actor
from booking_app.services.payments import (
    add_item_charge,
    cancel_charge,
    close_day,
    log_printing,
    take_payment,
    void_receipt,
)
from booking_app.store.models import Booking, Charge, DayClosing, EquipmentType, MemberGroup, Receipt


def _purpose(charges: Sequence[Charge]) -> str:
    kinds = {c.kind for c in charges}
    return "施設・備品使用料として" if {"room", "equipment"} <= kinds else (
        "備品使用料として" if kinds == {"equipment"} else "施設使用料として")


def seed_money(session: Session, rng: random.Random, *, bookings: Sequence[Booking],
               charged: Mapping[int, Sequence[Charge]], profile: CentreProfile, types: Mapping[str, EquipmentType],
               today: date, first: date, desk: Actor, manager: Actor) -> dict[str, int]:
    """Charges, payments, printing-machine logs, voids and closed cash-ups of the past days.

    Every payment goes through ``services.payments`` in time order (``now`` = the moment at the
    counter), so receipt numbers run 2026-000001 … in date order, as at a real desk.
    """
    by_id = {b.id: b for b in bookings}
    open_days = [d for d in (first + timedelta(days=i) for i in range((today - first).days))
                 if hours.opening_hours(profile, d) is not None]
    closed_before = set(session.scalars(select(DayClosing.day).where(DayClosing.terminal == TERMINAL)))
    payable = set(open_days) - closed_before

    def inside_hours(at: datetime) -> bool:
        span = hours.opening_hours(profile, at.date())
        return span is not None and span[0] <= at.time() <= span[1]

    # (when, order, kind, args): run sorted, so numbers follow the clock.
    events: list[tuple[datetime, int, str, dict[str, Any]]] = []

    def add(when: datetime, kind: str, **args: Any) -> int | None:
        if when.date() not in payable:  # a closed cash-up takes no more payments
            return None
        events.append((when, len(events), kind, args))
        return len(events) - 1

    unpaid_waived = 0
    pay_events: list[int] = []
    for bid in sorted(charged):
        b = by_id[bid]
        if b.status in DEAD or b.status == BookingStatus.TENTATIVE.value:
            continue
        made = b.created_at
        method = rng.choice(PAY_METHODS)
        if (made.date() < b.start_at.date() and made.date() < today and rng.random() < 0.2
                and inside_hours(made + timedelta(minutes=5))):
            # Paid in advance at the counter when booking (前納).
            i = add(made + timedelta(minutes=5), "booking", booking=b, method=method)
            if i is not None:
                pay_events.append(i)
        elif b.start_at.date() >= today:
            continue  # a coming booking, to be paid on the day: its charges stay open (未収)
        elif b.status == BookingStatus.NO_SHOW.value:
            if rng.random() < 0.5:
                add(b.start_at + timedelta(hours=1), "waive", booking=b)
        elif rng.random() < 0.96:
            i = add(b.start_at + timedelta(minutes=rng.randint(0, 10)), "booking", booking=b, method=method)
            if i is not None:
                pay_events.append(i)
        # else: used and not yet paid (後日払い); stays open

    # Printing-machine uses: every past use of the 印刷機 booked for a group, paid when done.
    press = types.get("印刷機")
    members = sorted({b.group_id for b in bookings if b.group_id is not None})
    for b in sorted(bookings, key=lambda b: b.id):
        if (press is None or b.room_id is not None or b.status != BookingStatus.COMPLETED.value
                or not any(e.equipment_type_id == press.id for e in b.equipment)):
            continue
        masters = rng.randint(1, 6)
        copies = rng.choice((0, 0, 0, rng.randint(10, 80)))
        add(b.end_at - timedelta(minutes=5), "printing", group_id=b.group_id, masters=masters,
            sheets=masters * rng.choice((30, 50, 100, 150, 200, 300)),
            paper=rng.choice(("brought", "brought", "bought")), copies=copies)
    # Copies and laminating at the counter now and then.
    for d in open_days:
        span = hours.opening_hours(profile, d)
        assert span is not None  # open_days are open
        if members and rng.random() < 0.3:
            at = datetime.combine(d, span[0]) + timedelta(minutes=10 * rng.randint(1, 40))
            item, qty = rng.choice((("コピー 白黒", rng.randint(5, 120)), ("コピー 白黒", rng.randint(5, 40)),
                                    ("コピー カラー", rng.randint(1, 20)), ("ラミネート", rng.randint(1, 10))))
            if inside_hours(at):
                add(at, "item", group_id=rng.choice(members), item=item, qty=qty)

    # Two mistakes, voided and issued again: one in a closed day, one in the days still open.
    voided = 0
    groups_paid = [i for i in pay_events if events[i][3]["booking"].booker_kind == "group"
                   and events[i][3]["booking"].note.startswith("代表者：")]
    first_void = groups_paid[len(groups_paid) // 2] if groups_paid else None
    later = [i for i in pay_events if events[i][0].date() in open_days[-2:] and i != first_void]
    if first_void is not None:
        i = first_void
        when, _, _, args = events[i]
        args["payer"] = args["booking"].note.removeprefix("代表者：")  # the representative, not the group
        add(when + timedelta(minutes=20), "void", ref=i, reason="宛名の誤り（団体名で再発行）")
        add(when + timedelta(minutes=22), "repay", booking=args["booking"], method=args["method"])
    if later:
        i = later[0]
        when, _, _, args = events[i]
        args["purpose"] = "備品使用料として"
        add(when + timedelta(minutes=15), "void", ref=i, reason="但し書きの誤り")
        add(when + timedelta(minutes=16), "repay", booking=args["booking"], method=args["method"])

    cash: dict[date, int] = defaultdict(int)
    receipt_of: dict[int, int] = {}
    logs = items = 0
    events.sort(key=lambda e: (e[0], e[1]))
    for when, key, kind, args in events:
        ids: list[int] = []
        payer, group_id, purpose, method = "", None, "", args.get("method", "cash")
        if kind == "booking":
            b = args["booking"]
            rows = charged[b.id]
            ids, payer, group_id = [c.id for c in rows], args.get("payer", b.booker_name), b.group_id
            purpose = args.get("purpose") or _purpose(rows)
        elif kind == "repay":
            b = args["booking"]
            rows = list(session.scalars(select(Charge).where(Charge.booking_id == b.id, Charge.status == "open")
                                        .order_by(Charge.id)))
            ids, payer, group_id, purpose = [c.id for c in rows], b.booker_name, b.group_id, _purpose(rows)
        elif kind == "waive":
            for c in charged[args["booking"].id]:
                cancel_charge(session, desk, c.id, NO_SHOW_WAIVER, now=when)
                unpaid_waived += 1
            continue
        elif kind == "void":
            receipt = session.get(Receipt, receipt_of[args["ref"]])
            assert receipt is not None  # paid above
            # From the drawer when that day's takings cover it, else by bank transfer: the counted cash of a
            # day is never below zero (the demo's days differ with the rules, e.g. 先着順 after the lottery).
            method = "cash" if cash[when.date()] >= receipt.total else "transfer"
            void = void_receipt(session, manager, receipt.id, args["reason"], refund_method=method,
                                now=when, terminal=TERMINAL)
            if method == "cash":
                cash[when.date()] -= void.refund_amount
            voided += 1
            continue
        elif kind == "printing":
            group_id = args["group_id"]
            _log, fee = log_printing(session, desk, user_name="", group_id=group_id, masters=args["masters"],
                                     sheets=args["sheets"], paper=args["paper"], now=when)
            logs += 1
            ids, purpose = [fee.id] if fee is not None else [], "印刷機使用料として"
            if args["copies"]:
                ids.append(add_item_charge(session, desk, "コピー 白黒", args["copies"], payer_name="",
                                           group_id=group_id, now=when).id)
                items += 1
                purpose = "印刷機・コピー使用料として"
        elif kind == "item":
            group_id = args["group_id"]
            ids = [add_item_charge(session, desk, args["item"], args["qty"], payer_name="", group_id=group_id,
                                   now=when).id]
            items += 1
            purpose = "ラミネート代として" if args["item"] == "ラミネート" else "コピー代として"
        if not ids:
            continue
        view = take_payment(session, desk, ids, payer_name=payer or _group_name(session, group_id),
                            purpose=purpose, method=method, group_id=group_id, now=when, terminal=TERMINAL)
        receipt_of[key] = view.id
        if view.method == "cash":
            cash[when.date()] += view.total

    # Close every past day's cash-up but the last two, counted to the yen.
    closed = 0
    for d in open_days[:-2]:
        if d in closed_before:
            continue
        span = hours.opening_hours(profile, d)
        assert span is not None  # open_days are open
        close = datetime.combine(d, span[1]) + timedelta(minutes=15)
        close_day(session, desk, d, TERMINAL, cash_counted=cash[d], now=close)
        closed += 1
    n = dict(session.execute(select(Charge.status, func.count()).group_by(Charge.status)).all())
    return {
        "charges": sum(n.values()),
        "charges_open": n.get("open", 0),
        "charges_waived": unpaid_waived,
        "receipts": len(receipt_of),
        "receipts_voided": voided,
        "printing_logs": logs,
        "item_charges": items,
        "days_closed": closed,
    }


def _group_name(session: Session, group_id: int | None) -> str:
    g = session.get(MemberGroup, group_id) if group_id is not None else None
    return g.name if g else ""


