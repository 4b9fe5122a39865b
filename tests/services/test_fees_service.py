"""Fees as services: the stored tables, quotes by fee class, and a booking's charges through its life."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest
from factories import DAY, NOW, World, at
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from booking_app.domain import hours
from booking_app.domain.errors import PermissionDenied, ValidationError
from booking_app.domain.fees import FeeSchedule, load_default_fees
from booking_app.domain.recurrence import RecurrenceRule
from booking_app.services import bookings as svc
from booking_app.services import fees
from booking_app.services import payments as pay
from booking_app.services import series as series_svc
from booking_app.services.centre import get_profile
from booking_app.store.models import AuditEntry, Charge

TERM = "受付1"


def charges(world: World, booking_id: int, status: str | None = None) -> list[Charge]:
    with world.read() as s:
        q = select(Charge).where(Charge.booking_id == booking_id).order_by(Charge.id)
        if status:
            q = q.where(Charge.status == status)
        rows = list(s.scalars(q))
        s.expunge_all()
        return rows


def edit(world: World, b: svc.BookingView, **changes) -> None:
    """Edit a booking the way the dialog does: its current input with some fields changed."""
    with world.write() as s:
        svc.update_booking(s, world.desk, b.id, svc.with_overrides(b.to_input(), **changes), now=NOW)


def amounts(rows: list[Charge]) -> list[tuple[str, int]]:
    return [(c.description, c.amount) for c in rows]


# --------------------------------------------------------------------------- tables


def test_fees_default_then_stored_and_manager_only(world: World):
    with world.read() as s:
        assert fees.get_fees(s) == load_default_fees()
    d = load_default_fees().to_dict()
    d["rooms"]["大会議室"]["general"]["午前"] = 1800
    d["issuer"]["operator"] = "NPO法人ふくふく"
    new = FeeSchedule.from_dict(d)
    with world.write() as s, pytest.raises(PermissionDenied):
        fees.save_fees(s, world.desk, new, now=NOW)
    bad = FeeSchedule.from_dict({**d, "issuer": {**d["issuer"], "invoice_number": "T1234567890124"}})
    with world.write() as s, pytest.raises(ValidationError) as exc:
        fees.save_fees(s, world.manager, bad, now=NOW)
    assert exc.value.field == "invoice_number"
    with world.write() as s:
        fees.save_fees(s, world.manager, new, now=NOW)
    with world.read() as s:
        got = fees.get_fees(s)
        assert got.room_fees["大会議室"]["general"]["午前"] == 1800
        assert got.operator == "NPO法人ふくふく"
        assert got.items == load_default_fees().items
        assert s.scalar(select(AuditEntry.summary).where(AuditEntry.entity == "fees")) == "料金表を変更"


# --------------------------------------------------------------------------- quotes


def test_quote_member_general_and_expired_group(world: World):
    member = world.make_group("ふくふく子ども食堂", valid_until=date(2027, 3, 31))
    expired = world.make_group("旧年度の会", valid_until=date(2026, 3, 31))
    start, end = at(DAY, 11), at(DAY, 14)  # touches 午前 and 午後
    with world.read() as s:
        general = fees.quote(s, world.input(start, end), today=NOW.date())
        assert [(ln.description, ln.amount) for ln in general] == [("大会議室 午前", 1500), ("大会議室 午後", 2000)]
        assert fees.fee_class_for(s, world.input(start, end, group_id=member), NOW.date()) == "member"
        as_member = world.input(start, end, group_id=member)
        assert fees.quote_total(fees.quote(s, as_member, today=NOW.date())) == 0
        assert fees.fee_class_for(s, world.input(start, end, group_id=expired), NOW.date()) == "general"
        as_expired = world.input(start, end, group_id=expired)
        assert fees.quote_total(fees.quote(s, as_expired, today=NOW.date())) == 3500
        # an unregistered group pays general rates; an empty time quotes nothing
        grp = world.input(start, end, booker_kind="group", booker_name="有志の会")
        assert fees.quote_total(fees.quote(s, grp, today=NOW.date())) == 3500
        assert fees.quote(s, replace(grp, end=start), today=NOW.date()) == []


def test_quote_includes_priced_equipment(world: World):
    d = load_default_fees().to_dict()
    d["equipment"]["プロジェクター"] = {"price": 300, "tax": "taxable10"}
    with world.write() as s:
        fees.save_fees(s, world.manager, FeeSchedule.from_dict(d), now=NOW)
    data = world.input(at(DAY, 9), at(DAY, 12), room="小会議室1", equipment=world.equip(プロジェクター=2, ホワイトボード=1))
    with world.read() as s:
        lines = fees.quote(s, data, today=NOW.date())
    assert [(ln.description, ln.quantity, ln.amount, ln.kind) for ln in lines] == [
        ("小会議室1 午前", 1, 500, "room"), ("プロジェクター", 2, 600, "equipment")]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lo=st.integers(min_value=36, max_value=87), span=st.integers(min_value=1, max_value=52),
       room=st.sampled_from(["大会議室", "小会議室1", "作業室"]),
       day=st.sampled_from([DAY, date(2026, 12, 6), date(2026, 11, 23)]))  # Wed, Sun, 勤労感謝の日
def test_quote_total_is_the_sum_of_touched_periods(world: World, lo, span, room, day):
    hi = min(lo + span, 88)
    start, end = at(day, lo // 4, lo % 4 * 15), at(day, hi // 4, hi % 4 * 15)
    table = load_default_fees().room_fees[room]["general"]
    with world.read() as s:
        periods = hours.periods_for(get_profile(s), day)
        touched = [p for p in periods
                   if start < datetime.combine(day, p.end) and datetime.combine(day, p.start) < end]
        if not touched:  # wholly inside a gap between periods: the following period (or the last)
            after = [p for p in periods if p.start >= end.time()]
            touched = [after[0] if after else periods[-1]]
        expected = sum(table[p.name] for p in touched)
        got = fees.quote_total(fees.quote(s, world.input(start, end, room=room), today=NOW.date()))
    assert got == expected


# --------------------------------------------------------------------------- a booking's charges


def test_booking_charges_follow_the_quote_until_cancelled(world: World):
    b = world.book(at(DAY, 10), at(DAY, 12))  # 山田花子, general: 午前
    assert amounts(charges(world, b.id, "open")) == [("2026/12/02 大会議室 午前", 1500)]
    with world.write() as s:
        assert [c.amount for c in pay.open_charges(s, booking_id=b.id)] == [1500]
    # editing an unpaid booking re-quotes: now 午前 and 午後
    edit(world, b, end=at(DAY, 14))
    assert amounts(charges(world, b.id, "open")) == [("2026/12/02 大会議室 午前", 1500),
                                                   ("2026/12/02 大会議室 午後", 2000)]
    # an edit that changes no fee leaves the charges as they are
    before = [c.id for c in charges(world, b.id, "open")]
    edit(world, b, end=at(DAY, 14), attendees=7)
    assert [c.id for c in charges(world, b.id, "open")] == before
    with world.write() as s:
        svc.cancel_booking(s, world.desk, b.id, "雨天中止", now=NOW)
    assert charges(world, b.id, "open") == []
    # the 午前 line survived the re-quote (same line, same price), so two charges are cancelled
    assert len(charges(world, b.id, "cancelled")) == 2
    with world.read() as s:
        assert pay.open_charges(s, booking_id=b.id) == []


def test_member_booking_has_no_charge_and_no_show_keeps_the_fee(world: World):
    g = world.make_group(valid_until=date(2027, 3, 31))
    m = world.book(at(DAY, 9), at(DAY, 12), group_id=g)
    assert charges(world, m.id) == []
    b = world.book(at(DAY, 13), at(DAY, 17))
    with world.write() as s:
        svc.mark_no_show(s, world.desk, b.id, now=datetime(2026, 12, 2, 18, 0))
    assert amounts(charges(world, b.id, "open")) == [("2026/12/02 大会議室 午後", 2000)]


def test_a_change_of_the_tables_does_not_change_a_charge(world: World):
    b = world.book(at(DAY, 10), at(DAY, 12))
    d = load_default_fees().to_dict()
    d["rooms"]["大会議室"]["general"] = {"午前": 3000, "午後": 4000, "夜間": 4000}
    with world.write() as s:
        fees.save_fees(s, world.manager, FeeSchedule.from_dict(d), now=NOW)
    assert [c.amount for c in charges(world, b.id, "open")] == [1500]
    # an unrelated edit keeps the frozen price; a newly touched period is charged at today's table
    edit(world, b, attendees=8)
    assert [c.amount for c in charges(world, b.id, "open")] == [1500]
    edit(world, b, end=at(DAY, 14))
    assert [c.amount for c in charges(world, b.id, "open")] == [1500, 4000]


def test_paid_booking_edited_gets_a_difference_charge(world: World):
    b = world.book(at(DAY, 10), at(DAY, 12))
    with world.write() as s:
        ids = [c.id for c in pay.open_charges(s, booking_id=b.id)]
        pay.take_payment(s, world.desk, ids, payer_name="山田花子", purpose="会議室使用料として", now=NOW, terminal=TERM)
    # moved to the next day and longer: the paid 12/2 line is gone, so the difference is charged
    nxt = date(2026, 12, 3)
    edit(world, b, start=at(nxt, 10), end=at(nxt, 14))
    open_ = charges(world, b.id, "open")
    assert [c.amount for c in open_] == [2000]
    assert "差額" in open_[0].description and "¥1,500" in open_[0].description
    assert [c.amount for c in charges(world, b.id, "paid")] == [1500]  # never changed
    # back to what was paid for (another date, same fee): the difference charge goes away
    edit(world, b, start=at(nxt, 10), end=at(nxt, 12))
    assert charges(world, b.id, "open") == []
    assert len(charges(world, b.id, "cancelled")) == 1
    # cheaper than paid: nothing is charged and the audit note says a refund needs a void
    edit(world, b, start=at(nxt, 10), end=at(nxt, 12), room_id=world.rooms["小会議室1"])
    assert charges(world, b.id, "open") == []
    with world.read() as s:
        notes = [a.summary for a in s.scalars(select(AuditEntry).where(AuditEntry.entity == "charge"))]
    assert any("¥1,000少なくなりました" in n and "返金は領収書の取消" in n for n in notes), notes


def test_series_dates_each_get_their_charges(world: World):
    rule = RecurrenceRule(kind="weekly", start=DAY, count=3, weekdays=(2,))
    template = world.input(at(DAY, 18), at(DAY, 21), room="小会議室1")
    with world.write() as s:
        res = series_svc.create_series(s, world.desk, template, rule, skip_unavailable=True, now=NOW)
    for bid in res.created:
        assert [c.amount for c in charges(world, bid, "open")] == [700]
    with world.write() as s:
        series_svc.cancel_series(s, world.desk, res.created[0], "all", "活動休止", now=NOW)
    for bid in res.created:
        assert charges(world, bid, "open") == []
