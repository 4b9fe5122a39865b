"""A statistics tab of one fiscal year (年度): the year chooser every such tab starts its top row with."""

from __future__ import annotations

from datetime import date

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from booking_app.domain import japanese_calendar as jcal
from booking_app.ui.context import AppContext


def year_combo(name: str, today: date) -> QComboBox:
    """This fiscal year and the two before it, named as the city names them (令和8年度（2026年度）)."""
    c = QComboBox()
    c.setObjectName(name)
    fy = jcal.fiscal_year(today)
    for y in (fy, fy - 1, fy - 2):
        c.addItem(f"{jcal.fiscal_year_label(y)}（{y}年度）", y)
    return c


class YearTab(QWidget):
    """「年度 [▼]」 at the left of the top row (``self.top``, for the tab's own controls), the page below
    (``self.lay``); choosing another year reloads the tab (:meth:`refresh`)."""

    def __init__(self, ctx: AppContext, name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.lay = QVBoxLayout(self)
        self.lay.setContentsMargins(4, 6, 4, 4)
        self.top = QHBoxLayout()
        caption = QLabel("年度(&Y)")
        self.top.addWidget(caption)
        self.year = year_combo(f"{name}_year", ctx.today)
        caption.setBuddy(self.year)  # its name for a screen reader, Alt+Y to reach it
        self.year.currentIndexChanged.connect(lambda _i: self.refresh())
        self.top.addWidget(self.year)
        self.lay.addLayout(self.top)

    def refresh(self) -> None:
        raise NotImplementedError


__all__ = ["YearTab", "year_combo"]
