"""年度目標: the city's targets (users, registered groups) per fiscal year, in the settings screen."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QFormLayout, QPushButton, QSpinBox, QVBoxLayout, QWidget

from booking_app.domain import japanese_calendar as jcal
from booking_app.domain.errors import DomainError
from booking_app.services.centre import save_targets, targets_for
from booking_app.ui.context import AppContext
from booking_app.ui.plain_text import plain_label


class TargetsWidget(QWidget):
    """Pick a fiscal year, see its targets (the plan's figures until set), and save them (manager)."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        this_year = jcal.fiscal_year(ctx.today)
        self.year = QComboBox()
        for fy in range(this_year - 1, this_year + 3):
            self.year.addItem(jcal.fiscal_year_label(fy), fy)
        self.year.setCurrentIndex(1)
        self.users = QSpinBox()
        self.users.setRange(1, 10_000_000)
        self.users.setGroupSeparatorShown(True)
        self.users.setSuffix(" 人")
        self.groups = QSpinBox()
        self.groups.setRange(1, 100_000)
        self.groups.setSuffix(" 団体")
        self.source = plain_label()
        self.save_button = QPushButton("目標を保存")
        self.note = plain_label()
        form = QFormLayout()
        form.addRow("年度(&Y)", self.year)
        form.addRow("目標利用者数(&U)", self.users)
        form.addRow("目標登録団体数(&G)", self.groups)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.source)
        layout.addWidget(self.save_button)
        layout.addWidget(self.note)
        layout.addStretch(1)
        self.year.currentIndexChanged.connect(self.load)
        self.save_button.clicked.connect(self.save)
        ctx.actor_changed.connect(lambda _a: self._apply_role())
        self.load()
        self._apply_role()

    def fiscal_year(self) -> int:
        return int(self.year.currentData())

    def load(self) -> None:
        fy = self.fiscal_year()
        t = self.ctx.read(lambda s: targets_for(s, fy))
        self.users.setValue(t.users)
        self.groups.setValue(t.groups)
        self.source.setText("計画の目標値（既定）" if t.is_default else "この年度に設定した目標値")

    def _apply_role(self) -> None:
        manager = self.ctx.actor.is_manager
        for w in (self.users, self.groups, self.save_button):
            w.setEnabled(manager)
        self.note.setText("" if manager else "変更は管理者のみ行えます。")

    def save(self) -> bool:
        fy, users, groups = self.fiscal_year(), self.users.value(), self.groups.value()
        try:
            self.ctx.write(lambda s, a: save_targets(s, a, fy, users, groups), changes={"targets", "group"})
        except DomainError as exc:
            self.ctx.prompts.show_error(self, exc)
            return False
        self.load()
        return True
