"""月次締め: the fiscal year's months with their users against last year's same days and their state; a
manager closes one (its figures then stand as submitted) or records a 訂正 (amendment) to a closed one.
Refused for unsettled bookings, the month's list is shown and a manager may close with a reason."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from PySide6.QtWidgets import QGroupBox, QVBoxLayout, QWidget

from booking_app import clock
from booking_app.domain.counting import fiscal_months
from booking_app.domain.errors import DomainError
from booking_app.domain.fees import yen
from booking_app.domain.figures import WAITLIST_LABELS, AmendmentView
from booking_app.services import lookups
from booking_app.services.stats.amendments import amendable_figures, year_amendments
from booking_app.services.stats.figures import month_allocation, month_figures, monthly_users
from booking_app.services.stats.month_close import amend, close_month, unsettled_bookings
from booking_app.ui.context import AppContext
from booking_app.ui.forms import sized_table
from booking_app.ui.plain_text import plain_label
from booking_app.ui.stats.dialogs import AmendDialog, UnsettledDialog
from booking_app.ui.stats.models import AmendmentsModel, MonthsModel, MonthState, month_text
from booking_app.ui.stats.year_tab import YearTab
from booking_app.ui.widgets import action_button as _button


def ask_force_reason(parent: QWidget | None, message: str, bookings: Sequence) -> str | None:
    """The unsettled bookings of the month, and a reason to close anyway (tests replace this)."""
    return UnsettledDialog.ask(parent, message, bookings)


class MonthsTab(YearTab):
    """The months of a fiscal year (締め済・未締め・集計中), the chosen month's amendments, close and amend."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, "months", parent)
        self._amendments: list[AmendmentView] = []
        row, lay = self.top, self.lay
        row.addStretch(1)
        self.close_button = _button("締める", "close_month", self.close_selected, "選んだ月の数値を確定します（管理者）")
        self.amend_button = _button("訂正…", "amend_month", self.amend_selected,
                                    "締め済みの月の数値の訂正を記録します（管理者）")
        row.addWidget(self.close_button)
        row.addWidget(self.amend_button)
        self.model = MonthsModel(self)
        self.view = sized_table("months", self.model, (170, 100, 100, 80, 80, 140, 130))
        self.view.setAccessibleName("月の一覧（締めの状態）")
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._month_selected())
        # All twelve months in sight without scrolling; the amendments take the rest of the height.
        rows_h = self.view.verticalHeader().defaultSectionSize() * 12
        self.view.setMinimumHeight(rows_h + self.view.horizontalHeader().sizeHint().height() + 6)
        lay.addWidget(self.view)
        self.detail = plain_label()
        self.detail.setObjectName("month_detail")
        self.detail.setWordWrap(True)
        lay.addWidget(self.detail)
        # Issue 18: the chosen month's lottery, waiting lists, 減免 and 還付 in one line (the tables are in
        # the exported file, beside 稼働率).
        self.allocation_line = plain_label()
        self.allocation_line.setObjectName("month_allocation")
        self.allocation_line.setWordWrap(True)
        lay.addWidget(self.allocation_line)
        box = QGroupBox("訂正の記録")
        bl = QVBoxLayout(box)
        bl.setContentsMargins(6, 4, 6, 6)
        self.amendments_model = AmendmentsModel(self)
        self.amendments_view = sized_table("amendments", self.amendments_model, (130, 200, 70, 70, 380))
        self.amendments_view.setAccessibleName("訂正の記録")
        bl.addWidget(self.amendments_view)
        lay.addWidget(box, 1)

    def refresh(self) -> None:
        fy = self.year.currentData()
        keep = self.selected_month()
        today = self.ctx.today

        def load(s: Any) -> tuple[list[MonthState], list[AmendmentView]]:
            # One rule with every output: months ahead blank, the running month to today, like-for-like.
            rows = {(r.year, r.month): r for r in monthly_users(s, fy, today=today)}
            closings = lookups.month_closings(s, fy)
            amendments = year_amendments(s, fy)
            out = []
            for y, m in fiscal_months(fy):
                c = closings.get((y, m))
                if c is not None:
                    state = "closed"
                elif (y, m) == (today.year, today.month):
                    state = "current"
                elif date(y, m, 1) > today:
                    state = "future"
                else:
                    state = "open"
                n_amend = sum(1 for a in amendments if (a.year, a.month) == (y, m))
                r = rows.get((y, m))
                total = r.total if r is not None and r.total is not None else 0
                out.append(MonthState(y, m, total, state, c[0] if c else None, c[1] if c else "", n_amend,
                                      r.upto if r is not None else None,
                                      r.last_year_comparable if r is not None else None))
            return out, amendments

        months, self._amendments = self.ctx.read(load)
        self.model.set_rows(months)
        target = keep.id if keep is not None else None
        if target is None:  # the month just ended is the one to close
            prev = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
            target = prev[0] * 100 + prev[1]
        for r, m in enumerate(months):
            if m.id == target:
                self.view.selectRow(r)
                break
        self._month_selected()

    def selected_month(self) -> MonthState | None:
        sm = self.view.selectionModel()
        idx = sm.selectedRows() if sm is not None else []
        return self.model.row(idx[0].row()) if idx else None

    def _month_selected(self) -> None:
        m = self.selected_month()
        self.close_button.setEnabled(m is not None and m.state == "open")
        self.amend_button.setEnabled(m is not None and m.state == "closed")
        if m is None:
            self.detail.setText("")
            self.allocation_line.setText("")
            self.amendments_model.set_rows(self._amendments)
            return
        self.allocation_line.setText(self._allocation_text(m))
        self.amendments_model.set_rows([a for a in self._amendments if (a.year, a.month) == (m.year, m.month)])
        if m.state == "closed":
            self.detail.setText(f"{month_text(m.year, m.month)}は締め済みです（{m.closed_by}）。"
                                "数値の変更は「訂正」で記録します。")
        elif m.state == "open":
            self.detail.setText(f"{month_text(m.year, m.month)}は未締めです。"
                                "未精算の予約を片付けてから、管理者が「締める」を押してください。")
        elif m.state == "current":
            self.detail.setText(f"今月は月末まで集計中です（{m.label}の数値。前年同期は前年の同じ日までと比べます）。")
        else:
            self.detail.setText("")

    def _allocation_text(self, m: MonthState) -> str:
        """'抽選（利用月）：申込3件・当選2件・落選1件（12/15 抽選済）　キャンセル待ち：6件（承諾1件）　減免：3件 ¥3,700
        還付：4件 ¥10,500' for a month that has begun; empty for a month ahead."""
        if m.state == "future":
            return ""
        try:
            a = self.ctx.read(lambda s: month_allocation(s, m.year, m.month))
        except DomainError:
            return ""
        drawn = next((d.drawn_on for d in a.months if d.drawn_on is not None), None)
        draw = f"{drawn.month}/{drawn.day} 抽選済" if drawn else "抽選前"
        accepted = a.waitlist.get(WAITLIST_LABELS["accepted"], 0)
        return (f"抽選（{m.month}月利用分）：申込{a.entries}件・当選{a.won}件・落選{a.lost}件（{draw}）　"
                f"キャンセル待ち：{sum(a.waitlist.values())}件（承諾{accepted}件）　"
                f"減免：{sum(r.count for r in a.reductions)}件 {yen(a.reduction_yen)}　"
                f"還付：{sum(r.count for r in a.refunds)}件 {yen(a.refund_yen)}")

    def close_selected(self) -> bool:
        m = self.selected_month()
        if m is None:
            return False
        label = month_text(m.year, m.month)
        if not self.ctx.prompts.confirm(self, "月次締め",
                                        f"{label}を締めます。締めた後の数値の変更は訂正として記録されます。よろしいですか？"):
            return False
        now = clock.now()
        try:
            self.ctx.write(lambda s, a: close_month(s, a, m.year, m.month, now=now), changes={"month"})
        except DomainError as exc:
            return self._close_refused(m, exc)
        self.refresh()
        self.ctx.prompts.info(self, "月次締め", f"{label}を締めました。")
        return True

    def _close_refused(self, m: MonthState, exc: DomainError) -> bool:
        """Refused: when unsettled bookings are the reason, list them (and let a manager force it)."""
        today = self.ctx.today
        try:
            unsettled = [b for b in self.ctx.read(lambda s: unsettled_bookings(s, today=today))
                         if (b.start.year, b.start.month) == (m.year, m.month)]
        except DomainError:
            unsettled = []
        if not unsettled or not self.ctx.actor.is_manager:
            self.ctx.prompts.show_error(self, exc)
            return False
        reason = ask_force_reason(self, exc.message, unsettled)
        if not reason:
            return False
        now = clock.now()
        try:
            self.ctx.write(lambda s, a: close_month(s, a, m.year, m.month, now=now, force_reason=reason),
                           changes={"month"})
        except DomainError as exc2:
            self.ctx.prompts.show_error(self, exc2)
            return False
        self.refresh()
        self.ctx.prompts.info(self, "月次締め",
                              f"{month_text(m.year, m.month)}を締めました（未精算 {len(unsettled)}件、理由を記録）。")
        return True

    def month_figure_values(self, year: int, month: int) -> list[tuple[str, str, int]]:
        """The amendable figures of a closed month: (key, Japanese label, value as it stands now)."""
        return amendable_figures(self.ctx.read(lambda s: month_figures(s, year, month)))

    def amend_selected(self) -> AmendmentView | None:
        m = self.selected_month()
        if m is None:
            return None
        try:
            figures = self.month_figure_values(m.year, m.month)
        except DomainError as exc:
            self.ctx.prompts.show_error(self, exc)
            return None
        v = AmendDialog.get(self, m.year, m.month, figures)
        if v is None:
            return None
        try:
            view: AmendmentView = self.ctx.write(
                lambda s, a: amend(s, a, m.year, m.month, v.key, v.new_value, v.reason), changes={"amendment"})
        except DomainError as exc:
            self.ctx.prompts.show_error(self, exc)
            return None
        self.refresh()
        return view


__all__ = ["MonthsTab", "ask_force_reason"]
