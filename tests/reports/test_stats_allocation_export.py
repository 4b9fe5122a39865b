"""Issue 18's tables in the monthly statistics file (reports/stats_export.allocation_tables): 抽選（部屋別）,
抽選の実施, キャンセル待ち, 減免 and 還付 beside 稼働率, in the xlsx (read back with openpyxl), the CSV and the PDF;
the workbook's figures are MonthFigures.allocation's. On both databases (``db_url``), with the month of
tests/allocation_data.py.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from datetime import date

import pytest
from allocation_data import AFTER, HALL, REDUCE_HALF, build
from factories import World, seed
from openpyxl import load_workbook

from booking_app.domain.figures import (
    AllocationFigures,
    CountYen,
    LotteryMonth,
    LotteryRoomFigures,
    MonthFigures,
    StatsReport,
)
from booking_app.reports.stats_export import (
    T_LOTTERY,
    T_LOTTERY_MONTHS,
    T_OCCUPANCY,
    T_REDUCTIONS,
    T_REFUNDS,
    T_WAITLIST,
    stats_csv_rows,
    stats_tables,
    write_stats,
    write_stats_csv,
)
from booking_app.services.stats.figures import month_figures
from booking_app.services.stats_export import gather_stats
from booking_app.store.engine import make_engine

pytestmark = pytest.mark.now("2027-04-02 10:00")

NEW = [T_LOTTERY, T_LOTTERY_MONTHS, T_WAITLIST, T_REDUCTIONS, T_REFUNDS]


@pytest.fixture
def world(db_url):
    eng = make_engine(db_url)
    try:
        yield seed(eng)
    finally:
        eng.dispose()


def _figures(world: World) -> MonthFigures:
    build(world)
    with world.read() as s:
        return month_figures(s, 2027, 3, now=AFTER)


def _sheet(wb, title: str) -> list[tuple]:
    return [tuple(r) for r in wb[title].iter_rows(values_only=True)]


def test_the_workbook_holds_the_new_tables_beside_occupancy_and_agrees_with_the_figures(world: World, tmp_path):
    f = _figures(world)
    a = f.allocation
    assert a is not None
    path = tmp_path / "2027-03.xlsx"
    write_stats(StatsReport(fig=f), path)
    wb = load_workbook(path)
    names = wb.sheetnames
    at = names.index(T_OCCUPANCY)
    assert names[at + 1:at + 6] == NEW

    lottery = _sheet(wb, T_LOTTERY)
    assert lottery[0] == ("部屋", "申込", "当選", "他の部屋で当選", "落選", "抽選前", "当選区分数")
    body = {r[0]: r[1:] for r in lottery[1:-1]}
    assert body == {r.room: (r.entries, r.won, r.won_elsewhere, r.lost, r.pending, r.won_slots) for r in a.rooms}
    assert set(body) == {"大会議室", HALL}
    assert lottery[-1] == ("合計（申込ごと）", a.entries, a.won, None, a.lost, a.pending, a.won_slots)

    assert _sheet(wb, T_LOTTERY_MONTHS)[1] == ("2027年3月", "実施済（2026/12/15）")
    waits = _sheet(wb, T_WAITLIST)
    assert dict(waits[1:-1]) == a.waitlist and waits[-1] == ("合計", 6)

    reductions = _sheet(wb, T_REDUCTIONS)
    assert "差し引いた額" in reductions[0][2]  # the heading says the yen are the amount taken off
    assert {r[0]: (r[1], r[2]) for r in reductions[1:-1]} == {r.label: (r.count, r.yen) for r in a.reductions}
    assert reductions[-1] == ("合計", 3, 3700) and dict((r[0], r[2]) for r in reductions[1:-1])[REDUCE_HALF] == 2200

    refunds = _sheet(wb, T_REFUNDS)
    assert [r for r in refunds[1:-1]] == [(r.label, r.detail, r.count, r.yen) for r in a.refunds]
    assert refunds[-1] == ("合計", None, 4, 10500)


def test_the_csv_lists_the_same_figures(world: World):
    f = _figures(world)
    rows = stats_csv_rows(f)
    text = "\n".join(",".join(r) for r in rows)
    for title in NEW:
        assert [title] in rows
    i = rows.index([T_REFUNDS])
    assert rows[i + 1] == ["区分", "内訳（理由・還付の割合）", "件数", "還付額（円）"]
    assert rows[i + 2] == ["全額還付の理由", "警報", "1", "3000"]
    assert rows[i + 5] == ["合計", "", "4", "10500"]
    j = rows.index([T_REDUCTIONS])
    assert rows[j + 1][2] == "減免額（円、差し引いた額）" and ["合計", "3", "3700"] in rows[j:j + 6]
    assert "実施済（2026/12/15）" in text
    # the file as written: UTF-8 with a BOM, the same rows
    buf = io.BytesIO()
    write_stats_csv(f, buf)
    data = buf.getvalue()
    assert data.startswith(b"\xef\xbb\xbf")
    assert list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))) == rows


def test_a_label_typed_as_a_formula_stays_text(tmp_path):
    a = AllocationFigures(rooms=(LotteryRoomFigures("=1+1", 1, 1, 0, 0, 0, 1),),
                          months=(LotteryMonth(date(2027, 3, 1), None),), entries=1, won=1,
                          waitlist={"待機中": 0}, reductions=(CountYen("=HYPERLINK(\"http://x\")", 1, 500),),
                          refunds=(CountYen("日数による", 1, 100, "-50%"),))
    f = MonthFigures("2027年3月", 0, {}, {}, {}, 0, 0, 0, {}, 0, 0, {}, {}, {}, year=2027, month=3,
                     allocation=a)
    path = tmp_path / "x.xlsx"
    write_stats(StatsReport(fig=f), path)
    wb = load_workbook(path)
    cell = wb[T_REDUCTIONS]["A2"]
    assert cell.data_type == "s" and cell.value == "'=HYPERLINK(\"http://x\")"
    assert wb[T_LOTTERY]["A2"].value == "'=1+1" and wb[T_REFUNDS]["B2"].value == "'-50%"
    assert wb[T_LOTTERY_MONTHS]["B2"].value == "未実施"
    rows = stats_csv_rows(f)
    assert ["'=HYPERLINK(\"http://x\")", "1", "500"] in rows


def test_figures_without_allocation_keep_the_old_tables():
    f = MonthFigures("2027年3月", 0, {}, {}, {}, 0, 0, 0, {}, 0, 0, {}, {}, {})
    assert not set(NEW) & {t.title for t in stats_tables(f)}


def test_the_pdf_prints_the_tables(world: World, tmp_path):
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext not found: install poppler-utils")
    build(world)
    path = tmp_path / "2027-03.pdf"
    with world.write() as s:
        report = gather_stats(s, world.manager, path, month=(2027, 3))
        assert report.fig.allocation is not None
        write_stats(report, path)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout
    for title in NEW:
        assert title in text
    assert "差し引いた額" in text and "10,500" in text and "3,700" in text and "実施済（2026/12/15）" in text
