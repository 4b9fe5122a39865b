"""Logging in (ログイン) and creating the first administrator (初回設定).

Every change records who made it, so the desk app asks for a name and a password at start, when
staff switch, and to leave the lock screen. The service counts wrong passwords and locks an account
after too many; this dialog only shows the service's Japanese message under the password field, in
red, and clears the field for the next try.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import Engine

from booking_app.domain.errors import DomainError
from booking_app.domain.roles import role_label
from booking_app.services import auth
from booking_app.services.common import Actor
from booking_app.store.engine import read_session, write_session

LAST_STAFF_KEY = "login/last_staff_id"
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
        layout.addWidget(self.list)

        form = QFormLayout()
        self.password = password_field("password")
        form.addRow(self.tr("パスワード"), self.password)
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
        try:
            actor = auth.attempt_login(self.engine, staff_id, password)
        except DomainError as exc:
            _show_error(self.error_label, exc.message)
            self.password.clear()
            self.password.setFocus()
            return False
        self.actor = actor
        QSettings().setValue(LAST_STAFF_KEY, actor.id)
        _show_error(self.error_label, "")
        self.accept()
        return True

    @classmethod
    def get(cls, parent: QWidget | None, engine: Engine, *, current_id: int | None = None,
            demo: bool = False) -> Actor | None:
        """Ask for a login; the Actor, or None when cancelled."""
        dialog = cls(engine, current_id=current_id, demo=demo, parent=parent)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
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
        form.addRow(self.tr("名前"), self.name)
        form.addRow(self.tr("ふりがな"), self.kana)
        form.addRow(self.tr("パスワード"), self.password)
        form.addRow(self.tr("パスワード（確認）"), self.password2)
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
