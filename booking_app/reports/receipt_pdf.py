"""Receipts (領収書) as PDF: A5 portrait (the default), one receipt on A4, or an 80 mm receipt roll.

A receipt carries what a Japanese receipt and a qualified invoice (適格請求書) must: number, date in
西暦 and 和暦, the payer with 様, the amount, 但し書き, the lines with their tax class, totals and tax per
rate, the issuer with its registration number (T + 13 digits), and a box for the revenue stamp (収入印紙)
when stamp duty applies. A reissued copy says 再発行 (and keeps the original date); a voided one is
stamped 取消.

The document is a column of blocks measured with the embedded font (see ``reports.layout``): on A5 and
A4 they flow onto further pages if a receipt has very many lines; on the roll the page is exactly as
long as the content.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from reportlab.lib.colors import Color, HexColor, black
from reportlab.lib.pagesizes import A4, A5
from reportlab.lib.units import mm

from booking_app.domain import japanese_calendar as jcal
from booking_app.domain.fees import signed_yen, yen
from booking_app.fonts import register_reportlab_fonts
from booking_app.reports.docs import DocLine, ReceiptDoc
from booking_app.reports.layout import (
    Block,
    Drawn,
    Pen,
    fit_size,
    fit_two_lines,
    flow_height,
    line_height,
    open_canvas,
    paginate,
    spacer,
    text_width,
    wrap,
)

RED = HexColor("#C62828")
GREY = HexColor("#555555")
LIGHT = HexColor("#EEEEEE")

TAX_SHORT = {"taxable10": "10%", "exempt": "非課税"}
LAYOUTS = ("A5", "A4", "roll80")


@dataclass(frozen=True)
class _Spec:
    name: str
    width: float
    height: float | None  # None: as long as the content (receipt roll)
    margin: float
    scale: float  # every font size is multiplied by this
    narrow: bool  # the roll: two-row table lines, everything stacked


SPECS = {
    "A5": _Spec("A5", A5[0], A5[1], 10 * mm, 1.0, False),
    "A4": _Spec("A4", A4[0], A4[1], 18 * mm, 1.25, False),
    # 80 mm paper prints about 72 mm wide; 4 mm each side keeps clear of the printer's dead edge.
    "roll80": _Spec("roll80", 80 * mm, None, 4 * mm, 0.8, True),
}


def receipt_date_text(doc: ReceiptDoc) -> str:
    """'2026年11月25日（令和8年11月25日）'."""
    d = doc.issued_at.date()
    return f"{jcal.format_western(d)}（{jcal.wareki(d)}）"


def amount_text(total: int) -> str:
    """'¥12,345-': the trailing dash closes the figure so nothing can be written after it."""
    return f"{yen(total)}-"


def quantity_text(line: DocLine) -> str:
    """'260か月', '1,200枚', '1区分': the quantity with what it counts (a bare number without a unit)."""
    return f"{line.quantity:,}{line.unit}"


def tax_lines(doc: ReceiptDoc) -> list[str]:
    """Totals per rate, as a qualified invoice states them."""
    out = []
    if doc.taxable10 or not doc.exempt:
        out.append(f"10%対象 {yen(doc.taxable10)}（うち消費税 {yen(doc.tax10)}）")
    if doc.exempt:
        out.append(f"非課税 {yen(doc.exempt)}")
    return out


# --------------------------------------------------------------------------- blocks


@dataclass(frozen=True)
class _Text:
    text: str
    size: float
    align: str = "left"
    color: Color = black
    role: str = "text"
    char_space: float = 0.0


def _text_block(lines: Sequence[_Text], left: float, width: float, *, leading: float = 1.4,
                pad_top: float = 0.0, pad_bottom: float = 0.0) -> Block:
    heights = [t.size * leading for t in lines]

    def draw(pen: Pen, top: float) -> None:
        y = top - pad_top
        for t, h in zip(lines, heights, strict=True):
            baseline = y - (h - line_height(t.size)) / 2 - t.size * 0.88
            x = {"left": left, "right": left + width, "center": left + width / 2}[t.align]
            pen.text(x, baseline, t.text, t.size, role=t.role, align=t.align, color=t.color,
                     char_space=t.char_space)
            y -= h

    return Block(pad_top + sum(heights) + pad_bottom, draw)


def _wrapped(text: str, size: float, width: float, *, role: str, align: str = "left",
             color: Color = black, max_lines: int | None = None) -> list[_Text]:
    return [_Text(s, size, align, color, role) for s in wrap(text, width, size, max_lines=max_lines)]


class _ReceiptLayout:
    def __init__(self, doc: ReceiptDoc, spec: _Spec):
        self.doc, self.spec = doc, spec
        self.left = spec.margin
        self.width = spec.width - 2 * spec.margin
        self.s = spec.scale

    def pt(self, size: float) -> float:
        return size * self.s

    # -- the parts, top to bottom

    def markers(self) -> list[Block]:
        """再発行 and 取消 as red boxed labels above the title, where nobody can miss them."""
        doc = self.doc
        labels = []
        if doc.voided:
            labels.append(("取消", self.pt(16), "void"))
        if doc.reissue:
            labels.append(("再発行", self.pt(11), "reissue"))
        if not labels:
            return []
        pad = self.pt(3)
        height = max(line_height(size) for _t, size, _r in labels) + 2 * pad

        def draw(pen: Pen, top: float) -> None:
            x = self.left
            for text, size, role in labels:
                w = text_width(text, size) + 2 * pad + (size * 0.3 if role == "void" else 0)
                y0 = top - height
                pen.rect(x, y0, w, height, role=f"{role}_box", stroke=RED, width=1.6 if role == "void" else 1.0)
                if role == "void":
                    pen.rect(x + 2, y0 + 2, w - 4, height - 4, role="void_box", stroke=RED, width=0.6)
                baseline = y0 + (height - line_height(size)) / 2 + size * 0.12
                pen.text(x + w / 2, baseline, text, size, role=role, align="center", color=RED,
                         char_space=size * 0.3 if role == "void" else 0.0)
                x += w + self.pt(4)

        return [Block(height, draw), spacer(self.pt(4))]

    def title(self) -> list[Block]:
        doc = self.doc
        size = self.pt(22)
        space = size * 0.5
        title = "領収書"
        title_w = text_width(title, size) + space * (len(title) - 1)
        head = _Text(title, size, "center", role="title", char_space=space)
        block = _text_block([head], self.left, self.width, leading=1.3)

        def draw(pen: Pen, top: float) -> None:
            block.draw(pen, top)
            y = top - block.height + self.pt(1)
            x0 = self.left + (self.width - title_w) / 2 - self.pt(6)
            x1 = self.left + (self.width + title_w) / 2 + self.pt(6)
            pen.line(x0, y, x1, y, role="title_rule", width=0.8)
            pen.line(x0, y - 2, x1, y - 2, role="title_rule", width=0.8)

        blocks = [Block(block.height + self.pt(2), draw)]
        info_size = self.pt(9)
        no = f"No. {doc.receipt_no}"
        date = receipt_date_text(doc)
        size = fit_size(date, self.width, info_size, info_size * 0.7)
        align = "center" if self.spec.narrow else "right"
        blocks.append(_text_block([_Text(no, info_size, align, role="receipt_no"),
                                   _Text(date, size, align, role="date")],
                                  self.left, self.width, leading=1.35, pad_top=self.pt(4)))
        return blocks

    def payer(self) -> list[Block]:
        doc = self.doc
        name = " ".join(doc.payer_name.split())
        suffix = " 様"
        width = self.width if self.spec.narrow else self.width * 0.78
        max_size, min_size = self.pt(17), self.pt(11)
        # One or two lines with a good break (not inside a katakana word), shrinking to fit; as the
        # member cards do with group names.
        size, lines = fit_two_lines(name + suffix, width, max_size=max_size, min_size=min_size)
        texts = [_Text(s, size, role="payer") for s in lines]
        block = _text_block(texts, self.left, width, leading=1.45)

        def draw(pen: Pen, top: float) -> None:
            block.draw(pen, top)
            y = top - block.height
            pen.line(self.left, y, self.left + width, y, role="payer_rule", width=0.9)

        return [spacer(self.pt(6)), Block(block.height + 1, draw)]

    def amount(self) -> list[Block]:
        doc = self.doc
        label_size = self.pt(10)
        inner = self.width if self.spec.narrow else self.width * 0.85
        x0 = self.left + (self.width - inner) / 2
        label = "金額"
        text = amount_text(doc.total)
        room = inner - text_width(label, label_size) - self.pt(16)
        size = fit_size(text, room, self.pt(26), self.pt(12))
        height = line_height(size) + self.pt(12)

        def draw(pen: Pen, top: float) -> None:
            y0 = top - height
            pen.rect(x0, y0, inner, height, role="amount_box", width=1.4, fill=LIGHT)
            mid = y0 + height / 2
            pen.text(x0 + self.pt(6), mid - label_size * 0.35, label, label_size, role="amount_label")
            pen.text(x0 + inner / 2 + text_width(label, label_size) / 2, mid - size * 0.35, text, size,
                     role="amount", align="center")

        return [spacer(self.pt(8)), Block(height, draw)]

    def purpose(self) -> list[Block]:
        doc = self.doc
        size = self.pt(10)
        texts = _wrapped(f"但し {doc.purpose.strip()}", size, self.width, role="purpose")
        texts.append(_Text("上記正に領収いたしました。", size, role="received"))
        if doc.method_label:
            texts.append(_Text(f"お支払方法：{doc.method_label}", self.pt(9), role="method", color=GREY))
        return [_text_block(texts, self.left, self.width, leading=1.5, pad_top=self.pt(6))]

    # -- the lines table

    def _columns(self) -> list[tuple[str, float, str]]:
        """(heading, width, align) of the wide table; the description takes what is left."""
        # 数量 holds its unit too (「260か月」, 「1,200枚」).
        fixed = [("数量", 17 * mm * self.s, "right"), ("単価", 21 * mm * self.s, "right"),
                 ("金額", 23 * mm * self.s, "right"), ("税区分", 14 * mm * self.s, "center")]
        rest = self.width - sum(w for _h, w, _a in fixed)
        return [("品目", rest, "left"), *fixed]

    def table(self) -> list[Block]:
        if self.spec.narrow:
            return self._narrow_table()
        size = self.pt(9)
        pad = self.pt(2.5)
        cols = self._columns()
        pitch = size * 1.35
        rule_grey = HexColor("#888888")

        def row(cells: Sequence[str], wrapped: list[str], *, head: bool, heading: Block | None = None) -> Block:
            n = max(1, len(wrapped))
            height = n * pitch + 2 * pad

            def draw(pen: Pen, top: float) -> None:
                if head:
                    pen.rect(self.left, top - height, self.width, height, role="table_head", stroke=None,
                             fill=LIGHT)
                x = self.left
                first_base = top - pad - (pitch - line_height(size)) / 2 - size * 0.88
                for i, (_heading, w, align) in enumerate(cols):
                    lines = wrapped if i == 0 else [cells[i]]
                    for k, s in enumerate(lines):
                        if not s:
                            continue
                        ax = {"left": x + pad, "right": x + w - pad, "center": x + w / 2}[align if not head
                                                                                            else "center"]
                        # A long figure (「12,000枚」) shrinks to its column rather than run into the next.
                        cell_size = size if i == 0 else fit_size(s, w - 2 * pad, size, size * 0.7)
                        pen.text(ax, first_base - k * pitch, s, cell_size,
                                 role="table_head" if head else f"cell{i}", align=align if not head else "center")
                    x += w
                pen.line(self.left, top - height, self.left + self.width, top - height, role="table_rule",
                         color=black if head else rule_grey, width=0.7 if head else 0.3)

            # The heading row stays with the first line; a line that starts a page brings it along.
            return Block(height, draw, keep_with_next=head, repeat=heading)

        blocks = [spacer(self.pt(6))]
        heads = [h for h, _w, _a in cols]
        heading = row(heads, [heads[0]], head=True)
        blocks.append(heading)
        desc_w = cols[0][1] - 2 * pad
        for line in self.doc.lines:
            cells = self._cells(line)
            blocks.append(row(cells, wrap(line.description, desc_w, size, max_lines=4), head=False, heading=heading))
        return blocks

    @staticmethod
    def _cells(line: DocLine) -> list[str]:
        return [line.description, quantity_text(line), signed_yen(line.unit_price), signed_yen(line.amount),
                TAX_SHORT.get(line.tax, line.tax)]

    def _narrow_table(self) -> list[Block]:
        """The roll: the description on its own line(s), then 'qty × price  amount  tax' right-aligned."""
        size = self.pt(9)
        blocks: list[Block] = [spacer(self.pt(4))]

        def rule(role: str, dash: bool) -> Block:
            def draw(pen: Pen, top: float) -> None:
                pen.line(self.left, top - 2, self.left + self.width, top - 2, role=role, width=0.5,
                         dash=(2, 2) if dash else None)
            return Block(4, draw)

        blocks.append(rule("table_rule", False))
        blocks.append(_text_block([_Text("品目 ／ 数量 × 単価　金額（税区分）", self.pt(8), role="table_head",
                                         color=GREY)], self.left, self.width))
        blocks.append(rule("table_rule", True))
        for line in self.doc.lines:
            texts = _wrapped(line.description, size, self.width, role="cell0", max_lines=4)
            detail = (f"{quantity_text(line)} × {signed_yen(line.unit_price)}　{signed_yen(line.amount)}"
                      f"（{TAX_SHORT.get(line.tax, line.tax)}）")
            texts.append(_Text(detail, size, "right", role="cell_detail"))
            blocks.append(_text_block(texts, self.left, self.width, leading=1.3, pad_bottom=self.pt(2)))
        blocks.append(rule("table_rule", False))
        return blocks

    def totals(self) -> list[Block]:
        doc = self.doc
        size = self.pt(10)
        texts = [_Text(f"合計 {yen(doc.total)}", self.pt(12), "right", role="total")]
        texts += [_Text(t, size, "right", role="tax") for t in tax_lines(doc)]
        return [_text_block(texts, self.left, self.width, leading=1.45, pad_top=self.pt(4))]

    def issuer(self) -> list[Block]:
        doc = self.doc
        iss = doc.issuer
        size = self.pt(9)
        stamp = doc.stamp_duty > 0
        stamp_w, stamp_h = 22 * mm * min(self.s, 1.1), 26 * mm * min(self.s, 1.1)
        if self.spec.narrow:
            text_w = self.width
        else:
            text_w = self.width - (stamp_w + self.pt(8) if stamp else 0)
        texts: list[_Text] = []
        if iss.operator:
            texts += _wrapped(iss.operator, self.pt(11), text_w, role="operator")
        texts += _wrapped(iss.centre_name, self.pt(10), text_w, role="centre")
        if iss.address:
            texts += _wrapped(iss.address, size, text_w, role="address")
        if iss.phone:
            texts.append(_Text(f"TEL {iss.phone}", size, role="phone"))
        if iss.invoice_number:
            texts.append(_Text(f"登録番号 {iss.invoice_number}", size, role="invoice_number"))
        if doc.staff_name:
            texts.append(_Text(f"担当 {doc.staff_name}", size, role="staff"))
        if self.spec.narrow:
            # The issuer reads naturally from the left on a narrow strip.
            info = _text_block(texts, self.left, text_w, leading=1.4)
        else:
            texts = [_Text(t.text, t.size, "left", t.color, t.role) for t in texts]
            widest = max(text_width(t.text, t.size) for t in texts) if texts else 0
            info = _text_block(texts, self.left + self.width - widest, widest, leading=1.4)

        def stamp_box(pen: Pen, x: float, top: float) -> None:
            pen.rect(x, top - stamp_h, stamp_w, stamp_h, role="stamp_box", width=0.6, dash=(3, 2))
            label_size = self.pt(8)
            pen.text(x + stamp_w / 2, top - stamp_h / 2 - label_size * 0.35, "収入印紙", label_size,
                     role="stamp", align="center", color=GREY)

        blocks: list[Block] = [spacer(self.pt(10))]
        if self.spec.narrow:
            blocks.append(info)
            if stamp:
                blocks.append(spacer(self.pt(4)))
                blocks.append(Block(stamp_h, lambda pen, top: stamp_box(pen, self.left + (self.width - stamp_w) / 2,
                                                                         top)))
            return blocks
        height = max(info.height, stamp_h if stamp else 0)

        def draw(pen: Pen, top: float) -> None:
            info.draw(pen, top)
            if stamp:
                stamp_box(pen, self.left, top)

        blocks.append(Block(height, draw))
        return blocks

    def blocks(self) -> list[Block]:
        return [*self.markers(), *self.title(), *self.payer(), *self.amount(), *self.purpose(), *self.table(),
                *self.totals(), *self.issuer()]

    def continuation(self, page: int, pages: int) -> Block:
        text = f"領収書（続き） No. {self.doc.receipt_no}　{page}/{pages}"
        block = _text_block([_Text(text, self.pt(9), role="continued", color=GREY)], self.left, self.width,
                            pad_bottom=self.pt(4))
        return block


def render_receipt(doc: ReceiptDoc, out: Path | str | BinaryIO, *, layout: str = "A5",
                   record: list[Drawn] | None = None) -> int:
    """Write the receipt as a PDF (IPAexGothic embedded); return the number of pages.

    Args:
        doc: what the receipt says (``services`` fill it).
        out: a file path or a binary file object.
        layout: ``'A5'`` (portrait, the default), ``'A4'`` or ``'roll80'`` (80 mm wide, as long as needed).
        record: if given, every text run, rule, box and QR code drawn is appended as a :class:`Drawn`.
    """
    try:
        spec = SPECS[layout]
    except KeyError:
        raise ValueError(f"unknown receipt layout {layout!r}; expected one of {LAYOUTS}") from None
    register_reportlab_fonts()  # the layout measures with the font before the canvas exists
    lay = _ReceiptLayout(doc, spec)
    blocks = lay.blocks()
    if spec.height is None:
        pages = [blocks]
        size = (spec.width, flow_height(blocks) + 2 * spec.margin)
    else:
        size = (spec.width, spec.height)
        room = spec.height - 2 * spec.margin
        cont_h = lay.continuation(2, 2).height
        pages = paginate(blocks, room, room - cont_h)
    title = "領収書（再発行）" if doc.reissue else "領収書"
    c = open_canvas(out, size, title=f"{title} {doc.receipt_no}", author=doc.issuer.operator or doc.issuer.centre_name)
    pen = Pen(c, size, record)
    for n, page_blocks in enumerate(pages, start=1):
        if n > 1:
            pen.next_page()
        top = size[1] - spec.margin
        if n > 1:
            head = lay.continuation(n, len(pages))
            head.draw(pen, top)
            top -= head.height
        for b in page_blocks:
            b.draw(pen, top)
            top -= b.height
    c.showPage()
    c.save()
    return len(pages)
