"""One period picker (期間の選択) for every page that narrows by period.

A page offers some of: 年度 (a fiscal year, April–March), 月 (a calendar month), 期間 (from–to dates),
and 全期間 (no bounds). Years and months are named in both calendars, 和暦 first as the city's
documents do: 「令和8年度（2026年度）」, 「令和8年（2026年）11月」. What was chosen comes back as one
plain :class:`Period`::

    self.period = PeriodPicker(ctx.today, kinds=(RANGE, ALL), default_days=31, name="period")
    self.period.changed.connect(self.search)
    p = self.period.period()          # Period(kind='range', start=…, end=…, label='2026/10/25〜2026/11/25')
    self.period.check()               # ValidationError when 開始日 is after 終了日 (focus goes to 開始日)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QButtonGroup, QComboBox, QHBoxLayout, QLabel, QRadioButton, QWidget

from booking_app.domain import japanese_calendar as jcal
from booking_app.domain.errors import ValidationError
from booking_app.ui.dates import date_edit, from_qdate, to_qdate

FISCAL_YEAR = "fiscal_year"
MONTH = "month"
RANGE = "range"
ALL = "all"
KIND_LABELS = {FISCAL_YEAR: "年度", MONTH: "月", RANGE: "期間", ALL: "全期間"}


@dataclass(frozen=True)
class Period:
    """What a PeriodPicker shows: both ends inclusive, None for 全期間."""

    kind: str
    start: date | None
    end: date | None
    label: str
    fiscal_year: int | None = None
    month: tuple[int, int] | None = None

    def contains(self, d: date) -> bool:
        return (self.start is None or self.start <= d) and (self.end is None or d <= self.end)


def fiscal_year_text(fy: int) -> str:
    """'令和8年度（2026年度）'."""
    return f"{jcal.fiscal_year_label(fy)}（{fy}年度）"


def month_text(year: int, month: int) -> str:
    """'令和8年（2026年）11月'."""
    return f"{jcal.wareki_year(date(year, month, 1))}（{year}年）{month}月"


def fiscal_months(fy: int) -> list[tuple[int, int]]:
    """The twelve months of a fiscal year, April first."""
    return [(fy if m >= 4 else fy + 1, m) for m in (*range(4, 13), 1, 2, 3)]


def month_range(year: int, month: int) -> tuple[date, date]:
    first = date(year, month, 1)
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return first, following - timedelta(days=1)


class PeriodPicker(QWidget):
    """年度／月／期間／全期間 as the page offers them; ``changed`` after any choice."""

    changed = Signal()

    def __init__(self, today: date, *, kinds: Sequence[str] = (RANGE,), years_back: int = 2,
                 default_days: int = 31, name: str = "period", parent: QWidget | None = None):
        super().__init__(parent)
        if not kinds or any(k not in KIND_LABELS for k in kinds):
            raise ValueError(f"kinds must be among {tuple(KIND_LABELS)}: {kinds!r}")
        self.setObjectName(name)
        self.today = today
        self.kinds = tuple(kinds)
        self.radios: dict[str, QRadioButton] = {}
        self._group = QButtonGroup(self)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)

        fy_now = jcal.fiscal_year(today)
        self.year_combo = QComboBox()
        self.year_combo.setObjectName(f"{name}_year")
        for fy in range(fy_now, fy_now - years_back - 1, -1):
            self.year_combo.addItem(fiscal_year_text(fy), fy)
        self.month_combo = QComboBox()
        self.month_combo.setObjectName(f"{name}_month")
        self.start_edit = date_edit(f"{name}_start", today - timedelta(days=default_days))
        self.end_edit = date_edit(f"{name}_end", today)
        self.start_edit.setToolTip("開始日（この日を含む）")
        self.end_edit.setToolTip("終了日（この日を含む）")
        # Names a screen reader reads (the fields have no label of their own, only 〜 between them).
        self.year_combo.setAccessibleName("年度")
        self.month_combo.setAccessibleName("月")
        self.start_edit.setAccessibleName("期間の開始日")
        self.end_edit.setAccessibleName("期間の終了日")
        self.wareki_label = QLabel()
        self.wareki_label.setObjectName(f"{name}_wareki")
        self.wareki_label.setStyleSheet("color: #505050;")

        several = len(self.kinds) > 1
        for kind in self.kinds:
            if several:
                r = QRadioButton(KIND_LABELS[kind])
                r.setObjectName(f"{name}_{kind}")
                self._group.addButton(r)
                self.radios[kind] = r
                lay.addWidget(r)
                r.toggled.connect(lambda on, _k=kind: on and self._kind_chosen())
            if kind == FISCAL_YEAR or (kind == MONTH and FISCAL_YEAR not in self.kinds):
                lay.addWidget(self.year_combo)
            if kind == MONTH:
                lay.addWidget(self.month_combo)
            if kind == RANGE:
                lay.addWidget(self.start_edit)
                lay.addWidget(QLabel("〜"))
                lay.addWidget(self.end_edit)
        if RANGE in self.kinds:
            lay.addWidget(self.wareki_label)
        self._fill_months()
        if several:
            self.radios[self.kinds[0]].setChecked(True)
        self._kind_chosen(emit=False)

        self.year_combo.currentIndexChanged.connect(lambda _i: self._year_changed())
        self.month_combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.start_edit.dateChanged.connect(lambda _d: self._dates_changed())
        self.end_edit.dateChanged.connect(lambda _d: self._dates_changed())
        self._show_wareki()

    # ---------------------------------------------------------------- reading

    def kind(self) -> str:
        if len(self.kinds) == 1:
            return self.kinds[0]
        return next(k for k, r in self.radios.items() if r.isChecked())

    def period(self) -> Period:
        kind = self.kind()
        if kind == FISCAL_YEAR:
            fy = self.year_combo.currentData()
            start, end = jcal.fiscal_year_range(fy)
            return Period(kind, start, end, fiscal_year_text(fy), fiscal_year=fy)
        if kind == MONTH:
            y, m = self.month_combo.currentData()
            start, end = month_range(y, m)
            return Period(kind, start, end, month_text(y, m), month=(y, m))
        if kind == RANGE:
            start, end = from_qdate(self.start_edit.date()), from_qdate(self.end_edit.date())
            return Period(kind, start, end, f"{jcal.format_slash(start)}〜{jcal.format_slash(end)}")
        return Period(ALL, None, None, "全期間")

    def check(self) -> Period:
        """The period, or ValidationError naming the field and the fix when 開始日 is after 終了日."""
        p = self.period()
        if p.start is not None and p.end is not None and p.start > p.end:
            self.start_edit.setFocus()
            raise ValidationError("期間の開始日が終了日より後になっています。開始日か終了日を直してください。",
                                  field="期間")
        return p

    # ---------------------------------------------------------------- setting

    def set_kind(self, kind: str) -> None:
        if kind not in self.kinds:
            raise ValueError(f"this picker offers {self.kinds}, not {kind!r}")
        if len(self.kinds) > 1:
            self.radios[kind].setChecked(True)

    def set_range(self, start: date, end: date) -> None:
        self.start_edit.setDate(to_qdate(start))
        self.end_edit.setDate(to_qdate(end))

    def set_fiscal_year(self, fy: int) -> None:
        i = self.year_combo.findData(fy)
        if i < 0:
            self.year_combo.addItem(fiscal_year_text(fy), fy)
            i = self.year_combo.count() - 1
        self.year_combo.setCurrentIndex(i)

    def set_month(self, year: int, month: int) -> None:
        self.set_fiscal_year(jcal.fiscal_year(date(year, month, 1)))
        months = [tuple(self.month_combo.itemData(i)) for i in range(self.month_combo.count())]
        self.month_combo.setCurrentIndex(months.index((year, month)))

    # ---------------------------------------------------------------- inside

    def _kind_chosen(self, emit: bool = True) -> None:
        kind = self.kind()
        self.year_combo.setEnabled(kind in (FISCAL_YEAR, MONTH))
        self.month_combo.setEnabled(kind == MONTH)
        self.start_edit.setEnabled(kind == RANGE)
        self.end_edit.setEnabled(kind == RANGE)
        if emit:
            self.changed.emit()

    def _year_changed(self) -> None:
        self.month_combo.blockSignals(True)
        self._fill_months()
        self.month_combo.blockSignals(False)
        self.changed.emit()

    def _fill_months(self) -> None:
        """The chosen fiscal year's months; the latest month not after today is chosen."""
        fy = self.year_combo.currentData()
        self.month_combo.clear()
        last = 0
        for i, (y, m) in enumerate(fiscal_months(fy)):
            self.month_combo.addItem(month_text(y, m), (y, m))
            if date(y, m, 1) <= self.today.replace(day=1):
                last = i
        self.month_combo.setCurrentIndex(last)

    def _dates_changed(self) -> None:
        self._show_wareki()
        self.changed.emit()

    def _show_wareki(self) -> None:
        start, end = from_qdate(self.start_edit.date()), from_qdate(self.end_edit.date())
        self.wareki_label.setText(f"（{jcal.wareki(start)}〜{jcal.wareki(end)}）")


__all__ = ["PeriodPicker", "Period", "FISCAL_YEAR", "MONTH", "RANGE", "ALL", "fiscal_year_text", "month_text",
           "fiscal_months", "month_range"]
