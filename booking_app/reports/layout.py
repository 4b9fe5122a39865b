"""Shared layout helpers for the printed documents (帳票): measuring, Japanese line breaking, QR codes,
a pen that records every box it draws, and a simple top-to-bottom flow with page breaks.

Every report measures with the embedded IPAexGothic, so what the layout computes is what the PDF shows;
the :class:`Pen` hands back each drawn box (``record=``) so tests can check nothing leaves the page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.colors import Color, black
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from booking_app.fonts import REPORTLAB_NAMES, register_reportlab_fonts

FONT = REPORTLAB_NAMES["gothic"]
ELLIPSIS = "…"

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in points, PDF coordinates (origin bottom left)

# Japanese line-breaking rules (禁則処理): characters that may not start / end a line.
NO_LINE_START = set("、。，．,.・：；:;？！?!ー～〜)）]］}｝」』】〕〉》’”ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ々ゝゞヽヾ%％")
NO_LINE_END = set("(（[［{｛「『【〔〈《‘“")


# --------------------------------------------------------------------------- measuring


def text_width(text: str, size: float, font: str = FONT) -> float:
    return float(pdfmetrics.stringWidth(text, font, size))


def text_box(x: float, baseline: float, text: str, size: float, font: str = FONT) -> Box:
    ascent, descent = pdfmetrics.getAscentDescent(font, size)
    return (x, baseline + descent, x + text_width(text, size, font), baseline + ascent)


def line_height(size: float, font: str = FONT) -> float:
    """Ascent to descent of one line at this size (no leading)."""
    ascent, descent = pdfmetrics.getAscentDescent(font, size)
    return float(ascent - descent)


def fit_size(text: str, width: float, max_size: float, min_size: float) -> float:
    """The largest size (in 0.25 pt steps) at which text fits the width, or min_size."""
    size = max_size
    while size > min_size and text_width(text, size) > width:
        size -= 0.25
    return max(size, min_size)


def truncate(text: str, width: float, size: float) -> str:
    """Text cut with '…' so that it fits (only for text too long for any readable size)."""
    if text_width(text, size) <= width:
        return text
    while text and text_width(text + ELLIPSIS, size) > width:
        text = text[:-1]
    return text.rstrip() + ELLIPSIS


def script(ch: str) -> str:
    if ch.isspace():
        return "space"
    if ch.isascii():
        return "latin" if ch.isalnum() else "punct"
    if "\u3041" <= ch <= "\u309f":
        return "hiragana"
    if "\u30a0" <= ch <= "\u30ff" or "\uff66" <= ch <= "\uff9f":
        return "katakana"
    if "\u4e00" <= ch <= "\u9fff" or ch in "々〆ヶ":
        return "kanji"
    if "\uff10" <= ch <= "\uff5a":
        return "latin"  # full-width letters and digits
    return "punct"


def break_penalty(text: str, i: int) -> int | None:
    """How bad a line break before text[i] is, or None where 禁則 or a word forbids it.

    0 at a space, 1 next to brackets and 中黒, 2 where the script changes (漢字→かな, a rough word
    boundary), 3 inside kanji or hiragana, 4 inside a katakana word.
    """
    before, after = text[i - 1], text[i]
    if after in NO_LINE_START or before in NO_LINE_END:
        return None
    a, b = script(before), script(after)
    if a == b == "latin":
        return None  # never split 'NPO' or '2026'
    if a == "space" or b == "space":
        return 0
    if before in "・」』）)】〕》" or after in "・「『（(【〔《":
        return 1
    if a != b:
        return 2
    return 4 if a == "katakana" else 3


def _wrap_penalty(text: str, i: int) -> int | None:
    """break_penalty, and also never inside '¥12,345', '13:00' or '083-000-0000'."""
    before, after = text[i - 1], text[i]
    if before in "¥￥" or (after.isdigit() and before in ",.:-/") or (before.isdigit() and after in ",.:-/"):
        return None
    return break_penalty(text, i)


def wrap(text: str, width: float, size: float, *, max_lines: int | None = None) -> list[str]:
    """Break text into lines that fit the width, Japanese style (禁則), cutting with '…' past max_lines.

    Greedy: each line takes as much as fits and breaks at the best allowed place in its last third;
    a run with no allowed break (a long number) is cut where it must be.
    """
    lines: list[str] = []
    for para in text.split("\n"):
        rest = " ".join(para.split()) if para.strip() else ""
        if not rest:
            lines.append("")
            continue
        while rest:
            if text_width(rest, size) <= width:
                lines.append(rest)
                break
            fit = 1
            while fit < len(rest) and text_width(rest[:fit + 1], size) <= width:
                fit += 1
            best, best_pen = fit, 99
            for i in range(fit, max(1, fit * 2 // 3) - 1, -1):
                if i >= len(rest):
                    continue
                pen = _wrap_penalty(rest, i)
                if pen is not None and pen < best_pen:
                    best, best_pen = i, pen
                    if pen <= 1:
                        break
            lines.append(rest[:best].rstrip())
            rest = rest[best:].lstrip()
    if max_lines is not None and len(lines) > max_lines:
        kept = lines[:max_lines]
        kept[-1] = truncate(kept[-1] + "".join(lines[max_lines:]), width, size)
        return kept
    return lines


def two_lines(text: str, width: float, size: float) -> tuple[int, float, list[str]] | None:
    """The best break of text into two lines that fit at this size: (penalty, widest line, lines)."""
    best: tuple[int, float, list[str]] | None = None
    for i in range(1, len(text)):
        penalty = break_penalty(text, i)
        if penalty is None:
            continue
        first, second = text[:i].rstrip(), text[i:].lstrip()
        if not first or not second:
            continue
        widest = max(text_width(first, size), text_width(second, size))
        if widest > width:
            continue
        if best is None or (penalty, widest) < best[:2]:
            best = (penalty, widest, [first, second])
    return best


# A better line break is worth a font this much smaller than the largest that fits at all.
_SIZE_TOLERANCE = 0.85


def fit_two_lines(name: str, width: float, *, max_size: float,
                  min_size: float) -> tuple[float, list[str]]:
    """Font size and lines (one or two) for a group name in the given width.

    The font shrinks until the name fits on one line or on two. Among sizes down to 85 % of the
    largest that fits, the nicest break wins (one line, then a space, brackets, a change of script),
    so 「…ネットワーク」 is not split inside the katakana word just to stay a point larger. Only a
    name too long even at ``min_size`` on two lines is cut with '…'.
    """
    name = " ".join(name.split())
    found: list[tuple[int, float, list[str]]] = []  # (penalty, size, lines)
    largest: float | None = None
    size = max_size
    while size >= min_size and (largest is None or size >= largest * _SIZE_TOLERANCE):
        if text_width(name, size) <= width:
            found.append((-1, size, [name]))
            break  # nothing smaller can beat one line
        two = two_lines(name, width, size)
        if two:
            largest = largest or size
            found.append((two[0], size, two[2]))
            if two[0] == 0:
                break
        size -= 0.25
    if found:
        _penalty, size, lines = min(found, key=lambda f: (f[0], -f[1]))
        return size, lines
    size = min_size
    # Fill the first line as far as it goes; the second gets the rest, cut.
    cut = len(name)
    while cut > 1 and text_width(name[:cut], size) > width:
        cut -= 1
    first, rest = name[:cut].rstrip(), name[cut:].lstrip()
    return size, [first, truncate(rest, width, size)] if rest else [first]


# --------------------------------------------------------------------------- drawing


def draw_qr(c: Canvas, value: str, x: float, y: float, side: float, *, border: int = 2,
            level: str = "M") -> None:
    widget = QrCodeWidget(value, barLevel=level, barBorder=border)
    widget.barWidth = widget.barHeight = side
    drawing = Drawing(side, side)
    # The graphics renderer would otherwise select Helvetica and list it, unembedded, in the PDF.
    drawing.initialFontName = FONT
    drawing.add(widget)
    renderPDF.draw(drawing, c, x, y)


@dataclass(frozen=True)
class Drawn:
    """One thing drawn on a page, with the box it covers (for layout checks)."""

    page: int  # 1-based
    kind: str  # text | rect | line | qr
    role: str
    text: str
    box: Box
    page_size: tuple[float, float]
    font_size: float = 0.0


def open_canvas(out: Path | str | BinaryIO, pagesize: tuple[float, float], *, title: str,
                author: str = "") -> Canvas:
    """A canvas with IPAexGothic as its initial font (else Helvetica is listed, unembedded, in the PDF)."""
    register_reportlab_fonts()
    target = str(out) if isinstance(out, (str, Path)) else out
    c = Canvas(target, pagesize=pagesize, invariant=True, initialFontName=FONT, initialFontSize=9,
               pageCompression=1)
    c.setTitle(title)
    c.setCreator("Fukufuku Desk")
    c.setAuthor(author)
    return c


class Pen:
    """Draws on a canvas and records every box it draws."""

    def __init__(self, canvas: Canvas, pagesize: tuple[float, float], record: list[Drawn] | None = None):
        self.c = canvas
        self.page = 1
        self.size = pagesize
        self.record = record

    def _note(self, kind: str, role: str, text: str, box: Box, font_size: float = 0.0) -> None:
        if self.record is not None:
            self.record.append(Drawn(self.page, kind, role, text, box, self.size, font_size))

    def next_page(self, pagesize: tuple[float, float] | None = None) -> None:
        self.c.showPage()
        self.page += 1
        if pagesize is not None:
            self.size = pagesize
        self.c.setPageSize(self.size)

    def text(self, x: float, baseline: float, s: str, size: float, *, role: str = "text", align: str = "left",
             color: Color = black, char_space: float = 0.0) -> Box:
        """Draw one line; x is the left, right or centre point as align says. Returns its box."""
        w = text_width(s, size) + char_space * max(len(s) - 1, 0)
        if align == "right":
            x -= w
        elif align == "center":
            x -= w / 2
        self.c.setFillColor(color)
        if char_space:
            # Tc (character spacing) is text state that outlives the text object: put it back after.
            t = self.c.beginText(x, baseline)
            t.setFont(FONT, size)
            t.setCharSpace(char_space)
            t.textOut(s)
            t.setCharSpace(0)
            self.c.drawText(t)
        else:
            self.c.setFont(FONT, size)
            self.c.drawString(x, baseline, s)
        ascent, descent = pdfmetrics.getAscentDescent(FONT, size)
        box = (x, baseline + descent, x + w, baseline + ascent)
        self._note("text", role, s, box, size)
        return box

    def rect(self, x: float, y: float, w: float, h: float, *, role: str = "rect", stroke: Color | None = black,
             fill: Color | None = None, width: float = 0.5, dash: Sequence[float] | None = None) -> None:
        self.c.saveState()
        if stroke is not None:
            self.c.setStrokeColor(stroke)
        if fill is not None:
            self.c.setFillColor(fill)
        self.c.setLineWidth(width)
        if dash:
            self.c.setDash(list(dash))
        self.c.rect(x, y, w, h, stroke=1 if stroke is not None else 0, fill=1 if fill is not None else 0)
        self.c.restoreState()
        half = width / 2 if stroke is not None else 0
        self._note("rect", role, "", (x - half, y - half, x + w + half, y + h + half))

    def line(self, x0: float, y0: float, x1: float, y1: float, *, role: str = "line", color: Color = black,
             width: float = 0.5, dash: Sequence[float] | None = None) -> None:
        self.c.saveState()
        self.c.setStrokeColor(color)
        self.c.setLineWidth(width)
        if dash:
            self.c.setDash(list(dash))
        self.c.line(x0, y0, x1, y1)
        self.c.restoreState()
        half = width / 2
        self._note("line", role, "", (min(x0, x1) - half, min(y0, y1) - half, max(x0, x1) + half,
                                      max(y0, y1) + half))

    def qr(self, value: str, x: float, y: float, side: float, *, role: str = "qr", border: int = 2) -> None:
        draw_qr(self.c, value, x, y, side, border=border)
        self._note("qr", role, value, (x, y, x + side, y + side))


# --------------------------------------------------------------------------- flow


@dataclass(frozen=True)
class Block:
    """A horizontal band of a document: its height, and how to draw it with its top at y.

    ``keep_with_next``: never the last thing on a page (a heading, a table's heading row): when it and
    the block after it do not both fit, the page breaks before it.
    ``repeat``: drawn first on a new page when a page break falls just before this block (a table row
    carries its table's heading row, so a table that runs on repeats its heading).
    """

    height: float
    draw: Callable[[Pen, float], None]  # (pen, y_top)
    keep_with_next: bool = False
    repeat: Block | None = None


def paginate(blocks: Sequence[Block], first: float, rest: float) -> list[list[Block]]:
    """Blocks split into pages: ``first`` points of room on page one, ``rest`` on the others.

    A run of ``keep_with_next`` blocks moves to the next page together with the block that follows it
    (so no heading is stranded at a page's foot); a block that starts a new page is preceded by its
    ``repeat`` block (a table's heading row). A block taller than a whole page still gets a page of its
    own (callers keep blocks small).
    """
    pages: list[list[Block]] = [[]]
    room = first
    placed = False  # the page holds something besides a repeated heading
    for i, b in enumerate(blocks):
        j = i
        while j < len(blocks) - 1 and blocks[j].keep_with_next:
            j += 1
        need = sum(x.height for x in blocks[i:j + 1])
        if need > room and placed:
            pages.append([])
            room = rest
            placed = False
            if b.repeat is not None:
                pages[-1].append(b.repeat)
                room -= b.repeat.height
        pages[-1].append(b)
        room -= b.height
        placed = True
    return pages


def spacer(height: float) -> Block:
    return Block(height, lambda pen, top: None)


def flow_height(blocks: Sequence[Block]) -> float:
    return sum(b.height for b in blocks)


# --------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class Column:
    """A table column: its heading, width (points), alignment and how many lines a cell may wrap to."""

    heading: str
    width: float
    align: str = "left"
    max_lines: int = 2


def table_row(cols: Sequence[Column], cells: Sequence[str], left: float, size: float, *, head: bool, role: str,
              pad: float, head_fill: Color, rule: Color, leading: float = 1.3, fill: Color | None = None,
              lines_override: int | None = None) -> Block:
    """A table row as a block: every cell wrapped in its column (cut with '…' past the column's line limit),
    a heading row filled with ``head_fill`` (a body row with ``fill`` when given), a rule under the row
    (black under a heading, ``rule`` under a body row)."""
    wrapped = [wrap(c, col.width - 2 * pad, size, max_lines=lines_override or col.max_lines) if c else [""]
               for col, c in zip(cols, cells, strict=True)]
    pitch = size * leading
    height = max(len(w) for w in wrapped) * pitch + 2 * pad
    total_w = sum(c.width for c in cols)

    def draw(pen: Pen, top: float) -> None:
        if head or fill is not None:
            pen.rect(left, top - height, total_w, height, role=f"{role}_fill", stroke=None,
                     fill=fill if fill is not None and not head else head_fill)
        x = left
        first = top - pad - (pitch - line_height(size)) / 2 - size * 0.88
        for col, lines in zip(cols, wrapped, strict=True):
            align = "center" if head else col.align
            ax = {"left": x + pad, "right": x + col.width - pad, "center": x + col.width / 2}[align]
            for k, text in enumerate(lines):
                if text:
                    pen.text(ax, first - k * pitch, text, size, role=role, align=align)
            x += col.width
        pen.line(left, top - height, left + total_w, top - height, role="table_rule",
                 color=black if head else rule, width=0.7 if head else 0.3)

    return Block(height, draw)
