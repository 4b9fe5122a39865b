"""The main window, the staff chooser and the app's start-up in screenshot mode."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QLocale, Qt, QTimer
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication, QDialogButtonBox

import booking_app
from booking_app.domain.errors import ConflictError, PermissionDenied, RuleError, ValidationError
from booking_app.services import centre
from booking_app.store.engine import make_engine, write_session
from booking_app.ui.context import AppContext
from booking_app.ui.errors import build_error_box
from booking_app.ui.main_window import COMING_LATER, WINDOW_TITLE, MainWindow
from booking_app.ui.staff_dialog import StaffChooser

TODAY = dt.date(2026, 11, 25)


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
    window = MainWindow(ctx, today=TODAY)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    assert window.windowTitle() == WINDOW_TITLE
    assert window.current_page_key() == "calendar"
    from booking_app.ui.calendar_views import CalendarPage

    assert isinstance(window.pages["calendar"], CalendarPage)
    from booking_app.ui.main_window import ReceiptsArea

    receipts = window.pages["receipts"]
    assert isinstance(receipts, ReceiptsArea)
    assert [receipts.tabText(i) for i in range(receipts.count())] == ["領収書", "日計表"]
    nav = window.nav
    labels = [nav.item(i).text() for i in range(nav.count())]
    assert labels[:6] == ["予約カレンダー", "本日の予約", "予約検索", "団体", "領収書", "設定"]
    for later in ("保険", "統計"):
        item = nav.item(labels.index(later))
        assert not item.flags() & Qt.ItemFlag.ItemIsEnabled and item.toolTip() == COMING_LATER
    # Click the navigation as a person would.
    for key, label in (("search", "予約検索"), ("today", "本日の予約"), ("groups", "団体"), ("receipts", "領収書"),
                       ("settings", "設定")):
        rect = nav.visualItemRect(nav.item(labels.index(label)))
        qtbot.mouseClick(nav.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        assert window.current_page_key() == key
        assert window.stack.currentWidget() is window.pages[key]
    # A disabled item cannot be chosen.
    rect = nav.visualItemRect(nav.item(labels.index("統計")))
    qtbot.mouseClick(nav.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.current_page_key() == "settings"
    # Status bar: who, which database, which day.
    assert window.staff_button.text() == "担当者：受付スタッフ（受付）"
    assert "/tmp/センター.sqlite3" in window.db_label.text()
    assert "2026/11/25(水)" in window.date_label.text() and "令和8年" in window.date_label.text()
    assert booking_app.__version__ in window.about_text()
    # Fits a 1366×768 screen.
    assert window.minimumSizeHint().width() <= 1366 and window.minimumSizeHint().height() <= 768


def test_view_menu_moves_the_calendar(qtbot, ctx):
    window = MainWindow(ctx, today=TODAY)
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


def _answer_chooser(qtbot, row: int | None) -> None:
    """Pick a row in the modal staff chooser once it is open (None: press Cancel)."""

    def act():
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, StaffChooser):
            QTimer.singleShot(20, act)
            return
        if row is None:
            qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel), Qt.MouseButton.LeftButton)
            return
        dialog.list.setCurrentRow(row)
        qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)

    QTimer.singleShot(0, act)


def test_switch_staff_from_status_bar(qtbot, ctx):
    window = MainWindow(ctx, today=TODAY)
    qtbot.addWidget(window)
    window.show()
    _answer_chooser(qtbot, 1)
    with qtbot.wait_signal(ctx.actor_changed):
        qtbot.mouseClick(window.staff_button, Qt.MouseButton.LeftButton)
    assert ctx.actor.name == "センター長" and ctx.actor.role == "manager"
    assert window.staff_button.text() == "担当者：センター長（管理者）"
    _answer_chooser(qtbot, None)
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
    assert run(sqlite_url, db_label="テスト.sqlite3", screenshot=str(path), today=TODAY) == 0
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
    window = MainWindow(ctx, today=TODAY)
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

    window = MainWindow(ctx, today=TODAY)
    qtbot.addWidget(window)
    assert window.groups_tile.text().startswith("登録団体 0／目標260")

    def register(s, actor):
        return register_group(s, actor, GroupInput(
            name="彦島子ども食堂", kana="ひこしまこどもしょくどう", representative="石井", phone="083-206-8719",
            activity_fields=["子どもの健全育成"], declarations={k: True for k in DECLARATIONS}),
            registered_on=TODAY)

    ctx.write(register, changes={"group"})
    assert window.groups_tile.text() == "登録団体 1／目標260（今年度 新規1・失効0）"
