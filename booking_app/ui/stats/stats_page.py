"""The statistics page (統計): dashboard, centre events' attendance, month close, statistics out.

Four tabs, one job each, each its own module: ダッシュボード (dashboard.py) shows the year against the
target; 行事の参加者 (events_tab.py) lists the centre's own events with their attendance, which counts
toward the users; 月次締め (months_tab.py) lists the fiscal year's months, lets a manager close one
(locking its figures) and record a 訂正 (amendment) to a closed one; 出力 (export_tab.py) writes a month's
or a fiscal year's statistics as xlsx, CSV or PDF off the GUI thread. The dialogs are in dialogs.py, the
table models in models.py. Every rule lives in ``services.stats`` (its modules); the page only asks and
shows, its questions and notices through ``ctx.prompts``.
"""

from __future__ import annotations

from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from booking_app.ui.context import AppContext
from booking_app.ui.export_op import ExportOp
from booking_app.ui.dialog_keys import name_buddies
from booking_app.ui.keyboard import free_tab_everywhere
from booking_app.ui.stats.dashboard import Dashboard, watcher_for
from booking_app.ui.stats.events_tab import EventsTab
from booking_app.ui.stats.export_tab import ExportTab
from booking_app.ui.stats.months_tab import MonthsTab

TABS = ("dashboard", "events", "months", "export")

class StatsPage(QWidget):
    """統計の画面: ダッシュボード, 行事の参加者, 月次締め, 出力."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("stats_page")
        self.ctx = ctx
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 6, 8, 6)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("stats_tabs")
        self.dashboard = Dashboard(ctx)
        self.events_tab = EventsTab(ctx)
        self.months_tab = MonthsTab(ctx)
        self.export_tab = ExportTab(ctx)
        self.tabs.addTab(self.dashboard, "ダッシュボード")
        self.tabs.addTab(self.events_tab, "行事の参加者")
        self.tabs.addTab(self.months_tab, "月次締め")
        self.tabs.addTab(self.export_tab, "出力")
        outer.addWidget(self.tabs)
        free_tab_everywhere(self)  # Tab leaves the tables for the buttons, as on every page
        name_buddies(self)
        # The widgets tests of other screens reach on the page (test_bad_input_dialogs*, test_export_audit_ui).
        self.add_event_button = self.events_tab.add_button
        self.months_model, self.months_view = self.months_tab.model, self.months_tab.view
        self.close_button, self.amend_button = self.months_tab.close_button, self.months_tab.amend_button
        self.format_radios, self.export_button = self.export_tab.format_radios, self.export_tab.button
        watcher_for(ctx).subscribe(self, "_on_updated")
        self.tabs.currentChanged.connect(lambda _i: self.refresh())

    @property
    def last_op(self) -> ExportOp | None:
        """The latest background export (tests wait on it)."""
        return self.export_tab.last_op

    def show_tab(self, key: str) -> None:
        self.tabs.setCurrentIndex(TABS.index(key))

    def current_tab(self) -> str:
        return TABS[self.tabs.currentIndex()]

    def _on_updated(self, what: set[str]) -> None:
        if not self.isVisible():
            return
        key = self.current_tab()
        if key == "events" and ({"event", "remote", "all"} & set(what)):
            self.events_tab.refresh()
        elif key == "months":
            self.months_tab.refresh()

    def refresh(self) -> None:
        key = self.current_tab()
        if key == "dashboard":
            if self.dashboard.isVisible():
                self.dashboard.refresh()
        elif key == "events":
            self.events_tab.refresh()
        elif key == "months":
            self.months_tab.refresh()


__all__ = ["StatsPage", "TABS"]
