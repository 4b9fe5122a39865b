"""減免 on the receipt (issue 18): a reduced booking paid at the desk prints its 減免 line as △¥…, the total
it was paid and the tax of the reduced base, in every layout, on SQLite and PostgreSQL.

The booking is made and paid through the services, the receipt read back with payments.receipt_doc and
the PDF read back with pdftotext (poppler), as tests/reports/test_receipt_pdf.py does.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from factories import DAY, NOW, at, seed

from booking_app.domain.fees import load_default_fees, signed_yen
from booking_app.reports.receipt_pdf import LAYOUTS, render_receipt
from booking_app.services import fees, payments
from booking_app.store.engine import make_engine

pytestmark = pytest.mark.now("2026-11-25 09:00")


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
    out = subprocess.run([tool, "-enc", "UTF-8", str(pdf), "-"], check=True, capture_output=True, text=True,
                         encoding="utf-8").stdout
    return re.sub(r"\s+", "", out)


def _paid_reduced_receipt(world):
    """大会議室 午前 at an odd ¥1,251 with a 50 % 減免 (−¥626), paid: a receipt of ¥625."""
    raw = load_default_fees().to_dict()
    raw["rooms"]["大会議室"]["general"]["午前"] = 1251
    with world.write() as s:
        fees.save_fees(s, world.manager, fees.FeeSchedule.from_dict(raw), now=NOW)
    view = world.book(at(DAY, 9), at(DAY, 12), actor=world.manager, reduction_code="disability")
    with world.write() as s:
        ids = [c.id for c in payments.open_charges(s, booking_id=view.id)]
        receipt = payments.take_payment(s, world.desk, ids, payer_name="山田花子", purpose="会議室使用料として",
                                        now=NOW, terminal="受付1")
        return payments.receipt_doc(s, receipt.id)


def test_signed_yen_marks_a_reduction_the_japanese_office_way():
    assert signed_yen(-626) == "△¥626" and signed_yen(1251) == "¥1,251" and signed_yen(0) == "¥0"


@pytest.mark.parametrize("layout", LAYOUTS)
def test_the_receipt_prints_the_reduction_line_the_total_and_the_reduced_tax(world, tmp_path, layout):
    doc = _paid_reduced_receipt(world)
    assert [(ln.amount, ln.tax) for ln in doc.lines] == [(1251, "taxable10"), (-626, "taxable10")]
    assert (doc.total, doc.taxable10, doc.tax10, doc.exempt) == (625, 625, 56, 0)
    out = tmp_path / f"reduced_{layout}.pdf"
    render_receipt(doc, out, layout=layout)
    text = _text(out)
    assert "2026/12/02減免（障がい者団体50%）" in text
    assert "△¥626" in text and "¥1,251" in text
    assert "¥-" not in text  # never a bare minus after the yen sign
    assert "合計¥625" in text and "¥625-" in text  # the total and the boxed amount
    assert "10%対象¥625（うち消費税¥56）" in text  # the reduction reduces the taxable base
