"""The app's own flows on engines signed in with staff members' own PostgreSQL logins (issue 14).

``db_login.sign_in`` gives each role an engine; the desk's, the manager's and the administrator's daily
work runs through the services on it, so a grant missing from migration 0009 fails here. Also: what a
forged ``Actor`` gets on a desk login, and the Japanese refusals of ``sign_in``.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest
from factories import DAY, NOW, World, at, load_world, seed
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from booking_app.domain.errors import PermissionDenied, ValidationError
from booking_app.domain.groups import DECLARATIONS, GroupInput
from booking_app.services import auth, db_login, fees, groups, insurance
from booking_app.services.stats import events, month_close, tallies
from booking_app.services import bookings as svc
from booking_app.services import centre
from booking_app.services import payments as pay
from booking_app.services.audit_log import verify_chain
from booking_app.services.common import Actor
from booking_app.services.insurance import PersonInput
from booking_app.store import db_roles
from booking_app.store.engine import make_engine, read_session, write_session
from booking_app.store.models import AuditEntry, Booking, MemberGroup, Staff

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from test_db_roles import PW, unique_login  # noqa: E402

pytestmark = pytest.mark.postgres

# NOW (factories) is 2026-11-25 09:00, passed to every service: the flows are on the pinned default day.


class Signed:
    """A seeded PostgreSQL database whose desk, manager and admin each signed in with their own login."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.base_url = make_url(url).set(username=None, password=None).render_as_string(hide_password=False)
        self.owner = make_engine(url)
        world = seed(self.owner)
        with read_session(self.owner) as s:
            admin = s.scalars(select(Staff).where(Staff.role == "admin").order_by(Staff.id)).first()
            ids = {"desk": world.desk.id, "manager": world.manager.id, "admin": admin.id}
        self.logins = {role: unique_login(role) for role in ids}
        with write_session(self.owner) as s:
            for role, staff_id in ids.items():
                db_roles.create_login(s, staff_id, self.logins[role], PW)
        self.engines, self.actors = {}, {}
        for role in ids:
            self.engines[role], self.actors[role] = db_login.sign_in(self.base_url, self.logins[role], PW)
        # The World helpers (make_group, book, …) on the desk's own connection.
        self.world: World = load_world(self.engines["desk"])

    def write(self, role: str):
        return write_session(self.engines[role])

    def dispose(self) -> None:
        for engine in self.engines.values():
            engine.dispose()
        self.owner.dispose()


@pytest.fixture
def signed(pg_url, monkeypatch):
    monkeypatch.setattr(auth, "SCRYPT_N", 2**10)
    sg = Signed(pg_url)
    try:
        yield sg
    finally:
        sg.dispose()


def _group_input(**kw) -> GroupInput:
    base = dict(name="下関朗読ボランティア", kana="シモノセキロウドクボランティア", representative="森 幸子",
                phone="083-211-9836", activity_fields=["社会教育"], members=12,
                declarations={k: True for k in DECLARATIONS})
    base.update(kw)
    return GroupInput(**base)


def test_sign_in_maps_each_login_to_its_staff_row(signed):
    for role in ("desk", "manager", "admin"):
        actor = signed.actors[role]
        assert actor.role == role
        with read_session(signed.engines[role]) as s:
            assert db_roles.session_staff_id(s) == actor.id
            assert s.execute(text("SELECT session_user")).scalar() == signed.logins[role]
    with read_session(signed.owner) as s:
        assert db_roles.session_staff_id(s) is None  # the owner is nobody's staff login


def test_the_desks_daily_work_runs_on_its_own_login(signed):
    desk = signed.actors["desk"]
    w = signed.world
    # Book and cancel a room.
    booking = w.book(at(DAY, 10), at(DAY, 12), actor=desk)
    other = w.book(at(DAY, 13), at(DAY, 15), actor=desk, equipment=w.equip(プロジェクター=1))  # locks the type
    with signed.write("desk") as s:
        svc.cancel_booking(s, desk, other.id, "団体の都合", now=NOW)
    # Register a group and renew it.
    with signed.write("desk") as s:
        group_id = groups.register_group(s, desk, _group_input(), now=NOW).id
    with signed.write("desk") as s:
        assert groups.renew_groups(s, desk, [group_id], 2027, now=NOW) == 1
    # Take a payment for the booking and an item; issue (and reprint) the receipt.
    with signed.write("desk") as s:
        item = pay.add_item_charge(s, desk, "コピー 白黒", 3, payer_name="山田花子", now=NOW)
        charge_ids = [c.id for c in pay.open_charges(s, booking_id=booking.id)]
    with signed.write("desk") as s:
        receipt = pay.take_payment(s, desk, charge_ids, payer_name="山田花子", purpose="施設使用料として",
                                   now=NOW, terminal="受付1")
    with signed.write("desk") as s:
        second = pay.take_payment(s, desk, [item.id], payer_name="山田花子", purpose="コピー代として", now=NOW,
                                  terminal="受付1")
        pay.record_print(s, desk, second.id, layout="A5", now=NOW)
    assert second.seq == receipt.seq + 1
    # Enrol a group in the insurance (the plans were set up by a manager).
    with signed.write("manager") as s:
        plan_id = {p.code: p.id for p in insurance.plans_for_year(s, 2026, actor=signed.actors["manager"])}[
            "VOL-BASIC"]
    with signed.write("desk") as s:
        enrolment = insurance.enrol_group(s, desk, plan_id=plan_id, group_id=group_id,
                                          people=[PersonInput("山田 花子", "ヤマダ ハナコ")], applied_on=NOW.date(),
                                          now=NOW)
    # Count walk-ins.
    with signed.write("desk") as s:
        tally = tallies.add_tally(s, desk, "見学", 2, now=NOW, terminal="受付1")
    with signed.write("desk") as s:
        tallies.undo_tally(s, desk, tally.id, now=NOW)

    with read_session(signed.owner) as s:
        assert s.get(Booking, other.id).status == "cancelled"
        assert s.get(MemberGroup, group_id).reg_no
        assert enrolment.id
        entries = list(s.scalars(select(AuditEntry).where(AuditEntry.action != "denied")))
        # The server named who acted: the desk, but for the manager who set up the insurance plans.
        assert {e.staff_id for e in entries} == {desk.id, signed.actors["manager"].id}
        assert {e.staff_id for e in entries if e.entity in ("booking", "receipt", "group")} == {desk.id}
        assert verify_chain(s).broken_id is None


def test_the_managers_work_runs_on_its_own_login(signed):
    desk, manager = signed.actors["desk"], signed.actors["manager"]
    with signed.write("desk") as s:
        charge = pay.add_item_charge(s, desk, "コピー 白黒", 3, payer_name="山田花子", now=NOW)
    with signed.write("desk") as s:
        receipt = pay.take_payment(s, desk, [charge.id], payer_name="山田花子", purpose="コピー代として", now=NOW,
                                   terminal="受付1")
    with signed.write("desk") as s, pytest.raises(PermissionDenied, match="管理者のみ"):
        pay.void_receipt(s, desk, receipt.id, "金額の誤り", now=NOW, terminal="受付1")
    with signed.write("manager") as s:
        pay.void_receipt(s, manager, receipt.id, "金額の誤り", now=NOW, terminal="受付1")
    with signed.write("manager") as s:
        closed = month_close.close_month(s, manager, 2026, 10, now=NOW)
    assert closed.closed
    with signed.write("manager") as s:
        schedule = fees.get_fees(s)
        d = schedule.to_dict()
        d["rooms"]["大会議室"]["general"]["午前"] = 1800
        fees.save_fees(s, manager, type(schedule).from_dict(d), now=NOW)
    with signed.write("manager") as s:
        centre.save_targets(s, manager, 2026, 12000, 40, now=NOW)
        profile = centre.get_profile(s)
        centre.save_profile(s, manager, replace(profile, phone="083-000-1111") if hasattr(profile, "phone")
                            else profile, now=NOW)
    with read_session(signed.owner) as s:
        assert fees.get_fees(s).room_fees["大会議室"]["general"]["午前"] == 1800
        assert s.execute(text("SELECT status FROM charges WHERE id = :id"), {"id": charge.id}).scalar() != "paid"
        assert verify_chain(s).broken_id is None


def test_the_administrator_creates_a_login_and_a_role_change_holds_at_once(signed):
    admin = signed.actors["admin"]
    with signed.write("admin") as s:
        new_id = auth.create_account(s, admin, name="窓口 新人", role="desk", password="shiokaze-2026", now=NOW)
    login = unique_login("new")
    with signed.write("admin") as s:
        db_login.create_staff_login(s, admin, new_id, login, "shiokaze-2026")
    engine, actor = db_login.sign_in(signed.base_url, login, "shiokaze-2026")
    try:
        assert actor.id == new_id and actor.role == "desk"
        with write_session(engine) as s, pytest.raises(PermissionDenied, match="管理者のみ"):
            month_close.close_month(s, actor, 2026, 10, now=NOW)
        with signed.write("admin") as s:
            auth.update_account(s, admin, new_id, role="manager", now=NOW)
        # The same engine (and pooled connection): the database now says manager.
        with write_session(engine) as s:
            assert month_close.close_month(s, actor, 2026, 10, now=NOW).closed
        with write_session(engine) as s:
            s.execute(text("UPDATE centre_settings SET updated_at = updated_at"))
    finally:
        engine.dispose()
    with read_session(signed.owner) as s:
        [entry] = s.scalars(select(AuditEntry).where(AuditEntry.action == "create_login"))
        assert entry.staff_id == admin.id and login in entry.summary


def test_a_desk_cannot_create_a_login_and_a_weak_password_is_refused(signed):
    desk, admin = signed.actors["desk"], signed.actors["admin"]
    with signed.write("desk") as s, pytest.raises(PermissionDenied, match="システム管理者のみ"):
        db_login.create_staff_login(s, desk, desk.id, unique_login("x"), "shiokaze-2026")
    with signed.write("admin") as s, pytest.raises(ValidationError) as weak:
        db_login.create_staff_login(s, admin, desk.id, unique_login("x"), "12345678")
    assert weak.value.field == "パスワード"
    with signed.write("admin") as s, pytest.raises(ValidationError) as taken:
        db_login.create_staff_login(s, admin, desk.id, unique_login("x"), "shiokaze-2026")
    assert "既にログイン" in taken.value.message


def test_a_forged_actor_on_a_desk_login_is_refused_and_recorded_under_the_login(signed):
    desk, manager = signed.actors["desk"], signed.actors["manager"]
    with signed.write("desk") as s:
        charge = pay.add_item_charge(s, desk, "コピー 白黒", 3, payer_name="山田花子", now=NOW)
        receipt = pay.take_payment(s, desk, [charge.id], payer_name="山田花子", purpose="コピー代として", now=NOW,
                                   terminal="受付1")
    forged = Actor(manager.id, manager.name, "manager")  # the terminal claims to be the manager
    with pytest.raises(PermissionDenied) as refused, signed.write("desk") as s:
        pay.void_receipt(s, forged, receipt.id, "金額の誤り", now=NOW, terminal="受付1")
    assert desk.name in refused.value.message and "ログイン" in refused.value.message
    with read_session(signed.owner) as s:
        [entry] = s.scalars(select(AuditEntry).where(AuditEntry.action == "denied"))
        assert entry.staff_id == desk.id and entry.after["claimed_id"] == manager.id
        assert desk.name in entry.summary and "領収書の取消" in entry.summary
        assert s.execute(text("SELECT count(*) FROM receipt_voids")).scalar() == 0


def test_sign_in_refusals_are_japanese_and_name_the_cause(signed, pg_server_url):
    with pytest.raises(db_login.DbLoginError) as wrong:
        db_login.sign_in(signed.base_url, signed.logins["desk"], "not-the-password")
    assert wrong.value.reason == "wrong_password" and "パスワードが違います" in wrong.value.message
    with pytest.raises(db_login.DbLoginError) as unknown:
        db_login.sign_in(signed.base_url, unique_login("nobody"), PW)
    assert unknown.value.reason == "wrong_password"  # the server does not tell which (on purpose)
    with write_session(signed.engines["admin"]) as s:
        auth.update_account(s, signed.actors["admin"], signed.actors["desk"].id, active=False, now=NOW)
    with pytest.raises(db_login.DbLoginError) as disabled:
        db_login.sign_in(signed.base_url, signed.logins["desk"], PW)
    assert disabled.value.reason == "disabled" and "無効" in disabled.value.message
    stranger = unique_login("stranger")
    with psycopg.connect(make_url(pg_server_url).render_as_string().replace("+psycopg", ""),
                         autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {stranger} LOGIN PASSWORD 'stranger-pw'")
    with pytest.raises(db_login.DbLoginError) as not_staff:
        db_login.sign_in(signed.base_url, stranger, "stranger-pw")
    assert not_staff.value.reason == "not_staff" and "担当者" in not_staff.value.message
    closed_port = make_url(signed.base_url).set(port=1).render_as_string(hide_password=False)
    with pytest.raises(db_login.DbLoginError) as unreachable:
        db_login.sign_in(closed_port, signed.logins["manager"], PW)
    assert unreachable.value.reason == "unreachable" and "接続できません" in unreachable.value.message


def test_sign_in_over_verified_tls(signed, pg_ca_file, tmp_path):
    url = make_url(signed.base_url).set(host="localhost").update_query_dict(
        {"sslmode": "verify-full", "sslrootcert": str(pg_ca_file)})
    engine, actor = db_login.sign_in(url.render_as_string(hide_password=False), signed.logins["desk"], PW)
    try:
        with read_session(engine) as s:
            assert s.execute(text("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")).scalar() is True
    finally:
        engine.dispose()
    stranger_ca = tmp_path / "other-ca.crt"
    stranger_ca.write_text(Path(pg_ca_file).read_text().replace("A", "B", 1))
    bad = url.update_query_dict({"sslrootcert": str(stranger_ca)})
    with pytest.raises(db_login.DbLoginError) as tls:
        db_login.sign_in(bad.render_as_string(hide_password=False), signed.logins["desk"], PW)
    assert tls.value.reason == "tls" and "TLS" in tls.value.message


def test_a_staff_login_pays_one_staff_query_per_transaction(signed, monkeypatch):
    from booking_app.services import common

    reads: list[int] = []
    read_pg = common._read_staff_rows_pg

    def counting(session, staff_id):
        reads.append(staff_id)
        return read_pg(session, staff_id)

    monkeypatch.setattr(common, "_read_staff_rows_pg", counting)
    desk = signed.actors["desk"]
    with signed.write("desk") as s:  # a charge and a receipt: several checks and audit rows, one read
        charge = pay.add_item_charge(s, desk, "コピー 白黒", 3, payer_name="山田花子", now=NOW)
        pay.take_payment(s, desk, [charge.id], payer_name="山田花子", purpose="コピー代として", now=NOW,
                         terminal="受付1")
        assert db_roles.session_staff_id(s) == desk.id  # answered from the same read
    assert reads == [desk.id]


def test_more_of_the_desks_work_runs_on_its_own_login(signed):
    """Check-in and out, an edit, a weekly series, the printing machine, an event, an accident report, a
    group's verification and the day's cash-up: each needs its grant on the desk's login."""
    from datetime import date, datetime

    from booking_app.domain.recurrence import RecurrenceRule
    from booking_app.services import series

    desk = signed.actors["desk"]
    w = signed.world
    today = NOW.date()  # the pinned default day, 2026-11-25, named: the check-in happens on it
    booking = w.book(at(today, 13), at(today, 15), actor=desk)
    with signed.write("desk") as s:  # the ORM path (an edit), with equipment
        svc.update_booking(s, desk, booking.id, w.input(at(today, 13), at(today, 16),
                                                        equipment=w.equip(プロジェクター=1)), now=NOW)
    with signed.write("desk") as s:
        svc.check_in(s, desk, booking.id, now=at(today, 13))
    with signed.write("desk") as s:
        svc.check_out(s, desk, booking.id, 6, now=at(today, 16))
    rule = RecurrenceRule(kind="weekly", start=DAY, until=date(2026, 12, 23), weekdays=(DAY.weekday(),), interval=1)
    with signed.write("desk") as s:
        made = series.create_series(s, desk, w.input(at(DAY, 18), at(DAY, 20)), rule, skip_unavailable=True, now=NOW)
    assert made
    with signed.write("desk") as s:
        group_id = groups.register_group(s, desk, _group_input(name="彦島子ども食堂", kana="ヒコシマコドモショクドウ"),
                                         now=NOW).id
    with signed.write("desk") as s:
        groups.verify_group(s, desk, group_id, note="名簿を確認", now=NOW)
    with signed.write("desk") as s:
        _, printing = pay.log_printing(s, desk, user_name="佐藤一郎", masters=1, sheets=100, paper="bought", now=NOW)
    with signed.write("desk") as s:
        pay.take_payment(s, desk, [printing.id], payer_name="佐藤一郎", purpose="印刷代として", now=NOW,
                         terminal="受付1")
    with signed.write("desk") as s:
        events.save_event(s, desk, name="NPO会計講座", kind="講座", day=today, attendance=12, now=at(today, 20))
    with signed.write("manager") as s:
        plan_id = {p.code: p.id for p in insurance.plans_for_year(s, 2026, actor=signed.actors["manager"])}[
            "VOL-BASIC"]
    with signed.write("desk") as s:
        view = insurance.enrol_group(s, desk, plan_id=plan_id, group_id=group_id,
                                     people=[PersonInput("山田 花子", "ヤマダ ハナコ")], applied_on=today, now=NOW)
    with signed.write("desk") as s:
        insurance.file_accident(s, desk, group_id=view.group_id, person_name="山田 花子", reporter_name="代表 一子",
                                reporter_phone="083-222-3333", occurred_at=datetime(2026, 11, 20, 14),
                                place="みもすそ川公園", description="清掃中に転倒", injury="右手首のねんざ", now=NOW)
    with signed.write("desk") as s:
        closed = pay.close_day(s, desk, today, "受付1", now=at(today, 21))
    assert closed.closed_by == desk.name
    with read_session(signed.owner) as s:
        assert s.get(Booking, booking.id).status == "completed"
        assert verify_chain(s).broken_id is None
