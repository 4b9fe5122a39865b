"""Stress harness (issue 7): several terminals hammering one database with mixed desk operations.

Used by ``bench/stress_terminals.py`` (the full 8 × 1,000 run with figures) and by
``tests/test_stress_terminals.py`` (a small run in ``make test``). Not a bench itself.

Each worker process is one terminal (端末): its own engine, the desk and manager actors, and a
seeded random stream of operations over a deliberately small space (5 rooms × 10 days, times on a
30-minute grid, 2 projectors), so the terminals keep colliding. Every operation is ONE service call
in ONE ``write_session``, the way a screen calls it. Picking the target (which booking to edit,
which charge to pay) is a separate read, like the screen the member of staff looks at, so it may
be stale by the time the write runs: exactly the case the services must answer with a clean
Japanese ``DomainError``. Any other exception (a raw IntegrityError, "database is locked", a
deadlock, a StaleDataError) is an *unclean* failure and fails the run.

Afterwards ``check_database`` inspects the database itself, not the workers' word for it, and
compares it with the workers' ledger of what they were told succeeded.
"""

from __future__ import annotations

import multiprocessing as mp
import queue as queue_mod
import random
import statistics
import time
import traceback
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time as dtime, timedelta
from typing import Any

# Fixed clock: 2026-11-25 (Wed) 09:00, like the service tests, so booking windows are stable.
NOW = datetime(2026, 11, 25, 9, 0)
N_DAYS = 10
N_ROOMS = 5
GRID_MINUTES = 30
BARRIER_TIMEOUT = 120
RESULT_TIMEOUT = 900  # seconds without any message from the workers before the parent gives up

# Operation mix (weights). "book" is also the fallback when an operation finds nothing to act on.
OP_WEIGHTS: dict[str, int] = {
    "book": 28, "edit": 14, "cancel": 9, "check_in": 8, "check_out": 8,
    "pay": 12, "void": 4, "tally": 12, "undo_tally": 5,
}


@dataclass(frozen=True)
class Space:
    """The contended space and the ids the workers need (picklable for spawn)."""

    rooms: tuple[int, ...]
    capacity: dict[int, int]
    projector: int
    projector_stock: int
    stocked: dict[int, int]  # every equipment type with a stock → stock
    days: tuple[date, ...]
    hours: dict[date, tuple[dtime, dtime]]
    walkin_categories: tuple[str, ...]
    desk_id: int
    manager_id: int


@dataclass
class WorkerResult:
    """What one terminal did and was told (sent back to the parent once, at the end)."""

    idx: int
    ops: Counter = field(default_factory=Counter)  # op → attempts
    ok: Counter = field(default_factory=Counter)  # op → successes
    failures: Counter = field(default_factory=Counter)  # DomainError class name → count
    failures_by_op: Counter = field(default_factory=Counter)  # "op:Class" → count
    unclean: list[str] = field(default_factory=list)  # tracebacks
    latencies_ns: list[int] = field(default_factory=list)
    # The ledger: what committed according to the terminal.
    created: list[int] = field(default_factory=list)
    checked_out_users: int = 0
    receipts: list[str] = field(default_factory=list)
    voided: list[int] = field(default_factory=list)
    tallies: list[tuple[int, int]] = field(default_factory=list)  # (tally id, count)
    undone: list[int] = field(default_factory=list)
    elapsed: float = 0.0


@dataclass
class Check:
    name: str
    ok: bool
    detail: str = ""


@dataclass
class RunReport:
    backend: str
    procs: int
    ops_per_proc: int
    seed: int
    elapsed: float
    results: list[WorkerResult]
    checks: list[Check]
    fatal: list[str]

    @property
    def total_ops(self) -> int:
        return sum(sum(r.ops.values()) for r in self.results)

    @property
    def successes(self) -> int:
        return sum(sum(r.ok.values()) for r in self.results)

    @property
    def failures(self) -> Counter:
        c: Counter = Counter()
        for r in self.results:
            c.update(r.failures)
        return c

    @property
    def unclean(self) -> list[str]:
        return [tb for r in self.results for tb in r.unclean]

    @property
    def latencies_ns(self) -> list[int]:
        return [x for r in self.results for x in r.latencies_ns]

    @property
    def passed(self) -> bool:
        return not self.fatal and not self.unclean and all(c.ok for c in self.checks) \
            and len(self.results) == self.procs

    def lines(self) -> list[str]:
        lat = sorted(self.latencies_ns) or [0]
        ops = Counter()
        ok = Counter()
        by_op = Counter()
        for r in self.results:
            ops.update(r.ops)
            ok.update(r.ok)
            by_op.update(r.failures_by_op)
        out = [
            f"== {self.backend}: {self.procs} processes × {self.ops_per_proc} operations (seed {self.seed})",
            f"total ops        {self.total_ops:,}",
            f"successes        {self.successes:,}",
            "failures (clean) " + (", ".join(f"{k} {v:,}" for k, v in sorted(self.failures.items())) or "0"),
            f"unclean          {len(self.unclean)}",
            f"elapsed          {self.elapsed:.1f} s",
            f"throughput       {self.total_ops / self.elapsed:,.1f} ops/s" if self.elapsed else "throughput n/a",
            f"op latency       p50 {_pct(lat, 50) / 1e6:.1f} ms  p95 {_pct(lat, 95) / 1e6:.1f} ms  "
            f"max {lat[-1] / 1e6:.0f} ms",
            "per operation    " + "  ".join(
                f"{op} {ok[op]}/{ops[op]}" for op in OP_WEIGHTS if ops[op]),
        ]
        if by_op:
            out.append("refusals         " + "  ".join(f"{k} {v}" for k, v in sorted(by_op.items())))
        for c in self.checks:
            out.append(f"check {c.name:<34} {'PASS' if c.ok else 'FAIL'}" + (f"  {c.detail}" if c.detail else ""))
        for f in self.fatal:
            out.append(f"FATAL {f}")
        if self.unclean:
            kinds: dict[str, list[str]] = defaultdict(list)
            for tb in self.unclean:
                kinds[_kind(tb)].append(tb)
            out.append("unclean by kind  " + "; ".join(f"{len(v)}× {k}" for k, v in kinds.items()))
            for k, tbs in list(kinds.items())[:5]:  # one example of each kind
                out.append(f"UNCLEAN failure ({len(tbs)}× {k}):\n{tbs[0]}")
        out.append(f"RESULT {'PASS' if self.passed else 'FAIL'}")
        return out


def _kind(tb: str) -> str:
    """The exception line of a traceback (SQLAlchemy appends a 'Background on this error' line)."""
    lines = [ln for ln in tb.strip().splitlines() if ln.strip() and not ln.startswith("(Background")]
    exc = [ln for ln in lines if not ln.startswith(" ") and ":" in ln and not ln.startswith("Traceback")]
    return (exc[-1] if exc else lines[-1])[:200]


def _pct(sorted_samples: list[int], q: float) -> float:
    k = max(0, min(len(sorted_samples) - 1, int(round(q / 100 * len(sorted_samples) + 0.5)) - 1))
    return sorted_samples[k]


# --------------------------------------------------------------------------- preparing


def seed_database(url: str) -> Space:
    """ensure_initial_data on a migrated empty database and describe the contended space."""
    from sqlalchemy import select

    from booking_app.domain import hours
    from booking_app.services.centre import ensure_initial_data, get_profile
    from booking_app.services.stats.ledger import walkin_categories
    from booking_app.store.engine import make_engine, write_session
    from booking_app.store.models import EquipmentType, Room, Staff

    engine = make_engine(url)
    try:
        with write_session(engine) as s:
            ensure_initial_data(s, now=NOW)
            profile = get_profile(s)
            rooms = list(s.execute(select(Room.id, Room.capacity).where(Room.active.is_(True))
                                   .order_by(Room.sort_order, Room.id)))[:N_ROOMS]
            eq = {name: (i, stock) for i, name, stock in s.execute(
                select(EquipmentType.id, EquipmentType.name, EquipmentType.stock))}
            staff = {role: i for i, role in s.execute(select(Staff.id, Staff.role).order_by(Staff.id))}
            cats = walkin_categories(s)
        days: list[date] = []
        spans: dict[date, tuple[dtime, dtime]] = {}
        d = NOW.date() + timedelta(days=1)
        while len(days) < N_DAYS:
            span = hours.opening_hours(profile, d)
            if span is not None:
                days.append(d)
                spans[d] = span
            d += timedelta(days=1)
        pj_id, pj_stock = eq["プロジェクター"]
        return Space(
            rooms=tuple(r for r, _ in rooms), capacity={r: c for r, c in rooms}, projector=pj_id,
            projector_stock=pj_stock, stocked={i: st for i, st in eq.values() if st is not None},
            days=tuple(days), hours=spans, walkin_categories=tuple(cats),
            desk_id=staff["desk"], manager_id=staff["manager"],
        )
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- the terminal


class _Terminal:
    """One worker's state: engine, actors, RNG, ledger."""

    def __init__(self, url: str, idx: int, space: Space, seed: int) -> None:
        from sqlalchemy import select

        from booking_app.services.common import Actor
        from booking_app.store.engine import make_engine, read_session
        from booking_app.store.models import Staff

        self.engine = make_engine(url)
        self.space = space
        self.idx = idx
        self.rng = random.Random(seed * 1000 + idx)
        self.terminal = f"端末{idx + 1}"
        with read_session(self.engine) as s:
            st = {i: (n, r) for i, n, r in s.execute(select(Staff.id, Staff.name, Staff.role))}
        self.desk = Actor(space.desk_id, *st[space.desk_id])
        self.manager = Actor(space.manager_id, *st[space.manager_id])
        self.res = WorkerResult(idx)

    # ------------------------------------------------------------------ helpers
    def _slot(self) -> tuple[datetime, datetime]:
        day = self.rng.choice(self.space.days)
        open_t, close_t = self.space.hours[day]
        lo = open_t.hour * 60 + open_t.minute
        hi = close_t.hour * 60 + close_t.minute
        length = self.rng.choice((60, 90, 120, 180))
        start = lo + GRID_MINUTES * self.rng.randrange(0, max(1, (hi - lo - 60) // GRID_MINUTES + 1))
        end = min(start + length, hi)
        base = datetime.combine(day, dtime())
        return base + timedelta(minutes=start), base + timedelta(minutes=end)

    def _equipment(self) -> dict[int, int]:
        if self.rng.random() < 0.3:
            return {self.space.projector: self.rng.choice((1, 1, 2))}
        return {}

    def _input(self):
        from booking_app.services.bookings import BookingInput

        start, end = self._slot()
        room = self.rng.choice(self.space.rooms) if self.rng.random() < 0.9 else None
        equipment = self._equipment()
        if room is None and not equipment:
            equipment = {self.space.projector: 1}
        attendees = self.rng.randint(1, min(8, self.space.capacity[room]) if room else 8)
        tentative = self.rng.random() < 0.1
        kind = self.rng.choice(("person", "group"))
        return BookingInput(
            start=start, end=end, room_id=room, booker_kind=kind,
            booker_name=f"{self.terminal}の利用者{self.rng.randint(1, 50)}", contact_phone="083-000-0000",
            purpose="定例会", attendees=attendees, equipment=equipment, tentative=tentative,
            hold_until=NOW.date() + timedelta(days=7) if tentative else None,
        )

    def _pick(self, query_fn):
        """A random row of what the screen shows (its own read transaction), or None."""
        from booking_app.store.engine import read_session

        with read_session(self.engine) as s:
            rows = list(query_fn(s))
        return self.rng.choice(rows) if rows else None

    def _bookings(self, statuses: tuple[str, ...]):
        from sqlalchemy import select

        from booking_app.store.models import Booking

        def q(s):
            return s.execute(select(Booking.id, Booking.version, Booking.start_at, Booking.end_at)
                             .where(Booking.status.in_(statuses))).all()
        return q

    # ------------------------------------------------------------------ one operation
    def prepare(self, op: str):
        """Choose the target and return (op, call(session)) — or fall back to a booking."""
        from sqlalchemy import select

        from booking_app.services import bookings as bk
        from booking_app.services import payments as pay
        from booking_app.services.stats import tallies as stats
        from booking_app.store.models import Receipt, ReceiptVoid, WalkInTally

        if op == "edit":
            row = self._pick(self._bookings(("tentative", "confirmed")))
            if row is not None:
                bid = row[0]
                new = self._input()
                from booking_app.store.engine import read_session

                with read_session(self.engine) as s:
                    view = bk.get_booking(s, bid)
                version, current = view.version, view.to_input()
                # Move in time and/or room; keep who booked and the rest, like the dialog does.
                current.start, current.end = new.start, new.end
                if self.rng.random() < 0.5:
                    current.room_id = new.room_id
                    if current.room_id is None and not any(current.equipment.values()):
                        current.equipment = {self.space.projector: 1}
                    if current.room_id is not None:
                        current.attendees = min(current.attendees, self.space.capacity[current.room_id])
                if self.rng.random() < 0.3:
                    current.equipment = new.equipment if (current.room_id or new.equipment) \
                        else {self.space.projector: 1}
                return op, lambda s: bk.update_booking(s, self.desk, bid, current, expected_version=version,
                                                       now=NOW)
        elif op == "cancel":
            row = self._pick(self._bookings(("tentative", "confirmed")))
            if row is not None:
                bid, version = row[0], row[1]
                return op, lambda s: bk.cancel_booking(s, self.desk, bid, "団体の都合",
                                                       expected_version=version, now=NOW)
        elif op == "check_in":
            row = self._pick(self._bookings(("confirmed",)))
            if row is not None:
                bid, start = row[0], row[2]
                return op, lambda s: bk.check_in(s, self.desk, bid, now=start)
        elif op == "check_out":
            row = self._pick(self._bookings(("in_use",)))
            if row is not None:
                bid, end = row[0], row[3]
                users = self.rng.randint(0, 12)

                def call(s):
                    v = bk.check_out(s, self.desk, bid, users, now=end)
                    return ("users", users, v)
                return op, call
        elif op == "pay":
            charge = self._pick(lambda s: pay.open_charges(s))
            if charge is not None:
                return op, lambda s: pay.take_payment(
                    s, self.desk, [charge.id], payer_name=charge.payer_name, purpose="施設使用料として",
                    now=NOW, terminal=self.terminal)
        elif op == "void":
            # Mostly receipts still valid; sometimes any receipt, so double voids are tried too.
            def q(s):
                qq = select(Receipt.id)
                if self.rng.random() < 0.8:
                    qq = qq.where(Receipt.id.not_in(select(ReceiptVoid.receipt_id)))
                return s.scalars(qq).all()
            rid = self._pick(q)
            if rid is not None:
                return op, lambda s: pay.void_receipt(s, self.manager, rid, "宛名の誤り", now=NOW,
                                                      terminal=self.terminal)
        elif op == "tally":
            cat = self.rng.choice(self.space.walkin_categories)
            n = self.rng.choice((1, 1, 1, 2, 3, 5))
            return op, lambda s: stats.add_tally(s, self.desk, cat, n, now=NOW, terminal=self.terminal)
        elif op == "undo_tally":
            tid = self._pick(lambda s: s.scalars(select(WalkInTally.id).where(WalkInTally.undone_at.is_(None))
                                                 .order_by(WalkInTally.id.desc()).limit(20)).all())
            if tid is not None:
                return op, lambda s: stats.undo_tally(s, self.desk, tid, now=NOW)
        data = self._input()
        return "book", lambda s: bk.create_booking(s, self.desk, data, now=NOW)

    def record(self, op: str, value: Any) -> None:
        r = self.res
        if op == "book":
            r.created.append(value.id)
        elif op == "check_out":
            r.checked_out_users += value[1]
        elif op == "pay":
            r.receipts.append(value.receipt_no)
        elif op == "void":
            r.voided.append(value.id)
        elif op == "tally":
            r.tallies.append((value.id, value.count))
        elif op == "undo_tally":
            r.undone.append(value.id)

    def run(self, n_ops: int) -> None:
        from booking_app.domain.errors import DomainError
        from booking_app.store.engine import write_session

        ops, weights = list(OP_WEIGHTS), list(OP_WEIGHTS.values())
        t0 = time.perf_counter()
        for _ in range(n_ops):
            wanted = self.rng.choices(ops, weights)[0]
            op, call = self.prepare(wanted)
            self.res.ops[op] += 1
            t1 = time.perf_counter_ns()
            try:
                with write_session(self.engine) as s:
                    value = call(s)
            except DomainError as exc:
                self.res.failures[type(exc).__name__] += 1
                self.res.failures_by_op[f"{op}:{type(exc).__name__}"] += 1
                if not exc.message or not any("\u3040" <= ch <= "\u9fff" for ch in exc.message):
                    self.res.unclean.append(f"{op}: {type(exc).__name__} without a Japanese message: {exc!r}")
            except Exception:  # noqa: BLE001 - anything else is exactly what the stress looks for
                self.res.unclean.append(f"[{self.terminal}] {op}\n{traceback.format_exc()}")
            else:
                self.res.ok[op] += 1
                self.record(op, value)
            finally:
                self.res.latencies_ns.append(time.perf_counter_ns() - t1)
        self.res.elapsed = time.perf_counter() - t0


def worker_main(url: str, idx: int, space: Space, n_ops: int, seed: int, barrier, out) -> None:
    """Entry point of one terminal process (spawn)."""
    term = None
    try:
        term = _Terminal(url, idx, space, seed)
        barrier.wait(BARRIER_TIMEOUT)
        term.run(n_ops)
        out.put(("done", idx, term.res))
    except BaseException:  # noqa: BLE001 - reported to the parent, which fails the run
        out.put(("fatal", idx, traceback.format_exc()))
    finally:
        if term is not None:
            term.engine.dispose()


# --------------------------------------------------------------------------- running


def run_stress(url: str, *, procs: int = 8, ops: int = 1000, seed: int = 1, backend: str = "",
               space: Space | None = None) -> RunReport:
    """Seed the (migrated, empty) database at ``url``, run the terminals, check the database."""
    space = space or seed_database(url)
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(procs + 1)
    out = ctx.Queue()
    workers = [ctx.Process(target=worker_main, args=(url, i, space, ops, seed, barrier, out), daemon=True)
               for i in range(procs)]
    for p in workers:
        p.start()
    results: list[WorkerResult] = []
    fatal: list[str] = []
    try:
        barrier.wait(BARRIER_TIMEOUT)  # every terminal connected: start the clock
        t0 = time.perf_counter()
        while len(results) + len(fatal) < procs:
            kind, idx, payload = out.get(timeout=RESULT_TIMEOUT)
            if kind == "done":
                results.append(payload)
            else:
                fatal.append(f"terminal {idx}: {payload}")
        elapsed = time.perf_counter() - t0
    except (queue_mod.Empty, Exception) as exc:  # noqa: BLE001 - a broken barrier or a silent worker
        elapsed = 0.0
        fatal.append(f"parent: {exc!r}")
    for p in workers:
        p.join(timeout=60)
    for p in workers:
        if p.is_alive():
            p.kill()
            p.join()
    results.sort(key=lambda r: r.idx)
    checks = check_database(url, space, results) if not fatal else []
    return RunReport(backend or url.split(":", 1)[0], procs, ops, seed, elapsed, results, checks, fatal)


# --------------------------------------------------------------------------- checks


def check_database(url: str, space: Space, results: list[WorkerResult]) -> list[Check]:
    """Every invariant, read from the database itself and compared with the terminals' ledger."""
    from sqlalchemy import and_, func, select
    from sqlalchemy.orm import aliased

    from booking_app.domain import japanese_calendar as jcal
    from booking_app.domain.booking_rules import BLOCKING_STATUSES, peak_in_use
    from booking_app.domain.figures import ROOM_CATEGORY
    from booking_app.services.stats import figures as stats_figures
    from booking_app.services.stats import tallies as stats_tallies
    from booking_app.store.engine import make_engine, read_session
    from booking_app.store.models import (
        AuditEntry,
        Booking,
        BookingEquipment,
        NumberSequence,
        Receipt,
        ReceiptVoid,
        WalkInTally,
    )

    blocking = [s.value for s in BLOCKING_STATUSES]
    checks: list[Check] = []
    engine = make_engine(url)
    try:
        with read_session(engine) as s:
            # 1. No two blocking bookings of one room overlap.
            a, b = aliased(Booking), aliased(Booking)
            pairs = s.execute(
                select(a.id, b.id).join(b, and_(a.room_id == b.room_id, a.id < b.id, a.start_at < b.end_at,
                                               b.start_at < a.end_at))
                .where(a.room_id.is_not(None), a.status.in_(blocking), b.status.in_(blocking))
            ).all()
            n_blocking = s.scalar(select(func.count()).select_from(Booking).where(Booking.status.in_(blocking)))
            checks.append(Check("no overlapping room bookings", not pairs,
                                f"{n_blocking} live bookings" + (f"; overlaps {pairs[:5]}" if pairs else "")))

            # 2. Equipment: peak in use ≤ stock at every moment of every day.
            over = []
            peak_seen = 0
            for tid, stock in space.stocked.items():
                rows = s.execute(
                    select(Booking.start_at, Booking.end_at, BookingEquipment.quantity)
                    .join(BookingEquipment, BookingEquipment.booking_id == Booking.id)
                    .where(BookingEquipment.equipment_type_id == tid, Booking.status.in_(blocking))
                ).all()
                for day in {r[0].date() for r in rows}:
                    lo = datetime.combine(day, dtime())
                    peak = peak_in_use([(x, y, q) for x, y, q in rows], lo, lo + timedelta(days=1))
                    if tid == space.projector:
                        peak_seen = max(peak_seen, peak)
                    if peak > stock:
                        over.append((tid, day.isoformat(), peak, stock))
            checks.append(Check("equipment peak ≤ stock", not over,
                                f"projector peak {peak_seen}/{space.projector_stock}"
                                + (f"; over {over[:5]}" if over else "")))

            # 3. Receipt numbers per fiscal year: 1..N, gapless, unique, matching the counter.
            problems = []
            receipts = s.execute(select(Receipt.id, Receipt.fiscal_year, Receipt.seq, Receipt.receipt_no)).all()
            by_fy: dict[int, list[int]] = defaultdict(list)
            for _, fy, seq, no in receipts:
                by_fy[fy].append(seq)
                if no != f"{fy}-{seq:06d}":
                    problems.append(f"number {no} ≠ {fy}/{seq}")
            for fy, seqs in by_fy.items():
                if sorted(seqs) != list(range(1, len(seqs) + 1)):
                    problems.append(f"FY{fy}: {len(seqs)} receipts, seqs not 1..N")
                nxt = s.scalar(select(NumberSequence.next_value).where(NumberSequence.name == f"receipt:{fy}"))
                if nxt != len(seqs) + 1:
                    problems.append(f"FY{fy}: counter at {nxt}, {len(seqs)} receipts")
            if len({no for *_, no in receipts}) != len(receipts):
                problems.append("duplicate receipt numbers")
            told = sorted(no for r in results for no in r.receipts)
            if told != sorted(no for *_, no in receipts):
                problems.append(f"terminals were told {len(told)} receipts, database has {len(receipts)}")
            if receipts and {fy for _, fy, _, _ in receipts} != {jcal.fiscal_year(NOW.date())}:
                problems.append("unexpected fiscal year")
            checks.append(Check("receipts gapless and unique", not problems,
                                f"{len(receipts)} receipts" + (f"; {problems}" if problems else "")))

            # 4. Voids point at existing receipts, at most one each, and match the terminals' ledger.
            voids = s.execute(select(ReceiptVoid.receipt_id, Receipt.id)
                              .outerjoin(Receipt, Receipt.id == ReceiptVoid.receipt_id)).all()
            dangling = [rid for rid, rec in voids if rec is None]
            void_ids = [rid for rid, _ in voids]
            told_voids = sorted(v for r in results for v in r.voided)
            ok = not dangling and len(set(void_ids)) == len(void_ids) and sorted(void_ids) == told_voids
            checks.append(Check("voids point at receipts", ok,
                                f"{len(void_ids)} voids" + ("" if ok else
                                                            f"; dangling {dangling[:5]}, told {len(told_voids)}")))

            # 5. Walk-ins: the stats service's totals = the raw rows = what the terminals added − undid.
            raw = s.execute(select(WalkInTally.id, WalkInTally.category, WalkInTally.count,
                                   WalkInTally.undone_at)).all()
            raw_live = Counter()
            for _, cat, n, undone in raw:
                if undone is None:
                    raw_live[cat] += n
            service_day = stats_tallies.tally_counts(s, NOW.date())
            fy = jcal.fiscal_year(NOW.date())
            # The terminals check out days after NOW too: count the whole year, not up to today
            # (monthly_users leaves months ahead of `today` blank, issue 13 item 2).
            monthly = stats_figures.monthly_users(s, fy, today=jcal.fiscal_year_range(fy)[1])
            by_cat_year = Counter()
            for row in monthly:
                by_cat_year.update(row.by_category)
            added = {tid: n for r in results for tid, n in r.tallies}
            undone_told = {tid for r in results for tid in r.undone}
            ledger_total = sum(n for tid, n in added.items() if tid not in undone_told)
            cats = space.walkin_categories
            problems = []
            if {c: service_day.get(c, 0) for c in cats} != {c: raw_live.get(c, 0) for c in cats}:
                problems.append(f"tally_counts {dict(service_day)} ≠ rows {dict(raw_live)}")
            if any(by_cat_year.get(c, 0) != raw_live.get(c, 0) for c in cats):
                problems.append("monthly_users walk-ins ≠ rows")
            if sum(raw_live.values()) != ledger_total:
                problems.append(f"rows {sum(raw_live.values())} ≠ terminals' ledger {ledger_total}")
            if set(added) != {tid for tid, *_ in raw}:
                problems.append("tally rows ≠ tallies the terminals were told were saved")
            undone_rows = {tid for tid, _, _, u in raw if u is not None}
            if undone_rows != undone_told:
                problems.append(f"{len(undone_rows)} undone rows, terminals undid {len(undone_told)}")
            undo_audits = Counter(s.scalars(select(AuditEntry.entity_id).where(
                AuditEntry.entity == "walkin_tally", AuditEntry.action == "undo")))
            twice = [t for t, n in undo_audits.items() if n > 1]
            if twice:
                problems.append(f"tallies undone twice: {twice[:5]}")
            checks.append(Check("walk-in totals = sum of tallies", not problems,
                                f"{sum(raw_live.values())} walk-ins in {len(raw)} tallies, {len(undone_rows)} undone"
                                + (f"; {problems}" if problems else "")))

            # 6. Room users: the stats service's totals = the checked-out rows = the terminals' check-outs.
            room_rows = s.scalar(select(func.coalesce(func.sum(Booking.actual_users), 0))
                                 .where(Booking.status == "completed")) or 0
            by_room = stats_figures.users_by_room(s, fy)
            ledger_users = sum(r.checked_out_users for r in results)
            problems = []
            if by_cat_year.get(ROOM_CATEGORY, 0) != room_rows:
                problems.append(f"monthly_users {by_cat_year.get(ROOM_CATEGORY, 0)} ≠ rows {room_rows}")
            if sum(by_room.values()) != room_rows:
                problems.append(f"users_by_room {sum(by_room.values())} ≠ rows {room_rows}")
            if room_rows != ledger_users:
                problems.append(f"rows {room_rows} ≠ terminals' check-outs {ledger_users}")
            n_completed = s.scalar(select(func.count()).select_from(Booking).where(Booking.status == "completed"))
            checks.append(Check("user counts = sum of check-outs", not problems,
                                f"{room_rows} users in {n_completed} check-outs"
                                + (f"; {problems}" if problems else "")))

            # 7. Every booking has its audit 'create' entry; bookings = those the terminals made.
            ids = set(s.scalars(select(Booking.id)))
            audited = set(s.scalars(select(AuditEntry.entity_id).where(AuditEntry.entity == "booking",
                                                                       AuditEntry.action == "create")))
            told_created = {i for r in results for i in r.created}
            problems = []
            if ids - audited:
                problems.append(f"{len(ids - audited)} bookings without 'create' audit")
            if ids != told_created:
                problems.append(f"{len(ids)} rows, terminals created {len(told_created)}")
            checks.append(Check("every booking audited 'create'", not problems,
                                f"{len(ids)} bookings" + (f"; {problems}" if problems else "")))
    finally:
        engine.dispose()
    return checks


def summary_numbers(report: RunReport) -> dict[str, Any]:
    lat = sorted(report.latencies_ns) or [0]
    return {
        "ops": report.total_ops, "ok": report.successes, "elapsed": report.elapsed,
        "ops_per_s": report.total_ops / report.elapsed if report.elapsed else 0.0,
        "p50_ms": _pct(lat, 50) / 1e6, "p95_ms": _pct(lat, 95) / 1e6,
        "median_ms": statistics.median(lat) / 1e6,
    }
