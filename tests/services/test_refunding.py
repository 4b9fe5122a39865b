"""還付: cancelling a paid booking refunds by the refund rules, numbered per fiscal year, in the cash-up.

The default rules (domain.refunds.RefundRules): 100 % from 7 days before the day of use, 50 % from 6 to 3
days before, nothing after; 休館・警報・センターの都合 refund in full on any day. The booking is a person's
大会議室 午前 on DAY (2026-12-02, ¥1,500), paid at NOW (2026-11-25, 7 days before).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from factories import DAY, NOW, World, at
from sqlalchemy import select

from booking_app.domain.errors import RuleError, ValidationError
from booking_app.domain.fees import FeeSchedule, load_default_fees
from booking_app.services import bookings as svc
from booking_app.services import fees
from booking_app.services import payments as pay
from booking_app.services import refunding as rf
from booking_app.store.models import AuditEntry, Booking, Refund, ReceiptVoid, Room

pytestmark = pytest.mark.now(NOW)

TERM = "受付1"


def paid_booking(world: World, start: int = 10, end: int = 12, *, now: datetime = NOW,
                 split: bool = False) -> tuple[svc.BookingView, list[pay.ReceiptView]]:
    """A person's booking on DAY, paid in cash at ``now`` (``split``: one receipt per charge line)."""
    b = world.book(at(DAY, start), at(DAY, end))
    with world.read() as s:
        ids = [c.id for c in pay.open_charges(s, booking_id=b.id)]
    groups = [[i] for i in ids] if split else [ids]
    receipts = []
    for g in groups:
        with world.write() as s:
            receipts.append(pay.take_payment(s, world.desk, g, payer_name="山田花子", purpose="会議室使用料として",
                                             method="cash", now=now, terminal=TERM))
    return b, receipts


def cancel(world: World, booking_id: int, when: datetime, reason: str = "団体の都合", *, method: str = "cash",
           terminal: str = TERM) -> rf.CancelResult:
    with world.write() as s:
        return rf.cancel_with_refund(s, world.desk, booking_id, reason, method=method, now=when, terminal=terminal)


def day_before(days: int, hour: int = 10) -> datetime:
    return at(DAY - timedelta(days=days), hour)


# --------------------------------------------------------------------------- the rule's tiers


@pytest.mark.parametrize("days,rate,amount,why", [
    (8, 100, 1500, "利用日の7日前までの取消のため全額還付"),
    (7, 100, 1500, "利用日の7日前までの取消のため全額還付"),  # full_until_days_before: the boundary is in
    (6, 50, 750, "利用日の6日前から3日前までの取消のため50%還付"),
    (3, 50, 750, "利用日の6日前から3日前までの取消のため50%還付"),  # the partial tier's last day
    (2, 0, 0, "利用日の2日前以降の取消のため還付なし"),
    (0, 0, 0, "利用日の2日前以降の取消のため還付なし"),  # the day itself
])
def test_refund_by_days_before(world: World, days, rate, amount, why):
    b, (r,) = paid_booking(world, now=min(NOW, day_before(days, 9)))
    with world.read() as s:
        (preview,) = rf.refund_preview(s, b.id, today=(DAY - timedelta(days=days)), reason="団体の都合")
    assert (preview.receipt_no, preview.paid, preview.rate, preview.amount, preview.why_text) == (
        r.receipt_no, 1500, rate, amount, why)
    done = cancel(world, b.id, day_before(days))
    assert done.booking.status == "cancelled"
    (refund,) = done.refunds
    assert (refund.paid, refund.rate, refund.amount, refund.why_text, refund.reason) == (
        1500, rate, amount, why, "団体の都合")
    assert world.booking(b.id).status == "cancelled"


def test_after_the_day_nothing_but_a_full_reason_refunds_in_full_any_day(world: World):
    b, _ = paid_booking(world)
    with world.read() as s:
        (late,) = rf.refund_preview(s, b.id, today=DAY + timedelta(days=1), reason="団体の都合")
        (storm,) = rf.refund_preview(s, b.id, today=DAY + timedelta(days=1), reason="警報")
    assert (late.rate, late.amount, late.why_text) == (0, 0, "利用日を過ぎてからの取消のため還付なし")
    assert (storm.rate, storm.amount, storm.why_text) == (100, 1500, "警報による取消のため全額還付")
    (on_the_day,) = cancel(world, b.id, at(DAY, 8), "休館").refunds
    assert (on_the_day.rate, on_the_day.amount, on_the_day.why_text) == (100, 1500, "休館による取消のため全額還付")


def test_the_refund_is_rounded_down(world: World):
    d = load_default_fees().to_dict()
    d["rooms"]["大会議室"]["general"]["午前"] = 1251
    with world.write() as s:
        fees.save_fees(s, world.manager, FeeSchedule.from_dict(d), now=NOW)
    b, _ = paid_booking(world)
    (refund,) = cancel(world, b.id, day_before(5)).refunds
    assert (refund.paid, refund.rate, refund.amount) == (1251, 50, 625)  # ¥625.5 → ¥625: the odd yen stays


def test_a_zero_refund_is_written_with_its_reason(world: World):
    b, _ = paid_booking(world)
    (refund,) = cancel(world, b.id, day_before(1), "体調不良").refunds
    assert (refund.refund_no, refund.rate, refund.amount, refund.reason) == ("R2026-000001", 0, 0, "体調不良")
    with world.read() as s:
        doc = rf.refund_doc(s, refund.id)
    assert doc.amount == 0 and doc.why_text == "利用日の2日前以降の取消のため還付なし"


def test_an_unpaid_booking_is_a_plain_cancel(world: World):
    b = world.book(at(DAY, 10), at(DAY, 12))
    done = cancel(world, b.id, NOW)
    assert done.refunds == () and done.booking.status == "cancelled" and done.total == 0
    assert world.count(Refund) == 0


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize("reason", ["", "  "])
def test_the_reason_is_required(world: World, reason):
    b, _ = paid_booking(world)
    with world.write() as s, pytest.raises(ValidationError) as exc:
        rf.cancel_with_refund(s, world.desk, b.id, reason, method="cash", now=NOW, terminal=TERM)
    assert exc.value.field == "reason" and "理由" in exc.value.message
    with world.read() as s, pytest.raises(ValidationError) as exc:
        rf.refund_preview(s, b.id, today=NOW.date(), reason=reason)
    assert exc.value.field == "reason"
    assert world.booking(b.id).status != "cancelled" and world.count(Refund) == 0


def test_an_unknown_method_is_refused(world: World):
    b, _ = paid_booking(world)
    with world.write() as s, pytest.raises(ValidationError) as exc:
        rf.cancel_with_refund(s, world.desk, b.id, "団体の都合", method="bitcoin", now=NOW, terminal=TERM)
    assert exc.value.field == "method"


def test_a_closed_day_refuses_the_refund_and_the_cancel(world: World):
    b, _ = paid_booking(world)
    when = day_before(5)
    with world.write() as s:
        pay.close_day(s, world.desk, when.date(), TERM, now=when)
    with world.write() as s, pytest.raises(RuleError) as exc:
        rf.cancel_with_refund(s, world.desk, b.id, "団体の都合", method="cash", now=when, terminal=TERM)
    assert "締め済み" in exc.value.message and "還付" in exc.value.message
    assert world.booking(b.id).status != "cancelled" and world.count(Refund) == 0
    # another terminal's day is open: the refund goes there, and takes number 1 (nothing was used up)
    (refund,) = cancel(world, b.id, when, terminal="受付2").refunds
    assert refund.refund_no == "R2026-000001"


# --------------------------------------------------------------------------- numbering and audit


def test_numbers_are_gapless_two_in_one_transaction(world: World):
    b1, receipts = paid_booking(world, 10, 17, split=True)  # 午前 and 午後 paid on two receipts
    assert len(receipts) == 2
    b2, _ = paid_booking(world, 18, 21)
    done = cancel(world, b1.id, NOW)
    assert [(r.refund_no, r.receipt_no, r.amount) for r in done.refunds] == [
        ("R2026-000001", receipts[0].receipt_no, receipts[0].total),
        ("R2026-000002", receipts[1].receipt_no, receipts[1].total)]
    assert done.total == receipts[0].total + receipts[1].total
    (third,) = cancel(world, b2.id, NOW).refunds
    assert third.refund_no == "R2026-000003"
    with world.read() as s:
        rows = list(s.scalars(select(Refund).order_by(Refund.id)))
        trail = list(s.scalars(select(AuditEntry).where(AuditEntry.entity == "refund").order_by(AuditEntry.id)))
        listed = rf.refunds_of_booking(s, b1.id)
    assert [(r.fiscal_year, r.seq) for r in rows] == [(2026, 1), (2026, 2), (2026, 3)]
    assert [t.entity_id for t in trail] == [r.id for r in rows]
    assert all(t.action == "refund" and t.staff_id == world.desk.id for t in trail)
    assert "還付R2026-000001" in trail[0].summary and "団体の都合" in trail[0].summary
    assert [x.refund_no for x in listed] == ["R2026-000001", "R2026-000002"]


def test_a_second_cancel_is_refused_and_writes_nothing(world: World):
    b, _ = paid_booking(world)
    cancel(world, b.id, NOW)
    with world.write() as s, pytest.raises(RuleError):
        rf.cancel_with_refund(s, world.desk, b.id, "団体の都合", method="cash", now=NOW, terminal=TERM)
    assert world.count(Refund) == 1


# --------------------------------------------------------------------------- cash-up and void


def test_cashup_counts_refunds_as_money_out_by_method(world: World):
    b1, (r1,) = paid_booking(world, 10, 12)
    b2, (r2,) = paid_booking(world, 13, 17)
    when = day_before(5)  # 50 %
    cancel(world, b1.id, when, method="cash")
    cancel(world, b2.id, when + timedelta(minutes=5), method="transfer")
    copies = pay.add_item_charge  # one receipt that day too
    with world.write() as s:
        c = copies(s, world.desk, "コピー 白黒", 200, payer_name="佐藤一郎", now=when)
        taken = pay.take_payment(s, world.desk, [c.id], payer_name="佐藤一郎", purpose="コピー代として", now=when,
                                 terminal=TERM)
    with world.read() as s:
        doc = pay.cashup(s, when.date(), TERM)
        other = pay.cashup(s, when.date(), "受付2")
    half1, half2 = r1.total // 2, r2.total // 2
    assert [(x.label, x.count, x.amount) for x in doc.by_method] == [
        ("現金", 1, taken.total), ("還付（現金）", 1, -half1), ("還付（振込）", 1, -half2)]
    assert ("還付", 2, -(half1 + half2)) in [(x.label, x.count, x.amount) for x in doc.by_kind]
    assert (doc.total_received, doc.total_refunded, doc.net) == (taken.total, half1 + half2,
                                                                 taken.total - half1 - half2)
    assert sum(x.amount for x in doc.by_method) == sum(x.amount for x in doc.by_kind) == doc.net
    assert doc.extra["cash_expected"] == taken.total - half1  # the transfer is not in the drawer
    assert [(f[0], f[2], f[3], f[4], f[5]) for f in doc.refunds] == [
        ("R2026-000001", b1.number, "団体の都合", half1, "現金"), ("R2026-000002", b2.number, "団体の都合", half2, "振込")]
    assert other.refunds == () and other.total_refunded == 0
    with world.write() as s:
        closed = pay.close_day(s, world.desk, when.date(), TERM, cash_counted=taken.total - half1, now=when)
    assert closed.extra["cash_difference"] == 0


def test_void_after_a_partial_refund_pays_back_only_the_rest(world: World):
    b, (r,) = paid_booking(world)
    (refund,) = cancel(world, b.id, day_before(5)).refunds
    assert refund.amount == 750
    later = day_before(4)
    with world.write() as s:
        v = pay.void_receipt(s, world.manager, r.id, "全額返金の申出", now=later, terminal=TERM)
    assert v.voided and v.refund_amount == r.total - 750 == 750
    with world.read() as s:
        void = s.scalars(select(ReceiptVoid)).one()
        trail = s.scalars(select(AuditEntry).where(AuditEntry.entity == "receipt", AuditEntry.action == "void")).one()
        doc = pay.cashup(s, later.date(), TERM)
        # a voided receipt has nothing left to refund: a preview of it finds nothing
        assert rf.refund_preview(s, b.id, today=later.date(), reason="団体の都合") == []
    assert void.refund_amount == 750 and "還付済み¥750を除く" in trail.summary
    assert [(x.label, x.amount) for x in doc.by_method if x.amount < 0] == [("返金（現金）", -750)]


def test_a_voided_receipt_is_not_refunded_again(world: World):
    b, (r,) = paid_booking(world)
    with world.write() as s:
        pay.void_receipt(s, world.manager, r.id, "宛名の誤り", now=NOW, terminal=TERM)
    done = cancel(world, b.id, NOW)
    assert done.refunds == ()


def test_the_slip_document(world: World):
    b, (r,) = paid_booking(world)
    (refund,) = cancel(world, b.id, day_before(4), method="transfer").refunds
    with world.read() as s:
        doc = rf.refund_doc(s, refund.id)
    assert (doc.refund_no, doc.payer_name, doc.booking_no, doc.room_name, doc.receipt_no) == (
        "R2026-000001", "山田花子", b.number, "大会議室", r.receipt_no)
    assert (doc.start, doc.end, doc.paid, doc.rate, doc.amount, doc.method_label) == (
        at(DAY, 10), at(DAY, 12), 1500, 50, 750, "振込")
    assert doc.staff_name == world.desk.name and doc.issuer.centre_name
    assert doc.at == day_before(4) and doc.at.date() == date(2026, 11, 28)
    assert world.booking(b.id).status_reason == "団体の都合"
    with world.read() as s:
        assert s.get(Booking, b.id).status == "cancelled"


# --------------------------------------------------------------------------- the database's grants


@pytest.mark.postgres
def test_a_desk_login_may_not_update_or_delete_a_refund(pg_url):
    """On PostgreSQL the desk login only INSERTs into refunds: a refund is never edited or deleted by hand."""
    import psycopg
    from sqlalchemy.engine import make_url
    from test_db_roles import PW, Staffed

    from booking_app.store.engine import make_engine, write_session

    st = Staffed(pg_url)
    try:
        desk = st.actors["desk"]
        with write_session(st.owner) as s:
            b = svc.create_booking(s, desk, svc.BookingInput(
                start=at(DAY, 10), end=at(DAY, 12), room_id=s.scalar(select(Room.id).where(Room.name == "大会議室")), group_id=None, booker_kind="person", booker_name="山田花子",
                contact_phone="083-000-0000", purpose="定例会", attendees=5), now=NOW)
            ids = [c.id for c in pay.open_charges(s, booking_id=b.id)]
            pay.take_payment(s, desk, ids, payer_name="山田花子", purpose="会議室使用料として", now=NOW, terminal=TERM)
        # the counter cancels and refunds through its own login: the grants let it write a refund …
        desk_engine = make_engine(make_url(pg_url).set(username=st.logins["desk"], password=PW)
                                  .render_as_string(hide_password=False))
        try:
            with write_session(desk_engine) as s:
                done = rf.cancel_with_refund(s, desk, b.id, "団体の都合", method="cash", now=day_before(5),
                                             terminal=TERM)
        finally:
            desk_engine.dispose()
        assert [r.refund_no for r in done.refunds] == ["R2026-000001"]
        # … and never change or delete one
        with st.connect("desk") as conn:
            assert conn.execute("SELECT amount FROM refunds").fetchall() == [(750,)]
            for sql in ("UPDATE refunds SET amount = 1500, rate = 100", "UPDATE refunds SET reason = '休館'",
                        "DELETE FROM refunds"):
                with pytest.raises(psycopg.Error) as refused:
                    with conn.transaction():
                        conn.execute(sql)
                assert refused.value.sqlstate == "42501", sql  # insufficient_privilege
            assert conn.execute("SELECT amount, reason FROM refunds").fetchall() == [(750, "団体の都合")]
    finally:
        st.dispose()
