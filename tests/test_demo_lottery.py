"""The lottery in the demo data (booking_app/demo/lottery.py, issue 18): a month with entries before its draw
and the month before it drawn, on a pinned demo day, through the services only.

On 2026-12-07 (a Monday): March 2027's entries are taken 12-01〜12-10 (so far 12-01〜12-06), its draw is on
12-15; February 2027 was drawn on 2026-11-15 and its 当選 had to be confirmed by 11-29.
"""

from __future__ import annotations

import shutil
from datetime import date, datetime, time

import pytest
from sqlalchemy import func, select

from booking_app.demo.lottery import demo_months, demo_seed
from booking_app.demo.seeder import seed_demo
from booking_app.domain import lottery_rules as lr
from booking_app.services import lottery as lot
from booking_app.services.centre import ensure_initial_data, get_profile
from booking_app.store.engine import make_engine, read_session, write_session
from booking_app.store.models import AuditEntry, Booking

# Seeding the demo year takes 10–40 s on a shared 2-core machine (see tests/services/test_demo.py).
pytestmark = [pytest.mark.timeout(300), pytest.mark.now("2026-12-07 10:00")]

TODAY = date(2026, 12, 7)
PENDING, DRAWN = date(2027, 3, 1), date(2027, 2, 1)


@pytest.fixture(scope="module")
def demo(_sqlite_template, tmp_path_factory):
    path = tmp_path_factory.mktemp("demo-lottery") / "demo.sqlite3"
    shutil.copy(_sqlite_template, path)
    engine = make_engine(f"sqlite:///{path.as_posix()}")
    with write_session(engine) as s:
        ensure_initial_data(s)
        counts = seed_demo(s, today=TODAY, seed=7)
    yield engine, counts
    engine.dispose()


@pytest.mark.parametrize("today, pending", [
    (date(2026, 12, 7), date(2027, 3, 1)),  # the window is open
    (date(2026, 12, 12), date(2027, 3, 1)),  # closed, the draw to come
    (date(2026, 12, 1), date(2027, 2, 1)),  # the window opens today: the month before (drawn on 11-15 in real life)
    (date(2026, 11, 25), date(2027, 2, 1)),  # after the draw day: left for the demo's user to draw
    (date(2027, 1, 5), date(2027, 4, 1)),
])
def test_which_months_the_demo_seeds(today, pending):
    rules = lr.LotteryRules()
    assert demo_months(rules, today) == (pending, lr.add_months(pending, -1))
    # Whatever the day, the drawn month's draw and deadline are behind it, and the pending one's window opened.
    p, d = demo_months(rules, today)
    assert lr.confirm_by(rules, d) < today and lr.entry_window(rules, p)[0] < today


def test_the_pending_month_has_entries_and_no_draw(demo):
    engine, counts = demo
    with read_session(engine) as s:
        entries = lot.list_entries(s, PENDING)
        assert lot.draw_view(s, PENDING) is None
        rules = lr.lottery_rules(get_profile(s))
    assert counts["lottery_pending_month"] == 202703 and counts["lottery_pending_entries"] == len(entries)
    assert 35 <= len(entries) <= 40
    assert {e.status for e in entries} == {"entered", "withdrawn"}
    assert sum(e.status == "withdrawn" for e in entries) == 3
    assert all(e.withdraw_reason for e in entries if e.status == "withdrawn")
    assert all(datetime(2026, 12, 1) <= e.taken_at < datetime(2026, 12, 7) for e in entries)
    assert [e.entry_no for e in entries] == list(range(1, len(entries) + 1))
    assert {e.channel for e in entries} == {"counter", "phone"}
    slots = [s for e in entries for w in e.wishes for s in w.slots]
    assert {s.room_name for s in slots} <= set(rules.rooms) and len({s.room_name for s in slots}) == 2
    assert all(s.start.hour >= 17 and s.start.date().month == 3 for s in slots)  # evenings of March
    assert any(len(w.slots) == 2 for e in entries for w in e.wishes)  # all-or-nothing pairs
    assert any(len(e.wishes) == 3 for e in entries)
    per_group: dict[int, int] = {}
    for e in entries:
        per_group[e.group_id] = per_group.get(e.group_id, 0) + 1
    assert max(per_group.values()) <= rules.max_entries_per_group and len(per_group) >= 15


def test_the_drawn_month_was_drawn_with_the_fixed_seed_and_its_wins_settled(demo):
    engine, counts = demo
    with read_session(engine) as s:
        view = lot.draw_view(s, DRAWN)
        assert view is not None
        assert lot.replay_draw(s, DRAWN)
        holds = {b.id: b for b in s.scalars(select(Booking).where(Booking.purpose.like("抽選当選（2027年2月分%")))}
        entries = lot.list_entries(s, DRAWN)
    assert view.seed == demo_seed(7, DRAWN) and view.drawn_at == datetime(2026, 11, 15, 10, 0)
    assert view.won == len(view.winners) > 5 and view.lost == len(view.losers) > 0
    assert counts["lottery_won"] == view.won and counts["lottery_drawn_month"] == 202702
    assert {e.status for e in entries} <= {"won", "lost", "withdrawn"}
    won_ids = {s.booking_id for v in view.winners for s in v.won_slots}
    assert won_ids == set(holds)
    statuses = [b.status for b in holds.values()]
    assert statuses.count("cancelled") == 1 and statuses.count("expired") == counts["lottery_lapsed"] == 2
    assert statuses.count("confirmed") == counts["lottery_confirmed"] == len(holds) - 3
    assert all(b.hold_until == date(2026, 11, 29) and b.booker_kind == "member" for b in holds.values())
    assert all(b.start_at.month == 2 and b.start_at.year == 2027 for b in holds.values())


def test_nothing_of_the_lottery_is_later_than_the_demo_day(demo):
    engine, _ = demo
    with read_session(engine) as s:
        lottery = s.scalar(select(func.max(AuditEntry.at)).where(AuditEntry.entity.in_(("lottery_entry",
                                                                                        "lottery_draw"))))
        latest = s.scalar(select(func.max(AuditEntry.at)))
        kinds = {(a, e) for a, e in s.execute(select(AuditEntry.action, AuditEntry.entity).where(
            AuditEntry.entity.in_(("lottery_entry", "lottery_draw"))))}
    assert lottery < datetime.combine(TODAY, time()) and latest == datetime.combine(TODAY, time(8, 45))
    assert kinds == {("create", "lottery_entry"), ("withdraw", "lottery_entry"), ("draw", "lottery_draw")}
