"""Statistics speed (services/stats/): the dashboard's queries and the report figures.

    .venv/bin/python bench/bench_stats.py [--n 100] [--no-pg]

A fiscal year (FY2026, 2026-04-01 … 2027-03-31) of 10,000 bookings in 12 rooms (92 % 利用済 with
actual users, 6 % 取消, 2 % 無断キャンセル; whole periods 午前・午後・夜間, never overlapping),
30,000 walk-in tallies (5 % undone) and 120 centre events, with 260 registered groups, bulk-inserted
into a temp SQLite file and, when a server can be had, a throwaway PostgreSQL cluster
(tests/pgcluster.py). "Today" is 2027-03-31, so the whole year counts.

Figures: ``year_progress`` + ``monthly_users`` together (what the dashboard reads on each refresh;
target ≤ 200 ms), ``data_version`` (polled every 2–3 s), ``month_figures`` and ``year_figures``
(each export builds one of them; the export itself must stay ≤ 2 s).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import date, datetime, time as dtime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import line, machine_summary, measure, note, single, start_pg_cluster  # noqa: E402
from make_big_db import seed_reference  # noqa: E402

from sqlalchemy import insert  # noqa: E402

from booking_app.domain import hours  # noqa: E402
from booking_app.domain.counting import WALKIN_CATEGORIES, fiscal_months  # noqa: E402
from booking_app.domain.profile import load_default_profile  # noqa: E402
from booking_app.services.stats.figures import month_figures, monthly_users, year_figures  # noqa: E402
from booking_app.services.stats.progress import data_version, year_progress  # noqa: E402
from booking_app.store.engine import make_engine, read_session, write_session  # noqa: E402
from booking_app.store.migrate import upgrade  # noqa: E402
from booking_app.store.models import Booking, CentreEvent, WalkInTally  # noqa: E402

FY = 2026
TODAY = date(2027, 3, 31)
N_BOOKINGS = 10_000
N_TALLIES = 30_000
N_EVENTS = 120
SIZE = "10,000 bookings + 30,000 tallies"


def rows(ref, seed: int = 20261125) -> tuple[list[dict], list[dict], list[dict]]:
    """The year's bookings, tallies and events as dicts for Core executemany (both backends)."""
    rnd = random.Random(seed)
    profile = load_default_profile()
    lo, hi = date(FY, 4, 1), date(FY + 1, 4, 1)
    days = []
    d = lo
    while d < hi:
        ps = hours.periods_for(profile, d)
        if ps:
            days.append((d, ps))
        d += timedelta(days=1)
    slots = [(rid, cap, d, p) for d, ps in days for rid, cap in ref.rooms for p in ps]
    chosen = rnd.sample(slots, N_BOOKINGS)
    staff = ref.staff[0]
    bookings = []
    for rid, cap, d, p in chosen:
        start, end = datetime.combine(d, p.start), datetime.combine(d, p.end)
        r = rnd.random()
        status = "completed" if r < 0.92 else "cancelled" if r < 0.98 else "no_show"
        gid, gname = rnd.choice(ref.groups) if rnd.random() < 0.7 else (None, "山田花子")
        planned = rnd.randint(1, cap)
        bookings.append({
            "room_id": rid, "series_id": None, "series_detached": False, "group_id": gid,
            "booker_kind": "member" if gid else "person", "booker_name": gname, "contact_phone": "",
            "purpose": "定例会", "attendees": planned, "start_at": start, "end_at": end, "status": status,
            "hold_until": None,
            "actual_users": max(planned - rnd.randint(0, 3), 0) if status == "completed" else None,
            "status_reason": "", "override_reason": "", "note": "", "version": 2,
            "created_at": start - timedelta(days=20), "created_by": staff, "updated_at": end,
            "updated_by": staff,
        })
    tallies = []
    for _ in range(N_TALLIES):
        d, _ps = rnd.choice(days)
        at = datetime.combine(d, dtime(9)) + timedelta(seconds=rnd.randrange(9 * 3600))
        undone = rnd.random() < 0.05
        tallies.append({"at": at, "category": rnd.choice(WALKIN_CATEGORIES),
                        "count": rnd.choice((1, 1, 1, 2, 3)), "staff_id": staff, "terminal": "受付1",
                        "undone_at": at + timedelta(seconds=30) if undone else None,
                        "undone_by": staff if undone else None})
    events = [{"name": f"講座{i:03d}", "kind": rnd.choice(("講座", "研修", "交流会")), "day": rnd.choice(days)[0],
               "room_id": None, "attendance": rnd.randint(5, 60), "note": "",
               "created_at": datetime(FY, 4, 1, 9), "created_by": staff} for i in range(N_EVENTS)]
    return bookings, tallies, events


def load(url: str, backend: str) -> None:
    t0 = time.perf_counter()
    upgrade(url)
    ref = seed_reference(url)
    bookings, tallies, events = rows(ref)
    engine = make_engine(url)
    try:
        with write_session(engine) as s:
            for model, data in ((Booking, bookings), (WalkInTally, tallies), (CentreEvent, events)):
                for i in range(0, len(data), 5000):
                    s.execute(insert(model), data[i:i + 5000])
        if backend == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.exec_driver_sql("VACUUM ANALYZE")  # what autovacuum does within a minute of a load
    finally:
        engine.dispose()
    single(f"load_stats_{backend}", time.perf_counter() - t0, "s", size=SIZE,
           extra="migrate + reference + bulk insert")


def bench(url: str, backend: str, n: int) -> bool:
    engine = make_engine(url)
    ok = True
    try:
        with read_session(engine) as s:
            p = year_progress(s, today=TODAY)
            months = monthly_users(s, FY, today=TODAY)
            assert p.total == sum(m.total for m in months), "dashboard total disagrees with the months"
            yf = year_figures(s, FY, today=TODAY)
            assert yf.users_total == p.total, "year figures disagree with the dashboard"
        note(f"{backend}: FY{FY} users {p.total:,} ({p.pace.percent:.1f} % of {p.target:,}); "
             f"room users {p.by_category['部屋利用']:,}, bookings {yf.bookings:,}")

        def dashboard(_i: int) -> None:
            with read_session(engine) as s:  # one refresh, as the dashboard does it
                year_progress(s, today=TODAY)
                monthly_users(s, FY, today=TODAY)

        def version(_i: int) -> None:
            with read_session(engine) as s:
                data_version(s)

        fiscal = fiscal_months(FY)

        def month(i: int) -> None:
            y, m = fiscal[i % 12]
            with read_session(engine) as s:
                month_figures(s, y, m, today=TODAY)

        def year(_i: int) -> None:
            with read_session(engine) as s:
                year_figures(s, FY, today=TODAY)

        ok &= line(f"dashboard_refresh_{backend}", measure(dashboard, n, warmup=5), size=SIZE, target_ms=200,
                   extra="year_progress + monthly_users")
        ok &= line(f"data_version_{backend}", measure(version, max(n, 200), warmup=20), size=SIZE,
                   target_ms=10)
        ok &= line(f"month_figures_{backend}", measure(month, max(n // 4, 24), warmup=3), size=SIZE,
                   target_ms=2000, extra="a month's report figures (every month in turn)")
        ok &= line(f"year_figures_{backend}", measure(year, max(n // 10, 10), warmup=2), size=SIZE,
                   target_ms=2000, extra="the fiscal year's report figures")
    finally:
        engine.dispose()
    return ok


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100, help="measured dashboard refreshes (default 100)")
    ap.add_argument("--no-pg", action="store_true", help="SQLite only")
    args = ap.parse_args(argv)
    print(f"# statistics speed — {machine_summary()}", flush=True)
    ok = True
    with tempfile.TemporaryDirectory(prefix="bench-stats-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'stats.sqlite3'}"
        load(url, "sqlite")
        ok &= bench(url, "sqlite", args.n)
    if args.no_pg:
        return 0 if ok else 1
    cluster = start_pg_cluster()
    try:
        if cluster.url is None:
            print(f"{'dashboard_refresh_postgresql':<36}  SKIPPED: {cluster.reason}", flush=True)
            return 0 if ok else 1
        import psycopg
        from sqlalchemy.engine import make_url

        u = make_url(cluster.url)
        with psycopg.connect(host=u.host, port=u.port, user=u.username, dbname=u.database or "postgres",
                             autocommit=True) as con:
            con.execute("CREATE DATABASE bench_stats TEMPLATE template0 ENCODING 'UTF8'")
        url = u.set(database="bench_stats").render_as_string(hide_password=False)
        load(url, "postgresql")
        ok &= bench(url, "postgresql", args.n)
    finally:
        cluster.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
