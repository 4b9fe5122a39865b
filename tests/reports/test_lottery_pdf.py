"""The lottery's papers (issue 18): 受付控, the month's entry list, the result sheets, the public list.

The data is a realistic month drawn by the real ``domain.allocation.draw``: 60 groups (names up to 40
characters), 300 entries of three wishes each, some wishes two consecutive evenings needed together. The
text comes back through pdftotext, the geometry through the Pen's record (nothing off the page, nothing in
the margins, no two lines of text on top of each other), and the public list names no group.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from booking_app.domain import allocation as al
from booking_app.domain import japanese_calendar as jcal
from booking_app.domain.documents import (
    LotteryEntryDoc,
    LotteryEntryListDoc,
    LotteryEntryListRow,
    LotteryPublicListDoc,
    LotteryPublicRow,
    LotteryResultDoc,
    LotteryResultLine,
    LotteryWishLine,
)
from booking_app.reports import lottery_pdf as lp
from booking_app.reports.layout import Drawn

MM = 72 / 25.4
MONTH = date(2027, 3, 1)
CENTRE, PHONE = "しものせき市民活動センター", "083-000-0000"
ROOMS = {1: "大会議室", 2: "多目的交流ホール"}
PERIODS = (("午後", 13, 17), ("夜間", 18, 22))
SEED = "5f2a9c1e7b3d40a8e6c2b9f14d7a3e58"
DRAWN_AT = datetime(2026, 12, 12, 10, 30)
CONFIRM_BY = date(2026, 12, 26)
FIRST_COME = date(2026, 12, 15)
PNG_DIR = Path("/tmp/kb18")

_STEMS = ["しものせき子ども食堂ネットワーク", "下関手話サークルみみずく", "ふくふく朗読ボランティア", "関門海峡まちづくり研究会",
          "NPO法人しものせき環境ボランティアネットワーク「海と山をつなぐ会」", "彦島ふれあい太極拳クラブ",
          "下関市国際交流ボランティア協会（日本語教室部会）", "唐戸地区まちなか活性化実行委員会", "長府城下町ガイドの会",
          "一般社団法人下関子育て支援ネットワークひだまりの広場", "しものせき合唱団コール・ハーモニー", "吉見漁村文化保存会"]


def group_name(g: int) -> str:
    """Realistic names, a few of the full 40 characters."""
    name = _STEMS[g % len(_STEMS)]
    if g % 7 == 0:
        name = (name + "・市民活動推進協議会下関支部会員有志の集い")[:40]
    elif g >= len(_STEMS):
        name = f"{name}（第{g // len(_STEMS) + 1}部会）"
    return name[:40]


def reg_no(g: int) -> str:
    return f"R{g:04d}"


def slot_text(s: al.Slot) -> str:
    d = s.start.date()
    period = next(p for p, h0, _h1 in PERIODS if h0 == s.start.hour)
    return (f"{ROOMS[s.room_id]} {d.month}/{d.day}({jcal.weekday_ja(d)}) {period} "
            f"{jcal.format_time(s.start.time())}〜{jcal.format_time(s.end.time())}")


def _slot(room: int, day: int, period: int) -> al.Slot:
    _p, h0, h1 = PERIODS[period]
    start = datetime(2027, 3, day, h0)
    return al.Slot(room, start, start.replace(hour=h1))


def make_entries(n: int = 300, groups: int = 60) -> list[al.Entry]:
    out = []
    for i in range(1, n + 1):
        g = (i * 7) % groups + 1
        wishes = []
        for rank in (1, 2, 3):
            room, day, period = (i + rank) % 2 + 1, (i * 3 + rank * 5) % 27 + 1, (i + rank) % 2
            if (i + rank) % 3 != 0:  # two consecutive evenings, all or nothing (two wishes in three)
                wishes.append(al.Wish(rank, (_slot(room, day, 1), _slot(room, day + 1, 1))))
            else:
                wishes.append(al.Wish(rank, (_slot(room, day, period),)))
        out.append(al.Entry(i, g, tuple(wishes)))
    return out


ENTRIES = make_entries()
RESULT = al.draw(ENTRIES, taken=[_slot(1, 10, 1), _slot(2, 20, 0)], seed=SEED, limits=al.Limits(max_wins_per_group=3))


def entry_no(eid: int) -> str:
    return f"{eid:04d}"


def wish_lines(e: al.Entry) -> tuple[LotteryWishLine, ...]:
    return tuple(LotteryWishLine(w.rank, tuple(slot_text(s) for s in w.slots)) for w in e.wishes)


def entry_doc(e: al.Entry, **kw) -> LotteryEntryDoc:
    values = dict(centre_name=CENTRE, centre_phone=PHONE, month=MONTH, entry_no=entry_no(e.entry_id),
                  group_name=group_name(e.group_id), group_reg_no=reg_no(e.group_id),
                  channel="電話" if e.entry_id % 2 else "窓口", taken_at=datetime(2026, 12, 3, 14, 5),
                  staff_name="山田 花子", wishes=wish_lines(e), entry_open=date(2026, 12, 1),
                  entry_close=date(2026, 12, 10), draw_on=date(2026, 12, 12), confirm_by=CONFIRM_BY,
                  first_come_from=FIRST_COME)
    values.update(kw)
    return LotteryEntryDoc(**values)


def status(eid: int) -> str:
    a = RESULT.awards.get(eid)
    return f"当選（第{a.wish_rank}希望）" if a else "落選"


def taken_at(eid: int) -> datetime:
    """30 entries a day of the window, from 9:05 at the counter's pace."""
    day, k = divmod(eid - 1, 30)
    return datetime(2026, 12, 1 + day, 9, 5) + timedelta(minutes=23 * k)


def list_doc(entries=ENTRIES) -> LotteryEntryListDoc:
    rows = tuple(LotteryEntryListRow(entry_no(e.entry_id), group_name(e.group_id), reg_no(e.group_id), wish_lines(e),
                                     "取下げ" if e.entry_id % 50 == 0 else status(e.entry_id),
                                     "電話" if e.entry_id % 2 else "窓口",
                                     taken_at(e.entry_id))
                 for e in entries)
    return LotteryEntryListDoc(CENTRE, MONTH, datetime(2026, 12, 12, 11, 0), rows, date(2026, 12, 1),
                               date(2026, 12, 10), date(2026, 12, 12))


def result_docs(group_ids) -> list[LotteryResultDoc]:
    docs = []
    position = {g: i + 1 for i, g in enumerate(RESULT.order)}
    for g in group_ids:
        lines = []
        for e in (e for e in ENTRIES if e.group_id == g):
            a = RESULT.awards.get(e.entry_id)
            if a:
                lines.append(LotteryResultLine(entry_no(e.entry_id), wish_lines(e), a.wish_rank,
                                               tuple(slot_text(s) for s in a.slots),
                                               "・".join(f"{1_000_000 + e.entry_id * 10 + k:07d}"
                                                        for k in range(len(a.slots)))))
            else:
                lines.append(LotteryResultLine(entry_no(e.entry_id), wish_lines(e), None,
                                               lost_reason=al.LOST_REASONS_JA[RESULT.lost_reasons[e.entry_id]]))
        docs.append(LotteryResultDoc(CENTRE, PHONE, MONTH, group_name(g), reg_no(g), tuple(lines), CONFIRM_BY,
                                     FIRST_COME, SEED, RESULT.digest(), DRAWN_AT, position[g], len(RESULT.order)))
    return docs


def public_doc(entries=ENTRIES) -> LotteryPublicListDoc:
    rows = tuple(LotteryPublicRow(entry_no(e.entry_id), RESULT.awards[e.entry_id].wish_rank
                                  if e.entry_id in RESULT.awards else None) for e in entries)
    return LotteryPublicListDoc(CENTRE, MONTH, rows, SEED, RESULT.digest(), DRAWN_AT, CONFIRM_BY)


# --------------------------------------------------------------------------- tools


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} not found: install poppler-utils (apt-get install poppler-utils)")
    return path


def pdf_text(path: Path) -> str:
    out = subprocess.run([_tool("pdftotext"), "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True,
                         text=True, encoding="utf-8").stdout
    return re.sub(r"\s+", "", out)


def page_count(path: Path) -> int:
    info = subprocess.run([_tool("pdfinfo"), str(path)], check=True, capture_output=True, text=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)$", info, re.M).group(1))


def snapshot(path: Path, name: str) -> None:
    """PNGs at 60 dpi in /tmp/kb18 for a person to look at (not checked here)."""
    PNG_DIR.mkdir(parents=True, exist_ok=True)
    subprocess.run([_tool("pdftoppm"), "-png", "-r", "60", str(path), str(PNG_DIR / name)], check=True)


def assert_inside_margins(record: list[Drawn], margin: float) -> None:
    """Every box on its page and inside the margin (0.5 pt of rounding allowed)."""
    assert record
    for d in record:
        w, h = d.page_size
        x0, y0, x1, y1 = d.box
        assert margin - 0.5 <= x0 <= x1 <= w - margin + 0.5, d
        assert margin - 0.5 <= y0 <= y1 <= h - margin + 0.5, d


def assert_no_text_overlaps(record: list[Drawn]) -> None:
    """No two runs of text on a page cover each other (a line on a line, a label under its value)."""
    by_page: dict[int, list[Drawn]] = {}
    for d in record:
        if d.kind == "text":
            by_page.setdefault(d.page, []).append(d)
    for page, items in by_page.items():
        items.sort(key=lambda d: d.box[1])
        for i, a in enumerate(items):
            for b in items[i + 1:]:
                if b.box[1] >= a.box[3] - 0.5:
                    break
                overlap_x = min(a.box[2], b.box[2]) - max(a.box[0], b.box[0])
                overlap_y = min(a.box[3], b.box[3]) - max(a.box[1], b.box[1])
                assert overlap_x <= 0.5 or overlap_y <= 0.5, (page, a, b)


# --------------------------------------------------------------------------- 受付控


def test_the_data_is_what_the_brief_asks_for():
    assert len(ENTRIES) == 300 and max(len(group_name(g)) for g in range(1, 61)) == 40
    assert all(len(e.wishes) == 3 for e in ENTRIES)
    assert any(len(w.slots) == 2 for e in ENTRIES for w in e.wishes)
    assert RESULT.awards and RESULT.losers


@pytest.fixture(scope="module")
def receipt(tmp_path_factory):
    e = next(e for e in ENTRIES if len(group_name(e.group_id)) == 40 and sum(len(w.slots) for w in e.wishes) >= 5)
    out = tmp_path_factory.mktemp("lottery") / "受付控.pdf"
    record: list[Drawn] = []
    pages = lp.write_entry_receipt(out, entry_doc(e), record=record)
    snapshot(out, "entry_receipt")
    return e, out, record, pages


def test_the_entry_receipt_is_one_a5_page_with_everything(receipt):
    e, out, record, pages = receipt
    assert pages == 1 == page_count(out)
    assert record[0].page_size == pytest.approx((148 * MM, 210 * MM), abs=1)
    text = pdf_text(out)
    assert [d.text for d in record if d.role == "entry_no"] == [entry_no(e.entry_id)]
    for words in ("抽選申込受付控", "2027年3月（令和9年3月）利用分", "受付番号", entry_no(e.entry_id),
                  re.sub(r"\s", "", group_name(e.group_id)), f"登録番号{reg_no(e.group_id)}", "電話" if e.entry_id % 2
                  else "窓口", "2026年12月3日(木)14:05", "山田花子", "第1希望", "第2希望", "第3希望",
                  "2026年12月1日(火)〜12月10日(木)（令和8年12月1日〜12月10日）", "2026年12月12日(土)（令和8年12月12日）",
                  "確定の期限", "2026年12月26日(土)（令和8年12月26日）までに確定の手続き", "2026年12月15日(火)（令和8年12月15日）から",
                  "抽選の方法", "そろって当選", CENTRE, PHONE):
        assert words in text, words
    for w in e.wishes:
        for s in w.slots:
            assert re.sub(r"\s", "", slot_text(s)) in text
    assert "¥" not in text and "円" not in text


def test_the_entry_receipt_stays_inside_its_margins(receipt):
    _e, _out, record, _pages = receipt
    assert_inside_margins(record, lp.RECEIPT_MARGIN)
    assert_no_text_overlaps(record)
    assert not [d for d in record if d.kind == "text" and d.text.endswith("…")]


def test_a_receipt_with_very_long_wishes_shrinks_then_still_fits(tmp_path):
    e = ENTRIES[0]
    long = tuple(LotteryWishLine(r, tuple(f"多目的交流ホール 3/{d}(月) 夜間 18:00〜22:00" for d in range(1, 5)))
                 for r in (1, 2, 3))
    record: list[Drawn] = []
    pages = lp.write_entry_receipt(tmp_path / "long.pdf", entry_doc(e, wishes=long, draw_rule="抽選の方法。" * 40),
                                   record=record)
    assert pages >= 1
    assert_inside_margins(record, lp.RECEIPT_MARGIN)
    assert_no_text_overlaps(record)
    assert pdf_text(tmp_path / "long.pdf").count("多目的交流ホール") == 12


def test_a_receipt_too_long_for_one_page_runs_on_and_says_whose_it_is(tmp_path):
    e = ENTRIES[0]
    many = tuple(LotteryWishLine(r, tuple(f"多目的交流ホール 3/{d}(月) 夜間 18:00〜22:00" for d in range(1, 21)))
                 for r in (1, 2, 3))
    record: list[Drawn] = []
    pages = lp.write_entry_receipt(tmp_path / "many.pdf", entry_doc(e, wishes=many), record=record)
    assert pages == 2 == page_count(tmp_path / "many.pdf")
    assert [d.text for d in record if d.role == "page_no"] == ["1／2", "2／2"]
    more = [d.text for d in record if d.role == "title_more"]
    assert more and all(d.page == 2 for d in record if d.role == "title_more")
    assert f"受付番号 {entry_no(e.entry_id)}" in "".join(more)
    assert_inside_margins(record, lp.RECEIPT_MARGIN)
    assert_no_text_overlaps(record)


# --------------------------------------------------------------------------- the entry list


@pytest.fixture(scope="module")
def entry_list(tmp_path_factory):
    out = tmp_path_factory.mktemp("lottery") / "申込一覧.pdf"
    record: list[Drawn] = []
    pages = lp.write_entry_list(out, list_doc(), record=record)
    snapshot(out, "entry_list")
    return out, record, pages


def test_the_entry_list_holds_all_300_entries_on_numbered_pages(entry_list):
    out, record, pages = entry_list
    assert pages == page_count(out) > 1
    assert record[0].page_size == pytest.approx((297 * MM, 210 * MM), abs=1)
    text = pdf_text(out)
    for e in ENTRIES:
        assert entry_no(e.entry_id) in text
    assert "抽選申込一覧2027年3月（令和9年3月）利用分" in text and "300件（うち取下げ6件）" in text
    assert "当選（第1希望）" in text and "落選" in text and "取下げ" in text
    numbers = [d.text for d in record if d.role == "page_no"]
    assert numbers == [f"{n}／{pages}" for n in range(1, pages + 1)]
    rows = [d for d in record if d.role == "list_row" and re.fullmatch(r"\d{4}", d.text)]
    assert [d.text for d in rows] == [entry_no(e.entry_id) for e in ENTRIES]  # each once, in order


def test_every_page_of_the_list_repeats_the_heading_row_above_its_rows(entry_list):
    _out, record, pages = entry_list
    for n in range(1, pages + 1):
        heads = [d for d in record if d.page == n and d.role == "table_head" and d.text == "受付番号"]
        cells = [d.box[3] for d in record if d.page == n and d.role == "list_row"]
        assert len(heads) == 1 and cells and heads[0].box[1] > max(cells), n
        assert any(d.role == "list_title" for d in record if d.page == n)


def test_the_entry_list_stays_inside_its_margins(entry_list):
    _out, record, _pages = entry_list
    assert_inside_margins(record, lp.LIST_MARGIN)
    assert_no_text_overlaps(record)


def test_an_empty_month_prints_one_page_that_says_so(tmp_path):
    record: list[Drawn] = []
    assert lp.write_entry_list(tmp_path / "empty.pdf", list_doc(entries=[]), record=record) == 1
    assert "この月の申込はありません。" in pdf_text(tmp_path / "empty.pdf")
    assert_inside_margins(record, lp.LIST_MARGIN)


# --------------------------------------------------------------------------- the result sheets


def _groups_for_sheets() -> list[int]:
    """A group that won and lost, a group with a 40-character name, a group that only lost (if any)."""
    by_group: dict[int, list[int]] = {}
    for e in ENTRIES:
        by_group.setdefault(e.group_id, []).append(e.entry_id)
    mixed = next(g for g, ids in by_group.items() if any(i in RESULT.awards for i in ids)
                 and any(i not in RESULT.awards for i in ids))
    long = next(g for g in by_group if len(group_name(g)) == 40 and g != mixed)
    lost_only = [g for g, ids in by_group.items() if not any(i in RESULT.awards for i in ids)]
    return [mixed, long, *lost_only[:1]]


@pytest.fixture(scope="module")
def sheets(tmp_path_factory):
    docs = result_docs(_groups_for_sheets())
    out = tmp_path_factory.mktemp("lottery") / "抽選結果.pdf"
    record: list[Drawn] = []
    pages = lp.write_result_sheet(out, docs, record=record)
    snapshot(out, "result_sheet")
    return docs, out, record, pages


def test_each_group_gets_its_own_pages_with_its_outcomes(sheets):
    docs, out, record, pages = sheets
    assert pages == page_count(out) >= len(docs)
    assert record[0].page_size == pytest.approx((210 * MM, 297 * MM), abs=1)
    titles = [d.page for d in record if d.role == "title"]
    assert len(titles) == len(docs)  # each group starts a page
    text = pdf_text(out)
    assert text.count("抽選結果のお知らせ") >= len(docs)
    for doc in docs:
        assert re.sub(r"\s", "", doc.group_name) in text and f"登録番号{doc.group_reg_no}" in text
        assert f"{doc.order_size}団体中{doc.order_position}番目" in text
        for ln in doc.lines:
            assert f"受付番号{ln.entry_no}{lp.result_heading(ln)}" in text
            if ln.won:
                assert ln.hold_no in text
                for s in ln.won_slots:
                    assert re.sub(r"\s", "", s) in text
            else:
                assert ln.lost_reason in text
    assert "当選" in text and "落選" in text and "確定の期限" in text
    assert "2026年12月26日(土)（令和8年12月26日）までに確定の手続き" in text
    assert text.count(SEED) == len(docs) and RESULT.digest() in text
    assert "確認の方法" in text and "2026年12月12日(土)10:30" in text
    assert "¥" not in text and "円" not in text


def test_every_page_of_a_result_sheet_says_whose_it_is(sheets):
    docs, _out, record, pages = sheets
    foot = [d.text for d in record if d.role == "page_no"]
    assert len(foot) == pages and foot[0] == "1／" + foot[0].split("／")[1]
    firsts = [n for n, t in enumerate(foot, start=1) if t.startswith("1／")]
    assert len(firsts) == len(docs)


def test_the_result_sheets_stay_inside_their_margins(sheets):
    _docs, _out, record, _pages = sheets
    assert_inside_margins(record, lp.SHEET_MARGIN)
    assert_no_text_overlaps(record)


def test_a_group_with_many_entries_runs_on_with_its_name(tmp_path):
    doc = result_docs(_groups_for_sheets()[:1])[0]
    many = type(doc)(**{**doc.__dict__, "lines": doc.lines * 4})
    record: list[Drawn] = []
    pages = lp.write_result_sheet(tmp_path / "many.pdf", [many], record=record)
    assert pages >= 2
    for n in range(2, pages + 1):
        more = "".join(d.text for d in record if d.page == n and d.role == "title_more")
        assert more.startswith("抽選結果のお知らせ（続き）") and doc.group_name in more, n
    assert [d.text for d in record if d.role == "page_no"] == [f"{n}／{pages}" for n in range(1, pages + 1)]
    assert_inside_margins(record, lp.SHEET_MARGIN)
    assert_no_text_overlaps(record)


# --------------------------------------------------------------------------- the public list


@pytest.fixture(scope="module")
def public(tmp_path_factory):
    out = tmp_path_factory.mktemp("lottery") / "抽選結果一覧.pdf"
    record: list[Drawn] = []
    pages = lp.write_public_list(out, public_doc(), record=record)
    snapshot(out, "public_list")
    return out, record, pages


def test_the_public_list_names_no_group(public):
    out, record, _pages = public
    text = pdf_text(out)
    for g in {e.group_id for e in ENTRIES}:
        assert reg_no(g) not in text
        name = re.sub(r"\s", "", group_name(g))
        assert name not in text and name[:6] not in text, name
    for d in record:
        assert "団体" not in d.text or d.role == "notice" or "団体名は載せていません" in d.text, d
    fields = set(LotteryPublicListDoc.__dataclass_fields__) | set(LotteryPublicRow.__dataclass_fields__)
    assert not {f for f in fields if "group" in f or "name" in f and f != "centre_name"}


def test_the_public_list_gives_every_number_its_result(public):
    out, record, pages = public
    assert pages == page_count(out) >= 2
    text = pdf_text(out)
    for words in ("抽選結果2027年3月（令和9年3月）利用分", f"シード{SEED}", RESULT.digest(), "2026年12月12日(土)10:30",
                  "確定の手続き", "確認の方法"):
        assert words in text, words
    numbers = [d for d in record if d.role == "public_no"]
    results = [d for d in record if d.role == "public_result"]
    assert [d.text for d in numbers] == [entry_no(e.entry_id) for e in ENTRIES]
    expected = [f"当選（第{RESULT.awards[e.entry_id].wish_rank}希望）" if e.entry_id in RESULT.awards else "落選"
                for e in ENTRIES]
    assert [d.text for d in results] == expected
    assert min(d.font_size for d in numbers + results) >= 12  # readable on the notice board
    for n in range(1, pages + 1):  # each page can be posted alone: title, seed, heading, n／m
        roles = {d.role for d in record if d.page == n}
        assert {"title", "seed", "table_head", "page_no"} <= roles, n
        columns = {round(d.box[2]) for d in record if d.page == n and d.role == "public_no"}
        headings = [d for d in record if d.page == n and d.role == "table_head" and d.text == "結果"]
        assert len(headings) == len(columns), n  # no heading over an empty column


def test_the_public_list_reads_down_each_column(public):
    _out, record, _pages = public
    first_page = [d for d in record if d.page == 1 and d.role == "public_no"]
    xs = sorted({round(d.box[2]) for d in first_page})
    assert len(xs) == lp.PUBLIC_COLUMNS
    col1 = [d for d in first_page if round(d.box[2]) == xs[0]]
    assert [d.text for d in col1] == [entry_no(i) for i in range(1, len(col1) + 1)]
    assert [d.box[1] for d in col1] == sorted((d.box[1] for d in col1), reverse=True)


def test_the_public_list_stays_inside_its_margins(public):
    _out, record, _pages = public
    assert_inside_margins(record, lp.PUBLIC_MARGIN)
    assert_no_text_overlaps(record)


def test_no_result_sheets_is_an_error(tmp_path):
    with pytest.raises(ValueError):
        lp.write_result_sheet(tmp_path / "none.pdf", [])
