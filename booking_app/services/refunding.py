"""Refunds of cancelled paid bookings (還付), by the centre's refund rules (issue 18).

A booking a general user has paid for is cancelled with :func:`cancel_with_refund`: in ONE transaction
the booking is cancelled (services.bookings.cancel_booking) and one ``Refund`` row is written for each
receipt that paid its charges. The receipt itself stays as it was (a refund is not a void: the other
lines of the receipt, a locker or copies, were not cancelled); its void (payments.void_receipt, a
manager's) afterwards pays back only what the refunds have not.

* **What was paid** (``paid``) on a receipt: the booking's lines on it, summed as they are, a negative
  減免 line included; receipts already voided (their money is back already) are left out.
* **How much** comes back: domain.refunds.decide_refund: the rate by the days before the day of use
  (or 100 % for a reason in ``full_reasons``), the yen rounded down, and the sentence ``why_text``.
* **A rate of 0 % still writes a row of ¥0**: the reason and the decision are on record (the audit of a
  municipal centre asks why nothing was refunded as much as why something was) and the 還付 slip can
  be printed for the user who asks. A ¥0 row moves no money: the cash-up lists it with ¥0.
* **Numbering**: R2026-000001 …, per fiscal year of the refund day, from the locked counter
  ``refund:<fy>`` taken in the same transaction (groups.next_number, as receipts use ``receipt:<fy>``):
  no gaps, no doubles, also with two refunds in one transaction.
* A refund is money out of the terminal's drawer on that day: refused once the terminal's day is closed
  (payments._check_open_day), and counted by payments.cashup.
* Never edited or deleted (PostgreSQL: the desk login may only INSERT into ``refunds``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from booking_app.domain import japanese_calendar as jcal
from booking_app.domain.documents import RefundDoc
from booking_app.domain.errors import NotFound, RuleError, ValidationError
from booking_app.domain.fees import yen
from booking_app.domain.refunds import decide_refund, refund_rules
from booking_app.services import bookings as booking_svc
from booking_app.services.centre import get_profile
from booking_app.services.common import Actor, audit
from booking_app.services.groups import next_number
from booking_app.services.payments import METHOD_LABELS, _check_open_day, issuer
from booking_app.services.terminal import terminal_name
from booking_app.store.models import Booking, Charge, Receipt, ReceiptLine, ReceiptVoid, Refund, Room, Staff


@dataclass(frozen=True)
class RefundLine:
    """What cancelling would refund of one receipt (還付の見込み): the booking's lines on it came to ``paid``."""

    receipt_id: int
    receipt_no: str
    payer_name: str
    paid: int
    rate: int
    amount: int
    why_text: str


@dataclass(frozen=True)
class RefundView:
    """A refund as written (還付)."""

    id: int
    refund_no: str
    booking_id: int
    receipt_id: int
    receipt_no: str
    paid: int
    rate: int
    amount: int
    reason: str
    why_text: str
    method: str
    method_label: str
    at: datetime
    terminal: str


@dataclass(frozen=True)
class CancelResult:
    """A cancellation with its refunds (none when nothing had been paid)."""

    booking: booking_svc.BookingView
    refunds: tuple[RefundView, ...]

    @property
    def total(self) -> int:
        return sum(r.amount for r in self.refunds)


def _booking(session: Session, booking_id: int) -> Booking:
    b = session.get(Booking, booking_id)
    if b is None:
        raise NotFound("予約が見つかりません。")
    return b


def _paid_receipts(session: Session, booking_id: int) -> list[tuple[Receipt, int]]:
    """The receipts not voided that paid the booking's charges, with what its lines on each came to."""
    voided = select(ReceiptVoid.receipt_id)
    rows = session.execute(
        select(ReceiptLine.receipt_id, func.sum(ReceiptLine.amount))
        .join(Charge, Charge.id == ReceiptLine.charge_id)
        .where(Charge.booking_id == booking_id, ReceiptLine.receipt_id.not_in(voided))
        .group_by(ReceiptLine.receipt_id).order_by(ReceiptLine.receipt_id)).all()
    out = []
    for receipt_id, paid in rows:
        if paid is None or int(paid) <= 0:
            continue  # nothing came in for this booking on it (a 減免 line on its own)
        r = session.get(Receipt, receipt_id)
        assert r is not None  # the line points at it
        out.append((r, int(paid)))
    return out


def paid_bookings(session: Session, booking_ids: list[int]) -> set[int]:
    """Which of ``booking_ids`` have money in on a receipt not voided (a cancel of those is a 還付)."""
    if not booking_ids:
        return set()
    rows = session.execute(
        select(Charge.booking_id, func.sum(ReceiptLine.amount))
        .join(ReceiptLine, ReceiptLine.charge_id == Charge.id)
        .where(Charge.booking_id.in_(booking_ids), ReceiptLine.receipt_id.not_in(select(ReceiptVoid.receipt_id)))
        .group_by(Charge.booking_id)).all()
    return {b for b, paid in rows if b is not None and paid is not None and int(paid) > 0}


def refund_preview(session: Session, booking_id: int, *, today: date, reason: str) -> list[RefundLine]:
    """What cancelling the booking on ``today`` for ``reason`` would refund, per receipt (none: nothing paid).

    Raises ValidationError naming 理由 when ``reason`` is empty (a refund always records one)."""
    if not (reason or "").strip():
        raise ValidationError("取消の理由を入力してください（還付には理由の記録が必要です）", "reason")
    b = _booking(session, booking_id)
    rules = refund_rules(get_profile(session))
    out = []
    for r, paid in _paid_receipts(session, b.id):
        d = decide_refund(rules, paid, b.start_at.date(), today, reason)
        out.append(RefundLine(r.id, r.receipt_no, r.payer_name, paid, d.rate, d.amount, d.why_text))
    return out


def _view(session: Session, row: Refund) -> RefundView:
    r = session.get(Receipt, row.receipt_id)
    return RefundView(id=row.id, refund_no=row.refund_no, booking_id=row.booking_id, receipt_id=row.receipt_id,
                      receipt_no=r.receipt_no if r else "", paid=row.paid, rate=row.rate, amount=row.amount,
                      reason=row.reason, why_text=row.why_text, method=row.method,
                      method_label=METHOD_LABELS.get(row.method, row.method), at=row.at, terminal=row.terminal)


def cancel_with_refund(session: Session, actor: Actor, booking_id: int, reason: str, *, method: str = "cash",
                       now: datetime, terminal: str | None = None,
                       expected_version: int | None = None) -> CancelResult:
    """Cancel the booking and refund what its receipts paid by the refund rules, in the caller's transaction.

    One Refund row (numbered R<fy>-<seq>) and one audit row per receipt; none when nothing was paid (then it
    is a plain cancel). Refused with a Japanese message: no reason, an unknown method, the terminal's day
    already closed, a booking that cannot be cancelled (services.bookings)."""
    booking_svc.check_cancel_reason(reason)
    reason = reason.strip()
    if method not in METHOD_LABELS:
        raise ValidationError("還付の方法（現金・振込など）を選んでください。", field="method")
    terminal = terminal or terminal_name()
    lines = refund_preview(session, booking_id, today=now.date(), reason=reason)
    if lines:
        _check_open_day(session, now.date(), terminal, "還付")
    view = booking_svc.cancel_booking(session, actor, booking_id, reason, now=now, expected_version=expected_version)
    fy = jcal.fiscal_year(now.date())
    written = []
    for line in lines:
        seq = next_number(session, f"refund:{fy}")
        row = Refund(fiscal_year=fy, seq=seq, refund_no=f"R{fy}-{seq:06d}", booking_id=booking_id,
                     receipt_id=line.receipt_id, paid=line.paid, rate=line.rate, amount=line.amount, reason=reason,
                     why_text=line.why_text, method=method, at=now, staff_id=actor.id, terminal=terminal)
        session.add(row)
        try:
            session.flush()
        except IntegrityError:  # the same booking and receipt refunded a moment ago elsewhere
            raise RuleError(f"予約{view.number}の領収書{line.receipt_no}分は既に還付済みです。画面を更新してください。") from None
        audit(session, actor, "refund", "refund", row.id,
              f"還付{row.refund_no}：予約{view.number}（領収書{line.receipt_no}）支払{yen(line.paid)}の"
              f"{line.rate}% {yen(line.amount)}を{METHOD_LABELS[method]}で返金（{reason}。{line.why_text}）",
              after={"refund_no": row.refund_no, "booking_id": booking_id, "receipt_id": line.receipt_id,
                     "paid": line.paid, "rate": line.rate, "amount": line.amount, "method": method,
                     "terminal": terminal}, now=now)
        written.append(_view(session, row))
    return CancelResult(view, tuple(written))


def refunds_of_booking(session: Session, booking_id: int) -> list[RefundView]:
    """The refunds written for a booking, oldest first."""
    rows = session.scalars(select(Refund).where(Refund.booking_id == booking_id).order_by(Refund.id))
    return [_view(session, r) for r in rows]


def refunded_on_receipt(session: Session, receipt_id: int) -> int:
    """What refunds have already paid back of a receipt (payments.void_receipt pays back only the rest)."""
    return int(session.scalar(select(func.coalesce(func.sum(Refund.amount), 0))
                              .where(Refund.receipt_id == receipt_id)) or 0)


def refund_doc(session: Session, refund_id: int) -> RefundDoc:
    """The 還付 slip of a refund, as reports.refund_pdf prints it (the issuer as it is today)."""
    row = session.get(Refund, refund_id)
    if row is None:
        raise NotFound("還付の記録が見つかりません。")
    b = _booking(session, row.booking_id)
    r = session.get(Receipt, row.receipt_id)
    room = session.get(Room, b.room_id) if b.room_id is not None else None
    staff = session.get(Staff, row.staff_id)
    return RefundDoc(
        refund_no=row.refund_no, at=row.at, payer_name=r.payer_name if r else b.booker_name,
        booking_no=b.number, room_name=room.name if room else "", start=b.start_at, end=b.end_at,
        receipt_no=r.receipt_no if r else "", paid=row.paid, rate=row.rate, amount=row.amount,
        why_text=row.why_text, reason=row.reason, method_label=METHOD_LABELS.get(row.method, row.method),
        issuer=issuer(session), staff_name=staff.name if staff else "")


__all__ = ["RefundLine", "RefundView", "CancelResult", "refund_preview", "cancel_with_refund", "refunds_of_booking",
           "refunded_on_receipt", "refund_doc"]
