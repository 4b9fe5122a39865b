"""Insurance papers from the database (certificate, roster, enrolment list, ledger) on SQLite and PostgreSQL,
and the export-insurance command.

The enrolments are made directly with the ORM (the insurance service is another engineer's), paid through
the real ``payments.take_payment`` so that charges and receipts are what the desk would leave behind.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import openpyxl
from sqlalchemy import select
import pytest
from factories import NOW, World

from booking_app.domain.errors import NotFound, PermissionDenied, ValidationError
from booking_app.domain.insurance import default_plans
from booking_app.cli.insurance import register as register_cli
from booking_app.reports.insurance_pdf import ROSTER_COLUMNS, TOTAL_COLUMNS, render_certificate, write_insurance
from booking_app.services import insurance_reports as ir
from booking_app.services.payments import take_payment, void_receipt
from booking_app.store.models import AuditEntry, Charge, InsuranceEnrolment, InsurancePlan, InsuredPerson

FY = 2026
FAMILY = ["山田", "佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "中村"]
GIVEN = ["花子", "一郎", "美咲", "健太", "陽菜"]
KANA_F = ["ヤマダ", "サトウ", "スズキ", "タカハシ", "タナカ", "イトウ", "ワタナベ", "ナカムラ"]
KANA_G = ["ハナコ", "イチロウ", "ミサキ", "ケンタ", "ヒナ"]


def export(s, actor, fiscal_year: int, path, **kw) -> int:
    """What the page and the command do in one transaction: the service's cleaned rows, then the file."""
    return write_insurance(ir.export_insurance(s, actor, fiscal_year, path, **kw), path, fiscal_year=fiscal_year)


def crowd(n: int) -> list[tuple[str, str]]:
    return [(f"{FAMILY[i % 8]}{GIVEN[i // 8 % 5]}", f"{KANA_F[i % 8]} {KANA_G[i // 8 % 5]}") for i in range(n)]


@dataclass
class Insured:
    """The enrolments of the test world, by what they are."""

    world: World
    paid: int  # VOL-BASIC, paid, with a removed person and one added later
    unpaid: int  # VOL-DISASTER, charge open
    event: int  # EVT-A1 with 40 people, paid
    head_count: int  # EVT-C, 50 people by count, paid
    city: int  # CITY, no premium
    cancelled: int
    last_year: int
    receipts: dict[str, str]


def _plans(s, fy: int) -> dict[str, int]:
    out = {}
    for p in default_plans():
        row = InsurancePlan(fiscal_year=fy, code=p.code, data=p.to_dict(), active=True, created_at=NOW)
        s.add(row)
        s.flush()
        out[p.code] = row.id
    return out


def _enrol(s, w: World, plan_id: int, holder: str, applied: date, *, end: date = date(2027, 3, 31),
           group_id: int | None = None, people=(), premium: int = 0, head_count: int | None = None,
           status: str = "active", **event) -> tuple[int, int | None]:
    e = InsuranceEnrolment(plan_id=plan_id, group_id=group_id, holder_name=holder, applied_on=applied,
                           cover_start=applied + timedelta(days=1), cover_end=end, premium=premium,
                           head_count=head_count, status=status, created_at=NOW, created_by=w.desk.id, **event)
    s.add(e)
    s.flush()
    for name, kana in people:
        s.add(InsuredPerson(enrolment_id=e.id, name=name, kana=kana, search_text=kana, added_on=applied,
                            cover_start=applied + timedelta(days=1), premium=0, created_by=w.desk.id))
    charge_id = None
    if premium:
        c = Charge(enrolment_id=e.id, group_id=group_id, payer_name=holder, kind="insurance",
                   description="活動保険 保険料", quantity=1, unit_price=premium, amount=premium, tax="exempt",
                   status="cancelled" if status != "active" else "open", created_at=NOW, created_by=w.desk.id)
        s.add(c)
        s.flush()
        charge_id = c.id
    return e.id, charge_id


def _pay(w: World, charge_id: int, payer: str, when: datetime, group_id: int | None = None) -> str:
    with w.write() as s:
        return take_payment(s, w.desk, [charge_id], payer_name=payer, purpose="活動保険料として",
                            group_id=group_id, now=when).receipt_no


@pytest.fixture
def insured(world: World) -> Insured:
    g1 = world.make_group("ふくふく子ども食堂", reg_no="0012")
    g2 = world.make_group("関門みどりの会", reg_no="0034")
    with world.write() as s:
        plans = _plans(s, FY)
        old = _plans(s, FY - 1)
        paid, paid_charge = _enrol(s, world, plans["VOL-BASIC"], "ふくふく子ども食堂", date(2026, 5, 10),
                                   group_id=g1, people=[("山田花子", "ヤマダ ハナコ"), ("佐藤一郎", "サトウ イチロウ"),
                                                        ("鈴木次郎", "スズキ ジロウ"), ("高橋四郎", "タカハシ シロウ")],
                                   premium=1400)
        for p in s.query(InsuredPerson).filter_by(enrolment_id=paid):
            if p.name == "鈴木次郎":
                p.removed_on, p.removed_reason = date(2026, 9, 1), "退会"
            if p.name == "高橋四郎":  # taken off on the day cover would have begun: never insured
                p.removed_on, p.removed_reason = date(2026, 5, 11), "申込の誤り"
        unpaid, _ = _enrol(s, world, plans["VOL-DISASTER"], "関門みどりの会", date(2026, 11, 20), group_id=g2,
                           people=[("中村健太", "ナカムラ ケンタ"), ("伊藤陽菜", "イトウ ヒナ")], premium=1000)
        event, event_charge = _enrol(s, world, plans["EVT-A1"], "関門海峡クリーン作戦実行委員会", date(2026, 11, 20),
                                     end=date(2026, 12, 6), people=crowd(40), premium=1120,
                                     event_name="関門海峡クリーン作戦2026", event_place="下関市あるかぽーと周辺の海岸",
                                     event_start=date(2026, 12, 6), event_end=date(2026, 12, 6),
                                     expected_participants=40)
        head, head_charge = _enrol(s, world, plans["EVT-C"], "しものせき朗読の会", date(2026, 11, 21),
                                   end=date(2026, 11, 29), head_count=50, premium=1400,
                                   event_name="朗読と音楽の夕べ", event_place="多目的交流ホール",
                                   event_start=date(2026, 11, 29), event_end=date(2026, 11, 29))
        city, _ = _enrol(s, world, plans["CITY"], "ふくふく子ども食堂", date(2026, 4, 1), group_id=g1)
        cancelled, _ = _enrol(s, world, plans["VOL-BASIC"], "取消した会", date(2026, 6, 1),
                              people=[("取消太郎", "トリケシ タロウ")], premium=350, status="cancelled")
        last_year, _ = _enrol(s, world, old["CITY"], "ふくふく子ども食堂", date(2025, 4, 1), end=date(2026, 3, 31),
                              group_id=g1)
    receipts = {"paid": _pay(world, paid_charge, "ふくふく子ども食堂", datetime(2026, 5, 10, 10), g1)}
    # A person added later has their own start, premium and charge (paid on the day).
    with world.write() as s:
        s.add(InsuredPerson(enrolment_id=paid, name="田中三郎", kana="タナカ サブロウ", search_text="",
                            added_on=date(2026, 10, 1), cover_start=date(2026, 10, 2), premium=350,
                            created_by=world.desk.id))
        c = Charge(enrolment_id=paid, group_id=g1, payer_name="ふくふく子ども食堂", kind="insurance",
                   description="活動保険 追加1名", quantity=1, unit_price=350, amount=350, tax="exempt",
                   status="open", created_at=datetime(2026, 10, 1, 10), created_by=world.desk.id)
        s.add(c)
        s.flush()
        added_charge = c.id
    receipts["added"] = _pay(world, added_charge, "ふくふく子ども食堂", datetime(2026, 10, 1, 11), g1)
    receipts["event"] = _pay(world, event_charge, "関門海峡クリーン作戦実行委員会", datetime(2026, 11, 20, 14))
    receipts["head"] = _pay(world, head_charge, "しものせき朗読の会", datetime(2026, 11, 21, 9, 30))
    return Insured(world, paid, unpaid, event, head, city, cancelled, last_year, receipts)


# --------------------------------------------------------------------------- the roster


def test_roster_has_exactly_the_people_in_force_with_their_own_dates(insured):
    w = insured.world
    with w.read() as s:
        rows = ir.roster_rows(s, FY)
    by_name = {(r.number, r.name): r for r in rows}
    numbers = {r.number for r in rows}
    # Paid, event, head-count and city enrolments; not the unpaid, the cancelled or last year's.
    assert numbers == {ir.enrolment_number(i) for i in (insured.paid, insured.event, insured.head_count, insured.city)}
    paid = [r for r in rows if r.number == ir.enrolment_number(insured.paid)]
    assert [r.name for r in paid] == ["山田花子", "佐藤一郎", "鈴木次郎", "田中三郎"]  # 高橋 was never insured
    yamada = by_name[(ir.enrolment_number(insured.paid), "山田花子")]
    assert (yamada.cover_start, yamada.cover_end, yamada.removed_on) == (date(2026, 5, 11), date(2027, 3, 31), None)
    assert (yamada.kana, yamada.reg_no, yamada.holder_name) == ("ヤマダ ハナコ", "0012", "ふくふく子ども食堂")
    assert (yamada.scheme_label, yamada.plan_name) == ("ボランティア活動保険", "ボランティア活動保険（基本タイプ）")
    assert (yamada.premium, yamada.paid_on, yamada.receipt_no) == (350, date(2026, 5, 10), insured.receipts["paid"])
    suzuki = by_name[(ir.enrolment_number(insured.paid), "鈴木次郎")]
    assert (suzuki.cover_end, suzuki.removed_on) == (date(2026, 8, 31), date(2026, 9, 1))
    tanaka = by_name[(ir.enrolment_number(insured.paid), "田中三郎")]
    assert (tanaka.cover_start, tanaka.paid_on, tanaka.receipt_no) == (date(2026, 10, 2), date(2026, 10, 1),
                                                                      insured.receipts["added"])
    event = [r for r in rows if r.number == ir.enrolment_number(insured.event)]
    assert len(event) == 40 and all(r.cover_end == date(2026, 12, 6) for r in event)
    assert all(r.receipt_no == insured.receipts["event"] and r.premium is None for r in event)
    (head,) = [r for r in rows if r.number == ir.enrolment_number(insured.head_count)]
    assert (head.name, head.count, head.premium) == ("", 50, 1400)
    (city,) = [r for r in rows if r.number == ir.enrolment_number(insured.city)]
    assert (city.scheme_label, city.count, city.premium, city.paid_on) == ("市民活動保険", None, 0, None)
    # Scheme order: the city's, then volunteer, then event.
    assert rows[0].number == ir.enrolment_number(insured.city)
    with w.read() as s:
        assert [r.number for r in ir.roster_rows(s, FY - 1)] == [ir.enrolment_number(insured.last_year)]


def test_a_voided_premium_takes_the_enrolment_out_of_force(insured):
    w = insured.world
    with w.read() as s:
        receipt_id = s.query(Charge).filter_by(enrolment_id=insured.head_count).one().receipt_id
    with w.write() as s:
        void_receipt(s, w.manager, receipt_id, "金額の誤り", now=datetime(2026, 11, 22, 10))
    with w.read() as s:
        numbers = {r.number for r in ir.roster_rows(s, FY)}
        assert ir.enrolment_number(insured.head_count) not in numbers
        with pytest.raises(ValidationError, match="未払い"):
            ir.certificate_doc(s, insured.head_count, today=date(2026, 11, 25))


def test_roster_files_agree_with_the_rows_cell_by_cell(insured, tmp_path):
    w = insured.world
    xlsx, csv_path = tmp_path / "名簿.xlsx", tmp_path / "名簿.csv"
    with w.read() as s:
        rows = ir.roster_rows(s, FY)
        assert export(s, w.manager, FY, xlsx) == len(rows)
        assert export(s, w.manager, FY, csv_path) == len(rows)
    ws = openpyxl.load_workbook(xlsx).active
    assert ws.title == "被保険者名簿" and "令和8年度" in ws["A1"].value
    assert tuple(c.value for c in ws[2]) == ROSTER_COLUMNS
    got = [tuple(c.value for c in r) for r in ws.iter_rows(min_row=3)]
    assert len(got) == len(rows)
    for cells, row in zip(got, rows, strict=True):
        expected = (row.number, row.scheme_label, row.plan_name, row.holder_name, row.reg_no or None, row.name or None,
                    row.kana or None, row.cover_start, row.cover_end, row.removed_on, row.premium, row.paid_on,
                    row.receipt_no or None, row.count)
        # openpyxl reads dates back as datetimes at midnight.
        cells = tuple(c.date() if isinstance(c, datetime) else c for c in cells)
        assert cells == expected
    start_col = ROSTER_COLUMNS.index("補償開始日") + 1
    assert ws.cell(3, start_col).number_format == "yyyy/mm/dd" and ws.cell(3, start_col).is_date
    assert ws.print_title_rows == "$2:$2" and ws.page_setup.orientation == "landscape"

    raw = csv_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert tuple(table[0]) == ROSTER_COLUMNS
    assert len(table) == len(rows) + 1
    for line, row in zip(table[1:], rows, strict=True):
        assert line[0] == row.number and line[5] == row.name and line[6] == row.kana
        assert line[7] == row.cover_start.strftime("%Y/%m/%d") and line[8] == row.cover_end.strftime("%Y/%m/%d")
        assert line[9] == (row.removed_on.strftime("%Y/%m/%d") if row.removed_on else "")
        assert line[10] == ("" if row.premium is None else str(row.premium))
        assert line[12] == row.receipt_no


def test_exports_refuse_desk_staff_and_unknown_files(insured, tmp_path):
    w = insured.world
    with w.read() as s:
        with pytest.raises(PermissionDenied, match="管理者のみ"):
            export(s, w.desk, FY, tmp_path / "x.xlsx")
    with pytest.raises(ValidationError, match=".xlsx か .csv"), w.write() as s:
        export(s, w.manager, FY, tmp_path / "x.pdf")
    assert not (tmp_path / "x.xlsx").exists() and not (tmp_path / "x.pdf").exists()
    with w.read() as s:  # the refused file's export was rolled back with its transaction
        assert s.scalars(select(AuditEntry).where(AuditEntry.action == "export")).all() == []


# --------------------------------------------------------------------------- list and ledger


def test_enrolment_list_and_ledger_totals(insured, tmp_path):
    w = insured.world
    with w.read() as s:
        rows = ir.enrolment_list(s, FY)
        vol = ir.enrolment_list(s, FY, scheme="volunteer")
        led = ir.ledger(s, FY)
        with pytest.raises(ValidationError):
            ir.enrolment_list(s, FY, scheme="life")
    status = {r.enrolment_id: r.status_label for r in rows}
    assert status == {insured.paid: "有効", insured.unpaid: "未払い", insured.event: "有効",
                      insured.head_count: "有効", insured.city: "有効"}
    assert {r.enrolment_id for r in vol} == {insured.paid, insured.unpaid}
    paid = next(r for r in rows if r.enrolment_id == insured.paid)
    assert (paid.insured, paid.premium, paid.paid, paid.paid_on) == (3, 1750, 1750, date(2026, 10, 1))
    assert paid.receipt_nos == (insured.receipts["paid"], insured.receipts["added"])
    unpaid = next(r for r in rows if r.enrolment_id == insured.unpaid)
    assert (unpaid.premium, unpaid.paid, unpaid.paid_on, unpaid.in_force) == (1000, 0, None, False)

    assert {r.status_label for r in led.rows} == {"有効", "未払い", "取消"}
    totals = {t.plan_code: t for t in led.totals}
    assert (totals["VOL-BASIC"].enrolments, totals["VOL-BASIC"].premium) == (1, 1750)  # the cancelled one is not
    assert (totals["VOL-DISASTER"].unpaid, totals["EVT-C"].insured) == (1000, 50)
    assert (led.grand.enrolments, led.grand.premium, led.grand.paid, led.grand.unpaid) == (5, 5270, 4270, 1000)

    out = tmp_path / "台帳.xlsx"
    with w.read() as s:
        assert export(s, w.manager, FY, out, kind="ledger") == len(led.rows)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["加入台帳", "プラン別集計"]
    sums = wb["プラン別集計"]
    assert tuple(c.value for c in sums[2]) == TOTAL_COLUMNS
    assert [c.value for c in sums[sums.max_row]] == ["合計", None, 5, led.grand.insured, 5270, 4270, 1000]
    out_csv = tmp_path / "台帳.csv"
    with w.read() as s:
        export(s, w.manager, FY, out_csv, kind="ledger")
    text = out_csv.read_bytes().decode("utf-8-sig")
    assert "\r\n\r\nプラン,保険種類,加入件数" in text and text.rstrip().endswith("合計,,5,%d,5270,4270,1000"
                                                                          % led.grand.insured)


# --------------------------------------------------------------------------- certificate


def test_certificate_of_a_paid_event_and_refusals(insured, tmp_path):
    w = insured.world
    with w.read() as s:
        doc = ir.certificate_doc(s, insured.event, today=date(2026, 11, 25))
        with pytest.raises(ValidationError) as err:
            ir.certificate_doc(s, insured.unpaid)
        assert err.value.message == "保険料が未払いのため加入証明は発行できません。"
        with pytest.raises(ValidationError, match="取り消された"):
            ir.certificate_doc(s, insured.cancelled)
        with pytest.raises(NotFound):
            ir.certificate_doc(s, 999999)
        basic = ir.certificate_doc(s, insured.paid, today=date(2026, 11, 25))
    assert (doc.holder_name, doc.plan_name, doc.scheme_label) == ("関門海峡クリーン作戦実行委員会",
                                                                 "ボランティア行事用保険 A1", "行事用保険")
    assert (doc.cover_start, doc.cover_end, doc.event_start, doc.premium) == (
        date(2026, 11, 21), date(2026, 12, 6), date(2026, 12, 6), 1120)
    assert (doc.paid_on, doc.receipt_nos, len(doc.people)) == (date(2026, 11, 20), (insured.receipts["event"],), 40)
    assert doc.issuer.centre_name and not doc.issuer.invoice_number
    # Removed people are not certified; the one added later is, with his own start.
    assert [p.name for p in basic.people] == ["山田花子", "佐藤一郎", "田中三郎"]
    assert basic.people[-1].cover_start == date(2026, 10, 2) and basic.group_reg_no == "0012"

    out = tmp_path / "cert.pdf"
    assert render_certificate(doc, out) >= 2  # forty people run on to further pages
    pdftotext = shutil.which("pdftotext")
    assert pdftotext, "poppler-utils (pdftotext) is needed"
    text = re.sub(r"\s+", "", subprocess.run([pdftotext, "-enc", "UTF-8", str(out), "-"], check=True,
                                             capture_output=True, text=True).stdout)
    for expected in ("関門海峡クリーン作戦実行委員会", "ボランティア行事用保険A1", "令和8年11月21日〜令和8年12月6日",
                     "関門海峡クリーン作戦2026", insured.receipts["event"], "中村陽菜"):
        assert expected in text, expected


# --------------------------------------------------------------------------- command line


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="fukufuku-desk")
    register_cli(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_export_insurance_command_writes_the_file_and_refuses_desk_staff(insured, tmp_path, capsys):
    w = insured.world
    out = tmp_path / "out" / "保険名簿_2026.xlsx"
    args = _parse(["export-insurance", "--fiscal-year", "2026", "-o", str(out)])
    assert args.kind == "roster"
    assert args.handler(args, w.engine, w.manager) == 0
    printed = capsys.readouterr().out
    assert "令和8年度の被保険者名簿" in printed and out.exists()
    assert openpyxl.load_workbook(out).active.max_row == 2 + 46  # city 1 + paid 4 + event 40 + head count 1

    ledger_csv = tmp_path / "台帳.csv"
    args = _parse(["export-insurance", "--fiscal-year", "2026", "-o", str(ledger_csv), "--kind", "ledger"])
    assert args.handler(args, w.engine, w.manager) == 0
    assert "加入台帳" in capsys.readouterr().out and ledger_csv.read_bytes().startswith(b"\xef\xbb\xbf")

    refused = tmp_path / "desk.csv"
    args = _parse(["export-insurance", "--fiscal-year", "2026", "-o", str(refused)])
    assert args.handler(args, w.engine, w.desk) == 1
    assert "管理者のみ" in capsys.readouterr().err and not refused.exists()

    with pytest.raises(SystemExit):
        _parse(["export-insurance", "--fiscal-year", "令和8", "-o", str(refused)])


def test_the_city_enrolment_lists_the_groups_members(insured, tmp_path):
    """Issue 13, item 15: the city's scheme has no roster; the list showed 0 people for it. It covers the
    group's members in its activity, so the list shows the group's registered members (会員数)."""
    from booking_app.reports.insurance_pdf import people_cell, render_enrolment_list
    from booking_app.store.models import MemberGroup

    w = insured.world
    with w.write() as s:
        s.execute(MemberGroup.__table__.update().where(MemberGroup.name == "ふくふく子ども食堂").values(members=23))
    with w.read() as s:
        rows = {r.enrolment_id: r for r in ir.enrolment_list(s, FY)}
    city = rows[insured.city]
    assert (city.roster, city.members) == ("none", 23) and people_cell(city) == "会員23"
    assert rows[insured.head_count].members is None and people_cell(rows[insured.head_count]) == "50"
    out = tmp_path / "list.pdf"
    render_enrolment_list(list(rows.values()), out, title="令和8年度 保険加入者一覧")
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], check=True, capture_output=True,
                          text=True).stdout
    assert "会員23" in text and "市民活動保険は団体ごとの加入" in text


def test_the_certificate_says_what_its_plan_covers(insured):
    """Issue 13, item 17: 補償の内容 from the plan's scheme, with the plan's own note on cover."""
    with insured.world.read() as s:
        doc = ir.certificate_doc(s, insured.paid)
    assert doc.cover == ir.COVER_TEXTS["volunteer"]
    disaster = next(p for p in default_plans() if p.code == "VOL-DISASTER")
    assert ir.cover_text(disaster).endswith("地震・噴火・津波による傷害も補償。")
    city = next(p for p in default_plans() if p.code == "CITY")
    assert ir.cover_text(city) == ir.COVER_TEXTS["city"]


def test_the_accident_report_document_from_a_filed_report(insured, tmp_path):
    """Issue 13, item 13: the printable 事故報告書 carries the report, its group, reporter and contact,
    witnesses, the insurance found for it with the day's cover, the deadline and who took it."""
    from booking_app.reports.accident_pdf import render_accident_report
    from booking_app.services import insurance as ins

    w = insured.world
    with w.write() as s:
        g1 = s.scalar(select(InsuranceEnrolment.group_id).where(InsuranceEnrolment.id == insured.paid))
        a = ins.file_accident(s, w.desk, enrolment_id=insured.paid, person_name="山田 花子", reporter_name="代表 一子",
                              reporter_phone="083-222-3333", witnesses="佐藤 一郎", place="みもすそ川公園",
                              occurred_at=datetime(2026, 11, 20, 14, 30), description="清掃中に転倒",
                              injury="右手首のねんざ", now=NOW)
        b = ins.file_accident(s, w.desk, group_id=g1, person_name="河野 健一", reporter_name="代表 一子",
                              reporter_phone="0832223333", place="センター", description="机で指を挟んだ",
                              occurred_at=datetime(2025, 5, 1, 10), now=NOW)
    with w.read() as s:
        doc = ir.accident_report_doc(s, a.id, today=date(2026, 11, 25))
        other = ir.accident_report_doc(s, b.id, today=date(2026, 11, 25))
        with pytest.raises(NotFound):
            ir.accident_report_doc(s, 9999)
    assert doc.report_no == f"{a.id:06d}" and doc.printed_on == date(2026, 11, 25)
    assert (doc.person_name, doc.reporter_name, doc.reporter_phone, doc.witnesses) == (
        "山田 花子", "代表 一子", "083-222-3333", "佐藤 一郎")
    assert (doc.group_name, doc.group_reg_no) == ("ふくふく子ども食堂", "0012")
    assert doc.plan_name == "ボランティア活動保険（基本タイプ）" and doc.enrolment_no == f"{insured.paid:06d}"
    assert doc.addressee == "下関市社会福祉協議会 御中" and "補償期間内" in doc.cover_text
    assert doc.deadline == date(2026, 12, 4) and doc.status_label == "未送付" and doc.received_by
    # Filed by group alone: the enrolment covering that day (last year's city plan) is found and addressed.
    assert other.group_name == "ふくふく子ども食堂" and other.plan_name == "下関市市民活動保険"
    assert other.addressee == "下関市 まちづくり政策課 御中" and other.enrolment_no == f"{insured.last_year:06d}"
    out = tmp_path / "accident.pdf"
    assert render_accident_report(doc, out) == 1
    text = re.sub(r"\s+", "", subprocess.run(["pdftotext", str(out), "-"], check=True, capture_output=True,
                                             text=True).stdout)
    assert "事故報告書" in text and "TEL083-222-3333" in text and "佐藤一郎" in text
