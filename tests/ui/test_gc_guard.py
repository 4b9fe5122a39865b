"""The app collects garbage on the GUI thread only (booking_app/ui/gc_guard.py)."""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject

from booking_app.ui.gc_guard import MainThreadGC


class _Cycle:
    def __init__(self):
        self.me = self


def test_automatic_collection_is_off_and_the_timer_collects_cycles(qtbot):
    parent = QObject()
    guard = MainThreadGC(parent, interval_ms=10)
    try:
        assert not gc.isenabled()
        gc.collect()
        for _ in range(gc.get_threshold()[0] + 50):
            _Cycle()  # unreachable cycles: only a collection frees them
        assert gc.get_count()[0] > gc.get_threshold()[0]  # nothing collected them on its own
        qtbot.waitUntil(lambda: gc.get_count()[0] < gc.get_threshold()[0], timeout=2000)
        assert guard.tick() == -1  # below every threshold now
    finally:
        guard.stop()
    assert gc.isenabled()
