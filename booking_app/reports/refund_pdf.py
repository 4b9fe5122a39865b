"""The 還付 slip (還付明細書) as a PDF, A5 portrait like the receipt (reports.receipt_pdf).

One slip per refund (services.refunding.refund_doc): the refund number, the date in 西暦 and 和暦, the
payer with 様, the booking (number, room, day and time), the original receipt's number, what was paid,
the rate and the refund, the rule's sentence (why_text) and the reason of the cancellation, the method,
and the issuer with the staff member. Two signature boxes (受領印 for the payer when paid at the desk,
担当 for the staff member) close it. A very long reason wraps (at most 6 lines, then …); the slip stays
on one page.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from reportlab.lib.colors import HexColor, black
from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm

from booking_app.domain import japanese_calendar as jcal
from booking_app.domain.documents import RefundDoc
from booking_app.domain.fees import yen
from booking_app.reports.layout import Drawn, Pen, fit_size, line_height, open_canvas, text_width, wrap

GREY = HexColor("#555555")
LIGHT = HexColor("#EEEEEE")
MARGIN = 12 * mm

WEEKDAYS = "月火水木金土日"


def date_text(doc: RefundDoc) -> str:
    """'2026年11月28日（令和8年11月28日）'."""
    d = doc.at.date()
    return f"{jcal.format_western(d)}（{jcal.wareki(d)}）"


def booking_text(doc: RefundDoc) -> str:
    """'2026年12月2日(水) 10:00〜12:00 大会議室'."""
    d = doc.start.date()
    when = f"{jcal.format_western(d)}({WEEKDAYS[d.weekday()]}) {doc.start:%H:%M}〜{doc.end:%H:%M}"
    return f"{when} {doc.room_name}".strip()


def rows(doc: RefundDoc) -> list[tuple[str, str]]:
    """The slip's table, label and value, top to bottom."""
    return [
        ("予約番号", doc.booking_no),
        ("利用日時", booking_text(doc)),
        ("領収書番号", doc.receipt_no),
        ("お支払額", yen(doc.paid)),
        ("還付率", f"{doc.rate}%"),
        ("還付額", yen(doc.amount)),
        ("還付の判断", doc.why_text),
        ("取消の理由", doc.reason),
        ("還付の方法", doc.method_label),
    ]


def render_refund(doc: RefundDoc, out: Path | str | BinaryIO, *, record: list[Drawn] | None = None) -> int:
    """Write the 還付 slip as a one-page A5 PDF (IPAexGothic embedded); return the number of pages (1)."""
    size = A5
    width, height = size
    inner = width - 2 * MARGIN
    c = open_canvas(out, size, title=f"還付明細書 {doc.refund_no}",
                    author=doc.issuer.operator or doc.issuer.centre_name)
    pen = Pen(c, size, record)
    y = height - MARGIN

    # title with a double rule, as the receipt
    tsize = 20.0
    space = tsize * 0.3
    title = "還付明細書"
    tw = text_width(title, tsize) + space * (len(title) - 1)
    y -= tsize * 1.1
    pen.text(width / 2, y, title, tsize, role="title", align="center", char_space=space)
    x0, x1 = (width - tw) / 2 - 6, (width + tw) / 2 + 6
    pen.line(x0, y - 5, x1, y - 5, role="title_rule", width=0.8)
    pen.line(x0, y - 7, x1, y - 7, role="title_rule", width=0.8)

    info = 9.0
    y -= 22
    pen.text(width - MARGIN, y, f"No. {doc.refund_no}", info, role="refund_no", align="right")
    y -= info * 1.4
    dt_text = date_text(doc)
    pen.text(width - MARGIN, y, dt_text, fit_size(dt_text, inner, info, info * 0.7), role="date", align="right")

    # payer
    # payer: one line down to 10 pt, then two lines (cut with …)
    name = " ".join(doc.payer_name.split())
    pwidth = inner
    psize = fit_size(f"{name} 様", pwidth, 14, 10)
    # 様 always closes the last line, also when the name is cut
    plines = wrap(name, pwidth - text_width(" 様", psize), psize, max_lines=2)
    plines[-1] += " 様"
    y -= 26 - psize * 1.3
    for line in plines:
        y -= psize * 1.3
        pen.text(MARGIN, y, line, psize, role="payer")
    pen.line(MARGIN, y - 4, MARGIN + pwidth, y - 4, role="payer_rule", width=0.6)

    # the amount in a box
    y -= 16
    box_h = 30.0
    pen.rect(MARGIN, y - box_h, inner, box_h, role="amount_box", fill=LIGHT, width=0.8)
    asize = 16.0
    base = y - box_h / 2 - asize * 0.35
    pen.text(MARGIN + 8, base + 2, "還付額", 11, role="amount_label")
    pen.text(MARGIN + inner - 8, base, f"{yen(doc.amount)}-", asize, role="amount", align="right")
    y -= box_h + 6
    lead = "下記のとおり、予約の取消に伴う使用料を還付いたします。"
    pen.text(MARGIN, y - 9, lead, fit_size(lead, inner, 9, 6), role="lead")
    y -= 16

    # the table
    label_w = 24 * mm
    value_w = inner - label_w
    tsize2, pad = 9.0, 3.0
    pitch = tsize2 * 1.35
    pen.line(MARGIN, y, MARGIN + inner, y, role="table_rule", width=0.7)
    for label, value in rows(doc):
        lines = wrap(value or "—", value_w - 2 * pad, tsize2, max_lines=6) or ["—"]
        h = len(lines) * pitch + 2 * pad
        pen.rect(MARGIN, y - h, label_w, h, role="label_fill", stroke=None, fill=LIGHT)
        first = y - pad - (pitch - line_height(tsize2)) / 2 - tsize2 * 0.88
        pen.text(MARGIN + pad, first, label, tsize2, role="label")
        for k, text in enumerate(lines):
            role = "value_amount" if label == "還付額" else "value"
            pen.text(MARGIN + label_w + pad, first - k * pitch, text, tsize2, role=role)
        y -= h
        pen.line(MARGIN, y, MARGIN + inner, y, role="table_rule", width=0.3, color=GREY)

    # issuer (right) and the two seal boxes (left)
    y -= 14
    iss = doc.issuer
    isize = 9.0
    texts: list[tuple[str, float, str]] = []
    if iss.operator:
        texts.append((iss.operator, 10.0, "operator"))
    texts.append((iss.centre_name, 10.0, "centre"))
    if iss.address:
        texts += [(s, isize, "address") for s in wrap(iss.address, inner * 0.6, isize, max_lines=2)]
    if iss.phone:
        texts.append((f"TEL {iss.phone}", isize, "phone"))
    if doc.staff_name:
        texts.append((f"担当 {doc.staff_name}", isize, "staff"))
    widest = max(text_width(t, s) for t, s, _r in texts)
    ix = MARGIN + inner - min(widest, inner * 0.62)
    iy = y
    for t, s, role in texts:
        iy -= s * 1.4
        pen.text(ix, iy, t, fit_size(t, inner * 0.62, s, s * 0.7), role=role)

    seal = 20 * mm
    for k, label in enumerate(("受領印", "担当印")):
        sx = MARGIN + k * (seal + 4)
        pen.rect(sx, y - seal - 10, seal, seal, role="seal_box", width=0.5, stroke=black)
        pen.text(sx + seal / 2, y - 8, label, 7.5, role="seal_label", align="center", color=GREY)
    c.showPage()
    c.save()
    return 1


__all__ = ["render_refund", "rows", "date_text", "booking_text"]
