"""Statistics out (統計の書き出し): a month's or a fiscal year's figures as .xlsx, .csv and a PDF report.

Every format is written from the same list of tables (:func:`stats_tables`), built once from the
service's :class:`~booking_app.domain.figures.MonthFigures` (and, for a fiscal year, its monthly rows),
so the numbers in the workbook, the CSV and the PDF cannot drift apart: the writers only lay the
tables out. No table carries a person's or a group's name — statistics are counts, rates and sums.

The layouts are described for staff in ``docs/statistics.md``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO

from reportlab.graphics import renderPDF
from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing
from reportlab.lib.colors import HexColor, black
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm

from booking_app.domain import japanese_calendar as jcal
from booking_app.domain.fees import yen
from booking_app.domain.figures import (
    CENTRE_NAME,
    PRINTING_LABELS,
    AllocationFigures,
    MonthFigures,
    MonthRow,
    ReportInfo,
    StatsReport,
    check_target,
    period_text,
)
from booking_app.fonts import register_reportlab_fonts
from booking_app.reports.layout import (
    FONT,
    Block,
    Drawn,
    Pen,
    fit_size,
    line_height,
    open_canvas,
    spacer,
    text_width,
    truncate,
    wrap,
)
from booking_app.services.table_writer import Plain, csv_bytes, neutralise, save_workbook

REPORT_NAME = "利用状況報告"

INT_FORMAT = "#,##0"
PCT_FORMAT = "0.0%"

# Sheet and section names (also the CSV section titles and the PDF headings), in the order written.
T_SUMMARY = "概要"
T_CATEGORY = "利用者数（区分別）"
T_ROOM = "利用者数（部屋別）"
T_GROUP_TYPE = "団体区分別"
T_BOOKINGS = "予約件数"
T_OCCUPANCY = "稼働率"
T_LOTTERY = "抽選（部屋別）"
T_LOTTERY_MONTHS = "抽選の実施"
T_WAITLIST = "キャンセル待ち"
T_REDUCTIONS = "減免"
T_REFUNDS = "還付"
T_GROUPS = "登録団体"
T_INSURANCE = "保険加入"
T_PRINTING = "印刷機"
T_REVENUE = "収入（品目別）"
T_AMENDMENTS = "訂正"
T_MONTHLY = "月別推移"

PERIOD_ORDER = ("午前", "午後", "夜間")
# Bookings split at the moment of the report: held (or at least begun) and confirmed ones still ahead.
B_DONE = "予約件数（実績）"
B_PLANNED = "予約件数（予定）"
# PRINTING_LABELS (domain.figures): the printing keys → headings (unknown keys are shown as they come).


# --------------------------------------------------------------------------- the tables


@dataclass(frozen=True)
class Column:
    """One column: its heading, what its values are (text, int, yen, pct) and how wide it prints."""

    heading: str
    kind: str = "int"  # text | int | yen | pct
    width: float = 1.0  # share of the PDF table's width
    wrap: bool = False  # PDF: long text wraps onto more lines


@dataclass(frozen=True)
class StatTable:
    """One table of the statistics (統計表): a sheet of the workbook, a section of the CSV and the PDF."""

    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]
    total: tuple[Any, ...] | None = None
    landscape: bool = False  # xlsx: printed across the page (many columns)


def created_text(info: ReportInfo) -> str:
    """'2026年12月16日（令和8年12月16日）': 西暦 with 和暦 beside it, as the app's other documents."""
    d = info.day
    return f"{jcal.format_western(d)}（{jcal.wareki(d)}）"


def range_text(fig: MonthFigures) -> str:
    """The period line: '2026年4月1日〜2027年3月31日（2026年12月16日まで集計）' while it still runs."""
    start, end = getattr(fig, "start", None), getattr(fig, "end", None)
    if start is None or end is None:
        return period_text(fig)
    text = f"{jcal.format_western(start)}〜{jcal.format_western(end)}"
    as_of = getattr(fig, "as_of", None)
    if as_of is not None:
        text += f"（{jcal.format_western(as_of)}まで集計）" if as_of >= start else "（まだ始まっていません）"
    return text


def _year_before(d: date) -> date:
    return d.replace(year=d.year - 1) if (d.month, d.day) != (2, 29) else d.replace(year=d.year - 1, day=28)


def info_rows(fig: MonthFigures, info: ReportInfo) -> list[tuple[str, str]]:
    """The report's particulars, in the order every format lists them."""
    rows = [("期間", period_text(fig)), ("対象期間", range_text(fig)), ("集計", closed_text(fig)),
            ("作成日", created_text(info))]
    start, end, as_of = getattr(fig, "start", None), getattr(fig, "end", None), getattr(fig, "as_of", None)
    if getattr(fig, "month", None) is None and start is not None and end is not None:
        upto = min(as_of, end) if as_of is not None else end
        if upto >= start:  # a fiscal year is compared with the same days a year earlier
            rows.append(("前年同期", f"{jcal.format_western(_year_before(start))}〜"
                                     f"{jcal.format_western(_year_before(upto))}"))
    rows.append(("作成者", info.author or "—"))
    # An operator not yet entered in the settings is said so, not left out silently.
    rows.append(("指定管理者", info.operator or "（未設定）"))
    return rows


def _share(part: int | None, whole: int | None) -> float | None:
    return part / whole if part is not None and whole else None


def _counts_table(title: str, first: str, counts: dict[str, int], *, value: str = "利用者数",
                  kind: str = "int", share: bool = False, total: int | None = None) -> StatTable:
    whole = sum(counts.values()) if total is None else total
    cols = [Column(first, "text", 3.0), Column(value, kind, 1.4)]
    if share:
        cols.append(Column("構成比", "pct", 1.0))
        rows: tuple[tuple[Any, ...], ...] = tuple((k, v, _share(v, whole)) for k, v in counts.items())
        foot: tuple[Any, ...] = ("合計", whole, 1.0 if whole else None)
    else:
        rows = tuple((k, v) for k, v in counts.items())
        foot = ("合計", whole)
    return StatTable(title, tuple(cols), rows, foot)


def _periods(occupancy: dict[str, dict[str, float]]) -> list[str]:
    seen = [p for p in PERIOD_ORDER if any(p in by for by in occupancy.values())]
    for by in occupancy.values():
        seen += [p for p in by if p not in seen]
    return seen


def amendment_fields(a: Any) -> dict[str, Any]:
    """when / month / what / old / new / who / why of an amendment view, whatever its exact field names."""

    def first(*names: str, default: Any = "") -> Any:
        for n in names:
            v = getattr(a, n, None)
            if v is not None and v != "":
                return v
        return default

    year, month = first("year", default=None), first("month", default=None)
    return {
        "at": first("at", "amended_at", "created_at", default=None),
        "month": f"{year}年{month}月" if year and month else "",
        "what": str(first("label", "key_label", "key")),
        "old": first("old_value", "old", default=None),
        "new": first("new_value", "new", default=None),
        "who": str(first("staff_name", "by", "staff", "staff_id")),
        "why": str(first("reason")),
    }


def _when(at: Any) -> str:
    if isinstance(at, datetime):
        return f"{jcal.format_slash(at.date())} {jcal.format_time(at.time())}"
    return "" if at is None else str(at)


def _number(v: Any) -> Any:
    """Amendment figures as numbers where they are numbers (so Excel can add them up)."""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return v
    try:
        return int(str(v))
    except (TypeError, ValueError):
        try:
            return float(str(v))
        except (TypeError, ValueError):
            return "" if v is None else str(v)


def month_label(year: int, month: int) -> str:
    return f"{year}年{month}月"


def stats_tables(fig: MonthFigures, monthly: Sequence[MonthRow] | None = None) -> list[StatTable]:
    """The tables of the statistics, in the order every format shows them."""
    tables = [
        _counts_table(T_CATEGORY, "区分", dict(fig.users_by_category), share=True, total=fig.users_total),
        _counts_table(T_ROOM, "部屋", dict(fig.users_by_room)),
        _counts_table(T_GROUP_TYPE, "団体区分", dict(fig.users_by_group_type), share=True),
        StatTable(T_BOOKINGS, (Column("項目", "text", 3.0), Column("件数", "int", 1.4)),
                  ((B_DONE, fig.bookings), (B_PLANNED, getattr(fig, "bookings_planned", 0)),
                   ("取消", fig.cancellations), ("無断キャンセル", fig.no_shows))),
    ]
    periods = _periods(fig.occupancy)
    tables.append(StatTable(
        T_OCCUPANCY, (Column("部屋", "text", 3.0), *(Column(p, "pct", 1.2) for p in periods)),
        tuple((room, *(by.get(p) for p in periods)) for room, by in fig.occupancy.items())))
    alloc = getattr(fig, "allocation", None)
    if alloc is not None:  # issue 18: beside 稼働率, the lottery, the waiting lists, 減免 and 還付
        tables += allocation_tables(alloc)
    tables.append(StatTable(T_GROUPS, (Column("項目", "text", 3.0), Column("団体数", "int", 1.4)),
                            (("登録団体数", fig.groups_registered), ("新規登録", fig.new_groups))))
    tables.append(_counts_table(T_INSURANCE, "保険・プラン", dict(fig.insurance_enrolments), value="加入数"))
    tables.append(StatTable(T_PRINTING, (Column("項目", "text", 3.0), Column("数", "int", 1.4)),
                            tuple((PRINTING_LABELS.get(k, k), v) for k, v in fig.printing.items())))
    tables.append(_counts_table(T_REVENUE, "品目区分", dict(fig.revenue_by_kind), value="金額（円）", kind="yen"))
    amend = [amendment_fields(a) for a in fig.amendments]
    tables.append(StatTable(
        T_AMENDMENTS,
        (Column("訂正日時", "text", 2.2), Column("対象月", "text", 1.4), Column("項目", "text", 2.4, wrap=True),
         Column("訂正前", "int", 1.1), Column("訂正後", "int", 1.1), Column("訂正者", "text", 1.4),
         Column("理由", "text", 3.4, wrap=True)),
        tuple((_when(a["at"]), a["month"], a["what"], _number(a["old"]), _number(a["new"]), a["who"],
               a["why"])
              for a in amend)))
    if monthly is not None:
        tables.append(monthly_table(monthly))
    return tables


def allocation_tables(a: AllocationFigures) -> list[StatTable]:
    """抽選（部屋別）, 抽選の実施, キャンセル待ち, 減免 and 還付 (issue 18), in that order.

    The lottery's 合計 counts each entry once (an entry wishing for two rooms is in both rooms' rows);
    減免 is the yen taken off the fees, written as a positive figure (the heading says so)."""
    lottery = StatTable(
        T_LOTTERY,
        (Column("部屋", "text", 2.6), Column("申込", "int"), Column("当選", "int"), Column("他の部屋で当選", "int", 1.4),
         Column("落選", "int"), Column("抽選前", "int"), Column("当選区分数", "int", 1.2)),
        tuple((r.room, r.entries, r.won, r.won_elsewhere, r.lost, r.pending, r.won_slots) for r in a.rooms),
        ("合計（申込ごと）", a.entries, a.won, None, a.lost, a.pending, a.won_slots))
    months = StatTable(
        T_LOTTERY_MONTHS, (Column("利用月", "text", 2.0), Column("抽選", "text", 2.6)),
        tuple((month_label(m.month.year, m.month.month),
               f"実施済（{jcal.format_slash(m.drawn_on)}）" if m.drawn_on else "未実施") for m in a.months))
    waitlist = _counts_table(T_WAITLIST, "結果", dict(a.waitlist), value="件数")
    reductions = StatTable(
        T_REDUCTIONS,
        (Column("減免の区分（領収書の明細）", "text", 3.4), Column("件数", "int"),
         Column("減免額（円、差し引いた額）", "yen", 1.8)),
        tuple((r.label, r.count, r.yen) for r in a.reductions),
        ("合計", sum(r.count for r in a.reductions), a.reduction_yen))
    refunds = StatTable(
        T_REFUNDS,
        (Column("区分", "text", 2.2), Column("内訳（理由・還付の割合）", "text", 2.4), Column("件数", "int"),
         Column("還付額（円）", "yen", 1.4)),
        tuple((r.label, r.detail, r.count, r.yen) for r in a.refunds),
        ("合計", "", sum(r.count for r in a.refunds), a.refund_yen))
    return [lottery, months, waitlist, reductions, refunds]


def monthly_categories(monthly: Sequence[MonthRow]) -> list[str]:
    cats: list[str] = []
    for r in monthly:
        cats += [c for c in r.by_category if c not in cats]
    return cats


def row_label(r: MonthRow, *, year: bool = True) -> str:
    """'2026年12月（16日まで）' for the running month, '2026年11月' for one that is over."""
    upto = getattr(r, "upto", None)
    return (month_label(r.year, r.month) if year else f"{r.month}月") + (f"（{upto}日まで）" if upto else "")


def _comparable(r: MonthRow) -> int | None:
    """Last year's users over the same days as the row (MonthRow.last_year_comparable; plain rows: whole month)."""
    return getattr(r, "last_year_comparable", r.last_year_total if r.total is not None else None)


def _cat(r: MonthRow, c: str) -> int | None:
    return None if r.total is None else r.by_category.get(c, 0)


def monthly_table(monthly: Sequence[MonthRow]) -> StatTable:
    """月別推移: one row a month, each category, the total, last year over the same days and the ratio.

    A month ahead is blank (not 0); the running month is labelled up to which day it counts and is
    compared with last year's same month up to the same day; the 合計 row is the year so far against
    last year's same days (前年同期), the same figures as the summary's 前年同期比.
    """
    cats = monthly_categories(monthly)
    rows = tuple((row_label(r), *(_cat(r, c) for c in cats), r.total, _comparable(r),
                  _share(r.total, _comparable(r))) for r in monthly)
    total, last = same_period(monthly)
    counted = [r for r in monthly if r.total is not None]
    foot = ("合計", *(sum(r.by_category.get(c, 0) for r in counted) for c in cats), total, last,
            _share(total, last))
    cols = (Column("月", "text", 1.4), *(Column(c, "int") for c in cats), Column("合計", "int"),
            Column("前年同期", "int"), Column("前年比", "pct"))
    return StatTable(T_MONTHLY, cols, rows, foot, landscape=len(cols) > 7)


def closed_text(fig: MonthFigures) -> str:
    if not fig.closed:
        return "未締め（速報値）"
    parts = []
    if isinstance(fig.closed_at, datetime):
        parts.append(_when(fig.closed_at))
    if fig.closed_by:
        parts.append(str(fig.closed_by))
    return "締め済み" + (f"（{' '.join(parts)}）" if parts else "")


def headline(fig: MonthFigures, monthly: Sequence[MonthRow] | None = None) -> list[tuple[str, Any, str]]:
    """The figures a reader looks at first: (label, value, kind)."""
    rows: list[tuple[str, Any, str]] = [
        ("利用者数（合計）", fig.users_total, "int"),
        (B_DONE, fig.bookings, "int"),
        (B_PLANNED, getattr(fig, "bookings_planned", 0), "int"),
        ("取消", fig.cancellations, "int"),
        ("無断キャンセル", fig.no_shows, "int"),
        ("登録団体数", fig.groups_registered, "int"),
        ("新規登録団体", fig.new_groups, "int"),
        ("収入合計（円）", sum(fig.revenue_by_kind.values()), "yen"),
    ]
    if monthly is not None:
        this, last = same_period(monthly)
        rows += [("前年度同期の利用者数", last, "int"), ("前年同期比", _share(this, last), "pct")]
    return rows


def same_period(monthly: Sequence[MonthRow]) -> tuple[int, int]:
    """This year's users so far and last year's over the same days (前年同期): months that are over in
    full, the running month up to today's day on both sides, months ahead left out. The one rule is the
    service's (:func:`booking_app.domain.figures.same_period`); rows without its fields count as over."""
    counted = [r for r in monthly if r.total is not None]
    return sum(r.total or 0 for r in counted), sum(_comparable(r) or 0 for r in counted)


def report_title(fig: MonthFigures, centre: str = CENTRE_NAME) -> str:
    return f"{centre} {REPORT_NAME} {period_text(fig)}"


def display(value: Any, kind: str) -> str:
    """A value as the PDF prints it (and the CSV writes percentages)."""
    if value == "":
        return ""  # left blank on purpose: a month that has not happened
    if value is None:
        return "—" if kind != "text" else ""
    if kind == "pct":
        return f"{value * 100:.1f}%"
    if kind == "yen" and isinstance(value, int):
        return yen(value) if value >= 0 else f"△{yen(-value)}"
    if kind in ("int", "yen") and isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"
    return str(value)


# --------------------------------------------------------------------------- xlsx


def _cell_width(value: Any, kind: str) -> int:
    s = display(value, kind) if kind != "text" else str(value or "")
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def write_stats_xlsx(fig: MonthFigures, path: Path | str | BinaryIO, *,
                     monthly: Sequence[MonthRow] | None = None, centre: str = CENTRE_NAME,
                     info: ReportInfo | None = None) -> None:
    """A workbook: 概要 first (with the period, 作成日, 作成者 and 指定管理者), then one sheet per table,
    each printable on A4 one page wide with 作成日 in every printed page's footer."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    title = report_title(fig, centre)
    info = info or ReportInfo()
    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="DDEBE8")
    thin = Side(style="thin", color="999999")
    box = Border(top=thin, bottom=thin, left=thin, right=thin)
    total_border = Border(top=Side(style="double", color="333333"), bottom=thin, left=thin, right=thin)
    formats = {"int": INT_FORMAT, "yen": INT_FORMAT, "pct": PCT_FORMAT}

    def print_setup(ws: Any, *, landscape: bool, sheet_title: str) -> None:
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.orientation = "landscape" if landscape else "portrait"
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0  # as many pages long as needed
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_options.horizontalCentered = True
        ws.page_margins.top = ws.page_margins.bottom = 0.75
        # The title lives in the printed header so that row 1 can be the frozen heading row.
        # '&' starts a code in Excel's header language (&P page, &N pages): a literal one is doubled.
        ws.oddHeader.center.text = f"{title}　{sheet_title}".replace("&", "&&")
        ws.oddHeader.center.size = 11
        ws.oddFooter.center.text = "&P / &N"
        ws.oddFooter.left.text = f"作成日 {jcal.format_slash(info.day)}".replace("&", "&&")
        ws.oddFooter.left.size = 8

    wb = Workbook()
    ws = wb.active
    ws.title = T_SUMMARY
    ws["A1"] = title
    ws["A1"].font = Font(bold=True, size=14)
    particulars = info_rows(fig, info)
    for i, (label, value) in enumerate(particulars, start=2):
        ws.cell(row=i, column=1, value=label)
        ws.cell(row=i, column=2, value=value)
    head = len(particulars) + 3  # a blank row, then the headline table
    ws.cell(row=head, column=1, value="項目")
    ws.cell(row=head, column=2, value="値")
    for c in (ws.cell(row=head, column=1), ws.cell(row=head, column=2)):
        c.font, c.fill, c.border, c.alignment = bold, head_fill, box, Alignment(horizontal="center")
    for i, (label, value, kind) in enumerate(headline(fig, monthly), start=head + 1):
        ws.cell(row=i, column=1, value=label).border = box
        cell = ws.cell(row=i, column=2, value=value)
        cell.border = box
        if kind in formats:
            cell.number_format = formats[kind]
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = max(30, *(_cell_width(v, "text") + 2 for _k, v in particulars))
    print_setup(ws, landscape=False, sheet_title=T_SUMMARY)

    for table in stats_tables(fig, monthly):
        ws = wb.create_sheet(table.title)
        widths = [_cell_width(c.heading, "text") for c in table.columns]
        for j, col in enumerate(table.columns, start=1):
            cell = ws.cell(row=1, column=j, value=col.heading)
            cell.font, cell.fill, cell.border = bold, head_fill, box
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        body = list(table.rows)
        for i, values in enumerate(body, start=2):
            for j, (v, col) in enumerate(zip(values, table.columns, strict=True), start=1):
                cell = ws.cell(row=i, column=j, value=v)
                cell.border = box
                if col.kind in formats and not isinstance(v, str):
                    cell.number_format = formats[col.kind]
                if col.wrap:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
                widths[j - 1] = max(widths[j - 1], min(_cell_width(v, col.kind), 60))
        row = len(body) + 2
        if not body:
            ws.cell(row=row, column=1, value="該当なし").border = box
            row += 1
        if table.total is not None:
            for j, (v, col) in enumerate(zip(table.total, table.columns, strict=True), start=1):
                cell = ws.cell(row=row, column=j, value=v)
                cell.font, cell.border = bold, total_border
                if col.kind in formats:
                    cell.number_format = formats[col.kind]
                widths[j - 1] = max(widths[j - 1], _cell_width(v, col.kind))
        for j, w in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(j)].width = max(8, min(w + 3, 62))
        ws.freeze_panes = "A2"
        ws.print_title_rows = "1:1"  # the heading row again on every printed page
        print_setup(ws, landscape=table.landscape, sheet_title=table.title)
    # Through the one table writer: a correction reason or name typed as '=…' is stored as text, never
    # a formula. A file-like object is saved as it is (never str() of it, which would make a file of that name).
    save_workbook(wb, path)


# --------------------------------------------------------------------------- CSV


def _csv_text(s: str) -> str:
    # A reason typed as '=…', '+…' or '＝…' must stay text: Excel would run it as a formula (CSV injection).
    return neutralise(s)


def _csv_value(v: Any, kind: str) -> str:
    if v is None:
        return ""
    if isinstance(v, str):
        return _csv_text(v)
    if kind == "pct":
        return Plain(display(v, "pct"))  # '45.2%': Excel reads it as the number 0.452 shown as a percentage
    return Plain(v)  # plain digits, no separators: Excel reads numbers it can add up (-500 stays a number)


def stats_csv_rows(fig: MonthFigures, monthly: Sequence[MonthRow] | None = None, *,
                   centre: str = CENTRE_NAME, info: ReportInfo | None = None) -> list[list[str]]:
    """Every row of the CSV (see docs/statistics.md): a title block (period, 作成日, 作成者, 指定管理者),
    then each table under its title."""
    out: list[list[str]] = [[report_title(fig, centre)],
                            *([label, _csv_text(value)] for label, value in info_rows(fig, info or ReportInfo())),
                            []]
    out.append([T_SUMMARY])
    out.append(["項目", "値"])
    out += [[label, _csv_value(v, kind)] for label, v, kind in headline(fig, monthly)]
    for table in stats_tables(fig, monthly):
        out.append([])
        out.append([table.title])
        out.append([c.heading for c in table.columns])
        for values in table.rows:
            out.append([_csv_value(v, c.kind) for v, c in zip(values, table.columns, strict=True)])
        if table.total is not None:
            out.append([_csv_value(v, c.kind) for v, c in zip(table.total, table.columns, strict=True)])
    return out


def write_stats_csv(fig: MonthFigures, path: Path | str | BinaryIO, *,
                    monthly: Sequence[MonthRow] | None = None, centre: str = CENTRE_NAME,
                    info: ReportInfo | None = None) -> None:
    """One CSV, UTF-8 with BOM and CRLF (Excel opens it right), tables one after another."""
    data = csv_bytes(stats_csv_rows(fig, monthly, centre=centre, info=info))
    if hasattr(path, "write"):
        path.write(data)
    else:
        Path(path).write_bytes(data)


# --------------------------------------------------------------------------- PDF

ACCENT = HexColor("#00695C")
LAST_YEAR = HexColor("#B0BEC5")
GREY = HexColor("#555555")
LIGHT = HexColor("#E0F2F1")
RULE = HexColor("#AAAAAA")
MARGIN = 15 * mm
FOOT = 10.0


def _draw_chart(pen: Pen, drawing: Drawing, x: float, y: float, role: str) -> None:
    """Draw a reportlab.graphics drawing at (x, y) and record the box its ink really covers."""
    # The graphics renderer would otherwise select Helvetica and list it, unembedded, in the PDF.
    drawing.initialFontName = FONT
    renderPDF.draw(drawing, pen.c, x, y)
    if pen.record is not None:
        x0, y0, x1, y1 = drawing.getBounds()
        pen.record.append(Drawn(pen.page, "chart", role, "", (x + min(x0, 0), y + min(y0, 0),
                                                              x + max(x1, drawing.width),
                                                              y + max(y1, drawing.height)), pen.size))


def _axis_step(top: float) -> float:
    """A round value-axis step giving about five gridlines."""
    raw = max(top, 1) / 5
    mag = float(10 ** (len(str(int(raw))) - 1))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def monthly_chart(monthly: Sequence[MonthRow], width: float, height: float) -> Drawing:
    """Users by month (this year) against the same month last year, as paired bars."""
    d = Drawing(width, height)
    # Months ahead have no bars on either side; the running month's last-year bar covers the same days.
    this = [r.total for r in monthly]
    last = [_comparable(r) for r in monthly]
    top = max([v for v in this + last if v is not None] + [1])
    step = _axis_step(top)
    label_w = text_width(f"{int(step * (int(top // step) + 1)):,}", 7) + 6
    chart = VerticalBarChart()
    chart.x, chart.y = label_w + 4, 24
    chart.width, chart.height = width - chart.x - 4, height - chart.y - 22
    chart.data = [last, this]
    chart.categoryAxis.categoryNames = [f"{r.month}月" + (f"\n{r.upto}日まで" if getattr(r, "upto", None) else "")
                                        for r in monthly]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 7.5
    chart.categoryAxis.labels.dy = -3
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = step * (int(top // step) + 1)
    chart.valueAxis.valueStep = step
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.labelTextFormat = lambda v: f"{int(v):,}"
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = HexColor("#DDDDDD")
    chart.bars[0].fillColor = LAST_YEAR
    chart.bars[1].fillColor = ACCENT
    chart.bars.strokeColor = None
    chart.groupSpacing = 6
    chart.barSpacing = 1
    d.add(chart)
    legend = Legend()
    legend.fontName, legend.fontSize = FONT, 8
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.dx = legend.dy = 7
    legend.deltax = 70
    legend.colorNamePairs = [(ACCENT, "今年度"), (LAST_YEAR, "前年度（同じ期間）")]
    legend.x, legend.y = chart.x + 4, height - 6
    d.add(legend)
    return d


def category_chart(counts: dict[str, int], width: float) -> Drawing:
    """Users by category as horizontal bars with the figure at the end of each bar."""
    names = list(counts) or ["—"]
    values = [counts.get(n, 0) for n in names]
    pitch = 13.0
    height = pitch * len(names) + 22
    d = Drawing(width, height)
    chart = HorizontalBarChart()
    label_w = max(text_width(n, 8) for n in names) + 8
    top = max(values + [1])
    step = _axis_step(top)
    value_w = text_width(f"{top:,}", 7.5) + 8
    chart.x, chart.y = label_w, 14
    chart.width, chart.height = width - label_w - value_w, pitch * len(names)
    # Bars run from the top down in the order the tables list them.
    chart.data = [list(reversed(values))]
    chart.categoryAxis.categoryNames = list(reversed(names))
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 8
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.categoryAxis.labels.dx = -4
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = step * (int(top // step) + 1)
    chart.valueAxis.valueStep = step
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.labelTextFormat = lambda v: f"{int(v):,}"
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = HexColor("#DDDDDD")
    chart.bars[0].fillColor = ACCENT
    chart.bars.strokeColor = None
    chart.barLabelFormat = lambda v: f"{int(v):,}"
    chart.barLabels.fontName = FONT
    chart.barLabels.fontSize = 7.5
    chart.barLabels.boxAnchor = "w"
    chart.barLabels.dx = 3
    d.add(chart)
    return d


@dataclass(frozen=True)
class Flow:
    """A band of the report for :func:`paginate_flow`: a layout Block, plus how it breaks across pages.

    ``keep_next``: never the last band of a page (a heading, a table's heading row, a last row before
    its 合計). ``repeat``: drawn first on a new page when this band starts it (a table's heading row).
    """

    block: Block
    keep_next: bool = False
    repeat: Block | None = None

    @property
    def height(self) -> float:
        return self.block.height


def paginate_flow(flows: Sequence[Flow | Block], first: float, rest: float) -> list[list[Block]]:
    """Bands split into pages, keeping each run joined by ``keep_next`` on one page and repeating a
    table's heading row at the top of a page its rows continue on.

    Written here (not in reports/layout.py) so that the statistics report keeps its own rules; a run
    taller than a whole page still breaks where it must.
    """
    items = [f if isinstance(f, Flow) else Flow(f) for f in flows]
    pages: list[list[Block]] = [[]]
    room = first
    i = 0
    while i < len(items):
        j = i
        while items[j].keep_next and j + 1 < len(items):
            j += 1
        run = items[i:j + 1]
        need = sum(f.height for f in run)
        if need > room and pages[-1]:
            pages.append([])
            room = rest
            head = run[0].repeat
            if head is not None:
                pages[-1].append(head)
                room -= head.height
        if need > room:  # taller than a page: place the bands one by one
            for f in run:
                if f.height > room and pages[-1]:
                    pages.append([])
                    room = rest
                    if f.repeat is not None:
                        pages[-1].append(f.repeat)
                        room -= f.repeat.height
                pages[-1].append(f.block)
                room -= f.height
        else:
            pages[-1].extend(f.block for f in run)
            room -= need
        i = j + 1
    return pages


class _Report:
    def __init__(self, fig: MonthFigures, monthly: Sequence[MonthRow] | None, centre: str,
                 info: ReportInfo | None = None):
        self.fig, self.monthly, self.centre = fig, monthly, centre
        self.info = info or ReportInfo()
        self.left = MARGIN
        self.width = A4[0] - 2 * MARGIN

    # -- pieces

    def heading(self, s: str) -> Block:
        size = 11

        def draw(pen: Pen, top: float) -> None:
            pen.rect(self.left, top - 4 * mm - size * 1.5, 1.2 * mm, size * 1.5, role="heading_bar",
                     stroke=None, fill=ACCENT)
            pen.text(self.left + 3 * mm, top - 4 * mm - size * 1.15, s, size, role="heading", color=ACCENT)

        return Block(4 * mm + size * 1.8, draw)

    def header(self) -> list[Block]:
        fig = self.fig
        title = f"{REPORT_NAME}　{period_text(fig)}"
        size = fit_size(title, self.width, 20, 12)
        # The particulars under the title: the period (and up to which day it is counted), then who made
        # the report and when, 作成日 in 西暦 with 和暦 beside it.
        rows = dict(info_rows(fig, self.info))
        period = f"対象期間：{rows['対象期間']}"
        if "前年同期" in rows:
            period += f"　比較：前年同期（{rows['前年同期']}）"
        made = [f"作成日：{rows['作成日']}", f"作成者：{rows['作成者']}", f"指定管理者：{rows['指定管理者']}"]
        small = 8.5
        lines = [*wrap(period, self.width, small, max_lines=2), *wrap("　".join(made), self.width, small, max_lines=2)]
        lh = line_height(small) + 2

        def draw(pen: Pen, top: float) -> None:
            pen.text(self.left, top - 10, self.centre, 10, role="centre", color=GREY)
            pen.text(self.left, top - 14 - size, title, size, role="title")
            pen.text(self.left + self.width, top - 10, f"集計：{closed_text(fig)}", 9, role="status",
                     align="right", color=GREY)
            y = top - 20 - size * 1.1
            pen.line(self.left, y, self.left + self.width, y, role="title_rule", color=ACCENT, width=1.2)
            for k, line in enumerate(lines):
                pen.text(self.left, y - 3 - (k + 1) * lh + 2, line, small, role="particulars", color=GREY)

        return [Block(24 + size * 1.1 + 3 + len(lines) * lh, draw)]

    def tiles(self) -> list[Block]:
        """The headline figures as tiles, three to a row."""
        items = headline(self.fig, self.monthly)
        per_row, gap, h = 3, 3 * mm, 17 * mm
        w = (self.width - gap * (per_row - 1)) / per_row
        blocks: list[Block] = [spacer(3 * mm)]
        for start in range(0, len(items), per_row):
            row = items[start:start + per_row]

            def draw(pen: Pen, top: float, row: Sequence[tuple[str, Any, str]] = row) -> None:
                for i, (label, value, kind) in enumerate(row):
                    x = self.left + i * (w + gap)
                    pen.rect(x, top - h, w, h, role="tile", stroke=ACCENT, fill=LIGHT, width=0.6)
                    pen.text(x + 2.5 * mm, top - 5 * mm, truncate(label.replace("（円）", ""), w - 5 * mm, 8), 8,
                             role="tile_label", color=GREY)
                    unit = {"int": "人" if label.startswith("利用者") or label.startswith("前年度") else
                            ("団体" if "団体" in label else "件")}.get(kind, "")
                    text = display(value, kind) + unit
                    size = fit_size(text, w - 5 * mm, 16, 9)
                    pen.text(x + w - 2.5 * mm, top - h + 3.5 * mm, text, size, role=f"tile:{label}",
                             align="right", color=ACCENT)

            blocks += [Block(h + gap, draw)]
        return blocks

    def chart(self, title: str, drawing: Drawing, role: str) -> list[Flow | Block]:
        def draw(pen: Pen, top: float) -> None:
            _draw_chart(pen, drawing, self.left, top - drawing.height, role)

        return [Flow(self.heading(title), keep_next=True), Block(drawing.height + 2 * mm, draw)]

    def table(self, title: str, cols: Sequence[Column], body: Sequence[Sequence[Any]],
              foot: Sequence[Any] | None = None, *, size: float = 8.5) -> list[Flow]:
        pad = 1.5 * mm
        share = sum(c.width for c in cols)
        # A two-column table spread over the whole page is hard to read across: keep small tables narrow.
        table_w = min(self.width, share * 30 * mm)
        widths = [table_w * c.width / share for c in cols]
        lh = line_height(size) + 1.5
        head_size = min(fit_size(line, w - 2 * pad, size, 6.5)
                        for c, w in zip(cols, widths, strict=True) for line in c.heading.split("\n"))

        def cells(values: Sequence[Any]) -> list[list[str]]:
            out = []
            for v, c, w in zip(values, cols, widths, strict=True):
                s = display(v, c.kind)  # a value already a string (the ratio row) prints as it is
                if c.wrap:
                    out.append(wrap(s, w - 2 * pad, size, max_lines=12))  # a reason is shown whole
                elif c.kind != "text":
                    out.append([s])  # a figure is never cut: it is set smaller instead (see draw)
                else:
                    out.append([truncate(s, w - 2 * pad, size)])
            return out

        def row(values: Sequence[Any], kind: str) -> Block:
            if kind == "head":
                lines = [c.heading.split("\n") for c in cols]  # '12月\n16日まで' on two lines
            elif kind == "empty":
                lines = [["なし"]] + [[""] for _ in cols[1:]]
            else:
                lines = cells(values)
            pitch = max(len(ls) for ls in lines) * lh + 4
            fs = head_size if kind == "head" else size

            def draw(pen: Pen, top: float) -> None:
                if kind == "head":
                    pen.rect(self.left, top - pitch, table_w, pitch, role="table_head", stroke=None,
                             fill=LIGHT)
                x = self.left
                for ls, c, w in zip(lines, cols, widths, strict=True):
                    align = "center" if kind == "head" else ("left" if c.kind == "text" else "right")
                    ax = {"left": x + pad, "right": x + w - pad, "center": x + w / 2}[align]
                    for k, s in enumerate(ls):
                        cs = fs if kind == "head" or c.kind == "text" else fit_size(s, w - 2 * pad, fs, 4.5)
                        base = top - 2 - k * lh - (lh - line_height(cs)) / 2 - cs * 0.88
                        pen.text(ax, base, s, cs, role=f"cell_{kind}", align=align)
                    x += w
                strong = kind not in ("body", "empty")
                pen.line(self.left, top - pitch, self.left + table_w, top - pitch, role="table_rule",
                         color=black if strong else RULE, width=0.6 if strong else 0.3)

            return Block(pitch, draw)

        head = row([], "head")
        rows = [Flow(row(v, "body"), repeat=head) for v in body] or [Flow(row([], "empty"))]
        if foot is not None:
            # 合計 never starts a page alone: the last row goes over with it.
            rows[-1] = Flow(rows[-1].block, keep_next=True, repeat=rows[-1].repeat)
            rows.append(Flow(row(foot, "total"), repeat=head))
        # The heading, the column headings and the first row stay together on one page; a page the
        # rows run onto starts with the column headings again.
        return [Flow(self.heading(title), keep_next=True), Flow(head, keep_next=True), *rows]

    def monthly_matrix(self, t: StatTable) -> list[Flow]:
        """月別推移 turned on its side for A4 portrait: a row per category, a column per month.

        The same rule as the table: months ahead blank, the running month headed with the day it counts
        to, 前年同期 like-for-like, and 年度計 the year so far against last year's same days.
        """
        monthly = list(self.monthly or ())
        cats = monthly_categories(monthly)
        cols = [Column("区分", "text", 2.3),
                *(Column(f"{r.month}月" + (f"\n{r.upto}日まで" if getattr(r, "upto", None) else ""), "int", 1.0)
                  for r in monthly),
                Column("年度計", "int", 1.3)]
        total, last = same_period(monthly)
        counted = [r for r in monthly if r.total is not None]
        def blank(v: Any) -> Any:
            return "" if v is None else v

        rows: list[tuple[Any, ...]] = [(c, *(blank(_cat(r, c)) for r in monthly),
                                        sum(r.by_category.get(c, 0) for r in counted)) for c in cats]
        rows.append(("合計", *(blank(r.total) for r in monthly), total))
        rows.append(("前年同期", *(blank(_comparable(r)) for r in monthly), last))
        ratio = [_share(r.total, _comparable(r)) for r in monthly] + [_share(total, last)]
        rows.append(("前年比", *(display(v, "pct") if v is not None else "" for v in ratio)))
        return self.table(t.title, cols, rows, size=7.0)

    def blocks(self) -> list[Flow | Block]:
        fig, monthly = self.fig, self.monthly
        out: list[Flow | Block] = [*self.header(), *self.tiles()]
        if monthly:
            out += self.chart("月別利用者数（前年同期との比較）", monthly_chart(monthly, self.width, 62 * mm),
                              "chart_monthly")
        out += self.chart("区分別利用者数", category_chart(dict(fig.users_by_category), self.width),
                          "chart_category")
        for t in stats_tables(fig, monthly):
            if t.title == T_MONTHLY:
                out += self.monthly_matrix(t)
            else:
                out += self.table(t.title, t.columns, t.rows, t.total)
        return out


def render_stats_pdf(fig: MonthFigures, out: Path | str | BinaryIO, *,
                     monthly: Sequence[MonthRow] | None = None, centre: str = CENTRE_NAME,
                     record: list[Drawn] | None = None, info: ReportInfo | None = None) -> int:
    """The A4 report (IPAexGothic embedded) with headline figures, charts and tables; returns pages."""
    register_reportlab_fonts()
    info = info or ReportInfo()
    report = _Report(fig, monthly, centre, info)
    room = A4[1] - 2 * MARGIN - FOOT
    pages = paginate_flow(report.blocks(), room, room)
    c = open_canvas(out, A4, title=report_title(fig, centre), author=info.operator or centre)
    pen = Pen(c, A4, record)
    for n, page_blocks in enumerate(pages, start=1):
        if n > 1:
            pen.next_page()
        top = A4[1] - MARGIN
        for b in page_blocks:
            b.draw(pen, top)
            top -= b.height
        pen.text(A4[0] / 2, MARGIN - 2, f"{REPORT_NAME} {period_text(fig)}　{n}/{len(pages)}", 8,
                 role="footer", align="center", color=GREY)
    c.showPage()
    c.save()
    return len(pages)


def write_stats(report: StatsReport, path: Path | str) -> int | None:
    """Write ``report`` to ``path`` in the format its suffix names (.xlsx, .csv or .pdf; any other is refused).
    Returns the PDF's pages (None for the tables)."""
    kind = check_target(path)
    monthly = list(report.monthly) if report.monthly is not None else None
    if kind == ".xlsx":
        write_stats_xlsx(report.fig, path, monthly=monthly, centre=report.centre, info=report.info)
        return None
    if kind == ".csv":
        write_stats_csv(report.fig, path, monthly=monthly, centre=report.centre, info=report.info)
        return None
    return render_stats_pdf(report.fig, path, monthly=monthly, centre=report.centre, info=report.info)


__all__ = ["T_LOTTERY", "T_LOTTERY_MONTHS", "T_WAITLIST", "T_REDUCTIONS", "T_REFUNDS", "allocation_tables",
           "Column", "StatTable", "stats_tables", "headline", "closed_text", "report_title", "display",
           "write_stats_xlsx", "write_stats_csv", "stats_csv_rows", "render_stats_pdf",
           "write_stats", "monthly_table", "month_label", "amendment_fields", "info_rows",
           "range_text", "created_text", "row_label", "paginate_flow", "Flow", "same_period"]
