"""The app photographs its own screens (--screenshot with --page / --dialog) for docs/user-guide.md."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from booking_app.domain.errors import ValidationError
from booking_app.ui.screenshots import DIALOGS, PAGE_KEYS, Shot, check_options, plan_shots

ROOT = Path(__file__).resolve().parents[1]


def test_page_keys_are_the_main_windows_pages():
    from booking_app.ui.main_window import MainWindow

    assert PAGE_KEYS == MainWindow.PAGES


def test_one_target_is_a_file_several_are_a_folder(tmp_path):
    assert plan_shots(tmp_path / "a.png", "today", None) == [Shot("today", None, tmp_path / "a.png")]
    assert plan_shots(tmp_path / "a.png", "groups", "login") == [Shot("groups", "login", tmp_path / "a.png")]
    assert plan_shots(tmp_path, "today", None) == [Shot("today", None, tmp_path / "today.png")]
    assert plan_shots(tmp_path / "out", "today,groups", "booking") == [
        Shot("today", None, tmp_path / "out" / "today.png"),
        Shot("groups", None, tmp_path / "out" / "groups.png"),
        Shot(None, "booking", tmp_path / "out" / "booking.png"),
    ]


@pytest.mark.parametrize(("page", "dialog", "words"), [
    ("todya", None, "画面「todya」はありません"),
    (None, "bookng", "ダイアログ「bookng」はありません"),
    ("today,groups", None, "フォルダを指定してください"),
])
def test_wrong_options_are_refused_in_japanese(tmp_path, page, dialog, words):
    with pytest.raises(ValidationError) as err:
        check_options(str(tmp_path / "x.png"), page, dialog)
    assert words in err.value.message


def test_page_without_screenshot_is_refused():
    with pytest.raises(ValidationError, match="--screenshot"):
        check_options(None, "today", None)
    check_options(None, None, None)  # the ordinary start: nothing to check


def _colours(image) -> int:
    """Distinct colours on a grid of sample points: a blank or one-colour picture has a handful."""
    seen = set()
    for x in range(0, image.width(), 7):
        for y in range(0, image.height(), 7):
            seen.add(image.pixel(x, y))
    return len(seen)


def test_one_demo_start_photographs_a_page_and_dialogs(tmp_path):
    from PySide6.QtGui import QImage

    assert {"booking", "payment", "group-check", "login", "about"} <= set(DIALOGS)
    out = tmp_path / "shots"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        [sys.executable, "-m", "booking_app", "--demo", "--today", "2026-11-25", "--screenshot", str(out),
         "--page", "today", "--dialog", "booking,login"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert sorted(p.name for p in out.iterdir()) == ["booking.png", "login.png", "today.png"]

    today = QImage(str(out / "today.png"))
    assert (today.width(), today.height()) == (1366, 768)  # app.SCREENSHOT_SIZE: the desk PC's screen
    # --page today was shown: the navigation's second row (本日の予約) is the selected, blue one.
    from PySide6.QtGui import QColor

    assert QColor(today.pixel(145, 70)).name() == "#4a7fd4"
    assert QColor(today.pixel(145, 35)).name() != "#4a7fd4"
    booking = QImage(str(out / "booking.png"))
    assert booking.width() >= 900 and booking.height() >= 550  # the dialog alone, not the main window
    assert booking.size() != today.size()
    login = QImage(str(out / "login.png"))
    assert 300 <= login.width() < 900 and 100 <= login.height() < 600
    for name, image in (("today", today), ("booking", booking), ("login", login)):
        assert not image.isNull(), name
        assert _colours(image) > 40, f"{name}.png looks blank"
