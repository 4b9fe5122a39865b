"""Issue 13, item 2: one rule for a year still running, in every output and on the screen.

On 16 December the fiscal year has months that are over (April–November), one that runs (December, counted
to the 16th) and months that have not happened (January–March). The xlsx, the CSV, the PDF, the 統計 page's
月次締め tab and the dashboard must all show the months ahead blank, December as 「12月（16日まで）」, the same
前年同期比 (this year so far against last year's same days, December to the 16th on both sides) and the
bookings split into 実績 and 予定 — read here side by side from one database.
"""

from __future__ import annotations

import re
import subprocess
from datetime import date, datetime, time

import pytest

from booking_app.services import bookings as booking_svc
from booking_app.services import centre
from booking_app.domain.figures import same_period
from booking_app.services.stats.figures import monthly_users, year_figures
from booking_app.store.engine import read_session, write_session
from booking_app.ui.context import AppContext
from booking_app.ui.stats.stats_page import StatsPage
from tests.reports.test_stats_export import headline_rows, read_csv, read_xlsx

NOW = "2026-12-16 10:00"
pytestmark = pytest.mark.now(NOW)


def book(engine, actor, day: date, users: int | None, *, start: int = 9, made: datetime | None = None) -> int:
    """A booking on ``day`` (9–12 by default), checked out with ``users`` unless None (left 確定)."""
    with write_session(engine) as s:
        rooms = {r.name: r.id for r in centre.list_rooms(s)}
        b = booking_svc.create_booking(s, actor, booking_svc.BookingInput(
            start=datetime.combine(day, time(start)), end=datetime.combine(day, time(start + 3)),
            room_id=rooms["大会議室"], booker_kind="group", booker_name="関門ウォーキングの会", purpose="例会",
            attendees=users or 5), now=made or datetime.combine(day, time(8)))
        if users is not None:
            booking_svc.check_out(s, actor, b.id, users, now=datetime.combine(day, time(start + 3, 30)))
    return b.id


@pytest.fixture
def year(engine, manager):
    """Last year: November 36, December 30 by the 16th and 35 after it, January 38 (never compared).
    This year: November 18, December 24 (by the 16th); tonight and 6 January confirmed (予定)."""
    for day, users in ((date(2025, 11, 12), 36), (date(2025, 12, 10), 30), (date(2025, 12, 17), 35),
                       (date(2026, 1, 14), 38), (date(2026, 11, 11), 18), (date(2026, 12, 2), 24)):
        book(engine, manager, day, users)
    book(engine, manager, date(2026, 12, 16), None, start=18, made=datetime(2026, 12, 16, 8))
    book(engine, manager, date(2027, 1, 6), None, made=datetime(2026, 12, 16, 8))
    return engine


def pdf_text(path) -> str:
    out = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"], check=True,
                         capture_output=True, text=True, encoding="utf-8").stdout
    return re.sub(r"\s+", "", out)


def test_every_output_and_the_screen_follow_one_rule_on_a_mid_december_day(qtbot, year, manager, tmp_path):
    from booking_app.cli.stats import export_stats

    with read_session(year) as s:
        rows = monthly_users(s, 2026)
        fig = year_figures(s, 2026)
        for suffix in (".xlsx", ".csv", ".pdf"):
            export_stats(s, tmp_path / f"year{suffix}", actor=manager, fiscal_year=2026)
    this, last = same_period(rows)
    # The service: December to the 16th against last December to the 16th (30, not 65); January not compared.
    assert (this, last) == (42, 66)
    ratio = f"{100 * this / last:.1f}%"  # 63.6 %, not 42 / 139 = 30.2 %
    assert [r.label for r in rows][8:] == ["12月（16日まで）", "1月", "2月", "3月"]
    assert (fig.bookings, fig.bookings_planned, fig.as_of) == (2, 2, date(2026, 12, 16))

    # xlsx
    book_ = read_xlsx(tmp_path / "year.xlsx")
    monthly = book_["月別推移"]
    assert monthly[9][0] == "2026年12月（16日まで）" and monthly[9][-3:-1] == [24, 30]
    assert [r[1:] for r in monthly[10:13]] == [[None] * (len(monthly[0]) - 1)] * 3  # 1–3月 blank
    assert monthly[13][0] == "合計" and monthly[13][-3:-1] == [this, last]
    summary = dict((r[0], r[1]) for r in headline_rows(book_["概要"]))
    assert f"{100 * summary['前年同期比']:.1f}%" == f"{100 * monthly[13][-1]:.1f}%" == ratio
    assert (summary["予約件数（実績）"], summary["予約件数（予定）"]) == (2, 2)
    particulars = dict((r[0], r[1]) for r in book_["概要"][1:10] if r[0])
    assert particulars["作成日"] == "2026年12月16日（令和8年12月16日）" and particulars["作成者"] == manager.name
    assert particulars["対象期間"].endswith("（2026年12月16日まで集計）")

    # CSV
    head, sections = read_csv(tmp_path / "year.csv")
    assert sections["月別推移"][9][0] == "2026年12月（16日まで）"
    assert [set(r[1:]) for r in sections["月別推移"][10:13]] == [{""}] * 3
    assert sections["月別推移"][13][-1] == ratio
    csv_summary = dict((r[0], r[1]) for r in sections["概要"][1:])
    assert csv_summary["前年同期比"] == ratio and csv_summary["前年度同期の利用者数"] == str(last)
    assert (csv_summary["予約件数（実績）"], csv_summary["予約件数（予定）"]) == ("2", "2")
    assert dict(r[:2] for r in head[1:])["作成者"] == manager.name

    # PDF
    text = pdf_text(tmp_path / "year.pdf")
    assert f"前年同期比{ratio}" in text and f"前年度同期の利用者数0団体¥0{last}人" in text  # tiles, row by row
    assert "予約件数（実績）予約件数（予定）42人2件2件" in text
    assert "12月1月2月3月年度計16日まで" in text  # the matrix heading: December to the 16th
    # The matrix's last rows: totals to date, last year over the same days, and only the months compared.
    assert f"合計000000018{this - 18}{this}前年同期000000036{last - 36}{last}前年比50.0%80.0%{ratio}" in text
    assert f"作成日：2026年12月16日（令和8年12月16日）作成者：{manager.name}" in text

    # The 統計 page: the 月次締め tab and the dashboard.
    ctx = AppContext(year, manager, db_label="test.sqlite3")
    page = StatsPage(ctx)
    qtbot.addWidget(page)
    page.resize(1216, 700)
    page.show()
    qtbot.waitExposed(page)
    d = page.dashboard
    d.refresh()
    assert d.monthly_chart.values()[8:] == [24, None, None, None]
    assert d.monthly_chart.last_year_values()[7:] == [36, 30, None, None, None]
    assert d.monthly_chart.labels()[8] == "12月<br>(16日まで)"
    assert d.compare_label.text() == f"前年同期 {last}人（前年同期比 {ratio}）"
    assert d.total_label.text() == f"{this}人"
    page.show_tab("months")
    m = page.months_model
    cells = [[m.data(m.index(r, c)) for c in range(4)] for r in range(m.rowCount())]
    assert cells[8] == ["2026年12月（16日まで）", "24人", "30人", "80.0%"]
    assert cells[7] == ["2026年11月", "18人", "36人", "50.0%"]
    assert cells[9:] == [[f"{y}年{mo}月", "", "", ""] for y, mo in ((2027, 1), (2027, 2), (2027, 3))]


def test_the_dashboards_charts_print_figures_with_thousands_separators(qtbot, engine, manager):
    """Issue 13, item 14: bar labels and axes read 15,334, not 15334."""
    from booking_app.ui.stats.dashboard import Dashboard

    d = Dashboard(AppContext(engine, manager, db_label="test.sqlite3"))
    qtbot.addWidget(d)
    for view in (d.monthly_chart, d.category_chart, d.room_chart):
        chart = view.chart()
        assert chart.localizeNumbers(), view.objectName()
        assert chart.locale().toString(15334.0, "f", 0) == "15,334"
        assert chart.locale().toString(15334) == "15,334"
    # "%d" prints nothing once numbers are localised: the value axes use "%.0f".
    assert d.monthly_chart.axis_y.labelFormat() == d.category_chart.axis_x.labelFormat() == "%.0f"
