"""The daily cash-up (日計表): A4 PDF text and layout, and the xlsx read back cell by cell."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import replace
from datetime import date, datetime

import pytest

from booking_app.reports.cashup import cash_expected, money, render_cashup_pdf, write_cashup_xlsx
from booking_app.reports.docs import CashupDoc, CashupRow, Issuer
from booking_app.reports.layout import Drawn

MM = 72 / 25.4
ISSUER = Issuer("しものせき市民活動センター", "特定非営利活動法人ふくふくサポート", "下関市", "083-000-0000",
                "T1234567890128")


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} not found: install poppler-utils (apt-get install poppler-utils)")
    return path


def _run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True, encoding="utf-8").stdout


def make_doc(receipts: int = 5, **changes) -> CashupDoc:
    rows = tuple((f"2026-{120 + i:06d}", f"{9 + i % 12}:{(i * 7) % 60:02d}",
                  "ふくふく子ども食堂" if i % 2 else "長府まちづくり協議会", 1000 + i * 250,
                  "取消" if i == 2 else "有効") for i in range(receipts))
    doc = CashupDoc(
        day=date(2026, 11, 25), terminal="受付1",
        by_method=(CashupRow("現金", 4, 4750), CashupRow("振込", 1, 2000)),
        by_kind=(CashupRow("部屋", 3, 4500), CashupRow("備品", 1, 1000), CashupRow("印刷機", 1, 1250)),
        receipts=rows, voids=(("2026-000122", "11:05", "金額の誤り", 1500, "現金"),),
        total_received=6750, total_refunded=1500, net=5250, closed_by="センター長",
        closed_at=datetime(2026, 11, 25, 21, 40), cash_counted=3150, issuer=ISSUER)
    return replace(doc, **changes)


def test_cash_expected_and_money():
    doc = make_doc()
    assert cash_expected(doc) == 4750 - 1500
    assert cash_expected(replace(doc, extra={"cash_expected": 9999})) == 9999
    assert money(1234) == "¥1,234" and money(-100) == "△¥100"


def test_the_pdf_shows_the_day_totals_receipts_and_voids(tmp_path):
    out = tmp_path / "日計表.pdf"
    record: list[Drawn] = []
    assert render_cashup_pdf(make_doc(), out, record=record) == 1
    fonts = _run(_tool("pdffonts"), str(out)).splitlines()[2:]
    assert fonts and all(f.split()[0].endswith("+IPAexGothic") and f.split()[-5] == "yes" for f in fonts)
    # -layout keeps each table row on its line (plain mode may read a narrow table column by column).
    text = re.sub(r"\s+", "", _run(_tool("pdftotext"), "-layout", "-enc", "UTF-8", str(out), "-"))
    for expected in ("日計表", "2026年11月25日(水)（令和8年11月25日）", "端末：受付1", "センター長2026/11/2521:40",
                     "受領合計¥6,750", "返金合計¥1,500", "差引（純額）¥5,250", "現金（帳簿）¥3,250",
                     "現金（実査）¥3,150", "過不足△¥100", "支払方法別", "現金4¥4,750", "振込1¥2,000",
                     "合計5¥6,750", "品目区分別", "印刷機1¥1,250", "領収書一覧（5件）", "2026-00012413:28長府まちづくり協議会¥2,000有効",
                     "取消・返金（1件）", "2026-00012211:05金額の誤り¥1,500現金"):
        assert expected in text, expected
    for item in record:
        x0, y0, x1, y1 = item.box
        assert 10 * MM <= x0 <= x1 <= 200 * MM and 5 * MM <= y0 <= y1 <= 287 * MM, item


def test_a_long_day_runs_onto_more_pages_inside_the_paper(tmp_path):
    out = tmp_path / "long.pdf"
    record: list[Drawn] = []
    pages = render_cashup_pdf(make_doc(120, cash_counted=None, closed_by=""), out, record=record)
    assert pages >= 3
    assert re.search(rf"^Pages:\s+{pages}$", _run(_tool("pdfinfo"), str(out)), re.M)
    assert [i.text for i in record if i.role == "footer"][-1].endswith(f"{pages}/{pages}")
    text = _run(_tool("pdftotext"), "-enc", "UTF-8", str(out), "-")
    assert "2026-000239" in text and "未締め" in text and "（未入力）" in text
    for item in record:
        assert 5 * MM <= item.box[1] and item.box[3] <= 287 * MM, item


def test_the_xlsx_reads_back_cell_by_cell(tmp_path):
    from openpyxl import load_workbook

    path = tmp_path / "日計表.xlsx"
    write_cashup_xlsx(make_doc(), path)
    wb = load_workbook(path)
    assert wb.sheetnames == ["日計表"]
    ws = wb["日計表"]
    assert ws["A1"].value == "日計表" and ws["C1"].value == "しものせき市民活動センター"
    assert (ws["A2"].value, ws["B2"].value) == ("日付", "2026年11月25日(水)（令和8年11月25日）")
    assert (ws["A3"].value, ws["B3"].value) == ("端末", "受付1")
    assert ws["B4"].value == "センター長 2026/11/25 21:40"
    values = [[c.value for c in row] for row in ws.iter_rows(min_row=6, max_col=5)]

    def section(title: str) -> int:
        return next(i for i, r in enumerate(values) if r[0] == title)

    s = section("集計")
    assert values[s + 1][:2] == ["項目", "金額"]
    assert [r[:2] for r in values[s + 2:s + 8]] == [
        ["受領合計", 6750], ["返金合計", 1500], ["差引（純額）", 5250], ["現金（帳簿）", 3250],
        ["現金（実査）", 3150], ["過不足", -100]]
    s = section("支払方法別")
    assert values[s + 1][:3] == ["支払方法", "件数", "金額"]
    assert values[s + 2][:3] == ["現金", 4, 4750] and values[s + 3][:3] == ["振込", 1, 2000]
    assert values[s + 4][:3] == ["合計", 5, 6750]
    s = section("品目区分別")
    assert [r[:3] for r in values[s + 2:s + 6]] == [["部屋", 3, 4500], ["備品", 1, 1000], ["印刷機", 1, 1250],
                                                  ["合計", 5, 6750]]
    s = section("領収書一覧")
    assert values[s + 1] == ["領収書番号", "時刻", "支払者", "金額", "状態"]
    assert values[s + 2] == ["2026-000120", "9:00", "長府まちづくり協議会", 1000, "有効"]
    assert values[s + 4][4] == "取消"
    assert values[s + 7][0] == "合計" and values[s + 7][3] == sum(1000 + i * 250 for i in range(5))
    s = section("取消・返金")
    assert values[s + 2] == ["2026-000122", "11:05", "金額の誤り", 1500, "現金"]
    # Money cells are numbers with a thousands separator; the sheet prints one A4 page wide.
    money_cells = [c for row in ws.iter_rows(min_row=6) for c in row if isinstance(c.value, int)
                   and c.column_letter in "BD" and c.value >= 1000]
    assert money_cells and all(c.number_format == "#,##0" for c in money_cells)
    assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4) == 9  # A4
    assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage


def test_xlsx_into_a_file_object_writes_no_stray_file(tmp_path, monkeypatch):
    import io

    monkeypatch.chdir(tmp_path)
    buf = io.BytesIO()
    write_cashup_xlsx(make_doc(), buf)
    assert buf.getvalue()[:2] == b"PK" and list(tmp_path.iterdir()) == []


def test_no_heading_at_a_page_foot_and_tables_repeat_their_heading_row():
    """Issue 13, item 15: on a day long enough to fill a page the 取消・返金 heading stood alone at the
    foot of page one, and the rows on page two had no heading row. Checked for every length of day
    that moves the page break across the sections."""
    import io

    stranded = set()
    for n in range(25, 75):
        record: list[Drawn] = []
        voids = tuple((f"2026-{300 + i:06d}", "11:05", "金額の誤り", 500, "現金") for i in range(6))
        pages = render_cashup_pdf(make_doc(n, voids=voids), io.BytesIO(), record=record)
        for page in range(1, pages + 1):
            on = [d for d in record if d.page == page]
            heads = [d.box[1] for d in on if d.role == "cell_head"]
            for h in (d for d in on if d.role == "heading"):
                # Its table's heading row is on the same page, under it.
                if not any(y < h.box[1] for y in heads):
                    stranded.add((n, page, h.text))
            body = [d.box[3] for d in on if d.role in ("cell_body", "cell_total")]
            if body:
                assert heads and max(heads) > max(body), (n, page)
    assert not stranded, sorted(stranded)[:5]
