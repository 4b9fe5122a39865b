"""抽選・還付・減免 tab of the settings page: the rules of issue 18 as a manager changes them.

Three boxes edit the three parts of the centre profile that domain/lottery_rules.py and domain/refunds.py
define: 抽選 (``profile.lottery``: the lottery rooms, the monthly cycle, the limits per group, the no-show
bar), 還付 (``profile.refunds``: the refund tiers and the reasons that always refund in full) and 減免
(``profile.reductions``: code, label, rate). Under 抽選 a live preview spells out the cycle of the next
lottery month from ``lottery_rules.cycle`` and, while the values are inconsistent, the domain's message.

保存 (Ctrl+S) stores the three in one transaction through ``services.centre.save_profile``, which checks
the whole profile (the lottery rooms against the rooms table too) and records the change in the audit
trail. The rest of the profile (hours, periods, closures, booking windows) is read again inside that
transaction, so saving here never puts back what another tab or terminal saved meanwhile. A refused value
is shown with the domain's Japanese message naming the field, the field gets the focus, nothing is stored.

Desk staff see the same values read-only (the page shows 「変更は管理者のみ…」 above every tab).
Like the other tabs, edits stay on screen until saved or 元に戻す (nothing asks on leaving the tab).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from booking_app.domain import lottery_rules as lr
from booking_app.domain.errors import DomainError, ValidationError
from booking_app.domain.lottery_rules import INT_SETTINGS, LotteryRules
from booking_app.domain.profile import CentreProfile
from booking_app.domain.refunds import ReductionCode, RefundRules
from booking_app.services import centre
from booking_app.ui.context import AppContext
from booking_app.ui.keyboard import free_tab_everywhere, key_text
from booking_app.ui.plain_text import plain_label
from booking_app.ui.settings.rows_model import RowsModel, editable_table

SAVE_KEY = "Ctrl+S"  # the settings page's 「表示中のタブを保存」 presses this tab's 保存
SAVED_NOTE = "抽選・還付・減免の設定を保存しました。"
PROBLEM_STYLE = "color: #8a3b00;"
MISSING_ROOM = "（部屋の一覧にありません）"

# (key, suffix, low, high) of each lottery spin box, in INT_SETTINGS order; the labels are the domain's.
LOTTERY_SPINS: tuple[tuple[str, str, int, int], ...] = (
    ("months_ahead", " か月先", 1, 12),
    ("entry_open_day", " 日", 1, 31),
    ("entry_close_day", " 日", 1, 31),
    ("draw_day", " 日", 1, 31),
    ("confirm_days", " 日後まで", 0, 90),
    ("first_come_day", " 日", 1, 31),
    ("max_entries_per_group", " 件", 1, 99),
    ("max_wins_per_group", " 件", 1, 99),
    ("no_show_limit", " 回（0で無効）", 0, 99),
    ("no_show_months", " か月", 1, 24),
)
DAY_PREFIX = "毎月 "


def _md(d: dt.date) -> str:
    return f"{d.month}月{d.day}日"


def next_lottery_month(rules: LotteryRules, today: dt.date) -> dt.date:
    """The lottery month whose entries are being taken today or will be taken next (its first day)."""
    month = lr.add_months(today, rules.months_ahead)
    if lr.entry_window(rules, month)[1] < today:
        month = lr.add_months(month, 1)
    return month


def cycle_text(rules: LotteryRules, today: dt.date) -> str:
    """「2027年3月分：申込 12月1日〜12月10日、抽選 12月15日、確定期限 12月29日、先着受付 12月20日から」."""
    c = lr.cycle(rules, next_lottery_month(rules, today))
    return (f"{c.month.year}年{c.month.month}月分：申込 {_md(c.entry_open)}〜{_md(c.entry_close)}、"
            f"抽選 {_md(c.draw)}、確定期限 {_md(c.confirm_by)}、先着受付 {_md(c.first_come_from)}から")


def _fit_rows(table: QTableView, rows: int, *, fixed: bool) -> None:
    """Make ``table`` exactly (``fixed``: with room for one more row) or at least as tall as its rows,
    up to five (more scroll)."""
    shown = min(rows, 5) + (1 if fixed else 0)
    height = (table.horizontalHeader().sizeHint().height()
              + shown * table.verticalHeader().defaultSectionSize() + 2 * table.frameWidth() + 2)
    if fixed:
        table.setFixedHeight(height)
    else:
        table.setMinimumHeight(height)


class ReductionsModel(RowsModel):
    """減免区分 rows; a code already saved is not edited (bookings store it: admin-guide), a new row's is."""

    def flags(self, index):
        f = super().flags(index)
        if index.isValid() and self.columns[index.column()][0] == "code" \
                and not self._rows[index.row()].get("_new"):
            f &= ~Qt.ItemFlag.ItemIsEditable
        return f


class AllocationSettingsWidget(QWidget):
    """抽選・還付・減免: the lottery, refund and reduction rules of the centre profile (manager edits)."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("allocation_settings")
        self.ctx = ctx
        self._editable = True
        self.room_checks: list[QCheckBox] = []
        self.spins: dict[str, QSpinBox] = {}

        outer = QVBoxLayout(self)
        body = QWidget()
        columns = QHBoxLayout(body)
        columns.setContentsMargins(0, 0, 0, 0)
        columns.addWidget(self._build_lottery(), 1)
        right = QVBoxLayout()
        right.addWidget(self._build_refunds())
        right.addWidget(self._build_reductions(), 1)
        columns.addLayout(right, 1)
        # The rules scroll when the window is short: the main window must still fit 1366×768 with its
        # status bar (the tab's full height is ~700 px), and 保存 stays in sight below.
        self.scroll = QScrollArea()
        self.scroll.setObjectName("allocation_scroll")
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # a container; Tab goes to its fields
        self.scroll.setWidget(body)
        outer.addWidget(self.scroll, 1)

        bottom = QHBoxLayout()
        self.status_label = plain_label()
        self.status_label.setObjectName("allocation_status")
        self.status_label.setStyleSheet("color: #2e7d32;")
        bottom.addWidget(self.status_label, 1)
        self.revert_button = QPushButton("元に戻す")
        self.revert_button.setObjectName("allocation_revert")
        self.revert_button.setToolTip("保存していない変更をやめ、保存されている設定を表示し直します")
        self.save_button = QPushButton(f"保存 ({key_text(SAVE_KEY)})")
        self.save_button.setObjectName("allocation_save")
        self.save_button.setToolTip(f"抽選・還付・減免の設定を保存します\nキー：{key_text(SAVE_KEY)}")
        bottom.addWidget(self.revert_button)
        bottom.addWidget(self.save_button)
        outer.addLayout(bottom)

        self.revert_button.clicked.connect(self.reload)
        self.save_button.clicked.connect(self.save)
        for spin in self.spins.values():
            spin.valueChanged.connect(self._update_preview)
        self.partial_check.toggled.connect(self._partial_toggled)
        free_tab_everywhere(self)
        ctx.actor_changed.connect(lambda _a: self.set_editable(self.ctx.actor.is_manager))
        self._editable = ctx.actor.is_manager
        self.reload()

    # ---------------------------------------------------------------- building

    def _spin(self, key: str, label: str, suffix: str, low: int, high: int) -> QSpinBox:
        s = QSpinBox()
        s.setObjectName(key)
        s.setRange(low, high)
        s.setSuffix(suffix)
        s.setAccessibleName(label)
        s.setMinimumWidth(120)
        return s

    def _build_lottery(self) -> QGroupBox:
        box = QGroupBox("抽選")
        box.setObjectName("lottery_box")
        v = QVBoxLayout(box)
        form = QGridLayout()
        for i, (key, suffix, low, high) in enumerate(LOTTERY_SPINS):
            s = self._spin(f"lottery_{key}", INT_SETTINGS[key], suffix, low, high)
            if key in lr.DAY_SETTINGS:
                s.setPrefix(DAY_PREFIX)
            self.spins[key] = s
            label = QLabel(INT_SETTINGS[key])
            label.setBuddy(s)
            form.addWidget(label, i, 0)
            form.addWidget(s, i, 1)
        form.setColumnStretch(0, 1)
        v.addLayout(form)
        rooms_box = QGroupBox("抽選で割り当てる部屋")
        rooms_box.setObjectName("lottery_rooms_box")
        self.rooms_grid = QGridLayout(rooms_box)
        v.addWidget(rooms_box)
        v.addWidget(QLabel("次の抽選の日程："))
        self.preview = plain_label()
        self.preview.setObjectName("lottery_preview")
        self.preview.setStyleSheet("font-weight: bold;")
        v.addWidget(self.preview)
        self.problem = plain_label()
        self.problem.setObjectName("lottery_problem")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(PROBLEM_STYLE)
        v.addWidget(self.problem)
        v.addStretch(1)
        return box

    def _build_refunds(self) -> QGroupBox:
        box = QGroupBox("還付（有料の予約の取消）")
        box.setObjectName("refunds_box")
        v = QVBoxLayout(box)
        form = QGridLayout()
        self.full_days = self._spin("refund_full_days", "全額還付の期限（日前）", " 日前まで全額", 0, 365)
        self.partial_check = QCheckBox("一部還付あり")
        self.partial_check.setObjectName("refund_partial")
        self.partial_rate = self._spin("refund_partial_rate", "一部還付の割合（%）", " %", 1, 99)
        self.partial_days = self._spin("refund_partial_days", "一部還付の期限（日前）", " 日前まで", 0, 364)
        for row, (text, w) in enumerate((("全額還付", self.full_days), ("一部還付の割合", self.partial_rate),
                                          ("一部還付の期限", self.partial_days))):
            label = QLabel(text)
            label.setBuddy(w)
            form.addWidget(label, row, 0)
            form.addWidget(w, row, 1)
        form.addWidget(self.partial_check, 1, 2)
        form.setColumnStretch(3, 1)
        v.addLayout(form)
        for w in (self.full_days, self.partial_rate, self.partial_days):
            w.valueChanged.connect(self._update_refund_summary)
        self.refund_summary = plain_label()
        self.refund_summary.setObjectName("refund_summary")
        v.addWidget(self.refund_summary)
        v.addWidget(QLabel("全額還付の理由（日にちにかかわらず全額）"))
        self.reasons_model = RowsModel([("reason", "理由", "text")], self)
        self.reasons_table = editable_table("refund_reasons_table", self.reasons_model, "reason")
        self.reasons_table.setAccessibleName("全額還付の理由")
        v.addWidget(self.reasons_table, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        self.reason_add = QPushButton("理由を追加")
        self.reason_add.setObjectName("refund_reason_add")
        self.reason_remove = QPushButton("理由を削除")
        self.reason_remove.setObjectName("refund_reason_remove")
        row.addWidget(self.reason_add)
        row.addWidget(self.reason_remove)
        v.addLayout(row)
        self.reason_add.clicked.connect(
            lambda: self._add(self.reasons_model, self.reasons_table, {"reason": ""}, "reason"))
        self.reason_remove.clicked.connect(lambda: self._remove(self.reasons_model, self.reasons_table))
        return box

    def _build_reductions(self) -> QGroupBox:
        box = QGroupBox("減免区分（使用料の減額・免除）")
        box.setObjectName("reductions_box")
        v = QVBoxLayout(box)
        self.reductions_model = ReductionsModel(
            [("code", "コード", "text"), ("label", "名称（領収書に印字）", "text"), ("rate", "割合（%）", "int")], self)
        self.reductions_table = editable_table("reductions_table", self.reductions_model, "label", min_width=72)
        self.reductions_table.setAccessibleName("減免区分の一覧")
        v.addWidget(self.reductions_table, 1)
        note = QLabel("コードは予約に記録されるため、保存した後は変えられません（名称と割合は変えられます）。")
        note.setStyleSheet("color: #555555;")
        v.addWidget(note)
        row = QHBoxLayout()
        row.addStretch(1)
        self.reduction_add = QPushButton("減免区分を追加")
        self.reduction_add.setObjectName("reduction_add")
        self.reduction_remove = QPushButton("減免区分を削除")
        self.reduction_remove.setObjectName("reduction_remove")
        row.addWidget(self.reduction_add)
        row.addWidget(self.reduction_remove)
        v.addLayout(row)
        self.reduction_add.clicked.connect(lambda: self._add(
            self.reductions_model, self.reductions_table, {"code": "", "label": "", "rate": 50, "_new": True},
            "code"))
        self.reduction_remove.clicked.connect(lambda: self._remove(self.reductions_model, self.reductions_table))
        return box

    def _set_rooms(self, names: list[str], chosen: tuple[str, ...]) -> None:
        """One check box per active room, then any lottery room the rooms table lacks (checked, marked, so
        it can be taken off: saving refuses it)."""
        for cb in self.room_checks:
            self.rooms_grid.removeWidget(cb)
            cb.setParent(None)  # type: ignore[call-overload]
            cb.deleteLater()
        self.room_checks = []
        missing = [n for n in chosen if n not in names]
        for i, name in enumerate([*names, *missing]):
            cb = QCheckBox((name + (MISSING_ROOM if name in missing else "")).replace("&", "&&"))
            cb.setObjectName(f"lottery_room_{i}")
            cb.setProperty("room_name", name)
            cb.setChecked(name in chosen)
            cb.setEnabled(self._editable)
            cb.toggled.connect(self._update_preview)
            self.rooms_grid.addWidget(cb, i // 3, i % 3)
            cb.show()  # now, not by the layout's queued call: Tab may come before it
            self.room_checks.append(cb)
        self._order_tab()

    def _order_tab(self) -> None:
        """Tab follows the screen: the cycle, the rooms, refunds, reasons, reductions, the save row."""
        chain: list[QWidget] = [self.spins[k] for k, *_ in LOTTERY_SPINS]
        chain += self.room_checks
        chain += [self.full_days, self.partial_check, self.partial_rate, self.partial_days, self.reasons_table,
                  self.reason_add, self.reason_remove, self.reductions_table, self.reduction_add,
                  self.reduction_remove, self.revert_button, self.save_button]
        for a, b in zip(chain, chain[1:]):
            QWidget.setTabOrder(a, b)

    # ---------------------------------------------------------------- loading

    def reload(self) -> None:
        """Read the profile and the rooms again (drops unsaved edits)."""
        profile, rooms = self.ctx.read(lambda s: (centre.get_profile(s), centre.list_rooms(s)))
        self.show_profile(profile, [r.name for r in rooms])
        self.status_label.clear()

    def show_profile(self, profile: CentreProfile, room_names: list[str]) -> None:
        lot, ref = profile.lottery, profile.refunds
        for key, spin in self.spins.items():
            spin.blockSignals(True)
            spin.setValue(getattr(lot, key))
            spin.blockSignals(False)
        self._set_rooms(room_names, lot.rooms)
        self.full_days.setValue(ref.full_until_days_before)
        partial = ref.partial_rate is not None and ref.partial_until_days_before is not None
        self.partial_check.setChecked(partial)
        self.partial_rate.setValue(ref.partial_rate if ref.partial_rate is not None else 50)
        self.partial_days.setValue(ref.partial_until_days_before if ref.partial_until_days_before is not None
                                   else max(ref.full_until_days_before - 1, 0))
        self.reasons_model.set_rows([{"reason": r} for r in ref.full_reasons])
        # Every reason and code in sight, up to five.
        _fit_rows(self.reasons_table, len(ref.full_reasons), fixed=True)
        _fit_rows(self.reductions_table, len(profile.reductions), fixed=False)
        self.reductions_model.set_rows([{"code": c.code, "label": c.label, "rate": c.rate, "_new": False}
                                        for c in profile.reductions])
        self.set_editable(self._editable)
        self._update_preview()
        self._update_refund_summary()

    def set_editable(self, editable: bool) -> None:
        """Managers edit; desk staff only look (read-only fields stay reachable by Tab and readable)."""
        self._editable = editable
        for spin in (*self.spins.values(), self.full_days, self.partial_rate, self.partial_days):
            spin.setReadOnly(not editable)
        for cb in (*self.room_checks, self.partial_check):
            cb.setEnabled(editable)
        self.reasons_model.editable = editable
        self.reductions_model.editable = editable
        for b in (self.reason_add, self.reason_remove, self.reduction_add, self.reduction_remove,
                  self.revert_button, self.save_button):
            b.setEnabled(editable)
        self._partial_toggled(self.partial_check.isChecked())

    def _partial_toggled(self, on: bool) -> None:
        for w in (self.partial_rate, self.partial_days):
            w.setEnabled(on)
        self._update_refund_summary()

    # ---------------------------------------------------------------- the form

    def lottery_from_form(self) -> LotteryRules:
        rooms = tuple(str(cb.property("room_name")) for cb in self.room_checks if cb.isChecked())
        return LotteryRules(rooms=rooms, **{k: s.value() for k, s in self.spins.items()})

    def refunds_from_form(self) -> RefundRules:
        partial = self.partial_check.isChecked()
        return RefundRules(
            full_until_days_before=self.full_days.value(),
            partial_rate=self.partial_rate.value() if partial else None,
            partial_until_days_before=self.partial_days.value() if partial else None,
            full_reasons=tuple((r["reason"] or "").strip() for r in self.reasons_model.rows()),
        )

    def reductions_from_form(self) -> tuple[ReductionCode, ...]:
        return tuple(ReductionCode((r["code"] or "").strip(), (r["label"] or "").strip(), int(r["rate"]))
                     for r in self.reductions_model.rows())

    def _update_preview(self, *_args: Any) -> None:
        rules = self.lottery_from_form()
        # One line of the brief's form, broken after the draw so no date is split at the box's edge.
        self.preview.setText(cycle_text(rules, self.ctx.today).replace("、確定期限", "、\n確定期限"))
        try:
            rules.validate()
        except ValidationError as exc:
            self.problem.setText(f"このままでは保存できません：{exc.message}")
        else:
            self.problem.setText("" if rules.rooms else "抽選で割り当てる部屋がありません（抽選は行われません）。")
        self.problem.setVisible(bool(self.problem.text()))

    def _update_refund_summary(self, *_args: Any) -> None:
        full = self.full_days.value()
        parts = [f"利用日の{full}日前まで全額" if full else "利用日当日まで全額"]
        last = full
        if self.partial_check.isChecked() and self.partial_days.value() < full:
            days = self.partial_days.value()
            span = f"{full - 1}日前" + ("" if full - 1 == days else f"〜{'当日' if days == 0 else f'{days}日前'}")
            parts.append(f"{span}は{self.partial_rate.value()}%")
            last = days
        if last > 0:
            parts.append(f"{last - 1}日前以降は還付なし" if last > 1 else "当日は還付なし")
        self.refund_summary.setText("、".join(parts) + "。")

    # ---------------------------------------------------------------- editing

    def _add(self, model: RowsModel, table: QTableView, row: dict[str, Any], key: str) -> None:
        i = model.add_row(row)
        index = model.index(i, model.col(key))
        table.setCurrentIndex(index)
        table.edit(index)

    def _remove(self, model: RowsModel, table: QTableView) -> None:
        index = table.currentIndex()
        if index.isValid():
            model.remove_row(index.row())

    # ---------------------------------------------------------------- saving

    def _commit_open_editor(self) -> None:
        w = self.focusWidget()
        while w is not None and not isinstance(w, QTableView):
            w = w.parentWidget()
        if w is not None and w.state() == QTableView.State.EditingState:
            w.setFocus(Qt.FocusReason.OtherFocusReason)  # an open cell editor commits on leaving, as on Enter

    def save(self) -> bool:
        """保存 (manager only; the service refuses anyone else in Japanese). One transaction: the stored
        profile with this tab's three parts replaced, validated whole, audited."""
        self.status_label.clear()
        self._commit_open_editor()
        try:
            lottery, refunds = self.lottery_from_form(), self.refunds_from_form()
            reductions = self.reductions_from_form()

            def work(s, a) -> None:
                current = centre.get_profile(s)
                centre.save_profile(s, a, dataclasses.replace(
                    current, lottery=lottery, refunds=refunds, reductions=reductions))
            self.ctx.write(work, changes={"profile"})
        except DomainError as exc:
            self.ctx.prompts.show_error(self, exc)
            self.focus_field(getattr(exc, "field", None))
            return False
        self.reload()
        self.status_label.setText(SAVED_NOTE)
        return True

    def field_widget(self, field: str | None) -> QWidget | None:
        """The control a domain error's field (``lottery.draw_day``, ``reductions`` …) is edited in."""
        if not field:
            return None
        part, _, key = field.partition(".")
        if part == "lottery":
            if key == "rooms":
                return self.room_checks[0] if self.room_checks else None
            return self.spins.get(key)
        if part == "refunds":
            return {"full_until_days_before": self.full_days, "partial_rate": self.partial_rate,
                    "partial_until_days_before": self.partial_days,
                    "full_reasons": self.reasons_table}.get(key)
        if part == "reductions":
            return self.reductions_table
        return None

    def focus_field(self, field: str | None) -> None:
        w = self.field_widget(field)
        if w is not None and w.isEnabled():
            w.setFocus(Qt.FocusReason.OtherFocusReason)


__all__ = ["AllocationSettingsWidget", "cycle_text", "next_lottery_month"]
