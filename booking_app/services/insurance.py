"""Activity insurance at the desk (活動保険): plans per fiscal year, enrolments, cover checks, accidents.

The pure rules (premiums, when cover starts and ends, excluded events) live in
``booking_app.domain.insurance``; this module keeps the records:

* plans are rows per fiscal year (``InsurancePlan``); the first look at a year copies the previous
  year's rows (or the shipped defaults), so a new year's premiums are entered without touching the
  plans, or the premiums, of old enrolments;
* an enrolment's premium is charged as an ordinary open Charge (kind 'insurance', tax 'exempt',
  ``enrolment_id`` set) and paid through ``payments.take_payment``; the enrolment is in force only
  once every live charge of it is paid;
* people added later get their own start (the day after being added) and their own charge; their
  charge's description carries the day they were added (「2026/11/01加入分」), which is how a person
  is matched to the charge that pays for them, also after a receipt was voided and charged again;
* removing a person only sets ``removed_on`` and the reason: no row is rewritten or deleted;
* annual enrolments end on 31 March by their ``cover_end``: nothing has to run at the year's end.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from booking_app.domain import japanese_calendar as jcal
from booking_app.domain import insurance as rules
from booking_app.domain.errors import NotFound, RuleError, ValidationError
from booking_app.domain.errors import RosterError as RosterError  # re-export: its old home
from booking_app.domain.fees import yen
from booking_app.domain.insurance import EVENT_EXCLUSIONS, SCHEMES, Plan
from booking_app.domain.kana import search_key
from booking_app.services.text_search import contains, matches
from booking_app.services.common import Actor, audit, local_now, require_manager
from booking_app.services.groups import verdict
from booking_app.services.tabular import (
    TableIssue,
    cell_text,
    data_rows,
    find_header,
    fold,
    heading_lookup,
    read_table,
    require_legible,
)
from booking_app.store.models import (
    AccidentReport,
    Charge,
    InsuranceEnrolment,
    InsurancePlan,
    InsuredPerson,
    MemberGroup,
)

ROSTER_SHEET = "名簿"
ROSTER_COLUMNS = {
    "氏名": ("名前", "氏名（漢字）", "被保険者氏名", "name"),
    "フリガナ": ("ふりがな", "カナ", "よみがな", "読み", "氏名カナ", "kana"),
}
NAME_MAX, KANA_MAX = 100, 200
ACCIDENT_STATUS_LABELS = {"open": "未送付", "sent": "送付済", "closed": "完了"}
_KANA = re.compile(r"^[\u3041-\u309f\u30a0-\u30ff\u30fc・ 　]*$")


# --------------------------------------------------------------------------- views


@dataclass(frozen=True)
class PlanInfo:
    """A plan row of one fiscal year (年度の保険プラン)."""

    id: int
    fiscal_year: int
    plan: Plan
    active: bool = True

    @property
    def code(self) -> str:
        return self.plan.code

    @property
    def name(self) -> str:
        return self.plan.name

    @property
    def scheme_label(self) -> str:
        return SCHEMES.get(self.plan.scheme, self.plan.scheme)


@dataclass(frozen=True)
class PersonInput:
    """One person for a roster (被保険者), as typed, pasted or imported."""

    name: str
    kana: str = ""


@dataclass(frozen=True)
class PersonView:
    """A person on an enrolment's roster, removed ones included (removed_on set)."""

    id: int
    name: str
    kana: str
    cover_start: date
    removed_on: date | None
    removed_reason: str
    added_on: date | None = None
    premium: int = 0
    paid: bool = True


@dataclass(frozen=True)
class EnrolmentView:
    """An enrolment (保険加入) as the insurance screen and the reports show it."""

    id: int
    plan_code: str
    plan_name: str
    scheme: str
    group_id: int | None
    holder_name: str
    event_name: str
    event_place: str
    event_start: date | None
    event_end: date | None
    applied_on: date
    cover_start: date
    cover_end: date
    premium: int
    paid: bool
    in_force: bool
    status: str
    people: tuple[PersonView, ...]
    head_count: int | None
    open_charge_ids: tuple[int, ...]
    # Added beyond the agreed API (all defaulted, so fakes built with the fields above still work).
    plan_id: int = 0
    fiscal_year: int = 0
    expected_participants: int | None = None
    event_kinds: tuple[str, ...] = ()
    charge_ids: tuple[int, ...] = ()
    note: str = ""
    group_name: str = ""

    @property
    def scheme_label(self) -> str:
        return SCHEMES.get(self.scheme, self.scheme)

    @property
    def insured_count(self) -> int:
        """People on the roster now (removed ones not counted), or the head count of a plan without one."""
        if self.people:
            return sum(1 for p in self.people if p.removed_on is None)
        return self.head_count or 0

    @property
    def state_label(self) -> str:
        if self.status == "cancelled":
            return "取消"
        return "有効" if self.in_force else "未払い"


@dataclass(frozen=True)
class CoverResult:
    """One answer of the cover check (補償の確認): by which plan, and if not, why not."""

    enrolment_id: int
    plan_name: str
    holder_name: str
    person_name: str
    covered: bool
    reason: str
    person_id: int | None = None
    cover_start: date | None = None
    cover_end: date | None = None
    scheme: str = ""


@dataclass(frozen=True)
class AccidentView:
    """An accident report (事故報告) with its deadline for reporting to the city or insurer."""

    id: int
    person_name: str
    occurred_at: datetime
    place: str
    description: str
    injury: str
    damage: str
    plan_name: str
    holder_name: str
    deadline: date
    days_left: int
    status: str
    sent_on: date | None
    enrolment_id: int | None = None
    group_id: int | None = None
    reporter_name: str = ""
    reporter_phone: str = ""
    witnesses: str = ""
    group_name: str = ""  # the registered group's name ('' when none was named)

    @property
    def status_label(self) -> str:
        return ACCIDENT_STATUS_LABELS.get(self.status, self.status)

    @property
    def overdue(self) -> bool:
        return self.status == "open" and self.days_left < 0


# --------------------------------------------------------------------------- plans


def _plan_info(row: InsurancePlan) -> PlanInfo:
    return PlanInfo(row.id, row.fiscal_year, Plan.from_dict(row.data), bool(row.active))


def _plan_rows(session: Session, fiscal_year: int) -> list[InsurancePlan]:
    return list(session.scalars(select(InsurancePlan).where(InsurancePlan.fiscal_year == fiscal_year)
                                .order_by(InsurancePlan.id)))


def _ensure_year(session: Session, fiscal_year: int, actor: Actor | None, now: datetime) -> list[InsurancePlan]:
    rows = _plan_rows(session, fiscal_year)
    if rows:
        return rows
    previous = session.scalar(select(func.max(InsurancePlan.fiscal_year))
                              .where(InsurancePlan.fiscal_year < fiscal_year))
    if previous is not None:
        source = [(r.code, dict(r.data), r.active) for r in _plan_rows(session, previous)]
    else:
        source = [(p.code, p.to_dict(), True) for p in rules.default_plans()]
    rows = [InsurancePlan(fiscal_year=fiscal_year, code=code, data=data, active=active, created_at=now,
                          created_by=actor.id if actor else None) for code, data, active in source]
    session.add_all(rows)
    session.flush()
    if actor is not None:
        origin = f"{jcal.fiscal_year_label(previous)}から複写" if previous is not None else "既定値"
        audit(session, actor, "create", "insurance_plan", None,
              f"{jcal.fiscal_year_label(fiscal_year)}の保険プラン{len(rows)}件を作成（{origin}）",
              after={"fiscal_year": fiscal_year, "codes": [r.code for r in rows]}, now=now)
    return rows


def plans_for_year(session: Session, fiscal_year: int, *, actor: Actor | None = None,
                   include_inactive: bool = False, now: datetime | None = None) -> list[PlanInfo]:
    """The plans of a fiscal year; the first call for a year creates its rows (call it in a write session).

    New rows copy the most recent earlier year's (or the shipped defaults), so changing the new
    year's premiums leaves old years, and the enrolments made under them, as they were.
    """
    rows = _ensure_year(session, fiscal_year, actor, now or local_now())  # now: the demo's fixed clock
    return [_plan_info(r) for r in rows if include_inactive or r.active]


def save_plan(session: Session, actor: Actor, fiscal_year: int, plan: Plan, *, active: bool = True,
              now: datetime | None = None) -> PlanInfo:
    """Enter or change a plan of one fiscal year (manager only); other years are not touched."""
    require_manager(session, actor, "保険プランの変更")
    now = now or local_now()
    plan.validate()
    if not plan.code.strip() or not plan.name.strip():
        raise ValidationError("プランのコードと名称を入力してください。", field="code")
    _ensure_year(session, fiscal_year, actor, now)
    row = session.scalars(select(InsurancePlan).where(InsurancePlan.fiscal_year == fiscal_year,
                                                      InsurancePlan.code == plan.code)).first()
    before = dict(row.data) | {"active": row.active} if row is not None else None
    if row is None:
        row = InsurancePlan(fiscal_year=fiscal_year, code=plan.code, data=plan.to_dict(), active=active,
                            created_at=now, created_by=actor.id)
        session.add(row)
    else:
        row.data, row.active = plan.to_dict(), active
    session.flush()
    audit(session, actor, "update" if before else "create", "insurance_plan", row.id,
          f"{jcal.fiscal_year_label(fiscal_year)}の保険プラン「{plan.name}」を保存"
          f"（{yen(plan.premium)}{'' if active else '、使用停止'}）",
          before=before, after=plan.to_dict() | {"active": active}, now=now)
    return _plan_info(row)


def _plan_of(session: Session, plan_id: int) -> tuple[InsurancePlan, Plan]:
    row = session.get(InsurancePlan, plan_id)
    if row is None:
        raise NotFound("保険プランが見つかりません。")
    return row, Plan.from_dict(row.data)


# --------------------------------------------------------------------------- people


def _clean_name(text: str) -> str:
    return re.sub(r"[\s\u3000]+", " ", text or "").strip()


def _clean_kana(text: str) -> str:
    # Half-width katakana (ｱｲｳ) as old PCs type it becomes full width.
    return _clean_name(unicodedata.normalize("NFKC", text or ""))


def _person_problems(name: str, kana: str) -> list[tuple[str, str]]:
    problems = []
    if not name:
        problems.append(("氏名", "氏名がありません。"))
    elif len(name) > NAME_MAX:
        problems.append(("氏名", f"氏名が長すぎます（{NAME_MAX}文字まで）。"))
    elif any(unicodedata.category(ch) == "Cc" for ch in name):
        # A pasted NUL or other control character (PostgreSQL refuses NUL in text).
        problems.append(("氏名", "氏名に使えない文字（制御文字）が含まれています。"))
    if len(kana) > KANA_MAX:
        problems.append(("フリガナ", f"フリガナが長すぎます（{KANA_MAX}文字まで）。"))
    elif kana and not _KANA.match(kana):
        problems.append(("フリガナ", f"フリガナ「{kana}」はカタカナかひらがなで入力してください。"))
    return problems


def _checked_people(people: Iterable[PersonInput]) -> list[PersonInput]:
    out, seen = [], set()
    for i, p in enumerate(people, start=1):
        name, kana = _clean_name(p.name), _clean_kana(p.kana)
        problems = _person_problems(name, kana)
        if problems:
            raise ValidationError(f"名簿の{i}人目：{problems[0][1]}", field="people")
        key = (search_key(name), search_key(kana))
        if key in seen:
            raise ValidationError(f"名簿に「{name}」が2回あります。", field="people")
        seen.add(key)
        out.append(PersonInput(name, kana))
    return out


def _split_premium(total: int, n: int) -> list[int]:
    """Each person's share of a charge, adding up to it exactly (the first ones take the remainder)."""
    if n <= 0:
        return []
    base, rest = divmod(total, n)
    return [base + (1 if i < rest else 0) for i in range(n)]


def _batch_marker(day: date) -> str:
    return f"{jcal.format_slash(day)}加入分"


def _charge_description(plan: Plan, n: int, day: date, *, days: int = 1, added: bool = False) -> str:
    what = f"追加{n}名" if added else f"{n}名"
    span = f"・{days}日" if plan.premium_kind == "per_person_day" and days > 1 else ""
    if plan.premium_kind == "per_person_trip":
        span = f"・{days - 1}泊{days}日"
    return f"{plan.name} 保険料（{what}{span}・{_batch_marker(day)}）"


def _add_charge(session: Session, actor: Actor, e: InsuranceEnrolment, plan: Plan, amount: int, n: int,
                day: date, payer: str, now: datetime, *, days: int = 1, added: bool = False) -> Charge:
    # A plain per-person line (350円 × 12名) when no minimum or per-day figure hides the unit price.
    if plan.premium_kind == "per_person_year" and amount == plan.premium * n:
        quantity, unit = n, plan.premium
    else:
        quantity, unit = 1, amount
    c = Charge(enrolment_id=e.id, group_id=e.group_id, payer_name=payer, kind="insurance",
               description=_charge_description(plan, n, day, days=days, added=added)[:200], quantity=quantity,
               unit_price=unit, amount=quantity * unit, tax="exempt", status="open", created_at=now,
               created_by=actor.id)
    session.add(c)
    session.flush()
    return c


def _add_people(session: Session, actor: Actor, e: InsuranceEnrolment, people: list[PersonInput], day: date,
                start: date, shares: list[int]) -> list[InsuredPerson]:
    rows = [InsuredPerson(enrolment_id=e.id, name=p.name, kana=p.kana,
                          search_text="|".join(k for k in (search_key(p.name), search_key(p.kana)) if k),
                          added_on=day, cover_start=start, removed_on=None, removed_reason="", premium=share,
                          created_by=actor.id)
             for p, share in zip(people, shares, strict=True)]
    session.add_all(rows)
    session.flush()
    return rows


# --------------------------------------------------------------------------- enrolment


def _check_roster(plan: Plan, people: list[PersonInput], head_count: int | None) -> int:
    """How many are insured; refuses a roster the plan does not take, or a missing one."""
    if head_count is not None and (isinstance(head_count, bool) or not isinstance(head_count, int)
                                   or head_count < 1):
        raise ValidationError("人数は1以上の数で入力してください。", field="head_count")
    if plan.roster == "none":
        if people or head_count:
            raise ValidationError(f"{plan.name}は名簿や人数の登録が要りません（団体として加入します）。",
                                  field="people")
        return 0
    if plan.roster == "head_count":
        if people:
            raise ValidationError(f"{plan.name}は名簿なしのプランです。人数だけを入力してください。", field="people")
        if not head_count:
            raise ValidationError(f"{plan.name}は参加人数を入力してください。", field="head_count")
        return head_count
    if head_count is not None:
        raise ValidationError(f"{plan.name}は人数ではなく名簿（氏名・フリガナ）で加入します。", field="head_count")
    if not people:
        raise ValidationError(f"{plan.name}は加入者の名簿が必要です。氏名を1人以上入力してください。", field="people")
    return len(people)


def _today(applied_on: date | None, now: datetime) -> date:
    applied_on = applied_on or now.date()
    if applied_on > now.date():
        raise ValidationError("加入手続きの日に未来の日付は使えません。", field="applied_on")
    return applied_on


def _group(session: Session, group_id: int) -> MemberGroup:
    g = session.get(MemberGroup, group_id)
    if g is None:
        raise NotFound("団体が見つかりません。")
    return g


def enrol_group(session: Session, actor: Actor, *, plan_id: int, group_id: int,
                people: Sequence[PersonInput] = (), head_count: int | None = None, applied_on: date | None = None,
                now: datetime | None = None) -> EnrolmentView:
    """Enrol a group in an annual plan (市民活動保険・ボランティア活動保険) and charge the premium.

    Cover runs from the day after ``applied_on`` (or from 1 April for next year's plan taken in
    March) to 31 March of the plan's fiscal year.
    """
    now = now or local_now()
    applied_on = _today(applied_on, now)
    row, plan = _plan_of(session, plan_id)
    if not row.active:
        raise RuleError(f"{plan.name}（{jcal.fiscal_year_label(row.fiscal_year)}）は使用停止中です。")
    if plan.cover_end != "fiscal_year_end":
        raise ValidationError(f"{plan.name}は行事ごとの保険です。行事の加入から手続きしてください。", field="plan_id")
    g = _group(session, group_id)
    if plan.registered_only:
        v = verdict(g, applied_on)
        if not g.reg_no or not v.good:
            why = v.reason if g.reg_no else "登録団体ではありません。"
            raise RuleError(f"{plan.name}は登録団体（有効）のみ加入できます。「{g.name}」：{why}")
    people = _checked_people(people)
    n = _check_roster(plan, people, head_count)
    fy_start, fy_end = jcal.fiscal_year_range(row.fiscal_year)
    if row.fiscal_year > jcal.fiscal_year(applied_on) + 1:
        raise RuleError(f"{jcal.fiscal_year_label(row.fiscal_year)}のプランはまだ受け付けていません。")
    start = max(rules.cover_start(applied_on), fy_start)
    if start > fy_end:
        raise RuleError(f"{plan.name}（{jcal.fiscal_year_label(row.fiscal_year)}）の期間は終わっています。"
                        "新しい年度のプランで加入してください。")
    dup = session.scalar(select(InsuranceEnrolment.id).where(
        InsuranceEnrolment.plan_id == row.id, InsuranceEnrolment.group_id == g.id,
        InsuranceEnrolment.status == "active"))
    if dup is not None:
        raise RuleError(f"「{g.name}」は{jcal.fiscal_year_label(row.fiscal_year)}の{plan.name}に既に加入しています。"
                        "人を増やすときは、その加入に追加してください。")
    amount = rules.premium(plan, n)
    e = InsuranceEnrolment(plan_id=row.id, group_id=g.id, holder_name=g.name, event_name="", event_place="",
                           event_kinds=[], head_count=head_count, applied_on=applied_on, cover_start=start,
                           cover_end=fy_end, premium=amount, status="active", note="", created_at=now,
                           created_by=actor.id)
    session.add(e)
    session.flush()
    _add_people(session, actor, e, people, applied_on, start, _split_premium(amount, len(people)))
    if amount > 0:
        _add_charge(session, actor, e, plan, amount, n, applied_on, g.name, now)
    audit(session, actor, "create", "insurance_enrolment", e.id,
          f"{g.name}：{plan.name}に加入（{_who(n, plan)}、{jcal.format_slash(start)}〜{jcal.format_slash(fy_end)}、"
          f"保険料{yen(amount)}）",
          after={"plan": plan.code, "fiscal_year": row.fiscal_year, "group_id": g.id, "people": len(people),
                 "head_count": head_count, "premium": amount, "cover_start": start, "cover_end": fy_end}, now=now)
    return get_enrolment(session, e.id)


def _who(n: int, plan: Plan) -> str:
    return "団体として" if plan.roster == "none" else f"{n}名"


def enrol_event(session: Session, actor: Actor, *, plan_id: int, holder_name: str, group_id: int | None = None,
                event_name: str, event_place: str, event_start: date, event_end: date,
                expected_participants: int, event_kinds: Iterable[str] = frozenset(),
                people: Sequence[PersonInput] = (), head_count: int | None = None, indoor_or_bounded: bool = True,
                applied_on: date | None = None, now: datetime | None = None) -> EnrolmentView:
    """Enrol one event (行事用保険): per person per day, or per trip for overnight plans.

    Refused, with the reason, for an excluded kind of event, a roster-less plan outside an indoor or
    bounded venue, or an event that starts before cover could (the day after the application).
    Cover runs over the event's days.
    """
    now = now or local_now()
    applied_on = _today(applied_on, now)
    row, plan = _plan_of(session, plan_id)
    if not row.active:
        raise RuleError(f"{plan.name}（{jcal.fiscal_year_label(row.fiscal_year)}）は使用停止中です。")
    if plan.cover_end != "event_end":
        raise ValidationError(f"{plan.name}は年度単位の保険です。団体の加入から手続きしてください。", field="plan_id")
    g = _group(session, group_id) if group_id is not None else None
    holder = _clean_name(holder_name) or (g.name if g else "")
    if not holder:
        raise ValidationError("主催者（団体名・氏名）を入力してください。", field="holder_name")
    event_name, event_place = _clean_name(event_name), _clean_name(event_place)
    if not event_name:
        raise ValidationError("行事名を入力してください。", field="event_name")
    if not event_place:
        raise ValidationError("行事の場所を入力してください。", field="event_place")
    if (isinstance(expected_participants, bool) or not isinstance(expected_participants, int)
            or expected_participants < 1):
        raise ValidationError("参加予定人数は1以上の数で入力してください。", field="expected_participants")
    days = rules.event_days(event_start, event_end)
    kinds = {k for k in event_kinds if k}
    rules.check_event_kind(plan, kinds)
    if plan.venue == "indoor_or_bounded" and not indoor_or_bounded:
        raise RuleError(f"{plan.name}は屋内か、区切られて出入りを確認できる会場の行事にだけ使えます。"
                        "名簿のあるプランを選んでください。")
    first = rules.cover_start(applied_on)
    if event_start < first:
        raise RuleError(f"行事用保険は手続きの翌日（{jcal.format_slash(first)}）から補償されます。"
                        f"{jcal.format_slash(event_start)}に始まる行事には間に合いません。")
    people = _checked_people(people)
    if plan.roster == "head_count" and head_count is None and not people:
        head_count = expected_participants  # the plan insures the head count written on the form
    n = _check_roster(plan, people, head_count)
    amount = rules.premium(plan, n, days=days)
    e = InsuranceEnrolment(plan_id=row.id, group_id=g.id if g else None, holder_name=holder, event_name=event_name,
                           event_place=event_place, event_start=event_start, event_end=event_end,
                           event_kinds=sorted(kinds), expected_participants=expected_participants,
                           head_count=head_count, applied_on=applied_on, cover_start=event_start,
                           cover_end=event_end, premium=amount, status="active", note="", created_at=now,
                           created_by=actor.id)
    session.add(e)
    session.flush()
    _add_people(session, actor, e, people, applied_on, event_start, _split_premium(amount, len(people)))
    if amount > 0:
        _add_charge(session, actor, e, plan, amount, n, applied_on, holder, now, days=days)
    audit(session, actor, "create", "insurance_enrolment", e.id,
          f"{holder}：{event_name}（{jcal.format_slash(event_start)}〜{jcal.format_slash(event_end)}、{event_place}）"
          f"を{plan.name}に加入（{n}名、保険料{yen(amount)}）",
          after={"plan": plan.code, "fiscal_year": row.fiscal_year, "event_name": event_name, "people": len(people),
                 "head_count": head_count, "premium": amount, "days": days}, now=now)
    return get_enrolment(session, e.id)


def _enrolment(session: Session, enrolment_id: int) -> InsuranceEnrolment:
    e = session.get(InsuranceEnrolment, enrolment_id)
    if e is None:
        raise NotFound("保険の加入が見つかりません。")
    return e


def add_people(session: Session, actor: Actor, enrolment_id: int, people: Sequence[PersonInput], *,
               on: date | None = None, now: datetime | None = None) -> EnrolmentView:
    """Add people to an enrolment's roster: each covered from the day after ``on``, with a charge of their own."""
    now = now or local_now()
    on = on or now.date()
    e = _enrolment(session, enrolment_id)
    row, plan = _plan_of(session, e.plan_id)
    if e.status != "active":
        raise RuleError("取り消された加入には追加できません。")
    if plan.roster != "required":
        raise RuleError(f"{plan.name}は名簿のないプランです。")
    if on > now.date():
        raise ValidationError("追加の日に未来の日付は使えません。", field="on")
    if on < e.applied_on:
        raise ValidationError("追加の日は加入手続きの日以降にしてください。", field="on")
    start = max(rules.cover_start(on), e.cover_start)
    if start > e.cover_end:
        raise RuleError(f"この加入の補償は{jcal.format_slash(e.cover_end)}で終わるため、追加できません。")
    people = _checked_people(people)
    if not people:
        raise ValidationError("追加する人の氏名を入力してください。", field="people")
    existing = list(session.scalars(select(InsuredPerson).where(InsuredPerson.enrolment_id == e.id)))
    on_roster = {(search_key(p.name), search_key(p.kana)) for p in existing if p.removed_on is None}
    for p in people:
        if (search_key(p.name), search_key(p.kana)) in on_roster:
            raise RuleError(f"「{p.name}」は既に名簿にあります。")
    days = rules.event_days(e.event_start, e.event_end) if e.event_start and e.event_end else 1
    # Removed people were paid for and are not refunded, so they still count towards the minimum.
    before = len(existing)
    amount = rules.premium(plan, before + len(people), days=days) - rules.premium(plan, before, days=days)
    amount = max(amount, 0)
    _add_people(session, actor, e, people, on, start, _split_premium(amount, len(people)))
    if amount > 0:
        payer = e.holder_name
        _add_charge(session, actor, e, plan, amount, len(people), on, payer, now, days=days, added=True)
    e.premium += amount
    audit(session, actor, "add_people", "insurance_enrolment", e.id,
          f"{e.holder_name}：{plan.name}に{len(people)}名を追加（{jcal.format_slash(start)}から、保険料{yen(amount)}）",
          after={"names": [p.name for p in people], "on": on, "cover_start": start, "premium": amount}, now=now)
    return get_enrolment(session, e.id)


def remove_person(session: Session, actor: Actor, person_id: int, reason: str, *, on: date | None = None,
                  now: datetime | None = None) -> EnrolmentView:
    """Take a person off the roster from ``on`` (not covered from that day); the row and premium stay."""
    now = now or local_now()
    on = on or now.date()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("名簿から外す理由を入力してください（例：退会）。", field="reason")
    p = session.get(InsuredPerson, person_id)
    if p is None:
        raise NotFound("名簿の人が見つかりません。")
    if p.removed_on is not None:
        raise RuleError(f"「{p.name}」は{jcal.format_slash(p.removed_on)}に名簿から外れています。")
    if on < p.added_on:
        raise ValidationError("外す日は名簿に加えた日以降にしてください。", field="on")
    p.removed_on, p.removed_reason = on, reason
    audit(session, actor, "remove_person", "insurance_enrolment", p.enrolment_id,
          f"「{p.name}」を{jcal.format_slash(on)}から名簿から外した（{reason}）",
          after={"person_id": p.id, "removed_on": on, "reason": reason}, now=now)
    return get_enrolment(session, p.enrolment_id)


def cancel_enrolment(session: Session, actor: Actor, enrolment_id: int, reason: str, *,
                     now: datetime | None = None) -> EnrolmentView:
    """Cancel an enrolment that is not paid (its open charges are cancelled); a paid one needs its receipt voided."""
    now = now or local_now()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("取消理由を入力してください。", field="reason")
    e = _enrolment(session, enrolment_id)
    if e.status == "cancelled":
        raise RuleError("この加入は既に取り消されています。")
    charges = list(session.scalars(select(Charge).where(Charge.enrolment_id == e.id)))
    if any(c.status == "paid" for c in charges):
        raise RuleError("保険料が支払済みのため取り消せません。先に領収書を取り消して（返金して）ください。")
    for c in charges:
        if c.status == "open":
            c.status = "cancelled"
    e.status = "cancelled"
    e.note = f"{e.note}\n取消：{reason}".strip()
    audit(session, actor, "cancel", "insurance_enrolment", e.id, f"{e.holder_name}：保険の加入を取消（{reason}）",
          after={"reason": reason, "charges": [c.id for c in charges if c.status == "cancelled"]}, now=now)
    return get_enrolment(session, e.id)


# --------------------------------------------------------------------------- reading enrolments


@dataclass
class _Loaded:
    plans: dict[int, InsurancePlan] = field(default_factory=dict)
    people: dict[int, list[InsuredPerson]] = field(default_factory=lambda: defaultdict(list))
    # by enrolment id; the key type admits Charge.enrolment_id's None, which the query never yields
    charges: dict[int | None, list[Charge]] = field(default_factory=lambda: defaultdict(list))
    groups: dict[int, str] = field(default_factory=dict)


def _load(session: Session, enrolments: list[InsuranceEnrolment]) -> _Loaded:
    """Plans, rosters, charges and group names of many enrolments in four lookups."""
    out = _Loaded()
    if not enrolments:
        return out
    ids = [e.id for e in enrolments]
    plan_ids = {e.plan_id for e in enrolments}
    out.plans = {p.id: p for p in session.scalars(select(InsurancePlan).where(InsurancePlan.id.in_(plan_ids)))}
    for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
        for p in session.scalars(select(InsuredPerson).where(InsuredPerson.enrolment_id.in_(chunk))
                                 .order_by(InsuredPerson.id)):
            out.people[p.enrolment_id].append(p)
        for c in session.scalars(select(Charge).where(Charge.enrolment_id.in_(chunk)).order_by(Charge.id)):
            out.charges[c.enrolment_id].append(c)
    gids = {e.group_id for e in enrolments if e.group_id is not None}
    if gids:
        out.groups = dict(session.execute(select(MemberGroup.id, MemberGroup.name)
                                          .where(MemberGroup.id.in_(gids))).all())
    return out


def _all_paid(charges: list[Charge]) -> bool | None:
    """True/False when there are live charges, None when there are none."""
    live = [c for c in charges if c.status != "cancelled"]
    return all(c.status == "paid" for c in live) if live else None


def _enrolment_paid(e: InsuranceEnrolment, charges: list[Charge]) -> bool:
    if e.premium == 0:
        return True
    return bool(_all_paid(charges))


def _batch_paid(e: InsuranceEnrolment, charges: list[Charge], day: date, own_premium: int) -> bool:
    """Whether what pays for the people added on ``day`` is paid (the whole enrolment's if nothing was charged)."""
    if e.premium == 0:
        return True
    marker = _batch_marker(day)
    mine = _all_paid([c for c in charges if marker in c.description])
    if mine is not None:
        return mine
    if own_premium == 0:  # added within the minimum premium: covered once the first charge is paid
        return bool(_all_paid([c for c in charges if _batch_marker(e.applied_on) in c.description]))
    return False


def _view(e: InsuranceEnrolment, loaded: _Loaded) -> EnrolmentView:
    row = loaded.plans[e.plan_id]
    plan = Plan.from_dict(row.data)
    charges = loaded.charges.get(e.id, [])
    paid = _enrolment_paid(e, charges)
    people = tuple(
        PersonView(p.id, p.name, p.kana, p.cover_start, p.removed_on, p.removed_reason, p.added_on, p.premium,
                   _batch_paid(e, charges, p.added_on, p.premium))
        for p in loaded.people.get(e.id, []))
    return EnrolmentView(
        id=e.id, plan_code=plan.code, plan_name=plan.name, scheme=plan.scheme, group_id=e.group_id,
        holder_name=e.holder_name, event_name=e.event_name, event_place=e.event_place, event_start=e.event_start,
        event_end=e.event_end, applied_on=e.applied_on, cover_start=e.cover_start, cover_end=e.cover_end,
        premium=e.premium, paid=paid, in_force=e.status == "active" and paid, status=e.status, people=people,
        head_count=e.head_count, open_charge_ids=tuple(c.id for c in charges if c.status == "open"),
        plan_id=row.id, fiscal_year=row.fiscal_year, expected_participants=e.expected_participants,
        event_kinds=tuple(e.event_kinds or ()), charge_ids=tuple(c.id for c in charges), note=e.note,
        group_name=loaded.groups.get(e.group_id, "") if e.group_id is not None else "",
    )


def _views(session: Session, enrolments: list[InsuranceEnrolment]) -> list[EnrolmentView]:
    loaded = _load(session, enrolments)
    return [_view(e, loaded) for e in enrolments]


def get_enrolment(session: Session, enrolment_id: int) -> EnrolmentView:
    return _views(session, [_enrolment(session, enrolment_id)])[0]


def list_enrolments(session: Session, *, fiscal_year: int | None = None, group_id: int | None = None,
                    unpaid_only: bool = False, text: str = "", include_cancelled: bool = True
                    ) -> list[EnrolmentView]:
    """Enrolments, newest first: of a fiscal year (the plan's), of a group, unpaid ones, or matching text.

    ``text`` matches the holder, the event, the group's name or reading, and the names on the roster.
    """
    q = select(InsuranceEnrolment).join(InsurancePlan, InsurancePlan.id == InsuranceEnrolment.plan_id)
    if fiscal_year is not None:
        q = q.where(InsurancePlan.fiscal_year == fiscal_year)
    if group_id is not None:
        q = q.where(InsuranceEnrolment.group_id == group_id)
    if unpaid_only or not include_cancelled:
        q = q.where(InsuranceEnrolment.status == "active")

    found = contains(text, InsuranceEnrolment.holder_name, InsuranceEnrolment.event_name)
    if found is not None:
        in_roster = select(InsuredPerson.enrolment_id).where(matches(text, keyed=[InsuredPerson.search_text]))
        in_group = select(MemberGroup.id).where(matches(text, keyed=[MemberGroup.search_text]))
        q = q.where(or_(found, InsuranceEnrolment.id.in_(in_roster), InsuranceEnrolment.group_id.in_(in_group)))
    rows = list(session.scalars(q.order_by(InsuranceEnrolment.applied_on.desc(), InsuranceEnrolment.id.desc())))
    views = _views(session, rows)
    if unpaid_only:
        views = [v for v in views if not v.paid]
    return views


# --------------------------------------------------------------------------- cover check


def _not_cancelled_near(day: date) -> tuple[ColumnElement[bool], ...]:
    # An enrolment more than a year away from the day says nothing useful at the counter.
    return (InsuranceEnrolment.status == "active",
            InsuranceEnrolment.cover_end >= day - timedelta(days=366),
            InsuranceEnrolment.applied_on <= day + timedelta(days=366))


def check_cover(session: Session, *, day: date, group_id: int | None = None, person: str = "",
                enrolment_id: int | None = None) -> list[CoverResult]:
    """Whether a group, a person or an event is covered on ``day``, by which plan, and if not, why.

    An empty list means no enrolment was found. Covered answers come first. A person is looked up
    by name or reading on the rosters (within the group when ``group_id`` is given); plans without a
    roster (the city's, head-count plans) answer for the group or event as a whole.
    """
    person_key = search_key((person or "").strip())
    q = select(InsuranceEnrolment)
    if enrolment_id is not None:
        q = q.where(InsuranceEnrolment.id == enrolment_id)
    else:
        q = q.where(*_not_cancelled_near(day))
    if group_id is not None:
        q = q.where(InsuranceEnrolment.group_id == group_id)
    if person_key and enrolment_id is None:

        roster = select(InsuredPerson.enrolment_id).where(matches(person, keyed=[InsuredPerson.search_text]))
        if group_id is None:
            q = q.where(InsuranceEnrolment.id.in_(roster))
    elif enrolment_id is None and group_id is None:
        return []
    enrolments = list(session.scalars(q.order_by(InsuranceEnrolment.cover_start.desc(), InsuranceEnrolment.id)))
    loaded = _load(session, enrolments)
    out: list[CoverResult] = []
    for e in enrolments:
        row = loaded.plans[e.plan_id]
        plan = Plan.from_dict(row.data)
        charges = loaded.charges.get(e.id, [])
        people = loaded.people.get(e.id, [])
        if e.status == "cancelled":
            out.append(CoverResult(e.id, plan.name, e.holder_name, "", False, "この加入は取り消されています。",
                                   cover_start=e.cover_start, cover_end=e.cover_end, scheme=plan.scheme))
            continue
        if person_key and people:
            hits = [p for p in people if person_key in p.search_text]
            for p in hits:
                ans = rules.judge_cover(plan, day, p.cover_start, e.cover_end,
                                        paid=_batch_paid(e, charges, p.added_on, p.premium), removed_on=p.removed_on)
                out.append(CoverResult(e.id, plan.name, e.holder_name, p.name, ans.covered, ans.reason, p.id,
                                       p.cover_start, e.cover_end, plan.scheme))
            continue
        if person_key and not people and plan.roster == "required":
            continue
        # The enrolment as a whole: people added later and not yet paid do not take its cover away.
        paid = _batch_paid(e, charges, e.applied_on, 1)
        ans = rules.judge_cover(plan, day, e.cover_start, e.cover_end, paid=paid)
        out.append(CoverResult(e.id, plan.name, e.holder_name, "", ans.covered, ans.reason, None,
                               e.cover_start, e.cover_end, plan.scheme))
    out.sort(key=lambda r: not r.covered)  # stable: covered first, then the newest
    return out


# --------------------------------------------------------------------------- accidents


def _accident_views(session: Session, reports: list[AccidentReport], today: date) -> list[AccidentView]:
    enrolments = {e.id: e for e in session.scalars(select(InsuranceEnrolment).where(
        InsuranceEnrolment.id.in_({r.enrolment_id for r in reports if r.enrolment_id is not None})))} \
        if any(r.enrolment_id for r in reports) else {}
    plans = {p.id: Plan.from_dict(p.data).name for p in session.scalars(select(InsurancePlan).where(
        InsurancePlan.id.in_({e.plan_id for e in enrolments.values()})))} if enrolments else {}
    gids = {r.group_id for r in reports if r.group_id is not None}
    groups: dict[int | None, str] = dict(session.execute(select(MemberGroup.id, MemberGroup.name)
                                  .where(MemberGroup.id.in_(gids))).all()) if gids else {}
    out = []
    for r in reports:
        e = enrolments.get(r.enrolment_id) if r.enrolment_id is not None else None
        out.append(AccidentView(
            id=r.id, person_name=r.person_name, occurred_at=r.occurred_at, place=r.place, description=r.description,
            injury=r.injury, damage=r.damage, plan_name=plans.get(e.plan_id, "") if e else "",
            holder_name=e.holder_name if e else groups.get(r.group_id, ""), deadline=r.deadline,
            days_left=(r.deadline - today).days, status=r.status, sent_on=r.sent_on, enrolment_id=r.enrolment_id,
            group_id=r.group_id, reporter_name=r.reporter_name or "", reporter_phone=r.reporter_phone or "",
            witnesses=r.witnesses or "", group_name=groups.get(r.group_id, "")))
    return out


_PHONE_DASHES = re.compile(r"[‐‑‒–—―−ー－]")
ACCIDENT_FIELD_LABELS = {"person_name": "事故にあった人の氏名", "reporter_name": "報告者の氏名",
                         "reporter_phone": "報告者の電話番号", "place": "発生場所", "description": "事故の状況",
                         "injury": "けがの内容", "damage": "損害の内容", "witnesses": "目撃者"}


def accident_phone(text: str) -> str:
    """A contact number as the insurer will dial it: width folded, every dash a hyphen ('083-000-0000').

    Refuses anything else with the field named: the digits of a Japanese number (10 or 11, from 0),
    or +81 and the number without its 0; hyphens, spaces and brackets may stand between them.
    """
    phone = re.sub(r"\s+", " ", _PHONE_DASHES.sub("-", unicodedata.normalize("NFKC", text or ""))).strip()
    label = ACCIDENT_FIELD_LABELS["reporter_phone"]
    if not phone:
        raise ValidationError(f"{label}を入力してください（保険会社・市からの連絡先）。", field="reporter_phone")
    digits = re.sub(r"\D", "", phone)
    shape = re.fullmatch(r"\+?[0-9(][0-9\- ()]*[0-9]", phone) is not None
    national = "0" + digits[2:] if phone.startswith("+") and digits.startswith("81") else digits
    ok = shape and national.startswith("0") and not national.startswith("00") and 10 <= len(national) <= 11
    if not ok:
        raise ValidationError(f"{label}「{phone}」は電話番号の形ではありません。083-000-0000 や 090-1234-5678 のように、"
                              "0から始まる10桁か11桁の数字で入力してください（ハイフンは入れても入れなくても構いません）。",
                              field="reporter_phone")
    return phone


def file_accident(session: Session, actor: Actor, *, enrolment_id: int | None = None, group_id: int | None = None,
                  person_name: str, occurred_at: datetime, place: str, description: str, injury: str = "",
                  damage: str = "", reporter_name: str = "", reporter_phone: str = "", witnesses: str = "",
                  now: datetime | None = None) -> AccidentView:
    """Record an accident report (事故報告); its deadline counts from the day of the accident.

    What the insurer asks: who was hurt (or caused the damage), who reports it and how to reach them,
    the group, when, where, how, the injury or damage, and who saw it. The reporter's name and a
    telephone number in the shape of one are required; witnesses may be 「なし」 or left empty.
    Without an enrolment, the group's enrolment covering the person on that day is used, if any.
    """
    now = now or local_now()
    person_name, place = _clean_name(person_name), _clean_name(place)
    reporter_name = _clean_name(reporter_name)
    description, witnesses = (description or "").strip(), (witnesses or "").strip()
    # A pasted NUL or other control character is refused (PostgreSQL refuses NUL in text; found once the
    # tests stopped reading the wall clock). Line breaks and tabs are fine in the free texts.
    texts = {"person_name": (person_name, 100), "reporter_name": (reporter_name, 100),
             "reporter_phone": (reporter_phone or "", 40), "place": (place, 200), "description": (description, None),
             "injury": (injury or "", None), "damage": (damage or "", None), "witnesses": (witnesses, None)}
    for fld, (text, limit) in texts.items():
        label = ACCIDENT_FIELD_LABELS[fld]
        if any(unicodedata.category(ch) == "Cc" and ch not in "\n\r\t" for ch in text):
            raise ValidationError(f"{label}に使えない文字（制御文字）が含まれています。入力し直してください。",
                                  field=fld)
        if limit is not None and len(text) > limit:
            raise ValidationError(f"{label}が長すぎます（{limit}文字まで）。", field=fld)
    if not person_name:
        raise ValidationError("事故にあった人（または損害を与えた相手）の氏名を入力してください。", field="person_name")
    if not reporter_name:
        raise ValidationError("報告者の氏名を入力してください（保険会社・市から問い合わせる相手）。", field="reporter_name")
    reporter_phone = accident_phone(reporter_phone)
    if not place:
        raise ValidationError("事故の場所を入力してください。", field="place")
    if not description:
        raise ValidationError("事故の状況を入力してください。", field="description")
    if occurred_at > now:
        raise ValidationError("事故の日時に未来の日時は使えません。", field="occurred_at")
    if enrolment_id is not None:
        e = _enrolment(session, enrolment_id)
        group_id = e.group_id if group_id is None else group_id
    elif group_id is not None:
        _group(session, group_id)
        found = [r for r in check_cover(session, day=occurred_at.date(), group_id=group_id, person=person_name)
                 if r.covered] or [r for r in check_cover(session, day=occurred_at.date(), group_id=group_id)
                                   if r.covered]
        enrolment_id = found[0].enrolment_id if found else None
    r = AccidentReport(enrolment_id=enrolment_id, group_id=group_id, person_name=person_name,
                       reporter_name=reporter_name, reporter_phone=reporter_phone, witnesses=witnesses,
                       occurred_at=occurred_at, place=place, description=description, injury=(injury or "").strip(),
                       damage=(damage or "").strip(), deadline=rules.report_deadline(occurred_at.date()),
                       status="open", sent_on=None, created_at=now, created_by=actor.id)
    session.add(r)
    session.flush()
    audit(session, actor, "create", "accident_report", r.id,
          f"事故報告：{person_name}（{occurred_at:%Y/%m/%d %H:%M}、{place}）報告期限{jcal.format_slash(r.deadline)}",
          after={"enrolment_id": enrolment_id, "group_id": group_id, "deadline": r.deadline}, now=now)
    return _accident_views(session, [r], now.date())[0]


def _report(session: Session, report_id: int) -> AccidentReport:
    r = session.get(AccidentReport, report_id)
    if r is None:
        raise NotFound("事故報告が見つかりません。")
    return r


def mark_accident_sent(session: Session, actor: Actor, report_id: int, *, sent_on: date | None = None,
                       now: datetime | None = None) -> AccidentView:
    """Record that the report went to the city or insurer (送付済)."""
    now = now or local_now()
    sent_on = sent_on or now.date()
    r = _report(session, report_id)
    if r.status != "open":
        raise RuleError(f"この事故報告は既に{ACCIDENT_STATUS_LABELS[r.status]}です。")
    if sent_on < r.occurred_at.date():
        raise ValidationError("送付日は事故の日以降にしてください。", field="sent_on")
    r.status, r.sent_on = "sent", sent_on
    late = "（期限後）" if sent_on > r.deadline else ""
    audit(session, actor, "send", "accident_report", r.id,
          f"事故報告（{r.person_name}）を{jcal.format_slash(sent_on)}に送付{late}", after={"sent_on": sent_on}, now=now)
    return _accident_views(session, [r], now.date())[0]


def close_accident(session: Session, actor: Actor, report_id: int, *, now: datetime | None = None) -> AccidentView:
    """Close a sent report once the insurer has settled it (完了)."""
    now = now or local_now()
    r = _report(session, report_id)
    if r.status != "sent":
        raise RuleError("送付済みの事故報告だけを完了にできます。")
    r.status = "closed"
    audit(session, actor, "close", "accident_report", r.id, f"事故報告（{r.person_name}）を完了", now=now)
    return _accident_views(session, [r], now.date())[0]


def accidents_due(session: Session, *, today: date, within_days: int = 7) -> list[AccidentView]:
    """Open reports whose deadline is within ``within_days`` of today or past, soonest first (home screen)."""
    rows = list(session.scalars(select(AccidentReport).where(
        AccidentReport.status == "open", AccidentReport.deadline <= today + timedelta(days=within_days))
        .order_by(AccidentReport.deadline, AccidentReport.id)))
    return _accident_views(session, rows, today)


def list_accidents(session: Session, *, status: str | None = None, today: date | None = None) -> list[AccidentView]:
    """Accident reports, newest accident first, optionally of one status (open | sent | closed)."""
    q = select(AccidentReport)
    if status:
        q = q.where(AccidentReport.status == status)
    rows = list(session.scalars(q.order_by(AccidentReport.occurred_at.desc(), AccidentReport.id.desc())))
    return _accident_views(session, rows, today or local_now().date())


# --------------------------------------------------------------------------- renewal


def renewal_candidates(session: Session, fiscal_year: int) -> list[EnrolmentView]:
    """Last year's annual enrolments of groups not yet enrolled in the same plan this year (the April list).

    Matched by group and plan code, so a group that renewed the city's plan but not its members'
    ボランティア活動保険 still appears for the latter.
    """
    q = (select(InsuranceEnrolment, InsurancePlan).join(InsurancePlan, InsurancePlan.id == InsuranceEnrolment.plan_id)
         .where(InsuranceEnrolment.status == "active", InsuranceEnrolment.group_id.is_not(None),
                InsurancePlan.fiscal_year.in_((fiscal_year - 1, fiscal_year))))
    last, this = [], set()
    for e, row in session.execute(q):
        if row.data.get("cover_end", "fiscal_year_end") != "fiscal_year_end":
            continue  # event insurance is not renewed
        if row.fiscal_year == fiscal_year:
            this.add((e.group_id, row.code))
        else:
            last.append((e, row.code))
    todo = [e for e, code in last if (e.group_id, code) not in this]
    return sorted(_views(session, todo), key=lambda v: (v.plan_code, v.holder_name, v.id))


# --------------------------------------------------------------------------- rosters


def _split_line(line: str) -> tuple[str, str]:
    """A pasted line as (name, kana): split at a tab or a comma, else the trailing words in kana are the kana."""
    if "\t" in line or re.search(r"[,，、]", line):
        parts = [x.strip() for x in re.split(r"\t|[,，、]", line)]
        return parts[0], " ".join(x for x in parts[1:] if x)
    tokens = line.split()
    k = len(tokens)
    while k > 0 and _KANA.match(unicodedata.normalize("NFKC", tokens[k - 1])):
        k -= 1
    if k == 0:  # all in kana: the whole line is the name
        return " ".join(tokens), ""
    return " ".join(tokens[:k]), " ".join(tokens[k:])


def _roster_error(issues: list[TableIssue], what: str) -> RosterError:
    lines = "\n".join(f"  {i}" for i in issues[:30])
    more = f"\n  ほか{len(issues) - 30}件" if len(issues) > 30 else ""
    return RosterError(f"{what}に誤りが{len(issues)}件あるため、取り込んでいません。直してからもう一度取り込んでください。\n"
                       f"{lines}{more}", issues)


def _collect(rows: Iterable[tuple[int, str, str]], what: str) -> list[PersonInput]:
    """People from (row, name, kana); every bad row is named, and one bad row keeps them all out."""
    issues: list[TableIssue] = []
    out: list[PersonInput] = []
    first_row: dict[tuple[str, str], int] = {}
    for number, raw_name, raw_kana in rows:
        name, kana = _clean_name(raw_name), _clean_kana(raw_kana)
        problems = _person_problems(name, kana)
        issues += [TableIssue(number, col, msg) for col, msg in problems]
        if problems:
            continue
        key = (search_key(name), search_key(kana))
        if key in first_row:
            issues.append(TableIssue(number, "氏名", f"「{name}」は{first_row[key]}行目と同じ人です。"))
            continue
        first_row[key] = number
        out.append(PersonInput(name, kana))
    if issues:
        raise _roster_error(sorted(issues, key=lambda i: i.row), what)
    if not out:
        raise RosterError(f"{what}に取り込む人がいません。", [])
    return out


def import_roster(path: Path) -> list[PersonInput]:
    """Read a roster (名簿) from .xlsx or .csv with the columns 氏名 and フリガナ (a title line may stand above).

    Rows are numbered as Excel shows them. Raises RosterError (a ValidationError) naming every bad
    row, column and reason; nothing is returned unless every row is good.
    """
    path = Path(path)
    table, _kind, guessed = read_table(path, sheet=ROSTER_SHEET)
    header = find_header(table, heading_lookup(ROSTER_COLUMNS), lambda found: "氏名" in found)
    if header is None:
        require_legible(table, guessed)
        raise RosterError("見出しの行（氏名・フリガナ）が見つかりません。1行目に「氏名」「フリガナ」と入れてください。",
                          [TableIssue(1, "", "見出しの行がありません。")])
    index, positions = header
    rows = ((number, cell_text(get("氏名")), cell_text(get("フリガナ")))
            for number, get in data_rows(table, index, positions))
    return _collect(rows, f"名簿「{path.name}」")


def parse_roster_text(text: str) -> list[PersonInput]:
    """People from pasted lines 'name<TAB, comma or space>kana' (a heading line 氏名… is skipped)."""
    rows = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        name, kana = _split_line(line.strip(" \u3000\r"))
        if heading_lookup(ROSTER_COLUMNS).get(fold(name)) == "氏名":
            continue  # the heading line copied with the cells
        rows.append((number, name, kana))
    return _collect(rows, "貼り付けた名簿")


__all__ = [
    "ACCIDENT_FIELD_LABELS", "ACCIDENT_STATUS_LABELS", "EVENT_EXCLUSIONS", "accident_phone", "AccidentView", "CoverResult", "EnrolmentView", "PersonInput",
    "PersonView", "PlanInfo", "RosterError", "accidents_due", "add_people", "cancel_enrolment", "check_cover",
    "close_accident", "enrol_event", "enrol_group", "file_accident", "get_enrolment", "import_roster",
    "list_accidents", "list_enrolments", "mark_accident_sent", "parse_roster_text", "plans_for_year",
    "remove_person", "renewal_candidates", "save_plan",
]
