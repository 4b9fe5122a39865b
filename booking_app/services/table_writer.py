"""Writing the tables staff open in Excel (表の書き出し): one place for every ``.csv`` and ``.xlsx`` export.

A spreadsheet runs a cell whose text starts with ``=``, ``+``, ``-`` or ``@`` as a formula (and a
tab or carriage return in front of one is skipped over), so a group called ``=HYPERLINK(...)`` or a
payer typed as ``=cmd|' /C calc'!A0`` would become a live formula in the manager's Excel (CSV
injection, OWASP). Every text cell of every export therefore passes :func:`neutralise`: such a text
gets a leading ``'`` (full-width ``＝ ＋ － ＠`` too, which Japanese Excel converts to their ASCII
forms as it reads them). Numbers stay numbers (a refund of -500 yen is the number -500, not text),
dates stay dates, and in a workbook text is stored as text (data type ``s``), never as a formula.

* :func:`csv_bytes` — rows to CSV as Excel expects it: UTF-8 with BOM, CRLF, dates as 2026/11/25.
* :func:`neutralise_workbook` / :func:`save_workbook` — every cell of every sheet of an openpyxl
  workbook made safe (call it after filling the sheets, just before saving).
* :class:`Plain` — a text the program itself made that starts with ``-`` on purpose (``-3.1%``, a
  number Excel should read as one), which :func:`neutralise` leaves alone.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import IO, TYPE_CHECKING, Any, TypeVar

from booking_app.domain import japanese_calendar as jcal

if TYPE_CHECKING:
    from openpyxl import Workbook  # an untyped package: Any to mypy

T = TypeVar("T")

#: The first characters that make a spreadsheet run a cell: = + - @, tab and CR, and the full-width
#: forms of the four (Excel for Japanese input reads ＝1+1 as =1+1).
DANGEROUS_FIRST = frozenset("=+-@\t\r＝＋－＠")


class Plain(str):
    """Text the program produced that may start with '-' on purpose (a negative percentage);
    :func:`neutralise` leaves it as it is. Never wrap text that came from a person."""

    __slots__ = ()


def is_dangerous(text: str) -> bool:
    """True when a spreadsheet would run ``text`` (or skip into a formula) as typed."""
    return bool(text) and text[0] in DANGEROUS_FIRST


def neutralise(value: T) -> T:
    """``value`` with a leading ``'`` when it is text a spreadsheet would run; anything else unchanged."""
    if isinstance(value, str) and not isinstance(value, Plain) and is_dangerous(value):
        return "'" + value  # type: ignore[return-value]
    return value


def csv_cell(value: Any) -> Any:
    """One CSV cell: None as empty, a date as 2026/11/25, a datetime as 2026/11/25 10:00:00, text made safe."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return f"{value:%Y/%m/%d %H:%M:%S}"
    if isinstance(value, date):
        return jcal.format_slash(value)
    if isinstance(value, Plain):
        return str(value)
    return neutralise(value)


def csv_bytes(rows: Iterable[Sequence[Any]]) -> bytes:
    """``rows`` as one CSV the way Excel opens it right: UTF-8 with BOM, CRLF, every cell through :func:`csv_cell`."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return buf.getvalue().encode("utf-8-sig")


def neutralise_workbook(wb: Workbook) -> int:
    """Make every cell of every sheet of the openpyxl workbook ``wb`` safe, in place: a text a
    spreadsheet would run gets its ``'`` and every text cell is stored as text (data type 's'),
    never as a formula. Returns the number of cells changed. No export writes a formula of its own."""
    changed = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                value = cell.value
                if not isinstance(value, str):
                    continue
                safe = neutralise(value)
                if safe is not value or cell.data_type != "s":
                    cell.value = str(safe)
                    cell.data_type = "s"  # openpyxl takes any text starting with '=' for a formula
                    changed += 1
    return changed


def save_workbook(wb: Workbook, path: str | os.PathLike[str] | IO[bytes]) -> None:
    """Neutralise ``wb`` and save it to ``path`` (a path, or a file-like object saved as it is)."""
    neutralise_workbook(wb)
    wb.save(path if hasattr(path, "write") else str(path))


__all__ = ["DANGEROUS_FIRST", "Plain", "is_dangerous", "neutralise", "csv_cell", "csv_bytes", "neutralise_workbook",
           "save_workbook"]
