"""Stress test (issue 7): N terminals × M mixed desk operations against one database.

    .venv/bin/python bench/stress_terminals.py                      # SQLite file and a throwaway PostgreSQL
    .venv/bin/python bench/stress_terminals.py --sqlite /tmp/s.db   # SQLite only, that file (recreated)
    .venv/bin/python bench/stress_terminals.py --pg                 # PostgreSQL only, a throwaway cluster
    .venv/bin/python bench/stress_terminals.py --pg postgresql+psycopg://user@host/postgres
    options: --procs 8 --ops 1000 --seed 1

Each database is fresh and migrated: a SQLite file in a temporary directory (or the path given,
which is overwritten), and on PostgreSQL a new database ``stress_<pid>`` created on the server of
the URL given (dropped afterwards), or on a throwaway cluster (tests/pgcluster.py). Then every
terminal (a spawned process with its own engine) runs its operations — book, edit, cancel, check in,
check out, pay, void, walk-in tally and its undo — and the database is checked (see stress_lib).

Prints per database: operations, successes, refusals by class, unclean failures, elapsed time,
throughput, p50/p95 latency of one operation (its write transaction, commit included) and
PASS/FAIL per check. Exit status 1 if any check fails or any failure was unclean.
Not named bench_*.py on purpose: run_all.py would run it every time, and it takes minutes.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import machine_summary, start_pg_cluster  # noqa: E402
from stress_lib import run_stress  # noqa: E402


def prepare_sqlite(path: Path | None, tmp: Path) -> str:
    from booking_app.store.migrate import upgrade

    target = path or tmp / "stress.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{target.as_posix()}"
    upgrade(url)
    return url


def _pg_admin(server_url: str):
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(server_url)
    kw = {"host": u.host, "port": u.port, "user": u.username, "password": u.password,
          "dbname": u.database or "postgres"}
    return psycopg.connect(autocommit=True, **{k: v for k, v in kw.items() if v is not None})


def prepare_pg(server_url: str) -> tuple[str, str]:
    """Create and migrate a fresh database on the server of ``server_url``; returns (url, name)."""
    from psycopg import sql
    from sqlalchemy.engine import make_url

    from booking_app.store.migrate import upgrade

    name = f"stress_{os.getpid()}"
    with _pg_admin(server_url) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0").format(sql.Identifier(name)))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    return url, name


def drop_pg(server_url: str, name: str) -> None:
    from psycopg import sql

    with _pg_admin(server_url) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                     "AND pid <> pg_backend_pid()", (name,))
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


def _dump(path: Path | None, report) -> None:
    if path is None or not report.unclean:
        return
    with path.open("a", encoding="utf-8") as f:
        for tb in report.unclean:
            f.write(f"===== {report.backend}\n{tb}\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--procs", type=int, default=8)
    ap.add_argument("--ops", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    which = ap.add_mutually_exclusive_group()
    which.add_argument("--sqlite", type=Path, metavar="PATH", help="SQLite only, this file (overwritten)")
    which.add_argument("--pg", metavar="URL", nargs="?", const="",
                       help="PostgreSQL only: a fresh database on this server (no URL: a throwaway cluster)")
    ap.add_argument("--no-pg", action="store_true", help="SQLite only, in a temporary directory")
    ap.add_argument("--tracebacks", type=Path, metavar="FILE",
                    help="write every unclean failure's traceback to FILE (the report shows one per kind)")
    args = ap.parse_args(argv)

    print(f"# {machine_summary()}", flush=True)
    all_ok = True
    with tempfile.TemporaryDirectory(prefix="stress-") as tmp:
        if args.pg is None:
            url = prepare_sqlite(args.sqlite, Path(tmp))
            report = run_stress(url, procs=args.procs, ops=args.ops, seed=args.seed, backend="SQLite (one file)")
            print("\n".join(report.lines()), flush=True)
            all_ok &= report.passed
            _dump(args.tracebacks, report)
        if args.sqlite is None and not args.no_pg:
            cluster = None
            server = args.pg or None
            if server is None:
                cluster = start_pg_cluster()
                server = cluster.url
                if server is None:
                    print(f"# PostgreSQL skipped: {cluster.reason}", flush=True)
            if server is not None:
                try:
                    url, name = prepare_pg(server)
                    try:
                        report = run_stress(url, procs=args.procs, ops=args.ops, seed=args.seed,
                                            backend="PostgreSQL")
                        print("\n".join(report.lines()), flush=True)
                        all_ok &= report.passed
                        _dump(args.tracebacks, report)
                    finally:
                        drop_pg(server, name)
                finally:
                    if cluster is not None:
                        cluster.stop()
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
