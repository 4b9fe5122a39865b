"""The ledger import dialog and hostile files (issue 15): a file beyond the limits is refused in the dialog
itself, in Japanese, with nothing to import; a booking another terminal saves between the preview and 取込
turns 取込 into the new verdict, nothing written."""

from __future__ import annotations


import openpyxl
import pytest
from PySide6.QtCore import Qt
from sqlalchemy import func, select

from booking_app.services.imports import import_bookings_file
from booking_app.store.engine import read_session
from booking_app.store.models import Booking
from booking_app.ui.context import AppContext
from booking_app.ui.booking.ledger_import_dialog import LedgerImportDialog

pytestmark = pytest.mark.now("2026-11-25 10:00")


@pytest.fixture
def shown(monkeypatch, prompts):
    """The errors and notices staff would read, as ctx.prompts recorded them."""
    return prompts.shown("show_error", "info")


def count(engine) -> int:
    with read_session(engine) as s:
        return s.scalar(select(func.count()).select_from(Booking))


def test_an_xfd_bomb_is_refused_in_the_dialog(qtbot, engine, manager, tmp_path, shown):
    path = tmp_path / "XFD.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["利用日", "部屋", "開始", "終了", "団体名", "目的"])
    for r in range(2, 5_002):
        ws.cell(row=r, column=16_384, value="x")
    wb.save(path)
    dlg = LedgerImportDialog(AppContext(engine, manager), path)
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.counts_label.text() == "読み込めませんでした"
    assert "2行目の16,384列目にデータがあります（列は 100列まで）" in dlg.note_label.text()
    assert "取込の上限" in dlg.note_label.text()
    assert dlg.blocked_label.isVisible() and not dlg.import_button.isEnabled()
    assert not dlg.error_box.isVisible() and count(engine) == 0


def test_a_booking_saved_after_the_preview_shows_the_new_verdict(qtbot, engine, manager, tmp_path, shown):
    path = tmp_path / "予約台帳.csv"
    path.write_text("利用日,部屋,開始,終了,団体名,目的\n2026/12/02,小会議室1,9:00,12:00,関門囲碁愛好会,練習\n",
                    encoding="utf-8")
    ctx = AppContext(engine, manager)
    changed: list[set] = []
    ctx.changed.connect(changed.append)
    dlg = LedgerImportDialog(ctx, path)
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.counts_label.text() == "予約 1件を取り込めます" and dlg.import_button.isEnabled()

    other = tmp_path / "別の端末.csv"  # another terminal books the same room and time meanwhile
    other.write_text("利用日,部屋,開始,終了,団体名,目的\n2026/12/02,小会議室1,10:00,11:00,唐戸手話の会,練習\n",
                     encoding="utf-8")
    assert import_bookings_file(engine, manager, other, dry_run=False).written

    qtbot.mouseClick(dlg.import_button, Qt.MouseButton.LeftButton)
    assert dlg.result() != dlg.DialogCode.Accepted and changed == []
    assert dlg.counts_label.text() == "誤り 1件" and not dlg.import_button.isEnabled()
    assert "唐戸手話の会" in dlg.error_model.issue(0).message and "二重予約" in dlg.error_model.issue(0).message
    assert count(engine) == 1


def test_import_broadcasts_bookings_and_groups(qtbot, engine, manager, tmp_path, shown):
    path = tmp_path / "予約台帳.csv"
    path.write_text("利用日,部屋,開始,終了,団体名,目的\n2026/12/02,小会議室1,9:00,12:00,関門囲碁愛好会,練習\n",
                    encoding="utf-8")
    ctx = AppContext(engine, manager)
    changed: list[set] = []
    ctx.changed.connect(changed.append)
    dlg = LedgerImportDialog(ctx, path)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.mouseClick(dlg.import_button, Qt.MouseButton.LeftButton)
    assert dlg.result() == dlg.DialogCode.Accepted and "予約台帳を取り込みました" in shown[-1]
    assert changed == [{"booking", "group"}] and count(engine) == 1
