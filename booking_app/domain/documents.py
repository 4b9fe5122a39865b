"""What the printed documents say, as plain data: services gather it, reports lay it out.

Receipts, usage slips and the cash-up (``reports.receipt_pdf``, ``slip_pdf``, ``cashup``), member cards
(``reports.member_cards``), and the insurance documents: certificate, enrolment list, roster, ledger
(``reports.insurance_pdf``) and the accident report (``reports.accident_pdf``). They live here, below both
services and reports, so that services build them without importing reports (the layers contract in
``.importlinter``). The reports modules re-export each under its old name.

Keeping them apart means a report never queries the database, and a test can render any document from
values it writes by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

# What a member card's QR code holds before the registration number (``FKG:0012``).
# services.groups imports CARD_PREFIX from here; ui.scanner.GROUP_PREFIX spells it again (a test keeps them equal).
CARD_PREFIX = "FKG:"


# --------------------------------------------------------------------------- receipts, slips, cash-up

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
class RefundDoc:
    """A refund slip (還付の控え) of a cancelled paid booking: one per refund row (services.refunding).

    ``paid`` is what the booking's lines on the original receipt came to (a 減免 line included), ``rate``
    the percent the refund rules gave and ``amount`` the yen paid back (rounded down); ``why_text`` says
    which rule (domain.refunds.RefundDecision) and ``reason`` why the booking was cancelled."""

    refund_no: str
    at: datetime
    payer_name: str  # printed with 様, as on the receipt
    booking_no: str
    room_name: str
    start: datetime
    end: datetime
    receipt_no: str
    paid: int
    rate: int
    amount: int
    why_text: str
    reason: str
    method_label: str
    issuer: Issuer
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
    # 減免 (issue 18): the yen its reduction lines take off (positive; fee_total is already net of it) and
    # the code's label (「障がい者団体 50%」, services.reductions.reduction_label); 0 and '' without one.
    reduction: int = 0
    reduction_label: str = ""


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
    extra: dict[str, int] = field(default_factory=dict)  # cash_expected, receipt_count, … (see services.payments)
    # 還付 of cancelled paid bookings paid out that day: (refund number, time, booking number, reason, refund,
    # method); they are in by_method, by_kind, total_refunded and net too (services.payments.cashup).
    refunds: tuple[tuple[str, str, str, str, int, str], ...] = ()


# --------------------------------------------------------------------------- member cards


@dataclass(frozen=True)
class CardData:
    """What one member card (登録団体証) shows."""

    reg_no: str
    name: str
    kana: str
    group_type_label: str
    valid_until: date
    centre_name: str
    centre_phone: str = ""

    @property
    def qr_value(self) -> str:
        return CARD_PREFIX + self.reg_no



# --------------------------------------------------------------------------- insurance


@dataclass(frozen=True)
class CertPerson:
    """One insured person as the certificate lists them."""

    name: str
    kana: str
    cover_start: date


@dataclass(frozen=True)
class CertificateDoc:
    """An insurance certificate (加入証明書) for one enrolment that is in force."""

    certificate_no: str  # the enrolment number
    issued_on: date
    holder_name: str
    group_reg_no: str  # '' when the holder is not a registered group
    plan_name: str
    scheme_label: str  # 市民活動保険 / ボランティア活動保険 / 行事用保険
    fiscal_year: int
    cover_start: date
    cover_end: date
    people: tuple[CertPerson, ...]
    head_count: int | None  # plans without a roster
    premium: int
    paid_on: date | None  # None: nothing to pay (the city's scheme)
    receipt_nos: tuple[str, ...]
    issuer: Issuer
    event_name: str = ""
    event_place: str = ""
    event_start: date | None = None
    event_end: date | None = None
    cover: str = ""  # 補償の内容: what the plan covers, in words


@dataclass(frozen=True)
class EnrolmentRow:
    """One enrolment in the enrolment list and the ledger (加入一覧)."""

    enrolment_id: int
    number: str
    fiscal_year: int
    scheme_label: str
    plan_code: str
    plan_name: str
    holder_name: str
    reg_no: str
    event_name: str
    event_place: str
    event_start: date | None
    event_end: date | None
    applied_on: date
    cover_start: date
    cover_end: date
    insured: int  # people on the roster (not removed), or the head count
    premium: int
    paid: int
    status_label: str  # 有効 / 未払い / 取消
    in_force: bool
    paid_on: date | None
    receipt_nos: tuple[str, ...]
    roster: str = "required"  # the plan's: required | head_count | none (a group enrolment, the city's)
    members: int | None = None  # the group's registered members (会員数), for a plan without a roster


@dataclass(frozen=True)
class RosterRow:
    """One insured person (or one head-count enrolment) in the roster for the 社会福祉協議会 / insurer."""

    number: str  # 加入番号
    scheme_label: str  # 保険種類
    plan_name: str  # プラン
    holder_name: str  # 団体名
    reg_no: str  # 登録番号
    name: str  # 氏名 ('' for a head count)
    kana: str  # フリガナ
    cover_start: date  # 補償開始日
    cover_end: date  # 補償終了日 (the day before removal, for someone removed)
    removed_on: date | None  # 脱退日
    premium: int | None  # 保険料
    paid_on: date | None  # 入金日
    receipt_no: str  # 領収書番号
    count: int | None = 1  # 人数: 1 a person, the head count, or None (the city's scheme: no count)


@dataclass(frozen=True)
class PlanTotal:
    """Totals of one plan in the fiscal-year ledger."""

    plan_code: str
    plan_name: str
    scheme_label: str
    enrolments: int
    insured: int
    premium: int
    paid: int
    unpaid: int


@dataclass(frozen=True)
class LedgerDoc:
    """The fiscal-year ledger (保険加入台帳): every enrolment and the premiums, with totals per plan.

    Cancelled enrolments are listed (status 取消) but left out of every total.
    """

    fiscal_year: int
    rows: tuple[EnrolmentRow, ...]
    totals: tuple[PlanTotal, ...]
    grand: PlanTotal



@dataclass(frozen=True)
class AccidentReportDoc:
    """One accident report as printed."""

    report_no: str
    printed_on: date
    addressee: str  # 「下関市 まちづくり政策課 御中」, or '' when the insurance is not known
    person_name: str
    reporter_name: str
    reporter_phone: str
    group_name: str  # the registered group, or the enrolment's holder (an event's organiser)
    group_reg_no: str
    occurred_at: datetime
    place: str
    description: str
    injury: str
    damage: str
    witnesses: str
    plan_name: str  # '' when no enrolment was found
    enrolment_no: str
    cover_text: str  # 「事故の日は補償あり：…」 or why not, or that it is not known
    deadline: date
    status_label: str  # 未送付 / 送付済 / 完了
    sent_on: date | None
    received_at: datetime
    received_by: str
    issuer: Issuer



# --------------------------------------------------------------------------- the lottery (抽選, issue 18)
# The lottery's papers (``reports.lottery_pdf``): the 受付控 handed to a group when an entry is taken, the month's
# entry list for the counter, the result sheet per group and the public list by entry number (no names).
# Slots arrive as the text the desk shows (「大会議室 2027/03/05(金) 夜間 18:00〜22:00」): the report prints
# them as they are and never looks a room or a period up.

# How the draw works, in the words of docs/design.md 「抽選のアルゴリズム」 (the services may pass their own).
LOTTERY_RULE_TEXT = (
    "抽選の方法：申し込んだ団体の順番を、記録される乱数の種（シード）から決めます。その順に1団体1回ずつ、"
    "受付番号の若い申込から、空いている最も上位の希望を当選とします（2区分以上の希望は全部そろう時だけ当選）。"
    "これを一巡ずつ繰り返すので、他の団体が1件目を待っている間に2件目を取る団体はありません。"
)
# How a group or an evaluator can check a draw (printed on the result sheet and the public list).
LOTTERY_CHECK_TEXT = (
    "確認の方法：抽選の記録（シードとダイジェスト）はセンターで保管しています。同じシードで抽選をやり直すと"
    "同じ結果とダイジェストになることを、窓口でいつでも確かめられます。"
)


@dataclass(frozen=True)
class LotteryWishLine:
    """One 希望 of an entry as printed: ``rank`` 1 = 第1希望; its slots are needed together (all or nothing)."""

    rank: int
    slot_texts: tuple[str, ...]  # 「大会議室 2027/03/05(金) 夜間 18:00〜22:00」, one per 区分


@dataclass(frozen=True)
class LotteryEntryDoc:
    """The 受付控 of one lottery entry (抽選申込), handed to the group at the counter or posted after a call."""

    centre_name: str
    centre_phone: str
    month: date  # the month of use (its first day)
    entry_no: str  # 受付番号
    group_name: str
    group_reg_no: str
    channel: str  # 窓口 | 電話
    taken_at: datetime
    staff_name: str
    wishes: tuple[LotteryWishLine, ...]
    entry_open: date  # the entry window, both days inclusive
    entry_close: date
    draw_on: date
    confirm_by: date  # a 当選 仮予約 must be confirmed by this day
    first_come_from: date  # the slots left open are booked first-come from this day
    draw_rule: str = LOTTERY_RULE_TEXT


@dataclass(frozen=True)
class LotteryEntryListRow:
    """One entry in the month's entry list."""

    entry_no: str
    group_name: str
    group_reg_no: str
    wishes: tuple[LotteryWishLine, ...]
    status_label: str  # 受付 / 取下げ / 当選（第1希望） / 落選 …
    channel: str = ""  # 窓口 | 電話
    taken_at: datetime | None = None


@dataclass(frozen=True)
class LotteryEntryListDoc:
    """The month's entry list (抽選申込一覧) for the counter, in 受付番号 order."""

    centre_name: str
    month: date  # the month of use (its first day)
    printed_at: datetime
    rows: tuple[LotteryEntryListRow, ...]
    entry_open: date
    entry_close: date
    draw_on: date


@dataclass(frozen=True)
class LotteryResultLine:
    """The outcome of one entry of a group: 当選 (the wish won, its slots, the 仮予約 number) or 落選 (why)."""

    entry_no: str
    wishes: tuple[LotteryWishLine, ...]
    won_rank: int | None  # None: 落選
    won_slots: tuple[str, ...] = ()  # the slot texts of the wish won
    hold_no: str = ""  # the 仮予約's booking number(s), 「0001234・0001235」
    lost_reason: str = ""  # allocation.LOST_REASONS_JA's text for a 落選

    @property
    def won(self) -> bool:
        return self.won_rank is not None


@dataclass(frozen=True)
class LotteryResultDoc:
    """The result sheet (抽選結果通知) of one group for one lottery month."""

    centre_name: str
    centre_phone: str
    month: date  # the month of use (its first day)
    group_name: str
    group_reg_no: str
    lines: tuple[LotteryResultLine, ...]  # the group's entries in 受付番号 order
    confirm_by: date
    first_come_from: date
    seed: str
    digest: str
    drawn_at: datetime
    order_position: int  # the group's place in the draw order (1 = first)
    order_size: int  # how many groups were in the draw
    draw_rule: str = LOTTERY_RULE_TEXT
    how_to_check: str = LOTTERY_CHECK_TEXT


@dataclass(frozen=True)
class LotteryPublicRow:
    """One entry of the public list: its number and 当選（第n希望） or 落選, nothing that names a group."""

    entry_no: str
    won_rank: int | None  # None: 落選


@dataclass(frozen=True)
class LotteryPublicListDoc:
    """The public list of a draw (抽選結果一覧) for the notice board and the web: by 受付番号 only."""

    centre_name: str
    month: date  # the month of use (its first day)
    rows: tuple[LotteryPublicRow, ...]
    seed: str
    digest: str
    drawn_at: datetime
    confirm_by: date
    how_to_check: str = LOTTERY_CHECK_TEXT
