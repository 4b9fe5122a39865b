"""The test harness itself (tests/pinning.py): which day a test runs on, and no test waits for a click.

Each check runs a small test file in a separate pytest process with the same hooks, and reads what it
reported, so a guard that stopped working would show here as a hang (ended by the subprocess timeout)
or a wrong outcome.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from datetime import date, datetime
from pathlib import Path

import pytest

from booking_app import clock

TESTS_DIR = Path(__file__).resolve().parent

CONFTEST = f"""
import sys
sys.path.insert(0, {str(TESTS_DIR)!r})
from pinning import (_modal_guard, _sweep_day, frozen_clock, pytest_addoption,  # noqa: F401
                     pytest_collection_modifyitems, pytest_configure, pytest_generate_tests)
"""


def run_inner(tmp_path: Path, body: str, *args: str, env: dict[str, str] | None = None,
              limit_s: float = 120) -> tuple[dict[str, str], str, float]:
    """Run ``body`` as test_inner.py under pytest; (outcome by test id, output, seconds)."""
    (tmp_path / "conftest.py").write_text(CONFTEST, encoding="utf-8")
    (tmp_path / "test_inner.py").write_text(textwrap.dedent(body), encoding="utf-8")
    report = tmp_path / "report.json"
    plugin = tmp_path / "outcomes.py"
    plugin.write_text(textwrap.dedent(f"""
        import json
        OUT = {{}}
        def pytest_runtest_logreport(report):
            if report.when == "call" or report.outcome != "passed":
                OUT[report.nodeid.split("::", 1)[1]] = report.outcome
        def pytest_sessionfinish(session):
            open({str(report)!r}, "w").write(json.dumps(OUT))
    """), encoding="utf-8")
    full_env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(tmp_path), **(env or {})}
    t0 = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "outcomes", "-o",
         "addopts=", "-o", "timeout=60", "-o", "timeout_method=thread", "-W", "error", *args, str(tmp_path)],
        cwd=tmp_path, env=full_env, capture_output=True, text=True, timeout=limit_s)
    elapsed = time.monotonic() - t0
    outcomes = json.loads(report.read_text()) if report.exists() else {}
    return outcomes, done.stdout + done.stderr, elapsed


# ------------------------------------------------------------------------------------------- the clock
def test_the_app_clock_is_pinned_here(frozen_clock, request):
    if request.config.getoption("--now") or request.config.getoption("--calendar-sweep"):
        pytest.skip("checks the default moment; this run moved it")
    assert clock.now() == datetime(2026, 11, 25, 10, 0) == frozen_clock.now()
    frozen_clock.advance(minutes=16)
    assert clock.now() == datetime(2026, 11, 25, 10, 16)


@pytest.mark.now("2027-03-31 16:45")
def test_a_test_names_its_moment():
    assert clock.now() == datetime(2027, 3, 31, 16, 45)


@pytest.mark.now(date(2028, 2, 29))
def test_a_date_means_ten_in_the_morning():
    assert clock.now() == datetime(2028, 2, 29, 10, 0)


CLOCK_BODY = """
    import pytest
    from booking_app import clock

    def test_default(capsys):
        print("DEFAULT", clock.now().isoformat())

    @pytest.mark.now("2027-04-01 09:30")
    def test_named():
        assert clock.now().isoformat() == "2027-04-01T09:30:00"
"""


def test_now_option_moves_the_default_but_not_a_named_moment(tmp_path):
    outcomes, out, _ = run_inner(tmp_path, CLOCK_BODY, "-s", "--now", "2026-12-30")
    assert outcomes == {"test_default": "passed", "test_named": "passed"}, out
    assert "DEFAULT 2026-12-30T10:00:00" in out


def test_the_sweep_runs_unnamed_tests_on_every_trap_day(tmp_path):
    outcomes, out, _ = run_inner(tmp_path, CLOCK_BODY, "-s", "--calendar-sweep")
    from pinning import sweep_days

    days = sweep_days()
    assert set(outcomes) == {f"test_default[{k}]" for k in days} | {"test_named"}, out
    assert set(outcomes.values()) == {"passed"}
    for d in (date(2026, 12, 30), date(2027, 3, 31), date(2027, 4, 1), date(2028, 2, 29)):
        assert f"DEFAULT {d.isoformat()}T10:00:00" in out


# ------------------------------------------------------------------------------------------ the guard
MODAL_BODY = """
    import pytest
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QDialog, QLabel, QMessageBox, QVBoxLayout, QFileDialog

    def test_static_question(qtbot):
        QMessageBox.question(None, "予約の取消", "この予約を取り消しますか？")

    def test_dialog_exec(qtbot):
        dlg = QDialog()
        dlg.setWindowTitle("繰り返し予約")
        QVBoxLayout(dlg).addWidget(QLabel("12/30は休館日です。除外して保存しますか？"))
        dlg.exec()

    def test_message_box_exec(qtbot):
        box = QMessageBox(QMessageBox.Icon.Warning, "印刷", "プリンターが見つかりません")
        box.exec()

    def test_file_dialog(qtbot):
        QFileDialog.getSaveFileName(None, "保存先", "", "PDF (*.pdf)")

    def test_print_dialog(qtbot):
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter
        printer = QPrinter()
        dlg = QPrintDialog(printer)
        dlg.setWindowTitle("利用票の印刷")
        dlg.exec()

    @pytest.mark.answers_modals
    def test_answered_by_a_timer(qtbot):
        def answer():
            QApplication.activeModalWidget().accept()
        QTimer.singleShot(50, answer)
        box = QMessageBox(QMessageBox.Icon.Question, "確認", "よろしいですか？")
        assert box.exec() in (QMessageBox.StandardButton.Ok, 0, 1)

    @pytest.mark.answers_modals
    def test_answered_too_late(qtbot):
        box = QMessageBox(QMessageBox.Icon.Question, "保存", "だれも押さないボタン")
        box.exec()
"""


def test_an_unexpected_modal_fails_at_once_with_its_text(tmp_path):
    outcomes, out, elapsed = run_inner(tmp_path, MODAL_BODY, env={"BOOKING_APP_TEST_MODAL_WATCHDOG_S": "1"})
    assert outcomes == {
        "test_static_question": "failed", "test_dialog_exec": "failed", "test_message_box_exec": "failed",
        "test_file_dialog": "failed", "test_print_dialog": "failed", "test_answered_by_a_timer": "passed",
        "test_answered_too_late": "failed",
    }, out
    for text in ("予約の取消", "この予約を取り消しますか？", "繰り返し予約", "12/30は休館日です。除外して保存しますか？",
                 "プリンターが見つかりません", "保存先", "利用票の印刷", "だれも押さないボタン"):
        assert text in out, text
    assert "UnexpectedModal" in out
    # Seconds, not the 60 s timeout and not forever: five modals refused or closed, one answered.
    assert elapsed < 45, f"{elapsed:.1f} s"


HANG_BODY = """
    import threading

    def test_hangs():
        threading.Event().wait()  # blocks in C, as a lock wait or a stuck loop would
"""


def test_a_test_that_hangs_is_ended_by_the_timeout(tmp_path):
    _outcomes, out, elapsed = run_inner(tmp_path, HANG_BODY, "-o", "timeout=3")
    assert "Timeout" in out and "test_hangs" in out
    assert elapsed < 60
