"""The lottery's papers as plain data (services/lottery_docs.py, issue 18): the docs hold what the views hold,
the public list names nobody, and each renders through reports/lottery_pdf with its key words.

March 2027: entries 2026-12-01〜12-10, the draw 2026-12-15, 当選 held through 2026-12-29 (the defaults).
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from datetime import date, datetime

import pytest
from factories import World, at

from booking_app.domain.errors import NotFound
from booking_app.reports import lottery_pdf as lp
from booking_app.services import lottery as lot
from booking_app.services import lottery_docs as docs
from booking_app.services.centre import get_profile

pytestmark = pytest.mark.now("2026-12-05 10:00")

MONTH = date(2027, 3, 1)
TAKE = datetime(2026, 12, 5, 10, 0)
DRAW = datetime(2026, 12, 15, 10, 0)
NAMES = ["しものせき子ども食堂ネットワーク", "下関手話サークルみみずく", "ふくふく朗読ボランティア", "関門海峡まちづくり研究会"]
FRI, SAT, MON = date(2027, 3, 5), date(2027, 3, 6), date(2027, 3, 8)


def ev(world: World, day: date, room: str = "大会議室"):
    return (world.rooms[room], at(day, 18), at(day, 22))


def take(world: World, group: int, *wishes, channel: str = "counter"):
    data = lot.EntryInput(group_id=group, month=MONTH, channel=channel, wishes=[list(w) for w in wishes])
    with world.write() as s:
        return lot.take_entry(s, world.desk, data, now=TAKE)


@pytest.fixture
def month(world: World):
    """Four groups, six entries (one a pair of evenings needed together, one withdrawn), drawn."""
    g = [world.make_group(n, reg_no=f"R{i + 1:04d}") for i, n in enumerate(NAMES)]
    e = [take(world, g[0], [ev(world, FRI)], [ev(world, SAT)]),
         take(world, g[1], [ev(world, FRI)], channel="phone"),
         take(world, g[2], [ev(world, FRI), ev(world, SAT)], [ev(world, MON, "多目的交流ホール")]),
         take(world, g[3], [ev(world, FRI)]),
         take(world, g[0], [ev(world, MON)]),
         take(world, g[3], [ev(world, SAT, "多目的交流ホール")])]
    with world.write() as s:
        lot.withdraw_entry(s, world.desk, e[5].id, "団体の都合", now=TAKE)
    with world.write() as s:
        lot.run_draw(s, world.manager, MONTH, now=DRAW, seed="docs-seed")
    return g, e


def test_the_receipt_holds_the_entry_the_centre_and_the_cycle(world: World, month):
    _g, e = month
    with world.read() as s:
        doc = docs.entry_receipt_doc(s, e[2].id)
        profile = get_profile(s)
    assert doc.entry_no == "3" and doc.group_name == NAMES[2] and doc.group_reg_no == "R0003"
    assert doc.centre_name == profile.name and doc.centre_phone == profile.phone
    assert doc.staff_name == world.desk.name  # who took the entry, not who prints it
    assert doc.channel == "窓口" and doc.taken_at == TAKE and doc.month == MONTH
    assert (doc.entry_open, doc.entry_close, doc.draw_on) == (date(2026, 12, 1), date(2026, 12, 10), date(2026, 12, 15))
    assert (doc.confirm_by, doc.first_come_from) == (date(2026, 12, 29), date(2026, 12, 20))
    assert [w.rank for w in doc.wishes] == [1, 2]
    assert doc.wishes[0].slot_texts == ("大会議室 2027/03/05(金) 夜間 18:00〜22:00",
                                        "大会議室 2027/03/06(土) 夜間 18:00〜22:00")
    assert doc.wishes[1].slot_texts == ("多目的交流ホール 2027/03/08(月) 夜間 18:00〜22:00",)
    with world.read() as s, pytest.raises(NotFound, match="見つかりません"):
        docs.entry_receipt_doc(s, 99999)


def test_the_entry_list_holds_every_entry_with_its_status(world: World, month):
    with world.read() as s:
        doc = docs.entry_list_doc(s, date(2027, 3, 17), printed_at=datetime(2026, 12, 16, 9, 0))
        views = lot.list_entries(s, MONTH)
    assert doc.month == MONTH and doc.printed_at == datetime(2026, 12, 16, 9, 0)
    assert [r.entry_no for r in doc.rows] == [str(v.entry_no) for v in views] == ["1", "2", "3", "4", "5", "6"]
    assert [r.group_name for r in doc.rows] == [v.group_name for v in views]
    assert doc.rows[1].channel == "電話" and doc.rows[5].status_label == "取下げ"
    for r, v in zip(doc.rows, views, strict=True):
        assert r.status_label == (f"当選（第{v.won_rank}希望）" if v.status == "won" else v.status_label)
        assert [len(w.slot_texts) for w in r.wishes] == [len(w.slots) for w in v.wishes]


def test_a_result_sheet_per_group_from_the_draw(world: World, month):
    g, _e = month
    with world.read() as s:
        sheets = docs.result_docs(s, MONTH)
        view = lot.draw_view(s, MONTH)
    assert view is not None
    in_draw = {v.group_id for v in (*view.winners, *view.losers)}
    assert len(sheets) == len(in_draw) == 4  # the withdrawn entry is on no sheet
    by_name = {d.group_name: d for d in sheets}
    for d in sheets:
        gid = g[NAMES.index(d.group_name)]
        assert d.seed == "docs-seed" == view.seed and d.digest == view.digest and d.drawn_at == DRAW
        assert d.order_position == view.place_of(gid) and d.order_size == len(view.order) == 4
        assert d.confirm_by == date(2026, 12, 29) and d.first_come_from == date(2026, 12, 20)
        for line in d.lines:
            v = next(x for x in (*view.winners, *view.losers) if str(x.entry_no) == line.entry_no)
            assert v.group_id == gid
            if v.status == "won":
                assert line.won and line.won_rank == v.won_rank and line.hold_no
                assert line.hold_no == "・".join(s.booking_number for s in v.won_slots)
                assert len(line.won_slots) == len(v.won_slots)
            else:
                assert not line.won and line.lost_reason == view.lost_reasons[v.entry_no] != ""
    assert [line.entry_no for line in by_name[NAMES[0]].lines] == ["1", "5"]
    assert [line.entry_no for line in by_name[NAMES[3]].lines] == ["4"]  # 6 was withdrawn


def test_the_public_list_has_numbers_and_outcomes_and_no_names(world: World, month):
    with world.read() as s:
        doc = docs.public_list_doc(s, MONTH)
        view = lot.draw_view(s, MONTH)
        entries = lot.list_entries(s, MONTH)
    assert view is not None
    assert [r.entry_no for r in doc.rows] == ["1", "2", "3", "4", "5"]
    won = {str(v.entry_no): v.won_rank for v in view.winners}
    assert {r.entry_no: r.won_rank for r in doc.rows if r.won_rank is not None} == won
    assert doc.seed == view.seed and doc.digest == view.digest and doc.confirm_by == date(2026, 12, 29)
    # No group's name or number in any field, however deep.
    words = {v.group_name for v in entries} | {v.group_reg_no for v in entries if v.group_reg_no}
    flat = repr(dataclasses.asdict(doc))
    assert not [w for w in words if w in flat]


def test_before_the_draw_there_is_nothing_to_print(world: World):
    with world.read() as s:
        for build in (docs.result_docs, docs.public_list_doc):
            with pytest.raises(NotFound, match="2027年3月分の抽選はまだ実施されていません"):
                build(s, MONTH)


def _text(path) -> str:
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.skip("pdftotext is not installed")
    return subprocess.run([tool, "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def test_each_doc_renders_with_its_key_words(world: World, month, tmp_path):
    _g, e = month
    with world.read() as s:
        receipt = docs.entry_receipt_doc(s, e[0].id)
        listing = docs.entry_list_doc(s, MONTH, printed_at=datetime(2026, 12, 16, 9, 0))
        sheets = docs.result_docs(s, MONTH)
        public = docs.public_list_doc(s, MONTH)
    lp.write_entry_receipt(tmp_path / "r.pdf", receipt)
    lp.write_entry_list(tmp_path / "l.pdf", listing)
    lp.write_result_sheet(tmp_path / "s.pdf", sheets)
    lp.write_public_list(tmp_path / "p.pdf", public)
    r = _text(tmp_path / "r.pdf").replace(" ", "")
    assert "受付番号" in r and NAMES[0] in r and "第1希望" in r and "大会議室" in r
    lst = _text(tmp_path / "l.pdf").replace(" ", "")
    assert all(n in lst for n in NAMES) and "取下げ" in lst and "当選" in lst
    sh = _text(tmp_path / "s.pdf").replace(" ", "")
    assert all(n in sh for n in NAMES) and "当選" in sh and "docs-seed" in sh
    pub = _text(tmp_path / "p.pdf").replace(" ", "")
    assert "docs-seed" in pub and "当選" in pub and not [n for n in NAMES if n in pub]
