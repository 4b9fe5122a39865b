"""還付 at the counter: cancelling a paid booking shows the decision, asks the method, offers the slip.

The app's clock is pinned to 2026-11-28 10:00 (4 days before the booking on 2026-12-02: 50 % by the
default rules). Previews are replaced (payment_dialog.preview_pdf) and read back with pdftotext.
"""

from __future__ import annotations

import subprocess
from datetime import datetime
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select

from booking_app.services import bookings as svc
from booking_app.services import payments as pay
from booking_app.store.engine import read_session, write_session
from booking_app.store.models import Booking, Refund, Room
from booking_app.ui.booking.booking_dialog import BookingDialog
from booking_app.ui.money import refund_flow

NOW = datetime(2026, 11, 28, 10, 0)
pytestmark = pytest.mark.now(NOW)


@pytest.fixture(autouse=True)
def previews(monkeypatch):
    """Every PDF the flow would preview: title, suggested name and its text (the temp file is removed)."""
    from booking_app.ui.money import payment_dialog as pd

    shown: list[dict] = []

    def fake(parent, path, *, title, suggested_name):
        path = Path(path)
        text = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout
        shown.append({"title": title, "name": suggested_name, "text": "".join(text.split())})
        path.unlink()

    monkeypatch.setattr(pd, "preview_pdf", fake)
    return shown


def booking(engine, desk, *, paid: bool = True, start: int = 10, end: int = 12) -> int:
    """A person's 大会議室 booking on 2026-12-02 (¥1,500 in the morning), paid in cash at NOW when ``paid``."""
    with write_session(engine) as s:
        room = s.scalar(select(Room.id).where(Room.name == "大会議室"))
        b = svc.create_booking(s, desk, svc.BookingInput(
            start=datetime(2026, 12, 2, start), end=datetime(2026, 12, 2, end), room_id=room, group_id=None,
            booker_kind="person", booker_name="山田花子", contact_phone="083-000-0000", purpose="定例会",
            attendees=5), now=NOW)
        if paid:
            ids = [c.id for c in pay.open_charges(s, booking_id=b.id)]
            pay.take_payment(s, desk, ids, payer_name="山田花子", purpose="会議室使用料として", now=NOW)
        return b.id


def refunds(engine) -> list[tuple]:
    with read_session(engine) as s:
        return [(r.refund_no, r.booking_id, r.rate, r.amount, r.method, r.reason)
                for r in s.scalars(select(Refund).order_by(Refund.id))]


def status(engine, booking_id: int) -> str:
    with read_session(engine) as s:
        return s.get(Booking, booking_id).status


def test_the_decision_is_shown_the_method_asked_and_the_slip_printed(ctx, engine, desk, prompts, previews):
    bid = booking(engine, desk)
    prompts.answer_choice("cash").answer_confirm(True)
    assert refund_flow.cancel_paid_booking(None, ctx, bid, "団体の都合") is True
    [asked] = prompts.of("ask_choice")
    assert asked.default == "cash"
    for must in ("2026-000001", "山田花子 様", "お支払 ¥1,500 → 還付 50%：¥750",
                 "利用日の6日前から3日前までの取消のため50%還付", "還付の方法を選んでください"):
        assert must in asked.text, must
    assert refunds(engine) == [("R2026-000001", bid, 50, 750, "cash", "団体の都合")]
    assert status(engine, bid) == "cancelled"
    [confirm] = prompts.of("confirm")
    assert "¥750" in confirm.text and "R2026-000001" in confirm.text
    [slip] = previews
    assert slip["title"] == "還付明細書 R2026-000001" and slip["name"] == "還付明細書_R2026-000001.pdf"
    for must in ("還付明細書", "R2026-000001", "令和8年11月28日", "山田花子様", "¥750", "団体の都合", "現金"):
        assert must in slip["text"], must
    assert prompts.errors == []


def test_stepping_back_writes_nothing(ctx, engine, desk, prompts, previews):
    bid = booking(engine, desk)
    prompts.answer_choice(None)
    assert refund_flow.cancel_paid_booking(None, ctx, bid, "団体の都合") is False
    assert refunds(engine) == [] and status(engine, bid) != "cancelled" and previews == []


def test_an_unpaid_booking_is_left_to_the_plain_cancel(ctx, engine, desk, prompts):
    bid = booking(engine, desk, paid=False)
    assert refund_flow.cancel_paid_booking(None, ctx, bid, "団体の都合") is None
    assert prompts.calls == [] and status(engine, bid) != "cancelled"


def test_a_zero_refund_says_so_and_is_recorded(ctx, engine, desk, prompts, previews):
    bid = booking(engine, desk)
    with pytest.MonkeyPatch.context() as mp:
        from booking_app import clock

        mp.setattr(clock, "today", lambda: datetime(2026, 12, 1).date())
        mp.setattr(clock, "now", lambda: datetime(2026, 12, 1, 9, 0))
        prompts.answer_choice("cash").answer_confirm(False)
        assert refund_flow.cancel_paid_booking(None, ctx, bid, "体調不良") is True
    [asked] = prompts.of("ask_choice")
    assert "還付 0%：¥0" in asked.text and "還付の記録（¥0）" in asked.text
    assert refunds(engine) == [("R2026-000001", bid, 0, 0, "cash", "体調不良")]
    assert previews == []  # 印刷しない


def test_the_booking_dialog_cancels_a_paid_booking_with_its_refund(qtbot, ctx, engine, desk, prompts, previews):
    bid = booking(engine, desk)
    dlg = BookingDialog(ctx, booking_id=bid)
    qtbot.addWidget(dlg)
    dlg.show()
    prompts.answer_text("団体の都合").answer_choice("transfer").answer_confirm(True)
    qtbot.mouseClick(dlg.cancel_booking_button, Qt.MouseButton.LeftButton)
    assert prompts.errors == []
    assert refunds(engine) == [("R2026-000001", bid, 50, 750, "transfer", "団体の都合")]
    assert status(engine, bid) == "cancelled" and dlg.changed_something
    assert [p["title"] for p in previews] == ["還付明細書 R2026-000001"] and "振込" in previews[0]["text"]


def test_the_booking_dialog_shows_a_closed_day_refusal(qtbot, ctx, engine, desk, manager, prompts, previews):
    from booking_app.services.terminal import terminal_name

    bid = booking(engine, desk)
    with write_session(engine) as s:
        pay.close_day(s, manager, NOW.date(), terminal_name(), now=NOW)
    dlg = BookingDialog(ctx, booking_id=bid)
    qtbot.addWidget(dlg)
    dlg.show()
    prompts.answer_text("団体の都合").answer_choice("cash")
    qtbot.mouseClick(dlg.cancel_booking_button, Qt.MouseButton.LeftButton)
    [error] = prompts.error_texts
    assert "締め済み" in error and "還付" in error
    assert refunds(engine) == [] and status(engine, bid) != "cancelled" and previews == []


def test_an_empty_reason_is_refused_before_anything_is_asked(qtbot, ctx, engine, desk, prompts, previews):
    bid = booking(engine, desk)
    dlg = BookingDialog(ctx, booking_id=bid)
    qtbot.addWidget(dlg)
    dlg.show()
    prompts.answer_text("　")
    qtbot.mouseClick(dlg.cancel_booking_button, Qt.MouseButton.LeftButton)
    [error] = prompts.error_texts
    assert "理由を入力してください" in error
    assert prompts.of("ask_choice") == [] and refunds(engine) == [] and status(engine, bid) != "cancelled"


def test_the_reason_question_names_the_full_refund_reasons(qtbot, ctx, engine, desk, prompts, previews):
    bid = booking(engine, desk)
    dlg = BookingDialog(ctx, booking_id=bid)
    qtbot.addWidget(dlg)
    dlg.show()
    prompts.answer_text("警報").answer_choice("cash").answer_confirm(False)
    qtbot.mouseClick(dlg.cancel_booking_button, Qt.MouseButton.LeftButton)
    [asked] = prompts.of("ask_text")
    assert "「休館」「警報」「センターの都合」" in asked.text and "全額還付" in asked.text
    assert refunds(engine) == [("R2026-000001", bid, 100, 1500, "cash", "警報")]  # 4 days before, still 100 %
