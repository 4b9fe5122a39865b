"""What the counter's day list (本日の予約) needs beyond the bookings: whether each one is paid.

Read-only and cheap: the payment state of every booking on the list comes from one query (the
charges of those bookings with their receipt numbers), never one query per row.

A booking's payment state (支払):

* no charge, or only cancelled ones (a registered group's free room, free equipment): nothing to pay;
* an open charge (未収): 未払 with the amount still owed, even if part was paid already;
* every live charge paid: 済 with the receipt number(s).

A paid charge whose receipt was voided (取消) has been cancelled and charged again as a new open
charge by ``services.payments.void_receipt``; the void is checked here too, so a voided receipt never
reads as paid.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking_app.domain.booking_rules import NOT_CHECKED_OUT
from booking_app.domain.fees import yen
from booking_app.services.booking_views import views_for
from booking_app.services.booking_views import BookingView
from booking_app.services.fees import DEAD_STATUSES
from booking_app.store.models import Booking, Charge, Receipt, ReceiptVoid

# NOT_CHECKED_OUT (the booking ended but nobody pressed 利用済 or 無断キャンセル) is defined once in
# domain/booking_rules.py, with every other status set.


@dataclass(frozen=True)
class PaymentState:
    """How a booking stands with its fees: ``due`` yen still open, ``paid`` yen on ``receipts``."""

    due: int = 0
    paid: int = 0
    receipts: tuple[str, ...] = ()  # receipt numbers (2026-000123), oldest first

    @property
    def has_fee(self) -> bool:
        return self.due > 0 or self.paid > 0

    @property
    def unpaid(self) -> bool:
        return self.due > 0

    @property
    def label(self) -> str:
        """The 支払 column: 「未払 ¥1,500」, 「済 2026-000123」 (「… 他1件」 for more receipts), 「—」."""
        if self.due > 0:
            return f"未払 {yen(self.due)}"
        if self.receipts:
            more = f" 他{len(self.receipts) - 1}件" if len(self.receipts) > 1 else ""
            return f"済 {self.receipts[0]}{more}"
        return "—"

    @property
    def detail(self) -> str:
        """The whole story for a tooltip: what is owed and every receipt."""
        parts = []
        if self.due > 0:
            parts.append(f"未払 {yen(self.due)}")
        if self.receipts:
            parts.append(f"支払済 {yen(self.paid)}（領収書 {'、'.join(self.receipts)}）")
        return "\n".join(parts) if parts else "料金はかかりません"


NO_FEE = PaymentState()


def payment_states(session: Session, booking_ids: Iterable[int]) -> dict[int, PaymentState]:
    """The payment state of each booking, in one query; a booking without charges maps to NO_FEE."""
    ids = sorted(set(booking_ids))
    if not ids:
        return {}
    # Booking.id is the charge's booking (inner join); the receipt columns are None for an unpaid charge.
    rows: Sequence[tuple[int, str, int, str | None, int | None, str]] = session.execute(
        select(Booking.id, Charge.status, Charge.amount, Receipt.receipt_no, ReceiptVoid.id, Booking.status)
        .join(Booking, Booking.id == Charge.booking_id)
        .outerjoin(Receipt, Receipt.id == Charge.receipt_id)
        .outerjoin(ReceiptVoid, ReceiptVoid.receipt_id == Charge.receipt_id)
        .where(Charge.booking_id.in_(ids), Charge.status.in_(("open", "paid")))
        .order_by(Charge.booking_id, Receipt.issued_at, Receipt.id, Charge.id)
    ).all()
    due: dict[int, int] = {}
    paid: dict[int, int] = {}
    receipts: dict[int, list[str]] = {}
    for booking_id, status, amount, receipt_no, void_id, booking_status in rows:
        if status == "open":
            # An open charge of a cancelled/skipped/expired booking is not owed (payments.open_charges).
            if booking_status not in DEAD_STATUSES:
                due[booking_id] = due.get(booking_id, 0) + amount
        elif void_id is None and receipt_no:
            paid[booking_id] = paid.get(booking_id, 0) + amount
            seen = receipts.setdefault(booking_id, [])
            if receipt_no not in seen:
                seen.append(receipt_no)
    return {i: PaymentState(due.get(i, 0), paid.get(i, 0), tuple(receipts.get(i, ()))) for i in ids}


def not_checked_out(session: Session, before: datetime, limit: int = 300) -> list[BookingView]:
    """Bookings that ended before ``before`` and are still 確定/利用中: never checked out (利用済 not entered)."""
    q = (select(Booking).where(Booking.status.in_(NOT_CHECKED_OUT), Booking.end_at <= before)
         .order_by(Booking.start_at).limit(limit))
    return views_for(session, list(session.scalars(q)))


__all__ = ["NOT_CHECKED_OUT", "NO_FEE", "PaymentState", "not_checked_out", "payment_states"]
