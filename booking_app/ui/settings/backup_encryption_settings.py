"""バックアップの暗号化: set or change the passphrase that opens the encrypted backups (システム管理).

The widget shows whether the encryption is set up (when, by whom), and takes a new passphrase twice. Nothing
here ever shows or keeps the passphrase: store/backup_crypto seals a new key with it and forgets both. Messages
are shown in the widget itself (no modal box): the passphrase's rules, the success, and what a change means for
the backups already made (they keep opening with the passphrase of their day).
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFormLayout, QLineEdit, QPushButton, QVBoxLayout, QWidget

from booking_app.domain.errors import DomainError
from booking_app.services import backup_encryption
from booking_app.ui.context import AppContext
from booking_app.ui.plain_text import plain_label

KEEPING = ("パスフレーズは紙に書いてセンターの金庫に保管し、2人以上が知っているようにしてください。"
           "パソコンの中やバックアップと同じ場所には保存しないでください。"
           "パスフレーズを失うと、暗号化されたバックアップは誰にも（開発元にも）開けません。")
CHANGING = ("パスフレーズを変更すると新しい鍵が作られ、これからのバックアップは新しいパスフレーズで開きます。"
            "変更前に作ったバックアップは、変更前のパスフレーズでしか開けません（古いパスフレーズも保管を続けてください）。")


def _when(text: str) -> str:
    try:
        return datetime.fromisoformat(text).strftime("%Y年%m月%d日 %H:%M")
    except (TypeError, ValueError):
        return text or "日時不明"


class BackupEncryptionSettings(QWidget):
    """State (未設定 / 設定済み（日時・担当者）) and the form to set or change the passphrase (システム管理)."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.state = plain_label()
        self.state.setObjectName("backup_encryption_state")
        self.state.setWordWrap(True)
        self.passphrase = QLineEdit()
        self.passphrase.setObjectName("backup_passphrase")
        self.again = QLineEdit()
        self.again.setObjectName("backup_passphrase_again")
        for edit in (self.passphrase, self.again):
            edit.setEchoMode(QLineEdit.EchoMode.Password)
            edit.setPlaceholderText(f"{backup_encryption.MIN_PASSPHRASE}文字以上")
        self.save_button = QPushButton()
        self.save_button.setObjectName("backup_encryption_save")
        self.message = plain_label()
        self.message.setObjectName("backup_encryption_message")
        self.message.setWordWrap(True)
        self.keeping = plain_label(KEEPING)
        self.keeping.setWordWrap(True)
        self.changing = plain_label(CHANGING)
        self.changing.setWordWrap(True)
        self.role_note = plain_label()
        form = QFormLayout()
        form.addRow("新しいパスフレーズ(&N)", self.passphrase)
        form.addRow("パスフレーズ（確認）(&K)", self.again)
        layout = QVBoxLayout(self)
        layout.addWidget(self.state)
        layout.addLayout(form)
        layout.addWidget(self.save_button)
        layout.addWidget(self.message)
        layout.addWidget(self.keeping)
        layout.addWidget(self.changing)
        layout.addWidget(self.role_note)
        layout.addStretch(1)
        self.save_button.clicked.connect(self.save)
        self.again.returnPressed.connect(self.save)
        ctx.actor_changed.connect(lambda _a: self.load())
        self.load()

    def load(self) -> None:
        setting = self.ctx.read(backup_encryption.get_encryption)
        if setting is None:
            self.state.setText("状態：未設定（バックアップは暗号化されていません）。"
                               "パスフレーズを設定すると、これからの自動バックアップと「backup」コマンドの"
                               "バックアップが暗号化されます。")
            self.save_button.setText("暗号化を設定")
        else:
            self.state.setText(f"状態：設定済み（{_when(setting.created_at)}、{setting.created_by or '担当者不明'}）。"
                               "バックアップは暗号化されます。")
            self.save_button.setText("パスフレーズを変更")
        self.changing.setVisible(setting is not None)
        admin = self.ctx.actor.is_admin
        for w in (self.passphrase, self.again, self.save_button):
            w.setEnabled(admin)
        self.role_note.setText("" if admin else "設定・変更はシステム管理者のみ行えます。")

    def save(self) -> bool:
        passphrase, again = self.passphrase.text(), self.again.text()
        changing = self.ctx.read(backup_encryption.get_encryption) is not None
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)  # sealing the key takes about a second
        try:
            self.ctx.write(lambda s, a: backup_encryption.set_up_encryption(s, a, passphrase, again),
                           changes={"settings"})
        except DomainError as exc:
            self.message.setStyleSheet("color: #c62828;")  # an error, in the theme's red (theme.HOLIDAY)
            self.message.setText(exc.message)
            target = self.again if getattr(exc, "field", None) == "passphrase_again" else self.passphrase
            target.setFocus()
            return False
        finally:
            QApplication.restoreOverrideCursor()
        self.passphrase.clear()
        self.again.clear()
        self.message.setStyleSheet("")
        self.message.setText("パスフレーズを変更しました。これからのバックアップは新しいパスフレーズで開きます。"
                             "変更前のバックアップには変更前のパスフレーズが必要です。" if changing else
                             "バックアップの暗号化を設定しました。パスフレーズを紙に書いて金庫に保管してください。")
        self.load()
        return True
