"""The daily cash-up (日計表) of one terminal: an A4 PDF and a one-sheet xlsx.

Both show the day in 西暦 and 和暦, the terminal, totals by payment method and by kind of item, every
receipt of the day, voids, the 還付 of cancelled paid bookings (a section only on a day with any), the
net, who closed the day and when, and the cash counted in the drawer against the cash the records
expect. The services fill :class:`CashupDoc`; this module only lays it out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from reportlab.lib.colors import Color, HexColor, black
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm

from booking_app.domain import japanese_calendar as jcal
from booking_app.domain.fees import yen
from booking_app.fonts import register_reportlab_fonts
from booking_app.reports.docs import CashupDoc, CashupRow
from booking_app.reports.layout import (
    Block,
    Drawn,
    Pen,
    line_height,
    open_canvas,
    paginate,
    spacer,
    truncate,
)

ACCENT = HexColor("#00695C")
GREY = HexColor("#555555")
LIGHT = HexColor("#EEEEEE")
RED = HexColor("#C62828")
MARGIN = 15 * mm
CASH_LABELS = ("現金", "cash")
REFUNDS_TITLE = "還付（予約の取消）"
REFUNDS_HEADINGS = ("還付番号", "時刻", "予約番号", "理由", "還付額", "方法")


def money(amount: int) -> str:
    """'¥1,234', and '△¥1,234' for a negative sum, as Japanese ledgers write it."""
    return yen(amount) if amount >= 0 else f"△{yen(-amount)}"


def day_text(doc: CashupDoc) -> str:
    d = doc.day
    return f"{jcal.format_western(d)}({jcal.weekday_ja(d)})（{jcal.wareki(d)}）"


def cash_expected(doc: CashupDoc) -> int:
    """The cash the drawer should hold from the day's records.

    ``extra['cash_expected']`` when the service worked it out (it may know the float); otherwise cash
    received (the 現金 row of by_method) less what voids and 還付 paid back in cash.
    """
    if "cash_expected" in doc.extra:
        return int(doc.extra["cash_expected"])
    received = sum(r.amount for r in doc.by_method if r.label in CASH_LABELS)
    refunded = sum(v[3] for v in doc.voids if v[4] in CASH_LABELS)
    rebated = sum(f[4] for f in doc.refunds if f[5] in CASH_LABELS)
    return received - refunded - rebated


def summary_rows(doc: CashupDoc) -> list[tuple[str, int | None]]:
    rows: list[tuple[str, int | None]] = [("受領合計", doc.total_received), ("返金合計", doc.total_refunded),
                                          ("差引（純額）", doc.net), ("現金（帳簿）", cash_expected(doc))]
    if doc.cash_counted is not None:
        rows += [("現金（実査）", doc.cash_counted), ("過不足", doc.cash_counted - cash_expected(doc))]
    else:
        rows += [("現金（実査）", None)]
    return rows


def closed_text(doc: CashupDoc) -> str:
    if not doc.closed_by:
        return "未締め"
    at = ""
    if doc.closed_at is not None:
        at = f" {jcal.format_slash(doc.closed_at.date())} {jcal.format_time(doc.closed_at.time())}"
    return f"{doc.closed_by}{at}"


# --------------------------------------------------------------------------- PDF


@dataclass(frozen=True)
class _Col:
    heading: str
    width: float  # share of the table's width
    align: str = "left"


class _Page:
    def __init__(self, doc: CashupDoc):
        self.doc = doc
        self.left = MARGIN
        self.width = A4[0] - 2 * MARGIN

    def text_line(self, s: str, size: float, *, role: str, align: str = "left", color: Color = black,
                  pitch: float = 1.5) -> Block:
        h = size * pitch

        def draw(pen: Pen, top: float) -> None:
            x = {"left": self.left, "right": self.left + self.width, "center": self.left + self.width / 2}[align]
            pen.text(x, top - (h - line_height(size)) / 2 - size * 0.88, s, size, role=role, align=align,
                     color=color)

        return Block(h, draw)

    def heading(self, s: str) -> list[Block]:
        size = 11

        def draw(pen: Pen, top: float) -> None:
            pen.rect(self.left, top - size * 1.6, 1.2 * mm, size * 1.6, role="heading_bar", stroke=None,
                     fill=ACCENT)
            pen.text(self.left + 3 * mm, top - size * 1.2, s, size, role="heading", color=ACCENT)

        # Kept with the table under it: a heading never stands alone at a page's foot.
        return [spacer(4 * mm), Block(size * 1.8, draw, keep_with_next=True)]

    def table(self, cols: Sequence[_Col], rows: Sequence[Sequence[str]], *, total: Sequence[str] | None = None,
              empty: str = "なし") -> list[Block]:
        size, pad = 9.0, 1.8 * mm
        pitch = size * 1.45 + 2
        share = sum(c.width for c in cols)
        widths = [self.width * c.width / share for c in cols]

        def row(cells: Sequence[str], kind: str, head: Block | None = None, keep: bool = False) -> Block:
            def draw(pen: Pen, top: float) -> None:
                if kind == "head":
                    pen.rect(self.left, top - pitch, self.width, pitch, role="table_head", stroke=None, fill=LIGHT)
                x = self.left
                base = top - (pitch - line_height(size)) / 2 - size * 0.88
                for cell, w, col in zip(cells, widths, cols, strict=False):
                    align = "center" if kind == "head" else col.align
                    s = truncate(cell, w - 2 * pad, size)
                    ax = {"left": x + pad, "right": x + w - pad, "center": x + w / 2}[align]
                    pen.text(ax, base, s, size, role=f"cell_{kind}", align=align)
                    x += w
                pen.line(self.left, top - pitch, self.left + self.width, top - pitch, role="table_rule",
                         color=black if kind != "body" else HexColor("#AAAAAA"), width=0.6 if kind != "body" else 0.3)

            # The heading row stays with the first row; every other row brings it along onto a new page.
            return Block(pitch, draw, keep_with_next=kind == "head" or keep, repeat=head)

        head = row([c.heading for c in cols], "head")
        blocks = [head]
        if not rows:
            blocks.append(row([empty], "body", head))
        # The last row stays with the total: a total never stands alone at the top of a page.
        blocks += [row(r, "body", head, keep=total is not None and i == len(rows) - 1) for i, r in enumerate(rows)]
        if total is not None:
            blocks.append(row(total, "total", head))
        return blocks

    def rows_table(self, title: str, rows: Sequence[CashupRow], first: str) -> list[Block]:
        cols = [_Col(first, 3), _Col("件数", 1, "right"), _Col("金額", 1.5, "right")]
        body = [[r.label, f"{r.count:,}", money(r.amount)] for r in rows]
        total = ["合計", f"{sum(r.count for r in rows):,}", money(sum(r.amount for r in rows))]
        return [*self.heading(title), *self.table(cols, body, total=total)]

    def header(self) -> list[Block]:
        doc = self.doc
        blocks = []
        if doc.issuer is not None:
            blocks.append(self.text_line(doc.issuer.centre_name, 9, role="centre", color=GREY))
        title_size = 20

        def title(pen: Pen, top: float) -> None:
            pen.text(self.left, top - title_size, "日計表", title_size, role="title", char_space=6)
            pen.text(self.left + self.width, top - title_size, day_text(doc), 12, role="day", align="right")

        blocks.append(Block(title_size * 1.5, title))
        blocks.append(self.text_line(f"端末：{doc.terminal or '—'}　　締め：{closed_text(doc)}", 10, role="terminal"))
        return blocks

    def summary(self) -> list[Block]:
        rows = summary_rows(self.doc)
        size, pitch = 11.0, 11.0 * 1.7
        box_w = self.width * 0.55

        def draw(pen: Pen, top: float) -> None:
            h = pitch * len(rows) + 2 * mm
            pen.rect(self.left, top - h, box_w, h, role="summary_box", width=0.9)
            y = top - 1 * mm
            for label, amount in rows:
                base = y - (pitch - line_height(size)) / 2 - size * 0.88
                pen.text(self.left + 3 * mm, base, label, size, role="summary_label")
                value = "（未入力）" if amount is None else money(amount)
                color = RED if label == "過不足" and amount else black
                pen.text(self.left + box_w - 3 * mm, base, value, size, role=f"summary:{label}", align="right",
                         color=color)
                y -= pitch
            # Seal boxes (担当・責任者) to the right, as on the centre's paper forms.
            seal = 18 * mm
            for i, who in enumerate(("責任者", "担当")):
                x = self.left + self.width - (i + 1) * seal
                pen.rect(x, top - seal - 5 * mm, seal, seal + 5 * mm, role="seal_box", width=0.5)
                pen.line(x, top - 5 * mm, x + seal, top - 5 * mm, role="seal_rule", width=0.5)
                pen.text(x + seal / 2, top - 3.8 * mm, who, 8, role="seal_label", align="center")

        height = max(pitch * len(rows) + 2 * mm, 23 * mm)
        return [spacer(3 * mm), Block(height, draw)]

    def refunds(self) -> list[Block]:
        """The 還付 of cancelled paid bookings paid out that day, after the voids; nothing on a day without."""
        doc = self.doc
        if not doc.refunds:
            return []
        rows = [[n, t, b, r, money(a), m] for n, t, b, r, a, m in doc.refunds]
        return [
            *self.heading(f"{REFUNDS_TITLE}　{len(doc.refunds)}件"),
            *self.table([_Col("還付番号", 1.6), _Col("時刻", 0.8), _Col("予約番号", 1.1), _Col("理由", 2.5),
                         _Col("還付額", 1.3, "right"), _Col("方法", 1.0, "center")], rows,
                        total=["合計", "", "", "", money(sum(f[4] for f in doc.refunds)), ""]),
        ]

    def blocks(self) -> list[Block]:
        doc = self.doc
        receipts = [[n, t, p, money(a), s] for n, t, p, a, s in doc.receipts]
        voids = [[n, t, r, money(a), m] for n, t, r, a, m in doc.voids]
        return [
            *self.header(), *self.summary(),
            *self.rows_table("支払方法別", doc.by_method, "支払方法"),
            *self.rows_table("品目区分別", doc.by_kind, "区分"),
            *self.heading(f"領収書一覧（{len(doc.receipts)}件）"),
            *self.table([_Col("領収書番号", 1.6), _Col("時刻", 0.8), _Col("支払者", 3.6),
                         _Col("金額", 1.3, "right"), _Col("状態", 1.0, "center")], receipts,
                        total=["合計", "", "", money(sum(r[3] for r in doc.receipts)), ""] if doc.receipts else None),
            *self.heading(f"取消・返金（{len(doc.voids)}件）"),
            *self.table([_Col("領収書番号", 1.6), _Col("時刻", 0.8), _Col("理由", 3.6),
                         _Col("返金額", 1.3, "right"), _Col("返金方法", 1.0, "center")], voids,
                        total=["合計", "", "", money(sum(v[3] for v in doc.voids)), ""] if doc.voids else None),
            *self.refunds(),
        ]


def render_cashup_pdf(doc: CashupDoc, out: Path | str | BinaryIO, *, record: list[Drawn] | None = None) -> int:
    """Write the cash-up as an A4 PDF (IPAexGothic embedded); return the number of pages."""
    register_reportlab_fonts()
    page = _Page(doc)
    blocks = page.blocks()
    room = A4[1] - 2 * MARGIN
    foot = 10.0
    pages = paginate(blocks, room - foot, room - foot)
    c = open_canvas(out, A4, title=f"日計表 {jcal.format_slash(doc.day)} {doc.terminal}",
                    author=doc.issuer.centre_name if doc.issuer else "")
    pen = Pen(c, A4, record)
    for n, page_blocks in enumerate(pages, start=1):
        if n > 1:
            pen.next_page()
        top = A4[1] - MARGIN
        for b in page_blocks:
            b.draw(pen, top)
            top -= b.height
        footer = f"日計表 {jcal.format_slash(doc.day)} {doc.terminal}　{n}/{len(pages)}"
        pen.text(A4[0] / 2, MARGIN - 2, footer, 8, role="footer", align="center", color=GREY)
    c.showPage()
    c.save()
    return len(pages)


# --------------------------------------------------------------------------- xlsx

NUMBER_FORMAT = "#,##0"


def write_cashup_xlsx(doc: CashupDoc, path: Path | str | BinaryIO) -> None:
    """One printable sheet (A4 portrait, fit to one page wide) with Japanese headings; money as numbers."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    wb = Workbook()
    ws = wb.active
    ws.title = "日計表"
    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="EEEEEE")
    thin = Side(style="thin", color="999999")
    box = Border(top=thin, bottom=thin, left=thin, right=thin)
    row = 1

    def put(r: int, c: int, value: object, *, money_cell: bool = False, head: bool = False,
            font: Font | None = None) -> None:
        cell = ws.cell(row=r, column=c, value=value)
        if money_cell:
            cell.number_format = NUMBER_FORMAT
        if head:
            cell.font, cell.fill, cell.alignment = bold, head_fill, Alignment(horizontal="center")
        if font is not None:
            cell.font = font
        if head or r > 4:
            cell.border = box

    ws.cell(row=1, column=1, value="日計表").font = Font(bold=True, size=16)
    if doc.issuer is not None:
        ws.cell(row=1, column=3, value=doc.issuer.centre_name)
    ws.cell(row=2, column=1, value="日付")
    ws.cell(row=2, column=2, value=day_text(doc))
    ws.cell(row=3, column=1, value="端末")
    ws.cell(row=3, column=2, value=doc.terminal)
    ws.cell(row=4, column=1, value="締め")
    ws.cell(row=4, column=2, value=closed_text(doc))
    row = 6

    def section(title: str, headings: Sequence[str], rows: Sequence[Sequence[object]], money_cols: Sequence[int],
                total: Sequence[object] | None) -> None:
        nonlocal row
        ws.cell(row=row, column=1, value=title).font = Font(bold=True, size=12, color="00695C")
        row += 1
        for c, h in enumerate(headings, start=1):
            put(row, c, h, head=True)
        row += 1
        for values in rows:
            for c, v in enumerate(values, start=1):
                put(row, c, v, money_cell=c in money_cols)
            row += 1
        if total is not None:
            for c, v in enumerate(total, start=1):
                put(row, c, v, money_cell=c in money_cols, font=bold)
            row += 1
        row += 1

    section("集計", ["項目", "金額"], [[label, amount] for label, amount in summary_rows(doc)], [2], None)
    for title, rows, first in (("支払方法別", doc.by_method, "支払方法"), ("品目区分別", doc.by_kind, "区分")):
        section(title, [first, "件数", "金額"], [[r.label, r.count, r.amount] for r in rows], [2, 3],
                ["合計", sum(r.count for r in rows), sum(r.amount for r in rows)])
    section("領収書一覧", ["領収書番号", "時刻", "支払者", "金額", "状態"], [list(r) for r in doc.receipts], [4],
            ["合計", None, None, sum(r[3] for r in doc.receipts), None])
    section("取消・返金", ["領収書番号", "時刻", "理由", "返金額", "返金方法"], [list(v) for v in doc.voids], [4],
            ["合計", None, None, sum(v[3] for v in doc.voids), None])
    if doc.refunds:
        first_row = row + 2  # under the section's title and heading row
        section(REFUNDS_TITLE, REFUNDS_HEADINGS, [list(f) for f in doc.refunds], [5],
                ["合計", None, None, None, sum(f[4] for f in doc.refunds), None])
        for n in range(first_row, first_row + len(doc.refunds)):  # a long reason wraps in its column
            ws.cell(row=n, column=4).alignment = Alignment(wrap_text=True, vertical="top")

    for col, width in zip("ABCDEF", (16, 14, 36, 18, 12, 10), strict=True):
        ws.column_dimensions[col].width = width
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages long as needed
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = "&P / &N"
    # Through the one table writer: a payer or a void reason typed as '=…' is stored as text, never a
    # formula. A file-like object is saved as it is (never str() of it, which would make a file of that name).
    from booking_app.services.table_writer import save_workbook

    save_workbook(wb, path)

