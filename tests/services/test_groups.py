"""Member groups (登録団体) on both databases: registration rules, numbers, status, renewal, search."""

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from booking_app.domain.errors import PermissionDenied, ValidationError
from booking_app.domain.groups import DECLARATIONS, GroupInput
from booking_app.services import groups as gs
from booking_app.services.bookings import BookingInput, create_booking
from booking_app.services.centre import ensure_initial_data, list_rooms, list_staff
from booking_app.store.engine import make_engine, read_session, write_session
from booking_app.store.models import AuditEntry, GroupStatusChange, GroupVerification, MemberGroup

NOW = datetime(2026, 11, 25, 10, 0)


@pytest.fixture
def env(db_url):
    engine = make_engine(db_url)
    with write_session(engine) as s:
        ensure_initial_data(s, now=NOW)
        staff = {x.role: x.as_actor() for x in list_staff(s)}
    yield engine, staff["desk"], staff["manager"]
    engine.dispose()


def group_input(**kw) -> GroupInput:
    base = dict(name="下関朗読ボランティア", kana="シモノセキロウドクボランティア", representative="森 幸子",
                phone="083-211-9836", activity_fields=["社会教育"], members=12,
                declarations={k: True for k in DECLARATIONS})
    base.update(kw)
    return GroupInput(**base)


def test_registration_gets_a_number_and_runs_to_march(env):
    engine, desk, _ = env
    with write_session(engine) as s:
        g1 = gs.register_group(s, desk, group_input(), now=NOW)
        g2 = gs.register_group(s, desk, group_input(name="彦島子ども食堂", kana="ひこしまこどもしょくどう"), now=NOW)
    assert (g1.reg_no, g2.reg_no) == ("0001", "0002")
    assert g1.valid_until == date(2027, 3, 31)
    assert g1.status == "active"
    with read_session(engine) as s:
        assert s.scalar(select(func.count()).select_from(GroupStatusChange)) == 2
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.entity == "group")) == 2


@pytest.mark.parametrize("missing", sorted(DECLARATIONS))
def test_registration_without_a_declaration_is_refused_and_writes_nothing(env, missing):
    engine, desk, _ = env
    decl = {k: True for k in DECLARATIONS}
    decl[missing] = False
    with pytest.raises(ValidationError) as exc, write_session(engine) as s:
        gs.register_group(s, desk, group_input(declarations=decl), now=NOW)
    assert exc.value.field == "declarations"
    assert DECLARATIONS[missing] in exc.value.message
    with read_session(engine) as s:
        assert s.scalar(select(func.count()).select_from(MemberGroup)) == 0


@pytest.mark.parametrize(("field", "kw"), [("name", {"name": " "}), ("kana", {"kana": ""}),
                                           ("representative", {"representative": ""}),
                                           ("activity_fields", {"activity_fields": []}),
                                           ("phone", {"phone": ""}), ("members", {"members": 0})])
def test_missing_required_field_names_the_field(env, field, kw):
    engine, desk, _ = env
    with pytest.raises(ValidationError) as exc, write_session(engine) as s:
        gs.register_group(s, desk, group_input(**kw), now=NOW)
    assert exc.value.field == field


def test_numbers_are_never_reused_after_deregistration(env):
    engine, desk, manager = env
    with write_session(engine) as s:
        g = gs.register_group(s, desk, group_input(), now=NOW)
        gs.change_status(s, manager, g.id, "deregistered", "解散届の提出", now=NOW)
        g2 = gs.register_group(s, desk, group_input(name="新しい会", kana="あたらしいかい"), now=NOW)
    assert g2.reg_no == "0002"
    with pytest.raises(ValidationError), write_session(engine) as s:
        gs.register_group(s, desk, group_input(name="別の会", kana="べつのかい"), reg_no="0001", now=NOW)


def test_suspension_is_a_managers_decision_and_bars_booking(env):
    engine, desk, manager = env
    with write_session(engine) as s:
        g = gs.register_group(s, desk, group_input(), now=NOW)
    with pytest.raises(PermissionDenied), write_session(engine) as s:
        gs.change_status(s, desk, g.id, "suspended", "会費の未納")
    with write_session(engine) as s:
        gs.change_status(s, manager, g.id, "suspended", "利用規約違反", now=NOW)
    with read_session(engine) as s:
        room = list_rooms(s)[1]
    data = BookingInput(start=datetime(2026, 12, 2, 10), end=datetime(2026, 12, 2, 12), room_id=room.id,
                        group_id=g.id, purpose="定例会", attendees=5)
    with pytest.raises(PermissionDenied) as exc, write_session(engine) as s:
        create_booking(s, desk, data, now=NOW)
    assert "利用規約違反" in exc.value.message
    with write_session(engine) as s:
        view = gs.change_status(s, manager, g.id, "active", "改善を確認", now=NOW)
        assert view.status == "active"
        create_booking(s, desk, data, now=NOW)


def test_april_change_is_automatic_and_idempotent(env):
    engine, desk, _ = env
    with write_session(engine) as s:
        g = gs.register_group(s, desk, group_input(), now=NOW)
    with write_session(engine) as s:
        assert gs.apply_status_changes(s, today=date(2027, 3, 5)) == 1  # 更新待ち
        assert gs.apply_status_changes(s, today=date(2027, 3, 5)) == 0
    with write_session(engine) as s:
        assert gs.apply_status_changes(s, today=date(2027, 4, 1)) == 1  # 期限切れ
        assert gs.apply_status_changes(s, today=date(2027, 4, 2)) == 0
        assert s.get(MemberGroup, g.id).status == "expired"
        assert [v.reg_no for v in gs.renewal_list(s, 2027, today=date(2027, 4, 2))] == ["0001"]
    with write_session(engine) as s:
        assert gs.renew_groups(s, desk, [g.id], 2027, now=datetime(2027, 4, 3, 9)) == 1
        assert gs.renew_groups(s, desk, [g.id], 2027, now=datetime(2027, 4, 3, 9)) == 0
        row = s.get(MemberGroup, g.id)
        assert (row.status, row.valid_until) == ("active", date(2028, 3, 31))


def test_expired_group_books_in_the_general_window(env):
    engine, desk, _ = env
    with write_session(engine) as s:
        g = gs.register_group(s, desk, group_input(), registered_on=date(2025, 6, 1), now=NOW)
        room = list_rooms(s)[1]
    far = BookingInput(start=datetime(2027, 2, 10, 10), end=datetime(2027, 2, 10, 12), room_id=room.id,
                       group_id=g.id, purpose="定例会", attendees=5)
    with pytest.raises(Exception) as exc, write_session(engine) as s:
        create_booking(s, desk, far, now=NOW)
    assert "一般" in exc.value.message


@pytest.mark.parametrize("typed", ["しものせき", "シモノセキ", "ｼﾓﾉｾｷ", "朗読", "0001", "1", "083-211", "０８３２１１", "森"])
def test_search_finds_by_any_form(env, typed):
    engine, desk, _ = env
    with write_session(engine) as s:
        gs.register_group(s, desk, group_input(), now=NOW)
        gs.register_group(s, desk, group_input(name="彦島子ども食堂", kana="ひこしまこどもしょくどう",
                                               representative="石井", phone="083-206-8719"), now=NOW)
    with read_session(engine) as s:
        found = gs.search_groups(s, typed, today=NOW.date())
    assert found and found[0].name == "下関朗読ボランティア"


def test_verification_is_logged_with_what_was_seen(env):
    engine, desk, _ = env
    with write_session(engine) as s:
        g = gs.register_group(s, desk, group_input(), now=NOW)
        v = gs.verify_group(s, desk, g.id, now=NOW)
    assert v.good and v.label == "有効"
    with read_session(engine) as s:
        row = s.scalars(select(GroupVerification)).one()
        assert (row.staff_id, row.status_seen) == (desk.id, "active")
        assert gs.group_by_code(s, "FKG:0001").id == g.id
        assert gs.verdict(None, NOW.date()).label == "未登録"
