"""What re-reading the staff row costs a write (issue 14: the services stop trusting a passed-in role).

    .venv/bin/python bench/bench_staff_check.py [--n 2000]

Every write transaction reads the acting staff member's row once (``services.common.current_staff``: one
primary-key SELECT of name, role, active; cached in ``session.info`` for the rest of the transaction). This
times that read inside an open write transaction, cold (cache emptied each time: what a transaction pays)
and warm (the cache hit every later check of the same transaction pays), on SQLite (a temp file) and on
PostgreSQL (a throwaway loopback cluster from tests/pgcluster.py; skipped, saying why, when none).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select  # noqa: E402

from booking_app.services.centre import ensure_initial_data  # noqa: E402
from booking_app.services.common import _STAFF_CACHE, Actor, current_staff  # noqa: E402
from booking_app.store.engine import make_engine, write_session  # noqa: E402
from booking_app.store.migrate import upgrade  # noqa: E402
from booking_app.store.models import Staff  # noqa: E402


def measure(url: str, n: int) -> tuple[float, float]:
    upgrade(url)
    engine = make_engine(url)
    try:
        with write_session(engine) as s:
            ensure_initial_data(s)
        with write_session(engine) as s:
            st = s.scalars(select(Staff).where(Staff.role == "desk")).first()
            actor = Actor(st.id, st.name, st.role)
            current_staff(s, actor)  # warm the statement cache
            cold, warm = [], []
            for _ in range(n):
                s.info.pop(_STAFF_CACHE, None)
                t0 = time.perf_counter()
                current_staff(s, actor)
                t1 = time.perf_counter()
                current_staff(s, actor)
                t2 = time.perf_counter()
                cold.append(t1 - t0)
                warm.append(t2 - t1)
        return statistics.median(cold) * 1e6, statistics.median(warm) * 1e6
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as d:
        cold, warm = measure(f"sqlite:///{d}/bench.sqlite3", args.n)
        print(f"SQLite      staff re-read per transaction: {cold:6.1f} µs median; cached check {warm:5.1f} µs")
    from bench._common import start_pg_cluster

    cluster = start_pg_cluster()
    try:
        if not cluster.url:
            print(f"PostgreSQL  skipped: {cluster.reason}")
            return 0
        cold, warm = measure(cluster.url, args.n)
        print(f"PostgreSQL  staff re-read per transaction: {cold:6.1f} µs median; cached check {warm:5.1f} µs")
    finally:
        cluster.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
