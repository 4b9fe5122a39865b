"""Staff accounts (職員アカウント): who may log in, with which role, and their passwords.

Everyone sees the list (who is locked out, who last logged in); only a システム管理者 may add, edit,
reset a password or unlock, and the service refuses the others anyway, so the disabled buttons are a
courtesy, not the guard. :class:`ChangePasswordDialog` is for the staff member on duty, any role
(ファイル→パスワード変更).

On PostgreSQL each staff member signs in with their own database login: adding an account
also asks its ログイン名 and first password (``services.db_login.create_staff_login``, in the same
transaction as the staff row), パスワード再設定 also sets the login's password
(``services.db_login.reset_staff_password``, one transaction), ログイン作成 gives an existing account a login, and the list
shows the login names. On SQLite nothing changes.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from booking_app import clock
from booking_app.domain import japanese_calendar as jcal
from booking_app.domain.errors import DomainError
from booking_app.domain.roles import ROLE_LABELS, role_label
from booking_app.services import auth
from booking_app.services.db_login import check_login_name, create_staff_login, reset_staff_password
from booking_app.services.lookups import staff_db_logins
from booking_app.ui import keyboard
from booking_app.ui.context import AppContext
from booking_app.ui.dialog_keys import FormKeys, form_keys
from booking_app.ui.prompts import shared as shared_prompts
from booking_app.ui.access.login_dialog import ERROR_STYLE, password_field
from booking_app.ui.table_model import RowsTableModel
from booking_app.ui.widgets import action_button, list_table
from booking_app.ui.plain_text import plain_label

ADMIN_ONLY_NOTE = "職員アカウントの追加・変更はシステム管理者のみ行えます。"
STAFF_CHANGES = frozenset({"staff"})


def status_text(info, now: datetime) -> str:
    """有効／無効／ロック中（HH:MMまで）／パスワード未設定."""
    if not info.active:
        return "無効"
    if info.locked_until is not None and info.locked_until > now:
        return f"ロック中（{info.locked_until:%H:%M}まで）"
    if not info.has_password:
        return "パスワード未設定"
    return "有効"


class AccountsModel(RowsTableModel):
    HEADERS = ("名前", "ふりがな", "権限", "状態", "最終ログイン")
    PG_HEADERS = ("名前", "ふりがな", "権限", "状態", "最終ログイン", "ログイン名")

    def __init__(self, parent=None, *, postgres: bool = False):
        super().__init__(parent)
        self.postgres = postgres
        if postgres:
            self.HEADERS = self.PG_HEADERS
        self.logins: dict[int, str | None] = {}

    def cell(self, item, col: int):
        if col == 0:
            return item.name
        if col == 1:
            return item.kana
        if col == 2:
            return role_label(item.role)
        if col == 3:
            return status_text(item, clock.now())
        if col == 4:
            at = item.last_login_at
            return f"{jcal.format_slash(at.date())} {at:%H:%M}" if at else "—"
        if col == 5:
            return self.logins.get(item.id) or "（なし）"
        return None

    def foreground(self, item, col: int):
        if col != 3:
            return None
        text = status_text(item, clock.now())
        if text.startswith("ロック中"):
            return QColor("#c62828")
        if text != "有効":
            return QColor("#707070")
        return None


class _FormDialog(QDialog):
    """A small form with an inline red message and OK/キャンセル; ``check()`` says what is wrong."""

    def __init__(self, title: str, ok_text: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(420)
        self.layout_ = QVBoxLayout(self)
        self.form = QFormLayout()
        self.layout_.addLayout(self.form)
        self.error_label = plain_label()
        self.error_label.setObjectName("form_error")
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.setWordWrap(True)
        self.error_label.setVisible(False)
        self.layout_.addWidget(self.error_label)
        self.buttons = QDialogButtonBox()
        self.ok_button = self.buttons.addButton(ok_text, QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setObjectName("ok_button")
        self.ok_button.setDefault(True)
        cancel = self.buttons.addButton(self.tr("キャンセル"), QDialogButtonBox.ButtonRole.RejectRole)
        cancel.setAutoDefault(False)
        self.buttons.accepted.connect(self._ok)
        self.buttons.rejected.connect(self.reject)
        self.layout_.addWidget(self.buttons)
        self.keys: FormKeys | None = None  # set up when first shown, once the subclass has added its fields

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self.keys is not None:
            return
        # The buttons were made before the fields: Tab goes through the fields first, then the buttons,
        # and the first field has the focus (not 「追加」, which Enter would press on an empty form).
        fields = [self.form.itemAt(r, QFormLayout.ItemRole.FieldRole).widget() for r in range(self.form.rowCount())
                  if self.form.itemAt(r, QFormLayout.ItemRole.FieldRole) is not None]
        fields = [w for w in fields if w is not None and w.focusPolicy() & Qt.FocusPolicy.TabFocus]
        chain = [*fields, *self.buttons.buttons()]
        for a, b in zip(chain, chain[1:]):
            QWidget.setTabOrder(a, b)
        if fields:
            fields[0].setFocus(Qt.FocusReason.OtherFocusReason)
        self.keys = form_keys(self, self.ok_button, section=self.windowTitle())

    def reject(self) -> None:
        if self.keys is not None and not self.keys.may_close(shared_prompts()):
            return
        super().reject()

    def show_message(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))

    def check(self) -> str | None:
        return None

    def _ok(self) -> None:
        problem = self.check()
        if problem:
            self.show_message(problem)
            return
        self.accept()


def _password_problem(pw: str, again: str) -> str | None:
    try:
        auth.check_password_rules(pw)
    except DomainError as exc:
        return exc.message
    if pw != again:
        return "確認用のパスワードが一致しません。もう一度入力してください。"
    return None


class AccountDialog(_FormDialog):
    """職員アカウントの追加／編集: name, kana, role; a password when adding (and, on PostgreSQL, the
    database ログイン名 it signs in with); 有効 when editing."""

    def __init__(self, parent: QWidget | None = None, info=None, *, postgres: bool = False):
        adding = info is None
        super().__init__("職員アカウントの追加" if adding else "職員アカウントの編集",
                         "追加" if adding else "保存", parent)
        self.name = QLineEdit(info.name if info else "")
        self.name.setObjectName("name")
        self.kana = QLineEdit(info.kana if info else "")
        self.kana.setObjectName("kana")
        self.role = QComboBox()
        self.role.setObjectName("role")
        for key, label in ROLE_LABELS.items():
            self.role.addItem(label, key)
        self.role.setCurrentIndex(max(0, self.role.findData(info.role if info else "desk")))
        self.form.addRow("名前(&N)", self.name)
        self.form.addRow("ふりがな(&F)", self.kana)
        self.form.addRow("権限(&R)", self.role)
        self.password = self.password2 = None
        self.active = None
        self.login = None
        if adding and postgres:
            self.login = QLineEdit()
            self.login.setObjectName("db_login")
            self.login.setPlaceholderText("例：yamada_h（半角英小文字・数字・_）")
            self.form.addRow("ログイン名(&L)", self.login)
        if adding:
            self.password = password_field("password")
            self.password.setPlaceholderText(f"{auth.MIN_PASSWORD_LENGTH}文字以上")
            self.password2 = password_field("password2")
            self.form.addRow("パスワード(&P)", self.password)
            self.form.addRow("パスワード（確認）(&C)", self.password2)
        else:
            self.active = QCheckBox("有効（ログインできる）")
            self.active.setObjectName("active")
            self.active.setChecked(info.active)
            self.form.addRow("状態(&A)", self.active)

    def check(self) -> str | None:
        if not self.name.text().strip():
            return "名前を入力してください。"
        if self.login is not None:
            problem = _login_problem(self.login.text())
            if problem:
                return problem
        if self.password is not None:
            return _password_problem(self.password.text(), self.password2.text())
        return None

    def values(self) -> dict:
        v = {"name": self.name.text().strip(), "kana": self.kana.text().strip(),
             "role": self.role.currentData()}
        if self.login is not None:
            v["db_login"] = self.login.text().strip()
        if self.password is not None:
            v["password"] = self.password.text()
        if self.active is not None:
            v["active"] = self.active.isChecked()
        return v


def _login_problem(text: str) -> str | None:
    try:
        check_login_name(text)
    except DomainError as exc:
        return exc.message
    return None


class CreateLoginDialog(_FormDialog):
    """ログイン作成 (PostgreSQL): a database login and its first password for an existing account."""

    def __init__(self, name: str, parent: QWidget | None = None):
        super().__init__("データベースのログイン作成", "作成", parent)
        note = plain_label(f"{name} さんがサーバーにログインするためのログイン名と最初のパスワードです。")
        note.setWordWrap(True)
        self.layout_.insertWidget(0, note)
        self.login = QLineEdit()
        self.login.setObjectName("db_login")
        self.login.setPlaceholderText("例：yamada_h（半角英小文字・数字・_）")
        self.password = password_field("password")
        self.password.setPlaceholderText(f"{auth.MIN_PASSWORD_LENGTH}文字以上")
        self.password2 = password_field("password2")
        self.form.addRow("ログイン名(&L)", self.login)
        self.form.addRow("パスワード(&P)", self.password)
        self.form.addRow("パスワード（確認）(&C)", self.password2)

    def check(self) -> str | None:
        return _login_problem(self.login.text()) or _password_problem(self.password.text(), self.password2.text())


class ResetPasswordDialog(_FormDialog):
    """パスワード再設定: a new password typed twice (also lifts a lock)."""

    def __init__(self, name: str, parent: QWidget | None = None):
        super().__init__("パスワード再設定", "再設定", parent)
        note = plain_label(f"{name} さんの新しいパスワードを入力してください。\nロック中の場合は解除されます。")
        self.layout_.insertWidget(0, note)
        self.password = password_field("password")
        self.password.setPlaceholderText(f"{auth.MIN_PASSWORD_LENGTH}文字以上")
        self.password2 = password_field("password2")
        self.form.addRow("新しいパスワード(&N)", self.password)
        self.form.addRow("新しいパスワード（確認）(&C)", self.password2)

    def check(self) -> str | None:
        return _password_problem(self.password.text(), self.password2.text())


class ChangePasswordDialog(_FormDialog):
    """パスワード変更 for the staff member on duty (any role)."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__("パスワード変更", "変更", parent)
        self.ctx = ctx
        self.layout_.insertWidget(0, plain_label(f"{ctx.actor.name} さんのパスワードを変更します。"))
        self.old = password_field("old_password")
        self.password = password_field("password")
        self.password.setPlaceholderText(f"{auth.MIN_PASSWORD_LENGTH}文字以上")
        self.password2 = password_field("password2")
        self.form.addRow("現在のパスワード(&O)", self.old)
        self.form.addRow("新しいパスワード(&N)", self.password)
        self.form.addRow("新しいパスワード（確認）(&C)", self.password2)

    def check(self) -> str | None:
        if not self.old.text():
            return "現在のパスワードを入力してください。"
        problem = _password_problem(self.password.text(), self.password2.text())
        if problem:
            return problem
        old, new = self.old.text(), self.password.text()
        try:
            self.ctx.write(lambda s, a: auth.change_own_password(s, a, old, new), changes=STAFF_CHANGES)
        except DomainError as exc:
            self.old.clear()
            self.old.setFocus()
            return exc.message
        return None

    @classmethod
    def run(cls, parent: QWidget | None, ctx: AppContext) -> bool:
        dialog = cls(ctx, parent)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False
        ctx.prompts.info(parent, "パスワード変更", "パスワードを変更しました。")
        return True


class AccountsPage(QWidget):
    """職員アカウント: the list of staff accounts and, for a システム管理者, their upkeep."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("accounts_page")
        self.ctx = ctx
        self.postgres = ctx.engine.dialect.name == "postgresql"
        lay = QVBoxLayout(self)
        self.note = QLabel(ADMIN_ONLY_NOTE)
        self.note.setObjectName("admin_only_note")
        self.note.setStyleSheet("color: #8a5a00; background: #fff3c4; padding: 4px;")
        lay.addWidget(self.note)
        self.model = AccountsModel(self, postgres=self.postgres)
        self.table = list_table("accounts_table")
        self.table.setModel(self.model)
        self.table.setAccessibleName("職員アカウントの一覧")
        keyboard.tab_leaves(self.table)  # Tab goes on to 追加・編集…
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        # Wide enough for long names and 「ロック中（10:45まで）」 before any row exists.
        for col, width in enumerate((200, 200, 120, 200)):
            self.table.setColumnWidth(col, width)
        lay.addWidget(self.table, 1)
        row = QHBoxLayout()
        self.add_button = action_button("追加", "account_add", self.add_account)
        self.edit_button = action_button("編集", "account_edit", self.edit_account)
        self.reset_button = action_button("パスワード再設定", "account_reset", self.reset_password)
        self.unlock_button = action_button("ロック解除", "account_unlock", self.unlock_account)
        self.login_button = action_button("ログイン作成", "account_create_login", self.create_login)
        self.login_button.setVisible(self.postgres)
        for b in (self.add_button, self.edit_button, self.reset_button, self.unlock_button, self.login_button):
            row.addWidget(b)
        # QA: after パスワード再設定 nothing on screen changed; the admin could not tell it was done.
        self.message_label = plain_label()
        self.message_label.setObjectName("accounts_message")
        self.message_label.setStyleSheet("color: #2e7d32;")
        row.addWidget(self.message_label)
        row.addStretch(1)
        lay.addLayout(row)
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._update_buttons())
        self.table.doubleClicked.connect(self._double_clicked)
        # Enter on a row opens it (編集), as a double click does.
        keyboard.shortcut_action(self.table, "アカウントを開く（編集）", ("Return", "Enter"),
                                 lambda: self._double_clicked(None), section="職員アカウント",
                                 name="open_account_key", context=Qt.ShortcutContext.WidgetShortcut)
        ctx.actor_changed.connect(lambda _a: self._update_buttons())
        ctx.changed.connect(self._on_changed)
        self.refresh()

    def _double_clicked(self, _index) -> None:
        if self.edit_button.isEnabled():
            self.edit_account()

    def _on_changed(self, what) -> None:
        if "staff" in what:
            self.refresh()

    def showEvent(self, event) -> None:
        # Locks run out and other terminals log in: the list is read again whenever it comes into view.
        super().showEvent(event)
        self.refresh()

    def refresh(self) -> None:
        selected = self.selected()
        if self.postgres:
            self.model.logins = self.ctx.read(staff_db_logins)
        self.model.set_rows(self.ctx.read(auth.list_accounts))
        if selected is not None:
            self.select_id(selected.id)
        self._update_buttons()

    def selected(self):
        rows = self.table.selectionModel().selectedRows()
        return self.model.row(rows[0].row()) if rows else None

    def select_id(self, staff_id: int) -> bool:
        for r in range(self.model.rowCount()):
            if self.model.row(r).id == staff_id:
                self.table.selectRow(r)
                return True
        return False

    def _update_buttons(self) -> None:
        admin = self.ctx.actor.is_admin
        chosen = self.selected() is not None
        self.note.setVisible(not admin)
        self.add_button.setEnabled(admin)
        for b in (self.edit_button, self.reset_button, self.unlock_button):
            b.setEnabled(admin and chosen)
        info = self.selected()
        self.login_button.setEnabled(admin and info is not None and not self.model.logins.get(info.id))

    def _write(self, fn) -> bool:
        try:
            self.ctx.write(fn, changes=STAFF_CHANGES)
        except DomainError as exc:
            self.ctx.prompts.show_error(self, exc)
            return False
        return True

    # ----- actions (each dialog is made by a factory method, so tests can answer it)
    def make_account_dialog(self, info=None) -> AccountDialog:
        return AccountDialog(self, info, postgres=self.postgres)

    def make_login_dialog(self, name: str) -> CreateLoginDialog:
        return CreateLoginDialog(name, self)

    def make_reset_dialog(self, name: str) -> ResetPasswordDialog:
        return ResetPasswordDialog(name, self)

    def add_account(self) -> bool:
        dialog = self.make_account_dialog()
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False
        v = dialog.values()
        new_id: list[int] = []

        def create(s, a) -> None:
            staff_id = auth.create_account(s, a, name=v["name"], kana=v["kana"], role=v["role"],
                                           password=v["password"])
            if "db_login" in v:  # the same transaction: no account without its login, nor the reverse
                create_staff_login(s, a, staff_id, v["db_login"], v["password"])
            new_id.append(staff_id)

        ok = self._write(create)
        if ok and new_id:
            self.select_id(new_id[0])
            self.message_label.setText(f"{v['name']} さんのアカウントを追加しました。")
        return ok

    def edit_account(self) -> bool:
        info = self.selected()
        if info is None:
            return False
        dialog = self.make_account_dialog(info)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False
        v = dialog.values()
        return self._write(lambda s, a: auth.update_account(
            s, a, info.id, name=v["name"], kana=v["kana"], role=v["role"], active=v["active"]))

    def reset_password(self) -> bool:
        info = self.selected()
        if info is None:
            return False
        dialog = self.make_reset_dialog(info.name)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False
        pw = dialog.password.text()
        # also the password the server checks at sign-in, for someone with their own login (PostgreSQL)
        ok = self._write(lambda s, a: reset_staff_password(s, a, info.id, pw))
        if ok:
            self.message_label.setText(f"{info.name} さんのパスワードを再設定しました。")
        return ok

    def create_login(self) -> bool:
        info = self.selected()
        if info is None:
            return False
        dialog = self.make_login_dialog(info.name)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False
        login, pw = dialog.login.text().strip(), dialog.password.text()
        ok = self._write(lambda s, a: create_staff_login(s, a, info.id, login, pw))
        if ok:
            self.refresh()
            self.message_label.setText(f"{info.name} さんのログイン「{login}」を作成しました。")
        return ok

    def unlock_account(self) -> bool:
        info = self.selected()
        if info is None:
            return False
        ok = self._write(lambda s, a: auth.unlock(s, a, info.id))
        if ok:
            self.message_label.setText(f"{info.name} さんのロックを解除しました。")
        return ok
