"""ログイン and 初回設定: typing names and passwords like a person at the desk."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QSettings, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QDialog, QLineEdit
from sqlalchemy import select, update

from booking_app.services import auth
from booking_app.services.common import Actor
from booking_app.store.engine import read_session, write_session
from booking_app.store.models import Staff
from booking_app.ui.access.login_dialog import LAST_STAFF_KEY, FirstAdminDialog, LoginDialog

PASSWORD = "sakura-2026"


def type_text(widget, text: str) -> None:
    """Type text key by key like an IME commit would; QTest.keyClicks only knows ASCII keys."""
    for ch in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(
                widget, QKeyEvent(kind, Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier, ch))


def set_passwords(engine, password: str = PASSWORD, roles=("desk", "manager", "admin")) -> None:
    """Give the default staff a password, as a システム管理者 would have."""
    hashed = auth.hash_password(password)
    with write_session(engine) as s:
        s.execute(update(Staff).where(Staff.role.in_(roles)).values(password_hash=hashed))


def staff_id(engine, name: str) -> int:
    with read_session(engine) as s:
        return s.scalar(select(Staff.id).where(Staff.name == name))


def answer_modal(qtbot, cls, fn) -> None:
    """Run fn(dialog) once a modal dialog of type cls is open (for dialogs opened with exec())."""

    def act():
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, cls):
            QTimer.singleShot(10, act)
            return
        fn(dialog)

    QTimer.singleShot(0, act)


def log_in_as(qtbot, name: str, password: str = PASSWORD):
    """What a person does in the login dialog: click the name, type the password, press Enter."""

    def fill(dialog: LoginDialog) -> None:
        row = next(i for i in range(dialog.list.count()) if dialog.list.item(i).text().startswith(name))
        qtbot.mouseClick(dialog.list.viewport(), Qt.MouseButton.LeftButton,
                         pos=dialog.list.visualItemRect(dialog.list.item(row)).center())
        qtbot.keyClicks(dialog.password, password)
        qtbot.keyClick(dialog.password, Qt.Key.Key_Return)

    return fill


@pytest.fixture(autouse=True)
def settings(tmp_path):
    """QSettings in a temp folder: the remembered staff never touches the real profile."""
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    QSettings().clear()
    yield
    QSettings().clear()


def open_login(qtbot, engine, **kw) -> LoginDialog:
    dlg = LoginDialog(engine, **kw)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    return dlg


def test_wrong_password_counts_down_then_the_right_one_logs_in(qtbot, engine, tmp_path):
    set_passwords(engine)
    dlg = open_login(qtbot, engine)
    texts = [dlg.list.item(i).text() for i in range(dlg.list.count())]
    assert texts == ["受付スタッフ（受付）", "センター長（管理者）", "システム管理者（システム管理）"]
    assert dlg.password.echoMode() == QLineEdit.EchoMode.Password
    assert dlg.login_button.isDefault() and not dlg.demo_hint.isVisible()
    # Click センター長, type a wrong password, press Enter.
    qtbot.mouseClick(dlg.list.viewport(), Qt.MouseButton.LeftButton,
                     pos=dlg.list.visualItemRect(dlg.list.item(1)).center())
    assert dlg.focusWidget() is dlg.password  # choosing a name moves on to the password
    qtbot.keyClicks(dlg.password, "wrong-pass")
    qtbot.keyClick(dlg.password, Qt.Key.Key_Return)
    assert dlg.isVisible() and dlg.result() != QDialog.DialogCode.Accepted
    assert dlg.error_label.isVisible()
    assert dlg.error_label.text() == "パスワードが違います。（あと4回間違えるとロックされます）"
    assert "#c62828" in dlg.error_label.styleSheet()  # red
    assert dlg.password.text() == "" and dlg.focusWidget() is dlg.password
    qtbot.keyClicks(dlg.password, "still-wrong")
    qtbot.keyClick(dlg.password, Qt.Key.Key_Enter)
    assert dlg.error_label.text() == "パスワードが違います。（あと3回間違えるとロックされます）"
    out = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    assert dlg.grab().save(str(out / "login_dialog_error.png"))
    # The right password.
    qtbot.keyClicks(dlg.password, PASSWORD)
    with qtbot.wait_signal(dlg.accepted):
        qtbot.keyClick(dlg.password, Qt.Key.Key_Return)
    manager_id = staff_id(engine, "センター長")
    assert dlg.actor == Actor(manager_id, "センター長", "manager")
    assert int(QSettings().value(LAST_STAFF_KEY)) == manager_id
    with read_session(engine) as s:
        st = s.get(Staff, manager_id)
        assert st.failed_logins == 0 and st.last_login_at is not None
    # Next time the last one to log in on this PC is chosen already.
    again = open_login(qtbot, engine)
    assert again.selected_id() == manager_id


def test_five_wrong_passwords_lock_the_account(qtbot, engine):
    set_passwords(engine)
    dlg = open_login(qtbot, engine)
    assert dlg.list.currentRow() == 0  # nobody remembered: the first name
    for _ in range(auth.MAX_FAILED_LOGINS):
        qtbot.keyClicks(dlg.password, "nope-nope")
        qtbot.keyClick(dlg.password, Qt.Key.Key_Return)
    assert dlg.error_label.text().startswith("このアカウントはロックされています。")
    assert "システム管理者に解除を依頼してください" in dlg.error_label.text()
    # Even the right password is refused while locked.
    qtbot.keyClicks(dlg.password, PASSWORD)
    qtbot.keyClick(dlg.password, Qt.Key.Key_Return)
    assert dlg.isVisible() and dlg.actor is None
    assert dlg.error_label.text().startswith("このアカウントはロックされています。")


def test_empty_password_and_demo_hint(qtbot, engine, tmp_path):
    set_passwords(engine, auth.DEMO_PASSWORD)
    dlg = open_login(qtbot, engine, demo=True)
    assert dlg.demo_hint.isVisible() and dlg.demo_hint.text() == "デモ用パスワード：fukufuku"
    qtbot.mouseClick(dlg.login_button, Qt.MouseButton.LeftButton)
    assert dlg.error_label.text() == "パスワードを入力してください。"
    out = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    assert dlg.grab().save(str(out / "login_dialog_demo.png"))
    # Every label fits: the dialog is at least as wide as its contents ask.
    assert dlg.width() >= dlg.minimumSizeHint().width()
    qtbot.keyClicks(dlg.password, auth.DEMO_PASSWORD)
    with qtbot.wait_signal(dlg.accepted):
        qtbot.mouseClick(dlg.login_button, Qt.MouseButton.LeftButton)
    assert dlg.actor.role == "desk"


@pytest.mark.answers_modals
def test_staff_without_password_are_not_listed_and_get_via_classmethod(qtbot, engine):
    set_passwords(engine, roles=("manager", "admin"))  # 受付スタッフ has no password yet
    answer_modal(qtbot, LoginDialog, log_in_as(qtbot, "システム管理者"))
    actor = LoginDialog.get(None, engine)
    assert actor is not None and actor.name == "システム管理者" and actor.is_admin

    def look_and_cancel(dialog: LoginDialog) -> None:
        names = [dialog.list.item(i).text() for i in range(dialog.list.count())]
        assert names == ["センター長（管理者）", "システム管理者（システム管理）"]
        assert dialog.list.currentItem().text().startswith("システム管理者")  # remembered
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)

    answer_modal(qtbot, LoginDialog, look_and_cancel)
    assert LoginDialog.get(None, engine) is None


def test_nobody_with_a_password_says_so(qtbot, engine):
    dlg = open_login(qtbot, engine)
    assert dlg.list.count() == 0 and not dlg.login_button.isEnabled()
    assert "システム管理者にパスワードの設定を依頼してください" in dlg.error_label.text()


def test_first_admin_dialog_creates_the_admin(qtbot, engine, tmp_path):
    with read_session(engine) as s:
        assert auth.needs_first_admin(s)
    dlg = FirstAdminDialog(engine)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    intro = dlg.findChild(type(dlg.error_label), "intro")
    assert "初めての起動" in intro.text() and "システム管理者" in intro.text()
    out = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    assert dlg.grab().save(str(out / "first_admin_dialog.png"))
    type_text(dlg.name, "山口 花子")
    type_text(dlg.kana, "やまぐち はなこ")
    qtbot.keyClicks(dlg.password, "short")
    qtbot.keyClicks(dlg.password2, "short")
    qtbot.mouseClick(dlg.ok_button, Qt.MouseButton.LeftButton)
    assert dlg.error_label.text() == "パスワードは8文字以上にしてください。"
    dlg.password.clear()
    dlg.password2.clear()
    qtbot.keyClicks(dlg.password, "kaikan-2026")
    qtbot.keyClicks(dlg.password2, "kaikan-2025")
    qtbot.keyClick(dlg.password2, Qt.Key.Key_Return)
    assert dlg.error_label.text() == "確認用のパスワードが一致しません。もう一度入力してください。"
    assert dlg.password2.text() == "" and dlg.isVisible()
    qtbot.keyClicks(dlg.password2, "kaikan-2026")
    with qtbot.wait_signal(dlg.accepted):
        qtbot.keyClick(dlg.password2, Qt.Key.Key_Return)
    assert dlg.actor.name == "山口 花子" and dlg.actor.is_admin
    with read_session(engine) as s:
        assert not auth.needs_first_admin(s)
        assert (dlg.actor.id, "山口 花子", "admin") in auth.login_names(s)
    assert auth.attempt_login(engine, dlg.actor.id, "kaikan-2026") == dlg.actor


def _close_main_window_when_shown(seen: list) -> None:
    """Record who is on duty in the main window that app.run opens, then close it (ends app.exec)."""
    from booking_app.ui.main_window import MainWindow

    def act():
        window = next((w for w in QApplication.topLevelWidgets()
                       if isinstance(w, MainWindow) and w.isVisible()), None)
        if window is None:
            QTimer.singleShot(20, act)
            return
        lock_installed = getattr(window, "idle_lock", None) is not None
        seen.append((window.ctx.actor, window.staff_button.text(), lock_installed))
        window.close()

    QTimer.singleShot(0, act)


@pytest.fixture
def desk_app(qapp, monkeypatch):
    """booking_app.app, with the process-wide Qt state it changes (font, locale, icon) put back after."""
    from PySide6.QtCore import QLocale

    from booking_app import app as desk_app

    monkeypatch.setattr(desk_app, "_install_translators", lambda app: [])  # nothing to take out again
    font, locale, icon = qapp.font(), QLocale(), qapp.windowIcon()
    yield desk_app
    qapp.setFont(font)
    QLocale.setDefault(locale)
    qapp.setWindowIcon(icon)


@pytest.mark.answers_modals
def test_app_start_first_admin_then_login(qtbot, sqlite_url, desk_app):
    """app.run: the first start registers the システム管理者; the next start asks for a login."""

    from PySide6.QtWidgets import QWizard

    from booking_app.ui.access.first_start import FirstStartWizard

    def register(w: FirstStartWizard) -> None:
        # A database without an administrator: the wizard's センター情報 → システム管理者 → 確認 pages.
        next_button = w.button(QWizard.WizardButton.NextButton)
        qtbot.mouseClick(next_button, Qt.MouseButton.LeftButton)  # the shipped centre profile as it is
        type_text(w.admin_page.name_edit, "所長 一郎")
        qtbot.keyClicks(w.admin_page.password_edit, "first-admin-1")
        qtbot.keyClicks(w.admin_page.password2_edit, "first-admin-1")
        qtbot.mouseClick(next_button, Qt.MouseButton.LeftButton)
        qtbot.mouseClick(w.button(QWizard.WizardButton.FinishButton), Qt.MouseButton.LeftButton)

    seen: list = []
    answer_modal(qtbot, FirstStartWizard, register)
    _close_main_window_when_shown(seen)
    assert desk_app.run(sqlite_url, db_label="test") == 0
    (actor, staff_text, locked_installed), = seen
    assert actor.name == "所長 一郎" and actor.is_admin and locked_installed
    assert staff_text == "担当者：所長 一郎（システム管理）"

    seen.clear()
    answer_modal(qtbot, LoginDialog, log_in_as(qtbot, "所長 一郎", "first-admin-1"))
    _close_main_window_when_shown(seen)
    assert desk_app.run(sqlite_url, db_label="test") == 0
    assert seen[0][0] == actor
    # Cancelling the login ends the app without a window.
    answer_modal(qtbot, LoginDialog, lambda d: qtbot.mouseClick(d.cancel_button, Qt.MouseButton.LeftButton))
    assert desk_app.run(sqlite_url, db_label="test") == 0
