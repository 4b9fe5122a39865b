"""Usage slips (利用票): gather what each slip says from the database into :class:`SlipDoc`.

``reports.slip_pdf`` lays the slips out; this module reads, and records each print run in the audit
trail (a slip carries the booker's name). At closing time the desk prints the next day's slips
in one go (:func:`print_day_slips`, the ``print-slips`` command); every entry point prints through
:func:`print_slips` or :func:`print_day_slips` in a write transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking_app.domain.booking_rules import BookingStatus
from booking_app.domain.documents import Issuer, SlipDoc
from booking_app.domain.errors import NotFound, ValidationError
from booking_app.services.booking_plan import REDUCTION
from booking_app.services.booking_views import blocks_slot_sql, views_for
from booking_app.services.centre import get_profile
from booking_app.services.fees import get_fees
from booking_app.services.reductions import reduction_label
from booking_app.domain import japanese_calendar as jcal
from booking_app.services.common import Actor, audit, local_now
from booking_app.store.models import Booking, BookingSeries, Charge, Receipt, Room

#: The centre's rules printed on every slip (利用上の注意). Plain defaults of ours [P], kept short.
DEFAULT_RULES: tuple[str, ...] = (
    "利用時間には準備と片付けの時間を含みます。時間内に退室してください。",
    "利用後は机・椅子を元の配置に戻し、原状に戻してください。",
    "ごみはお持ち帰りください。",
    "営利を目的とした利用、物品の販売はできません。",
    "館内での喫煙・飲酒・火気の使用はできません。",
    "取消・変更は前日までに窓口か電話でご連絡ください。",
    "利用が終わったら受付にお声がけください（利用人数をお聞きします）。",
)

# The rule that asks to call names the centre's number (「窓口か電話で」 with no number helps nobody).
CONTACT_RULE = "取消・変更は前日までに窓口か電話でご連絡ください。"


def rules_for(issuer: Issuer, rules: Sequence[str] = DEFAULT_RULES) -> tuple[str, ...]:
    """The rules as printed for this centre: its phone number in the contact rule, or only 窓口 without one."""
    phone = (issuer.phone or "").strip()
    contact = (f"取消・変更は前日までに窓口か電話（{phone}）でご連絡ください。" if phone
               else "取消・変更は前日までに窓口でご連絡ください。")
    return tuple(contact if r == CONTACT_RULE else r for r in rules)


# A charge still owed or already paid counts towards the slip's fee; a cancelled one does not.
FEE_STATUSES = ("open", "paid")


def issuer_for(session: Session) -> Issuer:
    """The centre as slips and receipts name it: profile values, operator and T number from the fee tables."""
    profile = get_profile(session)
    operator, invoice_number = profile.operator, ""
    schedule = get_fees(session)  # the fee tables hold the issuer's receipt details once set up
    operator = schedule.operator or operator
    invoice_number = schedule.invoice_number
    return Issuer(centre_name=profile.name, operator=operator, address=profile.address, phone=profile.phone,
                  invoice_number=invoice_number)


@dataclass
class _Fee:
    """What a slip says of a booking's money: the fee (open and paid charges, net of any 減免), what of it
    is paid, the receipts that paid it, and the yen its ``reduction`` lines take off (positive)."""

    total: int = 0
    paid: int = 0
    receipt_nos: list[str] = field(default_factory=list)
    reduction: int = 0


def _fees(session: Session, ids: Sequence[int]) -> dict[int, _Fee]:
    """Per booking: its :class:`_Fee` (bookings without a live charge are left out)."""
    rows = session.execute(
        select(Charge.booking_id, Charge.status, Charge.kind, Charge.amount, Receipt.receipt_no)
        .outerjoin(Receipt, Receipt.id == Charge.receipt_id)
        .where(Charge.booking_id.in_(ids), Charge.status.in_(FEE_STATUSES))
        .order_by(Charge.booking_id, Receipt.issued_at, Receipt.id)
    )
    fees: dict[int, _Fee] = {}
    for bid, status, kind, amount, receipt_no in rows:
        assert bid is not None  # the where clause names the bookings
        f = fees.setdefault(bid, _Fee())
        f.total += amount
        if kind == REDUCTION:
            f.reduction -= amount  # a reduction line is below zero
        if status == "paid":
            f.paid += amount
            if receipt_no and receipt_no not in f.receipt_nos:
                f.receipt_nos.append(receipt_no)
    return fees


def _series_texts(session: Session, bookings: Sequence[Booking]) -> dict[int, str]:
    """'毎週水曜 …（12回中3回目）' per booking of a series; skipped and cancelled dates are not counted."""
    series_ids = {b.series_id for b in bookings if b.series_id is not None}
    if not series_ids:
        return {}
    summaries = dict(session.execute(select(BookingSeries.id, BookingSeries.summary)
                                     .where(BookingSeries.id.in_(series_ids))).all())
    members: dict[int, list[tuple[datetime, int]]] = {}
    for sid, start, bid in session.execute(
        select(Booking.series_id, Booking.start_at, Booking.id)
        .where(Booking.series_id.in_(series_ids), blocks_slot_sql(local_now().date()))
    ):
        assert sid is not None  # the where clause names the series
        members.setdefault(sid, []).append((start, bid))
    out: dict[int, str] = {}
    for b in bookings:
        if b.series_id is None:
            continue
        text = summaries.get(b.series_id, "")
        order = [bid for _s, bid in sorted(members.get(b.series_id, []))]
        if b.id in order:
            text = f"{text}（全{len(order)}回中{order.index(b.id) + 1}回目）"
        out[b.id] = text
    return out


def _docs(session: Session, bookings: Sequence[Booking]) -> list[SlipDoc]:
    if not bookings:
        return []
    issuer = issuer_for(session)
    rules = rules_for(issuer)
    views = views_for(session, bookings)
    fees = _fees(session, [b.id for b in bookings])
    series = _series_texts(session, bookings)
    labels: dict[str | None, str] = {}  # 減免 code -> 「障がい者団体 50%」, read once a code
    docs = []
    for b, v in zip(bookings, views, strict=True):
        note = ""
        if v.status == BookingStatus.TENTATIVE.value and v.hold_until:
            note = f"仮予約です。{v.hold_until.month}月{v.hold_until.day}日までに確定してください。"
        fee = fees.get(v.id, _Fee())
        # A 減免 removed after payment leaves its paid line and adds a 差額 charge (services.fees): the fee
        # is right as summed, but the slip names a 減免 only while the booking has one.
        reduction = fee.reduction if b.reduction_code else 0
        if reduction > 0 and b.reduction_code not in labels:
            labels[b.reduction_code] = reduction_label(session, b.reduction_code)
        docs.append(SlipDoc(
            booking_id=v.id, booking_no=v.number, room_name=v.room_name, start=v.start, end=v.end,
            booker_name=v.booker_name, group_reg_no=v.group_reg_no, purpose=v.purpose, attendees=v.attendees,
            equipment=tuple(f"{e.name} {e.quantity}{e.unit}" for e in v.equipment), status_label=v.status_label,
            fee_total=fee.total, fee_paid=fee.paid, receipt_nos=tuple(fee.receipt_nos), rules=rules,
            issuer=issuer, series_summary=series.get(v.id, ""), note=note, reduction=max(reduction, 0),
            reduction_label=labels[b.reduction_code] if reduction > 0 else "",
        ))
    return docs


def slip_docs(session: Session, booking_ids: Sequence[int]) -> list[SlipDoc]:
    """Slips for the given bookings, in the order given (a repeated id once).

    Raises:
        ValidationError: no booking given.
        NotFound: a booking does not exist (the message names its number).
    """
    ids = list(dict.fromkeys(booking_ids))
    if not ids:
        raise ValidationError("利用票を印刷する予約を選んでください。")
    found = {b.id: b for b in session.scalars(select(Booking).where(Booking.id.in_(ids)))}
    missing = [i for i in ids if i not in found]
    if missing:
        numbers = "、".join(f"{i:07d}" for i in missing)
        raise NotFound(f"予約番号 {numbers} は見つかりません。番号を確かめてください。")
    return _docs(session, [found[i] for i in ids])


def slips_for_day(session: Session, day: date) -> list[SlipDoc]:
    """Slips for the live bookings (仮予約・確定・利用中・利用済) starting on day, by start time and room."""
    start = datetime.combine(day, time.min)
    q = (select(Booking).outerjoin(Room, Room.id == Booking.room_id)
         .where(Booking.start_at >= start, Booking.start_at < start + timedelta(days=1),
                blocks_slot_sql(local_now().date()))  # a lapsed 仮予約 gets no slip
         # Equipment-only bookings (no room) after the rooms of the same hour.
         .order_by(Booking.start_at, Room.sort_order.is_(None), Room.sort_order, Booking.room_id, Booking.id))
    return _docs(session, list(session.scalars(q)))


def _record_print(session: Session, actor: Actor, docs: Sequence[SlipDoc], what: str, file_name: str | None,
                  **extra: Any) -> None:
    """One audit row for one print run: how many slips of which bookings (numbers only, never names)."""
    n = len(docs)
    where = f"、{file_name}" if file_name else ""
    ids = [d.booking_id for d in docs]
    audit(session, actor, "print", "booking", ids[0] if n == 1 else None,
          f"利用票を印刷（{what}、{n}件{where}）",
          after={"rows": n, "file": file_name or "", "bookings": ids, **extra})


def print_slips(session: Session, actor: Actor, booking_ids: Sequence[int], *,
                file_name: str | None = None) -> list[SlipDoc]:
    """:func:`slip_docs`, recorded in the audit trail as one print run (call it in a write transaction).

    ``file_name`` is the file the slips go to when known (a command's output); a preview has none.
    """
    docs = slip_docs(session, booking_ids)
    first = docs[0].booking_no
    what = f"予約{first}" if len(docs) == 1 else f"予約{first}ほか{len(docs) - 1}件"
    _record_print(session, actor, docs, what, file_name)
    return docs


def print_day_slips(session: Session, actor: Actor, day: date, *, file_name: str | None = None) -> list[SlipDoc]:
    """:func:`slips_for_day`, recorded as one print run; a day without bookings prints nothing and
    records nothing."""
    docs = slips_for_day(session, day)
    if docs:
        _record_print(session, actor, docs, f"{jcal.format_western(day)}({jcal.weekday_ja(day)})の予約",
                      file_name, day=day.isoformat())
    return docs
