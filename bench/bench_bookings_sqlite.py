"""Booking speed on SQLite with 1,000,000 bookings: service save vs. a hand-written transaction,
the conflict check alone, and a 52-week series preview.

    .venv/bin/python bench/bench_bookings_sqlite.py [--n 500] [--profile]

Targets (issue: booking desk speed): save through the service ≤ 5 ms median and ≤ 3 × the same
transaction written by hand with ``sqlite3`` on the same file; conflict check ≤ 1 ms; 52-week
preview ≤ 100 ms. Uses (and builds, once) the cached file of ``make_big_db.py``; every row this
script saves is deleted again at the end.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sqlite3
import statistics
import sys
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _booking_ops import (  # noqa: E402
    BLOCKING_SQL,
    SlotPicker,
    bench_conflict_check,
    bench_orm_floor,
    bench_series_preview,
    bench_service_save,
    booking_input,
    explain_conflict_query,
    group_ids,
    morning_of,
    report_service_save,
)
from _common import bookings_label, line, machine_summary, measure, note  # noqa: E402
from make_big_db import DEFAULT_N, ensure_sqlite, restore_baseline, sqlite_url  # noqa: E402

from booking_app.store.engine import SQLITE_BUSY_TIMEOUT_MS, make_engine, write_session  # noqa: E402


def _ts(d: datetime) -> str:
    return d.strftime("%Y-%m-%d %H:%M:%S.%f")  # SQLAlchemy's SQLite DateTime format


def bench_raw_save(path: Path, picker: SlotPicker, *, n: int, warmup: int, size: str,
                   quiet: bool = False) -> list[int]:
    """The floor: BEGIN IMMEDIATE, one indexed overlap query, one INSERT, COMMIT, with the app's
    pragmas (WAL, synchronous=FULL, foreign keys) on the same file."""
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("PRAGMA foreign_keys=ON")
    con.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    gids = group_ids(picker.engine)
    slots = picker.take(n + warmup)
    overlap = (f"SELECT id FROM bookings WHERE room_id = ? AND start_at < ? AND start_at > ? AND end_at > ? "
               f"AND status IN {BLOCKING_SQL}")
    insert = ("INSERT INTO bookings (room_id, series_detached, group_id, booker_kind, booker_name, contact_phone,"
              " purpose, attendees, start_at, end_at, status, status_reason, override_reason, note, version,"
              " created_at, created_by, updated_at, updated_by)"
              " VALUES (?, 0, ?, 'member', ?, '', ?, ?, ?, ?, 'confirmed', '', '', '', 1, ?, 1, ?, 1)")
    rows = []
    for i, s in enumerate(slots):
        b = booking_input(s, i, gids)
        now = _ts(morning_of(s))
        rows.append(((b.room_id, _ts(b.end), _ts(b.start.replace(hour=0)), _ts(b.start)),
                     (b.room_id, b.group_id, f"団体{b.group_id}", b.purpose, b.attendees, _ts(b.start), _ts(b.end),
                      now, now)))

    def op(i: int) -> None:
        q, ins = rows[i if i >= 0 else n - 1 - i]
        con.execute("BEGIN IMMEDIATE")
        if con.execute(overlap, q).fetchall():
            con.execute("ROLLBACK")
            raise AssertionError("picked slot is not free")
        con.execute(insert, ins)
        con.execute("COMMIT")

    try:
        samples = measure(op, n, warmup=warmup)
    finally:
        con.close()
    if not quiet:
        line("save_booking_raw_sqlite3", samples, size=size,
             extra="floor: BEGIN IMMEDIATE + overlap SELECT + INSERT + COMMIT by hand")
    return samples


def profile_service_save(engine, picker: SlotPicker, n: int = 200) -> None:
    """cProfile of n service saves: where the time of one save goes (top functions by own time)."""
    from _booking_ops import DESK
    from booking_app.services.bookings import create_booking

    gids = group_ids(engine)
    slots = picker.take(n)
    prof = cProfile.Profile()
    prof.enable()
    for i, s in enumerate(slots):
        with write_session(engine) as session:
            create_booking(session, DESK, booking_input(s, i, gids), now=morning_of(s))
    prof.disable()
    out = io.StringIO()
    st = pstats.Stats(prof, stream=out)
    st.sort_stats("cumulative").print_stats(35)
    st.sort_stats("tottime").print_stats(20)
    print(out.getvalue())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=500, help="measured saves per figure (default 500)")
    ap.add_argument("--bookings", type=int, default=DEFAULT_N)
    ap.add_argument("--profile", action="store_true", help="also print a cProfile of 200 service saves")
    args = ap.parse_args(argv)

    print(f"# booking speed on SQLite — {machine_summary()}", flush=True)
    path, meta = ensure_sqlite(args.bookings)
    size = bookings_label(meta["n"])
    engine = make_engine(sqlite_url(path))
    try:
        picker = SlotPicker(engine, seed=1)
        explain_conflict_query(engine)
        # Floor, ORM floor and service alternate in two halves so that none gets only a cold or a
        # warm page cache.
        raw: list[int] = []
        orm: list[int] = []
        svc: list[int] = []
        for part, warm in ((args.n // 2, 20), (args.n - args.n // 2, 5)):
            raw += bench_raw_save(path, picker, n=part, warmup=warm, size=size, quiet=True)
            orm += bench_orm_floor(engine, picker, "save_booking_orm_floor_sqlite", n=part, warmup=warm,
                                   size=size, quiet=True)
            svc += bench_service_save(engine, picker, "save_booking_service_sqlite", n=part, warmup=warm,
                                      size=size, target_ms=None, quiet=True)
        line("save_booking_raw_sqlite3", raw, size=size,
             extra="floor: BEGIN IMMEDIATE + overlap SELECT + INSERT + COMMIT by hand")
        line("save_booking_orm_floor_sqlite", orm, size=size,
             extra="same + audit INSERT through the ORM, no service checks")
        report_service_save("save_booking_service_sqlite", svc, size=size, target_ms=5.0)
        ratio = statistics.median(svc) / statistics.median(raw)
        verdict = "PASS" if ratio <= 3.0 else "FAIL"
        print(f"{'save_service_vs_raw_ratio':<36}  {ratio:.2f} ×  (service median / sqlite3 median)  "
              f"target ≤ 3 ×  {verdict}", flush=True)
        bench_conflict_check(engine, picker, "conflict_check_sqlite", n=1000, size=size, target_ms=1.0)
        bench_series_preview(engine, picker, "series_preview_52w_sqlite", n=200, size=size, target_ms=100.0)
        bench_series_preview(engine, picker, "series_preview_52w_equipment_sqlite", n=50, size=size,
                             target_ms=100.0, equipment=True)
        if args.profile:
            profile_service_save(engine, picker)
    finally:
        engine.dispose()
        removed = restore_baseline(path, meta)
        note(f"removed the {removed:,} rows this run saved; {path.name} is back to its generated state")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
