"""Which day a test runs on, and no test waits for a click that never comes.

The clock
---------
Every test runs with the app's one clock (``booking_app.clock``) pinned to one instant: ``DEFAULT_NOW``
(Wednesday 2026-11-25 10:00, an ordinary open day in the middle of the fiscal year), or the day the run
was asked for (``pytest --now 2027-03-31``). A test that needs another moment names it::

    @pytest.mark.now("2027-03-31 10:00")      # or a date / datetime
    def test_lapse(...): ...

    pytestmark = pytest.mark.now(NOW)         # a whole module

and a test that needs time to pass moves the clock itself with the ``frozen_clock`` fixture
(``frozen_clock.advance(minutes=16)``). No test reads the wall clock (``tests/test_clock_discipline.py``).

The calendar sweep
------------------
``pytest --calendar-sweep`` runs every test that does not name its moment once on each of the year's trap
days (``SWEEP_DAYS``: 年末年始, the fiscal-year end and start, a Sunday, the eve of a 振替休日, a leap day,
and today's real date), so a test that only passes on an ordinary Wednesday is found. ``make
test-calendar`` runs it over the date-sensitive tests.

Modals
------
A modal dialog opened where no test answers it would wait forever for a click. While a test runs,
``QDialog.exec`` (so every dialog, message box and file dialog), ``QPrintDialog.exec``, ``QMenu.exec`` and the static ``QMessageBox``, ``QFileDialog`` and
``QInputDialog`` helpers raise :class:`UnexpectedModal` at once with the dialog's title and text. A test
that opens a modal on purpose and answers it (a ``QTimer`` that clicks, or a ``monkeypatch`` of ``exec``)
says so with ``@pytest.mark.answers_modals``; its modals then run, and one still open after
``MODAL_WATCHDOG_S`` seconds is closed and fails the test with its text. ``pytest-timeout`` (``thread``
method, see pyproject) is the last resort for anything else that hangs.
"""

from __future__ import annotations

import functools
import os
from datetime import date, datetime, time

import pytest

from booking_app import clock

DEFAULT_NOW = datetime(2026, 11, 25, 10, 0)

# The year's traps (issue 12). Each runs at 10:00, when the centre is open on an ordinary day.
SWEEP_DAYS: dict[str, date] = {
    "1228": date(2026, 12, 28),  # the last open day before 年末年始
    "1230": date(2026, 12, 30),  # inside 年末年始 (closed)
    "0104": date(2027, 1, 4),  # the first open day after it
    "0331": date(2027, 3, 31),  # fiscal-year end: registrations and insurance lapse tomorrow
    "0401": date(2027, 4, 1),  # fiscal-year start: renewal due, new receipt numbers, new plans
    "sunday": date(2027, 2, 7),
    "furikae_eve": date(2027, 3, 21),  # 春分の日 on a Sunday; Monday 3/22 is the 振替休日
    "leapday": date(2028, 2, 29),
}


def _real_today() -> date:
    # The one place a test reads the wall clock: to add today's real date to the sweep.
    return clock.SystemClock().now().date()  # wall-clock-ok


@functools.cache
def sweep_days() -> dict[str, date]:
    days = dict(SWEEP_DAYS)
    days["realtoday"] = _real_today()
    return days


def _moment(value: object) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time(10, 0))
    if isinstance(value, str):
        return clock.parse_moment(value)
    raise TypeError(f"pytest.mark.now takes a date, datetime or 'YYYY-MM-DD[ HH:MM]', not {value!r}")


# --------------------------------------------------------------------------------------------- hooks
def pytest_addoption(parser) -> None:
    group = parser.getgroup("fukufuku clock")
    group.addoption("--now", default=None, metavar="YYYY-MM-DD[ HH:MM]",
                    help="the instant tests that do not name theirs run at (default 2026-11-25 10:00)")
    group.addoption("--calendar-sweep", action="store_true", default=False,
                    help="run every test that does not name its day once on each of the year's trap days")


def pytest_configure(config) -> None:
    # Outside any test too (module- and session-scoped fixtures, collection), the clock is pinned:
    # nothing in a test run ever sees the machine's date.
    clock.set_clock(clock.FixedClock(_default_moment(config)))
    config.addinivalue_line("markers", "now(moment): the instant this test's clock is pinned to")
    config.addinivalue_line("markers", "answers_modals: the test opens modal dialogs and answers them itself")


def pytest_generate_tests(metafunc) -> None:
    if not metafunc.config.getoption("--calendar-sweep"):
        return
    if metafunc.definition.get_closest_marker("now") is not None:
        return  # the test names its day: nothing to sweep
    if "_sweep_day" in metafunc.fixturenames:
        days = sweep_days()
        metafunc.parametrize("_sweep_day", list(days.values()), ids=list(days.keys()))


# Per-test limits (pytest-timeout, pyproject: 60 s). A property test runs many examples and a slow test
# spawns processes on purpose: they get longer limits unless they name their own.
HYPOTHESIS_TIMEOUT_S = 300
SLOW_TIMEOUT_S = 900


def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        if item.get_closest_marker("timeout") is not None:
            continue
        if item.get_closest_marker("slow") is not None:
            item.add_marker(pytest.mark.timeout(SLOW_TIMEOUT_S))
        elif getattr(getattr(item, "obj", None), "is_hypothesis_test", False):
            item.add_marker(pytest.mark.timeout(HYPOTHESIS_TIMEOUT_S))


# ------------------------------------------------------------------------------------------ fixtures
@pytest.fixture
def _sweep_day() -> date | None:
    """The sweep's day for this test (parametrized by ``--calendar-sweep``), else None."""
    return None


class PinnedClock(clock.FixedClock):
    """A FixedClock that counts how often it is read: the sweep skips tests that never ask the time."""

    def __init__(self, instant: datetime):
        super().__init__(instant)
        self.reads = 0

    def now(self) -> datetime:
        self.reads += 1
        return super().now()


# Sweep bookkeeping: for each test (its id without the sweep day), whether its first run read the clock.
_reads_clock: dict[str, bool] = {}


def _sweep_key(nodeid: str, day_id: str) -> str:
    base, _, params = nodeid.partition("[")
    rest = [p for p in params.rstrip("]").split("-") if p != day_id]
    return f"{base}[{'-'.join(rest)}]" if rest else base


def _default_moment(config) -> datetime:
    option = config.getoption("--now")
    return _moment(option) if option else DEFAULT_NOW


@pytest.fixture(autouse=True)
def frozen_clock(request, _sweep_day) -> clock.FixedClock:
    """The app's clock for this test, pinned (see the module docstring)."""
    marker = request.node.get_closest_marker("now")
    key = None
    if marker is not None:
        moment = _moment(marker.args[0])
    elif _sweep_day is not None:
        days = sweep_days()
        day_id = next(i for i in request.node.callspec.id.split("-") if i in days)
        key = _sweep_key(request.node.nodeid, day_id)
        if _reads_clock.get(key) is False:
            pytest.skip("never reads the clock: one day is enough")
        moment = datetime.combine(_sweep_day, time(10, 0))
    else:
        moment = _default_moment(request.config)
    pinned = PinnedClock(moment)
    with clock.using(pinned):
        yield pinned
    if key is not None and key not in _reads_clock:
        _reads_clock[key] = pinned.reads > 0


# --------------------------------------------------------------------------------------- modal guard
MODAL_WATCHDOG_S = float(os.environ.get("BOOKING_APP_TEST_MODAL_WATCHDOG_S", "10"))


class UnexpectedModal(AssertionError):
    """A modal dialog opened that no test answers: it would have waited for a click forever."""


def _describe(widget) -> str:
    from PySide6.QtWidgets import QAbstractButton, QLabel, QLineEdit, QMessageBox

    parts = [f"「{widget.windowTitle()}」" if widget.windowTitle() else type(widget).__name__]
    if isinstance(widget, QMessageBox):
        parts += [widget.text(), widget.informativeText()]
    else:
        labels = [lb.text() for lb in widget.findChildren(QLabel) if lb.text().strip()]
        parts += labels[:8]
        if not labels:
            parts += [b.text() for b in widget.findChildren(QAbstractButton) if b.text()][:6]
            parts += [e.text() for e in widget.findChildren(QLineEdit) if e.text()][:3]
    return " / ".join(p for p in parts if p)


def _refuse(kind: str, detail: str):
    raise UnexpectedModal(
        f"unexpected modal {kind} (no test answers it; it would wait for a click forever): {detail}. "
        "Answer it in the test (monkeypatch it, or drive it with a QTimer and mark the test "
        "@pytest.mark.answers_modals).")


def _static_refuser(owner: str, name: str):
    def refuse(*args, **kwargs):
        texts = [a for a in args if isinstance(a, str)]
        _refuse(f"{owner}.{name}", " / ".join(texts) or "(no text)")

    return refuse


def _guard_exec(original):
    def guarded_exec(self, *args, **kwargs):
        _refuse(f"{type(self).__name__}.exec", _describe(self))

    guarded_exec.__wrapped__ = original
    return guarded_exec


def _watched_exec(original, stuck: list[str]):
    """exec that runs, but a modal still open after MODAL_WATCHDOG_S seconds is closed and reported."""
    from PySide6.QtCore import QTimer

    def watched_exec(self, *args, **kwargs):
        timer = QTimer()
        timer.setSingleShot(True)

        def give_up() -> None:
            stuck.append(_describe(self))
            if hasattr(self, "reject"):
                self.reject()
            else:
                self.close()

        timer.timeout.connect(give_up)
        timer.start(int(MODAL_WATCHDOG_S * 1000))
        try:
            return original(self, *args, **kwargs)
        finally:
            timer.stop()

    return watched_exec


_STATIC = {
    "QMessageBox": ("question", "information", "warning", "critical", "about"),
    "QFileDialog": ("getOpenFileName", "getOpenFileNames", "getSaveFileName", "getExistingDirectory",
                    "getOpenFileUrl", "getSaveFileUrl"),
    "QInputDialog": ("getText", "getInt", "getDouble", "getItem", "getMultiLineText"),
}
# Classes whose own ``exec`` a call reaches (QMessageBox, QFileDialog, QInputDialog, QProgressDialog and
# every dialog of ours inherit QDialog's; the print dialogs and QMenu have their own).
_EXEC = (("PySide6.QtWidgets", "QDialog"), ("PySide6.QtPrintSupport", "QPrintDialog"),
         ("PySide6.QtPrintSupport", "QPageSetupDialog"), ("PySide6.QtWidgets", "QMenu"))


@pytest.fixture(autouse=True)
def _modal_guard(request, monkeypatch):
    """Unanswered modals fail the test at once (see the module docstring)."""
    import importlib

    import PySide6.QtWidgets as w

    answers = request.node.get_closest_marker("answers_modals") is not None
    stuck: list[str] = []
    for module, cls_name in _EXEC:
        cls = getattr(importlib.import_module(module), cls_name)
        original = cls.__dict__.get("exec")
        if original is None:
            continue
        if not answers:
            monkeypatch.setattr(cls, "exec", _guard_exec(original))
        elif cls_name != "QMenu":  # a menu a test opens on purpose closes itself; its exec is overloaded
            monkeypatch.setattr(cls, "exec", _watched_exec(original, stuck))
    if not answers:
        for cls_name, names in _STATIC.items():
            cls = getattr(w, cls_name)
            for name in names:
                if hasattr(cls, name):
                    monkeypatch.setattr(cls, name, staticmethod(_static_refuser(cls_name, name)))
    yield
    if stuck:
        raise UnexpectedModal(f"a modal stayed open {MODAL_WATCHDOG_S:.0f} s and was closed: {stuck[0]}")
