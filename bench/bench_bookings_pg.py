"""Booking speed on PostgreSQL (loopback, throwaway cluster) with 1,000,000 bookings.

    .venv/bin/python bench/bench_bookings_pg.py [--n 300] [--as-staff-login] [--room-only] [--url URL]

Starts a throwaway cluster with ``tests/pgcluster.py`` (skips, saying why, when no PostgreSQL server
binaries are installed), loads the same rows as the SQLite file with COPY (``make_big_db.load_postgres``),
then turns durability back on (the test cluster runs with fsync=off; a desk server would not):
``fsync``, ``full_page_writes`` and ``synchronous_commit`` on, reloaded, before anything is timed.
Target: a save through the service ≤ 5 ms median. Also prints the conflict check and the 52-week
preview on PostgreSQL, and the ORM floor for comparison. The cluster is removed at the end.

``--as-staff-login`` (issue 14: the figure "with per-staff logins"): the saves, the ORM floor, the
conflict check and the preview run on an engine signed in as the bench's 受付 staff row's OWN database
login (``db_roles.create_login`` as the owner, then ``services.db_login.sign_in``), so the grants, the
SECURITY DEFINER audit trigger and the session-staff check are all in the figure. Needs migration 0009.
``--url URL``: time an already loaded database (the owner's URL, e.g. a cluster kept for repeated runs)
instead of starting and loading a new one; the rows the run saves stay there.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _booking_ops import (  # noqa: E402
    SlotPicker,
    bench_conflict_check,
    bench_orm_floor,
    bench_series_preview,
    bench_service_save,
    explain_conflict_query,
    report_service_save,
)
from _common import bookings_label, line, machine_summary, note, start_pg_cluster  # noqa: E402
from make_big_db import DEFAULT_N, load_postgres  # noqa: E402

from booking_app.store.engine import make_engine  # noqa: E402

BENCH_DB = "bench_big"
STAFF_LOGIN = "bench_desk"  # the desk staff row's own login with --as-staff-login


def _connect(url: str, dbname: str | None = None):
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    return psycopg.connect(host=u.host, port=u.port, user=u.username, dbname=dbname or u.database,
                           autocommit=True)


def restart_durable(cluster) -> None:
    """Restart the throwaway server without the test cluster's fsync=off / synchronous_commit=off
    (options given on the command line outrank ALTER SYSTEM, so only a restart changes them).

    Uses PgCluster's private fields (bin dir, data dir, socket dir); if they ever change, the
    figures are taken with the test settings and the note line above the figures says so.
    """
    from sqlalchemy.engine import make_url

    bindir, tmpdir, datadir = (getattr(cluster, a, None) for a in ("_bindir", "_tmpdir", "_datadir"))
    if not (bindir and tmpdir and datadir and getattr(cluster, "_owned", False)):
        return
    port = make_url(cluster.url).port
    opts = f"-p {port} -k {tmpdir / 'sock'} -c listen_addresses=127.0.0.1 -c max_connections=100"
    cluster._run([str(bindir / "pg_ctl"), "-D", str(datadir), "-l", str(tmpdir / "server.log"), "-w", "-t", "60",
                  "-m", "fast", "-o", opts, "restart"])


def staff_login_engine(url: str):
    """Give the bench's desk staff row its own database login (as the owner at ``url``) and sign in with
    it: (engine, actor). The password is made for this run and never stored."""
    import secrets

    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from _booking_ops import DESK
    from booking_app.store.engine import write_session

    try:
        from booking_app.services.db_login import sign_in
        from booking_app.store import db_roles
    except ImportError as exc:  # before migration 0009 and services/db_login.py
        raise SystemExit(f"--as-staff-login needs the per-staff logins of issue 14 ({exc})") from None
    password = secrets.token_urlsafe(18)
    owner = make_engine(url)
    try:
        with write_session(owner) as s:
            login = s.scalar(text("SELECT db_login FROM staff WHERE id = :i"), {"i": DESK.id})
            if login is None:
                login = STAFF_LOGIN
                db_roles.create_login(s, DESK.id, login, password)
            else:
                db_roles.set_login_password(s, login, password)
    finally:
        owner.dispose()
    base = make_url(url).set(username=None, password=None).render_as_string(hide_password=False)
    engine, actor = sign_in(base, login, password)
    note(f"signed in as the staff login {login!r} (staff {actor.id} {actor.role}); every figure below runs on it")
    return engine, actor


def timed_part(url: str, args) -> None:
    """The figures, on the loaded database at ``url`` (the owner's URL)."""
    from _booking_ops import DESK

    size = bookings_label(args.bookings)
    if args.as_staff_login:
        engine, actor = staff_login_engine(url)
    else:
        engine, actor = make_engine(url), DESK
    suffix = "_staff_login" if args.as_staff_login else ""
    try:
        picker = SlotPicker(engine, seed=2)
        explain_conflict_query(engine)
        orm: list[int] = []
        svc: list[int] = []
        for part, warm in ((args.n // 2, 20), (args.n - args.n // 2, 5)):
            orm += bench_orm_floor(engine, picker, "save_booking_orm_floor_postgresql", n=part, warmup=warm,
                                   size=size, quiet=True)
            svc += bench_service_save(engine, picker, "save_booking_service_postgresql", n=part,
                                      warmup=warm, size=size, target_ms=None, quiet=True, actor=actor,
                                      equipment=not args.room_only)
        line("save_booking_orm_floor_postgresql" + suffix, orm, size=size,
             extra="overlap SELECT + booking and audit INSERTs + COMMIT through the ORM, no service checks")
        report_service_save("save_booking_service_postgresql" + suffix, svc, size=size, target_ms=5.0,
                            equipment=not args.room_only)
        bench_conflict_check(engine, picker, "conflict_check_postgresql" + suffix, n=1000, size=size,
                             target_ms=1.0)
        bench_series_preview(engine, picker, "series_preview_52w_postgresql" + suffix, n=100, size=size,
                             target_ms=100.0)
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=300, help="measured saves per figure (default 300)")
    ap.add_argument("--bookings", type=int, default=DEFAULT_N)
    ap.add_argument("--as-staff-login", action="store_true",
                    help="time everything as the desk staff member's own database login (issue 14)")
    ap.add_argument("--room-only", action="store_true",
                    help="no save borrows equipment (the 'every 5th save' lines are then room-only too)")
    ap.add_argument("--url", help="an already loaded database (owner's URL) instead of a new cluster")
    args = ap.parse_args(argv)
    print(f"# booking speed on PostgreSQL — {machine_summary()}", flush=True)
    if args.url:
        with _connect(args.url) as con:
            shown = {s: con.execute(f"SHOW {s}").fetchone()[0]
                     for s in ("server_version", "fsync", "full_page_writes", "synchronous_commit")}
        note("existing database (--url): " + ", ".join(f"{k}={v}" for k, v in shown.items()))
        timed_part(args.url, args)
        return 0
    cluster = start_pg_cluster()
    try:
        if cluster.url is None:
            print(f"{'save_booking_service_postgresql':<36}  SKIPPED: {cluster.reason}", flush=True)
            return 0
        from sqlalchemy.engine import make_url

        with _connect(cluster.url) as con:
            version = con.execute("SHOW server_version").fetchone()[0]
            con.execute(f"CREATE DATABASE {BENCH_DB} TEMPLATE template0 ENCODING 'UTF8'")
        note(f"PostgreSQL {version}, {cluster.reason}")
        url = make_url(cluster.url).set(database=BENCH_DB).render_as_string(hide_password=False)
        load_postgres(url, args.bookings)
        with _connect(url) as con:
            con.execute("CHECKPOINT")  # write the load out now, not during the timed saves
        restart_durable(cluster)
        with _connect(url) as con:
            shown = {s: con.execute(f"SHOW {s}").fetchone()[0]
                     for s in ("fsync", "full_page_writes", "synchronous_commit")}
        note("durability for the timed part: " + ", ".join(f"{k}={v}" for k, v in shown.items()))
        timed_part(url, args)
    finally:
        cluster.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
