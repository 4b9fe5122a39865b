"""減免 on the usage slip (利用票, issue 18), from the database on SQLite and PostgreSQL.

A reduced booking's slip carries the yen its ``reduction`` lines take off and the code's label beside the
fee (which stays the payable, as before); a booking without a 減免 reads as it always did.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from factories import DAY, NOW, at

from booking_app.domain.fees import load_default_fees
from booking_app.reports.slip_pdf import detail_rows, fee_text, payment_text
from booking_app.services import fees, payments, reductions
from booking_app.services.slips import slip_docs, slips_for_day

pytestmark = pytest.mark.now("2026-11-25 09:00")


def _odd_fees(world) -> None:
    """大会議室's 午前 at ¥1,251 for a general user (an odd fee: 50 % off takes ¥626, ¥625 is paid)."""
    raw = load_default_fees().to_dict()
    raw["rooms"]["大会議室"]["general"]["午前"] = 1251
    with world.write() as s:
        fees.save_fees(s, world.manager, fees.FeeSchedule.from_dict(raw), now=NOW)


def _pay(world, booking_id: int) -> str:
    with world.write() as s:
        ids = [c.id for c in payments.open_charges(s, booking_id=booking_id)]
        return payments.take_payment(s, world.desk, ids, payer_name="山田花子", purpose="会議室使用料として",
                                     now=NOW, terminal="受付1").receipt_no


def test_a_reduced_booking_s_slip_carries_the_reduction_and_its_label(world):
    _odd_fees(world)
    reduced = world.book(at(DAY, 9), at(DAY, 12), actor=world.manager, reduction_code="disability")
    plain = world.book(at(DAY, 13), at(DAY, 17))  # ¥2,000, no 減免
    with world.read() as s:
        docs = {d.booking_id: d for d in slips_for_day(s, DAY)}
    doc, other = docs[reduced.id], docs[plain.id]
    assert (doc.fee_total, doc.fee_paid, doc.reduction, doc.reduction_label) == (625, 0, 626, "障がい者団体 50%")
    assert fee_text(doc) == "¥1,251　減免 △¥626（障がい者団体 50%）　お支払い ¥625"
    assert ("料金（税込）", fee_text(doc)) in detail_rows(doc) and payment_text(doc) == "未払"
    # Without a 減免 nothing changes.
    assert (other.fee_total, other.reduction, other.reduction_label) == (2000, 0, "")
    assert ("料金（税込）", "¥2,000") in detail_rows(other)

    receipt_no = _pay(world, reduced.id)
    with world.read() as s:
        (doc,) = slip_docs(s, [reduced.id])
    assert (doc.fee_total, doc.fee_paid, doc.receipt_nos, doc.reduction) == (625, 625, (receipt_no,), 626)
    assert payment_text(doc) == f"支払済（領収書 {receipt_no}）"


def test_a_full_reduction_shows_nothing_to_pay(world):
    view = world.book(at(DAY, 13), at(DAY, 17), actor=world.manager, reduction_code="city")  # ¥2,000
    with world.read() as s:
        (doc,) = slip_docs(s, [view.id])
    assert (doc.fee_total, doc.reduction, doc.reduction_label) == (0, 2000, "市主催・共催 100%")
    assert fee_text(doc) == "¥2,000　減免 △¥2,000（市主催・共催 100%）　お支払い ¥0"
    assert payment_text(doc) == ""  # nothing to collect


def test_a_reduction_set_or_removed_after_payment(world):
    # Set after payment: the paid line stays, no 減免 line is made (services.fees' 差額 rule) and the slip
    # names none until the receipt is voided and the booking re-quoted.
    paid_first = world.book(at(DAY, 13), at(DAY, 17))
    receipt_no = _pay(world, paid_first.id)
    with world.write() as s:
        reductions.set_reduction(s, world.manager, paid_first.id, "disability", now=NOW)
    with world.read() as s:
        (doc,) = slip_docs(s, [paid_first.id])
    assert (doc.fee_total, doc.fee_paid, doc.reduction, doc.reduction_label) == (2000, 2000, 0, "")
    assert payment_text(doc) == f"支払済（領収書 {receipt_no}）"

    # Removed after payment: the paid 減免 line stays beside a 差額 charge; the slip names no 減免 and the
    # fee is the full one, of which the 差額 is owed.
    day2 = DAY + timedelta(days=1)
    removed = world.book(at(day2, 13), at(day2, 17), actor=world.manager, reduction_code="disability")
    receipt_no = _pay(world, removed.id)
    with world.write() as s:
        reductions.set_reduction(s, world.manager, removed.id, None, now=NOW)
    with world.read() as s:
        (doc,) = slip_docs(s, [removed.id])
    assert (doc.fee_total, doc.fee_paid, doc.reduction, doc.reduction_label) == (2000, 1000, 0, "")
    assert fee_text(doc) == "¥2,000"
    assert payment_text(doc) == f"一部未払 ¥1,000（支払済 ¥1,000：領収書 {receipt_no}）"


def test_a_cancelled_reduction_line_is_not_counted(world):
    from booking_app.services import bookings as svc

    view = world.book(at(DAY, 13), at(DAY, 17), actor=world.manager, reduction_code="disability")
    with world.write() as s:
        svc.cancel_booking(s, world.desk, view.id, "都合により", now=NOW)
    with world.read() as s:
        (doc,) = slip_docs(s, [view.id])
    assert (doc.fee_total, doc.reduction, doc.reduction_label) == (0, 0, "")
