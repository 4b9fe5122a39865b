"""What a staff member's own PostgreSQL login costs a booking save (issue 14, migration 0009).

    .venv/bin/python bench/bench_staff_login_save.py [--n 300]

A throwaway cluster (tests/pgcluster.py; skipped, saying why, when none), a fresh migrated database with the
seed rooms and staff, then ``create_booking`` through ``write_session`` — the service save the desk makes —
timed on the owner's connection and on the desk's own login (``db_login.sign_in``), alternating, each save
on its own slot. The difference is what the login adds: the grants' checks, the session-staff lookup in
``current_staff`` (one query with the staff row) and in the audit trigger. The cluster is removed at the
end. Small database: this isolates the login's cost; bench_bookings_pg.py has 1M rows.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from sqlalchemy import select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from booking_app.services import bookings as svc  # noqa: E402
from booking_app.services import db_login  # noqa: E402
from booking_app.services.centre import ensure_initial_data  # noqa: E402
from booking_app.services.common import Actor  # noqa: E402
from booking_app.store import db_roles  # noqa: E402
from booking_app.store.engine import make_engine, write_session  # noqa: E402
from booking_app.store.migrate import upgrade  # noqa: E402
from booking_app.store.models import Room, Staff  # noqa: E402

NOW = datetime(2026, 11, 25, 9, 0)
FIRST_DAY = date(2026, 12, 1)
PASSWORD = "bench-login-2026"


def _input(room_id: int, start: datetime) -> svc.BookingInput:
    return svc.BookingInput(start=start, end=start + timedelta(hours=1), room_id=room_id, group_id=None,
                            booker_kind="person", booker_name="山田花子", contact_phone="083-000-0000",
                            purpose="定例会", attendees=5)


def _slots(rooms: list[int]):
    day = FIRST_DAY
    while True:
        if day.weekday() < 5:
            for hour in (9, 10, 11, 13, 14, 15, 16):
                for room in rooms:
                    yield room, datetime.combine(day, datetime.min.time()).replace(hour=hour)
        day += timedelta(days=1)
        if day > date(2026, 12, 28):
            return


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=300)
    args = ap.parse_args(argv)
    from pgcluster import PgCluster

    cluster = PgCluster()
    url = cluster.start()
    if not url:
        print(f"PostgreSQL skipped: {cluster.reason}")
        return 0
    try:
        upgrade(url)
        owner = make_engine(url)
        with write_session(owner) as s:
            ensure_initial_data(s, now=NOW)
        with write_session(owner) as s:
            desk = s.scalars(select(Staff).where(Staff.role == "desk")).first()
            desk_actor = Actor(desk.id, desk.name, desk.role)
            rooms = [r for r in s.scalars(select(Room.id).order_by(Room.id))]
            login = f"bench_{uuid.uuid4().hex[:8]}"
            db_roles.create_login(s, desk.id, login, PASSWORD)
        base = make_url(url).set(username=None).render_as_string(hide_password=False)
        desk_engine, actor = db_login.sign_in(base, login, PASSWORD)
        timings: dict[str, list[float]] = {"owner": [], "desk login": []}
        slots = _slots(rooms)
        for i in range(args.n * 2 + 20):
            who = "owner" if i % 2 == 0 else "desk login"
            engine, act = (owner, desk_actor) if who == "owner" else (desk_engine, actor)
            try:
                room, start = next(slots)
            except StopIteration:
                break
            t0 = time.perf_counter()
            with write_session(engine) as s:
                svc.create_booking(s, act, _input(room, start), now=NOW)
            if i >= 20:  # warm-up
                timings[who].append(time.perf_counter() - t0)
        for who, ts in timings.items():
            ts.sort()
            print(f"{who:11s} save median {statistics.median(ts) * 1e3:5.2f} ms, "
                  f"p95 {ts[int(len(ts) * 0.95) - 1] * 1e3:5.2f} ms  ({len(ts)} saves)")
        desk_engine.dispose()
        owner.dispose()
    finally:
        cluster.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
