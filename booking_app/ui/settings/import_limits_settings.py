"""取込の上限: the limits of a file import, in the settings screen.

The lead mounts :class:`ImportLimitsWidget` on the settings page; services/import_limits.py stores the values
(centre_settings 'import_limits') and the readers of services/tabular.py refuse a file beyond them, with a
message that sends staff here (「管理者が設定の「取込の上限」を変更してください」).
"""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QPushButton, QSpinBox, QVBoxLayout, QWidget

from booking_app.domain.errors import DomainError
from booking_app.services import import_limits as limits_svc
from booking_app.services.import_limits import BOUNDS, DEFAULTS, MB, ImportLimits
from booking_app.ui.context import AppContext
from booking_app.ui.plain_text import plain_label

HINT = ("予約台帳・団体名簿の取込で読むファイルの上限です。これを超えるファイルは読み込まずに断ります"
        "（大きすぎるファイルで画面が止まらないように）。"
        f"既定：{DEFAULTS.max_mb} MB・{DEFAULTS.max_rows:,}行・{DEFAULTS.max_columns}列・{DEFAULTS.max_cell_chars:,}文字。")


class ImportLimitsWidget(QWidget):
    """ファイルの大きさ (MB), 行数 (行), 列数 (列), 1つのセルの文字数 (文字); saved by a manager, read-only otherwise."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("import_limits_settings")
        self.ctx = ctx
        self.max_mb = self._spin("max_mb", BOUNDS["max_bytes"][0] // MB, BOUNDS["max_bytes"][1] // MB, " MB")
        self.max_rows = self._spin("max_rows", *BOUNDS["max_rows"], " 行")
        self.max_columns = self._spin("max_columns", *BOUNDS["max_columns"], " 列")
        self.max_cell_chars = self._spin("max_cell_chars", *BOUNDS["max_cell_chars"], " 文字")
        self.hint = plain_label(HINT)
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #616161;")
        self.save_button = QPushButton("取込の上限を保存")
        self.save_button.setObjectName("save_import_limits")
        self.defaults_button = QPushButton("既定に戻す")
        self.defaults_button.setObjectName("import_limits_defaults")
        self.note = plain_label()
        self.note.setObjectName("import_limits_note")
        form = QFormLayout()
        form.addRow("ファイルの大きさ(&F)", self.max_mb)
        form.addRow("行数（見出しを除く）(&R)", self.max_rows)
        form.addRow("列数(&L)", self.max_columns)
        form.addRow("1つのセルの文字数(&X)", self.max_cell_chars)
        layout = QVBoxLayout(self)
        layout.addWidget(self.hint)
        layout.addLayout(form)
        layout.addWidget(self.defaults_button)
        layout.addWidget(self.save_button)
        layout.addWidget(self.note)
        layout.addStretch(1)
        self.save_button.clicked.connect(self.save)
        self.defaults_button.clicked.connect(lambda: self.show_limits(DEFAULTS))
        ctx.actor_changed.connect(lambda _a: self._apply_role())
        self.load()
        self._apply_role()

    @staticmethod
    def _spin(name: str, lo: int, hi: int, suffix: str) -> QSpinBox:
        spin = QSpinBox()
        spin.setObjectName(name)
        spin.setRange(lo, hi)
        spin.setGroupSeparatorShown(True)
        spin.setSuffix(suffix)
        return spin

    def show_limits(self, limits: ImportLimits) -> None:
        self.max_mb.setValue(limits.max_mb)
        self.max_rows.setValue(limits.max_rows)
        self.max_columns.setValue(limits.max_columns)
        self.max_cell_chars.setValue(limits.max_cell_chars)

    def limits(self) -> ImportLimits:
        return ImportLimits(max_bytes=self.max_mb.value() * MB, max_rows=self.max_rows.value(),
                            max_columns=self.max_columns.value(), max_cell_chars=self.max_cell_chars.value())

    def load(self) -> None:
        self.show_limits(self.ctx.read(limits_svc.get_import_limits))

    def _apply_role(self) -> None:
        manager = self.ctx.actor.is_manager
        for w in (self.max_mb, self.max_rows, self.max_columns, self.max_cell_chars, self.save_button,
                  self.defaults_button):
            w.setEnabled(manager)
        self.note.setText("" if manager else "取込の上限の変更は管理者のみ行えます。")

    def save(self) -> bool:
        limits = self.limits()
        try:
            self.ctx.write(lambda s, a: limits_svc.save_import_limits(s, a, limits), changes={"settings"})
        except DomainError as exc:
            self.ctx.prompts.show_error(self, exc)
            return False
        self.load()
        self.note.setText("取込の上限を保存しました。")
        return True


__all__ = ["ImportLimitsWidget"]
