"""Receipts (領収書) as PDF in the A5, A4 and 80 mm roll layouts: font, text, and nothing off the page.

Read back with poppler (pdffonts, pdftotext, pdfinfo), like the member cards' tests.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from booking_app.reports.docs import DocLine, Issuer, ReceiptDoc
from booking_app.reports.layout import Drawn, wrap
from booking_app.reports.receipt_pdf import LAYOUTS, SPECS, render_receipt

MM = 72 / 25.4
ISSUER = Issuer("しものせき市民活動センター", "特定非営利活動法人ふくふくサポート",
                "山口県下関市竹崎町4丁目4番8号 ヴェルタワー下関2階", "083-000-0000", "T1234567890128")
PAYER = "しものせき環境ボランティアネットワーク「海と山をつなぐ会」"


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} not found: install poppler-utils (apt-get install poppler-utils)")
    return path


def _run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True, encoding="utf-8").stdout


def make_doc(*, lines: int = 0, **changes) -> ReceiptDoc:
    base = [DocLine("大会議室 午後", 1, 8000, 8000, "taxable10"),
            DocLine("プロジェクター", 2, 1000, 2000, "taxable10"),
            DocLine("印刷機 製版 3版・用紙持込 1,200枚（両面・A3）、丁合機とラミネーターを使用", 1, 1785, 1785,
                    "taxable10"),
            DocLine("ボランティア行事用保険 A1 20名", 1, 560, 560, "exempt")]
    items = tuple(base if not lines else (base * (lines // len(base) + 1))[:lines])
    taxable = sum(i.amount for i in items if i.tax == "taxable10")
    exempt = sum(i.amount for i in items if i.tax == "exempt")
    doc = ReceiptDoc("2026-000123", datetime(2026, 11, 25, 10, 30), PAYER, "大会議室使用料として", items,
                     taxable + exempt, taxable, taxable * 10 // 110, exempt, "現金", ISSUER, staff_name="受付スタッフ")
    return replace(doc, **changes)


def render(tmp_path: Path, doc: ReceiptDoc, layout: str, name: str = "r") -> tuple[Path, list[Drawn], int]:
    out = tmp_path / f"{name}_{layout}.pdf"
    record: list[Drawn] = []
    pages = render_receipt(doc, out, layout=layout, record=record)
    return out, record, pages


def flat_text(pdf: Path) -> str:
    return re.sub(r"\s+", "", _run(_tool("pdftotext"), "-enc", "UTF-8", str(pdf), "-"))


def assert_inside_pages(record: list[Drawn], inset: float) -> None:
    assert record
    for item in record:
        w, h = item.page_size
        x0, y0, x1, y1 = item.box
        assert inset <= x0 <= x1 <= w - inset and inset <= y0 <= y1 <= h - inset, item


@pytest.mark.parametrize("layout", LAYOUTS)
def test_the_receipt_says_what_a_japanese_receipt_must(tmp_path, layout):
    doc = make_doc()
    assert doc.total == 12345
    out, record, pages = render(tmp_path, doc, layout)
    assert pages == 1
    fonts = _run(_tool("pdffonts"), str(out)).splitlines()[2:]
    assert fonts and all(f.split()[0].endswith("+IPAexGothic") and f.split()[-5] == "yes" for f in fonts), fonts
    text = flat_text(out)
    for expected in ("領収書", "No.2026-000123", "2026年11月25日（令和8年11月25日）", PAYER + "様", "¥12,345-",
                     "但し大会議室使用料として", "上記正に領収いたしました", "10%対象¥11,785（うち消費税¥1,071）",
                     "非課税¥560", "登録番号T1234567890128", "特定非営利活動法人ふくふくサポート",
                     "TEL083-000-0000", "担当受付スタッフ", "お支払方法：現金", "プロジェクター", "¥1,785"):
        assert expected in text, expected
    assert "再発行" not in text and "収入印紙" not in text and "取消" not in text
    assert "上様" not in text
    # The amount is the largest figure on the page, in its box.
    amount = next(i for i in record if i.role == "amount")
    box = next(i for i in record if i.role == "amount_box")
    assert amount.font_size >= max(i.font_size for i in record if i.role not in ("amount", "title", "void"))
    assert box.box[0] <= amount.box[0] and amount.box[2] <= box.box[2]
    assert box.box[1] <= amount.box[1] and amount.box[3] <= box.box[3]
    assert_inside_pages(record, 3.5 * MM)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_reissue_stamp_duty_and_void_are_marked(tmp_path, layout):
    doc = make_doc(reissue=True, stamp_duty=200, voided=True)
    out, record, _pages = render(tmp_path, doc, layout, "marked")
    text = flat_text(out)
    assert "再発行" in text and "収入印紙" in text and "取消" in text
    assert "2026年11月25日（令和8年11月25日）" in text  # a reissue keeps the original date
    roles = {i.role for i in record}
    assert {"reissue_box", "stamp_box", "void_box"} <= roles
    assert_inside_pages(record, 3.5 * MM)
    # Only stamp duty makes the revenue stamp box; only a reissue says 再発行.
    out2, record2, _ = render(tmp_path, replace(doc, stamp_duty=0, reissue=False, voided=False), layout, "plain")
    text2 = flat_text(out2)
    assert "再発行" not in text2 and "収入印紙" not in text2
    assert not {"reissue_box", "stamp_box", "void_box"} & {i.role for i in record2}


def test_a_receipt_without_invoice_number_or_exempt_items_leaves_them_out(tmp_path):
    doc = make_doc(issuer=replace(ISSUER, invoice_number=""))
    doc = replace(doc, lines=doc.lines[:2], total=10000, taxable10=10000, tax10=909, exempt=0)
    out, _record, _ = render(tmp_path, doc, "A5")
    text = flat_text(out)
    assert "登録番号" not in text and "非課税" not in text
    assert "10%対象¥10,000（うち消費税¥909）" in text and "¥10,000-" in text


def test_the_roll_is_80mm_wide_and_as_long_as_its_content(tmp_path):
    short_out, short_rec, _ = render(tmp_path, make_doc(), "roll80", "short")
    long_out, long_rec, pages = render(tmp_path, make_doc(lines=40, stamp_duty=200), "roll80", "long")
    assert pages == 1
    for out, rec in ((short_out, short_rec), (long_out, long_rec)):
        info = _run(_tool("pdfinfo"), str(out))
        w, h = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups())
        assert w == pytest.approx(80 * MM, abs=0.1)
        assert (w, h) == pytest.approx(rec[0].page_size, abs=0.1)
        assert_inside_pages(rec, 3.5 * MM)
        lowest = min(i.box[1] for i in rec)
        assert lowest - SPECS["roll80"].margin == pytest.approx(0, abs=2 * MM)  # no long blank tail
    assert long_rec[0].page_size[1] > short_rec[0].page_size[1] + 40 * 8  # 40 lines need room
    text = flat_text(long_out)
    assert text.count("大会議室午後") == 10 and "収入印紙" in text


def test_long_descriptions_wrap_in_their_column(tmp_path):
    for layout in LAYOUTS:
        _out, record, _ = render(tmp_path, make_doc(), layout, "wrap")
        cells = [i for i in record if i.role in ("cell0",)]
        joined = "".join(i.text for i in cells)
        # (A break may fall at a space, which the wrapped lines then leave out.)
        assert "印刷機製版3版・用紙持込1,200枚" in re.sub(r"\s+", "", joined)
        assert len([i for i in cells if "丁合機" in i.text or "ラミネーター" in i.text]) >= 1
        assert len(cells) > 4, layout  # the long description took more than one line


def test_many_lines_continue_on_further_pages_inside_the_paper(tmp_path):
    out, record, pages = render(tmp_path, make_doc(lines=60), "A5", "many")
    assert pages >= 2
    assert re.search(rf"^Pages:\s+{pages}$", _run(_tool("pdfinfo"), str(out)), re.M)
    assert_inside_pages(record, 3.5 * MM)
    assert {i.page for i in record} == set(range(1, pages + 1))
    assert [i.text for i in record if i.role == "continued"][-1].endswith(f"{pages}/{pages}")
    text = flat_text(out)
    assert text.count("プロジェクター") == 15 and "登録番号T1234567890128" in text


def test_wrap_keeps_numbers_and_closing_brackets_together():
    lines = wrap("印刷機 製版 3版・用紙持込 1,200枚（両面・A3）、丁合機とラミネーターを使用", 60, 9)
    assert all(not ln.startswith(("、", "）", "・")) for ln in lines)
    assert any("1,200" in ln for ln in lines)


def test_renders_to_a_file_object_and_refuses_unknown_layouts():
    buf = io.BytesIO()
    assert render_receipt(make_doc(), buf) == 1
    assert buf.getvalue().startswith(b"%PDF")
    with pytest.raises(ValueError):
        render_receipt(make_doc(), io.BytesIO(), layout="B5")


@pytest.mark.parametrize("layout", LAYOUTS)
def test_quantities_print_with_their_unit_inside_their_column(tmp_path, layout):
    """Issue 13, item 17: 「260」 alone on a receipt; the unit of the fee table follows the number."""
    lines = (DocLine("団体ロッカー", 260, 200, 52000, "taxable10", "か月"),
             DocLine("コピー 白黒", 12000, 10, 120000, "taxable10", "枚"),
             DocLine("大会議室 午後", 1, 2000, 2000, "taxable10", "区分"),
             DocLine("昔の品目", 3, 100, 300, "taxable10"))
    total = sum(li.amount for li in lines)
    doc = make_doc(lines=0)
    doc = replace(doc, lines=lines, total=total, taxable10=total, tax10=total * 10 // 110, exempt=0)
    out, record, _pages = render(tmp_path, doc, layout, "units")
    text = flat_text(out)
    for expected in ("260か月", "12,000枚", "1区分"):
        assert expected in text, expected
    assert_inside_pages(record, 3.5 * MM)
    if layout != "roll80":
        cells = [i for i in record if i.role.startswith("cell")]
        qty = [i for i in cells if i.role == "cell1"]
        assert [i.text for i in qty] == ["260か月", "12,000枚", "1区分", "3"]
        for q in qty:  # never into the description or the unit price beside it
            same_row = [i for i in cells if i is not q and abs(i.box[1] - q.box[1]) < 1]
            assert all(i.box[2] <= q.box[0] or q.box[2] <= i.box[0] for i in same_row), q
    else:
        assert "260か月×¥200" in text and "12,000枚×¥10" in text
