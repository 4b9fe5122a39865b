"""Usage slips (施設利用票) as PDF: one A5 portrait slip per page, or two per A4 sheet with a cut line.

A slip shows the booking number with a QR code (``FKB:<booking id>``: the desk scanner opens the booking
for check-in and check-out, see ``booking_app.ui.scanner``), room, date in 西暦 and 和暦 with the weekday,
time, who booked it, purpose, attendees, equipment, status, fee (with a 減免: the fee before it, the 減免
and what is paid) and whether it is paid (with the receipt's number), the series it belongs to, the
centre's rules and contact.

The A5 slip is portrait; half an A4 sheet is landscape, so there the details go on the left and the QR
code and rules on the right. If a slip holds more than its box, every font shrinks a step at a time
until it fits (long rules and equipment lists stay whole rather than falling off the paper).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from reportlab.lib.colors import Color, HexColor, black
from reportlab.lib.pagesizes import A4, A5
from reportlab.lib.units import mm

from booking_app.domain import japanese_calendar as jcal
from booking_app.domain.fees import signed_yen, yen
from booking_app.fonts import register_reportlab_fonts
from booking_app.reports.docs import SlipDoc
from booking_app.reports.layout import (
    Block,
    Drawn,
    Pen,
    line_height,
    open_canvas,
    text_width,
    truncate,
    wrap,
)

# Kept in step with booking_app.ui.scanner.BOOKING_PREFIX (a test checks they agree); not imported from
# there because reports must not depend on the UI.
SLIP_PREFIX = "FKB:"
LAYOUTS = ("A5", "A4")

ACCENT = HexColor("#00695C")
GREY = HexColor("#555555")
RULE_GREY = HexColor("#AAAAAA")
LIGHT = HexColor("#F1F1F1")

MARGIN = 10 * mm
QR_SIZE = 28 * mm
MIN_SCALE = 0.6

Box = tuple[float, float, float, float]


def slip_date_text(start: datetime) -> str:
    """'2026年12月2日(水)（令和8年12月2日）'."""
    d = start.date()
    return f"{jcal.format_western(d)}({jcal.weekday_ja(d)})（{jcal.wareki(d)}）"


def slip_time_text(start: datetime, end: datetime) -> str:
    """'13:00〜17:00' (an end on another day gets its date)."""
    end_text = jcal.format_time(end.time())
    if end.date() != start.date():
        end_text = f"{end.month}/{end.day} {end_text}"
    return f"{jcal.format_time(start.time())}〜{end_text}"


def booker_text(doc: SlipDoc) -> str:
    name = doc.booker_name.strip() or "（未記入）"
    return f"{name}（登録番号 {doc.group_reg_no}）" if doc.group_reg_no else name


def payment_text(doc: SlipDoc) -> str:
    """Whether the fee is paid: '支払済（領収書 2026-000123）', '未払', or '' when free."""
    if doc.fee_total <= 0:
        return ""
    receipts = f"領収書 {'・'.join(doc.receipt_nos)}" if doc.receipt_nos else ""
    if doc.fee_paid >= doc.fee_total:
        return f"支払済（{receipts}）" if receipts else "支払済"
    if doc.fee_paid <= 0:
        return "未払"
    paid = f"支払済 {yen(doc.fee_paid)}" + (f"：{receipts}" if receipts else "")
    return f"一部未払 {yen(doc.fee_total - doc.fee_paid)}（{paid}）"


FEE_LABEL = "料金（税込）"
# Between the parts of the fee text (金額・減免・お支払い); a slip too narrow for the whole puts each on a line.
FEE_SEP = "　"


def fee_text(doc: SlipDoc) -> str:
    """The fee, '¥2,000'; with a 減免 (issue 18) the fee before it, the 減免 and what is paid:
    '¥1,251　減免 △¥626（障がい者団体 50%）　お支払い ¥625'."""
    if doc.reduction <= 0:
        return yen(doc.fee_total)
    label = f"（{doc.reduction_label}）" if doc.reduction_label else ""
    return FEE_SEP.join((yen(doc.fee_total + doc.reduction), f"減免 {signed_yen(-doc.reduction)}{label}",
                         f"お支払い {yen(doc.fee_total)}"))


def _wrap_value(label: str, value: str, width: float, size: float) -> list[str]:
    """A detail value's lines: the fee text, when it does not fit whole, breaks between its parts (a part
    too long for a line wraps in itself, on lines of its own); every other value wraps as text, at most 4
    lines."""
    if label != FEE_LABEL or FEE_SEP not in value:
        return wrap(value, width, size, max_lines=4)  # (wrap turns the full-width space into a plain one)
    lines: list[str] = []
    open_line = False  # the last line holds whole parts and may take the next one
    for part in value.split(FEE_SEP):
        if open_line and text_width(f"{lines[-1]}{FEE_SEP}{part}", size) <= width:
            lines[-1] = f"{lines[-1]}{FEE_SEP}{part}"
            continue
        parts = wrap(part, width, size)
        lines += parts
        open_line = len(parts) == 1
    return lines


def detail_rows(doc: SlipDoc) -> list[tuple[str, str]]:
    """(label, value) rows of a slip, in print order."""
    rows = [
        ("利用日", slip_date_text(doc.start)),
        ("時間", slip_time_text(doc.start, doc.end)),
        ("部屋", doc.room_name or "（部屋なし・備品のみ）"),
        ("利用者", booker_text(doc)),
        ("利用目的", doc.purpose.strip() or "—"),
        ("人数", f"{doc.attendees}名" if doc.attendees else "—"),
        ("備品", "、".join(doc.equipment) if doc.equipment else "なし"),
        ("状態", doc.status_label),
        (FEE_LABEL, fee_text(doc)),
    ]
    paid = payment_text(doc)
    if paid:
        rows.append(("支払", paid))
    if doc.series_summary:
        rows.append(("繰り返し", doc.series_summary))
    if doc.note.strip():
        rows.append(("備考", doc.note.strip()))
    return rows


@dataclass(frozen=True)
class _Line:
    text: str
    size: float
    color: Color = black
    role: str = "text"


def _lines_block(lines: Sequence[_Line], x: float, *, leading: float = 1.35) -> Block:
    pitches = [ln.size * leading for ln in lines]

    def draw(pen: Pen, top: float) -> None:
        y = top
        for ln, h in zip(lines, pitches, strict=True):
            pen.text(x, y - (h - line_height(ln.size)) / 2 - ln.size * 0.88, ln.text, ln.size, role=ln.role,
                     color=ln.color)
            y -= h

    return Block(sum(pitches), draw)


class _SlipLayout:
    """Places one slip in its box at a given font scale."""

    def __init__(self, doc: SlipDoc, box: Box, scale: float):
        self.doc, self.scale = doc, scale
        x0, y0, x1, y1 = box
        self.x0, self.y0 = x0 + MARGIN, y0 + MARGIN
        self.x1, self.y1 = x1 - MARGIN, y1 - MARGIN
        self.width = self.x1 - self.x0
        self.height = self.y1 - self.y0
        self.landscape = (x1 - x0) > (y1 - y0)
        self.qr = QR_SIZE * min(1.0, 0.5 + scale / 2)

    def pt(self, size: float) -> float:
        return size * self.scale

    def header(self, width: float) -> Block:
        doc = self.doc
        lines = [_Line(truncate(doc.issuer.centre_name, width, self.pt(8.5)), self.pt(8.5), GREY, "centre"),
                 _Line("施設利用票", self.pt(20), ACCENT, "title"),
                 _Line(f"予約番号 {doc.booking_no}", self.pt(14), black, "booking_no")]
        return _lines_block(lines, self.x0)

    def details(self, x: float, width: float) -> Block:
        label_w = self.pt(22 * mm)
        label_size, value_size = self.pt(8.5), self.pt(10.5)
        pad = self.pt(1.6)
        rows = []
        for label, value in detail_rows(self.doc):
            lines = _wrap_value(label, value, width - label_w - pad, value_size)
            rows.append((label, lines, len(lines) * value_size * 1.3 + 2 * pad))

        def draw(pen: Pen, top: float) -> None:
            y = top
            pen.line(x, y, x + width, y, role="detail_rule", color=ACCENT, width=0.8)
            for label, lines, h in rows:
                first = y - pad - (value_size * 1.3 - line_height(value_size)) / 2 - value_size * 0.88
                pen.text(x + pad, first, label, label_size, role="label", color=GREY)
                for k, s in enumerate(lines):
                    pen.text(x + label_w, first - k * value_size * 1.3, s, value_size, role=f"value:{label}")
                y -= h
                pen.line(x, y, x + width, y, role="detail_rule", color=RULE_GREY, width=0.3)

        return Block(sum(h for _l, _ls, h in rows) + 1, draw)

    def rules(self, x: float, width: float) -> Block | None:
        if not self.doc.rules:
            return None
        size = self.pt(8.5)
        pad = self.pt(3)
        inner = width - 2 * pad
        bullet = "・"
        bw = text_width(bullet, size)
        lines: list[tuple[str, bool]] = []  # (text, starts an item)
        for rule in self.doc.rules:
            for k, s in enumerate(wrap(rule, inner - bw, size)):
                lines.append((s, k == 0))
        head = self.pt(9)
        pitch = size * 1.35
        height = 2 * pad + head * 1.5 + len(lines) * pitch

        def draw(pen: Pen, top: float) -> None:
            pen.rect(x, top - height, width, height, role="rules_box", stroke=RULE_GREY, fill=LIGHT, width=0.5)
            y = top - pad - head * 0.95
            pen.text(x + pad, y, "ご利用にあたってのお願い", head, role="rules_head", color=ACCENT)
            y -= head * 0.55
            for s, first in lines:
                y -= pitch
                if first:
                    pen.text(x + pad, y + size * 0.12, bullet, size, role="rule")
                pen.text(x + pad + bw, y + size * 0.12, s, size, role="rule")

        return Block(height, draw)

    def contact(self) -> Block:
        iss = self.doc.issuer
        size = self.pt(8)
        first = iss.centre_name + (f"（指定管理者 {iss.operator}）" if iss.operator else "")
        second = "　".join(p for p in (iss.address, f"TEL {iss.phone}" if iss.phone else "") if p)
        lines = [_Line("お問い合わせ・変更・取消は", size, GREY, "contact")]
        lines += [_Line(s, size, black, "contact") for s in wrap(first, self.width, size, max_lines=2)]
        if second:
            lines += [_Line(s, size, black, "contact") for s in wrap(second, self.width, size, max_lines=2)]
        block = _lines_block(lines, self.x0, leading=1.3)

        def draw(pen: Pen, top: float) -> None:
            pen.line(self.x0, top, self.x1, top, role="contact_rule", color=RULE_GREY, width=0.4)
            block.draw(pen, top - self.pt(2))

        return Block(block.height + self.pt(2), draw)

    def qr_block(self) -> Block:
        side = self.qr
        cap = self.pt(7)

        def draw(pen: Pen, top: float) -> None:
            x = self.x1 - side
            pen.qr(SLIP_PREFIX + str(self.doc.booking_id), x, top - side, side)
            # Right-aligned: the caption is wider than the code and must not pass the margin.
            pen.text(self.x1, top - side - cap * 1.1, "受付でこのコードを読み取ります", cap, role="qr_caption",
                     align="right", color=GREY)

        return Block(side + cap * 1.5, draw)

    def plan(self) -> tuple[float, Callable[[Pen], None]]:
        """(height needed, draw(pen)) at this scale."""
        gap = self.pt(3 * mm)
        contact = self.contact()
        qr = self.qr_block()
        if self.landscape:
            right_w = max(self.qr, self.width * 0.36)
            left_w = self.width - right_w - gap
            header = self.header(left_w)
            details = self.details(self.x0, left_w)
            rules = self.rules(self.x1 - right_w, right_w)
            left_h = header.height + gap / 2 + details.height
            right_h = qr.height + (gap / 2 + rules.height if rules else 0)
            need = max(left_h, right_h) + gap + contact.height

            def draw(pen: Pen) -> None:
                top = self.y1
                header.draw(pen, top)
                details.draw(pen, top - header.height - gap / 2)
                qr.draw(pen, top)
                if rules:
                    rules.draw(pen, top - qr.height - gap / 2)
                contact.draw(pen, self.y0 + contact.height)
        else:
            header = self.header(self.width - self.qr - gap)
            details = self.details(self.x0, self.width)
            rules = self.rules(self.x0, self.width)
            top_h = max(header.height, qr.height)
            need = top_h + gap / 2 + details.height + (gap + rules.height if rules else 0) + gap + contact.height

            def draw(pen: Pen) -> None:
                top = self.y1
                header.draw(pen, top)
                qr.draw(pen, top)
                top -= top_h + gap / 2
                details.draw(pen, top)
                top -= details.height + gap
                if rules:
                    rules.draw(pen, top)
                contact.draw(pen, self.y0 + contact.height)

        return need, draw


def _fitted(doc: SlipDoc, box: Box) -> _SlipLayout:
    scale = 1.0
    while True:
        lay = _SlipLayout(doc, box, scale)
        need, _draw = lay.plan()
        if need <= lay.height or scale <= MIN_SCALE:
            return lay
        scale = round(scale - 0.05, 2)


def slip_boxes(layout: str) -> tuple[tuple[float, float], list[Box]]:
    """The page size and the box of each slip on a page, top first."""
    if layout == "A5":
        return A5, [(0.0, 0.0, A5[0], A5[1])]
    w, h = A4
    return A4, [(0.0, h / 2, w, h), (0.0, 0.0, w, h / 2)]


def _cut_line(pen: Pen) -> None:
    w, h = A4
    y = h / 2
    label = "切り取り線"
    size = 6.5
    lw = text_width(label, size) + 4 * mm
    mid = w / 2
    pen.line(5 * mm, y, mid - lw / 2, y, role="cut", color=RULE_GREY, width=0.5, dash=(3, 2))
    pen.line(mid + lw / 2, y, w - 5 * mm, y, role="cut", color=RULE_GREY, width=0.5, dash=(3, 2))
    pen.text(mid, y - size * 0.35, label, size, role="cut_label", align="center", color=GREY)


def render_slips(docs: Sequence[SlipDoc], out: Path | str | BinaryIO, *, layout: str = "A5",
                 record: list[Drawn] | None = None) -> int:
    """Write the slips as a PDF (IPAexGothic embedded); return the number of pages.

    Args:
        docs: the slips, in print order.
        out: a file path or a binary file object.
        layout: ``'A5'`` (one portrait slip per page) or ``'A4'`` (two per sheet, top and bottom, cut line).
        record: if given, every text run, rule, box and QR code drawn is appended as a :class:`Drawn`.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"unknown slip layout {layout!r}; expected one of {LAYOUTS}")
    if not docs:
        raise ValueError("no slips to render")
    register_reportlab_fonts()
    pagesize, boxes = slip_boxes(layout)
    c = open_canvas(out, pagesize, title="施設利用票", author=docs[0].issuer.centre_name)
    pen = Pen(c, pagesize, record)
    per_page = len(boxes)
    pages = 0
    for start in range(0, len(docs), per_page):
        if pages:
            pen.next_page()
        pages += 1
        chunk = docs[start:start + per_page]
        for doc, box in zip(chunk, boxes, strict=False):
            _need, draw = _fitted(doc, box).plan()
            draw(pen)
        if per_page > 1:
            _cut_line(pen)
    c.showPage()
    c.save()
    return pages
