"""The accident report (事故報告書) as an A4 PDF: what the city or the insurer asks, on one form.

Who was hurt (or caused the damage), who reports it and how to reach them, the group, when, where, how,
the injury or damage and who saw it; the insurance the desk found for it and whether the day was
covered; the deadline for sending it on. ``services.insurance_reports.accident_report_doc`` fills
:class:`AccidentReportDoc` from the database; this module only lays it out, with the shared pieces of
``reports.insurance_pdf`` (ruled label/value rows, Japanese line breaking, page flow). Free text is
drawn as plain text (never markup); a long account runs on to further pages with its label repeated
as 「（続き）」, and 記 … 以上 closes the form.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm

from booking_app.domain import japanese_calendar as jcal
from booking_app.domain.documents import AccidentReportDoc as AccidentReportDoc
from booking_app.fonts import register_reportlab_fonts
from booking_app.reports.insurance_pdf import GREY, LIGHT, _line_block, _render, _table_row, date_both
from booking_app.reports.layout import Block, Drawn, Pen, paginate, wrap
from booking_app.reports.layout import Column as _Col

MARGIN = 18 * mm
SIZE = A4
WIDTH = SIZE[0] - 2 * MARGIN
FOOTER_H = 8 * mm
LABEL_W = 34 * mm
VALUE_SIZE, PAD = 10.0, 1.8 * mm
LINES_PER_ROW = 12  # a long account is cut into rows of this many lines, so pages can break between them
NOT_GIVEN = "（記入なし）"



def when_text(at: datetime) -> str:
    """'2026年11月20日（金）14:00（令和8年11月20日）'."""
    d = at.date()
    return f"{jcal.format_western(d)}（{jcal.weekday_ja(d)}）{jcal.format_time(at.time())}（{jcal.wareki(d)}）"


def report_rows(doc: AccidentReportDoc) -> list[tuple[str, str]]:
    """(label, value) rows of the form, in print order."""
    group = doc.group_name + (f"（登録番号 {doc.group_reg_no}）" if doc.group_reg_no else "") if doc.group_name \
        else NOT_GIVEN
    insurance = (f"{doc.plan_name}（加入番号 {doc.enrolment_no}）" if doc.plan_name
                 else "加入が確認できていません")
    if doc.cover_text:
        insurance += f"\n{doc.cover_text}"
    # The desk's own state is no business of the insurer's, except that the report was already sent.
    state = f"　（{jcal.format_slash(doc.sent_on)} 報告済）" if doc.sent_on else ""
    return [
        ("報告期限", f"{date_both(doc.deadline)}まで{state}"),
        ("保険", insurance),
        ("団体", group),
        ("事故にあった人", doc.person_name),
        ("報告者", doc.reporter_name or NOT_GIVEN),
        ("報告者の連絡先", f"TEL {doc.reporter_phone}" if doc.reporter_phone else NOT_GIVEN),
        ("発生日時", when_text(doc.occurred_at)),
        ("発生場所", doc.place),
        ("事故の状況", doc.description),
        ("けがの内容", doc.injury or "なし"),
        ("損害の内容", doc.damage or "なし"),
        ("目撃者", doc.witnesses or NOT_GIVEN),
        ("受付", f"{jcal.format_slash(doc.received_at.date())} {jcal.format_time(doc.received_at.time())}"
                 + (f"　受付者 {doc.received_by}" if doc.received_by else "")),
    ]


class _Layout:
    def __init__(self, doc: AccidentReportDoc):
        self.doc = doc
        self.left = MARGIN
        self.cols = [_Col("", LABEL_W, "left", 3), _Col("", WIDTH - LABEL_W, "left", LINES_PER_ROW)]

    def head(self) -> list[Block]:
        doc = self.doc
        blocks = [_line_block(f"報告番号 {doc.report_no}", 10, self.left, WIDTH, align="right", role="report_no",
                              leading=1.4),
                  _line_block(f"作成日 {date_both(doc.printed_on)}", 10, self.left, WIDTH, align="right",
                              role="printed_on", leading=1.4)]
        if doc.addressee:
            blocks.append(_line_block(doc.addressee, 13, self.left, WIDTH * 0.7, role="addressee", leading=1.5,
                                      pad_top=2 * mm))
        size = 22
        blocks.append(_line_block("事故報告書", size, self.left, WIDTH, align="center", role="title",
                                  char_space=size * 0.4, leading=1.3, pad_top=4 * mm, pad_bottom=4 * mm))
        iss = doc.issuer
        box_w = WIDTH * 0.6
        for text, sz, role in ((iss.centre_name, 10.5, "centre"), (iss.operator, 9.5, "operator"),
                               (f"TEL {iss.phone}" if iss.phone else "", 9.5, "phone")):
            if text:
                blocks.append(_line_block(text, sz, self.left + WIDTH - box_w, box_w, role=role, leading=1.4))
        blocks.append(_line_block("下記のとおり事故がありましたので報告します。", 11, self.left, WIDTH, role="body",
                                  leading=1.6, pad_top=4 * mm))
        blocks.append(_line_block("記", 11, self.left, WIDTH, align="center", role="ki", pad_top=2 * mm,
                                  pad_bottom=2 * mm, keep_with_next=True))
        return blocks

    def rows(self) -> list[Block]:
        blocks: list[Block] = []
        value_w = self.cols[1].width - 2 * PAD
        for label, value in report_rows(self.doc):
            lines = wrap(value, value_w, VALUE_SIZE) or [""]
            chunks = [lines[i:i + LINES_PER_ROW] for i in range(0, len(lines), LINES_PER_ROW)]
            for k, chunk in enumerate(chunks):
                shown = label if k == 0 else f"{label}（続き）"
                row = _table_row(self.cols, [shown, "\n".join(chunk)], self.left, VALUE_SIZE, head=False,
                                 role=f"field_{label}", pad=PAD)
                blocks.append(self._boxed(row))
        return blocks

    def _boxed(self, row: Block) -> Block:
        def draw(pen: Pen, top: float) -> None:
            h = row.height
            pen.rect(self.left, top - h, LABEL_W, h, role="label_fill", stroke=None, fill=LIGHT)
            row.draw(pen, top)
            pen.rect(self.left, top - h, WIDTH, h, role="field_box", width=0.6)
            pen.line(self.left + LABEL_W, top, self.left + LABEL_W, top - h, role="field_rule", width=0.6)

        return Block(row.height, draw)

    def closing(self) -> Block:
        return _line_block("以上", 11, self.left, WIDTH, align="right", role="closing", pad_top=3 * mm)

    def continuation(self) -> Block:
        doc = self.doc
        return _line_block(f"事故報告書（続き）　報告番号 {doc.report_no}　{doc.person_name}", 9, self.left, WIDTH,
                           role="continued", color=GREY, pad_bottom=3 * mm)


def render_accident_report(doc: AccidentReportDoc, out: Path | str | BinaryIO, *,
                           record: list[Drawn] | None = None) -> int:
    """Write the accident report (事故報告書) as an A4 PDF; return the number of pages."""
    register_reportlab_fonts()  # measuring happens before the canvas exists
    lay = _Layout(doc)
    rows = lay.rows()
    rows[-1] = replace(rows[-1], keep_with_next=True)  # 以上 never starts a page alone
    room = SIZE[1] - 2 * MARGIN - FOOTER_H
    cont = lay.continuation()
    pages = paginate([*lay.head(), *rows, lay.closing()], room, room - cont.height)

    def header(n: int, total: int) -> list[Block]:
        return [cont] if n > 1 else []

    def footer(pen: Pen, n: int, total: int) -> None:
        if total > 1:
            pen.text(SIZE[0] / 2, MARGIN - 2 * mm, f"{n} / {total}", 9, role="page_no", align="center", color=GREY)

    author = doc.issuer.operator or doc.issuer.centre_name
    return _render(pages, out, SIZE, MARGIN, title=f"事故報告書 {doc.report_no}", author=author, header=header,
                   footer=footer, record=record)


__all__ = ["AccidentReportDoc", "render_accident_report", "report_rows", "when_text", "NOT_GIVEN"]
