"""Start-up to the main window, end to end, on the 1,000,000-booking database (target ≤ 1.5 s, ≤ 250 MB).

    .venv/bin/python bench/bench_startup.py [--runs 5]

Runs ``python -m booking_app --db sqlite:///… --screenshot FILE`` as a child process, offscreen: the
interpreter starts, imports Qt and SQLAlchemy, checks the migrations, opens the database, builds the
main window, waits for its first paint and saves the screenshot, then exits. "To main window" is
from the child's start to the screenshot file's time (the window painted and grabbed, after the app's
150 ms settle delay); the whole child's wall time is printed too; peak memory is the child's ``ru_maxrss`` (``getrusage(RUSAGE_CHILDREN)``,
the largest of all the runs). The app's own 150 ms settle delay before the grab is included. One
unmeasured run first, so the figures are for a warm OS file cache, as on a desk PC started daily.

Before those, the command line alone: ``python -m booking_app --help`` (the parser is built and printed,
nothing opens), its wall time and whether SQLAlchemy was imported by then. booking_app/cli/ keeps
SQLAlchemy, the models, the services and Qt out of the parser (they load inside the handlers), so the
plain ``run`` path reaches Qt without paying for them twice and ``--help`` answers at once.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, bookings_label, fmt_ms, machine_summary, note, single  # noqa: E402
from make_big_db import DEFAULT_N, TODAY, ensure_sqlite, restore_baseline, sqlite_url  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--bookings", type=int, default=DEFAULT_N)
    args = ap.parse_args(argv)
    print(f"# start-up — {machine_summary()}", flush=True)
    path, meta = ensure_sqlite(args.bookings)
    size = bookings_label(meta["n"])
    try:
        import booking_app.cli  # noqa: F401
        import booking_app.ui.main_window  # noqa: F401
    except ImportError as exc:
        print(f"{'startup_to_main_window':<36}  NOT RUN: the app is not complete yet ({exc})")
        return 0

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    parse_only(args.runs, env)
    times: list[float] = []
    to_window: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        shot = Path(tmp) / "main.png"
        # the app keeps settings in the user's config dir: give the child a throwaway one
        env["XDG_CONFIG_HOME"] = str(Path(tmp) / "config")
        env["XDG_DATA_HOME"] = str(Path(tmp) / "data")
        cmd = [sys.executable, "-m", "booking_app", "--db", sqlite_url(path), "--screenshot", str(shot),
               "--today", TODAY.isoformat()]
        try:
            for i in range(args.runs + 1):
                shot.unlink(missing_ok=True)
                wall0 = time.time()
                t0 = time.perf_counter()
                proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
                dt = time.perf_counter() - t0
                if proc.returncode != 0 or not shot.exists():
                    print(f"{'startup_to_main_window':<36}  FAILED: exit {proc.returncode}, screenshot "
                          f"{'saved' if shot.exists() else 'missing'}\n{proc.stderr[-2000:]}", flush=True)
                    return 1
                if i > 0:  # the first run only warms the OS file cache
                    # The window is up when its first paint has been grabbed and saved: the picture's
                    # time. What follows (PRAGMA optimize at close, interpreter exit) is shut-down.
                    to_window.append(shot.stat().st_mtime - wall0)
                    times.append(dt)
        finally:
            restore_baseline(path, meta)
    rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
    med = statistics.median(to_window)
    single("startup_to_main_window", med, "s", size=size, target=1.5,
           extra=f"median of {len(to_window)} runs (min {fmt_ms(min(to_window) * 1e9)}, max "
                 f"{fmt_ms(max(to_window) * 1e9)}): process start → first paint grabbed and saved")
    single("startup_whole_process", statistics.median(times), "s", size=size,
           extra="the same runs start to exit, incl. the 150 ms settle delay, PRAGMA optimize at close")
    single("startup_peak_memory", rss_mb, "MB", size=size, target=250,
           extra="largest ru_maxrss of the child processes")
    note("command: " + " ".join(str(c) for c in cmd).replace(str(ROOT) + "/", ""))
    return 0


def parse_only(runs: int, env: dict[str, str]) -> None:
    """``--help``: the command line's own start-up (build_parser and its imports), no database."""
    cmd = [sys.executable, "-m", "booking_app", "--help"]
    walls: list[float] = []
    for i in range(runs + 1):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        if i > 0:
            walls.append(time.perf_counter() - t0)
        if proc.returncode != 0:
            print(f"{'startup_cli_help':<36}  FAILED: exit {proc.returncode}\n{proc.stderr[-2000:]}", flush=True)
            return
    probe = ("import sys; from booking_app import cli; cli.build_parser(); "
             "print('sqlalchemy' in sys.modules)")
    heavy = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=60).stdout.strip()
    single("startup_cli_help", statistics.median(walls), "s",
           extra=f"median of {len(walls)} runs of `python -m booking_app --help` (min {fmt_ms(min(walls) * 1e9)}); "
                 f"SQLAlchemy imported by build_parser: {'yes' if heavy == 'True' else 'no'}")


if __name__ == "__main__":
    raise SystemExit(main())
