"""Where this terminal's data is (接続設定), and what to do when the server cannot be reached.

* :class:`ConnectionDialog`: 「このパソコンだけで使う（SQLite）」 with a file, or 「サーバーに接続
  （PostgreSQL）」 with host, port, database, 暗号化 (``sslmode``) and the centre's CA file; 「接続テスト」
  asks a login name and password (used for the test only, never stored), and says in Japanese whether
  the server answers, whether the link is encrypted (「暗号化：あり（TLSv1.3）」) and whether the
  database is ready for the app. 保存 writes the setting of this terminal
  (``booking_app.config.save_connection``: no user, no password); it takes effect at the next start.
* :class:`ServerUnavailableDialog`: shown at start instead of a technical error box when the
  database cannot be reached: 再試行 / 接続設定… / 終了.
* :func:`wait_for_database`: the start-up loop around both (used by ``app.run``).
"""

from __future__ import annotations

import logging
import sys
import unicodedata
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, QProcess, Qt
from PySide6.QtWidgets import (
    QApplication,
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from booking_app import config
from booking_app.services import connection
from booking_app.services.connection import (  # noqa: F401 - the names callers and tests import from here
    PG_NAME_BYTES,
    SSLMODE_CHOICES,
    TEST_TIMEOUT_S,
    ConnectionCheck,
    MigrationFailed,
    check_connection,
    encryption_of,
    encryption_text,
    explain_connect_error,
    is_unreachable,
    probe,
    server_field_problem,
    target_of,
    tls_problem,
    unreachable_causes,
)
from booking_app.ui import prompts
from booking_app.ui.dialog_keys import form_keys

log = logging.getLogger(__name__)

class TlsFields(QObject):
    """暗号化 (``sslmode``) and the centre's CA file, as the connection dialog and the first-start wizard both ask
    them: until staff choose a mode it follows the host (verify-full off this PC, prefer on it)."""

    def __init__(self, owner: QWidget, host_edit: QLineEdit, *, ca_placeholder: str):
        super().__init__(owner)
        self._owner = owner
        self.combo = QComboBox()
        self.combo.setObjectName("sslmode")
        for mode, label in SSLMODE_CHOICES:
            self.combo.addItem(f"{label}　{mode}", mode)
        self.touched = False  # staff chose a mode themselves: the host no longer decides it
        self.combo.activated.connect(self._chosen)
        host_edit.textChanged.connect(self._host_changed)
        self.ca_edit = QLineEdit()
        self.ca_edit.setObjectName("sslrootcert")
        self.ca_edit.setPlaceholderText(ca_placeholder)
        self.ca_edit.setAccessibleName("CAファイル")  # its form row holds the field and 参照…, not one buddy
        browse = QPushButton("参照…")
        browse.setObjectName("browse_ca")
        browse.setAccessibleName("CAファイルを参照…")
        browse.clicked.connect(self.browse_ca)
        self.ca_row = QHBoxLayout()
        self.ca_row.setContentsMargins(0, 0, 0, 0)
        self.ca_row.addWidget(self.ca_edit, 1)
        self.ca_row.addWidget(browse)

    def set_mode(self, mode: str) -> None:
        self.combo.setCurrentIndex(max(0, self.combo.findData(mode)))

    def mode(self) -> str:
        return str(self.combo.currentData())

    def ca_text(self) -> str:
        return self.ca_edit.text().strip()

    def ca_path(self) -> str | None:
        """The CA file as an absolute path for the URL, or None."""
        ca = self.ca_text()
        return str(Path(ca).expanduser().resolve()) if ca else None

    def _chosen(self, _index: int) -> None:
        self.touched = True

    def _host_changed(self, text: str) -> None:
        if not self.touched:
            self.set_mode(config.default_sslmode(text.strip()))

    def browse_ca(self) -> None:
        path = prompts.shared().ask_open_path(self._owner, "CAファイル（サーバー証明書の発行元）", self.ca_edit.text(),
                                              "証明書 (*.crt *.pem *.cer);;すべてのファイル (*)")
        if path:
            self.ca_edit.setText(str(path))


class ConnectionDialog(QDialog):
    """接続設定: SQLite file or PostgreSQL server of this terminal."""

    def __init__(self, current_url: str | None = None, parent: QWidget | None = None, *,
                 editable: bool = True):
        super().__init__(parent)
        self.setObjectName("connection_dialog")
        self.setWindowTitle("接続設定")
        self.url: str | None = None
        self.saved = False
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel("この端末が使うデータベースを選びます。設定はこのパソコンだけに保存されます。"))

        self.sqlite_radio = QRadioButton("このパソコンだけで使う（SQLite）")
        self.sqlite_radio.setObjectName("use_sqlite")
        self.pg_radio = QRadioButton("サーバーに接続（PostgreSQL）")
        self.pg_radio.setObjectName("use_postgresql")
        group = QButtonGroup(self)
        group.addButton(self.sqlite_radio)
        group.addButton(self.pg_radio)

        lay.addWidget(self.sqlite_radio)
        self.sqlite_box = QGroupBox()
        row = QHBoxLayout(self.sqlite_box)
        self.path_edit = QLineEdit(str(config.default_db_path()))
        self.path_edit.setObjectName("sqlite_path")
        browse = QPushButton("参照…")
        browse.setObjectName("browse")
        browse.clicked.connect(self._browse)
        file_label = QLabel("ファイル(&F)")
        file_label.setBuddy(self.path_edit)
        row.addWidget(file_label)
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        lay.addWidget(self.sqlite_box)

        lay.addWidget(self.pg_radio)
        self.pg_box = QGroupBox()
        form = QFormLayout(self.pg_box)
        self.host_edit = QLineEdit()
        self.host_edit.setObjectName("host")
        self.host_edit.setPlaceholderText("例：192.168.1.10 または server-pc")
        self.port_spin = QSpinBox()
        self.port_spin.setObjectName("port")
        self.port_spin.setRange(1, 65535)
        self.port_spin.setValue(config.DEFAULT_PG_PORT)
        self.db_edit = QLineEdit("fukufuku")
        self.db_edit.setObjectName("database")
        self.tls = TlsFields(self, self.host_edit,
                             ca_placeholder="IT担当者から受け取った ca.crt（検証付き暗号化のとき必要）")
        self.sslmode_combo, self.ca_edit, ca_row = self.tls.combo, self.tls.ca_edit, self.tls.ca_row
        form.addRow("ホスト名(&H)", self.host_edit)
        form.addRow("ポート番号(&O)", self.port_spin)
        form.addRow("データベース名(&D)", self.db_edit)
        form.addRow("暗号化(&E)", self.sslmode_combo)
        form.addRow("CAファイル", ca_row)
        lay.addWidget(self.pg_box)

        # 接続テスト on a server needs somebody's login; it is used for the test and never saved.
        self.test_box = QGroupBox("接続テスト用のログイン（保存しません）")
        self.test_box.setObjectName("test_login_box")
        test_form = QFormLayout(self.test_box)
        self.user_edit = QLineEdit()
        self.user_edit.setObjectName("user")
        self.user_edit.setPlaceholderText("あなたのログイン名")
        self.password_edit = QLineEdit()
        self.password_edit.setObjectName("password")
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        test_form.addRow("ログイン名(&L)", self.user_edit)
        test_form.addRow("パスワード(&P)", self.password_edit)
        lay.addWidget(self.test_box)

        test_row = QHBoxLayout()
        self.test_button = QPushButton("接続テスト")
        self.test_button.setObjectName("test_connection")
        self.test_button.clicked.connect(self.run_test)
        test_row.addWidget(self.test_button)
        test_row.addStretch(1)
        lay.addLayout(test_row)
        self.result_label = QLabel()
        self.result_label.setObjectName("test_result")
        self.result_label.setWordWrap(True)
        lay.addWidget(self.result_label)

        self.buttons = QDialogButtonBox()
        self.save_button = self.buttons.addButton("保存", QDialogButtonBox.ButtonRole.AcceptRole)
        self.save_button.setObjectName("save")
        self.buttons.addButton("キャンセル", QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)

        self.sqlite_radio.toggled.connect(self._update_enabled)
        self._load(current_url)
        self._update_enabled()
        if not editable:  # desk staff may look but not change where the data is
            for w in (self.sqlite_radio, self.pg_radio, self.sqlite_box, self.pg_box, self.save_button):
                w.setEnabled(False)
            self.result_label.setText("接続先の変更はシステム管理者のみ行えます。")
        self.setMinimumWidth(560)
        # Enter/Ctrl+S save, Esc asks before dropping a typed server (the fields as loaded are not 'typed').
        self.keys = form_keys(self, self.save_button, section="接続設定")

    def reject(self) -> None:
        if not self.keys.may_close(prompts.shared()):
            return
        super().reject()

    def _load(self, url: str | None) -> None:
        try:
            u = target_of(url) if url else None
        except ValueError:
            u = None
        if u is not None and u.backend == "postgresql":
            self.pg_radio.setChecked(True)
            self.host_edit.setText(u.host)
            self.port_spin.setValue(u.port or config.DEFAULT_PG_PORT)
            self.db_edit.setText(u.database)
            # A user in the URL (a --db URL) is offered for the test; a password never is.
            self.user_edit.setText(u.username)
            mode = u.sslmode
            self.set_sslmode(mode if mode in config.SSLMODES else config.default_sslmode(u.host))
            self.tls.touched = mode in config.SSLMODES
            self.ca_edit.setText(u.sslrootcert)
        else:
            self.sqlite_radio.setChecked(True)
            if u is not None and u.database and u.database != ":memory:":
                self.path_edit.setText(u.database)

    def _update_enabled(self) -> None:
        sqlite = self.sqlite_radio.isChecked()
        self.sqlite_box.setEnabled(sqlite)
        self.pg_box.setEnabled(not sqlite)
        self.test_box.setEnabled(not sqlite)
        self.result_label.clear()

    def set_sslmode(self, mode: str) -> None:
        self.tls.set_mode(mode)

    def sslmode(self) -> str:
        return self.tls.mode()

    def _browse(self) -> None:
        path, _f = QFileDialog.getSaveFileName(self, "データベースのファイル", self.path_edit.text(),
                                               "SQLite (*.sqlite3 *.db);;すべてのファイル (*)",
                                               options=QFileDialog.Option.DontConfirmOverwrite)
        if path:
            self.path_edit.setText(path)

    def current_url(self) -> str | None:
        """The URL the fields describe, or None (with the reason shown) when something is missing."""
        if self.sqlite_radio.isChecked():
            path = self.path_edit.text().strip()
            if not path:
                self.show_result(False, "ファイル名を入力してください。")
                return None
            return config.sqlite_url_for(Path(path).expanduser())
        host = self.host_edit.text().strip()
        if not host or not self.db_edit.text().strip():
            self.show_result(False, "ホスト名・データベース名を入力してください。")
            return None
        problem = server_field_problem(host, self.db_edit.text().strip(), "", "")
        if problem:
            self.show_result(False, problem)
            return None
        ca = self.ca_edit.text().strip()
        if ca and any(unicodedata.category(ch) == "Cc" for ch in ca):
            self.show_result(False, "CAファイルの名前に使えない文字（制御文字）が含まれています。［参照…］で選び直してください。")
            return None
        if ca and not Path(ca).expanduser().is_file():
            self.show_result(False, f"CAファイル「{ca}」が見つかりません。［参照…］で ca.crt を選んでください。")
            return None
        if self.sslmode() == "verify-full" and not ca:
            self.show_result(False, "「検証付き暗号化」にはCAファイルが必要です。［参照…］でIT担当者から受け取った "
                                    "ca.crt を選んでください。")
            return None
        return config.postgres_url(host, self.port_spin.value(), self.db_edit.text().strip(),
                                   sslmode=self.sslmode(), sslrootcert=self.tls.ca_path())

    def test_url(self) -> str | None:
        """The URL of the fields with the test login (for 接続テスト only; never saved)."""
        url = self.current_url()
        if url is None or url.startswith("sqlite"):
            return url
        user = self.user_edit.text().strip()
        if not user or not self.password_edit.text():
            self.show_result(False, "接続テストには「ログイン名」と「パスワード」を入力してください（保存はしません）。")
            (self.password_edit if user else self.user_edit).setFocus()
            return None
        problem = server_field_problem(self.host_edit.text().strip(), "", user, self.password_edit.text())
        if problem:
            self.show_result(False, problem.replace("ユーザー名", "ログイン名"))
            return None
        return config.with_credentials(url, user, self.password_edit.text())

    def show_result(self, ok: bool, message: str) -> None:
        self.result_label.setText(message)
        self.result_label.setStyleSheet("" if ok else "color: #b00020;")

    def run_test(self) -> ConnectionCheck | None:
        url = self.test_url()
        if url is None:
            return None
        self.result_label.setText("接続しています…")
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        QApplication.processEvents()  # show the "connecting" text during the (at most 5 s) wait
        try:
            result = check_connection(url)
        finally:
            QApplication.restoreOverrideCursor()
        self.show_result(result.ok, result.message)
        return result

    def save(self) -> None:
        url = self.current_url()
        if url is None:
            return
        try:
            config.save_connection(url)
        except OSError as exc:
            self.show_result(False, f"設定を保存できません（{exc}）。")
            return
        self.url, self.saved = url, True
        self.accept()

    @classmethod
    def edit(cls, parent: QWidget | None, current_url: str | None, *, editable: bool = True,
             ask_restart: bool = True) -> str | None:
        """Open the dialog; the saved URL, or None. With ask_restart, offer to restart the app."""
        dlg = cls(current_url, parent, editable=editable)
        if dlg.exec() != QDialog.DialogCode.Accepted or not dlg.saved:
            return None
        if ask_restart and config._normalise(dlg.url or "") != config._normalise(current_url or ""):
            offer_restart(parent)
        return dlg.url


class OwnerUpgradeDialog(QDialog):
    """データベースの更新: the schema owner's user and password, asked now and never stored, to run
    the migrations (``store.migrate.safe_upgrade``) when the schema is older than this app."""

    def __init__(self, db_url: str, db_label: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("owner_upgrade_dialog")
        self.setWindowTitle("データベースの更新")
        self.setMinimumWidth(520)
        self.db_url = db_url
        self.done_ok = False
        lay = QVBoxLayout(self)
        intro = QLabel("データベースがこのバージョンのふくふくデスクより古い形式です。"
                       "データベースの所有者（センターのIT担当者が作成したユーザー）として更新します。\n"
                       "所有者のパスワードは更新に使うだけで、保存しません。")
        intro.setObjectName("intro")
        intro.setWordWrap(True)
        lay.addWidget(intro)
        if db_label:
            where = QLabel(f"接続先：{db_label}")
            where.setTextFormat(Qt.TextFormat.PlainText)
            lay.addWidget(where)
        form = QFormLayout()
        self.owner_edit = QLineEdit(config.DEFAULT_OWNER)
        self.owner_edit.setObjectName("owner_user")
        self.owner_password = QLineEdit()
        self.owner_password.setObjectName("owner_password")
        self.owner_password.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("所有者のユーザー名", self.owner_edit)
        form.addRow("所有者のパスワード", self.owner_password)
        lay.addLayout(form)
        self.result_label = QLabel()
        self.result_label.setObjectName("upgrade_result")
        self.result_label.setWordWrap(True)
        lay.addWidget(self.result_label)
        self.buttons = QDialogButtonBox()
        self.ok_button = self.buttons.addButton("更新する", QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setObjectName("upgrade")
        self.buttons.addButton("キャンセル", QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.accepted.connect(self.try_upgrade)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        self.owner_password.setFocus()

    def try_upgrade(self) -> bool:
        user, password = self.owner_edit.text().strip(), self.owner_password.text()
        if not user or not password:
            self.result_label.setText("所有者のユーザー名とパスワードを入力してください。")
            self.result_label.setStyleSheet("color: #b00020;")
            return False
        self.result_label.setText("更新しています…")
        self.result_label.setStyleSheet("")
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        QApplication.processEvents()
        try:
            connection.upgrade_as_owner(self.db_url, user, password)
        except MigrationFailed as exc:
            self.result_label.setText(exc.message)
            self.result_label.setStyleSheet("color: #b00020;")
            return False
        except Exception as exc:  # noqa: BLE001 - every failure becomes a sentence; the input stays
            u = target_of(self.db_url)
            self.result_label.setText(explain_connect_error(getattr(exc, "orig", None) or exc, host=u.host,
                                                            port=u.port, database=u.database, user=user))
            self.result_label.setStyleSheet("color: #b00020;")
            self.owner_password.selectAll()
            self.owner_password.setFocus()
            return False
        finally:
            QApplication.restoreOverrideCursor()
        self.done_ok = True
        self.accept()
        return True

    @classmethod
    def run(cls, parent: QWidget | None, db_url: str, db_label: str = "") -> bool:
        dlg = cls(db_url, db_label, parent)
        return dlg.exec() == QDialog.DialogCode.Accepted and dlg.done_ok


def offer_restart(parent: QWidget | None) -> bool:
    """「再起動しますか」: the new connection is used from the next start. True when restarting."""
    if not prompts.shared().confirm(parent, "接続設定",
                                    "接続先を保存しました。新しい接続先は、ふくふくデスクを起動し直すと使われます。\n"
                                    "今すぐ再起動しますか？（入力中の画面があれば先に保存してください）",
                                    yes="再起動する", no="あとで"):
        return False
    restart_app()
    return True


def restart_app() -> None:
    """Start a new copy of the app (same arguments) and quit this one."""
    frozen = getattr(sys, "frozen", False)
    args = sys.argv[1:] if frozen else ["-m", "booking_app", *sys.argv[1:]]
    QProcess.startDetached(sys.executable, args)
    QCoreApplication.quit()


class ServerUnavailableDialog(QDialog):
    """サーバーに接続できません: the reason in plain words, with 再試行 / 接続設定… / 終了."""

    RETRY, SETTINGS, QUIT = "retry", "settings", "quit"

    def __init__(self, url: str, label: str, exc: BaseException | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("server_unavailable")
        self.setWindowTitle("ふくふくデスク")
        self.choice = self.QUIT
        sqlite = config._normalise(url).startswith("sqlite")
        lay = QVBoxLayout(self)
        title = QLabel("データベースのファイルを開けません" if sqlite else "サーバーに接続できません")
        title.setObjectName("title")
        f = title.font()
        f.setPointSizeF(f.pointSizeF() * 1.4)
        f.setBold(True)
        title.setFont(f)
        lay.addWidget(title)
        where = QLabel(f"接続先：{label}")
        where.setTextFormat(Qt.TextFormat.PlainText)
        where.setObjectName("where")
        lay.addWidget(where)
        causes = QLabel("考えられる原因：\n" + "\n".join(f"・{c}" for c in unreachable_causes(url)))
        causes.setObjectName("causes")
        causes.setWordWrap(True)
        lay.addWidget(causes)
        if exc is not None and not sqlite:
            u = target_of(url)
            self.reason = explain_connect_error(exc, host=u.host, port=u.port, database=u.database, user=u.username)
        else:
            self.reason = str(exc or "")
        detail = QLabel(self.reason)
        detail.setObjectName("reason")
        detail.setWordWrap(True)
        detail.setStyleSheet("color: #555;")
        lay.addWidget(detail)
        lay.addWidget(QLabel("サーバーが戻ったら［再試行］を押してください。"))
        row = QHBoxLayout()
        row.addStretch(1)
        for text, name, choice in (("再試行", "retry", self.RETRY), ("接続設定…", "settings", self.SETTINGS),
                                   ("終了", "quit", self.QUIT)):
            b = QPushButton(text)
            b.setObjectName(name)
            b.clicked.connect(lambda _c=False, choice=choice: self._choose(choice))
            row.addWidget(b)
            if choice == self.RETRY:
                b.setDefault(True)
        lay.addLayout(row)

    def _choose(self, choice: str) -> None:
        self.choice = choice
        (self.reject if choice == self.QUIT else self.accept)()


def wait_for_database(db_url: str, db_label: str, parent: QWidget | None = None) -> tuple[str, str] | None:
    """At start: while the database cannot be reached, show :class:`ServerUnavailableDialog`.

    Returns (url, label) to go on with (the connection may have been changed meanwhile with
    接続設定…) or None when staff chose 終了. Errors other than "cannot reach" are left to the
    caller's migration step, which reports them.
    """
    while True:
        try:
            probe(db_url)
            return db_url, db_label
        except Exception as exc:  # noqa: BLE001 - classified below
            if not is_unreachable(exc):
                return db_url, db_label
            log.warning("database %s unreachable: %s", db_label, exc)
            dlg = ServerUnavailableDialog(db_url, db_label, getattr(exc, "orig", None) or exc, parent)
            dlg.exec()
            if dlg.choice == ServerUnavailableDialog.QUIT:
                return None
            if dlg.choice == ServerUnavailableDialog.SETTINGS:
                new = ConnectionDialog.edit(parent, db_url, ask_restart=False)
                if new:
                    db_url, db_label = new, config.db_label(new)


__all__ = ["ConnectionDialog", "ServerUnavailableDialog", "OwnerUpgradeDialog", "wait_for_database", "offer_restart",
           "restart_app",
           # re-exported from services.connection for older callers and tests
           "ConnectionCheck", "explain_connect_error", "check_connection", "PG_NAME_BYTES", "TEST_TIMEOUT_S",
           "encryption_of", "encryption_text", "tls_problem", "SSLMODE_CHOICES", "is_unreachable", "probe",
           "server_field_problem", "unreachable_causes", "MigrationFailed", "target_of"]
