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
from booking_app.services.centre import ensure_initial_data, get_profile, list_staff
from booking_app.demo.seeder import seed_demo
from booking_app.services.payments import cashup
from booking_app.store.engine import make_engine, read_session, session_factory, write_session
from booking_app.store.models import (
    AuditEntry,
    Booking,
    BookingSeries,
    Charge,
    DayClosing,
    EquipmentType,
    MemberGroup,
    PrintingLog,
    Receipt,
    ReceiptLine,
    ReceiptVoid,
    Room,
)

# Seeding a year takes 10–20 s on SQLite and ~90 s on PostgreSQL when the machine is shared (measured
# 2026-12-07): the module's first test seeds in its fixture, two tests seed again; 60 s is too short.
pytestmark = pytest.mark.timeout(300)

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
        # The money too: same receipts, numbers, charges and closings for the same seed.
        for row in s.execute(select(Receipt.receipt_no, Receipt.issued_at, Receipt.payer_name, Receipt.method,
                                    Receipt.total, Receipt.purpose).order_by(Receipt.id)):
            h.update(repr(tuple(row)).encode())
        for row in s.execute(select(Charge.booking_id, Charge.description, Charge.amount, Charge.status,
                                    Charge.receipt_id).order_by(Charge.id)):
            h.update(repr(tuple(row)).encode())
        for row in s.execute(select(DayClosing.day, DayClosing.cash_counted).order_by(DayClosing.id)):
            h.update(repr(tuple(row)).encode())
    return h.hexdigest()


def test_counts_are_those_of_a_busy_centre(demo):
    # No timing assertion: on a shared 2-core machine it measures the neighbours (issue 12 found it
    # failing at 16 s under load). How long seeding takes is printed by the seed-demo command.
    engine, counts, _elapsed = demo
    assert counts["groups"] == 300 and 240 <= counts["groups_active"] < 300
    assert counts["first_day"] == "2026-04-01" and counts["last_day"] == "2027-02-28"
    # This year's bookings (to the end of the window) and last year's, settled.
    assert 2500 <= counts["bookings"] <= 4500 and 2800 <= counts["previous_year_bookings"] <= 4500
    with read_session(engine) as s:
        assert s.scalar(select(func.count()).select_from(MemberGroup)) == 300
        per_day = defaultdict(int)
        for (start,) in s.execute(select(Booking.start_at).where(Booking.status != "skipped")):
            per_day[start.date()] += 1
    past = [n for d, n in per_day.items() if date(2026, 4, 1) <= d < TODAY]
    # About a dozen a day: each room in use for a third to a half of its periods, a few printing-machine
    # bookings; 30 a day (as before) made three times the city's target of users.
    assert 8 <= sum(past) / len(past) <= 16
    assert max(per_day) <= date(2027, 2, 28) and min(per_day) >= date(2025, 4, 1)
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
        this_year = Booking.start_at >= datetime(2026, 4, 1)
        assert n(Booking.status == "completed", this_year) == counts["completed"] > 1800
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
        # Only groups in good standing book as registered groups; last year, groups whose registration
        # has lapsed since (expired on 31 March) were still registered.
        bad = s.scalar(select(func.count()).select_from(Booking).join(MemberGroup, Booking.group_id == MemberGroup.id)
                       .where(MemberGroup.status != "active", this_year))
        assert bad == 0
        lapsed = set(s.scalars(select(MemberGroup.status).join(Booking, Booking.group_id == MemberGroup.id)
                               .where(Booking.start_at < datetime(2026, 4, 1))))
        assert lapsed <= {"active", "expired"}
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


# --------------------------------------------------------------------------- money


def test_receipts_are_numbered_without_gaps_in_date_order_at_the_counter(demo):
    engine, counts, _ = demo
    with read_session(engine) as s:
        receipts = list(s.execute(select(Receipt.seq, Receipt.receipt_no, Receipt.issued_at, Receipt.fiscal_year,
                                         Receipt.terminal, Receipt.payer_name).order_by(Receipt.seq)))
        profile = get_profile(s)
    assert len(receipts) == counts["receipts"] > 300
    assert [r.seq for r in receipts] == list(range(1, len(receipts) + 1))
    assert [r.receipt_no for r in receipts[:2]] == ["2026-000001", "2026-000002"]
    assert all(r.receipt_no == f"2026-{r.seq:06d}" and r.fiscal_year == 2026 for r in receipts)
    issued = [r.issued_at for r in receipts]
    assert issued == sorted(issued), "receipt numbers must follow the clock"
    assert date(2026, 4, 1) <= issued[0].date() and issued[-1].date() < TODAY
    assert {r.terminal for r in receipts} == {"カウンター"}
    # Taken while the centre was open, every one with a real payer (never 上様).
    for r in receipts:
        span = hours.opening_hours(profile, r.issued_at.date())
        assert span is not None and span[0] <= r.issued_at.time() <= span[1], r
        assert r.payer_name and "上様" not in r.payer_name


def test_methods_are_mostly_cash_and_receipts_add_up(demo):
    engine, _, _ = demo
    with read_session(engine) as s:
        receipts = list(s.scalars(select(Receipt)))
        lines = defaultdict(list)
        for line in s.scalars(select(ReceiptLine)):
            lines[line.receipt_id].append(line)
        charges = {c.id: c for c in s.scalars(select(Charge))}
        voided = set(s.scalars(select(ReceiptVoid.receipt_id)))
    methods = defaultdict(int)
    for r in receipts:
        methods[r.method] += 1
        rl = lines[r.id]
        assert rl and sum(li.amount for li in rl) == r.total == r.taxable10 + r.exempt > 0, r.receipt_no
        assert all(li.amount == li.quantity * li.unit_price for li in rl)
        for li in rl:
            c = charges[li.charge_id]
            assert c.receipt_id == r.id and (c.amount, c.description) == (li.amount, li.description)
            assert c.status == ("cancelled" if r.id in voided else "paid"), (r.receipt_no, c.status)
    assert methods["cash"] > 0.75 * len(receipts) and methods["card"] > 0 and methods["qr"] > 0
    # Every paid charge is on exactly one (live) receipt whose total its lines make up.
    paid = [c for c in charges.values() if c.status == "paid"]
    assert paid and all(c.receipt_id is not None and c.receipt_id not in voided for c in paid)
    by_receipt = defaultdict(int)
    for c in paid:
        by_receipt[c.receipt_id] += c.amount
    totals = {r.id: r.total for r in receipts}
    assert all(totals[rid] == amount for rid, amount in by_receipt.items())


def test_general_users_pay_members_do_not_and_charges_are_those_of_the_fee_service(demo):
    """The bulk charges equal what services.fees.sync_booking_charges makes: syncing changes nothing."""
    from booking_app.services.fees import sync_booking_charges

    engine, counts, _ = demo
    session = session_factory(engine)()
    try:
        desk = next(st for st in list_staff(session) if st.role == "desk").as_actor()
        charged = set(session.scalars(select(Charge.booking_id).where(Charge.booking_id.is_not(None))))
        members = session.scalar(select(func.count()).select_from(Booking)
                                 .where(Booking.booker_kind == "member", Booking.id.in_(charged)))
        assert members == 0  # registered groups use the rooms free of charge
        general = list(session.scalars(select(Booking).where(Booking.booker_kind != "member",
                                                             Booking.status != "skipped").order_by(Booking.id)))
        # about one room booking in seven is by a general user (~190 a year at a dozen bookings a day)
        assert len(general) > 150 and sum(b.id in charged for b in general) > 0.9 * len(general)
        coming = [b for b in general if b.status == "confirmed"][:40]
        past_paid = [b for b in general if b.status == "completed" and b.id in charged][:40]
        # Bookings wholly between two periods (12–13, 17–18 h) pay the following period, so only
        # no-shows and waived charges stay without one.
        free = [b for b in general if b.id not in charged and b.status == "completed"][:20]
        assert coming and past_paid
        for b in coming:
            result = sync_booking_charges(session, desk, b, now=datetime.combine(TODAY, time(9)))
            assert (result.created, result.cancelled) == ((), ()), b.number
        for b in past_paid + free:  # as if still confirmed: the paid lines are exactly what it would charge
            b.status = "confirmed"
            result = sync_booking_charges(session, desk, b, now=b.created_at)
            assert (result.created, result.cancelled, result.note) == ((), (), ""), b.number
        # A cancelled booking's charges were cancelled with it.
        cancelled = session.scalars(select(Charge.status).join(Booking, Booking.id == Charge.booking_id)
                                    .where(Booking.status == "cancelled")).all()
        assert cancelled and set(cancelled) == {"cancelled"}
    finally:
        session.rollback()
        session.close()
    assert counts["charges"] > counts["receipts"]


def test_voids_printing_logs_and_unpaid_charges(demo):
    engine, counts, _ = demo
    with read_session(engine) as s:
        voids = list(s.scalars(select(ReceiptVoid).order_by(ReceiptVoid.at)))
        assert 1 <= len(voids) <= 2 and counts["receipts_voided"] == len(voids)
        for v in voids:
            original = s.get(Receipt, v.receipt_id)
            assert v.reason and v.refund_amount == original.total and v.at.date() == original.issued_at.date()
            # Issued again, as a new receipt with a later number, for the same booking's charges.
            booking_ids = set(s.scalars(select(Charge.booking_id).where(Charge.receipt_id == original.id)))
            again = s.scalars(select(Receipt).join(Charge, Charge.receipt_id == Receipt.id)
                              .where(Charge.booking_id.in_(booking_ids), Charge.status == "paid")).one()
            assert again.seq > original.seq and again.total == original.total
            assert (again.payer_name, again.purpose) != (original.payer_name, original.purpose)
        logs = list(s.scalars(select(PrintingLog)))
        assert len(logs) == counts["printing_logs"] >= 5
        assert all(log.fee == log.masters * 50 + log.sheets * (1 if log.paper == "brought" else 2) for log in logs)
        log_charges = list(s.scalars(select(Charge).where(Charge.printing_log_id.is_not(None))))
        assert len(log_charges) == len(logs) and {c.status for c in log_charges} == {"paid"}
        items = list(s.scalars(select(Charge).where(Charge.kind == "item", Charge.printing_log_id.is_(None))))
        assert items and {c.status for c in items} == {"paid"}
        assert {c.description for c in items} & {"コピー 白黒", "コピー カラー"}
        # Coming bookings of general users: a few paid ahead, the rest owed on the day (未収).
        today = datetime.combine(TODAY, time())
        coming = list(s.execute(select(Charge.status).join(Booking, Booking.id == Charge.booking_id)
                                .where(Booking.start_at >= today, Booking.status.in_(("confirmed", "tentative")))))
        assert {"open", "paid"} <= {st for (st,) in coming}
        assert counts["charges_open"] == s.scalar(select(func.count()).select_from(Charge)
                                                  .where(Charge.status == "open")) > 0


def test_past_days_are_closed_but_the_last_two_and_the_drawer_balances(demo):
    engine, counts, _ = demo
    with read_session(engine) as s:
        profile = get_profile(s)
        open_days = [d for d in (date(2026, 4, 1) + timedelta(days=i) for i in range((TODAY - date(2026, 4, 1)).days))
                     if hours.opening_hours(profile, d) is not None]
        closings = {c.day: c for c in s.scalars(select(DayClosing).where(DayClosing.terminal == "カウンター"))}
        assert sorted(closings) == open_days[:-2] and len(closings) == counts["days_closed"]
        # still to close: they have takings waiting
        assert sum(cashup(s, d, "カウンター").extra["receipt_count"] for d in open_days[-2:]) > 0
        voided_days = {v.at.date() for v in s.scalars(select(ReceiptVoid))}
        for d in [*open_days[:3], open_days[len(open_days) // 2], *sorted(voided_days & set(closings))]:
            doc = cashup(s, d, "カウンター")
            c = closings[d]
            assert c.cash_counted == doc.extra["cash_expected"] and doc.extra.get("cash_difference") == 0
            assert c.totals["net"] == doc.net and doc.closed_by and c.closed_at.date() == d
        assert any(d in closings for d in voided_days)  # a closed day shows a void and its refund


@pytest.mark.postgres
def test_seed_demo_on_postgresql_passes_the_exclusion_constraint(pg_url):
    """PostgreSQL refuses overlapping room bookings itself: the bulk rows must pass its guard."""
    engine = make_engine(pg_url)
    try:
        with write_session(engine) as s:
            ensure_initial_data(s)
            counts = seed_demo(s, today=TODAY, seed=11, groups=120)
        with read_session(engine) as s:
            assert s.scalar(select(func.count()).select_from(Booking)) >= (
                counts["bookings"] + counts["previous_year_bookings"]) > 5000
    finally:
        engine.dispose()


def test_insurance_enrolments_of_every_kind_one_unpaid_and_accidents_due(demo):
    """Issue 5: the city's plan for many groups, rosters with kana, events (B, C), one unpaid, accidents."""
    from booking_app.services import insurance as ins
    from booking_app.store.models import Charge as ChargeRow
    from booking_app.store.models import Receipt as ReceiptRow

    engine, counts, _ = demo
    katakana = re.compile(r"^[\u30a1-\u30fc]+ [\u30a1-\u30fc]+$")
    with read_session(engine) as s:
        views = ins.list_enrolments(s, fiscal_year=2026)
        unpaid = ins.list_enrolments(s, unpaid_only=True)
        due = ins.accidents_due(s, today=TODAY)
        sent = ins.list_accidents(s, status="sent", today=TODAY)
        paid_lines = list(s.execute(select(ReceiptRow.terminal, ReceiptRow.issued_at).join(
            ChargeRow, ChargeRow.receipt_id == ReceiptRow.id).where(ChargeRow.kind == "insurance")))
        groups = {g.id: g for g in s.scalars(select(MemberGroup))}
        doc = cashup(s, paid_lines[0][1].date(), "カウンター") if paid_lines else None
    by_code = defaultdict(list)
    for v in views:
        by_code[v.plan_code].append(v)
    assert len(views) == counts["insurance_enrolments"]
    assert len(by_code["CITY"]) > 150 and all(v.in_force and v.premium == 0 for v in by_code["CITY"])
    assert all(groups[v.group_id].status == "active" and v.applied_on.month == 4 for v in by_code["CITY"])
    volunteer = by_code["VOL-BASIC"] + by_code["VOL-DISASTER"]
    assert len(volunteer) >= 8 and all(len(v.people) >= 5 for v in volunteer)
    assert all(katakana.match(p.kana) and " " in p.name for v in volunteer for p in v.people)
    (camp,) = by_code["EVT-B"]
    assert (camp.event_end - camp.event_start).days == 1 and camp.premium == 239 * len(camp.people)
    (fest,) = by_code["EVT-C"]
    assert fest.people == () and fest.head_count == 60 and fest.in_force
    assert [v.id for v in unpaid] == [v.id for v in views if not v.in_force] and len(unpaid) == 1
    assert unpaid[0].open_charge_ids and counts["insurance_unpaid"] == 1
    assert len(paid_lines) == counts["insurance_paid"] >= 10 and {t for t, _ in paid_lines} == {"カウンター"}
    assert doc is not None and "保険" in [r.label for r in doc.by_kind]
    assert [(a.overdue, a.days_left) for a in due] == [(True, -3), (False, 4)]
    assert len(sent) == 1 and sent[0].sent_on is not None and counts["accident_reports"] == 3


# --------------------------------------------------------------------------- counted users (利用者数)


def test_users_run_near_the_citys_target_with_walk_ins_events_and_last_year(demo):
    """By 25 November the year is on pace for about 29,000 users (not 240 % of it), counted from rooms,
    walk-ins in every category and the centre's events, and last year's months are there to compare."""
    from booking_app.domain.counting import WALKIN_CATEGORIES
    from booking_app.domain.figures import EVENT_CATEGORY
    from booking_app.services.stats.events import list_events
    from booking_app.services.stats.figures import monthly_users
    from booking_app.services.stats.progress import year_progress

    engine, counts, _ = demo
    with read_session(engine) as s:
        progress = year_progress(s, today=TODAY)
        months = monthly_users(s, 2026)
        events = list_events(s, fiscal_year=2026)
        last_events = list_events(s, fiscal_year=2025)
        heads = defaultdict(list)
        for name, users in s.execute(select(Room.name, Booking.actual_users).join(Room, Room.id == Booking.room_id)
                                     .where(Booking.status == "completed")):
            heads[name].append(users)
    assert progress.target == 29000
    assert 0.9 <= progress.pace.projected / progress.target <= 1.1, progress.pace
    assert 17000 <= progress.total <= 21000
    assert all(progress.by_category[c] > 0 for c in WALKIN_CATEGORIES), progress.by_category
    assert 3000 <= sum(progress.by_category[c] for c in WALKIN_CATEGORIES) == counts["walkins"] <= 6000
    assert progress.by_category[EVENT_CATEGORY] == counts["event_users"] > 200
    assert 255 <= progress.groups_registered <= 275  # the plan's target is 260
    # Meetings of 5–15; the hall now and then full.
    small = sorted(heads["小会議室1"] + heads["小会議室2"])
    assert 4 <= small[len(small) // 2] <= 10
    assert 7 <= sorted(heads["大会議室"])[len(heads["大会議室"]) // 2] <= 15
    assert any(n >= 40 for n in heads["多目的交流ホール"])
    # The centre's events: held ones have their attendance, coming ones not yet.
    assert len(events) >= 10 and all((e.attendance is not None) == (e.day < TODAY) for e in events)
    assert any(e.kind == "講座" for e in events) and any(e.kind == "交流会" for e in events)
    assert len(last_events) >= 15 and all(e.attendance for e in last_events)
    # Last year, month by month, near this year's.
    assert all(1500 <= m.last_year_total <= 3200 for m in months), [m.last_year_total for m in months]
    assert 25000 <= sum(m.last_year_total for m in months) == counts["previous_year_users"] <= 31000
    assert all(m.total > 1200 for m in months if (m.year, m.month) < (2026, 11))


def test_nothing_is_stamped_with_the_real_clock(demo):
    """Every audit line and row the demo makes carries the demo's own time, at the latest 08:45 of today."""
    from booking_app.store.models import InsurancePlan

    engine, _, _ = demo
    with read_session(engine) as s:
        latest = s.scalar(select(func.max(AuditEntry.at)))
        plans = s.execute(select(AuditEntry.at).where(AuditEntry.entity == "insurance_plan")).scalars().all()
        made = set(s.scalars(select(InsurancePlan.created_at)))
        booked = s.scalar(select(func.max(Booking.created_at)))
    assert latest == datetime.combine(TODAY, time(8, 45))
    assert booked <= latest
    # The year's insurance plans were set up when the year began, not when the demo ran.
    assert plans == [datetime(2026, 4, 1, 8, 45)] and made == {datetime(2026, 4, 1, 8, 45)}


def test_the_demo_issuer_is_complete_and_every_receipt_keeps_it(demo):
    """Issue 13, item 10: the demo shipped receipts with no 指定管理者 and no 登録番号 (and slips with no phone)."""
    from booking_app.domain.fees import valid_invoice_number
    from booking_app.services.payments import issuer, issuer_gaps

    engine, _, _ = demo
    with read_session(engine) as s:
        iss = issuer(s)
        assert issuer_gaps(iss) == ()
        assert iss.operator and iss.phone and valid_invoice_number(iss.invoice_number)
        assert iss.invoice_number == "T9234567890123"
        kept = set(s.execute(select(Receipt.issuer_operator, Receipt.invoice_number, Receipt.issuer_phone)).all())
    assert kept == {(iss.operator, iss.invoice_number, iss.phone)}


# --------------------------------------------------------------------------- one writer's plan


def test_every_bulk_booking_carries_the_desks_create_entry_stamped_when_it_was_booked(demo):
    """The bulk rows come from booking_plan.plan_new_booking like the desk's save: each booking has its
    ``create`` entry (the ORM path's snapshot of the booking as made), and each charged one its ``quote``
    entry naming exactly its charges, both at the moment it was booked."""
    from booking_app.services.booking_plan import booking_number, created_summary
    from booking_app.services.bookings import snapshot
    from booking_app.services.common import jsonable

    engine, counts, _ = demo
    with read_session(engine) as s:
        creates = {a.entity_id: a for a in s.scalars(select(AuditEntry).where(
            AuditEntry.action == "create", AuditEntry.entity == "booking"))}
        # The demo's drawn lottery month books its wins through the draw (purpose 「抽選当選…」), not in bulk.
        bulk = list(s.scalars(select(Booking).where(Booking.series_id.is_(None), Booking.purpose.not_like("抽選当選%"))
                              .order_by(Booking.id)))
        # A キャンセル待ち accepted (demo/waitlist.py) books one more single booking, through the waiting list.
        assert len(bulk) == counts["single_bookings"] + counts["previous_year_bookings"] + counts.get("waitlist_accepted", 0)
        assert all(b.id in creates for b in bulk)
        coming = [b for b in bulk if b.status in ("confirmed", "tentative")]
        assert len(coming) > 100
        for b in coming:  # unchanged since booked: the entry is the desk's snapshot of the row
            entry = creates[b.id]
            assert entry.after == jsonable(snapshot(b)), b.number
            assert entry.summary == created_summary(booking_number(b.id), b.start_at, b.end_at)
            assert entry.at == b.created_at and entry.staff_id == b.created_by
        quotes: dict[int, AuditEntry] = {}
        for a in s.scalars(select(AuditEntry).where(AuditEntry.action == "quote").order_by(AuditEntry.id)):
            quotes.setdefault(a.after["booking_id"], a)  # the first: when it was booked
        charged: dict[int, list[int]] = defaultdict(list)
        # The charges made with the booking (a voided receipt's charges are made again later).
        for bid, cid in s.execute(select(Charge.booking_id, Charge.id).join(Booking, Booking.id == Charge.booking_id)
                                  .where(Charge.created_at == Booking.created_at).order_by(Charge.id)):
            charged[bid].append(cid)
        assert len(charged) > 150
        for bid, ids in charged.items():
            assert quotes[bid].after["created"] == ids and quotes[bid].at == creates[bid].at
            assert quotes[bid].id == creates[bid].id - 1  # quote, then create, as a save writes them


def test_a_demo_booking_has_the_rows_the_desk_would_write_for_it(demo):
    """The same booking entered at the desk (at the moment the demo says it was booked) makes the same
    charges and the same audit content as the demo's bulk row."""
    from booking_app.services.bookings import BookingInput, create_booking

    engine, _, _ = demo
    session = session_factory(engine)()
    try:
        desk = next(st for st in list_staff(session) if st.role == "desk").as_actor()
        picked = [b for b in session.scalars(select(Booking).where(
            Booking.booker_kind != "member", Booking.status == "confirmed", Booking.series_id.is_(None),
            Booking.room_id.is_not(None)).order_by(Booking.id))]
        with_kit = [b for b in picked if b.equipment][:2]
        assert with_kit and picked
        for b in dict.fromkeys([picked[0], *with_kit]):  # the first may also carry equipment
            def rows(booking_id: int):
                # as made (paid or cancelled since: the status is not compared)
                charges = [(c.kind, c.description, c.quantity, c.unit_price, c.amount, c.tax, c.created_at,
                            c.created_by, c.payer_name, c.group_id)
                           for c in session.scalars(select(Charge).where(Charge.booking_id == booking_id,
                                                                         Charge.created_at == made_at)
                                                    .order_by(Charge.id))]
                entries = list(session.scalars(select(AuditEntry).where(AuditEntry.action.in_(("create", "quote")))
                                               .order_by(AuditEntry.id)))
                create = next(a for a in entries if a.entity == "booking" and a.entity_id == booking_id)
                quote = next(a for a in entries if a.action == "quote" and a.after["booking_id"] == booking_id)
                return charges, create.after, create.at, quote.summary.replace(f"{booking_id:07d}", "#")

            made_at = b.created_at
            demo_rows = rows(b.id)
            assert demo_rows[0]
            data = BookingInput(start=b.start_at, end=b.end_at, room_id=b.room_id, booker_kind=b.booker_kind,
                                booker_name=b.booker_name, contact_phone=b.contact_phone, purpose=b.purpose,
                                attendees=b.attendees, note=b.note,
                                equipment={e.equipment_type_id: e.quantity for e in b.equipment})
            b.status = "cancelled"  # frees the slot (rolled back below)
            session.flush()
            view = create_booking(session, desk, data, now=made_at)
            assert rows(view.id) == demo_rows, b.number
    finally:
        session.rollback()
        session.close()
