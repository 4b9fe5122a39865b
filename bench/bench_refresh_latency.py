"""How long until another terminal sees a change (issue 7: target ≤ 2 s), SQLite and PostgreSQL.

    .venv/bin/python bench/bench_refresh_latency.py [--n 20]

Terminal A is an AppContext with a started ChangeWatcher; terminal B is a second engine (its own
pool, like another PC) on the same database. B saves a booking through the service; the time from
B's commit to A's ``ctx.changed`` is one sample. Changes are spaced 0.6–1.0 s apart at random, so
the 300 ms coalescing never delays a sample and SQLite samples fall anywhere in its 500 ms poll.
PostgreSQL runs on a throwaway loopback cluster (tests/pgcluster.py).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import line, machine_summary, note, start_pg_cluster  # noqa: E402

from booking_app.services import bookings as booking_svc  # noqa: E402
from booking_app.services.centre import ensure_initial_data  # noqa: E402
from booking_app.services.common import Actor  # noqa: E402
from booking_app.store.engine import make_engine, read_session, write_session  # noqa: E402
from booking_app.store.migrate import upgrade  # noqa: E402
from booking_app.store.models import Room, Staff  # noqa: E402

TARGET_MS = 2000


def _samples(url: str, n: int) -> list[float]:
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from booking_app.ui.change_watch import ChangeWatcher
    from booking_app.ui.context import AppContext

    app = QApplication.instance() or QApplication([])
    upgrade(url)
    a, b = make_engine(url), make_engine(url)
    with write_session(a) as s:
        ensure_initial_data(s)
    with read_session(b) as s:
        st = s.scalars(select_manager()).first()
        actor = Actor(st.id, st.name, st.role)
        room = s.scalars(select_room()).first().id
    ctx = AppContext(a, actor)
    watcher = ChangeWatcher(ctx).start()
    got: list[float] = []
    ctx.changed.connect(lambda _what: got.append(time.perf_counter()))
    loop = QEventLoop()

    def spin(seconds: float) -> None:
        QTimer.singleShot(int(seconds * 1000), loop.quit)
        loop.exec()

    spin(1.0)  # the PostgreSQL listener connects; SQLite takes its starting data_version
    out: list[float] = []
    start = datetime(2027, 1, 4, 0, 0)
    rng = random.Random(7)
    try:
        for i in range(n):
            spin(rng.uniform(0.6, 1.0))
            got.clear()
            t = start + timedelta(hours=i)
            with write_session(b) as s:
                booking_svc.create_booking(s, actor, booking_svc.BookingInput(
                    start=t, end=t + timedelta(minutes=30), room_id=room, booker_kind="group",
                    booker_name=f"測定{i}", purpose="測定", attendees=1, override_reason="測定"),
                    now=datetime(2026, 11, 25, 9))
            t0 = time.perf_counter()
            deadline = t0 + 5
            while not got and time.perf_counter() < deadline:
                app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
                time.sleep(0.001)
            if got:
                out.append((got[0] - t0) * 1e9)
            else:
                out.append(5e9)  # counted as a miss (5 s) so a broken watcher shows as FAIL
    finally:
        watcher.stop()
        a.dispose()
        b.dispose()
    return out


def select_manager():
    from sqlalchemy import select

    return select(Staff).where(Staff.role == "manager")


def select_room():
    from sqlalchemy import select

    return select(Room).order_by(Room.sort_order)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=20)
    args = p.parse_args(argv)
    note(machine_summary())
    ok = True
    with tempfile.TemporaryDirectory(prefix="fukufuku-refresh-") as tmp:
        url = f"sqlite:///{Path(tmp, 'latency.sqlite3').as_posix()}"
        ok &= line("refresh_other_terminal_sqlite", _samples(url, args.n), target_ms=TARGET_MS,
                   extra="PRAGMA data_version every 500 ms")
    cluster = start_pg_cluster()
    try:
        if cluster.url is None:
            note(f"PostgreSQL skipped: {cluster.reason}")
        else:
            ok &= line("refresh_other_terminal_postgresql", _samples(cluster.url, args.n),
                       target_ms=TARGET_MS, extra="LISTEN/NOTIFY, loopback")
    finally:
        cluster.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
