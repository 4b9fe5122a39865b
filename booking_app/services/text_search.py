"""One way to search text (検索) in every list of the app.

What staff type and what is stored are folded with the same function, ``domain.kana.search_key``
(hiragana, katakana and half-width kana alike, full-width letters and digits, spaces, dots and long-vowel
marks dropped), and the typed text is matched as literal characters: ``%`` and ``_`` are never wildcards.

Where a table keeps a folded copy of its names (``MemberGroup.search_text``, ``InsuredPerson.search_text``)
the pattern is compared with that column; any other text column is folded in SQL by ``folded``:

* SQLite: ``search_key`` itself, registered on every connection as the SQL function ``fk_search_key``;
* PostgreSQL (13 or later, UTF8 database): ``normalize(…, NFKC)``, ``lower``, ``translate`` katakana to
  hiragana and ``regexp_replace`` of the characters search_key drops, built from the same tables of
  characters in ``domain/kana.py``; tests/services/test_text_search.py checks it gives search_key's answer.

Use ``contains`` in every search::

    cond = contains(text, Receipt.payer_name, Receipt.purpose)
    if cond is not None:
        q = q.where(cond)
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, String, bindparam, event, false, func, literal_column, or_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.pool import ConnectionPoolEntry, Pool
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import SQLCoreOperations
from sqlalchemy.sql.functions import FunctionElement

from booking_app.domain.kana import (
    HIRAGANA,
    KATAKANA,
    LIKE_ESCAPE,
    contains_pattern,
    dropped_characters,
    search_key,
)

SQLITE_FUNCTION = "fk_search_key"


# Names, purposes and phone numbers repeat across thousands of rows: a search folds each distinct value once.
_cached_key = functools.lru_cache(maxsize=65536)(search_key)


@event.listens_for(Pool, "checkout")
def _register_sqlite(dbapi_conn: object, record: ConnectionPoolEntry, _proxy: object) -> None:
    """Every SQLite connection the app hands out knows ``fk_search_key`` (= search_key).

    Once per connection, not per checkout: ``create_function`` expires the connection's prepared statements,
    so registering at every checkout made every statement of every transaction compile again (0.3–0.7 ms of
    a booking save, docs/performance.md 2026-12-07). Checkout rather than connect still reaches connections
    a pool made before this module was imported."""
    if isinstance(dbapi_conn, sqlite3.Connection) and not record.info.get(SQLITE_FUNCTION):
        dbapi_conn.create_function(SQLITE_FUNCTION, 1, _cached_key, deterministic=True)
        record.info[SQLITE_FUNCTION] = True


@functools.cache
def _drop_class() -> str:
    """search_key's dropped characters as a PostgreSQL regular-expression bracket expression."""
    chars = dropped_characters()
    assert not set(chars) & set("]\\^["), "a bracket expression would need escapes for these"
    return "[" + chars.replace("-", "") + ("-" if "-" in chars else "") + "]"


class folded(FunctionElement[str]):
    """``search_key(column)`` computed by the database, for columns that keep the text as typed."""

    type = String()
    name = "search_fold"
    inherit_cache = True


@compiles(folded, "sqlite")
def _folded_sqlite(element: folded, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{SQLITE_FUNCTION}({compiler.process(element.clauses, **kw)})"


@compiles(folded, "postgresql")
def _folded_postgresql(element: folded, compiler: SQLCompiler, **kw: Any) -> str:
    (column,) = element.clauses.clauses
    text: ColumnElement[str] = func.coalesce(column, "")
    # Two passes, as search_key settles: NFKC turns a lone 「゛」 into a space and a combining mark, and only
    # after the space is dropped does the next NFKC join 「か゛」 into 「が」.
    for _ in range(2):
        text = func.normalize(text, literal_column("NFKC"), type_=String)
        text = func.translate(func.lower(text), bindparam("kana_from", KATAKANA, unique=True),
                              bindparam("kana_to", HIRAGANA, unique=True), type_=String)
        text = func.regexp_replace(text, bindparam("kana_drop", _drop_class(), unique=True), "", "g",
                                   type_=String)
    compiled: str = compiler.process(text, **kw)
    return compiled


def contains(text: str | None, *columns: SQLCoreOperations[str],
             keyed: Sequence[SQLCoreOperations[str]] = ()) -> ColumnElement[bool] | None:
    """Rows where any of ``columns`` (as typed) or ``keyed`` (already folded) contains ``text``.

    None when nothing was typed. Text made only of characters search_key drops (「・」, 「_」, 「ー」…) is
    looked for as typed, still literally, in ``columns`` (and matches nothing in ``keyed``, which hold
    no such characters).
    """
    raw = (text or "").strip()
    if not raw:
        return None
    key = search_key(raw)
    if not key:
        if not columns:
            return false()
        pattern = contains_pattern(raw)
        return or_(*(c.like(pattern, escape=LIKE_ESCAPE) for c in columns))
    pattern = contains_pattern(key)
    conds = [c.like(pattern, escape=LIKE_ESCAPE) for c in keyed]
    conds += [folded(c).like(pattern, escape=LIKE_ESCAPE) for c in columns]
    return or_(*conds)


def matches(text: str, *columns: SQLCoreOperations[str],
            keyed: Sequence[SQLCoreOperations[str]] = ()) -> ColumnElement[bool]:
    """:func:`contains` for a caller that has already checked that something was typed (an empty text
    matches no row rather than every row)."""
    found = contains(text, *columns, keyed=keyed)
    return found if found is not None else false()


__all__ = ["contains", "matches", "folded", "SQLITE_FUNCTION"]
