"""Insurance (保険): the city's plan for most registered groups, volunteers' plans with rosters, event
cover, one enrolment unpaid, and three accident reports, through ``services.insurance``."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booking_app.demo.tables import INS_EVENTS, INS_GIVEN, INS_SURNAMES, TERMINAL
from booking_app.domain import hours
from booking_app.domain import japanese_calendar as jcal
from booking_app.services import insurance as ins
from booking_app.services.centre import get_profile, list_staff
from booking_app.services.payments import take_payment
from booking_app.store.models import Charge, DayClosing, MemberGroup, Receipt


def _roster(rng: random.Random, n: int) -> list[ins.PersonInput]:
    """``n`` different members with their readings."""
    seen: set[str] = set()
    out: list[ins.PersonInput] = []
    while len(out) < n:
        (s, sk), (g, gk) = rng.choice(INS_SURNAMES), rng.choice(INS_GIVEN)
        if s + g not in seen:
            seen.add(s + g)
            out.append(ins.PersonInput(f"{s} {g}", f"{sk} {gk}"))
    return out


def seed_insurance(session: Session, *, today: date, rng_or_seed: random.Random | str | int,
                   counts: dict[str, int] | None = None) -> dict[str, int]:
    """Insurance demo data: the city's plan for most registered groups (enrolled in April), members'
    ボランティア活動保険 with rosters, a few event enrolments (one overnight B, one C with a head count),
    one enrolment left unpaid, and three accident reports (one sent, one nearing its deadline, one overdue).

    Premiums are paid through ``payments.take_payment`` at the counter. Receipt numbers must follow
    the clock and closed cash-ups take no more payments, so, seeded after the year's receipts, the
    paid enrolments are made on the last day the counter took money, after its last receipt.
    ``counts`` (the money counts) gets its receipt and charge figures brought up to date.
    """
    rng = rng_or_seed if isinstance(rng_or_seed, random.Random) else random.Random(rng_or_seed)
    profile = get_profile(session)
    staff = list_staff(session)
    desk = next((s for s in staff if s.role == "desk"), staff[0]).as_actor()
    manager = next((s for s in staff if s.role in ("manager", "admin")), staff[0]).as_actor()
    fy = jcal.fiscal_year(today)
    first, _ = jcal.fiscal_year_range(fy)
    plans = {p.code: p.id for p in ins.plans_for_year(session, fy, actor=manager,
                                                       now=datetime.combine(first, time(8, 45)))}
    groups = list(session.scalars(select(MemberGroup).where(MemberGroup.status == "active",
                                                            MemberGroup.reg_no.is_not(None))
                                  .order_by(MemberGroup.reg_no)))
    open_days = [d for d in (first + timedelta(days=i) for i in range((today - first).days))
                 if hours.opening_hours(profile, d) is not None]
    out = {"insurance_enrolments": 0, "insurance_paid": 0, "insurance_unpaid": 0, "accident_reports": 0}
    if not groups or not open_days:
        return out

    # ---- the city's 市民活動保険: most registered groups, at registration renewal in April (no premium)
    april = [d for d in open_days if d.month == 4] or open_days[:20]
    city: list[ins.EnrolmentView] = []
    for g in groups:
        if rng.random() < 0.75:
            day = rng.choice(april)
            at = datetime.combine(day, time(rng.randint(9, 16), rng.choice((0, 15, 30, 45))))
            city.append(ins.enrol_group(session, desk, plan_id=plans["CITY"], group_id=g.id, applied_on=day, now=at))

    # ---- paid enrolments: on the counter's last day with takings, after its last receipt
    closed = set(session.scalars(select(DayClosing.day).where(DayClosing.terminal == TERMINAL)))
    last = session.scalar(select(func.max(Receipt.issued_at)))
    if last is None or last.date() >= today:
        pay_day = open_days[-1]
        opened = hours.opening_hours(profile, pay_day)
        assert opened is not None  # open_days are open
        last = datetime.combine(pay_day, opened[0])
    pay_day = last.date()
    span = hours.opening_hours(profile, pay_day)
    close = datetime.combine(pay_day, span[1]) if span is not None else last
    volunteers = rng.sample([g for g in groups if g.group_type == "purpose"] or groups, k=min(10, len(groups)))
    todo = len(volunteers) + len(INS_EVENTS)
    step = max(timedelta(seconds=1), min(timedelta(minutes=6), (close - last) / (todo + 1)))
    step = timedelta(seconds=int(step.total_seconds()))
    can_pay = pay_day not in closed and close > last
    at = last
    receipts = 0

    def pay(view: ins.EnrolmentView, when: datetime, purpose: str) -> None:
        nonlocal receipts
        if can_pay and view.open_charge_ids:
            take_payment(session, desk, list(view.open_charge_ids), payer_name=view.holder_name, purpose=purpose,
                         method="cash", group_id=view.group_id, now=when, terminal=TERMINAL)
            receipts += 1

    paid_views: list[ins.EnrolmentView] = []
    unpaid = None
    for i, g in enumerate(volunteers):
        at += step
        code = "VOL-DISASTER" if i % 4 == 3 else "VOL-BASIC"
        roster = _roster(rng, rng.randint(5, 25))
        view = ins.enrol_group(session, desk, plan_id=plans[code], group_id=g.id, people=roster,
                               applied_on=pay_day, now=at)
        if i == len(volunteers) - 1:
            unpaid = view  # the one the desk is still waiting for (未払い)
            continue
        pay(view, at, "ボランティア活動保険料として")
        paid_views.append(view)
    for code, name, place, offset, days, n, head in INS_EVENTS:
        at += step
        g = rng.choice(groups)
        start = pay_day + timedelta(days=offset)
        view = ins.enrol_event(
            session, desk, plan_id=plans[code], holder_name=g.name, group_id=g.id, event_name=name,
            event_place=place, event_start=start, event_end=start + timedelta(days=days - 1),
            expected_participants=n, people=() if head else _roster(rng, n), head_count=head,
            indoor_or_bounded=True, applied_on=pay_day, now=at)
        pay(view, at, "行事用保険料として")
        paid_views.append(view)

    # ---- accident reports under the city's plan: one sent, one nearing its deadline, one overdue
    reports = 0
    if city:
        cases = (
            (today - timedelta(days=45), "公園の清掃中、草刈り鎌で左手の指を切った", "左手人差し指の切り傷（3針縫合）", "", True),
            (today - timedelta(days=10), "見守り訪問の帰りに段差で転倒した", "右足首のねんざ（通院中）", "", False),
            (today - timedelta(days=17), "行事の準備中、備品の机を倒し来場者の眼鏡を壊した", "", "眼鏡の破損（修理見積 28,000円）",
             False),
        )
        for occurred_on, what, injury, damage, sent in cases:
            e = rng.choice([v for v in city if v.cover_start <= occurred_on] or city)
            when = datetime.combine(occurred_on, time(rng.randint(9, 15), rng.choice((0, 20, 40))))
            person = f"{rng.choice(INS_SURNAMES)[0]} {rng.choice(INS_GIVEN)[0]}"
            holder = session.get_one(MemberGroup, e.group_id)  # its representative reports it (no rng drawn)
            report = ins.file_accident(session, desk, enrolment_id=e.id, person_name=person, occurred_at=when,
                                       reporter_name=holder.representative or "代表者",
                                       reporter_phone=holder.phone or holder.contact_phone or "083-000-0000",
                                       witnesses="団体の会員（同じ活動に参加）",
                                       place=rng.choice(("みもすそ川公園", "彦島 西山海岸", "長府 功山寺周辺",
                                                         "団体の活動場所（公民館）")),
                                       description=what, injury=injury, damage=damage,
                                       now=min(when + timedelta(days=1), datetime.combine(today, time(8, 45))))
            if sent:
                ins.mark_accident_sent(session, desk, report.id, sent_on=occurred_on + timedelta(days=6),
                                       now=datetime.combine(occurred_on + timedelta(days=6), time(11)))
            reports += 1

    out.update(insurance_enrolments=len(city) + len(volunteers) + len(INS_EVENTS),
               insurance_paid=receipts, insurance_unpaid=0 if unpaid is None else 1, accident_reports=reports)
    if counts is not None and "receipts" in counts:
        by_status = {status: k for status, k in session.execute(
            select(Charge.status, func.count()).group_by(Charge.status))}
        out.update(receipts=counts["receipts"] + receipts, charges=sum(by_status.values()),
                   charges_open=by_status.get("open", 0))
    return out
