"""User counts, month closing and statistics (services/stats/) on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from factories import JAPANESE, NOW, World, at
from sqlalchemy import select

from booking_app.domain.errors import MonthClosed, PermissionDenied, RuleError, ValidationError
from booking_app.domain.figures import MonthFigures, Progress, same_period
from booking_app.services import bookings as svc
from booking_app.services import payments as pay
from booking_app.services.stats.events import EventView, list_events, save_event
from booking_app.services.stats.figures import month_figures, monthly_users, users_by_room, year_figures
from booking_app.services.stats.month_close import amend, close_month, unsettled_bookings
from booking_app.services.stats.month_lock import is_month_closed
from booking_app.services.stats.progress import data_version, year_progress
from booking_app.services.stats.tallies import TallyView, add_tally, last_tallies, tally_counts, undo_tally
from booking_app.store.models import MemberGroup, MonthClosing, StatAmendment

OCT = date(2026, 10, 14)  # a Wednesday in a finished month (NOW is 2026-11-25)
TERM = "受付1"


def used(world: World, day: date, users: int, *, start: int = 9, end: int = 12, room: str = "大会議室",
         group_id: int | None = None) -> int:
    """A booking on ``day`` checked out with ``users`` actual users; returns its id."""
    b = world.book(at(day, start), at(day, end), room=room, group_id=group_id, now=at(day, 8))
    with world.write() as s:
        svc.check_out(s, world.desk, b.id, users, now=at(day, end, 30))
    return b.id


def tally(world: World, when: datetime, category: str = "交流スペース", count: int = 1) -> TallyView:
    with world.write() as s:
        return add_tally(s, world.desk, category, count, now=when, terminal=TERM)


def event(world: World, day: date, attendance: int | None, **kw) -> EventView:
    with world.write() as s:
        return save_event(s, world.desk, name=kw.pop("name", "NPO会計講座"), kind=kw.pop("kind", "講座"),
                          day=day, attendance=attendance, now=at(day, 20), **kw)


def progress(world: World, today: date) -> Progress:
    with world.read() as s:
        return year_progress(s, today=today)


def figures(world: World, year: int, month: int) -> MonthFigures:
    with world.read() as s:
        return month_figures(s, year, month, today=NOW.date())


# --------------------------------------------------------------------------- counting


def test_counting_rules(world: World):
    used(world, OCT, 7)
    cancelled = world.book(at(OCT, 13), at(OCT, 15), now=at(OCT, 8))
    no_show = world.book(at(OCT, 18), at(OCT, 20), now=at(OCT, 8))
    in_use = world.book(at(OCT, 9), at(OCT, 12), room="小会議室1", now=at(OCT, 8))
    with world.write() as s:
        svc.cancel_booking(s, world.desk, cancelled.id, "団体の都合", now=at(OCT, 9))
        svc.mark_no_show(s, world.desk, no_show.id, now=at(OCT, 19))
        svc.check_in(s, world.desk, in_use.id, now=at(OCT, 9))  # never checked out: not counted
    tally(world, at(OCT, 10), "交流スペース", 3)
    mistake = tally(world, at(OCT, 11), "相談（来所）")
    with world.write() as s:
        undone = undo_tally(s, world.desk, mistake.id, now=at(OCT, 11, 1))
    assert undone.undone and undone.undone_at == at(OCT, 11, 1)
    event(world, OCT + timedelta(days=6), 20)
    event(world, OCT + timedelta(days=7), None, name="交流会（参加者未入力）", kind="交流会")

    p = progress(world, NOW.date())
    assert (p.fiscal_year, p.total, p.target, p.groups_target) == (2026, 30, 29_000, 260)
    assert p.by_category["部屋利用"] == 7 and p.by_category["交流スペース"] == 3
    assert p.by_category["相談（来所）"] == 0 and p.by_category["講座・行事"] == 20
    assert list(p.by_category)[0] == "部屋利用" and list(p.by_category)[-1] == "講座・行事"
    assert p.pace.total == 30 and p.pace.percent == pytest.approx(100 * 30 / 29_000)

    f = figures(world, 2026, 10)
    assert (f.users_total, f.bookings, f.cancellations, f.no_shows) == (30, 2, 1, 1)
    assert f.users_by_room["大会議室"] == 7 and f.users_by_room["小会議室1"] == 0
    assert sum(f.users_by_room.values()) == f.users_by_category["部屋利用"]
    assert f.period_label == "令和8年10月" and not f.closed

    with world.read() as s:
        counts = tally_counts(s, OCT)
        last = last_tallies(s, day=OCT)
    assert counts["交流スペース"] == 3 and counts["相談（来所）"] == 0 and counts["見学"] == 0
    assert [(t.category, t.count, t.undone, t.staff_name, t.terminal) for t in last] == [
        ("相談（来所）", 1, True, world.desk.name, TERM), ("交流スペース", 3, False, world.desk.name, TERM)]
    assert {r.action for r in world.audit_rows(entity="walkin_tally")} == {"tally", "undo"}
    assert {r.action for r in world.audit_rows(entity="centre_event")} == {"create"}


def test_tally_rules(world: World):
    with world.write() as s, pytest.raises(ValidationError) as e:
        add_tally(s, world.desk, "カラオケ", now=NOW)
    assert JAPANESE.search(e.value.message) and "カラオケ" in e.value.message
    for bad in (0, 1000, -1, True):
        with world.write() as s, pytest.raises(ValidationError):
            add_tally(s, world.desk, "見学", bad, now=NOW)
    t = tally(world, NOW, "見学", 12)
    with world.write() as s, pytest.raises(RuleError, match="その日のうち"):
        undo_tally(s, world.desk, t.id, now=NOW + timedelta(days=1))
    with world.write() as s:
        undo_tally(s, world.desk, t.id, now=NOW)
    with world.write() as s, pytest.raises(RuleError, match="既に取り消され"):
        undo_tally(s, world.desk, t.id, now=NOW)
    assert progress(world, NOW.date()).total == 0


def test_fiscal_year_boundaries(world: World):
    tally(world, datetime(2026, 3, 31, 21, 30), count=5)  # FY2025
    tally(world, datetime(2026, 4, 1, 9, 0), count=2)  # FY2026
    used(world, date(2027, 3, 31), 4)  # FY2026
    used(world, date(2027, 4, 1), 6)  # FY2027

    assert progress(world, date(2026, 3, 31)).total == 5
    assert progress(world, date(2026, 4, 1)).total == 2
    assert progress(world, date(2027, 3, 31)).total == 6
    p27 = progress(world, date(2027, 4, 1))
    assert (p27.fiscal_year, p27.total) == (2027, 6)
    assert p27.pace.days_elapsed == 1 and p27.pace.projected == 6 * 366  # FY2027 ends in leap 2028-03

    with world.read() as s:  # as seen on 2 April 2027: FY2026 is over, FY2027 has begun
        fy26 = monthly_users(s, 2026, today=date(2027, 4, 2))
        fy27 = monthly_users(s, 2027, today=date(2027, 4, 2))
        rooms26 = users_by_room(s, 2026)
        year26 = year_figures(s, 2026, today=date(2027, 4, 2))
    assert [(r.year, r.month) for r in fy26][::11] == [(2026, 4), (2027, 3)]
    assert (fy26[0].total, fy26[0].last_year_total) == (2, 0)
    assert (fy26[-1].total, fy26[-1].by_category["部屋利用"]) == (4, 4)
    assert fy26[-1].last_year_total == 5  # March 2026
    assert (fy27[0].total, fy27[0].last_year_total) == (6, 2)  # April 2027 against April 2026
    assert (fy27[0].label, fy27[0].last_year_comparable) == ("4月（2日まで）", 2)  # 4/1–4/2 on both sides
    assert [r.total for r in fy27[1:]] == [None] * 11
    assert sum(r.total for r in fy26) == 6 and rooms26["大会議室"] == 4
    assert year26.users_total == 6 and year26.period_label == "令和8年度"
    assert (year26.start, year26.end) == (date(2026, 4, 1), date(2027, 3, 31))


def test_users_by_group_type(world: World):
    purpose = world.make_group("下関まちなか読書会")
    community = world.make_group("彦島自治会")
    with world.write() as s:
        s.get(MemberGroup, community).group_type = "community"
    used(world, OCT, 5, group_id=purpose)
    used(world, OCT, 3, start=13, end=15, group_id=community)
    used(world, OCT, 2, start=18, end=20)  # a person
    assert figures(world, 2026, 10).users_by_group_type == {"目的型": 5, "地縁型": 3, "個人/未登録": 2}


# --------------------------------------------------------------------------- closing and amending


def test_close_month_then_changes_are_refused(world: World):
    booking_id = used(world, OCT, 7)
    late = world.book(at(OCT, 13), at(OCT, 15), now=at(OCT, 8))  # nobody entered the outcome yet
    ev = event(world, OCT, 12)

    with world.write() as s, pytest.raises(PermissionDenied):
        close_month(s, world.desk, 2026, 10, now=NOW)
    with world.write() as s, pytest.raises(RuleError, match="まだ終わっていない"):
        close_month(s, world.manager, 2026, 11, now=NOW)
    with world.write() as s, pytest.raises(RuleError, match="1件"):
        close_month(s, world.manager, 2026, 10, now=NOW)
    with world.read() as s:
        assert [b.id for b in unsettled_bookings(s, today=NOW.date())] == [late.id]
    with world.write() as s:
        svc.mark_no_show(s, world.desk, late.id, now=NOW)
        closed = close_month(s, world.manager, 2026, 10, now=NOW)
    assert closed.closed and closed.closed_by == world.manager.name and closed.users_total == 19
    with world.write() as s, pytest.raises(RuleError, match="既に締め済み"):
        close_month(s, world.manager, 2026, 10, now=NOW)

    message = "2026年10月は締め済みです。訂正は管理者が「訂正」で行ってください。"
    with world.write() as s, pytest.raises(MonthClosed) as e:
        svc.undo_status(s, world.manager, booking_id, now=NOW)
    assert e.value.message == message
    assert world.booking(booking_id).status == "completed" and world.booking(booking_id).actual_users == 7
    with world.write() as s, pytest.raises(MonthClosed):
        save_event(s, world.manager, event_id=ev.id, name=ev.name, kind=ev.kind, day=ev.day,
                   attendance=15)
    with world.write() as s:  # the name is not counted: it may still be corrected
        save_event(s, world.manager, event_id=ev.id, name="NPO会計講座（初級）", kind=ev.kind, day=ev.day,
                   attendance=12)
    with world.write() as s, pytest.raises(MonthClosed):
        add_tally(s, world.desk, "見学", now=at(OCT, 10))
    with world.read() as s:
        assert is_month_closed(s, 2026, 10) and not is_month_closed(s, 2026, 9)
    assert figures(world, 2026, 10).users_total == 19
    assert [r.action for r in world.audit_rows(entity="month_closing")] == ["close"]


def test_close_with_unsettled_bookings_needs_a_reason(world: World):
    world.book(at(OCT, 13), at(OCT, 15), now=at(OCT, 8))
    with world.write() as s:
        f = close_month(s, world.manager, 2026, 10, now=NOW, force_reason="団体に確認中のため")
    assert f.force_reason == "団体に確認中のため"
    assert figures(world, 2026, 10).force_reason == "団体に確認中のため"


def test_amend_records_old_and_new_and_keeps_the_submitted_figures(world: World):
    used(world, OCT, 7)
    with world.write() as s, pytest.raises(RuleError, match="まだ締めていません"):
        amend(s, world.manager, 2026, 10, "users.room.大会議室", 9, "入力誤り")
    with world.write() as s:
        close_month(s, world.manager, 2026, 10, now=NOW)
    with world.read() as s:
        submitted = dict(s.scalars(select(MonthClosing)).one().figures)

    with world.write() as s, pytest.raises(PermissionDenied):
        amend(s, world.desk, 2026, 10, "users.room.大会議室", 9, "入力誤り")
    with world.write() as s, pytest.raises(ValidationError, match="理由"):
        amend(s, world.manager, 2026, 10, "users.room.大会議室", 9, " ")
    with world.write() as s, pytest.raises(ValidationError, match="項目"):
        amend(s, world.manager, 2026, 10, "users.nonsense", 9, "入力誤り")
    with world.write() as s:
        first = amend(s, world.manager, 2026, 10, "users.room.大会議室", 9, "チェックアウト時の人数の入力誤り",
                      source="booking:1", now=NOW)
        second = amend(s, world.manager, 2026, 10, "users_total", 9, "大会議室の訂正に合わせる",
                       now=NOW + timedelta(minutes=1))
    assert (first.old_value, first.new_value, first.label) == (7, 9, "部屋別利用者数（大会議室）")
    assert (second.old_value, second.new_value) == (7, 9)
    with world.write() as s:
        third = amend(s, world.manager, 2026, 10, "users.room.大会議室", 10, "再確認",
                      now=NOW + timedelta(minutes=2))
    assert third.old_value == 9  # from the last amendment, not the submitted figure

    f = figures(world, 2026, 10)
    assert f.closed and f.users_total == 7 and f.users_by_room["大会議室"] == 7  # the submitted numbers
    assert [(a.key, a.old_value, a.new_value, a.reason, a.staff_name) for a in f.amendments] == [
        ("users.room.大会議室", 7, 9, "チェックアウト時の人数の入力誤り", world.manager.name),
        ("users_total", 7, 9, "大会議室の訂正に合わせる", world.manager.name),
        ("users.room.大会議室", 9, 10, "再確認", world.manager.name),
    ]
    with world.read() as s:
        assert s.scalars(select(MonthClosing)).one().figures == submitted
        assert s.scalars(select(StatAmendment.source).order_by(StatAmendment.id)).first() == "booking:1"
        year = year_figures(s, 2026, today=NOW.date())
    assert len(year.amendments) == 3 and not year.closed
    assert len(world.audit_rows(entity="stat_amendment")) == 3


# --------------------------------------------------------------------------- figures


def test_occupancy_by_period_computed_by_hand(world: World):
    """大会議室 booked 9–12 on every open day of December 2026 and 13–15 on its four Wednesdays.

    December 2026: open 1–28 (29–31 年末年始), no national holiday; Sundays 6, 13, 20, 27.
    午前 open: 28 days × 180 min, all booked → 100 %.
    午後 open: 24 weekdays/Saturdays × 240 + 4 Sundays × 300 = 6,960 min; booked 4 × 120 = 480.
    夜間 open on the 24 non-Sundays only; none booked.
    """
    group = world.make_group()
    for day in range(1, 29):
        d = date(2026, 12, day)
        world.book(at(d, 9), at(d, 12), group_id=group)
    for day in (2, 9, 16, 23):
        world.book(at(date(2026, 12, day), 13), at(date(2026, 12, day), 15), group_id=group)
    with world.write() as s:  # a cancelled booking frees its time
        evening = world.input(at(date(2026, 12, 3), 18), at(date(2026, 12, 3), 22), group_id=group)
        b = svc.create_booking(s, world.desk, evening, now=NOW)
        svc.cancel_booking(s, world.desk, b.id, "団体の都合", now=NOW)
    with world.read() as s:  # read once the month is over
        occ = month_figures(s, 2026, 12, today=date(2027, 1, 4)).occupancy
        mid = month_figures(s, 2026, 12, today=date(2026, 12, 16)).occupancy
        ahead = month_figures(s, 2026, 12, today=date(2026, 11, 25)).occupancy  # before it begins
    # While the month runs, only its days so far count (1–16: 2 Sundays; 2, 9 and 16 booked 13–15);
    # a month that has not begun has no occupancy yet.
    assert mid["大会議室"] == {"午前": pytest.approx(1.0), "午後": pytest.approx(360 / (14 * 240 + 2 * 300)),
                           "夜間": 0.0}
    assert ahead["大会議室"] == {"午前": 0.0, "午後": 0.0, "夜間": 0.0}
    assert occ["大会議室"] == {"午前": pytest.approx(1.0), "午後": pytest.approx(480 / 6960), "夜間": 0.0}
    assert occ["小会議室1"] == {"午前": 0.0, "午後": 0.0, "夜間": 0.0}
    assert list(occ) == ["大会議室", "小会議室1", "小会議室2", "作業室", "多目的交流ホール"]


def test_revenue_net_of_a_void_and_printing(world: World):
    b = world.book(at(date(2026, 12, 2), 10), at(date(2026, 12, 2), 12))  # a person: 大会議室 午前 ¥1,500
    with world.write() as s:
        ids = [c.id for c in pay.open_charges(s, booking_id=b.id)]
        r = pay.take_payment(s, world.desk, ids, payer_name="山田花子", purpose="会議室使用料として", now=NOW,
                             terminal=TERM)
        pay.log_printing(s, world.desk, user_name="山田花子", masters=2, sheets=100, now=NOW)
    f = figures(world, 2026, 11)
    assert f.revenue_by_kind == {"部屋": 1500, "備品": 0, "印刷機": 0, "保険": 0, "その他": 0}
    assert f.printing == {"uses": 1, "masters": 2, "sheets": 100}
    with world.write() as s:
        pay.void_receipt(s, world.manager, r.id, "宛名の誤り", now=NOW + timedelta(hours=1), terminal=TERM)
    assert figures(world, 2026, 11).revenue_by_kind["部屋"] == 0


def test_data_version_moves_with_a_change(world: World):
    with world.read() as s:
        v0 = data_version(s)
    t = tally(world, NOW)
    with world.read() as s:
        v1 = data_version(s)
    with world.write() as s:
        undo_tally(s, world.desk, t.id, now=NOW)
    with world.read() as s:
        v2 = data_version(s)
        assert data_version(s) == v2  # stable while nothing changes
    assert len({v0, v1, v2}) == 3


def test_events_are_listed_by_fiscal_year_and_validated(world: World):
    event(world, date(2026, 4, 1), 10, name="新年度説明会", kind="研修")
    event(world, date(2026, 3, 31), 8, name="年度末交流会", kind="交流会")
    with world.write() as s, pytest.raises(ValidationError):
        save_event(s, world.desk, name="", kind="講座", day=NOW.date())
    with world.write() as s, pytest.raises(ValidationError):
        save_event(s, world.desk, name="講座", kind="宴会", day=NOW.date())
    with world.write() as s, pytest.raises(ValidationError):
        save_event(s, world.desk, name="講座", kind="講座", day=NOW.date(), attendance=-1)
    with world.read() as s:
        listed = list_events(s, fiscal_year=2026)
    assert [(e.name, e.kind, e.attendance) for e in listed] == [("新年度説明会", "研修", 10)]


def test_the_next_months_report_lists_a_correction_to_a_closed_month(world: World):
    used(world, OCT, 7)
    with world.write() as s:
        close_month(s, world.manager, 2026, 10, now=NOW)
        amend(s, world.manager, 2026, 10, "users_total", 8, "集計漏れ", now=NOW)
    november = figures(world, NOW.year, NOW.month)
    assert [(a.year, a.month, a.new_value) for a in november.amendments] == [(2026, 10, 8)]


# --------------------------------------------------------------------------- a year still running


MID_DEC = datetime(2026, 12, 16, 10, 0)  # a Wednesday: April–November over, December running


@pytest.mark.now("2026-12-16 10:00")
def test_a_running_year_is_blank_ahead_and_compares_like_for_like(world: World):
    """Issue 13, item 2: months ahead are blank (None, not 0), December counts to today's day and is compared
    with last December to the same day, the year's 前年同期 is the sum of exactly those days, and bookings
    are split into 実績 (begun) and 予定 (confirmed, ahead)."""
    used(world, date(2025, 11, 12), 6)  # last November, whole month
    used(world, date(2025, 12, 10), 5)  # last December, before the 16th: comparable
    used(world, date(2025, 12, 17), 7)  # last December, after the 16th: not yet comparable
    used(world, date(2026, 1, 14), 9)  # last January: ahead this year, never compared
    used(world, date(2026, 11, 11), 3)
    used(world, date(2026, 12, 2), 4)
    begun = world.book(at(MID_DEC.date(), 9), at(MID_DEC.date(), 12), now=at(MID_DEC.date(), 8))
    tonight = world.book(at(MID_DEC.date(), 18), at(MID_DEC.date(), 21), now=at(MID_DEC.date(), 8))
    group = world.make_group("関門ウォーキングの会")
    feb = date(2027, 2, 10)
    ahead = world.book(at(feb, 9), at(feb, 12), group_id=group, now=at(date(2027, 1, 6), 9))
    dropped = world.book(at(feb, 13), at(feb, 15), group_id=group, now=at(date(2027, 1, 6), 9))
    with world.write() as s:
        svc.cancel_booking(s, world.desk, dropped.id, "団体の都合", now=at(date(2027, 1, 7), 9))
    assert begun.id and tonight.id and ahead.id

    with world.read() as s:
        rows = monthly_users(s, 2026)  # the clock's day: 16 December
        year = year_figures(s, 2026)
        dec = month_figures(s, 2026, 12)
        nov = month_figures(s, 2026, 11)
    by_month = {r.month: r for r in rows}
    assert [by_month[m].total for m in (1, 2, 3)] == [None, None, None]
    assert [by_month[m].ratio for m in (1, 2, 3)] == [None, None, None]
    assert [by_month[m].last_year_comparable for m in (1, 2, 3)] == [None, None, None]
    assert by_month[1].last_year_total == 9  # kept for reference, never compared
    assert [r.state for r in rows] == ["done"] * 8 + ["running"] + ["ahead"] * 3
    d = by_month[12]
    assert (d.label, d.total, d.last_year_total, d.last_year_comparable) == ("12月（16日まで）", 4, 12, 5)
    assert d.ratio == pytest.approx(4 / 5)
    n = by_month[11]
    assert (n.label, n.total, n.last_year_comparable, n.ratio) == ("11月", 3, 6, pytest.approx(3 / 6))
    assert same_period(rows) == (7, 11)  # not 7 against 27 (last year's whole months)

    assert year.users_total == 7 and year.as_of == MID_DEC.date()
    # 実績: the four checked-out bookings of this year and this morning's; 予定: tonight and February.
    assert (year.bookings, year.bookings_planned) == (3, 2)
    assert year.cancellations == 0  # February's cancellation belongs to a month that has not happened
    assert (dec.bookings, dec.bookings_planned, dec.as_of, dec.users_total) == (2, 1, MID_DEC.date(), 4)
    assert (nov.bookings, nov.bookings_planned, nov.as_of) == (1, 0, None)


@pytest.mark.now("2028-02-29 10:00")
def test_a_leap_day_compares_with_the_whole_of_last_february(world: World):
    """29 February is the month's last day: February counts whole, against last year's whole 28 days."""
    used(world, date(2027, 2, 24), 5)
    used(world, date(2028, 2, 2), 2)
    with world.read() as s:
        feb = next(r for r in monthly_users(s, 2027) if r.month == 2)
    assert (feb.label, feb.total, feb.last_year_comparable) == ("2月", 2, 5)
