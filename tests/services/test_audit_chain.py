"""Issue 14, "an audit that cannot be edited": the database refuses to change ``audit_log``, every row is
chained by a hash that both databases compute alike, and ``verify-audit`` names the first broken link.

The refusals are tried with raw connections (sqlite3 / psycopg), not through the app: the guard must be
the database's, not the program's.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime

import pytest
from factories import DAY, NOW, World, at
from sqlalchemy import select
from sqlalchemy.engine import make_url

from booking_app import cli
from booking_app.services import bookings as bsvc
from booking_app.services.audit_log import verify_chain
from booking_app.services.common import audit
from booking_app.store import audit_chain
from booking_app.store.engine import make_engine, read_session, write_session
from booking_app.store.models import AuditEntry
from tests.cli_login import command_url

ODD = datetime(2026, 11, 25, 10, 0, 0, 123456)


def raw_connect(url: str):
    """A DB-API connection straight to the database (autocommit), bypassing the app entirely."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        return sqlite3.connect(u.database, isolation_level=None)
    import psycopg

    kw = {k: v for k, v in u.query.items() if isinstance(v, str)}
    for key, value in (("host", u.host), ("port", u.port), ("user", u.username), ("password", u.password)):
        if value:
            kw[key] = value
    return psycopg.connect(dbname=u.database, autocommit=True, **kw)


def refused(conn, sql: str) -> str:
    """Run ``sql``; return the database's error text (the test fails if it was accepted)."""
    try:
        conn.execute(sql)
    except Exception as exc:  # sqlite3.IntegrityError / psycopg.errors.*
        return str(exc)
    raise AssertionError(f"the database accepted: {sql}")


def rows(world: World) -> list[tuple]:
    with world.read() as s:
        return [tuple(r) for r in s.execute(select(AuditEntry.id, AuditEntry.summary, AuditEntry.prev_hash,
                                                   AuditEntry.row_hash).order_by(AuditEntry.id))]


def use_the_app(world: World) -> None:
    """A little of everything: bookings, an edit, a cancel, several entries in one transaction, odd text."""
    a = world.book(at(DAY, 10), at(DAY, 12))
    b = world.book(at(DAY, 13), at(DAY, 15), booker_name="Yamada Taro")
    with world.write() as s:
        bsvc.update_booking(s, world.manager, a.id, bsvc.with_overrides(a.to_input(), attendees=8))
    with world.write() as s:
        bsvc.cancel_booking(s, world.desk, b.id, "団体の都合")
    with world.write() as s:
        audit(s, world.manager, "frobnicate", "widget", None, "改行\nと 3:abc と - と 😀",
              before={"名前": "山田", "n": 1.5, "list": [1, None, "x"]}, after=None, now=ODD)
        audit(s, world.desk, "frobnicate", "widget", 7, "", before=None, after={"date": DAY})
        s.flush()
        s.execute(select(AuditEntry.id)).all()  # an autoflush in between
        audit(s, world.desk, "frobnicate", "widget", 8, "三つ目")


# --------------------------------------------------------------------------- the database refuses


def test_update_delete_and_truncate_of_the_trail_are_refused_by_the_database(world: World, db_url):
    use_the_app(world)
    before = rows(world)
    assert len(before) >= 8
    conn = raw_connect(db_url)
    try:
        assert "追記のみ" in refused(conn, "UPDATE audit_log SET summary = '書き換え' WHERE id = 2")
        assert "追記のみ" in refused(conn, "DELETE FROM audit_log WHERE id = 2")
        assert "追記のみ" in refused(conn, "DELETE FROM audit_log")  # SQLite's TRUNCATE
        if world.engine.dialect.name == "postgresql":
            assert "追記のみ" in refused(conn, "TRUNCATE audit_log")
            assert "追記のみ" in refused(conn, "TRUNCATE audit_log CASCADE")
        else:
            # A raw INSERT that does not continue the chain is refused too (the app computes the hash).
            assert "連鎖" in refused(conn, "INSERT INTO audit_log (id, at, staff_id, action, entity, summary, "
                                           "prev_hash, row_hash) VALUES (999, '2026-11-25 10:00:00.000000', "
                                           f"{world.desk.id}, 'x', 'y', '', '{'0' * 64}', '{'0' * 64}')")
    finally:
        conn.close()
    assert rows(world) == before


def test_a_raw_insert_on_postgresql_is_numbered_and_chained_by_the_server(pg_url):
    from factories import seed

    engine = make_engine(pg_url)
    try:
        _raw_insert_is_chained(seed(engine), pg_url)
    finally:
        engine.dispose()


def _raw_insert_is_chained(world: World, pg_url: str) -> None:
    use_the_app(world)
    conn = raw_connect(pg_url)
    try:
        # Whatever id and hashes a client sends, the trigger numbers and chains the row itself.
        conn.execute("INSERT INTO audit_log (id, at, staff_id, action, entity, summary, prev_hash, row_hash) "
                     "VALUES (1, '2026-11-25 11:00', %s, 'x', 'y', '生のSQL', 'forged', 'forged')", (world.desk.id,))
    finally:
        conn.close()
    last = rows(world)[-1]
    assert last[1] == "生のSQL" and last[2] == rows(world)[-2][3] and last[3] != "forged"
    with world.read() as s:
        assert verify_chain(s).ok


# --------------------------------------------------------------------------- the chain


def test_the_chain_verifies_after_normal_use(world: World):
    use_the_app(world)
    trail = rows(world)
    ids = [r[0] for r in trail]
    assert ids == list(range(1, len(ids) + 1))  # numbered by the chain: no gaps on a new database
    assert trail[0][2] == audit_chain.GENESIS
    assert all(r[2] == p[3] for p, r in zip(trail, trail[1:]))  # each row names the one before
    with world.read() as s:
        check = verify_chain(s)
    assert check.ok and check.rows == len(trail) and check.last_id == ids[-1]
    assert check.last_hash == trail[-1][3]
    assert "改ざんされていません" in check.message() and check.last_hash in check.message()


def test_both_databases_hash_the_same_content_alike(world: World):
    """A fixed first entry gets the same hash on SQLite and PostgreSQL: the literal below is the
    canonical form's (store/audit_chain.py) answer, so changing the form fails this test on both."""
    with world.write() as s:
        audit(s, world.manager, "update", "booking", 42, "予約 0000042 を変更\n「改行」😀",
              before={"attendees": 5, "名前": "山田"}, after={"attendees": 8, "start": datetime(2026, 12, 2, 10)},
              now=ODD)
    (id_, _, prev, h), = rows(world)
    expected = audit_chain.row_hash(
        audit_chain.GENESIS, 1, ODD, world.manager.id, "update", "booking", 42, "予約 0000042 を変更\n「改行」😀",
        '{"attendees": 5, "\\u540d\\u524d": "\\u5c71\\u7530"}', '{"attendees": 8, "start": "2026-12-02T10:00:00"}')
    assert (id_, prev, h) == (1, audit_chain.GENESIS, expected)
    assert world.manager.id == 2  # the literal below assumes the seeded manager's id
    assert h == "509c2e868b32f28919661bbc07cb418667d91b19ea1257a5684274fd8745542b"


@pytest.mark.parametrize("fields", [
    (1, ODD, 1, "a", "b", None, "", None, None),
    (12345, datetime(2027, 3, 31, 23, 59, 59), 3, "改", "対象", 0, "-", "null", "[]"),
    (7, datetime(2026, 1, 1), 2, "x\ny", "3:ab", 99, "1:a\n2:bb 😀\\n", '{"a": "\\n"}', '"x"'),
])
def test_the_sql_function_and_python_agree(pg_url, fields):
    """PostgreSQL's fukufuku_audit_hash (what the trigger uses) gives Python's row_hash for odd content."""
    conn = raw_connect(pg_url)
    try:
        got = conn.execute("SELECT fukufuku_audit_hash(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                           ("ab" * 32, *fields)).fetchone()[0]
    finally:
        conn.close()
    assert got == audit_chain.row_hash("ab" * 32, *fields)


def _break_by_owner(url: str, dialect: str, sql: str) -> None:
    """What the owner (or anyone with the owner's password) can do: drop the guard, then edit."""
    conn = raw_connect(url)
    try:
        if dialect == "postgresql":
            conn.execute("DROP TRIGGER trg_audit_no_change ON audit_log")
        else:
            conn.execute("DROP TRIGGER audit_log_no_update")
            conn.execute("DROP TRIGGER audit_log_no_delete")
        conn.execute(sql)
    finally:
        conn.close()


@pytest.mark.parametrize("how, broken", [
    ("UPDATE audit_log SET summary = '金額を書き換え' WHERE id = 3", 3),
    ("DELETE FROM audit_log WHERE id = 3", 4),  # the row after the hole no longer links
])
def test_an_owner_breaking_the_chain_is_named_by_verify_audit(world: World, db_url, capsys, monkeypatch, how,
                                                              broken):
    use_the_app(world)
    # verify-audit signs in (issue 15): a backup-scope token is enough on SQLite, a staff login on PostgreSQL.
    login = command_url(monkeypatch, db_url, scope="backup")
    assert cli.main(["--db", login, "verify-audit"]) == 0
    out = capsys.readouterr().out
    assert "改ざんされていません" in out and "最後のハッシュ" in out
    _break_by_owner(db_url, world.engine.dialect.name, how)
    assert cli.main(["--db", login, "verify-audit"]) == 1
    err = capsys.readouterr().err
    assert f"操作履歴の連鎖が切れています：番号 {broken}（2026/11/25 09:00）" in err
    with world.read() as s:
        check = verify_chain(s)
    assert not check.ok and check.broken_id == broken


def test_a_rebuilt_chain_is_caught_by_the_hash_kept_off_the_server(world: World, db_url, capsys, monkeypatch):
    use_the_app(world)
    with world.read() as s:
        kept = verify_chain(s).last_hash
    world.book(at(DAY, 16), at(DAY, 17))
    db_url = command_url(monkeypatch, db_url, scope="backup")
    assert cli.main(["--db", db_url, "verify-audit", "--known", kept]) == 0
    assert "以前に控えたハッシュも含まれています" in capsys.readouterr().out
    assert cli.main(["--db", db_url, "verify-audit", "--known", "f" * 64]) == 1
    assert "以前に控えたハッシュが見つかりません" in capsys.readouterr().err


def test_concurrent_writers_on_postgresql_make_one_chain(pg_url):
    """Two terminals writing audit rows at once: the advisory lock in the trigger keeps one chain."""
    from factories import seed

    engine = make_engine(pg_url)
    try:
        world = seed(engine)
        per_thread, errors = 40, []
        start = threading.Barrier(4)

        def writer(actor, tag: str) -> None:
            try:
                start.wait()
                for i in range(per_thread):
                    with write_session(engine) as s:
                        audit(s, actor, "tally", "walkin_tally", i, f"{tag}{i}")
                        if i % 5 == 0:
                            audit(s, actor, "tally", "walkin_tally", i, f"{tag}{i}b")
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=writer, args=(world.desk, "d")),
                   threading.Thread(target=writer, args=(world.manager, "m")),
                   threading.Thread(target=writer, args=(world.desk, "x"))]
        for t in threads:
            t.start()
        start.wait()
        for t in threads:
            t.join(timeout=60)
        assert errors == []
        with read_session(engine) as s:
            check = verify_chain(s)
            ids = list(s.scalars(select(AuditEntry.id).order_by(AuditEntry.id)))
        assert check.ok, check.message()
        assert check.rows == 3 * (per_thread + per_thread // 5)
        assert ids == list(range(1, len(ids) + 1))
    finally:
        engine.dispose()


def test_the_orm_gets_the_ids_the_chain_gave(world: World):
    with world.write() as s:
        entries = [AuditEntry(at=NOW, staff_id=world.desk.id, action="x", entity="y", summary=str(i))
                   for i in range(3)]
        s.add_all(entries)
        s.flush()
        got = [(e.id, e.summary) for e in entries]
    assert got == [(r[0], r[1]) for r in rows(world)[-3:]]
