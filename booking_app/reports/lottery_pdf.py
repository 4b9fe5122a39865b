"""The lottery's papers (抽選, issue 18) as PDF, from the plain data of ``domain.documents``.

* ``write_entry_receipt``: the 受付控 of one entry (A5 portrait), handed over at the counter or posted after
  a call: 受付番号, the group, the wishes (第1〜第3希望, a set of 区分 needed together marked as such), the
  month's dates (entry window, draw, 確定の期限, first-come) and how the draw works.
* ``write_entry_list``: the month's entries for the counter (A4 landscape), the heading row on every page,
  「n／m」 at the foot.
* ``write_result_sheet``: one group per page (A4 portrait; a group with very many entries runs on to a page
  of its own that repeats its name): each entry 当選 with its slots, the 仮予約 number and the day to confirm
  by, or 落選 with the reason; the seed, the digest, the group's place in the draw order and how to check.
* ``write_public_list``: by 受付番号 only, never a group's name (A4 portrait, large type in columns, for the
  notice board and the web), with the seed and the date of the draw.

Dates carry 和暦 beside 西暦, as on the other forms; no yen appears on these papers. Each writer returns the
number of pages and, given ``record=``, appends every box it draws (tests check nothing leaves the page).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO

from reportlab.lib.colors import Color, HexColor, black
from reportlab.lib.pagesizes import A4, A5, landscape
from reportlab.lib.units import mm

from booking_app.domain import japanese_calendar as jcal
from booking_app.fonts import register_reportlab_fonts
from booking_app.domain.documents import (
    LotteryEntryDoc,
    LotteryEntryListDoc,
    LotteryEntryListRow,
    LotteryPublicListDoc,
    LotteryPublicRow,
    LotteryResultDoc,
    LotteryResultLine,
    LotteryWishLine,
)
from booking_app.reports.layout import (
    Block,
    Column as _Col,
    Drawn,
    Pen,
    fit_size,
    fit_two_lines,
    flow_height,
    line_height,
    open_canvas,
    paginate,
    spacer,
    table_row,
    text_width,
    wrap,
)

ACCENT = HexColor("#00695C")
WON = HexColor("#1B5E20")
LOST = HexColor("#555555")
GREY = HexColor("#555555")
RULE_GREY = HexColor("#AAAAAA")
LIGHT = HexColor("#F1F1F1")
WON_FILL = HexColor("#E8F5E9")

Out = Path | str | BinaryIO


# --------------------------------------------------------------------------- words and dates


def date_both(d: date) -> str:
    """'2027年1月20日(水)（令和9年1月20日）'."""
    return f"{jcal.format_western(d)}({jcal.weekday_ja(d)})（{jcal.wareki(d)}）"


def month_both(m: date) -> str:
    """'2027年3月（令和9年3月）'."""
    return f"{m.year}年{m.month}月（{jcal.wareki_year(m)}{m.month}月）"


def datetime_text(t: datetime) -> str:
    """'2026年12月3日(木) 14:05'."""
    return f"{jcal.format_western(t.date())}({jcal.weekday_ja(t.date())}) {jcal.format_time(t.time())}"


def window_text(first: date, last: date) -> str:
    """'2026年12月1日(火)〜12月10日(木)（令和8年12月1日〜12月10日）'."""
    same_year = first.year == last.year
    west_last = f"{last.month}月{last.day}日" if same_year else jcal.format_western(last)
    jp_last = f"{last.month}月{last.day}日" if jcal.wareki_year(first) == jcal.wareki_year(last) else jcal.wareki(last)
    return (f"{jcal.format_western(first)}({jcal.weekday_ja(first)})〜{west_last}({jcal.weekday_ja(last)})"
            f"（{jcal.wareki(first)}〜{jp_last}）")


def rank_text(rank: int) -> str:
    return f"第{rank}希望"


def wish_text(w: LotteryWishLine, *, together: bool = True) -> str:
    """'第1希望 大会議室 3/5(金) 夜間＋大会議室 3/6(土) 夜間（2区分そろって）' (the last part only with
    ``together``: the entry list says once, in its heading, what ＋ means)."""
    body = "＋".join(w.slot_texts) if w.slot_texts else "—"
    extra = f"（{len(w.slot_texts)}区分そろって）" if together and len(w.slot_texts) > 1 else ""
    return f"{rank_text(w.rank)} {body}{extra}"


def public_result_text(row: LotteryPublicRow) -> str:
    """'当選（第1希望）' or '落選'."""
    return f"当選（{rank_text(row.won_rank)}）" if row.won_rank is not None else "落選"


def confirm_sentence(confirm_by: date) -> str:
    return f"{date_both(confirm_by)} までに確定の手続きをしてください（期限を過ぎると仮予約は取り消されます）。"


# --------------------------------------------------------------------------- shared pieces


@dataclass(frozen=True)
class _Text:
    text: str
    size: float
    color: Color = black
    role: str = "text"
    align: str = "left"


def _lines(texts: Sequence[_Text], left: float, width: float, *, leading: float = 1.4, pad_top: float = 0.0,
           pad_bottom: float = 0.0, keep_with_next: bool = False) -> Block:
    """Lines of text as one block (each _Text is one line, already fitted)."""
    pitches = [t.size * leading for t in texts]

    def draw(pen: Pen, top: float) -> None:
        y = top - pad_top
        for t, h in zip(texts, pitches, strict=True):
            baseline = y - (h - line_height(t.size)) / 2 - t.size * 0.88
            x = {"left": left, "right": left + width, "center": left + width / 2}[t.align]
            pen.text(x, baseline, t.text, t.size, role=t.role, align=t.align, color=t.color)
            y -= h

    return Block(pad_top + sum(pitches) + pad_bottom, draw, keep_with_next=keep_with_next)


def _para(text: str, size: float, left: float, width: float, *, role: str, color: Color = black,
          align: str = "left", leading: float = 1.4, pad_top: float = 0.0, pad_bottom: float = 0.0,
          keep_with_next: bool = False) -> Block:
    """A wrapped paragraph (禁則) as one block."""
    texts = [_Text(s, size, color, role, align) for s in wrap(text, width, size)]
    return _lines(texts, left, width, leading=leading, pad_top=pad_top, pad_bottom=pad_bottom,
                  keep_with_next=keep_with_next)


def _kv_row(label: str, value: str, left: float, width: float, label_w: float, label_size: float,
            value_size: float, *, role: str, pad: float, color: Color = black) -> Block:
    """A row of a details table: a grey label, the value wrapped beside it, a hairline below."""
    lines = wrap(value, width - label_w - pad, value_size) or [""]
    pitch = value_size * 1.35
    height = len(lines) * pitch + 2 * pad

    def draw(pen: Pen, top: float) -> None:
        first = top - pad - (pitch - line_height(value_size)) / 2 - value_size * 0.88
        pen.text(left + pad, first, label, label_size, role="label", color=GREY)
        for k, s in enumerate(lines):
            pen.text(left + label_w, first - k * pitch, s, value_size, role=role, color=color)
        pen.line(left, top - height, left + width, top - height, role="row_rule", color=RULE_GREY, width=0.3)

    return Block(height, draw)


def _rule(left: float, width: float, *, color: Color = ACCENT, weight: float = 0.8, gap: float = 2.0) -> Block:
    def draw(pen: Pen, top: float) -> None:
        pen.line(left, top - weight / 2, left + width, top - weight / 2, role="rule", color=color, width=weight)

    return Block(weight + gap, draw)


def _boxed(blocks: Sequence[Block], left: float, width: float, *, pad: float, role: str,
           fill: Color | None = LIGHT, stroke: Color | None = RULE_GREY) -> Block:
    """Blocks drawn inside a box (the blocks must already be laid out for left + pad, width − 2 pad)."""
    inner = flow_height(blocks)
    height = inner + 2 * pad

    def draw(pen: Pen, top: float) -> None:
        pen.rect(left, top - height, width, height, role=role, stroke=stroke, fill=fill, width=0.5)
        y = top - pad
        for b in blocks:
            b.draw(pen, y)
            y -= b.height

    return Block(height, draw)


def _table_row(cols: Sequence[_Col], cells: Sequence[str], left: float, size: float, *, head: bool,
               role: str, pad: float) -> Block:
    """A row of the entry list (layout.table_row in this paper's greys and leading)."""
    return table_row(cols, cells, left, size, head=head, role=role, pad=pad, head_fill=LIGHT, rule=RULE_GREY,
                     leading=1.25)


def _render(pages: Sequence[Sequence[Block]], out: Out, size: tuple[float, float], margin: float, *, title: str,
            author: str, header: Callable[[int], Sequence[Block]], footer: Callable[[Pen, int], None],
            record: list[Drawn] | None) -> int:
    """Draw pages of blocks: ``header(n)`` at the top of page n (before its blocks), ``footer(pen, n)``."""
    c = open_canvas(out, size, title=title, author=author)
    pen = Pen(c, size, record)
    for n, page_blocks in enumerate(pages, start=1):
        if n > 1:
            pen.next_page()
        top = size[1] - margin
        for b in (*header(n), *page_blocks):
            b.draw(pen, top)
            top -= b.height
        footer(pen, n)
    c.showPage()
    c.save()
    return len(pages)


def _page_no(pen: Pen, size: tuple[float, float], margin: float, text: str, *, left_text: str = "") -> None:
    """The foot of a page, inside the margin: 「n／m」 in the middle, an optional note on the left."""
    fs = 8.5
    baseline = margin + fs * 0.3
    pen.text(size[0] / 2, baseline, text, fs, role="page_no", align="center", color=GREY)
    if left_text:
        room = size[0] / 2 - margin - text_width(text, fs) / 2 - 4 * mm
        fs_left = fit_size(left_text, room, 7.5, 5.5)
        pen.text(margin, baseline, left_text, fs_left, role="foot_note", color=GREY)


FOOT_H = 9 * mm  # room kept for the page foot above the bottom margin


# --------------------------------------------------------------------------- 受付控 (A5)

RECEIPT_SIZE = A5
RECEIPT_MARGIN = 10 * mm
_MIN_SCALE = 0.7


class _ReceiptLayout:
    def __init__(self, doc: LotteryEntryDoc, scale: float):
        self.doc, self.s = doc, scale
        self.left = RECEIPT_MARGIN
        self.width = RECEIPT_SIZE[0] - 2 * RECEIPT_MARGIN

    def pt(self, v: float) -> float:
        return v * self.s

    def blocks(self) -> list[Block]:
        doc, L, W = self.doc, self.left, self.width
        out: list[Block] = [
            _lines([_Text(doc.centre_name, self.pt(8.5), GREY, "centre"),
                    _Text("抽選申込　受付控", self.pt(19), ACCENT, "title"),
                    _Text(f"{month_both(doc.month)} 利用分", self.pt(11), black, "month")], L, W),
            spacer(self.pt(3)),
            self.entry_no_box(),
            spacer(self.pt(3)),
            _rule(L, W),
        ]
        label_w, ls, vs, pad = self.pt(24 * mm), self.pt(8.5), self.pt(10), self.pt(1.6)
        group = doc.group_name + (f"（登録番号 {doc.group_reg_no}）" if doc.group_reg_no else "")
        for label, value in (("団体名", group), ("受付方法", doc.channel or "—"),
                             ("受付日時", datetime_text(doc.taken_at)), ("受付者", doc.staff_name or "—")):
            out.append(_kv_row(label, value, L, W, label_w, ls, vs, role=f"value:{label}", pad=pad))
        out += [spacer(self.pt(4)),
                _para("ご希望（第1希望から順に、空いている最も上位の希望が当選します）", self.pt(9), L, W,
                      role="section", color=ACCENT, keep_with_next=True),
                _rule(L, W)]
        for w in sorted(doc.wishes, key=lambda w: w.rank):
            slots = "\n".join(w.slot_texts) or "—"
            if len(w.slot_texts) > 1:
                slots += f"\n（この{len(w.slot_texts)}区分はそろって当選・一部だけの当選はありません）"
            out.append(_kv_row(rank_text(w.rank), slots, L, W, label_w, ls, vs, role="wish", pad=pad))
        out += [spacer(self.pt(4)),
                _para("今月の日程", self.pt(9), L, W, role="section", color=ACCENT, keep_with_next=True),
                _rule(L, W)]
        ds = self.pt(9)
        for label, value in (("申込期間", window_text(doc.entry_open, doc.entry_close)),
                             ("抽選日", date_both(doc.draw_on)),
                             ("確定の期限", f"当選の場合は {date_both(doc.confirm_by)} までに確定の手続きを"
                                            "してください。"),
                             ("先着受付", f"{date_both(doc.first_come_from)} から、空いている区分を先着順で"
                                          "受け付けます。")):
            out.append(_kv_row(label, value, L, W, label_w, ls, ds, role=f"value:{label}", pad=pad))
        pad_box = self.pt(2.5)
        rule = _para(doc.draw_rule, self.pt(7.5), L + pad_box, W - 2 * pad_box, role="draw_rule", color=GREY,
                     leading=1.35)
        out += [spacer(self.pt(4)), _boxed([rule], L, W, pad=pad_box, role="rule_box")]
        return out

    def entry_no_box(self) -> Block:
        size, label_size = self.pt(18), self.pt(9)
        pad = self.pt(3)
        height = line_height(size) + 2 * pad
        label = "受付番号"

        def draw(pen: Pen, top: float) -> None:
            y0 = top - height
            pen.rect(self.left, y0, self.width, height, role="entry_no_box", width=1.0, stroke=ACCENT,
                     fill=LIGHT)
            base = y0 + pad + line_height(size) * 0.22
            pen.text(self.left + pad * 2, base, label, label_size, role="entry_no_label", color=GREY)
            pen.text(self.left + pad * 3 + text_width(label, label_size), base, self.doc.entry_no, size,
                     role="entry_no")
            pen.text(self.left + self.width - pad * 2, base, "この控えは結果の確認まで保管してください", self.pt(7),
                     role="keep_note", align="right", color=GREY)

        return Block(height, draw)

    def contact(self) -> Block:
        d = self.doc
        text = f"お問い合わせ：{d.centre_name}" + (f"　TEL {d.centre_phone}" if d.centre_phone else "")
        size = fit_size(text, self.width, self.pt(8), self.pt(6))
        block = _lines([_Text(text, size, black, "contact")], self.left, self.width, pad_top=self.pt(2))

        def draw(pen: Pen, top: float) -> None:
            pen.line(self.left, top, self.left + self.width, top, role="contact_rule", color=RULE_GREY, width=0.4)
            block.draw(pen, top)

        return Block(block.height, draw)


def write_entry_receipt(out: Out, doc: LotteryEntryDoc, *, record: list[Drawn] | None = None) -> int:
    """Write the 受付控 of one lottery entry as an A5 portrait PDF; return the number of pages (1, or more
    only for an entry too long to fit even with smaller type)."""
    register_reportlab_fonts()
    room = RECEIPT_SIZE[1] - 2 * RECEIPT_MARGIN
    scale = 1.0
    while True:
        lay = _ReceiptLayout(doc, scale)
        blocks, contact = lay.blocks(), lay.contact()
        if flow_height(blocks) + contact.height + 4 * mm <= room or scale <= _MIN_SCALE:
            break
        scale = round(scale - 0.05, 2)
    body = room - contact.height - 4 * mm
    # A page after the first says whose 受付控 it is.
    more = _para(f"抽選申込 受付控（続き）　受付番号 {doc.entry_no}　{doc.group_name}", lay.pt(9), lay.left, lay.width,
                 role="title_more", color=ACCENT, pad_bottom=2 * mm)
    pages = paginate(blocks, body, body - more.height)
    total = len(pages)

    def footer(pen: Pen, n: int) -> None:
        contact.draw(pen, RECEIPT_MARGIN + contact.height)
        if total > 1:
            pen.text(RECEIPT_MARGIN + lay.width, RECEIPT_MARGIN + contact.height + 1.5 * mm, f"{n}／{total}", 7.5,
                     role="page_no", align="right", color=GREY)

    return _render(pages, out, RECEIPT_SIZE, RECEIPT_MARGIN, title=f"抽選申込 受付控 {doc.entry_no}",
                   author=doc.centre_name, header=lambda n: [more] if n > 1 else [], footer=footer, record=record)


# --------------------------------------------------------------------------- the entry list (A4 landscape)

LIST_SIZE = landscape(A4)
LIST_MARGIN = 12 * mm
_LIST_W = LIST_SIZE[0] - 2 * LIST_MARGIN


def _list_columns() -> list[_Col]:
    cols = [_Col("受付番号", 16 * mm, "center", 1), _Col("団体名（登録番号）", 54 * mm, "left", 3),
            _Col("受付", 21 * mm, "left", 2), _Col("状態", 23 * mm, "center", 2)]
    wishes = _Col("希望（第1〜第3希望、＋でつないだ区分はそろって当選）", _LIST_W - sum(c.width for c in cols), "left", 9)
    return [*cols[:3], wishes, cols[3]]


def list_cells(row: LotteryEntryListRow) -> list[str]:
    group = row.group_name + (f"（{row.group_reg_no}）" if row.group_reg_no else "")
    taken = " ".join(s for s in (row.channel, row.taken_at.strftime("%m/%d %H:%M") if row.taken_at else "") if s)
    wishes = "\n".join(wish_text(w, together=False) for w in sorted(row.wishes, key=lambda w: w.rank)) or "—"
    return [row.entry_no, group, taken, wishes, row.status_label]


def write_entry_list(out: Out, doc: LotteryEntryListDoc, *, record: list[Drawn] | None = None) -> int:
    """Write the month's entry list (抽選申込一覧) as an A4 landscape PDF; return the number of pages.

    Every page has the title, the table's heading row and 「n／m」 at the foot.
    """
    register_reportlab_fonts()
    cols = _list_columns()
    size, pad = 7.5, 0.9 * mm
    head = _table_row(cols, [c.heading for c in cols], LIST_MARGIN, size, head=True, role="table_head", pad=pad)
    title = f"抽選申込一覧　{month_both(doc.month)} 利用分"
    withdrawn = sum(1 for r in doc.rows if r.status_label.startswith("取下"))
    summary = (f"申込期間 {window_text(doc.entry_open, doc.entry_close)}　抽選日 {date_both(doc.draw_on)}　"
               f"{len(doc.rows)}件" + (f"（うち取下げ {withdrawn}件）" if withdrawn else "")
               + f"　{jcal.format_slash(doc.printed_at.date())} {jcal.format_time(doc.printed_at.time())} 現在")

    def title_block(n: int) -> Block:
        text = title if n == 1 else f"{title}（続き）"
        return _lines([_Text(text, 14 if n == 1 else 10.5, ACCENT, "list_title")], LIST_MARGIN, _LIST_W,
                      pad_bottom=1 * mm)

    info = _para(summary, 8.5, LIST_MARGIN, _LIST_W, role="list_summary", color=GREY, pad_bottom=1.5 * mm)
    body = [_table_row(cols, list_cells(r), LIST_MARGIN, size, head=False, role="list_row", pad=pad)
            for r in doc.rows]
    if not body:
        body = [_para("この月の申込はありません。", 10, LIST_MARGIN, _LIST_W, role="list_empty", pad_top=4 * mm)]
    room = LIST_SIZE[1] - 2 * LIST_MARGIN - FOOT_H
    first_h = title_block(1).height + info.height + head.height
    rest_h = title_block(2).height + head.height
    pages = paginate(body, room - first_h, room - rest_h)
    total = len(pages)

    def header(n: int) -> list[Block]:
        return [title_block(n), info, head] if n == 1 else [title_block(n), head]

    def footer(pen: Pen, n: int) -> None:
        _page_no(pen, LIST_SIZE, LIST_MARGIN, f"{n}／{total}", left_text=doc.centre_name)

    return _render(pages, out, LIST_SIZE, LIST_MARGIN, title=title, author=doc.centre_name, header=header,
                   footer=footer, record=record)


# --------------------------------------------------------------------------- the result sheet (A4, a group a page)

SHEET_SIZE = A4
SHEET_MARGIN = 14 * mm
_SHEET_W = SHEET_SIZE[0] - 2 * SHEET_MARGIN


def result_heading(line: LotteryResultLine) -> str:
    """'当選（第2希望）' or '落選'."""
    return f"当選（{rank_text(line.won_rank)}）" if line.won_rank is not None else "落選"


def _entry_result(doc: LotteryResultDoc, line: LotteryResultLine) -> Block:
    """One entry's outcome in a box: the number and 当選/落選, its wishes (the one won marked), and what next."""
    L, W, pad = SHEET_MARGIN, _SHEET_W, 1.8 * mm
    iw = W - 2 * pad
    ix = L + pad
    won = line.won
    colour = WON if won else LOST
    head_size = 12
    head = _Text(f"受付番号 {line.entry_no}　{result_heading(line)}", head_size, colour, "result")
    parts: list[Block] = [_lines([head], ix, iw, leading=1.3)]
    label_w = 22 * mm
    for w in sorted(line.wishes, key=lambda w: w.rank):
        mark = "　← 当選" if won and w.rank == line.won_rank else ""
        value = "＋".join(w.slot_texts) or "—"
        parts.append(_kv_row(rank_text(w.rank), value + mark, ix, iw, label_w, 8, 8.5, role="wish", pad=0.6))
    if won:
        parts.append(spacer(1 * mm))
        slots = "\n".join(line.won_slots) or "—"
        parts.append(_kv_row("当選した区分", slots, ix, iw, label_w, 8.5, 10.5, role="won_slots", pad=1.2))
        parts.append(_kv_row("仮予約番号", line.hold_no or "—", ix, iw, label_w, 8.5, 10.5, role="hold_no", pad=1.2))
        parts.append(_kv_row("確定の期限", confirm_sentence(doc.confirm_by), ix, iw, label_w, 8.5, 10.5,
                             role="confirm_by", pad=1.2, color=black))
    else:
        parts.append(_kv_row("落選の理由", line.lost_reason or "—", ix, iw, label_w, 8, 9.5, role="lost_reason",
                             pad=0.8))
    return _boxed(parts, L, W, pad=pad, role="won_box" if won else "lost_box", fill=WON_FILL if won else None,
                  stroke=WON if won else RULE_GREY)


def _result_blocks(doc: LotteryResultDoc) -> tuple[list[Block], Callable[[int], list[Block]]]:
    """The body blocks of one group's sheet, and the heading of each of its pages."""
    L, W = SHEET_MARGIN, _SHEET_W
    won = sum(1 for ln in doc.lines if ln.won)
    # 様 stays on the name's last line: fit the name in what 様 leaves, then add it.
    name_size, name_lines = fit_two_lines(doc.group_name, W - text_width(" 様", 15), max_size=15, min_size=10)
    name_lines[-1] += " 様"
    top = [
        _lines([_Text(doc.centre_name, 9, GREY, "centre"), _Text("抽選結果のお知らせ", 18, ACCENT, "title"),
                _Text(f"{month_both(doc.month)} 利用分", 11, black, "month")], L, W, leading=1.35),
        spacer(2 * mm),
        _lines([_Text(s, name_size, black, "group") for s in name_lines], L, W, leading=1.35),
        _lines([_Text(f"登録番号 {doc.group_reg_no}" if doc.group_reg_no else "", 9, GREY, "reg_no")], L, W),
        _rule(L, W),
        _para(f"お申し込みの {len(doc.lines)}件のうち、当選 {won}件・落選 {len(doc.lines) - won}件でした。", 11, L, W,
              role="summary", pad_top=1 * mm),
        _para("＋でつないだ区分は、そろって当選する希望です（一部だけの当選はありません）。", 8, L, W, role="legend",
              color=GREY, pad_bottom=1.5 * mm),
    ]
    body: list[Block] = []
    for line in doc.lines:
        body += [_entry_result(doc, line), spacer(1.5 * mm)]
    if won < len(doc.lines):
        body.append(_para(f"落選の区分のうち空いているものは、{date_both(doc.first_come_from)} から先着順で予約"
                          "できます。", 9.5, L, W, role="next", pad_bottom=2 * mm))
    draw_rows = [("抽選日時", datetime_text(doc.drawn_at) + f"（{jcal.wareki(doc.drawn_at.date())}）"
                  f"　この団体の抽選の順番：{doc.order_size}団体中 {doc.order_position}番目"),
                 ("シード", doc.seed), ("ダイジェスト", doc.digest)]
    body += [_para("抽選の記録", 9.5, L, W, role="section", color=ACCENT, keep_with_next=True),
             _rule(L, W, weight=0.6)]
    body += [_kv_row(label, value, L, W, 24 * mm, 8, 8.5, role=f"value:{label}", pad=0.8)
             for label, value in draw_rows]
    pad = 2.5 * mm
    texts = [_para(doc.draw_rule, 7, L + pad, W - 2 * pad, role="draw_rule", color=GREY, leading=1.3),
             _para(doc.how_to_check, 7, L + pad, W - 2 * pad, role="how_to_check", color=GREY, leading=1.3,
                   pad_top=0.8 * mm)]
    body += [spacer(1.5 * mm), _boxed(texts, L, W, pad=pad, role="rule_box")]
    head_more = [_para(f"抽選結果のお知らせ（続き）　{doc.group_name} 様", 10, L, W, role="title_more", color=ACCENT,
                       pad_bottom=2 * mm)]

    def heading(n: int) -> list[Block]:
        return top if n == 1 else head_more

    return body, heading


def write_result_sheet(out: Out, docs: Sequence[LotteryResultDoc], *, record: list[Drawn] | None = None) -> int:
    """Write the result sheets (抽選結果のお知らせ), one group per page (A4 portrait); return the pages.

    A group whose entries do not fit on one page runs on to further pages of its own (its name at the top);
    the foot says whose sheet it is and 「n／m」 of that group's pages.
    """
    register_reportlab_fonts()
    if not docs:
        raise ValueError("no result sheets to write")
    room = SHEET_SIZE[1] - 2 * SHEET_MARGIN - FOOT_H
    pages: list[list[Block]] = []
    heads: list[list[Block]] = []
    foots: list[tuple[str, str]] = []
    for doc in docs:
        body, heading = _result_blocks(doc)
        first = room - flow_height(heading(1))
        rest = room - flow_height(heading(2))
        group_pages = paginate(body, first, rest)
        for k, blocks in enumerate(group_pages, start=1):
            pages.append(blocks)
            heads.append(heading(k))
            contact = f"お問い合わせ：{doc.centre_name}" + (f"　TEL {doc.centre_phone}" if doc.centre_phone else "")
            foots.append((f"{k}／{len(group_pages)}", contact))

    def footer(pen: Pen, n: int) -> None:
        page_text, contact = foots[n - 1]
        _page_no(pen, SHEET_SIZE, SHEET_MARGIN, page_text, left_text=contact)

    return _render(pages, out, SHEET_SIZE, SHEET_MARGIN, title="抽選結果のお知らせ", author=docs[0].centre_name,
                   header=lambda n: heads[n - 1], footer=footer, record=record)


# --------------------------------------------------------------------------- the public list (A4, no names)

PUBLIC_SIZE = A4
PUBLIC_MARGIN = 15 * mm
_PUBLIC_W = PUBLIC_SIZE[0] - 2 * PUBLIC_MARGIN
PUBLIC_COLUMNS = 3
PUBLIC_SIZE_PT = 13.0  # the numbers and results: readable from a step back on the notice board
_CELL_PITCH = PUBLIC_SIZE_PT * 1.55
_COL_GAP = 5 * mm


def _public_header(doc: LotteryPublicListDoc) -> list[Block]:
    L, W = PUBLIC_MARGIN, _PUBLIC_W
    won = sum(1 for r in doc.rows if r.won_rank is not None)
    info = (f"抽選日時 {datetime_text(doc.drawn_at)}（{jcal.wareki(doc.drawn_at.date())}）　"
            f"申込 {len(doc.rows)}件（当選 {won}件・落選 {len(doc.rows) - won}件）")
    return [
        _lines([_Text(doc.centre_name, 10, GREY, "centre"),
                _Text(f"抽選結果　{month_both(doc.month)} 利用分", 20, ACCENT, "title")], L, W),
        _para(info, 10, L, W, role="info", pad_top=1 * mm),
        _para(f"当選の団体は {date_both(doc.confirm_by)} までに確定の手続きをしてください。結果は受付番号で"
              "掲載しています（団体名は載せていません）。", 10, L, W, role="notice"),
        _para(f"シード {doc.seed}　ダイジェスト {doc.digest}", 7.5, L, W, role="seed", color=GREY, pad_top=1 * mm),
        _para(doc.how_to_check, 7.5, L, W, role="how_to_check", color=GREY, pad_bottom=2 * mm),
        _rule(L, W, gap=2 * mm),
    ]


def write_public_list(out: Out, doc: LotteryPublicListDoc, *, record: list[Drawn] | None = None) -> int:
    """Write the public list of a draw by 受付番号 only (A4 portrait, large type, three columns read top to
    bottom, every page with the full heading so each can be posted alone); return the number of pages."""
    register_reportlab_fonts()
    header = _public_header(doc)
    col_w = (_PUBLIC_W - _COL_GAP * (PUBLIC_COLUMNS - 1)) / PUBLIC_COLUMNS
    room = PUBLIC_SIZE[1] - 2 * PUBLIC_MARGIN - FOOT_H - flow_height(header)
    head_h = 9 * 1.8
    per_col = max(1, int((room - head_h) // _CELL_PITCH))
    per_page = per_col * PUBLIC_COLUMNS
    rows = list(doc.rows)
    chunks = [rows[i:i + per_page] for i in range(0, len(rows), per_page)] or [[]]
    num_w = max([text_width(r.entry_no, PUBLIC_SIZE_PT) for r in rows] + [text_width("受付番号", 9)])

    def grid(chunk: list[LotteryPublicRow]) -> Block:
        n_cols = PUBLIC_COLUMNS if chunk else 1
        height = head_h + per_col * _CELL_PITCH

        def draw(pen: Pen, top: float) -> None:
            if not chunk:
                pen.text(PUBLIC_MARGIN, top - 14, "この月の申込はありません。", 11, role="empty")
                return
            for c in range(n_cols):
                cells = chunk[c * per_col:(c + 1) * per_col]
                if not cells:
                    break  # the last page's empty columns get no heading
                x = PUBLIC_MARGIN + c * (col_w + _COL_GAP)
                pen.rect(x, top - head_h, col_w, head_h, role="table_head_fill", stroke=None, fill=LIGHT)
                base = top - head_h + 9 * 0.45
                pen.text(x + 2 * mm + num_w, base, "受付番号", 9, role="table_head", align="right")
                pen.text(x + 2 * mm + num_w + 4 * mm, base, "結果", 9, role="table_head")
                y = top - head_h
                for r in cells:
                    b = y - (_CELL_PITCH - line_height(PUBLIC_SIZE_PT)) / 2 - PUBLIC_SIZE_PT * 0.88
                    pen.text(x + 2 * mm + num_w, b, r.entry_no, PUBLIC_SIZE_PT, role="public_no", align="right")
                    text = public_result_text(r)
                    size = fit_size(text, col_w - num_w - 8 * mm, PUBLIC_SIZE_PT, 9)
                    pen.text(x + 2 * mm + num_w + 4 * mm, b, text, size, role="public_result",
                             color=WON if r.won_rank is not None else LOST)
                    y -= _CELL_PITCH
                    pen.line(x, y, x + col_w, y, role="table_rule", color=RULE_GREY, width=0.3)

        return Block(height if chunk else 20, draw)

    pages = [[grid(chunk)] for chunk in chunks]
    total = len(pages)

    def footer(pen: Pen, n: int) -> None:
        _page_no(pen, PUBLIC_SIZE, PUBLIC_MARGIN, f"{n}／{total}", left_text=doc.centre_name)

    return _render(pages, out, PUBLIC_SIZE, PUBLIC_MARGIN, title=f"抽選結果 {month_both(doc.month)} 利用分",
                   author=doc.centre_name, header=lambda n: header, footer=footer, record=record)
