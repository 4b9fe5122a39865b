"""Member cards (登録団体証): the PDF's pages, embedded font, text, layout, QR codes, and the data service.

The PDF is read back with poppler's command-line tools (``apt-get install poppler-utils``): pdfinfo
for pages, pdffonts for embedding, pdftotext for the text and the box of every word.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path

import pytest

from booking_app.domain.errors import NotFound, ValidationError
from booking_app.reports import member_cards as mc
from booking_app.reports.member_cards import CardData, DrawnItem, fit_name, render_member_cards
from booking_app.services.groups import CARD_PREFIX

NAMES = [
    "ふくふく子ども食堂",
    "しものせき環境ボランティアネットワーク「海と山をつなぐ会」",
    "NPO法人 関門海峡まちづくり推進協議会 彦島地区部会",
    "長府まちづくり協議会",
    "しものせき国際交流の会（Shimonoseki International Friendship Association）",
]
VERY_LONG = ("特定非営利活動法人しものせき子どもの居場所づくり応援ネットワーク・"
             "ふくふくサポーターズクラブ下関支部連絡協議会")
MM = 72 / 25.4


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} not found: install poppler-utils (apt-get install poppler-utils)")
    return path


def _run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True, encoding="utf-8").stdout


def make_cards(n: int) -> list[CardData]:
    cards = []
    for i in range(n):
        name = VERY_LONG if i == 6 else NAMES[i % len(NAMES)]
        cards.append(CardData(reg_no=f"{i + 1:04d}", name=name, kana="ふくふくこどもしょくどう",
                              group_type_label="目的型" if i % 2 else "地縁型", valid_until=date(2027, 3, 31),
                              centre_name="しものせき市民活動センター", centre_phone="083-000-0000"))
    return cards


@pytest.fixture(scope="module")
def sheet(tmp_path_factory) -> tuple[Path, list[CardData], list[DrawnItem], int]:
    out = tmp_path_factory.mktemp("cards") / "登録団体証.pdf"
    cards = make_cards(23)
    record: list[DrawnItem] = []
    pages = render_member_cards(cards, out, record=record)
    return out, cards, record, pages


def test_23_cards_make_3_a4_pages(sheet):
    out, _cards, _record, pages = sheet
    assert pages == 3
    info = _run(_tool("pdfinfo"), str(out))
    assert re.search(r"^Pages:\s+3$", info, re.M)
    assert "(A4)" in info


def test_only_the_japanese_font_is_used_and_it_is_embedded(sheet):
    out = sheet[0]
    lines = _run(_tool("pdffonts"), str(out)).splitlines()[2:]
    assert lines, "no fonts listed"
    for line in lines:
        cols = line.split()
        assert cols[0].endswith("IPAexGothic"), line  # no stray Helvetica
        emb = cols[-5]
        assert emb == "yes", line


def test_text_comes_back_with_names_numbers_and_both_calendars(sheet):
    out, cards, _record, _pages = sheet
    text = _run(_tool("pdftotext"), "-enc", "UTF-8", str(out), "-")
    flat = re.sub(r"\s+", "", text)
    for card in cards[:6]:
        assert re.sub(r"\s+", "", card.name) in flat, card.name
    for n in range(1, 24):
        assert f"{n:04d}" in text
    assert text.count("有効期限 2027/03/31（令和9年3月31日）") == 23
    assert text.count("しものせき市民活動センター") >= 23 and text.count("登録団体証") >= 23


def test_every_drawn_item_stays_inside_its_card(sheet):
    _out, cards, record, _pages = sheet
    boxes = mc.card_boxes()
    inset = 3.5 * MM  # everything keeps clear of a slightly off cut (the layout pads 4 mm)
    assert {item.card for item in record} == set(range(len(cards)))
    for item in record:
        x0, y0, x1, y1 = item.box
        cx0, cy0, cx1, cy1 = item.card_box
        assert item.card_box == boxes[item.card % 10]
        assert 0 <= cx0 and cx1 <= mc.PAGE_W and 0 <= cy0 and cy1 <= mc.PAGE_H
        assert cx0 + inset <= x0 < x1 <= cx1 - inset, item
        assert cy0 + inset <= y0 < y1 <= cy1 - inset, item
    # Nothing overlaps anything else on the same card.
    by_card: dict[int, list[DrawnItem]] = {}
    for item in record:
        by_card.setdefault(item.card, []).append(item)
    for items in by_card.values():
        for i, a in enumerate(items):
            for b in items[i + 1:]:
                overlap = (min(a.box[2], b.box[2]) - max(a.box[0], b.box[0]) > 0.1
                           and min(a.box[3], b.box[3]) - max(a.box[1], b.box[1]) > 0.1)
                assert not overlap, (a.role, a.text, b.role, b.text)


def test_words_in_the_pdf_lie_inside_a_card(sheet):
    """The same check on what poppler reads back, not on what the renderer says it drew."""
    out = sheet[0]
    html = _run(_tool("pdftotext"), "-bbox", "-enc", "UTF-8", str(out), "-")
    words = re.findall(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<', html)
    assert len(words) > 23 * 8
    boxes = mc.card_boxes()
    for x0, top, x1, bottom, word in words:
        x0, x1 = float(x0), float(x1)
        y0, y1 = mc.PAGE_H - float(bottom), mc.PAGE_H - float(top)  # poppler measures from the top
        assert any(bx0 < x0 and x1 < bx1 and by0 < y0 and y1 < by1 for bx0, by0, bx1, by1 in boxes), word


def test_each_card_has_its_qr_code_square_and_inside(sheet):
    _out, cards, record, _pages = sheet
    qrs = [item for item in record if item.kind == "qr"]
    assert [q.text for q in qrs] == [CARD_PREFIX + c.reg_no for c in cards]
    for q in qrs:
        x0, y0, x1, y1 = q.box
        assert x1 - x0 == pytest.approx(y1 - y0) == pytest.approx(23 * MM)
    assert mc.CARD_PREFIX == CARD_PREFIX


def test_qr_codes_decode_when_a_decoder_is_installed(sheet, tmp_path):
    zbarimg = shutil.which("zbarimg")
    if zbarimg is None:
        pytest.skip("zbarimg (zbar-tools) not installed; QR decoding not checked")
    out = sheet[0]
    subprocess.run([_tool("pdftoppm"), "-png", "-r", "200", "-f", "1", "-l", "1", str(out), str(tmp_path / "p")],
                   check=True)
    from PIL import Image

    png = next(tmp_path.glob("p-*.png"))
    image = Image.open(png)
    scale = 200 / 72
    found = []
    for i, (x0, y0, x1, y1) in enumerate(mc.card_boxes()):
        crop = tmp_path / f"card{i}.png"
        image.crop((int(x0 * scale), int((mc.PAGE_H - y1) * scale), int(x1 * scale),
                    int((mc.PAGE_H - y0) * scale))).save(crop)
        res = subprocess.run([zbarimg, "-q", "--raw", str(crop)], capture_output=True, text=True)
        found.append(res.stdout.strip())
    assert found == [f"{CARD_PREFIX}{n:04d}" for n in range(1, 11)]


def test_a_very_long_name_shrinks_to_two_lines_in_the_card_width(sheet):
    _out, _cards, record, _pages = sheet
    lines = [item for item in record if item.card == 6 and item.role == "name"]
    assert len(lines) == 2
    assert all(item.font_size < mc.NAME_MAX_PT for item in lines)
    assert "".join(item.text for item in lines) == VERY_LONG  # shrunk, not cut
    short = [item for item in record if item.card == 0 and item.role == "name"]
    assert len(short) == 1 and short[0].font_size == mc.NAME_MAX_PT


def test_fit_name_breaks_like_japanese_text():
    width = 83 * MM
    size, lines = fit_name(NAMES[1], width)
    assert lines == ["しものせき環境ボランティアネットワーク", "「海と山をつなぐ会」"]  # not inside a word
    size, lines = fit_name(NAMES[2], width)
    assert len(lines) == 2 and not lines[1].startswith(" ")
    assert "NPO" in lines[0] and all(not line.endswith("（") for line in lines)
    # Absurdly long: smallest size, two lines, cut with '…' but still inside the width.
    size, lines = fit_name(VERY_LONG * 3, width)
    assert size == mc.NAME_MIN_PT and len(lines) == 2 and lines[1].endswith("…")
    assert all(mc._width(line, size) <= width for line in lines)


def test_renders_to_a_file_object_and_per_page(tmp_path):
    buf = io.BytesIO()
    assert render_member_cards(make_cards(3), buf, per_page=1) == 3
    assert buf.getvalue().startswith(b"%PDF")
    with pytest.raises(ValueError):
        render_member_cards([], buf)
    with pytest.raises(ValueError):
        render_member_cards(make_cards(1), buf, per_page=11)


# --------------------------------------------------------------------------- the data service


def test_card_data_gathers_cards_and_refuses_groups_without_standing(db_url):
    from booking_app.services import centre
    from booking_app.services.cards import card_data
    from booking_app.store.engine import make_engine, read_session, write_session
    from booking_app.store.models import MemberGroup

    engine = make_engine(db_url)
    try:
        now = datetime(2026, 11, 25, 9, 0)
        with write_session(engine) as s:
            centre.ensure_initial_data(s)
            rows = [
                MemberGroup(reg_no="0012", name="ふくふく子ども食堂", kana="ふくふくこどもしょくどう",
                            group_type="purpose", status="active", valid_until=date(2027, 3, 31), created_at=now),
                MemberGroup(reg_no="0013", name="彦島地区まちづくり協議会", kana="ひこしまちく", group_type="community",
                            is_machizukuri=True, district="彦島", status="active", valid_until=date(2027, 3, 31),
                            created_at=now),
                MemberGroup(reg_no="0014", name="休止中の会", kana="きゅうしちゅう", status="suspended",
                            valid_until=date(2027, 3, 31), created_at=now),
                MemberGroup(reg_no="0015", name="去年の会", kana="きょねん", status="active",
                            valid_until=date(2026, 3, 31), created_at=now),
            ]
            s.add_all(rows)
            s.flush()
            ids = [g.id for g in rows]
        with read_session(engine) as s:
            profile = centre.get_profile(s)
            cards = card_data(s, [ids[1], ids[0], ids[1]], profile=profile, today=now.date())
            assert [c.reg_no for c in cards] == ["0013", "0012"]
            assert cards[1] == CardData("0012", "ふくふく子ども食堂", "ふくふくこどもしょくどう", "目的型",
                                        date(2027, 3, 31), profile.name, profile.phone)
            assert cards[0].group_type_label == "まちづくり協議会（彦島）"
            assert cards[0].centre_name == "しものせき市民活動センター"
            with pytest.raises(ValidationError) as err:
                card_data(s, ids, profile=profile, today=now.date())
            assert "休止中の会（0014）：停止" in err.value.message
            assert "去年の会（0015）：期限切れ" in err.value.message
            with pytest.raises(ValidationError):
                card_data(s, [], profile=profile, today=now.date())
            with pytest.raises(NotFound):
                card_data(s, [ids[0], 999999], profile=profile, today=now.date())
    finally:
        engine.dispose()
