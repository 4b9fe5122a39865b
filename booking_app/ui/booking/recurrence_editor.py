"""The booking dialog's recurrence editor (繰り返し): the rule of a series and its preview table.

It only reads what staff choose (:meth:`RecurrenceEditor.rule`) and shows the preview the dialog asks the
series service for; the editor knows no service. Widgets carry the object names the tests use
(``rec_kind``, ``rec_wd_0``…``rec_wd_6``, ``rec_count``, ``rec_preview``…).
"""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from booking_app.domain import japanese_calendar as jcal
from booking_app.domain.recurrence import WEEKDAYS_JA, RecurrenceRule
from booking_app.ui.booking.booking_models import PreviewModel
from booking_app.ui.dates import date_edit, from_qdate, to_qdate
from booking_app.ui.keyboard import tab_leaves

REC_KINDS = (("weekly", "毎週"), ("monthly_nth", "毎月第n曜日"), ("monthly_date", "毎月n日"), ("dates", "日付を指定"))
UNTIL_DAYS = 56  # the end date offered: eight weeks after the booking day


def _spin(name: str, low: int, high: int, suffix: str, accessible: str) -> QSpinBox:
    spin = QSpinBox()
    spin.setObjectName(name)
    spin.setAccessibleName(accessible)
    spin.setRange(low, high)
    spin.setSuffix(suffix)
    return spin


class RecurrenceEditor(QWidget):
    """種類 (weekly, nth weekday, day of month, listed dates), the end (date or count) and the preview."""

    def __init__(self, today: date, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("recurrence_body")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.rec_kind = QComboBox()
        self.rec_kind.setObjectName("rec_kind")
        for key, label in REC_KINDS:
            self.rec_kind.addItem(label, key)
        kind_label = QLabel("種類(&Y)")
        kind_label.setBuddy(self.rec_kind)
        row.addWidget(kind_label)
        row.addWidget(self.rec_kind)
        row.addStretch(1)
        lay.addLayout(row)

        self.rec_stack = QStackedWidget()  # one page per 種類, in REC_KINDS' order
        # weekly
        self.rec_weekdays: list[QCheckBox] = []
        for i, wd in enumerate(WEEKDAYS_JA):
            cb = QCheckBox(wd)
            cb.setObjectName(f"rec_wd_{i}")
            self.rec_weekdays.append(cb)
        self.rec_interval = _spin("rec_interval", 1, 12, "週ごと", "何週ごと")
        self._add_page(*self.rec_weekdays, self.rec_interval)
        # monthly nth weekday
        self.rec_nth = QComboBox()
        self.rec_nth.setObjectName("rec_nth")
        self.rec_nth.setAccessibleName("毎月の第何")
        for n in (1, 2, 3, 4, 5):
            self.rec_nth.addItem(f"第{n}", n)
        self.rec_nth.addItem("最終", -1)
        self.rec_nth_weekday = QComboBox()
        self.rec_nth_weekday.setObjectName("rec_nth_weekday")
        self.rec_nth_weekday.setAccessibleName("毎月の曜日")
        for i, wd in enumerate(WEEKDAYS_JA):
            self.rec_nth_weekday.addItem(f"{wd}曜日", i)
        self._add_page(QLabel("毎月"), self.rec_nth, self.rec_nth_weekday)
        # monthly date
        self.rec_day = _spin("rec_day", 1, 31, "日", "毎月の日")
        self._add_page(QLabel("毎月"), self.rec_day)
        # free dates
        self.rec_dates = QLineEdit()
        self.rec_dates.setObjectName("rec_dates")
        self.rec_dates.setAccessibleName("繰り返す日付")
        self.rec_dates.setPlaceholderText("例：2026/12/01, 2026/12/15（読点・空白で区切る）")
        self._add_page(self.rec_dates, stretch=False)
        lay.addWidget(self.rec_stack)
        self.rec_kind.currentIndexChanged.connect(self.rec_stack.setCurrentIndex)

        row = QHBoxLayout()
        self.rec_until_radio = QRadioButton("終了日")
        self.rec_until_radio.setObjectName("rec_until_radio")
        self.rec_until_radio.setChecked(True)
        self.rec_until = date_edit("rec_until", today + timedelta(days=UNTIL_DAYS))
        self.rec_until.setAccessibleName("繰り返しの終了日")
        self.rec_count_radio = QRadioButton("回数")
        self.rec_count_radio.setObjectName("rec_count_radio")
        self.rec_count = _spin("rec_count", 1, 366, "回", "繰り返しの回数")
        self.rec_count.setValue(10)
        grp = QButtonGroup(self)
        grp.addButton(self.rec_until_radio)
        grp.addButton(self.rec_count_radio)
        row.addWidget(self.rec_until_radio)
        row.addWidget(self.rec_until)
        row.addWidget(self.rec_count_radio)
        row.addWidget(self.rec_count)
        row.addStretch(1)
        self.rec_preview_button = QPushButton("プレビュー")
        self.rec_preview_button.setObjectName("rec_preview")
        row.addWidget(self.rec_preview_button)
        lay.addLayout(row)

        self.preview_model = PreviewModel(self)
        self.preview_table = QTableView()
        self.preview_table.setObjectName("rec_preview_table")
        self.preview_table.setAccessibleName("繰り返しのプレビュー")
        self.preview_table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.preview_table.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        tab_leaves(self.preview_table)
        self.preview_table.setModel(self.preview_model)
        self.preview_table.verticalHeader().setVisible(False)
        self.preview_table.verticalHeader().setDefaultSectionSize(24)
        hh = self.preview_table.horizontalHeader()
        hh.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.preview_table.setMinimumHeight(150)
        self.preview_table.setWordWrap(False)
        lay.addWidget(self.preview_table)
        self.preview_requested = self.rec_preview_button.clicked

    def focus_chain(self) -> list[QWidget]:
        """The editor's fields in reading order (the dialog puts them after 繰り返し in its Tab order;
        the pages of the 種類 not chosen are hidden, so Tab skips them)."""
        return [self.rec_kind, *self.rec_weekdays, self.rec_interval, self.rec_nth, self.rec_nth_weekday,
                self.rec_day, self.rec_dates, self.rec_until_radio, self.rec_until, self.rec_count_radio,
                self.rec_count, self.rec_preview_button, self.preview_table]

    def _add_page(self, *widgets: QWidget, stretch: bool = True) -> None:
        """A page of the stack: the widgets in a row (left-aligned unless one should take the width)."""
        page = QWidget()
        row = QHBoxLayout(page)
        row.setContentsMargins(0, 0, 0, 0)
        for w in widgets:
            row.addWidget(w)
        if stretch:
            row.addStretch(1)
        self.rec_stack.addWidget(page)

    def preset(self, d: date) -> None:
        """Follow the booking day until staff open the settings: 毎週 that weekday, its nth weekday, its day."""
        for i, cb in enumerate(self.rec_weekdays):
            cb.setChecked(i == d.weekday())
        self.rec_nth.setCurrentIndex(min((d.day - 1) // 7, 4))
        self.rec_nth_weekday.setCurrentIndex(d.weekday())
        self.rec_day.setValue(d.day)
        if from_qdate(self.rec_until.date()) < d:
            self.rec_until.setDate(to_qdate(d + timedelta(days=UNTIL_DAYS)))

    def rule(self, start: date) -> RecurrenceRule:
        """The rule as chosen, from the booking day ``start``. Raises ValidationError for a date not read."""
        kind = self.rec_kind.currentData()
        until = from_qdate(self.rec_until.date()) if self.rec_until_radio.isChecked() else None
        count = self.rec_count.value() if self.rec_count_radio.isChecked() else None
        if kind == "dates":
            parts = [p for p in self.rec_dates.text().replace("、", ",").replace(" ", ",").split(",") if p.strip()]
            dates = tuple(sorted({jcal.parse_date_ja(p) for p in parts} | {start}))
            return RecurrenceRule(kind="dates", start=start, dates=dates)
        return RecurrenceRule(
            kind=kind, start=start, until=until, count=count,
            weekdays=tuple(i for i, cb in enumerate(self.rec_weekdays) if cb.isChecked()),
            interval=self.rec_interval.value() if kind == "weekly" else 1,
            nth=self.rec_nth.currentData(), weekday=self.rec_nth_weekday.currentData(), day=self.rec_day.value(),
        )


__all__ = ["REC_KINDS", "RecurrenceEditor"]
