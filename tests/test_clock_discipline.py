"""Time enters the app through one clock, and no test reads the wall clock (issue 12).

The app: nothing in ``booking_app/`` but ``booking_app/clock.py`` asks the system for the time (the
``now``/``today`` class methods of datetime and date, ``time``/``localtime`` of the time module, Qt's
current-date helpers: the table ``_WALL_CLOCK_ATTRS`` below). Durations are measured with
``time.monotonic``/``perf_counter``, which say nothing about what day it is, and stay allowed.

The tests: none calls those either, nor the app's ``local_now`` helper (use ``clock.now``/``clock.today``,
which give the test's pinned moment, or name the moment with ``@pytest.mark.now``), nor builds a
``SystemClock``. The one exception is ``tests/pinning.py`` adding today's real date to the calendar
sweep, on a line marked ``# wall-clock-ok``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# The pairs are spelt as data (owner, attribute), never as calls, so this file itself reads no clock.
_WALL_CLOCK_ATTRS = {
    ("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today"),
    ("time", "time"), ("time", "time_ns"), ("time", "localtime"), ("time", "gmtime"), ("time", "ctime"),
    ("QDate", "current" + "Date"), ("QDateTime", "current" + "DateTime"), ("QDateTime", "current" + "DateTimeUtc"),
    ("QDateTime", "currentMSecsSinceEpoch"), ("QDateTime", "currentSecsSinceEpoch"), ("QTime", "currentTime"),
}


def _callee(node: ast.Call) -> tuple[str, str] | str | None:
    """('datetime', 'now') for a call of datetime's now, also through ``dt.datetime``; the bare name for a
    call of a plain function such as the app's local_now helper."""
    f = node.func
    if isinstance(f, ast.Attribute):
        owner = f.value
        owner_name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", None)
        return (owner_name, f.attr) if owner_name else None
    if isinstance(f, ast.Name):
        return f.id
    return None


def wall_clock_reads(source: str, *, in_tests: bool) -> list[tuple[int, str]]:
    """(line, what) for every call in ``source`` that reads the wall clock (and, in tests, the app's
    clock behind the test's back)."""
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        callee = _callee(node)
        if "wall-clock-ok" in lines[node.lineno - 1]:
            continue
        if isinstance(callee, tuple) and callee in _WALL_CLOCK_ATTRS:
            found.append((node.lineno, ".".join(callee) + "()"))
        elif in_tests and (callee == "local_now" or callee == ("common", "local_now")):
            found.append((node.lineno, f"{callee}()"))
        elif in_tests and (callee == "SystemClock" or (isinstance(callee, tuple) and callee[1] == "SystemClock")):
            found.append((node.lineno, "SystemClock()"))
    return sorted(found)


def _offences(folder: str, *, in_tests: bool, skip: set[str]) -> list[str]:
    out = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel in skip:
            continue
        for line, what in wall_clock_reads(path.read_text(encoding="utf-8"), in_tests=in_tests):
            out.append(f"{rel}:{line}: {what}")
    return out


def test_the_app_reads_the_time_only_through_its_clock():
    offences = _offences("booking_app", in_tests=False, skip={"booking_app/clock.py"})
    assert offences == [], "read the time through booking_app.clock (clock.now()/clock.today()):\n" + "\n".join(
        offences)


def test_no_test_reads_the_wall_clock():
    offences = _offences("tests", in_tests=True, skip=set())
    assert offences == [], (
        "tests run at a pinned moment: use clock.now()/clock.today() or @pytest.mark.now(...):\n"
        + "\n".join(offences))


def _call(owner: str, attr: str) -> str:
    """Source text of a call, built here so that this file holds no clock-reading call itself."""
    return f"{owner}.{attr}()" if owner else f"{attr}()"


@pytest.mark.parametrize("line", [
    "from datetime import date\nx = " + _call("date", "today"),
    "import datetime as dt\nx = " + _call("dt.datetime", "now"),
    "from datetime import datetime\nx = " + _call("datetime", "now").replace("()", "(tz)"),
    "import time\nx = " + _call("time", "time"),
    "from PySide6.QtCore import QDate\nx = " + _call("QDate", "current" + "Date"),
    "from booking_app.services.common import local_now\nx = " + _call("", "local" + "_now") + ".date()",
    "from booking_app import clock\nc = " + _call("clock", "SystemClock"),
])
def test_the_check_finds_each_way_of_reading_the_wall_clock(line):
    assert wall_clock_reads(line, in_tests=True), line


@pytest.mark.parametrize("line", [
    "from booking_app import clock\nx = clock.today()",
    "import time\nt = time.monotonic()\nu = time.perf_counter()",
    "x = '" + _call("datetime", "now") + "'  # in a string, not a call",
    "from datetime import date\nx = " + _call("date", "today") + "  # wall-clock-ok: the one sanctioned read",
])
def test_the_check_lets_the_pinned_clock_and_durations_pass(line):
    assert wall_clock_reads(line, in_tests=True) == []
