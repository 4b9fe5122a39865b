"""センター設定 (centre settings): rooms, equipment, opening hours, periods, closures, booking windows, fees.

Only managers change settings; desk staff see the same page read-only with the note
「変更は管理者のみ」. Every value is checked before saving and a problem is explained in Japanese
naming the tab and the field, so staff know where to look.
"""

from __future__ import annotations

import dataclasses
from datetime import date, time
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from booking_app.domain import japanese_calendar as jcal
from booking_app.domain.errors import DomainError, ValidationError
from booking_app.domain.profile import (
    HOUR_KEYS,
    HOUR_LABELS,
    PERIOD_KEYS,
    PERIOD_LABELS,
    CentreProfile,
    DateNote,
    Period,
    YearlyClosure,
)
from booking_app.services import centre
from booking_app.services import payments as pay_svc
from booking_app.ui.access.connection_dialog import ConnectionDialog
from booking_app.ui.admin.accounts_page import AccountsPage
from booking_app.ui.context import AppContext
from booking_app.ui.dialog_keys import name_buddies
from booking_app.ui.keyboard import free_tab_everywhere, shortcut_action
from booking_app.ui.plain_text import plain_label
from booking_app.ui.settings.allocation_settings import AllocationSettingsWidget
from booking_app.ui.settings.backup_encryption_settings import BackupEncryptionSettings
from booking_app.ui.settings.fee_settings import FeeSettingsWidget
from booking_app.ui.settings.import_limits_settings import ImportLimitsWidget
from booking_app.ui.settings.privacy_settings import PrivacySettingsWidget
from booking_app.ui.settings.rows_model import RowsModel, editable_table
from booking_app.ui.settings.targets_settings import TargetsWidget

READ_ONLY_NOTE = "変更は管理者のみ行えます。表示だけしています。"
ISSUER_WARNING_STYLE = "color: #8a3b00; background: #fff3c4; border: 1px solid #e0b000; padding: 4px;"


def _current_db_url(ctx: AppContext) -> str:
    """The URL this terminal is connected to, password included (for the 接続設定 fields)."""
    return ctx.engine.url.render_as_string(hide_password=False)


def _hm(t: time) -> str:
    return f"{t.hour}:{t.minute:02d}"


# --- parsing with field names ------------------------------------------------------------------------------

def _parse_time(text: str, where: str) -> time:
    try:
        return jcal.parse_time_ja(text)
    except ValidationError as exc:
        raise ValidationError(f"{where}：{exc.message}", field=where) from None


def _parse_date(text: str, where: str) -> date:
    try:
        return jcal.parse_date_ja(text)
    except ValidationError as exc:
        raise ValidationError(f"{where}：{exc.message}", field=where) from None


def _parse_month_day(text: str, where: str) -> tuple[int, int]:
    t = (text or "").replace("/", "-").replace("月", "-").replace("日", "").strip()
    try:
        m, d = (int(x) for x in t.split("-"))
        date(2024, m, d)
        return m, d
    except ValueError:
        raise ValidationError(f"{where}：「{text}」は月日として読み取れません（例：12-29）", field=where) from None


def _parse_stock(value: Any, where: str) -> int | None:
    text = "" if value is None else str(value).strip()
    if text in ("", "無制限"):
        return None
    try:
        n = int(text)
    except ValueError:
        raise ValidationError(f"{where}：在庫数は数字で入力してください（空欄は無制限）", field=where) from None
    return n


# --- the page ------------------------------------------------------------------------------------------------

class SettingsPage(QWidget):
    """センター設定: tabs for rooms, equipment, hours, periods, closures, booking windows and fees (料金)."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("settings_page")
        self.ctx = ctx
        self.profile: CentreProfile = ctx.read(centre.get_profile)

        lay = QVBoxLayout(self)
        self.readonly_note = QLabel(READ_ONLY_NOTE)
        self.readonly_note.setObjectName("readonly_note")
        self.readonly_note.setStyleSheet("color: #8a5a00; background: #fff3c4; padding: 4px;")
        lay.addWidget(self.readonly_note)
        # Until the receipt issuer is complete (指定管理者名・登録番号), every tab says so.
        self.issuer_warning = plain_label()
        self.issuer_warning.setObjectName("issuer_warning")
        self.issuer_warning.setWordWrap(True)
        self.issuer_warning.setStyleSheet(ISSUER_WARNING_STYLE)
        self.issuer_warning.hide()
        lay.addWidget(self.issuer_warning)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("settings_tabs")
        lay.addWidget(self.tabs, 1)
        self._editables: list[RowsModel] = []
        self._buttons: list[QPushButton] = []
        self._spins: list[QSpinBox] = []

        self._build_rooms()
        self._build_equipment()
        self._build_hours()
        self._build_periods()
        self._build_closures()
        self._build_windows()
        self.allocation = AllocationSettingsWidget(ctx)  # 抽選・還付・減免 (issue 18): saves itself
        self.tabs.addTab(self.allocation, "抽選・還付・減免")
        self._build_fees()
        # Staff accounts, shown to everyone, changed by a システム管理者 only (the page decides).
        self.accounts = AccountsPage(ctx)
        self.tabs.addTab(self.accounts, "職員アカウント")
        self._build_data_protection()

        bottom = QHBoxLayout()
        self.profile_hint = QLabel("開館時間・時間区分・休館日・予約受付は下のボタンでまとめて保存します。")
        self.profile_hint.setObjectName("profile_hint")
        bottom.addWidget(self.profile_hint)
        bottom.addStretch(1)
        self.profile_save = QPushButton("センター設定を保存")
        self.profile_save.setObjectName("profile_save")
        self.profile_save.clicked.connect(self.save_profile)
        self._buttons.append(self.profile_save)
        self.reload_button = QPushButton("元に戻す（再読込）")
        self.reload_button.setObjectName("reload_button")
        self.reload_button.clicked.connect(self.reload)
        bottom.addWidget(self.reload_button)
        bottom.addWidget(self.profile_save)
        lay.addLayout(bottom)
        self._add_connection_button(bottom)  # 接続設定 (where this terminal's data is)
        # The row saves and reloads the centre profile; tabs with their own save (料金, 年度目標,
        # 職員アカウント) hide it, where it would do nothing. 接続設定 stays.
        self.tabs.currentChanged.connect(self._show_profile_row)
        self._show_profile_row(self.tabs.currentIndex())

        ctx.actor_changed.connect(lambda _a: self._apply_role())
        ctx.changed.connect(self._on_changed)
        # Tab leaves every table for its buttons (arrows move between cells, F2 or typing edits one);
        # Ctrl+S saves what the tab in front shows (the button it would press, so a desk's is greyed too).
        free_tab_everywhere(self)
        name_buddies(self)  # 「キャンセル期限」, not 「キャンセル期限(C)」
        self.save_action = shortcut_action(self, "表示中のタブを保存", "Ctrl+S", self.save_current_tab,
                                           section="設定", name="settings_save_key")
        self.reload()

    def _on_changed(self, what) -> None:
        if not what or "fees" in what or "profile" in what:
            self._update_issuer_warning()

    def _update_issuer_warning(self) -> None:
        text = self.ctx.read(lambda s: pay_svc.issuer_warning(pay_svc.issuer(s)))
        self.issuer_warning.setText(text)
        self.issuer_warning.setVisible(bool(text))

    def _add_connection_button(self, row: QHBoxLayout) -> None:
        """接続設定… of this terminal: only the システム管理者 may change it (others see it greyed)."""
        b = QPushButton("接続設定…")
        b.setObjectName("connection_settings")
        b.setToolTip("この端末が使うデータベース（このパソコン／サーバー）を設定します。システム管理者のみ。")
        b.clicked.connect(lambda: ConnectionDialog.edit(self, _current_db_url(self.ctx)))
        row.insertWidget(0, b)
        self.connection_button = b
        self._connection_role(self.ctx.actor)
        self.ctx.actor_changed.connect(self._connection_role)  # bound: dropped with the page

    def save_button_of_tab(self) -> QPushButton | None:
        """The save button of the tab in front (None where a tab has several, as データ保護, or none)."""
        w = self.tabs.currentWidget()
        if w is self.fees:
            return self.fees.save_button
        if w is self.targets:
            return self.targets.save_button
        if w is self.allocation:
            return self.allocation.save_button
        if w in (self.accounts, self.data_protection):
            return None
        if w is self.tabs.widget(0):
            return self.findChild(QPushButton, "room_save")
        if w is self.tabs.widget(1):
            return self.findChild(QPushButton, "equipment_save")
        return self.profile_save

    def save_current_tab(self) -> None:
        """Ctrl+S: press the tab's save button when it may be pressed (a cell being edited is committed first)."""
        b = self.save_button_of_tab()
        if b is None or not b.isEnabled():
            return
        w = self.focusWidget()
        while w is not None and not isinstance(w, QTableView):
            w = w.parentWidget()
        if w is not None and w.state() == QTableView.State.EditingState:
            w.setFocus(Qt.FocusReason.OtherFocusReason)  # an open cell editor commits on leaving, as on Enter
        b.click()

    def _show_profile_row(self, index: int) -> None:
        own_save = self.tabs.widget(index) in (self.fees, self.targets, self.allocation, self.accounts,
                                               self.data_protection)
        for w in (self.profile_hint, self.reload_button, self.profile_save):
            w.setVisible(not own_save)

    def _build_data_protection(self) -> None:
        """データ保護: 取込の上限, 個人情報の保存期間, バックアップの暗号化. Each box saves itself
        and decides who may change it (manager, manager, システム管理), so the page's save row is hidden."""
        inner = QWidget()
        v = QVBoxLayout(inner)
        self.import_limits = ImportLimitsWidget(self.ctx)
        self.privacy_settings = PrivacySettingsWidget(self.ctx)
        self.backup_encryption = BackupEncryptionSettings(self.ctx)
        for title, w in (("取込の上限", self.import_limits), ("個人情報の保存期間", self.privacy_settings),
                         ("バックアップの暗号化", self.backup_encryption)):
            box = QGroupBox(title)
            box.setMaximumWidth(820)  # spin boxes a screen wide read badly
            QVBoxLayout(box).addWidget(w)
            v.addWidget(box)
        v.addStretch(1)
        self.data_protection = QScrollArea()
        self.data_protection.setObjectName("data_protection")
        self.data_protection.setWidgetResizable(True)
        self.data_protection.setWidget(inner)
        self.data_protection.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # a container; Tab goes to its fields
        self.tabs.addTab(self.data_protection, "データ保護")

    def _connection_role(self, actor) -> None:
        self.connection_button.setEnabled(actor.is_admin)

    # ---------------------------------------------------------------- tabs

    def _button(self, text: str, name: str, slot) -> QPushButton:
        b = QPushButton(text)
        b.setObjectName(name)
        b.clicked.connect(slot)
        self._buttons.append(b)
        return b

    def _model(self, columns) -> RowsModel:
        m = RowsModel(columns, self)
        self._editables.append(m)
        return m

    def _build_rooms(self) -> None:
        w = QWidget()
        v = QVBoxLayout(w)
        self.rooms_model = self._model([("name", "部屋名", "text"), ("kana", "よみがな", "text"),
                                        ("capacity", "定員（人）", "int"), ("sort_order", "表示順", "int"),
                                        ("active", "使用する", "bool")])
        self.rooms_table = editable_table("rooms_table", self.rooms_model, "name")
        self.rooms_table.setAccessibleName("部屋の一覧")
        v.addWidget(self.rooms_table, 1)
        v.addWidget(QLabel("部屋は削除できません（過去の予約が参照するため）。使わない部屋は「使用する」を外します。"))
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self._button("部屋を追加", "room_add", lambda: self._add(
            self.rooms_model, self.rooms_table,
            {"id": None, "name": "", "kana": "", "capacity": 10,
             "sort_order": self.rooms_model.rowCount() + 1, "active": True})))
        row.addWidget(self._button("部屋を保存", "room_save", self.save_rooms))
        v.addLayout(row)
        self.tabs.addTab(w, "部屋")

    def _build_equipment(self) -> None:
        w = QWidget()
        v = QVBoxLayout(w)
        self.equipment_model = self._model([("name", "備品名", "text"), ("kana", "よみがな", "text"),
                                            ("stock", "在庫数（空欄＝無制限）", "opt_int"), ("unit", "単位", "text"),
                                            ("sort_order", "表示順", "int"), ("active", "使用する", "bool")])
        self.equipment_table = editable_table("equipment_table", self.equipment_model, "name")
        self.equipment_table.setAccessibleName("備品の一覧")
        v.addWidget(self.equipment_table, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self._button("備品を追加", "equipment_add", lambda: self._add(
            self.equipment_model, self.equipment_table,
            {"id": None, "name": "", "kana": "", "stock": "1", "unit": "台",
             "sort_order": self.equipment_model.rowCount() + 1, "active": True})))
        row.addWidget(self._button("備品を保存", "equipment_save", self.save_equipment))
        v.addLayout(row)
        self.tabs.addTab(w, "備品")

    def _build_hours(self) -> None:
        w = QWidget()
        v = QVBoxLayout(w)
        self.hours_model = self._model([("label", "曜日", "ro"), ("closed", "休館", "bool"),
                                        ("open", "開館", "text"), ("close", "閉館", "text")])
        self.hours_table = editable_table("hours_table", self.hours_model)
        self.hours_table.setAccessibleName("曜日ごとの開館時間")
        v.addWidget(self.hours_table, 1)
        v.addWidget(QLabel("時刻は 9:00 のように入力します。祝日は曜日にかかわらず「祝日」の時間になります。"))
        self.tabs.addTab(w, "開館時間")

    def _build_periods(self) -> None:
        w = QWidget()
        h = QHBoxLayout(w)
        self.period_models: dict[str, RowsModel] = {}
        self.period_tables: dict[str, QTableView] = {}
        for key in PERIOD_KEYS:
            box = QGroupBox(PERIOD_LABELS[key])
            v = QVBoxLayout(box)
            m = self._model([("name", "区分名", "text"), ("start", "開始", "text"), ("end", "終了", "text")])
            t = editable_table(f"periods_{key}", m, "name")
            t.setAccessibleName(f"時間区分（{PERIOD_LABELS[key]}）")
            self.period_models[key], self.period_tables[key] = m, t
            v.addWidget(t, 1)
            row = QHBoxLayout()
            row.addStretch(1)
            row.addWidget(self._button("追加", f"period_add_{key}", lambda _c=False, m=m, t=t: self._add(
                m, t, {"name": "", "start": "", "end": ""})))
            row.addWidget(self._button("削除", f"period_remove_{key}", lambda _c=False, m=m, t=t: self._remove(m, t)))
            v.addLayout(row)
            h.addWidget(box)
        self.tabs.addTab(w, "時間区分")

    def _build_closures(self) -> None:
        w = QWidget()
        h = QHBoxLayout(w)
        specs = (
            ("yearly", "毎年の休館期間", [("start", "開始（月-日）", "text"), ("end", "終了（月-日）", "text"),
                                          ("reason", "理由", "text")],
             {"start": "", "end": "", "reason": ""}),
            ("closed", "臨時休館日", [("date", "日付", "text"), ("reason", "理由", "text")],
             {"date": "", "reason": "臨時休館"}),
            ("open", "臨時開館日", [("date", "日付", "text"), ("reason", "理由", "text")],
             {"date": "", "reason": "臨時開館"}),
        )
        self.closure_models: dict[str, RowsModel] = {}
        for key, title, cols, blank in specs:
            box = QGroupBox(title)
            v = QVBoxLayout(box)
            m = self._model(cols)
            t = editable_table(f"closures_{key}", m, "reason")
            t.setAccessibleName(title)
            self.closure_models[key] = m
            v.addWidget(t, 1)
            row = QHBoxLayout()
            row.addStretch(1)
            row.addWidget(self._button("追加", f"closure_add_{key}",
                                       lambda _c=False, m=m, t=t, b=blank: self._add(m, t, dict(b))))
            row.addWidget(self._button("削除", f"closure_remove_{key}", lambda _c=False, m=m, t=t: self._remove(m, t)))
            v.addLayout(row)
            h.addWidget(box)
        self.tabs.addTab(w, "休館日")

    def _build_windows(self) -> None:
        w = QWidget()
        form = QFormLayout(w)

        def spin(name: str, suffix: str, hi: int) -> QSpinBox:
            s = QSpinBox()
            s.setObjectName(name)
            s.setRange(0, hi)
            s.setSuffix(suffix)
            self._spins.append(s)
            return s

        self.member_months = spin("member_months_ahead", "か月先の月末まで", 24)
        self.general_months = spin("general_months_ahead", "か月先の月末まで", 24)
        self.cancel_days = spin("cancel_days_before", "日前まで", 60)
        self.hold_days = spin("tentative_hold_days", "日間", 90)
        form.addRow("登録団体の予約受付(&M)", self.member_months)
        form.addRow("一般の予約受付(&G)", self.general_months)
        form.addRow("キャンセル期限(&C)", self.cancel_days)
        form.addRow("仮予約の保留期間(&H)", self.hold_days)
        self.tabs.addTab(w, "予約受付")

    def _build_fees(self) -> None:
        self.fees = FeeSettingsWidget(self.ctx)
        self.tabs.addTab(self.fees, "料金")
        self.targets = TargetsWidget(self.ctx)
        self.tabs.addTab(self.targets, "年度目標")

    # ---------------------------------------------------------------- helpers

    def _add(self, model: RowsModel, table: QTableView, row: dict) -> None:
        i = model.add_row(row)
        table.setCurrentIndex(model.index(i, 0))
        table.edit(model.index(i, 0))

    def _remove(self, model: RowsModel, table: QTableView) -> None:
        idx = table.currentIndex()
        if idx.isValid():
            model.remove_row(idx.row())

    def _apply_role(self) -> None:
        manager = self.ctx.actor.is_manager
        self.readonly_note.setVisible(not manager)
        for m in self._editables:
            m.editable = manager
        for b in self._buttons:
            b.setEnabled(manager)
        for s in self._spins:
            s.setReadOnly(not manager)
        self.fees.set_editable(manager)

    def reload(self) -> None:
        """Read everything again from the database (drops unsaved edits)."""
        self._update_issuer_warning()
        self.profile, rooms, equipment = self.ctx.read(lambda s: (
            centre.get_profile(s), centre.list_rooms(s, include_inactive=True),
            centre.list_equipment(s, include_inactive=True)))
        self.rooms_model.set_rows([dataclasses.asdict(r) for r in rooms])
        self.equipment_model.set_rows([
            {**dataclasses.asdict(e), "stock": "" if e.stock is None else str(e.stock)} for e in equipment])
        p = self.profile
        self.hours_model.set_rows([
            {"key": k, "label": HOUR_LABELS[k], "closed": p.hours.get(k) is None,
             "open": _hm(p.hours[k][0]) if p.hours.get(k) else "",
             "close": _hm(p.hours[k][1]) if p.hours.get(k) else ""}
            for k in HOUR_KEYS])
        for key, m in self.period_models.items():
            m.set_rows([{"name": x.name, "start": _hm(x.start), "end": _hm(x.end)} for x in p.periods.get(key, ())])
        self.closure_models["yearly"].set_rows([
            {"start": f"{c.start_month:02d}-{c.start_day:02d}", "end": f"{c.end_month:02d}-{c.end_day:02d}",
             "reason": c.reason} for c in p.yearly_closures])
        self.closure_models["closed"].set_rows(
            [{"date": jcal.format_slash(n.date), "reason": n.reason} for n in p.closed_dates])
        self.closure_models["open"].set_rows(
            [{"date": jcal.format_slash(n.date), "reason": n.reason} for n in p.open_dates])
        self.member_months.setValue(p.member_months_ahead)
        self.general_months.setValue(p.general_months_ahead)
        self.cancel_days.setValue(p.cancel_days_before)
        self.hold_days.setValue(p.tentative_hold_days)
        self.fees.reload()
        self._apply_role()

    # ---------------------------------------------------------------- saving

    def _write(self, fn, changes: set[str]) -> bool:
        try:
            self.ctx.write(fn, changes=changes)
        except DomainError as exc:
            self.ctx.prompts.show_error(self, exc)
            return False
        self.reload()
        return True

    def save_rooms(self) -> bool:
        rows = [r for r in self.rooms_model.rows() if r["_dirty"]]

        def work(s, a):
            for r in rows:
                where = f"部屋「{r['name'] or '（名称なし）'}」"
                try:
                    centre.save_room(s, a, room_id=r["id"], name=r["name"], kana=r["kana"] or "",
                                     capacity=int(r["capacity"]), sort_order=int(r["sort_order"]),
                                     active=bool(r["active"]))
                except ValidationError as exc:
                    raise ValidationError(f"{where}：{exc.message}", field=exc.field) from None
        return self._write(work, {"room"})

    def save_equipment(self) -> bool:
        rows = [r for r in self.equipment_model.rows() if r["_dirty"]]

        def work(s, a):
            for r in rows:
                where = f"備品「{r['name'] or '（名称なし）'}」"
                stock = _parse_stock(r["stock"], where)
                try:
                    centre.save_equipment(s, a, equipment_id=r["id"], name=r["name"], kana=r["kana"] or "",
                                          stock=stock, unit=r["unit"] or "台", sort_order=int(r["sort_order"]),
                                          active=bool(r["active"]))
                except ValidationError as exc:
                    raise ValidationError(f"{where}：{exc.message}", field=exc.field) from None
        return self._write(work, {"equipment"})

    def profile_from_form(self) -> CentreProfile:
        """The profile as the tabs show it. Raises ValidationError naming the tab and field."""
        hours_: dict[str, tuple[time, time] | None] = {}
        for r in self.hours_model.rows():
            where = f"開館時間（{r['label']}）"
            if r["closed"]:
                hours_[r["key"]] = None
            else:
                hours_[r["key"]] = (_parse_time(r["open"], where + "の開館"), _parse_time(r["close"], where + "の閉館"))
        periods: dict[str, tuple[Period, ...]] = {}
        for key, m in self.period_models.items():
            out = []
            for r in m.rows():
                where = f"時間区分（{PERIOD_LABELS[key]}）「{r['name']}」"
                out.append(Period(r["name"], _parse_time(r["start"], where + "の開始"),
                                  _parse_time(r["end"], where + "の終了")))
            periods[key] = tuple(out)
        yearly = []
        for r in self.closure_models["yearly"].rows():
            sm, sd = _parse_month_day(r["start"], "毎年の休館期間の開始")
            em, ed = _parse_month_day(r["end"], "毎年の休館期間の終了")
            yearly.append(YearlyClosure(sm, sd, em, ed, r["reason"]))
        closed = tuple(DateNote(_parse_date(r["date"], "臨時休館日"), r["reason"])
                       for r in self.closure_models["closed"].rows())
        opened = tuple(DateNote(_parse_date(r["date"], "臨時開館日"), r["reason"])
                       for r in self.closure_models["open"].rows())
        profile = dataclasses.replace(
            self.profile, hours=hours_, periods=periods, yearly_closures=tuple(yearly), closed_dates=closed,
            open_dates=opened, member_months_ahead=self.member_months.value(),
            general_months_ahead=self.general_months.value(), cancel_days_before=self.cancel_days.value(),
            tentative_hold_days=self.hold_days.value(),
        )
        profile.validate()
        return profile

    def save_profile(self) -> bool:
        try:
            profile = self.profile_from_form()
        except DomainError as exc:
            self.ctx.prompts.show_error(self, exc)
            return False
        def work(s, a) -> None:
            # 抽選・還付・減免 saves itself: what it stored stays, never the copy this page read at load.
            stored = centre.get_profile(s)
            centre.save_profile(s, a, dataclasses.replace(profile, lottery=stored.lottery, refunds=stored.refunds,
                                                          reductions=stored.reductions))

        return self._write(work, {"profile"})


__all__ = ["SettingsPage"]
