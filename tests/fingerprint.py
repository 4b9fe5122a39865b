"""Database snapshots for "nothing lost / nothing half-written" tests (データの指紋).

``db_fingerprint(engine)`` reads every row of every table the database has (not only the mapped
ones, so a migration's extra table counts too) and returns ``{table: (row count, sha256 of the
rows)}``. Two equal fingerprints mean the database was not changed at all.

``stored_value_problems(engine)`` lists values the database accepted but that break the schema's
own promises: text longer than its ``String(n)`` (SQLite ignores the limit, PostgreSQL refuses the
whole write) and NUL characters (PostgreSQL refuses them in text). A save that "succeeded" on SQLite
with such a value would fail at a PostgreSQL terminal, so the bad-input tests count it as a bug.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import Engine, MetaData, String, select

from booking_app.store.models import Base


_reflected: dict[str, MetaData] = {}


def _tables(engine: Engine) -> list:
    """The database's tables, reflected once per dialect (every test database has the same schema)."""
    meta = _reflected.get(engine.dialect.name)
    if meta is None:
        meta = _reflected[engine.dialect.name] = MetaData()
        meta.reflect(bind=engine)
    return meta.sorted_tables


def db_fingerprint(engine: Engine) -> dict[str, tuple[int, str]]:
    out: dict[str, tuple[int, str]] = {}
    with engine.connect() as conn:
        for table in _tables(engine):
            order = list(table.primary_key.columns) or list(table.columns)
            rows = conn.execute(select(table).order_by(*order)).all()
            digest = hashlib.sha256()
            for row in rows:
                digest.update(repr(tuple(row)).encode("utf-8", "surrogatepass"))
                digest.update(b"\n")
            out[table.name] = (len(rows), digest.hexdigest())
    return out


def fingerprint_diff(before: dict, after: dict) -> list[str]:
    """Names of the tables whose rows differ (for a readable assertion message)."""
    return sorted(t for t in set(before) | set(after) if before.get(t) != after.get(t))


def stored_value_problems(engine: Engine) -> list[str]:
    problems: list[str] = []
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            text_cols = [c for c in table.columns if isinstance(c.type, String)]
            if not text_cols:
                continue
            for row in conn.execute(select(*text_cols)).all():
                for col, value in zip(text_cols, row, strict=True):
                    if not isinstance(value, str):
                        continue
                    limit = getattr(col.type, "length", None)
                    if limit and len(value) > limit:
                        problems.append(f"{table.name}.{col.name}: {len(value)} chars > String({limit})")
                    if "\x00" in value:
                        problems.append(f"{table.name}.{col.name}: contains NUL")
    return problems
