"""出力: a month's or a fiscal year's statistics as xlsx, CSV or a PDF report, written off the GUI thread
(ui/export_op.export_file) and recorded in the audit trail by the service in the same transaction."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QButtonGroup, QGridLayout, QHBoxLayout, QLabel, QRadioButton, QVBoxLayout, QWidget

from booking_app.domain import japanese_calendar as jcal
from booking_app.domain.figures import MonthFigures
from booking_app.services import unit_of_work
from booking_app.services.stats_export import gather_stats
from booking_app.services.unit_of_work import Session
from booking_app.ui.context import AppContext
from booking_app.ui.export_op import ExportOp, export_file
from booking_app.ui.period_picker import FISCAL_YEAR, MONTH, PeriodPicker
from booking_app.ui.plain_text import plain_label
from booking_app.ui.prompts import CSV, EXCEL, PDF
from booking_app.ui.widgets import action_button as _button

FORMATS = (("xlsx", "Excel（.xlsx）"), ("csv", "CSV（.csv）"), ("pdf", "PDF報告書（.pdf）"))
FILTERS = {"xlsx": EXCEL, "csv": CSV, "pdf": PDF}
TITLE = "統計の出力"

class ExportTab(QWidget):
    """Period (月 of a 年度, or the 年度), format, 出力…; the result stays on the tab."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.last_op: ExportOp | None = None  # the latest background export (tests wait on it)
        self.last_export_path: Path | None = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(12, 10, 12, 10)
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(10)
        self.picker = PeriodPicker(ctx.today, kinds=(MONTH, FISCAL_YEAR), name="export_period")
        today = ctx.today
        prev = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
        self.picker.set_month(*prev)  # the month just ended is the one the city asks for
        grid.addWidget(QLabel("期間"), 0, 0)
        grid.addWidget(self.picker, 0, 1, 1, 2)  # as wide as it needs: column 3 takes the rest
        grid.addWidget(QLabel("形式"), 1, 0)
        fmt_row = QHBoxLayout()
        self._format_group = QButtonGroup(self)
        self.format_radios: dict[str, QRadioButton] = {}
        for key, label in FORMATS:
            r = QRadioButton(label)
            r.setObjectName(f"format_{key}")
            self._format_group.addButton(r)
            self.format_radios[key] = r
            fmt_row.addWidget(r)
        self.format_radios["xlsx"].setChecked(True)
        fmt_row.addStretch(1)
        grid.addLayout(fmt_row, 1, 1, 1, 3)
        grid.setColumnStretch(3, 1)
        lay.addLayout(grid)
        note = QLabel("利用者数（区分別・部屋別）、予約・取消・無断キャンセル、部屋の稼働率（時間帯別）、"
                      "団体区分別の利用者、新規登録団体、保険加入、印刷機の利用、収入（種別）を出力します。"
                      "個人情報は含みません。")
        note.setWordWrap(True)
        note.setStyleSheet("color: #505050;")
        lay.addWidget(note)
        row = QHBoxLayout()
        self.button = _button("出力…", "export_stats", self.export)
        self.button.setMinimumWidth(140)
        row.addWidget(self.button)
        row.addStretch(1)
        lay.addLayout(row)
        self.result = plain_label()
        self.result.setObjectName("export_result")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.result)
        lay.addStretch(1)

    def period(self) -> tuple[str, dict[str, Any]]:
        """('令和8年（2026年）10月', {'month': (2026, 10)}) or ('令和8年度（2026年度）', {'fiscal_year': 2026})."""
        p = self.picker.period()
        if p.fiscal_year is not None:
            return p.label, {"fiscal_year": p.fiscal_year}
        assert p.month is not None  # the picker offers a month or a fiscal year
        return p.label, {"month": p.month}

    def format(self) -> str:
        return next(k for k, r in self.format_radios.items() if r.isChecked())

    def export(self) -> ExportOp | None:
        label, kwargs = self.period()
        fmt = self.format()
        # Files are named without brackets: 統計_令和8年度.xlsx, 統計_2026年10月.xlsx.
        if "fiscal_year" in kwargs:
            stem = jcal.fiscal_year_label(kwargs["fiscal_year"])
        else:
            stem = f"{kwargs['month'][0]}年{kwargs['month'][1]}月"
        suggested = f"統計_{stem}.{fmt}"
        engine, actor = self.ctx.engine, self.ctx.actor

        def export(session: Session, p: Path) -> MonthFigures:
            # The service records the export; the file is written in the same transaction, so a file that
            # cannot be written leaves no audit entry.
            # The writers (reportlab loads on first use: imported at start it adds ~0.26 s and ~20 MB before the window shows (python -X importtime)).
            from booking_app.reports.stats_export import write_stats

            report = gather_stats(session, actor, p, **kwargs)
            write_stats(report, p)
            return report.fig

        def write(p: Path) -> MonthFigures:
            return unit_of_work.write(engine, lambda session: export(session, p))

        def done(_fig: MonthFigures, p: Path) -> str:
            self.last_export_path = p
            self.result.setText(f"{label}の統計を保存しました：{p}")
            return f"{label}の統計を保存しました。\n{p}"

        op = export_file(self, self.ctx, title=TITLE, suggested=suggested, write=write, done=done,
                         filters=FILTERS[fmt], progress="統計を出力しています…",
                         on_failed=lambda _exc: self.result.setText(""))
        if op is not None:
            self.result.setText(f"{label}の統計を出力しています…")
            self.last_op = op
        return op


__all__ = ["ExportTab", "FORMATS"]
