"""Garbage collection on the GUI thread only (ガベージコレクションの制御).

Python's automatic collector runs in whichever thread happens to allocate when a threshold is
crossed: a background operation (ui/workers.py), the PostgreSQL change listener (change_watch.py).
A collection there can free Qt wrappers and so delete Qt objects outside the GUI thread, which
crashes (seen: a segfault in the first-start wizard's migration job, 3 runs in 4). So the app turns
automatic collection off and runs the same generational collections from a GUI-thread timer, with
Python's own thresholds. Reference counting still frees almost everything at once; only cycles wait
for the next tick (a second at most).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

TICK_MS = 1000


class MainThreadGC(QObject):
    def __init__(self, parent: QObject, interval_ms: int = TICK_MS):
        super().__init__(parent)
        self.setObjectName("main_thread_gc")
        gc.disable()
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.tick)
        self.timer.start()

    def tick(self) -> int:
        """One collection of the oldest generation whose threshold was crossed; returns it (-1: none)."""
        c0, c1, c2 = gc.get_count()
        t0, t1, t2 = gc.get_threshold()
        if c2 >= t2:
            generation = 2
        elif c1 >= t1:
            generation = 1
        elif c0 >= t0:
            generation = 0
        else:
            return -1
        gc.collect(generation)
        return generation

    def stop(self) -> None:
        """Back to automatic collection; a later install() makes a new guard."""
        self.timer.stop()
        self.setObjectName("")
        gc.enable()


def install(app: QObject) -> MainThreadGC:
    found = app.findChild(MainThreadGC, "main_thread_gc")
    return found if found is not None else MainThreadGC(app)
