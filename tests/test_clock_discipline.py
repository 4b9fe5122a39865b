"""Time enters the app through one clock, and no test reads the wall clock (issue 12).

The app: nothing in ``booking_app/`` but ``booking_app/clock.py`` asks the system for the time
(``datetime.now()``, ``date.today()``, ``time.time()``, Qt's ``currentDate…``). Durations are measured
with ``time.monotonic()``/``perf_counter()``, which say nothing about what day it is, and stay allowed.

The tests: none calls those either, nor the app's ``local_now()`` (use ``clock.now()``/``clock.today()``,
which give the test's pinned moment, or name the moment with ``@pytest.mark.now``), nor builds a
``SystemClock``. The one exception is ``tests/pinning.py`` adding today's real date to the calendar
sweep, on a line marked ``# wall-clock-ok``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

_WALL_CLOCK_ATTRS = {
    ("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today"),
    ("time", "time"), ("time", "time_ns"), ("time", "localtime"), ("time", "gmtime"), ("time", "ctime"),
    ("QDate", "currentDate"), ("QDateTime", "currentDateTime"), ("QDateTime", "currentDateTimeUtc"),
    ("QDateTime", "currentMSecsSinceEpoch"), ("QDateTime", "currentSecsSinceEpoch"), ("QTime", "currentTime"),
}


def _callee(node: ast.Call) -> tuple[str, str] | str | None:
    """('datetime', 'now') for datetime.now() and dt.datetime.now(); 'local_now' for local_now()."""
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
            found.append((node.lineno, "local_now()"))
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


@pytest.mark.parametrize("line", [
    "from datetime import date\nx = date.today()",
    "import datetime as dt\nx = dt.datetime.now()",
    "from datetime import datetime\nx = datetime.now(tz)",
    "import time\nx = time.time()",
    "from PySide6.QtCore import QDate\nx = QDate.currentDate()",
    "from booking_app.services.common import local_now\nx = local_now().date()",
    "from booking_app import clock\nc = clock.SystemClock()",
])
def test_the_check_finds_each_way_of_reading_the_wall_clock(line):
    assert wall_clock_reads(line, in_tests=True), line


@pytest.mark.parametrize("line", [
    "from booking_app import clock\nx = clock.today()",
    "import time\nt = time.monotonic()\nu = time.perf_counter()",
    "x = 'datetime.now()'  # in a string, not a call",
    "from datetime import date\nx = date.today()  # wall-clock-ok: the one sanctioned read",
])
def test_the_check_lets_the_pinned_clock_and_durations_pass(line):
    assert wall_clock_reads(line, in_tests=True) == []
