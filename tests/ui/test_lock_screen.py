"""画面ロック: the desk PC locks itself when left alone; the password or another login opens it."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QPointF, QSettings, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QPushButton

from booking_app.ui.context import AppContext
from booking_app.ui.access.lock_screen import IDLE_MINUTES_KEY, IdleLock, LockOverlay
from booking_app.ui.access.login_dialog import LoginDialog
from test_login import PASSWORD, answer_modal, log_in_as, set_passwords

TODAY = dt.date(2026, 11, 25)
pytestmark = pytest.mark.now(TODAY)


@pytest.fixture(autouse=True)
def settings(tmp_path):
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    QSettings().clear()
    yield
    QSettings().clear()


@pytest.fixture
def window(qtbot, engine):
    """A stand-in main window (the real one is used once below): the lock only needs a window."""
    set_passwords(engine)
    w = QMainWindow()
    w.setCentralWidget(QPushButton("予約を追加"))
    w.resize(1366, 768)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


@pytest.fixture
def idle(window, ctx):
    lock = IdleLock(window, ctx, interval_ms=30)
    lock.install()
    yield lock
    lock.uninstall()
    if lock.overlay is not None:
        lock.overlay._may_close = True
        lock.overlay.close()


def overlay_of(lock: IdleLock) -> LockOverlay:
    assert lock.is_locked
    return lock.overlay


def test_locks_after_idle_and_unlocks_with_the_password(qtbot, idle, window, ctx, tmp_path):
    with qtbot.wait_signal(idle.locked, timeout=3000):
        pass  # nobody touches anything
    ov = overlay_of(idle)
    assert QApplication.activeModalWidget() is ov  # the window below takes no input
    assert ov.geometry() == window.frameGeometry()
    assert ov.findChild(QLabel, "lock_title").text() == "画面ロック中"
    assert ov.staff_label.text() == "担当者：受付スタッフ（受付）"
    out = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    # Escape does not open the lock.
    qtbot.keyClick(ov.password, Qt.Key.Key_Escape)
    assert ov.isVisible()
    qtbot.keyClicks(ov.password, "wrong-one")
    qtbot.keyClick(ov.password, Qt.Key.Key_Return)
    assert ov.isVisible()
    assert ov.error_label.text() == "パスワードが違います。\n（あと4回間違えるとロックされます）"
    # QA: the label wrapped inside 「されま／す）」; each line now fits the card as it is.
    fm = ov.error_label.fontMetrics()
    assert all(fm.horizontalAdvance(line) <= ov.error_label.contentsRect().width()
               for line in ov.error_label.text().splitlines())
    assert ov.password.text() == "" and ov.focusWidget() is ov.password
    assert ov.grab().save(str(out / "lock_overlay.png"))
    qtbot.keyClicks(ov.password, PASSWORD)
    with qtbot.wait_signal(idle.unlocked):
        qtbot.keyClick(ov.password, Qt.Key.Key_Return)
    assert not idle.is_locked and ctx.actor.name == "受付スタッフ"
    assert idle.timer.isActive()  # counting again
    # Locked again after the next idle spell; the old message is gone.
    with qtbot.wait_signal(idle.locked, timeout=3000):
        pass
    assert not overlay_of(idle).error_label.isVisible()


def test_input_restarts_the_idle_count(qtbot, window, ctx):
    lock = IdleLock(window, ctx, interval_ms=60_000)
    lock.install()
    # QTimer.remainingTime() reads a clock the event loop caches, so count the restarts instead.
    restarts: list[int] = []
    real_start = lock.timer.start
    lock.timer.start = lambda: (restarts.append(1), real_start())
    try:
        pos = QPointF(10, 10)
        QApplication.sendEvent(window.centralWidget(), QMouseEvent(
            QEvent.Type.MouseMove, pos, window.centralWidget().mapToGlobal(pos),
            Qt.MouseButton.NoButton, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier))
        assert len(restarts) >= 1
        n = len(restarts)
        qtbot.keyClick(window.centralWidget(), Qt.Key.Key_Tab)
        assert len(restarts) > n
        n = len(restarts)
        QApplication.sendEvent(window.centralWidget(), QEvent(QEvent.Type.LayoutRequest))  # not input
        assert len(restarts) == n
        lock.lock()
        n = len(restarts)
        qtbot.keyClick(lock.overlay.password, Qt.Key.Key_A)  # typing at the lock does not count
        assert len(restarts) == n and lock.is_locked and lock.timer.isActive() is False
    finally:
        lock.uninstall()
        lock.overlay._may_close = True
        lock.overlay.close()


def test_idle_minutes_setting_and_never(qtbot, window, ctx):
    assert IdleLock(window, ctx).interval_ms == 10 * 60_000  # default
    QSettings().setValue(IDLE_MINUTES_KEY, 3)
    assert IdleLock(window, ctx).interval_ms == 3 * 60_000
    QSettings().setValue(IDLE_MINUTES_KEY, 0)
    never = IdleLock(window, ctx)
    assert never.interval_ms == 0 and not never.timer.isActive()
    never.lock()  # still locks by hand
    assert never.is_locked
    never.overlay._may_close = True
    never.overlay.close()


@pytest.mark.answers_modals
def test_another_staff_member_logs_in_from_the_lock(qtbot, idle, engine, ctx):
    with qtbot.wait_signal(idle.locked, timeout=3000):
        pass
    ov = overlay_of(idle)
    # Someone else cancels first: still locked.
    answer_modal(qtbot, LoginDialog, lambda d: qtbot.mouseClick(d.cancel_button, Qt.MouseButton.LeftButton))
    qtbot.mouseClick(ov.switch_button, Qt.MouseButton.LeftButton)
    assert idle.is_locked and ctx.actor.name == "受付スタッフ"
    answer_modal(qtbot, LoginDialog, log_in_as(qtbot, "センター長"))
    with qtbot.wait_signals([ctx.actor_changed, idle.unlocked]):
        qtbot.mouseClick(ov.switch_button, Qt.MouseButton.LeftButton)
    assert ctx.actor.name == "センター長" and ctx.actor.role == "manager"
    assert not idle.is_locked


@pytest.mark.answers_modals
def test_main_window_menu_locks_and_status_bar_switches_staff(qtbot, engine, desk, tmp_path):
    from booking_app.ui.main_window import MainWindow

    set_passwords(engine)
    ctx = AppContext(engine, desk)
    win = MainWindow(ctx)
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    qtbot.waitExposed(win)
    file_menu = win.menuBar().actions()[0].menu()
    texts = [a.text() for a in file_menu.actions()]
    assert "画面をロック" in texts and "パスワード変更…" in texts
    assert win.lock_action.shortcut().toString() == "Ctrl+L"
    win.lock_action.trigger()
    lock = win.idle_lock
    ov = overlay_of(lock)
    assert ov.geometry() == win.frameGeometry()
    # A member card or slip scanned while locked does nothing behind the lock.
    win.open_group_by_code("FKG:0001")
    assert win.current_page_key() == "calendar"
    assert win.open_booking_by_id(1) is False
    out = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    qtbot.keyClicks(ov.password, PASSWORD)
    qtbot.keyClick(ov.password, Qt.Key.Key_Return)
    assert not lock.is_locked
    # 担当者の切り替え asks for the password now.
    seen: list[str] = []

    def wrong_then_cancel(d: LoginDialog) -> None:
        log_in_as(qtbot, "センター長", "bad-password")(d)
        seen.append(d.error_label.text())
        qtbot.mouseClick(d.cancel_button, Qt.MouseButton.LeftButton)

    answer_modal(qtbot, LoginDialog, wrong_then_cancel)
    with qtbot.assertNotEmitted(ctx.actor_changed):
        qtbot.mouseClick(win.staff_button, Qt.MouseButton.LeftButton)
    assert ctx.actor.name == "受付スタッフ"
    assert seen == ["パスワードが違います。（あと4回間違えるとロックされます）"]
    answer_modal(qtbot, LoginDialog, log_in_as(qtbot, "システム管理者"))
    with qtbot.wait_signal(ctx.actor_changed):
        qtbot.mouseClick(win.staff_button, Qt.MouseButton.LeftButton)
    assert ctx.actor.name == "システム管理者" and ctx.actor.is_admin
    assert win.staff_button.text() == "担当者：システム管理者（システム管理）"
    win.lock_action.trigger()
    ov = overlay_of(lock)
    assert ov.staff_label.text() == "担当者：システム管理者（システム管理）"
    assert ov.grab().save(str(out / "lock_overlay_main_window.png"))
    qtbot.keyClicks(ov.password, PASSWORD)
    qtbot.keyClick(ov.password, Qt.Key.Key_Return)
    assert not lock.is_locked
