"""Issue 18's statistics (services/stats/allocation.py): the lottery per room, キャンセル待ち outcomes, 減免 and
還付 totals of a month, in MonthFigures.allocation, on both databases (``db_url``).

The dataset is tests/allocation_data.py: March 2027's lottery (entries, one withdrawn, the draw), waiting-list
rows in every status, reductions on paid receipts (one voided, one in February), refunds by class.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest
from allocation_data import AFTER, IN_MONTH, MONTH, build
from factories import World

from booking_app.domain.figures import AllocationFigures
from booking_app.services.stats import allocation as alloc
from booking_app.services.stats.figures import figures_from_json, figures_to_json, month_figures, year_figures
from booking_app.services.stats.month_close import close_month
from booking_app.store.models import WaitlistEntry

pytestmark = pytest.mark.now("2027-04-02 10:00")


def _rooms(a: AllocationFigures) -> dict[str, tuple[int, ...]]:
    return {r.room: (r.entries, r.won, r.won_elsewhere, r.lost, r.pending, r.won_slots) for r in a.rooms}


def test_a_month_s_figures_count_the_lottery_waitlist_reductions_and_refunds(world: World):
    exp = build(world)
    with world.read() as s:
        f = month_figures(s, 2027, 3, now=AFTER)
    a = f.allocation
    assert a is not None
    assert _rooms(a) == exp.rooms
    assert (a.entries, a.won, a.lost, a.pending, a.withdrawn) == (exp.entries, exp.won, exp.lost, 0, exp.withdrawn)
    assert a.won_slots == sum(r[5] for r in exp.rooms.values())
    assert [(m.month, m.drawn_on) for m in a.months] == [(MONTH, date(2026, 12, 15))] and a.drawn
    assert a.waitlist == exp.waitlist
    assert {r.label: (r.count, r.yen) for r in a.reductions} == exp.reductions
    assert a.reduction_yen == 3700 and all(r.yen > 0 for r in a.reductions)
    assert [(r.label, r.detail, r.count, r.yen) for r in a.refunds] == exp.refunds
    assert a.refund_yen == 10500


def test_every_room_entry_is_exactly_one_outcome(world: World):
    build(world)
    with world.read() as s:
        a = alloc.allocation_figures(s, date(2027, 3, 1), date(2027, 4, 1))
    for r in a.rooms:
        assert r.entries == r.won + r.won_elsewhere + r.lost + r.pending
    assert a.entries == a.won + a.lost + a.pending


def test_other_months_hold_none_of_march_s_rows(world: World):
    build(world)
    with world.read() as s:
        april = month_figures(s, 2027, 4, now=AFTER).allocation
        feb = month_figures(s, 2027, 2, now=AFTER).allocation
    assert april is not None and feb is not None
    assert april.entries == 0 and not april.drawn and [m.drawn_on for m in april.months] == [None]
    assert all(r.entries == 0 for r in april.rooms) and {r.room for r in april.rooms} == {"大会議室", "多目的交流ホール"}
    # February: the request, the reduction and the 休館 refund dated in February
    assert feb.waitlist["待機中"] == 1 and sum(feb.waitlist.values()) == 1
    assert [(r.count, r.yen) for r in feb.reductions] == [(1, 1000)]
    assert [(r.detail, r.yen) for r in feb.refunds] == [("休館", 3000)]


def test_the_fiscal_year_adds_the_months_up(world: World):
    build(world)
    with world.read() as s:
        year = year_figures(s, 2026, now=AFTER).allocation
    assert year is not None
    assert len(year.months) == 12 and not year.drawn  # only March's draw was run
    assert year.reduction_yen == 3700 + 1000 and year.refund_yen == 10500 + 3000
    assert sum(year.waitlist.values()) == 7


def test_a_closed_month_keeps_its_submitted_figures(world: World):
    build(world)
    with world.write() as s:
        close_month(s, world.manager, 2027, 3, now=AFTER, force_reason="テストの月")
    with world.write() as s:  # a waiting entry is offered after the month was closed
        w = s.query(WaitlistEntry).filter_by(status="waiting", requested_at=IN_MONTH).one()
        w.status, w.offered_at, w.offered_by, w.reply_by = "offered", AFTER, world.desk.id, datetime(2027, 4, 3)
    with world.read() as s:
        f = month_figures(s, 2027, 3, now=AFTER)
        live = alloc.waitlist_outcomes(s, date(2027, 3, 1), date(2027, 4, 1))
    assert f.closed and f.allocation is not None
    assert f.allocation.waitlist["待機中"] == 1 and live["待機中"] == 0


def test_the_figures_survive_the_json_of_a_closing(world: World):
    build(world)
    with world.read() as s:
        f = month_figures(s, 2027, 3, now=AFTER)
    back = figures_from_json(figures_to_json(f))
    assert back.allocation == f.allocation
    # a closing stored before issue 18 has no allocation: read as None, and month_figures reads it live
    d = figures_to_json(f)
    d.pop("allocation")
    assert figures_from_json(d).allocation is None
    assert replace(back, allocation=None).users_total == f.users_total
