"""キー操作一覧 (the key sheet) as an A4 page to pin beside the counter PC.

The rows come from the desk's own actions (``ui.key_sheet`` gathers them), so the paper never lists a
key the program does not have. Plain data in: (section, key, what it does).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from reportlab.lib.colors import Color
from reportlab.lib.pagesizes import A4

from booking_app.reports.layout import Block, Drawn, Pen, open_canvas, paginate, truncate

MARGIN = 42.0
TITLE_SIZE = 16.0
HEAD_SIZE = 11.5
ROW_SIZE = 10.0
ROW_H = 16.0
KEY_W = 130.0
SHADE = Color(0.93, 0.95, 0.98)


def write_key_sheet(out: Path | str | BinaryIO, rows: Sequence[tuple[str, str, str]], *, centre: str = "",
                    record: list[Drawn] | None = None) -> None:
    """Write the sheet: a title, then per section a heading and (key, what it does) rows, in the given order."""
    width, height = A4
    inner = width - 2 * MARGIN

    def heading(section: str) -> Block:
        def draw(pen: Pen, top: float) -> None:
            pen.rect(MARGIN, top - 20, inner, 18, role="section", stroke=None, fill=SHADE)
            pen.text(MARGIN + 6, top - 15, section, HEAD_SIZE, role="section")
        return Block(24, draw, keep_with_next=True)

    def row(key: str, text: str) -> Block:
        def draw(pen: Pen, top: float) -> None:
            base = top - ROW_H + 4
            pen.text(MARGIN + 10, base, truncate(key, KEY_W - 14, ROW_SIZE), ROW_SIZE, role="key")
            pen.text(MARGIN + KEY_W, base, truncate(text, inner - KEY_W, ROW_SIZE), ROW_SIZE, role="action")
            pen.line(MARGIN, top - ROW_H, MARGIN + inner, top - ROW_H, color=Color(0.85, 0.85, 0.85), width=0.3)
        return Block(ROW_H, draw)

    blocks: list[Block] = []
    last_section = None
    for section, key, text in rows:
        if section != last_section:
            blocks.append(heading(section))
            last_section = section
        blocks.append(row(key, text))

    title_h = 46.0
    body = height - 2 * MARGIN
    pages = paginate(blocks, body - title_h, body)
    c = open_canvas(out, A4, title="キー操作一覧", author=centre)
    pen = Pen(c, A4, record)
    for n, page in enumerate(pages):
        if n:
            pen.next_page()
        top = height - MARGIN
        if n == 0:
            pen.text(MARGIN, top - TITLE_SIZE, "キー操作一覧（ふくふくデスク）", TITLE_SIZE, role="title")
            if centre:
                pen.text(MARGIN + inner, top - TITLE_SIZE, centre, 9, role="centre", align="right")
            top -= title_h
        for b in page:
            b.draw(pen, top)
            top -= b.height
        pen.text(MARGIN + inner, MARGIN - 18, f"{n + 1}／{len(pages)}", 8, role="page", align="right")
    c.save()
