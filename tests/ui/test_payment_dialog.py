"""Taking a payment at the counter: charges, items, the printing log, the receipt and its preview.

The fixtures here (a general user's booking with a room fee, a preview that records instead of
blocking) are shared with the receipts and cash-up page tests; engine, desk, manager and ctx come
from tests/ui/conftest.py.
"""

from __future__ import annotations

import subprocess
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QSettings, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtPdf import QPdfDocument
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from booking_app import clock
from booking_app.domain import japanese_calendar as jcal
from booking_app.services import bookings as booking_svc
from booking_app.services import payments as pay_svc
from booking_app.services.common import Actor
from booking_app.services.terminal import terminal_name
from booking_app.store.engine import read_session, write_session
from booking_app.store.models import Charge, Receipt, ReceiptPrint, Room
from booking_app.ui import dates
from booking_app.ui.booking import booking_dialog as bd
from booking_app.ui.money import payment_dialog as pd
from booking_app.ui.printing import printing_log_dialog as pld
from booking_app.ui.money.payment_dialog import PaymentDialog
from booking_app.ui.printing.printing_log_dialog import PrintingLogDialog
from tests.actors import actor_for
from days import open_day

CLUB = "下関写真クラブ"


# ----------------------------------------------------------------------------- shared fixtures


def type_text(widget, text: str) -> None:
    """Type text key by key like an IME commit would; QTest.keyClicks only knows ASCII keys."""
    for ch in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier, ch))


def retype(widget, text: str) -> None:
    widget.selectAll()
    QApplication.sendEvent(widget, QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Backspace,
                                             Qt.KeyboardModifier.NoModifier))
    type_text(widget, text)


def general_booking(engine, name: str = CLUB, *, days_ahead: int = 8, room: str = "大会議室") -> int:
    """A general user's (一般) 大会議室 booking in the morning period: a ¥1,500 room fee (10 %)."""
    day = open_day(after=days_ahead)  # an open day whatever the pinned today (not inside 年末年始)
    start = datetime.combine(day, time(9))
    with read_session(engine) as s:
        room_id = s.scalars(select(Room).where(Room.name == room)).one().id
    with write_session(engine) as s:
        return booking_svc.create_booking(
            s, actor_for(engine, "manager"),
            booking_svc.BookingInput(start=start, end=start + timedelta(hours=3), room_id=room_id, booker_kind="group",
                                     booker_name=name, purpose="写真展の打合せ", attendees=12,
                                     override_reason="テスト用"),
        ).id


@pytest.fixture
def booking_id(engine) -> int:
    return general_booking(engine)


def pay_booking(engine, actor: Actor, bid: int, method: str = "cash", payer: str = CLUB) -> pay_svc.ReceiptView:
    with write_session(engine) as s:
        ids = [c.id for c in pay_svc.open_charges(s, booking_id=bid)]
        return pay_svc.take_payment(s, actor, ids, payer_name=payer, purpose="施設使用料として", method=method)


def receipt_no(seq: int) -> str:
    return f"{jcal.fiscal_year(clock.today())}-{seq:06d}"


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def pdf_page_count(path: Path) -> int:
    doc = QPdfDocument()
    assert doc.load(str(path)) == QPdfDocument.Error.None_
    n = doc.pageCount()
    doc.close()
    return n


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path):
    """QSettings in a temp folder: the remembered receipt layout never touches the real profile."""
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    yield
    QSettings().clear()


@pytest.fixture
def previews(monkeypatch, tmp_path):
    """Every preview the screens would open: (title, text of the PDF, page count), nothing blocks.

    The preview itself is tested in test_print_preview.py; here we read the PDF it would show.
    """
    shown: list[dict] = []

    def fake(parent, path, *, title, suggested_name):
        path = Path(path)
        shown.append({"title": title, "text": pdf_text(path), "pages": pdf_page_count(path),
                      "name": suggested_name, "path": path})

    monkeypatch.setattr(pd, "preview_pdf", fake)
    return shown


@pytest.fixture(autouse=True)
def errors(prompts):
    """What staff would read in the error boxes of these screens (all ask ctx.prompts, the shared recorder)."""
    return prompts.shown("show_error")


# ----------------------------------------------------------------------------- tests


def open_dialog(qtbot, ctx, **kw) -> PaymentDialog:
    dlg = PaymentDialog(ctx, **kw)
    qtbot.addWidget(dlg)
    dlg.show()
    return dlg


def test_pay_a_bookings_charges_issues_receipt_and_preview(qtbot, ctx, engine, booking_id, previews, errors,
                                                           qtmodeltester):
    dlg = open_dialog(qtbot, ctx, booking_id=booking_id)
    qtmodeltester.check(dlg.model)
    assert dlg.model.rowCount() == 1
    assert dlg.model.index(0, 0).data().endswith("大会議室 午前")
    assert dlg.model.index(0, 3).data() == "¥1,500"
    assert dlg.model.index(0, 4).data() == "10%対象"
    assert dlg.payer_edit.text() == CLUB  # the booker, never 上様
    assert dlg.purpose_edit.text() == "施設使用料として"
    assert "合計 ¥1,500" in dlg.total_label.text() and "内消費税 ¥136" in dlg.total_label.text()

    # Three laminated sheets on the same receipt (a quick button, quantity from the spin box).
    dlg.qty_spin.setValue(3)
    qtbot.mouseClick(dlg.quick_buttons["ラミネート"], Qt.MouseButton.LeftButton)
    assert dlg.model.rowCount() == 2
    assert "合計 ¥1,560" in dlg.total_label.text() and "内消費税 ¥141" in dlg.total_label.text()
    # Unticking a line takes it out of the total; ticking puts it back.
    dlg.model.set_checked(1, False)
    assert "合計 ¥1,500" in dlg.total_label.text()
    dlg.model.set_checked(1, True)

    dlg.method_combo.setCurrentIndex(dlg.method_combo.findData("card"))
    dlg.layout_combo.setCurrentIndex(dlg.layout_combo.findData("A4"))
    qtbot.mouseClick(dlg.pay_button, Qt.MouseButton.LeftButton)
    assert errors == []
    assert dlg.result() == PaymentDialog.DialogCode.Accepted

    with read_session(engine) as s:
        r = s.get(Receipt, dlg.receipt_id)
        assert r.receipt_no == receipt_no(1)
        assert (r.total, r.tax10, r.method, r.payer_name) == (1560, 141, "card", CLUB)
        assert {c.status for c in s.scalars(select(Charge).where(Charge.receipt_id == r.id))} == {"paid"}
        prints = list(s.scalars(select(ReceiptPrint).where(ReceiptPrint.receipt_id == r.id)))
        assert [(p.reissue, p.layout) for p in prints] == [(False, "A4")]
    # The receipt was shown in the preview: one page, its number, the payer, no 再発行.
    assert len(previews) == 1
    text = previews[0]["text"]
    assert previews[0]["pages"] == 1
    assert receipt_no(1) in text and CLUB in text and "再発行" not in text
    assert QSettings().value(pd.LAYOUT_KEY) == "A4"  # remembered for next time
    assert PaymentDialog(ctx, booking_id=booking_id).layout_combo.currentData() == "A4"


def test_payer_uesama_is_refused_and_input_kept(qtbot, ctx, engine, booking_id, previews, errors):
    dlg = open_dialog(qtbot, ctx, booking_id=booking_id)
    retype(dlg.payer_edit, "上様")
    retype(dlg.purpose_edit, "会議室使用料として")
    qtbot.mouseClick(dlg.pay_button, Qt.MouseButton.LeftButton)
    assert errors == ["宛名を入力してください（上様は使えません）。"]
    assert dlg.isVisible() and dlg.receipt_id is None and previews == []
    assert dlg.payer_edit.text() == "上様" and dlg.purpose_edit.text() == "会議室使用料として"
    with read_session(engine) as s:
        assert s.scalars(select(Receipt)).first() is None
    # Corrected, it goes through.
    retype(dlg.payer_edit, CLUB)
    qtbot.mouseClick(dlg.pay_button, Qt.MouseButton.LeftButton)
    assert dlg.receipt_id is not None and len(previews) == 1


def test_printing_log_dialog_charges_the_fee(qtbot, ctx, engine, errors):
    dlg = PrintingLogDialog(ctx, user_name="")
    qtbot.addWidget(dlg)
    dlg.show()
    dlg.masters_spin.setValue(2)
    dlg.sheets_spin.setValue(100)
    assert dlg.fee_label.text() == "¥200"  # 2 × ¥50 + 100 × ¥1 (paper brought)
    qtbot.mouseClick(dlg.bought_radio, Qt.MouseButton.LeftButton)
    assert dlg.fee_label.text() == "¥300"
    qtbot.mouseClick(dlg.ok_button, Qt.MouseButton.LeftButton)
    assert errors == ["利用者名（団体名・氏名）を入力してください。"] and dlg.isVisible()
    type_text(dlg.user_edit, "ふくふく子ども食堂")
    qtbot.mouseClick(dlg.ok_button, Qt.MouseButton.LeftButton)
    assert dlg.result() == PrintingLogDialog.DialogCode.Accepted
    _log_id, charge = dlg.result_value
    assert charge.amount == 300 and charge.payer_name == "ふくふく子ども食堂"


def test_walk_in_pays_printing_and_copies(qtbot, ctx, engine, previews, errors, monkeypatch):
    # Someone else's copies are open too: a walk-in pays only what was added for them.
    with write_session(engine) as s:
        pay_svc.add_item_charge(s, actor_for(engine, "desk"), "コピー 白黒", 5, payer_name="別の人")

    def record(parent, ctx_, *, user_name="", group_id=None):
        d = PrintingLogDialog(ctx_, parent, user_name=user_name, group_id=group_id)
        d.masters_spin.setValue(1)
        d.sheets_spin.setValue(50)
        assert d.save()
        return d.result_value

    monkeypatch.setattr(PrintingLogDialog, "record", staticmethod(record))
    dlg = open_dialog(qtbot, ctx)
    assert dlg.payer_edit.text() == ""
    assert dlg.model.checked_ids() == [] and not dlg.pay_button.isEnabled()
    type_text(dlg.payer_edit, "ふくふく子ども食堂")
    qtbot.mouseClick(dlg.printing_button, Qt.MouseButton.LeftButton)
    dlg.item_combo.setCurrentIndex(dlg.item_combo.findData("コピー カラー"))
    dlg.qty_spin.setValue(2)
    qtbot.mouseClick(dlg.add_button, Qt.MouseButton.LeftButton)
    assert errors == []
    assert "合計 ¥200" in dlg.total_label.text()  # ¥50 + 50 × ¥1 + 2 × ¥50
    # Quantities say what they count, as the receipt will (issue 13, item 17).
    assert [dlg.model.index(r, 1).data() for r in range(dlg.model.rowCount())] == ["5枚", "1回", "2枚"]
    qtbot.mouseClick(dlg.pay_button, Qt.MouseButton.LeftButton)
    assert errors == [] and dlg.receipt_id is not None
    with read_session(engine) as s:
        r = s.get(Receipt, dlg.receipt_id)
        assert r.total == 200 and r.payer_name == "ふくふく子ども食堂"
        other = s.scalars(select(Charge).where(Charge.payer_name == "別の人")).one()
        assert other.status == "open"
    assert "用紙持込）" in previews[0]["text"] and "コピー カラー" in previews[0]["text"]


def test_purpose_follows_what_is_paid(qtbot, ctx, engine, booking_id, previews, errors, monkeypatch):
    """但し書き defaults from the ticked charges (QA: it said 施設使用料 for a laminate), until staff type one."""
    dlg = open_dialog(qtbot, ctx, booking_id=booking_id)
    assert dlg.purpose_edit.text() == "施設使用料として"  # the room fee
    dlg.model.set_checked(0, False)
    qtbot.mouseClick(dlg.quick_buttons["ラミネート"], Qt.MouseButton.LeftButton)
    assert dlg.model.checked_ids() == [dlg.model.row(1).id]
    assert dlg.purpose_edit.text() == "ラミネート代として"
    dlg.model.set_checked(0, True)  # the room and the laminate together
    assert dlg.purpose_edit.text() == "施設・備品使用料として"
    # Typed by staff: left alone whatever is ticked, and that is what the receipt says.
    retype(dlg.purpose_edit, "写真展会場費として")
    dlg.model.set_checked(1, False)
    assert dlg.purpose_edit.text() == "写真展会場費として"
    qtbot.mouseClick(dlg.pay_button, Qt.MouseButton.LeftButton)
    with read_session(engine) as s:
        assert s.get(Receipt, dlg.receipt_id).purpose == "写真展会場費として"

    # A walk-in printing-machine use: 印刷機使用料.
    def record(parent, ctx_, *, user_name="", group_id=None):
        d = PrintingLogDialog(ctx_, parent, user_name=user_name, group_id=group_id)
        d.masters_spin.setValue(1)
        assert d.save()
        return d.result_value

    monkeypatch.setattr(PrintingLogDialog, "record", staticmethod(record))
    walk_in = open_dialog(qtbot, ctx)
    type_text(walk_in.payer_edit, "ふくふく子ども食堂")
    qtbot.mouseClick(walk_in.printing_button, Qt.MouseButton.LeftButton)
    assert walk_in.purpose_edit.text() == "印刷機使用料として"


def test_default_purpose_by_kind():
    from types import SimpleNamespace as C

    assert pd.default_purpose([]) == "施設使用料として"
    assert pd.default_purpose([C(category="room", description="x")]) == "施設使用料として"
    assert pd.default_purpose([C(category="equipment", description="x")] * 2) == "備品使用料として"
    assert pd.default_purpose([C(category="printing", description="印刷機 製版")]) == "印刷機使用料として"
    assert pd.default_purpose([C(category="insurance", description="保険料")]) == "保険料として"
    assert pd.default_purpose([C(category="room", description="x"),
                               C(category="equipment", description="y")]) == "施設・備品使用料として"
    assert pd.default_purpose([C(category="other", description="コピー 白黒"),
                               C(category="other", description="コピー カラー")]) == "コピー代として"


def test_closed_day_refuses_payment(qtbot, ctx, engine, booking_id, manager, previews, errors):
    with write_session(engine) as s:
        pay_svc.close_day(s, manager, clock.today(), terminal_name(), cash_counted=0)
    dlg = open_dialog(qtbot, ctx, booking_id=booking_id)
    qtbot.mouseClick(dlg.pay_button, Qt.MouseButton.LeftButton)
    assert len(errors) == 1 and "締め済みのため、領収できません" in errors[0]
    assert dlg.isVisible() and dlg.receipt_id is None and previews == []


def test_booking_dialog_shows_the_fee_live(qtbot, ctx, engine):
    day = open_day(after=8)
    dlg = bd.BookingDialog(ctx)
    qtbot.addWidget(dlg)
    dlg.show()
    dlg.date_edit.setDate(dates.to_qdate(day))
    dlg.kind_combo.setCurrentIndex(dlg.kind_combo.findData("group"))
    dlg.room_combo.setCurrentIndex(dlg.room_combo.findText("大会議室", Qt.MatchFlag.MatchStartsWith))
    dlg.set_times(time(9), time(12))
    assert dlg.fee_label.text() == "¥1,500（一般）"
    dlg.set_times(time(9), time(17))  # 午前 and 午後: both periods are charged
    assert dlg.fee_label.text() == "¥3,500（一般）"
    dlg.kind_combo.setCurrentIndex(dlg.kind_combo.findData("member"))
    assert dlg.fee_label.text() == "—"  # no group chosen yet


def test_pld_fee_uses_the_schedule():
    from booking_app.domain.fees import load_default_fees

    assert pld.printing_fee(load_default_fees(), 3, 200, "brought") == 350
    assert pld.printing_fee(load_default_fees(), 0, 10, "bought") == 20


# ----------------------------------------------------------------------------- the day list's buttons


def test_today_list_pay_and_slips(qtbot, ctx, engine, booking_id, previews, errors, monkeypatch):
    from booking_app.services.bookings import get_booking
    from booking_app.ui.booking.today_list import TodayListPage

    second = general_booking(engine, "関門ウォーキングの会", days_ahead=8, room="小会議室1")  # the same day
    with read_session(engine) as s:
        day = get_booking(s, booking_id).start.date()
        number = get_booking(s, booking_id).number
    page = TodayListPage(ctx)
    qtbot.addWidget(page)
    page.set_day(day)
    page.show()
    assert not page.pay_button.isEnabled() and not page.slip_button.isEnabled()
    assert page.select_booking(booking_id)
    assert page.pay_button.isEnabled() and page.slip_button.isEnabled()

    # 支払 opens the payment dialog on the booking's charges; staff press 領収 in it.
    def exec_and_pay(dlg):
        assert dlg.booking_id == booking_id and dlg.model.rowCount() == 1
        dlg.pay()
        return dlg.result()

    monkeypatch.setattr(PaymentDialog, "exec", exec_and_pay)
    qtbot.mouseClick(page.pay_button, Qt.MouseButton.LeftButton)
    assert errors == [] and len(previews) == 1 and receipt_no(1) in previews[0]["text"]

    # 利用票印刷: the selected booking's slip, made in the background, then the preview.
    qtbot.mouseClick(page.slip_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.last_op.done, timeout=10_000)
    assert page.last_op.error is None
    assert previews[1]["pages"] == 1 and number in previews[1]["text"]

    # 翌日の利用票 from the day before: both bookings of that day in one PDF.
    page.set_day(day - timedelta(days=1))
    qtbot.mouseClick(page.tomorrow_slips_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.last_op.done, timeout=10_000)
    assert page.last_op.error is None and errors == []
    with read_session(engine) as s:
        second_no = get_booking(s, second).number
    assert previews[2]["pages"] == 2
    assert number in previews[2]["text"] and second_no in previews[2]["text"]
    # A day without bookings says so instead of printing an empty PDF.
    page.set_day(day + timedelta(days=5))
    qtbot.mouseClick(page.tomorrow_slips_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.last_op.done, timeout=10_000)
    assert errors == ["印刷する利用票がありません。"] and len(previews) == 3


def test_an_incomplete_issuer_is_warned_at_the_payment(qtbot, ctx, engine, booking_id, manager, errors):
    """Issue 13, item 10: receipts went out with no 指定管理者 and no 登録番号, and nobody was told."""
    from dataclasses import replace

    from booking_app.services import fees as fee_svc

    dlg = open_dialog(qtbot, ctx, booking_id=booking_id)
    assert dlg.issuer_warning.isVisible()
    assert "指定管理者名・登録番号" in dlg.issuer_warning.text() and "設定 → 料金" in dlg.issuer_warning.text()
    assert dlg.pay_button.isEnabled()  # a warning, not a refusal: the desk still takes the money
    dlg.close()
    with write_session(engine) as s:  # the operator is set, the number not yet
        fee_svc.save_fees(s, manager, replace(fee_svc.get_fees(s), operator="NPO法人ふくふく"))
    dlg = open_dialog(qtbot, ctx, booking_id=booking_id)
    assert dlg.issuer_warning.isVisible() and "（登録番号）" in dlg.issuer_warning.text()
    dlg.close()
    with write_session(engine) as s:
        fee_svc.save_fees(s, manager, replace(fee_svc.get_fees(s), invoice_number="T9234567890123"))
    dlg = open_dialog(qtbot, ctx, booking_id=booking_id)
    assert not dlg.issuer_warning.isVisible() and dlg.issuer_warning.text() == ""
    assert errors == []
