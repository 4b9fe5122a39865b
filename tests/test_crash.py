"""Crash safety (issue 7): kill -9 a writer at random moments; nothing committed is ever lost.

Ten kills here (``bench/crash_test.py`` does a hundred); see that script for what is checked.
"""

from __future__ import annotations

import importlib.util
import signal
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs kill -9 (POSIX)")]


def _crash_test_module():
    path = Path(__file__).resolve().parents[1] / "bench" / "crash_test.py"
    spec = importlib.util.spec_from_file_location("crash_test", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("crash_test", module)
    spec.loader.exec_module(module)
    return module


def test_ten_kills_leave_a_sound_file_with_every_printed_booking(tmp_path):
    crash = _crash_test_module()
    result = crash.run(10, seed=11, workdir=tmp_path, quiet=True)
    rounds = result["rounds"]
    assert [r["integrity"] for r in rounds] == ["ok"] * 10
    assert [r["missing"] for r in rounds] == [[]] * 10
    assert [r["unaudited"] for r in rounds] == [[]] * 10
    assert result["failures"] == 0
    # The kills hit a writer that was really writing, and the file grew across the rounds.
    assert result["committed"] >= 10 and result["total"] >= result["committed"]
