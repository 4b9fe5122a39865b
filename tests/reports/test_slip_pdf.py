"""Usage slips (施設利用票): A5 one per page, A4 two per sheet; text, font, QR codes, nothing off the paper."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pytest

from booking_app.reports.docs import Issuer, SlipDoc
from booking_app.reports.layout import Drawn
from booking_app.reports.slip_pdf import SLIP_PREFIX, render_slips, slip_boxes
from booking_app.services.slips import DEFAULT_RULES, rules_for

MM = 72 / 25.4
ISSUER = Issuer("しものせき市民活動センター", "特定非営利活動法人ふくふくサポート",
                "山口県下関市竹崎町4丁目4番8号 ヴェルタワー下関2階", "083-000-0000", "T1234567890128")


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} not found: install poppler-utils (apt-get install poppler-utils)")
    return path


def _run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True, encoding="utf-8").stdout


def make_slip(i: int, *, long: bool = False) -> SlipDoc:
    return SlipDoc(
        booking_id=120 + i, booking_no=f"{120 + i:07d}", room_name="大会議室",
        start=datetime(2026, 12, 2, 13, 0), end=datetime(2026, 12, 2, 17, 0),
        booker_name="しものせき環境ボランティアネットワーク「海と山をつなぐ会」" if long else "ふくふく子ども食堂",
        group_reg_no="R0012", purpose="定例会" * (12 if long else 1), attendees=25,
        equipment=("プロジェクター 1台", "ホワイトボード 2台") * (4 if long else 1), status_label="確定",
        fee_total=2000, rules=rules_for(ISSUER) * (3 if long else 1), issuer=ISSUER,
        series_summary="毎週水曜 13:00〜17:00（全12回中3回目）" if i % 2 else "",
        fee_paid=2000 if i == 0 else 0, receipt_nos=("2026-000123",) if i == 0 else (),
    )


DOCS = [make_slip(0), make_slip(1, long=True), make_slip(2)]


@pytest.fixture(scope="module", params=["A5", "A4"])
def rendered(request, tmp_path_factory) -> tuple[str, Path, list[Drawn], int]:
    out = tmp_path_factory.mktemp("slips") / f"利用票_{request.param}.pdf"
    record: list[Drawn] = []
    pages = render_slips(DOCS, out, layout=request.param, record=record)
    return request.param, out, record, pages


def test_pages_and_paper(rendered):
    layout, out, _record, pages = rendered
    assert pages == (3 if layout == "A5" else 2)
    info = _run(_tool("pdfinfo"), str(out))
    assert re.search(rf"^Pages:\s+{pages}$", info, re.M)
    w, h = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups())
    assert (w / MM, h / MM) == pytest.approx((148, 210) if layout == "A5" else (210, 297), abs=0.5)


def test_only_the_embedded_japanese_font(rendered):
    fonts = _run(_tool("pdffonts"), rendered[1]).splitlines()[2:]
    assert fonts
    for line in fonts:
        assert line.split()[0].endswith("+IPAexGothic") and line.split()[-5] == "yes", line


def test_the_slip_text_comes_back(rendered):
    _layout, out, _record, _pages = rendered
    text = re.sub(r"\s+", "", _run(_tool("pdftotext"), "-enc", "UTF-8", str(out), "-"))
    assert text.count("施設利用票") == 3
    for n in ("0000120", "0000121", "0000122"):
        assert f"予約番号{n}" in text
    assert text.count("2026年12月2日(水)（令和8年12月2日）") == 3
    assert text.count("13:00〜17:00") >= 3
    assert "ふくふく子ども食堂（登録番号R0012）" in text
    assert "プロジェクター1台、ホワイトボード2台" in text
    assert "毎週水曜13:00〜17:00（全12回中3回目）" in text
    assert text.count("¥2,000") == 3 and "確定" in text
    assert "利用後は机・椅子を元の配置に戻し、原状に戻してください。" in text
    assert "083-000-0000" in text and "特定非営利活動法人ふくふくサポート" in text
    # Issue 13, item 9: paid or not, with the receipt; the rule that asks to call gives the number.
    assert text.count("支払済（領収書2026-000123）") == 1 and text.count("未払") == 2
    assert text.count("取消・変更は前日までに窓口か電話（083-000-0000）でご連絡ください。") == 1 + 3 + 1


def test_every_drawn_item_stays_inside_its_slip(rendered):
    layout, _out, record, pages = rendered
    _size, boxes = slip_boxes(layout)
    inset = 9 * MM  # the slip keeps a 10 mm margin inside its half or page
    assert {i.page for i in record} == set(range(1, pages + 1))
    for item in record:
        x0, y0, x1, y1 = item.box
        if item.role.startswith("cut"):
            assert layout == "A4" and 0 < x0 < x1 < item.page_size[0]
            continue
        assert any(bx0 + inset <= x0 <= x1 <= bx1 - inset and by0 + inset <= y0 <= y1 <= by1 - inset
                   for bx0, by0, bx1, by1 in boxes), item
    if layout == "A4":
        assert len([i for i in record if i.role == "cut_label"]) == pages


def test_each_slip_has_its_qr_code(rendered):
    _layout, _out, record, _pages = rendered
    qrs = [i for i in record if i.kind == "qr"]
    assert [q.text for q in qrs] == [f"{SLIP_PREFIX}{d.booking_id}" for d in DOCS]
    for q in qrs:
        assert q.box[2] - q.box[0] >= 20 * MM


def test_a_long_slip_shrinks_but_keeps_every_rule(rendered):
    _layout, _out, record, _pages = rendered
    rules = [i for i in record if i.role == "rule" and i.text != "・"]
    # 7 rules on slips 1 and 3, 21 on slip 2: each starts with its bullet, none cut.
    assert len([i for i in record if i.role == "rule" and i.text == "・"]) == 7 + 21 + 7
    assert not any(i.text.endswith("…") for i in rules)
    titles = [i for i in record if i.role == "title"]
    assert titles[1].font_size < titles[0].font_size == titles[2].font_size


def test_qr_codes_decode_when_a_decoder_is_installed(rendered, tmp_path):
    zbarimg = shutil.which("zbarimg")
    if zbarimg is None:
        pytest.skip("zbarimg (zbar-tools) not installed; QR decoding not checked")
    layout, out, _record, _pages = rendered
    subprocess.run([_tool("pdftoppm"), "-png", "-r", "150", "-f", "1", "-l", "1", str(out), str(tmp_path / "p")],
                   check=True)
    png = next(tmp_path.glob("p-*.png"))
    res = subprocess.run([zbarimg, "-q", "--raw", str(png)], capture_output=True, text=True)
    found = sorted(res.stdout.split())
    expected = ["FKB:120"] if layout == "A5" else ["FKB:120", "FKB:121"]
    assert found == expected


def test_prefix_matches_the_scanner_and_bad_input_is_refused():
    from booking_app.ui.scanner import BOOKING_PREFIX

    assert SLIP_PREFIX == BOOKING_PREFIX
    with pytest.raises(ValueError):
        render_slips([], io.BytesIO())
    with pytest.raises(ValueError):
        render_slips(DOCS, io.BytesIO(), layout="B5")
    buf = io.BytesIO()
    assert render_slips(DOCS[:1], buf, layout="A4") == 1 and buf.getvalue().startswith(b"%PDF")
