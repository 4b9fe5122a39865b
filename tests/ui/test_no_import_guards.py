"""No ``except ImportError`` around our own modules: a broken import is a bug to see, not a 「準備中」 screen."""
from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel

import booking_app
from booking_app.services import centre
from booking_app.store.engine import make_engine, write_session
from booking_app.ui.context import AppContext
from booking_app.ui.main_window import PAGE_CLASSES, MainWindow

PACKAGE = Path(booking_app.__file__).parent


def _guarded_own_imports(path: Path) -> list[str]:
    """``file:line module`` for every import of booking_app inside a try whose handler catches ImportError."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Try):
            continue
        caught = set()
        for handler in node.handlers:
            types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
            caught |= {t.id for t in types if isinstance(t, ast.Name)}
        if not caught & {"ImportError", "ModuleNotFoundError"}:
            continue
        for stmt in node.body:
            for inner in ast.walk(stmt):
                names = []
                if isinstance(inner, ast.ImportFrom) and inner.module:
                    names = [inner.module]
                elif isinstance(inner, ast.Import):
                    names = [a.name for a in inner.names]
                found += [f"{path.name}:{inner.lineno} {n}" for n in names if n.split(".")[0] == "booking_app"]
    return found


def test_no_import_guard_around_our_own_modules():
    files = sorted((PACKAGE / "ui").rglob("*.py")) + [PACKAGE / "app.py"]
    assert len(files) > 40
    guarded = [hit for f in files for hit in _guarded_own_imports(f)]
    assert guarded == []


def test_the_guard_finder_sees_a_guard(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("try:\n    from booking_app.services import stats\nexcept ImportError:\n    stats = None\n"
                      "try:\n    import PySide6.QtPdf\nexcept ImportError:\n    pass\n", encoding="utf-8")
    assert _guarded_own_imports(sample) == ["sample.py:2 booking_app.services"]


def test_a_page_that_fails_to_import_stops_the_window_not_shown_as_coming_soon():
    # A fresh interpreter where the 操作履歴 page's module cannot be imported: the window's module raises.
    broken = ("import sys\n"
              "sys.modules['booking_app.ui.admin.audit_page'] = None  # importing it now raises ImportError\n"
              "try:\n"
              "    import booking_app.ui.main_window\n"
              "except ImportError as exc:\n"
              "    print('ImportError', exc.name)\n"
              "else:\n"
              "    print('imported')\n")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    run = subprocess.run([sys.executable, "-c", broken], capture_output=True, text=True, env=env, timeout=120,
                         cwd=PACKAGE.parent)
    assert run.stdout.split() == ["ImportError", "booking_app.ui.admin.audit_page"], run.stderr


@pytest.fixture
def ctx(sqlite_url):
    engine = make_engine(sqlite_url)
    with write_session(engine) as session:
        centre.ensure_initial_data(session)
        staff = centre.list_staff(session)
    yield AppContext(engine, staff[0].as_actor(), db_label="guards.sqlite3")
    engine.dispose()


def test_every_page_is_its_screen(qtbot, ctx):
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    assert {key: type(page) for key, page in window.pages.items()} == PAGE_CLASSES
    assert all(label.text() != "この画面は準備中です" for label in window.findChildren(QLabel))
