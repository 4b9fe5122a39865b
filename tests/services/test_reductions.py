"""減免 (reductions) in use (issue 18): the fee lines, the two save paths, who may approve, paid bookings.

A booking's ``reduction_code`` gives it one ``reduction`` charge per tax class, below zero: the payable
of that class rounded down (refunds.reduced_fee), the odd yen to the reduction. Only a manager sets it
(the service, and on PostgreSQL the trigger of migration 0012 for a desk login typing SQL).
"""

from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest
from factories import DAY, NOW, at
from sqlalchemy import select, text

from booking_app.domain.errors import PermissionDenied, RuleError, ValidationError
from booking_app.domain.fees import FeeLine, load_default_fees
from booking_app.domain.refunds import ReductionCode
from booking_app.services import bookings as svc
from booking_app.services import fees, payments, reductions
from booking_app.services.booking_plan import reduction_lines
from booking_app.services.today import payment_states
from booking_app.store.engine import write_session
from booking_app.store.models import AuditEntry, Booking, Charge

pytestmark = pytest.mark.now("2026-11-25 09:00")

HALF = ReductionCode("disability", "障がい者団体", 50)
FULL = ReductionCode("city", "市主催・共催", 100)


# --------------------------------------------------------------------------- the pure lines


def test_half_of_an_odd_fee_rounds_the_payable_down_and_the_odd_yen_goes_to_the_reduction():
    lines = [FeeLine("大会議室 午前", 1, 1251)]
    (red,) = reduction_lines(lines, HALF)
    assert (red.kind, red.quantity, red.unit_price, red.tax) == ("reduction", 1, -626, "taxable10")
    assert red.description == "減免（障がい者団体 50%）"
    assert sum(ln.amount for ln in [*lines, red]) == 625


def test_one_line_per_tax_class_and_a_full_reduction_leaves_nothing_to_pay():
    lines = [FeeLine("大会議室 午前", 1, 1500), FeeLine("大会議室 午後", 1, 2001),
             FeeLine("申請手数料", 1, 301, "exempt", "equipment"), FeeLine("プロジェクター", 2, 0)]
    half = reduction_lines(lines, HALF, prefix="2026/12/02 ")
    assert [(r.tax, r.unit_price) for r in half] == [("taxable10", -1751), ("exempt", -151)]
    assert half[0].description == "2026/12/02 減免（障がい者団体 50%）"
    full = reduction_lines(lines, FULL)
    assert sum(ln.amount for ln in [*lines, *full]) == 0
    assert reduction_lines(lines, None) == [] and reduction_lines(lines, ReductionCode("x", "x", 0)) == []
    assert reduction_lines([FeeLine("大会議室 午前", 1, 0)], FULL) == []  # a member's free room: no line


# --------------------------------------------------------------------------- the services


def _odd_fees(world) -> None:
    """大会議室's 午前 at ¥1,251 for a general user (an odd fee), and a priced exempt equipment item."""
    raw = load_default_fees().to_dict()
    raw["rooms"]["大会議室"]["general"]["午前"] = 1251
    raw["equipment"]["プロジェクター"] = {"price": 301, "tax": "exempt"}
    with world.write() as s:
        fees.save_fees(s, world.manager, fees.FeeSchedule.from_dict(raw), now=NOW)


def _charges(world, booking_id: int, status: str | None = "open") -> list[tuple[str, int, str]]:
    with world.read() as s:
        q = select(Charge).where(Charge.booking_id == booking_id).order_by(Charge.id)
        return [(c.kind, c.amount, c.tax) for c in s.scalars(q) if status is None or c.status == status]


def test_a_manager_books_with_a_reduction_and_the_charges_carry_it(world):
    _odd_fees(world)
    view = world.book(at(DAY, 9), at(DAY, 12), actor=world.manager, reduction_code="disability",
                      equipment=world.equip(プロジェクター=1))
    assert view.reduction_code == "disability" and view.reduction_approved_by == world.manager.id
    assert _charges(world, view.id) == [("room", 1251, "taxable10"), ("equipment", 301, "exempt"),
                                        ("reduction", -626, "taxable10"), ("reduction", -151, "exempt")]
    with world.read() as s:
        assert payment_states(s, [view.id])[view.id].due == 625 + 150
        desc = s.scalar(select(Charge.description).where(Charge.kind == "reduction").order_by(Charge.id))
    assert desc == "2026/12/02 減免（障がい者団体 50%）"
    created = world.audit_rows(view.id)[-1]
    assert created.action == "create" and created.after["reduction_code"] == "disability"


def test_a_desk_clerk_cannot_book_with_a_reduction_and_nothing_is_written(world):
    before = world.count(Booking)
    with pytest.raises(PermissionDenied) as e:
        world.book(at(DAY, 9), at(DAY, 12), reduction_code="disability")
    assert "減免の承認は管理者のみ行えます" in e.value.message
    assert world.count(Booking) == before


def test_an_unknown_code_is_refused_by_name(world):
    with pytest.raises(ValidationError) as e:
        world.book(at(DAY, 9), at(DAY, 12), actor=world.manager, reduction_code="nosuch")
    assert "減免区分「nosuch」" in e.value.message


def test_set_reduction_desk_refused_manager_allowed_audited_and_removable(world):
    _odd_fees(world)
    view = world.book(at(DAY, 9), at(DAY, 12))
    assert _charges(world, view.id) == [("room", 1251, "taxable10")]
    with pytest.raises(PermissionDenied), world.write() as s:
        reductions.set_reduction(s, world.desk, view.id, "disability", now=NOW)
    assert world.booking(view.id).reduction_code is None
    with world.write() as s:
        result = reductions.set_reduction(s, world.manager, view.id, "disability", now=NOW)
    assert result.booking.reduction_code == "disability" and result.note == ""
    assert _charges(world, view.id) == [("room", 1251, "taxable10"), ("reduction", -626, "taxable10")]
    entry = world.audit_rows(view.id)[-1]
    assert entry.summary == f"予約{view.number}の減免を承認（障がい者団体 50%）"
    assert entry.before == {"reduction_code": None, "reduction_approved_by": None}
    assert entry.after == {"reduction_code": "disability", "reduction_approved_by": world.manager.id}
    with world.write() as s:
        reductions.set_reduction(s, world.manager, view.id, "city", now=NOW)
    assert _charges(world, view.id) == [("room", 1251, "taxable10"), ("reduction", -1251, "taxable10")]
    assert world.audit_rows(view.id)[-1].summary.endswith("（障がい者団体 50%→市主催・共催 100%）")
    with world.write() as s:
        reductions.set_reduction(s, world.manager, view.id, None, now=NOW)
    assert _charges(world, view.id) == [("room", 1251, "taxable10")]
    assert world.booking(view.id).reduction_approved_by is None


def test_a_full_reduction_leaves_nothing_to_collect_and_keeps_its_lines(world):
    view = world.book(at(DAY, 13), at(DAY, 17), actor=world.manager, reduction_code="city")
    assert _charges(world, view.id) == [("room", 2000, "taxable10"), ("reduction", -2000, "taxable10")]
    with world.read() as s:
        state = payment_states(s, [view.id])[view.id]
    assert state.due == 0 and state.paid == 0


def test_an_edit_keeps_the_reduction_and_requotes_it_from_the_new_lines(world):
    view = world.book(at(DAY, 13), at(DAY, 17), actor=world.manager, reduction_code="disability")
    data = world.input(at(DAY, 9), at(DAY, 17), reduction_code=None)  # a desk edit: the code is not its to change
    with world.write() as s:
        svc.update_booking(s, world.desk, view.id, data, now=NOW)
    assert world.booking(view.id).reduction_code == "disability"
    assert sorted(_charges(world, view.id)) == [("reduction", -1750, "taxable10"), ("room", 1500, "taxable10"),
                                                ("room", 2000, "taxable10")]


def test_on_a_paid_booking_the_paid_charges_stay_and_the_difference_follows_the_rules(world):
    view = world.book(at(DAY, 13), at(DAY, 17))  # ¥2,000
    with world.write() as s:
        ids = [c.id for c in payments.open_charges(s, booking_id=view.id)]
        payments.take_payment(s, world.desk, ids, payer_name="山田花子", purpose="会議室使用料として", now=NOW,
                              terminal="受付1")
    with world.write() as s:
        result = reductions.set_reduction(s, world.manager, view.id, "disability", now=NOW)
    assert "¥1,000少なく" in result.note and "領収書の取消" in result.note  # the existing 差額 rule
    assert _charges(world, view.id, None) == [("room", 2000, "taxable10")]  # nothing made, the paid line stays

    other = world.book(at(DAY + timedelta(days=1), 13), at(DAY + timedelta(days=1), 17), actor=world.manager,
                       reduction_code="disability")
    with world.write() as s:
        ids = [c.id for c in payments.open_charges(s, booking_id=other.id)]
        receipt = payments.take_payment(s, world.desk, ids, payer_name="山田花子", purpose="会議室使用料として",
                                        now=NOW, terminal="受付1")
    assert (receipt.total, receipt.taxable10, receipt.tax10) == (1000, 1000, 90)
    with world.write() as s:
        reductions.set_reduction(s, world.manager, other.id, None, now=NOW)
    open_ = _charges(world, other.id)
    assert open_ == [("room", 1000, "taxable10")]  # one 差額 line: what is owed now
    with world.read() as s:
        desc = s.scalar(select(Charge.description).where(Charge.booking_id == other.id, Charge.status == "open"))
    assert "差額" in desc and "支払済み¥1,000→変更後¥2,000" in desc


def test_a_cancelled_booking_keeps_its_reduction(world):
    view = world.book(at(DAY, 13), at(DAY, 17), actor=world.manager, reduction_code="disability")
    with world.write() as s:
        svc.cancel_booking(s, world.desk, view.id, "都合により", now=NOW)
    with pytest.raises(RuleError, match="取消"), world.write() as s:
        reductions.set_reduction(s, world.manager, view.id, None, now=NOW)
    assert world.booking(view.id).reduction_code == "disability"


def test_choices_labels_and_approver(world):
    view = world.book(at(DAY, 13), at(DAY, 17), actor=world.manager, reduction_code="children")
    with world.read() as s:
        assert [c.code for c in reductions.reduction_choices(s)] == ["city", "disability", "children"]
        assert reductions.reduction_label(s, "children") == "子ども・子育て団体 50%"
        assert reductions.reduction_label(s, None) == "なし"
        assert reductions.approver_name(s, view.reduction_approved_by) == world.manager.name


def test_month_totals_per_code_for_the_statistics(world):
    world.book(at(DAY, 9), at(DAY, 12), actor=world.manager, reduction_code="disability")  # ¥1,500 → 750
    world.book(at(DAY, 13), at(DAY, 17), actor=world.manager, reduction_code="city")  # ¥2,000 → 2,000
    gone = world.book(at(DAY, 18), at(DAY, 21), actor=world.manager, reduction_code="city")
    with world.write() as s:
        svc.cancel_booking(s, world.desk, gone.id, "都合により", now=NOW)
    world.book(at(DAY + timedelta(days=1), 9), at(DAY + timedelta(days=1), 12), actor=world.manager,
               reduction_code="children")
    world.book(at(DAY, 9), at(DAY, 12), room="小会議室1")  # no 減免
    with world.read() as s:
        totals = reductions.reduction_totals(s, 2026, 12)
        assert reductions.reduction_totals(s, 2027, 1) == []
    assert [(t.code, t.label, t.rate, t.bookings, t.yen) for t in totals] == [
        ("city", "市主催・共催", 100, 1, 2000), ("disability", "障がい者団体", 50, 1, 750),
        ("children", "子ども・子育て団体", 50, 1, 750)]


# --------------------------------------------------------------------------- both save paths


def test_fast_and_orm_paths_write_identical_rows_for_reduced_bookings(world, monkeypatch):
    """The plan's charge lines (the fast path's) equal what the ORM path writes for a reduced booking,
    and a booking without a code is written by the fast path as before, its rows unchanged."""
    from booking_app.services.booking_plan import plan_new_booking
    from booking_app.services.centre import get_profile

    _odd_fees(world)
    data = world.input(at(DAY, 9), at(DAY, 12), reduction_code="disability", equipment=world.equip(プロジェクター=1))
    with world.read() as s:
        plan = plan_new_booking(data, actor_id=world.manager.id, now=NOW, group=None,
                                quote=(fees.get_fees(s), get_profile(s), "大会議室",
                                       {world.equipment["プロジェクター"]: "プロジェクター"}, "general"))
    monkeypatch.setattr(svc, "FAST_SAVE", True)
    with world.write() as s:
        view = svc.create_booking(s, world.manager, data, now=NOW)
    with world.read() as s:
        rows = [(c.kind, c.description, c.quantity, c.unit_price, c.amount, c.tax)
                for c in s.scalars(select(Charge).where(Charge.booking_id == view.id).order_by(Charge.id))]
        b = s.get(Booking, view.id)
        assert (b.reduction_code, b.reduction_approved_by) == ("disability", world.manager.id)
    assert rows == [(ln.kind, ln.description, ln.quantity, ln.unit_price, ln.amount, ln.tax) for ln in plan.charges]
    assert plan.booking["reduction_code"] == "disability"
    assert plan.booking["reduction_approved_by"] == world.manager.id


# --------------------------------------------------------------------------- PostgreSQL: the trigger


@pytest.mark.postgres
def test_on_postgresql_a_desk_login_cannot_set_a_reduction_by_hand(pg_url):
    from sqlalchemy.engine import make_url

    from booking_app.store.engine import make_engine
    from tests.test_db_roles import PW, Staffed

    staffed = Staffed(pg_url)
    try:
        desk = staffed.actors["desk"]
        with write_session(staffed.owner) as s:
            view = svc.create_booking(s, desk, svc.BookingInput(
                start=at(DAY, 13), end=at(DAY, 17), room_id=s.scalar(text("SELECT id FROM rooms ORDER BY id")),
                booker_kind="person", booker_name="山田花子", purpose="定例会", attendees=3), now=NOW)
        with staffed.connect("desk") as conn:
            with pytest.raises(psycopg.Error) as refused, conn.transaction():
                conn.execute("UPDATE bookings SET reduction_code = 'city', reduction_approved_by = %s WHERE id = %s",
                             (staffed.ids["desk"], view.id))
            assert "減免は管理者が承認します" in str(refused.value)
            with pytest.raises(psycopg.Error) as line, conn.transaction():
                conn.execute("INSERT INTO charges (booking_id, kind, description, quantity, unit_price, amount, tax, "
                             "status, created_at, created_by, payer_name) VALUES (%s, 'reduction', 'x', 1, -100, "
                             "-100, 'taxable10', 'open', now(), %s, '')", (view.id, staffed.ids["desk"]))
            assert "減免" in str(line.value)
        with staffed.connect("manager") as conn, conn.transaction():
            conn.execute("UPDATE bookings SET reduction_code = 'city', reduction_approved_by = %s WHERE id = %s",
                         (staffed.ids["manager"], view.id))
        with write_session(staffed.owner) as s:
            assert s.get(Booking, view.id).reduction_code == "city"
        # Through the app on the staff's own logins: the desk is refused by the service, a desk edit of a
        # reduced booking re-quotes its 減免 line (the trigger allows the line: the booking has an approved code),
        # and a manager's set_reduction passes the trigger.
        engines = {role: make_engine(make_url(pg_url).set(username=staffed.logins[role], password=PW)
                                     .render_as_string(hide_password=False)) for role in ("desk", "manager")}
        try:
            with pytest.raises(PermissionDenied), write_session(engines["desk"]) as s:
                reductions.set_reduction(s, desk, view.id, None, now=NOW)
            with write_session(engines["manager"]) as s:
                reductions.set_reduction(s, staffed.actors["manager"], view.id, "disability", now=NOW)
            with write_session(engines["desk"]) as s:
                svc.update_booking(s, desk, view.id, svc.BookingInput(
                    start=at(DAY, 9), end=at(DAY, 17), room_id=view.room_id, booker_kind="person",
                    booker_name="山田花子", purpose="定例会", attendees=4), now=NOW)
            with write_session(staffed.owner) as s:
                b = s.get(Booking, view.id)
                assert (b.reduction_code, b.reduction_approved_by) == ("disability", staffed.ids["manager"])
                lines = sorted(s.execute(select(Charge.kind, Charge.amount).where(
                    Charge.booking_id == view.id, Charge.status == "open")).all())
                assert [tuple(r) for r in lines] == [("reduction", -1750), ("room", 1500), ("room", 2000)]
        finally:
            for e in engines.values():
                e.dispose()
    finally:
        staffed.dispose()


def test_the_audit_trail_names_the_manager(world):
    view = world.book(at(DAY, 13), at(DAY, 17))
    with world.write() as s:
        reductions.set_reduction(s, world.manager, view.id, "children", now=NOW)
    with world.read() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.entity == "booking", AuditEntry.entity_id == view.id)
                          .order_by(AuditEntry.id.desc())).first()
        assert entry.staff_id == world.manager.id


