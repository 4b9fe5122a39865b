"""A payment refused because another program holds the database (Busy) keeps the dialog and its input.

SQLite stands in for the busy server here: another connection holds the write lock and the engine's busy
timeout is cut to 0.3 s; the PostgreSQL side (a SIGSTOPped terminal) is tests/test_frozen_terminal.py.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, time, timedelta

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import func, select

from booking_app.services import bookings as booking_svc
from booking_app.services.centre import ensure_initial_data
from booking_app.services.common import Actor
from booking_app.store import engine as engine_mod
from booking_app.store.engine import make_engine, read_session, write_session
from booking_app.store.models import Receipt, Room, Staff
from booking_app.ui.money import payment_dialog as pd
from booking_app.ui.money.payment_dialog import PaymentDialog
from days import open_day


@pytest.fixture
def engine(sqlite_url, monkeypatch):
    monkeypatch.setattr(engine_mod, "SQLITE_BUSY_TIMEOUT_MS", 300)
    eng = make_engine(sqlite_url)
    with write_session(eng) as s:
        ensure_initial_data(s)
    yield eng
    eng.dispose()


def _booking(engine) -> int:
    day = open_day(after=8)
    start = datetime.combine(day, time(9))
    with read_session(engine) as s:
        room_id = s.scalars(select(Room).where(Room.name == "大会議室")).one().id
        st = s.scalars(select(Staff).where(Staff.role == "manager")).first()
        manager = Actor(st.id, st.name, st.role)
    with write_session(engine) as s:
        return booking_svc.create_booking(s, manager, booking_svc.BookingInput(
            start=start, end=start + timedelta(hours=3), room_id=room_id, booker_kind="group",
            booker_name="下関写真クラブ", purpose="打合せ", attendees=12, override_reason="テスト用")).id


def test_a_busy_database_keeps_the_payment_dialog_and_its_input(qtbot, ctx, engine, sqlite_url, monkeypatch,
                                                              prompts):
    shown = prompts.shown("show_error")
    monkeypatch.setattr(pd, "preview_pdf", lambda *a, **k: None)
    dlg = PaymentDialog(ctx, booking_id=_booking(engine))
    qtbot.addWidget(dlg)
    dlg.show()
    dlg.purpose_edit.setText("会議室使用料として")
    holder = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        qtbot.mouseClick(dlg.pay_button, Qt.MouseButton.LeftButton)
        assert len(shown) == 1 and shown[0].startswith("別の端末が処理中です。少し待ってからもう一度")
        assert dlg.isVisible() and dlg.receipt_id is None
        assert dlg.purpose_edit.text() == "会議室使用料として" and dlg.payer_edit.text() == "下関写真クラブ"
        holder.execute("ROLLBACK")
    finally:
        holder.close()
    qtbot.mouseClick(dlg.pay_button, Qt.MouseButton.LeftButton)  # the same click a moment later
    assert dlg.receipt_id is not None
    with read_session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Receipt)) == 1
