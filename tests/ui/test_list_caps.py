"""Lists that show only part of what they could never do so silently (issue 13, item 3).

The receipts list has its own test (test_receipts_page); the audit viewer pages with a total, the
booking search and the group list say 「先頭…件まで」/「上位のみ表示」; this file covers the rest.
"""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import select

from booking_app import clock
from booking_app.domain.groups import DECLARATIONS, GroupInput
from booking_app.services import bookings as booking_svc
from booking_app.services import groups as group_svc
from booking_app.store.engine import read_session, write_session
from booking_app.store.models import Room
from booking_app.ui.groups import groups_page as gp
from days import open_day


def test_a_groups_panel_says_when_it_lists_only_its_newest_bookings(qtbot, ctx, engine, desk, monkeypatch):
    with write_session(engine) as s:
        g = group_svc.register_group(s, desk, GroupInput(
            name="フクフク読書会", kana="ふくふくどくしょかい", activity_fields=["まちづくり"], representative="山田 花子",
            phone="083-111-2222", declarations={k: True for k in DECLARATIONS}), now=datetime(2026, 4, 10, 10))
    with read_session(engine) as s:
        room = s.scalars(select(Room.id).where(Room.name == "大会議室")).one()
    days: list = []
    while len(days) < 3:  # three open days, one after another
        days.append(open_day(after=(days[-1] - clock.today()).days + 1 if days else 2))
    for day in days:
        with write_session(engine) as s:
            booking_svc.create_booking(s, desk, booking_svc.BookingInput(
                start=datetime.combine(day, time(9)), end=datetime.combine(day, time(12)), room_id=room,
                booker_kind="member", group_id=g.id, purpose="読書会", attendees=5))
    monkeypatch.setattr(gp, "GROUP_BOOKINGS_SHOWN", 2)
    page = gp.GroupsPage(ctx)
    qtbot.addWidget(page)
    page.show()
    page.show_group(g.id)
    assert page.bookings_model.rowCount() == 2
    assert page.bookings_heading.text() == "<b>予約</b>（新しい順に2件を表示。それより前は予約検索で）"
    monkeypatch.setattr(gp, "GROUP_BOOKINGS_SHOWN", 3)
    page.show_group(g.id)
    assert page.bookings_model.rowCount() == 3 and page.bookings_heading.text() == "<b>予約</b>"
