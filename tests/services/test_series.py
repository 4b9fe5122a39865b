"""Recurring series (繰り返し予約) through the services, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from factories import JAPANESE, NOW, World, at
from sqlalchemy import select

from booking_app.domain.errors import ConflictError, PermissionDenied, RuleError, ValidationError
from booking_app.domain.recurrence import RecurrenceRule
from booking_app.services import bookings as svc
from booking_app.services import series as ser
from booking_app.store.models import AuditEntry, Booking, BookingSeries

WED, TUE = 2, 1


def weekly(start: date, until: date, *, interval: int = 1, weekday: int = WED) -> RecurrenceRule:
    return RecurrenceRule(kind="weekly", start=start, until=until, weekdays=(weekday,), interval=interval)


def template(world: World, gid: int | None, hh: int = 10, hh_end: int = 12, **kw) -> svc.BookingInput:
    """Times of day only matter: the services put each occurrence on its own date."""
    return world.input(at(date(2026, 12, 2), hh), at(date(2026, 12, 2), hh_end), group_id=gid, **kw)


def create(world: World, tmpl, rule, *, skip: bool, actor=None) -> ser.SeriesResult:
    with world.write() as s:
        return ser.create_series(s, actor or world.desk, tmpl, rule, skip_unavailable=skip, now=NOW)


def rows(world: World, series_id: int) -> list[svc.BookingView]:
    with world.read() as s:
        return ser.series_rows(s, series_id)


def test_every_two_weeks_over_42_days(world: World):
    gid = world.make_group()
    start = date(2027, 1, 6)
    rule = weekly(start, start + timedelta(days=42), interval=2)
    res = create(world, template(world, gid), rule, skip=False)
    got = rows(world, res.series_id)
    assert [r.start.date() for r in got] == [date(2027, 1, 6), date(2027, 1, 20), date(2027, 2, 3),
                                            date(2027, 2, 17)]
    assert {r.status for r in got} == {"confirmed"} and not res.skipped
    assert {(r.start.time().hour, r.end.time().hour) for r in got} == {(10, 12)}
    with world.read() as s:
        assert ser.series_summary(s, res.series_id).startswith("隔週 水曜")


def test_second_tuesday_for_a_year(world: World):
    gid = world.make_group()
    rule = RecurrenceRule(kind="monthly_nth", start=date(2026, 12, 1), until=date(2027, 11, 30), nth=2,
                          weekday=TUE)
    # A desk clerk may only book within the member window; the later months are kept as skipped rows.
    res = create(world, template(world, gid), rule, skip=True)
    got = rows(world, res.series_id)
    assert len(got) == 12
    assert [r.start.date() for r in got][:3] == [date(2026, 12, 8), date(2027, 1, 12), date(2027, 2, 9)]
    assert all(r.start.weekday() == TUE and 8 <= r.start.day <= 14 for r in got)
    assert [r.status for r in got] == ["confirmed"] * 3 + ["skipped"] * 9
    assert all("登録団体の予約受付" in r.status_reason for r in got[3:])


def test_second_tuesday_for_a_year_with_manager_override(world: World):
    gid = world.make_group()
    rule = RecurrenceRule(kind="monthly_nth", start=date(2026, 12, 1), until=date(2027, 11, 30), nth=2,
                          weekday=TUE)
    res = create(world, template(world, gid, override_reason="年間計画として理事会で承認済み"), rule,
                 skip=False, actor=world.manager)
    got = rows(world, res.series_id)
    assert len(got) == 12 and len(res.created) == 12
    assert {r.status for r in got} == {"confirmed"}
    # The manager's reason stays on every date booked beyond the ordinary window.
    assert all(r.override_reason == "年間計画として理事会で承認済み" for r in got[3:])


def test_desk_cannot_override_the_window_for_a_series(world: World):
    gid = world.make_group()
    rule = weekly(date(2027, 2, 17), date(2027, 3, 10))
    with pytest.raises(PermissionDenied) as exc:
        create(world, template(world, gid, override_reason="毎年の総会"), rule, skip=False)
    assert "管理者のみ" in exc.value.message and "2027/03/03" in exc.value.message and "2027/02/24" not in exc.value.message
    assert world.count(Booking) == 0


def _conflicting_setup(world: World):
    gid = world.make_group()
    other = world.book(at(date(2026, 12, 16), 11), at(date(2026, 12, 16), 13), booker_name="別の団体")
    return gid, other, weekly(date(2026, 12, 2), date(2026, 12, 23))


def test_conflict_refuses_whole_series_and_writes_nothing(world: World):
    gid, other, rule = _conflicting_setup(world)
    audits, series = world.count(AuditEntry), world.count(BookingSeries)
    with pytest.raises(ConflictError) as exc:
        create(world, template(world, gid), rule, skip=False)
    msg = exc.value.message
    assert "2026/12/16" in msg and other.number in msg and "別の団体" in msg
    assert "2026/12/09" not in msg and JAPANESE.search(msg)
    assert world.count(Booking) == 1
    assert (world.count(AuditEntry), world.count(BookingSeries)) == (audits, series)


def test_conflict_skipped_keeps_a_row_with_the_reason(world: World):
    gid, other, rule = _conflicting_setup(world)
    res = create(world, template(world, gid), rule, skip=True)
    got = rows(world, res.series_id)
    assert [(r.start.date().day, r.status) for r in got] == [(2, "confirmed"), (9, "confirmed"),
                                                            (16, "skipped"), (23, "confirmed")]
    skipped = got[2]
    assert skipped.status_reason.startswith("重複：") and other.number in skipped.status_reason
    assert [i.day for i in res.skipped] == [date(2026, 12, 16)] and len(res.created) == 3
    assert world.booking(other.id).status == "confirmed"
    # The skipped row holds no slot: the room is free for someone else at that time.
    world.book(at(date(2026, 12, 16), 9), at(date(2026, 12, 16), 11))
    audit = world.audit_rows(res.series_id, entity="series")
    assert len(audit) == 1 and audit[0].after["skipped"] == ["2026-12-16"]


def test_series_across_the_year_end(world: World):
    gid = world.make_group()
    rule = weekly(date(2026, 12, 16), date(2027, 1, 13))
    with pytest.raises(ConflictError) as exc:
        create(world, template(world, gid), rule, skip=False)
    assert "2026/12/30 休館" in exc.value.message
    res = create(world, template(world, gid), rule, skip=True)
    got = rows(world, res.series_id)
    assert [(r.start.date(), r.status) for r in got] == [
        (date(2026, 12, 16), "confirmed"), (date(2026, 12, 23), "confirmed"), (date(2026, 12, 30), "skipped"),
        (date(2027, 1, 6), "confirmed"), (date(2027, 1, 13), "confirmed"),
    ]
    assert got[2].status_reason == "休館：年末年始休館"


def test_preview_names_each_state(world: World):
    gid = world.make_group()
    world.book(at(date(2026, 12, 16), 11), at(date(2026, 12, 16), 13))
    with world.read() as s:
        rule = weekly(date(2026, 12, 9), date(2027, 3, 3))
        items = ser.preview_series(s, template(world, gid), rule, now=NOW)
    states = {i.day: i.state_label for i in items}
    assert states[date(2026, 12, 9)] == "空き"
    assert states[date(2026, 12, 16)] == "重複"
    assert states[date(2026, 12, 30)] == "休館"
    assert states[date(2027, 3, 3)] == "規則外"


def test_no_dates_at_all(world: World):
    gid = world.make_group()
    with pytest.raises(ConflictError) as exc:
        create(world, template(world, gid), weekly(date(2026, 12, 30), date(2026, 12, 31)), skip=True)
    assert "1日も" in exc.value.message
    assert world.count(BookingSeries) == 0


# --------------------------------------------------------------------------- editing a series


def _five_wednesdays(world: World):
    """Weekly 12/2 … 12/23 and 1/6 (12/30 is closed and skipped): five live dates."""
    gid = world.make_group()
    res = create(world, template(world, gid), weekly(date(2026, 12, 2), date(2027, 1, 6)), skip=True)
    live = [r for r in rows(world, res.series_id) if r.status == "confirmed"]
    assert [r.start.date() for r in live] == [date(2026, 12, 2), date(2026, 12, 9), date(2026, 12, 16),
                                             date(2026, 12, 23), date(2027, 1, 6)]
    return res.series_id, live


def test_edit_following_leaves_earlier_cancelled_and_detached_dates(world: World):
    sid, live = _five_wednesdays(world)
    d1, d2, d3, d4, d5 = live
    with world.write() as s:
        svc.cancel_booking(s, world.desk, d4.id, "会場の都合", now=NOW)
    with world.write() as s:  # a single-date edit: 1/6 moves to the small room and starts later
        single = svc.with_overrides(d5.to_input(), room_id=world.rooms["小会議室1"],
                                    start=at(d5.start.date(), 18), end=at(d5.start.date(), 20))
        ser.update_series(s, world.desk, d5.id, single, "one", now=NOW)
    assert world.booking(d5.id).series_detached

    changes = svc.with_overrides(d3.to_input(), start=at(d3.start.date(), 13), end=at(d3.start.date(), 15),
                                 purpose="講座")
    with world.write() as s:
        changed = ser.update_series(s, world.desk, d3.id, changes, "following", now=NOW)
    assert [v.id for v in changed] == [d3.id]

    after = {r.id: r for r in rows(world, sid)}
    for untouched in (d1, d2):
        assert (after[untouched.id].start, after[untouched.id].end) == (untouched.start, untouched.end)
        assert after[untouched.id].purpose == "定例会"
    assert (after[d3.id].start, after[d3.id].end, after[d3.id].purpose) == (
        at(d3.start.date(), 13), at(d3.start.date(), 15), "講座")
    assert after[d4.id].status == "cancelled" and after[d4.id].start.hour == 10
    assert (after[d5.id].room_name, after[d5.id].start.hour, after[d5.id].purpose) == ("小会議室1", 18, "定例会")
    # A series edit never detaches the dates it moved.
    assert not world.booking(d3.id).series_detached


def test_edit_following_from_third_date_moves_the_rest(world: World):
    sid, live = _five_wednesdays(world)
    d3 = live[2]
    changes = svc.with_overrides(d3.to_input(), start=at(d3.start.date(), 13), end=at(d3.start.date(), 15))
    with world.write() as s:
        ser.update_series(s, world.desk, d3.id, changes, "following", now=NOW)
    hours = [(r.start.date(), r.start.hour, r.end.hour) for r in rows(world, sid) if r.status == "confirmed"]
    days = [r.start.date() for r in live]
    assert hours == [(days[0], 10, 12), (days[1], 10, 12), (days[2], 13, 15), (days[3], 13, 15), (days[4], 13, 15)]


def test_edit_all_with_one_clash_changes_nothing(world: World):
    sid, live = _five_wednesdays(world)
    clash_day = live[1].start.date()
    blocker = world.book(at(clash_day, 14), at(clash_day, 16), booker_name="別の団体")
    before = {r.id: (r.start, r.end, r.version) for r in rows(world, sid)}
    changes = svc.with_overrides(live[0].to_input(), start=at(live[0].start.date(), 13),
                                 end=at(live[0].start.date(), 15))
    with pytest.raises(ConflictError) as exc:
        with world.write() as s:
            ser.update_series(s, world.desk, live[0].id, changes, "all", now=NOW)
    msg = exc.value.message
    assert "2026/12/09" in msg and blocker.number in msg and "何も変更していません" in msg
    assert "2026/12/02" not in msg and "2026/12/16" not in msg
    assert {r.id: (r.start, r.end, r.version) for r in rows(world, sid)} == before
    assert len(world.audit_rows()) == 1  # the blocker's create, nothing from the refused edit


def test_edit_all_skips_used_dates(world: World):
    sid, live = _five_wednesdays(world)
    # 'all' counts from today: a date already past or used is history and stays as it was.
    later = datetime(2026, 12, 10, 9, 0)
    with world.write() as s:
        svc.check_out(s, world.desk, live[0].id, 9, now=later)
    changes = svc.with_overrides(live[2].to_input(), attendees=20)
    with world.write() as s:
        changed = ser.update_series(s, world.desk, live[2].id, changes, "all", now=later)
    assert [v.start.date() for v in changed] == [r.start.date() for r in live[2:]]
    got = {r.id: r for r in rows(world, sid)}
    assert got[live[0].id].attendees == 5 and got[live[1].id].attendees == 5
    assert all(got[r.id].attendees == 20 for r in live[2:])


def test_bad_scope_is_named(world: World):
    sid, live = _five_wednesdays(world)
    with world.write() as s, pytest.raises(ValidationError) as exc:
        ser.update_series(s, world.desk, live[0].id, live[0].to_input(), "some", now=NOW)
    assert exc.value.field == "scope"


@pytest.mark.parametrize("scope,cancelled_days", [
    ("one", [16]),
    ("following", [16, 23, 6]),
    ("all", [2, 9, 16, 23, 6]),
])
def test_cancel_series_scopes(world: World, scope, cancelled_days):
    sid, live = _five_wednesdays(world)
    with world.write() as s:  # a detached date goes with 'following' and 'all': the group is not coming
        fewer = svc.with_overrides(live[4].to_input(), attendees=3)
        ser.update_series(s, world.desk, live[4].id, fewer, "one", now=NOW)
    with world.write() as s:
        n = ser.cancel_series(s, world.desk, live[2].id, scope, "活動休止", now=NOW)
    assert n == len(cancelled_days)
    got = rows(world, sid)
    assert sorted(r.start.day for r in got if r.status == "cancelled") == sorted(cancelled_days)
    assert all(r.status_reason == "活動休止" for r in got if r.status == "cancelled")
    skipped = [r for r in got if r.status == "skipped"]
    assert [r.start.date() for r in skipped] == [date(2026, 12, 30)]  # nothing comes back to life
    with world.read() as s:
        actions = list(s.scalars(select(AuditEntry.action).where(AuditEntry.action == "cancel")))
    assert len(actions) == n


def test_series_skipped_row_cannot_be_revived(world: World):
    sid, _ = _five_wednesdays(world)
    skipped = next(r for r in rows(world, sid) if r.status == "skipped")
    with world.write() as s, pytest.raises(RuleError):
        svc.confirm_booking(s, world.desk, skipped.id, now=NOW)



@pytest.mark.parametrize("scope", ["following", "all"])
def test_cancel_series_on_a_single_booking_cancels_only_it(world: World, scope):
    single = world.book(at(date(2026, 12, 2), 10), at(date(2026, 12, 2), 12))
    others = [world.book(at(date(2026, 12, d), 10), at(date(2026, 12, d), 12), room="小会議室1")
              for d in (2, 3, 9)]
    with world.write() as s:
        assert ser.cancel_series(s, world.desk, single.id, scope, "団体の都合", now=NOW) == 1
    assert world.booking(single.id).status == "cancelled"
    assert [world.booking(o.id).status for o in others] == ["confirmed"] * 3


@pytest.mark.parametrize("scope", ["one", "following", "all"])
def test_cancel_series_refuses_a_paid_date_which_goes_through_its_refund(world: World, scope):
    """A paid date cancelled with its series would keep the money without a 還付 record (issue 18)."""
    from booking_app.services import payments, refunding

    res = create(world, template(world, None), weekly(date(2026, 12, 2), date(2026, 12, 23)), skip=True)
    live = [r for r in rows(world, res.series_id) if r.status == "confirmed"]
    with world.write() as s:
        ids = [c.id for c in payments.open_charges(s, booking_id=live[2].id)]
        assert ids, "a general user's date has a fee"
        payments.take_payment(s, world.desk, ids, payer_name="山田花子", purpose="会議室使用料として", now=NOW,
                              terminal="受付1")
    with world.write() as s, pytest.raises(RuleError) as refused:
        ser.cancel_series(s, world.desk, live[1 if scope != "one" else 2].id, scope, "活動休止", now=NOW)
    assert "支払済みの日があります（12月16日）" in str(refused.value)
    assert [r.status for r in rows(world, res.series_id)] == ["confirmed"] * 4  # nothing half-done

    with world.write() as s:  # the paid date through its refund, then the rest of the series
        refunding.cancel_with_refund(s, world.desk, live[2].id, "活動休止", method="cash", now=NOW, terminal="受付1")
    with world.write() as s:
        ser.cancel_series(s, world.desk, live[0].id, "all", "活動休止", now=NOW)
    assert [r.status for r in rows(world, res.series_id)] == ["cancelled"] * 4
