"""The insurance page (保険): enrolments, the cover check at the counter, accident reports, renewals.

Four tabs, one job each: 加入一覧 lists the fiscal year's enrolments with 支払済 / 未払 in colour and
the actions on the selected one (take the premium, add or remove people, the certificate); the less
used actions sit in the その他 menu so the row fits a 1366-pixel screen (cancel an unpaid enrolment,
the enrolment list as PDF, the fiscal-year ledger, the plans and premiums); 補償の確認
answers "are we covered on that day?" in one big word with the reason; 事故報告 lists the reports with
their deadline to the city; 年度更新 lists last year's annual enrolments not yet renewed. Every answer
comes from ``services.insurance``; this page only shows it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QRadioButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from booking_app.domain import japanese_calendar as jcal
from booking_app.domain.errors import DomainError
from booking_app.domain.insurance import SCHEMES
from booking_app.services import insurance as ins
from booking_app.services import unit_of_work
from booking_app.services.insurance_reports import export_insurance
from booking_app.services.unit_of_work import Session
from booking_app.services.group_lookup import get_group, search_groups
from booking_app.ui.money import payment_dialog as pd
from booking_app.ui.insurance.accident_dialog import AccidentDialog
from booking_app.ui.context import AppContext
from booking_app.ui.dates import date_edit, from_qdate
from booking_app.ui.insurance.enrol_dialog import AddPeopleDialog, EnrolDialog, RemovePersonDialog
from booking_app.ui.export_op import ExportOp, export_file
from booking_app.ui.prompts import EXCEL_OR_CSV
from booking_app.ui.insurance.insurance_models import (
    BAD,
    BAD_BG,
    GOOD,
    GOOD_BG,
    AccidentsModel,
    CoverResultsModel,
    EnrolmentsModel,
    RenewalCandidatesModel,
    people_count,
    period_text,
    reason_word,
)
from booking_app.ui.widgets import list_table as _table, action_button as _button
from booking_app.ui.keyboard import tab_leaves_dates
from booking_app.ui.keyboard import tab_leaves
from booking_app.ui.plain_text import esc, plain_label, rich

SEARCH_DELAY_MS = 150
PREMIUM_PURPOSE = "保険料として"
TABS = ("list", "cover", "accidents", "renewal")
REFRESH_ON = frozenset({"insurance", "charge", "receipt", "group", "accident"})


def ask_cancel_reason(parent: QWidget | None, enrolment: Any) -> str | None:
    """The reason for cancelling an enrolment, or None when staff step back."""
    dlg = QInputDialog(parent)
    dlg.setObjectName("cancel_reason_dialog")
    dlg.setWindowTitle("加入を取り消す")
    owed = f"未払いの保険料 ¥{enrolment.premium:,} も取り消します。" if enrolment.premium else ""
    dlg.setLabelText(f"{enrolment.holder_name}　{enrolment.plan_name}\n"
                     f"この加入を取り消します。{owed}記録は消えずに「取消」として残ります。\n\n取消理由：")
    dlg.setTextValue("")
    dlg.setOkButtonText("取り消す")
    dlg.setCancelButtonText("やめる")
    dlg.resize(460, dlg.sizeHint().height())
    if dlg.exec() != QInputDialog.DialogCode.Accepted:
        return None
    return dlg.textValue()


def _paid_in_full(v: Any) -> bool:
    """A premium taken: the service refuses to cancel it until the receipt is voided."""
    return bool(v.premium and v.paid)


def take_premium(parent: QWidget | None, ctx: AppContext, enrolment: Any) -> int | None:
    """The payment dialog with only this enrolment's open premium ticked; the receipt id or None."""
    dlg = pd.PaymentDialog(ctx, parent, group_id=enrolment.group_id, payer_name=enrolment.holder_name,
                           charge_ids=list(enrolment.open_charge_ids))
    dlg.purpose_edit.setText(PREMIUM_PURPOSE)
    dlg.exec()
    return dlg.receipt_id




class InsurancePage(QWidget):
    """保険の画面: 加入一覧, 補償の確認, 事故報告, 年度更新."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("insurance_page")
        self.ctx = ctx
        self._cover_group_id: int | None = None
        self.last_certificate_path: Path | None = None
        self.last_export_path: Path | None = None
        self.last_list_path: Path | None = None
        self.last_op: ExportOp | None = None

        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(SEARCH_DELAY_MS)
        self._filter_timer.timeout.connect(self.refresh_list)
        self._group_timer = QTimer(self)
        self._group_timer.setSingleShot(True)
        self._group_timer.setInterval(SEARCH_DELAY_MS)
        self._group_timer.timeout.connect(self._search_cover_groups)

        self._build()
        ctx.changed.connect(self._on_changed)
        self.refresh()

    # ---------------------------------------------------------------- construction

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(10, 8, 10, 8)
        head = QHBoxLayout()
        self.enrol_group_button = _button("団体の加入…", "enrol_group", self.enrol_group,
                                          "市民活動保険・ボランティア活動保険（年間）")
        self.enrol_event_button = _button("行事の加入…", "enrol_event", self.enrol_event, "ボランティア行事用保険")
        self.add_people_button = _button("人を追加…", "add_people", self.add_people, "選んだ加入に被保険者を追加")
        self.remove_person_button = _button("名簿から外す…", "remove_person", self.remove_person)
        self.pay_button = _button("保険料を受け取る", "take_premium", self.take_premium)
        self.pay_button.setStyleSheet("QPushButton#take_premium { font-weight: bold; }")
        self.certificate_button = _button("加入証明書", "certificate", self.show_certificate)
        self.export_button = _button("名簿を書出", "export_roster", self.export_roster,
                                     "社会福祉協議会・保険会社に送る名簿（Excel／CSV）")
        for b in (self.enrol_group_button, self.enrol_event_button):
            head.addWidget(b)
        head.addSpacing(12)
        for b in (self.add_people_button, self.remove_person_button, self.pay_button, self.certificate_button):
            head.addWidget(b)
        head.addStretch(1)
        head.addWidget(self.export_button)
        self.more_button = QPushButton("その他")
        self.more_button.setObjectName("more_actions")
        self.more_button.setMinimumHeight(32)
        self.more_button.setMenu(self._build_more_menu())
        head.addWidget(self.more_button)
        outer.addLayout(head)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("insurance_tabs")
        self.tabs.addTab(self._build_list_tab(), "加入一覧")
        self.tabs.addTab(self._build_cover_tab(), "補償の確認")
        self.tabs.addTab(self._build_accidents_tab(), "事故報告")
        self.tabs.addTab(self._build_renewal_tab(), "年度更新")
        self.tabs.tabBar().setAccessibleName("保険の画面（加入一覧・補償の確認・事故報告・年度更新）")
        outer.addWidget(self.tabs, 1)
        # Tables are one Tab stop each (arrows move in them); Tab leaves the date field.
        for view, name in ((self.enrolments_view, "加入の一覧"), (self.cover_view, "補償の確認の結果"),
                           (self.accidents_view, "事故報告の一覧"), (self.renewal_view, "再加入する団体の一覧")):
            view.setAccessibleName(name)
            tab_leaves(view)
        tab_leaves_dates(self)

    def _build_more_menu(self) -> QMenu:
        menu = QMenu(self)
        menu.setObjectName("more_menu")
        menu.setToolTipsVisible(True)
        self.cancel_action = menu.addAction("加入を取り消す…")
        self.cancel_action.setObjectName("cancel_enrolment")
        self.cancel_action.triggered.connect(lambda _c=False: self.cancel_enrolment())
        menu.addSeparator()
        self.list_menu = menu.addMenu("加入者一覧（PDF）")
        self.list_menu.setObjectName("enrolment_list_menu")
        self.list_actions = {}
        for scheme, label in ((None, "すべての保険"), *SCHEMES.items()):
            action = self.list_menu.addAction(label)
            action.setObjectName(f"enrolment_list_{scheme or 'all'}")
            action.triggered.connect(lambda _c=False, sc=scheme: self.print_enrolment_list(sc))
            self.list_actions[scheme] = action
        self.ledger_action = menu.addAction("年度台帳を書き出す…")
        self.ledger_action.setObjectName("export_ledger")
        self.ledger_action.triggered.connect(lambda _c=False: self.export_ledger())
        menu.addSeparator()
        self.plans_action = menu.addAction("プラン・保険料…")
        self.plans_action.setObjectName("edit_plans")
        self.plans_action.setToolTip("年度ごとのプランと保険料（変更は管理者）")
        self.plans_action.triggered.connect(lambda _c=False: self.edit_plans())
        # A bound method, not a lambda: Qt drops the connection when the page is destroyed.
        self.ctx.actor_changed.connect(self._on_actor_changed)
        return menu

    def _on_actor_changed(self, _actor) -> None:
        self._update_menu()

    def _update_menu(self) -> None:
        """The year in the menu's words, and what the staff member on duty may do."""
        label = jcal.fiscal_year_label(self.fiscal_year())
        self.list_menu.setTitle(f"加入者一覧（{label}・PDF）")
        self.ledger_action.setText(f"年度台帳を書き出す（{label}）…")
        manager = self.ctx.actor.is_manager
        self.ledger_action.setEnabled(manager)
        self.ledger_action.setToolTip("加入と保険料の年度台帳（Excel／CSV）" if manager
                                      else "年度台帳の書き出しは管理者のみ行えます。")
        v = self.selected()
        can_cancel = v is not None and v.status != "cancelled" and not _paid_in_full(v)
        self.cancel_action.setEnabled(can_cancel)
        if v is not None and v.status != "cancelled" and _paid_in_full(v):
            tip = "保険料を受け取った加入は、先に領収書を取り消してから取り消せます。"
        else:
            tip = "未払いの加入を取り消します（記録は残ります）。"
        self.cancel_action.setToolTip(tip)

    def _year_combo(self, name: str, years: list[int]) -> QComboBox:
        c = QComboBox()
        c.setObjectName(name)
        for fy in years:
            c.addItem(jcal.fiscal_year_label(fy), fy)
        return c

    def _build_list_tab(self) -> QWidget:
        tab = QWidget()
        lay = QVBoxLayout(tab)
        lay.setContentsMargins(4, 6, 4, 4)
        row = QHBoxLayout()
        fy = jcal.fiscal_year(self.ctx.today)
        year_label = QLabel("年度(&Y)")
        row.addWidget(year_label)
        self.year_combo = self._year_combo("fiscal_year", [fy + 1, fy, fy - 1, fy - 2])
        year_label.setBuddy(self.year_combo)
        self.year_combo.setCurrentIndex(1)
        self.year_combo.currentIndexChanged.connect(lambda _i: self.refresh_list())
        row.addWidget(self.year_combo)
        self.filter_edit = QLineEdit()
        self.filter_edit.setObjectName("enrolment_filter")
        self.filter_edit.setPlaceholderText("団体名・行事名・氏名で絞り込み")
        self.filter_edit.setAccessibleName("加入の絞り込み（団体名・行事名・氏名）")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(lambda _t: self._filter_timer.start())
        row.addWidget(self.filter_edit, 1)
        self.unpaid_check = QCheckBox("未払いのみ")
        self.unpaid_check.setObjectName("unpaid_only")
        self.unpaid_check.toggled.connect(lambda _on: self.refresh_list())
        row.addWidget(self.unpaid_check)
        self.list_count = plain_label()
        self.list_count.setObjectName("enrolment_count")
        row.addWidget(self.list_count)
        lay.addLayout(row)

        self.enrolments_model = EnrolmentsModel(self)
        self.enrolments_view = _table("enrolments")
        self.enrolments_view.setModel(self.enrolments_model)
        hh = self.enrolments_view.horizontalHeader()
        for col, width in enumerate((270, 220, 170, 190, 60, 90, 80)):
            self.enrolments_view.setColumnWidth(col, width)
        hh.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.enrolments_view.selectionModel().currentRowChanged.connect(lambda *_: self._show_selected())
        lay.addWidget(self.enrolments_view, 1)
        self.detail_label = rich(QLabel())  # holder, plan and names go in through esc()
        self.detail_label.setObjectName("enrolment_detail")
        self.detail_label.setWordWrap(True)
        self.detail_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail_label.setMinimumHeight(44)
        self.detail_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        lay.addWidget(self.detail_label)
        return tab

    def _build_cover_tab(self) -> QWidget:
        tab = QWidget()
        lay = QVBoxLayout(tab)
        lay.setContentsMargins(4, 8, 4, 4)
        grid = QGridLayout()
        self.by_group_radio = QRadioButton("団体で")
        self.by_group_radio.setObjectName("cover_by_group")
        self.by_person_radio = QRadioButton("氏名で")
        self.by_person_radio.setObjectName("cover_by_person")
        self.by_group_radio.setChecked(True)
        self._cover_mode = QButtonGroup(self)
        self._cover_mode.addButton(self.by_group_radio)
        self._cover_mode.addButton(self.by_person_radio)
        self.cover_group_edit = QLineEdit()
        self.cover_group_edit.setObjectName("cover_group")
        self.cover_group_edit.setPlaceholderText("団体名・ふりがな・登録番号")
        self.cover_group_edit.setAccessibleName("補償を確かめる団体（団体名・ふりがな・登録番号）")
        self.cover_group_edit.setClearButtonEnabled(True)
        self.cover_group_edit.textEdited.connect(self._on_cover_group_edited)
        self.cover_group_edit.returnPressed.connect(self._pick_first_cover_group)
        self.cover_person_edit = QLineEdit()
        self.cover_person_edit.setObjectName("cover_person")
        self.cover_person_edit.setPlaceholderText("氏名またはフリガナ")
        self.cover_person_edit.setAccessibleName("補償を確かめる人（氏名またはフリガナ）")
        self.cover_person_edit.setClearButtonEnabled(True)
        self.cover_person_edit.textEdited.connect(lambda _t: self.by_person_radio.setChecked(True))
        self.cover_person_edit.returnPressed.connect(self.check_cover)
        self.cover_date = date_edit("cover_date", self.ctx.today)
        self.cover_date.dateChanged.connect(lambda _d: self._recheck())
        self.check_button = _button("確認する", "check_cover", self.check_cover)
        self.check_button.setMinimumWidth(110)
        grid.addWidget(self.by_group_radio, 0, 0)
        grid.addWidget(self.cover_group_edit, 0, 1)
        date_label = QLabel("日付(&D)")
        date_label.setBuddy(self.cover_date)
        grid.addWidget(date_label, 0, 2)
        grid.addWidget(self.cover_date, 0, 3)
        grid.addWidget(self.by_person_radio, 1, 0)
        grid.addWidget(self.cover_person_edit, 1, 1)
        grid.addWidget(self.check_button, 1, 3)
        grid.setColumnStretch(1, 1)
        lay.addLayout(grid)
        self.cover_hits = QListWidget()
        self.cover_hits.setObjectName("cover_group_hits")
        self.cover_hits.setAccessibleName("団体の候補")
        self.cover_hits.setMaximumHeight(96)
        self.cover_hits.setVisible(False)
        self.cover_hits.itemClicked.connect(self._pick_cover_group)
        self.cover_hits.itemActivated.connect(self._pick_cover_group)
        lay.addWidget(self.cover_hits)

        self.answer_frame = QFrame()
        self.answer_frame.setObjectName("answer_frame")
        al = QHBoxLayout(self.answer_frame)
        al.setContentsMargins(16, 10, 16, 10)
        self.answer_label = plain_label()
        self.answer_label.setObjectName("cover_answer")
        big = QFont(self.font())
        big.setPointSize(30)
        big.setBold(True)
        self.answer_label.setFont(big)
        al.addWidget(self.answer_label)
        self.answer_reason = rich(QLabel())  # the typed group or name goes in through esc()
        self.answer_reason.setObjectName("cover_reason")
        self.answer_reason.setWordWrap(True)
        self.answer_reason.setStyleSheet("font-size: 12pt;")
        al.addWidget(self.answer_reason, 1)
        lay.addWidget(self.answer_frame)
        self.cover_model = CoverResultsModel(self)
        self.cover_view = _table("cover_results")
        self.cover_view.setModel(self.cover_model)
        for col, width in enumerate((150, 260, 200, 120)):
            self.cover_view.setColumnWidth(col, width)
        self.cover_view.horizontalHeader().setStretchLastSection(True)
        lay.addWidget(self.cover_view, 1)
        self._show_answer(None)
        return tab

    def _build_accidents_tab(self) -> QWidget:
        tab = QWidget()
        lay = QVBoxLayout(tab)
        lay.setContentsMargins(4, 6, 4, 4)
        row = QHBoxLayout()
        self.new_accident_button = _button("新規報告…", "new_accident", self.new_accident)
        self.mark_sent_button = _button("報告済みにする", "mark_sent", self.mark_sent,
                                        "市（保険会社）へ報告したことを記録します")
        self.print_accident_button = _button("事故報告書を印刷", "print_accident", self.print_accident,
                                             "選んだ事故報告を、保険会社・市に出す事故報告書（PDF）にします")
        self.open_only_check = QCheckBox("未報告のみ")
        self.open_only_check.setObjectName("open_only")
        self.open_only_check.setChecked(True)
        self.open_only_check.toggled.connect(lambda _on: self.refresh_accidents())
        row.addWidget(self.new_accident_button)
        row.addWidget(self.mark_sent_button)
        row.addWidget(self.print_accident_button)
        row.addWidget(self.open_only_check)
        row.addStretch(1)
        self.accidents_note = plain_label()
        self.accidents_note.setObjectName("accidents_note")
        row.addWidget(self.accidents_note)
        lay.addLayout(row)
        self.accidents_model = AccidentsModel(self)
        self.accidents_view = _table("accidents")
        self.accidents_view.setModel(self.accidents_model)
        for col, width in enumerate((130, 110, 140, 0, 240, 90, 80, 180)):
            if width:
                self.accidents_view.setColumnWidth(col, width)
        # What happened takes the room that is left, so the plan's full name and the status stay readable.
        self.accidents_view.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        lay.addWidget(self.accidents_view, 1)
        return tab

    def _build_renewal_tab(self) -> QWidget:
        tab = QWidget()
        lay = QVBoxLayout(tab)
        lay.setContentsMargins(4, 6, 4, 4)
        row = QHBoxLayout()
        renewal_year_label = QLabel("加入する年度(&R)")
        row.addWidget(renewal_year_label)
        fy = jcal.fiscal_year(self.ctx.today)
        self.renewal_year_combo = self._year_combo("renewal_year", [fy, fy + 1])
        renewal_year_label.setBuddy(self.renewal_year_combo)
        # From January the desk prepares next April's renewals; before that a lapsed group renews now.
        self.renewal_year_combo.setCurrentIndex(1 if self.ctx.today.month <= 3 else 0)
        self.renewal_year_combo.currentIndexChanged.connect(lambda _i: self.refresh_renewals())
        row.addWidget(self.renewal_year_combo)
        row.addStretch(1)
        self.renew_button = _button("再加入…", "renew", self.renew_selected,
                                    "昨年度の名簿とプランを入れた加入画面を開きます")
        row.addWidget(self.renew_button)
        lay.addLayout(row)
        self.renewal_model = RenewalCandidatesModel(self)
        self.renewal_view = _table("renewal_candidates")
        self.renewal_view.setModel(self.renewal_model)
        for col, width in enumerate((280, 300, 200, 70)):
            self.renewal_view.setColumnWidth(col, width)
        self.renewal_view.horizontalHeader().setStretchLastSection(True)
        self.renewal_view.doubleClicked.connect(lambda _i: self.renew_selected())
        lay.addWidget(self.renewal_view, 1)
        self.renewal_note = QLabel("年度末（3月31日）で年間の加入はすべて終わります。昨年度に加入して、"
                                   "今年度まだ加入していない団体です。")
        self.renewal_note.setObjectName("renewal_note")
        self.renewal_note.setWordWrap(True)
        self.renewal_note.setStyleSheet("color: #616161;")
        lay.addWidget(self.renewal_note)
        return tab

    # ---------------------------------------------------------------- tabs

    def focus_search(self) -> None:
        """Ctrl+F (and Ctrl+6 from the main window): the 加入一覧's filter field, its text selected."""
        self.show_tab("list")
        self.filter_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_edit.selectAll()

    def show_tab(self, key: str) -> None:
        self.tabs.setCurrentIndex(TABS.index(key))

    def show_accidents(self) -> None:
        """Where the home screen's 'deadline near' line leads."""
        self.open_only_check.setChecked(True)
        self.refresh_accidents()
        self.show_tab("accidents")

    # ---------------------------------------------------------------- 加入一覧

    def fiscal_year(self) -> int:
        return int(self.year_combo.currentData())

    def selected(self) -> Any:
        idx = self.enrolments_view.selectionModel().currentIndex()
        if not idx.isValid():
            return None
        return self.enrolments_model.item(idx.row())

    def refresh_list(self, select_id: int | None = None) -> None:
        self._filter_timer.stop()
        keep = select_id if select_id is not None else getattr(self.selected(), "id", None)
        fy, text, unpaid = self.fiscal_year(), self.filter_edit.text().strip(), self.unpaid_check.isChecked()
        rows = self.ctx.read(lambda s: ins.list_enrolments(s, fiscal_year=fy, unpaid_only=unpaid, text=text))
        self.enrolments_model.set_rows(rows)
        unpaid_n = sum(1 for v in rows if v.premium and not v.paid and v.status != "cancelled")
        self.list_count.setText(f"{len(rows)}件" + (f"（未払 {unpaid_n}件）" if unpaid_n else ""))
        row = self.enrolments_model.row_of(keep)
        if row >= 0:
            self.select_enrolment_row(row)
        else:
            self._show_selected()

    def select_enrolment_row(self, row: int) -> None:
        idx = self.enrolments_model.index(row, 0)
        self.enrolments_view.selectionModel().setCurrentIndex(
            idx, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self.enrolments_view.scrollTo(idx)
        self._show_selected()

    def select_enrolment(self, enrolment_id: int) -> bool:
        row = self.enrolments_model.row_of(enrolment_id)
        if row < 0:
            return False
        self.select_enrolment_row(row)
        return True

    def _show_selected(self) -> None:
        v = self.selected()
        has = v is not None and v.status != "cancelled"
        roster = has and any(p.removed_on is None for p in v.people)
        for b in (self.add_people_button, self.certificate_button):
            b.setEnabled(has)
        self.remove_person_button.setEnabled(bool(roster))
        self.pay_button.setEnabled(bool(has and v.open_charge_ids))
        self._update_menu()
        if v is None:
            self.detail_label.setText("加入を選ぶと、名簿と保険料の状況を表示します。")
            self.detail_label.setStyleSheet("color: #616161;")
            return
        lines = [f"<b>{esc(v.holder_name)}</b>　{esc(v.plan_name)}　補償 {period_text(v.cover_start, v.cover_end)}"
                 f"　申込 {jcal.format_slash(v.applied_on)}"]
        if v.event_name:
            place = f"（{v.event_place}）" if v.event_place else ""
            lines.append(f"行事：{esc(v.event_name)}{esc(place)}　{period_text(v.event_start, v.event_end)}")
        current = [p for p in v.people if p.removed_on is None]
        if current:
            names = "、".join(p.name for p in current[:12]) + (f" ほか{len(current) - 12}人" if len(current) > 12 else "")
            lines.append(f"名簿 {len(current)}人：{esc(names)}")
        elif v.head_count:
            lines.append(f"人数 {v.head_count}人（名簿なし）")
        if v.status == "cancelled":
            lines.append("<span style='color:#c62828;'>この加入は取り消されています。</span>")
        elif v.premium and not v.paid:
            lines.append(f"<span style='color:#c62828;'><b>保険料 ¥{v.premium:,} が未払いです。</b>"
                         "受け取るまで補償されません。</span>")
        self.detail_label.setText("<br>".join(lines))
        self.detail_label.setStyleSheet("")

    # ---------------------------------------------------------------- actions on enrolments

    def enrol_group(self, group_id: int | None = None, prefill: Any = None, fiscal_year: int | None = None) -> Any:
        v = EnrolDialog.group(self, self.ctx, group_id, prefill=prefill, fiscal_year=fiscal_year)
        self._after_enrol(v)
        return v

    def enrol_event(self) -> Any:
        v = EnrolDialog.event(self, self.ctx)
        self._after_enrol(v)
        return v

    def _after_enrol(self, v: Any) -> None:
        if v is None:
            return
        fy = getattr(v, "fiscal_year", 0) or jcal.fiscal_year(v.applied_on)
        i = self.year_combo.findData(fy)
        if i >= 0 and i != self.year_combo.currentIndex():
            self.year_combo.setCurrentIndex(i)
        self.filter_edit.clear()
        self.unpaid_check.setChecked(False)
        self.refresh_list(select_id=v.id)
        self.show_tab("list")

    def add_people(self) -> None:
        v = self.selected()
        if v is not None and AddPeopleDialog.run(self, self.ctx, v) is not None:
            self.refresh_list(select_id=v.id)

    def remove_person(self) -> None:
        v = self.selected()
        if v is not None and RemovePersonDialog.run(self, self.ctx, v):
            self.refresh_list(select_id=v.id)

    def take_premium(self) -> int | None:
        v = self.selected()
        if v is None:
            return None
        if not v.open_charge_ids:
            self.ctx.prompts.info(self, "保険料", "この加入に未払いの保険料はありません。")
            return None
        receipt = take_premium(self, self.ctx, v)
        self.refresh_list(select_id=v.id)
        return receipt

    def show_certificate(self) -> Path | None:
        v = self.selected()
        if v is None:
            return None
        from booking_app.reports.insurance_pdf import render_certificate
        from booking_app.services.insurance_reports import certificate_doc
        eid = v.id
        path = self._preview_pdf(lambda s: certificate_doc(s, eid), render_certificate,
                                 prefix=f"insurance_certificate_{eid}_",
                                 title=lambda doc: f"加入証明書　{v.holder_name}",
                                 suggested_name=lambda doc: f"加入証明書_{v.holder_name}.pdf")
        if path is not None:
            self.last_certificate_path = path
        return path

    def export_roster(self) -> ExportOp | None:
        """名簿を書出: the fiscal year's roster to .xlsx or .csv, written in the background (managers: the
        service refuses anyone else, and nothing is written)."""
        return self._export("roster", "保険の名簿を書き出す", "保険名簿", "名簿（{n}行）")

    def cancel_enrolment(self) -> Any:
        """加入を取り消す: an unpaid enrolment, with a reason; a paid one is refused by the service."""
        v = self.selected()
        if v is None:
            self.ctx.prompts.info(self, "加入を取り消す", "取り消す加入を選んでください。")
            return None
        reason = ask_cancel_reason(self, v)
        if reason is None:
            return None
        eid = v.id
        try:
            done = self.ctx.write(lambda s, a: ins.cancel_enrolment(s, a, eid, reason),
                                  changes={"insurance", "charge"})
        except DomainError as exc:
            self.ctx.prompts.show_error(self, exc)
            return None
        self.refresh_list(select_id=eid)
        return done

    def print_enrolment_list(self, scheme: str | None = None) -> Path | None:
        """加入者一覧: the fiscal year's enrolments (of one scheme, or all) as a PDF in the preview."""
        from booking_app.reports.insurance_pdf import render_enrolment_list
        from booking_app.services.insurance_reports import print_enrolment_list

        fy, today = self.fiscal_year(), self.ctx.today
        label = jcal.fiscal_year_label(fy)
        which = SCHEMES.get(scheme, "") if scheme else ""
        title = f"{label} 保険加入者一覧" + (f"（{which}）" if which else "")
        name = f"保険加入者一覧_{label}" + (f"_{which}" if which else "")
        # A write: the list carries names, so the print run is recorded in the audit trail.
        path = self._preview_pdf(lambda s, a: print_enrolment_list(s, a, fy, scheme=scheme),
                                 lambda rows, out: render_enrolment_list(rows, out, title=title, printed_on=today),
                                 prefix=f"insurance_list_{fy}_", title=lambda rows: title,
                                 suggested_name=lambda rows: f"{name}.pdf", audited=True)
        if path is not None:
            self.last_list_path = path
        return path

    def export_ledger(self) -> ExportOp | None:
        """年度台帳: every enrolment of the fiscal year with premiums and totals, to .xlsx or .csv (managers)."""
        return self._export("ledger", "保険の年度台帳を書き出す", "保険加入台帳", "加入台帳（{n}件）")

    def _export(self, kind: str, title: str, stem: str, what: str) -> ExportOp | None:
        """Ask where, then write on the worker through the service, which lets personal data out for managers
        only and records the export in the audit trail (one transaction: a file that cannot be written
        leaves no entry)."""
        fy, actor, engine = self.fiscal_year(), self.ctx.actor, self.ctx.engine
        label = jcal.fiscal_year_label(fy)

        def export(session: Session, path: Path) -> int:
            from booking_app.reports.insurance_pdf import write_insurance  # on first use (see export_tab)

            return write_insurance(export_insurance(session, actor, fy, path, kind=kind), path, fiscal_year=fy)

        def write(path: Path) -> int:
            return unit_of_work.write(engine, lambda s: export(s, path))

        def remember(_n: int, path: Path) -> None:
            self.last_export_path = path

        self.last_op = export_file(self, self.ctx, title=title, suggested=f"{stem}_{label}.xlsx", filters=EXCEL_OR_CSV,
                                   write=write, on_done=remember, progress=f"{label}の{what.split('（')[0]}を書き出しています…",
                                   done=lambda n, path: f"{label}の{what.format(n=n)}を書き出しました。\n{path}")
        return self.last_op

    def edit_plans(self) -> list[Any]:
        """プラン・保険料: the plans of the year chosen in 加入一覧 (any year can be picked in the dialog)."""
        from booking_app.ui.insurance.insurance_plans_dialog import InsurancePlansDialog

        return InsurancePlansDialog.run(self, self.ctx, fiscal_year=self.fiscal_year())

    # ---------------------------------------------------------------- 補償の確認

    def _on_cover_group_edited(self, _text: str) -> None:
        self.by_group_radio.setChecked(True)
        self._cover_group_id = None
        self._group_timer.start()

    def _search_cover_groups(self) -> None:
        text = self.cover_group_edit.text().strip()
        self.cover_hits.clear()
        if not text:
            self.cover_hits.setVisible(False)
            return
        hits = self.ctx.read(lambda s: search_groups(s, text, limit=20))
        for h in hits:
            item = QListWidgetItem(f"{h.display}　（{h.state_label(self.ctx.today)}）")
            item.setData(Qt.ItemDataRole.UserRole, h.id)
            self.cover_hits.addItem(item)
        if not hits:
            item = QListWidgetItem("該当する団体はありません")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.cover_hits.addItem(item)
        self.cover_hits.setVisible(True)

    def _pick_first_cover_group(self) -> None:
        self._group_timer.stop()
        if self._cover_group_id is None:
            self._search_cover_groups()
            item = self.cover_hits.item(0)
            if item is None or item.data(Qt.ItemDataRole.UserRole) is None:
                self.check_cover()
                return
            self._pick_cover_group(item)
        else:
            self.check_cover()

    def _pick_cover_group(self, item: QListWidgetItem) -> None:
        gid = item.data(Qt.ItemDataRole.UserRole)
        if gid is not None:
            self.set_cover_group(int(gid))
            self.check_cover()

    def set_cover_group(self, group_id: int) -> None:
        hit = self.ctx.read(lambda s: get_group(s, group_id))
        if hit is None:
            return
        self._cover_group_id = group_id
        self.by_group_radio.setChecked(True)
        self.cover_group_edit.setText(hit.display)
        self.cover_hits.setVisible(False)

    def cover_day(self) -> date:
        return from_qdate(self.cover_date.date())

    def _recheck(self) -> None:
        if self.answer_label.text():
            self.check_cover()

    def check_cover(self) -> list[Any] | None:
        day = self.cover_day()
        if self.by_group_radio.isChecked():
            if self._cover_group_id is None:
                self._show_answer(None, "団体を選んでください（名前を入れて Enter）。")
                return None
            gid, who = self._cover_group_id, self.cover_group_edit.text().strip()
            kwargs: dict[str, Any] = {"group_id": gid}
        else:
            who = self.cover_person_edit.text().strip()
            if not who:
                self._show_answer(None, "氏名を入力してください。")
                return None
            kwargs = {"person": who}
        try:
            results = self.ctx.read(lambda s: ins.check_cover(s, day=day, **kwargs))
        except DomainError as exc:
            self.ctx.prompts.show_error(self, exc)
            return None
        self._show_answer(results, who=who, day=day)
        return results

    def _show_answer(self, results: list[Any] | None, prompt: str = "", *, who: str = "",
                     day: date | None = None) -> None:
        if results is None:
            self.cover_model.set_rows([])
            self.answer_label.setText("")
            self.answer_reason.setText(prompt or "団体または氏名と日付を入れて「確認する」を押してください。")
            self.answer_reason.setStyleSheet("font-size: 12pt; color: #616161;")
            self.answer_frame.setStyleSheet(
                "QFrame#answer_frame { background: #f5f5f5; border: 1px solid #d0d0d0; border-radius: 6px; }")
            return
        self.cover_model.set_rows(results)
        when = f"{jcal.format_slash(day)}（{jcal.weekday_ja(day)}）" if day else ""
        covered = [r for r in results if r.covered]
        if covered:
            word, colour, bg = "補償あり", GOOD, GOOD_BG
            reason = "<br>".join(f"<b>{esc(r.plan_name)}</b>　{esc(r.person_name) + '　' if r.person_name else ''}{esc(r.reason)}"
                                 for r in covered[:4])
        elif not results:
            word, colour, bg = "補償なし", BAD, BAD_BG
            reason = f"<b>加入なし</b>：{esc(who)}の、{when}に当たる保険の加入は見つかりません。"
        else:
            word, colour, bg = "補償なし", BAD, BAD_BG
            reason = "<br>".join(f"<b>{reason_word(r.reason)}</b>：{esc(r.plan_name)}　{esc(r.reason)}" for r in results[:4])
        self.answer_label.setText(word)
        self.answer_label.setStyleSheet(f"color: {colour.name()};")
        self.answer_reason.setText(f"{esc(who)}　{when}<br>{reason}")
        self.answer_reason.setStyleSheet("font-size: 12pt; color: #212121;")
        self.answer_frame.setStyleSheet(
            f"QFrame#answer_frame {{ background: {bg.name()}; border: 2px solid {colour.name()}; border-radius: 6px; }}")

    # ---------------------------------------------------------------- 事故報告

    def refresh_accidents(self) -> None:
        status = "open" if self.open_only_check.isChecked() else None
        today = self.ctx.today
        rows, due = self.ctx.read(lambda s: (ins.list_accidents(s, status=status), ins.accidents_due(s, today=today)))
        self.accidents_model.set_rows(rows)
        overdue = sum(1 for a in due if a.deadline < today)
        text = f"期限が近いもの {len(due)}件" if due else "期限が近い報告はありません"
        if overdue:
            text += f"（うち期限超過 {overdue}件）"
        self.accidents_note.setText(text)
        self.accidents_note.setStyleSheet(f"color: {BAD.name()}; font-weight: bold;" if due else "color: #616161;")

    def selected_accident(self) -> Any:
        idx = self.accidents_view.selectionModel().currentIndex()
        return self.accidents_model.item(idx.row()) if idx.isValid() else None

    def new_accident(self) -> Any:
        v = self.selected()
        report = AccidentDialog.file(self, self.ctx, enrolment_id=v.id if v else None)
        if report is not None:
            self.refresh_accidents()
            self.show_tab("accidents")
            self._select_accident(report.id)
            # The report goes to the city or insurer on paper: shown at once, as a receipt is after payment.
            self.print_accident(report)
        return report

    def _select_accident(self, report_id: int) -> None:
        for row in range(self.accidents_model.rowCount()):
            if self.accidents_model.item(row).id == report_id:
                self.accidents_view.selectRow(row)
                return

    def print_accident(self, report: Any = None) -> Path | None:
        """事故報告書: the selected (or just filed) report as a PDF in the print preview."""
        from booking_app.reports.accident_pdf import render_accident_report
        from booking_app.services.insurance_reports import accident_report_doc

        a = report if report is not None else self.selected_accident()
        if a is None:
            self.ctx.prompts.info(self, "事故報告書", "印刷する事故報告を選んでください。")
            return None
        rid, today = a.id, self.ctx.today
        path = self._preview_pdf(
            lambda s: accident_report_doc(s, rid, today=today), render_accident_report,
            prefix=f"accident_report_{rid}_",
            title=lambda doc: f"事故報告書　{doc.person_name}（報告番号 {doc.report_no}）",
            suggested_name=lambda doc: f"事故報告書_{doc.report_no}_{doc.person_name.replace(' ', '')}.pdf")
        if path is not None:
            self.last_accident_path = path
        return path

    def _preview_pdf(self, read: Callable[[Any], Any], render: Callable[[Any, Path], None], *, prefix: str,
                     title: Callable[[Any], str], suggested_name: Callable[[Any], str],
                     audited: bool = False) -> Path | None:
        """Read what to print, render it to a temporary PDF and open the print preview; None after an error.

        ``audited``: ``read(session, actor)`` records the print run in the audit trail, so it runs as a write.

        Any failure (a DomainError says why; a report bug must not stop the desk) is shown and leaves no file.
        """
        path = ""
        try:
            doc = self.ctx.write(read, changes=frozenset()) if audited else self.ctx.read(read)
            fd, path = tempfile.mkstemp(prefix=prefix, suffix=".pdf")
            os.close(fd)
            render(doc, Path(path))
        except Exception as exc:  # noqa: BLE001
            if path:
                os.remove(path)
            self.ctx.prompts.show_error(self, exc)
            return None
        pd.preview_pdf(self, Path(path), title=title(doc), suggested_name=suggested_name(doc))
        return Path(path)

    def mark_sent(self) -> bool:
        a = self.selected_accident()
        if a is None:
            self.ctx.prompts.info(self, "事故報告", "報告済みにする事故報告を選んでください。")
            return False
        if a.status != "open":
            self.ctx.prompts.info(self, "事故報告", "この事故報告は報告済みです。")
            return False
        today, rid = self.ctx.today, a.id
        try:
            self.ctx.write(lambda s, actor: ins.mark_accident_sent(s, actor, rid, sent_on=today),
                           changes={"insurance", "accident"})
        except DomainError as exc:
            self.ctx.prompts.show_error(self, exc)
            return False
        self.refresh_accidents()
        return True

    # ---------------------------------------------------------------- 年度更新

    def refresh_renewals(self) -> None:
        fy = int(self.renewal_year_combo.currentData())
        rows = self.ctx.read(lambda s: ins.renewal_candidates(s, fy))
        self.renewal_model.set_rows(rows)
        self.renew_button.setEnabled(bool(rows))

    def renew_selected(self) -> Any:
        idx = self.renewal_view.selectionModel().currentIndex()
        if not idx.isValid():
            self.ctx.prompts.info(self, "年度更新", "再加入する団体を選んでください。")
            return None
        last = self.renewal_model.item(idx.row())
        return self.enrol_group(last.group_id, prefill=last, fiscal_year=int(self.renewal_year_combo.currentData()))

    # ---------------------------------------------------------------- refresh

    def refresh(self) -> None:
        self.refresh_list()
        self.refresh_accidents()
        self.refresh_renewals()

    def _on_changed(self, changes) -> None:
        if REFRESH_ON & set(changes or ()):
            self.refresh()


def enrolment_lines_for_group(session, group_id: int, today: date) -> list[tuple[bool, str]]:
    """The group panel's insurance lines: each enrolment of this fiscal year and whether it covers today.

    Kept here (not in groups_page) so the group page needs only one lazy import.
    """
    from booking_app.ui.insurance.insurance_models import state_on

    fy = jcal.fiscal_year(today)
    rows = [v for v in ins.list_enrolments(session, fiscal_year=fy, group_id=group_id) if v.status != "cancelled"]
    lines = []
    for v in rows:
        st = state_on(v, today)
        what = f"（{v.event_name}）" if v.event_name else ""
        n = people_count(v)
        lines.append((st.covered, f"{v.plan_name}{what}　{period_text(v.cover_start, v.cover_end)}"
                                  f"{f'　{n}人' if n else ''}　今日：{st.word}"))
    return lines


__all__ = ["InsurancePage", "enrolment_lines_for_group", "take_premium", "ask_cancel_reason"]
