"""Activity insurance (活動保険): enrolment, premiums, cover checks, rosters, accidents, renewal."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from factories import NOW
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from booking_app.domain.errors import PermissionDenied, RuleError, ValidationError
from booking_app.domain.insurance import Plan, premium
from booking_app.services import insurance as ins
from booking_app.services import payments
from booking_app.services.insurance import PersonInput
from booking_app.store.models import AuditEntry, Charge, InsuranceEnrolment, InsurancePlan, InsuredPerson

TODAY = NOW.date()  # 2026-11-25
PEOPLE = [PersonInput("山田 花子", "ヤマダ ハナコ"), PersonInput("田中 一郎", "タナカ イチロウ"),
          PersonInput("末永 和子", "スエナガ カズコ")]


def plan_ids(world, fiscal_year: int = 2026) -> dict[str, int]:
    with world.write() as s:
        return {p.code: p.id for p in ins.plans_for_year(s, fiscal_year, actor=world.manager)}


def enrol(world, code: str = "VOL-BASIC", *, group_id: int | None = None, people=PEOPLE,
          applied_on: date = TODAY, now: datetime = NOW, fy: int = 2026, **kw) -> ins.EnrolmentView:
    group_id = group_id if group_id is not None else world.make_group()
    with world.write() as s:
        return ins.enrol_group(s, world.desk, plan_id=plan_ids(world, fy)[code], group_id=group_id,
                               people=people, applied_on=applied_on, now=now, **kw)


def event(world, code: str = "EVT-A1", *, start: date = date(2026, 12, 5), end: date = date(2026, 12, 6),
          people=PEOPLE, **kw) -> ins.EnrolmentView:
    args = dict(plan_id=plan_ids(world)[code], holder_name="海峡フェス準備会", event_name="海岸清掃と交流会",
                event_place="みもすそ川公園", event_start=start, event_end=end, expected_participants=30,
                people=people, applied_on=TODAY, now=NOW)
    args.update(kw)
    with world.write() as s:
        return ins.enrol_event(s, world.desk, **args)


def pay(world, view: ins.EnrolmentView, *, now: datetime = NOW) -> payments.ReceiptView:
    with world.write() as s:
        return payments.take_payment(s, world.desk, list(view.open_charge_ids), payer_name=view.holder_name,
                                     purpose="保険料として", now=now, terminal="窓口1")


def get(world, enrolment_id: int) -> ins.EnrolmentView:
    with world.read() as s:
        return ins.get_enrolment(s, enrolment_id)


def cover(world, day: date, **kw) -> list[ins.CoverResult]:
    with world.read() as s:
        return ins.check_cover(s, day=day, **kw)


def charges(world, enrolment_id: int) -> list[Charge]:
    with world.read() as s:
        rows = list(s.scalars(select(Charge).where(Charge.enrolment_id == enrolment_id).order_by(Charge.id)))
        s.expunge_all()
        return rows


# --------------------------------------------------------------------------- premiums


def test_premiums_with_minimums_person_days_and_trips_through_enrolment(world):
    annual = enrol(world)
    assert annual.premium == 3 * 350 and annual.cover_end == date(2027, 3, 31)
    (c,) = charges(world, annual.id)
    assert (c.kind, c.tax, c.status, c.quantity, c.unit_price, c.amount) == ("insurance", "exempt", "open", 3, 350, 1050)
    assert c.payer_name == "ふくふく子ども食堂" and "2026/11/25加入分" in c.description
    assert annual.open_charge_ids == (c.id,) and not annual.in_force and not annual.paid

    small = event(world)  # 3 people × 2 days × ¥28 = ¥168, below the minimum
    assert small.premium == 560
    many = event(world, people=[PersonInput(f"参加者{i}", "サンカシャ") for i in range(30)])
    assert many.premium == 30 * 2 * 28 == 1680
    trip = event(world, "EVT-B", start=date(2026, 12, 5), end=date(2026, 12, 7))  # 2泊3日
    assert trip.premium == 3 * 311
    assert "2泊3日" in charges(world, trip.id)[0].description
    counted = event(world, "EVT-C", people=(), head_count=40, event_place="市民活動センター 多目的交流ホール")
    assert (counted.premium, counted.head_count, counted.people) == (40 * 2 * 28, 40, ())
    by_form = event(world, "EVT-C", people=())  # head count taken from the expected participants
    assert (by_form.head_count, by_form.premium) == (30, 30 * 2 * 28)
    assert (small.cover_start, small.cover_end) == (date(2026, 12, 5), date(2026, 12, 6))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(code=st.sampled_from(["EVT-A1", "EVT-A2", "EVT-A3", "EVT-B", "EVT-C"]), n=st.integers(1, 45),
       days=st.integers(2, 4))
def test_event_premium_is_the_domain_figure_and_shares_add_up(world, code, n, days):
    start = date(2026, 12, 5)
    people = [] if code == "EVT-C" else [PersonInput(f"参加者{i}", "サンカシャ") for i in range(n)]
    view = event(world, code, start=start, end=start + timedelta(days=days - 1), people=people,
                 head_count=n if code == "EVT-C" else None)
    with world.read() as s:
        plan = next(p.plan for p in ins.plans_for_year(s, 2026) if p.code == code)
    assert view.premium == premium(plan, n, days=days) >= plan.minimum_premium
    assert sum(c.amount for c in charges(world, view.id)) == view.premium
    assert not people or sum(p.premium for p in view.people) == view.premium


def test_a_plan_refuses_a_roster_it_does_not_take(world):
    with pytest.raises(ValidationError, match="名簿"):
        enrol(world, people=[])
    with pytest.raises(ValidationError, match="名簿なし"):
        event(world, "EVT-C")
    with pytest.raises(ValidationError, match="2回"):
        enrol(world, people=[PEOPLE[0], PersonInput("山田　花子", "ヤマダ ハナコ")])
    assert world.count(InsuranceEnrolment) == 0 and world.count(Charge) == 0


# --------------------------------------------------------------------------- cover in time


def test_cover_starts_the_day_after_enrolment_and_lapses_after_31_march(world):
    view = enrol(world)
    pay(world, view)
    gid = view.group_id
    (before,) = cover(world, TODAY, group_id=gid)
    assert not before.covered and "2026/11/26" in before.reason and "翌日" in before.reason
    (after,) = cover(world, TODAY + timedelta(days=1), group_id=gid)
    assert after.covered and after.plan_name == "ボランティア活動保険（基本タイプ）"
    (person,) = cover(world, TODAY + timedelta(days=1), person="はなこ")  # by reading, in hiragana
    assert person.covered and person.person_name == "山田 花子"
    assert cover(world, date(2027, 3, 31), group_id=gid)[0].covered
    (lapsed,) = cover(world, date(2027, 4, 1), group_id=gid)
    assert not lapsed.covered and "2027/03/31で終わって" in lapsed.reason
    assert cover(world, TODAY + timedelta(days=1), person="存在しない人") == []


def test_next_years_plan_taken_in_march_starts_on_1_april(world):
    gid = world.make_group()
    march = datetime(2027, 3, 20, 10, 0)
    view = enrol(world, group_id=gid, applied_on=march.date(), now=march, fy=2027)
    assert (view.cover_start, view.cover_end, view.fiscal_year) == (date(2027, 4, 1), date(2028, 3, 31), 2027)


# --------------------------------------------------------------------------- events


@pytest.mark.parametrize("kinds, words", [({"school"}, "学校の行事"), ({"members_only", "outdoor"}, "会員のみ")])
def test_excluded_event_is_refused_with_the_reason_and_nothing_written(world, kinds, words):
    plan_ids(world)
    with pytest.raises(ValidationError, match=words) as err:
        event(world, event_kinds=kinds)
    assert "ボランティア行事用保険 A1" in err.value.message
    assert world.count(InsuranceEnrolment) == world.count(InsuredPerson) == world.count(Charge) == 0
    assert world.audit_rows(entity="insurance_enrolment") == []


def test_event_rules_venue_and_start(world):
    with pytest.raises(RuleError, match="屋内"):
        event(world, "EVT-C", people=(), indoor_or_bounded=False)
    with pytest.raises(RuleError, match="翌日"):
        event(world, start=TODAY, end=TODAY)  # cover could start only tomorrow
    with pytest.raises(ValidationError, match="1泊"):
        event(world, "EVT-B", start=date(2026, 12, 5), end=date(2026, 12, 5))
    assert world.count(InsuranceEnrolment) == 0


# --------------------------------------------------------------------------- payment


def test_unpaid_is_not_in_force_then_paid_is_and_the_cashup_shows_insurance(world):
    view = enrol(world)
    day = TODAY + timedelta(days=3)
    (unpaid,) = cover(world, day, group_id=view.group_id)
    assert not unpaid.covered and "未払い" in unpaid.reason
    with world.read() as s:
        assert [v.id for v in ins.list_enrolments(s, unpaid_only=True)] == [view.id]
    receipt = pay(world, view)
    assert (receipt.total, receipt.exempt, receipt.tax10) == (1050, 1050, 0)
    paid = get(world, view.id)
    assert paid.paid and paid.in_force and paid.open_charge_ids == ()
    assert cover(world, day, group_id=view.group_id)[0].covered
    with world.read() as s:
        assert ins.list_enrolments(s, unpaid_only=True) == []
        doc = payments.cashup(s, TODAY, "窓口1")
    assert ("保険", 1, 1050) in [(r.label, r.count, r.amount) for r in doc.by_kind]


def test_a_voided_receipt_takes_the_cover_away_and_the_enrolment_can_then_be_cancelled(world):
    view = enrol(world)
    receipt = pay(world, view)
    with world.write() as s, pytest.raises(RuleError, match="領収書を取り消"):
        ins.cancel_enrolment(s, world.desk, view.id, "申込の誤り", now=NOW)
    with world.write() as s:
        payments.void_receipt(s, world.manager, receipt.id, "宛名の誤り", now=NOW, terminal="窓口1")
    again = get(world, view.id)
    assert not again.in_force and len(again.open_charge_ids) == 1  # charged again, still for this enrolment
    with world.write() as s:
        cancelled = ins.cancel_enrolment(s, world.desk, view.id, "申込の誤り", now=NOW)
    assert cancelled.status == "cancelled" and cancelled.open_charge_ids == ()
    assert {c.status for c in charges(world, view.id)} == {"cancelled"}
    assert cover(world, TODAY + timedelta(days=2), group_id=view.group_id) == []


# --------------------------------------------------------------------------- roster changes


def test_a_person_added_later_has_their_own_start_and_charge_on_the_same_enrolment(world):
    nov1 = datetime(2026, 11, 1, 10, 0)
    view = enrol(world, applied_on=nov1.date(), now=nov1)
    pay(world, view, now=nov1)
    with world.write() as s:
        more = ins.add_people(s, world.desk, view.id, [PersonInput("広中 誠", "ヒロナカ マコト")], now=NOW)
    assert more.id == view.id and more.premium == 4 * 350 and len(more.people) == 4
    new = next(p for p in more.people if p.name == "広中 誠")
    assert (new.added_on, new.cover_start, new.premium, new.paid) == (TODAY, TODAY + timedelta(days=1), 350, False)
    first, added = charges(world, view.id)
    assert (first.status, added.status, added.amount) == ("paid", "open", 350)
    assert more.open_charge_ids == (added.id,) and not more.in_force
    day = TODAY + timedelta(days=2)
    assert cover(world, day, person="山田")[0].covered  # the others keep their cover
    (unpaid,) = cover(world, day, person="広中")
    assert not unpaid.covered and "未払い" in unpaid.reason
    assert cover(world, day, group_id=view.group_id)[0].covered
    pay(world, more)
    assert cover(world, TODAY, person="広中")[0].covered is False  # not before the day after
    assert cover(world, day, person="広中")[0].covered and get(world, view.id).in_force
    with world.write() as s, pytest.raises(RuleError, match="既に名簿"):
        ins.add_people(s, world.desk, view.id, [PersonInput("広中 誠", "ヒロナカ マコト")], now=NOW)


def test_removing_keeps_the_row_and_ends_cover_from_that_day(world):
    view = enrol(world)
    pay(world, view)
    hanako = next(p for p in view.people if p.name == "山田 花子")
    with world.write() as s:
        after = ins.remove_person(s, world.desk, hanako.id, "退会", on=date(2026, 12, 10), now=NOW)
    kept = next(p for p in after.people if p.id == hanako.id)
    assert (kept.removed_on, kept.removed_reason, kept.premium) == (date(2026, 12, 10), "退会", 350)
    assert after.premium == 1050 and after.insured_count == 2 and after.in_force
    assert cover(world, date(2026, 12, 9), person="山田 花子")[0].covered
    (gone,) = cover(world, date(2026, 12, 10), person="山田 花子")
    assert not gone.covered and "名簿から外れて" in gone.reason
    assert world.count(InsuredPerson) == 3
    assert [a.action for a in world.audit_rows(view.id, entity="insurance_enrolment")] == ["create", "remove_person"]


# --------------------------------------------------------------------------- the city's plan


def test_city_plan_only_for_registered_groups_in_good_standing(world):
    expired = world.make_group("期限切れの会", status="active", valid_until=date(2026, 3, 31))
    with pytest.raises(RuleError, match="登録団体") as err:
        enrol(world, "CITY", group_id=expired, people=())
    assert "有効期限" in err.value.message
    assert world.count(InsuranceEnrolment) == 0
    good = world.make_group("有効な会", valid_until=date(2027, 3, 31))
    view = enrol(world, "CITY", group_id=good, people=())
    assert (view.premium, view.paid, view.in_force, view.open_charge_ids) == (0, True, True, ())
    assert charges(world, view.id) == []
    assert cover(world, TODAY + timedelta(days=1), group_id=good)[0].covered
    with pytest.raises(RuleError, match="既に加入"):
        enrol(world, "CITY", group_id=good, people=())


# --------------------------------------------------------------------------- rosters


def test_roster_import_reads_a_title_line_bom_and_halfwidth_kana(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("令和8年度 ボランティア活動保険 加入者名簿\n氏名,フリガナ\n山田 花子,ﾔﾏﾀﾞ ﾊﾅｺ\n\n田中 一郎,タナカ イチロウ\n",
                    encoding="utf-8-sig")
    assert ins.import_roster(path) == [PersonInput("山田 花子", "ヤマダ ハナコ"), PersonInput("田中 一郎", "タナカ イチロウ")]


def test_roster_import_names_every_bad_row_and_takes_none(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("氏名,フリガナ\n山田 花子,ヤマダ ハナコ\n,タナカ イチロウ\n末永 和子,末永\n山田 花子,やまだ はなこ\n",
                    encoding="utf-8")
    with pytest.raises(ins.RosterError) as err:
        ins.import_roster(path)
    assert [(i.row, i.column) for i in err.value.issues] == [(3, "氏名"), (4, "フリガナ"), (5, "氏名")]
    assert "3行目［氏名］ 氏名がありません。" in err.value.message and "2行目と同じ人" in err.value.message
    assert "取り込んでいません" in err.value.message


def test_roster_import_refuses_a_file_in_an_unknown_encoding(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes("氏名,フリガナ\n山田 花子,ヤマダ ハナコ\n".encode("euc_jp"))
    with pytest.raises(ValidationError, match="文字コード"):
        ins.import_roster(path)


def test_roster_import_from_xlsx_and_pasted_text(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "名簿"
    ws.append(["No.", "氏名", "ふりがな"])
    ws.append([1, "林 修", "はやし おさむ"])
    ws.append([2, None, "モリ"])
    wb.save(tmp_path / "roster.xlsx")
    with pytest.raises(ins.RosterError) as err:
        ins.import_roster(tmp_path / "roster.xlsx")
    assert [str(i) for i in err.value.issues] == ["3行目［氏名］ 氏名がありません。"]
    pasted = "氏名\tフリガナ\n山田 花子\tヤマダ ハナコ\n田中 一郎, タナカ イチロウ\n末永 和子 スエナガ カズコ\n林 修\n"
    assert ins.parse_roster_text(pasted) == [
        PersonInput("山田 花子", "ヤマダ ハナコ"), PersonInput("田中 一郎", "タナカ イチロウ"),
        PersonInput("末永 和子", "スエナガ カズコ"), PersonInput("林 修", "")]
    with pytest.raises(ins.RosterError, match="2行目"):
        ins.parse_roster_text("山田 花子\tヤマダ\n\tモリ\n")


# --------------------------------------------------------------------------- accidents


def test_accidents_due_soonest_first_with_the_deadline_from_the_accident(world):
    view = enrol(world, applied_on=date(2026, 11, 1), now=datetime(2026, 11, 1, 10))
    pay(world, view, now=datetime(2026, 11, 1, 10))
    made = {}
    with world.write() as s:
        for name, when in (("山田 花子", datetime(2026, 11, 20, 14)), ("田中 一郎", datetime(2026, 11, 5, 10)),
                           ("末永 和子", datetime(2026, 11, 24, 9)), ("広中 誠", datetime(2026, 11, 10, 11))):
            made[name] = ins.file_accident(s, world.desk, reporter_name="代表 一子", reporter_phone="083-000-0000", group_id=view.group_id, person_name=name, occurred_at=when,
                                           place="みもすそ川公園", description="清掃中に転倒", injury="右手首のねんざ",
                                           now=NOW)
        ins.mark_accident_sent(s, world.desk, made["広中 誠"].id, sent_on=TODAY, now=NOW)
    hanako = made["山田 花子"]
    assert hanako.deadline == date(2026, 12, 4) and hanako.days_left == 9
    assert hanako.plan_name == "ボランティア活動保険（基本タイプ）" and hanako.enrolment_id == view.id
    with world.read() as s:
        due = ins.accidents_due(s, today=TODAY)
        later = ins.accidents_due(s, today=TODAY, within_days=14)
        sent = ins.list_accidents(s, status="sent", today=TODAY)
    assert [(a.person_name, a.deadline, a.days_left, a.overdue) for a in due] == [
        ("田中 一郎", date(2026, 11, 19), -6, True)]
    assert [a.person_name for a in later] == ["田中 一郎", "山田 花子", "末永 和子"]
    assert [(a.person_name, a.status, a.sent_on) for a in sent] == [("広中 誠", "sent", TODAY)]
    with world.write() as s, pytest.raises(RuleError, match="既に送付済"):
        ins.mark_accident_sent(s, world.desk, made["広中 誠"].id, now=NOW)
    assert len(world.audit_rows(entity="accident_report")) == 5


# --------------------------------------------------------------------------- years


def test_renewal_candidates_are_last_years_groups_not_enrolled_again(world):
    a, b = world.make_group("安岡見守りの会"), world.make_group("彦島朗読の会")
    last_year = datetime(2025, 5, 1, 10)
    for gid in (a, b):
        pay(world, enrol(world, group_id=gid, applied_on=last_year.date(), now=last_year, fy=2025), now=last_year)
    enrol(world, group_id=b)  # b renewed this year
    with world.read() as s:
        todo = ins.renewal_candidates(s, 2026)
    assert [(v.holder_name, v.fiscal_year, v.cover_end) for v in todo] == [("安岡見守りの会", 2025, date(2026, 3, 31))]
    (lapsed,) = cover(world, TODAY, group_id=a)
    assert not lapsed.covered and "2026/03/31で終わって" in lapsed.reason


def test_plans_for_year_copies_last_year_and_new_premiums_leave_old_enrolments_alone(world):
    old = enrol(world)
    with world.write() as s:
        plans = {p.code: p for p in ins.plans_for_year(s, 2027, actor=world.manager)}
        assert plans["VOL-BASIC"].plan.premium == 350 and plans["VOL-BASIC"].fiscal_year == 2027
        dearer = Plan.from_dict(plans["VOL-BASIC"].plan.to_dict() | {"premium": 400})
        saved = ins.save_plan(s, world.manager, 2027, dearer, now=NOW)
    assert saved.id == plans["VOL-BASIC"].id and saved.plan.premium == 400
    with world.write() as s, pytest.raises(PermissionDenied):
        ins.save_plan(s, world.desk, 2027, dearer, now=NOW)
    with world.read() as s:
        rows = {(p.fiscal_year, p.code): p.data["premium"] for p in s.scalars(select(InsurancePlan))}
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.entity == "insurance_plan")) == 3
    assert rows[(2026, "VOL-BASIC")] == 350 and rows[(2027, "VOL-BASIC")] == 400
    assert {c for fy, c in rows if fy == 2027} == {c for fy, c in rows if fy == 2026}
    again = get(world, old.id)
    assert (again.premium, again.plan_id, charges(world, old.id)[0].amount) == (1050, old.plan_id, 1050)
    with world.write() as s:  # the year's rows are made once
        assert [p.id for p in ins.plans_for_year(s, 2027)] == [p.id for p in plans.values()]


def test_an_accident_report_records_the_reporter_contact_group_and_witnesses(world):
    """Issue 13, item 13: what the insurer asks (who, reporter and contact, group, when, where, how,
    injury or damage, witnesses) is kept with the report; the phone number is written as it is dialled."""
    view = enrol(world, applied_on=date(2026, 11, 1), now=datetime(2026, 11, 1, 10))
    pay(world, view, now=datetime(2026, 11, 1, 10))
    with world.write() as s:
        a = ins.file_accident(s, world.desk, group_id=view.group_id, person_name="山田 花子",
                              reporter_name="  代表　一子 ", reporter_phone="０８３－２２２－３３３３",
                              witnesses="佐藤 一郎（会員）\n公園の管理人", occurred_at=datetime(2026, 11, 20, 14),
                              place="みもすそ川公園", description="清掃中に転倒", injury="右手首のねんざ", now=NOW)
    assert (a.reporter_name, a.reporter_phone) == ("代表 一子", "083-222-3333")
    assert a.witnesses == "佐藤 一郎（会員）\n公園の管理人" and a.group_id == view.group_id
    assert a.group_name == view.holder_name and a.enrolment_id == view.id
    with world.read() as s:
        (again,) = ins.list_accidents(s, today=TODAY)
    assert (again.reporter_name, again.reporter_phone, again.witnesses) == (a.reporter_name, a.reporter_phone,
                                                                            a.witnesses)
    assert again.deadline == date(2026, 12, 4)  # deadline tracking as before


@pytest.mark.parametrize("changes, field, words", [
    ({"reporter_name": ""}, "reporter_name", "報告者の氏名を入力"),
    ({"reporter_phone": ""}, "reporter_phone", "報告者の電話番号を入力"),
    ({"reporter_phone": "83-222-3333"}, "reporter_phone", "報告者の電話番号「83-222-3333」は電話番号の形ではありません"),
    ({"reporter_phone": "083-222-33333333"}, "reporter_phone", "10桁か11桁"),
    ({"reporter_phone": "083-ABC-3333"}, "reporter_phone", "電話番号の形ではありません"),
    ({"reporter_phone": "083\x00222-3333"}, "reporter_phone", "報告者の電話番号に使えない文字（制御文字）"),
    ({"reporter_name": "代表\x07一子"}, "reporter_name", "報告者の氏名に使えない文字（制御文字）"),
    ({"witnesses": "佐藤\x1b一郎"}, "witnesses", "目撃者に使えない文字（制御文字）"),
    ({"reporter_name": "長" * 101}, "reporter_name", "報告者の氏名が長すぎます（100文字まで）"),
])
def test_accident_input_is_refused_with_the_field_named(world, changes, field, words):
    fields = dict(person_name="山田 花子", reporter_name="代表 一子", reporter_phone="083-222-3333", witnesses="",
                  occurred_at=datetime(2026, 11, 20, 14), place="みもすそ川公園", description="清掃中に転倒")
    fields.update(changes)
    with world.write() as s, pytest.raises(ValidationError) as err:
        ins.file_accident(s, world.desk, now=NOW, **fields)
    assert err.value.field == field and words in err.value.message, err.value.message


@pytest.mark.parametrize("typed, kept", [("0832223333", "0832223333"), ("090 1234 5678", "090 1234 5678"),
                                         ("(083)222-3333", "(083)222-3333"), ("+81 83-222-3333", "+81 83-222-3333"),
                                         ("０９０ー１２３４ー５６７８", "090-1234-5678")])
def test_accident_phone_takes_the_usual_ways_of_writing_a_number(typed, kept):
    assert ins.accident_phone(typed) == kept
