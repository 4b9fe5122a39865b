"""減免 on the usage slip PDF (利用票, issue 18): 料金 reads the fee before the 減免, the 減免 as △¥… with its
label and what is paid (お支払い), on the A5 and the A4 slip, inside the slip; a booking without a 減免
reads as before.

The bookings are made through the services on SQLite and PostgreSQL, the slips read back with
services.slips.slip_docs and the PDF with pdftotext (poppler), as tests/reports/test_slip_pdf.py does.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from factories import DAY, NOW, at, seed

from booking_app.domain.fees import load_default_fees
from booking_app.reports.layout import Drawn
from booking_app.reports.slip_pdf import FEE_LABEL, LAYOUTS, render_slips, slip_boxes
from booking_app.services import fees
from booking_app.services.slips import slip_docs
from booking_app.store.engine import make_engine

pytestmark = pytest.mark.now("2026-11-25 09:00")

MM = 72 / 25.4


@pytest.fixture
def world(db_url):
    engine = make_engine(db_url)
    try:
        yield seed(engine)
    finally:
        engine.dispose()


def _text(pdf: Path) -> str:
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.fail("pdftotext not found: install poppler-utils")
    # -raw: in drawing order (the fee's parts, a full-width space apart, would read as columns)
    out = subprocess.run([tool, "-raw", "-enc", "UTF-8", str(pdf), "-"], check=True, capture_output=True, text=True,
                         encoding="utf-8").stdout
    return re.sub(r"\s+", "", out)


def _inside(record: list[Drawn], layout: str) -> None:
    """Every item drawn (but the A4 cut line) keeps inside its slip's margin."""
    _size, boxes = slip_boxes(layout)
    inset = 9 * MM
    for item in record:
        if item.role.startswith("cut"):
            continue
        x0, y0, x1, y1 = item.box
        assert any(bx0 + inset <= x0 <= x1 <= bx1 - inset and by0 + inset <= y0 <= y1 <= by1 - inset
                   for bx0, by0, bx1, by1 in boxes), item


def _fee_lines(record: list[Drawn]) -> list[list[str]]:
    """The 料金 lines of each slip, in print order."""
    slips: list[list[str]] = []
    for item in record:
        if item.role == "title":
            slips.append([])
        elif item.role == f"value:{FEE_LABEL}":
            slips[-1].append(item.text)
    return slips


@pytest.mark.parametrize("layout", LAYOUTS)
def test_the_slip_pdf_shows_the_reduction_and_what_is_paid(world, layout, tmp_path):
    raw = load_default_fees().to_dict()
    raw["rooms"]["大会議室"]["general"]["午前"] = 1251  # an odd fee: 50 % off takes ¥626, ¥625 is paid
    with world.write() as s:
        fees.save_fees(s, world.manager, fees.FeeSchedule.from_dict(raw), now=NOW)
    reduced = world.book(at(DAY, 9), at(DAY, 12), actor=world.manager, reduction_code="disability")
    plain = world.book(at(DAY, 13), at(DAY, 17))  # ¥2,000
    with world.read() as s:
        docs = slip_docs(s, [reduced.id, plain.id])
    out = tmp_path / f"利用票_{layout}.pdf"
    record: list[Drawn] = []
    render_slips(docs, out, layout=layout, record=record)
    text = _text(out)
    assert "料金（税込）¥1,251減免△¥626（障がい者団体50%）お支払い¥625" in text
    assert text.count("減免") == 1 and text.count("お支払い") == 1  # the plain booking names none
    assert "料金（税込）¥2,000" in text
    _inside(record, layout)
    reduced_lines, plain_lines = _fee_lines(record)
    assert plain_lines == ["¥2,000"]
    assert "".join(reduced_lines).replace(" ", "").replace("　", "") == "¥1,251減免△¥626（障がい者団体50%）お支払い¥625"


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_long_label_breaks_between_the_parts_and_stays_on_the_slip(world, layout, tmp_path):
    view = world.book(at(DAY, 13), at(DAY, 17), actor=world.manager, reduction_code="city")  # ¥2,000, 100 %
    with world.read() as s:
        (doc,) = slip_docs(s, [view.id])
    assert (doc.fee_total, doc.reduction) == (0, 2000)
    long = replace(doc, reduction_label="ひとり親家庭・生活保護受給世帯の団体（市の認定を受けたもの）100%")
    out = tmp_path / f"利用票_{layout}.pdf"
    record: list[Drawn] = []
    render_slips([long], out, layout=layout, record=record)
    _inside(record, layout)
    (lines,) = _fee_lines(record)
    assert len(lines) >= 3 and lines[0] == "¥2,000" and lines[-1] == "お支払い ¥0"
    assert not any(ln.endswith("…") for ln in lines)  # nothing cut
    text = _text(out)
    assert "減免△¥2,000（ひとり親家庭・生活保護受給世帯の団体（市の認定を受けたもの）100%）お支払い¥0" in text
