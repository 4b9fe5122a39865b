"""One PeriodPicker: 年度 (April–March), 月, 期間 (from–to) and 全期間, 和暦 beside 西暦."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt

from booking_app.domain.errors import ValidationError
from booking_app.ui.period_picker import ALL, FISCAL_YEAR, MONTH, RANGE, PeriodPicker

NOW = "2026-11-25 10:00"
pytestmark = pytest.mark.now(NOW)

TODAY = date(2026, 11, 25)


def test_period_picker_fiscal_year_month_range_and_all(qtbot):
    picker = PeriodPicker(TODAY, kinds=(FISCAL_YEAR, MONTH, RANGE, ALL), default_days=31)
    qtbot.addWidget(picker)
    picker.show()
    qtbot.waitExposed(picker)
    p = picker.period()
    assert (p.kind, p.start, p.end, p.fiscal_year) == (FISCAL_YEAR, date(2026, 4, 1), date(2027, 3, 31), 2026)
    assert p.label == "令和8年度（2026年度）"
    qtbot.mouseClick(picker.radios[MONTH], Qt.MouseButton.LeftButton)
    p = picker.period()
    assert (p.kind, p.start, p.end, p.month) == (MONTH, date(2026, 11, 1), date(2026, 11, 30), (2026, 11))
    assert p.label == "令和8年（2026年）11月"
    picker.set_month(2027, 2)  # February of the same fiscal year
    assert picker.period().end == date(2027, 2, 28)
    qtbot.mouseClick(picker.radios[RANGE], Qt.MouseButton.LeftButton)
    p = picker.period()
    assert (p.start, p.end) == (date(2026, 10, 25), date(2026, 11, 25))
    assert picker.wareki_label.text() == "（令和8年10月25日〜令和8年11月25日）"
    qtbot.mouseClick(picker.radios[ALL], Qt.MouseButton.LeftButton)
    assert picker.period().start is None and not picker.start_edit.isEnabled()


def test_period_picker_refuses_a_start_after_the_end(qtbot):
    picker = PeriodPicker(TODAY)
    qtbot.addWidget(picker)
    with qtbot.waitSignal(picker.changed):
        picker.set_range(date(2026, 12, 1), date(2026, 11, 1))
    with pytest.raises(ValidationError, match="開始日"):
        picker.check()


def test_fiscal_year_months_run_april_to_march(qtbot):
    picker = PeriodPicker(TODAY, kinds=(MONTH,))
    qtbot.addWidget(picker)
    months = [picker.month_combo.itemData(i) for i in range(picker.month_combo.count())]
    assert months[0] == (2026, 4) and months[-1] == (2027, 3) and len(months) == 12
