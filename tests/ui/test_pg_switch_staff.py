"""画面ロック and 担当者の切り替え on PostgreSQL, where each person acts through their own database login
(issue 14): the lock opens with the password the server checks, and the next person brings their own
connection, so the server (and the audit) know who is acting from then on.

Driven like a person: typing into the lock's password field and the login dialog, clicking the buttons.
"""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QMainWindow, QPushButton
from sqlalchemy import select, text

from booking_app.services import db_login
from booking_app.store.models import AuditEntry
from booking_app.ui.context import AppContext
from booking_app.ui.access.lock_screen import IdleLock
from booking_app.ui.access.login_dialog import PgLoginDialog, remember_signed_in
from test_login import answer_modal
from test_pg_login import PW, make_staff_logins

pytestmark = [pytest.mark.postgres, pytest.mark.now(dt.datetime(2026, 12, 2, 9, 0))]


@pytest.fixture(autouse=True)
def settings(tmp_path):
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    QSettings().clear()
    yield
    QSettings().clear()


@pytest.fixture
def signed_in(pg_url):
    """The desk person signed in with their own login, as the app's start does; (ctx, base URL, logins)."""
    base_url, logins = make_staff_logins(pg_url)
    engine, actor = db_login.sign_in(base_url, logins["desk"], PW)
    remember_signed_in(engine, base_url)
    ctx = AppContext(engine, actor, db_label="test")
    yield ctx, base_url, logins
    ctx.engine.dispose()


@pytest.fixture
def idle(qtbot, signed_in):
    ctx = signed_in[0]
    w = QMainWindow()
    w.setCentralWidget(QPushButton("予約を追加"))
    w.resize(1366, 768)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    lock = IdleLock(w, ctx, interval_ms=30)
    lock.install()
    yield lock
    lock.uninstall()
    if lock.overlay is not None:
        lock.overlay._may_close = True
        lock.overlay.close()


def session_user(ctx) -> str:
    return ctx.read(lambda s: s.scalar(text("SELECT session_user")))


def test_the_lock_opens_with_the_password_the_server_checks(qtbot, idle, signed_in):
    ctx, _base, logins = signed_in
    with qtbot.wait_signal(idle.locked, timeout=3000):
        pass
    ov = idle.overlay
    qtbot.keyClicks(ov.password, "not-my-password")
    qtbot.keyClick(ov.password, Qt.Key.Key_Return)
    assert idle.is_locked
    assert "パスワード" in ov.error_label.text()  # the server refused it; the reason is in Japanese
    qtbot.keyClicks(ov.password, PW)
    with qtbot.wait_signal(idle.unlocked):
        qtbot.keyClick(ov.password, Qt.Key.Key_Return)
    assert ctx.actor.role == "desk" and session_user(ctx) == logins["desk"]


@pytest.mark.answers_modals
def test_another_person_switches_in_with_their_own_login(qtbot, idle, signed_in):
    ctx, _base, logins = signed_in
    desk_engine = ctx.engine
    with qtbot.wait_signal(idle.locked, timeout=3000):
        pass
    ov = idle.overlay

    def admin_signs_in(dialog: PgLoginDialog) -> None:
        assert dialog.login.text() == ""  # the next person types their own name
        qtbot.keyClicks(dialog.login, logins["admin"])
        qtbot.keyClicks(dialog.password, PW)
        qtbot.keyClick(dialog.password, Qt.Key.Key_Return)

    answer_modal(qtbot, PgLoginDialog, admin_signs_in)
    with qtbot.wait_signals([ctx.engine_changed, ctx.actor_changed, idle.unlocked]):
        qtbot.mouseClick(ov.switch_button, Qt.MouseButton.LeftButton)
    assert ctx.actor.role == "admin"
    assert ctx.engine is not desk_engine and session_user(ctx) == logins["admin"]

    # What the next person does is recorded under their login, whatever the app passes on.
    from booking_app.services.common import audit

    ctx.write(lambda s, a: audit(s, a, "update", "settings", None, "切り替え後の操作"), changes=set())
    last = ctx.read(lambda s: s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first())
    assert last.staff_id == ctx.actor.id and last.summary == "切り替え後の操作"


@pytest.mark.answers_modals
def test_cancelling_the_switch_keeps_the_person_on_duty(qtbot, idle, signed_in):
    ctx, _base, logins = signed_in
    with qtbot.wait_signal(idle.locked, timeout=3000):
        pass
    ov = idle.overlay
    answer_modal(qtbot, PgLoginDialog, lambda d: qtbot.mouseClick(d.cancel_button, Qt.MouseButton.LeftButton))
    with qtbot.assertNotEmitted(ctx.engine_changed):
        qtbot.mouseClick(ov.switch_button, Qt.MouseButton.LeftButton)
    assert idle.is_locked and ctx.actor.role == "desk" and session_user(ctx) == logins["desk"]
