"""``--screenshot`` writes where it is told: a missing folder is created, a failed save is said (issue 13, item 16)."""

from __future__ import annotations

from booking_app.ui import screenshots


class _Window:
    """Just enough of the main window for take_screenshots: pages it can show."""

    PAGES = {key: object() for key in screenshots.PAGE_KEYS}

    def __init__(self):
        self.shown: list[str] = []

    def show_page(self, key: str) -> None:
        self.shown.append(key)


def test_several_pages_go_into_a_folder_that_did_not_exist(tmp_path):
    target = tmp_path / "画像" / "2026"
    saved: list[str] = []

    def grab(widget, path):
        saved.append(path)
        with open(path, "wb") as f:
            f.write(b"png")
        return True

    window = _Window()
    assert screenshots.take_screenshots(window, None, str(target), "calendar,groups", None, grab)
    assert window.shown == ["calendar", "groups"]
    assert sorted(p.name for p in target.iterdir()) == ["calendar.png", "groups.png"]


def test_a_picture_that_cannot_be_saved_is_named_on_stderr(tmp_path, capsys):
    ok = screenshots.take_screenshots(_Window(), None, str(tmp_path / "new" / "x.png"), "today", None,
                                      lambda widget, path: False)
    assert ok is False
    err = capsys.readouterr().err
    assert "保存できませんでした" in err and "x.png" in err
