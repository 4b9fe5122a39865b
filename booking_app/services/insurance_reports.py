"""Activity insurance papers from the database (保険の証明・名簿・台帳・事故報告書): reads only.

Gathers what ``reports.insurance_pdf`` and ``reports.accident_pdf`` lay out: the certificate of one
enrolment, the enrolment list, the roster for the 社会福祉協議会 or insurer, the fiscal-year ledger and
the accident report (事故報告書), straight from the ORM
models (not through ``services.insurance``, so that the papers depend on the data alone).

An enrolment is *in force* when it is active and its premium is settled: either it costs nothing
and nothing is owed, or it has insurance charges that are not cancelled and every one of them is
paid. (An enrolment with a premium but no live charge is *not* in force: that is what a voided
receipt leaves behind, and nobody has paid for it.)

The fiscal year of an enrolment is its plan's (plans are rows per fiscal year). A person's cover on
the roster runs from their own start to the plan's end, or to the day before they left the roster;
someone removed before their cover began was never insured and is not listed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import PurePath
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking_app.domain import japanese_calendar as jcal
from booking_app.domain import insurance as rules
from booking_app.domain.documents import (
    AccidentReportDoc,
    CertificateDoc,
    CertPerson,
    EnrolmentRow,
    Issuer,
    LedgerDoc,
    PlanTotal,
    RosterRow,
)
from booking_app.domain.errors import NotFound, ValidationError
from booking_app.domain.insurance import SCHEMES, Plan
from booking_app.services.centre import get_profile
from booking_app.services.common import Actor, audit, local_now, require_manager
from booking_app.services.fees import get_fees
from booking_app.store.models import (
    AccidentReport,
    Charge,
    InsuranceEnrolment,
    InsurancePlan,
    InsuredPerson,
    MemberGroup,
    Receipt,
    Staff,
)

NOT_PAID_MESSAGE = "保険料が未払いのため加入証明は発行できません。"
STATUS_LABELS = {"in_force": "有効", "unpaid": "未払い", "cancelled": "取消"}
EXPORT_KINDS = ("roster", "ledger")
# What each scheme covers, as the certificate names it (補償の内容). A plan's own note is added when it
# speaks of cover (「地震・噴火・津波による傷害も補償。」).
COVER_TEXTS = {
    "city": "登録団体の自主的・無償・継続的・公益的な市民活動中の事故による、活動者のけが（傷害）と法律上の賠償責任",
    "volunteer": "ボランティア活動中の事故によるけが（傷害）と、他人にけがをさせたり物を壊したりしたときの法律上の賠償責任",
    "event": "行事の参加者の、行事中の事故によるけが（傷害）と法律上の賠償責任",
}


def cover_text(plan: Plan) -> str:
    """補償の内容 of a plan: its scheme's cover, and the plan's note when it says what else is covered."""
    text = COVER_TEXTS.get(plan.scheme, "")
    if plan.note and "補償" in plan.note:
        text = f"{text}。{plan.note}" if text else plan.note
    return text


def enrolment_number(enrolment_id: int) -> str:
    """'000012': the enrolment's number (加入番号) on every paper."""
    return f"{enrolment_id:06d}"


# --------------------------------------------------------------------------- gathering


@dataclass
class _Facts:
    """One enrolment with everything the papers need, loaded in a few queries."""

    e: InsuranceEnrolment
    plan: Plan
    fiscal_year: int
    reg_no: str
    people: list[InsuredPerson]
    live_charges: list[Charge]
    receipts: list[tuple[date, str]]  # (paid on, receipt number) of the paid charges, oldest first
    members: int | None = None  # the group's registered members (会員数)

    @property
    def cancelled(self) -> bool:
        return self.e.status != "active"

    @property
    def in_force(self) -> bool:
        if self.cancelled:
            return False
        if not self.live_charges:
            return self.e.premium == 0
        return all(c.status == "paid" for c in self.live_charges)

    @property
    def premium(self) -> int:
        """What the enrolment costs: its live charges (people added later have their own), or the
        recorded premium when there is no live charge."""
        return sum(c.amount for c in self.live_charges) if self.live_charges else self.e.premium

    @property
    def paid(self) -> int:
        return sum(c.amount for c in self.live_charges if c.status == "paid")

    @property
    def status_key(self) -> str:
        return "cancelled" if self.cancelled else "in_force" if self.in_force else "unpaid"

    @property
    def paid_on(self) -> date | None:
        return self.receipts[-1][0] if self.receipts and self.in_force else None

    def current_people(self, on: date | None = None) -> list[InsuredPerson]:
        """People on the roster (removed ones left out; with ``on``, those removed after it kept)."""
        return [p for p in self.people if p.removed_on is None or (on is not None and p.removed_on > on)]

    @property
    def insured(self) -> int:
        if self.people:
            return len(self.current_people())
        return self.e.head_count or 0

    def receipt_for(self, person: InsuredPerson) -> tuple[date, str] | None:
        """The receipt that paid for this person: the first paid on or after they were added (a person
        added later has a charge of their own), else the first of the enrolment."""
        for paid_on, no in self.receipts:
            if paid_on >= person.added_on:
                return paid_on, no
        return self.receipts[0] if self.receipts else None


def _facts(session: Session, enrolments: Iterable[InsuranceEnrolment]) -> list[_Facts]:
    enrolments = list(enrolments)
    if not enrolments:
        return []
    ids = [e.id for e in enrolments]
    plans = {p.id: p for p in session.scalars(select(InsurancePlan).where(
        InsurancePlan.id.in_({e.plan_id for e in enrolments})))}
    group_ids = {e.group_id for e in enrolments if e.group_id is not None}
    groups = {gid: (reg_no, members) for gid, reg_no, members in session.execute(
        select(MemberGroup.id, MemberGroup.reg_no, MemberGroup.members).where(MemberGroup.id.in_(group_ids)))} \
        if group_ids else {}
    people: dict[int | None, list[InsuredPerson]] = defaultdict(list)  # key: never None (the where)
    for p in session.scalars(select(InsuredPerson).where(InsuredPerson.enrolment_id.in_(ids))
                             .order_by(InsuredPerson.enrolment_id, InsuredPerson.id)):
        people[p.enrolment_id].append(p)
    charges: dict[int | None, list[Charge]] = defaultdict(list)  # key: never None (the where)
    for c in session.scalars(select(Charge).where(Charge.enrolment_id.in_(ids), Charge.kind == "insurance",
                                                  Charge.status != "cancelled").order_by(Charge.id)):
        charges[c.enrolment_id].append(c)
    receipt_ids = {c.receipt_id for cs in charges.values() for c in cs if c.status == "paid" and c.receipt_id}
    receipts = {r.id: r for r in session.scalars(select(Receipt).where(Receipt.id.in_(receipt_ids)))} \
        if receipt_ids else {}
    out = []
    for e in enrolments:
        row = plans[e.plan_id]
        paid = sorted({(receipts[c.receipt_id].issued_at.date(), receipts[c.receipt_id].receipt_no)
                       for c in charges[e.id] if c.status == "paid" and c.receipt_id in receipts})
        reg_no, members = groups.get(e.group_id, ("", None)) if e.group_id is not None else ("", None)
        out.append(_Facts(e, Plan.from_dict(row.data), row.fiscal_year, reg_no or "",
                          people[e.id], charges[e.id], paid, members))
    return out


def _year_facts(session: Session, fiscal_year: int, *, scheme: str | None = None,
                include_cancelled: bool = False) -> list[_Facts]:
    if scheme is not None and scheme not in SCHEMES:
        raise ValidationError(f"保険の種類「{scheme}」はありません。", field="scheme")
    q = (select(InsuranceEnrolment).join(InsurancePlan, InsurancePlan.id == InsuranceEnrolment.plan_id)
         .where(InsurancePlan.fiscal_year == fiscal_year).order_by(InsuranceEnrolment.id))
    if not include_cancelled:
        q = q.where(InsuranceEnrolment.status == "active")
    facts = _facts(session, session.scalars(q))
    if scheme is not None:
        facts = [f for f in facts if f.plan.scheme == scheme]
    # Scheme order as the desk thinks of them (city, volunteer, event), then plan, then number.
    order = {k: i for i, k in enumerate(SCHEMES)}
    facts.sort(key=lambda f: (order.get(f.plan.scheme, 9), f.plan.code, f.e.id))
    return facts


def issuer(session: Session) -> Issuer:
    """The centre and its operator as they sign a certificate (no invoice number: it is no invoice)."""
    profile = get_profile(session)
    schedule = get_fees(session)
    return Issuer(centre_name=profile.name, operator=schedule.operator or profile.operator,
                  address=profile.address, phone=profile.phone)


# --------------------------------------------------------------------------- the papers


def certificate_doc(session: Session, enrolment_id: int, *, today: date | None = None) -> CertificateDoc:
    """The certificate (加入証明書) of an enrolment in force; refuses one not in force, in Japanese."""
    e = session.get(InsuranceEnrolment, enrolment_id)
    if e is None:
        raise NotFound("保険の加入が見つかりません。画面を更新してください。")
    (f,) = _facts(session, [e])
    if f.cancelled:
        raise ValidationError("取り消された加入の証明は発行できません。", field="enrolment")
    if not f.in_force:
        raise ValidationError(NOT_PAID_MESSAGE, field="enrolment")
    today = today or local_now().date()
    people = tuple(CertPerson(p.name, p.kana, p.cover_start) for p in f.current_people(today))
    return CertificateDoc(
        certificate_no=enrolment_number(e.id), issued_on=today, holder_name=e.holder_name, group_reg_no=f.reg_no,
        plan_name=f.plan.name, scheme_label=SCHEMES.get(f.plan.scheme, f.plan.scheme), fiscal_year=f.fiscal_year,
        cover_start=e.cover_start, cover_end=e.cover_end, people=people,
        head_count=e.head_count if not f.people else None, premium=f.premium, paid_on=f.paid_on,
        receipt_nos=tuple(no for _d, no in f.receipts), issuer=issuer(session), event_name=e.event_name or "",
        event_place=e.event_place or "", event_start=e.event_start, event_end=e.event_end, cover=cover_text(f.plan))


def _row(f: _Facts) -> EnrolmentRow:
    e = f.e
    return EnrolmentRow(
        enrolment_id=e.id, number=enrolment_number(e.id), fiscal_year=f.fiscal_year,
        scheme_label=SCHEMES.get(f.plan.scheme, f.plan.scheme), plan_code=f.plan.code, plan_name=f.plan.name,
        holder_name=e.holder_name, reg_no=f.reg_no, event_name=e.event_name or "", event_place=e.event_place or "",
        event_start=e.event_start, event_end=e.event_end, applied_on=e.applied_on, cover_start=e.cover_start,
        cover_end=e.cover_end, insured=f.insured, premium=f.premium, paid=f.paid,
        status_label=STATUS_LABELS[f.status_key], in_force=f.in_force, paid_on=f.paid_on,
        receipt_nos=tuple(no for _d, no in f.receipts), roster=f.plan.roster,
        members=f.members if f.plan.roster == "none" else None)


def enrolment_list(session: Session, fiscal_year: int, *, scheme: str | None = None,
                   include_cancelled: bool = False) -> list[EnrolmentRow]:
    """Every enrolment of the fiscal year (paid or not), optionally of one scheme (city/volunteer/event)."""
    return [_row(f) for f in _year_facts(session, fiscal_year, scheme=scheme, include_cancelled=include_cancelled)]


def print_enrolment_list(session: Session, actor: Actor, fiscal_year: int, *, scheme: str | None = None,
                         file_name: str | None = None) -> list[EnrolmentRow]:
    """:func:`enrolment_list` for the 加入者一覧 PDF, recorded in the audit trail as one print run (which
    year and scheme, how many rows; never the names), so call it in a write transaction."""
    rows = enrolment_list(session, fiscal_year, scheme=scheme)
    which = f"（{SCHEMES.get(scheme, scheme)}）" if scheme else ""
    where = f"、{file_name}" if file_name else ""
    audit(session, actor, "print", "insurance_enrolment", None,
          f"{jcal.fiscal_year_label(fiscal_year)}の保険加入者一覧{which}を印刷（{len(rows)}件{where}）",
          after={"file": file_name or "", "rows": len(rows), "fiscal_year": fiscal_year, "filter": scheme or "all"})
    return rows


def roster_rows(session: Session, fiscal_year: int) -> list[RosterRow]:
    """The roster for the 社会福祉協議会 / insurer: one row per insured person of every enrolment in force
    (removed people with their 脱退日), or one row with the head count for a plan without a roster."""
    rows: list[RosterRow] = []
    for f in _year_facts(session, fiscal_year):
        if not f.in_force:
            continue
        e = f.e
        base: dict[str, Any] = dict(number=enrolment_number(e.id), scheme_label=SCHEMES.get(f.plan.scheme, f.plan.scheme),
                    plan_name=f.plan.name, holder_name=e.holder_name, reg_no=f.reg_no)
        if not f.people:
            first = f.receipts[0] if f.receipts else None
            rows.append(RosterRow(**base, name="", kana="", cover_start=e.cover_start, cover_end=e.cover_end,
                                  removed_on=None, premium=f.premium, paid_on=first[0] if first else None,
                                  receipt_no=first[1] if first else "", count=e.head_count))
            continue
        for p in f.people:
            if p.removed_on is not None and p.removed_on <= p.cover_start:
                continue  # left before their cover began: never insured
            end = e.cover_end if p.removed_on is None else min(e.cover_end, p.removed_on - timedelta(days=1))
            paid = f.receipt_for(p)
            premium = p.premium or (f.plan.premium if f.plan.premium_kind == "per_person_year" else None)
            rows.append(RosterRow(**base, name=p.name, kana=p.kana, cover_start=p.cover_start, cover_end=end,
                                  removed_on=p.removed_on, premium=premium, paid_on=paid[0] if paid else None,
                                  receipt_no=paid[1] if paid else ""))
    return rows


def ledger(session: Session, fiscal_year: int) -> LedgerDoc:
    """The fiscal-year ledger (保険加入台帳): every enrolment, and totals per plan and overall.

    Cancelled enrolments are listed but count in no total.
    """
    rows = enrolment_list(session, fiscal_year, include_cancelled=True)
    per_plan: dict[str, list[EnrolmentRow]] = defaultdict(list)
    for r in rows:
        if r.status_label != STATUS_LABELS["cancelled"]:
            per_plan[r.plan_code].append(r)

    def total(code: str, name: str, scheme: str, rs: list[EnrolmentRow]) -> PlanTotal:
        premium, paid = sum(r.premium for r in rs), sum(r.paid for r in rs)
        return PlanTotal(code, name, scheme, len(rs), sum(r.insured for r in rs), premium, paid, premium - paid)

    totals = tuple(total(code, rs[0].plan_name, rs[0].scheme_label, rs) for code, rs in per_plan.items())
    live = [r for rs in per_plan.values() for r in rs]
    return LedgerDoc(fiscal_year, tuple(rows), totals, total("", "合計", "", live))


# Where an accident report goes (DOMAIN: the city's plan reports to まちづくり政策課; the volunteer and event
# plans are the 社会福祉協議会's).
ACCIDENT_ADDRESSEES = {"city": "下関市 まちづくり政策課 御中", "volunteer": "下関市社会福祉協議会 御中",
                       "event": "下関市社会福祉協議会 御中"}


def accident_report_doc(session: Session, report_id: int, *, today: date | None = None) -> AccidentReportDoc:
    """The accident report (事故報告書) as printed: the report, its group, the insurance found for it and
    whether the day of the accident was covered (judged as the cover check judges it)."""
    r = session.get(AccidentReport, report_id)
    if r is None:
        raise NotFound("事故報告が見つかりません。画面を更新してください。")
    today = today or local_now().date()
    group = session.get(MemberGroup, r.group_id) if r.group_id is not None else None
    e = session.get(InsuranceEnrolment, r.enrolment_id) if r.enrolment_id is not None else None
    plan_name = enrolment_no = cover = addressee = ""
    holder = ""
    if e is not None:
        (f,) = _facts(session, [e])
        plan_name, enrolment_no, holder = f.plan.name, enrolment_number(e.id), e.holder_name
        addressee = ACCIDENT_ADDRESSEES.get(f.plan.scheme, "")
        day = r.occurred_at.date()
        person = next((p for p in f.people if p.name.replace(" ", "").replace("\u3000", "")
                       == r.person_name.replace(" ", "").replace("\u3000", "")), None)
        start = person.cover_start if person is not None else e.cover_start
        ans = rules.judge_cover(f.plan, day, start, e.cover_end, paid=f.in_force and e.status == "active",
                                removed_on=person.removed_on if person is not None else None)
        who = "" if person is not None or not f.people else "（名簿にこの氏名はありません）"
        cover = (f"事故の日（{jcal.format_slash(day)}）は補償期間内です{who}" if ans.covered
                 else f"事故の日（{jcal.format_slash(day)}）は補償なし：{ans.reason}")
        if f.cancelled:
            cover = "この加入は取り消されています。"
    staff = session.get(Staff, r.created_by)
    return AccidentReportDoc(
        report_no=f"{r.id:06d}", printed_on=today, addressee=addressee, person_name=r.person_name,
        reporter_name=r.reporter_name or "", reporter_phone=r.reporter_phone or "",
        group_name=group.name if group is not None else holder, group_reg_no=(group.reg_no or "") if group else "",
        occurred_at=r.occurred_at, place=r.place, description=r.description, injury=r.injury or "",
        damage=r.damage or "", witnesses=r.witnesses or "", plan_name=plan_name, enrolment_no=enrolment_no,
        cover_text=cover, deadline=r.deadline, status_label={"open": "未送付", "sent": "送付済", "closed": "完了"}
        .get(r.status, r.status), sent_on=r.sent_on, received_at=r.created_at,
        received_by=staff.name if staff is not None else "", issuer=issuer(session))


def export_insurance(session: Session, actor: Actor, fiscal_year: int, path: PurePath | str, *,
                     kind: str = "roster", file_name: str | None = None) -> list[RosterRow] | LedgerDoc:
    """The roster (``kind="roster"``: its rows) or the ledger (``"ledger"``: the document) of a fiscal year for
    the file ``path``, and the export recorded in the audit trail
    (which list, year, rows and file; never the names). Managers only, as both hold personal data.

    The caller writes the file with ``reports.insurance_pdf.write_insurance`` in the SAME transaction, so a
    file that cannot be written leaves no audit entry; ``file_name`` is the name to record when ``path`` is a
    temporary file."""
    require_manager(session, actor, "保険の名簿・台帳の書き出し")
    if kind not in EXPORT_KINDS:
        raise ValidationError(f"書き出す種類「{kind}」はありません（roster か ledger）。", field="kind")
    # The data as it is: the writer passes every cell through the one table writer's rule (a name typed as
    # '=…' or '＋…' gets its leading ' and stays text in Excel).
    data: list[RosterRow] | LedgerDoc
    if kind == "roster":
        data = roster_rows(session, fiscal_year)
        n = len(data)
    else:
        data = ledger(session, fiscal_year)
        n = len(data.rows)
    what = "加入者名簿" if kind == "roster" else "保険台帳"
    name = file_name or PurePath(path).name  # the real name when path is a temporary file
    audit(session, actor, "export", "insurance_enrolment", None,
          f"{jcal.fiscal_year_label(fiscal_year)}の{what}を書き出し（{n}行、{name}）",
          after={"file": name, "rows": n, "fiscal_year": fiscal_year, "filter": kind})
    return data


__all__ = ["ACCIDENT_ADDRESSEES", "accident_report_doc", "COVER_TEXTS", "cover_text", "certificate_doc", "enrolment_list", "print_enrolment_list", "roster_rows", "ledger", "export_insurance", "enrolment_number",
           "issuer", "NOT_PAID_MESSAGE", "EXPORT_KINDS"]
