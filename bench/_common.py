"""Shared helpers of the bench scripts: paths, timing loops, and the one-line report format.

Not a bench itself (it prints nothing when run). Every figure line looks like::

    save_booking_service_sqlite  median 2.1 ms  p95 3.4 ms  n=500  (1,000,000 bookings)  target ≤ 5 ms  PASS
"""

from __future__ import annotations

import gc
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "bench"
DATA_DIR = BENCH_DIR / ".data"  # cached generated databases (gitignored)

# The repo root must be importable so that `tests.pgcluster` can be reused (tests/ is no package).
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

NAME_WIDTH = 36


def fmt_ms(ns: float) -> str:
    ms = ns / 1e6
    if ms < 10:
        return f"{ms:.2f} ms"
    if ms < 100:
        return f"{ms:.1f} ms"
    return f"{ms:.0f} ms"


def percentile(samples: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of the samples."""
    s = sorted(samples)
    k = max(0, min(len(s) - 1, int(round(q / 100 * len(s) + 0.5)) - 1))
    return s[k]


def measure(fn: Callable[[int], object], n: int, *, warmup: int = 20) -> list[int]:
    """Call fn(i) warmup + n times; return the n timings in ns (perf_counter_ns around the call).

    The garbage collector runs between calls, never inside one, so a collection of an earlier
    iteration's garbage is not billed to a random later iteration.
    """
    for i in range(warmup):
        fn(-1 - i)
    out: list[int] = []
    gc_was = gc.isenabled()
    try:
        for i in range(n):
            gc.disable()
            t0 = time.perf_counter_ns()
            fn(i)
            t1 = time.perf_counter_ns()
            gc.enable()
            out.append(t1 - t0)
            if i % 50 == 49:
                gc.collect(0)
    finally:
        if gc_was:
            gc.enable()
    return out


def line(name: str, samples_ns: list[float], *, size: str = "", target_ms: float | None = None,
         extra: str = "") -> bool:
    """Print one figure line (median, p95, n, data size, target and PASS/FAIL); returns pass."""
    med = statistics.median(samples_ns)
    p95 = percentile(samples_ns, 95)
    parts = [f"{name:<{NAME_WIDTH}}", f"median {fmt_ms(med)}", f"p95 {fmt_ms(p95)}", f"n={len(samples_ns)}"]
    if size:
        parts.append(f"({size})")
    ok = True
    if target_ms is not None:
        ok = med / 1e6 <= target_ms
        parts.append(f"target ≤ {target_ms:g} ms  {'PASS' if ok else 'FAIL'}")
    if extra:
        parts.append(extra)
    print("  ".join(parts), flush=True)
    return ok


def single(name: str, value: float, unit: str, *, size: str = "", target: float | None = None,
           extra: str = "") -> bool:
    """Print a figure measured once (generation time, start-up time, memory)."""
    shown = f"{value:,.2f} {unit}" if value < 100 else f"{value:,.0f} {unit}"
    parts = [f"{name:<{NAME_WIDTH}}", shown]
    if size:
        parts.append(f"({size})")
    ok = True
    if target is not None:
        ok = value <= target
        parts.append(f"target ≤ {target:g} {unit}  {'PASS' if ok else 'FAIL'}")
    if extra:
        parts.append(extra)
    print("  ".join(parts), flush=True)
    return ok


def note(text: str) -> None:
    print(f"  # {text}", flush=True)


def bookings_label(n: int) -> str:
    return f"{n:,} bookings"


def machine_summary() -> str:
    import sqlite3

    cpus = os.cpu_count()
    return (f"{platform.machine()} {cpus} cores, Python {platform.python_version()}, "
            f"SQLite {sqlite3.sqlite_version}, {platform.system()} {platform.release()}")


def pg_server_version(bindir: Path | None) -> str:
    if bindir is None:
        return "n/a"
    try:
        out = subprocess.run([str(bindir / "postgres"), "--version"], capture_output=True, text=True,
                             check=True).stdout.strip()
        return out
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def start_pg_cluster():
    """A throwaway PostgreSQL cluster from tests/pgcluster.py that is stopped however we exit.

    Returns the PgCluster (``.url`` is None with ``.reason`` set when no server can be had).
    SIGTERM/SIGINT become SystemExit so ``finally`` blocks and atexit run and no server is left.
    """
    import atexit
    import signal

    from tests.pgcluster import PgCluster

    def _exit(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _exit)
    cluster = PgCluster()
    atexit.register(cluster.stop)
    cluster.start()
    return cluster
