"""Make the big bench database: ten years of bookings for 12 rooms (1,000,000 rows by default).

    .venv/bin/python bench/make_big_db.py            # SQLite, cached in bench/.data/ (reused if current)
    .venv/bin/python bench/make_big_db.py --force    # regenerate the SQLite file
    .venv/bin/python bench/make_big_db.py --pg       # also load a throwaway PostgreSQL cluster (timing only)

The schema comes from the real migrations (``store.migrate.upgrade``) and the reference data from
``ensure_initial_data``; then 7 more rooms (12 in all), 260 registered groups, and the bookings are
bulk-inserted (sqlite3 ``executemany`` / psycopg ``COPY``), which is ~100× faster than the ORM.

Layout of the bookings: every open day from 2017-03-01 to 2027-02-28 (the last day a registered
group may book on 2026-11-25), each room is cut into 30-minute slots within the opening hours
(9:00–22:00, Sundays and holidays 9:00–18:00, closed 12/29–1/3), and exactly N of all those slots are
taken, chosen at random: ~23 bookings per room per day, never overlapping, with ~6% free slots
left as gaps that the save bench books into. Status mix: past days 86% 利用済 (completed),
10% 取消 (cancelled), 2% 無断キャンセル (no-show), 2% 期限切れ (expired); future days 86% 確定,
4% 仮予約 with a hold deadline in the coming week, 10% 取消. 20% of the bookings carry one
equipment line; each room lends from its own "lane" of units so no type ever exceeds its stock.
Each booking has its 'create' audit entry (summary only; the bulk rows have no before/after
snapshot, which changes the size of audit_log but not the cost of one more insert). The entries continue
the audit hash chain (migration 0008): ``prev_hash``/``row_hash`` are computed here with the app's own
``store.audit_chain.row_hash``, so ``verify-audit`` passes on the generated database.

Bench scripts that save bookings into the cached file call ``restore_baseline`` before and after,
so the file stays as generated across runs.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DATA_DIR, bookings_label, single, start_pg_cluster  # noqa: E402

from sqlalchemy import text  # noqa: E402

from booking_app.domain import hours  # noqa: E402
from booking_app.domain.profile import load_default_profile  # noqa: E402
from booking_app.services.centre import ensure_initial_data  # noqa: E402
from booking_app.store.audit_chain import GENESIS, row_hash  # noqa: E402
from booking_app.store.engine import make_engine, read_session, write_session  # noqa: E402
from booking_app.store.migrate import current_revision, head_revision, upgrade  # noqa: E402

GENERATOR_VERSION = 2  # (2: audit rows carry the hash chain) bump when the layout below changes: cached files are then rebuilt
DEFAULT_N = 1_000_000
DEFAULT_SEED = 20261125
START = date(2017, 3, 1)
END = date(2027, 2, 28)
TODAY = date(2026, 11, 25)
SLOT_MIN = 30
EQUIPMENT_SHARE = 0.20
N_GROUPS = 260

EXTRA_ROOMS = (  # five come from the profile; these make twelve
    ("和室", "わしつ", 20), ("調理室", "ちょうりしつ", 24), ("研修室1", "けんしゅうしつ1", 30),
    ("研修室2", "けんしゅうしつ2", 30), ("音楽スタジオ", "おんがくすたじお", 10),
    ("創作工房", "そうさくこうぼう", 16), ("相談室", "そうだんしつ", 6),
)
PURPOSES = ("定例会", "役員会", "講座", "練習", "打合せ", "研修会", "総会", "交流会", "作業", "相談会")

BOOKING_COLS = (
    "id", "room_id", "series_id", "series_detached", "group_id", "booker_kind", "booker_name",
    "contact_phone", "purpose", "attendees", "start_at", "end_at", "status", "hold_until", "actual_users",
    "status_reason", "override_reason", "note", "version", "created_at", "created_by", "updated_at",
    "updated_by",
)
EQUIP_COLS = ("id", "booking_id", "equipment_type_id", "quantity")
AUDIT_COLS = ("id", "at", "staff_id", "action", "entity", "entity_id", "summary", "before", "after",
              "prev_hash", "row_hash")


def sqlite_path(n: int = DEFAULT_N) -> Path:
    return DATA_DIR / f"big-{n}.sqlite3"


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path.as_posix()}"


def _meta_path(path: Path) -> Path:
    return path.with_suffix(".json")


@dataclass
class Reference:
    """Ids the bulk rows point at, read back from the database after the reference data is made."""

    rooms: list[tuple[int, int]]  # (id, capacity), 12 of them
    lanes: dict[int, int]  # room id → the equipment type its bookings borrow
    groups: list[tuple[int, str]]
    staff: list[int]


# --------------------------------------------------------------------------- reference data


def seed_reference(url: str) -> Reference:
    """ensure_initial_data, then rooms up to twelve and the registered groups (through SQL that
    works on both backends). Returns the ids the bookings will use."""
    engine = make_engine(url)
    try:
        now = datetime(2017, 2, 1, 9, 0)
        with write_session(engine) as s:
            ensure_initial_data(s, now=now)
        with write_session(engine) as s:
            have = s.execute(text("SELECT count(*) FROM rooms")).scalar_one()
            for i, (name, kana, cap) in enumerate(EXTRA_ROOMS[: max(0, 12 - have)]):
                s.execute(text("INSERT INTO rooms (name, kana, capacity, sort_order, active) "
                               "VALUES (:n, :k, :c, :o, :a)"),
                          {"n": name, "k": kana, "c": cap, "o": 10 + i, "a": True})
            s.execute(
                text("INSERT INTO member_groups (reg_no, name, kana, group_type, status, valid_until, "
                     "representative, phone, members, note, created_at, created_by) VALUES "
                     "(:r, :n, :k, :t, 'active', NULL, :rep, :ph, :m, '', :at, 1)"),
                [{"r": f"{i:04d}", "n": f"ふくふく団体{i:03d}", "k": f"ふくふくだんたい{i:03d}",
                  "t": "purpose" if i % 4 else "community", "rep": f"代表者{i:03d}",
                  "ph": f"083-2{i:02d}-{1000 + i:04d}", "m": 5 + i % 40, "at": now}
                 for i in range(1, N_GROUPS + 1)],
            )
        with write_session(engine) as s:
            rooms = [(r, c) for r, c in s.execute(text("SELECT id, capacity FROM rooms ORDER BY id"))]
            units: list[int] = []  # one entry per unit of stock, in sort order
            for tid, stock in s.execute(text("SELECT id, stock FROM equipment_types "
                                             "WHERE stock IS NOT NULL ORDER BY sort_order, id")):
                units.extend([tid] * stock)
            groups = [(g, n) for g, n in s.execute(text("SELECT id, name FROM member_groups ORDER BY id"))]
            staff = [sid for (sid,) in s.execute(text("SELECT id FROM staff ORDER BY id"))]
    finally:
        engine.dispose()
    if len(rooms) != 12:
        raise SystemExit(f"expected 12 rooms, found {len(rooms)}")
    if len(units) < len(rooms):
        raise SystemExit("not enough equipment units to give every room its own lane")
    # A room never overlaps itself, so a type lent only by `stock` rooms never exceeds its stock.
    lanes = {rid: units[i] for i, (rid, _c) in enumerate(rooms)}
    return Reference(rooms, lanes, groups, staff)


# --------------------------------------------------------------------------- the rows


def open_days(profile=None) -> list[tuple[date, int, int]]:
    """(day, opening minute, number of 30-minute slots) for every open day in [START, END]."""
    profile = profile or load_default_profile()
    out = []
    d = START
    while d <= END:
        span = hours.opening_hours(profile, d)
        if span is not None:
            o = span[0].hour * 60 + span[0].minute
            c = span[1].hour * 60 + span[1].minute
            out.append((d, o, (c - o) // SLOT_MIN))
        d += timedelta(days=1)
    return out


def _ts(day_s: str, minute: int) -> str:
    # SQLAlchemy's SQLite DateTime text format (PostgreSQL parses it as a timestamp too).
    return f"{day_s} {minute // 60:02d}:{minute % 60:02d}:00.000000"


def generate(ref: Reference, n: int, seed: int) -> Iterator[tuple[list[tuple], list[tuple], list[tuple]]]:
    """Yield chunks of (booking rows, equipment rows, audit rows), ids from 1, in date order."""
    rng = random.Random(seed)
    days = open_days()
    n_rooms = len(ref.rooms)
    capacity = sum(k for _d, _o, k in days) * n_rooms
    if n > capacity:
        raise SystemExit(f"{n:,} bookings do not fit in {capacity:,} slots; widen START..END")
    gaps = set(rng.sample(range(capacity), capacity - n))
    bid = eid = 0
    idx = -1
    bookings: list[tuple] = []
    equip: list[tuple] = []
    audit: list[tuple] = []
    for day, open_min, k in days:
        day_s = day.isoformat()
        past = day < TODAY
        for room_id, cap in ref.rooms:
            lane = ref.lanes[room_id]
            for slot in range(k):
                idx += 1
                if idx in gaps:
                    continue
                bid += 1
                start_min = open_min + slot * SLOT_MIN
                start_s, end_s = _ts(day_s, start_min), _ts(day_s, start_min + SLOT_MIN)
                r = rng.random()
                kind_r = rng.random()
                attendees = 1 + int(rng.random() * min(cap, 30))
                hold = actual = None
                reason = ""
                if past:
                    if r < 0.86:
                        status, actual = "completed", max(0, attendees - int(rng.random() * 3))
                    elif r < 0.96:
                        status, reason = "cancelled", "団体の都合"
                    elif r < 0.98:
                        status, reason = "no_show", "連絡なく来館されなかった"
                    else:
                        status, reason = "expired", "仮予約の期限切れ"
                else:
                    if r < 0.86:
                        status = "confirmed"
                    elif r < 0.90:
                        status = "tentative"
                        hold = (TODAY + timedelta(days=1 + int(rng.random() * 7))).isoformat()
                    else:
                        status, reason = "cancelled", "団体の都合"
                if kind_r < 0.6:
                    gid, name = ref.groups[int(rng.random() * len(ref.groups))]
                    kind, phone = "member", ""
                elif kind_r < 0.9:
                    gid, name, kind, phone = None, f"サークル{bid % 997:03d}", "group", "083-231-0000"
                else:
                    gid, name, kind, phone = None, f"利用者{bid % 991:03d}", "person", "090-0000-0000"
                created = day - timedelta(days=1 + int(rng.random() * 60))
                created_s = f"{min(created, TODAY).isoformat()} 10:00:00.000000"
                staff = ref.staff[int(rng.random() * len(ref.staff))]
                updated_s = end_s if past else created_s
                bookings.append((
                    bid, room_id, None, False, gid, kind, name, phone, PURPOSES[bid % len(PURPOSES)],
                    attendees, start_s, end_s, status, hold, actual, reason, "", "", 1, created_s, staff,
                    updated_s, staff,
                ))
                audit.append((bid, created_s, staff, "create", "booking", bid,
                              f"予約{bid:07d}を登録", None, None))
                if rng.random() < EQUIPMENT_SHARE:
                    eid += 1
                    equip.append((eid, bid, lane, 1))
                if bid == n or len(bookings) >= 50_000:
                    yield bookings, equip, audit
                    bookings, equip, audit = [], [], []
                if bid == n:
                    return
    if bookings:
        yield bookings, equip, audit


class AuditChainer:
    """Numbers and chains the generated audit rows after the last row already in the table.

    The hash is the app's own ``audit_chain.row_hash`` (one canonical form for SQLite and PostgreSQL),
    so ``verify-audit`` (``services.audit_log.verify_chain``) accepts the bulk rows like any other.
    Measured on the shared 2-core box (load ~3.5): ~10 µs a row for the hash (~10 s more per 1,000,000-row
    build); on PostgreSQL COPY with the hash done here ~49 µs a row, with trg_audit_chain doing it 110–160.
    """

    def __init__(self, last_id: int, last_hash: str) -> None:
        self.last_id, self.last_hash = last_id, last_hash

    @classmethod
    def after_tail(cls, cur) -> AuditChainer:
        tail = cur.execute("SELECT id, row_hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
        return cls(tail[0], tail[1]) if tail else cls(0, GENESIS)

    def chain(self, audit: list[tuple]) -> list[tuple]:
        """(id, at, …, after) rows from ``generate`` → the same with the real id, prev_hash and row_hash."""
        out = []
        last_id, prev = self.last_id, self.last_hash
        for _gen_id, at_s, staff, action, entity, entity_id, summary, before, after in audit:
            last_id += 1
            h = row_hash(prev, last_id, datetime.fromisoformat(at_s), staff, action, entity, entity_id, summary,
                         before, after)
            out.append((last_id, at_s, staff, action, entity, entity_id, summary, before, after, prev, h))
            prev = h
        self.last_id, self.last_hash = last_id, prev
        return out


def verify_audit(url: str) -> str:
    """The check ``verify-audit`` runs (``verify_chain``); raises SystemExit on a broken chain."""
    from booking_app.services.audit_log import verify_chain

    engine = make_engine(url)
    try:
        with read_session(engine) as s:
            check = verify_chain(s)
    finally:
        engine.dispose()
    if not check.ok:
        raise SystemExit(f"audit chain broken: {check.message()}")
    return check.message()


# --------------------------------------------------------------------------- SQLite


def _read_meta(path: Path) -> dict:
    try:
        return json.loads(_meta_path(path).read_text())
    except (OSError, ValueError):
        return {}


def _is_current(path: Path, n: int, seed: int) -> bool:
    meta = _read_meta(path)
    if not path.exists() or meta.get("n") != n or meta.get("seed") != seed \
            or meta.get("version") != GENERATOR_VERSION or not meta.get("complete"):
        return False
    engine = make_engine(sqlite_url(path))
    try:
        return current_revision(engine) == head_revision(sqlite_url(path))
    finally:
        engine.dispose()


def build_sqlite(path: Path, n: int, seed: int) -> dict:
    """Create the file from scratch; returns the metadata (also written beside it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for p in (path, _meta_path(path), Path(f"{path}-wal"), Path(f"{path}-shm")):
        p.unlink(missing_ok=True)
    url = sqlite_url(path)
    upgrade(url)
    ref = seed_reference(url)
    con = sqlite3.connect(path, isolation_level=None)
    try:
        # Load as fast as SQLite can: no journal, no fsync, a big page cache. The app's own pragmas
        # (WAL, synchronous=FULL) are set again per connection by store.engine; WAL is restored below.
        con.execute("PRAGMA journal_mode=DELETE")
        con.execute("PRAGMA journal_mode=OFF")
        con.execute("PRAGMA synchronous=OFF")
        con.execute("PRAGMA cache_size=-1000000")
        con.execute("PRAGMA temp_store=MEMORY")
        con.execute("PRAGMA foreign_keys=OFF")
        bsql = f"INSERT INTO bookings ({', '.join(BOOKING_COLS)}) VALUES ({', '.join('?' * len(BOOKING_COLS))})"
        esql = f"INSERT INTO booking_equipment ({', '.join(EQUIP_COLS)}) VALUES (?, ?, ?, ?)"
        # The audit ids and the hash chain continue after the entries ensure_initial_data wrote. The
        # trigger audit_log_chain_check stays on: it checks each row continues the chain (two indexed
        # lookups a row), so a wrong hash here fails the build instead of making a file verify-audit refuses.
        asql = f"INSERT INTO audit_log ({', '.join(AUDIT_COLS)}) VALUES ({', '.join('?' * len(AUDIT_COLS))})"
        con.execute("BEGIN")
        chainer = AuditChainer.after_tail(con)
        for bookings, equip, audit in generate(ref, n, seed):
            con.executemany(bsql, bookings)
            con.executemany(esql, equip)
            con.executemany(asql, chainer.chain(audit))
        con.execute("COMMIT")
        con.execute("PRAGMA journal_mode=WAL")
        meta = {
            "n": n, "seed": seed, "version": GENERATOR_VERSION, "complete": True,
            "bookings_max_id": con.execute("SELECT max(id) FROM bookings").fetchone()[0],
            "equipment_max_id": con.execute("SELECT coalesce(max(id), 0) FROM booking_equipment").fetchone()[0],
            "audit_max_id": con.execute("SELECT max(id) FROM audit_log").fetchone()[0],
            "series_max_id": con.execute("SELECT coalesce(max(id), 0) FROM booking_series").fetchone()[0],
            "equipment_lines": con.execute("SELECT count(*) FROM booking_equipment").fetchone()[0],
            "audit_rows": con.execute("SELECT count(*) FROM audit_log").fetchone()[0],
            "audit_last_hash": chainer.last_hash,
        }
    finally:
        con.close()
    meta["file_mb"] = round(path.stat().st_size / 1e6)
    _meta_path(path).write_text(json.dumps(meta, indent=1))
    return meta


def ensure_sqlite(n: int = DEFAULT_N, seed: int = DEFAULT_SEED, *, force: bool = False,
                  quiet: bool = False) -> tuple[Path, dict]:
    """The cached big SQLite file, built if missing or stale. Prints the generation time when built."""
    path = sqlite_path(n)
    if not force and _is_current(path, n, seed):
        meta = _read_meta(path)
        restore_baseline(path, meta)
        if not quiet:
            single("generate_sqlite (cached)", 0.0, "s", size=bookings_label(n),
                   extra=f"reused {path.relative_to(path.parents[2])}, {meta.get('file_mb', '?')} MB")
        return path, meta
    t0 = time.perf_counter()
    meta = build_sqlite(path, n, seed)
    dt_s = time.perf_counter() - t0
    meta["generate_s"] = round(dt_s, 1)
    _meta_path(path).write_text(json.dumps(meta, indent=1))
    single("generate_sqlite", dt_s, "s", size=bookings_label(n),
           extra=f"+{meta['equipment_lines']:,} equipment lines, {meta['audit_rows']:,} audit rows, "
                 f"{meta['file_mb']} MB")
    return path, meta


def restore_baseline(path: Path, meta: dict | None = None, *, verify: bool = True) -> int:
    """Delete whatever a bench run saved into the cached file (rows above the generated ids).

    audit_log is append-only (migration 0008: BEFORE DELETE/UPDATE triggers abort). Cutting the trail
    back to the snapshot is a maintenance action of the file's owner on a throwaway bench database,
    never something the app does: the triggers on audit_log are dropped for the DELETE and created again
    from their own stored SQL in a ``finally``, inside the same transaction (SQLite DDL is transactional,
    so an error rolls the drop back too). The rows kept are the generated ones, untouched (the triggers
    refuse UPDATE), so the chain ends at the snapshot's last row again; with ``verify`` the whole chain is
    then checked with ``verify_chain`` (what ``verify-audit`` runs), but only when audit rows were removed.
    """
    meta = meta or _read_meta(path)
    audit_removed = 0
    con = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        con.execute("PRAGMA foreign_keys=OFF")
        con.execute("BEGIN IMMEDIATE")
        try:
            removed = con.execute("DELETE FROM booking_equipment WHERE id > ?",
                                  (meta["equipment_max_id"],)).rowcount
            removed += con.execute("DELETE FROM bookings WHERE id > ?", (meta["bookings_max_id"],)).rowcount
            removed += con.execute("DELETE FROM booking_series WHERE id > ?", (meta["series_max_id"],)).rowcount
            if con.execute("SELECT 1 FROM audit_log WHERE id > ? LIMIT 1", (meta["audit_max_id"],)).fetchone():
                triggers = con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                       "AND tbl_name = 'audit_log' ORDER BY name").fetchall()
                for name, _sql in triggers:
                    con.execute(f'DROP TRIGGER "{name}"')
                try:
                    audit_removed = con.execute("DELETE FROM audit_log WHERE id > ?",
                                                (meta["audit_max_id"],)).rowcount
                finally:
                    for _name, sql in triggers:
                        con.execute(sql)
                removed += audit_removed
            con.execute("COMMIT")
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        tail = con.execute("SELECT id, row_hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    finally:
        con.close()
    want = meta.get("audit_last_hash")
    if tail[0] != meta["audit_max_id"] or (want is not None and tail[1] != want):
        raise SystemExit(f"{path}: audit_log does not end at the snapshot's row {meta['audit_max_id']} "
                         f"after the reset (found {tail}); rebuild with --force")
    if verify and audit_removed:
        verify_audit(sqlite_url(path))
    return removed


# --------------------------------------------------------------------------- PostgreSQL


def load_postgres(url: str, n: int = DEFAULT_N, seed: int = DEFAULT_SEED) -> dict:
    """Migrate the (empty) database at url and COPY the same rows into it. Prints the time taken.

    The exclusion constraint is dropped for the COPY and added back afterwards, which validates
    every row at once (a bulk GiST build) instead of probing the index a million times.
    """
    import psycopg
    from sqlalchemy.engine import make_url

    t0 = time.perf_counter()
    upgrade(url)
    ref = seed_reference(url)
    u = make_url(url)
    conninfo = dict(host=u.host, port=u.port, user=u.username, dbname=u.database)
    if u.password:
        conninfo["password"] = u.password
    with psycopg.connect(**conninfo) as con:
        cur = con.cursor()
        exdef = cur.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'ex_bookings_room_overlap'"
        ).fetchone()
        if exdef:
            cur.execute("ALTER TABLE bookings DROP CONSTRAINT ex_bookings_room_overlap")
        chainer = AuditChainer.after_tail(cur)
        t_copy = time.perf_counter()
        # Row triggers fire on COPY too: trg_audit_chain (migration 0008) would take the advisory lock,
        # look up the tail and hash every row in SQL. This is a throwaway database with synthetic rows and
        # we are its owner, so the user triggers of audit_log are disabled for the load, the rows come with
        # prev_hash/row_hash computed in Python by the app's own canonical function (AuditChainer), and the
        # triggers are enabled again before the commit (all one transaction: an error rolls the ALTERs back
        # too). The chain's tail is checked below, and `make_big_db.py --pg --verify` checks the whole chain.
        cur.execute("ALTER TABLE audit_log DISABLE TRIGGER USER")
        try:
            # One COPY per table per chunk: a connection runs one COPY at a time.
            for bookings, equip, audit in generate(ref, n, seed):
                with cur.copy(f"COPY bookings ({', '.join(BOOKING_COLS)}) FROM STDIN") as cp:
                    for row in bookings:
                        cp.write_row(row)
                with cur.copy(f"COPY booking_equipment ({', '.join(EQUIP_COLS)}) FROM STDIN") as cp:
                    for row in equip:
                        cp.write_row(row)
                with cur.copy(f"COPY audit_log ({', '.join(AUDIT_COLS)}) FROM STDIN") as cp:
                    for row in chainer.chain(audit):
                        cp.write_row(row)
        finally:
            if con.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS:
                cur.execute("ALTER TABLE audit_log ENABLE TRIGGER USER")
            # else the transaction failed and its rollback restores the triggers with everything else
        tail = cur.execute("SELECT id, row_hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
        if tail != (chainer.last_id, chainer.last_hash):
            raise SystemExit(f"audit_log tail {tail} is not the chained row {chainer.last_id}")
        t_constraint = time.perf_counter()
        if exdef:
            cur.execute(f"ALTER TABLE bookings ADD CONSTRAINT ex_bookings_room_overlap {exdef[0]}")
        for table in ("bookings", "booking_equipment", "audit_log"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        con.commit()
        t_vacuum = time.perf_counter()
        # autovacuum would do this within a minute of the load on a real server
        con.autocommit = True
        cur.execute("VACUUM ANALYZE bookings")
        cur.execute("VACUUM ANALYZE booking_equipment")
        cur.execute("VACUUM ANALYZE audit_log")
        size_mb = cur.execute("SELECT pg_database_size(current_database())").fetchone()[0] / 1e6
    t_end = time.perf_counter()
    dt_s = t_end - t0
    single("generate_postgresql", dt_s, "s", size=bookings_label(n),
           extra=f"{size_mb:,.0f} MB: migrate+reference {t_copy - t0:.1f} s, COPY {t_constraint - t_copy:.1f} s, "
                 f"exclusion constraint {t_vacuum - t_constraint:.1f} s, VACUUM ANALYZE {t_end - t_vacuum:.1f} s")
    return {"n": n, "generate_s": dt_s}


def _backup_token(url: str) -> str:
    """A command token of scope 'backup' for the first システム管理 row (issue 15: commands sign in), as an
    administrator issues one for a scheduled job (``staff token create``). Adds one audit row to the file."""
    from sqlalchemy import select

    from booking_app.services.command_tokens import create_token
    from booking_app.services.common import Actor
    from booking_app.store.engine import make_engine, write_session
    from booking_app.store.models import Staff

    engine = make_engine(url)
    try:
        with write_session(engine) as s:
            admin = s.scalars(select(Staff).where(Staff.role == "admin", Staff.active.is_(True))
                              .order_by(Staff.id)).first()
            actor = Actor(admin.id, admin.name, admin.role)
            return create_token(s, actor, admin.id, "backup", "bench: verify-audit")
    finally:
        engine.dispose()


def run_verify_audit_cli(url: str) -> int:
    """``python -m booking_app verify-audit --db URL`` as a scheduled job runs it (a backup-scope token in
    FUKUFUKU_DESK_TOKEN); prints its output. PostgreSQL: the cluster's superuser is no staff login, so the
    check runs in process (``verify_chain``, what the command runs)."""
    import os
    import subprocess

    t0 = time.perf_counter()
    if url.startswith("postgresql"):
        try:
            print(f"  verify-audit: {verify_audit(url)}", flush=True)
            code = 0
        except SystemExit as exc:
            print(f"  verify-audit: {exc}", flush=True)
            code = 1
        print(f"  verify-audit: exit {code}, {time.perf_counter() - t0:.1f} s (in process)", flush=True)
        return code
    env = {**os.environ, "FUKUFUKU_DESK_TOKEN": _backup_token(url)}
    done = subprocess.run([sys.executable, "-m", "booking_app", "verify-audit", "--db", url],
                          capture_output=True, text=True, env=env)
    for out in (done.stdout, done.stderr):
        for ln in out.strip().splitlines():
            print(f"  verify-audit: {ln}", flush=True)
    print(f"  verify-audit: exit {done.returncode}, {time.perf_counter() - t0:.1f} s", flush=True)
    return done.returncode


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=DEFAULT_N, help="number of bookings (default 1,000,000)")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--force", action="store_true", help="rebuild the cached SQLite file")
    ap.add_argument("--pg", action="store_true", help="also time a load into a throwaway PostgreSQL cluster")
    ap.add_argument("--verify", action="store_true",
                    help="run the verify-audit command on the result(s) (~20 µs per audit row)")
    args = ap.parse_args(argv)
    path, _meta = ensure_sqlite(args.n, args.seed, force=args.force)
    rc = 0
    if args.verify:
        rc |= run_verify_audit_cli(sqlite_url(path))
    if args.pg:
        cluster = start_pg_cluster()
        url = cluster.url
        try:
            if url is None:
                print(f"generate_postgresql  SKIPPED: {cluster.reason}")
            else:
                load_postgres(url, args.n, args.seed)
                if args.verify:
                    rc |= run_verify_audit_cli(url)
        finally:
            cluster.stop()
    return rc


if __name__ == "__main__":
    raise SystemExit(main())
