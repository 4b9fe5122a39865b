"""Activity insurance papers: the certificate (加入証明書) and enrolment list as PDF, the roster for the
社会福祉協議会 or insurer and the fiscal-year ledger as .xlsx or .csv.

The documents are plain data (the dataclasses below); ``services.insurance_reports`` fills them from
the database, so a test can render any of them from values written by hand. The PDFs are laid out
with the shared helpers of ``reports.layout`` (embedded IPAexGothic, Japanese line breaking, a
:class:`Pen` that records every box): the certificate is A4 portrait and its list of insured people
runs on to further pages with the heading repeated; the enrolment list is A4 landscape with page
numbers and the table heading on every page.

Spreadsheets: .xlsx with Japanese headings, real date and number cells, print settings (landscape,
one page wide, heading row repeated); .csv as UTF-8 with BOM and CRLF so that Excel opens it right.
The column layout is documented for staff in docs/insurance-export.md.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

from reportlab.lib.colors import Color, HexColor, black
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm

from booking_app.domain import japanese_calendar as jcal
from booking_app.domain.documents import CertificateDoc as CertificateDoc
from booking_app.domain.documents import CertPerson as CertPerson
from booking_app.domain.documents import EnrolmentRow as EnrolmentRow
from booking_app.domain.documents import LedgerDoc as LedgerDoc
from booking_app.domain.documents import PlanTotal as PlanTotal
from booking_app.domain.documents import RosterRow as RosterRow
from booking_app.domain.errors import ValidationError
from booking_app.domain.fees import yen
from booking_app.fonts import register_reportlab_fonts
from booking_app.reports.layout import (
    Block,
    Column as _Col,
    Drawn,
    Pen,
    fit_two_lines,
    line_height,
    open_canvas,
    paginate,
    spacer,
    table_row,
    wrap,
)
from booking_app.services.table_writer import csv_bytes, save_workbook

GREY = HexColor("#555555")
LIGHT = HexColor("#EEEEEE")
RULE_GREY = HexColor("#888888")


# --------------------------------------------------------------------------- the documents
# Their plain data (CertificateDoc, EnrolmentRow, RosterRow, LedgerDoc …) live in domain/documents.py, so
# services build them without importing reports; imported above under their old names.


ROSTER_COLUMNS = ("加入番号", "保険種類", "プラン", "団体名", "登録番号", "氏名", "フリガナ", "補償開始日", "補償終了日",
                  "脱退日", "保険料", "入金日", "領収書番号", "人数")
LEDGER_COLUMNS = ("加入番号", "保険種類", "プラン", "団体名・主催者", "登録番号", "行事名", "行事の場所", "行事開始日",
                  "行事終了日", "申込日", "補償開始日", "補償終了日", "人数", "保険料", "入金額", "未入金", "状態",
                  "入金日", "領収書番号")
TOTAL_COLUMNS = ("プラン", "保険種類", "加入件数", "人数", "保険料", "入金額", "未入金")


def period_western(start: date, end: date) -> str:
    return f"{jcal.format_slash(start)}〜{jcal.format_slash(end)}"


def period_wareki(start: date, end: date) -> str:
    return f"{jcal.wareki(start)}〜{jcal.wareki(end)}"


def date_both(d: date) -> str:
    """'2026年11月20日（令和8年11月20日）'."""
    return f"{jcal.format_western(d)}（{jcal.wareki(d)}）"


# --------------------------------------------------------------------------- shared PDF pieces


def _line_block(text: str, size: float, left: float, width: float, *, align: str = "left", role: str = "text",
                color: Color = black, leading: float = 1.45, pad_top: float = 0.0, pad_bottom: float = 0.0,
                char_space: float = 0.0, keep_with_next: bool = False) -> Block:
    """One or more wrapped lines of text as a block."""
    lines = wrap(text, width, size) if not char_space else [text]
    pitch = size * leading
    height = pad_top + pitch * len(lines) + pad_bottom

    def draw(pen: Pen, top: float) -> None:
        y = top - pad_top
        for s in lines:
            baseline = y - (pitch - line_height(size)) / 2 - size * 0.88
            x = {"left": left, "right": left + width, "center": left + width / 2}[align]
            pen.text(x, baseline, s, size, role=role, align=align, color=color, char_space=char_space)
            y -= pitch

    return Block(height, draw, keep_with_next=keep_with_next)


def _table_row(cols: Sequence[_Col], cells: Sequence[str], left: float, size: float, *, head: bool,
               role: str, pad: float, fill: Color | None = None, lines_override: int | None = None) -> Block:
    """A row of the roster and the lists (layout.table_row in this paper's greys)."""
    return table_row(cols, cells, left, size, head=head, role=role, pad=pad, head_fill=LIGHT, rule=RULE_GREY,
                     fill=fill, lines_override=lines_override)


def _render(pages: list[list[Block]], out: Path | str | BinaryIO, size: tuple[float, float], margin: float, *,
            title: str, author: str, header: Callable[[int, int], list[Block]],
            footer: Callable[[Pen, int, int], None], record: list[Drawn] | None) -> int:
    """Draw paginated blocks; ``header(n, total)`` gives blocks for the top of page n (after the first
    page's own content starts), ``footer(pen, n, total)`` draws at the bottom of every page."""
    c = open_canvas(out, size, title=title, author=author)
    pen = Pen(c, size, record)
    total = len(pages)
    for n, page_blocks in enumerate(pages, start=1):
        if n > 1:
            pen.next_page()
        top = size[1] - margin
        for b in header(n, total):
            b.draw(pen, top)
            top -= b.height
        for b in page_blocks:
            b.draw(pen, top)
            top -= b.height
        footer(pen, n, total)
    c.showPage()
    c.save()
    return total


# --------------------------------------------------------------------------- the certificate

CERT_MARGIN = 20 * mm
CERT_SIZE = A4
_CERT_WIDTH = CERT_SIZE[0] - 2 * CERT_MARGIN
_FOOTER_H = 8 * mm


def certificate_rows(doc: CertificateDoc) -> list[tuple[str, str]]:
    """(label, value) rows of the details table, in print order."""
    rows = [("証明番号", doc.certificate_no),
            ("加入者", doc.holder_name)]
    if doc.group_reg_no:
        rows.append(("登録番号", doc.group_reg_no))
    rows += [("保険の種類", doc.scheme_label),
             ("加入プラン", doc.plan_name)]
    if doc.cover:
        rows.append(("補償の内容", doc.cover))
    rows += [
             ("補償期間", f"{period_western(doc.cover_start, doc.cover_end)}\n"
                          f"（{period_wareki(doc.cover_start, doc.cover_end)}）")]
    if doc.event_name:
        rows.append(("行事名", doc.event_name))
    if doc.event_place:
        rows.append(("開催場所", doc.event_place))
    if doc.event_start and doc.event_end:
        when = (date_both(doc.event_start) if doc.event_start == doc.event_end
                else f"{period_western(doc.event_start, doc.event_end)}\n"
                     f"（{period_wareki(doc.event_start, doc.event_end)}）")
        rows.append(("開催日", when))
    if doc.head_count is not None and not doc.people:
        rows.append(("被保険者", f"{doc.head_count}名（人数による加入・名簿なし）"))
    elif doc.people:
        rows.append(("被保険者", f"{len(doc.people)}名（別記のとおり）"))
    else:
        rows.append(("被保険者", "団体として加入（名簿なし）：活動に参加する団体の会員"))
    if doc.paid_on is not None:
        rows.append(("保険料", yen(doc.premium)))
        rows.append(("入金日", date_both(doc.paid_on)))
        if doc.receipt_nos:
            rows.append(("領収書番号", "、".join(doc.receipt_nos)))
    else:
        rows.append(("保険料", "負担なし" if doc.premium == 0 else yen(doc.premium)))
    return rows


class _CertificateLayout:
    def __init__(self, doc: CertificateDoc):
        self.doc = doc
        self.left = CERT_MARGIN
        self.width = _CERT_WIDTH

    def head(self) -> list[Block]:
        doc = self.doc
        size = 10
        # The date is in the issuer's block (証明日, 西暦 and 和暦), under the addressee.
        info = [_line_block(f"証明番号 {doc.certificate_no}", size, self.left, self.width, align="right",
                            role="certificate_no", leading=1.4)]
        title_size = 22
        title = _line_block("加入証明書", title_size, self.left, self.width, align="center", role="title",
                            char_space=title_size * 0.5, leading=1.3, pad_top=6 * mm, pad_bottom=6 * mm)
        name_w = self.width * 0.75
        size_h, lines = fit_two_lines(f"{doc.holder_name} 様", name_w, max_size=16, min_size=10)
        holder_blocks = [_line_block(s, size_h, self.left, name_w, role="holder", leading=1.45) for s in lines]

        def holder_rule(pen: Pen, top: float) -> None:
            pen.line(self.left, top - 1, self.left + name_w, top - 1, role="holder_rule", width=0.8)

        body = _line_block(f"下記のとおり{doc.plan_name}に加入していることを証明します。", 11, self.left,
                           self.width, role="body", leading=1.6, pad_top=6 * mm)
        ki = _line_block("記", 11, self.left, self.width, align="center", role="ki", pad_top=3 * mm,
                         pad_bottom=3 * mm, keep_with_next=True)
        # The issuer signs above the text, as a Japanese certificate is laid out; 記 … 以上 closes it.
        return [*info, title, *holder_blocks, Block(3, holder_rule), *self.issuer(), body, ki]

    def closing(self) -> Block:
        """「以上」: the end of what is certified (after the details, or after the list of people)."""
        return _line_block("以上", 11, self.left, self.width, align="right", role="closing", pad_top=3 * mm)

    def details(self) -> list[Block]:
        label_w = 32 * mm
        cols = [_Col("", label_w, "left", 3), _Col("", self.width - label_w, "left", 6)]
        size, pad = 10.5, 1.8 * mm
        blocks: list[Block] = []
        rows = certificate_rows(self.doc)
        for i, (label, value) in enumerate(rows):
            row = _table_row(cols, [label, value], self.left, size, head=False, role=f"detail_{label}", pad=pad)
            blocks.append(self._boxed(row, label_w, first=i == 0))
        return blocks

    def _boxed(self, row: Block, label_w: float, *, first: bool) -> Block:
        """A details row inside ruled cells: label shaded, a box around both."""

        def draw(pen: Pen, top: float) -> None:
            h = row.height
            pen.rect(self.left, top - h, label_w, h, role="detail_label_fill", stroke=None, fill=LIGHT)
            row.draw(pen, top)
            pen.rect(self.left, top - h, self.width, h, role="detail_box", width=0.6)
            pen.line(self.left + label_w, top, self.left + label_w, top - h, role="detail_rule", width=0.6)

        return Block(row.height, draw)

    def issuer(self) -> list[Block]:
        iss = self.doc.issuer
        texts: list[tuple[str, float, str]] = []
        if iss.operator:
            texts.append((iss.operator, 11, "operator"))
        texts.append((iss.centre_name, 11, "centre"))
        if iss.address:
            texts.append((iss.address, 9.5, "address"))
        if iss.phone:
            texts.append((f"TEL {iss.phone}", 9.5, "phone"))
        box_w = self.width * 0.6
        blocks = [spacer(4 * mm),
                  _line_block(f"証明日　{date_both(self.doc.issued_on)}", 10, self.left, self.width, role="issued_on",
                              align="right", leading=1.5, pad_bottom=2 * mm)]
        for text, size, role in texts:
            blocks.append(_line_block(text, size, self.left + self.width - box_w, box_w, role=role, leading=1.45))
        return blocks

    def people_columns(self) -> list[_Col]:
        fixed = [_Col("No.", 12 * mm, "right", 1), _Col("氏名", 55 * mm, "left", 2),
                 _Col("補償開始日", 38 * mm, "center", 1)]
        kana = _Col("フリガナ", self.width - sum(c.width for c in fixed), "left", 2)
        return [fixed[0], fixed[1], kana, fixed[2]]

    def people_head(self) -> Block:
        cols = self.people_columns()
        head = _table_row(cols, [c.heading for c in cols], self.left, 9.5, head=True, role="people_head",
                          pad=1.6 * mm)
        return replace(head, keep_with_next=True)

    def people_title(self) -> Block:
        return _line_block(f"被保険者一覧（{len(self.doc.people)}名）", 11, self.left, self.width,
                           role="people_title", pad_top=8 * mm, pad_bottom=1.5 * mm, keep_with_next=True)

    def people_rows(self) -> list[Block]:
        """The people, each row bringing the heading row onto a new page; the last keeps 以上 with it."""
        cols = self.people_columns()
        head = self.people_head()
        n = len(self.doc.people)
        return [replace(_table_row(cols, [str(i), p.name, p.kana, jcal.format_slash(p.cover_start)], self.left,
                                   9.5, head=False, role="person", pad=1.6 * mm), repeat=head,
                        keep_with_next=i == n)
                for i, p in enumerate(self.doc.people, start=1)]

    def continuation(self, page: int, pages: int) -> Block:
        return _line_block(f"加入証明書（続き）　証明番号 {self.doc.certificate_no}　{self.doc.holder_name}", 9,
                           self.left, self.width, role="continued", color=GREY, pad_bottom=3 * mm)


def render_certificate(doc: CertificateDoc, out: Path | str | BinaryIO, *,
                       record: list[Drawn] | None = None) -> int:
    """Write the certificate (加入証明書) as an A4 PDF; return the number of pages.

    Page one: title, certificate text, the details table and the issuer; the insured people follow in a
    table that continues on further pages, each with a continuation line and the table heading.
    """
    register_reportlab_fonts()  # measuring happens before the canvas exists
    lay = _CertificateLayout(doc)
    room = CERT_SIZE[1] - 2 * CERT_MARGIN - _FOOTER_H
    details = lay.details()
    if doc.people:
        # The list title and heading row travel with the first person; a page the list runs on to starts
        # with the heading row again; 以上 follows the last person.
        blocks = [*lay.head(), *details, lay.people_title(), lay.people_head(), *lay.people_rows(), lay.closing()]
    else:
        details[-1] = replace(details[-1], keep_with_next=True)
        blocks = [*lay.head(), *details, lay.closing()]
    pages = paginate(blocks, room, room - lay.continuation(2, 2).height)

    def header(n: int, total: int) -> list[Block]:
        return [lay.continuation(n, total)] if n > 1 else []

    def footer(pen: Pen, n: int, total: int) -> None:
        if total > 1:
            pen.text(CERT_SIZE[0] / 2, CERT_MARGIN - 2 * mm, f"{n} / {total}", 9, role="page_no", align="center",
                     color=GREY)

    author = doc.issuer.operator or doc.issuer.centre_name
    return _render(pages, out, CERT_SIZE, CERT_MARGIN, title=f"加入証明書 {doc.certificate_no}", author=author,
                   header=header, footer=footer, record=record)


def _stack(blocks: Sequence[Block]) -> Callable[[Pen, float], None]:
    def draw(pen: Pen, top: float) -> None:
        for b in blocks:
            b.draw(pen, top)
            top -= b.height
    return draw


# --------------------------------------------------------------------------- the enrolment list

LIST_SIZE = landscape(A4)
LIST_MARGIN = 12 * mm
_LIST_WIDTH = LIST_SIZE[0] - 2 * LIST_MARGIN


def _list_columns() -> list[_Col]:
    # One line a row for the usual enrolment (14 double-height rows a page were too
    # few): the period and the payment each on one line, no 保険種類 column (the plan's name says it).
    # Names still wrap onto as many as four lines rather than being cut: the list is for checking names.
    cols = [_Col("加入番号", 14 * mm, "center", 1), _Col("プラン", 50 * mm, "left", 3),
            _Col("団体名・主催者", 56 * mm, "left", 4), _Col("行事名・場所", 34 * mm, "left", 4),
            _Col("補償期間", 38 * mm, "left", 1), _Col("人数", 16 * mm, "right", 1), _Col("保険料", 15 * mm, "right", 1),
            _Col("状態", 11 * mm, "center", 1)]
    cols.append(_Col("入金日・領収書", _LIST_WIDTH - sum(c.width for c in cols), "left", 3))
    return cols


CITY_PEOPLE_NOTE = "人数「会員n」：市民活動保険は団体ごとの加入（名簿なし）で、活動に参加する会員が対象です。nは団体の登録会員数。"


def people_cell(row: EnrolmentRow) -> str:
    """Who is insured: the roster's or head count's number, or for a plan without a roster (the city's
    scheme, which covers the group's members in its activity) the group's registered members."""
    if row.roster == "none":
        return f"会員{row.members:,}" if row.members is not None else "会員—"
    return f"{row.insured:,}"


def list_cells(row: EnrolmentRow) -> list[str]:
    holder = row.holder_name + (f"（{row.reg_no}）" if row.reg_no else "")
    event = " ".join(s for s in (row.event_name, f"＠{row.event_place}" if row.event_place else "") if s)
    paid = ""
    if row.paid_on:
        paid = " ".join([jcal.format_slash(row.paid_on), "、".join(row.receipt_nos)]).strip()
    return [row.number, row.plan_name, holder, event,
            f"{jcal.format_slash(row.cover_start)}〜{jcal.format_slash(row.cover_end)}", people_cell(row),
            yen(row.premium), row.status_label, paid]


def render_enrolment_list(rows: Sequence[EnrolmentRow], out: Path | str | BinaryIO, *, title: str,
                          printed_on: date | None = None, record: list[Drawn] | None = None) -> int:
    """Write the enrolment list (加入者一覧) as an A4 landscape PDF; return the number of pages.

    Every page has the title, the table heading and 'n / N' at the foot.
    """
    register_reportlab_fonts()
    cols = _list_columns()
    size, pad = 7.5, 1.1 * mm
    head = _table_row(cols, [c.heading for c in cols], LIST_MARGIN, size, head=True, role="list_head", pad=pad)
    live = [r for r in rows if r.status_label != "取消"]
    named = sum(r.insured for r in live if r.roster != "none")
    summary = f"{len(rows)}件　被保険者（名簿・人数）{named:,}名　保険料合計 {yen(sum(r.premium for r in live))}"
    if printed_on:
        summary += f"　{jcal.format_slash(printed_on)} 現在"

    def title_block(n: int) -> Block:
        return _line_block(title if n == 1 else f"{title}（続き）", 14 if n == 1 else 10, LIST_MARGIN, _LIST_WIDTH,
                           role="list_title", pad_bottom=1.5 * mm)

    info = _line_block(summary, 9, LIST_MARGIN, _LIST_WIDTH, align="right", role="list_summary", color=GREY,
                       pad_bottom=1.5 * mm)
    if any(r.roster == "none" for r in rows):
        note = _line_block(CITY_PEOPLE_NOTE, 8, LIST_MARGIN, _LIST_WIDTH, align="right", role="list_note",
                           color=GREY, pad_bottom=1.5 * mm)
        info = Block(info.height + note.height, _stack([info, note]))
    body = [_table_row(cols, list_cells(r), LIST_MARGIN, size, head=False, role="list_row", pad=pad,
                       lines_override=None) for r in rows]
    if not body:
        body = [_line_block("該当する加入はありません。", 10, LIST_MARGIN, _LIST_WIDTH, role="list_empty",
                            pad_top=4 * mm)]
    room = LIST_SIZE[1] - 2 * LIST_MARGIN - _FOOTER_H
    first_h = title_block(1).height + info.height + head.height
    rest_h = title_block(2).height + head.height
    pages = paginate(body, room - first_h, room - rest_h)

    def header(n: int, total: int) -> list[Block]:
        return [title_block(n), info, head] if n == 1 else [title_block(n), head]

    def footer(pen: Pen, n: int, total: int) -> None:
        pen.text(LIST_SIZE[0] / 2, LIST_MARGIN - 1 * mm, f"{n} / {total} ページ", 9, role="page_no",
                 align="center", color=GREY)

    return _render(pages, out, LIST_SIZE, LIST_MARGIN, title=title, author="", header=header, footer=footer,
                   record=record)


# --------------------------------------------------------------------------- spreadsheets


def _check_suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ValidationError(f"「{path.name}」には書き出せません。.xlsx か .csv を指定してください。", field="file")
    return suffix


def roster_values(row: RosterRow) -> list[Any]:
    """A roster row as the cells of ROSTER_COLUMNS (dates as dates, money as numbers, '' or None blank)."""
    return [row.number, row.scheme_label, row.plan_name, row.holder_name, row.reg_no, row.name, row.kana,
            row.cover_start, row.cover_end, row.removed_on, row.premium, row.paid_on, row.receipt_no, row.count]


def ledger_values(row: EnrolmentRow) -> list[Any]:
    return [row.number, row.scheme_label, row.plan_name, row.holder_name, row.reg_no, row.event_name,
            row.event_place, row.event_start, row.event_end, row.applied_on, row.cover_start, row.cover_end,
            row.insured, row.premium, row.paid, 0 if row.status_label == "取消" else row.premium - row.paid,
            row.status_label, row.paid_on, "、".join(row.receipt_nos)]


def total_values(t: PlanTotal) -> list[Any]:
    return [t.plan_name, t.scheme_label, t.enrolments, t.insured, t.premium, t.paid, t.unpaid]


def _csv_bytes(tables: Sequence[tuple[Sequence[str], Sequence[Sequence[Any]]]]) -> bytes:
    """Tables one after another, a blank line between; UTF-8 with BOM and CRLF, as Excel expects. Through the one
    tabular writer (services/table_writer.py), which also defuses cells a spreadsheet would run as formulas."""
    out: list[Sequence[Any]] = []
    for i, (headings, rows) in enumerate(tables):
        if i:
            out.append([])
        out.append(list(headings))
        out.extend(rows)
    return csv_bytes(out)


_WIDTHS = {"加入番号": 10, "保険種類": 18, "プラン": 34, "団体名": 32, "団体名・主催者": 32, "登録番号": 10, "氏名": 16,
           "フリガナ": 20, "補償開始日": 12, "補償終了日": 12, "脱退日": 12, "保険料": 10, "入金日": 12, "領収書番号": 14,
           "人数": 7, "行事名": 26, "行事の場所": 20, "行事開始日": 12, "行事終了日": 12, "申込日": 12, "入金額": 10,
           "未入金": 10, "状態": 8, "加入件数": 9}
_DATE_HEADS = {"補償開始日", "補償終了日", "脱退日", "入金日", "行事開始日", "行事終了日", "申込日"}
_MONEY_HEADS = {"保険料", "入金額", "未入金"}
_TEXT_HEADS = {"加入番号", "登録番号", "領収書番号"}


def _sheet(wb: Any, title: str, headings: Sequence[str], rows: Sequence[Sequence[Any]], *, caption: str,
           first: bool = False, total_row: Sequence[Any] | None = None) -> Any:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    ws = wb.active if first else wb.create_sheet()
    ws.title = title
    ws.append([caption])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append(list(headings))
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    thin = Side(style="thin", color="999999")
    for cell in ws[2]:
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = Border(bottom=thin)
    for values in rows:
        ws.append([v for v in values])
    if total_row is not None:
        ws.append(list(total_row))
        for cell in ws[ws.max_row]:
            cell.font = bold
            cell.border = Border(top=thin)
    for i, name in enumerate(headings, start=1):
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = _WIDTHS.get(name, 12)
        for (cell,) in ws.iter_rows(min_row=3, min_col=i, max_col=i):
            if name in _DATE_HEADS:
                cell.number_format = "yyyy/mm/dd"
            elif name in _MONEY_HEADS:
                cell.number_format = "#,##0"
            elif name in _TEXT_HEADS:
                cell.number_format = "@"  # '000012' keeps its zeros if retyped
    last = get_column_letter(len(headings))
    ws.freeze_panes = "A3"
    if rows:
        ws.auto_filter.ref = f"A2:{last}{len(rows) + 2}"
    # Printing: landscape A4, one page wide, the heading row on every page, page numbers at the foot.
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "2:2"
    ws.oddFooter.center.text = "&P / &N"
    return ws


def _save(wb: Any, path: Path) -> None:
    wb.properties.creator = "ふくふくデスク"
    save_workbook(wb, path)  # every text cell stored as text, formulas defused


def write_roster(rows: Sequence[RosterRow], path: Path | str, *, fiscal_year: int | None = None) -> int:
    """Write the roster (被保険者名簿) to ``path``: .xlsx (formatted for printing) or .csv (UTF-8 with BOM).

    Returns the number of rows written. The layout (ROSTER_COLUMNS) is documented in
    docs/insurance-export.md.
    """
    path = Path(path)
    suffix = _check_suffix(path)
    values = [roster_values(r) for r in rows]
    if suffix == ".csv":
        path.write_bytes(_csv_bytes([(ROSTER_COLUMNS, values)]))
        return len(rows)
    import openpyxl

    wb = openpyxl.Workbook()
    label = f"{jcal.fiscal_year_label(fiscal_year)} " if fiscal_year else ""
    _sheet(wb, "被保険者名簿", ROSTER_COLUMNS, values, caption=f"{label}活動保険 被保険者名簿（{len(rows)}件）", first=True)
    _save(wb, path)
    return len(rows)


def write_ledger(ledger: LedgerDoc, path: Path | str) -> int:
    """Write the fiscal-year ledger to ``path``: .xlsx (sheets 加入台帳 and プラン別集計) or .csv (the
    enrolments, a blank line, then the totals per plan). Returns the number of enrolments written."""
    path = Path(path)
    suffix = _check_suffix(path)
    rows = [ledger_values(r) for r in ledger.rows]
    totals = [total_values(t) for t in ledger.totals]
    grand = total_values(ledger.grand)
    if suffix == ".csv":
        path.write_bytes(_csv_bytes([(LEDGER_COLUMNS, rows), (TOTAL_COLUMNS, [*totals, grand])]))
        return len(rows)
    import openpyxl

    wb = openpyxl.Workbook()
    label = jcal.fiscal_year_label(ledger.fiscal_year)
    _sheet(wb, "加入台帳", LEDGER_COLUMNS, rows, caption=f"{label} 活動保険 加入台帳（{len(rows)}件）", first=True)
    _sheet(wb, "プラン別集計", TOTAL_COLUMNS, totals, caption=f"{label} 活動保険 プラン別集計", total_row=grand)
    _save(wb, path)
    return len(rows)


def write_insurance(data: Sequence[RosterRow] | LedgerDoc, path: Path | str, *,
                    fiscal_year: int | None = None) -> int:
    """Write what ``services.insurance_reports.export_insurance`` returned: a ledger with :func:`write_ledger`,
    the roster's rows with :func:`write_roster`. Returns the number of rows written."""
    if isinstance(data, LedgerDoc):
        return write_ledger(data, path)
    return write_roster(data, path, fiscal_year=fiscal_year)


__all__ = ["CertPerson", "CertificateDoc", "EnrolmentRow", "RosterRow", "PlanTotal", "LedgerDoc", "ROSTER_COLUMNS",
           "LEDGER_COLUMNS", "TOTAL_COLUMNS", "render_certificate", "render_enrolment_list", "write_roster",
           "write_ledger", "write_insurance", "certificate_rows", "roster_values", "ledger_values"]
