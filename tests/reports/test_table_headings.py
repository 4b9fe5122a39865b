"""Issue 13, item 15, across the documents: a table that runs on to another page starts that page with
its heading row (receipts with many lines; the cash-up, the insurance papers and the accident report
have their own tests)."""

from __future__ import annotations

import io

from booking_app.reports.layout import Drawn
from booking_app.reports.receipt_pdf import render_receipt
from tests.reports.test_receipt_pdf import make_doc


def test_a_long_receipt_repeats_its_table_heading_on_every_page():
    for layout in ("A5", "A4"):
        record: list[Drawn] = []
        pages = render_receipt(make_doc(lines=90), io.BytesIO(), layout=layout, record=record)
        assert pages >= 2, layout
        for n in range(1, pages + 1):
            cells = [d.box[3] for d in record if d.page == n and d.role.startswith("cell")]
            heads = [d.box[1] for d in record if d.page == n and d.role == "table_head" and d.kind == "text"]
            if cells:
                assert heads and min(heads) > max(cells), (layout, n)
