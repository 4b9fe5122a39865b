"""services.lookups: the small reads the screens used to write as SQL in ui/ (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date, datetime

from factories import NOW, World, at

from booking_app.domain.figures import AmendmentView
from booking_app.domain.recurrence import RecurrenceRule
from booking_app.services import bookings as svc
from booking_app.services import lookups
from booking_app.services import series as ser
from booking_app.services.stats.amendments import amendment_label, year_amendments
from booking_app.services.stats.month_close import amend, close_month


def test_live_series_dates_leave_out_a_cancelled_one_in_date_order(world: World):
    gid = world.make_group()
    tmpl = world.input(at(date(2026, 12, 2), 10), at(date(2026, 12, 2), 12), group_id=gid)
    rule = RecurrenceRule(kind="weekly", start=date(2026, 12, 2), until=date(2026, 12, 23), weekdays=(2,))
    with world.write() as s:
        made = ser.create_series(s, world.desk, tmpl, rule, skip_unavailable=True, now=NOW)
    assert len(made.created) == 4
    with world.write() as s:
        svc.cancel_booking(s, world.desk, made.created[1], "団体の都合", now=NOW)
    with world.read() as s:
        live = lookups.live_series_booking_ids(s, made.series_id, date(2026, 11, 30))
    starts = [world.booking(b).start_at for b in live]
    assert live == [made.created[0], made.created[2], made.created[3]]
    assert starts == sorted(starts)


def test_no_terminal_handled_money_on_an_empty_day(world: World):
    with world.read() as s:
        assert lookups.terminals_on(s, date(2026, 12, 1)) == set()


def test_staff_db_logins_name_every_staff_member(world: World):
    with world.read() as s:
        logins = lookups.staff_db_logins(s)
    assert {world.desk.id, world.manager.id} <= set(logins)
    assert logins[world.desk.id] is None  # no database login made yet


def test_a_group_never_checked_has_no_last_verification(world: World):
    gid = world.make_group()
    with world.read() as s:
        assert lookups.last_verification(s, gid) is None


def test_month_closing_and_amendments_of_the_fiscal_year_newest_first(world: World):
    with world.write() as s:
        close_month(s, world.manager, 2026, 10, now=datetime(2026, 11, 2, 10), force_reason="テスト")
    with world.write() as s:
        amend(s, world.manager, 2026, 10, "users_total", 9, "入力誤り", now=datetime(2026, 11, 3, 9))
    with world.write() as s:
        amend(s, world.manager, 2026, 10, "bookings", 4, "入力漏れ", now=datetime(2026, 11, 4, 9))
    with world.read() as s:
        closings = lookups.month_closings(s, 2026)
        amendments = year_amendments(s, 2026)
        next_year = year_amendments(s, 2027)
    assert list(closings) == [(2026, 10)] and closings[(2026, 10)][0] == datetime(2026, 11, 2, 10)
    # One view of an amendment everywhere: the tab's list is the reports' AmendmentView.
    assert all(type(a) is AmendmentView for a in amendments)
    assert [(a.year, a.month, a.key, a.new_value, a.reason) for a in amendments] == \
        [(2026, 10, "bookings", 4, "入力漏れ"), (2026, 10, "users_total", 9, "入力誤り")]
    assert amendments[1].label == amendment_label("users_total") == "利用者数（合計）"
    assert amendments[1].staff_name == world.manager.name and amendments[1].old_value != 9
    assert next_year == []
