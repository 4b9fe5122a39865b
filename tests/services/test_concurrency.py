"""Several terminals (端末) at once: the booking rules hold when writers race.

Eight processes (each with its own engine, like eight desk PCs) are released together by a barrier
and all try to take the same room slot, then the same projectors, for five rounds. Afterwards the
database itself is checked: one winner per room slot, never more projectors out than in stock, and
every loser was told why in Japanese with a ConflictError (never "database is locked", never a raw
database error).
"""

from __future__ import annotations

import multiprocessing as mp
import queue as queue_mod
import time
from collections import Counter, defaultdict
from datetime import date, timedelta

from factories import JAPANESE, NOW, World, at, open_world, seed
from sqlalchemy import func, select

from booking_app.domain.booking_rules import BLOCKING_STATUSES
from booking_app.domain.errors import DomainError
from booking_app.store.models import Booking

WORKERS = 8
ROUNDS = 5
FIRST_DAY = date(2026, 12, 1)  # Tue 12/1 … Sat 12/5: open days inside the general window
BARRIER_TIMEOUT = 60


def _attempt(world: World, kind: str, rnd: int, idx: int, out, **kw) -> None:
    day = FIRST_DAY + timedelta(days=rnd)
    try:
        if kind == "room":
            v = world.book(at(day, 10), at(day, 12), booker_name=f"端末{idx}", **kw)
        else:
            # Staggered but all overlapping 10:45–11:30, so exactly `stock` of them can win.
            start = at(day, 9) + timedelta(minutes=15 * idx)
            v = world.book(start, start + timedelta(hours=2, minutes=30), room=None, booker_name=f"端末{idx}",
                           **kw)
        out.put((kind, rnd, idx, "ok", v.id))
    except DomainError as exc:
        out.put((kind, rnd, idx, type(exc).__name__, exc.message))
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which fails the test
        out.put((kind, rnd, idx, type(exc).__name__, str(exc)))


def race_worker(url: str, idx: int, barrier, out) -> None:
    """One terminal: its own engine; waits at the barrier before every attempt."""
    try:
        world = open_world(url)
        pj = world.equipment["プロジェクター"]
        try:
            for rnd in range(ROUNDS):
                barrier.wait(BARRIER_TIMEOUT)
                _attempt(world, "room", rnd, idx, out)
                barrier.wait(BARRIER_TIMEOUT)
                _attempt(world, "equipment", rnd, idx, out, equipment={pj: 1})
        finally:
            world.engine.dispose()
    except BaseException as exc:  # noqa: BLE001
        out.put(("fatal", -1, idx, type(exc).__name__, repr(exc)))


def test_racing_terminals(db_url):
    from booking_app.store.engine import make_engine

    engine = make_engine(db_url)
    try:
        world = seed(engine)
        engine.dispose()  # the parent holds no connection while the children race
        ctx = mp.get_context("spawn")
        barrier = ctx.Barrier(WORKERS)
        out = ctx.Queue()
        procs = [ctx.Process(target=race_worker, args=(db_url, i, barrier, out), daemon=True)
                 for i in range(WORKERS)]
        t0 = time.monotonic()
        for p in procs:
            p.start()
        results = []
        expected = WORKERS * ROUNDS * 2
        try:
            while len(results) < expected:
                item = out.get(timeout=90)
                results.append(item)
                if item[0] == "fatal":
                    break
        except queue_mod.Empty:
            pass
        for p in procs:
            p.join(timeout=30)
        elapsed = time.monotonic() - t0
        for p in procs:
            if p.is_alive():
                p.kill()
                p.join()

        fatal = [r for r in results if r[0] == "fatal"]
        assert not fatal, fatal
        assert len(results) == expected, f"only {len(results)} of {expected} attempts reported"
        assert all(p.exitcode == 0 for p in procs)

        outcome: dict[tuple[str, int], Counter] = defaultdict(Counter)
        for kind, rnd, _idx, verdict, _detail in results:
            outcome[(kind, rnd)][verdict] += 1
        for rnd in range(ROUNDS):
            assert outcome[("room", rnd)] == Counter({"ok": 1, "ConflictError": WORKERS - 1}), rnd
            assert outcome[("equipment", rnd)] == Counter({"ok": 2, "ConflictError": WORKERS - 2}), rnd

        losers = [r for r in results if r[3] != "ok"]
        assert {r[3] for r in losers} == {"ConflictError"}
        for r in losers:
            assert JAPANESE.search(r[4]), r
            assert "locked" not in r[4].lower() and "integrity" not in r[4].lower(), r

        # The database itself, not the workers' word for it.
        engine = make_engine(db_url)
        world = World(engine, world.desk, world.manager, world.rooms, world.equipment)
        live = [s.value for s in BLOCKING_STATUSES]
        pj = world.equipment["プロジェクター"]
        with world.read() as s:
            for rnd in range(ROUNDS):
                day = FIRST_DAY + timedelta(days=rnd)
                n = s.scalar(select(func.count()).select_from(Booking).where(
                    Booking.room_id == world.rooms["大会議室"], Booking.status.in_(live),
                    Booking.start_at >= at(day, 0), Booking.start_at < at(day + timedelta(days=1), 0)))
                assert n == 1, (day, n)
        for rnd in range(ROUNDS):
            day = FIRST_DAY + timedelta(days=rnd)
            assert world.equipment_peak(pj, at(day, 0), at(day, 23)) == 2
        winners = {r[4] for r in results if r[3] == "ok"}
        assert world.count(Booking) == len(winners) == ROUNDS * 3
        # Every winner's booking is in the audit trail exactly once; losers left nothing behind.
        creates = [a.entity_id for a in world.audit_rows() if a.action == "create"]
        assert sorted(creates) == sorted(winners)
        assert elapsed < 60, f"the race took {elapsed:.1f} s"
        assert NOW.date() < FIRST_DAY
    finally:
        engine.dispose()
