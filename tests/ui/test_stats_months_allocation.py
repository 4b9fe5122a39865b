"""月次締め tab: the chosen month's lottery, キャンセル待ち, 減免 and 還付 in one line (issue 18), from
services.stats.figures.month_allocation; the month of tests/allocation_data.py, read on 2027-04-02."""

from __future__ import annotations

import pytest
from allocation_data import AFTER, build
from factories import load_world

from booking_app.services.stats.month_close import close_month
from booking_app.store.engine import write_session
from booking_app.store.models import WaitlistEntry
from booking_app.ui.context import AppContext
from booking_app.ui.stats.stats_page import StatsPage
from tests.actors import actor_for

pytestmark = pytest.mark.now("2027-04-02 10:00")


@pytest.fixture
def ctx(engine):
    return AppContext(engine, actor_for(engine, "manager"), db_label="test.sqlite3")


@pytest.fixture
def page(qtbot, ctx):
    w = StatsPage(ctx)
    qtbot.addWidget(w)
    w.resize(1216, 700)
    w.show()
    qtbot.waitExposed(w)
    return w


def select_month(page: StatsPage, year: int, month: int) -> None:
    combo = page.months_tab.year
    if combo.currentData() != 2026:  # on 2027-04-02 the tab opens on FY2027; March 2027 is in FY2026
        combo.setCurrentIndex(combo.findData(2026))
        page.months_tab.refresh()
    row = next(i for i, m in enumerate(page.months_tab.model.rows()) if (m.year, m.month) == (year, month))
    page.months_tab.view.selectRow(row)


def test_the_month_s_line(qtbot, engine, page):
    exp = build(load_world(engine))
    page.show_tab("months")
    page.months_tab.refresh()
    select_month(page, 2027, 3)
    text = page.months_tab.allocation_line.text()
    assert text == (f"抽選（3月利用分）：申込3件・当選{exp.won}件・落選{exp.lost}件（12/15 抽選済）　"
                    "キャンセル待ち：6件（承諾1件）　減免：3件 ¥3,700　還付：4件 ¥10,500")
    select_month(page, 2027, 2)
    assert page.months_tab.allocation_line.text() == (
        "抽選（2月利用分）：申込0件・当選0件・落選0件（抽選前）　キャンセル待ち：1件（承諾0件）　"
        "減免：1件 ¥1,000　還付：1件 ¥3,000")
    page.grab().save("/tmp/months_allocation.png")


def test_a_closed_month_shows_its_submitted_line(qtbot, engine, page):
    build(load_world(engine))
    with write_session(engine) as s:
        close_month(s, actor_for(engine, "manager"), 2027, 3, now=AFTER, force_reason="テストの月")
    with write_session(engine) as s:  # a row changed after the closing: the closed month's line does not move
        s.query(WaitlistEntry).filter_by(status="declined").one().requested_at = AFTER
    page.show_tab("months")
    page.months_tab.refresh()
    select_month(page, 2027, 3)
    assert "キャンセル待ち：6件（承諾1件）" in page.months_tab.allocation_line.text()
