"""The member-group page (団体): verification at the counter, fiscal-year renewal, and the figures.

At the counter staff type part of a name, its kana (any script or width), a phone number or the
registration number, and see at once — large and plain — whether the group is registered and in good
standing, with the reason and what to do when it is not. A scanned member card (``FKG:0002`` + Enter)
opens the group the same way. Every answer comes from ``services.groups``; this page only shows it.
The group on the right-hand side (status card, details, insurance, bookings) is ``group_detail.py``;
the lists' models are ``group_models.py``; the 年度更新 tab is ``renewal_tab.py`` (a ListPage).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, QTimer, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from booking_app import clock
from booking_app.domain import japanese_calendar as jcal
from booking_app.domain.errors import DomainError, PermissionDenied
from booking_app.services import groups as group_svc
from booking_app.services.cards import print_cards
from booking_app.services.centre import get_profile, targets_for
from booking_app.services.common import precheck_manager
from booking_app.services.groups import CARD_PREFIX, Verdict
from booking_app.ui.booking.booking_dialog import BookingDialog
from booking_app.ui.context import AppContext
from booking_app.ui.groups.group_detail import GroupDetail, GroupPanel, load_detail
from booking_app.ui.groups.group_dialog import GroupDialog, StatusChangeDialog
from booking_app.ui.groups.group_io_dialog import GroupImportDialog, export_groups_dialog
from booking_app.ui.groups.group_models import GroupResultsModel
from booking_app.ui.groups.privacy_dialog import AnonymiseDialog, DueGroupsDialog
from booking_app.ui.groups.renewal_tab import RenewalTab
from booking_app.ui.insurance.insurance_page import enrolment_lines_for_group
from booking_app.ui.keyboard import bind_key, shortcut_action, tab_leaves
from booking_app.ui.plain_text import plain_label
from booking_app.ui.widgets import list_table

SEARCH_DELAY_MS = 150
GROUP_BOOKINGS_SHOWN = 50  # bookings on a group's panel, newest first


class GroupsPage(QWidget):
    """登録団体の画面: 窓口確認 (search and status), 年度更新 (renewal), and the figures tile."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("groups_page")
        self.ctx = ctx
        self._detail: GroupDetail | None = None
        self._verified_note: dict[int, str] = {}
        # Set by the main window: the day/room a new booking starts from (BookingDialog.create keywords).
        self.new_booking_context: Callable[[], dict] | None = None

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self._timer.timeout.connect(self.run_search)

        self._build()
        self._wire_keys()
        ctx.changed.connect(self._on_changed)
        # 匿名化 is a manager's: follow a change of the staff member on duty (画面ロック, 交代).
        ctx.actor_changed.connect(lambda _a: self.anonymise_button.setEnabled(
            self._detail is not None and self._detail.anonymised_on is None and self.verify_button.isEnabled()
            and self.ctx.actor.is_manager))
        self.run_search()
        self.refresh_figures()

    # ---------------------------------------------------------------- construction

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(10, 8, 10, 8)

        head = QHBoxLayout()
        self.search_edit = QLineEdit()
        self.search_edit.setObjectName("group_search")
        self.search_edit.setAccessibleName("団体の検索（登録番号・団体名・ふりがな・電話番号）")
        self.search_edit.setPlaceholderText("登録番号・団体名・ふりがな・電話番号・代表者で検索")
        self.search_edit.setClearButtonEnabled(True)
        f = self.search_edit.font()
        f.setPointSize(16)
        self.search_edit.setFont(f)
        self.search_edit.setMinimumHeight(44)
        self.search_edit.textChanged.connect(self._on_text_changed)
        self.search_edit.returnPressed.connect(self._on_return)
        head.addWidget(self.search_edit, 1)
        self.register_button = QPushButton("団体を新規登録")
        self.register_button.setObjectName("register_group")
        self.register_button.setMinimumHeight(44)
        self.register_button.clicked.connect(self._register)
        head.addWidget(self.register_button)
        self.import_groups_button = QPushButton("名簿を取込…")
        self.import_groups_button.setObjectName("import_groups")
        self.import_groups_button.setMinimumHeight(44)
        self.import_groups_button.clicked.connect(self._import_groups)
        head.addWidget(self.import_groups_button)
        self.export_groups_button = QPushButton("名簿を書出…")
        self.export_groups_button.setObjectName("export_groups")
        self.export_groups_button.setMinimumHeight(44)
        self.export_groups_button.clicked.connect(self._export_groups)
        head.addWidget(self.export_groups_button)
        self.due_groups_button = QPushButton("保存期間を過ぎた団体…")
        self.due_groups_button.setObjectName("due_groups_button")
        self.due_groups_button.setMinimumHeight(44)
        self.due_groups_button.clicked.connect(self.show_due_groups)
        head.addWidget(self.due_groups_button)
        self.figures_label = QLabel()
        self.figures_label.setObjectName("figures_tile")
        self.figures_label.setTextFormat(Qt.TextFormat.RichText)
        self.figures_label.setStyleSheet(
            "QLabel#figures_tile { background: #eef2f8; border: 1px solid #c9d3e3; border-radius: 4px; padding: 4px 10px; }")
        head.addWidget(self.figures_label)
        outer.addLayout(head)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("group_tabs")
        self.tabs.tabBar().setAccessibleName("団体の画面（窓口確認・年度更新）")
        self.tabs.addTab(self._build_verify_tab(), "窓口確認")
        self.renewal = RenewalTab(self.ctx)
        self.tabs.addTab(self.renewal, "年度更新")
        outer.addWidget(self.tabs, 1)

    def _build_verify_tab(self) -> QWidget:
        tab = QWidget()
        lay = QHBoxLayout(tab)
        lay.setContentsMargins(4, 6, 4, 4)
        split = QSplitter(Qt.Orientation.Horizontal)
        lay.addWidget(split)

        self.results_model = GroupResultsModel(self)
        self.results_view = list_table("group_results")
        self.results_view.setAccessibleName("検索結果の団体")
        tab_leaves(self.results_view)
        self.results_view.setModel(self.results_model)
        hh = self.results_view.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        # Narrow fixed columns, a reading wide enough for ~15 kana; the name takes what is left (about 20
        # characters at 1366 px), so the 状態 column never scrolls out of sight.
        char = self.results_view.fontMetrics().horizontalAdvance("あ")  # widths follow the font size
        for col, chars in enumerate((4, 0, 15, 4, 6, 4)):
            if chars:
                self.results_view.setColumnWidth(col, int(char * chars) + 12)
        hh.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        hh.setMinimumSectionSize(40)
        hh.setStretchLastSection(False)
        self.results_view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.results_view.selectionModel().currentRowChanged.connect(self._on_current_changed)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        self.count_label = plain_label()
        self.count_label.setObjectName("result_count")
        ll.addWidget(self.count_label)
        ll.addWidget(self.results_view, 1)
        split.addWidget(left)

        self.panel = panel = GroupPanel()
        # The panel's widgets under the page's names (what tests and the main window look at).
        self.status_frame, self.group_title = panel.status_frame, panel.group_title
        self.status_label, self.reason_label, self.advice_label = panel.status_label, panel.reason_label, panel.advice_label
        self.detail_labels, self.insurance_label, self.verified_label = (
            panel.detail_labels, panel.insurance_label, panel.verified_label)
        self.bookings_heading, self.bookings_model, self.bookings_view = (
            panel.bookings_heading, panel.bookings_model, panel.bookings_view)
        self.bookings_view.doubleClicked.connect(self._open_booking)
        self.bookings_view.setAccessibleName("この団体の予約")
        tab_leaves(self.bookings_view)
        shortcut_action(self.bookings_view, "団体の予約を開く", ("Return", "Enter"),
                        lambda: self._open_booking(self.bookings_view.currentIndex()), section="団体",
                        name="open_group_booking", context=Qt.ShortcutContext.WidgetShortcut)
        self.verify_button = QPushButton("確認済み")
        self.verify_button.setObjectName("verify")
        self.verify_button.setToolTip("窓口で確認したことを記録します（検索欄からTab 1回）")
        self.verify_button.setStyleSheet("QPushButton#verify { font-weight: bold; padding: 6px 14px; }")
        self.verify_button.clicked.connect(self.verify_selected)
        self.booking_button = QPushButton("新しい予約")
        self.booking_button.setObjectName("new_booking")
        self.booking_button.setToolTip("この団体で新しい予約を作ります\nキー：Ctrl+N")
        self.booking_button.clicked.connect(self.new_booking)
        self.edit_button = QPushButton("登録内容を変更")
        self.edit_button.setObjectName("edit_group")
        self.edit_button.clicked.connect(self._edit)
        self.status_button = QPushButton("停止・抹消・解除")
        self.status_button.setObjectName("change_status")
        self.status_button.clicked.connect(self._change_status)
        self.card_button = QPushButton("会員証を印刷")
        self.card_button.setObjectName("print_card")
        self.card_button.clicked.connect(self._print_card)
        # 個人情報の匿名化 (ui/groups/privacy_dialog.py): a manager's action, confirmed with a reason.
        self.anonymise_button = QPushButton("個人情報を匿名化…")
        self.anonymise_button.setObjectName("anonymise_group")
        self.anonymise_button.setToolTip("この団体と関係する人の個人情報を消去します（管理者のみ・元に戻せません）")
        self.anonymise_button.clicked.connect(self.anonymise_selected)
        for i, b in enumerate((self.verify_button, self.booking_button, self.edit_button,
                               self.status_button, self.card_button, self.anonymise_button)):
            b.setMinimumHeight(32)
            b.setAutoDefault(True)  # Enter on the focused button presses it, as Space does
            panel.actions.addWidget(b, i // 3, i % 3)
        split.addWidget(panel)
        # The list gets the larger share: names and readings are what the desk scans; the detail pane
        # (a status card, buttons, short fields) reads fine at ~440 px (checked at 1366×768 with the app font).
        split.setStretchFactor(0, 16)
        split.setStretchFactor(1, 9)
        split.setSizes([776, 440])
        self._show_nothing()
        return tab

    def _wire_keys(self) -> None:
        """The counter's keys: the search field first, 確認済み one Tab (or F2) away, the lists after.

        ↓/↑ in the search field move through the results while the focus stays in the field (typing goes
        on refining); Enter shows the best match at once. Tab: search → 確認済み → the group's actions →
        the results → the group's bookings → the page's buttons → the tabs → back to the search field.
        """
        bind_key(self, self.verify_button, "F2", section="団体")
        shortcut_action(self.search_edit, "検索結果の次の団体", "Down", lambda: self._step_result(1),
                        section="団体", name="group_result_next", context=Qt.ShortcutContext.WidgetShortcut)
        shortcut_action(self.search_edit, "検索結果の前の団体", "Up", lambda: self._step_result(-1),
                        section="団体", name="group_result_previous", context=Qt.ShortcutContext.WidgetShortcut)
        chain: list[QWidget] = [
            self.search_edit, self.verify_button, self.booking_button, self.edit_button, self.status_button,
            self.card_button, self.anonymise_button, self.results_view, self.bookings_view,
            self.register_button, self.import_groups_button, self.export_groups_button, self.due_groups_button,
            self.tabs.tabBar(),
        ]
        for a, b in zip(chain, chain[1:]):
            QWidget.setTabOrder(a, b)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        """The page opens ready for a name, a reading, a number or a phone number."""
        super().showEvent(event)
        if self.tabs.currentIndex() == 0 and not event.spontaneous():  # not on a window restored from the taskbar
            self.search_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def _step_result(self, step: int) -> None:
        """↓/↑ in the search field: the next/previous result on the panel (the focus stays in the field)."""
        if self._timer.isActive():
            self.run_search()  # the text typed last counts first
        n = self.results_model.rowCount()
        if not n:
            return
        current = self.results_view.currentIndex()
        row = current.row() + step if current.isValid() and self._detail is not None else 0
        self.select_row(min(max(row, 0), n - 1))

    # ---------------------------------------------------------------- search

    def focus_search(self) -> None:
        self.tabs.setCurrentIndex(0)
        self.search_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_edit.selectAll()

    def _on_text_changed(self, text: str) -> None:
        if text:
            self.tabs.setCurrentIndex(0)  # typing means "who is this group?", whatever tab was open
        self._timer.start()  # restarts: only the pause after the last keystroke searches

    def _on_return(self) -> None:
        """Enter: a scanned code opens its group; typed text shows its best match now (a result already
        chosen with ↓/↑ stays chosen)."""
        pending = self._timer.isActive()
        self._timer.stop()
        text = self.search_edit.text().strip()
        if text.upper().startswith(CARD_PREFIX):
            self.open_group_by_code(text)
        elif pending or self._detail is None:
            self.run_search()

    def run_search(self, select_id: int | None = None) -> None:
        self._timer.stop()
        text = self.search_edit.text()
        today = self.ctx.today
        rows = self.ctx.read(lambda s: group_svc.search_groups(s, text, today=today))
        # A refresh keeps the group on the panel; new text shows its best match (the top row).
        keep = select_id
        self.results_model.set_rows(rows)
        self.count_label.setText(f"{len(rows)}件" + ("（上位のみ表示）" if len(rows) >= 50 else ""))
        if not rows:
            if text.strip():
                self._show_verdict(group_svc.verdict(None, today), title=f"「{text.strip()}」")
            else:
                self._show_nothing()
            return
        row = self.results_model.row_of(keep) if keep is not None else -1
        if row < 0 and not text.strip():
            self._show_nothing()  # an empty box lists groups but says nothing about any of them
            return
        self.select_row(max(row, 0))

    def select_row(self, row: int) -> None:
        idx = self.results_model.index(row, 0)
        self.results_view.selectionModel().setCurrentIndex(
            idx, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self.results_view.scrollTo(idx)
        self.show_group(self.results_model.summary(row).id)

    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            gid = self.results_model.summary(current.row()).id
            if self._detail is None or self._detail.id != gid:
                self.show_group(gid)

    def open_group_by_code(self, code: str) -> bool:
        """Open the group a scanned card or typed number names (``FKG:0002``); False when none."""
        today = self.ctx.today

        def find(s):
            g = group_svc.group_by_code(s, code)
            return (g.id, g.reg_no) if g is not None else None

        found = self.ctx.read(find)
        self.tabs.setCurrentIndex(0)
        if found is None:
            self._timer.stop()
            self.results_model.set_rows([])
            self.count_label.setText("0件")
            v = group_svc.verdict(None, today)
            self._show_verdict(Verdict(v.status, v.label, False, f"会員証のコード「{code.strip()}」に当たる団体がありません。",
                                       v.advice), title=code.strip())
            return False
        gid, reg_no = found
        self.search_edit.blockSignals(True)
        self.search_edit.setText(reg_no or "")
        self.search_edit.blockSignals(False)
        self.run_search(select_id=gid)
        if self._detail is None or self._detail.id != gid:  # the number search did not list it: show anyway
            self.show_group(gid)
        # The focus where the desk goes on: the search field (the next card or name), 確認済み one Tab or F2 away.
        self.search_edit.setFocus(Qt.FocusReason.OtherFocusReason)
        self.search_edit.selectAll()
        return True

    # ---------------------------------------------------------------- the status panel

    def selected_id(self) -> int | None:
        return self._detail.id if self._detail is not None else None

    def show_group(self, group_id: int) -> None:
        today = self.ctx.today

        def read(s):
            detail, bookings = load_detail(s, group_id, today, shown=GROUP_BOOKINGS_SHOWN)
            return detail, bookings, enrolment_lines_for_group(s, group_id, today)

        try:
            detail, bookings, insurance = self.ctx.read(read)
        except DomainError as exc:
            self.ctx.prompts.show_error(self, exc)
            return
        self._detail = detail
        self.panel.show_detail(detail, bookings, insurance, self._verified_note.get(detail.id, ""),
                               shown=GROUP_BOOKINGS_SHOWN)
        self._set_group_buttons(True)
        if detail.anonymised_on is not None:
            self.anonymise_button.setEnabled(False)  # once is enough (the service refuses a second time)

    def _show_verdict(self, v: Verdict, *, title: str) -> None:
        self.panel.show_verdict(v, title=title)
        if v.status == "unregistered":
            self._detail = None
            self._set_group_buttons(False)

    def _show_nothing(self) -> None:
        self._detail = None
        self.panel.show_nothing()
        self._set_group_buttons(False)

    def _set_group_buttons(self, enabled: bool) -> None:
        for b in (self.verify_button, self.booking_button, self.edit_button, self.status_button, self.card_button):
            b.setEnabled(enabled)
        self.anonymise_button.setEnabled(enabled and self.ctx.actor.is_manager)

    # ---------------------------------------------------------------- actions

    def verify_selected(self) -> None:
        if self._detail is None:
            return
        gid = self._detail.id
        try:
            v = self.ctx.write(lambda s, a: group_svc.verify_group(s, a, gid), changes={"group"})
        except DomainError as exc:
            self.ctx.prompts.show_error(self, exc)
            return
        at = clock.now()
        self._verified_note[gid] = f"確認を記録しました（{jcal.format_time(at.time())}　{v.label}）"
        self.verified_label.setText(self._verified_note[gid])
        if self.verify_button.hasFocus():
            # Pressed from the keyboard: back to the search field, its text selected, for the next group
            # (Tab or F2 again records this one again; Ctrl+N books for it).
            self.search_edit.setFocus(Qt.FocusReason.OtherFocusReason)
            self.search_edit.selectAll()

    def _register(self) -> None:
        gid = GroupDialog.register(self, self.ctx)
        if gid is not None:
            self.tabs.setCurrentIndex(0)
            reg = self.ctx.read(lambda s: group_svc.get_group(s, gid).reg_no)
            self.search_edit.blockSignals(True)
            self.search_edit.setText(reg or "")
            self.search_edit.blockSignals(False)
            self.run_search(select_id=gid)

    def _import_groups(self) -> None:
        GroupImportDialog.run(self, self.ctx)  # a write broadcasts {"group"}, which refreshes this page

    def _export_groups(self) -> None:
        export_groups_dialog(self, self.ctx)

    def _edit(self) -> None:
        if self._detail is not None and GroupDialog.edit(self, self.ctx, self._detail.id):
            self.run_search(select_id=self._detail.id if self._detail else None)

    def _change_status(self) -> None:
        if self._detail is None:
            return
        try:
            precheck_manager(self.ctx.actor, "団体の停止・抹消・解除")
        except PermissionDenied as exc:
            self.ctx.prompts.show_error(self, exc)
            return
        d = self._detail
        StatusChangeDialog.ask(self, self.ctx, d.id, d.title, d.status)

    def anonymise_selected(self):
        """Open the 匿名化 confirmation for the group on the panel (window-modal, not blocking)."""
        if self._detail is None:
            return None
        try:
            precheck_manager(self.ctx.actor, "個人情報の匿名化")
        except PermissionDenied as exc:
            self.ctx.prompts.show_error(self, exc)
            return None
        d = self._detail
        dlg = AnonymiseDialog.start(self, self.ctx, d.id, d.title)
        dlg.accepted.connect(lambda gid=d.id: self.run_search(select_id=gid))
        self.anonymise_dialog = dlg
        return dlg

    def show_due_groups(self):
        """保存期間を過ぎた団体 (window-modal, not blocking)."""
        self.due_groups_dialog = DueGroupsDialog.start(self, self.ctx)
        return self.due_groups_dialog

    def new_booking(self) -> None:
        """新しい予約 for the group on the panel (the main window's Ctrl+N on this page, and the button)."""
        # The group on the panel, and what the desk was looking at before it came here (the main window
        # tells: the calendar's day and room), so the dialog opens ready for this group's request.
        kwargs = dict(self.new_booking_context()) if self.new_booking_context is not None else {}
        if self._detail is not None:
            kwargs["group_id"] = self._detail.id
        BookingDialog.create(self, self.ctx, **kwargs)

    def _open_booking(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        bid = self.bookings_model.data(index, Qt.ItemDataRole.UserRole + 1)
        if bid is not None:
            BookingDialog.edit(self, self.ctx, bid)

    def _print_card(self) -> None:
        if self._detail is None:
            return
        gid, today = self._detail.id, self.ctx.today
        path = ""
        try:
            # A write: the print run is recorded in the audit trail.
            cards = self.ctx.write(lambda s, a: print_cards(s, a, [gid], profile=get_profile(s), today=today),
                                   changes=frozenset())
            fd, path = tempfile.mkstemp(prefix=f"member_card_{self._detail.reg_no or gid}_", suffix=".pdf")
            os.close(fd)
            # reportlab loads on first use (~0.26 s and ~20 MB at start otherwise; see ui/stats/export_tab.py).
            from booking_app.reports.member_cards import render_member_cards

            render_member_cards(cards, path)
        except Exception as exc:  # noqa: BLE001 — a DomainError says why; a report bug must not stop the desk
            if path:
                os.remove(path)
            self.ctx.prompts.show_error(self, exc)
            return
        self.last_card_path = path
        QDesktopServices.openUrl(QUrl.fromLocalFile(path))

    # ---------------------------------------------------------------- figures and refresh

    def refresh_figures(self) -> None:
        today = self.ctx.today

        def figures(s):
            return group_svc.group_figures(s, today=today, target=targets_for(s, jcal.fiscal_year(today)).groups)

        f = self.ctx.read(figures)
        self.figures_label.setText(
            f"<span style='font-size:9pt;'>登録団体</span> <b style='font-size:15pt;'>{f.registered}</b>"
            f"<span style='font-size:9pt;'> / 目標 {f.target}</span><br>"
            f"<span style='font-size:9pt;'>{jcal.fiscal_year_label(jcal.fiscal_year(today))}"
            f" 新規 {f.new_this_year}・失効 {f.lapsed_this_year}</span>")
        self.figures = f

    def _on_changed(self, changes) -> None:
        if not ({"group", "booking", "insurance", "charge"} & set(changes or ())):
            return
        self.run_search(select_id=self.selected_id())
        self.refresh_figures()


__all__ = ["GroupsPage"]
