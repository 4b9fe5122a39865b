"""Migration 0012 on a SQLite file that already holds paid charges (issue 18).

SQLite cannot change a CHECK in place, so 0012 copies ``charges``; receipt lines point at it. With foreign
keys on, SQLite refuses to drop a referenced table, so db/env.py turns them off around the migrations and
checks them after. A fresh database has no rows to trip on: this test upgrades one that has.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

import pytest
from sqlalchemy.orm import Session

from booking_app.store.engine import make_engine
from booking_app.store.migrate import current_revision, head_revision, upgrade
from booking_app.store.models import Charge, Receipt, ReceiptLine, Staff

AT = datetime(2026, 11, 25, 10, 0)


def _paid_charge(url: str) -> None:
    engine = make_engine(url)
    try:
        with Session(engine) as s, s.begin():
            clerk = Staff(name="窓口 花子", role="desk", created_at=AT)
            s.add(clerk)
            s.flush()
            r = Receipt(fiscal_year=2026, seq=1, receipt_no="2026-000001", issued_at=AT, payer_name="山田",
                        purpose="施設使用料", total=1200, taxable10=1200, tax10=109, created_by=clerk.id)
            s.add(r)
            s.flush()
            c = Charge(kind="room", description="小会議室1", quantity=1, unit_price=1200, amount=1200,
                       status="paid", receipt_id=r.id, created_at=AT, created_by=clerk.id)
            s.add(c)
            s.flush()
            s.add(ReceiptLine(receipt_id=r.id, charge_id=c.id, description="小会議室1", quantity=1,
                              unit_price=1200, amount=1200, tax="taxable10"))
    finally:
        engine.dispose()


def test_0012_copies_charges_that_receipt_lines_point_at(tmp_path):
    path = tmp_path / "old.sqlite3"
    url = f"sqlite:///{path.as_posix()}"
    upgrade(url, "0011")
    _paid_charge(url)

    upgrade(url)

    engine = make_engine(url)
    try:
        assert current_revision(engine) == head_revision(url)
    finally:
        engine.dispose()
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        assert db.execute("SELECT c.amount, l.amount FROM receipt_lines l JOIN charges c ON c.id = l.charge_id"
                          ).fetchall() == [(1200, 1200)]
        # The new price rule: only a reduction goes below zero, and a reduction never above it.
        base = ("INSERT INTO charges (payer_name, kind, description, quantity, unit_price, amount, tax, status,"
                " created_at, created_by) VALUES ('', ?, '', 1, ?, ?, 'taxable10', 'open', '2026-11-25', 1)")
        db.execute(base, ("reduction", -600, -600))
        for kind, price in (("room", -1), ("reduction", 1)):
            with pytest.raises(sqlite3.IntegrityError):
                db.execute(base, (kind, price, price))
    finally:
        db.close()
    # Foreign keys are back on for the app's connections after the migration.
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()
