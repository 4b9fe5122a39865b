"""Crash test: kill -9 a writer at random moments; every committed booking must survive, intact.

    .venv/bin/python bench/crash_test.py              # 100 kills (about 3 minutes on 2 cores)
    .venv/bin/python bench/crash_test.py --kills 10

Each round starts a writer process on the same SQLite file. The writer creates bookings through the
services (``create_booking`` in ``write_session``, exactly as the desk does) one after another and
prints each booking's id on stdout only after its commit has returned. The parent waits until the
writer is writing, lets it run 50–400 ms, sends SIGKILL, and then checks that ``PRAGMA
integrity_check`` is 'ok' and that every printed id is in the database with its row.

What this proves: a process crash at any moment (mid-transaction, mid-commit, mid-checkpoint) never
corrupts the file or loses a commit. What it cannot prove: power loss, where the OS cache is lost
too; that is what ``synchronous=FULL`` (an fsync of the WAL at every commit) is for.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, time as dtime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

FIRST_DAY = date(2027, 1, 5)
SLOT_MIN = 30
READY = "READY"


# --------------------------------------------------------------------------- the writer (child)


def _slots(first_day: date = FIRST_DAY):
    """Every 30-minute slot of every room on every open day from first_day, in a fixed order."""
    from booking_app.domain import hours
    from booking_app.domain.profile import load_default_profile

    profile = load_default_profile()
    d = first_day
    while True:
        span = hours.opening_hours(profile, d)
        if span is not None:
            t = datetime.combine(d, span[0])
            close = datetime.combine(d, span[1])
            while t + timedelta(minutes=SLOT_MIN) <= close:
                yield t
                t += timedelta(minutes=SLOT_MIN)
        d += timedelta(days=1)


def writer_main(url: str, first_day: date = FIRST_DAY) -> int:
    """Book slot after slot from first_day on, printing each id after its commit; runs until killed."""
    from sqlalchemy import func, select

    from booking_app.services.bookings import BookingInput, create_booking
    from booking_app.services.centre import ensure_initial_data, list_staff
    from booking_app.store.engine import make_engine, write_session
    from booking_app.store.models import Booking, Room

    engine = make_engine(url)
    with write_session(engine) as s:
        ensure_initial_data(s)
    with write_session(engine) as s:
        actor = list_staff(s)[0].as_actor()
        rooms = list(s.scalars(select(Room.id).where(Room.active.is_(True)).order_by(Room.id)))
        done = s.scalar(select(func.count()).select_from(Booking).where(
            Booking.start_at >= datetime.combine(first_day, dtime()))) or 0
    # Slot k of the fixed order is (time slot k // rooms, room k % rooms): resuming at the count
    # of bookings already made never collides with an earlier round's bookings.
    slots = _slots(first_day)
    k = 0
    start = None
    out = sys.stdout
    ready = False
    while True:
        if k % len(rooms) == 0:
            start = next(slots)
        if k >= done:
            data = BookingInput(start=start, end=start + timedelta(minutes=SLOT_MIN), room_id=rooms[k % len(rooms)],
                                booker_kind="person", booker_name="試験 太郎", contact_phone="083-000-0000",
                                purpose="耐障害試験", attendees=2)
            with write_session(engine) as s:
                view = create_booking(s, actor, data, now=datetime.combine(start.date(), dtime(8, 0)))
            # Printed only after write_session has committed: a printed slip's booking.
            out.write(f"{view.id}\n")
            if not ready:  # after the first save: imports and caches are warm, the kill hits real work
                out.write(READY + "\n")
                ready = True
            out.flush()
        k += 1


# --------------------------------------------------------------------------- the parent


def _prepare(path: Path) -> str:
    from booking_app.services.centre import ensure_initial_data
    from booking_app.store.engine import make_engine, write_session
    from booking_app.store.migrate import upgrade

    url = f"sqlite:///{path.as_posix()}"
    upgrade(url)
    engine = make_engine(url)
    with write_session(engine) as s:
        ensure_initial_data(s)
    engine.dispose()
    return url


def one_round(url: str, path: Path, rng: random.Random, *, min_ms: int = 50, max_ms: int = 400) -> dict:
    """Start a writer, kill -9 it after a random 50–400 ms of writing, check the file. Returns figures."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--writer", url],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=str(ROOT))
    try:
        head: list[str] = []
        while True:
            got = proc.stdout.readline().decode()
            if not got or got.strip() == READY:
                break
            head.append(got)
        if not got:
            err = proc.stderr.read().decode()
            raise RuntimeError(f"writer did not start: {head!r} {err[-2000:]}")
        delay_ms = rng.randint(min_ms, max_ms)
        time.sleep(delay_ms / 1000)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        rest = proc.stdout.read().decode()
        proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    if proc.returncode != -signal.SIGKILL:
        raise RuntimeError(f"writer ended by itself (exit {proc.returncode}) before the kill")
    # A line cut by the kill has no newline yet: only whole lines were fully printed.
    lines = head + rest.split("\n")[:-1]
    printed = [int(x) for x in lines if x.strip()]
    con = sqlite3.connect(path, isolation_level=None)
    try:
        integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
        present = {r[0] for r in con.execute("SELECT id FROM bookings")}
        audited = {r[0] for r in con.execute("SELECT entity_id FROM audit_log WHERE entity = 'booking'")}
    finally:
        con.close()
    missing = [i for i in printed if i not in present]
    unaudited = [i for i in printed if i not in audited]
    return {"delay_ms": delay_ms, "committed": len(printed), "integrity": integrity, "missing": missing,
            "unaudited": unaudited, "total": len(present)}


def run(kills: int, *, seed: int = 7, workdir: Path | None = None, quiet: bool = False) -> dict:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="fukufuku-crash-") as tmp:
        path = Path(workdir or tmp) / "crash.sqlite3"
        url = _prepare(path)
        rounds = []
        t0 = time.perf_counter()
        for i in range(kills):
            r = one_round(url, path, rng)
            rounds.append(r)
            if not quiet:
                print(f"kill {i + 1:3d}: after {r['delay_ms']:3d} ms, {r['committed']:3d} commits printed, "
                      f"integrity {r['integrity']}, missing {len(r['missing'])}, total {r['total']}", flush=True)
        seconds = time.perf_counter() - t0
    bad = [r for r in rounds if r["integrity"] != "ok" or r["missing"] or r["unaudited"]]
    return {"kills": kills, "failures": len(bad), "committed": sum(r["committed"] for r in rounds),
            "total": rounds[-1]["total"] if rounds else 0, "seconds": seconds, "rounds": rounds}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kills", type=int, default=100)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--writer", metavar="URL", help=argparse.SUPPRESS)
    ap.add_argument("--first-day", type=date.fromisoformat, default=FIRST_DAY, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.writer:
        return writer_main(args.writer, args.first_day)
    res = run(args.kills, seed=args.seed)
    print(f"crash_test  {res['kills']} kills  {res['failures']} failures  "
          f"{res['committed']} commits printed before the kills, all present: {res['failures'] == 0}  "
          f"{res['total']} bookings in the end  {res['seconds']:.0f} s  {'PASS' if res['failures'] == 0 else 'FAIL'}")
    return 0 if res["failures"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
