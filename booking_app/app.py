"""The composition root (起動処理): Qt application, fonts, translations, database, who is on duty, main window.

Kept light at import time: Qt and the database stack are imported inside :func:`run`, and screens the
first page does not need are imported by the main window only when it builds them, so the window is
up quickly on a modest desk PC.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

log = logging.getLogger(__name__)

APP_NAME = "Fukufuku Desk"
ORG_NAME = "fukufuku"
SCREENSHOT_SIZE = (1366, 768)


def translations_dir() -> Path:
    base = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parents[1]))
    return base / "resources" / "translations"


def _install_translators(app) -> list:
    """Qt's own Japanese strings (standard buttons, dialogs) first, then ours when a .qm exists.

    Our source strings are Japanese already, so the app is Japanese even with no .qm of ours.
    The translators are returned so the caller keeps them alive.
    """
    from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator

    QLocale.setDefault(QLocale(QLocale.Language.Japanese, QLocale.Country.Japan))
    installed = []
    qt_tr = QTranslator(app)
    qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if qt_tr.load("qtbase_ja", qt_dir):
        app.installTranslator(qt_tr)
        installed.append(qt_tr)
    ours = translations_dir() / "booking_app_ja.qm"
    if ours.is_file():
        own_tr = QTranslator(app)
        if own_tr.load(str(ours)):
            app.installTranslator(own_tr)
            installed.append(own_tr)
    return installed


def _setup_application(argv: list[str] | None = None):
    from PySide6.QtGui import QFont
    from PySide6.QtWidgets import QApplication

    from booking_app import fonts

    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORG_NAME)
    app.setApplicationDisplayName("ふくふくデスク")
    try:
        family = fonts.register_qt_fonts()
        font = QFont(family)
        font.setPointSize(max(app.font().pointSize(), 10))
        app.setFont(font)
    except (OSError, RuntimeError) as exc:  # a broken install still starts, with the system font
        log.warning("Japanese font not loaded: %s", exc)
    app._fukufuku_translators = _install_translators(app)  # keep references alive
    from booking_app.ui import focus_ring

    focus_ring.install(app)  # the focused control framed in dark blue, in every style
    from PySide6.QtGui import QIcon

    # resources/icons next to resources/translations, in the source tree or the bundle (sys._MEIPASS).
    icon = translations_dir().parent / "icons" / "fukufuku-desk.png"
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))
    return app


def _grab_when_painted(window, path: str) -> bool:
    """Wait until the window has painted, then save ``window.grab()`` to path."""
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    loop = QEventLoop()
    result = {"ok": False}

    def grab() -> None:
        QApplication.processEvents()
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        result["ok"] = window.grab().save(path)
        loop.quit()

    QApplication.processEvents()
    # A short single shot lets layouts settle and the first paint happen before grabbing.
    QTimer.singleShot(150, grab)
    loop.exec()
    return result["ok"]


def show_fatal(db_label: str, message: str) -> None:
    """A message that ends the start (e.g. a failed database update), in a window staff can read."""
    _setup_application()
    from PySide6.QtWidgets import QMessageBox

    QMessageBox.critical(None, "ふくふくデスク", f"{db_label}\n\n{message}")


def run(db_url: str, *, db_label: str, demo: bool = False, screenshot: str | None = None,
        page: str | None = None, dialog: str | None = None, first_run: bool = False) -> int:
    """Start the desk app on the database at db_url; returns the process exit code.

    The app runs on ``booking_app.clock``: ``--today`` / ``--now`` set that clock before calling this.

    ``first_run``: nothing is configured on this PC yet (see ``ui.first_start.is_first_start``); the
    初回起動ウィザード chooses the database and creates it before anything else.
    """
    app = _setup_application()
    from booking_app.ui import gc_guard

    # Background jobs and the change listener run Python in other threads: collect on this one only.
    collector = gc_guard.install(app)
    try:
        return _run(app, db_url, db_label=db_label, demo=demo, screenshot=screenshot, page=page,
                    dialog=dialog, first_run=first_run)
    finally:
        collector.stop()


def _run(app, db_url: str, *, db_label: str, demo: bool, screenshot: str | None,
         page: str | None, dialog: str | None, first_run: bool) -> int:
    from PySide6.QtWidgets import QMessageBox

    from booking_app import config
    from booking_app.store.engine import make_engine
    from booking_app.store.migrate import MigrationFailed, safe_upgrade

    wizard_actor = None  # the administrator the first-start wizard has just created (no second prompt)
    if first_run and screenshot is None and not demo:
        # 初回起動ウィザード: nothing is set up yet, so the desk chooses the database (SQLite or a tested
        # PostgreSQL server), the centre's profile and the first administrator before anything else.
        from booking_app.config import db_label as label_of
        from booking_app.ui.access.first_start import FirstStartWizard

        set_up = FirstStartWizard.get(None)
        if set_up is None:
            return 0
        db_url, wizard_actor = set_up
        db_label = label_of(db_url)
    # A terminal's PostgreSQL setting holds no credential (no password on disk), so nothing connects before the
    # staff member signs in with their own database login; that connection is the app's engine.
    signed_in = None
    if screenshot is None and config.is_postgres_url(db_url) and not config.has_credentials(db_url):
        signed_in = _pg_sign_in(db_url, db_label)
        if signed_in is None:
            return 0
        if signed_in == "failed":
            return 2
    if signed_in is not None:
        engine, actor = signed_in
        return _run_with(app, engine, db_url, db_label=db_label, demo=demo, screenshot=screenshot, page=page,
                         dialog=dialog, signed_in_actor=actor)
    if screenshot is None:
        # A server that cannot be reached is a calm 「サーバーに接続できません」 (再試行 / 接続設定… / 終了), not a
        # raw error: staff can wait for it, fix the setting or quit.
        from booking_app.ui.access.connection_dialog import wait_for_database

        reached = wait_for_database(db_url, db_label)
        if reached is None:
            return 2
        db_url, db_label = reached
    try:
        # Backs up a database that needs migrating; a failed migration puts the old one back.
        safe_upgrade(db_url)
    except MigrationFailed as exc:
        if screenshot is None:
            QMessageBox.critical(None, "ふくふくデスク", f"{db_label}\n\n{exc.message}")
        return 2
    except Exception as exc:  # noqa: BLE001 - shown to the user, then exit
        log.exception("database upgrade failed")
        if screenshot is None:
            QMessageBox.critical(None, "ふくふくデスク",
                                 f"データベースを開けませんでした。\n{db_label}\n\n{type(exc).__name__}: {exc}")
        return 2
    engine = make_engine(db_url)
    return _run_with(app, engine, db_url, db_label=db_label, demo=demo, screenshot=screenshot, page=page,
                     dialog=dialog, wizard_actor=wizard_actor)


def _pg_sign_in(db_url: str, db_label: str):
    """The PostgreSQL login (ui.login_dialog.PgLoginDialog), then the schema check.

    (engine, actor); None when staff cancelled; "failed" when the schema is not usable (already said).
    A schema older than this app: an administrator is offered the schema owner's credential (asked
    now, never stored) to update it; anybody else is told who must run ``db upgrade``.
    """
    from PySide6.QtWidgets import QMessageBox

    from booking_app.ui.access.login_dialog import PgLoginDialog

    signed = PgLoginDialog.get(None, db_url, db_label=db_label)
    if signed is None:
        return None
    engine, actor = signed
    problem = schema_problem(engine)
    if problem is None:
        return engine, actor
    if problem == "newer":
        engine.dispose()
        QMessageBox.critical(None, "ふくふくデスク", f"{db_label}\n\n"
                             "このデータベースは、より新しいバージョンのふくふくデスクで更新されています。"
                             "新しいバージョンのふくふくデスクを使ってください。")
        return "failed"
    if actor.is_admin:
        from booking_app.ui.access.connection_dialog import OwnerUpgradeDialog

        if OwnerUpgradeDialog.run(None, db_url, db_label):
            return engine, actor
    engine.dispose()
    QMessageBox.critical(None, "ふくふくデスク", f"{db_label}\n\n{OLD_SCHEMA_MESSAGE}")
    return "failed"


OLD_SCHEMA_MESSAGE = ("データベースがこのバージョンのふくふくデスクより古い形式です。"
                      "システム管理者（またはセンターのIT担当者）に、データベースの所有者として"
                      "「fukufuku-desk db upgrade」を実行するよう依頼してください。")


def schema_problem(engine) -> str | None:
    """None when the database is at this app's head revision; "old" (missing or older) or "newer"."""
    from booking_app.store.migrate import current_revision, head_revision, known_revisions

    try:
        revision = current_revision(engine)
    except Exception:  # noqa: BLE001 - a login that may not read alembic_version: let the app decide later
        log.warning("schema revision not readable as this login", exc_info=True)
        return None
    if revision == head_revision(str(engine.url)):
        return None
    if revision is not None and revision not in known_revisions():
        return "newer"
    return "old"


def _run_with(app, engine, db_url: str, *, db_label: str, demo: bool, screenshot: str | None,
              page: str | None, dialog: str | None, wizard_actor=None, signed_in_actor=None) -> int:
    from PySide6.QtCore import QSettings

    from booking_app import clock
    from booking_app.services import centre
    from booking_app.store.engine import write_session
    from booking_app.ui.context import AppContext

    try:
        with write_session(engine) as session:
            centre.ensure_initial_data(session)
        from booking_app.services.groups import apply_status_changes

        with write_session(engine) as session:
            # The April change of group status: whichever terminal starts first does it (idempotent).
            apply_status_changes(session, today=clock.today())
        if demo:
            from booking_app.demo.seeder import seed_demo
            from booking_app.services.demo_state import demo_state

            with write_session(engine) as session:
                # Never pour demo data into a database in use: seed_demo gives every account the public
                # demo password, which anyone can read in the guide. The command line refuses first; this is the
                # last guard.
                if demo_state(session)[0] == "empty":
                    seed_demo(session, today=clock.today())
        with write_session(engine) as session:
            staff = centre.list_staff(session)
        if not staff:
            log.error("no active staff in the database")
            return 2

        from booking_app.services.backup import exit_backup, start_daily_backup

        # SQLite only; runs in the background while the staff member signs in. Demo and screenshot
        # databases are throwaway and must not push real backups out of the rotation.
        daily_backup = None
        if not demo and screenshot is None:
            daily_backup = start_daily_backup(db_url, clock.today())
        if signed_in_actor is not None:
            actor = signed_in_actor  # the database login is the login: no second prompt
        elif screenshot is not None:
            desk = next((s for s in staff if s.role == "desk"), staff[0])
            actor = desk.as_actor()
        else:
            # Every start asks who is at the desk (the first start created the システム管理者): each change is
            # recorded under the staff member who made it.
            from booking_app.services import auth
            from booking_app.store.engine import read_session
            from booking_app.ui.access.login_dialog import LoginDialog

            with read_session(engine) as session:
                first_start = auth.needs_first_admin(session)
            if wizard_actor is not None:
                chosen = wizard_actor
            elif first_start:
                # A database without an administrator: the wizard's centre and administrator pages
                # (ui.login_dialog.FirstAdminDialog remains for a bare administrator prompt).
                from booking_app.ui.access.first_start import FirstStartWizard

                set_up = FirstStartWizard.get(None, db_url=db_url)
                # The new admin has just typed the password twice: no second prompt.
                chosen = set_up[1] if set_up is not None else None
            else:
                chosen = LoginDialog.get(None, engine, demo=demo)
            if chosen is None:
                return 0
            actor = chosen

        ctx = AppContext(engine, actor, db_label=db_label)
        ctx.demo = demo  # the login and lock screens show the demo password
        from booking_app.ui.main_window import MainWindow

        window = MainWindow(ctx)
        if screenshot is not None:
            window.resize(*SCREENSHOT_SIZE)
            window.show()
            from booking_app.ui.screenshots import take_screenshots

            # --page / --dialog: prepare_screenshot shows the page or opens the dialog to photograph.
            ok = take_screenshots(window, ctx, screenshot, page, dialog, _grab_when_painted)
            window.close()
            window.deleteLater()
            return 0 if ok else 1
        window.restore_settings(QSettings())
        from booking_app.services.groups import CARD_PREFIX
        from booking_app.ui.scanner import install_scanner

        # A USB card scanner "types" FKG:0012 + Enter into whatever has focus: open that group.
        scanner = install_scanner(app)
        scanner.groupScanned.connect(lambda reg_no: window.open_group_by_code(CARD_PREFIX + reg_no))
        scanner.bookingScanned.connect(window.open_booking_by_id)  # a usage slip's FKB:<id>: check in/out
        window.show()
        from booking_app.ui.access.lock_screen import IdleLock

        idle_lock = IdleLock(window, ctx, demo=demo)  # 画面ロック after lock/idle_minutes without input
        idle_lock.install(app)
        from booking_app.ui.change_watch import start_change_watch

        # Several terminals share the database: other terminals' changes refresh the views (NOTIFY /
        # data_version), so nobody books from a stale screen; stopped at quit.
        change_watch = start_change_watch(ctx)
        from booking_app.ui.errors import install_connection_error_hook

        install_connection_error_hook()  # a save that meets a lost server: a message, the dialog stays
        app.aboutToQuit.connect(change_watch.stop)
        change_watch.server_lost.connect(lambda: window.statusBar().showMessage(
            "データベースサーバーに接続できません。再接続を試みています…"))
        change_watch.server_back.connect(lambda: window.statusBar().showMessage(
            "データベースサーバーに再接続しました。", 10_000))
        try:
            return app.exec()
        finally:
            idle_lock.uninstall()
            app.removeEventFilter(scanner)
            if not demo:
                exit_backup(db_url, daily_backup, staff_id=ctx.actor.id)  # SQLite only; logs, never raises
            engine = ctx.engine  # after 担当者の切り替え on PostgreSQL: the login last signed in
    finally:
        from booking_app.store.engine import optimize

        try:
            optimize(engine)
        except Exception:  # noqa: BLE001 - statistics are a nicety; never block closing
            log.warning("PRAGMA optimize failed", exc_info=True)
        engine.dispose()
