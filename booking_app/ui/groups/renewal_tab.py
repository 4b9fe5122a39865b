"""年度更新 (the groups page's second tab): the groups to renew for a fiscal year, ticked and renewed together.

A list page on the shared scaffold (``ui/list_page.ListPage``): the fiscal year is the filter, the list is
read in the background, and 「選択した団体を更新」 renews the ticked groups in one transaction
(``services.groups.renew_groups``). The status line says what the last renewal did.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QWidget

from booking_app.domain import japanese_calendar as jcal
from booking_app.domain.errors import DomainError
from booking_app.services import groups as group_svc
from booking_app.services.unit_of_work import Session
from booking_app.ui.context import AppContext
from booking_app.ui.groups.group_models import RenewalModel
from booking_app.ui.list_page import ListPage, always


class RenewalTab(ListPage):
    """年度更新: pick the fiscal year, tick the groups (or すべて選択), renew them."""

    REFRESH_ON = frozenset({"group"})

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        self.model: RenewalModel
        super().__init__(ctx, RenewalModel(), name="renewal_tab", table_name="renewal_list", parent=parent)
        year_label = QLabel("更新する年度(&Y)")
        self.filter_bar.addWidget(year_label)
        self.fy_combo = QComboBox()
        self.fy_combo.setObjectName("renewal_year")
        year_label.setBuddy(self.fy_combo)
        self.table.setAccessibleName("更新する団体の一覧")
        today = ctx.today
        fy = jcal.fiscal_year(today)
        self.fy_combo.addItem(f"来年度（{jcal.fiscal_year_label(fy + 1)}）", fy + 1)
        self.fy_combo.addItem(f"今年度（{jcal.fiscal_year_label(fy)}）", fy)
        # From January the desk is renewing for next April; before that a lapsed group renews for now.
        self.fy_combo.setCurrentIndex(0 if today.month <= 3 else 1)
        self.fy_combo.currentIndexChanged.connect(lambda _i: self.load())
        self.filter_bar.addWidget(self.fy_combo)
        self.select_all_check = QCheckBox("すべて選択")
        self.select_all_check.setObjectName("select_all")
        self.select_all_check.toggled.connect(self.model.set_all_checked)
        self.filter_bar.addWidget(self.select_all_check)
        self.filter_bar.addStretch(1)
        self.renew_button = self.add_action("選択した団体を更新", "renew", self.renew_selected, enabled=always,
                                            stretch_before=True)
        for col, width in enumerate((50, 70, 320, 90)):
            self.table.setColumnWidth(col, width)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.status_label.setObjectName("renewal_result")
        self.status_label.setWordWrap(True)

    def year(self) -> int:
        return int(self.fy_combo.currentData())

    # ---------------------------------------------------------------- the list page's part

    def current_filter(self) -> tuple[int, Any]:
        return self.year(), self.ctx.today

    def fetch(self, session: Session, filter: tuple[int, Any]) -> list[group_svc.GroupSummary]:
        fy, today = filter
        return group_svc.renewal_list(session, fy, today=today)

    def loaded(self, result: Any, filter: tuple[int, Any]) -> None:
        self.renew_button.setText(f"選択した団体を更新（{jcal.fiscal_year_label(filter[0])}）")

    # ---------------------------------------------------------------- the action

    def renew_selected(self) -> None:
        ids, fy = self.model.checked_ids(), self.year()
        if not ids:
            self.status_label.setText("更新する団体にチェックを付けてください。")
            return
        try:
            n = self.ctx.write(lambda s, a: group_svc.renew_groups(s, a, ids, fy), changes={"group"})
        except DomainError as exc:
            self.ctx.prompts.show_error(self, exc)
            return
        self.select_all_check.blockSignals(True)
        self.select_all_check.setChecked(False)
        self.select_all_check.blockSignals(False)
        self.model.set_all_checked(False)
        skipped = len(ids) - n
        text = f"{n}団体を{jcal.fiscal_year_label(fy)}に更新しました。"
        if skipped:
            text += f"（{skipped}団体は更新済みのため変更なし）"
        self.status_label.setText(text)


__all__ = ["RenewalTab"]
