"""Demo data (デモデータ): believable, obeying every booking rule, fast and repeatable."""

from __future__ import annotations

import hashlib
import re
import shutil
import time as clock
from collections import defaultdict
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from booking_app.domain import hours
from booking_app.domain.booking_rules import BLOCKING_STATUSES, peak_in_use
from booking_app.services.centre import ensure_initial_data, get_profile
from booking_app.services.demo import seed_demo
from booking_app.store.engine import make_engine, read_session, write_session
from booking_app.store.models import AuditEntry, Booking, BookingSeries, EquipmentType, MemberGroup, Room

TODAY = date(2026, 11, 25)
LIVE = {s.value for s in BLOCKING_STATUSES}
HIRAGANA = re.compile(r"^[\u3041-\u309f\u30fc0-9]+$")


def _seeded(template, folder, seed: int = 7):
    path = folder / "demo.sqlite3"
    shutil.copy(template, path)
    engine = make_engine(f"sqlite:///{path.as_posix()}")
    t0 = clock.perf_counter()
    with write_session(engine) as s:
        ensure_initial_data(s)
        counts = seed_demo(s, today=TODAY, seed=seed)
    return engine, counts, clock.perf_counter() - t0


@pytest.fixture(scope="module")
def demo(_sqlite_template, tmp_path_factory):
    """One seeded database shared by the read-only checks of this module (seeding takes seconds)."""
    engine, counts, elapsed = _seeded(_sqlite_template, tmp_path_factory.mktemp("demo"))
    yield engine, counts, elapsed
    engine.dispose()


def _digest(engine) -> str:
    h = hashlib.sha256()
    with read_session(engine) as s:
        for row in s.execute(select(Booking.room_id, Booking.start_at, Booking.end_at, Booking.status,
                                    Booking.booker_name, Booking.attendees, Booking.actual_users,
                                    Booking.status_reason, Booking.series_id).order_by(Booking.id)):
            h.update(repr(tuple(row)).encode())
        for row in s.execute(select(MemberGroup.reg_no, MemberGroup.name, MemberGroup.kana, MemberGroup.status,
                                    MemberGroup.phone).order_by(MemberGroup.id)):
            h.update(repr(tuple(row)).encode())
    return h.hexdigest()


def test_counts_are_those_of_a_busy_centre_and_seeding_is_fast(demo):
    engine, counts, elapsed = demo
    assert elapsed < 15, f"seeding took {elapsed:.1f} s"  # about 3 s on the 2-core machine
    assert counts["groups"] == 300 and 240 <= counts["groups_active"] < 300
    assert counts["first_day"] == "2026-04-01" and counts["last_day"] == "2027-02-28"
    assert 6000 <= counts["bookings"] <= 11000
    with read_session(engine) as s:
        assert s.scalar(select(func.count()).select_from(MemberGroup)) == 300
        per_day = defaultdict(int)
        for (start,) in s.execute(select(Booking.start_at).where(Booking.status != "skipped")):
            per_day[start.date()] += 1
    past = [n for d, n in per_day.items() if d < TODAY]
    assert 25 <= sum(past) / len(past) <= 35  # "about 30 bookings a day"
    assert max(per_day) <= date(2027, 2, 28) and min(per_day) >= date(2026, 4, 1)
    assert date(2026, 12, 31) not in per_day and date(2027, 1, 2) not in per_day  # 年末年始休館


def test_groups_look_like_the_register(demo):
    engine, _, _ = demo
    with read_session(engine) as s:
        groups = list(s.scalars(select(MemberGroup).order_by(MemberGroup.reg_no)))
    assert [g.reg_no for g in groups] == [f"{i:04d}" for i in range(1, 301)]
    assert len({g.name for g in groups}) == 300
    machi = [g for g in groups if g.is_machizukuri]
    assert len(machi) == 17 and len({g.district for g in machi}) == 17
    assert all(g.name.endswith("まちづくり協議会") and g.group_type == "community" for g in machi)
    assert any(g.name.startswith("NPO法人") for g in groups) and any(g.name.endswith("自治会") for g in groups)
    assert all(HIRAGANA.match(g.kana) for g in groups), [g.kana for g in groups if not HIRAGANA.match(g.kana)][:5]
    assert all(re.fullmatch(r"083-\d{3}-\d{4}", g.phone) for g in groups)
    statuses = {g.status for g in groups}
    assert {"active", "expired", "suspended"} <= statuses
    assert all(g.valid_until == date(2027, 3, 31) for g in groups if g.status == "active")
    assert all(g.representative for g in groups)


def test_no_room_is_booked_twice_and_equipment_never_exceeds_stock(demo):
    engine, _, _ = demo
    with read_session(engine) as s:
        rows = list(s.execute(select(Booking.id, Booking.room_id, Booking.start_at, Booking.end_at, Booking.status,
                                     Booking.attendees).order_by(Booking.room_id, Booking.start_at)))
        capacity = {i: c for i, c in s.execute(select(Room.id, Room.capacity))}
        stock = {i: n for i, n in s.execute(select(EquipmentType.id, EquipmentType.stock))}
        equipment = defaultdict(list)
        for b in s.scalars(select(Booking).where(Booking.status.in_(LIVE))):
            for line in b.equipment:
                equipment[(line.equipment_type_id, b.start_at.date())].append((b.start_at, b.end_at, line.quantity))
        profile = get_profile(s)
    assert len(equipment) > 500
    last_end: dict[int, datetime] = {}
    for _id, room, start, end, status, attendees in rows:
        if room is not None:
            assert attendees <= capacity[room]
        if status not in LIVE:
            continue
        assert hours.check_slot(profile, start, end) == [], (start, end)
        if room is None:
            continue
        assert start >= last_end.get(room, datetime.min), f"room {room} double-booked at {start}"
        last_end[room] = end
    for (tid, day), intervals in equipment.items():
        peak = peak_in_use(intervals, datetime.combine(day, time()), datetime.combine(day + timedelta(days=1), time()))
        assert stock[tid] is None or peak <= stock[tid], (tid, day, peak)


def test_life_cycle_of_past_and_coming_bookings(demo):
    engine, counts, _ = demo
    with read_session(engine) as s:
        def n(*where) -> int:
            return s.scalar(select(func.count()).select_from(Booking).where(*where))

        today = datetime.combine(TODAY, time())
        assert s.scalar(select(func.count()).select_from(BookingSeries)) >= 16
        assert n(Booking.series_id.is_not(None), Booking.status == "completed") > 100
        assert n(Booking.series_id.is_not(None), Booking.status == "skipped") > 0  # 年末年始 and holiday evenings
        assert n(Booking.status == "completed") == counts["completed"] > 4000
        assert n(Booking.status == "completed", Booking.actual_users.is_(None)) == 0
        assert n(Booking.status == "completed", Booking.start_at >= today) == 0
        assert n(Booking.status == "confirmed", Booking.start_at < today) == 0  # the past is settled
        assert n(Booking.status == "cancelled") > 100
        assert n(Booking.status == "cancelled", Booking.status_reason == "") == 0
        assert n(Booking.status == "no_show") > 20
        tentative = list(s.scalars(select(Booking).where(Booking.status == "tentative")))
        assert tentative and all(TODAY <= b.hold_until <= b.start_at.date() for b in tentative)
        assert all(b.start_at.date() <= TODAY + timedelta(days=21) for b in tentative)
        # Head counts near what was booked.
        pairs = list(s.execute(select(Booking.attendees, Booking.actual_users)
                               .where(Booking.status == "completed", Booking.room_id.is_not(None))))
        assert all(abs(a - u) <= 3 for a, u in pairs)
        # Only groups in good standing book as registered groups.
        bad = s.scalar(select(func.count()).select_from(Booking).join(MemberGroup, Booking.group_id == MemberGroup.id)
                       .where(MemberGroup.status != "active"))
        assert bad == 0
        kinds = {k for (k,) in s.execute(select(Booking.booker_kind).distinct())}
        assert kinds == {"member", "group", "person"}
        assert n(Booking.room_id.is_(None)) > 100  # printing-machine bookings without a room
        audit = s.scalars(select(AuditEntry).where(AuditEntry.action == "seed_demo")).one()
        assert "デモデータ" in audit.summary and audit.after["bookings"] == counts["bookings"]


def test_same_seed_gives_the_same_data(demo, _sqlite_template, tmp_path):
    engine, counts, _ = demo
    again, counts2, _ = _seeded(_sqlite_template, tmp_path)
    try:
        assert {k: v for k, v in counts2.items() if k != "seconds"} == {
            k: v for k, v in counts.items() if k != "seconds"}
        assert _digest(again) == _digest(engine)
    finally:
        again.dispose()


@pytest.mark.postgres
def test_seed_demo_on_postgresql_passes_the_exclusion_constraint(pg_url):
    """PostgreSQL refuses overlapping room bookings itself: the bulk rows must pass its guard."""
    engine = make_engine(pg_url)
    try:
        with write_session(engine) as s:
            ensure_initial_data(s)
            counts = seed_demo(s, today=TODAY, seed=11, groups=120)
        with read_session(engine) as s:
            assert s.scalar(select(func.count()).select_from(Booking)) >= counts["bookings"] > 5000
    finally:
        engine.dispose()
