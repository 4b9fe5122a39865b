"""Fixtures shared by the UI tests: a migrated SQLite database with the default rooms, equipment and
staff (``engine``), the desk and manager actors, and a desk AppContext.

Every UI test runs with ``prompts``: a :class:`RecordingPrompts` installed as the shared ``ctx.prompts``
of every AppContext, so no page opens a modal question, notice or file dialog; a test sets the answers
(``prompts.save_path = tmp_path / "x.xlsx"``, ``prompts.answer_confirm(False)``) and reads what was
asked (``prompts.infos``, ``prompts.errors``).

A test module that needs more in its database (registered groups, bookings) defines its own
``engine``; ``desk``, ``manager`` and ``ctx`` then build on that one, as pytest resolves fixtures
from the requesting module first. The keyboard flows of issue 17 share two: ``reading_group`` (ふくふく読書会,
R0012, in good standing) and ``no_slips`` (利用票 recorded, not previewed); a module asks for them with
``pytest.mark.usefixtures("reading_group", "no_slips")``.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from booking_app.services.centre import ensure_initial_data
from booking_app.services.common import Actor
from booking_app.store.engine import make_engine, read_session, write_session
from booking_app.store.models import MemberGroup, Staff
from booking_app.ui import prompts as prompts_module
from booking_app.ui.context import AppContext
from booking_app.ui.prompts import RecordingPrompts


def _actor(engine, role: str) -> Actor:
    with read_session(engine) as s:
        st = s.scalars(select(Staff).where(Staff.role == role)).first()
        return Actor(st.id, st.name, st.role)


@pytest.fixture(autouse=True)
def prompts():
    """The recorder every AppContext asks in this test (answers: confirm yes, save and open cancelled)."""
    recorder = RecordingPrompts()
    previous = prompts_module.install(recorder)
    yield recorder
    prompts_module.install(previous)


@pytest.fixture(autouse=True)
def _no_focus_ring_after():
    """A test that installs the focus ring (or starts the app, which does) takes it away again: the next
    test counts a table's cell editors, and the ring is a widget too."""
    yield
    from booking_app.ui import focus_ring

    focus_ring.uninstall()


@pytest.fixture
def engine(sqlite_url):
    """A fresh SQLite database with ensure_initial_data() applied (受付スタッフ, センター長, …)."""
    eng = make_engine(sqlite_url)
    with write_session(eng) as s:
        ensure_initial_data(s)
    yield eng
    eng.dispose()


@pytest.fixture
def reading_group(engine) -> int:
    """ふくふく読書会 (R0012), a member group in good standing, in the conftest database; its id."""
    with write_session(engine) as s:
        g = MemberGroup(reg_no="R0012", name="ふくふく読書会", kana="ふくふくどくしょかい", status="active",
                        phone="083-111-2222", created_at=dt.datetime(2026, 4, 1))
        s.add(g)
        s.flush()
        return g.id


@pytest.fixture
def no_slips(monkeypatch, tmp_path):
    """利用票 after saving: recorded, not previewed (a preview is modal); QSettings in a temp folder. Yields
    the booking ids of each print."""
    from PySide6.QtCore import QSettings

    from booking_app.ui.booking import slips

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    QSettings().clear()
    printed: list[list[int]] = []
    monkeypatch.setattr(slips, "print_saved_slips", lambda parent, ctx, ids, *a: printed.append(list(ids)))
    yield printed
    QSettings().clear()


@pytest.fixture
def desk(engine) -> Actor:
    return _actor(engine, "desk")


@pytest.fixture
def manager(engine) -> Actor:
    return _actor(engine, "manager")


@pytest.fixture
def ctx(engine, desk) -> AppContext:
    return AppContext(engine, desk)


@pytest.fixture
def window(qtbot, ctx):
    """The main window at the counter's size, shown and active, so keys reach the focused widget
    (tests/ui/keyboard_walk.py); a module whose ``window`` means something else defines its own."""
    from booking_app.ui.main_window import MainWindow

    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.resize(1366, 768)
    with qtbot.waitActive(w):
        w.show()
        w.activateWindow()
    return w


@pytest.fixture
def japanese_font(qapp):
    """The bundled IPAex font as the application font, as the app sets it: offscreen Qt has no Japanese system
    font, so a grab (and a width measured in a test) would show boxes. Asked for with usefixtures."""
    from PySide6.QtGui import QFont

    from booking_app import fonts

    old = qapp.font()
    qapp.setFont(QFont(fonts.register_qt_fonts(), 10))
    yield
    qapp.setFont(old)
