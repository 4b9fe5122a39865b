"""The PostgreSQL server restarts while a booking is being typed: nothing typed is lost.

A cluster of this test's own is stopped and started again on the same port (the session's shared
server must keep running for the other tests).
"""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QComboBox, QLineEdit, QPushButton, QSpinBox
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from booking_app.services.centre import ensure_initial_data
from booking_app.services.common import Actor
from booking_app.store.engine import make_engine, read_session, write_session
from booking_app.store.migrate import upgrade
from booking_app.store.models import Booking, MemberGroup, Staff
from booking_app.ui import dates
from booking_app.ui.booking.booking_dialog import BookingDialog
from booking_app.ui.change_watch import ChangeWatcher
from booking_app.ui.context import AppContext
from booking_app.ui.errors import SERVER_LOST_MESSAGE, build_error_box
from days import open_day

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pgcluster import PgCluster  # noqa: E402

pytestmark = pytest.mark.postgres


class RestartableServer:
    def __init__(self) -> None:
        self.cluster = PgCluster()
        self.url = self.cluster.start()
        if self.url and self.cluster._datadir is None:  # BOOKING_APP_TEST_PG_URL: not ours to stop
            self.url = None

    def _pg_ctl(self, *args: str) -> None:
        self.cluster._run([str(self.cluster._bindir / "pg_ctl"), "-D", str(self.cluster._datadir), *args])

    def stop(self) -> None:
        self._pg_ctl("-m", "fast", "-w", "stop")

    def start(self) -> None:
        port = make_url(self.url).port
        sock = self.cluster._tmpdir / "sock"
        self._pg_ctl("-l", str(self.cluster._tmpdir / "server.log"), "-w", "-t", "60", "-o",
                     f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off", "start")


@pytest.fixture
def server():
    s = RestartableServer()
    if not s.url:
        s.cluster.stop()
        pytest.skip(f"no PostgreSQL cluster of our own: {s.cluster.reason}")
    yield s
    s.cluster.stop()


def type_text(widget, text: str) -> None:
    for ch in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, Qt.Key.Key_unknown,
                                                     Qt.KeyboardModifier.NoModifier, ch))


def choose(combo: QComboBox, text_start: str) -> None:
    combo.setCurrentIndex(next(i for i in range(combo.count()) if combo.itemText(i).startswith(text_start)))


def next_wednesday() -> date:
    return open_day(after=7, weekday=2)  # open on any pinned day of the year


def test_saving_while_the_server_restarts_keeps_the_input_then_saves(qtbot, server, monkeypatch, prompts):
    upgrade(server.url)
    engine = make_engine(server.url)
    with write_session(engine) as s:
        ensure_initial_data(s)
        s.add(MemberGroup(reg_no="R0012", name="ふくふく読書会", kana="ふくふくどくしょかい", status="active",
                          created_at=datetime(2026, 4, 1)))
    with read_session(engine) as s:
        st = s.scalars(select(Staff).where(Staff.role == "desk")).first()
        ctx = AppContext(engine, Actor(st.id, st.name, st.role))
    watcher = ChangeWatcher(ctx).start()
    shown: list[str] = []
    monkeypatch.setattr(prompts, "show_error",
                        lambda parent, exc: shown.append(build_error_box(parent, exc).text()))
    try:
        dlg = BookingDialog(ctx)
        qtbot.addWidget(dlg)
        dlg.show()
        day = next_wednesday()
        dlg.date_edit.setDate(dates.to_qdate(day))
        qtbot.mouseClick(dlg.findChild(QPushButton, "period_午前"), Qt.MouseButton.LeftButton)
        choose(dlg.findChild(QComboBox, "room"), "大会議室")
        choose(dlg.findChild(QComboBox, "booker_kind"), "登録団体")
        group = dlg.findChild(QLineEdit, "group_search")
        type_text(group, "どくしょ")
        qtbot.keyClick(group, Qt.Key.Key_Return)
        type_text(dlg.findChild(QLineEdit, "purpose"), "再起動中の定例会")
        dlg.findChild(QSpinBox, "attendees").setValue(15)
        dlg.print_slip_check.setChecked(False)  # no slip preview window in this test

        with qtbot.waitSignal(watcher.server_lost, timeout=10_000):
            server.stop()
        qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
        assert shown == [SERVER_LOST_MESSAGE]
        assert dlg.isVisible() and dlg.result() != BookingDialog.DialogCode.Accepted
        assert dlg.findChild(QLineEdit, "purpose").text() == "再起動中の定例会"  # what was typed is still there
        assert dlg.findChild(QSpinBox, "attendees").value() == 15

        with qtbot.waitSignal(watcher.server_back, timeout=15_000):
            server.start()
        qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)  # the same dialog, pressed again
        assert shown == [SERVER_LOST_MESSAGE]
        assert dlg.result() == BookingDialog.DialogCode.Accepted
        with read_session(engine) as s:
            assert s.scalar(select(func.count()).select_from(Booking)) == 1
            assert s.get(Booking, dlg.result_id).purpose == "再起動中の定例会"
    finally:
        watcher.stop()
        engine.dispose()
