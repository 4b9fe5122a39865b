"""Run every bench and print all figures to stdout (nothing else is written but the cached DB).

    .venv/bin/python bench/run_all.py            # everything (~4–5 minutes on 2 cores, first run +20 s)
    .venv/bin/python bench/run_all.py --no-pg    # without the PostgreSQL bench (saves ~1 minute)

Order: the 1M-booking SQLite file (generated once into bench/.data/, then reused), the SQLite
booking figures, the day view, start-up, printing (receipts, slips, cash-up, preview on a fresh demo
database, ~1 minute), then every other ``bench/bench_*.py`` (e.g. the group register), and the
PostgreSQL booking figures last (a throwaway cluster, loaded by COPY each run).
Each script runs in its own process, so one failing does not stop the rest; the exit code is 1 if
any failed. Figure lines end in PASS or FAIL against their target; a summary of those comes last.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import BENCH_DIR, ROOT, machine_summary  # noqa: E402

VERDICT = re.compile(r"  (PASS|FAIL)\b")
FIRST = ["make_big_db.py", "bench_bookings_sqlite.py", "bench_day_view.py", "bench_startup.py", "bench_printing.py"]
LAST = ["bench_bookings_pg.py"]


def scripts(with_pg: bool) -> list[Path]:
    others = sorted(p.name for p in BENCH_DIR.glob("bench_*.py") if p.name not in FIRST + LAST)
    names = FIRST + others + (LAST if with_pg else [])
    return [BENCH_DIR / n for n in names if (BENCH_DIR / n).exists()]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-pg", action="store_true", help="skip the PostgreSQL bench")
    args = ap.parse_args(argv)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONUNBUFFERED="1")
    print(f"# Fukufuku Desk benches — {machine_summary()}", flush=True)
    t_all = time.perf_counter()
    failed: list[str] = []
    verdicts: list[str] = []
    for script in scripts(not args.no_pg):
        print(f"\n== {script.relative_to(ROOT)}", flush=True)
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, str(script)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        assert proc.stdout is not None
        for out in proc.stdout:
            sys.stdout.write(out)
            sys.stdout.flush()
            if VERDICT.search(out) or " NOT RUN" in out or "SKIPPED" in out:
                verdicts.append(out.rstrip())
        rc = proc.wait()
        print(f"-- {script.name}: {time.perf_counter() - t0:.0f} s, exit {rc}", flush=True)
        if rc != 0:
            failed.append(script.name)
    print(f"\n== summary ({time.perf_counter() - t_all:.0f} s in all)")
    for v in verdicts:
        name = v.split("  ")[0].strip()
        m = VERDICT.search(v)
        print(f"{m.group(1) if m else 'not run':<8}{name}")
    if failed:
        print("scripts that exited with an error: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
