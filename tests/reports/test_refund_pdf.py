"""The 還付 slip (reports.refund_pdf): A5, everything it must say, on the page, nothing overlapping.

Read back with poppler (pdffonts, pdftotext), like the receipt's tests.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from booking_app.domain.documents import Issuer, RefundDoc
from booking_app.reports.layout import Drawn
from booking_app.reports.refund_pdf import booking_text, date_text, render_refund, rows

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


def make_doc(**changes) -> RefundDoc:
    doc = RefundDoc(
        refund_no="R2026-000007", at=datetime(2026, 11, 28, 10, 5), payer_name=PAYER, booking_no="0000012",
        room_name="多目的交流ホール", start=datetime(2026, 12, 2, 13, 0), end=datetime(2026, 12, 2, 17, 0),
        receipt_no="2026-000123", paid=1251, rate=50, amount=625,
        why_text="利用日の6日前から3日前までの取消のため50%還付", reason="講師の急病により中止", method_label="現金",
        issuer=ISSUER, staff_name="受付スタッフ")
    return replace(doc, **changes)


def render(tmp_path: Path, doc: RefundDoc) -> tuple[Path, list[Drawn]]:
    out = tmp_path / "refund.pdf"
    record: list[Drawn] = []
    assert render_refund(doc, out, record=record) == 1
    return out, record


def flat_text(pdf: Path) -> str:
    return re.sub(r"\s+", "", _run(_tool("pdftotext"), "-enc", "UTF-8", str(pdf), "-"))


def assert_on_the_page(record: list[Drawn], inset: float) -> None:
    assert record
    for item in record:
        w, h = item.page_size
        x0, y0, x1, y1 = item.box
        assert inset <= x0 <= x1 <= w - inset and inset <= y0 <= y1 <= h - inset, item


def assert_no_text_overlaps(record: list[Drawn]) -> None:
    texts = [d for d in record if d.kind == "text"]
    for i, a in enumerate(texts):
        for b in texts[i + 1:]:
            ax0, ay0, ax1, ay1 = a.box
            bx0, by0, bx1, by1 = b.box
            overlap = min(ax1, bx1) - max(ax0, bx0) > 0.5 and min(ay1, by1) - max(ay0, by0) > 0.5
            assert not overlap, (a.text, b.text)


def test_the_slip_says_what_it_must(tmp_path):
    out, record = render(tmp_path, make_doc())
    fonts = _run(_tool("pdffonts"), str(out)).splitlines()[2:]
    assert fonts and all(f.split()[0].endswith("+IPAexGothic") and f.split()[-5] == "yes" for f in fonts), fonts
    info = _run(_tool("pdfinfo"), str(out))
    width, height = (float(x) for x in re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups())
    assert (round(width / MM), round(height / MM)) == (148, 210)  # A5 portrait
    text = flat_text(out)
    for must in ("還付明細書", "R2026-000007", "2026年11月28日", "令和8年11月28日", f"{PAYER}様", "0000012",
                 "多目的交流ホール", "2026年12月2日(水)13:00〜17:00", "2026-000123", "¥1,251", "50%", "¥625",
                 "利用日の6日前から3日前までの取消のため50%還付", "講師の急病により中止", "現金",
                 "特定非営利活動法人ふくふくサポート", "しものせき市民活動センター", "担当受付スタッフ", "受領印"):
        assert must in text, must
    assert_on_the_page(record, 8 * MM)
    assert_no_text_overlaps(record)
    roles = {d.role for d in record}
    assert {"title", "refund_no", "date", "payer", "amount", "value", "operator", "seal_box"} <= roles


def test_helpers():
    doc = make_doc()
    assert date_text(doc) == "2026年11月28日（令和8年11月28日）"
    assert booking_text(doc) == "2026年12月2日(水) 13:00〜17:00 多目的交流ホール"
    assert dict(rows(doc))["還付額"] == "¥625" and dict(rows(doc))["還付率"] == "50%"


def test_a_long_reason_wraps_and_stays_on_the_page(tmp_path):
    reason = "台風接近に伴う警報の発令により、利用者の安全確保のため中止。" * 8
    out, record = render(tmp_path, make_doc(reason=reason, payer_name=PAYER * 2, rate=0, amount=0,
                                            why_text="利用日の2日前以降の取消のため還付なし"))
    assert_on_the_page(record, 8 * MM)
    assert_no_text_overlaps(record)
    assert len([d for d in record if d.role == "value" and d.text.rstrip("…") in reason]) == 6
    text = flat_text(out)
    assert "¥0-" in text and "還付なし" in text and "…" in text  # cut after 6 lines


def test_a_zero_refund_still_prints(tmp_path):
    out, _ = render(tmp_path, make_doc(rate=0, amount=0, why_text="利用日を過ぎてからの取消のため還付なし"))
    assert "¥0-" in flat_text(out)
