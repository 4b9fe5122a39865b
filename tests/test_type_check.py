"""The type checker `make test` runs (mypy with the project's mypy.ini) fails when a rule is broken.

A module outside the package is checked under the project's own configuration: a wrong return type and a
function without annotations (what ``strict`` refuses) must fail the check, naming each error code, and
the same module written correctly must pass, so a failure is the rule's and not the set-up's.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

BROKEN = '''\
def fee(hours: int) -> str:
    return hours * 500


def untyped(x):
    return x
'''

CLEAN = '''\
def fee(hours: int) -> int:
    return hours * 500


def typed(x: int) -> int:
    return x
'''


def _mypy(tmp_path: Path, source: str) -> subprocess.CompletedProcess[str]:
    module = tmp_path / "checked_module.py"
    module.write_text(source, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "mypy.ini"),
         "--cache-dir", str(tmp_path / "cache"), str(module)],
        cwd=ROOT, capture_output=True, text=True, timeout=240)


@pytest.mark.timeout(300)
def test_the_project_config_refuses_a_wrong_type_and_an_untyped_function(tmp_path: Path) -> None:
    result = _mypy(tmp_path, BROKEN)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "checked_module.py:2: error:" in result.stdout and "[return-value]" in result.stdout, result.stdout
    assert "checked_module.py:5: error:" in result.stdout and "[no-untyped-def]" in result.stdout, result.stdout


@pytest.mark.timeout(300)
def test_the_same_module_written_correctly_passes(tmp_path: Path) -> None:
    result = _mypy(tmp_path, CLEAN)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success" in result.stdout
