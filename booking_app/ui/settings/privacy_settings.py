"""個人情報の保存期間: retention of personal data and of automatic backups, in the settings screen.

The lead mounts :class:`PrivacySettingsWidget` on the settings page; services/privacy.py stores the values
(centre_settings 'privacy'), and store/backup.py prunes automatic backups after ``backup_retention_days``.
"""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QPushButton, QSpinBox, QVBoxLayout, QWidget

from booking_app.domain.errors import DomainError
from booking_app.services import privacy
from booking_app.ui.context import AppContext
from booking_app.ui.plain_text import plain_label


class PrivacySettingsWidget(QWidget):
    """保存期間（年）and 自動バックアップの保存日数, saved by a manager; a desk sees them read-only."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("privacy_settings")
        self.ctx = ctx
        self.years = QSpinBox()
        self.years.setObjectName("retention_years")
        self.years.setRange(*privacy.RETENTION_YEARS_RANGE)
        self.years.setSuffix(" 年")
        self.days = QSpinBox()
        self.days.setObjectName("backup_retention_days")
        self.days.setRange(*privacy.BACKUP_DAYS_RANGE)
        self.days.setSuffix(" 日")
        self.save_button = QPushButton("保存期間を保存")
        self.save_button.setObjectName("save_privacy")
        self.note = plain_label()
        self.note.setWordWrap(True)
        help_text = plain_label(
            "個人情報の保存期間：団体の抹消、または最後の利用（予約・窓口確認・保険）からこの年数を過ぎると、"
            "「保存期間を過ぎた団体」に表示され、匿名化の対象になります。\n"
            "自動バックアップの保存日数：これより古い自動バックアップは削除されます（手動のバックアップは残ります）。")
        help_text.setWordWrap(True)
        form = QFormLayout()
        form.addRow("個人情報の保存期間(&P)", self.years)
        form.addRow("自動バックアップの保存日数(&D)", self.days)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(help_text)
        layout.addWidget(self.save_button)
        layout.addWidget(self.note)
        layout.addStretch(1)
        self.save_button.clicked.connect(self.save)
        ctx.actor_changed.connect(lambda _a: self._apply_role())
        self.load()
        self._apply_role()

    def load(self) -> None:
        settings = self.ctx.read(privacy.get_privacy_settings)
        self.years.setValue(settings.retention_years)
        self.days.setValue(settings.backup_retention_days)

    def _apply_role(self) -> None:
        manager = self.ctx.actor.is_manager
        for w in (self.years, self.days, self.save_button):
            w.setEnabled(manager)
        self.note.setText("" if manager else "変更は管理者のみ行えます。")

    def save(self) -> bool:
        settings = privacy.PrivacySettings(self.years.value(), self.days.value())
        try:
            self.ctx.write(lambda s, a: privacy.save_privacy_settings(s, a, settings), changes={"settings"})
        except DomainError as exc:
            self.ctx.prompts.show_error(self, exc)
            return False
        self.load()
        self.note.setText(f"保存しました（{settings.retention_years}年、自動バックアップ{settings.backup_retention_days}日）。")
        return True
