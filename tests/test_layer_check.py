"""The layer contracts `make check` runs (import-linter with the project's .importlinter) fail when a rule is broken.

A copy of the package is checked under the project's own contracts: the copy as it is passes, and the same copy
with one forbidden import added (the domain reaching into the store; a page importing SQLAlchemy) fails,
naming the contract that is broken, so a failure is the rule's and not the set-up's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

pytestmark = [
    pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter is installed by `make check`/`make test`"),
    pytest.mark.timeout(300),
]


def _copy(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "booking_app", tmp_path / "booking_app",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run([str(LINT_IMPORTS), "--config", str(ROOT / ".importlinter"), "--no-cache"],
                          cwd=tree, env=env, capture_output=True, text=True, timeout=240)


def _add_import(module: Path, line: str) -> None:
    module.write_text(module.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")


def test_the_package_as_it_is_keeps_every_contract(tmp_path: Path) -> None:
    result = _lint(_copy(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_domain_module_importing_the_store_breaks_domain_pure_and_the_layers(tmp_path: Path) -> None:
    tree = _copy(tmp_path)
    _add_import(tree / "booking_app" / "domain" / "fees.py", "import booking_app.store.models  # noqa")
    result = _lint(tree)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "domain imports nothing of ours (but clock) and no Qt BROKEN" in " ".join(result.stdout.split())
    assert "booking_app.domain.fees -> booking_app.store.models" in result.stdout


def test_a_page_importing_sqlalchemy_breaks_ui_no_sql(tmp_path: Path) -> None:
    tree = _copy(tmp_path)
    _add_import(tree / "booking_app" / "ui" / "dates.py", "import sqlalchemy  # noqa")
    result = _lint(tree)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "ui holds no SQL" in result.stdout and "BROKEN" in result.stdout
    assert "booking_app.ui.dates -> sqlalchemy" in result.stdout
