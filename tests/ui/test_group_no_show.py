"""The no-show bar at the counter (issue 18): when a group is verified on the 団体 page, a group with too many
無断キャンセル in the counted months reads 「⚠ 無断キャンセル 2回（2026年9月〜11月）：2027年3月分の抽選には申し込めません」
on its status card, in red with a sign (not told by colour alone); nothing under the limit or with the rule off.

The service (services/group_lookup.no_show_bar) is tested on both databases; the page on SQLite. The day is
2026-12-07: March 2027's entries are taken (12/1〜12/10) and its no-shows count from September to November.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, time

import pytest
from factories import seed
from PySide6.QtGui import QColor, QFont

from booking_app import fonts
from booking_app.domain import lottery_rules as lr
from booking_app.services import group_lookup
from booking_app.services.centre import get_profile, save_profile
from booking_app.store.engine import make_engine, read_session, write_session
from booking_app.store.models import Booking, MemberGroup, Room
from booking_app.ui.groups.group_detail import NO_SHOW_SIGN
from booking_app.ui.groups.groups_page import GroupsPage
from tests.actors import actor_for

TODAY = date(2026, 12, 7)
pytestmark = pytest.mark.now(TODAY)
TEXT = "無断キャンセル 2回（2026年9月〜11月）：2027年3月分の抽選には申し込めません"


def add_group(engine, name: str, *no_show_days: date, status: str = "no_show") -> int:
    desk = actor_for(engine, "desk")
    with write_session(engine) as s:
        g = MemberGroup(reg_no=f"N{abs(hash(name)) % 10000:04d}", name=name, kana="", status="active",
                        valid_until=date(2027, 3, 31), created_at=datetime(2026, 4, 1), created_by=desk.id)
        s.add(g)
        s.flush()
        room = s.query(Room).filter_by(name="小会議室1").one()
        for d in no_show_days:
            s.add(Booking(room_id=room.id, booker_kind="member", group_id=g.id, booker_name=name, purpose="定例会",
                          start_at=datetime.combine(d, time(9)), end_at=datetime.combine(d, time(12)), status=status,
                          created_at=datetime(2026, 8, 1), created_by=desk.id, updated_at=datetime(2026, 8, 1),
                          updated_by=desk.id))
        return g.id


def set_limit(engine, limit: int) -> None:
    with write_session(engine) as s:
        p = get_profile(s)
        save_profile(s, actor_for(engine, "manager"), replace(p, lottery=replace(p.lottery, no_show_limit=limit)),
                     now=datetime(2026, 12, 7, 9))


# --------------------------------------------------------------------------- the service, both databases


@pytest.fixture
def db(db_url):
    eng = make_engine(db_url)
    try:
        seed(eng)
        yield eng
    finally:
        eng.dispose()


def test_the_bar_counts_the_months_before_the_entry_month(db):
    barred = add_group(db, "無断の会", date(2026, 9, 14), date(2026, 11, 2), date(2026, 8, 31))
    once = add_group(db, "一度の会", date(2026, 10, 5))
    old = add_group(db, "昔の会", date(2026, 8, 3), date(2026, 8, 10))  # before September: not counted
    kept = add_group(db, "来た会", date(2026, 9, 1), date(2026, 10, 1), status="completed")
    with read_session(db) as s:
        bar = group_lookup.no_show_bar(s, barred, TODAY)
        others = [group_lookup.no_show_bar(s, g, TODAY) for g in (once, old, kept)]
        after_window = group_lookup.no_show_bar(s, barred, date(2026, 12, 11))  # April's: Oct–Dec
    assert bar is not None and bar.text == TEXT
    assert (bar.count, bar.limit, bar.first, bar.last, bar.month) == (2, 2, date(2026, 9, 1), date(2026, 11, 30),
                                                                     date(2027, 3, 1))
    assert others == [None, None, None]
    assert after_window is None  # only 11/2 counts for April 2027 (October〜December)
    set_limit(db, 0)
    with read_session(db) as s:
        assert group_lookup.no_show_bar(s, barred, TODAY) is None


def test_the_month_asked_about():
    rules = lr.LotteryRules()
    assert group_lookup.bar_month(rules, date(2026, 12, 1)) == date(2027, 3, 1)
    assert group_lookup.bar_month(rules, date(2026, 12, 10)) == date(2027, 3, 1)
    assert group_lookup.bar_month(rules, date(2026, 12, 11)) == date(2027, 4, 1)
    assert group_lookup.bar_month(rules, date(2026, 11, 30)) == date(2027, 3, 1)  # the next window to come
    assert group_lookup.bar_month(rules, date(2026, 11, 5)) == date(2027, 2, 1)


def test_a_span_across_the_new_year_names_both_years(db):
    g = add_group(db, "年越しの会", date(2026, 12, 3), date(2027, 1, 20))
    with read_session(db) as s:
        bar = group_lookup.no_show_bar(s, g, date(2027, 2, 5))  # May 2027's entries: Nov〜Jan count
    assert bar is not None
    assert bar.text == "無断キャンセル 2回（2026年11月〜2027年1月）：2027年5月分の抽選には申し込めません"


# --------------------------------------------------------------------------- the page


@pytest.fixture
def page(qtbot, qapp, ctx):
    qapp.setFont(QFont(fonts.register_qt_fonts(), 10))  # the app's font, so the screenshot reads as at the desk
    w = GroupsPage(ctx)
    qtbot.addWidget(w)
    w.resize(1216, 720)
    w.show()
    return w


def label_color(label) -> QColor:
    m = re.search(r"color:\s*(#[0-9a-fA-F]{6})", label.styleSheet())
    assert m, label.styleSheet()
    return QColor(m.group(1))


def test_the_counter_sees_the_bar_in_red_with_a_sign(qtbot, engine, page):
    barred = add_group(engine, "無断の会", date(2026, 9, 14), date(2026, 11, 2))
    fine = add_group(engine, "一度の会", date(2026, 10, 5))
    page.show_group(barred)
    label = page.panel.no_show_label
    assert label.isVisible() and label.text() == f"{NO_SHOW_SIGN} {TEXT}"
    assert label.text().startswith("⚠")  # the sign: not colour alone
    c = label_color(label)
    assert c.red() > 150 and c.green() < 80 and c.blue() < 80
    page.panel.status_frame.grab().save("/tmp/noshow_card.png")
    page.panel.grab().save("/tmp/noshow.png")
    page.show_group(fine)  # the next group's card does not keep the bar
    assert not label.isVisible() and label.text() == ""
    page.show_group(barred)
    page.panel.show_nothing()
    assert not label.isVisible()


def test_no_bar_when_the_rule_is_off(qtbot, engine, page):
    barred = add_group(engine, "無断の会", date(2026, 9, 14), date(2026, 11, 2))
    set_limit(engine, 0)
    page.show_group(barred)
    assert not page.panel.no_show_label.isVisible()
