"""接続設定 against real servers (success, wrong password, refused port) and the start-up
「サーバーに接続できません」 screen."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QPushButton, QRadioButton, QSpinBox
from sqlalchemy.engine import make_url

from booking_app import config
from booking_app.ui.access import connection_dialog as cd
from booking_app.ui.access.connection_dialog import ConnectionDialog, ServerUnavailableDialog

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pgcluster import PgCluster, _free_port  # noqa: E402

PW_USER, PW_PASSWORD = "desk_pw", "fuku-2026"


@pytest.fixture(autouse=True)
def private_config(monkeypatch, tmp_path):
    monkeypatch.setattr(config, "user_config_dir", lambda *a, **k: str(tmp_path / "conf"))
    monkeypatch.setattr(config, "user_data_dir", lambda *a, **k: str(tmp_path / "data"))


@pytest.fixture(scope="module")
def password_server():
    """A throwaway cluster where ``desk_pw`` must give a password (SCRAM) and TLS is on.

    A line for that one role goes first in pg_hba.conf (``host``: TLS or not, so both can be tried);
    yields (host, port, CA file or None).
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
        yield u.host, u.port, getattr(cluster, "ca_file", None)
    finally:
        cluster.stop()


def fill_server(qtbot, dlg: ConnectionDialog, host: str, port: int, db: str, user: str,
                password: str, *, sslmode: str = "disable", ca: str = "") -> None:
    radio = dlg.findChild(QRadioButton, "use_postgresql")
    # On the label, not the middle of the (wide) row, which is outside the button's click area.
    qtbot.mouseClick(radio, Qt.MouseButton.LeftButton, pos=QPoint(8, radio.height() // 2))
    assert radio.isChecked()
    for name, text in (("host", host), ("database", db), ("sslrootcert", ca), ("user", user),
                       ("password", password)):
        edit = dlg.findChild(QLineEdit, name)
        edit.clear()
        qtbot.keyClicks(edit, text)
    dlg.findChild(QSpinBox, "port").setValue(port)
    combo = dlg.findChild(QComboBox, "sslmode")
    combo.setCurrentIndex(combo.findData(sslmode))
    combo.activated.emit(combo.currentIndex())  # as when a person picks it


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
    host, port, _ca = password_server
    fill_server(qtbot, dialog, host, port, "fukufuku", PW_USER, PW_PASSWORD)
    text = press_test(qtbot, dialog)
    assert text.startswith("接続できました（PostgreSQL 1") and "まだありません" in text
    assert "暗号化されていません" in text  # sslmode=disable: said plainly

    fill_server(qtbot, dialog, host, port, "fukufuku", PW_USER, "wrong")
    assert press_test(qtbot, dialog) == f"ユーザー名「{PW_USER}」またはパスワードが違います。入力し直してください。"
    assert "color" in dialog.result_label.styleSheet()  # shown in red

    fill_server(qtbot, dialog, host, port, "nosuchdb", PW_USER, PW_PASSWORD)
    assert "データベース「nosuchdb」はサーバー" in press_test(qtbot, dialog)

    refused = _free_port()
    fill_server(qtbot, dialog, host, refused, "fukufuku", PW_USER, PW_PASSWORD)
    assert press_test(qtbot, dialog).startswith(f"サーバー（{host}:{refused}）に接続を拒否されました。")


@pytest.mark.postgres
def test_verify_full_with_the_centres_ca_file_reports_the_encryption(qtbot, dialog, password_server, tmp_path):
    host, port, ca = password_server
    if ca is None:
        pytest.skip("the test cluster has no TLS certificate (no openssl)")
    # The certificate names localhost: verify-full checks both the CA and the host name.
    fill_server(qtbot, dialog, "localhost", port, "fukufuku", PW_USER, PW_PASSWORD, sslmode="verify-full",
                ca=str(ca))
    text = press_test(qtbot, dialog)
    assert "接続できました" in text and "暗号化：あり（TLSv1." in text, text

    # verify-full without a CA file: refused in the dialog, naming the field and the fix.
    fill_server(qtbot, dialog, "localhost", port, "fukufuku", PW_USER, PW_PASSWORD, sslmode="verify-full")
    assert "CAファイルが必要です" in press_test(qtbot, dialog)

    # A CA that did not sign the server's certificate: the server is not trusted.
    other = tmp_path / "other-ca.crt"
    other.write_text(_other_ca_pem(tmp_path))
    fill_server(qtbot, dialog, "localhost", port, "fukufuku", PW_USER, PW_PASSWORD, sslmode="verify-full",
                ca=str(other))
    assert "サーバーの証明書を確かめられませんでした" in press_test(qtbot, dialog)

    # Nothing of the test login is saved: the file holds the server and the TLS settings only.
    fill_server(qtbot, dialog, "localhost", port, "fukufuku", PW_USER, PW_PASSWORD, sslmode="verify-full",
                ca=str(ca))
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.saved
    text = config.connection_file().read_text(encoding="utf-8")
    assert PW_USER not in text and PW_PASSWORD not in text
    saved = make_url(config.load_connection())
    assert (saved.host, saved.username, saved.password) == ("localhost", None, None)
    assert dict(saved.query) == {"sslmode": "verify-full", "sslrootcert": str(Path(ca).resolve())}


def _other_ca_pem(tmp_path) -> str:
    import shutil
    import subprocess

    openssl = shutil.which("openssl")
    key, crt = tmp_path / "o.key", tmp_path / "o.crt"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(crt), "-days", "30", "-subj", "/CN=some other CA"], check=True, capture_output=True)
    return crt.read_text()


def test_sslmode_follows_the_host_until_chosen_and_the_test_asks_for_a_login(qtbot, dialog):
    combo = dialog.findChild(QComboBox, "sslmode")
    assert [combo.itemData(i) for i in range(combo.count())] == ["verify-full", "require", "prefer", "disable"]
    assert "検証付き暗号化" in combo.itemText(0) and "暗号化しない" in combo.itemText(3)
    radio = dialog.findChild(QRadioButton, "use_postgresql")
    qtbot.mouseClick(radio, Qt.MouseButton.LeftButton, pos=QPoint(8, radio.height() // 2))
    host = dialog.findChild(QLineEdit, "host")
    qtbot.keyClicks(host, "server-pc")
    assert dialog.sslmode() == "verify-full"
    host.clear()
    qtbot.keyClicks(host, "localhost")
    assert dialog.sslmode() == "prefer"
    assert "ログイン名" in press_test(qtbot, dialog)  # no login typed: asked for, nothing connects


def test_a_migrated_database_is_ready_and_saving_stores_the_setting(qtbot, dialog, db_url, monkeypatch):
    """On the shared test server / SQLite file: the app's tables are found; 保存 keeps the URL."""
    u = make_url(db_url)
    if u.get_backend_name() == "postgresql":
        # The test superuser is trusted, so any password passes; the link to localhost may be plain.
        fill_server(qtbot, dialog, u.host, u.port, u.database, u.username, "unused", sslmode="prefer")
    else:
        edit = dialog.findChild(QLineEdit, "sqlite_path")
        edit.clear()
        qtbot.keyClicks(edit, u.database)
    assert "アプリの表はそろっています（最新）" in press_test(qtbot, dialog)

    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.saved and dialog.result() == ConnectionDialog.DialogCode.Accepted
    assert make_url(config.load_connection()).database == u.database
    assert make_url(config.load_connection()).username is None
    assert config.resolve_db_url(None)[0] == config.load_connection()


def test_an_existing_setting_fills_the_fields_and_desk_staff_cannot_change_it(qtbot):
    dlg = ConnectionDialog(config.postgres_url("server-pc", 5433, "fukufuku", "desk", "pw", sslmode="require"),
                           editable=False)
    qtbot.addWidget(dlg)
    assert dlg.pg_radio.isChecked() and dlg.host_edit.text() == "server-pc" and dlg.port_spin.value() == 5433
    assert dlg.sslmode() == "require"
    assert dlg.password_edit.text() == "" and dlg.password_edit.echoMode() == QLineEdit.EchoMode.Password
    assert not dlg.save_button.isEnabled() and "システム管理者" in dlg.result_label.text()


def test_the_ca_file_is_chosen_through_the_prompts_and_a_restart_is_asked(qtbot, monkeypatch, prompts, tmp_path):
    dlg = ConnectionDialog(None)
    qtbot.addWidget(dlg)
    dlg.show()
    fill_server(qtbot, dlg, "server-pc", 5432, "fukufuku", "desk", "pw", sslmode="verify-full")
    prompts.open_path = tmp_path / "centre-ca.crt"
    qtbot.mouseClick(dlg.findChild(QPushButton, "browse_ca"), Qt.MouseButton.LeftButton)
    assert [c.title for c in prompts.of("ask_open_path")] == ["CAファイル（サーバー証明書の発行元）"]
    assert dlg.findChild(QLineEdit, "sslrootcert").text() == str(tmp_path / "centre-ca.crt")
    prompts.open_path = None  # cancelled: the file already chosen stays
    qtbot.mouseClick(dlg.findChild(QPushButton, "browse_ca"), Qt.MouseButton.LeftButton)
    assert dlg.findChild(QLineEdit, "sslrootcert").text() == str(tmp_path / "centre-ca.crt")

    restarted: list[bool] = []
    monkeypatch.setattr(cd, "restart_app", lambda: restarted.append(True))
    prompts.answer_confirm(False, True)
    assert cd.offer_restart(dlg) is False and restarted == []  # あとで
    assert cd.offer_restart(dlg) is True and restarted == [True]  # 再起動する
    assert "起動し直すと使われます" in prompts.texts("confirm")[0]


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
    from booking_app.ui.settings.settings_page import SettingsPage

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
