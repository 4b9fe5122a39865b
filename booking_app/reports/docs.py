"""What the printed documents say, as plain data: services gather it, reports lay it out.

Keeping these apart means a report never queries the database, and a test can render any
document from values it writes by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class Issuer:
    """The centre and its operator as they appear on receipts and slips."""

    centre_name: str
    operator: str
    address: str
    phone: str
    invoice_number: str = ""  # T + 13 digits; empty → not a qualified invoice


@dataclass(frozen=True)
class DocLine:
    description: str
    quantity: int
    unit_price: int
    amount: int
    tax: str  # taxable10 | exempt
    unit: str = ""  # what the quantity counts: 枚, か月, 区分, 台, 名 … ('' prints the bare number)


@dataclass(frozen=True)
class ReceiptDoc:
    """A receipt (領収書) as printed. ``reissue`` prints 再発行; the date stays the original's."""

    receipt_no: str
    issued_at: datetime
    payer_name: str  # printed with 様 (never 上様)
    purpose: str  # 但し書き
    lines: tuple[DocLine, ...]
    total: int
    taxable10: int
    tax10: int
    exempt: int
    method_label: str
    issuer: Issuer
    stamp_duty: int = 0  # > 0: a box for the revenue stamp (収入印紙)
    reissue: bool = False
    voided: bool = False  # printed copies of a voided receipt carry 取消
    staff_name: str = ""


@dataclass(frozen=True)
class SlipDoc:
    """A usage slip (利用票) for one booking; its QR code holds ``FKB:<booking id>``."""

    booking_id: int
    booking_no: str
    room_name: str
    start: datetime
    end: datetime
    booker_name: str
    group_reg_no: str | None
    purpose: str
    attendees: int
    equipment: tuple[str, ...]  # 'プロジェクター 1台'
    status_label: str
    fee_total: int
    rules: tuple[str, ...]  # the centre's rules printed at the bottom
    issuer: Issuer
    series_summary: str = ""
    note: str = ""
    fee_paid: int = 0  # of fee_total, what receipts have paid
    receipt_nos: tuple[str, ...] = ()  # the receipts that paid it ('2026-000123')


@dataclass(frozen=True)
class CashupRow:
    label: str
    count: int
    amount: int


@dataclass(frozen=True)
class CashupDoc:
    """The daily cash-up (日計表) of one terminal."""

    day: date
    terminal: str
    by_method: tuple[CashupRow, ...]
    by_kind: tuple[CashupRow, ...]
    receipts: tuple[tuple[str, str, str, int, str], ...]  # (number, time, payer, amount, state)
    voids: tuple[tuple[str, str, str, int, str], ...]  # (number, time, reason, refund, method)
    total_received: int
    total_refunded: int
    net: int
    closed_by: str = ""
    closed_at: datetime | None = None
    cash_counted: int | None = None
    issuer: Issuer | None = None
    extra: dict = field(default_factory=dict)
