"""The 統計 page: the dashboard (and the status-bar figure) moving after a counter click, events' attendance,
the month close by a manager (desk staff refused, unsettled bookings listed), amendments, and the export
running off the GUI thread. Modal boxes are replaced or answered from a timer, so nothing blocks.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import date, datetime, time

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from booking_app.services import bookings as booking_svc
from booking_app.services import centre
from booking_app.services.stats.amendments import year_amendments
from booking_app.services.stats.events import list_events, save_event
from booking_app.services.stats.month_close import amend, close_month, unsettled_bookings
from booking_app.services.stats.month_lock import is_month_closed
from booking_app.services.stats.progress import year_progress
from booking_app.services.stats.tallies import add_tally
from booking_app.services.common import Actor
from booking_app.store.engine import read_session, write_session
from booking_app.store.models import MonthClosing, StatAmendment
from booking_app.ui.context import AppContext
from booking_app.ui.period_picker import FISCAL_YEAR
from booking_app.ui.stats import months_tab
from booking_app.ui.stats.counter_panel import CounterPanel
from booking_app.ui.stats.dialogs import AmendDialog, EventDialog, UnsettledDialog
from booking_app.ui.stats.models import AmendmentsModel, EventsModel, MonthsModel, MonthState, UnsettledModel
from booking_app.ui.stats.stats_page import StatsPage
from booking_app.ui.workers import wait_for_ops
from tests.ui.test_enrol_dialog import type_text

TODAY = date(2026, 11, 25)
OCT = date(2026, 10, 14)
pytestmark = pytest.mark.now(TODAY)


def when_modal(cls, act: Callable) -> list:
    """Run ``act(dialog)`` once a modal ``cls`` is open; the list records that it ran."""
    seen: list = []

    def poll():
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, cls):
            QTimer.singleShot(10, poll)
            return
        seen.append(dialog)
        act(dialog)

    QTimer.singleShot(0, poll)
    return seen


@pytest.fixture
def ctx(engine, manager):
    return AppContext(engine, manager, db_label="test.sqlite3")


@pytest.fixture
def notices(prompts):
    """What the page said, all through the prompts recorder (confirmations say yes): notices, questions and
    the errors of the tabs and of the background export."""
    return {"info": prompts.shown("info"), "confirm": prompts.shown("confirm"), "errors": prompts.shown("show_error")}


@pytest.fixture
def page(qtbot, ctx):
    w = StatsPage(ctx)
    qtbot.addWidget(w)
    w.resize(1216, 700)
    w.show()
    qtbot.waitExposed(w)
    return w


def used(engine, actor: Actor, day: date, users: int, room: str = "大会議室", *, settle: bool = True) -> int:
    """A booking on ``day`` 9–12, checked out with ``users`` (or left unsettled)."""
    with write_session(engine) as s:
        rooms = {r.name: r.id for r in centre.list_rooms(s)}
        b = booking_svc.create_booking(s, actor, booking_svc.BookingInput(
            start=datetime.combine(day, time(9)), end=datetime.combine(day, time(12)), room_id=rooms[room],
            booker_kind="group", booker_name="関門ウォーキングの会", purpose="例会", attendees=users),
            now=datetime.combine(day, time(8)))
        if settle:
            booking_svc.check_out(s, actor, b.id, users, now=datetime.combine(day, time(12, 30)))
    return b.id


def tally(engine, actor: Actor, when: datetime, category: str = "交流スペース", n: int = 1) -> None:
    with write_session(engine) as s:
        add_tally(s, actor, category, n, now=when, terminal="受付2")


# --------------------------------------------------------------------------- dashboard


def test_dashboard_shows_the_year_against_the_target(qtbot, page, engine, desk):
    used(engine, desk, OCT, 40)
    used(engine, desk, date(2026, 11, 4), 12, room="小会議室1")
    tally(engine, desk, datetime(2026, 11, 20, 10), "相談（来所）", 3)
    with write_session(engine) as s:
        save_event(s, desk, name="NPO会計講座", kind="講座", day=date(2026, 9, 12), attendance=25)
    d = page.dashboard
    d.refresh()
    assert d.total_label.text() == "80人"
    assert d.percent_label.text() == f"{100 * 80 / 29000:.1f}%" and d.users_bar.value() == 3
    assert d.target_label.text() == "目標 29,000人　あと 28,920人"
    assert "令和8年度" in d.users_title.text()
    assert d.days_left_label.text().startswith("年度末（3月31日）まで あと126日")
    assert "目標に届かない見込み" in d.projected_label.text()
    assert d.groups_label.text() == "0団体／目標 260"
    # November counts to today (the 25th); December–March have not happened: no bars, not 0.
    assert d.monthly_chart.values() == [0, 0, 0, 0, 0, 25, 40, 15, None, None, None, None]
    assert d.monthly_chart.labels()[7] == "11月<br>(25日まで)" and d.monthly_chart.labels()[8] == "12月"
    assert d.compare_label.text() == "前年同期の利用者はありません"
    cats = d.category_chart.values()
    assert cats["部屋利用"] == 52 and cats["相談（来所）"] == 3 and cats["講座・行事"] == 25
    assert d.room_chart.values()["大会議室"] == 40 and d.room_chart.values()["小会議室1"] == 12


def test_a_counter_click_moves_the_dashboard_and_the_status_bar(qtbot, ctx, engine):
    from booking_app.ui.main_window import MainWindow

    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    window.show_page("stats")
    dash = window.pages["stats"].dashboard
    qtbot.waitUntil(lambda: dash.total_label.text() == "0人")
    assert window.users_tile.text() == "利用者 0／29,000人（0.0%）"
    # The counter on the today page: click as the desk does.
    panel = window.pages["today"].counter_panel
    panel.show()  # the today page is not the current page; its counter is still live
    qtbot.mouseClick(panel.buttons["交流スペース"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.users_tile.text() == "利用者 1／29,000人（0.0%）")
    qtbot.waitUntil(lambda: dash.total_label.text() == "1人")
    assert dash.category_chart.values()["交流スペース"] == 1


def test_another_terminal_moves_the_dashboard_within_a_poll(qtbot, page, engine, desk):
    from booking_app.ui.stats.dashboard import watcher_for

    d = page.dashboard
    d.refresh()
    assert d.total_label.text() == "0人"
    tally(engine, desk, datetime(2026, 11, 25, 9), "見学", 6)  # written by another PC
    assert watcher_for(page.ctx).poll()
    qtbot.waitUntil(lambda: d.total_label.text() == "6人")


def test_a_hidden_dashboard_waits_until_it_is_shown(qtbot, page, ctx, monkeypatch):
    page.show_tab("months")
    calls = []
    monkeypatch.setattr(page.dashboard, "refresh", lambda: calls.append(1))
    ctx.changed.emit({"tally"})
    # Nothing scheduled while hidden, only remembered.
    assert calls == [] and page.dashboard._dirty and not page.dashboard._refresh_timer.isActive()
    page.show_tab("dashboard")
    qtbot.waitUntil(lambda: calls != [])


# --------------------------------------------------------------------------- events


@pytest.mark.answers_modals
def test_add_an_event_then_enter_its_attendance(qtbot, page, engine, notices):
    page.show_tab("events")

    def fill(dlg: EventDialog):
        dlg.name_edit.setFocus()
        type_text(dlg.name_edit, "はじめての市民活動講座")
        dlg.kind_combo.setCurrentText("講座")
        dlg.day_edit.setDate(dlg.day_edit.date().addDays(-10))  # 2026-11-15
        dlg.room_combo.setCurrentIndex(dlg.room_combo.findText("大会議室"))
        assert dlg.attendance_spin.text() == "未入力"
        qtbot.mouseClick(dlg.buttons.buttons()[0], Qt.MouseButton.LeftButton)

    seen = when_modal(EventDialog, fill)
    qtbot.mouseClick(page.events_tab.add_button, Qt.MouseButton.LeftButton)
    assert seen and notices["errors"] == []
    m = page.events_tab.model
    assert m.rowCount() == 1
    assert [m.data(m.index(0, c)) for c in range(5)] == ["2026/11/15(日)", "講座", "はじめての市民活動講座",
                                                         "大会議室", "未入力"]
    assert "未入力の行事 1件" in page.events_tab.note.text()

    def attendance(dlg: EventDialog):
        assert dlg.name_edit.text() == "はじめての市民活動講座"
        dlg.attendance_spin.selectAll()
        qtbot.keyClicks(dlg.attendance_spin, "32")
        qtbot.mouseClick(dlg.buttons.buttons()[0], Qt.MouseButton.LeftButton)

    when_modal(EventDialog, attendance)
    page.events_tab.view.selectRow(0)
    qtbot.mouseClick(page.events_tab.edit_button, Qt.MouseButton.LeftButton)
    assert m.data(m.index(0, 4)) == "32人" and page.events_tab.note.text() == "1件・参加者 32人"
    with read_session(engine) as s:
        assert year_progress(s, today=TODAY).by_category["講座・行事"] == 32


# --------------------------------------------------------------------------- month close


def select_month(page: StatsPage, year: int, month: int) -> None:
    row = next(i for i, m in enumerate(page.months_tab.model.rows()) if (m.year, m.month) == (year, month))
    page.months_tab.view.selectRow(row)


def test_manager_closes_a_month(qtbot, page, engine, manager, notices):
    used(engine, manager, OCT, 18)
    page.show_tab("months")
    m = page.months_tab.model
    states = {(r.year, r.month): r.state_label for r in m.rows()}
    assert states[(2026, 4)] == "未締め" and states[(2026, 11)] == "集計中" and states[(2027, 3)] == "—"
    # The month just ended is chosen for the manager.
    assert (page.months_tab.selected_month().year, page.months_tab.selected_month().month) == (2026, 10)
    assert page.months_tab.close_button.isEnabled() and not page.months_tab.amend_button.isEnabled()
    qtbot.mouseClick(page.months_tab.close_button, Qt.MouseButton.LeftButton)
    assert notices["errors"] == [] and notices["info"] == ["2026年10月を締めました。"]
    row = page.months_tab.model.rows()[6]
    assert (row.month, row.state_label, row.total, row.closed_by) == (10, "締め済", 18, "センター長")
    assert m.data(m.index(6, 4)) == "締め済" and m.data(m.index(6, 1)) == "18人"
    assert m.data(m.index(7, 0)) == "2026年11月（25日まで）" and m.data(m.index(8, 1)) == ""
    assert "締め済み" in page.months_tab.detail.text()
    assert not page.months_tab.close_button.isEnabled() and page.months_tab.amend_button.isEnabled()
    with read_session(engine) as s:
        assert is_month_closed(s, 2026, 10)


def test_desk_staff_cannot_close_a_month(qtbot, page, ctx, engine, desk, notices):
    ctx.set_actor(desk)
    page.show_tab("months")
    select_month(page, 2026, 9)
    qtbot.mouseClick(page.months_tab.close_button, Qt.MouseButton.LeftButton)
    assert notices["errors"] == ["月次締めは管理者のみ行えます。管理者に依頼してください。"]
    assert page.months_tab.selected_month().state_label == "未締め"
    with read_session(engine) as s:
        assert s.scalar(select(MonthClosing.id)) is None


def test_unsettled_bookings_are_listed_before_a_forced_close(qtbot, page, engine, manager, notices, monkeypatch):
    open_id = used(engine, manager, OCT, 9, settle=False)
    asked: list = []
    reply = {"reason": None}

    def fake(parent, message, bookings):
        asked.append((message, [b.id for b in bookings]))
        return reply["reason"]

    monkeypatch.setattr(months_tab, "ask_force_reason", fake)
    page.show_tab("months")
    select_month(page, 2026, 10)
    qtbot.mouseClick(page.months_tab.close_button, Qt.MouseButton.LeftButton)
    assert asked and asked[0][1] == [open_id] and "1件" in asked[0][0]
    assert page.months_tab.selected_month().state_label == "未締め"
    reply["reason"] = "団体に人数を確認中のため"
    qtbot.mouseClick(page.months_tab.close_button, Qt.MouseButton.LeftButton)
    assert page.months_tab.selected_month().state_label == "締め済"
    assert "未精算 1件" in notices["info"][-1]


def test_unsettled_dialog_lists_the_bookings(qtbot, engine, manager):
    bid = used(engine, manager, OCT, 9, settle=False)
    rows = [b for b in read_rows(engine) if b.id == bid]
    dlg = UnsettledDialog("2026年10月には…予約が1件あります。", rows)
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.model.rowCount() == 1 and dlg.model.data(dlg.model.index(0, 1)) == "2026/10/14(水)"
    dlg.force_button.click()
    assert dlg.result() == 0 and dlg.isVisible()  # no reason typed: not accepted
    type_text(dlg.reason_edit, "確認中")
    dlg.force_button.click()
    assert dlg.result() == 1


def read_rows(engine):
    with read_session(engine) as s:
        return unsettled_bookings(s, today=TODAY)


@pytest.mark.answers_modals
def test_amend_a_closed_month(qtbot, page, engine, manager, notices):
    used(engine, manager, OCT, 25)
    with write_session(engine) as s:
        close_month(s, manager, 2026, 10, now=datetime(2026, 11, 2, 10))
    page.show_tab("months")
    select_month(page, 2026, 10)
    assert page.months_tab.amend_button.isEnabled()

    def fill(dlg: AmendDialog):
        dlg.choose_key("users.room.大会議室")
        assert dlg.current_label.text() == "25" and dlg.key_combo.currentText() == "部屋別利用者数（大会議室）"
        dlg.value_spin.selectAll()
        qtbot.keyClicks(dlg.value_spin, "52")
        dlg.reason_edit.setFocus()
        type_text(dlg.reason_edit, "利用人数の入力誤り")
        qtbot.mouseClick(dlg.buttons.buttons()[0], Qt.MouseButton.LeftButton)

    seen = when_modal(AmendDialog, fill)
    qtbot.mouseClick(page.months_tab.amend_button, Qt.MouseButton.LeftButton)
    assert seen and notices["errors"] == []
    a = page.months_tab.amendments_model
    assert a.rowCount() == 1
    assert [a.data(a.index(0, c)) for c in range(1, 6)] == ["部屋別利用者数（大会議室）", "25", "52",
                                                            "利用人数の入力誤り", "センター長"]
    assert page.months_tab.selected_month().amendments == 1
    with read_session(engine) as s:
        row = s.scalars(select(StatAmendment)).one()
        assert (row.old_value, row.new_value) == (25, 52)
        # The submitted figure itself is never rewritten.
        assert s.scalars(select(MonthClosing)).one().figures["users_by_room"]["大会議室"] == 25


def test_amend_dialog_asks_for_a_reason_and_a_different_value(qtbot):
    dlg = AmendDialog(2026, 10, [("users_total", "利用者数（合計）", 100)])
    qtbot.addWidget(dlg)
    dlg.show()
    dlg.buttons.buttons()[0].click()
    assert "現在の値と同じ" in dlg.error_label.text() and dlg.result() == 0
    dlg.value_spin.setValue(120)
    dlg.buttons.buttons()[0].click()
    assert "理由" in dlg.error_label.text() and dlg.isVisible()


# --------------------------------------------------------------------------- export


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_export_writes_the_file_off_the_gui_thread(qtbot, page, engine, desk, notices, prompts, tmp_path, fmt):
    used(engine, desk, OCT, 21)
    target = tmp_path / f"統計.{fmt}"
    prompts.save_path = target
    page.show_tab("export")
    # The month just ended, named as the period picker names months.
    assert page.export_tab.picker.month_combo.currentText() == "令和8年（2026年）10月"
    page.export_tab.format_radios[fmt].click()
    qtbot.mouseClick(page.export_tab.button, Qt.MouseButton.LeftButton)
    assert prompts.texts("ask_save_path") == [f"統計_2026年10月.{fmt}"]  # no brackets in a file name
    with qtbot.wait_signal(page.export_tab.last_op.finished, timeout=20_000):
        pass
    assert target.is_file() and target.stat().st_size > 0
    assert page.export_tab.last_export_path == target and str(target) in page.export_tab.result.text()
    assert notices["errors"] == [] and "保存しました" in notices["info"][0]
    if fmt == "xlsx":
        from openpyxl import load_workbook

        wb = load_workbook(target)
        cells = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row]
        assert 21 in cells
    else:
        text = target.read_text(encoding="utf-8-sig")
        assert any("21" in row for row in csv.reader(text.splitlines()))


def test_export_of_a_fiscal_year_as_pdf(qtbot, page, notices, prompts, tmp_path):
    target = tmp_path / "年度.pdf"
    prompts.save_path = target
    page.show_tab("export")
    page.export_tab.picker.radios[FISCAL_YEAR].click()
    page.export_tab.format_radios["pdf"].click()
    assert page.export_tab.period() == ("令和8年度（2026年度）", {"fiscal_year": 2026})
    qtbot.mouseClick(page.export_tab.button, Qt.MouseButton.LeftButton)
    assert prompts.texts("ask_save_path") == ["統計_令和8年度.pdf"]
    with qtbot.wait_signal(page.export_tab.last_op.finished, timeout=30_000):
        pass
    assert target.read_bytes()[:5] == b"%PDF-" and notices["errors"] == []
    assert "令和8年度（2026年度）の統計を保存しました" in notices["info"][0]


def test_export_cancelled_in_the_save_dialog_does_nothing(qtbot, page, prompts):
    page.show_tab("export")  # the recorder answers the save dialog with None: cancelled
    assert page.export_tab.export() is None and page.export_tab.last_op is None
    assert len(prompts.of("ask_save_path")) == 1 and prompts.infos == []
    wait_for_ops()


# --------------------------------------------------------------------------- models


def test_models(qtmodeltester, engine, manager):
    used(engine, manager, OCT, 7)
    open_id = used(engine, manager, date(2026, 9, 9), 5, settle=False)
    with write_session(engine) as s:
        save_event(s, manager, name="交流会", kind="交流会", day=OCT, attendance=None)
        close_month(s, manager, 2026, 10, now=datetime(2026, 11, 2, 10))
        amend(s, manager, 2026, 10, "users_total", 9, "入力誤り")
    events = EventsModel()
    with read_session(engine) as s:
        events.set_rows(list_events(s, fiscal_year=2026))
        amendments = year_amendments(s, 2026)
        unsettled = [b for b in unsettled_bookings(s, today=TODAY) if b.id == open_id]
    months = MonthsModel()
    months.set_rows([MonthState(2026, 10, 7, "closed", datetime(2026, 11, 2, 10), "センター長", 1),
                     MonthState(2026, 11, 0, "current"), MonthState(2026, 12, 0, "future")])
    amend_model = AmendmentsModel()
    amend_model.set_rows(amendments)
    unsettled_model = UnsettledModel()
    unsettled_model.set_rows(unsettled)
    for model in (events, months, amend_model, unsettled_model):
        qtmodeltester.check(model)
        assert model.rowCount() >= 1
    assert events.data(events.index(0, 4)) == "未入力"
    assert months.data(months.index(0, 4)) == "締め済" and months.data(months.index(0, 7)) == "1件"
    assert amend_model.data(amend_model.index(0, 1)) == "利用者数（合計）"


def test_the_counter_and_the_page_share_one_watcher(qtbot, ctx):
    from booking_app.ui.stats.dashboard import DataWatcher

    a = CounterPanel(ctx)
    b = StatsPage(ctx)
    qtbot.addWidget(a)
    qtbot.addWidget(b)
    assert a.watcher is b.dashboard.watcher and len(ctx.findChildren(DataWatcher)) == 1


def test_polling_stops_when_the_last_view_is_destroyed(qtbot, ctx):
    """No view left, no query; and no running timer left on a context that may be collected anywhere."""
    from PySide6.QtCore import QEvent

    from booking_app.ui.stats.dashboard import watcher_for

    panel = CounterPanel(ctx)
    page = StatsPage(ctx)
    watcher = watcher_for(ctx)
    assert watcher.timer.isActive() and watcher.timer.interval() == 3000
    panel.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    assert watcher.timer.isActive()  # the statistics page still listens
    page.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    assert not watcher.timer.isActive() and not watcher.poll()
