"""The counter's day list (本日の予約) and the search page, driven through their buttons."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from sqlalchemy import select

from booking_app import clock
from booking_app.services import bookings as booking_svc
from booking_app.services.common import Actor
from booking_app.store.engine import read_session, write_session
from booking_app.store.models import Booking, Room, Staff
from booking_app.ui import today_list as tl
from booking_app.ui.context import AppContext
from booking_app.ui.search_page import BookingSearchPage
from booking_app.ui.today_list import TodayListPage


def actor(engine, role="desk") -> Actor:
    with read_session(engine) as s:
        st = s.scalars(select(Staff).where(Staff.role == role)).first()
        return Actor(st.id, st.name, st.role)


@pytest.fixture
def ctx(engine):
    return AppContext(engine, actor(engine))


@pytest.fixture(autouse=True)
def errors(monkeypatch):
    shown: list[str] = []
    monkeypatch.setattr(tl, "show_error", lambda parent, exc: shown.append(exc.message))
    return shown


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


def answer_box(qtbot, fn) -> None:
    """Run fn(box) once the no-show question (a modal QMessageBox) is open."""

    def act():
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(10, act)
            return
        fn(box)

    QTimer.singleShot(0, act)


def status_of(engine, bid):
    with read_session(engine) as s:
        b = s.get(Booking, bid)
        return b.status, b.actual_users


def test_check_in_and_check_out_with_the_actual_number(qtbot, ctx, engine, errors, monkeypatch, qtmodeltester):
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

    asked = []
    monkeypatch.setattr(tl, "ask_actual_users", lambda parent, v: asked.append(v.attendees) or 9)
    qtbot.mouseClick(page.check_out_button, Qt.MouseButton.LeftButton)
    assert asked == [12]  # prefilled with the expected attendees
    assert status_of(engine, early) == ("completed", 9)
    assert page.model.index(0, page.model.column_of("people")).data() == "9人（予定12）"

    qtbot.mouseClick(page.undo_button, Qt.MouseButton.LeftButton)
    assert status_of(engine, early) == ("in_use", None)


@pytest.mark.answers_modals
def test_no_show_and_unsettled_filter(qtbot, ctx, engine, errors):
    yesterday = clock.today() - timedelta(days=1)
    gone = book(engine, datetime.combine(yesterday, time(10)), 2, "来なかった会")
    left = book(engine, datetime.combine(yesterday, time(14)), 2, "帰った会")
    page = TodayListPage(ctx)
    qtbot.addWidget(page)
    page.set_day(yesterday)  # the desk steps back a day to settle it
    page.show()
    assert page.model.rowCount() == 2
    page.select_booking(gone)
    # One stray click does nothing: the question names the booking, and Enter (the default) says no.
    asked: list[str] = []

    def press_enter(box: QMessageBox) -> None:
        asked.append(box.text())
        assert box.defaultButton() is box.button(QMessageBox.StandardButton.No)
        qtbot.keyClick(box, Qt.Key.Key_Return)

    answer_box(qtbot, press_enter)
    qtbot.mouseClick(page.no_show_button, Qt.MouseButton.LeftButton)
    assert status_of(engine, gone)[0] == "confirmed"
    room = page.model.rows()[0].room_name
    assert asked and "来なかった会" in asked[0] and room in asked[0] and "10:00〜12:00" in asked[0]

    answer_box(qtbot, lambda box: qtbot.mouseClick(box.button(QMessageBox.StandardButton.Yes),
                                                   Qt.MouseButton.LeftButton))
    qtbot.mouseClick(page.no_show_button, Qt.MouseButton.LeftButton)
    assert errors == [] and status_of(engine, gone)[0] == "no_show"

    qtbot.mouseClick(page.unsettled_check, Qt.MouseButton.LeftButton)
    assert page.unsettled_check.isChecked()
    assert [r.id for r in page.model.rows()] == [left]  # the no-show is settled; the other is not
    assert "未精算" in page.title.text()


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
    qtbot.keyClicks(page.search_edit, f"{bid:07d}")
    qtbot.keyClick(page.search_edit, Qt.Key.Key_Return)
    assert [r.id for r in page.model.rows()] == [bid]
    qtmodeltester.check(page.model)
    page.search_edit.setText("写真")
    qtbot.mouseClick(page.search_button, Qt.MouseButton.LeftButton)
    assert [r.booker_name for r in page.model.rows()] == ["関門写真クラブ"]
    assert page.count_label.text() == "1件見つかりました"
