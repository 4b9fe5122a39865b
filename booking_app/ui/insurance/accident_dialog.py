"""Filing an accident report (事故報告): who, who reports it and how to reach them, the group, when,
where, what happened, the injury or damage, who saw it, and the plan that covers it.

The deadline for passing the report on to the city (counted from the day of the accident,
``domain.insurance.report_deadline``) is shown while staff type, with the days left, so nobody files
a report without seeing how urgent it is. Whether the chosen enrolment covered that day is shown
too; the report is filed either way (the insurer decides), but staff can tell the group plainly.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from PySide6.QtCore import QDate, QDateTime, QLocale, QTime
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from booking_app.domain import japanese_calendar as jcal
from booking_app.domain import insurance as rules
from booking_app.domain.errors import DomainError, ValidationError
from booking_app.services import insurance as ins
from booking_app.ui.context import AppContext
from booking_app.ui.forms import save_row
from booking_app.ui.groups.group_picker import GroupPicker
from booking_app.ui.insurance.insurance_models import BAD, GOOD, NEUTRAL, WARN, state_on
from booking_app.ui.insurance.keys import enter_picks_only
from booking_app.ui.keyboard import tab_leaves_dates
from booking_app.ui.keyboard import InputSnapshot, free_tab_everywhere, may_discard, shortcut_action
from booking_app.ui.plain_text import plain_label


class AccidentDialog(QDialog):
    """事故報告の受付: one accident, filed for the city or the insurer with its deadline."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *, enrolment_id: int | None = None):
        super().__init__(parent)
        self.setObjectName("accident_dialog")
        self.setWindowTitle("事故報告の受付")
        self.ctx = ctx
        self.report: Any = None
        fy = jcal.fiscal_year(self.ctx.today)
        # This year's and last year's enrolments: an accident in March may be reported in April.
        rows = ctx.read(lambda s: ins.list_enrolments(s, fiscal_year=fy) + ins.list_enrolments(s, fiscal_year=fy - 1))
        self.enrolments = [v for v in rows if v.status != "cancelled"]

        # Parented now, so it comes before the group picker (built with the dialog as parent) in Tab order.
        self.enrolment_combo = QComboBox(self)
        self.enrolment_combo.setObjectName("enrolment")
        self.enrolment_combo.addItem("（加入が分からない・未確認）", None)
        for v in self.enrolments:
            what = f"　{v.event_name}" if v.event_name else ""
            self.enrolment_combo.addItem(f"{v.holder_name}{what}　{v.plan_name}", v.id)
        if enrolment_id is not None:
            i = self.enrolment_combo.findData(enrolment_id)
            if i >= 0:
                self.enrolment_combo.setCurrentIndex(i)
        self.cover_label = plain_label()
        self.cover_label.setObjectName("accident_cover")
        self.cover_label.setWordWrap(True)

        # The group (団体): filled from the enrolment, or found by number, name or kana as at the counter.
        self.group_picker = GroupPicker(ctx, self, placeholder="登録番号・団体名・ふりがなで検索（登録団体でなければ空欄）",
                                        shown="name", show_label=False, hits_height=90, delay_ms=150)
        self.group_edit, self.group_hits = self.group_picker.edit, self.group_picker.hits

        self.person_edit = QLineEdit()
        self.person_edit.setObjectName("person_name")
        self.person_edit.setMaxLength(100)  # never longer than the column's String(n), which PostgreSQL enforces
        self.person_edit.setPlaceholderText("けがをした人・損害を与えた人")
        self.reporter_edit = QLineEdit()
        self.reporter_edit.setObjectName("reporter_name")
        self.reporter_edit.setMaxLength(100)
        self.reporter_edit.setPlaceholderText("報告する人（代表者・活動の責任者など）")
        self.reporter_phone_edit = QLineEdit()
        self.reporter_phone_edit.setObjectName("reporter_phone")
        self.reporter_phone_edit.setMaxLength(40)
        self.reporter_phone_edit.setPlaceholderText("083-000-0000")
        self.occurred_edit = QDateTimeEdit(QDateTime(QDate(self.ctx.today.year, self.ctx.today.month, self.ctx.today.day),
                                                     QTime(10, 0)))
        self.occurred_edit.setObjectName("occurred_at")
        self.occurred_edit.setCalendarPopup(True)
        self.occurred_edit.setDisplayFormat("yyyy/MM/dd HH:mm")
        self.occurred_edit.setLocale(QLocale(QLocale.Language.Japanese, QLocale.Country.Japan))
        self.occurred_edit.setMaximumDateTime(QDateTime(QDate(self.ctx.today.year, self.ctx.today.month, self.ctx.today.day),
                                                        QTime(23, 59)))
        self.place_edit = QLineEdit()
        self.place_edit.setObjectName("place")
        self.place_edit.setMaxLength(200)  # never longer than the column's String(n), which PostgreSQL enforces
        self.description_edit = QPlainTextEdit()
        self.description_edit.setObjectName("description")
        self.description_edit.setPlaceholderText("どのような活動中に、何が起きたか")
        self.description_edit.setFixedHeight(80)
        self.injury_edit = QLineEdit()
        self.injury_edit.setObjectName("injury")
        self.injury_edit.setPlaceholderText("けがの部位・程度、通院先など")
        self.damage_edit = QLineEdit()
        self.damage_edit.setObjectName("damage")
        self.damage_edit.setPlaceholderText("壊した物・相手方など")
        self.witnesses_edit = QPlainTextEdit()
        self.witnesses_edit.setObjectName("witnesses")
        self.witnesses_edit.setPlaceholderText("見ていた人の氏名と連絡先（いなければ空欄）")
        self.witnesses_edit.setFixedHeight(52)
        self.deadline_label = plain_label()
        self.deadline_label.setObjectName("deadline_label")
        f = self.deadline_label.font()
        f.setBold(True)
        f.setPointSizeF(f.pointSizeF() * 1.2)
        self.deadline_label.setFont(f)

        form = QFormLayout()
        form.addRow("加入（保険）(&E)", self.enrolment_combo)
        form.addRow("", self.cover_label)
        group_label = QLabel("団体(&G)")
        group_label.setBuddy(self.group_edit)
        self.group_hits.setAccessibleName("団体の候補")
        form.addRow(group_label, self.group_picker)
        form.addRow("事故にあった人(&P) *", self.person_edit)
        reporter = QHBoxLayout()
        reporter.addWidget(self.reporter_edit, 3)
        phone_label = QLabel("電話(&T) *")
        phone_label.setBuddy(self.reporter_phone_edit)
        reporter.addWidget(phone_label)
        reporter.addWidget(self.reporter_phone_edit, 2)
        reporter_label = QLabel("報告者(&R) *")
        reporter_label.setBuddy(self.reporter_edit)
        form.addRow(reporter_label, reporter)
        form.addRow("発生日時(&D) *", self.occurred_edit)
        form.addRow("場所(&L) *", self.place_edit)
        form.addRow("状況(&S) *", self.description_edit)
        form.addRow("けが(&I)", self.injury_edit)
        form.addRow("損害(&A)", self.damage_edit)
        form.addRow("目撃者(&W)", self.witnesses_edit)
        form.addRow("報告期限", self.deadline_label)
        self._fields = {"person_name": self.person_edit, "reporter_name": self.reporter_edit,
                        "reporter_phone": self.reporter_phone_edit, "occurred_at": self.occurred_edit,
                        "place": self.place_edit, "description": self.description_edit, "injury": self.injury_edit,
                        "damage": self.damage_edit, "witnesses": self.witnesses_edit}

        self.save_button, row = save_row(self, "受け付ける", "save_accident", self.save)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addStretch(1)
        lay.addLayout(row)

        self.enrolment_combo.currentIndexChanged.connect(self._update)
        self.enrolment_combo.currentIndexChanged.connect(self._group_from_enrolment)
        self.occurred_edit.dateTimeChanged.connect(self._update)
        self._group_from_enrolment()
        self._update()
        self.resize(660, 640)
        # Keys: Tab leaves 状況 and 目撃者 and the date; Enter in the group search picks the group only;
        # 受け付ける is the default (Enter in a line) and Ctrl+S; Esc asks once something was typed.
        free_tab_everywhere(self)
        tab_leaves_dates(self)
        enter_picks_only(self.group_picker)
        self.save_button.setDefault(True)
        self.save_button.setToolTip("キー：Ctrl+S（入力欄でEnterでも）")
        shortcut_action(self, "事故報告を受け付ける", "Ctrl+S", self.save, section="事故報告", name="save_accident_key")
        self._snapshot = InputSnapshot(self)

    def reject(self) -> None:
        """Esc or キャンセル: 「入力内容を破棄しますか？」 once something was typed."""
        if not may_discard(self, self.ctx.prompts, self._snapshot):
            return
        super().reject()

    def occurred_at(self) -> datetime:
        q = self.occurred_edit.dateTime()
        d, t = q.date(), q.time()
        return datetime.combine(date(d.year(), d.month(), d.day()), time(t.hour(), t.minute()))

    def _enrolment(self) -> Any:
        eid = self.enrolment_combo.currentData()
        return next((v for v in self.enrolments if v.id == eid), None)

    # ---------------------------------------------------------------- the group

    @property
    def group_id(self) -> int | None:
        return self.group_picker.group_id

    def set_group(self, group_id: int | None, name: str = "") -> None:
        self.group_picker.set_group(group_id, name or None)

    def _group_from_enrolment(self, *_) -> None:
        v = self._enrolment()
        if v is not None and v.group_id is not None:
            self.set_group(v.group_id, v.group_name or v.holder_name)

    # ---------------------------------------------------------------- deadline and cover

    def _update(self, *_) -> None:
        day = self.occurred_at().date()
        deadline = rules.report_deadline(day)
        left = (deadline - self.ctx.today).days
        when = f"{-left}日超過" if left < 0 else ("今日まで" if left == 0 else f"あと{left}日")
        self.deadline_label.setText(f"{jcal.format_slash(deadline)}（{jcal.weekday_ja(deadline)}）　{when}")
        self.deadline_label.setStyleSheet(f"color: {(BAD if left < 0 else WARN if left <= 7 else NEUTRAL).name()};")
        v = self._enrolment()
        if v is None:
            self.cover_label.setText("加入を選ぶと、事故の日に補償があったかを表示します。")
            self.cover_label.setStyleSheet(f"color: {NEUTRAL.name()};")
            return
        st = state_on(v, day)
        self.cover_label.setText(f"事故の日は{st.word}：{st.text}")
        self.cover_label.setStyleSheet(f"color: {(GOOD if st.covered else BAD).name()};")

    def save(self) -> bool:
        v = self._enrolment()
        eid = v.id if v else None
        gid = self.group_id
        if gid is None and self.group_edit.text().strip():
            self.ctx.prompts.show_error(self, ValidationError("団体は検索結果から選んでください（登録団体でなければ空欄に）。",
                                             field="group_id"))
            self.group_edit.setFocus()
            return False
        fields = dict(person_name=self.person_edit.text().strip(), occurred_at=self.occurred_at(),
                      reporter_name=self.reporter_edit.text().strip(), reporter_phone=self.reporter_phone_edit.text(),
                      place=self.place_edit.text().strip(), description=self.description_edit.toPlainText().strip(),
                      injury=self.injury_edit.text().strip(), damage=self.damage_edit.text().strip(),
                      witnesses=self.witnesses_edit.toPlainText().strip())
        try:
            self.report = self.ctx.write(
                lambda s, a: ins.file_accident(s, a, enrolment_id=eid, group_id=gid, **fields),
                changes={"insurance", "accident"})
        except DomainError as exc:
            self.ctx.prompts.show_error(self, exc)
            widget = self._fields.get(exc.field or "")
            if widget is not None:
                widget.setFocus()
            return False
        self.accept()
        return True

    @classmethod
    def file(cls, parent: QWidget | None, ctx: AppContext, *, enrolment_id: int | None = None) -> Any:
        """File a report; the new AccidentView, or None when cancelled."""
        dlg = cls(ctx, parent, enrolment_id=enrolment_id)
        dlg.exec()
        return dlg.report


__all__ = ["AccidentDialog"]
