"""On PostgreSQL the login dialog is the staff member's own database login (issue 14), and the schema
owner's credential is asked only when needed (``db upgrade``, an administrator at start) and never kept.

Driven like a person: typing into the fields, clicking ログイン / 更新する. Against the throwaway cluster,
whose superuser plays the schema owner (it is trusted, so any owner password passes).
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton
from sqlalchemy import select
from sqlalchemy.engine import make_url

from booking_app import config
from booking_app.domain.errors import ValidationError
from booking_app.store.engine import make_engine, read_session, write_session
from booking_app.store.migrate import owner_credential_url
from booking_app.store.models import Staff

PW = "kyou-mo-genki-2026"
_n = itertools.count(1)


@pytest.fixture(autouse=True)
def private_settings(monkeypatch, tmp_path):
    monkeypatch.setattr(config, "user_config_dir", lambda *a, **k: str(tmp_path / "conf"))
    monkeypatch.setattr(config, "user_data_dir", lambda *a, **k: str(tmp_path / "data"))
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    QSettings().clear()
    yield
    QSettings().clear()


def unique_login(role: str) -> str:
    # Logins are cluster-wide and the cluster outlives a test: a name no other test uses.
    return f"h3_{role}_{os.getpid()}_{next(_n)}"


@pytest.fixture
def staff_logins(pg_url):
    """(base URL without credentials, {role: login}) on a fresh database; the owner made the logins."""
    return make_staff_logins(pg_url)


def make_staff_logins(pg_url: str):
    from booking_app.services import centre
    from booking_app.store import db_roles

    owner = make_engine(pg_url)
    try:
        with write_session(owner) as s:
            centre.ensure_initial_data(s)
        logins = {}
        with write_session(owner) as s:
            for role in ("desk", "admin"):
                staff = s.scalars(select(Staff).where(Staff.role == role).order_by(Staff.id)).first()
                if staff is None:
                    staff = Staff(name=f"{role}の人", role=role, active=True)
                    s.add(staff)
                    s.flush()
                logins[role] = unique_login(role)
                db_roles.create_login(s, staff.id, logins[role], PW)
    finally:
        owner.dispose()
    return config.without_credentials(pg_url), logins


def login_dialog(qtbot, base_url: str, **kw):
    from booking_app.ui.access.login_dialog import PgLoginDialog

    dlg = PgLoginDialog(base_url, **kw)
    qtbot.addWidget(dlg)
    dlg.show()
    return dlg


def type_into(qtbot, dlg, name: str, text: str) -> None:
    edit = dlg.findChild(QLineEdit, name)
    edit.selectAll()
    qtbot.keyClicks(edit, text) if text else edit.clear()


def press(qtbot, dlg, name: str) -> None:
    qtbot.mouseClick(dlg.findChild(QPushButton, name), Qt.MouseButton.LeftButton)


@pytest.mark.postgres
def test_signing_in_with_the_own_database_login(qtbot, staff_logins, monkeypatch):
    from booking_app.ui.access.login_dialog import LAST_DB_LOGIN_KEY, LoginDialog, signed_in_base_url

    base_url, logins = staff_logins
    dlg = login_dialog(qtbot, base_url, db_label=config.db_label(base_url))
    assert dlg.findChild(QLineEdit, "password").echoMode() == QLineEdit.EchoMode.Password
    assert dlg.findChild(QLineEdit, "staff_list") is None  # no list of names: the login is typed

    # Wrong password: a Japanese message in the dialog, what was typed kept.
    type_into(qtbot, dlg, "db_login", logins["desk"])
    type_into(qtbot, dlg, "password", "not-the-password")
    press(qtbot, dlg, "login_button")
    error = dlg.findChild(QLabel, "login_error")
    assert error.isVisible() and "パスワード" in error.text(), error.text()
    assert dlg.isVisible() and dlg.engine is None
    assert dlg.login.text() == logins["desk"] and dlg.password.text() == "not-the-password"

    # A login that is not a staff member's.
    type_into(qtbot, dlg, "db_login", "nobody_here_h3")
    press(qtbot, dlg, "login_button")
    assert error.isVisible() and error.text() and dlg.engine is None

    type_into(qtbot, dlg, "db_login", logins["desk"])
    type_into(qtbot, dlg, "password", PW)
    press(qtbot, dlg, "login_button")
    assert dlg.result() == dlg.DialogCode.Accepted
    try:
        assert dlg.actor.role == "desk" and dlg.engine.url.username == logins["desk"]
        with read_session(dlg.engine) as s:  # the app's engine for the session is the staff login's
            assert s.connection().exec_driver_sql("SELECT session_user").scalar() == logins["desk"]
        assert QSettings().value(LAST_DB_LOGIN_KEY) == logins["desk"]  # offered next time
        assert signed_in_base_url(dlg.engine) == base_url

        # 画面ロック on that engine: the same login signs in again (the name is fixed).
        def answer(self):
            assert self.login.isReadOnly() and self.login.text() == logins["desk"]
            qtbot.keyClicks(self.password, PW)
            qtbot.mouseClick(self.login_button, Qt.MouseButton.LeftButton)
            return self.result()

        from booking_app.ui.access.login_dialog import PgLoginDialog

        monkeypatch.setattr(PgLoginDialog, "exec", answer)
        again = LoginDialog.get(None, dlg.engine)
        assert again is not None and again.id == dlg.actor.id
    finally:
        dlg.engine.dispose()
    remembered = login_dialog(qtbot, base_url)
    assert remembered.login.text() == logins["desk"]


@pytest.mark.postgres
def test_an_unreachable_server_is_said_in_the_dialog(qtbot):
    from pgcluster import _free_port

    base = config.postgres_url("127.0.0.1", _free_port(), "fukufuku", sslmode="disable")
    dlg = login_dialog(qtbot, base)
    type_into(qtbot, dlg, "db_login", "yamada_h")
    type_into(qtbot, dlg, "password", PW)
    press(qtbot, dlg, "login_button")
    text = dlg.findChild(QLabel, "login_error").text()
    assert dlg.isVisible() and "接続" in text and dlg.login.text() == "yamada_h", text


@pytest.mark.postgres
def test_owner_upgrade_dialog_asks_and_keeps_nothing(qtbot, pg_url, monkeypatch):
    from booking_app.store import migrate
    from booking_app.ui.access.connection_dialog import OwnerUpgradeDialog

    base = config.without_credentials(pg_url)
    ran: list[str] = []
    real = migrate.upgrade_as_owner
    monkeypatch.setattr(migrate, "upgrade_as_owner", lambda url, user, pw: ran.append(user) or real(url, user, pw))
    dlg = OwnerUpgradeDialog(base, config.db_label(base))
    qtbot.addWidget(dlg)
    dlg.show()
    press(qtbot, dlg, "upgrade")  # no password typed
    assert "パスワードを入力してください" in dlg.result_label.text() and not ran
    type_into(qtbot, dlg, "owner_user", "no_such_owner_h3")
    type_into(qtbot, dlg, "owner_password", "x")
    press(qtbot, dlg, "upgrade")
    assert dlg.isVisible() and "no_such_owner_h3" in dlg.result_label.text(), dlg.result_label.text()
    assert dlg.owner_edit.text() == "no_such_owner_h3"  # input kept
    type_into(qtbot, dlg, "owner_user", make_url(pg_url).username)  # the test superuser is the owner here
    press(qtbot, dlg, "upgrade")
    assert dlg.done_ok and dlg.result() == dlg.DialogCode.Accepted
    assert ran == ["no_such_owner_h3", make_url(pg_url).username]
    assert not config.connection_file().exists()  # nothing of the owner was written anywhere


def test_db_upgrade_owner_credential_comes_from_option_prompt_or_pgpassword():
    base = "postgresql+psycopg://server-pc:5432/fukufuku?sslmode=verify-full"
    asked: list[str] = []

    def ask(prompt):
        asked.append(prompt)
        return ""

    url = owner_credential_url(base, None, environ={}, ask=ask, ask_secret=lambda p: asked.append(p) or "s3cret")
    u = make_url(url)
    assert (u.username, u.password, u.query["sslmode"]) == (config.DEFAULT_OWNER, "s3cret", "verify-full")
    assert len(asked) == 2 and "所有者" in asked[0] and "表示されません" in asked[1]

    url = owner_credential_url(base, "city_owner", environ={"PGPASSWORD": "from-env"},
                               ask=lambda p: pytest.fail("asked"), ask_secret=lambda p: pytest.fail("asked"))
    assert (make_url(url).username, make_url(url).password) == ("city_owner", "from-env")

    with pytest.raises(ValidationError, match="PGPASSWORD"):
        owner_credential_url(base, "city_owner", environ={}, ask_secret=lambda p: "")

    # A URL that carries a user (developers, CI, bench) is used as it is; SQLite needs no owner.
    carried = "postgresql+psycopg://bench:pw@db-host/fuku"
    assert owner_credential_url(carried, None, environ={}, ask=pytest.fail) == carried
    assert owner_credential_url("sqlite:///x.sqlite3", None, environ={}) == "sqlite:///x.sqlite3"


def test_a_saved_server_setting_connects_nothing_before_the_login(monkeypatch):
    """connection.json holds no credential: the start goes straight to the login dialog."""
    from booking_app import app, cli
    from booking_app.services import first_start  # noqa: F401 - imported before make_engine is replaced below:
    # a module first imported under the patch would keep the stand-in for the rest of the run
    from booking_app.store import engine as engine_module
    from booking_app.ui.access import connection_dialog, login_dialog

    config.save_connection(config.postgres_url("server-pc", 5432, "fukufuku", sslrootcert=None))

    def no_connection(*a, **k):
        raise AssertionError("connected before the login")

    monkeypatch.setattr(engine_module, "make_engine", no_connection)
    monkeypatch.setattr(connection_dialog, "wait_for_database", no_connection)
    asked: list[str] = []
    monkeypatch.setattr(login_dialog.PgLoginDialog, "get",
                        classmethod(lambda cls, parent, base_url, **kw: asked.append(base_url)))  # cancelled
    assert cli.main([]) == 0
    assert len(asked) == 1 and make_url(asked[0]).host == "server-pc" and make_url(asked[0]).username is None
    # With user and password on the command line (developers, CI) the old way holds: no login dialog.
    seen = []
    monkeypatch.setattr(app, "run", lambda url, **kw: seen.append(url) or 0)
    from booking_app.cli import run as cli_run

    monkeypatch.setattr(cli_run, "prepare", lambda url: seen.append("prepared") or None)
    cli.main(["--db", "postgresql://bench:pw@db-host/fuku"])
    assert seen[0] == "prepared" and make_url(seen[1]).username == "bench"


def test_an_old_schema_is_said_to_desk_staff_and_offered_to_an_administrator(monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from booking_app import app
    from booking_app.services.common import Actor
    from booking_app.ui.access import connection_dialog, login_dialog

    class FakeEngine:
        disposed = False

        def dispose(self):
            self.disposed = True

    said: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text: said.append(text))
    monkeypatch.setattr(app, "schema_problem", lambda engine: "old")
    desk, admin = Actor(1, "受付 一郎", "desk"), Actor(2, "管理 花子", "admin")
    engine = FakeEngine()
    monkeypatch.setattr(login_dialog.PgLoginDialog, "get", classmethod(lambda cls, *a, **k: (engine, desk)))
    offered: list[str] = []
    monkeypatch.setattr(connection_dialog.OwnerUpgradeDialog, "run",
                        classmethod(lambda cls, parent, url, label="": offered.append(url) or True))
    assert app._pg_sign_in("postgresql+psycopg://server-pc/fukufuku", "PostgreSQL: server-pc/fukufuku") == "failed"
    assert engine.disposed and not offered and "db upgrade" in said[-1] and "システム管理者" in said[-1]

    engine = FakeEngine()
    monkeypatch.setattr(login_dialog.PgLoginDialog, "get", classmethod(lambda cls, *a, **k: (engine, admin)))
    assert app._pg_sign_in("postgresql+psycopg://server-pc/fukufuku", "x") == (engine, admin)
    assert offered == ["postgresql+psycopg://server-pc/fukufuku"] and not engine.disposed


def test_the_new_dialogs_fit_a_desk_screen(qtbot, tmp_path):
    """接続設定, the PostgreSQL login and the wizard's server page (owner fields) at 1366×768."""
    from booking_app.ui.access.connection_dialog import ConnectionDialog
    from booking_app.ui.access.first_start import PAGE_DATABASE, FirstStartWizard
    from booking_app.ui.access.login_dialog import PgLoginDialog

    conn = ConnectionDialog(config.postgres_url("server-pc", 5432, "fukufuku"))
    login = PgLoginDialog(config.postgres_url("server-pc", 5432, "fukufuku"), db_label="PostgreSQL: server-pc")
    wizard = FirstStartWizard()
    for w in (conn, login, wizard):
        qtbot.addWidget(w)
        w.show()
    while wizard.currentId() != PAGE_DATABASE:
        qtbot.mouseClick(wizard.button(wizard.WizardButton.NextButton), Qt.MouseButton.LeftButton)
    wizard.database_page.pg_radio.click()
    for name, w in (("connection", conn), ("login", login), ("wizard-owner", wizard)):
        hint = w.sizeHint().expandedTo(w.minimumSize())
        assert hint.width() <= 1366 and hint.height() <= 728, (name, hint)  # 40 px for the taskbar
        assert w.grab().save(str(Path(os.environ.get("SCREENSHOT_DIR") or tmp_path) / f"h3-{name}.png"))
    # The owner's fields are on the server page and nothing of them is stored.
    assert wizard.database_page.user_edit.text() == config.DEFAULT_OWNER


@pytest.mark.postgres
def test_a_staff_login_can_test_the_connection_and_join_a_set_up_server(pg_url, pg_ca_file):
    """A second terminal is set up with a staff member's own login over verify-full TLS: the test says
    it is encrypted and the schema current, and the wizard treats the database as set up (no owner needed)."""
    from booking_app.ui.access.connection_dialog import check_connection
    from booking_app.ui.access.first_start import READY, database_state

    _base, logins = make_staff_logins(pg_url)
    u = make_url(pg_url)
    tls = config.postgres_url("localhost", u.port, u.database, logins["desk"], PW, sslmode="verify-full",
                              sslrootcert=str(pg_ca_file))
    check = check_connection(tls)
    assert check.ok and check.encrypted and check.tls_version.startswith("TLSv1"), check
    # A staff login may read the schema version (migration 0009), so the test can say it is current.
    assert "暗号化：あり（TLSv1." in check.message and "最新" in check.message
    assert database_state(tls) == READY


@pytest.fixture
def desk_app(qapp, monkeypatch):
    """booking_app.app, with the process-wide Qt state it changes (font, locale, icon) put back after."""
    from PySide6.QtCore import QLocale

    from booking_app import app as desk_app

    monkeypatch.setattr(desk_app, "_install_translators", lambda app: [])
    font, locale, icon = qapp.font(), QLocale(), qapp.windowIcon()
    yield desk_app
    qapp.setFont(font)
    QLocale.setDefault(locale)
    qapp.setWindowIcon(icon)


@pytest.mark.postgres
@pytest.mark.answers_modals
def test_app_start_on_a_server_signs_in_with_the_database_login(qtbot, pg_url, desk_app):
    """app.run with a saved server setting (no credential): the PostgreSQL login, then the main window
    on an engine connected as that login."""
    from test_login import _close_main_window_when_shown, answer_modal

    from booking_app.ui.access.login_dialog import PgLoginDialog

    base_url, logins = make_staff_logins(pg_url)

    def sign_in(d: PgLoginDialog) -> None:
        d.login.clear()
        qtbot.keyClicks(d.login, logins["desk"])
        qtbot.keyClicks(d.password, "wrong-password-1")
        qtbot.mouseClick(d.login_button, Qt.MouseButton.LeftButton)
        assert d.isVisible() and d.error_label.text()  # refused in the dialog, which stays
        d.password.clear()
        qtbot.keyClicks(d.password, PW)
        qtbot.keyClick(d.password, Qt.Key.Key_Return)

    seen: list = []
    answer_modal(qtbot, PgLoginDialog, sign_in)
    _close_main_window_when_shown(seen)
    assert desk_app.run(base_url, db_label=config.db_label(base_url)) == 0
    (actor, staff_text, _locked), = seen
    assert actor.role == "desk" and actor.name in staff_text
