"""Writing the group register (登録団体名簿) as .csv or .xlsx from plain rows: the export's writer.

The rows are the register's columns in :data:`~booking_app.services.group_roster.EXPORT_COLUMNS` order
(services/group_io.py gathers them from the database); the bytes come back to the caller, which writes the file
and records the export. Like services/table_writer.py, whose CSV and workbook rules it uses (a name typed
as '=…' stays text in Excel), it knows no session; it moves to reports/ with table_writer.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from booking_app.services import table_writer
from booking_app.services.group_roster import EXPORT_COLUMNS, SHEET_NAME

WIDTHS = {"登録番号": 10, "団体名": 34, "フリガナ": 36, "区分": 8, "まちづくり協議会": 10, "地区": 8, "活動分野": 40,
           "代表者": 14, "電話番号": 15, "連絡担当者": 14, "連絡先電話": 15, "メール": 28, "住所": 36, "活動場所": 20,
           "会員数": 8, "登録日": 12, "有効期限": 12, "状態": 10, "状態の理由": 24, "備考": 36}
TEXT_COLUMNS = {"登録番号", "電話番号", "連絡先電話"}


def csv_bytes(rows: Sequence[Sequence[Any]]) -> bytes:
    """The register as CSV: UTF-8 with BOM so Excel reads it right, headings first."""
    return table_writer.csv_bytes([EXPORT_COLUMNS, *rows])


def xlsx_bytes(rows: Sequence[Sequence[Any]], today: date) -> bytes:
    """The register as a workbook: one sheet, dates as dates, numbers kept as text, the same bytes for
    the same register on the same day."""
    import openpyxl
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.xml.constants import ARC_CORE
    from openpyxl.xml.functions import tostring

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = SHEET_NAME
    ws.append(list(EXPORT_COLUMNS))
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for cell in ws[1]:
        cell.font, cell.fill, cell.alignment = bold, fill, Alignment(horizontal="center")
    date_cols = {EXPORT_COLUMNS.index(c) for c in ("登録日", "有効期限")}
    text_cols = {EXPORT_COLUMNS.index(c) for c in TEXT_COLUMNS}
    for n, values in enumerate(rows, start=2):
        ws.append(["" if v is None and i not in date_cols else v for i, v in enumerate(values)])
        for i in date_cols:
            ws.cell(n, i + 1).number_format = "yyyy/mm/dd"
        for i in text_cols:
            ws.cell(n, i + 1).number_format = "@"  # text, so 0001 keeps its zeros if retyped
    for i, name in enumerate(EXPORT_COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = WIDTHS[name]
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(EXPORT_COLUMNS))}{len(rows) + 1}"
    # Fixed document times (the export day) and zip entry times: the same register exported twice
    # on one day gives the same bytes, which makes a round trip checkable.
    stamp = datetime(today.year, today.month, today.day)
    wb.properties.created = wb.properties.modified = stamp
    wb.properties.creator = "ふくふくデスク"
    table_writer.neutralise_workbook(wb)  # a group named '=…' is text, never a formula
    raw = io.BytesIO()
    wb.save(raw)
    # openpyxl's save stamps 'modified' with the current second, whatever we set; so the
    # document properties are written again with the export day (else two exports a second
    # apart differ, and the round trip test flickers).
    wb.properties.modified = stamp
    core = tostring(wb.properties.to_tree())
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, core if info.filename == ARC_CORE else src.read(info.filename))
    return out.getvalue()
