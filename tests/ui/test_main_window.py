"""The main window, staff switching (login) and the app's start-up in screenshot mode."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QEvent, QLocale, Qt, QTimer
from PySide6.QtGui import QColor, QImage, QKeyEvent
from PySide6.QtWidgets import QApplication

import booking_app
from booking_app import clock
from booking_app.domain.errors import ConflictError, PermissionDenied, RuleError, ValidationError
from booking_app.services import centre
from booking_app.store.engine import make_engine, write_session
from booking_app.ui import dates
from booking_app.ui.context import AppContext
from booking_app.ui.errors import build_error_box
from booking_app.ui.main_window import WINDOW_TITLE, MainWindow
from booking_app.ui.admin.staff_dialog import StaffChooser

TODAY = dt.date(2026, 11, 25)
pytestmark = pytest.mark.now(TODAY)


@pytest.fixture
def ctx(sqlite_url):
    engine = make_engine(sqlite_url)
    with write_session(engine) as session:
        centre.ensure_initial_data(session)
        staff = centre.list_staff(session)
    context = AppContext(engine, staff[0].as_actor(), db_label="/tmp/センター.sqlite3")
    yield context
    engine.dispose()


def test_main_window_opens_and_switches_pages(qtbot, ctx):
    from PySide6.QtGui import QFont
    from PySide6.QtWidgets import QApplication

    from booking_app import fonts

    # The desk's font (IPAex Gothic, as app.run sets it): Japanese glyphs are what must fit 1366 px,
    # whatever font an earlier test left on the application.
    app = QApplication.instance()
    previous = app.font()
    app.setFont(QFont(fonts.register_qt_fonts(), 10))
    try:
        _opens_and_switches_pages(qtbot, ctx)
    finally:
        app.setFont(previous)


def _opens_and_switches_pages(qtbot, ctx):
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    assert window.windowTitle() == WINDOW_TITLE
    assert window.current_page_key() == "calendar"
    from booking_app.ui.calendar.calendar_views import CalendarPage

    assert isinstance(window.pages["calendar"], CalendarPage)
    from booking_app.ui.main_window import ReceiptsArea

    receipts = window.pages["receipts"]
    assert isinstance(receipts, ReceiptsArea)
    assert [receipts.tabText(i) for i in range(receipts.count())] == ["領収書", "日計表"]
    nav = window.nav
    labels = [nav.item(i).text() for i in range(nav.count())]
    assert labels == ["予約カレンダー", "本日の予約", "予約検索", "団体", "領収書", "保険", "設定", "統計", "操作履歴",
                      "抽選"]
    # Click the navigation as a person would.
    for key, label in (("search", "予約検索"), ("today", "本日の予約"), ("groups", "団体"), ("receipts", "領収書"),
                       ("insurance", "保険"), ("settings", "設定"), ("stats", "統計"), ("audit", "操作履歴")):
        rect = nav.visualItemRect(nav.item(labels.index(label)))
        qtbot.mouseClick(nav.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        assert window.current_page_key() == key
        assert window.stack.currentWidget() is window.pages[key]
    from booking_app.ui.stats.stats_page import StatsPage

    assert isinstance(window.pages["stats"], StatsPage)
    # The year's users against the target stay in the status bar on every page.
    assert window.users_tile.text() == "利用者 0／29,000人（0.0%）"
    # Status bar: who, which database, which day.
    assert window.staff_button.text() == "担当者：受付スタッフ（受付）"
    assert "センター.sqlite3" in window.db_label.text() and window.db_label.toolTip() == "/tmp/センター.sqlite3"
    assert "2026/11/25(水)" in window.date_label.text() and "令和8年" in window.date_label.text()
    assert booking_app.__version__ in window.about_text()
    # Fits a 1366×768 screen.
    assert window.minimumSizeHint().width() <= 1366 and window.minimumSizeHint().height() <= 768


def test_view_menu_moves_the_calendar(qtbot, ctx):
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    window.show_page("search")
    window.next_action.trigger()
    cal = window.pages["calendar"]
    assert window.current_page_key() == "calendar" and cal.date() == dt.date(2026, 11, 26)
    window.prev_action.trigger()
    window.prev_action.trigger()
    assert cal.date() == dt.date(2026, 11, 24)
    window.today_action.trigger()
    assert cal.date() == TODAY


def _answer_login(qtbot, name: str | None) -> None:
    """Log in as name in the modal login dialog once it is open (None: press キャンセル)."""
    from booking_app.ui.access.login_dialog import LoginDialog

    def act():
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, LoginDialog):
            QTimer.singleShot(20, act)
            return
        if name is None:
            qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
            return
        row = next(i for i in range(dialog.list.count()) if dialog.list.item(i).text().startswith(name))
        dialog.list.setCurrentRow(row)
        qtbot.keyClicks(dialog.password, "password-1")
        qtbot.keyClick(dialog.password, Qt.Key.Key_Return)

    QTimer.singleShot(0, act)


@pytest.mark.answers_modals
def test_switch_staff_from_status_bar(qtbot, ctx):
    """担当者の切り替え (issue 7): the next staff member logs in with their password."""
    from sqlalchemy import update

    from booking_app.services.auth import hash_password
    from booking_app.store.models import Staff

    with write_session(ctx.engine) as session:
        session.execute(update(Staff).values(password_hash=hash_password("password-1")))
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    _answer_login(qtbot, "センター長")
    with qtbot.wait_signal(ctx.actor_changed):
        qtbot.mouseClick(window.staff_button, Qt.MouseButton.LeftButton)
    assert ctx.actor.name == "センター長" and ctx.actor.role == "manager"
    assert window.staff_button.text() == "担当者：センター長（管理者）"
    _answer_login(qtbot, None)
    with qtbot.assertNotEmitted(ctx.actor_changed):
        qtbot.mouseClick(window.staff_button, Qt.MouseButton.LeftButton)
    assert ctx.actor.name == "センター長"


def test_staff_chooser_lists_roles_in_japanese(qtbot, ctx):
    staff, current = StaffChooser.load_staff(ctx.engine)
    dialog = StaffChooser(staff, current)
    qtbot.addWidget(dialog)
    texts = [dialog.list.item(i).text() for i in range(dialog.list.count())]
    assert texts == ["受付スタッフ（受付）", "センター長（管理者）", "システム管理者（システム管理）"]
    dialog.list.setCurrentRow(2)
    assert dialog.selected().role == "admin"


@pytest.mark.parametrize(("exc", "title"), [
    (ConflictError("大会議室は既に予約があります。"), "予約が重複しています"),
    (RuleError("開館時間外です"), "規則外です"),
    (ValidationError("利用目的を入力してください。"), "入力を確かめてください"),
    (PermissionDenied("管理者のみ行えます。"), "権限がありません"),
])
def test_error_box_shows_the_domain_message(qtbot, exc, title):
    box = build_error_box(None, exc)
    qtbot.addWidget(box)
    assert box.windowTitle() == title and box.text() == exc.message


def test_unexpected_error_hides_the_traceback_in_details(qtbot):
    try:
        raise KeyError("room_id")
    except KeyError as exc:
        box = build_error_box(None, exc)
    qtbot.addWidget(box)
    assert "Traceback" not in box.text() and "もう一度" in box.text()
    assert "Traceback" in box.detailedText()


@pytest.fixture
def restore_app_state(qapp):
    """app.run changes process-wide Qt state (font, locale, translators); put it back for other tests."""
    font, locale = qapp.font(), QLocale()
    yield
    for tr in getattr(qapp, "_fukufuku_translators", []):
        qapp.removeTranslator(tr)
    qapp._fukufuku_translators = []
    qapp.setFont(font)
    QLocale.setDefault(locale)


def test_run_in_screenshot_mode_writes_a_picture(qtbot, sqlite_url, tmp_path, restore_app_state):
    from booking_app.app import run

    path = tmp_path / "shots" / "main.png"
    assert run(sqlite_url, db_label="テスト.sqlite3", screenshot=str(path)) == 0
    image = QImage(str(path))
    assert not image.isNull() and (image.width(), image.height()) == (1366, 768)
    colours = {QColor(image.pixel(x, y)).name() for x in range(0, 1366, 37) for y in range(0, 768, 29)}
    assert len(colours) > 5  # a painted window, not a blank rectangle
    assert QApplication.applicationName() == "Fukufuku Desk"
    assert QApplication.font().family() == "IPAexGothic"
    assert QLocale().language() == QLocale.Language.Japanese


def test_scanned_member_card_opens_the_group_anywhere(qtbot, ctx):
    from booking_app.domain.groups import DECLARATIONS, GroupInput
    from booking_app.services.groups import register_group

    with write_session(ctx.engine) as s:
        register_group(s, ctx.actor, GroupInput(
            name="関門太鼓の会", kana="かんもんたいこのかい", representative="山本", phone="083-000-1111",
            activity_fields=["学術・文化・芸術・スポーツ"], declarations={k: True for k in DECLARATIONS}))
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show_page("today")
    window.open_group_by_code("FKG:0001")
    assert window.current_page_key() == "groups"
    page = window.pages["groups"]
    assert page.status_label.text() == "有効"
    assert "関門太鼓の会" in page.group_title.text()


def test_groups_tile_follows_registrations(qtbot, ctx):
    from booking_app.domain.groups import DECLARATIONS, GroupInput
    from booking_app.services.groups import register_group

    window = MainWindow(ctx)
    qtbot.addWidget(window)
    assert window.groups_tile.text() == "登録団体 0／目標260"

    def register(s, actor):
        return register_group(s, actor, GroupInput(
            name="彦島子ども食堂", kana="ひこしまこどもしょくどう", representative="石井", phone="083-206-8719",
            activity_fields=["子どもの健全育成"], declarations={k: True for k in DECLARATIONS}),
            registered_on=TODAY)

    ctx.write(register, changes={"group"})
    assert window.groups_tile.text() == "登録団体 1／目標260"
    assert window.groups_tile.toolTip() == "登録団体 1（目標260）　今年度 新規1・失効0"


# --- a scanned usage slip (FKB:<id>) opens the booking at the counter ------------------------------------


def _book_on(ctx, day: dt.date, name: str = "関門ウォーキングの会", room: str = "小会議室1") -> int:
    from booking_app.services.bookings import BookingInput, create_booking

    rooms = ctx.read(lambda s: {r.name: r.id for r in centre.list_rooms(s)})
    with write_session(ctx.engine) as s:
        return create_booking(s, ctx.actor, BookingInput(
            start=dt.datetime.combine(day, dt.time(13)), end=dt.datetime.combine(day, dt.time(15)),
            room_id=rooms[room], booker_kind="group", booker_name=name, purpose="例会", attendees=8)).id


def _open_day() -> dt.date:
    """A Wednesday 1–2 weeks ahead: inside the booking window, never today."""
    d = clock.today() + dt.timedelta(days=7)
    return d + dt.timedelta(days=(2 - d.weekday()) % 7)


@pytest.fixture
def scan_answers(prompts):
    """The choice after a scan, answered by the recording prompts: (booking number, default) per question."""

    class Asked:
        def _calls(self):
            return [(c.text.split()[1], c.default) for c in prompts.of("ask_choice") if c.title == "利用票の読み取り"]

        def __len__(self):
            return len(self._calls())

        def __getitem__(self, i):
            return self._calls()[i]

        def __eq__(self, other):
            return self._calls() == other

    class Answer(dict):
        def __setitem__(self, key, value):
            prompts.choice_default = value

    return Asked(), Answer()


def test_scanned_slip_selects_the_booking_in_the_today_list(qtbot, ctx, scan_answers):
    asked, _answer = scan_answers
    day = _open_day()
    _book_on(ctx, day - dt.timedelta(days=1), "先の会")
    target = _book_on(ctx, day)
    other = _book_on(ctx, day, "後の会", room="小会議室2")
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    page = window.pages["today"]
    page.unsettled_check.setChecked(True)  # whatever the desk was looking at
    page.unpaid_check.setChecked(True)  # (the scanned booking has no fee: this filter would hide it)

    assert window.open_booking_by_id(target)
    assert window.current_page_key() == "today"
    assert not page.unsettled_check.isChecked() and not page.unpaid_check.isChecked() and page.day == day
    assert page.selected() is not None and page.selected().id == target
    assert page.open_button.isEnabled()
    # Not on the day itself: the choice offers 予約を開く first (check-in would be refused).
    assert len(asked) == 1 and asked[0][1] == "open"

    assert window.open_booking_by_id(other)
    assert page.selected().id == other


def test_scan_then_enter_checks_in_on_the_day(qtbot, ctx, scan_answers):
    from booking_app.services.bookings import get_booking

    asked, answer = scan_answers
    today = clock.today()
    with write_session(ctx.engine) as s:  # made three days ago; today is the day of use
        from booking_app.services.bookings import BookingInput, create_booking

        room = {r.name: r.id for r in centre.list_rooms(s)}["作業室"]
        manager = next(st for st in centre.list_staff(s) if st.role == "manager").as_actor()
        # A manager's reason lets the test book whatever day and hour it runs on (closed days too).
        bid = create_booking(s, manager, BookingInput(
            start=dt.datetime.combine(today, dt.time(21)), end=dt.datetime.combine(today, dt.time(22)),
            room_id=room, booker_kind="person", booker_name="下関 花子", purpose="作業", attendees=1,
            override_reason="テストのため"),
            now=dt.datetime.combine(today - dt.timedelta(days=3), dt.time(10))).id
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    answer["key"] = "check_in"  # the default button, as Enter would press it
    assert window.open_booking_by_id(bid)
    assert asked[-1][1] == "check_in"
    assert ctx.read(lambda s: get_booking(s, bid)).status == "in_use"
    assert window.pages["today"].selected().status == "in_use"
    answer["key"] = None
    window.open_booking_by_id(bid)
    assert asked[-1][1] == "check_out"  # in use: the next scan offers 利用済（人数入力）


def test_unknown_scanned_number_says_so_in_japanese(qtbot, ctx, prompts, scan_answers):
    shown = prompts.shown("show_error")
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    assert not window.open_booking_by_id(4321)
    assert shown == ["予約番号 0004321 は見つかりません。番号を確かめてください。"]
    assert window.current_page_key() == "calendar" and scan_answers[0] == []


def test_scanner_signal_reaches_the_window(qtbot, ctx, scan_answers):
    """app.run connects bookingScanned to open_booking_by_id; the signal's int fits the slot."""
    from booking_app.ui.scanner import ScannerFilter

    bid = _book_on(ctx, _open_day())
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    scanner = ScannerFilter()
    scanner.bookingScanned.connect(window.open_booking_by_id)
    scanner.bookingScanned.emit(bid)
    assert window.pages["today"].selected().id == bid


@pytest.mark.answers_modals
def test_scan_choice_box_has_the_three_actions_and_enter_takes_the_default(qtbot):
    from types import SimpleNamespace

    from booking_app.ui.main_window import ask_scan_action
    from booking_app.ui.prompts import Prompts

    view = SimpleNamespace(number="0000012", status_label="確定", start=dt.datetime(2026, 11, 25, 13),
                           end=dt.datetime(2026, 11, 25, 17), room_name="大会議室", booker_name="ふくふく読書会")
    seen = {}

    def press_enter():
        box = QApplication.activeModalWidget()
        if box is None:
            QTimer.singleShot(20, press_enter)
            return
        seen["text"] = box.text()
        seen["buttons"] = [b.text() for b in box.buttons()]
        qtbot.keyClick(box, Qt.Key.Key_Return)

    QTimer.singleShot(0, press_enter)
    assert ask_scan_action(None, Prompts(), view, "check_out") == "check_out"
    assert "予約番号 0000012" in seen["text"] and "ふくふく読書会" in seen["text"]
    assert {"チェックイン", "利用済（人数入力）", "予約を開く", "閉じる"} <= set(seen["buttons"])


# --- 団体 → 新しい予約 carries what the desk was looking at (issue 13, item 7) ---------------------------


def _register_group(ctx, name: str, kana: str) -> None:
    from booking_app.domain.groups import DECLARATIONS, GroupInput
    from booking_app.services.groups import register_group

    with write_session(ctx.engine) as s:
        register_group(s, ctx.actor, GroupInput(
            name=name, kana=kana, representative="山本", phone="083-000-1111",
            activity_fields=["学術・文化・芸術・スポーツ"], declarations={k: True for k in DECLARATIONS}))


def _read_booking_dialog(qtbot, seen: dict) -> None:
    """Once the booking dialog is open (modal), note what it shows and close it without saving."""
    from booking_app.ui.booking import booking_dialog as bd

    def read_and_close():
        dlg = QApplication.activeModalWidget()
        if not isinstance(dlg, bd.BookingDialog):
            QTimer.singleShot(10, read_and_close)
            return
        seen["kind"] = dlg.kind_combo.currentData()
        seen["group"] = dlg.group_edit.text()
        seen["group_state"] = dlg.group_status.text()
        seen["day"] = dates.from_qdate(dlg.date_edit.date())
        seen["room"] = dlg.room_combo.currentText()
        dlg.reject()

    QTimer.singleShot(0, read_and_close)


def _click_nav(qtbot, window, label: str) -> None:
    nav = window.nav
    row = next(i for i in range(nav.count()) if nav.item(i).text() == label)
    qtbot.mouseClick(nav.viewport(), Qt.MouseButton.LeftButton, pos=nav.visualItemRect(nav.item(row)).center())


@pytest.mark.answers_modals
def test_new_booking_from_a_verified_group_takes_the_group_and_the_calendars_day_and_room(qtbot, ctx):
    from tests.days import open_day

    _register_group(ctx, "関門太鼓の会", "かんもんたいこのかい")
    day = open_day(after=9)
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    # In the calendar: the week of one room (小会議室2), moved to the day the group asks about.
    cal = window.pages["calendar"]
    qtbot.mouseClick(cal.mode_buttons["week"], Qt.MouseButton.LeftButton)
    cal.room_combo.setCurrentIndex(cal.room_combo.findText("小会議室2"))
    cal.date_edit.setDate(day)
    assert cal.week_view.room_id() is not None and cal.date() == day
    # 団体: look the group up, record the check, then 新しい予約.
    _click_nav(qtbot, window, "団体")
    groups = window.pages["groups"]
    groups.search_edit.setFocus()
    for ch in "たいこ":  # typed like an IME commit: QTest.keyClicks only knows ASCII keys
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(groups.search_edit,
                                   QKeyEvent(kind, Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier, ch))
    qtbot.waitUntil(lambda: "関門太鼓の会" in groups.group_title.text())
    qtbot.mouseClick(groups.verify_button, Qt.MouseButton.LeftButton)
    seen: dict = {}
    _read_booking_dialog(qtbot, seen)
    qtbot.mouseClick(groups.booking_button, Qt.MouseButton.LeftButton)
    assert seen["kind"] == "member"
    assert "関門太鼓の会" in seen["group"] and seen["group_state"] != "未選択"
    assert seen["day"] == day
    assert seen["room"].startswith("小会議室2")


@pytest.mark.answers_modals
def test_new_booking_from_groups_uses_the_day_view_date_and_never_a_past_day(qtbot, ctx):
    """In the day view every room is on screen, so no room is chosen for the desk; a day the calendar
    shows in the past is history, not a booking date: the dialog starts at today."""
    from tests.days import open_day

    _register_group(ctx, "関門太鼓の会", "かんもんたいこのかい")
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    cal = window.pages["calendar"]
    groups = window.pages["groups"]
    day = open_day(after=3)
    cal.date_edit.setDate(day)
    _click_nav(qtbot, window, "団体")
    groups.open_group_by_code("FKG:0001")
    seen: dict = {}
    _read_booking_dialog(qtbot, seen)
    qtbot.mouseClick(groups.booking_button, Qt.MouseButton.LeftButton)
    assert seen["day"] == day and "関門太鼓の会" in seen["group"]

    window.show_page("calendar")
    cal.date_edit.setDate(clock.today() - dt.timedelta(days=5))
    _click_nav(qtbot, window, "団体")
    seen.clear()
    _read_booking_dialog(qtbot, seen)
    qtbot.mouseClick(groups.booking_button, Qt.MouseButton.LeftButton)
    assert seen["day"] == clock.today()

    # The month view: the day the desk clicked in the overview.
    window.show_page("calendar")
    cal.go_today()
    qtbot.mouseClick(cal.mode_buttons["month"], Qt.MouseButton.LeftButton)
    clicked = clock.today() + dt.timedelta(days=3)
    qtbot.mouseClick(cal.month_view, Qt.MouseButton.LeftButton, pos=cal.month_view.day_rect(clicked).center())
    _click_nav(qtbot, window, "団体")
    seen.clear()
    _read_booking_dialog(qtbot, seen)
    qtbot.mouseClick(groups.booking_button, Qt.MouseButton.LeftButton)
    assert seen["day"] == clicked


def test_a_closed_window_stops_its_minute_clock(qtbot, ctx):
    """The status bar's date is refreshed every minute while the window is open; once closed the window asks
    the database nothing more (a closed test window outlived its database and failed a later test)."""
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window._clock.isActive()
    window.close()
    assert not window._clock.isActive()
    window.show()
    assert window._clock.isActive()
