"""The booking ledger's import from the UI (予約台帳の取込): preview, rule breaks on dates still to come, and
the manager's reason that lets them in, recorded on each booking (issue 13, item 6)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from booking_app.store.engine import read_session
from booking_app.store.models import Booking
from booking_app.ui.context import AppContext
from booking_app.ui.booking.ledger_import_dialog import LedgerImportDialog

pytestmark = pytest.mark.now("2026-11-25 10:00")
REASON = "市の依頼による臨時開館"


@pytest.fixture
def shown(monkeypatch, prompts):
    """The errors and notices staff would read, as ctx.prompts recorded them."""
    return prompts.shown("show_error", "info")


@pytest.fixture
def ledger(tmp_path) -> Path:
    path = tmp_path / "予約台帳.csv"
    path.write_text(
        "利用日,部屋,開始,終了,団体名,目的\n"
        "2026/11/22,大会議室,18:00,21:00,市民講座の会,講座\n"      # a past Sunday evening: history
        "2027/01/02,大会議室,9:00,12:00,市民講座の会,講座\n"       # 年末年始, still to come
        "2026/12/02,小会議室1,9:00,12:00,関門囲碁愛好会,練習\n",
        encoding="utf-8")
    return path


def type_text(widget, text: str) -> None:
    """Type text key by key like an IME commit would; QTest.keyClicks only knows ASCII keys."""
    for ch in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier, ch))


def bookings(engine) -> dict[str, str]:
    with read_session(engine) as s:
        return {f"{b.start_at:%Y-%m-%d}": b.override_reason for b in s.scalars(select(Booking))}


def test_a_manager_gives_the_reason_and_imports(qtbot, engine, manager, ledger, shown):
    ctx = AppContext(engine, manager)
    dlg = LedgerImportDialog(ctx, ledger)
    qtbot.addWidget(dlg)
    dlg.show()

    # Without a reason the closed day still to come is an error: nothing can be imported.
    assert dlg.counts_label.text() == "誤り 1件" and not dlg.import_button.isEnabled()
    assert "2027/01/02（土）は休館日（年末年始休館）です" in dlg.error_model.issue(0).message
    assert "規則外の理由" in dlg.note_label.text() and dlg.blocked_label.isVisible()

    type_text(dlg.reason_edit, REASON)
    assert dlg.recheck_button.isEnabled() and not dlg.import_button.isEnabled()
    qtbot.mouseClick(dlg.recheck_button, Qt.MouseButton.LeftButton)
    assert dlg.counts_label.text() == "予約 3件を取り込めます" and dlg.import_button.isEnabled()
    assert f"規則外（理由：{REASON}）" in dlg.note_label.text()
    assert any(f"規則外（理由：{REASON}）として取り込みます" in dlg.warning_model.issue(i).message
               for i in range(dlg.warning_model.rowCount()))

    # Changing the reason after the check asks for another check before 取込.
    qtbot.keyClicks(dlg.reason_edit, "X")
    assert not dlg.import_button.isEnabled()
    qtbot.keyClick(dlg.reason_edit, Qt.Key.Key_Backspace)
    assert dlg.import_button.isEnabled()

    qtbot.mouseClick(dlg.import_button, Qt.MouseButton.LeftButton)
    assert dlg.result() == dlg.DialogCode.Accepted and "予約台帳を取り込みました" in shown[-1]
    assert bookings(engine) == {"2026-11-22": "台帳からの取込", "2027-01-02": REASON, "2026-12-02": ""}


def test_desk_staff_see_why_they_cannot(qtbot, engine, desk, ledger, shown):
    ctx = AppContext(engine, desk)
    dlg = LedgerImportDialog(ctx, ledger)
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.counts_label.text() == "読み込めませんでした" and "管理者" in dlg.note_label.text()
    assert dlg.permission_label.isVisible() and not dlg.reason_edit.isEnabled()
    assert not dlg.import_button.isEnabled() and bookings(engine) == {}
    assert LedgerImportDialog.run(None, ctx, ledger) is False and "管理者のみ" in shown[-1]


def test_the_file_menu_opens_it(qtbot, engine, manager, ledger, monkeypatch):
    from booking_app.ui.main_window import MainWindow

    opened = []
    monkeypatch.setattr(LedgerImportDialog, "run", classmethod(lambda cls, parent, ctx, path=None: opened.append(ctx)))
    win = MainWindow(AppContext(engine, manager))
    qtbot.addWidget(win)
    action = next(a for m in win.menuBar().actions() for a in m.menu().actions() if a.objectName() == "import_ledger")
    assert action.text() == "予約台帳の取込…"
    action.trigger()
    assert len(opened) == 1


# --- by keys (issue 17) ------------------------------------------------------------------------------------


def test_by_keys_reason_recheck_and_import_without_a_trap(qtbot, engine, manager, ledger, shown):
    import keyboard_walk as kw

    ctx = AppContext(engine, manager)
    dlg = LedgerImportDialog(ctx, ledger)
    qtbot.addWidget(dlg)
    with qtbot.waitActive(dlg):
        dlg.show()
        dlg.activateWindow()
    assert kw.unnamed(dlg) == []
    assert kw.accessible_name(dlg.error_view) == "誤り" and kw.accessible_name(dlg.reason_edit) == "規則外の理由"
    kw.press(Qt.Key.Key_R, Qt.KeyboardModifier.AltModifier)  # 規則外の理由(&R)
    assert kw.focused() is dlg.reason_edit
    chain = kw.tab_chain()
    kw.assert_no_trap(chain, must_reach=[dlg.choose_button, dlg.reason_edit, dlg.error_view, dlg.cancel_button])

    kw.tab_to(dlg.reason_edit)
    kw.type_text("city event")
    kw.press(Qt.Key.Key_Return)  # checks again with the reason; it does not import on the same key
    assert dlg.counts_label.text() == "予約 3件を取り込めます" and dlg.import_button.isDefault()
    assert dlg.isVisible() and bookings(engine) == {}
    assert kw.unnamed(dlg) == []
    chain = kw.tab_chain()
    kw.assert_no_trap(chain, must_reach=[dlg.warning_view, dlg.import_button, dlg.cancel_button])
    kw.tab_to(dlg.reason_edit)
    kw.press(Qt.Key.Key_Return)  # now Enter is 取込, the default button
    assert dlg.result() == dlg.DialogCode.Accepted and "予約台帳を取り込みました" in shown[-1]
    assert bookings(engine)["2027-01-02"] == "city event"
