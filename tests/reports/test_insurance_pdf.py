"""Insurance certificate (加入証明書) and enrolment list PDFs from hand-written documents: font, text,
pages, and nothing off the page; the spreadsheet writers' edge cases.

Read back with poppler (pdffonts, pdftotext, pdfinfo), like the receipts' tests.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import replace
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from booking_app.domain.errors import ValidationError
from booking_app.reports.docs import Issuer
from booking_app.reports.insurance_pdf import (
    ROSTER_COLUMNS,
    CertificateDoc,
    CertPerson,
    EnrolmentRow,
    render_certificate,
    render_enrolment_list,
    write_roster,
)
from booking_app.reports.layout import Drawn

MM = 72 / 25.4
ISSUER = Issuer("しものせき市民活動センター", "特定非営利活動法人ふくふくサポート",
                "山口県下関市竹崎町4丁目4番8号 ヴェルタワー下関2階", "083-000-0000")
LONG_HOLDER = "しものせき環境ボランティアネットワーク「海と山をつなぐ会」関門海峡クリーン作戦実行委員会"


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} not found: install poppler-utils (apt-get install poppler-utils)")
    return path


def _run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True, encoding="utf-8").stdout


def flat_text(pdf: Path) -> str:
    return re.sub(r"\s+", "", _run(_tool("pdftotext"), "-enc", "UTF-8", str(pdf), "-"))


def page_count(pdf: Path) -> int:
    return int(re.search(r"Pages:\s+(\d+)", _run(_tool("pdfinfo"), str(pdf)))[1])


def assert_only_ipaex_embedded(pdf: Path) -> None:
    fonts = _run(_tool("pdffonts"), str(pdf)).splitlines()[2:]
    assert fonts and all(f.split()[0].endswith("+IPAexGothic") and f.split()[-5] == "yes" for f in fonts), fonts


def assert_inside_pages(record: list[Drawn], inset: float) -> None:
    assert record
    for item in record:
        w, h = item.page_size
        x0, y0, x1, y1 = item.box
        assert inset <= x0 <= x1 <= w - inset and inset <= y0 <= y1 <= h - inset, item


def people(n: int) -> tuple[CertPerson, ...]:
    names = ["山田花子", "佐藤一郎", "長谷川ジェニファー美由紀", "渡辺健太"]
    kana = ["ヤマダ ハナコ", "サトウ イチロウ", "ハセガワ ジェニファー ミユキ", "ワタナベ ケンタ"]
    return tuple(CertPerson(f"{names[i % 4]}{i + 1}", kana[i % 4], date(2026, 5, 11)) for i in range(n))


def make_cert(**changes) -> CertificateDoc:
    doc = CertificateDoc(
        certificate_no="000012", issued_on=date(2026, 11, 25), holder_name="ふくふく子ども食堂", group_reg_no="0012",
        plan_name="ボランティア活動保険（基本タイプ）", scheme_label="ボランティア活動保険", fiscal_year=2026,
        cover_start=date(2026, 5, 11), cover_end=date(2027, 3, 31), people=people(3), head_count=None,
        premium=1050, paid_on=date(2026, 5, 10), receipt_nos=("2026-000045",), issuer=ISSUER)
    return replace(doc, **changes)


def render_cert(tmp_path: Path, doc: CertificateDoc, name: str) -> tuple[Path, list[Drawn], int]:
    out = tmp_path / f"{name}.pdf"
    record: list[Drawn] = []
    pages = render_certificate(doc, out, record=record)
    return out, record, pages


def test_certificate_says_who_is_insured_by_what_and_when(tmp_path):
    out, record, pages = render_cert(tmp_path, make_cert(), "cert")
    assert pages == 1 == page_count(out)
    assert_only_ipaex_embedded(out)
    text = flat_text(out)
    for expected in ("加入証明書", "ふくふく子ども食堂様", "下記のとおりボランティア活動保険（基本タイプ）に加入していることを証明します",
                     "2026/05/11〜2027/03/31", "令和8年5月11日〜令和9年3月31日", "証明番号000012", "登録番号", "0012",
                     "¥1,050", "2026年5月10日（令和8年5月10日）", "2026-000045", "被保険者一覧（3名）", "ヤマダハナコ",
                     "特定非営利活動法人ふくふくサポート", "TEL083-000-0000", "令和8年11月25日"):
        assert expected in text, expected
    assert "（続き）" not in text and "行事名" not in text
    assert_inside_pages(record, 15 * MM)


def test_a_long_roster_runs_on_with_the_heading_repeated(tmp_path):
    doc = make_cert(people=people(90), holder_name=LONG_HOLDER)
    out, record, pages = render_cert(tmp_path, doc, "long")
    assert pages >= 3 and page_count(out) == pages
    assert_inside_pages(record, 15 * MM)
    for n in range(2, pages + 1):
        roles = [d.role for d in record if d.page == n]
        assert "continued" in roles and "people_head" in roles, n
        assert f"{n} / {pages}" in [d.text for d in record if d.page == n and d.role == "page_no"]
    persons = [d for d in record if d.role == "person" and re.fullmatch(r"\d+", d.text)]
    assert [int(d.text) for d in persons] == list(range(1, 91))  # every person once, in order
    assert not any(d.text.endswith("…") for d in record)
    # The holder's long name wraps rather than running off the page.
    assert len([d for d in record if d.role == "holder"]) == 2
    assert_only_ipaex_embedded(out)


def test_event_and_head_count_certificates(tmp_path):
    doc = make_cert(plan_name="ボランティア行事用保険 C（名簿なし）", scheme_label="行事用保険", people=(), head_count=50,
                    cover_start=date(2026, 11, 22), cover_end=date(2026, 11, 29), event_name="朗読と音楽の夕べ",
                    event_place="多目的交流ホール", event_start=date(2026, 11, 28), event_end=date(2026, 11, 29),
                    group_reg_no="", premium=2800)
    out, record, pages = render_cert(tmp_path, doc, "event")
    assert pages == 1
    text = flat_text(out)
    for expected in ("朗読と音楽の夕べ", "多目的交流ホール", "令和8年11月28日〜令和8年11月29日", "50名（人数による加入・名簿なし）"):
        assert expected in text, expected
    assert "被保険者一覧" not in text and "登録番号" not in text
    assert_inside_pages(record, 15 * MM)
    # The city's scheme: nothing paid, nothing to pay.
    city = make_cert(plan_name="下関市市民活動保険", scheme_label="市民活動保険", people=(), head_count=None,
                     premium=0, paid_on=None, receipt_nos=())
    out2, _record, _ = render_cert(tmp_path, city, "city")
    text2 = flat_text(out2)
    assert "負担なし" in text2 and "入金日" not in text2


def make_row(i: int) -> EnrolmentRow:
    event = i % 3 == 0
    return EnrolmentRow(
        enrolment_id=i, number=f"{i:06d}", fiscal_year=2026, scheme_label="行事用保険" if event else "ボランティア活動保険",
        plan_code="EVT-A1" if event else "VOL-BASIC",
        plan_name="ボランティア行事用保険 A1" if event else "ボランティア活動保険（基本タイプ）",
        holder_name=LONG_HOLDER if i % 7 == 0 else f"ふくふく子ども食堂{i}", reg_no="" if event else f"{i:04d}",
        event_name="関門海峡クリーン作戦2026" if event else "", event_place="下関市あるかぽーと周辺の海岸" if event else "",
        event_start=date(2026, 12, 6) if event else None, event_end=date(2026, 12, 6) if event else None,
        applied_on=date(2026, 5, 10), cover_start=date(2026, 5, 11), cover_end=date(2027, 3, 31), insured=i,
        premium=350 * i, paid=350 * i if i % 5 else 0, status_label="未払い" if i % 5 == 0 else "有効",
        in_force=bool(i % 5), paid_on=date(2026, 5, 10) if i % 5 else None,
        receipt_nos=(f"2026-{i:06d}",) if i % 5 else ())


def test_enrolment_list_is_landscape_with_headings_and_page_numbers(tmp_path):
    rows = [make_row(i) for i in range(1, 61)]
    out = tmp_path / "list.pdf"
    record: list[Drawn] = []
    pages = render_enrolment_list(rows, out, title="令和8年度 活動保険 加入者一覧", printed_on=date(2026, 11, 25),
                                  record=record)
    assert pages >= 2 and page_count(out) == pages
    assert_only_ipaex_embedded(out)
    assert all(d.page_size[0] > d.page_size[1] for d in record)  # landscape
    assert_inside_pages(record, 8 * MM)
    for n in range(1, pages + 1):
        on_page = [d for d in record if d.page == n]
        assert {"list_head", "list_title"} <= {d.role for d in on_page}, n
        assert f"{n} / {pages} ページ" in [d.text for d in on_page if d.role == "page_no"]
    text = flat_text(out)
    for expected in ("令和8年度活動保険加入者一覧", "000060", "未払い", "2026-000059", "60件"):
        assert expected in text, expected
    assert not any(d.text.endswith("…") for d in record)  # long names wrap, nothing is cut
    numbers = [d.text for d in record if d.role == "list_row" and re.fullmatch(r"\d{6}", d.text)]
    assert numbers == [f"{i:06d}" for i in range(1, 61)]

    empty = tmp_path / "empty.pdf"
    assert render_enrolment_list([], empty, title="空の一覧") == 1
    assert "該当する加入はありません" in flat_text(empty)


def test_roster_writer_refuses_other_files_and_writes_headings_alone(tmp_path):
    with pytest.raises(ValidationError, match=".xlsx か .csv"):
        write_roster([], tmp_path / "roster.pdf")
    out = tmp_path / "空.xlsx"
    assert write_roster([], out) == 0
    ws = openpyxl.load_workbook(out).active
    assert tuple(c.value for c in ws[2]) == ROSTER_COLUMNS and ws.max_row == 2
    csv_out = tmp_path / "空.csv"
    write_roster([], csv_out)
    assert csv_out.read_bytes() == ("\ufeff" + ",".join(ROSTER_COLUMNS) + "\r\n").encode("utf-8")


def test_enrolment_list_fits_a_page_of_one_line_rows(tmp_path):
    """Issue 13, item 15: the list printed 14 double-height rows a page (the period and the payment each
    took two lines). An ordinary enrolment is one line, and a page holds more than 20 of them."""
    rows = [replace(make_row(i), holder_name=f"ふくふく子ども食堂{i}", event_name="", event_place="",
                    scheme_label="ボランティア活動保険", plan_name="ボランティア活動保険（基本タイプ）")
            for i in range(1, 81)]
    record: list[Drawn] = []
    pages = render_enrolment_list(rows, tmp_path / "list.pdf", title="令和8年度 保険加入者一覧", record=record)
    per_page = [len({d.box[1] for d in record if d.page == n and d.role == "list_row" and d.text.isdigit()
                     and len(d.text) == 6}) for n in range(1, pages + 1)]
    assert min(per_page[:-1]) > 20, per_page
    # One line a row: every cell of a row sits on the row's one baseline.
    for n in range(1, pages + 1):
        baselines = {round(d.box[1]) for d in record if d.page == n and d.role == "list_row"}
        assert len(baselines) == per_page[n - 1], n
    assert_inside_pages(record, 8 * MM)
    assert not any(d.text.endswith("…") for d in record)


def _last_text(record: list[Drawn]) -> Drawn:
    """The text lowest on the last page, page numbers aside."""
    last = max(d.page for d in record)
    return min((d for d in record if d.page == last and d.kind == "text" and d.role != "page_no"),
               key=lambda d: d.box[1])


def test_certificate_names_its_cover_and_ends_with_ijou(tmp_path):
    """Issue 13, item 17: the certificate neither said what it covers nor ended with 以上."""
    cover = "ボランティア活動中の事故によるけが（傷害）と法律上の賠償責任"
    for name, doc in (("short", make_cert(cover=cover)), ("long", make_cert(cover=cover, people=people(90))),
                      ("city", make_cert(cover=cover, people=(), head_count=None, premium=0, paid_on=None,
                                         receipt_nos=()))):
        out, record, pages = render_cert(tmp_path, doc, name)
        text = flat_text(out)
        assert "補償の内容" in text and cover in text, name
        end = _last_text(record)
        assert (end.text, end.role) == ("以上", "closing"), (name, end)
        assert [d.text for d in record].count("以上") == 1, name
        assert_inside_pages(record, 15 * MM)
        if name == "short":
            assert pages == 1
        if name == "city":
            assert "団体として加入（名簿なし）" in text
