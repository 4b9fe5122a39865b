"""接続設定 against real servers (success, wrong password, refused port) and the start-up
「サーバーに接続できません」 screen."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton, QRadioButton, QSpinBox
from sqlalchemy.engine import make_url

from booking_app import config
from booking_app.ui import connection_dialog as cd
from booking_app.ui.connection_dialog import ConnectionDialog, ServerUnavailableDialog

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pgcluster import PgCluster, _free_port  # noqa: E402

PW_USER, PW_PASSWORD = "desk_pw", "fuku-2026"


@pytest.fixture(autouse=True)
def private_config(monkeypatch, tmp_path):
    monkeypatch.setattr(config, "user_config_dir", lambda *a, **k: str(tmp_path / "conf"))
    monkeypatch.setattr(config, "user_data_dir", lambda *a, **k: str(tmp_path / "data"))


@pytest.fixture(scope="module")
def password_server():
    """A throwaway cluster where ``desk_pw`` must give a password (the shared one trusts everyone).

    A line for that one role goes first in pg_hba.conf; everybody else stays trusted.
    """
    import psycopg

    cluster = PgCluster()
    url = cluster.start()
    if not url or cluster._datadir is None:
        cluster.stop()
        pytest.skip(f"no PostgreSQL cluster of our own: {cluster.reason}")
    u = make_url(url)
    try:
        with psycopg.connect(host=u.host, port=u.port, user="postgres", dbname="postgres",
                             autocommit=True) as c:
            c.execute(f"CREATE ROLE {PW_USER} LOGIN PASSWORD '{PW_PASSWORD}'")
            c.execute(f"CREATE DATABASE fukufuku OWNER {PW_USER}")
            hba = Path(c.execute("SHOW hba_file").fetchone()[0])
            hba.write_text(f"host all {PW_USER} 127.0.0.1/32 scram-sha-256\n" + hba.read_text())
            c.execute("SELECT pg_reload_conf()")
        yield u.host, u.port
    finally:
        cluster.stop()


def fill_server(qtbot, dlg: ConnectionDialog, host: str, port: int, db: str, user: str,
                password: str) -> None:
    radio = dlg.findChild(QRadioButton, "use_postgresql")
    # On the label, not the middle of the (wide) row, which is outside the button's click area.
    qtbot.mouseClick(radio, Qt.MouseButton.LeftButton, pos=QPoint(8, radio.height() // 2))
    assert radio.isChecked()
    for name, text in (("host", host), ("database", db), ("user", user), ("password", password)):
        edit = dlg.findChild(QLineEdit, name)
        edit.clear()
        qtbot.keyClicks(edit, text)
    dlg.findChild(QSpinBox, "port").setValue(port)


def press_test(qtbot, dlg) -> str:
    qtbot.mouseClick(dlg.findChild(QPushButton, "test_connection"), Qt.MouseButton.LeftButton)
    return dlg.findChild(QLabel, "test_result").text()


@pytest.fixture
def dialog(qtbot):
    dlg = ConnectionDialog(None)
    qtbot.addWidget(dlg)
    dlg.show()
    return dlg


@pytest.mark.postgres
def test_connection_test_success_wrong_password_and_refused_port(qtbot, dialog, password_server):
    host, port = password_server
    fill_server(qtbot, dialog, host, port, "fukufuku", PW_USER, PW_PASSWORD)
    text = press_test(qtbot, dialog)
    assert text.startswith("接続できました（PostgreSQL 1") and "まだありません" in text

    fill_server(qtbot, dialog, host, port, "fukufuku", PW_USER, "wrong")
    assert press_test(qtbot, dialog) == f"ユーザー名「{PW_USER}」またはパスワードが違います。入力し直してください。"
    assert "color" in dialog.result_label.styleSheet()  # shown in red

    fill_server(qtbot, dialog, host, port, "nosuchdb", PW_USER, PW_PASSWORD)
    assert "データベース「nosuchdb」はサーバー" in press_test(qtbot, dialog)

    refused = _free_port()
    fill_server(qtbot, dialog, host, refused, "fukufuku", PW_USER, PW_PASSWORD)
    assert press_test(qtbot, dialog).startswith(f"サーバー（{host}:{refused}）に接続を拒否されました。")


def test_a_migrated_database_is_ready_and_saving_stores_the_setting(qtbot, dialog, db_url, monkeypatch):
    """On the shared test server / SQLite file: the app's tables are found; 保存 keeps the URL."""
    u = make_url(db_url)
    if u.get_backend_name() == "postgresql":
        fill_server(qtbot, dialog, u.host, u.port, u.database, u.username, "")
    else:
        edit = dialog.findChild(QLineEdit, "sqlite_path")
        edit.clear()
        qtbot.keyClicks(edit, u.database)
    assert "アプリの表はそろっています（最新）" in press_test(qtbot, dialog)

    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.saved and dialog.result() == ConnectionDialog.DialogCode.Accepted
    assert make_url(config.load_connection()).database == u.database
    assert config.resolve_db_url(None)[0] == config.load_connection()


def test_an_existing_setting_fills_the_fields_and_desk_staff_cannot_change_it(qtbot):
    dlg = ConnectionDialog(config.postgres_url("server-pc", 5433, "fukufuku", "desk", "pw"), editable=False)
    qtbot.addWidget(dlg)
    assert dlg.pg_radio.isChecked() and dlg.host_edit.text() == "server-pc" and dlg.port_spin.value() == 5433
    assert dlg.password_edit.text() == "pw" and dlg.password_edit.echoMode() == QLineEdit.EchoMode.Password
    assert not dlg.save_button.isEnabled() and "システム管理者" in dlg.result_label.text()


def test_unreachable_at_start_offers_retry_settings_and_quit(qtbot, monkeypatch, tmp_path):
    down = config.postgres_url("127.0.0.1", _free_port(), "fukufuku", "desk", "pw")
    shown: list[ServerUnavailableDialog] = []
    choices = iter([ServerUnavailableDialog.RETRY, ServerUnavailableDialog.SETTINGS])

    def fake_exec(self):
        shown.append(self)
        button = self.findChild(QPushButton, next(choices))
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        return self.result()

    good = config.sqlite_url_for(tmp_path / "local.sqlite3")
    monkeypatch.setattr(ServerUnavailableDialog, "exec", fake_exec)
    monkeypatch.setattr(ConnectionDialog, "edit", classmethod(lambda cls, parent, url, **kw: good))

    assert cd.wait_for_database(down, config.db_label(down)) == (good, config.db_label(good))
    assert len(shown) == 2  # 再試行 tried again, still down; then 接続設定… gave a local file
    first = shown[0]
    assert first.findChild(QLabel, "title").text() == "サーバーに接続できません"
    assert "127.0.0.1" in first.findChild(QLabel, "where").text()
    assert "電源" in first.findChild(QLabel, "causes").text()
    assert "接続を拒否されました" in first.reason

    monkeypatch.setattr(ServerUnavailableDialog, "exec",
                        lambda self: qtbot.mouseClick(self.findChild(QPushButton, "quit"),
                                                      Qt.MouseButton.LeftButton))
    assert cd.wait_for_database(down, "x") is None


def test_settings_page_opens_connection_settings_for_the_admin_only(qtbot, engine, monkeypatch):
    from sqlalchemy import select

    from booking_app.services.common import Actor
    from booking_app.store.engine import read_session
    from booking_app.store.models import Staff
    from booking_app.ui.context import AppContext
    from booking_app.ui.settings_page import SettingsPage

    def actor(role: str) -> Actor:
        with read_session(engine) as s:
            st = s.scalars(select(Staff).where(Staff.role == role)).first()
            return Actor(st.id, st.name, st.role)

    ctx = AppContext(engine, actor("desk"))
    page = SettingsPage(ctx)
    qtbot.addWidget(page)
    button = page.findChild(QPushButton, "connection_settings")
    assert not button.isEnabled()
    ctx.set_actor(actor("admin"))
    assert button.isEnabled()
    opened = []
    monkeypatch.setattr(ConnectionDialog, "edit",
                        classmethod(lambda cls, parent, url, **kw: opened.append(url)))
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert opened == [str(engine.url)]  # the dialog starts from this terminal's database


def test_a_lost_server_in_any_screen_is_a_calm_message(qtbot, monkeypatch):
    """Screens that catch only DomainError: the slot stops (dialog stays open), staff get the message."""
    from sqlalchemy.exc import OperationalError

    from booking_app.ui import errors

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    shown: list[str] = []
    monkeypatch.setattr(errors, "show_error",
                        lambda parent, exc: shown.append(errors.build_error_box(parent, exc).text()))
    errors.install_connection_error_hook()
    button = QPushButton("保存")
    qtbot.addWidget(button)

    def save():
        raise OperationalError("INSERT", {}, Exception("server closed the connection unexpectedly"))

    button.clicked.connect(save)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert shown == [errors.SERVER_LOST_MESSAGE]
