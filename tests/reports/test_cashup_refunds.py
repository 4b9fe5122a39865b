"""The daily cash-up (日計表) lists the 還付 of cancelled paid bookings (issue 18): a 「還付（予約の取消）」
section after the voids in the PDF and the xlsx, with a total, only on a day with refunds."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from booking_app.reports.cashup import cash_expected, money, render_cashup_pdf, write_cashup_xlsx
from booking_app.reports.docs import CashupDoc, CashupRow, Issuer
from booking_app.reports.layout import Drawn

MM = 72 / 25.4
ISSUER = Issuer("しものせき市民活動センター", "特定非営利活動法人ふくふくサポート", "下関市", "083-000-0000",
                "T1234567890128")


def make_doc(receipts: int = 5) -> CashupDoc:
    """The day of tests/reports/test_cashup.py: five receipts and one void, no 還付."""
    rows = tuple((f"2026-{120 + i:06d}", f"{9 + i}:{(i * 7) % 60:02d}",
                  "ふくふく子ども食堂" if i % 2 else "長府まちづくり協議会", 1000 + i * 250,
                  "取消" if i == 2 else "有効") for i in range(receipts))
    return CashupDoc(
        day=date(2026, 11, 25), terminal="受付1",
        by_method=(CashupRow("現金", 4, 4750), CashupRow("振込", 1, 2000)),
        by_kind=(CashupRow("部屋", 3, 4500), CashupRow("備品", 1, 1000), CashupRow("印刷機", 1, 1250)),
        receipts=rows, voids=(("2026-000122", "11:05", "金額の誤り", 1500, "現金"),),
        total_received=6750, total_refunded=1500, net=5250, closed_by="センター長",
        closed_at=datetime(2026, 11, 25, 21, 40), cash_counted=3150, issuer=ISSUER)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} not found: install poppler-utils (apt-get install poppler-utils)")
    return path


def _run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True, encoding="utf-8").stdout


TITLE = "還付（予約の取消）"
REFUNDS = (("R2026-000007", "10:12", "0000042", "利用者の都合", 1760, "現金"),
           ("R2026-000008", "15:40", "0000057", "=HYPERLINK(\"http://x\",\"台風による休館\")", 3300, "振込"))


def with_refunds(receipts: int = 5, **changes) -> CashupDoc:
    doc = make_doc(receipts)
    # As services.payments.cashup fills it: the 還付 are in the by-method and by-kind rows and the totals.
    doc = replace(doc, refunds=REFUNDS,
                  by_method=(*doc.by_method, CashupRow("還付（現金）", 1, -1760), CashupRow("還付（振込）", 1, -3300)),
                  by_kind=(*doc.by_kind, CashupRow("取消・返金", 1, -1500), CashupRow("還付", 2, -5060)),
                  total_refunded=1500 + 5060, net=6750 - 1500 - 5060)
    return replace(doc, **changes)


def _pdf_text(path) -> str:
    return re.sub(r"\s+", "", _run(_tool("pdftotext"), "-layout", "-enc", "UTF-8", str(path), "-"))


def test_cash_expected_without_the_services_figure_takes_off_cash_refunds():
    doc = with_refunds()
    assert cash_expected(doc) == 4750 - 1500 - 1760  # the 振込 還付 never left the drawer
    assert cash_expected(make_doc()) == 4750 - 1500


def test_the_pdf_lists_the_refunds_after_the_voids_with_a_total(tmp_path):
    out = tmp_path / "日計表.pdf"
    record: list[Drawn] = []
    assert render_cashup_pdf(with_refunds(2), out, record=record) == 1
    text = _pdf_text(out)
    voids_at, refunds_at = text.index("取消・返金（1件）"), text.index(f"{TITLE}2件")
    assert voids_at < refunds_at
    section = text[refunds_at:]
    assert section.index("還付番号時刻予約番号理由還付額方法") < section.index("R2026-00000710:120000042利用者の都合¥1,760現金")
    assert "R2026-00000815:400000057" in section and "¥3,300振込" in section
    assert "合計¥5,060" in section
    assert "返金合計¥6,560" in text and "差引（純額）¥190" in text
    # The section is drawn inside the paper, its heading with its table.
    heading = next(d for d in record if d.role == "heading" and d.text.startswith(TITLE))
    heads = [d for d in record if d.role == "cell_head" and d.text == "還付番号"]
    assert len(heads) == 1 and heads[0].box[1] < heading.box[1] and heads[0].page == heading.page
    for item in record:
        x0, y0, x1, y1 = item.box
        assert 10 * MM <= x0 <= x1 <= 200 * MM and 5 * MM <= y0 <= y1 <= 287 * MM, item


def test_a_day_without_refunds_has_no_refund_section(tmp_path):
    record: list[Drawn] = []
    out = tmp_path / "none.pdf"
    render_cashup_pdf(make_doc(), out, record=record)
    assert TITLE not in _pdf_text(out) and "還付番号" not in _pdf_text(out)
    assert not any(d.text.startswith(TITLE) for d in record)
    from openpyxl import load_workbook

    path = tmp_path / "none.xlsx"
    write_cashup_xlsx(make_doc(), path)
    ws = load_workbook(path)["日計表"]
    assert not any(c.value in (TITLE, "還付番号") for row in ws.iter_rows() for c in row)
    last = max(c.row for row in ws.iter_rows() for c in row if c.value is not None)
    assert ws.cell(row=last, column=1).value == "合計" and ws.cell(row=last, column=4).value == 1500  # voids last


def test_the_xlsx_has_the_refund_section_cell_by_cell_and_its_reasons_stay_text(tmp_path):
    from openpyxl import load_workbook

    path = tmp_path / "日計表.xlsx"
    write_cashup_xlsx(with_refunds(), path)
    ws = load_workbook(path)["日計表"]
    values = [[c.value for c in row] for row in ws.iter_rows(min_row=6, max_col=6)]
    titles = [r[0] for r in values]
    v, s = titles.index("取消・返金"), titles.index(TITLE)
    assert v < s
    assert values[s + 1] == ["還付番号", "時刻", "予約番号", "理由", "還付額", "方法"]
    assert values[s + 2] == ["R2026-000007", "10:12", "0000042", "利用者の都合", 1760, "現金"]
    # A reason typed as a formula is stored as text with its quote, never run.
    assert values[s + 3] == ["R2026-000008", "15:40", "0000057", "'=HYPERLINK(\"http://x\",\"台風による休館\")", 3300,
                             "振込"]
    assert values[s + 4] == ["合計", None, None, None, 5060, None]
    cell = ws.cell(row=6 + s + 3, column=4)
    assert cell.data_type == "s" and cell.alignment.wrap_text
    assert all(ws.cell(row=6 + s + i, column=5).number_format == "#,##0" for i in (2, 3, 4))
    assert ws.cell(row=6 + s + 4, column=1).font.b
    assert not any(isinstance(c.value, str) and c.value.startswith("=") for row in ws.iter_rows() for c in row)
    # The summary counts them (返金合計 holds voids and 還付), and the by-method rows show them.
    summary = {r[0]: r[1] for r in values[titles.index("集計") + 2:titles.index("支払方法別")] if r[0]}
    assert summary["返金合計"] == 6560 and summary["差引（純額）"] == 190
    assert ["還付（現金）", 1, -1760] in [r[:3] for r in values]
    assert ws.column_dimensions["F"].width and ws.page_setup.fitToWidth == 1


def test_the_total_goes_onto_the_next_page_with_the_last_refund():
    """Five receipts push the section's foot over the page: the last row goes too, under a repeated
    heading row, so the 合計 never stands alone."""
    record: list[Drawn] = []
    assert render_cashup_pdf(with_refunds(), io.BytesIO(), record=record) == 2
    on2 = [d.text for d in record if d.page == 2 and d.role.startswith("cell_")]
    assert on2[:6] == ["還付番号", "時刻", "予約番号", "理由", "還付額", "方法"]
    assert on2[6:9] == ["R2026-000008", "15:40", "0000057"] and on2[12:] == ["合計", "", "", "", "¥5,060", ""]


def test_many_refunds_run_onto_a_new_page_with_their_heading_row():
    refunds = tuple((f"R2026-{i:06d}", "10:00", f"{i:07d}", "利用者の都合", 1000, "現金") for i in range(1, 61))
    record: list[Drawn] = []
    pages = render_cashup_pdf(with_refunds(refunds=refunds, extra={"cash_expected": 0}), io.BytesIO(), record=record)
    assert pages >= 2
    rows = [d for d in record if d.role == "cell_body" and d.text.startswith("R2026-")]
    assert len(rows) == 60 and rows[-1].page == pages
    for page in {d.page for d in rows}:
        assert any(d.role == "cell_head" and d.text == "還付番号" and d.page == page for d in record), page
    assert any(d.role == "cell_total" and d.text == "¥60,000" for d in record)


# --------------------------------------------------------------------------- from the database


@pytest.fixture
def world(db_url):
    from factories import seed

    from booking_app.store.engine import make_engine

    eng = make_engine(db_url)
    try:
        yield seed(eng)
    finally:
        eng.dispose()


@pytest.mark.now(datetime(2026, 11, 25, 9, 0))
def test_the_services_cashup_of_a_day_with_two_refunds_prints_them(world, tmp_path):
    """Two paid bookings cancelled 5 days before (50 %), one refunded in cash and one by transfer: the
    cash-up services.payments builds prints both in the section, and the xlsx totals them."""
    from factories import DAY, NOW, at
    from openpyxl import load_workbook

    from booking_app.services import payments as pay
    from booking_app.services import refunding as rf

    when = at(DAY - timedelta(days=5), 10)
    paid = []
    for start, end, method in ((10, 12, "cash"), (13, 17, "transfer")):
        b = world.book(at(DAY, start), at(DAY, end))
        with world.read() as s:
            ids = [c.id for c in pay.open_charges(s, booking_id=b.id)]
        with world.write() as s:
            r = pay.take_payment(s, world.desk, ids, payer_name="山田花子", purpose="会議室使用料として",
                                 method="cash", now=NOW, terminal="受付1")
        paid.append((b, r.total, method))
    for n, (b, _total, method) in enumerate(paid):
        with world.write() as s:
            rf.cancel_with_refund(s, world.desk, b.id, "団体の都合", method=method,
                                  now=when + timedelta(minutes=5 * n), terminal="受付1")
    with world.read() as s:
        doc = pay.cashup(s, when.date(), "受付1")
    halves = [total // 2 for _b, total, _m in paid]
    assert len(doc.refunds) == 2

    out = tmp_path / "日計表.pdf"
    render_cashup_pdf(doc, out)
    text = _pdf_text(out)
    section = text[text.index(f"{TITLE}2件"):]
    assert f"R2026-00000110:00{paid[0][0].number}団体の都合{money(halves[0])}現金" in section
    assert f"R2026-00000210:05{paid[1][0].number}団体の都合{money(halves[1])}振込" in section
    assert f"合計{money(sum(halves))}" in section
    assert f"現金（帳簿）{money(-halves[0])}" in text  # nothing received that day, the cash 還付 paid out

    path = tmp_path / "日計表.xlsx"
    write_cashup_xlsx(doc, path)
    values = [[c.value for c in row] for row in load_workbook(path)["日計表"].iter_rows(max_col=6)]
    s = [r[0] for r in values].index(TITLE)
    assert [r[4] for r in values[s + 2:s + 5]] == [*halves, sum(halves)]
    assert values[s + 4][0] == "合計"
