"""Enrolling a group or an event in an insurance plan (保険の加入手続き), and later roster changes.

Staff choose the plan, the group (or type the event's organiser), and give the insured people: typed
into the roster table, pasted from a spreadsheet (name TAB kana, one a line) or read from a CSV/xlsx
file; plans without a roster take a head count. The premium and the cover dates are shown as the
form changes, from the same pure rules (``domain.insurance``) the service charges by, so what staff
tell the group at the counter is what the receipt will say. ``services.insurance`` decides; an error
keeps everything typed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import QDate, QItemSelectionModel, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from booking_app.domain import japanese_calendar as jcal
from booking_app.domain import insurance as rules
from booking_app.domain.errors import DomainError, ValidationError
from booking_app.services import insurance as ins
from booking_app.ui.context import AppContext
from booking_app.ui.dates import date_edit, from_qdate
from booking_app.ui.forms import save_row
from booking_app.ui.groups.group_picker import GroupPicker
from booking_app.ui.insurance.insurance_models import BAD, NEUTRAL, RosterModel, period_text
from booking_app.ui.insurance.keys import enter_picks_only
from booking_app.ui.keyboard import tab_leaves_dates
from booking_app.ui.keyboard import InputSnapshot, may_discard, shortcut_action, tab_leaves
from booking_app.ui.plain_text import esc, plain_label, rich, tip

ROSTER_FILES = "名簿 (*.csv *.xlsx);;すべて (*)"

INSURANCE_CHANGES = frozenset({"insurance", "charge"})


class RosterTable(QTableView):
    """A roster table that takes Ctrl+V of spreadsheet lines (氏名 TAB フリガナ) as new rows.

    Keys: typing edits the current cell; Tab in 氏名 goes on to its フリガナ, Tab in フリガナ ends the
    edit and leaves the table (Shift+Tab likewise backwards); Enter ends the edit and, after a フリガナ,
    moves to the next row's 氏名, ready for the next person; Enter outside an edit edits the current cell
    (it never saves the dialog half-typed). Tab outside an edit leaves the table.
    """

    def __init__(self, editor: RosterEditor):
        super().__init__()
        self._editor = editor
        tab_leaves(self)

    def focusInEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        """Tab into a roster with no cell chosen lands on the blank last row, ready for the next person
        (not on the first person, whom typing would overwrite)."""
        if not self.currentIndex().isValid() and self.model() is not None and self.model().rowCount():
            self.selectionModel().setCurrentIndex(self.model().index(self.model().rowCount() - 1, 0),
                                                  QItemSelectionModel.SelectionFlag.NoUpdate)
        super().focusInEvent(event)

    def closeEditor(self, editor, hint) -> None:  # noqa: N802 (Qt naming)
        col, row = self.currentIndex().column(), self.currentIndex().row()
        last = self.model().columnCount() - 1
        Hint = QAbstractItemDelegate.EndEditHint
        if (hint == Hint.EditNextItem and col >= last) or (hint == Hint.EditPreviousItem and col <= 0):
            super().closeEditor(editor, Hint.NoHint)
            self.focusNextPrevChild(hint == Hint.EditNextItem)  # Tab off the table's edge leaves it
            return
        super().closeEditor(editor, hint)
        if hint == Hint.SubmitModelCache and col >= last and row + 1 < self.model().rowCount():
            self.setCurrentIndex(self.model().index(row + 1, 0))

    def keyPressEvent(self, event) -> None:
        editing = self.state() == QAbstractItemView.State.EditingState
        if event.matches(QKeySequence.StandardKey.Paste) and not editing:
            self._editor.paste_clipboard()
            return
        if event.key() == Qt.Key.Key_Delete and not editing:
            self._editor.remove_selected()
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not editing:
            if self.currentIndex().isValid():
                self.edit(self.currentIndex())
            event.accept()  # never on to the dialog's default button
            return
        super().keyPressEvent(event)


class RosterEditor(QWidget):
    """名簿の入力: the table, 貼り付け, ファイルから取込, 選択行を削除, and the count."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.model = RosterModel(self)
        self.table = RosterTable(self)
        self.table.setObjectName("roster")
        self.table.setAccessibleName("被保険者の名簿（氏名・フリガナ）")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        # Every trigger but 'the current cell changed': Tab into the table lands on a cell, not in an editor.
        triggers = QAbstractItemView.EditTrigger
        self.table.setEditTriggers(triggers.DoubleClicked | triggers.SelectedClicked | triggers.EditKeyPressed
                                   | triggers.AnyKeyPressed)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.setMinimumHeight(150)
        self.paste_button = QPushButton("貼り付け")
        self.paste_button.setObjectName("paste_roster")
        self.paste_button.setToolTip("表計算ソフトからコピーした「氏名［タブ］フリガナ」の行を追加します（Ctrl+V）")
        self.paste_button.clicked.connect(self.paste_clipboard)
        self.import_button = QPushButton("ファイルから取込…")
        self.import_button.setObjectName("import_roster")
        self.import_button.setToolTip("CSVまたはExcel（列名：氏名、フリガナ）")
        self.import_button.clicked.connect(self.import_file)
        self.remove_button = QPushButton("選択行を削除")
        self.remove_button.setObjectName("remove_roster_rows")
        self.remove_button.clicked.connect(self.remove_selected)
        self.count_label = plain_label()
        self.count_label.setObjectName("roster_count")
        row = QHBoxLayout()
        for b in (self.paste_button, self.import_button, self.remove_button):
            b.setAutoDefault(False)
            row.addWidget(b)
        row.addStretch(1)
        row.addWidget(self.count_label)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.table, 1)
        lay.addLayout(row)
        self.model.modelReset.connect(self._update_count)
        self.model.dataChanged.connect(self._update_count)
        self.model.rowsInserted.connect(self._update_count)
        self._update_count()

    def _update_count(self, *_) -> None:
        self.count_label.setText(f"{len(self.model.people())}人")

    def people(self) -> list[Any]:
        return [ins.PersonInput(name, kana) for name, kana in self.model.people()]

    def paste_text(self, text: str) -> bool:
        """Add the pasted lines; a line that cannot be read is named in the error and nothing is added."""
        if not text.strip():
            return False
        return self._add(lambda: ins.parse_roster_text(text))

    def paste_clipboard(self) -> bool:
        return self.paste_text(QApplication.clipboard().text())

    def import_file(self) -> bool:
        path = self.ctx.prompts.ask_open_path(self, "名簿ファイルを選ぶ", "", ROSTER_FILES)
        if path is None:
            return False
        return self._add(lambda: ins.import_roster(path))

    def _add(self, read: Callable[[], list[Any]]) -> bool:
        """Add the people ``read`` gives; a refusal (a line or file that cannot be read) is shown and adds none."""
        return self.ctx.prompts.attempt(self, lambda: self.model.add_people(read()))

    def remove_selected(self) -> None:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        if rows:
            self.model.remove_rows(rows)


class EnrolDialog(QDialog):
    """保険の加入: a group's annual enrolment (団体の加入) or an event's (行事の加入)."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *, mode: str = "group",
                 group_id: int | None = None, prefill: Any = None, fiscal_year: int | None = None):
        super().__init__(parent)
        self.setObjectName("enrol_dialog")
        self.ctx = ctx
        self.mode = mode
        self.enrolment: Any = None
        self.setWindowTitle("団体の保険加入" if mode == "group" else "行事の保険加入")

        # Next year's plans when renewing in March for April; otherwise this year's.
        fy = fiscal_year or jcal.fiscal_year(self.ctx.today)
        # The first look at a year's plans creates its rows (copied from the year before): a write.
        infos = ctx.write(lambda s, a: ins.plans_for_year(s, fy, actor=a), changes=frozenset())
        wanted = ("event",) if mode == "event" else ("city", "volunteer")
        self.plans = [p for p in infos if p.plan.scheme in wanted]

        self._build(fy)
        self._wire()
        enter_picks_only(self.group_picker)  # Enter picks the group; it does not also press 加入する
        tab_leaves_dates(self)
        if group_id is not None:
            self.set_group(group_id)
        if prefill is not None:
            self._prefill(prefill)
        self._on_plan_changed()
        self.resize(860, 720 if mode == "event" else 640)
        self._snapshot = InputSnapshot(self, extra=self.roster.model.people)

    def reject(self) -> None:
        """Esc or キャンセル: 「入力内容を破棄しますか？」 once something was typed or chosen."""
        if not may_discard(self, self.ctx.prompts, self._snapshot):
            return
        super().reject()

    # ---------------------------------------------------------------- construction

    def _build(self, fy: int) -> None:
        lay = QVBoxLayout(self)
        top = QFormLayout()
        top.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        # Parented now, so it comes before the group picker (built with the dialog as parent) in Tab order.
        self.plan_combo = QComboBox(self)
        self.plan_combo.setObjectName("plan")
        for info in self.plans:
            self.plan_combo.addItem(f"{info.plan.name}（{self._price_hint(info.plan)}）", info.id)
        self.plan_note = plain_label()
        self.plan_note.setObjectName("plan_note")
        self.plan_note.setWordWrap(True)
        self.plan_note.setStyleSheet("color: #616161;")
        top.addRow(f"プラン(&P)（{jcal.fiscal_year_label(fy)}）", self.plan_combo)
        top.addRow("", self.plan_note)

        self.group_picker = GroupPicker(self.ctx, self, placeholder="団体名・ふりがな・登録番号で検索", hits_height=84)
        self.group_edit, self.group_hits = self.group_picker.edit, self.group_picker.hits
        self.group_label = self.group_picker.label
        group_caption = QLabel("団体(&G)" if self.mode == "group" else "団体(&G)（任意）")
        group_caption.setBuddy(self.group_edit)
        top.addRow(group_caption, self.group_picker)
        self.group_hits.setAccessibleName("団体の候補")

        if self.mode == "event":
            self.holder_edit = QLineEdit()
            self.holder_edit.setObjectName("holder_name")
            self.holder_edit.setMaxLength(200)  # never longer than the column's String(n), which PostgreSQL enforces
            self.holder_edit.setPlaceholderText("主催者（団体名または氏名）")
            top.addRow("主催者(&O)", self.holder_edit)
            self.event_name_edit = QLineEdit()
            self.event_name_edit.setObjectName("event_name")
            self.event_name_edit.setMaxLength(200)  # never longer than the column's String(n), which PostgreSQL enforces
            top.addRow("行事名(&E)", self.event_name_edit)
            self.event_place_edit = QLineEdit()
            self.event_place_edit.setObjectName("event_place")
            self.event_place_edit.setMaxLength(200)  # never longer than the column's String(n), which PostgreSQL enforces
            top.addRow("場所(&L)", self.event_place_edit)
            first = rules.cover_start(self.ctx.today)  # an event can start no earlier than cover does
            self.start_edit = date_edit("event_start", first)
            self.end_edit = date_edit("event_end", first)
            self.participants_spin = QSpinBox()
            self.participants_spin.setObjectName("expected_participants")
            self.participants_spin.setRange(0, 100000)
            self.participants_spin.setSuffix(" 人")
            self.start_edit.setAccessibleName("行事の初日")
            self.end_edit.setAccessibleName("行事の最終日")
            drow = QHBoxLayout()
            drow.addWidget(self.start_edit)
            drow.addWidget(QLabel("〜"))
            drow.addWidget(self.end_edit)
            drow.addSpacing(16)
            participants_label = QLabel("参加予定(&N)")
            participants_label.setBuddy(self.participants_spin)
            drow.addWidget(participants_label)
            drow.addWidget(self.participants_spin)
            drow.addStretch(1)
            dates_label = QLabel("日程(&D)")
            dates_label.setBuddy(self.start_edit)
            top.addRow(dates_label, drow)
            kinds = QGridLayout()
            self.kind_checks: dict[str, QCheckBox] = {}
            for i, (key, label) in enumerate(rules.EVENT_EXCLUSIONS.items()):
                cb = QCheckBox(label)
                cb.setObjectName(f"kind_{key}")
                self.kind_checks[key] = cb
                kinds.addWidget(cb, i // 2, i % 2)
            kbox = QGroupBox("行事の内容（当てはまるものに印）")
            kbox.setLayout(kinds)
            top.addRow("", kbox)
            self.indoor_check = QCheckBox("屋内・区画された会場")
            self.indoor_check.setObjectName("indoor")
            self.indoor_check.setChecked(True)
            self.indoor_check.setToolTip("名簿なし（C）は屋内または区画された会場の行事だけに使えます")
            top.addRow("会場", self.indoor_check)  # the box's own text names it
        lay.addLayout(top)

        self.roster_box = QGroupBox("被保険者の名簿")
        rb = QVBoxLayout(self.roster_box)
        self.roster = RosterEditor(self.ctx, self)
        rb.addWidget(self.roster)
        lay.addWidget(self.roster_box, 1)
        hrow = QHBoxLayout()
        self.head_count_label = QLabel("人数(&C)")
        self.head_count_spin = QSpinBox()
        self.head_count_spin.setObjectName("head_count")
        self.head_count_label.setBuddy(self.head_count_spin)
        self.head_count_spin.setRange(0, 100000)
        self.head_count_spin.setSuffix(" 人")
        hrow.addWidget(self.head_count_label)
        hrow.addWidget(self.head_count_spin)
        hrow.addStretch(1)
        lay.addLayout(hrow)

        summary = QHBoxLayout()
        self.premium_label = plain_label()
        self.premium_label.setObjectName("premium_label")
        pf = self.premium_label.font()
        pf.setPointSizeF(pf.pointSizeF() * 1.5)
        pf.setBold(True)
        self.premium_label.setFont(pf)
        self.cover_label = plain_label()
        self.cover_label.setObjectName("cover_label")
        self.cover_label.setWordWrap(True)
        summary.addWidget(self.premium_label)
        summary.addSpacing(20)
        summary.addWidget(self.cover_label, 1)
        lay.addLayout(summary)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.save_button = QPushButton("加入する")
        self.save_button.setObjectName("save_enrolment")
        self.save_button.setMinimumHeight(32)
        self.cancel_button = QPushButton("キャンセル")
        self.cancel_button.setObjectName("cancel")
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.cancel_button)
        lay.addLayout(buttons)
        for b in self.findChildren(QPushButton):
            b.setAutoDefault(False)
        # 加入する is the default (Enter in a field), set once it is in the dialog; Ctrl+S anywhere.
        self.save_button.setDefault(True)
        self.save_button.setToolTip("キー：Ctrl+S（入力欄でEnterでも）")
        shortcut_action(self, "加入する", "Ctrl+S", self.save, section="保険の加入", name="save_enrolment_key")

    def _wire(self) -> None:
        self.plan_combo.currentIndexChanged.connect(self._on_plan_changed)
        self.group_picker.picked.connect(self._on_group_picked)
        self.head_count_spin.valueChanged.connect(self.update_summary)
        for sig in (self.roster.model.dataChanged, self.roster.model.modelReset, self.roster.model.rowsInserted):
            sig.connect(self.update_summary)
        if self.mode == "event":
            self.start_edit.dateChanged.connect(self._on_start_changed)
            self.end_edit.dateChanged.connect(self.update_summary)
            for cb in self.kind_checks.values():
                cb.toggled.connect(self.update_summary)
            self.indoor_check.toggled.connect(self.update_summary)
        self.save_button.clicked.connect(self.save)
        self.cancel_button.clicked.connect(self.reject)

    @staticmethod
    def _price_hint(plan: rules.Plan) -> str:
        if plan.premium_kind == "none":
            return "保険料なし"
        if plan.premium_kind == "per_person_year":
            return f"1人 年¥{plan.premium:,}"
        if plan.premium_kind == "per_person_day":
            text = f"1人1日 ¥{plan.premium:,}"
            return text + (f"・最低¥{plan.minimum_premium:,}" if plan.minimum_premium else "")
        return f"1人 ¥{plan.premium:,}〜（泊数による）"

    # ---------------------------------------------------------------- the group

    @property
    def group_id(self) -> int | None:
        return self.group_picker.group_id

    def set_group(self, group_id: int | None) -> None:
        self.group_picker.set_group(group_id)

    def _on_group_picked(self, group_id: int | None) -> None:
        if group_id is not None and self.mode == "event" and not self.holder_edit.text().strip():
            self.holder_edit.setText(self.group_picker.hit.name)
        self.update_summary()

    # ---------------------------------------------------------------- plan, premium, dates

    def current_plan(self) -> Any:
        i = self.plan_combo.currentIndex()
        return self.plans[i] if 0 <= i < len(self.plans) else None

    def select_plan_code(self, code: str) -> bool:
        for i, info in enumerate(self.plans):
            if info.plan.code == code:
                self.plan_combo.setCurrentIndex(i)
                return True
        return False

    def _on_plan_changed(self, *_) -> None:
        info = self.current_plan()
        plan = info.plan if info else None
        roster = plan.roster if plan else "required"
        self.roster_box.setVisible(roster == "required")
        head = roster == "head_count"
        self.head_count_label.setVisible(head)
        self.head_count_spin.setVisible(head)
        if self.mode == "event":
            self.indoor_check.setEnabled(bool(plan and plan.venue))
        note = plan.note if plan else ""
        if plan and roster == "none":
            note = (note + "　" if note else "") + "名簿は要りません（登録団体として加入）。"
        self.plan_note.setText(note)
        self.plan_note.setVisible(bool(note))
        self.update_summary()

    def _on_start_changed(self, q: QDate) -> None:
        if self.end_edit.date() < q:
            self.end_edit.setDate(q)  # a one-day event unless told otherwise
        self.update_summary()

    def insured_count(self) -> int:
        info = self.current_plan()
        if info is None:
            return 0
        if info.plan.roster == "head_count":
            return self.head_count_spin.value()
        if info.plan.roster == "none":
            return 0
        return len(self.roster.model.people())

    def event_dates(self) -> tuple[date, date] | None:
        if self.mode != "event":
            return None
        return from_qdate(self.start_edit.date()), from_qdate(self.end_edit.date())

    def compute(self) -> tuple[int, date, date]:
        """(premium, cover start, cover end) as the service will charge them; ValidationError when unclear."""
        info = self.current_plan()
        if info is None:
            raise ValidationError("使える保険プランがありません。", field="plan")
        plan = info.plan
        days = 1
        end_day = None
        dates = self.event_dates()
        if dates is not None:
            days = rules.event_days(*dates)
            end_day = dates[1]
        amount = rules.premium(plan, self.insured_count(), days=days)
        if dates is not None:
            first = rules.cover_start(self.ctx.today)
            if dates[0] < first:  # the service refuses it too; say so before staff press 加入する
                raise ValidationError(f"行事用保険は手続きの翌日（{jcal.format_slash(first)}）から補償されます。"
                                      "開始日を確かめてください。", field="event_start")
            return amount, dates[0], dates[1]  # an event is covered over its own days
        fy_start = jcal.fiscal_year_range(info.fiscal_year)[0]
        start = max(rules.cover_start(self.ctx.today), fy_start)  # next year's plan taken in March starts 1 April
        return amount, start, rules.cover_end(plan, self.ctx.today, end_day) if info.fiscal_year == jcal.fiscal_year(
            self.ctx.today) else jcal.fiscal_year_range(info.fiscal_year)[1]

    def update_summary(self, *_) -> None:
        try:
            amount, start, end = self.compute()
        except DomainError as exc:
            self.premium_label.setText("保険料 —")
            self.cover_label.setText(exc.message)
            self.cover_label.setStyleSheet(f"color: {BAD.name()};")
            return
        info = self.current_plan()
        n = self.insured_count()
        self.premium_label.setText(f"保険料 ¥{amount:,}")
        detail = ""
        if info.plan.premium_kind != "none":
            detail = f"（{n}人"
            dates = self.event_dates()
            if dates is not None and info.plan.premium_kind == "per_person_day":
                detail += f"×{rules.event_days(*dates)}日"
            if info.plan.minimum_premium and amount == info.plan.minimum_premium and n:
                detail += "・最低保険料"
            detail += "）"
        self.premium_label.setToolTip(tip(detail))
        self.cover_label.setText(
            f"{detail}　補償期間 {period_text(start, end)}\n"
            f"補償は{jcal.format_slash(start)} 0時から（手続きの翌日以降）。保険料を受け取るまでは補償されません。")
        self.cover_label.setStyleSheet(f"color: {NEUTRAL.name()};")

    # ---------------------------------------------------------------- prefill (renewal)

    def _prefill(self, v: Any) -> None:
        code = getattr(v, "plan_code", "")
        if code:
            self.select_plan_code(code)
        if getattr(v, "group_id", None) is not None:
            self.set_group(v.group_id)
        people = [p for p in (getattr(v, "people", ()) or ()) if getattr(p, "removed_on", None) is None]
        if people:
            self.roster.model.set_people(people)
        if getattr(v, "head_count", None):
            self.head_count_spin.setValue(int(v.head_count))

    # ---------------------------------------------------------------- saving

    def _head_count(self) -> int | None:
        info = self.current_plan()
        return self.head_count_spin.value() if info and info.plan.roster == "head_count" else None

    def save(self) -> bool:
        info = self.current_plan()
        people = self.roster.people() if info is not None and info.plan.roster == "required" else []
        head = self._head_count()
        today = self.ctx.today
        try:
            if info is None:
                raise ValidationError("使える保険プランがありません。", field="plan")
            if self.mode == "group":
                if self.group_id is None:
                    raise ValidationError("加入する団体を選んでください。", field="group")
                gid = self.group_id

                def write(s, a):
                    return ins.enrol_group(s, a, plan_id=info.id, group_id=gid, people=people, head_count=head,
                                           applied_on=today)
            else:
                start, end = self.event_dates()
                kinds = {k for k, cb in self.kind_checks.items() if cb.isChecked()}
                fields = dict(holder_name=self.holder_edit.text().strip(), group_id=self.group_id,
                              event_name=self.event_name_edit.text().strip(),
                              event_place=self.event_place_edit.text().strip(), event_start=start, event_end=end,
                              expected_participants=self.participants_spin.value(), event_kinds=kinds,
                              people=people, head_count=head, indoor_or_bounded=self.indoor_check.isChecked(),
                              applied_on=today)

                def write(s, a):
                    return ins.enrol_event(s, a, plan_id=info.id, **fields)

            self.enrolment = self.ctx.write(write, changes=INSURANCE_CHANGES)
        except DomainError as exc:
            self.ctx.prompts.show_error(self, exc)
            return False
        self.accept()
        return True

    # ---------------------------------------------------------------- entry points

    @classmethod
    def group(cls, parent: QWidget | None, ctx: AppContext, group_id: int | None = None, *,
              prefill: Any = None, fiscal_year: int | None = None) -> Any:
        """Enrol a group; the new EnrolmentView, or None when cancelled."""
        dlg = cls(ctx, parent, mode="group", group_id=group_id, prefill=prefill, fiscal_year=fiscal_year)
        dlg.exec()
        return dlg.enrolment

    @classmethod
    def event(cls, parent: QWidget | None, ctx: AppContext) -> Any:
        """Enrol an event; the new EnrolmentView, or None when cancelled."""
        dlg = cls(ctx, parent, mode="event")
        dlg.exec()
        return dlg.enrolment


class _RosterChangeDialog(QDialog):
    """A change to one enrolment's roster: the holder and plan at the top; the save button writes
    :meth:`change` in one transaction, a refusal is shown and the dialog stays open."""

    def __init__(self, ctx: AppContext, enrolment: Any, parent: QWidget | None, *, name: str, title: str):
        super().__init__(parent)
        self.setObjectName(name)
        self.setWindowTitle(title)
        self.ctx = ctx
        self.enrolment = enrolment
        self.written: Any = None
        self.head = rich(QLabel(f"<b>{esc(enrolment.holder_name)}</b>　{esc(enrolment.plan_name)}"))
        self.head.setObjectName("header")

    def change(self) -> Callable[[Any, Any], Any]:
        """The write (session, actor) -> result, or ValidationError when the form is not complete."""
        raise NotImplementedError

    def _keys(self, people: Callable[[], Any] | None = None) -> None:
        """Once built: the save button is the default and Ctrl+S saves; Esc asks once something was typed."""
        self.save_button.setDefault(True)
        self.save_button.setToolTip("キー：Ctrl+S")
        shortcut_action(self, self.save_button.text(), "Ctrl+S", self.save, section="保険の加入",
                        name=f"{self.save_button.objectName()}_key")
        self._snapshot = InputSnapshot(self, extra=people)

    def reject(self) -> None:
        if not may_discard(self, self.ctx.prompts, getattr(self, "_snapshot", None)):
            return
        super().reject()

    def save(self) -> bool:
        try:
            self.written = self.ctx.write(self.change(), changes=INSURANCE_CHANGES)
        except DomainError as exc:
            self.ctx.prompts.show_error(self, exc)
            return False
        self.accept()
        return True

    @classmethod
    def run(cls, parent: QWidget | None, ctx: AppContext, enrolment: Any) -> Any:
        """The write's result once saved (the enrolment as it now stands), or None."""
        dlg = cls(ctx, enrolment, parent)
        return dlg.written if dlg.exec() == QDialog.DialogCode.Accepted else None


class AddPeopleDialog(_RosterChangeDialog):
    """人を追加: more people on an enrolment, each covered from the day after and charged on their own."""

    def __init__(self, ctx: AppContext, enrolment: Any, parent: QWidget | None = None):
        super().__init__(ctx, enrolment, parent, name="add_people_dialog", title="被保険者の追加")
        note = QLabel(f"追加した人の補償は {jcal.format_slash(rules.cover_start(self.ctx.today))} から。"
                      "追加分の保険料は別にお預かりします。")
        note.setWordWrap(True)
        self.roster = RosterEditor(self.ctx, self)
        self.save_button, row = save_row(self, "追加する", "save_people", self.save)
        lay = QVBoxLayout(self)
        lay.addWidget(self.head)
        lay.addWidget(note)
        lay.addWidget(self.roster, 1)
        lay.addLayout(row)
        for b in self.findChildren(QPushButton):
            b.setAutoDefault(False)
        self.resize(560, 460)
        self._keys(self.roster.model.people)

    @property
    def result_view(self) -> Any:
        """The enrolment with the people added (once saved)."""
        return self.written

    def change(self) -> Callable[[Any, Any], Any]:
        people, eid, on = self.roster.people(), self.enrolment.id, self.ctx.today
        if not people:
            raise ValidationError("追加する人の氏名を入力してください。", field="people")
        return lambda s, a: ins.add_people(s, a, eid, people, on=on)


class RemovePersonDialog(_RosterChangeDialog):
    """名簿から外す: the person stays in the history with the day and the reason."""

    def __init__(self, ctx: AppContext, enrolment: Any, parent: QWidget | None = None):
        super().__init__(ctx, enrolment, parent, name="remove_person_dialog", title="名簿から外す")
        self.list = QListWidget()
        self.list.setObjectName("people")
        self.list.setAccessibleName("名簿から外す人")
        for p in enrolment.people:
            if p.removed_on is None:
                item = QListWidgetItem(f"{p.name}　{p.kana}".strip())
                item.setData(Qt.ItemDataRole.UserRole, p.id)
                self.list.addItem(item)
        self.reason_edit = QLineEdit()
        self.reason_edit.setObjectName("reason")
        self.reason_edit.setPlaceholderText("退会・転居など")
        self.save_button, row = save_row(self, "名簿から外す", "remove_person", self.save)
        form = QFormLayout()
        form.addRow("理由(&R)", self.reason_edit)
        lay = QVBoxLayout(self)
        lay.addWidget(self.head)
        lay.addWidget(self.list, 1)
        lay.addLayout(form)
        lay.addLayout(row)
        self.resize(460, 420)
        self._keys(lambda: self.list.currentRow())

    @property
    def removed(self) -> bool:
        return self.result() == QDialog.DialogCode.Accepted

    def change(self) -> Callable[[Any, Any], Any]:
        item = self.list.currentItem()
        reason, on = self.reason_edit.text().strip(), self.ctx.today
        if item is None:
            raise ValidationError("名簿から外す人を選んでください。", field="person")
        pid = int(item.data(Qt.ItemDataRole.UserRole))
        return lambda s, a: ins.remove_person(s, a, pid, reason, on=on)


__all__ = ["AddPeopleDialog", "EnrolDialog", "RemovePersonDialog", "RosterEditor"]
