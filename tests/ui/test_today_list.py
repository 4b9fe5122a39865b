"""The counter's day list (本日の予約) and the search page, driven through their buttons."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select

from booking_app import clock
from booking_app.services import bookings as booking_svc
from booking_app.services.common import Actor
from booking_app.store.engine import read_session, write_session
from booking_app.store.models import Booking, Room, Staff
from booking_app.ui.booking import today_list as tl
from booking_app.ui.context import AppContext
from booking_app.ui.booking.search_page import BookingSearchPage
from booking_app.ui.booking.today_list import TodayListPage
from days import open_day


def actor(engine, role="desk") -> Actor:
    with read_session(engine) as s:
        st = s.scalars(select(Staff).where(Staff.role == role)).first()
        return Actor(st.id, st.name, st.role)


@pytest.fixture
def ctx(engine):
    return AppContext(engine, actor(engine))


@pytest.fixture
def errors(prompts):
    """The error messages the pages showed (through ctx.prompts, the shared recorder)."""
    return prompts.shown("show_error")


def book(engine, start: datetime, hours: int, name: str, attendees: int = 10) -> int:
    """A booking written as a manager with a reason, so the test does not depend on the clock's day
    (a past date or 年末年始 would otherwise be refused)."""
    with read_session(engine) as s:
        room = s.scalars(select(Room).order_by(Room.sort_order)).first().id
    with write_session(engine) as s:
        return booking_svc.create_booking(
            s, actor(engine, "manager"),
            booking_svc.BookingInput(start=start, end=start + timedelta(hours=hours), room_id=room,
                                     booker_kind="group", booker_name=name, purpose="定例会",
                                     attendees=attendees, override_reason="テスト用"),
            now=start - timedelta(days=3),
        ).id


def status_of(engine, bid):
    with read_session(engine) as s:
        b = s.get(Booking, bid)
        return b.status, b.actual_users


def test_check_in_and_check_out_with_the_actual_number(qtbot, ctx, engine, errors, prompts, qtmodeltester):
    today = clock.today()
    early = book(engine, datetime.combine(today, time(0, 0)), 1, "朝の会", attendees=12)
    book(engine, datetime.combine(today, time(2, 0)), 1, "二番目の会")
    page = TodayListPage(ctx)
    qtbot.addWidget(page)
    page.show()
    qtmodeltester.check(page.model)
    assert page.model.rowCount() == 2
    assert page.model.index(0, page.model.column_of("who")).data() == "朝の会（団体）"
    assert page.model.index(0, page.model.column_of("status")).data() == "確定"

    page.select_booking(early)
    qtbot.mouseClick(page.check_in_button, Qt.MouseButton.LeftButton)
    assert errors == [] and status_of(engine, early) == ("in_use", None)
    assert page.model.index(0, page.model.column_of("status")).data() == "利用中"  # refreshed on ctx.changed

    prompts.answer_number(9)
    qtbot.mouseClick(page.check_out_button, Qt.MouseButton.LeftButton)
    (asked,) = prompts.of("ask_number")
    assert asked.title == "利用済（人数入力）" and "朝の会" in asked.text and "実際の利用人数" in asked.text
    assert status_of(engine, early) == ("completed", 9)
    assert page.model.index(0, page.model.column_of("people")).data() == "9人（予定12）"
    # The buttons follow the domain's sets: a 利用済 booking can be undone, not checked in again.
    assert page.undo_button.isEnabled() and not page.check_in_button.isEnabled()
    assert not page.check_out_button.isEnabled() and not page.no_show_button.isEnabled()

    qtbot.mouseClick(page.undo_button, Qt.MouseButton.LeftButton)
    assert status_of(engine, early) == ("in_use", None)


def test_no_show_and_unsettled_filter(qtbot, ctx, engine, errors, prompts):
    yesterday = clock.today() - timedelta(days=1)
    gone = book(engine, datetime.combine(yesterday, time(10)), 2, "来なかった会")
    left = book(engine, datetime.combine(yesterday, time(14)), 2, "帰った会")
    page = TodayListPage(ctx)
    qtbot.addWidget(page)
    page.set_day(yesterday)  # the desk steps back a day to settle it
    page.show()
    assert page.model.rowCount() == 2
    page.select_booking(gone)
    # One stray click does nothing: the question names the booking, and 「やめる」 leaves it
    # (that 「いいえ」 is the default button of every confirm is tested on the real Prompts in test_scaffold).
    prompts.answer_confirm(False, True)
    asked = prompts.shown("confirm")
    qtbot.mouseClick(page.no_show_button, Qt.MouseButton.LeftButton)
    assert status_of(engine, gone)[0] == "confirmed"
    room = page.model.rows()[0].room_name
    assert asked and "来なかった会" in asked[0] and room in asked[0] and "10:00〜12:00" in asked[0]

    qtbot.mouseClick(page.no_show_button, Qt.MouseButton.LeftButton)
    assert len(asked) == 2
    assert errors == [] and status_of(engine, gone)[0] == "no_show"

    qtbot.mouseClick(page.unsettled_check, Qt.MouseButton.LeftButton)
    assert page.unsettled_check.isChecked()
    assert [r.id for r in page.model.rows()] == [left]  # the no-show is settled; the other is not
    assert page.title.text().startswith("利用済が未入力の予約")


@pytest.mark.now("2026-11-28 10:00")
def test_title_says_today_for_the_pages_today_and_not_for_other_days(qtbot, ctx):
    # QA: with --today (the demo) the page's own today was titled 「予約」, as the clock's date differed.
    fixed = clock.today()
    page = TodayListPage(ctx)
    qtbot.addWidget(page)
    assert page.title.text().startswith("本日の予約")
    qtbot.mouseClick(page.next_button, Qt.MouseButton.LeftButton)
    assert page.title.text().startswith("予約　")
    qtbot.mouseClick(page.today_button, Qt.MouseButton.LeftButton)
    assert page.day == fixed and page.title.text().startswith("本日の予約")


def test_refused_action_shows_the_japanese_reason(qtbot, ctx, engine, errors):
    tomorrow = clock.today() + timedelta(days=1)
    bid = book(engine, datetime.combine(tomorrow, time(10)), 2, "明日の会")
    page = TodayListPage(ctx)
    qtbot.addWidget(page)
    page.set_day(tomorrow)
    page.select_booking(bid)
    qtbot.mouseClick(page.check_in_button, Qt.MouseButton.LeftButton)
    assert errors and "利用日より前にはチェックインできません" in errors[0]
    assert status_of(engine, bid)[0] == "confirmed"


def test_search_finds_by_name_and_number(qtbot, ctx, engine, qtmodeltester):
    day = clock.today() + timedelta(days=2)
    bid = book(engine, datetime.combine(day, time(10)), 2, "関門写真クラブ")
    book(engine, datetime.combine(day, time(13)), 2, "ほかの会")
    page = BookingSearchPage(ctx)
    qtbot.addWidget(page)
    assert page.count_label.text() == "条件を入れて検索してください"
    qtbot.keyClick(page.search_edit, Qt.Key.Key_Return)  # nothing typed: nothing read, the page says what to do
    assert page.last_load is None and page.count_label.text() == "検索する言葉か期間を入力してください"
    qtbot.keyClicks(page.search_edit, f"{bid:07d}")
    qtbot.keyClick(page.search_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not page.loading, timeout=10_000)  # read in the background (ListPage)
    assert [r.id for r in page.model.rows()] == [bid]
    qtmodeltester.check(page.model)
    assert not page.open_button.isEnabled()  # 開く follows the selection
    page.select_id(bid)
    assert page.open_button.isEnabled()
    page.search_edit.setText("写真")
    qtbot.mouseClick(page.search_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.loading, timeout=10_000)
    assert [r.booker_name for r in page.model.rows()] == ["関門写真クラブ"]
    assert page.count_label.text() == "1件見つかりました"


def test_search_opens_the_selected_booking_and_searches_again(qtbot, ctx, engine, monkeypatch):

    day = clock.today() + timedelta(days=2)
    bid = book(engine, datetime.combine(day, time(10)), 2, "関門写真クラブ")
    opened: list[int] = []

    def edit(parent, ctx_, booking_id):  # staff cancel the booking in the dialog
        opened.append(booking_id)
        ctx_.write(lambda s, a: booking_svc.cancel_booking(s, a, booking_id, "団体の都合"))
        return True

    monkeypatch.setattr(tl.BookingDialog, "edit", staticmethod(edit))
    page = BookingSearchPage(ctx)
    qtbot.addWidget(page)
    page.show()
    page.search_edit.setText("写真")  # typed through an input method: keyClicks takes ASCII only
    qtbot.keyClick(page.search_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not page.loading, timeout=10_000)
    page.select_id(bid)
    qtbot.mouseClick(page.open_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.loading, timeout=10_000)
    assert opened == [bid]
    assert page.model.rows()[0].status_label == "取消"  # read again after the change


# --- 支払 and 備品 on the day list; filters named for what they do (issue 13, item 8) ----------------------


def book_with(engine, start: datetime, name: str, *, room: str | None = "大会議室", equipment: dict[str, int] | None = None,
              kind: str = "group") -> int:
    """A booking as a manager with a reason (any day and hour), in the named room, with equipment by name."""
    from booking_app.store.models import EquipmentType

    with read_session(engine) as s:
        rooms = dict(s.execute(select(Room.name, Room.id)).all())
        types = dict(s.execute(select(EquipmentType.name, EquipmentType.id)).all())
    with write_session(engine) as s:
        return booking_svc.create_booking(
            s, actor(engine, "manager"),
            booking_svc.BookingInput(start=start, end=start + timedelta(hours=2),
                                     room_id=rooms[room] if room else None, booker_kind=kind, booker_name=name,
                                     purpose="定例会", attendees=8, override_reason="テスト用",
                                     equipment={types[n]: q for n, q in (equipment or {}).items()}),
            now=start - timedelta(days=3),
        ).id


def fee_day():
    """An open day ahead (a closed day, e.g. 12/30 under the calendar sweep, charges nothing)."""
    return open_day(after=1)


def past_fee_day():
    """An open day in the past: a booking there that nobody checked out, with a room fee."""
    d = open_day(after=0, base=clock.today() - timedelta(days=14))
    assert d < clock.today()
    return d


def day_page(qtbot, ctx, day) -> TodayListPage:
    page = TodayListPage(ctx)
    qtbot.addWidget(page)
    page.set_day(day)  # the desk steps to the day
    page.show()
    return page


def pay_in_full(ctx, booking_id: int) -> str:
    from booking_app.services import payments as pay_svc

    def work(s, a):
        ids = [c.id for c in pay_svc.open_charges(s, booking_id=booking_id)]
        return pay_svc.take_payment(s, a, ids, payer_name="下関写真クラブ", purpose="施設使用料として").receipt_no

    return ctx.write(work, changes={"receipt", "charge", "booking"})  # as the payment dialog does


def cell(page, row: int, key: str) -> str:
    return page.model.index(row, page.model.column_of(key)).data()


def test_day_list_shows_payment_and_equipment(qtbot, ctx, engine, qtmodeltester):
    day = fee_day()
    unpaid = book_with(engine, datetime.combine(day, time(9)), "未払の会",
                       equipment={"プロジェクター": 1, "スクリーン": 1})
    paid = book_with(engine, datetime.combine(day, time(11)), "下関写真クラブ", room="小会議室1")
    free = book_with(engine, datetime.combine(day, time(13)), "備品だけの会", room=None,
                     equipment={"ホワイトボード": 2})
    page = day_page(qtbot, ctx, day)
    qtmodeltester.check(page.model)
    headers = [page.model.headerData(i, Qt.Orientation.Horizontal) for i in range(page.model.columnCount())]
    assert "支払" in headers and "備品" in headers
    rows = {r.id: i for i, r in enumerate(page.model.rows())}
    assert cell(page, rows[unpaid], "payment").startswith("未払 ¥")
    assert cell(page, rows[paid], "payment").startswith("未払 ¥")
    assert cell(page, rows[free], "payment") == "—"  # no fee: nothing to collect
    assert cell(page, rows[unpaid], "equipment") == "プロジェクター1台、スクリーン1台"
    assert cell(page, rows[free], "equipment") == "ホワイトボード2台"
    assert cell(page, rows[paid], "equipment") == ""

    receipt = pay_in_full(ctx, paid)  # the list follows the payment at once
    assert cell(page, rows[paid], "payment") == f"済 {receipt}"
    tip = page.model.index(rows[paid], page.model.column_of("payment")).data(Qt.ItemDataRole.ToolTipRole)
    assert receipt in tip


def test_unpaid_filter_shows_only_what_is_still_owed(qtbot, ctx, engine):
    day = fee_day()
    owes = book_with(engine, datetime.combine(day, time(9)), "未払の会")
    paid = book_with(engine, datetime.combine(day, time(11)), "下関写真クラブ", room="小会議室1")
    book_with(engine, datetime.combine(day, time(13)), "備品だけの会", room=None, equipment={"ホワイトボード": 1})
    pay_in_full(ctx, paid)
    page = day_page(qtbot, ctx, day)
    assert page.model.rowCount() == 3
    assert page.unpaid_check.text() == "未払のみ"
    qtbot.mouseClick(page.unpaid_check, Qt.MouseButton.LeftButton)
    assert [r.id for r in page.model.rows()] == [owes]
    assert "未払" in page.title.text()
    qtbot.mouseClick(page.unpaid_check, Qt.MouseButton.LeftButton)
    assert page.model.rowCount() == 3


def test_not_checked_out_filter_says_what_it_lists(qtbot, ctx, engine):
    """The old 「未精算のみ」 listed bookings never checked out, whatever their payment: its name now says so."""
    left = book_with(engine, datetime.combine(past_fee_day(), time(14)), "帰った会")
    pay_in_full(ctx, left)  # paid, but nobody entered 利用済
    page = TodayListPage(ctx)
    qtbot.addWidget(page)
    page.show()
    check = page.unsettled_check
    assert "未精算" not in check.text() and "利用済" in check.text()
    qtbot.mouseClick(check, Qt.MouseButton.LeftButton)
    assert [r.id for r in page.model.rows()] == [left]
    assert "未精算" not in page.title.text() and "利用済" in page.title.text()
    assert cell(page, 0, "payment").startswith("済 ")


def test_refresh_reads_the_day_in_a_fixed_number_of_queries(qtbot, ctx, engine):
    """No per-row queries: a day of 2 bookings and a day of 8 cost the same statements."""
    from sqlalchemy import event

    day = fee_day()
    for i, room in enumerate(("大会議室", "小会議室1")):
        book_with(engine, datetime.combine(day, time(9)), f"会{i}", room=room, equipment={"ホワイトボード": 1})
    page = day_page(qtbot, ctx, day)
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    def selects_of_refresh() -> int:
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            page.refresh()
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len([s for s in statements if s.lstrip().upper().startswith("SELECT")])

    few = selects_of_refresh()
    for h in (11, 13, 15):
        for i, room in enumerate(("大会議室", "小会議室1")):
            b = book_with(engine, datetime.combine(day, time(h)), f"会{h}{i}", room=room,
                          equipment={"ホワイトボード": 1})
            if h == 11:
                pay_in_full(ctx, b)
    assert selects_of_refresh() == few
    assert page.model.rowCount() == 8


def test_not_checked_out_list_says_when_it_stops_short(qtbot, ctx, engine, monkeypatch):
    """The list shows the oldest first up to a limit, and says so, never stopping silently."""
    yesterday = clock.today() - timedelta(days=1)  # closed or not: no fee needed here
    first = book_with(engine, datetime.combine(yesterday, time(10)), "朝の会")
    book_with(engine, datetime.combine(yesterday, time(14)), "昼の会")
    monkeypatch.setattr(tl, "NOT_CHECKED_OUT_LIMIT", 1)
    page = TodayListPage(ctx)
    qtbot.addWidget(page)
    page.show()
    qtbot.mouseClick(page.unsettled_check, Qt.MouseButton.LeftButton)
    assert [r.id for r in page.model.rows()] == [first]
    assert "古い順に1件まで表示" in page.title.text()
