"""Booking rules (予約の規則) through the services, on SQLite and on PostgreSQL.

The clock is fixed at 2026-11-25 09:00 (see factories.NOW) and passed to every call.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from factories import DAY, JAPANESE, NOW, World, at
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from booking_app.domain.booking_rules import BookingStatus, overlaps
from booking_app.domain.errors import ConflictError, PermissionDenied, RuleError, ValidationError
from booking_app.services import bookings as svc
from booking_app.services.centre import save_equipment
from booking_app.store.models import AuditEntry, Booking

# --------------------------------------------------------------------------- room overlap


OVERLAP_CASES = [
    # (label, start, end, clashes with 10:00–12:00?)
    ("before touching 8–10", (8, 0), (10, 0), False),
    ("after touching 12–13", (12, 0), (13, 0), False),
    ("overlapping start 9–11", (9, 0), (11, 0), True),
    ("overlapping end 11–13", (11, 0), (13, 0), True),
    ("inside 10:30–11:30", (10, 30), (11, 30), True),
    ("covering 9–13", (9, 0), (13, 0), True),
    ("identical 10–12", (10, 0), (12, 0), True),
    ("far apart 18–20", (18, 0), (20, 0), False),
]


@pytest.mark.parametrize("label,s,e,clash", OVERLAP_CASES, ids=[c[0] for c in OVERLAP_CASES])
def test_room_overlap_cases(world: World, label, s, e, clash):
    first = world.book(at(DAY, 10), at(DAY, 12))
    start, end = at(DAY, *s), at(DAY, *e)
    if s == (8, 0):
        # 8:00 is before opening (9:00): the desk hears about the hours, not about a clash,
        # and a manager with a written reason may book it (a clash could not be overridden).
        with pytest.raises(RuleError) as exc:
            world.book(start, end)
        assert "開館時間" in exc.value.message and "既に予約" not in exc.value.message
        ok = world.book(start, end, actor=world.manager, override_reason="設営のため早朝利用")
        assert ok.start == start
        return
    if clash:
        with pytest.raises(ConflictError) as exc:
            world.book(start, end)
        assert first.number in exc.value.message
        assert "大会議室" in exc.value.message and JAPANESE.search(exc.value.message)
        assert world.count(Booking) == 1
    else:
        view = world.book(start, end)
        assert (view.start, view.end, view.status) == (start, end, "confirmed")


def test_same_time_in_another_room_is_fine(world: World):
    world.book(at(DAY, 10), at(DAY, 12))
    other = world.book(at(DAY, 10), at(DAY, 12), room="小会議室1")
    assert other.room_name == "小会議室1"


# Quarter hours inside the weekday opening hours (9:00–22:00).
_quarters = st.integers(min_value=9 * 4, max_value=22 * 4)


@st.composite
def intervals(draw):
    a = draw(_quarters)
    b = draw(_quarters.filter(lambda x: x != a))
    lo, hi = min(a, b), max(a, b)
    return at(DAY, lo // 4, lo % 4 * 15), at(DAY, hi // 4, hi % 4 * 15)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(wanted=st.lists(intervals(), min_size=1, max_size=5))
def test_service_verdict_matches_overlaps(world: World, wanted):
    """Booked in turn, each interval is accepted exactly when it overlaps none accepted before."""
    world.clear_bookings()
    accepted: list[tuple[datetime, datetime]] = []
    for start, end in wanted:
        expect_clash = any(overlaps(start, end, s, e) for s, e in accepted)
        try:
            world.book(start, end)
        except ConflictError:
            assert expect_clash, f"{start:%H:%M}–{end:%H:%M} refused, accepted: {accepted}"
        else:
            assert not expect_clash, f"{start:%H:%M}–{end:%H:%M} accepted over {accepted}"
            accepted.append((start, end))
    with world.read() as s:
        live = [(a, b) for a, b in s.execute(select(Booking.start_at, Booking.end_at))]
    assert sorted(live) == sorted(accepted)


# --------------------------------------------------------------------------- what stops blocking


def test_cancel_frees_the_slot_at_once(world: World):
    b = world.book(at(DAY, 10), at(DAY, 12))
    with world.write() as s:
        with pytest.raises(ValidationError) as exc:
            svc.cancel_booking(s, world.desk, b.id, "  ", now=NOW)
        assert exc.value.field == "reason"
    with world.write() as s:
        v = svc.cancel_booking(s, world.desk, b.id, "団体の都合", now=NOW)
    assert v.status == "cancelled" and v.status_reason == "団体の都合"
    again = world.book(at(DAY, 10), at(DAY, 12))
    assert again.id != b.id
    assert world.booking(b.id).status == "cancelled"  # the record stays


def test_expired_tentative_does_not_block(world: World):
    hold = world.book(at(DAY, 10), at(DAY, 12), tentative=True, hold_until=date(2026, 11, 27))
    assert hold.status == "tentative"
    with pytest.raises(ConflictError):  # still held on the 27th
        world.book(at(DAY, 10), at(DAY, 12), now=datetime(2026, 11, 27, 17, 0))
    later = datetime(2026, 11, 28, 9, 0)
    taken = world.book(at(DAY, 10), at(DAY, 12), now=later)
    assert taken.status == "confirmed"
    old = world.booking(hold.id)
    assert old.status == "expired" and old.status_reason == "仮予約の期限切れ"


def test_tentative_needs_a_hold_deadline(world: World):
    with pytest.raises(ValidationError) as exc:
        world.book(at(DAY, 10), at(DAY, 12), tentative=True)
    assert exc.value.field == "hold_until"


def test_no_show_does_not_block(world: World):
    today = NOW.date()
    b = world.book(at(today, 10), at(today, 12))
    with world.write() as s:
        with pytest.raises(RuleError):  # not before the start
            svc.mark_no_show(s, world.desk, b.id, now=at(today, 9, 30))
    with world.write() as s:
        v = svc.mark_no_show(s, world.desk, b.id, now=at(today, 10, 30))
    assert v.status == "no_show"
    later = world.book(at(today, 10, 30), at(today, 12), now=at(today, 10, 30))
    assert later.status == "confirmed"
    # Undoing the no-show would take the slot back, which is now someone else's.
    with world.write() as s:
        with pytest.raises(ConflictError):
            svc.undo_status(s, world.desk, b.id, now=at(today, 10, 40))


def test_edit_never_counts_against_itself(world: World):
    b = world.book(at(DAY, 10), at(DAY, 12), equipment=world.equip(プロジェクター=2))
    data = svc.with_overrides(b.to_input(), end=at(DAY, 13))
    with world.write() as s:
        v = svc.update_booking(s, world.desk, b.id, data, expected_version=b.version, now=NOW)
    assert (v.start, v.end) == (at(DAY, 10), at(DAY, 13))
    assert v.version == b.version + 1
    assert [(e.name, e.quantity) for e in v.equipment] == [("プロジェクター", 2)]


def test_edit_into_another_booking_is_refused(world: World):
    world.book(at(DAY, 13), at(DAY, 15))
    b = world.book(at(DAY, 10), at(DAY, 12))
    data = svc.with_overrides(b.to_input(), end=at(DAY, 14))
    with world.write() as s, pytest.raises(ConflictError):
        svc.update_booking(s, world.desk, b.id, data, now=NOW)
    assert world.booking(b.id).end_at == at(DAY, 12)


def test_stale_version_is_refused(world: World):
    b = world.book(at(DAY, 10), at(DAY, 12))
    with world.write() as s:  # another terminal changes the head count first
        svc.update_booking(s, world.manager, b.id, svc.with_overrides(b.to_input(), attendees=8), now=NOW)
    with world.write() as s, pytest.raises(ConflictError) as exc:
        svc.update_booking(s, world.desk, b.id, svc.with_overrides(b.to_input(), attendees=9),
                           expected_version=b.version, now=NOW)
    assert "他の端末" in exc.value.message
    assert world.booking(b.id).attendees == 8
    with world.write() as s, pytest.raises(ConflictError):
        svc.cancel_booking(s, world.desk, b.id, "重複登録", expected_version=b.version, now=NOW)


# --------------------------------------------------------------------------- equipment


def test_equipment_peak_not_sum(world: World):
    """The issue's example: with 6 projectors, one 10–12 and one 13–15 leave 5 free for 09–17."""
    pj = world.equipment["プロジェクター"]
    with world.write() as s:
        save_equipment(s, world.manager, equipment_id=pj, name="プロジェクター", kana="ぷろじぇくたー",
                       stock=6, unit="台", sort_order=7, now=NOW)
    world.book(at(DAY, 10), at(DAY, 12), room=None, equipment={pj: 1})
    world.book(at(DAY, 13), at(DAY, 15), room=None, equipment={pj: 1})
    with world.read() as s:
        avail = {a.name: a for a in svc.equipment_availability(s, at(DAY, 9), at(DAY, 17))}
    assert (avail["プロジェクター"].in_use, avail["プロジェクター"].free) == (1, 5)
    five = world.book(at(DAY, 9), at(DAY, 17), room="多目的交流ホール", equipment={pj: 5})
    assert five.equipment[0].quantity == 5
    with pytest.raises(ConflictError) as exc:
        world.book(at(DAY, 9), at(DAY, 17), room=None, equipment={pj: 1})
    assert exc.value.message.startswith("プロジェクターは9:00〜17:00に6台中6台が予約済みで、残りは0台です")
    assert world.equipment_peak(pj, at(DAY, 0), at(DAY, 23)) == 6
    # 17:00 onwards is free again: returned at 17:00, lent again at 17:00.
    world.book(at(DAY, 17), at(DAY, 18), room=None, equipment={pj: 6})


def test_equipment_over_stock_refused(world: World):
    pj = world.equipment["プロジェクター"]  # stock 2
    with pytest.raises(ConflictError) as exc:
        world.book(at(DAY, 10), at(DAY, 12), equipment={pj: 3})
    assert "プロジェクター" in exc.value.message and "2台中0台" in exc.value.message
    world.book(at(DAY, 10), at(DAY, 12), equipment={pj: 1})
    world.book(at(DAY, 11), at(DAY, 13), room="小会議室1", equipment={pj: 1})
    with pytest.raises(ConflictError) as exc:
        world.book(at(DAY, 11, 30), at(DAY, 12), room="小会議室2", equipment={pj: 1})
    assert "残りは0台です（1台は貸し出せません）" in exc.value.message
    assert world.equipment_peak(pj, at(DAY, 0), at(DAY, 23)) == 2
    assert world.count(Booking) == 2


def test_unlimited_equipment_is_never_refused(world: World):
    with world.write() as s:
        free_id = save_equipment(s, world.manager, equipment_id=None, name="メールボックス", kana="",
                                 stock=None, unit="箱", sort_order=20, now=NOW)
    for hour in range(9, 14):
        world.book(at(DAY, hour), at(DAY, 17), room=None, equipment={free_id: 50})
    with world.read() as s:
        avail = {a.name: a for a in svc.equipment_availability(s, at(DAY, 9), at(DAY, 17))}
    assert avail["メールボックス"].free is None and avail["メールボックス"].in_use == 250


def test_negative_equipment_quantity_refused(world: World):
    with pytest.raises(ValidationError) as exc:
        world.book(at(DAY, 10), at(DAY, 12), equipment=world.equip(プロジェクター=-1))
    assert exc.value.field == "equipment"


# --------------------------------------------------------------------------- hours, closures, window


def test_year_end_closure_and_manager_override(world: World):
    closed = date(2026, 12, 30)
    with pytest.raises(RuleError) as exc:
        world.book(at(closed, 10), at(closed, 12))
    assert "年末年始休館" in exc.value.message
    with pytest.raises(PermissionDenied) as exc:
        world.book(at(closed, 10), at(closed, 12), override_reason="市の行事")
    assert "管理者" in exc.value.message
    assert world.count(Booking) == 0
    v = world.book(at(closed, 10), at(closed, 12), actor=world.manager, override_reason="市の防災訓練で臨時利用")
    assert v.override_reason == "市の防災訓練で臨時利用"
    assert world.booking(v.id).override_reason == "市の防災訓練で臨時利用"


def test_override_reason_not_kept_when_nothing_was_overridden(world: World):
    v = world.book(at(DAY, 10), at(DAY, 12), actor=world.manager, override_reason="念のため")
    assert v.override_reason == ""


def test_sunday_evening_beyond_closing(world: World):
    sunday = date(2026, 12, 6)
    with pytest.raises(RuleError) as exc:
        world.book(at(sunday, 17), at(sunday, 19))
    assert "18:00" in exc.value.message
    world.book(at(sunday, 16), at(sunday, 18))  # up to closing time is fine
    weekday = world.book(at(DAY, 17), at(DAY, 19))  # weekdays close at 22:00
    assert weekday.end == at(DAY, 19)


def test_member_window_longer_than_general(world: World):
    gid = world.make_group()
    far = date(2027, 2, 28)  # end of the month three months ahead
    ok = world.book(at(far, 10), at(far, 12), group_id=gid)
    assert ok.booker_name == "ふくふく子ども食堂" and ok.group_reg_no
    with pytest.raises(RuleError) as exc:
        world.book(at(far, 13), at(far, 15))
    assert "一般の予約受付" in exc.value.message
    with pytest.raises(RuleError):
        world.book(at(date(2027, 3, 1), 10), at(date(2027, 3, 1), 12), group_id=gid)
    with pytest.raises(RuleError) as exc:
        world.book(at(date(2026, 11, 24), 10), at(date(2026, 11, 24), 12))
    assert "過去" in exc.value.message


def test_lapsed_group_books_with_the_general_window(world: World):
    # Registration ran out on 31 March: the group books like anyone else until it renews.
    gid = world.make_group("旧会員の会", valid_until=date(2026, 3, 31))
    with pytest.raises(RuleError):
        world.book(at(date(2027, 2, 3), 10), at(date(2027, 2, 3), 12), group_id=gid)


# --------------------------------------------------------------------------- fields and groups


def test_capacity_exceeded(world: World):
    with pytest.raises(ValidationError) as exc:
        world.book(at(DAY, 10), at(DAY, 12), attendees=41)
    assert exc.value.field == "attendees" and "定員（40人）" in exc.value.message
    assert world.book(at(DAY, 10), at(DAY, 12), attendees=40).attendees == 40


@pytest.mark.parametrize("changes,fld", [
    ({"purpose": "  "}, "purpose"),
    ({"booker_name": ""}, "booker_name"),
    ({"booker_kind": "group", "booker_name": " "}, "booker_name"),
    ({"attendees": -1}, "attendees"),
    ({"booker_kind": "member"}, "group"),
    ({"booker_kind": "visitor"}, "booker_kind"),
    ({"room": None}, "room"),
])
def test_missing_fields_are_named(world: World, changes, fld):
    with pytest.raises(ValidationError) as exc:
        world.book(at(DAY, 10), at(DAY, 12), **changes)
    assert exc.value.field == fld
    assert JAPANESE.search(exc.value.message)


def test_bad_times_are_named(world: World):
    with pytest.raises(ValidationError) as exc:
        world.book(at(DAY, 12), at(DAY, 10))
    assert exc.value.field == "end"
    with pytest.raises(ValidationError) as exc:
        world.book(at(DAY, 20), at(DAY + timedelta(days=1), 1))
    assert exc.value.field == "end"


@pytest.mark.parametrize("status", ["suspended", "deregistered"])
def test_barred_group_refused(world: World, status):
    gid = world.make_group("停止中の会", status=status)
    with pytest.raises(PermissionDenied) as exc:
        world.book(at(DAY, 10), at(DAY, 12), group_id=gid)
    assert "停止中の会" in exc.value.message
    assert world.count(Booking) == 0


# --------------------------------------------------------------------------- life cycle


def test_life_cycle_with_audit(world: World):
    today = NOW.date()
    b = world.book(at(today, 10), at(today, 12), tentative=True, hold_until=date(2026, 11, 30))
    assert b.status == "tentative"
    with world.write() as s:
        assert svc.confirm_booking(s, world.desk, b.id, now=NOW).status == "confirmed"
    with world.write() as s:
        assert svc.check_in(s, world.desk, b.id, now=at(today, 9, 55)).status == "in_use"
    with world.write() as s:
        with pytest.raises(ValidationError) as exc:
            svc.check_out(s, world.desk, b.id, -1, now=at(today, 12))
        assert exc.value.field == "actual_users"
    with world.write() as s:
        done = svc.check_out(s, world.desk, b.id, 7, now=at(today, 12))
    assert (done.status, done.actual_users, done.status_label) == ("completed", 7, "利用済")
    # A mistaken check-out is undone, and the count leaves the statistics with it.
    with world.write() as s:
        back = svc.undo_status(s, world.manager, b.id, now=at(today, 12, 5))
    assert (back.status, back.actual_users) == ("in_use", None)
    with world.write() as s:
        assert svc.check_out(s, world.desk, b.id, 6, now=at(today, 12, 6)).actual_users == 6

    rows = world.audit_rows(b.id)
    assert [r.action for r in rows] == ["create", "confirm", "check_in", "check_out", "undo", "check_out"]
    assert [r.staff_id for r in rows] == [world.desk.id] * 4 + [world.manager.id, world.desk.id]
    assert rows[3].before["status"] == "in_use" and rows[3].after["actual_users"] == 7
    assert all(JAPANESE.search(r.summary) for r in rows)


def test_check_in_not_before_the_day(world: World):
    b = world.book(at(DAY, 10), at(DAY, 12))
    with world.write() as s, pytest.raises(RuleError):
        svc.check_in(s, world.desk, b.id, now=NOW)
    with world.write() as s, pytest.raises(RuleError):
        svc.check_out(s, world.desk, b.id, 3, now=NOW)


@pytest.mark.parametrize("setup,action", [
    ("cancelled", "confirm"),
    ("cancelled", "check_in"),
    ("completed", "cancel"),
    ("completed", "no_show"),
    ("no_show", "check_out"),
    ("confirmed", "undo"),
])
def test_invalid_transitions_refused(world: World, setup, action):
    today = NOW.date()
    b = world.book(at(today, 9), at(today, 10))
    later = at(today, 11)
    with world.write() as s:
        if setup == "cancelled":
            svc.cancel_booking(s, world.desk, b.id, "雨天中止", now=NOW)
        elif setup == "completed":
            svc.check_out(s, world.desk, b.id, 4, now=later)
        elif setup == "no_show":
            svc.mark_no_show(s, world.desk, b.id, now=later)
    before = world.booking(b.id)
    audits = len(world.audit_rows(b.id))
    calls = {
        "confirm": lambda s: svc.confirm_booking(s, world.desk, b.id, now=later),
        "check_in": lambda s: svc.check_in(s, world.desk, b.id, now=later),
        "cancel": lambda s: svc.cancel_booking(s, world.desk, b.id, "誤操作", now=later),
        "no_show": lambda s: svc.mark_no_show(s, world.desk, b.id, now=later),
        "check_out": lambda s: svc.check_out(s, world.desk, b.id, 3, now=later),
        "undo": lambda s: svc.undo_status(s, world.desk, b.id, now=later),
    }
    with world.write() as s, pytest.raises(RuleError) as exc:
        calls[action](s)
    assert JAPANESE.search(exc.value.message)
    after = world.booking(b.id)
    assert (after.status, after.version) == (before.status, before.version)
    assert len(world.audit_rows(b.id)) == audits


def test_cancelled_booking_cannot_be_edited(world: World):
    b = world.book(at(DAY, 10), at(DAY, 12))
    with world.write() as s:
        svc.cancel_booking(s, world.desk, b.id, "団体の都合", now=NOW)
    with world.write() as s, pytest.raises(RuleError):
        svc.update_booking(s, world.desk, b.id, b.to_input(), now=NOW)


def test_every_change_is_audited(world: World):
    b = world.book(at(DAY, 10), at(DAY, 12))
    with world.write() as s:
        svc.update_booking(s, world.manager, b.id, svc.with_overrides(b.to_input(), attendees=9), now=NOW)
    with world.write() as s:
        svc.cancel_booking(s, world.desk, b.id, "団体の都合", now=NOW)
    with world.read() as s:
        rows = list(s.scalars(select(AuditEntry).where(AuditEntry.entity_id == b.id).order_by(AuditEntry.id)))
        got = [(r.action, r.staff_id, r.entity, r.at) for r in rows]
    assert got == [("create", world.desk.id, "booking", NOW), ("update", world.manager.id, "booking", NOW),
                   ("cancel", world.desk.id, "booking", NOW)]
    assert rows[1].before["attendees"] == 5 and rows[1].after["attendees"] == 9
    assert "団体の都合" in rows[2].summary


def test_refused_booking_writes_no_audit(world: World):
    world.book(at(DAY, 10), at(DAY, 12))
    with pytest.raises(ConflictError):
        world.book(at(DAY, 11), at(DAY, 12))
    assert len(world.audit_rows()) == 1


def test_status_labels_are_japanese():
    assert [s.label for s in BookingStatus] == ["仮予約", "確定", "利用中", "利用済", "取消", "無断キャンセル",
                                                "期限切れ", "除外"]


def test_undo_no_show_needs_the_equipment_back(world: World):
    today = NOW.date()
    pj = world.equipment["プロジェクター"]
    b = world.book(at(today, 10), at(today, 12), equipment={pj: 2})
    with world.write() as s:
        svc.mark_no_show(s, world.desk, b.id, now=at(today, 10, 30))
    world.book(at(today, 11), at(today, 12), room="小会議室1", equipment={pj: 1}, now=at(today, 10, 30))
    with world.write() as s, pytest.raises(ConflictError) as exc:
        svc.undo_status(s, world.desk, b.id, now=at(today, 10, 40))
    assert "プロジェクター" in exc.value.message
    assert world.booking(b.id).status == "no_show"
    assert world.equipment_peak(pj, at(today, 0), at(today, 23)) == 1


def test_undo_no_show_when_still_free(world: World):
    today = NOW.date()
    b = world.book(at(today, 10), at(today, 12), equipment=world.equip(プロジェクター=2))
    with world.write() as s:
        svc.mark_no_show(s, world.desk, b.id, now=at(today, 10, 30))
    with world.write() as s:
        assert svc.undo_status(s, world.desk, b.id, now=at(today, 10, 40)).status == "confirmed"
    assert [r.action for r in world.audit_rows(b.id)] == ["create", "no_show", "undo"]
