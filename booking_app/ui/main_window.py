"""The main window (メイン画面): navigation on the left, the pages in a stack, who and where in the status bar."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QTabWidget,
    QToolButton,
    QWidget,
)

import booking_app
from booking_app.domain import japanese_calendar as jcal
from booking_app.domain.booking_rules import BookingStatus
from booking_app.domain.errors import DomainError
from booking_app.services.booking_plan import hm
from booking_app.services.bookings import get_booking
from booking_app.services.centre import targets_for
from booking_app.services.groups import group_figures
from booking_app.services.insurance import accidents_due
from booking_app.services.stats.progress import year_progress
from booking_app.ui.about_dialog import AboutDialog
from booking_app.ui.access.lock_screen import lock_now
from booking_app.ui.access.login_dialog import LoginDialog, switch_database_login
from booking_app.ui.admin.accounts_page import ChangePasswordDialog
from booking_app.ui.admin.audit_page import AuditPage
from booking_app.ui.admin.staff_dialog import role_label
from booking_app.ui.booking.booking_dialog import BookingDialog
from booking_app.ui.booking.ledger_import_dialog import LedgerImportDialog
from booking_app.ui.booking.search_page import BookingSearchPage
from booking_app.ui.booking.today_list import TodayListPage
from booking_app.ui.calendar.calendar_views import CalendarPage
from booking_app.ui.context import AppContext
from booking_app.ui.groups.groups_page import GroupsPage
from booking_app.ui.insurance.insurance_page import InsurancePage
from booking_app.ui.key_sheet import KeySheetDialog
from booking_app.ui.lottery.lottery_page import LotteryPage
from booking_app.ui.keyboard import GLOBAL_SECTION, shortcut_action
from booking_app.ui.money.cashup_page import CashupPage
from booking_app.ui.money.receipts_page import ReceiptsPage
from booking_app.ui.plain_text import plain_label
from booking_app.ui.prompts import Prompts
from booking_app.ui.settings.settings_page import SettingsPage
from booking_app.ui.stats.dashboard import REFRESH_DELAY_MS, progress_text, watcher_for
from booking_app.ui.stats.stats_page import StatsPage

WINDOW_TITLE = "ふくふくデスク — しものせき市民活動センター"


# What staff can do with a scanned slip (利用票): key, button label.
SCAN_ACTIONS = (("check_in", "チェックイン"), ("check_out", "利用済（人数入力）"), ("open", "予約を開く"))


def scan_text(view) -> str:
    """What the choice after a scan says about the booking (the booker's name as typed: plain text)."""
    room = view.room_name or "備品のみ"
    return (f"予約番号 {view.number}　{view.status_label}\n"
            f"{jcal.format_slash(view.start.date())}({jcal.weekday_ja(view.start.date())}) "
            f"{hm(view.start)}〜{hm(view.end)}　{room}\n{view.booker_name}")


def ask_scan_action(parent: QWidget | None, prompts: Prompts, view, default: str | None) -> str | None:
    """The small choice after a slip is scanned; None (閉じる/Esc) leaves the row selected.

    ``default`` is the button Enter presses, so the usual next step is scan + Enter.
    """
    return prompts.ask_choice(parent, "利用票の読み取り", scan_text(view), SCAN_ACTIONS, back="閉じる",
                              default=default)


class ReceiptsArea(QTabWidget):
    """領収書 area: the receipts list and the daily cash-up (日計表) as two tabs."""

    def __init__(self, ctx: AppContext):
        super().__init__()
        self.setObjectName("receipts_area")
        self.receipts = ReceiptsPage(ctx)
        self.cashup = CashupPage(ctx)
        self.addTab(self.receipts, self.tr("領収書"))
        self.addTab(self.cashup, self.tr("日計表"))
        self.currentChanged.connect(lambda _i: self.refresh())

    def refresh(self) -> None:
        self.currentWidget().refresh()

    def focus_first(self) -> None:
        """Ctrl+5: the keyboard into the tab in front (the receipts list, or the cash-up's date)."""
        fn = getattr(self.currentWidget(), "focus_first", None)
        if callable(fn):
            fn()
        else:
            self.currentWidget().setFocus(Qt.FocusReason.ShortcutFocusReason)
            self.currentWidget().focusNextChild()

    def focus_search(self) -> None:
        """Ctrl+F: the receipts' search field (from the cash-up tab too)."""
        self.setCurrentWidget(self.receipts)
        self.receipts.focus_search()


# The page of each navigation entry. Imported at the top like every module: a page module that fails to
# import stops the window's import, never a 「準備中」 screen (tests/ui/test_no_import_guards.py).
PAGE_CLASSES: dict[str, Callable[[AppContext], QWidget]] = {
    "calendar": CalendarPage, "today": TodayListPage, "search": BookingSearchPage, "groups": GroupsPage,
    "receipts": ReceiptsArea,  # 領収書 and 日計表
    "insurance": InsurancePage, "settings": SettingsPage, "stats": StatsPage, "audit": AuditPage,
    "lottery": LotteryPage,
}


class MainWindow(QMainWindow):
    """The desk's main window (メイン画面)."""

    PAGES = ("calendar", "today", "search", "groups", "receipts", "insurance", "settings", "stats", "audit",
             "lottery")

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self._settings: QSettings | None = None
        self._focused_once = False
        self.setWindowTitle(self.tr(WINDOW_TITLE))
        self.setMinimumSize(1000, 620)
        self.resize(1366, 768)

        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setAccessibleName(self.tr("画面の切り替え"))
        self.nav.setFixedWidth(150)
        self.nav.setStyleSheet(
            "QListWidget#navigation { background: #f3f5f9; border: none; font-size: 11pt; }"
            "QListWidget#navigation::item { padding: 9px 10px; }"
            "QListWidget#navigation::item:selected { background: #4a7fd4; color: white; }"
        )
        self.stack = QStackedWidget()
        self.pages: dict[str, QWidget] = {}
        self._titles = titles = {"calendar": self.tr("予約カレンダー"), "today": self.tr("本日の予約"),
                  "search": self.tr("予約検索"), "groups": self.tr("団体"), "receipts": self.tr("領収書"),
                  "insurance": self.tr("保険"), "settings": self.tr("設定"), "stats": self.tr("統計"),
                  "audit": self.tr("操作履歴"), "lottery": self.tr("抽選")}
        for key in self.PAGES:
            page = self._make_page(key)
            self.pages[key] = page
            self.stack.addWidget(page)
            item = QListWidgetItem(titles[key])
            item.setData(Qt.ItemDataRole.UserRole, key)
            self.nav.addItem(item)
        self.nav.currentRowChanged.connect(self._nav_changed)
        groups = self.pages["groups"]
        if hasattr(groups, "new_booking_context"):
            groups.new_booking_context = self.new_booking_context

        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.nav)
        row.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self._build_menu()
        self._build_status_bar()
        ctx.actor_changed.connect(self._update_actor)
        self.nav.setCurrentRow(0)

        # The date in the status bar turns over at midnight without a restart.
        self._clock = QTimer(self)
        self._clock.setInterval(60_000)
        self._clock.timeout.connect(self._update_date)
        self._clock.start()

    # ----- pages
    def _make_page(self, key: str) -> QWidget:
        return PAGE_CLASSES[key](self.ctx)

    def _is_locked(self) -> bool:
        """The idle lock is up: a scanned card or slip must not act behind it."""
        lock = getattr(self, "idle_lock", None)
        return bool(lock is not None and lock.is_locked)

    def open_group_by_code(self, code: str) -> None:
        """A member card was scanned anywhere in the app: show that group's status."""
        if self._is_locked():
            return
        self.show_page("groups")
        page = self.pages["groups"]
        if hasattr(page, "open_group_by_code"):
            page.open_group_by_code(code)

    def open_booking_by_id(self, booking_id: int) -> bool:
        """A slip's QR code (FKB:<id>) was scanned: 本日の予約 on the booking's day, its row selected.

        Then a small choice (チェックイン／利用済／予約を開く) with the usual next step as the default
        button: at the counter a scan + Enter checks a group in or out. Not asked while another
        dialog is open (the row is selected, nothing more). False for an unknown number.
        """
        if self._is_locked():
            return False
        try:
            view = self.ctx.read(lambda s: get_booking(s, booking_id))
        except DomainError as exc:
            self.ctx.prompts.show_error(self, exc)
            return False
        self.show_page("today")
        page = self.pages["today"]
        if not hasattr(page, "select_booking"):
            return False
        for check in (page.unsettled_check, getattr(page, "unpaid_check", None)):
            if check is not None and check.isChecked():
                check.setChecked(False)  # a filter must not hide the booking that was scanned
        if page.day != view.start.date():
            page.set_day(view.start.date())
        else:
            page.refresh()  # the booking may have been made on another terminal a moment ago
        if not page.select_booking(booking_id):
            return False
        page.table.setFocus()
        if QApplication.activeModalWidget() is not None:
            return True
        on_the_day = view.start.date() == self.ctx.today
        if on_the_day and view.status in (BookingStatus.CONFIRMED.value, BookingStatus.TENTATIVE.value):
            default = "check_in"
        elif view.status == BookingStatus.IN_USE.value:
            default = "check_out"
        else:
            default = "open"
        action = ask_scan_action(self, self.ctx.prompts, view, default)
        if action == "check_in":
            page.check_in()
        elif action == "check_out":
            page.check_out()
        elif action == "open":
            page.open_selected()
        return True

    def new_booking_context(self) -> dict:
        """What a new booking started away from the calendar begins with: the calendar's day and room.

        The day is the one the calendar shows (in the month view, the day clicked), but never a past day:
        a day looked back at is history, and the dialog would only refuse it, so it starts at today. The
        room is the week view's room; the day view shows every room, so no room is chosen for the desk.
        """
        cal = self.pages["calendar"]
        if not hasattr(cal, "mode"):
            return {}
        day = cal.month_view.selected_date() if cal.mode() == "month" else cal.date()
        context: dict = {"day": max(day, self.ctx.today)}
        if cal.mode() == "week" and cal.week_view.room_id() is not None:
            context["room_id"] = cal.week_view.room_id()
        return context

    def show_page(self, key: str) -> None:
        self.nav.setCurrentRow(self.PAGES.index(key))

    def current_page_key(self) -> str:
        return self.PAGES[self.stack.currentIndex()]

    def _nav_changed(self, row: int) -> None:
        if 0 <= row < len(self.PAGES):
            self.stack.setCurrentIndex(row)
            page = self.stack.currentWidget()
            refresh = getattr(page, "refresh", None)
            if callable(refresh) and row != 0:
                refresh()  # lists may be stale after changes made elsewhere

    # ----- menu
    def _build_menu(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu(self.tr("ファイル(&F)"))
        self.new_booking_action = shortcut_action(
            self, self.tr("新しい予約…"), QKeySequence.StandardKey.New, self.new_booking, section=GLOBAL_SECTION,
            name="new_booking_action", context=Qt.ShortcutContext.WindowShortcut)
        file_menu.addAction(self.new_booking_action)
        file_menu.addSeparator()
        self.switch_staff_action = QAction(self.tr("担当者の切り替え…"), self)
        self.switch_staff_action.triggered.connect(self.switch_staff)
        file_menu.addAction(self.switch_staff_action)
        # Lock the screen when stepping away; change one's own password.
        self.lock_action = shortcut_action(self, self.tr("画面をロック"), "Ctrl+L", self.lock_screen,
                                           section=GLOBAL_SECTION, name="lock_action",
                                           context=Qt.ShortcutContext.WindowShortcut)
        file_menu.addAction(self.lock_action)
        self.change_password_action = QAction(self.tr("パスワード変更…"), self)
        self.change_password_action.triggered.connect(self.change_password)
        file_menu.addAction(self.change_password_action)
        file_menu.addSeparator()
        # The old booking ledger, with a manager's reason for rule breaks still to come.
        self.import_ledger_action = QAction(self.tr("予約台帳の取込…"), self)
        self.import_ledger_action.setObjectName("import_ledger")
        self.import_ledger_action.triggered.connect(self.import_ledger)
        file_menu.addAction(self.import_ledger_action)
        file_menu.addSeparator()
        quit_action = shortcut_action(self, self.tr("終了(&X)"), "Ctrl+Q", self.close,
                                      section=GLOBAL_SECTION, context=Qt.ShortcutContext.WindowShortcut)
        file_menu.addAction(quit_action)

        # 移動: one key per page (Ctrl+1 … Ctrl+9, then Ctrl+0, in the order of the list on the left) and Ctrl+F for the
        # search field of the page in front, so a clerk never needs the mouse to change screens.
        go_menu = bar.addMenu(self.tr("移動(&G)"))
        self.page_actions: dict[str, QAction] = {}
        for i, key in enumerate(self.PAGES, start=1):
            action = shortcut_action(self, self._titles[key], f"Ctrl+{i % 10}", lambda k=key: self.go_to_page(k),
                                     section=GLOBAL_SECTION, name=f"page_{key}_action",
                                     context=Qt.ShortcutContext.WindowShortcut)
            self.page_actions[key] = action
            go_menu.addAction(action)
        go_menu.addSeparator()
        self.search_action = shortcut_action(
            self, self.tr("検索欄へ"), QKeySequence.StandardKey.Find, self.focus_search, section=GLOBAL_SECTION,
            name="search_action", context=Qt.ShortcutContext.WindowShortcut)
        go_menu.addAction(self.search_action)

        view_menu = bar.addMenu(self.tr("表示(&V)"))
        # T is also typed into text fields; only the calendar area takes it as a shortcut.
        self.today_action = shortcut_action(self.pages["calendar"], self.tr("今日"), "T",
                                            lambda: self._calendar_call("go_today"), section="予約カレンダー",
                                            name="today_action")
        self.prev_action = shortcut_action(self, self.tr("前日"), "Ctrl+Left", lambda: self._calendar_call("step", -1),
                                           section="予約カレンダー", name="prev_day_action",
                                           context=Qt.ShortcutContext.WindowShortcut)
        self.next_action = shortcut_action(self, self.tr("翌日"), "Ctrl+Right", lambda: self._calendar_call("step", 1),
                                           section="予約カレンダー", name="next_day_action",
                                           context=Qt.ShortcutContext.WindowShortcut)
        for a in (self.today_action, self.prev_action, self.next_action):
            view_menu.addAction(a)

        help_menu = bar.addMenu(self.tr("ヘルプ(&H)"))
        self.key_sheet_action = shortcut_action(self, self.tr("キー操作一覧…"), "F1", self.show_key_sheet,
                                                section=GLOBAL_SECTION, name="key_sheet_action",
                                                context=Qt.ShortcutContext.WindowShortcut)
        help_menu.addAction(self.key_sheet_action)
        about = QAction(self.tr("バージョン情報"), self)
        about.triggered.connect(self.show_about)
        help_menu.addAction(about)

    def go_to_page(self, key: str) -> None:
        """Ctrl+1…9: show the page and put the keyboard in it."""
        self.show_page(key)
        self.focus_page(key)

    def focus_page(self, key: str) -> None:
        """The keyboard into a page: where the page says (``focus_first``, else its search field), the
        calendar's grid, else the page's first control."""
        page = self.pages[key]
        focus_first = getattr(page, "focus_first", None) or getattr(page, "focus_search", None)
        if callable(focus_first):
            focus_first()
        elif key == "calendar" and hasattr(page, "current_view"):
            page.current_view().setFocus(Qt.FocusReason.ShortcutFocusReason)
        elif not page.isAncestorOf(QApplication.focusWidget()):
            page.setFocus(Qt.FocusReason.ShortcutFocusReason)
            page.focusNextChild()

    def focus_search(self) -> None:
        """Ctrl+F: the search field of the page in front, else 予約検索's."""
        page = self.stack.currentWidget()
        if not callable(getattr(page, "focus_search", None)):
            self.show_page("search")
            page = self.pages["search"]
        fn = getattr(page, "focus_search", None)
        if callable(fn):
            fn()

    def new_booking(self) -> None:
        """Ctrl+N: the page in front starts it when it knows more (団体: the group just verified);
        else a new booking on the calendar's day and room."""
        page = self.stack.currentWidget()
        fn = getattr(page, "new_booking", None)
        if callable(fn):
            fn()
            return
        BookingDialog.create(self, self.ctx, **self.new_booking_context())

    def page_titles(self) -> list[str]:
        """The pages' names in the order of the list on the left (the key sheet's order)."""
        return [self._titles[k] for k in self.PAGES]

    def show_key_sheet(self) -> None:
        KeySheetDialog.start(self, self.ctx)

    def _calendar_call(self, name: str, *args) -> None:
        page = self.pages["calendar"]
        self.show_page("calendar")
        fn = getattr(page, name, None)
        if callable(fn):
            fn(*args)

    def about_text(self) -> str:
        return self.tr("ふくふくデスク バージョン {version}\nしものせき市民活動センター 受付業務システム").format(
            version=booking_app.__version__)

    def show_about(self) -> None:
        AboutDialog(self).exec()

    # ----- status bar
    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.staff_button = QToolButton()
        self.staff_button.setAutoRaise(True)
        self.staff_button.setToolTip(self.tr("クリックすると担当者を切り替えます"))
        self.staff_button.clicked.connect(self.switch_staff)
        self.db_label = plain_label()
        self.date_label = plain_label()
        bar.addWidget(self.staff_button)
        # Accident reports near their deadline to the city, in red, only when there are
        # some; a click opens the 保険 page's 事故報告 tab. The status bar is on every page, so it is seen
        # without taking room from the day's bookings.
        self.accidents_due_button = QToolButton()
        self.accidents_due_button.setObjectName("accidents_due")
        self.accidents_due_button.setAutoRaise(True)
        self.accidents_due_button.setStyleSheet("QToolButton#accidents_due { color: #c62828; font-weight: bold; }")
        self.accidents_due_button.setToolTip(self.tr("クリックすると事故報告の一覧を開きます"))
        self.accidents_due_button.clicked.connect(self.open_accidents)
        self.accidents_due_button.setVisible(False)
        bar.addWidget(self.accidents_due_button)
        # The city's second yardstick, always in sight: registered groups against the target.
        self.groups_tile = plain_label()
        self.groups_tile.setObjectName("groups_tile")
        self.groups_tile.setToolTip(self.tr("登録団体数（有効・更新待ち）と今年度の新規・失効、市の目標"))
        # The year's users against the target, always in sight (利用者 n／目標人（%）).
        self.users_tile = plain_label()
        self.users_tile.setObjectName("users_tile")
        self.users_tile.setToolTip(self.tr("今年度の利用者数と市の目標（統計のダッシュボードと同じ数値）"))
        bar.addPermanentWidget(self.users_tile)
        bar.addPermanentWidget(self.groups_tile)
        bar.addPermanentWidget(self.db_label)
        bar.addPermanentWidget(self.date_label)
        self._update_actor(self.ctx.actor)
        # Only the file or server name: the full label (path, host) is in the tooltip, so the status
        # bar keeps room for the figures on a 1366-pixel screen.
        short = (self.ctx.db_label or "—").replace("\\", "/").rsplit("/", 1)[-1]
        self.db_label.setText(self.tr("DB：{label}").format(label=short))
        self.db_label.setToolTip(self.ctx.db_label)
        self._update_date()
        self._update_groups_tile()
        self._update_accidents_due()
        self.ctx.changed.connect(self._on_changed)
        self._setup_users_tile()

    def _on_changed(self, what) -> None:
        if "group" in what:
            self._update_groups_tile()
        if {"insurance", "accident"} & set(what):
            self._update_accidents_due()

    def _update_accidents_due(self) -> None:
        today = self.ctx.today
        n = len(self.ctx.read(lambda s: accidents_due(s, today=today)))
        self.accidents_due_button.setText(self.tr("事故報告の期限が近いもの {n}件").format(n=n))
        self.accidents_due_button.setVisible(n > 0)

    def open_accidents(self) -> None:
        self.show_page("insurance")
        page = self.pages["insurance"]
        if hasattr(page, "show_accidents"):
            page.show_accidents()

    def _setup_users_tile(self) -> None:
        """Refresh the users figure with the dashboard's polling and on this terminal's changes."""
        self._users_timer = QTimer(self)
        self._users_timer.setSingleShot(True)
        self._users_timer.setInterval(REFRESH_DELAY_MS)  # after the click that caused it is painted
        self._users_timer.timeout.connect(self.update_users_tile)
        watcher_for(self.ctx).subscribe(self, "_schedule_users_tile")
        self.update_users_tile()

    def _schedule_users_tile(self, _what) -> None:
        self._users_timer.start()

    def update_users_tile(self) -> None:
        today = self.ctx.today
        self.users_tile.setText(progress_text(self.ctx.read(lambda s: year_progress(s, today=today))))

    def _update_groups_tile(self) -> None:
        today = self.ctx.today
        f = self.ctx.read(lambda s: group_figures(
            s, today=today, target=targets_for(s, jcal.fiscal_year(today)).groups))
        # Short in the status bar (1366 px must hold every figure); the year's detail in the tooltip.
        self.groups_tile.setText(self.tr("登録団体 {n}／目標{t}").format(n=f.registered, t=f.target))
        self.groups_tile.setToolTip(
            self.tr("登録団体 {n}（目標{t}）　今年度 新規{new}・失効{lapsed}").format(
                n=f.registered, t=f.target, new=f.new_this_year, lapsed=f.lapsed_this_year))

    def _update_date(self) -> None:
        d = self.ctx.today
        self.date_label.setText(f"{jcal.format_slash(d)}({jcal.weekday_ja(d)}) {jcal.wareki(d)}")
        if hasattr(self, "accidents_due_button"):
            self._update_accidents_due()  # days left change at midnight

    def _update_actor(self, actor) -> None:
        self.staff_button.setText(self.tr("担当者：{name}（{role}）").format(name=actor.name,
                                                                         role=role_label(actor.role)))

    def switch_staff(self) -> None:
        """担当者の切り替え: the next staff member logs in with their password."""
        if switch_database_login(self, self.ctx) is not None:
            return
        actor = LoginDialog.get(self, self.ctx.engine, current_id=self.ctx.actor.id,
                                demo=bool(getattr(self.ctx, "demo", False)))
        if actor is not None and actor != self.ctx.actor:
            self.ctx.set_actor(actor)

    def import_ledger(self) -> None:
        LedgerImportDialog.run(self, self.ctx)

    def lock_screen(self) -> None:
        lock_now(self, self.ctx)

    def change_password(self) -> None:
        ChangePasswordDialog.run(self, self.ctx)

    # ----- geometry
    def restore_settings(self, settings: QSettings) -> None:
        """Restore the window's geometry from settings and save it there on close."""
        self._settings = settings
        geometry = settings.value("main_window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)

    def showEvent(self, event) -> None:
        if not self._clock.isActive():
            self._clock.start()
        super().showEvent(event)
        if not self._focused_once:
            # The keyboard starts in the page in front (the calendar's grid at start), never nowhere:
            # a clerk's first key press must land somewhere.
            self._focused_once = True
            self.focus_page(self.current_page_key())

    def closeEvent(self, event: QCloseEvent) -> None:
        # A closed window stops asking the database every minute (a test's window outlived its database
        # and failed a later test from the event loop).
        self._clock.stop()
        if self._settings is not None:
            self._settings.setValue("main_window/geometry", self.saveGeometry())
        super().closeEvent(event)
