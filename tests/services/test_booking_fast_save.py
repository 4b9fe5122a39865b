"""The SQLite plain-SQL save (booking_fast_save.py) writes exactly what the ORM path writes.

Two copies of one seeded database get the same sequence of inputs: one through the fast path, one
with it switched off. Every row of the tables a save touches must be identical, and every input
the fast path does not take (conflicts, closed days, overrides, barred groups...) must give the same
outcome as the ORM path, because the fast path then hands over to it.
"""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta

import pytest
from sqlalchemy import text

from booking_app.domain.errors import DomainError
from booking_app.services import bookings as svc
from booking_app.services import booking_fast_save
from booking_app.store.engine import make_engine, write_session
from factories import DAY, NOW, at, seed

TABLES = {
    "bookings": "id", "booking_equipment": "id", "charges": "id", "audit_log": "id",
}


def _dump(engine) -> dict[str, list[tuple]]:
    out = {}
    with engine.connect() as conn:
        for table, key in TABLES.items():
            rows = conn.execute(text(f"SELECT * FROM {table} ORDER BY {key}")).all()
            out[table] = [tuple(_norm(v) for v in r) for r in rows]
    return out


def _norm(v):
    # JSON columns: compare the values, not the spelling of the text
    if isinstance(v, str) and v[:1] in "{[":
        try:
            return json.dumps(json.loads(v), sort_keys=True)
        except ValueError:
            return v
    return v


def _second_pg_db(request) -> str:
    """One more fresh database from the session's migrated template, dropped after the test."""
    import uuid

    from psycopg import sql

    from tests.conftest import _pg_connect, _pg_drop, _pg_url_for

    server, template = request.getfixturevalue("pg_server_url"), request.getfixturevalue("_pg_template")
    name = f"t_twin_{uuid.uuid4().hex[:12]}"
    with _pg_connect(server) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template)))
    request.addfinalizer(lambda: _pg_drop(server, name))
    return _pg_url_for(server, name)


@pytest.fixture
def twins(db_url, request, tmp_path, monkeypatch):
    """Two identical seeded databases: (fast world, orm world); on SQLite, then on PostgreSQL (where the
    fast path runs since issue 14, and the server's trigger chains its audit rows)."""
    if db_url.startswith("sqlite"):
        copy = tmp_path / "orm.sqlite3"
        shutil.copy(db_url.removeprefix("sqlite:///"), copy)
        other = f"sqlite:///{copy}"
    else:
        other = _second_pg_db(request)
    fast = seed(make_engine(db_url))
    orm = seed(make_engine(other))
    request.addfinalizer(fast.engine.dispose)
    request.addfinalizer(orm.engine.dispose)
    for w in (fast, orm):
        gid_ok = w.make_group("ふくふく子ども食堂", valid_until=date(2027, 3, 31))
        w.make_group("停止中の会", status="suspended", valid_until=date(2027, 3, 31))
        w.make_group("期限切れの会", valid_until=date(2026, 3, 31))
    return fast, orm, gid_ok


def _save(world, data, *, fast: bool, monkeypatch, actor=None):
    monkeypatch.setattr(svc, "FAST_SAVE", fast)
    try:
        with write_session(world.engine) as s:
            view = svc.create_booking(s, actor or world.desk, data, now=NOW)
        return ("ok", view)
    except DomainError as exc:
        return (type(exc).__name__, exc.message)


def _cases(w, gid):
    d = DAY
    return [
        w.input(at(d, 10), at(d, 12)),                                              # person, room only
        w.input(at(d, 13), at(d, 15), group_id=gid),                                # member group
        w.input(at(d, 9), at(d, 11), room="小会議室1", equipment=w.equip(プロジェクター=1)),
        w.input(at(d, 9), at(d, 11), room=None, equipment=w.equip(プロジェクター=1)),  # equipment only
        w.input(at(d, 9), at(d, 11), room=None, equipment=w.equip(プロジェクター=1)),  # stock 2: taken
        w.input(at(d, 10, 30), at(d, 11, 30)),                                      # conflict
        w.input(at(d, 18), at(d, 21), booker_kind="group", booker_name=" 自治会 ", contact_phone=" 1 "),
        w.input(at(d + timedelta(days=1), 9), at(d + timedelta(days=1), 12), tentative=True,
                hold_until=d - timedelta(days=2)),                                  # tentative hold
        w.input(at(d, 10), at(d, 12), room="作業室", group_id=gid + 1),              # suspended group
        w.input(at(d, 10), at(d, 12), room="作業室", group_id=gid + 2),              # expired: general
        w.input(at(d, 7), at(d, 8), room="小会議室2"),                                # before opening
        w.input(at(date(2027, 1, 1), 10), at(date(2027, 1, 1), 12), room="小会議室2"),  # 年末年始
        w.input(at(d, 14), at(d, 16), room="小会議室2", attendees=99),               # over capacity
        w.input(at(d, 14), at(d, 16), room="小会議室2", purpose=" "),                # no purpose
        w.input(at(d, 14), at(d, 16), room="小会議室2", tentative=True),             # hold missing
    ]


def test_fast_and_orm_paths_write_identical_rows(twins, monkeypatch):
    fast, orm, gid = twins
    fast_results = [_save(fast, data, fast=True, monkeypatch=monkeypatch) for data in _cases(fast, gid)]
    orm_results = [_save(orm, data, fast=False, monkeypatch=monkeypatch) for data in _cases(orm, gid)]
    assert fast_results == orm_results
    kinds = [r[0] for r in fast_results]
    assert kinds.count("ok") >= 7 and kinds.count("ConflictError") >= 2  # both paths really ran
    assert _dump(fast.engine) == _dump(orm.engine)


def test_override_by_manager_goes_through_the_orm_path(twins, monkeypatch):
    fast, orm, _gid = twins
    for w, flag in ((fast, True), (orm, False)):
        data = w.input(at(DAY, 7), at(DAY, 8), room="小会議室2", override_reason="早朝の清掃活動のため")
        assert _save(w, data, fast=flag, monkeypatch=monkeypatch, actor=w.manager)[0] == "ok"
    assert _dump(fast.engine) == _dump(orm.engine)


def test_fast_path_is_taken_for_the_plain_case(twins, monkeypatch):
    fast, _orm, _gid = twins
    calls = []
    monkeypatch.setattr(svc, "_create", lambda *a, **k: calls.append(a) or pytest.fail("ORM path used"))
    status, view = _save(fast, fast.input(at(DAY, 10), at(DAY, 12)), fast=True, monkeypatch=monkeypatch)
    assert status == "ok" and view.room_name == "大会議室" and not calls
    with write_session(fast.engine) as s:
        assert svc.get_booking(s, view.id) == view  # the view it returns is what the ORM reads back


def test_changed_settings_are_seen_by_the_cached_profile(twins, monkeypatch):
    """The parsed profile is cached by its stored text: a manager's change is used at once."""
    from booking_app.services.centre import get_profile, save_profile

    fast, _orm, _gid = twins
    with write_session(fast.engine) as s:
        profile = get_profile(s)
    day = DAY + timedelta(days=7)
    assert _save(fast, fast.input(at(day, 10), at(day, 12)), fast=True, monkeypatch=monkeypatch)[0] == "ok"
    raw = profile.to_dict()
    raw["closed_dates"] = [*raw["closed_dates"], {"date": (day + timedelta(days=1)).isoformat(),
                                                   "reason": "設備点検"}]
    closed = profile.__class__.from_dict(raw)
    with write_session(fast.engine) as s:
        save_profile(s, fast.manager, closed, now=NOW)
    result = _save(fast, fast.input(at(day + timedelta(days=1), 10), at(day + timedelta(days=1), 12)),
                   fast=True, monkeypatch=monkeypatch)
    assert result[0] == "RuleError" and "設備点検" in result[1]
    assert booking_fast_save._parsed  # the cache is in use


@pytest.mark.parametrize("field,value", [("purpose", "あ" * 201), ("contact_phone", "0" * 41),
                                         ("booker_name", "名" * 201), ("note", "備考\x00")])
def test_text_the_database_cannot_hold_is_refused_by_name_on_both_paths(twins, monkeypatch, field, value):
    fast, orm, _gid = twins
    for w, flag in ((fast, True), (orm, False)):
        data = w.input(at(DAY, 10), at(DAY, 12), **{field: value})
        status, message = _save(w, data, fast=flag, monkeypatch=monkeypatch)
        assert status == "ValidationError"
        assert any(word in message for word in ("利用目的", "電話番号", "団体名・氏名", "備考"))
    assert _dump(fast.engine)["bookings"] == []


@pytest.mark.parametrize("reason", ["都合\x00", "", "  ", "あ" * 501])
def test_a_cancel_reason_the_database_cannot_hold_is_refused(twins, monkeypatch, reason):
    from booking_app.services import series as sr

    fast, _orm, _gid = twins
    status, view = _save(fast, fast.input(at(DAY, 10), at(DAY, 12)), fast=True, monkeypatch=monkeypatch)
    assert status == "ok"
    for cancel in (lambda s: svc.cancel_booking(s, fast.desk, view.id, reason, now=NOW),
                   lambda s: sr.cancel_series(s, fast.desk, view.id, "one", reason, now=NOW)):
        with pytest.raises(DomainError) as exc, write_session(fast.engine) as s:
            cancel(s)
        assert "取消理由" in exc.value.message
    assert fast.booking(view.id).status == "confirmed"


@pytest.mark.postgres
def test_on_postgresql_a_locked_equipment_type_makes_the_fast_save_busy(pg_url, monkeypatch):
    """The fast path locks the equipment types on the driver's own cursor: a lock time-out there is the
    desk's 「別の端末が処理中です」 (Busy) like anywhere else, and nothing is saved."""
    from booking_app.domain.errors import Busy
    from booking_app.store.engine import PgTimeouts

    world = seed(make_engine(pg_url))
    engine = make_engine(pg_url, pg_timeouts=PgTimeouts(lock_timeout_ms=300))
    other = engine.connect()
    try:
        pid = world.equipment["プロジェクター"]
        other.exec_driver_sql("SELECT 1 FROM equipment_types WHERE id = %s FOR UPDATE", (pid,))
        monkeypatch.setattr(svc, "FAST_SAVE", True)
        monkeypatch.setattr(svc, "_create", lambda *a, **k: pytest.fail("ORM path used"))
        data = world.input(at(DAY, 9), at(DAY, 11), room="小会議室1", equipment={pid: 1})
        with pytest.raises(Busy) as refused, write_session(engine) as s:
            svc.create_booking(s, world.desk, data, now=NOW)
        assert refused.value.message.startswith("別の端末が処理中です")
        other.rollback()
        assert _dump(engine)["bookings"] == []
        with write_session(engine) as s:  # free again: saved
            assert svc.create_booking(s, world.desk, data, now=NOW).equipment[0].quantity == 1
    finally:
        other.close()
        engine.dispose()
        world.engine.dispose()


@pytest.mark.postgres
def test_on_postgresql_an_overlap_committed_after_the_check_gets_the_conflict_message(pg_url, monkeypatch):
    """Two terminals both find the slot free; the second INSERT meets the exclusion constraint. The fast
    path words it as the ORM path does and the whole save is rolled back (no booking, no audit row)."""
    from booking_app.domain.errors import ConflictError

    world = seed(make_engine(pg_url))
    try:
        monkeypatch.setattr(svc, "FAST_SAVE", True)
        data = world.input(at(DAY, 10), at(DAY, 12))
        with write_session(world.engine) as s:
            svc.create_booking(s, world.desk, data, now=NOW)  # the other terminal's booking, committed
        before = _dump(world.engine)
        original_execute = booking_fast_save._Db.execute

        def hide_the_overlap(db, sql, args=()):
            # The check of this terminal ran before the other's commit: it finds nothing.
            hidden = sql.replace("FROM bookings WHERE room_id", "FROM bookings WHERE false AND room_id")
            hide_the_overlap.used |= hidden != sql
            return original_execute(db, hidden, args)

        hide_the_overlap.used = False

        monkeypatch.setattr(booking_fast_save._Db, "execute", hide_the_overlap)
        with pytest.raises(ConflictError) as refused, write_session(world.engine) as s:
            svc.create_booking(s, world.desk, world.input(at(DAY, 11), at(DAY, 13)), now=NOW)
        assert hide_the_overlap.used and "他の端末が同じ部屋・時間を予約しました" in refused.value.message
        assert _dump(world.engine) == before
    finally:
        world.engine.dispose()
