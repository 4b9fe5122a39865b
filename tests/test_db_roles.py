"""The database itself decides who may do what (issue 14, migration 0009): staff logins typing SQL by hand.

Each test signs in as a staff member's own PostgreSQL login straight through psycopg (not through the
app) and shows what the server refuses; the owner (the tests' superuser URL) made the data through the
services first. Login names are cluster-wide, so each carries a fresh suffix.
"""

from __future__ import annotations

import itertools
import os
import uuid
from datetime import datetime

import psycopg
import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url


from factories import seed  # noqa: E402

from booking_app import cli  # noqa: E402
from booking_app.domain.errors import PermissionDenied, ValidationError  # noqa: E402
from booking_app.services import audit_log  # noqa: E402
from booking_app.services import payments as pay  # noqa: E402
from booking_app.store import db_roles  # noqa: E402
from booking_app.store.engine import make_engine, read_session, write_session  # noqa: E402
from booking_app.store.models import AuditEntry, Staff  # noqa: E402

pytestmark = pytest.mark.postgres

NOW = datetime(2026, 11, 25, 9, 0)  # the services get this time explicitly (the pinned default day)
PW = "umi-no-kaze-2026"
_counter = itertools.count(1)


def unique_login(role: str) -> str:
    return f"t{os.getpid()}_{next(_counter)}_{uuid.uuid4().hex[:6]}_{role}"


class Staffed:
    """A migrated database with one staff member per role, each with their own login."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.owner = make_engine(url)
        world = seed(self.owner)
        self.ids = {"desk": world.desk.id, "manager": world.manager.id}
        self.actors = {"desk": world.desk, "manager": world.manager}
        with write_session(self.owner) as s:  # the seed's first administrator
            admin = s.scalars(select(Staff).where(Staff.role == "admin").order_by(Staff.id)).first()
            self.ids["admin"] = admin.id
            self.actors["admin"] = world.desk.__class__(admin.id, admin.name, "admin")
        self.logins: dict[str, str] = {}
        with write_session(self.owner) as s:
            for role, staff_id in self.ids.items():
                self.logins[role] = unique_login(role)
                db_roles.create_login(s, staff_id, self.logins[role], PW)

    def connect(self, role: str, **kw) -> psycopg.Connection:
        u = make_url(self.url)
        return psycopg.connect(host=u.host, port=u.port, dbname=u.database, user=self.logins[role], password=PW,
                               connect_timeout=10, **kw)

    def dispose(self) -> None:
        self.owner.dispose()


@pytest.fixture
def staffed(pg_url):
    st = Staffed(pg_url)
    try:
        yield st
    finally:
        st.dispose()


@pytest.fixture
def paid(staffed):
    """A charge paid by a receipt (made by the owner through the services)."""
    desk = staffed.actors["desk"]
    with write_session(staffed.owner) as s:
        charge = pay.add_item_charge(s, desk, "コピー 白黒", 3, payer_name="山田花子", now=NOW)
        receipt = pay.take_payment(s, desk, [charge.id], payer_name="山田花子", purpose="コピー代として", now=NOW,
                                   terminal="受付1")
        open_charge = pay.add_item_charge(s, desk, "コピー カラー", 2, payer_name="山田花子", now=NOW)
    return {"charge": charge.id, "receipt": receipt.id, "open_charge": open_charge.id, "fy": receipt.fiscal_year,
            "seq": receipt.seq}


def _refused(conn: psycopg.Connection, sql: str, params=()) -> psycopg.Error:
    with pytest.raises(psycopg.Error) as refused:
        with conn.transaction():
            conn.execute(sql, params)
    return refused.value


HAND_WRITTEN = {
    "receipt total": "UPDATE receipts SET total = 0, taxable10 = 0",
    "receipt delete": "DELETE FROM receipts",
    "receipt line": "UPDATE receipt_lines SET amount = 1",
    "receipt line delete": "DELETE FROM receipt_lines",
    "charge amount": "UPDATE charges SET unit_price = 0, amount = 0",
    "charge delete": "DELETE FROM charges",
    "staff role": "UPDATE staff SET role = 'admin'",
    "staff delete": "DELETE FROM staff WHERE role = 'manager'",
    "settings": "UPDATE centre_settings SET value = '{}'",
    "settings insert": "INSERT INTO centre_settings (key, value, updated_at) VALUES ('fees', '{}', now())",
    "settings delete": "DELETE FROM centre_settings",
    "audit edit": "UPDATE audit_log SET summary = '消した'",
    "audit delete": "DELETE FROM audit_log",
    "void": "INSERT INTO receipt_voids (receipt_id, at, staff_id, reason, refund_amount, refund_method, terminal) "
            "SELECT id, now(), created_by, 'x', total, 'cash', '' FROM receipts",
    "truncate": "TRUNCATE bookings CASCADE",
    "truncate audit": "TRUNCATE audit_log",
    "drop": "DROP TABLE bookings CASCADE",
    "alter": "ALTER TABLE receipts DISABLE TRIGGER ALL",
    "month close": "INSERT INTO month_closings (year, month) VALUES (2026, 10)",
    "rooms": "UPDATE rooms SET name = name || '!'",
    "equipment": "UPDATE equipment_types SET sort_order = 99",  # granted only so that a booking can lock it
    "paid charge back to open": "UPDATE charges SET status = 'open', receipt_id = NULL WHERE status = 'paid'",
    "sequence back": "UPDATE number_sequences SET next_value = 1",
    "paid charge inserted": "INSERT INTO charges (kind, description, quantity, unit_price, amount, tax, status, "
                            "receipt_id, created_at, created_by, payer_name) SELECT 'item', 'x', 1, 100, 100, "
                            "'taxable10', 'paid', id, now(), created_by, '' FROM receipts",
    "line added to an old receipt": "INSERT INTO receipt_lines (receipt_id, description, quantity, unit_price, "
                                    "amount, tax) SELECT id, 'x', 1, 100, 100, 'taxable10' FROM receipts",
    "create role": "CREATE ROLE intruder LOGIN PASSWORD 'x'",
    "promote self": "GRANT fukufuku_admin TO CURRENT_USER",
}


@pytest.mark.parametrize("what", list(HAND_WRITTEN))
def test_a_desk_login_cannot_change_money_staff_settings_or_the_trail_by_hand(staffed, paid, what):
    with staffed.connect("desk") as conn:
        error = _refused(conn, HAND_WRITTEN[what])
    assert isinstance(error, psycopg.errors.InsufficientPrivilege | psycopg.errors.NotNullViolation), error
    # Nothing moved: the receipt and its paid charge are as the service left them.
    with read_session(staffed.owner) as s:
        assert s.execute(text("SELECT total > 0 FROM receipts WHERE id = :id"), {"id": paid["receipt"]}).scalar()
        assert s.execute(text("SELECT status FROM charges WHERE id = :id"), {"id": paid["charge"]}).scalar() == "paid"
        assert s.execute(text("SELECT count(*) FROM staff WHERE role = 'admin'")).scalar() == 1


MANAGER_REFUSED = {
    "receipt total": "UPDATE receipts SET total = 0, taxable10 = 0",
    "receipt terminal": "UPDATE receipts SET terminal = 'x'",  # granted only so that a void can lock it
    "receipt delete": "DELETE FROM receipts",
    "audit delete": "DELETE FROM audit_log",
    "staff role": "UPDATE staff SET role = 'admin'",
    "staff insert": "INSERT INTO staff (name, kana, role, active, created_at, failed_logins) "
                    "VALUES ('x', '', 'admin', true, now(), 0)",
    "truncate": "TRUNCATE receipts CASCADE",
}


@pytest.mark.parametrize("what", list(MANAGER_REFUSED))
def test_a_manager_login_cannot_edit_receipts_the_trail_or_staff(staffed, paid, what):
    with staffed.connect("manager") as conn:
        error = _refused(conn, MANAGER_REFUSED[what])
    assert isinstance(error, psycopg.errors.InsufficientPrivilege), error
    with read_session(staffed.owner) as s:
        assert s.execute(text("SELECT total > 0 AND terminal = '受付1' FROM receipts WHERE id = :id"),
                         {"id": paid["receipt"]}).scalar()


def test_a_desk_login_reads_what_the_counter_needs_and_writes_operational_rows(staffed, paid):
    with staffed.connect("desk") as conn:
        assert conn.execute("SELECT count(*) FROM receipts").fetchone()[0] == 1
        assert conn.execute("SELECT count(*) FROM staff").fetchone()[0] == 3
        with conn.transaction():
            conn.execute("INSERT INTO walkin_tallies (at, category, count, terminal, staff_id) "
                         "VALUES (now(), '見学', 1, '受付1', %s)", (staffed.ids["desk"],))
        # Its own open charge may be cancelled (a booking cancelled before payment) …
        with conn.transaction():
            conn.execute("UPDATE charges SET status = 'cancelled' WHERE id = %s", (paid["open_charge"],))


def test_receipt_numbers_stay_gapless_against_hand_written_inserts(staffed, paid):
    fy, seq = paid["fy"], paid["seq"]
    columns = ("fiscal_year, seq, receipt_no, issued_at, payer_name, purpose, method, total, taxable10, tax10, "
               "exempt, stamp_duty, invoice_number, terminal, created_by")
    insert = f"INSERT INTO receipts ({columns}) VALUES (%s, %s, %s, now(), '偽', '偽', 'cash', 0, 0, 0, 0, 0, '', '', %s)"
    with staffed.connect("desk") as conn:
        skipped = _refused(conn, insert, (fy, seq + 2, f"{fy}-{seq + 2:06d}", staffed.ids["desk"]))
        assert isinstance(skipped, psycopg.errors.InsufficientPrivilege)
        assert "連番" in str(skipped) and f"次の番号は{seq + 1}" in str(skipped)
        misnamed = _refused(conn, insert, (fy, seq + 1, "X-1", staffed.ids["desk"]))
        assert "連番" in str(misnamed)
        # The next number, correctly written, is accepted (the rule is "no gap", not "no desk").
        with conn.transaction():
            conn.execute(insert, (fy, seq + 1, f"{fy}-{seq + 1:06d}", staffed.ids["desk"]))
    with read_session(staffed.owner) as s:
        assert s.execute(text("SELECT array_agg(seq ORDER BY seq) FROM receipts")).scalar() == [seq, seq + 1]


def test_a_desk_cannot_create_a_login_or_promote_itself(staffed):
    desk_login = staffed.logins["desk"]
    with staffed.connect("desk") as conn:
        verifier = conn.pgconn.encrypt_password(b"x" * 12, b"intruder_x", b"scram-sha-256").decode()
        refused = _refused(conn, "SELECT fukufuku_create_login(%s, %s, %s)",
                           (staffed.ids["desk"], "intruder_x", verifier))
        assert isinstance(refused, psycopg.errors.InsufficientPrivilege) and "システム管理者のみ" in str(refused)
        refused = _refused(conn, "UPDATE staff SET role = 'admin' WHERE db_login = session_user")
        assert isinstance(refused, psycopg.errors.InsufficientPrivilege)
        refused = _refused(conn, "SELECT fukufuku_set_login_password(%s, %s)", (staffed.logins["admin"], verifier))
        assert "システム管理者のみ" in str(refused)
        refused = _refused(conn, f'ALTER ROLE "{desk_login}" SUPERUSER')
        assert isinstance(refused, psycopg.errors.InsufficientPrivilege)
        assert conn.execute("SELECT pg_has_role(session_user, 'fukufuku_manager', 'MEMBER')").fetchone()[0] is False
    with read_session(staffed.owner) as s:
        assert s.execute(text("SELECT count(*) FROM pg_roles WHERE rolname = 'intruder_x'")).scalar() == 0


def test_through_the_store_a_desk_gets_a_japanese_refusal(staffed):
    desk_engine = make_engine(make_url(staffed.url).set(username=staffed.logins["desk"], password=PW)
                              .render_as_string(hide_password=False))
    try:
        with pytest.raises(PermissionDenied, match="システム管理者のみ"), write_session(desk_engine) as s:
            db_roles.create_login(s, staffed.ids["desk"], unique_login("x"), PW)
        with write_session(desk_engine) as s:  # its own password: allowed
            db_roles.set_login_password(s, staffed.logins["desk"], PW + "!")
    finally:
        desk_engine.dispose()
    with pytest.raises(psycopg.OperationalError):
        staffed.connect("desk").close()  # the old password no longer works


def test_a_server_refusal_reaches_the_desk_as_a_japanese_permission_message(staffed, paid):
    """What a grant or a guard trigger refuses comes out of write_session as PermissionDenied in Japanese
    (never the server's English "permission denied"), and nothing is written."""
    desk_engine = make_engine(make_url(staffed.url).set(username=staffed.logins["desk"], password=PW)
                              .render_as_string(hide_password=False))
    try:
        with pytest.raises(PermissionDenied) as by_grant, write_session(desk_engine) as s:
            s.execute(text("DELETE FROM staff WHERE id = :id"), {"id": staffed.ids["manager"]})
        assert "権限" in by_grant.value.message and "（staff）" in by_grant.value.message
        assert "permission denied" not in by_grant.value.message
        with pytest.raises(PermissionDenied) as by_trigger, write_session(desk_engine) as s:
            s.execute(text("UPDATE charges SET status = 'cancelled', receipt_id = NULL WHERE id = :id"),
                      {"id": paid["charge"]})
        assert "請求" in by_trigger.value.message  # the guard trigger's own Japanese wording, kept as it is
    finally:
        desk_engine.dispose()
    with write_session(staffed.owner) as s:
        assert s.get(Staff, staffed.ids["manager"]) is not None
        assert s.execute(text("SELECT status FROM charges WHERE id = :id"), {"id": paid["charge"]}).scalar() == "paid"


def test_the_audit_trigger_names_the_login_and_the_server_time(staffed):
    manager = staffed.ids["manager"]
    with staffed.connect("desk") as conn:
        with conn.transaction():
            # The desk claims to be the manager and back-dates the entry: the server says otherwise.
            conn.execute("INSERT INTO audit_log (at, staff_id, action, entity, summary, prev_hash, row_hash) "
                         "VALUES ('2020-01-01 00:00', %s, 'update', 'booking', '偽の記録', '', '')", (manager,))
        server_now = conn.execute("SELECT (now() AT TIME ZONE 'Asia/Tokyo')").fetchone()[0]
    with read_session(staffed.owner) as s:
        entry = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()
        assert entry.staff_id == staffed.ids["desk"]
        assert abs((entry.at - server_now).total_seconds()) < 60
        assert audit_log.verify_chain(s).broken_id is None


def test_the_chain_verifies_after_staff_logins_work_and_an_owner_edit_is_detected(staffed, paid, capsys):
    for role in ("desk", "manager", "admin"):
        with staffed.connect(role) as conn, conn.transaction():
            conn.execute("INSERT INTO audit_log (at, staff_id, action, entity, summary, prev_hash, row_hash) "
                         "VALUES (now(), 1, 'note', 'staff', %s, '', '')", (f"{role} の記録",))
    with read_session(staffed.owner) as s:
        check = audit_log.verify_chain(s)
        assert check.broken_id is None and check.rows >= 5
        target = s.execute(text("SELECT id FROM audit_log WHERE summary = 'manager の記録'")).scalar()
    # verify-audit signs in (issue 15): as the administrator's own login, not as the owner.
    admin_url = make_url(staffed.url).set(username=staffed.logins["admin"], password=PW).render_as_string(
        hide_password=False)
    assert cli.main(["--db", admin_url, "verify-audit"]) == 0
    # The owner can still get round the trigger (it owns the table): the chain shows it.
    with write_session(staffed.owner) as s:
        s.execute(text("ALTER TABLE audit_log DISABLE TRIGGER trg_audit_no_change"))
        s.execute(text("UPDATE audit_log SET summary = '書き換えた' WHERE id = :id"), {"id": target})
        s.execute(text("ALTER TABLE audit_log ENABLE TRIGGER trg_audit_no_change"))
    with read_session(staffed.owner) as s:
        check = audit_log.verify_chain(s)
    assert check.broken_id == target and check.reason
    assert cli.main(["--db", admin_url, "verify-audit"]) == 1  # the administrator's command says so too
    assert cli.main(["--db", staffed.url, "verify-audit"]) == 1  # the owner is no staff member: refused
    assert "担当者に結び付いていません" in capsys.readouterr().err


def test_a_role_change_holds_at_the_next_statement_and_deactivation_ends_the_session(staffed):
    with staffed.connect("desk", autocommit=True) as desk:
        assert _refused(desk, "UPDATE centre_settings SET value = value") is not None
        with write_session(staffed.owner) as s:
            s.execute(text("UPDATE staff SET role = 'manager' WHERE id = :id"), {"id": staffed.ids["desk"]})
        desk.execute("UPDATE centre_settings SET value = value")  # the same connection, now a manager
        with write_session(staffed.owner) as s:
            s.execute(text("UPDATE staff SET active = false WHERE id = :id"), {"id": staffed.ids["desk"]})
        with pytest.raises(psycopg.OperationalError):
            desk.execute("SELECT 1")  # its session was ended
    with pytest.raises(psycopg.OperationalError, match="not permitted to log in"):
        staffed.connect("desk").close()


def test_login_names_are_checked_in_japanese():
    assert db_roles.valid_login_name(" yamada_01 ") == "yamada_01"
    for bad, words in (("Yamada", "英小文字"), ("ab", "3〜63文字"), ("pg_yamada", "pg_"), ("fukufuku_x", "fukufuku_"),
                       ("山田", "英小文字"), ("", "入力")):
        with pytest.raises(ValidationError) as refused:
            db_roles.valid_login_name(bad)
        assert words in refused.value.message and refused.value.field == "ログイン名"


def test_migration_0009_goes_down_and_up_again(db_url):
    """Down to 0008 drops the column, the functions and the grants (not the cluster-wide roles); up again
    works although the roles are already there."""
    from alembic import command
    from sqlalchemy import inspect

    from booking_app.store.migrate import alembic_config, upgrade

    url = db_url
    backend = make_url(url).get_backend_name()
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            cfg = alembic_config(url)
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0008")
            conn.commit()
        with engine.connect() as conn:
            assert "db_login" not in {c["name"] for c in inspect(conn).get_columns("staff")}
            if backend == "postgresql":
                assert conn.execute(text("SELECT count(*) FROM pg_proc WHERE proname LIKE 'fukufuku_create_login'")
                                    ).scalar() == 0
                assert conn.execute(text("SELECT count(*) FROM pg_roles WHERE rolname LIKE 'fukufuku_%'")).scalar() == 3
                assert conn.execute(text("SELECT has_table_privilege('fukufuku_desk', 'bookings', 'SELECT')")
                                    ).scalar() is False
        engine.dispose()
        upgrade(url)
        with engine.connect() as conn:
            assert "db_login" in {c["name"] for c in inspect(conn).get_columns("staff")}
            if backend == "postgresql":
                assert conn.execute(text("SELECT has_table_privilege('fukufuku_desk', 'receipts', 'UPDATE')")
                                    ).scalar() is False
                assert conn.execute(text("SELECT has_table_privilege('fukufuku_desk', 'bookings', 'INSERT')")
                                    ).scalar() is True
    finally:
        engine.dispose()
