"""What the audit hash chain costs per row (issue 14): Python's hash alone, and one audit row written in its own
transaction through the app on SQLite and PostgreSQL (throwaway cluster from tests/pgcluster.py).

    .venv/bin/python bench/audit_chain_cost.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from booking_app.services.centre import ensure_initial_data  # noqa: E402
from booking_app.services.common import Actor, audit  # noqa: E402
from booking_app.store import audit_chain  # noqa: E402
from booking_app.store.engine import make_engine, write_session  # noqa: E402
from booking_app.store.migrate import upgrade  # noqa: E402

AT = datetime(2026, 11, 25, 10, 0)
N = 500


def per_row(url: str) -> list[float]:
    upgrade(url)
    engine = make_engine(url)
    with write_session(engine) as s:
        ensure_initial_data(s, now=AT)
    actor = Actor(1, "bench", "manager")
    times = []
    for i in range(N):
        t0 = time.perf_counter()
        with write_session(engine) as s:
            audit(s, actor, "update", "booking", i, f"予約{i:07d}を変更", before={"attendees": 5},
                  after={"attendees": 8}, now=AT)
        times.append((time.perf_counter() - t0) * 1000)
    engine.dispose()
    return times


def main() -> None:
    t0 = time.perf_counter()
    for i in range(20000):
        audit_chain.row_hash("0" * 64, i, AT, 1, "update", "booking", i, "予約を変更", '{"a": 5}', '{"a": 8}')
    print(f"Python row_hash: {(time.perf_counter() - t0) / 20000 * 1e6:.1f} µs per row")
    with tempfile.TemporaryDirectory() as tmp:
        t = per_row(f"sqlite:///{tmp}/b.sqlite3")
        print(f"SQLite, one audit row per transaction: median {statistics.median(t):.2f} ms")
    from pgcluster import PgCluster

    cluster = PgCluster()
    url = cluster.start()
    if url:
        try:
            import psycopg
            from sqlalchemy.engine import make_url

            u = make_url(url)
            with psycopg.connect(host=u.host, port=u.port, user=u.username, dbname="postgres", autocommit=True) as c:
                c.execute("CREATE DATABASE bench_chain")
            t = per_row(str(u.set(database="bench_chain").render_as_string(hide_password=False)))
            print(f"PostgreSQL, one audit row per transaction: median {statistics.median(t):.2f} ms")
            db = u.set(database="bench_chain").render_as_string(hide_password=False)
            eng = make_engine(db)
            with eng.begin() as conn:
                t0 = time.perf_counter()
                conn.exec_driver_sql("SELECT fukufuku_audit_hash(repeat('0', 64), g, now()::timestamp, 1, 'update', "
                                     "'booking', g, '予約を変更', '{\"a\": 5}', '{\"a\": 8}') "
                                     "FROM generate_series(1, 20000) g").all()
                print(f"PostgreSQL fukufuku_audit_hash: {(time.perf_counter() - t0) / 20000 * 1e6:.1f} µs per row")
            eng.dispose()
        finally:
            cluster.stop()


if __name__ == "__main__":
    main()
