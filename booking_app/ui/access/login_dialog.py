"""Logging in (ログイン) and creating the first administrator (初回設定).

On PostgreSQL the login is the staff member's own database login: :class:`PgLoginDialog`
asks a ログイン名 and a password and calls ``services.db_login.sign_in``; the engine it returns,
connected as that login, is the app's engine for the session, and the server knows who is acting.
SQLite keeps :class:`LoginDialog` (choose your name, type your password).

Every change records who made it, so the desk app asks for a name and a password at start, when
staff switch, and to leave the lock screen. The service counts wrong passwords and locks an account
after too many; this dialog only shows the service's Japanese message under the password field, in
red, and clears the field for the next try.
"""

from __future__ import annotations

import logging
import weakref

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from booking_app.domain.errors import DomainError
from booking_app.domain.roles import role_label
from booking_app.services import auth
from booking_app.services.common import Actor
from booking_app.services.db_login import sign_in
from booking_app.services.unit_of_work import Engine, read_session, write_session
from booking_app.ui.dialog_keys import name_buddies

log = logging.getLogger(__name__)

LAST_STAFF_KEY = "login/last_staff_id"
LAST_DB_LOGIN_KEY = "login/last_db_login"
# Engines made by a database sign-in → the base URL (without user and password) they came from.
_SIGNED_IN: "weakref.WeakKeyDictionary[Engine, str]" = weakref.WeakKeyDictionary()
ERROR_STYLE = "QLabel { color: #c62828; }"
HINT_STYLE = "QLabel { color: #707070; }"


def _error_label(name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setStyleSheet(ERROR_STYLE)
    label.setWordWrap(True)
    label.setVisible(False)
    return label


def _show_error(label: QLabel, text: str) -> None:
    label.setText(text)
    label.setVisible(bool(text))


def last_staff_id() -> int | None:
    """The staff member who logged in last on this PC (QSettings), or None."""
    value = QSettings().value(LAST_STAFF_KEY)
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def password_field(name: str) -> QLineEdit:
    edit = QLineEdit()
    edit.setObjectName(name)
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    edit.setMinimumWidth(220)
    return edit


def _keys(dialog: QDialog, default: QPushButton) -> None:
    """Enter presses ``default`` wherever the focus is, also after Tab has passed over the buttons (made
    default again now that it is in the dialog: the flag alone was set while its box had no window), and the
    fields are named by their labels without the mnemonic (「パスワード」, not 「パスワード(P)」). Esc keeps
    closing these dialogs at once: a password is not input to keep."""
    default.setDefault(False)
    default.setDefault(True)
    name_buddies(dialog)


class LoginDialog(QDialog):
    """ログイン: choose your name, type your password."""

    def __init__(self, engine: Engine, *, current_id: int | None = None, demo: bool = False,
                 parent: QWidget | None = None, title: str | None = None):
        super().__init__(parent)
        self.engine = engine
        self.actor: Actor | None = None
        self.setWindowTitle(title or self.tr("ログイン"))
        self.setMinimumWidth(400)
        with read_session(engine) as session:
            self._names = auth.login_names(session)

        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("担当者を選び、パスワードを入力してください。")))
        self.list = QListWidget()
        self.list.setObjectName("staff_list")
        for staff_id, name, role in self._names:
            item = QListWidgetItem(f"{name}（{role_label(role)}）")
            item.setData(Qt.ItemDataRole.UserRole, staff_id)
            self.list.addItem(item)
        # A handful of names: the list shows them all without scrolling, up to a sensible height.
        row_h = max(self.list.sizeHintForRow(0), 22) if self._names else 22
        self.list.setFixedHeight(min(max(len(self._names), 3), 8) * row_h + 2 * self.list.frameWidth() + 6)
        self.list.setAccessibleName(self.tr("担当者"))
        self.list.setTabKeyNavigation(False)  # Tab goes on to パスワード; ↑↓ choose the name
        layout.addWidget(self.list)

        form = QFormLayout()
        self.password = password_field("password")
        form.addRow(self.tr("パスワード(&P)"), self.password)
        layout.addLayout(form)
        self.error_label = _error_label("login_error")
        layout.addWidget(self.error_label)
        self.demo_hint = QLabel(self.tr("デモ用パスワード：{pw}").format(pw=auth.DEMO_PASSWORD))
        self.demo_hint.setObjectName("demo_hint")
        self.demo_hint.setStyleSheet(HINT_STYLE)
        self.demo_hint.setVisible(demo)
        layout.addWidget(self.demo_hint)

        self.buttons = QDialogButtonBox()
        self.login_button = self.buttons.addButton(self.tr("ログイン"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.login_button.setObjectName("login_button")
        self.cancel_button = self.buttons.addButton(self.tr("キャンセル"), QDialogButtonBox.ButtonRole.RejectRole)
        self.login_button.setDefault(True)
        self.login_button.setAutoDefault(True)
        self.cancel_button.setAutoDefault(False)
        # accepted is not wired to accept(): the dialog closes only after a successful login.
        self.buttons.accepted.connect(self.try_login)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

        # Choosing a name moves straight on to the password.
        self.list.itemClicked.connect(lambda _i: self.password.setFocus())
        self.list.itemActivated.connect(lambda _i: self.password.setFocus())

        if not self._names:
            _show_error(self.error_label, self.tr(
                "ログインできる担当者がいません。システム管理者にパスワードの設定を依頼してください。"))
            self.login_button.setEnabled(False)
        preferred = current_id if current_id is not None else last_staff_id()
        ids = [sid for sid, _name, _role in self._names]
        row = ids.index(preferred) if preferred in ids else (0 if ids else -1)
        self.list.setCurrentRow(row)
        self.password.setFocus()
        _keys(self, self.login_button)

    def selected_id(self) -> int | None:
        item = self.list.currentItem()
        return None if item is None else int(item.data(Qt.ItemDataRole.UserRole))

    def try_login(self) -> bool:
        """Check the password with the service; accept on success, else show why."""
        staff_id = self.selected_id()
        if staff_id is None:
            _show_error(self.error_label, self.tr("担当者を選んでください。"))
            self.list.setFocus()
            return False
        password = self.password.text()
        if not password:
            _show_error(self.error_label, self.tr("パスワードを入力してください。"))
            self.password.setFocus()
            return False
        # The password hash costs ~0.6 s (scrypt at OWASP's cost, services/auth.py): say that it is working.
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            actor = auth.attempt_login(self.engine, staff_id, password)
        except DomainError as exc:
            _show_error(self.error_label, exc.message)
            self.password.clear()
            self.password.setFocus()
            return False
        finally:
            QApplication.restoreOverrideCursor()
        self.actor = actor
        QSettings().setValue(LAST_STAFF_KEY, actor.id)
        _show_error(self.error_label, "")
        self.accept()
        return True

    @classmethod
    def get(cls, parent: QWidget | None, engine: Engine, *, current_id: int | None = None,
            demo: bool = False) -> Actor | None:
        """Ask for a login; the Actor, or None when cancelled.

        On an engine made by a database sign-in (PostgreSQL) this is :class:`PgLoginDialog`: the
        person on duty signs in again (画面ロック, 担当者切替). The engine of the session stays the
        same, so only the login already signed in may unlock it; another person must restart the app
        (their own login needs its own connection).
        """
        base_url = _SIGNED_IN.get(engine)
        if base_url is not None:
            return PgLoginDialog.get_same_login(parent, engine, base_url)
        dialog = cls(engine, current_id=current_id, demo=demo, parent=parent)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return dialog.actor



def signed_in_base_url(engine: Engine) -> str | None:
    """The base URL of an engine made by :class:`PgLoginDialog`, or None."""
    return _SIGNED_IN.get(engine)


def remember_signed_in(engine: Engine, base_url: str) -> None:
    _SIGNED_IN[engine] = base_url


def switch_database_login(parent: QWidget | None, ctx) -> bool | None:
    """担当者の切り替え when the app runs on a staff member's own database login (PostgreSQL).

    None when ``ctx`` is not on such a login (the caller asks :class:`LoginDialog` as on SQLite). Else the next
    person signs in with their own login name and password; True when someone signed in (the context then
    acts through their connection, see ``AppContext.switch_login``), False when cancelled.
    """
    base_url = signed_in_base_url(ctx.engine)
    if base_url is None:
        return None
    dialog = PgLoginDialog(base_url, parent=parent, login="", db_label=getattr(ctx, "db_label", ""),
                           title=parent.tr("担当者の切り替え") if parent is not None else None)
    if dialog.exec() != QDialog.DialogCode.Accepted or dialog.engine is None:
        return False
    if dialog.actor.id == ctx.actor.id:
        dialog.engine.dispose()  # the same person again: keep the connection already open
        ctx.set_actor(dialog.actor)
    else:
        ctx.switch_login(dialog.engine, dialog.actor)
    return True


class PgLoginDialog(QDialog):
    """ログイン on PostgreSQL: the staff member's own database login (ログイン名 + パスワード).

    On success ``engine`` (connected as that login) and ``actor`` (the staff row mapped to it) are
    set. A failure shows ``DbLoginError``'s Japanese message under the fields and keeps what was typed.
    """

    def __init__(self, base_url: str, *, parent: QWidget | None = None, login: str | None = None,
                 db_label: str = "", title: str | None = None, fixed_login: bool = False):
        super().__init__(parent)
        self.setObjectName("pg_login_dialog")
        self.base_url = base_url
        self.engine: Engine | None = None
        self.actor: Actor | None = None
        self.setWindowTitle(title or self.tr("ログイン"))
        self.setMinimumWidth(440)
        layout = QVBoxLayout(self)
        intro = QLabel(self.tr("あなたのログイン名とパスワードを入力してください。"))
        intro.setObjectName("intro")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        if db_label:
            where = QLabel(self.tr("接続先：{where}").format(where=db_label))
            where.setTextFormat(Qt.TextFormat.PlainText)
            where.setObjectName("where")
            where.setStyleSheet(HINT_STYLE)
            where.setWordWrap(True)
            layout.addWidget(where)
        form = QFormLayout()
        self.login = QLineEdit(login if login is not None else str(QSettings().value(LAST_DB_LOGIN_KEY) or ""))
        self.login.setObjectName("db_login")
        self.login.setPlaceholderText(self.tr("例：yamada_h"))
        self.login.setMinimumWidth(220)
        self.login.setReadOnly(fixed_login)
        self.password = password_field("password")
        form.addRow(self.tr("ログイン名(&L)"), self.login)
        form.addRow(self.tr("パスワード(&P)"), self.password)
        layout.addLayout(form)
        self.error_label = _error_label("login_error")
        layout.addWidget(self.error_label)
        hint = QLabel(self.tr("ログイン名・パスワードを忘れたときは、システム管理者に再設定を依頼してください。"))
        hint.setObjectName("hint")
        hint.setStyleSheet(HINT_STYLE)
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self.buttons = QDialogButtonBox()
        self.login_button = self.buttons.addButton(self.tr("ログイン"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.login_button.setObjectName("login_button")
        self.login_button.setDefault(True)
        self.login_button.setAutoDefault(True)
        self.cancel_button = self.buttons.addButton(self.tr("キャンセル"), QDialogButtonBox.ButtonRole.RejectRole)
        self.cancel_button.setAutoDefault(False)
        self.buttons.accepted.connect(self.try_login)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        # Again now that the button is in the dialog: the dialog's own default, so that Enter signs in
        # even after a click on ログイン moved the focus away and back (a failed try).
        _keys(self, self.login_button)
        (self.password if self.login.text() else self.login).setFocus()

    def try_login(self) -> bool:
        login = self.login.text().strip()
        password = self.password.text()
        if not login:
            _show_error(self.error_label, self.tr("ログイン名を入力してください。"))
            self._refocus(self.login)
            return False
        if not password:
            _show_error(self.error_label, self.tr("パスワードを入力してください。"))
            self._refocus(self.password)
            return False
        _show_error(self.error_label, self.tr("接続しています…"))
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        QApplication.processEvents()  # show 接続しています… during the (at most a few s) connection
        try:
            engine, actor = sign_in(self.base_url, login, password)
        except DomainError as exc:
            # What was typed stays; the password is selected so that typing replaces it.
            _show_error(self.error_label, exc.message)
            self.password.selectAll()
            self._refocus(self.password)
            return False
        finally:
            QApplication.restoreOverrideCursor()
        remember_signed_in(engine, self.base_url)
        self.engine, self.actor = engine, actor
        QSettings().setValue(LAST_DB_LOGIN_KEY, login)
        QSettings().setValue(LAST_STAFF_KEY, actor.id)
        _show_error(self.error_label, "")
        self.accept()
        return True

    def _refocus(self, edit: QLineEdit) -> None:
        edit.setFocus()
        self.login_button.setDefault(True)  # a click on ログイン took the default away with the focus: Enter again

    @classmethod
    def get(cls, parent: QWidget | None, base_url: str, *, db_label: str = "") -> tuple[Engine, Actor] | None:
        """Sign in; (engine connected as the login, Actor), or None when cancelled."""
        dialog = cls(base_url, parent=parent, db_label=db_label)
        if dialog.exec() != QDialog.DialogCode.Accepted or dialog.engine is None:
            return None
        return dialog.engine, dialog.actor

    @classmethod
    def get_same_login(cls, parent: QWidget | None, engine: Engine, base_url: str) -> Actor | None:
        """Sign in again as the login of ``engine`` (画面ロック); the new connection is checked and closed."""
        login = engine.url.username or ""
        dialog = cls(base_url, parent=parent, login=login, fixed_login=bool(login))
        if dialog.exec() != QDialog.DialogCode.Accepted or dialog.engine is None:
            return None
        dialog.engine.dispose()
        return dialog.actor


class FirstAdminDialog(QDialog):
    """初回設定: the first システム管理者 account, made on the very first start."""

    def __init__(self, engine: Engine, parent: QWidget | None = None):
        super().__init__(parent)
        self.engine = engine
        self.actor: Actor | None = None
        self.setWindowTitle(self.tr("初回設定 — システム管理者の登録"))
        self.setMinimumWidth(540)
        layout = QVBoxLayout(self)
        intro = QLabel(self.tr("ふくふくデスクの初めての起動です。\n"
                               "職員アカウントを管理する「システム管理者」のアカウントを作成してください。"))
        intro.setObjectName("intro")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.name = QLineEdit()
        self.name.setObjectName("name")
        self.kana = QLineEdit()
        self.kana.setObjectName("kana")
        self.kana.setPlaceholderText(self.tr("任意"))
        self.password = password_field("password")
        self.password.setPlaceholderText(self.tr("{n}文字以上").format(n=auth.MIN_PASSWORD_LENGTH))
        self.password2 = password_field("password2")
        form.addRow(self.tr("名前(&N)"), self.name)
        form.addRow(self.tr("ふりがな(&F)"), self.kana)
        form.addRow(self.tr("パスワード(&P)"), self.password)
        form.addRow(self.tr("パスワード（確認）(&C)"), self.password2)
        layout.addLayout(form)
        self.error_label = _error_label("first_admin_error")
        layout.addWidget(self.error_label)
        self.buttons = QDialogButtonBox()
        self.ok_button = self.buttons.addButton(self.tr("作成して始める"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setObjectName("ok_button")
        self.ok_button.setDefault(True)
        cancel = self.buttons.addButton(self.tr("キャンセル"), QDialogButtonBox.ButtonRole.RejectRole)
        cancel.setAutoDefault(False)
        self.buttons.accepted.connect(self.try_create)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        _keys(self, self.ok_button)
        self.name.setFocus()

    def try_create(self) -> bool:
        name = self.name.text().strip()
        if not name:
            _show_error(self.error_label, self.tr("名前を入力してください。"))
            self.name.setFocus()
            return False
        try:
            auth.check_password_rules(self.password.text())
        except DomainError as exc:
            _show_error(self.error_label, exc.message)
            self.password.setFocus()
            return False
        if self.password.text() != self.password2.text():
            _show_error(self.error_label, self.tr("確認用のパスワードが一致しません。もう一度入力してください。"))
            self.password2.clear()
            self.password2.setFocus()
            return False
        try:
            with write_session(self.engine) as session:
                actor = auth.create_first_admin(session, name=name, password=self.password.text(),
                                                kana=self.kana.text().strip())
        except DomainError as exc:
            _show_error(self.error_label, exc.message)
            return False
        self.actor = actor
        QSettings().setValue(LAST_STAFF_KEY, actor.id)
        self.accept()
        return True

    @classmethod
    def get(cls, parent: QWidget | None, engine: Engine) -> Actor | None:
        dialog = cls(engine, parent)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return dialog.actor
