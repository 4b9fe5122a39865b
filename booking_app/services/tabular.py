"""Reading the tables staff keep in Excel (表ファイルの読込): ``.xlsx``, or ``.csv`` as Excel saves it.

Shared by the imports of the booking ledger (``services.imports``) and of the group register
(``services.group_io``): decoding a CSV (UTF-8 with or without BOM, UTF-16 with BOM, or Shift_JIS as
Excel on a Japanese PC writes it), reading a workbook, finding the heading row among the first rows,
turning cells into text, collecting problems with the row number Excel shows (the heading is row 1),
and the frame of the Japanese report.

Shift_JIS is the last guess, and cp932 decodes most byte soup (Latin-1, EUC-JP…) into mojibake
without complaint. So a guessed file whose heading cannot be found is refused as an encoding problem
(:func:`require_legible`), not reported as a missing heading, which would send staff looking for
the wrong fix.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeVar

from booking_app.domain import japanese_calendar as jcal
from booking_app.domain.errors import ValidationError
from booking_app.services import import_limits
from booking_app.services.import_limits import ImportLimits
from booking_app.services.table_writer import DANGEROUS_FIRST

# Rows with the number Excel shows them under: [(1, [heading cells]), (2, [cells]), …].
Table = list[tuple[int, list[Any]]]
T = TypeVar("T")

ENCODING_HELP = ("Excelで「CSV UTF-8（コンマ区切り）」か「CSV（コンマ区切り）」（Shift_JIS）、"
                 "または Excelブック（.xlsx）として保存し直してください。")
# How far down a title line may push the heading.
HEADER_SEARCH_ROWS = 10


# --------------------------------------------------------------------------- decoding and reading
#
# Within limits (services.import_limits): the size is checked by stat before a byte is read; a
# CSV is decoded as a stream and an xlsx sheet's XML is parsed as a stream, cell by cell; only rows with
# something in them are kept, each trimmed after its last non-empty cell; reading stops with a Japanese
# refusal at the first row, column or cell beyond the limits. Nothing here ever holds a whole file.

_CHUNK = 1 << 20


def decode(data: bytes) -> tuple[str, str, bool]:
    """Text, a label of its encoding, and whether the encoding was a guess (Shift_JIS fallback)."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "UTF-8 BOM付き", False
        except UnicodeDecodeError:
            raise _broken("UTF-8 BOM付き") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "UTF-16", False
        except UnicodeDecodeError:  # a broken file is said in Japanese, not raised as is
            raise _broken("UTF-16") from None
    if b"\x00" in data[:4096]:
        raise ValidationError("CSVとして読めません（文字コードを判別できません）。" + ENCODING_HELP, field="file")
    try:
        return data.decode("utf-8"), "UTF-8", False
    except UnicodeDecodeError:
        pass
    try:
        # cp932 is what Excel on a Japanese PC writes ('Shift_JIS' in its menus), a superset of it.
        return data.decode("cp932"), "Shift_JIS", True
    except UnicodeDecodeError:
        raise _broken("Shift_JIS") from None


def _broken(label: str) -> ValidationError:
    if label == "Shift_JIS":
        return ValidationError("ファイルの文字コードを判別できません（UTF-8 でも Shift_JIS でもありません）。"
                               + ENCODING_HELP, field="file")
    if label == "UTF-16":
        return ValidationError("ファイルの文字コードが壊れています（UTF-16として読めない部分があります）。"
                               + ENCODING_HELP, field="file")
    return ValidationError("ファイルの文字コードが壊れています（UTF-8として読めない文字があります）。"
                           + ENCODING_HELP, field="file")


def _is_utf8(path: Path) -> bool:
    """Whether the whole file is UTF-8, read in chunks (nothing kept)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as f:
            while chunk := f.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def csv_encoding(path: Path) -> tuple[str, str, bool]:
    """(Python codec, label, guessed) from the file's head (BOM) or, without one, a streamed UTF-8 check."""
    with path.open("rb") as f:
        head = f.read(4096)
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig", "UTF-8 BOM付き", False
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16", "UTF-16", False
    if b"\x00" in head:
        raise ValidationError("CSVとして読めません（文字コードを判別できません）。" + ENCODING_HELP, field="file")
    if _is_utf8(path):
        return "utf-8", "UTF-8", False
    # cp932 is what Excel on a Japanese PC writes ('Shift_JIS' in its menus), a superset of it.
    return "cp932", "Shift_JIS", True


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _trimmed(cells: list[Any]) -> list[Any]:
    end = len(cells)
    while end and _blank(cells[end - 1]):
        end -= 1
    return cells if end == len(cells) else cells[:end]


def _kept(number: int, cells: list[Any], kept: int, limits: ImportLimits) -> list[Any] | None:
    """The row trimmed after its last non-empty cell, or None for a blank row; refuses one beyond the limits."""
    cells = _trimmed(cells)
    if not cells:
        return None
    if len(cells) > limits.max_columns:
        raise import_limits.too_many_columns(number, len(cells), limits)
    if kept + 1 > limits.max_rows + 1:  # the heading and max_rows data rows
        raise import_limits.too_many_rows(limits)
    return cells


def csv_rows(path: Path, limits: ImportLimits) -> tuple[Iterator[tuple[int, list[Any]]], str, bool]:
    """The non-blank records with their Excel row number (streamed), the kind's label, whether guessed."""
    codec, label, guessed = csv_encoding(path)
    return _csv_records(path, codec, label, limits), f"CSV（{label}）", guessed


def _csv_records(path: Path, codec: str, label: str, limits: ImportLimits) -> Iterator[tuple[int, list[Any]]]:
    budget = limits.max_record_chars
    spent = [0]  # characters pulled for the record being read
    number = 0
    with path.open("rb") as raw, io.TextIOWrapper(raw, encoding=codec, newline="") as text:
        def lines() -> Iterator[str]:
            while line := text.readline(budget + 1):
                spent[0] += len(line)
                if spent[0] > budget:
                    raise import_limits.record_too_long(number + 1, limits)
                yield line

        try:
            source = lines()
            first = next(source, "")
            spent[0] = 0  # counted again when the reader takes it
            head = first.split("\n", 1)[0]
            delimiter = "\t" if "\t" in head and "," not in head else ","

            def again() -> Iterator[str]:
                if first:
                    spent[0] += len(first)
                    yield first
                yield from source

            previous = csv.field_size_limit(limits.max_cell_chars)
            try:
                kept = 0
                # Excel numbers records, not physical lines; a cell with a line break stays one row.
                for number, row in enumerate(csv.reader(again(), delimiter=delimiter), start=1):
                    spent[0] = 0
                    cells = _kept(number, row, kept, limits)
                    if cells is not None:
                        kept += 1
                        yield number, cells
            except csv.Error as exc:
                if "field larger" in str(exc):
                    raise import_limits.cell_too_long(number + 1, limits) from None
                raise ValidationError(f"{number + 1}行目がCSVとして読めません（{exc}）。" + ENCODING_HELP,
                                      field="file") from None
            finally:
                csv.field_size_limit(previous)
        except UnicodeDecodeError:
            raise _broken(label) from None


def read_csv(path: Path, limits: ImportLimits | None = None) -> tuple[Table, str, bool]:
    """Every non-blank record with its Excel row number, the file kind's label, and whether the encoding
    was guessed; within ``limits`` (the defaults when None)."""
    limits = limits or import_limits.DEFAULTS
    _check_size(path, limits)
    rows, kind, guessed = csv_rows(path, limits)
    return _collect(rows), kind, guessed


def check_xlsx_zip(path: Path, limits: ImportLimits) -> None:
    """Refuse an xlsx whose XML parts unpack beyond the limits (a zip bomb), from the zip's directory alone.

    The sizes are the ones the zip declares; Python's zipfile never unpacks more than an entry declares
    (it stops there and reports a damaged file), so the check holds for a lying directory too."""
    try:
        with zipfile.ZipFile(path) as zf:
            entries = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _not_xlsx(exc) from None
    total = 0
    for info in entries:
        if not info.filename.endswith((".xml", ".rels", ".vml")):
            continue  # pictures and other binaries: openpyxl's read-only mode does not unpack them
        total += info.file_size
        if not info.filename.startswith("xl/worksheets/") and info.file_size > limits.max_xlsx_part:
            raise import_limits.xlsx_too_big(info.file_size, limits.max_xlsx_part)
    if total > limits.max_xlsx_unpacked:
        raise import_limits.xlsx_too_big(total, limits.max_xlsx_unpacked)


def _not_xlsx(exc: BaseException) -> ValidationError:
    return ValidationError(f"Excelファイルとして開けません（{type(exc).__name__}）。"
                           "ファイルが壊れていないか、.xlsx形式か確かめてください。", field="file")


def _sheet_rows(ws: Any, limits: ImportLimits) -> Iterator[tuple[int, list[Any]]]:
    """The sheet's non-blank rows, parsed as a stream one cell at a time.

    The sheet's ``dimension`` is not trusted (openpyxl pads every row to it: a cell in column XFD made each
    row 16,384 values, and missing rows are filled in too); each row is as long as its last non-empty
    cell, and a cell beyond the column limit is refused as soon as it is read. Values are openpyxl's own
    (its parser's ``parse_cell``: shared strings, numbers, dates by their style)."""
    from openpyxl.utils.cell import coordinate_to_tuple
    from openpyxl.worksheet._reader import CELL_TAG, ROW_TAG, WorkSheetParser
    from openpyxl.xml.functions import iterparse

    wb = ws.parent
    kept = 0
    with ws._get_source() as src:
        parser = WorkSheetParser(src, ws._shared_strings, data_only=wb.data_only, epoch=wb.epoch,
                                 date_formats=wb._date_formats, timedelta_formats=wb._timedelta_formats)
        number = 0
        cells: dict[int, Any] = {}
        row_element = sheet_data = None
        for event, element in iterparse(src, events=("start", "end")):
            tag = element.tag
            if event == "start":
                if tag == SHEET_DATA_TAG:
                    sheet_data = element
                elif tag == ROW_TAG:
                    r = element.get("r")
                    number = int(r) if r else number + 1
                    parser.row_counter, parser.col_counter = number, 0
                    cells, row_element = {}, element
                continue
            if tag == CELL_TAG:
                if element.get("t") == "inlineStr":
                    # PERF: openpyxl reads an inline string through its descriptor machinery (Text.from_tree),
                    # most of the time of a sheet written that way; its text is the <t> runs (not <rPh>, the
                    # reading Excel keeps beside it).
                    value = _inline_text(element)
                    ref = element.get("r")
                    if ref:
                        parser.col_counter = coordinate_to_tuple(ref)[1]
                    else:
                        parser.col_counter += 1
                    cell = {"column": parser.col_counter, "value": value}
                else:
                    cell = parser.parse_cell(element)
                value = cell["value"]
                if row_element is not None:
                    del row_element[:]  # nothing of the row's cells stays in memory
                else:
                    element.clear()
                if _blank(value):
                    continue
                column = cell["column"]
                if column > limits.max_columns:
                    raise import_limits.too_many_columns(number, column, limits)
                if isinstance(value, str) and len(value) > limits.max_cell_chars:
                    raise import_limits.cell_too_long(number, limits)
                cells[column] = value
            elif tag == ROW_TAG:
                if sheet_data is not None:
                    del sheet_data[:]  # nor of the rows already read
                element.clear()
                row_element = None
                if cells:
                    kept += 1
                    if kept > limits.max_rows + 1:
                        raise import_limits.too_many_rows(limits)
                    row = [None] * max(cells)
                    for column, value in cells.items():
                        row[column - 1] = value
                    yield number, row
                cells = {}
            elif tag == SHEET_DATA_TAG:
                element.clear()


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
SHEET_DATA_TAG = _MAIN + "sheetData"
_IS, _T, _R = _MAIN + "is", _MAIN + "t", _MAIN + "r"


def _inline_text(cell: Any) -> str | None:
    box = cell.find(_IS)
    if box is None:
        return None
    parts = []
    for child in box:
        if child.tag == _T:
            parts.append(child.text or "")
        elif child.tag == _R:
            parts.extend(t.text or "" for t in child.iter(_T))
    return "".join(parts)


def read_xlsx(path: Path, sheet: str, limits: ImportLimits | None = None) -> tuple[Table, str, bool]:
    """The rows of the sheet called ``sheet`` (the first sheet when there is none by that name)."""
    limits = limits or import_limits.DEFAULTS
    _check_size(path, limits)
    check_xlsx_zip(path, limits)
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - a dependency of the app
        raise ValidationError("Excelファイルを読むための部品（openpyxl）がありません。CSVで保存してください。") from None
    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles and data validation it cannot read; irrelevant to the values.
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    # BadZipFile, KeyError, InvalidFileException…: all mean 'not an xlsx'.
    except MemoryError:
        raise _no_memory() from None
    except Exception as exc:  # noqa: BLE001
        raise _not_xlsx(exc) from None
    try:
        ws = wb[sheet] if sheet in wb.sheetnames else wb.worksheets[0]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rows = _collect(_sheet_rows(ws, limits))
    except (ValidationError, MemoryError):
        raise
    except Exception as exc:  # noqa: BLE001 - damaged XML inside the zip
        raise _not_xlsx(exc) from None
    finally:
        wb.close()
    return rows, "Excel（xlsx）", False


def _check_size(path: Path, limits: ImportLimits) -> None:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ValidationError(f"ファイル「{path.name}」を読めません（{exc.strerror or exc}）。", field="file") from None
    if size > limits.max_bytes:
        raise import_limits.too_big(size, limits)


def _no_memory() -> ValidationError:
    return ValidationError("ファイルが大きすぎて読めません（メモリが足りません）。ファイルを分けて取り込むか、"
                           "不要な行・列を消して保存し直してください。", field="file")


def _collect(rows: Iterator[tuple[int, list[Any]]]) -> Table:
    try:
        return list(rows)
    except MemoryError:
        raise _no_memory() from None


def read_table(path: Path, *, sheet: str, limits: ImportLimits | None = None) -> tuple[Table, str, bool]:
    """Every non-blank row of ``path`` (.xlsx/.xlsm, or .csv/.txt/.tsv) with its Excel row number, a label
    for the file kind, and whether the text encoding was a guess; within ``limits`` (the defaults when
    None). Raises ValidationError (Japanese, naming the limit) when it cannot or must not read it."""
    path = Path(path)
    if not path.exists():
        raise ValidationError(f"ファイル「{path}」が見つかりません。", field="file")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return read_xlsx(path, sheet, limits)
    if suffix in (".csv", ".txt", ".tsv"):
        return read_csv(path, limits)
    if suffix == ".xls":
        raise ValidationError("古いExcel形式（.xls）は読めません。Excelで「.xlsx」か「CSV」として保存し直してください。",
                              field="file")
    raise ValidationError(f"「{path.name}」は読めない種類のファイルです。.xlsx か .csv を指定してください。", field="file")


# --------------------------------------------------------------------------- cells and headings


def fold(text: str) -> str:
    """Comparison key: full/half width and case folded, spaces removed ('小会議室１' = '小会議室1')."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).casefold()


def cell_text(value: Any) -> str:
    """A cell as staff read it: '' for empty, 14 for Excel's 14.0, dates as 2026/04/01.

    The ``'`` our exports put before a text a spreadsheet would run (``'=…``, ``'＋…``: see
    ``services.table_writer``) is taken off again, so an exported register reads back as it was."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return jcal.format_slash(value.date())
    if isinstance(value, date):
        return jcal.format_slash(value)
    text = str(value).strip()
    if len(text) > 1 and text[0] == "'" and text[1] in DANGEROUS_FIRST:
        text = text[1:].strip()
    return text


def cell_date(value: Any, *, required: bool = False) -> date | None:
    """An Excel date cell, or text parsed the way staff write dates; None for a blank optional cell.

    Raises ValidationError (parse_date_ja's Japanese message) for text that is no date.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value)
    if not text and not required:
        return None
    return jcal.parse_date_ja(text)


def cell_time(value: Any) -> time | None:
    """An Excel time cell, or text parsed the way staff write times; None for a blank cell."""
    if isinstance(value, datetime):
        return value.time()
    if isinstance(value, time):
        return value
    text = cell_text(value)
    if not text:
        return None
    return jcal.parse_time_ja(text)


def heading_lookup(columns: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    """Folded heading → canonical column, for every canonical name and every other name seen for it."""
    lookup = {fold(c): c for c in columns}
    lookup.update({fold(a): c for c, aliases in columns.items() for a in aliases})
    return lookup


def find_header(rows: Table, lookup: Mapping[str, str],
                accept: Callable[[dict[str, int]], bool]) -> tuple[int, dict[str, int]] | None:
    """The heading row's index in ``rows`` and each known column's position, or None.

    The first of the first rows (a title line may stand above the heading) whose known columns
    ``accept`` takes; a heading written twice counts where it first stands.
    """
    for index, (_, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        found: dict[str, int] = {}
        for pos, cell in enumerate(cells):
            canon = lookup.get(fold(cell_text(cell)))
            if canon and canon not in found:
                found[canon] = pos
        if accept(found):
            return index, found
    return None


def require_legible(rows: Table, guessed: bool) -> None:
    """Called when no heading was found: refuse a file that is mojibake rather than headless.

    Without a heading, a Shift_JIS guess (or text holding U+FFFD) means the encoding was probably
    wrong; saying so is the useful message, "no heading" would not be.
    """
    if guessed or any("\ufffd" in cell_text(c) for _, cells in rows[:5] for c in cells):
        raise ValidationError("見出しの行が読めません。ファイルの文字コードが UTF-8 でも Shift_JIS でもないようです。"
                              + ENCODING_HELP, field="file")


def data_rows(rows: Table, header_index: int,
              positions: Mapping[str, int]) -> Iterator[tuple[int, Callable[[str], Any]]]:
    """The rows under the heading, blank ones skipped: (Excel row number, get(column) → cell or None)."""
    for number, cells in rows[header_index + 1:]:
        if not any(cell_text(c) for c in cells):
            continue

        def get(column: str, cells: list[Any] = cells) -> Any:
            pos = positions.get(column)
            return cells[pos] if pos is not None and pos < len(cells) else None

        yield number, get


# --------------------------------------------------------------------------- problems and the report

R = TypeVar("R")


@dataclass(frozen=True)
class TableIssue:
    """One problem (or notice) of the file: row as numbered in Excel (heading = 1), column, reason."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"{self.row}行目" + (f"［{self.column}］" if self.column else "")
        return f"{where} {self.message}"


@dataclass
class TableReport:
    """What an import of a table did, or would do (取込結果); subclasses add what they count."""

    TITLE: ClassVar[str] = "ファイル"  # the first line's label, e.g. 予約台帳

    path: str
    file_kind: str = ""  # 'Excel（xlsx）', 'CSV（Shift_JIS）', …
    rows: int = 0  # data rows read (blank rows not counted)
    errors: list[TableIssue] = field(default_factory=list)
    warnings: list[TableIssue] = field(default_factory=list)
    dry_run: bool = False
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary_lines(self) -> list[str]:
        """The report in Japanese, as the CLI prints it and an import dialog shows it."""
        lines = [f"{self.TITLE}：{Path(self.path).name}（{self.file_kind}）", f"データ行：{self.rows}行"]
        if self.errors:
            lines.append(f"エラーが{len(self.errors)}件あるため、何も取り込んでいません。"
                         "ファイルを直して、もう一度取り込んでください。")
            lines += [f"  {e}" for e in self.errors]
            lines += self.error_hint_lines()
        else:
            lines += self.result_lines()
            if self.dry_run:
                lines.append("確認のみ（--dry-run）のため、データベースには書き込んでいません。")
        if self.warnings:
            lines.append(f"注意：{len(self.warnings)}件")
            lines += [f"  {w}" for w in self.warnings]
        return lines

    def sort_issues(self) -> None:
        """Errors and notices in the file's row order, as staff go through it."""
        self.errors.sort(key=lambda e: e.row)
        self.warnings.sort(key=lambda w: w.row)

    def error_hint_lines(self) -> list[str]:
        """Lines after the errors that help fixing them."""
        return []

    def result_lines(self) -> list[str]:
        """What was (or would be) imported, when there is no error."""
        return []


def open_table(report: TableReport, path: Path, *, sheet: str,
               find: Callable[[Table], tuple[int, dict[str, int]] | None],
               headings: str, limits: ImportLimits | None = None) -> tuple[Table, int, dict[str, int]] | None:
    """Read ``path`` (its kind goes to ``report.file_kind``) and find its heading with ``find``.

    Returns the rows, the heading's index among them and each column's position; or None when there
    is no heading, recorded as an error naming the expected ``headings`` ('利用日・部屋…'). Raises
    ValidationError when the file cannot be read at all, mojibake included (:func:`require_legible`), or
    lies beyond ``limits`` (services.import_limits; the defaults when None).
    """
    table, report.file_kind, guessed = read_table(path, sheet=sheet, limits=limits)
    header = find(table)
    if header is None:
        require_legible(table, guessed)
        report.errors.append(TableIssue(1, "", f"見出しの行（{headings}…）が見つかりません。1行目に列名を入れてください。"))
        return None
    return table, header[0], header[1]


def parse_rows(report: TableReport, table: Table, header_index: int, positions: Mapping[str, int],
               parse: Callable[[int, Callable[[str], Any]], R]) -> list[R]:
    """``parse(row number, get)`` for every data row; counts them, and records an error if there is none."""
    rows = [parse(number, get) for number, get in data_rows(table, header_index, positions)]
    report.rows = len(rows)
    if not rows:
        report.errors.append(TableIssue(table[header_index][0] + 1, "", "取り込む行がありません。"))
    return rows


class _CheckedRow(Protocol):
    row: int
    bad: bool


class RowChecker:
    """Collects every error and notice of the rows into ``self.report`` instead of stopping at the first."""

    report: TableReport

    def error(self, r: _CheckedRow, column: str, message: str) -> None:
        r.bad = True
        self.report.errors.append(TableIssue(r.row, column, message))

    def notice(self, row: int, column: str, message: str) -> None:
        self.report.warnings.append(TableIssue(row, column, message))

    def parsed(self, r: _CheckedRow, column: str, parse: Callable[[Any], T | None], value: Any) -> T | None:
        """``parse(value)``, or None with the parser's Japanese message recorded against the cell."""
        try:
            return parse(value)
        except ValidationError as exc:
            self.error(r, column, exc.message + "。")
            return None


__all__ = [
    "ENCODING_HELP", "RowChecker", "Table", "TableIssue", "TableReport",
    "cell_date", "cell_text", "cell_time", "check_xlsx_zip", "csv_encoding", "data_rows", "decode", "find_header",
    "fold", "heading_lookup", "open_table", "parse_rows", "read_table", "require_legible",
]
