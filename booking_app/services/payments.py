"""Payments and receipts (領収・領収書), the printing-machine log and the daily cash-up (日計表).

Receipts are numbered per fiscal year without gaps (2026-000001 …) from a locked counter taken in
the same transaction as the receipt row, so two terminals paying at once never share or skip a
number. A receipt is never edited or deleted:

* a mistake is voided (取消) by a manager: a ReceiptVoid row points at the receipt and records the
  refund; the receipt's charges become 'cancelled' and, unless their booking is no longer live,
  are charged again as new open charges at the same frozen price, so the desk can take a corrected
  payment (or cancel the charge with cancel_charge when nothing is owed);
* every printing is a ReceiptPrint row; any after the first is a reissue (再発行) keeping the
  original date.

Once a terminal's day is closed (close_day), that terminal takes no more payments or voids dated
that day.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, and_, case, func, not_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from booking_app.domain import japanese_calendar as jcal
from booking_app.domain.documents import CashupDoc, CashupRow, DocLine, Issuer, ReceiptDoc
from booking_app.domain.errors import NotFound, RuleError, ValidationError
from booking_app.domain.fees import FeeLine, signed_yen, stamp_duty, tax_summary, valid_invoice_number, yen
from booking_app.services.booking_views import hold_lapsed_sql
from booking_app.services.centre import get_profile
from booking_app.services.text_search import contains, matches
from booking_app.services.common import Actor, audit, local_now, require_manager
from booking_app.services.fees import DEAD_STATUSES, PRINT_MASTER_ITEM, PRINT_SHEET_ITEMS, get_fees
from booking_app.services.groups import next_number
from booking_app.services.terminal import terminal_name
from booking_app.store.models import (
    Booking,
    Charge,
    DayClosing,
    EquipmentType,
    MemberGroup,
    PrintingLog,
    Receipt,
    ReceiptLine,
    ReceiptPrint,
    ReceiptVoid,
    Refund,
    Staff,
)

METHOD_LABELS = {"cash": "現金", "card": "カード", "transfer": "振込", "qr": "QR決済", "other": "その他"}
# Charge categories of the cash-up: a printing-machine charge is an 'item' row with a log.
CATEGORY_LABELS = {"room": "部屋", "equipment": "備品", "printing": "印刷機", "reduction": "減免", "other": "その他"}
# Categories the cash-up lists only on a day that has them.
OPTIONAL_CATEGORIES = ("insurance", "reduction")
# Premiums (kind 'insurance', tax-exempt, passed on to the insurer) get their
# own cash-up row 保険 instead of mixing with その他; the row only shows on days that have any.
CATEGORY_LABELS["insurance"] = "保険"
CHARGE_STATUS_LABELS = {"open": "未収", "paid": "支払済", "cancelled": "取消"}
RECEIPT_LAYOUTS = ("A5", "A4", "roll80")  # reports.receipt_pdf layouts
BANNED_PAYERS = ("上様", "上", "うえさま", "じょうさま")


# --------------------------------------------------------------------------- views


@dataclass(frozen=True)
class ChargeView:
    """A charge (請求明細) as the payment screen lists it."""

    id: int
    booking_id: int | None
    booking_no: str  # '0000012', '' for items
    printing_log_id: int | None
    group_id: int | None
    payer_name: str
    kind: str  # room | equipment | item
    category: str  # room | equipment | printing | other (cash-up rows)
    description: str
    quantity: int
    unit_price: int
    amount: int
    tax: str  # taxable10 | exempt
    status: str  # open | paid | cancelled
    receipt_id: int | None
    created_at: datetime
    unit: str = ""  # what the quantity counts (枚, か月, 区分, 台, 名 …; see line_unit)

    @property
    def category_label(self) -> str:
        return CATEGORY_LABELS[self.category]

    @property
    def status_label(self) -> str:
        return CHARGE_STATUS_LABELS.get(self.status, self.status)


@dataclass(frozen=True)
class ReceiptView:
    """A receipt (領収書) as the receipts list shows it."""

    id: int
    receipt_no: str
    fiscal_year: int
    seq: int
    issued_at: datetime
    payer_name: str
    group_id: int | None
    purpose: str
    method: str
    method_label: str
    total: int
    taxable10: int
    tax10: int
    exempt: int
    stamp_duty: int
    invoice_number: str
    terminal: str
    staff_name: str
    lines: tuple[DocLine, ...]
    charge_ids: tuple[int, ...]
    voided: bool = False
    void_reason: str = ""
    voided_at: datetime | None = None
    refund_amount: int = 0
    refund_method: str = ""
    print_count: int = 0
    # The issuer as it was when the receipt was issued; None for receipts from before that was kept
    # (migration 0007), which print the current issuer.
    issuer: Issuer | None = None
    # 還付 of cancelled bookings paid on this receipt (services.refunding): the yen paid back and the refund
    # rows (a ¥0 refund is one too); a void afterwards pays back only total − refunded.
    refunded: int = 0
    refund_ids: tuple[int, ...] = ()

    @property
    def reissue_count(self) -> int:
        """How many reissues (再発行) were printed: every print after the first."""
        return max(self.print_count - 1, 0)

    @property
    def state_label(self) -> str:
        return "取消" if self.voided else ""


# A booking's charges start with its date ('2026/11/25 大会議室 午前'); the rest names the room or equipment.
_DATE_PREFIX = re.compile(r"^\d{4}/\d{1,2}/\d{1,2} ")


@dataclass(frozen=True)
class _Units:
    """Where the units of charges are kept: the fee table's items and the equipment types."""

    items: dict[str, str]
    equipment: dict[str, str]


def _units(session: Session) -> _Units:
    return _Units({n: i.unit for n, i in get_fees(session).items.items()},
                  dict(session.execute(select(EquipmentType.name, EquipmentType.unit)).all()))


def line_unit(kind: str | None, description: str, quantity: int, *, printing: bool, units: _Units) -> str:
    """What a charge's quantity counts, so a line reads 「260か月」 or 「3枚」, never a bare 「260」.
    A charge keeps no unit of its own; it is found where the fee tables keep it:

    * an item (コピー, ラミネート, 団体ロッカー …): the fee table's unit (枚, か月, 通);
    * a room: 区分 (a line is one period, 午前・午後・夜間); equipment: the equipment type's unit (台);
    * the printing machine: 回 (one use, its masters and sheets are in the description);
    * an insurance premium: 名 per person, 式 for a lump sum (minimum premium, per day, per trip);
    * a difference after an edit (差額): 式.
    An item no longer in the table prints its bare number.
    """
    if printing:
        return "回"
    what = _DATE_PREFIX.sub("", description or "")
    if "差額" in what or kind == "reduction":
        return "式"
    if kind == "room":
        return "区分"
    if kind == "equipment":
        return units.equipment.get(what, "台")
    if kind == "insurance":
        return "名" if quantity > 1 or re.search(r"（(追加)?1名", what) else "式"
    return units.items.get(what, "")


def _category(c: Charge) -> str:
    return _kind_category(c.kind, c.printing_log_id)


def _kind_category(kind: str | None, printing_log_id: int | None) -> str:
    """The cash-up's row of a charge: 印刷機 by its log, 減免 (a line below zero) its own, else by kind."""
    if printing_log_id is not None:
        return "printing"
    return kind if kind in ("room", "equipment", "insurance", "reduction") else "other"


def _charge_view(c: Charge, units: _Units | None = None) -> ChargeView:
    unit = line_unit(c.kind, c.description, c.quantity, printing=c.printing_log_id is not None,
                     units=units) if units is not None else ""
    return ChargeView(
        id=c.id, booking_id=c.booking_id, booking_no=f"{c.booking_id:07d}" if c.booking_id else "",
        printing_log_id=c.printing_log_id, group_id=c.group_id, payer_name=c.payer_name, kind=c.kind,
        category=_category(c), description=c.description, quantity=c.quantity, unit_price=c.unit_price,
        amount=c.amount, tax=c.tax, status=c.status, receipt_id=c.receipt_id, created_at=c.created_at,
        unit=unit,
    )


def _staff_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Staff.id, Staff.name)).all())


def _receipt_views(session: Session, receipts: list[Receipt]) -> list[ReceiptView]:
    """Views with their voids, print counts and charges in three lookups, not three per receipt."""
    if not receipts:
        return []
    ids = [r.id for r in receipts]
    voids = {v.receipt_id: v
             for v in session.scalars(select(ReceiptVoid).where(ReceiptVoid.receipt_id.in_(ids)))}
    prints = dict(session.execute(select(ReceiptPrint.receipt_id, func.count())
                                  .where(ReceiptPrint.receipt_id.in_(ids))
                                  .group_by(ReceiptPrint.receipt_id)).all())
    refunds: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for rid, fid, amount in session.execute(select(Refund.receipt_id, Refund.id, Refund.amount)
                                            .where(Refund.receipt_id.in_(ids)).order_by(Refund.id)):
        refunds[rid].append((fid, amount))
    staff = _staff_names(session)
    units = _units(session)
    charge_ids = [li.charge_id for r in receipts for li in r.lines if li.charge_id is not None]
    kinds: dict[int | None, tuple[str, int | None]] = {cid: (kind, log_id) for cid, kind, log_id in session.execute(
        select(Charge.id, Charge.kind, Charge.printing_log_id).where(Charge.id.in_(charge_ids)))} if charge_ids else {}
    out = []
    for r in receipts:
        v = voids.get(r.id)
        line_list: list[DocLine] = []
        for li in r.lines:
            kind, log_id = kinds.get(li.charge_id, ("item", None))
            line_list.append(DocLine(li.description, li.quantity, li.unit_price, li.amount, li.tax,
                                 line_unit(kind, li.description, li.quantity, printing=log_id is not None,
                                           units=units)))
        lines = tuple(line_list)
        out.append(ReceiptView(
            id=r.id, receipt_no=r.receipt_no, fiscal_year=r.fiscal_year, seq=r.seq, issued_at=r.issued_at,
            payer_name=r.payer_name, group_id=r.group_id, purpose=r.purpose, method=r.method,
            method_label=METHOD_LABELS.get(r.method, r.method), total=r.total, taxable10=r.taxable10,
            tax10=r.tax10,
            exempt=r.exempt, stamp_duty=r.stamp_duty, invoice_number=r.invoice_number, terminal=r.terminal,
            staff_name=staff.get(r.created_by, ""), lines=lines,
            charge_ids=tuple(li.charge_id for li in r.lines if li.charge_id is not None),
            voided=v is not None, void_reason=v.reason if v else "", voided_at=v.at if v else None,
            refund_amount=v.refund_amount if v else 0, refund_method=v.refund_method if v else "",
            print_count=prints.get(r.id, 0), issuer=_issued_by(r),
            refunded=sum(a for _f, a in refunds.get(r.id, ())),
            refund_ids=tuple(f for f, _a in refunds.get(r.id, ())),
        ))
    return out


def _issued_by(r: Receipt) -> Issuer | None:
    """The issuer kept on the receipt at issue, or None on an older receipt."""
    if r.issuer_centre_name is None:
        return None
    return Issuer(centre_name=r.issuer_centre_name, operator=r.issuer_operator or "",
                  address=r.issuer_address or "", phone=r.issuer_phone or "", invoice_number=r.invoice_number)


# --------------------------------------------------------------------------- charges


def open_charges(session: Session, *, booking_id: int | None = None, group_id: int | None = None,
                 payer: str | None = None) -> list[ChargeView]:
    """Open charges (未収), oldest first; those of a cancelled, skipped or expired booking are left out."""
    q = (select(Charge).outerjoin(Booking, Booking.id == Charge.booking_id)
         .where(Charge.status == "open",
                or_(Charge.booking_id.is_(None),
                    # a 仮予約 past its deadline is dead too, marked or not
                    and_(Booking.status.not_in(DEAD_STATUSES), not_(hold_lapsed_sql(local_now().date()))))))
    if booking_id is not None:
        q = q.where(Charge.booking_id == booking_id)
    if group_id is not None:
        q = q.where(Charge.group_id == group_id)
    if payer and payer.strip():

        q = q.where(matches(payer, Charge.payer_name))
    units = _units(session)
    charges = list(session.scalars(q.order_by(Charge.created_at, Charge.id)))
    return [_charge_view(c, units) for c in charges if c.booking_id not in _nothing_to_collect(charges)]


def _nothing_to_collect(charges: list[Charge]) -> set[int]:
    """Bookings whose open lines include a 減免 and add up to ¥0 (a 100 % reduction): nothing to collect,
    so not listed as 未収. Their lines stay open on record (the statistics count the 減免)."""
    sums: dict[int, int] = defaultdict(int)
    reduced: set[int] = set()
    for c in charges:
        if c.booking_id is not None:
            sums[c.booking_id] += c.amount
            if c.kind == "reduction":
                reduced.add(c.booking_id)
    return {b for b in reduced if sums[b] == 0}


def _check_reductions_go_along(session: Session, charges: list[Charge]) -> None:
    """A booking's open 減免 line is paid with its other open lines, all or none: left out, the desk would
    collect the full fee; taken alone, it would be a receipt below zero."""
    chosen = {c.id for c in charges}
    booking_ids = {c.booking_id for c in charges if c.booking_id is not None}
    if not booking_ids:
        return
    rows = session.execute(select(Charge.id, Charge.booking_id, Charge.kind, Charge.amount)
                           .where(Charge.booking_id.in_(booking_ids), Charge.status == "open")).all()
    by_booking: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        by_booking[row.booking_id].append(row)
    for booking_id, lines in sorted(by_booking.items()):
        if not any(r.kind == "reduction" for r in lines):
            continue
        missing = [r for r in lines if r.id not in chosen]
        if missing:
            reduction = sum(r.amount for r in lines if r.kind == "reduction")
            raise ValidationError(
                f"予約{booking_id:07d}には減免（{signed_yen(reduction)}）があります。"
                "その予約の未収の明細をすべて選んで、まとめて領収してください。", field="charges")


def charges_of_booking(session: Session, booking_id: int) -> list[ChargeView]:
    """Every charge of a booking, whatever its state (for the booking dialog's fee tab)."""
    rows = list(session.scalars(select(Charge).where(Charge.booking_id == booking_id).order_by(Charge.id)))
    units = _units(session) if rows else None
    return [_charge_view(c, units) for c in rows]


def _payer(session: Session, payer_name: str, group_id: int | None) -> str:
    name = (payer_name or "").strip()
    if not name and group_id is not None:
        g = session.get(MemberGroup, group_id)
        name = g.name if g else ""
    if not name:
        raise ValidationError("利用者名（団体名・氏名）を入力してください。", field="payer_name")
    return name


def add_item_charge(session: Session, actor: Actor, item_name: str, quantity: int, *, payer_name: str,
                    group_id: int | None = None, now: datetime | None = None) -> ChargeView:
    """Charge an item of the fee table (コピー, ラミネート, 団体ロッカー …) at today's price."""
    now = now or local_now()
    item = get_fees(session).items.get(item_name)
    if item is None:
        raise ValidationError(f"品目「{item_name}」は料金表にありません。", field="item")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise ValidationError("数量は1以上の数で入力してください。", field="quantity")
    name = _payer(session, payer_name, group_id)
    c = Charge(group_id=group_id, payer_name=name, kind="item", description=item.name, quantity=quantity,
               unit_price=item.price, amount=quantity * item.price, tax=item.tax, status="open",
               created_at=now, created_by=actor.id)
    session.add(c)
    session.flush()
    audit(session, actor, "create", "charge", c.id,
          f"{name}：{item.name} {quantity}{item.unit} {yen(c.amount)}", now=now)
    return _charge_view(c, _units(session))


def log_printing(session: Session, actor: Actor, *, user_name: str, group_id: int | None = None, masters: int,
                 sheets: int, paper: str = "brought",
                 now: datetime | None = None) -> tuple[int, ChargeView | None]:
    """Log a use of the printing machine (印刷機) and charge it as one line.

    fee = masters × 製版 + sheets × 印刷 (paper brought or bought), at today's prices; the line
    says the counts ('印刷機（製版3枚・印刷200枚・用紙持込）'). A fee of 0 logs the use with no charge.
    """
    now = now or local_now()
    for value, label, fld in ((masters, "製版枚数", "masters"), (sheets, "印刷枚数", "sheets")):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValidationError(f"{label}は0以上の数で入力してください。", field=fld)
    if masters == 0 and sheets == 0:
        raise ValidationError("製版枚数か印刷枚数を入力してください。", field="masters")
    if paper not in PRINT_SHEET_ITEMS:
        raise ValidationError("用紙は「持込」か「購入」を選んでください。", field="paper")
    items = get_fees(session).items
    master, sheet = items.get(PRINT_MASTER_ITEM), items.get(PRINT_SHEET_ITEMS[paper])
    if master is None or sheet is None:
        raise ValidationError("料金表に印刷機の料金（製版・印刷）がありません。管理者に設定を依頼してください。",
                              field="items")
    name = _payer(session, user_name, group_id)
    fee = masters * master.price + sheets * sheet.price
    log = PrintingLog(at=now, staff_id=actor.id, group_id=group_id, user_name=name, masters=masters,
                      sheets=sheets, paper=paper, fee=fee)
    session.add(log)
    session.flush()
    paper_label = "用紙持込" if paper == "brought" else "用紙込"
    view = None
    if fee > 0:
        c = Charge(printing_log_id=log.id, group_id=group_id, payer_name=name, kind="item",
                   description=f"印刷機（製版{masters}枚・印刷{sheets}枚・{paper_label}）", quantity=1,
                   unit_price=fee, amount=fee, tax=master.tax, status="open", created_at=now,
                   created_by=actor.id)
        session.add(c)
        session.flush()
        view = _charge_view(c, _units(session))
    audit(session, actor, "create", "printing_log", log.id,
          f"印刷機：{name} 製版{masters}枚・印刷{sheets}枚（{paper_label}） {yen(fee)}", now=now)
    return log.id, view


def cancel_charge(session: Session, actor: Actor, charge_id: int, reason: str, *,
                  now: datetime | None = None) -> ChargeView:
    """Cancel an open charge that is not owed after all (e.g. a waived no-show fee), with a reason."""
    now = now or local_now()
    if not reason or not reason.strip():
        raise ValidationError("取消理由を入力してください。", field="reason")
    c = session.get(Charge, charge_id)
    if c is None:
        raise NotFound("明細が見つかりません。")
    if c.status != "open":
        raise RuleError(f"「{c.description}」は{CHARGE_STATUS_LABELS[c.status]}のため取り消せません。"
                        "支払済みの明細は領収書の取消で返金してください。")
    c.status = "cancelled"
    audit(session, actor, "cancel", "charge", c.id,
          f"{c.payer_name}：{c.description} {yen(c.amount)}を取消（{reason.strip()}）", now=now)
    return _charge_view(c, _units(session))


# --------------------------------------------------------------------------- payment


def _check_open_day(session: Session, day: date, terminal: str, what: str) -> None:
    if is_day_closed(session, day, terminal):
        raise RuleError(f"{jcal.format_slash(day)}の日計（端末「{terminal}」）は締め済みのため、{what}できません。"
                        "翌日の扱いにするか、管理者に相談してください。")


def _clean_payer(name: str) -> str:
    name = re.sub(r"\s+", " ", (name or "").replace("\u3000", " ")).strip()
    # The receipt prints 「… 様」 itself; a typed trailing 様 would print twice.
    if name.endswith("様") and len(name) > 1:
        name = name[:-1].rstrip()
    return name


def _lock_charges(session: Session, charge_ids: list[int]) -> list[Charge]:
    q = select(Charge).where(Charge.id.in_(sorted(set(charge_ids)))).order_by(Charge.id)
    if session.get_bind().dialect.name == "postgresql":
        # Two terminals paying the same charge: the second waits, then finds it paid.
        q = q.with_for_update()
    return list(session.scalars(q))


def take_payment(session: Session, actor: Actor, charge_ids: list[int], *, payer_name: str, purpose: str,
                 method: str = "cash", group_id: int | None = None, now: datetime | None = None,
                 terminal: str | None = None) -> ReceiptView:
    """Take a payment for open charges of one payer and issue the receipt (領収書)."""
    now = now or local_now()
    terminal = terminal or terminal_name()
    payer = _clean_payer(payer_name)
    if not payer or payer.replace(" ", "") in BANNED_PAYERS:
        raise ValidationError("宛名を入力してください（上様は使えません）。", field="payer_name")
    purpose = (purpose or "").strip()
    if not purpose:
        raise ValidationError("但し書きを入力してください（例：会議室使用料として）。", field="purpose")
    if method not in METHOD_LABELS:
        raise ValidationError("支払方法を選んでください。", field="method")
    if not charge_ids:
        raise ValidationError("領収する明細を選んでください。", field="charges")
    _check_open_day(session, now.date(), terminal, "領収")
    charges = _lock_charges(session, list(charge_ids))
    if len(charges) != len(set(charge_ids)):
        raise NotFound("選んだ明細の一部が見つかりません。画面を更新してください。")
    for c in charges:
        if c.status != "open":
            raise RuleError(f"「{c.description}」は既に{CHARGE_STATUS_LABELS[c.status]}です。画面を更新してください。")
    _check_reductions_go_along(session, charges)
    booking_ids = {c.booking_id for c in charges if c.booking_id is not None}
    if booking_ids:
        dead = session.scalars(select(Booking).where(Booking.id.in_(booking_ids),
                                                     Booking.status.in_(DEAD_STATUSES))).first()
        if dead is not None:
            raise RuleError(f"予約{dead.number}は取消・期限切れのため、その料金は領収できません。")
    payers = {("group", c.group_id) if c.group_id is not None else ("name", c.payer_name.strip())
              for c in charges}
    if len(payers) > 1:
        raise ValidationError("支払者の異なる明細は1枚の領収書にできません。支払者ごとに分けて領収してください。",
                              field="charges")
    total = sum(c.amount for c in charges)
    if total <= 0:
        raise ValidationError("0円の領収書は発行しません。", field="charges")
    schedule = get_fees(session)
    issued_by = _issuer(session)
    ts = tax_summary(FeeLine(c.description, c.quantity, c.unit_price, c.tax, c.kind) for c in charges)
    if group_id is None:
        group_id = next(iter({c.group_id for c in charges}))
    fy = jcal.fiscal_year(now.date())
    name = f"receipt:{fy}"
    seq = next_number(session, name)
    r = Receipt(fiscal_year=fy, seq=seq, receipt_no=f"{fy}-{seq:06d}", issued_at=now, payer_name=payer,
                group_id=group_id, purpose=purpose, method=method, total=ts.total, taxable10=ts.taxable10,
                tax10=ts.tax10, exempt=ts.exempt,
                # The receipt states its tax (うち消費税), so the duty is judged without it.
                stamp_duty=stamp_duty(ts.total, schedule.stamp_duty_applies, tax_stated=ts.tax10),
                invoice_number=issued_by.invoice_number, terminal=terminal, created_by=actor.id,
                # The issuer as it is now, kept with the receipt: a reissue or a voided copy prints these,
                # whatever the settings say later.
                # (Cut to the columns' sizes: the wizard keeps them shorter; PostgreSQL would refuse more.)
                issuer_centre_name=issued_by.centre_name[:200], issuer_operator=issued_by.operator[:200],
                issuer_address=issued_by.address[:300], issuer_phone=issued_by.phone[:40])
    session.add(r)
    session.flush()
    for c in charges:
        session.add(ReceiptLine(receipt_id=r.id, charge_id=c.id, description=c.description,
                                quantity=c.quantity, unit_price=c.unit_price, amount=c.amount, tax=c.tax))
        c.status, c.receipt_id = "paid", r.id
    session.flush()
    session.refresh(r, ["lines"])
    audit(session, actor, "pay", "receipt", r.id,
          f"領収書{r.receipt_no}：{payer}様 {yen(r.total)}（{METHOD_LABELS[method]}、{purpose}）",
          after={"receipt_no": r.receipt_no, "charges": [c.id for c in charges], "total": r.total,
                 "terminal": terminal}, now=now)
    return _receipt_views(session, [r])[0]


def void_receipt(session: Session, actor: Actor, receipt_id: int, reason: str, *, refund_method: str = "cash",
                 now: datetime | None = None, terminal: str | None = None) -> ReceiptView:
    """Void (取消) a receipt and record the refund (manager only); the receipt row stays as it was.

    The refund is the receipt's total less what 還付 rows (services.refunding, a cancelled booking paid on
    this receipt) already paid back; the audit row says so ("還付済み¥750を除く")."""
    require_manager(session, actor, "領収書の取消")
    now = now or local_now()
    terminal = terminal or terminal_name()
    if not reason or not reason.strip():
        raise ValidationError("取消理由を入力してください（例：宛名の誤り）。", field="reason")
    if refund_method not in METHOD_LABELS:
        raise ValidationError("返金方法を選んでください。", field="refund_method")
    # Lock the receipt so two managers voiding it at once on
    # PostgreSQL are serialised: the second waits, then finds the void below and gets the RuleError.
    # Without the lock its ReceiptVoid was autoflushed by the next query, outside the try below, and a
    # raw IntegrityError (receipt_voids_receipt_id_key) reached the desk. SQLite renders no FOR UPDATE.
    r = session.get(Receipt, receipt_id, with_for_update=True)
    if r is None:
        raise NotFound("領収書が見つかりません。")
    if session.scalar(select(ReceiptVoid.id).where(ReceiptVoid.receipt_id == r.id)):
        raise RuleError(f"領収書{r.receipt_no}は既に取消済みです。")
    _check_open_day(session, now.date(), terminal, "取消")
    # A cancelled booking's 還付 (services.refunding) already paid part of it back: only the rest now.
    refunded = int(session.scalar(select(func.coalesce(func.sum(Refund.amount), 0))
                                  .where(Refund.receipt_id == r.id)) or 0)
    refund_amount = r.total - refunded
    session.add(ReceiptVoid(receipt_id=r.id, at=now, staff_id=actor.id, reason=reason.strip(),
                            refund_amount=refund_amount, refund_method=refund_method, terminal=terminal))
    charges = list(session.scalars(select(Charge).where(Charge.receipt_id == r.id).order_by(Charge.id)))
    booking_status = dict(session.execute(select(Booking.id, Booking.status).where(
        Booking.id.in_({c.booking_id for c in charges if c.booking_id is not None}))).all())
    again = []
    for c in charges:
        c.status = "cancelled"  # keeps receipt_id: it still says which (voided) receipt paid it
        if c.booking_id is not None and booking_status.get(c.booking_id) in DEAD_STATUSES:
            continue  # the booking is gone: the refund settles it
        again.append(Charge(booking_id=c.booking_id, printing_log_id=c.printing_log_id, group_id=c.group_id,
                            payer_name=c.payer_name, kind=c.kind, description=c.description,
                            # the new charge still pays for the same insurance enrolment
                            enrolment_id=c.enrolment_id,
                            quantity=c.quantity, unit_price=c.unit_price, amount=c.amount, tax=c.tax,
                            status="open", created_at=now, created_by=actor.id))
    session.add_all(again)
    try:
        session.flush()
    except IntegrityError:  # another terminal voided it a moment ago (unique receipt_id)
        raise RuleError(f"領収書{r.receipt_no}は既に取消済みです。") from None
    already = f"、還付済み{yen(refunded)}を除く" if refunded else ""
    audit(session, actor, "void", "receipt", r.id,
          f"領収書{r.receipt_no}を取消（{reason.strip()}）返金{yen(refund_amount)}（{METHOD_LABELS[refund_method]}"
          f"{already}）",
          after={"refund": refund_amount, "refunded_before": refunded, "recharged": [c.id for c in again],
                 "terminal": terminal}, now=now)
    return _receipt_views(session, [r])[0]


# --------------------------------------------------------------------------- printing


def _issuer(session: Session, invoice_number: str | None = None) -> Issuer:
    profile = get_profile(session)
    schedule = get_fees(session)
    return Issuer(centre_name=profile.name, operator=schedule.operator or profile.operator,
                  address=profile.address, phone=profile.phone,
                  invoice_number=schedule.invoice_number if invoice_number is None else invoice_number)


def issuer(session: Session) -> Issuer:
    """The centre and operator as printed on receipts, slips and the cash-up today."""
    return _issuer(session)


def issuer_gaps(iss: Issuer) -> tuple[str, ...]:
    """What a receipt's issuer lacks to be a qualified invoice's (適格請求書): the 指定管理者 who issues it and
    its registration number (T + 13 digits with a right check digit)."""
    gaps = []
    if not (iss.operator or "").strip():
        gaps.append("指定管理者名")
    if not valid_invoice_number(iss.invoice_number or ""):
        gaps.append("登録番号")
    return tuple(gaps)


def issuer_warning(iss: Issuer) -> str:
    """The desk's warning while the issuer is incomplete, or '' when it is complete.

    Receipts are still issued (the desk must be able to take money), but nobody is left unaware."""
    gaps = issuer_gaps(iss)
    if not gaps:
        return ""
    return (f"領収書の発行者が未設定です（{'・'.join(gaps)}）。このまま発行すると領収書に載らず、適格請求書に"
            "なりません。管理者が「設定 → 料金」の「領収書の発行者」で設定してください。")


def _doc(session: Session, view: ReceiptView, reissue: bool) -> ReceiptDoc:
    return ReceiptDoc(
        receipt_no=view.receipt_no, issued_at=view.issued_at, payer_name=view.payer_name,
        purpose=view.purpose, lines=view.lines, total=view.total, taxable10=view.taxable10, tax10=view.tax10,
        exempt=view.exempt, method_label=view.method_label,
        # As issued; a receipt from before the issuer was kept prints today's (with its own T number).
        issuer=view.issuer or _issuer(session, view.invoice_number),
        stamp_duty=view.stamp_duty, reissue=reissue, voided=view.voided, staff_name=view.staff_name,
    )


def _receipt(session: Session, receipt_id: int) -> Receipt:
    r = session.get(Receipt, receipt_id)
    if r is None:
        raise NotFound("領収書が見つかりません。")
    return r


def get_receipt(session: Session, receipt_id: int) -> ReceiptView:
    return _receipt_views(session, [_receipt(session, receipt_id)])[0]


def receipt_doc(session: Session, receipt_id: int, *, reissue: bool | None = None) -> ReceiptDoc:
    """The receipt as it would print now, without recording a print (for the preview).

    ``reissue`` None: 再発行 exactly when the receipt has been printed before.
    """
    view = get_receipt(session, receipt_id)
    return _doc(session, view, view.print_count > 0 if reissue is None else reissue)


def record_print(session: Session, actor: Actor, receipt_id: int, *, layout: str,
                 now: datetime | None = None) -> ReceiptDoc:
    """Record a printing and return what to print: the first is the original, later ones 再発行."""
    now = now or local_now()
    layout = (layout or "").strip()
    if not layout or len(layout) > 10:
        raise ValidationError(f"用紙の形式を選んでください（{'・'.join(RECEIPT_LAYOUTS)}）。", field="layout")
    view = get_receipt(session, receipt_id)
    reissue = view.print_count > 0
    session.add(ReceiptPrint(receipt_id=view.id, at=now, staff_id=actor.id, reissue=reissue, layout=layout))
    if reissue:
        audit(session, actor, "reissue", "receipt", view.id,
              f"領収書{view.receipt_no}を再発行（{view.reissue_count + 1}回目、{layout}）", now=now)
    return _doc(session, view, reissue)


#: How many receipts a list shows at a time (newest first); the page says so and offers the next ones.
RECEIPT_PAGE = 200


@dataclass(frozen=True)
class ReceiptTotals:
    """Figures over every receipt a filter matches (not only the rows listed): one aggregate query."""

    count: int  # receipts issued, voided ones included
    voided: int
    valid_total: int  # 有効合計: the sum of the receipts not voided

    @property
    def valid(self) -> int:
        return self.count - self.voided


def _receipts_query(*, day: date | None, text: str, terminal: str | None) -> Select[Receipt]:
    """The receipts a filter matches, as a SELECT of Receipt (list_receipts and receipt_totals share it)."""
    q = select(Receipt)
    if day is not None:
        q = q.where(Receipt.issued_at >= datetime.combine(day, time()),
                    Receipt.issued_at < datetime.combine(day + timedelta(days=1), time()))
    if terminal:
        q = q.where(Receipt.terminal == terminal)

    found = contains(text, Receipt.receipt_no, Receipt.payer_name, Receipt.purpose)
    if found is not None:
        q = q.where(found)
    return q


def list_receipts(session: Session, *, day: date | None = None, text: str = "", terminal: str | None = None,
                  limit: int = RECEIPT_PAGE) -> list[ReceiptView]:
    """Receipts, newest first, optionally of one day / terminal and matching number, payer or purpose.

    At most ``limit`` of them: a caller showing the list says how many there are in all (receipt_totals).
    """
    q = _receipts_query(day=day, text=text, terminal=terminal)
    rows = list(session.scalars(q.order_by(Receipt.issued_at.desc(), Receipt.id.desc()).limit(limit)))
    return _receipt_views(session, rows)


def receipt_totals(session: Session, *, day: date | None = None, text: str = "",
                   terminal: str | None = None) -> ReceiptTotals:
    """How many receipts the filter matches and what the valid ones add up to, over all of them.

    One aggregate query in the database, so the 有効合計 of 全期間 is the whole period's, however many
    receipts the list shows (not the sum of the listed ones only).
    """
    sub = (_receipts_query(day=day, text=text, terminal=terminal)
           .with_only_columns(Receipt.id, Receipt.total).subquery())
    count, voided, valid_total = session.execute(
        select(func.count(sub.c.id), func.count(ReceiptVoid.id),
               func.coalesce(func.sum(case((ReceiptVoid.id.is_(None), sub.c.total), else_=0)), 0))
        .select_from(sub).outerjoin(ReceiptVoid, ReceiptVoid.receipt_id == sub.c.id)
    ).one()
    return ReceiptTotals(int(count or 0), int(voided or 0), int(valid_total or 0))


# --------------------------------------------------------------------------- daily cash-up


def cashup(session: Session, day: date, terminal: str) -> CashupDoc:
    """The daily cash-up (日計表) of one terminal: what it received and refunded that day.

    Receipts issued that day count as received even if voided later; voids done that day at this
    terminal (of any day's receipt) count as refunds, and so do the 還付 of cancelled paid bookings
    paid out that day at this terminal (services.refunding; ``doc.refunds`` lists them). Both by_method
    and by_kind end in refund rows (negative amounts: 返金（現金）…, 還付（現金）…; 取消・返金, 還付), so
    each list adds up to ``net`` and ``total_refunded`` holds both. ``extra['cash_expected']`` is the
    cash that should be in the drawer (cash received − cash refunded by voids − cash 還付).
    """
    lo, hi = datetime.combine(day, time()), datetime.combine(day + timedelta(days=1), time())
    receipts = list(session.scalars(select(Receipt).where(Receipt.issued_at >= lo, Receipt.issued_at < hi,
                                                          Receipt.terminal == terminal)
                                    .order_by(Receipt.issued_at, Receipt.id)))
    voids = list(session.scalars(select(ReceiptVoid).where(ReceiptVoid.at >= lo, ReceiptVoid.at < hi,
                                                           ReceiptVoid.terminal == terminal)
                                 .order_by(ReceiptVoid.at, ReceiptVoid.id)))
    voided_ids = set(session.scalars(select(ReceiptVoid.receipt_id).where(
        ReceiptVoid.receipt_id.in_([r.id for r in receipts])))) if receipts else set()
    void_receipts = {r.id: r for r in session.scalars(select(Receipt).where(
        Receipt.id.in_([v.receipt_id for v in voids])))} if voids else {}

    received: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in receipts:
        received[r.method][0] += 1
        received[r.method][1] += r.total
    refunded: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for v in voids:
        refunded[v.refund_method][0] += 1
        refunded[v.refund_method][1] += v.refund_amount
    # 還付 of cancelled paid bookings (services.refunding) paid out here that day: money out too.
    refunds = list(session.scalars(select(Refund).where(Refund.at >= lo, Refund.at < hi, Refund.terminal == terminal)
                                   .order_by(Refund.at, Refund.id)))
    rebated: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for f in refunds:
        rebated[f.method][0] += 1
        rebated[f.method][1] += f.amount
    by_method = [CashupRow(METHOD_LABELS[m], *received[m]) for m in METHOD_LABELS
                 if m == "cash" or m in received]
    by_method += [CashupRow(f"返金（{METHOD_LABELS[m]}）", refunded[m][0], -refunded[m][1]) for m in METHOD_LABELS
                  if m in refunded]
    by_method += [CashupRow(f"還付（{METHOD_LABELS[m]}）", rebated[m][0], -rebated[m][1]) for m in METHOD_LABELS
                  if m in rebated]

    kinds: dict[str, list[int]] = {k: [0, 0] for k in CATEGORY_LABELS}
    if receipts:
        rows = session.execute(
            select(ReceiptLine.amount, Charge.kind, Charge.printing_log_id)
            .outerjoin(Charge, Charge.id == ReceiptLine.charge_id)
            .where(ReceiptLine.receipt_id.in_([r.id for r in receipts]))
        ).all()
        for amount, kind, log_id in rows:
            cat = _kind_category(kind, log_id)  # insurance and 減免 have their own rows
            kinds[cat][0] += 1
            kinds[cat][1] += amount
    by_kind = [CashupRow(CATEGORY_LABELS[k], *v) for k, v in kinds.items()
               if k not in OPTIONAL_CATEGORIES or v[0]]
    total_received = sum(r.total for r in receipts)
    total_voided = sum(v.refund_amount for v in voids)
    total_rebated = sum(f.amount for f in refunds)
    total_refunded = total_voided + total_rebated
    if voids:
        by_kind.append(CashupRow("取消・返金", len(voids), -total_voided))
    if refunds:
        by_kind.append(CashupRow("還付", len(refunds), -total_rebated))

    closing = session.scalars(select(DayClosing).where(DayClosing.day == day,
                                                       DayClosing.terminal == terminal)).first()
    staff = _staff_names(session)
    cash_expected = received["cash"][1] - refunded["cash"][1] - rebated["cash"][1]
    extra = {"cash_expected": cash_expected, "receipt_count": len(receipts), "void_count": len(voids)}
    if refunds:
        extra["refund_count"] = len(refunds)
        extra["refund_total"] = total_rebated
    if closing is not None and closing.cash_counted is not None:
        extra["cash_difference"] = closing.cash_counted - cash_expected
    return CashupDoc(
        day=day, terminal=terminal, by_method=tuple(by_method), by_kind=tuple(by_kind),
        receipts=tuple((r.receipt_no, f"{r.issued_at:%H:%M}", r.payer_name, r.total,
                        "取消" if r.id in voided_ids else "") for r in receipts),
        voids=tuple((void_receipts[v.receipt_id].receipt_no, f"{v.at:%H:%M}", v.reason, v.refund_amount,
                     METHOD_LABELS.get(v.refund_method, v.refund_method)) for v in voids),
        refunds=tuple((f.refund_no, f"{f.at:%H:%M}", f"{f.booking_id:07d}", f.reason, f.amount,
                       METHOD_LABELS.get(f.method, f.method)) for f in refunds),
        total_received=total_received, total_refunded=total_refunded, net=total_received - total_refunded,
        closed_by=staff.get(closing.closed_by, "") if closing else "",
        closed_at=closing.closed_at if closing else None,
        cash_counted=closing.cash_counted if closing else None, issuer=_issuer(session), extra=extra,
    )


def is_day_closed(session: Session, day: date, terminal: str) -> bool:
    return bool(session.scalar(select(DayClosing.id).where(DayClosing.day == day,
                                                           DayClosing.terminal == terminal)))


def close_day(session: Session, actor: Actor, day: date, terminal: str, *, cash_counted: int | None = None,
              now: datetime | None = None) -> CashupDoc:
    """Close a terminal's day (日計の締め): afterwards it takes no payments or voids dated that day."""
    now = now or local_now()
    if cash_counted is not None and (isinstance(cash_counted, bool) or not isinstance(cash_counted, int)
                                     or cash_counted < 0):
        raise ValidationError("現金の実査額は0以上の数で入力してください。", field="cash_counted")
    if is_day_closed(session, day, terminal):
        raise RuleError(f"{jcal.format_slash(day)}の日計（端末「{terminal}」）は既に締めています。")
    doc = cashup(session, day, terminal)
    totals = {
        "received": doc.total_received, "refunded": doc.total_refunded, "net": doc.net,
        "by_method": {row.label: [row.count, row.amount] for row in doc.by_method},
        "by_kind": {row.label: [row.count, row.amount] for row in doc.by_kind},
        **doc.extra,
    }
    row = DayClosing(day=day, terminal=terminal, closed_at=now, closed_by=actor.id, totals=totals,
                     cash_counted=cash_counted)
    session.add(row)
    try:
        session.flush()
    except IntegrityError:  # another terminal of the same name closed it a moment ago
        raise RuleError(f"{jcal.format_slash(day)}の日計（端末「{terminal}」）は既に締めています。") from None
    audit(session, actor, "close", "day_closing", row.id,
          f"{jcal.format_slash(day)}の日計を締め（端末「{terminal}」、差引{yen(doc.net)}）", after=totals, now=now)
    return cashup(session, day, terminal)


__all__ = [
    "METHOD_LABELS", "CATEGORY_LABELS", "RECEIPT_LAYOUTS", "ChargeView", "ReceiptView", "open_charges",
    "charges_of_booking", "add_item_charge", "log_printing", "cancel_charge", "take_payment", "void_receipt",
    "issuer", "issuer_gaps", "issuer_warning", "get_receipt", "receipt_doc", "record_print", "list_receipts",
    "receipt_totals", "ReceiptTotals", "RECEIPT_PAGE", "cashup", "is_day_closed", "close_day",
]
