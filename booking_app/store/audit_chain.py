"""The audit trail's hash chain: one canonical form of a row, the same on SQLite and PostgreSQL.

Every ``audit_log`` row carries ``prev_hash`` (the ``row_hash`` of the row before it, by id; 64 zeros
for the first row) and ``row_hash`` = hex SHA-256 of the UTF-8 bytes of :func:`canonical`::

    fukufuku-audit-v1
    <prev_hash>
    <id>
    <at>            2026-11-25T10:00:00.000000 (Japan time, as stored)
    <staff_id>
    <action>
    <entity>
    <entity_id>
    <summary>
    <before>        the stored JSON text, as the database holds it
    <after>

each field written as ``-`` for NULL, else ``<number of characters>:<text>`` (so no separator inside a
summary can make two different rows read the same), the lines joined by ``\\n``.

Who computes it:

* PostgreSQL: the BEFORE INSERT trigger ``fukufuku_audit_chain`` (migration 0008) in SQL, under
  ``pg_advisory_xact_lock``: the server numbers the row (last id + 1) and chains it, whatever the client
  sent, so two terminals can never fork the chain.
* SQLite: :func:`seal_new_entries`, a ``before_flush`` hook on every ORM session, in Python, inside the
  ``BEGIN IMMEDIATE`` transaction that already serialises writers; the BEFORE INSERT trigger
  ``audit_log_chain_check`` refuses a row whose id or ``prev_hash`` does not continue the chain.

The services' verification (``services.audit_log.verify_chain``) recomputes every hash with
:func:`row_hash`, which is how the tests check that both databases hash the same content alike.

匿名化 (migration 0010, ``services/privacy.py``): a row whose personal values were erased keeps its
``prev_hash`` and ``row_hash`` (so it still links the chain) and names the 匿名化 row in ``redacted_in``; that
later row lists the erased row's meta, its original hash and ``redacted_hash`` = :func:`row_hash` of the
row's new content, which is what verify_chain checks instead of the original hash.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # only for the annotations: the chain's code needs neither at run time
    import psycopg
    from sqlalchemy.orm import Session

CHAIN_VERSION = "fukufuku-audit-v1"
GENESIS = "0" * 64
# The key of the PostgreSQL advisory lock that serialises audit writers (0x46554B55 = "FUKU").
PG_LOCK_KEY = 0x46554B55
# ``session.info`` key: the ids of the audit rows this session's transaction wrote on SQLite, by the ORM
# (``seal_new_entries``) or with plain SQL (``sqlite_append`` through :func:`note_written`). The change
# watcher (ui/change_watch.py) takes them at commit to recognise the terminal's own changes; no mapper
# event is involved, so a plain-SQL save is recognised like an ORM one.
WRITTEN_IDS = "fukufuku_audit_ids"


def note_written(session: Session, ids: Iterable[int]) -> None:
    """Record audit ids written in ``session``'s transaction (see :data:`WRITTEN_IDS`)."""
    session.info.setdefault(WRITTEN_IDS, []).extend(ids)


def take_written(session: Session) -> list[int]:
    """The audit ids noted in ``session`` since the last take, and forget them (commit or rollback)."""
    ids: list[int] = session.info.pop(WRITTEN_IDS, None) or []
    return ids


def field(value: Any) -> str:
    if value is None:
        return "-"
    text = str(value)
    return f"{len(text)}:{text}"


def at_text(at: datetime) -> str:
    if at.tzinfo is None and at.year >= 1000:
        return at.isoformat(timespec="microseconds")  # the same text, ~4 × faster than strftime
    return at.strftime("%Y-%m-%dT%H:%M:%S.%f")


def sqlite_ts(d: datetime) -> str:
    """SQLAlchemy's storage format for DateTime on SQLite (always with microseconds)."""
    if d.tzinfo is None and d.year >= 1000:
        return d.isoformat(" ", "microseconds")  # the same text, ~4 × faster than strftime
    return d.strftime("%Y-%m-%d %H:%M:%S.%f")


def canonical(prev_hash: str, id: int, at: datetime, staff_id: int, action: str, entity: str,
              entity_id: int | None, summary: str | None, before: str | None, after: str | None) -> str:
    """The text that is hashed; ``before`` / ``after`` are the stored JSON texts (or None)."""
    return "\n".join([CHAIN_VERSION, prev_hash, field(id), field(at_text(at)), field(staff_id), field(action),
                      field(entity), field(entity_id), field(summary), field(before), field(after)])


def row_hash(prev_hash: str, id: int, at: datetime, staff_id: int, action: str, entity: str,
             entity_id: int | None, summary: str | None, before: str | None, after: str | None) -> str:
    text = canonical(prev_hash, id, at, staff_id, action, entity, entity_id, summary, before, after)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def seal_new_entries(session: Session, _flush_context: object, _instances: object) -> None:
    """``before_flush``: number and chain the new AuditEntry rows of this flush (SQLite only).

    Runs inside the write transaction (``BEGIN IMMEDIATE`` on SQLite), so no other writer can add a row
    between reading the chain's tail and inserting. On PostgreSQL the trigger does this on the server.
    """
    from booking_app.store.models import AuditEntry

    new = [o for o in session.new if isinstance(o, AuditEntry)]
    if not new:
        return
    conn = session.connection()
    dialect = conn.dialect
    if dialect.name != "sqlite":
        return
    from sqlalchemy import inspect, text

    new.sort(key=lambda o: inspect(o).insert_order or 0)  # set for every pending object
    tail = conn.execute(text("SELECT id, row_hash FROM audit_log ORDER BY id DESC LIMIT 1")).first()
    last_id, last_hash = (tail[0], tail[1]) if tail else (0, GENESIS)
    cols = AuditEntry.__table__.c
    to_json: Callable[[Any], Any] = (cols.before.type.dialect_impl(dialect).bind_processor(dialect)
                                     or (lambda v: v))
    for entry in new:
        last_id += 1
        entry.id = last_id
        if entry.summary is None:  # unset until the flush applies defaults (typed str, may be None here)
            entry.summary = ""  # type: ignore[unreachable]
        # Set both JSON attributes explicitly, so what is stored is exactly what was hashed
        # (an unset attribute would be SQL NULL, a None one the JSON text 'null').
        entry.before = entry.before
        entry.after = entry.after
        entry.prev_hash = last_hash
        entry.row_hash = last_hash = row_hash(
            last_hash, entry.id, entry.at, entry.staff_id, entry.action, entry.entity, entry.entity_id,
            entry.summary, to_json(entry.before), to_json(entry.after))
    note_written(session, [entry.id for entry in new])


def sqlite_tail(cur: sqlite3.Cursor) -> tuple[int, str]:
    """The chain's last (id, row_hash) on a SQLite cursor ((0, GENESIS) for an empty trail)."""
    tail = cur.execute("SELECT id, row_hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    return (tail[0], tail[1]) if tail else (0, GENESIS)


def sqlite_append(cur: sqlite3.Cursor, *, at: datetime, staff_id: int, action: str, entity: str, entity_id: int | None,
                  summary: str, before: str | None, after: str | None,
                  tail: tuple[int, str] | None = None) -> tuple[int, str]:
    """Append one chained row with plain SQL on a SQLite cursor (the fast booking save), inside its
    write transaction; ``before`` / ``after`` are the JSON texts to store. Returns the new (id, row_hash),
    which is the ``tail`` to pass for a next row of the same transaction (saving its read of the tail;
    the write lock is held, so nobody else can have appended in between). Without ``tail`` it is read."""
    last_id, prev = tail if tail is not None else sqlite_tail(cur)
    new_id = last_id + 1
    h = row_hash(prev, new_id, at, staff_id, action, entity, entity_id, summary, before, after)
    cur.execute(
        "INSERT INTO audit_log (id, at, staff_id, action, entity, entity_id, summary, before, after, prev_hash, "
        "row_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (new_id, sqlite_ts(at), staff_id, action, entity, entity_id, summary, before, after,
         prev, h))
    return new_id, h


PG_APPEND_SQL = (
    "INSERT INTO audit_log (at, staff_id, action, entity, entity_id, summary, before, after, prev_hash, row_hash) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s::json, %s::json, '', '')")


def pg_append(cur: psycopg.Cursor[Any], *, at: datetime, staff_id: int, action: str, entity: str, entity_id: int | None,
              summary: str, before: str | None, after: str | None) -> None:
    """Append one row with plain SQL on a psycopg cursor (the fast booking save); the server's
    ``fukufuku_audit_chain`` trigger numbers and chains it (the id and hashes sent are replaced)."""
    cur.execute(PG_APPEND_SQL, (at, staff_id, action, entity, entity_id, summary, before, after))
