"""Bench: online backup of a ~100 MB SQLite database while another process keeps booking.

    .venv/bin/python bench/bench_backup.py            # 200,000 bookings ≈ 95 MB (cached in bench/.data)
    .venv/bin/python bench/bench_backup.py --n 1000000

Target (issue 7): the backup of a 100 MB database taken while another terminal writes finishes in
at most 5 s and passes integrity_check. The writer is ``bench/crash_test.py``'s: real services,
``create_booking`` in ``write_session``, one commit (and one fsync) per booking, on days after the
generated data so that every save succeeds. The rows it adds are removed afterwards
(``make_big_db.restore_baseline``), so the cached file stays as generated.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import bookings_label, note, single  # noqa: E402
from make_big_db import END, ensure_sqlite, restore_baseline, sqlite_url  # noqa: E402

from booking_app.store.backup import backup_sqlite  # noqa: E402

TARGET_S = 5.0
DEFAULT_N = 200_000


def _writer(url: str) -> tuple[subprocess.Popen, list[float]]:
    """Start the booking writer; returns the process and a list that fills with commit times."""
    first_day = END.replace(day=1).replace(month=3)  # the month after the generated data
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve().parent / "crash_test.py"), "--writer", url,
         "--first-day", first_day.isoformat()],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=dict(os.environ, PYTHONUNBUFFERED="1"))
    commits: list[float] = []
    ready = threading.Event()

    def read() -> None:
        for raw in proc.stdout:
            text = raw.decode().strip()
            if text == "READY":
                ready.set()
            elif text:
                commits.append(time.perf_counter())
        ready.set()

    threading.Thread(target=read, daemon=True).start()
    ready.wait(120)
    return proc, commits


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=DEFAULT_N, help="bookings in the database (default 200,000)")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)
    path, meta = ensure_sqlite(args.n, quiet=False)
    size = bookings_label(args.n)
    url = sqlite_url(path)
    ok = True
    try:
        with tempfile.TemporaryDirectory(prefix="fukufuku-backup-bench-") as tmp:
            proc, commits = _writer(url)
            try:
                if proc.poll() is not None:
                    raise SystemExit("the writer did not start")
                time.sleep(1.0)  # let it settle into its rhythm
                for run in range(args.runs):
                    dest = Path(tmp) / f"copy{run}.sqlite3"
                    src_mb = (path.stat().st_size + _size(Path(f"{path}-wal"))) / 1e6
                    t0 = time.perf_counter()
                    result = backup_sqlite(path, dest)
                    t1 = time.perf_counter()
                    during = sum(1 for c in commits if t0 <= c <= t1)
                    con = sqlite3.connect(dest)
                    try:
                        t2 = time.perf_counter()
                        check = con.execute("PRAGMA integrity_check").fetchone()[0]
                        check_s = time.perf_counter() - t2
                        n_copy = con.execute("SELECT count(*) FROM bookings").fetchone()[0]
                    finally:
                        con.close()
                    passed = single(f"backup_sqlite_while_writing#{run + 1}", t1 - t0, "s", size=size,
                                    target=TARGET_S,
                                    extra=f"{src_mb:,.0f} MB → {result.size_bytes / 1e6:,.0f} MB copy, "
                                          f"integrity {check} (the check alone {check_s:.1f} s), "
                                          f"{n_copy:,} bookings in the copy, "
                                          f"{during} writer commits during the backup")
                    ok = ok and passed and check == "ok"
                    dest.unlink()
                total = len(commits)
                note(f"writer: {total} commits in all while the bench ran (one fsync each)")
            finally:
                proc.kill()
                proc.wait()
    finally:
        removed = restore_baseline(path, meta)
        note(f"removed the writer's {removed} rows from the cached file")
    return 0 if ok else 1


def _size(p: Path) -> int:
    try:
        return p.stat().st_size
    except OSError:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
