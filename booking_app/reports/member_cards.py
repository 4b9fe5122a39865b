"""Member cards (登録団体証): business-card-size cards, ten to an A4 sheet, each with a QR code.

The sheet matches the common 10面 business-card paper (91 × 55 mm, 2 columns × 5 rows, 14 mm side and
11 mm top/bottom margins), so the centre can print on perforated card stock or on plain paper and cut
along the thin borders and the crop marks in the margins.

The QR code holds ``CARD_PREFIX + reg_no`` (``FKG:0012``): a USB scanner types it into the app, which
opens the group (see ``booking_app.ui.scanner``). The report never queries the database: a service
(``booking_app.services.cards.card_data``) gathers :class:`CardData` (plain data, in
``booking_app.domain.documents`` with ``CARD_PREFIX``) and this module lays it out.

Every text run and QR code is placed by :func:`layout_card`, which measures with the embedded font; the
renderer draws exactly those items and can hand them back (``record=``) so tests check that nothing
leaves its card.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import BinaryIO, Literal

from reportlab.lib.colors import Color, HexColor, black, white
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from booking_app.domain import japanese_calendar as jcal
from booking_app.domain import documents
from booking_app.domain.documents import CardData as CardData
from booking_app.fonts import register_reportlab_fonts
from booking_app.reports.layout import FONT, Box, draw_qr, fit_two_lines
from booking_app.reports.layout import fit_size as _fit_size
from booking_app.reports.layout import text_box as _text_box
from booking_app.reports.layout import text_width as _width
from booking_app.reports.layout import truncate as _truncate

CARD_PREFIX = documents.CARD_PREFIX  # what the QR code holds before the registration number ('FKG:')

CARD_W, CARD_H = 91 * mm, 55 * mm
COLUMNS, ROWS = 2, 5
CARDS_PER_SHEET = COLUMNS * ROWS
PAGE_W, PAGE_H = A4
MARGIN_X = (PAGE_W - COLUMNS * CARD_W) / 2  # 14 mm
MARGIN_Y = (PAGE_H - ROWS * CARD_H) / 2  # 11 mm
PAD = 4 * mm  # inside each card: keeps text clear of a slightly off cut
QR_SIZE = 23 * mm
QR_BORDER_MODULES = 2  # plus the card's own white padding: enough quiet zone for desk scanners

ACCENT = HexColor("#00695C")
GREY = HexColor("#555555")
BORDER_GREY = Color(0.6, 0.6, 0.6)

NAME_MAX_PT, NAME_MIN_PT = 14.0, 6.0


@dataclass(frozen=True)
class DrawnItem:
    """One thing drawn on a card, with the box it covers (for layout checks)."""

    page: int  # 1-based
    card: int  # index into the cards passed to render_member_cards
    kind: Literal["text", "qr"]
    role: str  # header, title, kana, name, reg_label, type, reg_no, valid, phone, qr
    text: str  # the text drawn, or the value a QR code holds
    box: Box
    card_box: Box
    font_size: float = 0.0


def validity_text(d: date) -> str:
    """'2027/03/31（令和9年3月31日）': the card gives both calendars, as staff and members read either."""
    return f"{jcal.format_slash(d)}（{jcal.wareki(d)}）"


# --------------------------------------------------------------------------- measuring
# The general helpers (_width, _fit_size, _truncate, line breaking, …) live in reports/layout.py,
# shared with the receipts and slips.


def fit_name(name: str, width: float, *, max_size: float = NAME_MAX_PT,
             min_size: float = NAME_MIN_PT) -> tuple[float, list[str]]:
    """Font size and lines (one or two) for a group name in the given width (see layout.fit_two_lines)."""
    return fit_two_lines(name, width, max_size=max_size, min_size=min_size)


# --------------------------------------------------------------------------- layout


@dataclass(frozen=True)
class _Run:
    kind: Literal["text", "qr"]
    role: str
    text: str
    x: float
    y: float  # baseline for text, bottom for a QR code
    size: float  # font size, or the QR square's side
    color: Color = black


def card_boxes(per_page: int = CARDS_PER_SHEET) -> list[Box]:
    """The card rectangles of one sheet, left to right, top to bottom."""
    boxes = []
    for i in range(per_page):
        row, col = divmod(i, COLUMNS)
        x0 = MARGIN_X + col * CARD_W
        y1 = PAGE_H - MARGIN_Y - row * CARD_H
        boxes.append((x0, y1 - CARD_H, x0 + CARD_W, y1))
    return boxes


def layout_card(card: CardData, origin: tuple[float, float]) -> list[_Run]:
    """Place everything on one card whose bottom-left corner is origin."""
    ox, oy = origin
    left, right = ox + PAD, ox + CARD_W - PAD
    inner = right - left
    top = oy + CARD_H - PAD
    runs: list[_Run] = []

    def text(role: str, s: str, x: float, y: float, size: float, color: Color = black) -> None:
        runs.append(_Run("text", role, s, x, y, size, color))

    # Header: centre name on the left, the card's title on the right, an accent rule below.
    title = "登録団体証"
    title_size = 9.0
    title_w = _width(title, title_size)
    header_base = top - 2.8 * mm
    text("title", title, right - title_w, header_base, title_size, ACCENT)
    centre_room = inner - title_w - 2 * mm
    centre_size = _fit_size(card.centre_name, centre_room, 7.5, 5.0)
    text("header", _truncate(card.centre_name, centre_room, centre_size), left, header_base, centre_size)
    rule_y = header_base - 1.6 * mm

    # Furigana above the name, as on Japanese forms.
    kana_base = rule_y - 3.2 * mm
    if card.kana.strip():
        kana_size = _fit_size(card.kana.strip(), inner, 6.5, 5.0)
        text("kana", _truncate(card.kana.strip(), inner, kana_size), left, kana_base, kana_size, GREY)

    # The name: between the kana and the lower block, one or two lines, the font shrinking to fit.
    name_top = kana_base - 1.2 * mm
    name_bottom = oy + PAD + QR_SIZE + 1.0 * mm
    size, lines = fit_name(card.name, inner)
    ascent, descent = pdfmetrics.getAscentDescent(FONT, size)
    leading = size * 1.15
    block = ascent - descent + leading * (len(lines) - 1)
    first_base = name_top - (name_top - name_bottom - block) / 2 - ascent
    for n, line in enumerate(lines):
        text("name", line, left, first_base - n * leading, size)

    # Lower block: number, type, validity and phone on the left, the QR code on the right.
    qr_x = right - QR_SIZE
    runs.append(_Run("qr", "qr", card.qr_value, qr_x, oy + PAD, QR_SIZE))
    col_right = qr_x - 2 * mm
    col_w = col_right - left

    label_base = oy + PAD + QR_SIZE - 2.0 * mm
    text("reg_label", "登録番号", left, label_base, 6.5, GREY)
    if card.group_type_label:
        type_size = _fit_size(card.group_type_label, col_w / 2, 7.0, 5.0)
        label = _truncate(card.group_type_label, col_w / 2, type_size)
        text("type", label, col_right - _width(label, type_size), label_base, type_size, ACCENT)

    reg_size = _fit_size(card.reg_no, col_w, 22.0, 9.0)
    reg_base = label_base - 1.4 * mm - pdfmetrics.getAscentDescent(FONT, reg_size)[0]
    text("reg_no", _truncate(card.reg_no, col_w, reg_size), left, reg_base, reg_size)

    valid = f"有効期限 {validity_text(card.valid_until)}"
    valid_size = _fit_size(valid, col_w, 8.0, 5.0)
    valid_base = oy + PAD + 5.6 * mm
    text("valid", _truncate(valid, col_w, valid_size), left, valid_base, valid_size)

    if card.centre_phone.strip():
        phone = f"お問い合わせ TEL {card.centre_phone.strip()}"
        phone_size = _fit_size(phone, col_w, 6.5, 5.0)
        text("phone", _truncate(phone, col_w, phone_size), left, oy + PAD + 1.2 * mm, phone_size, GREY)

    runs.append(_Run("text", "_rule", "", left, rule_y, inner, ACCENT))  # drawn as a line, not recorded
    return runs


# --------------------------------------------------------------------------- drawing


def _draw_crop_marks(c: Canvas, per_page: int) -> None:
    """Short marks in the margins on every cut line, so plain paper can be cut with a ruler."""
    rows = (per_page + COLUMNS - 1) // COLUMNS
    grid_top = PAGE_H - MARGIN_Y
    grid_bottom = grid_top - rows * CARD_H
    gap, length = 2 * mm, 6 * mm
    c.setStrokeColor(black)
    c.setLineWidth(0.3)
    for col in range(COLUMNS + 1):
        x = MARGIN_X + col * CARD_W
        c.line(x, grid_top + gap, x, min(grid_top + gap + length, PAGE_H - 1 * mm))
        c.line(x, grid_bottom - gap, x, max(grid_bottom - gap - length, 1 * mm))
    for row in range(rows + 1):
        y = grid_top - row * CARD_H
        c.line(MARGIN_X - gap, y, max(MARGIN_X - gap - length, 1 * mm), y)
        c.line(PAGE_W - MARGIN_X + gap, y, min(PAGE_W - MARGIN_X + gap + length, PAGE_W - 1 * mm), y)


def _draw_qr(c: Canvas, value: str, x: float, y: float, side: float) -> None:
    draw_qr(c, value, x, y, side, border=QR_BORDER_MODULES)


def render_member_cards(cards: list[CardData], out: Path | BinaryIO, *, per_page: int = CARDS_PER_SHEET,
                        record: list[DrawnItem] | None = None) -> int:
    """Write the cards as an A4 PDF (IPAexGothic embedded); return the number of pages.

    Args:
        cards: the cards, in the order they are laid out (left to right, top to bottom).
        out: a file path or a binary file object.
        per_page: cards per sheet, 1–10 (fewer to reprint one card without wasting a sheet).
        record: if given, every text run and QR code drawn is appended as a :class:`DrawnItem`.
    """
    if not cards:
        raise ValueError("no cards to render")
    if not 1 <= per_page <= CARDS_PER_SHEET:
        raise ValueError(f"per_page must be 1..{CARDS_PER_SHEET}, got {per_page}")
    register_reportlab_fonts()
    target = str(out) if isinstance(out, (str, Path)) else out
    # The initial font would otherwise be Helvetica, listed (unembedded) in the PDF for nothing.
    c = Canvas(target, pagesize=A4, invariant=True, initialFontName=FONT, initialFontSize=9)
    c.setTitle("登録団体証")
    c.setCreator("Fukufuku Desk")
    c.setAuthor(cards[0].centre_name)
    c.setSubject("しものせき市民活動センター 登録団体証")
    boxes = card_boxes(per_page)
    pages = 0
    for start in range(0, len(cards), per_page):
        pages += 1
        chunk = cards[start:start + per_page]
        _draw_crop_marks(c, len(chunk))
        for offset, card in enumerate(chunk):
            box = boxes[offset]
            c.setStrokeColor(BORDER_GREY)
            c.setLineWidth(0.3)
            c.rect(box[0], box[1], CARD_W, CARD_H, stroke=1, fill=0)
            for run in layout_card(card, (box[0], box[1])):
                if run.role == "_rule":
                    c.setStrokeColor(run.color)
                    c.setLineWidth(0.6)
                    c.line(run.x, run.y, run.x + run.size, run.y)
                    continue
                if run.kind == "qr":
                    c.setFillColor(white)
                    _draw_qr(c, run.text, run.x, run.y, run.size)
                    drawn = (run.x, run.y, run.x + run.size, run.y + run.size)
                else:
                    c.setFillColor(run.color)
                    c.setFont(FONT, run.size)
                    c.drawString(run.x, run.y, run.text)
                    drawn = _text_box(run.x, run.y, run.text, run.size)
                if record is not None:
                    record.append(DrawnItem(pages, start + offset, run.kind, run.role, run.text, drawn, box,
                                            run.size))
        c.showPage()
    c.save()
    return pages
