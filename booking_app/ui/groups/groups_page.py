"""The member-group page (団体): verification at the counter, fiscal-year renewal, and the figures.

At the counter staff type part of a name, its kana (any script or width), a phone number or the
registration number, and see at once — large and plain — whether the group is registered and in good
standing, with the reason and what to do when it is not. A scanned member card (``FKG:0002`` + Enter)
opens the group the same way. Every answer comes from ``services.groups``; this page only shows it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, QTimer, QUrl
from PySide6.QtGui import QDesktopServices, QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from booking_app import clock
from booking_app.domain import japanese_calendar as jcal
from booking_app.domain.errors import DomainError, PermissionDenied
from booking_app.domain.groups import GROUP_TYPES
from booking_app.services import groups as group_svc
from booking_app.services import lookups
from booking_app.services.bookings import BookingView
from booking_app.services.centre import get_profile
from booking_app.services.common import precheck_manager
from booking_app.services.groups import CARD_PREFIX, Verdict
from booking_app.ui.context import AppContext
from booking_app.ui.errors import show_error
from booking_app.ui.groups.group_dialog import GroupDialog, StatusChangeDialog
from booking_app.ui.groups.group_models import (
    GroupBookingsModel,
    GroupResultsModel,
    RenewalModel,
    group_status_background,
    group_status_color,
)
from booking_app.ui.widgets import list_table as _table
from booking_app.ui import plain_text
from booking_app.ui.plain_text import esc, plain_label, rich

SEARCH_DELAY_MS = 150
GROUP_BOOKINGS_SHOWN = 50  # bookings on a group's panel, newest first


def info(parent: QWidget | None, title: str, text: str) -> None:
    """A plain notice (tests replace this so nothing blocks)."""
    plain_text.information(parent, title, text)


@dataclass(frozen=True)
class GroupDetail:
    """Everything the status panel shows about one group, read in one session (no ORM kept)."""

    id: int
    reg_no: str | None
    name: str
    kana: str
    type_label: str
    is_machizukuri: bool
    district: str
    activity_fields: tuple[str, ...]
    representative: str
    phone: str
    contact_name: str
    contact_phone: str
    email: str
    members: int | None
    registered_on: date | None
    valid_until: date | None
    status: str
    verdict: Verdict
    last_verified: str
    anonymised_on: date | None = None  # 匿名化 (issue 15): personal fields read 「（匿名化済み）」

    @property
    def title(self) -> str:
        return f"{self.reg_no}　{self.name}" if self.reg_no else self.name


def load_detail(session, group_id: int, today: date) -> tuple[GroupDetail, list[BookingView]]:
    g = group_svc.get_group(session, group_id)
    v = group_svc.verdict(g, today)
    last = lookups.last_verification(session, group_id)
    last_text = ""
    if last is not None:
        at, who = last.at, last.staff_name
        last_text = f"{jcal.format_slash(at.date())} {jcal.format_time(at.time())}　{who}"
    detail = GroupDetail(
        id=g.id, reg_no=g.reg_no, name=g.name, kana=g.kana, type_label=GROUP_TYPES.get(g.group_type, g.group_type),
        is_machizukuri=bool(g.is_machizukuri), district=g.district or "",
        activity_fields=tuple(g.activity_fields or ()), representative=g.representative, phone=g.phone,
        contact_name=g.contact_name, contact_phone=g.contact_phone, email=g.email, members=g.members,
        registered_on=g.registered_on, valid_until=g.valid_until, status=v.status, verdict=v,
        last_verified=last_text, anonymised_on=g.anonymised_at.date() if g.anonymised_at else None,
    )
    # One more than shown, so the panel can say it lists only the newest (issue 13, item 3: no silent cap).
    return detail, group_svc.group_bookings(session, group_id, limit=GROUP_BOOKINGS_SHOWN + 1)


def _date_both(d: date | None) -> str:
    """'2027/03/31（令和9年3月31日）': staff and groups think in both calendars."""
    if d is None:
        return "—"
    return f"{jcal.format_slash(d)}（{jcal.wareki(d)}）"



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
        ctx.changed.connect(self._on_changed)
        # 匿名化 is a manager's: follow a change of the staff member on duty (画面ロック, 交代).
        ctx.actor_changed.connect(lambda _a: self.anonymise_button.setEnabled(
            self._detail is not None and self._detail.anonymised_on is None and self.verify_button.isEnabled()
            and self.ctx.actor.is_manager))
        self.run_search()
        self.refresh_renewals()
        self.refresh_figures()

    @property
    def today(self) -> date:
        return clock.today()

    # ---------------------------------------------------------------- construction

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(10, 8, 10, 8)

        head = QHBoxLayout()
        self.search_edit = QLineEdit()
        self.search_edit.setObjectName("group_search")
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
        self.tabs.addTab(self._build_verify_tab(), "窓口確認")
        self.tabs.addTab(self._build_renewal_tab(), "年度更新")
        outer.addWidget(self.tabs, 1)

    def _build_verify_tab(self) -> QWidget:
        tab = QWidget()
        lay = QHBoxLayout(tab)
        lay.setContentsMargins(4, 6, 4, 4)
        split = QSplitter(Qt.Orientation.Horizontal)
        lay.addWidget(split)

        self.results_model = GroupResultsModel(self)
        self.results_view = _table("group_results")
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

        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(6, 0, 0, 0)
        self.status_frame = QFrame()
        self.status_frame.setObjectName("status_frame")
        sl = QGridLayout(self.status_frame)
        sl.setContentsMargins(14, 8, 14, 10)
        self.group_title = plain_label()
        self.group_title.setObjectName("group_title")
        self.group_title.setWordWrap(True)
        self.group_title.setStyleSheet("font-size: 14pt; font-weight: bold;")
        sl.addWidget(self.group_title, 0, 0, 1, 2)
        self.status_label = plain_label()
        self.status_label.setObjectName("status_label")
        big = QFont(self.font())
        big.setPointSize(34)
        big.setBold(True)
        self.status_label.setFont(big)
        sl.addWidget(self.status_label, 1, 0, 2, 1, Qt.AlignmentFlag.AlignVCenter)
        self.reason_label = plain_label()
        self.reason_label.setObjectName("reason_label")
        self.reason_label.setWordWrap(True)
        self.reason_label.setStyleSheet("font-size: 12pt;")
        sl.addWidget(self.reason_label, 1, 1)
        self.advice_label = plain_label()
        self.advice_label.setObjectName("advice_label")
        self.advice_label.setWordWrap(True)
        self.advice_label.setStyleSheet("font-size: 11pt;")
        sl.addWidget(self.advice_label, 2, 1)
        sl.setColumnStretch(1, 1)
        rl.addWidget(self.status_frame)

        buttons = QGridLayout()
        self.verify_button = QPushButton("確認済み")
        self.verify_button.setObjectName("verify")
        self.verify_button.setToolTip("窓口で確認したことを記録します")
        self.verify_button.setStyleSheet("QPushButton#verify { font-weight: bold; padding: 6px 14px; }")
        self.verify_button.clicked.connect(self.verify_selected)
        self.booking_button = QPushButton("新しい予約")
        self.booking_button.setObjectName("new_booking")
        self.booking_button.clicked.connect(self._new_booking)
        self.edit_button = QPushButton("登録内容を変更")
        self.edit_button.setObjectName("edit_group")
        self.edit_button.clicked.connect(self._edit)
        self.status_button = QPushButton("停止・抹消・解除")
        self.status_button.setObjectName("change_status")
        self.status_button.clicked.connect(self._change_status)
        self.card_button = QPushButton("会員証を印刷")
        self.card_button.setObjectName("print_card")
        self.card_button.clicked.connect(self._print_card)
        # 個人情報の匿名化 (issue 15, ui/groups/privacy_dialog.py): a manager's action, confirmed with a reason.
        self.anonymise_button = QPushButton("個人情報を匿名化…")
        self.anonymise_button.setObjectName("anonymise_group")
        self.anonymise_button.setToolTip("この団体と関係する人の個人情報を消去します（管理者のみ・元に戻せません）")
        self.anonymise_button.clicked.connect(self.anonymise_selected)
        for i, b in enumerate((self.verify_button, self.booking_button, self.edit_button,
                               self.status_button, self.card_button, self.anonymise_button)):
            b.setMinimumHeight(32)
            buttons.addWidget(b, i // 3, i % 3)
        rl.addLayout(buttons)
        self.verified_label = plain_label()
        self.verified_label.setObjectName("verified_label")
        self.verified_label.setStyleSheet("color: #1b7a3a;")
        rl.addWidget(self.verified_label)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget()
        bl = QVBoxLayout(body)
        bl.setContentsMargins(0, 0, 4, 0)
        self.insurance_label = rich(QLabel("<b>保険</b>"))  # enrolment lines go in through esc()
        self.insurance_label.setObjectName("insurance_label")
        self.insurance_label.setWordWrap(True)
        self.details = QFormLayout()
        self.details.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.detail_labels: dict[str, QLabel] = {}
        for key, caption in (("reg_no", "登録番号"), ("name", "団体名"), ("kana", "ふりがな"), ("type", "区分"),
                             ("fields", "活動分野"), ("representative", "代表者"), ("phones", "電話"),
                             ("members", "会員数"), ("registered_on", "登録日"), ("valid_until", "有効期限"),
                             ("last_verified", "最終確認")):
            lbl = plain_label()
            lbl.setObjectName(f"detail_{key}")
            lbl.setWordWrap(True)
            lbl.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.detail_labels[key] = lbl
            self.details.addRow(caption, lbl)
        bl.addLayout(self.details)
        bl.addWidget(self.insurance_label)  # insurance issue: above the bookings, so it is seen without scrolling
        self.bookings_heading = rich(QLabel("<b>予約</b>"))
        self.bookings_heading.setObjectName("bookings_heading")
        bl.addWidget(self.bookings_heading)
        self.bookings_model = GroupBookingsModel(self)
        self.bookings_view = _table("group_bookings")
        self.bookings_view.setModel(self.bookings_model)
        # Date and time fixed to the font, the room takes what is left, the status always in view
        # (at 1366 px the pane is ~440 px wide).
        char = self.bookings_view.fontMetrics().horizontalAdvance("0")
        bh = self.bookings_view.horizontalHeader()
        bh.setStretchLastSection(False)
        for col, chars in ((0, 15), (1, 12), (3, 7)):
            self.bookings_view.setColumnWidth(col, char * chars + 12)
        bh.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.bookings_view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.bookings_view.setMinimumHeight(120)
        self.bookings_view.doubleClicked.connect(self._open_booking)
        bl.addWidget(self.bookings_view, 1)
        scroll.setWidget(body)
        rl.addWidget(scroll, 1)
        split.addWidget(right)
        # The list gets the larger share: names and readings are what the desk scans; the detail pane
        # (a status card, buttons, short fields) reads fine at ~440 px (checked at 1366×768 with the app font).
        split.setStretchFactor(0, 16)
        split.setStretchFactor(1, 9)
        split.setSizes([776, 440])
        self._show_nothing()
        return tab

    def _build_renewal_tab(self) -> QWidget:
        tab = QWidget()
        lay = QVBoxLayout(tab)
        row = QHBoxLayout()
        row.addWidget(QLabel("更新する年度"))
        self.fy_combo = QComboBox()
        self.fy_combo.setObjectName("renewal_year")
        fy = jcal.fiscal_year(self.today)
        self.fy_combo.addItem(f"来年度（{jcal.fiscal_year_label(fy + 1)}）", fy + 1)
        self.fy_combo.addItem(f"今年度（{jcal.fiscal_year_label(fy)}）", fy)
        # From January the desk is renewing for next April; before that a lapsed group renews for now.
        self.fy_combo.setCurrentIndex(0 if self.today.month <= 3 else 1)
        self.fy_combo.currentIndexChanged.connect(self.refresh_renewals)
        row.addWidget(self.fy_combo)
        self.select_all_check = QCheckBox("すべて選択")
        self.select_all_check.setObjectName("select_all")
        self.select_all_check.toggled.connect(lambda on: self.renewal_model.set_all_checked(on))
        row.addWidget(self.select_all_check)
        row.addStretch(1)
        self.renew_button = QPushButton("選択した団体を更新")
        self.renew_button.setObjectName("renew")
        self.renew_button.clicked.connect(self.renew_selected)
        row.addWidget(self.renew_button)
        lay.addLayout(row)
        self.renewal_model = RenewalModel(self)
        self.renewal_view = _table("renewal_list")
        self.renewal_view.setModel(self.renewal_model)
        for col, width in enumerate((50, 70, 320, 90)):
            self.renewal_view.setColumnWidth(col, width)
        self.renewal_view.horizontalHeader().setStretchLastSection(True)
        lay.addWidget(self.renewal_view, 1)
        self.renewal_label = plain_label()
        self.renewal_label.setObjectName("renewal_result")
        self.renewal_label.setWordWrap(True)
        lay.addWidget(self.renewal_label)
        return tab

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
        self._timer.stop()
        text = self.search_edit.text().strip()
        if text.upper().startswith(CARD_PREFIX):
            self.open_group_by_code(text)
        else:
            self.run_search()

    def run_search(self, select_id: int | None = None) -> None:
        self._timer.stop()
        text = self.search_edit.text()
        today = self.today
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
        today = self.today

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
        return True

    # ---------------------------------------------------------------- the status panel

    def selected_id(self) -> int | None:
        return self._detail.id if self._detail is not None else None

    def show_group(self, group_id: int) -> None:
        today = self.today
        try:
            detail, bookings = self.ctx.read(lambda s: load_detail(s, group_id, today))
        except DomainError as exc:
            show_error(self, exc)
            return
        self._detail = detail
        self._show_verdict(detail.verdict, title=detail.title)
        d = detail
        labels = self.detail_labels
        labels["reg_no"].setText(d.reg_no or "—")
        labels["name"].setText(d.name)
        labels["kana"].setText(d.kana or "—")
        type_text = d.type_label
        if d.is_machizukuri:
            type_text += f"（まちづくり協議会・{d.district}地区）" if d.district else "（まちづくり協議会）"
        labels["type"].setText(type_text)
        labels["fields"].setText("、".join(d.activity_fields) or "—")
        rep = d.representative or "—"
        if d.contact_name and d.contact_name != d.representative:
            rep += f"（連絡担当：{d.contact_name}）"
        if d.anonymised_on is not None:
            rep = f"（{jcal.format_slash(d.anonymised_on)}に個人情報を匿名化済み）"
        labels["representative"].setText(rep)
        phones = list(dict.fromkeys(p for p in (d.phone, d.contact_phone, d.email) if p))
        labels["phones"].setText("　".join(phones) or "—")
        labels["members"].setText(f"{d.members}人" if d.members else "—")
        labels["registered_on"].setText(_date_both(d.registered_on))
        labels["valid_until"].setText(_date_both(d.valid_until))
        labels["last_verified"].setText(d.last_verified or "まだありません")
        capped = len(bookings) > GROUP_BOOKINGS_SHOWN
        self.bookings_model.set_rows(bookings[:GROUP_BOOKINGS_SHOWN])
        self.bookings_heading.setText(
            f"<b>予約</b>（新しい順に{GROUP_BOOKINGS_SHOWN}件を表示。それより前は予約検索で）" if capped else "<b>予約</b>")
        self._show_insurance(d.id, today)
        self.verified_label.setText(self._verified_note.get(d.id, ""))
        self._set_group_buttons(True)
        if d.anonymised_on is not None:
            self.anonymise_button.setEnabled(False)  # once is enough (the service refuses a second time)

    def _show_verdict(self, v: Verdict, *, title: str) -> None:
        color = group_status_color(v.status)
        self.group_title.setText(title)
        self.status_label.setText(v.label)
        self.status_label.setStyleSheet(f"color: {color.name()};")
        self.reason_label.setText(v.reason)
        self.reason_label.setStyleSheet(f"font-size: 12pt; color: {color.name() if not v.good else '#212121'};")
        self.advice_label.setText(v.advice)
        self.status_frame.setStyleSheet(
            f"QFrame#status_frame {{ background: {group_status_background(v.status).name()};"
            f" border: 2px solid {color.name()}; border-radius: 6px; }}")
        if v.status == "unregistered":
            self._detail = None
            self._clear_details()
            self._set_group_buttons(False)

    def _show_nothing(self) -> None:
        self._detail = None
        self.group_title.setText("")
        self.status_label.setText("")
        self.reason_label.setText("団体名・ふりがな・登録番号・電話番号を入力してください。")
        self.reason_label.setStyleSheet("font-size: 12pt; color: #616161;")
        self.advice_label.setText("会員証のQRコードを読み取っても開きます。")
        self.status_frame.setStyleSheet(
            "QFrame#status_frame { background: #f5f5f5; border: 1px solid #d0d0d0; border-radius: 6px; }")
        self._clear_details()
        self._set_group_buttons(False)

    def _clear_details(self) -> None:
        for lbl in self.detail_labels.values():
            lbl.setText("")
        self.bookings_model.set_rows([])
        self.bookings_heading.setText("<b>予約</b>")
        self.insurance_label.setText("<b>保険</b>")
        self.verified_label.setText("")

    def _show_insurance(self, group_id: int, today: date) -> None:
        """Insurance issue: the group's enrolments this fiscal year and whether each covers today."""
        from booking_app.ui.insurance.insurance_page import enrolment_lines_for_group
        lines = self.ctx.read(lambda s: enrolment_lines_for_group(s, group_id, today))
        if not lines:
            self.insurance_label.setText("<b>保険</b>　今年度の加入はありません")
            return
        rows = "".join(f"<br><span style='color:{'#1b7a3a' if ok else '#c62828'};'>{'●' if ok else '×'}</span> {esc(text)}"
                       for ok, text in lines)
        self.insurance_label.setText(f"<b>保険</b>{rows}")

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
            show_error(self, exc)
            return
        at = clock.now()
        self._verified_note[gid] = f"確認を記録しました（{jcal.format_time(at.time())}　{v.label}）"
        self.verified_label.setText(self._verified_note[gid])

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
        from booking_app.ui.groups.group_io_dialog import GroupImportDialog

        GroupImportDialog.run(self, self.ctx)  # a write broadcasts {"group"}, which refreshes this page

    def _export_groups(self) -> None:
        from booking_app.ui.groups.group_io_dialog import export_groups_dialog

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
            show_error(self, exc)
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
            show_error(self, exc)
            return None
        from booking_app.ui.groups.privacy_dialog import AnonymiseDialog

        d = self._detail
        dlg = AnonymiseDialog.start(self, self.ctx, d.id, d.title)
        dlg.accepted.connect(lambda gid=d.id: self.run_search(select_id=gid))
        self.anonymise_dialog = dlg
        return dlg

    def show_due_groups(self):
        """保存期間を過ぎた団体 (window-modal, not blocking)."""
        from booking_app.ui.groups.privacy_dialog import DueGroupsDialog

        self.due_groups_dialog = DueGroupsDialog.start(self, self.ctx)
        return self.due_groups_dialog

    def _new_booking(self) -> None:
        from booking_app.ui.booking.booking_dialog import BookingDialog
        # The group on the panel, and what the desk was looking at before it came here (the main window
        # tells: the calendar's day and room), so the dialog opens ready for this group's request.
        kwargs = dict(self.new_booking_context()) if self.new_booking_context is not None else {}
        if self._detail is not None:
            kwargs["group_id"] = self._detail.id
        BookingDialog.create(self, self.ctx, **kwargs)

    def _open_booking(self, index: QModelIndex) -> None:
        from booking_app.ui.booking.booking_dialog import BookingDialog
        bid = self.bookings_model.data(index, Qt.ItemDataRole.UserRole + 1)
        if bid is not None:
            BookingDialog.edit(self, self.ctx, bid)

    def _print_card(self) -> None:
        if self._detail is None:
            return
        from booking_app.reports.member_cards import render_member_cards
        from booking_app.services.cards import print_cards
        gid, today = self._detail.id, self.today
        path = ""
        try:
            # A write: the print run is recorded in the audit trail (issue 14).
            cards = self.ctx.write(lambda s, a: print_cards(s, a, [gid], profile=get_profile(s), today=today),
                                   changes=frozenset())
            fd, path = tempfile.mkstemp(prefix=f"member_card_{self._detail.reg_no or gid}_", suffix=".pdf")
            os.close(fd)
            render_member_cards(cards, path)
        except Exception as exc:  # noqa: BLE001 — a DomainError says why; a report bug must not stop the desk
            if path:
                os.remove(path)
            show_error(self, exc)
            return
        self.last_card_path = path
        QDesktopServices.openUrl(QUrl.fromLocalFile(path))

    # ---------------------------------------------------------------- renewal

    def renewal_year(self) -> int:
        return int(self.fy_combo.currentData())

    def refresh_renewals(self, *_) -> None:
        fy, today = self.renewal_year(), self.today
        rows = self.ctx.read(lambda s: group_svc.renewal_list(s, fy, today=today))
        self.renewal_model.set_rows(rows)
        self.renew_button.setText(f"選択した団体を更新（{jcal.fiscal_year_label(fy)}）")

    def renew_selected(self) -> None:
        ids, fy = self.renewal_model.checked_ids(), self.renewal_year()
        if not ids:
            self.renewal_label.setText("更新する団体にチェックを付けてください。")
            return
        try:
            n = self.ctx.write(lambda s, a: group_svc.renew_groups(s, a, ids, fy), changes={"group"})
        except DomainError as exc:
            show_error(self, exc)
            return
        self.select_all_check.blockSignals(True)
        self.select_all_check.setChecked(False)
        self.select_all_check.blockSignals(False)
        self.renewal_model.set_all_checked(False)
        skipped = len(ids) - n
        text = f"{n}団体を{jcal.fiscal_year_label(fy)}に更新しました。"
        if skipped:
            text += f"（{skipped}団体は更新済みのため変更なし）"
        self.renewal_label.setText(text)

    # ---------------------------------------------------------------- figures and refresh

    def refresh_figures(self) -> None:
        today = self.today

        def figures(s):
            from booking_app.services.centre import targets_for

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
        self.refresh_renewals()
        self.refresh_figures()


__all__ = ["GroupDetail", "GroupsPage", "load_detail"]
