"""Taking payment for a booking with 減免 (issue 18): the reduction line goes with its booking's lines.

A 減免 is an open charge below zero beside the booking's other open charges. Left unticked, the desk would
collect the full fee; ticked alone, it would make a receipt below zero. A 100 % reduction leaves ¥0: nothing
to collect, so the booking is not listed as 未収. The cash-up shows 減免 on a row of its own.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from factories import DAY, NOW, at

from booking_app.domain.errors import ValidationError
from booking_app.services import payments

pytestmark = pytest.mark.now("2026-11-25 09:00")


def _pay(world, ids):
    with world.write() as s:
        return payments.take_payment(s, world.desk, ids, payer_name="山田花子", purpose="会議室使用料として",
                                     now=NOW, terminal="受付1")


def _open(world, booking_id):
    with world.read() as s:
        return payments.open_charges(s, booking_id=booking_id)


def test_the_reduction_line_cannot_be_left_out_of_the_payment(world):
    view = world.book(at(DAY, 13), at(DAY, 17), actor=world.manager, reduction_code="disability")  # ¥2,000 − 50 %
    lines = _open(world, view.id)
    assert sorted(c.category for c in lines) == ["reduction", "room"]
    room = [c.id for c in lines if c.category == "room"]
    with pytest.raises(ValidationError) as refused:
        _pay(world, room)
    assert refused.value.field == "charges" and "減免（△¥1,000）" in str(refused.value)
    reduction = [c.id for c in lines if c.category == "reduction"]
    with pytest.raises(ValidationError):
        _pay(world, reduction)
    assert len(_open(world, view.id)) == 2  # nothing was paid by the refused attempts

    receipt = _pay(world, [c.id for c in lines])
    assert receipt.total == 1000
    assert _open(world, view.id) == []


def test_a_full_reduction_is_not_listed_as_owed_but_its_lines_stay(world):
    full = world.book(at(DAY, 9), at(DAY, 12), actor=world.manager, reduction_code="city")
    half = world.book(at(DAY + timedelta(days=1), 13), at(DAY + timedelta(days=1), 17), actor=world.manager,
                      reduction_code="disability")
    with world.read() as s:
        listed = {c.booking_id for c in payments.open_charges(s)}
    assert full.id not in listed and half.id in listed
    with world.read() as s:
        kinds = sorted(c.category for c in payments.charges_of_booking(s, full.id))
    assert kinds == ["reduction", "room"]  # on record for the statistics


def test_the_cash_up_shows_the_reduction_on_its_own_row(world):
    view = world.book(at(DAY, 13), at(DAY, 17), actor=world.manager, reduction_code="disability")
    _pay(world, [c.id for c in _open(world, view.id)])
    with world.read() as s:
        doc = payments.cashup(s, NOW.date(), "受付1")
    rows = {r.label: (r.count, r.amount) for r in doc.by_kind}
    assert rows["部屋"] == (1, 2000) and rows["減免"] == (1, -1000)
    assert doc.total_received == 1000


def test_a_day_without_reductions_has_no_reduction_row(world):
    view = world.book(at(DAY, 13), at(DAY, 17))
    _pay(world, [c.id for c in _open(world, view.id)])
    with world.read() as s:
        doc = payments.cashup(s, NOW.date(), "受付1")
    assert "減免" not in {r.label for r in doc.by_kind}


def test_the_month_s_reductions_are_one_row_per_reason_not_per_day(world):
    """Each booking's lines begin with its day of use; the statistics count by reason (issue 18)."""
    from datetime import date

    from booking_app.services.stats.allocation import reduction_totals

    for day in (DAY, DAY + timedelta(days=1)):
        view = world.book(at(day, 13), at(day, 17), actor=world.manager, reduction_code="disability")
        _pay(world, [c.id for c in _open(world, view.id)])
    with world.read() as s:
        rows = reduction_totals(s, date(2026, 11, 1), date(2026, 12, 1))
    assert [(r.label, r.count, r.yen) for r in rows] == [("減免（障がい者団体 50%）", 2, 2000)]
