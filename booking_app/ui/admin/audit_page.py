"""The audit viewer (操作履歴): every change with who, when, what, and the values before and after.

Read-only: the trail is append-only, and this page never changes it. Filters narrow by period,
staff member, kind of record, operation and a keyword in the summary; the list pages through the
matches newest first, and the pane below shows the selected entry's changed items side by side.
Managers may write the matches to Excel or CSV (the service refuses anyone else as well).
「改ざんの確認」 recomputes the trail's hash chain (services.audit_log.verify_chain) and says whether it is
intact or names the first broken link, on the page itself (no dialog to click away).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from booking_app.domain.errors import DomainError
from booking_app.services import audit_log as svc
from booking_app.services import unit_of_work
from booking_app.ui.context import AppContext
from booking_app.ui.export_op import ExportOp, export_file
from booking_app.ui.dialog_keys import name_buddies
from booking_app.ui.keyboard import free_tab_everywhere
from booking_app.ui.period_picker import ALL, RANGE, PeriodPicker
from booking_app.ui.table_model import RIGHT, RowsTableModel
from booking_app.ui.widgets import action_button, list_table, select_row_by_id, selected_row
from booking_app.ui.workers import Op
from booking_app.ui.plain_text import plain_label

PAGE_SIZE = 200
DEFAULT_DAYS = 31  # the period shown first: about the last month
BEFORE_BG = QColor("#fdecea")  # a value that was replaced: pale red
AFTER_BG = QColor("#e6f4ea")  # the value it became: pale green
NONE_FG = QColor("#757575")
EXPORT_FILTERS = "Excelブック (*.xlsx);;CSV UTF-8 (*.csv)"


REDACTED_TAG = svc.REDACTED_TAG  # a row whose values a 匿名化 erased


def number_text(r: svc.AuditRow) -> str:
    """The record's number as the desk knows it: 予約番号 in seven digits, other records' plain id."""
    if r.entity_id is None:
        return ""
    return f"{r.entity_id:07d}" if r.entity == "booking" else str(r.entity_id)


class AuditModel(RowsTableModel):
    """The trail's entries as plain rows (操作履歴一覧)."""

    HEADERS = ("日時", "担当者", "操作", "対象", "番号", "内容")
    AT, STAFF, ACTION, ENTITY, NUMBER, SUMMARY = range(6)

    def cell(self, r: svc.AuditRow, col: int) -> Any:
        if col == self.AT:
            return f"{r.at:%Y/%m/%d %H:%M}"
        if col == self.STAFF:
            return r.staff_name
        if col == self.ACTION:
            return r.action_label
        if col == self.ENTITY:
            return r.entity_label
        if col == self.NUMBER:
            return number_text(r)
        if col == self.SUMMARY:
            return f"{REDACTED_TAG}{r.summary}" if r.redacted else r.summary
        return None

    def alignment(self, r: svc.AuditRow, col: int) -> Any:
        return RIGHT if col == self.NUMBER else None

    def tooltip(self, r: svc.AuditRow, col: int) -> Any:
        return r.summary if col == self.SUMMARY else None


class ChangesModel(RowsTableModel):
    """The changed items of one entry: 項目／変更前／変更後, the changed values highlighted."""

    HEADERS = ("項目", "変更前", "変更後")
    FIELD, BEFORE, AFTER = range(3)

    def cell(self, c: svc.FieldChange, col: int) -> Any:
        return (c.field, c.before, c.after)[col]

    def tooltip(self, c: svc.FieldChange, col: int) -> Any:
        return (c.field, c.before, c.after)[col]

    def foreground(self, c: svc.FieldChange, col: int) -> Any:
        value = (c.field, c.before, c.after)[col]
        return QBrush(NONE_FG) if col != self.FIELD and value == svc.NONE_TEXT else None

    def item_data(self, item: Any, col: int, role: int) -> Any:
        if role == Qt.ItemDataRole.BackgroundRole:
            if col == self.BEFORE and item.before != svc.NONE_TEXT:
                return QBrush(BEFORE_BG)
            if col == self.AFTER and item.after != svc.NONE_TEXT:
                return QBrush(AFTER_BG)
            return None
        if role == Qt.ItemDataRole.UserRole:
            return item.key
        return super().item_data(item, col, role)


def _combo(name: str) -> QComboBox:
    c = QComboBox()
    c.setObjectName(name)
    c.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
    c.setMaxVisibleItems(20)
    return c


class AuditPage(QWidget):
    """操作履歴: the audit trail with filters, paging, the before/after of an entry, and export."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("audit_page")
        self.ctx = ctx
        self.offset = 0
        self.total = 0
        self._dirty = False

        # ---- filter bar
        self.period = PeriodPicker(ctx.today, kinds=(RANGE, ALL), default_days=DEFAULT_DAYS, name="period")
        self.since_edit, self.until_edit = self.period.start_edit, self.period.end_edit
        self.all_period_radio = self.period.radios[ALL]
        self.staff_combo = _combo("staff")
        self.entity_combo = _combo("entity")
        self.action_combo = _combo("action")
        self.text_edit = QLineEdit()
        self.text_edit.setObjectName("keyword")
        self.text_edit.setPlaceholderText("予約番号・団体名など")
        self.text_edit.setClearButtonEnabled(True)
        self.text_edit.setMinimumWidth(160)
        self.search_button = action_button("検索", "search_button", self.search)
        self.search_button.setDefault(True)

        # Two rows: the period picker (with 和暦 beside each date) and the four filters do not fit one
        # 1366-px line in Japanese.
        period_row = QHBoxLayout()
        period_row.addWidget(self.period)
        period_row.addStretch(1)
        bar = QHBoxLayout()
        # Each filter's label is its buddy: the name a screen reader reads and an Alt key to reach it.
        for caption, field, stretch in (("担当者(&S)", self.staff_combo, 0), ("対象(&E)", self.entity_combo, 0),
                                        ("操作(&O)", self.action_combo, 0), ("キーワード(&K)", self.text_edit, 1)):
            label = QLabel(caption)
            label.setBuddy(field)
            bar.addWidget(label)
            bar.addWidget(field, stretch)
        bar.addWidget(self.search_button)

        # ---- list
        self.model = AuditModel(self)
        self.proxy = QSortFilterProxyModel(self)  # no sorting here: the order is the service's (newest first)
        self.proxy.setSourceModel(self.model)
        self.table = list_table("audit_table")
        self.table.setModel(self.proxy)
        self.table.setAccessibleName("操作履歴の一覧")
        # Denser rows than the default: a trail is read many lines at a time.
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for col in (AuditModel.AT, AuditModel.STAFF, AuditModel.ACTION, AuditModel.ENTITY, AuditModel.NUMBER):
            hh.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(AuditModel.SUMMARY, QHeaderView.ResizeMode.Stretch)

        self.count_label = plain_label()
        self.count_label.setObjectName("count_label")
        self.prev_button = action_button("◀ 前へ", "prev_button", self.prev_page)
        self.next_button = action_button("次へ ▶", "next_button", self.next_page)
        self.export_button = action_button("書き出し…", "export_button", self.export)  # tooltip: _update_buttons
        self.verify_button = action_button(
            "改ざんの確認", "verify_button", self.verify_chain,
            "操作履歴のハッシュの連鎖を最初から計算し直し、書き換え・削除がないか確かめます")
        self.verify_label = plain_label()
        self.verify_label.setObjectName("verify_label")
        self.verify_label.setWordWrap(True)
        self.verify_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.verify_label.hide()
        self.last_check: svc.ChainCheck | None = None
        self.last_op: Op | None = None
        self.message_label = plain_label()
        self.message_label.setObjectName("message_label")
        pager = QHBoxLayout()
        pager.addWidget(self.count_label)
        pager.addWidget(self.prev_button)
        pager.addWidget(self.next_button)
        pager.addStretch(1)
        pager.addWidget(self.message_label)
        pager.addWidget(self.verify_button)
        pager.addWidget(self.export_button)

        # ---- detail
        self.detail_title = plain_label()
        self.detail_title.setObjectName("detail_title")
        self.detail_title.setWordWrap(True)
        self.detail_title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.changes_model = ChangesModel(self)
        self.changes_table = list_table("changes_table")
        self.changes_table.setModel(self.changes_model)
        self.changes_table.setAccessibleName("選んだ操作の変更内容")
        self.changes_table.setWordWrap(True)
        ch = self.changes_table.horizontalHeader()
        ch.setSectionResizeMode(ChangesModel.FIELD, QHeaderView.ResizeMode.ResizeToContents)
        ch.setSectionResizeMode(ChangesModel.BEFORE, QHeaderView.ResizeMode.Stretch)
        ch.setSectionResizeMode(ChangesModel.AFTER, QHeaderView.ResizeMode.Stretch)
        vh = self.changes_table.verticalHeader()
        vh.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        vh.setMinimumSectionSize(self.fontMetrics().height() + 8)
        detail = QWidget()
        dl = QVBoxLayout(detail)
        dl.setContentsMargins(0, 4, 0, 0)
        dl.addWidget(self.detail_title)
        dl.addWidget(self.changes_table, 1)

        top = QWidget()
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.table, 1)
        tl.addLayout(pager)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("audit_splitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(top)
        self.splitter.addWidget(detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([450, 200])  # the list first; the detail pane gets the rest

        lay = QVBoxLayout(self)
        lay.addLayout(period_row)
        lay.addLayout(bar)
        lay.addWidget(self.verify_label)
        lay.addWidget(self.splitter, 1)
        free_tab_everywhere(self)  # Tab leaves the lists for the pager and the buttons
        name_buddies(self)

        # Nothing is read until the page is first shown: the main window builds every page at start,
        # and on a ten-year database the choices alone scan a million rows (bench/bench_startup.py).
        self._choices_loaded = False
        self._dirty = True
        self.text_edit.returnPressed.connect(self.search)
        self.all_period_radio.toggled.connect(lambda _on: self.search())
        for combo in (self.staff_combo, self.entity_combo, self.action_combo):
            combo.activated.connect(lambda _i: self.search())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._show_detail())
        ctx.changed.connect(self._on_changed)
        ctx.actor_changed.connect(lambda _a: self._update_buttons())

    def focus_search(self) -> None:
        """Ctrl+F from the main window: the keyword field, its text selected to type over."""
        self.text_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.text_edit.selectAll()

    # ---------------------------------------------------------------- filter

    def _load_choices(self) -> None:
        self._choices_loaded = True
        choices = self.ctx.read(svc.audit_choices)
        for combo, items in ((self.staff_combo, [(n, i) for i, n in choices.staff]),
                             # several names under one label (group, member_group → 団体) travel as "a|b"
                             (self.entity_combo, [(label, "|".join(names)) for label, names in choices.entities]),
                             (self.action_combo, choices.actions)):
            keep = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            combo.addItem("すべて", None)
            for label, data in items:
                combo.addItem(label, data)
            i = combo.findData(keep) if keep is not None else 0
            combo.setCurrentIndex(max(i, 0))
            combo.blockSignals(False)

    def current_filter(self) -> svc.AuditFilter:
        period = self.period.period()
        entity = self.entity_combo.currentData()
        return svc.AuditFilter(
            since=period.start,
            until=period.end,
            staff_id=self.staff_combo.currentData(),
            entity=tuple(entity.split("|")) if entity else None,
            action=self.action_combo.currentData(),
            text=self.text_edit.text().strip(),
        )

    # ---------------------------------------------------------------- data

    def search(self) -> None:
        """Apply the filters from the first page."""
        # A period whose start is after its end would list nothing, silently: say so instead.
        try:
            self.period.check()
        except DomainError as exc:
            self.ctx.prompts.show_error(self, exc)
            return
        self.offset = 0
        self.refresh()

    def refresh(self) -> None:
        """Reload the current page (keeping the selected entry when it is still listed)."""
        self._dirty = False
        sel = self.selected()
        keep = sel.id if sel else None
        f = self.current_filter()
        try:
            page = self.ctx.read(lambda s: svc.query_audit(s, f, limit=PAGE_SIZE, offset=self.offset))
        except DomainError as e:
            self.ctx.prompts.show_error(self, e)
            return
        if not page.rows and self.offset and page.total:
            # The page emptied under us (a narrower filter): go to the last page that has rows.
            self.offset = max(0, (page.total - 1) // PAGE_SIZE * PAGE_SIZE)
            page = self.ctx.read(lambda s: svc.query_audit(s, f, limit=PAGE_SIZE, offset=self.offset))
        self.total = page.total
        if self._choices_loaded:
            self._cover_new_names(page.rows)
        self.model.set_rows(page.rows)
        if page.rows:
            first, last = self.offset + 1, self.offset + len(page.rows)
            self.count_label.setText(f"{first:,}〜{last:,}件目／全{page.total:,}件")
        else:
            self.count_label.setText("該当する操作履歴はありません")
        if keep is None or not select_row_by_id(self.table, self.proxy, self.model, keep):
            if page.rows:
                self.table.selectRow(0)
        self._show_detail()
        self._update_buttons()

    def _on_changed(self, _what) -> None:
        # Every change writes an entry, so any change may add a row here; a hidden page waits until shown.
        if self.isVisible():
            self._cover_new_names(self.ctx.read(svc.recent_kinds))
            self.refresh()
        else:
            self._dirty = True

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._choices_loaded:
            self._load_choices()
        if self._dirty:
            self.refresh()

    def _cover_new_names(self, kinds) -> None:
        """A kind of entry the combos do not offer yet (first of its kind): read the choices again.

        ``kinds``: (entity, action) pairs, or rows with those attributes."""
        offered = {self.action_combo.itemData(i) for i in range(self.action_combo.count())}
        entities = "|".join(str(self.entity_combo.itemData(i)) for i in range(self.entity_combo.count()))
        pairs = [k if isinstance(k, tuple) else (k.entity, k.action) for k in kinds]
        if any(a not in offered or e not in entities.split("|") for e, a in pairs):
            self._load_choices()

    def next_page(self) -> None:
        if self.offset + PAGE_SIZE < self.total:
            self.offset += PAGE_SIZE
            self.refresh()

    def prev_page(self) -> None:
        if self.offset > 0:
            self.offset = max(0, self.offset - PAGE_SIZE)
            self.refresh()

    def selected(self) -> svc.AuditRow | None:
        return selected_row(self.table, self.proxy, self.model)

    def select_entry(self, entry_id: int) -> bool:
        return select_row_by_id(self.table, self.proxy, self.model, entry_id)

    def _show_detail(self) -> None:
        r = self.selected()
        if r is None:
            self.detail_title.setText("一覧から操作を選ぶと、変更前と変更後がここに表示されます。")
            self.changes_model.set_rows([])
            return
        after = r.after
        if r.action == "anonymise" and isinstance(after, dict) and isinstance(after.get("rows"), list):
            # The 匿名化 row's list of erased rows is for verify-audit; the desk sees how many.
            after = {k: v for k, v in after.items() if k != "rows"} | {"消去した操作履歴": f"{len(after['rows'])}件"}
        changes = svc.diff_fields(r.before, after, entity=r.entity)
        number = f"（番号 {number_text(r)}）" if r.entity_id is not None else ""
        note = "" if changes else "\n変更前・変更後の記録はありません。"
        if r.redacted:
            note += (f"\n{REDACTED_TAG}この記録の個人情報は、操作履歴 {r.redacted_in} の匿名化で消去されました"
                     "（操作があったこと・日時・担当者は残っています）。")
        head = f"{r.at:%Y/%m/%d %H:%M}　{r.staff_name}　{svc.operation_title(r.entity, r.action)}{number}"
        self.detail_title.setText(f"{head}\n{r.summary}{note}")
        self.changes_model.set_rows(changes)

    def _update_buttons(self) -> None:
        self.prev_button.setEnabled(self.offset > 0)
        self.next_button.setEnabled(self.offset + PAGE_SIZE < self.total)
        manager = self.ctx.actor.is_manager
        self.export_button.setEnabled(manager and self.total > 0)
        self.export_button.setToolTip("表示中の条件に合う操作履歴をExcelまたはCSVに書き出します"
                                      if manager else "書き出しは管理者のみ行えます")

    # ---------------------------------------------------------------- export

    def export(self) -> ExportOp | None:
        """Write what the filters select to xlsx/CSV in the background (years of entries take a while)."""
        f = self.current_filter()
        engine, actor = self.ctx.engine, self.ctx.actor

        def write(out: Path) -> int:
            # the export writes its own audit entry
            return unit_of_work.write(engine, lambda session: svc.export_audit(session, actor, f, out))

        def written(n: int, out: Path) -> None:
            self.message_label.setText(f"{n:,}件を書き出しました：{out.name}")
            self.ctx.changed.emit({"audit"})

        def failed(_exc: BaseException) -> None:
            self.message_label.setText("")

        op = export_file(self, self.ctx, title="操作履歴を書き出す", suggested=f"操作履歴_{self.ctx.today:%Y%m%d}.xlsx",
                         filters=EXPORT_FILTERS, write=write, done=lambda _n, _out: None, on_done=written,
                         on_failed=failed, progress="操作履歴を書き出しています…")
        if op is not None:
            self.message_label.setText("操作履歴を書き出しています…")
            self.last_op = op
        return op

    # ---------------------------------------------------------------- 改ざんの確認

    def verify_chain(self):
        """Recompute the chain in the background (a year of entries takes a few seconds) and say the verdict
        on the page: green when intact (with the last hash to note down), red naming the first broken link."""
        engine = self.ctx.engine

        def work() -> svc.ChainCheck:
            return unit_of_work.read(engine, svc.verify_chain)

        def done(check: svc.ChainCheck) -> None:
            self.last_check = check
            colour = "#1b5e20" if check.ok else "#b71c1c"
            self.verify_label.setStyleSheet(f"color: {colour};")
            self.verify_label.setText(check.message())
            self.verify_label.show()
            self.verify_button.setEnabled(True)

        def failed(exc: BaseException) -> None:
            self.verify_button.setEnabled(True)
            self.ctx.prompts.show_error(self, exc)

        self.verify_button.setEnabled(False)
        self.verify_label.setText("操作履歴を確認しています…")
        self.verify_label.show()
        self.last_op = Op(self, work).success(done).failure(failed).run_in_background()
        return self.last_op
