"""Hostile backups (issue 15): a restore copies data, never code the app did not write.

A crafted backup that passes every old check (SQLite, integrity ok, this app's tables, a known revision)
can still carry a trigger, a view, a table or a loosened CHECK. Each is refused with its Japanese reason
before anything touches the current database; the staff accounts a backup brings back are shown to the
administrator first; the data folder, the backup folder and every copy are private to their owner.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import sys
from pathlib import Path

import pytest

from booking_app import config
from booking_app.domain.errors import RuleError
from booking_app.services.centre import ensure_initial_data
from booking_app.store import backup as bk
from booking_app.services import backup as backup_svc
from booking_app.store.engine import make_engine, write_session
from booking_app.store.migrate import head_revision, upgrade
from tests.cli_login import signed_in

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes (Windows keeps the profile's ACL)")


@pytest.fixture
def folder(tmp_path, monkeypatch) -> Path:
    d = tmp_path / "backups"
    monkeypatch.setenv(bk.ENV_BACKUP_DIR, str(d))
    return d


def _groups(path: Path) -> list[str]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [r[0] for r in con.execute("SELECT name FROM member_groups ORDER BY id")]
    finally:
        con.close()


def _digest(path: Path) -> str:
    """What the current database holds: every row of every table, and its schema (but the command tokens'
    ``last_used_at``: a command's sign-in records its token's use, issue 15)."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        h = hashlib.sha256()
        for (sql,) in con.execute("SELECT sql FROM sqlite_master ORDER BY name"):
            h.update(str(sql).encode())
        for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name").fetchall():
            for row in con.execute(f'SELECT * FROM "{name}" ORDER BY rowid'):
                if name == "centre_settings" and row[0] == "command_tokens":
                    continue
                h.update(repr(row).encode())
        return h.hexdigest()
    finally:
        con.close()


@pytest.fixture
def current(sqlite_url) -> Path:
    """The desk's database: initial data and two groups."""
    engine = make_engine(sqlite_url)
    try:
        with write_session(engine) as s:
            ensure_initial_data(s)
    finally:
        engine.dispose()
    path = bk.sqlite_path(sqlite_url)
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.executemany(
            "INSERT INTO member_groups (reg_no, name, kana, group_type, status, representative, phone, members, "
            "note, created_at, created_by) VALUES (?, ?, '', 'purpose', 'active', '', '', 1, '', "
            "'2026-11-25 09:00:00.000000', 1)", [("R0001", "いまの会"), ("R0002", "となりの会")])
    finally:
        con.close()
    return path


@pytest.fixture
def clean(current, tmp_path) -> Path:
    """A genuine backup of another day's database (one group fewer, one more), made by the app."""
    path = bk.backup_sqlite(current, tmp_path / "clean.sqlite3").path
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("UPDATE member_groups SET name = 'きのうの会' WHERE reg_no = 'R0002'")
    finally:
        con.close()
    return path


def _crafted(clean: Path, tmp_path: Path, *statements: str | tuple, writable_schema: bool = False) -> Path:
    bad = tmp_path / "crafted.sqlite3"
    bad.write_bytes(clean.read_bytes())
    con = sqlite3.connect(bad, isolation_level=None)
    try:
        if writable_schema:
            con.execute("PRAGMA writable_schema=ON")
        for sql in statements:  # a statement, or (statement, parameters)
            con.execute(*((sql,) if isinstance(sql, str) else sql))
        if writable_schema:
            con.execute("PRAGMA writable_schema=OFF")
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"  # the old checks would pass it
    finally:
        con.close()
    return bad


TROJANS = {
    "trigger-deletes-audit-rows": (
        ["CREATE TRIGGER tidy_trail AFTER INSERT ON member_groups BEGIN "
         "DELETE FROM audit_log WHERE id < (SELECT max(id) FROM audit_log); END"],
        False, "このアプリが作らないトリガー「tidy_trail」があります。復元を中止しました。"),
    "trigger-skips-receipt-numbers": (
        ["CREATE TRIGGER skip_no AFTER INSERT ON receipts BEGIN "
         "UPDATE receipts SET id = NEW.id + 7 WHERE id = NEW.id; END"],
        False, "このアプリが作らないトリガー「skip_no」があります。"),
    "extra-view": (
        ["CREATE VIEW staff_passwords AS SELECT name, password_hash FROM staff"],
        False, "このアプリが作らないビュー「staff_passwords」があります。"),
    "extra-table": (
        ["CREATE TABLE notes_for_later (id INTEGER PRIMARY KEY, body TEXT)"],
        False, "このアプリが作らない表「notes_for_later」があります。"),
    "extra-index": (
        ["CREATE INDEX ix_staff_password ON staff (password_hash)"],
        False, "このアプリが作らない索引「ix_staff_password」があります。"),
    "changed-check": (
        [("UPDATE sqlite_master SET sql = replace(sql, ?, ?) WHERE type = 'table' AND name = 'staff'",
          ("'manager','admin'", "'manager','admin','root'"))],
        True, "表「staff」の定義が、このアプリ（リビジョン {rev}）のものと違います。"),
    "missing-guard-trigger": (
        ["DROP TRIGGER audit_log_no_delete"],
        False, "このアプリのトリガー「audit_log_no_delete」がありません。"),
    "defused-guard-trigger": (
        ["DROP TRIGGER audit_log_no_update",
         "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT 1; END"],
        False, "トリガー「audit_log_no_update」の定義が、このアプリ（リビジョン {rev}）のものと違います。"),
}


@pytest.mark.parametrize("name", list(TROJANS))
def test_a_crafted_backup_is_refused_with_its_reason_and_nothing_is_touched(name, current, clean, folder,
                                                                          tmp_path):
    statements, writable, words = TROJANS[name]
    bad = _crafted(clean, tmp_path, *statements, writable_schema=writable)
    before = _digest(current)
    with pytest.raises(RuleError) as info:
        bk.restore_sqlite(bad, current, folder=folder)
    assert words.replace("{rev}", head_revision()) in info.value.message
    assert "crafted.sqlite3" in info.value.message and "指定してください" in info.value.message
    assert info.value.field == "file"
    assert _digest(current) == before
    assert bk.list_backups(folder) == []  # refused before the prerestore copy


def test_the_changed_check_would_really_let_a_bad_role_in(clean, tmp_path):
    """The 'changed-check' case is a real loosening, not a cosmetic edit the check happens to catch."""
    statements, writable, _words = TROJANS["changed-check"]
    bad = _crafted(clean, tmp_path, *statements, writable_schema=writable)
    con = sqlite3.connect(bad, isolation_level=None)
    try:
        con.execute("INSERT INTO staff (name, kana, role, active, created_at, failed_logins) "
                    "VALUES ('root', '', 'root', 1, '2026-11-25 09:00:00', 0)")
    finally:
        con.close()
    con = sqlite3.connect(clean, isolation_level=None)
    try:
        with pytest.raises(sqlite3.IntegrityError):
            con.execute("INSERT INTO staff (name, kana, role, active, created_at, failed_logins) "
                        "VALUES ('root', '', 'root', 1, '2026-11-25 09:00:00', 0)")
    finally:
        con.close()


def test_an_older_backup_is_compared_with_its_own_revision(tmp_path, folder):
    old = tmp_path / "old.sqlite3"
    upgrade(f"sqlite:///{old.as_posix()}", "0005")
    target = tmp_path / "desk.sqlite3"
    assert bk.restore_sqlite(old, target, folder=folder).revision == "0005"  # a genuine 0005 file restores

    con = sqlite3.connect(old, isolation_level=None)
    try:
        con.execute("CREATE TRIGGER later AFTER INSERT ON bookings BEGIN DELETE FROM audit_log; END")
    finally:
        con.close()
    with pytest.raises(RuleError, match="このアプリが作らないトリガー「later」"):
        bk.restore_sqlite(old, tmp_path / "other.sqlite3", folder=folder)
    assert not (tmp_path / "other.sqlite3").exists()


def test_a_clean_backup_still_restores(current, clean, folder):
    result = bk.restore_sqlite(clean, current, folder=folder)
    assert _groups(current) == ["いまの会", "きのうの会"]
    assert result.prerestore_backup is not None and _groups(result.prerestore_backup) == ["いまの会", "となりの会"]


def test_whitespace_and_constraint_order_do_not_count_but_words_do():
    a = "CREATE TABLE t (a INT,\n  b TEXT, CONSTRAINT x CHECK (a > 0), UNIQUE (b))"
    b = "CREATE TABLE t(a INT, b TEXT,UNIQUE(b),   CONSTRAINT x CHECK(a > 0));"
    assert bk.normalise_sql(a) == bk.normalise_sql(b)
    assert bk.normalise_sql(a) != bk.normalise_sql(a.replace("a > 0", "a >= 0"))
    assert bk.normalise_sql("CREATE TABLE t (a INT, b TEXT)") != bk.normalise_sql("CREATE TABLE t (b TEXT, a INT)")
    assert bk.normalise_sql("CREATE TABLE t (s TEXT CHECK (s IN ('a b')))") != bk.normalise_sql(
        "CREATE TABLE t (s TEXT CHECK (s IN ('a  b')))")  # inside quotes every blank counts


# --------------------------------------------------------------------------- the staff in the backup


def _plant_admin(path: Path) -> None:
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("INSERT INTO staff (name, kana, role, active, created_at, failed_logins, password_hash) "
                    "VALUES ('よその管理者', '', 'admin', 1, '2026-11-25 09:00:00', 0, 'scrypt$1$8$1$c2FsdA$aGFzaA')")
    finally:
        con.close()


def test_the_backups_staff_are_listed_with_role_state_and_password(clean):
    _plant_admin(clean)
    staff = bk.backup_staff(clean)
    planted = next(s for s in staff if s.name == "よその管理者")
    assert (planted.role, planted.active, planted.has_password) == ("admin", True, True)
    text = bk.staff_summary(staff)
    assert "よその管理者（システム管理、有効、パスワード設定済み）" in text
    assert f"（{len(staff)}人、" in text


def test_the_restore_command_prints_the_staff_before_the_switch_and_still_needs_yes(current, clean, folder, capsys,
                                                                                  monkeypatch):
    from booking_app import cli

    _plant_admin(clean)
    signed_in(monkeypatch, f"sqlite:///{current.as_posix()}")  # the restore command signs in as an admin
    before = _digest(current)
    monkeypatch.setattr(sys, "stdin", open(os.devnull))  # noqa: SIM115 - closed below; not a terminal
    try:
        assert cli.main(["restore", str(clean), "--db", str(current)]) == 1
    finally:
        sys.stdin.close()
    out = capsys.readouterr()
    assert "よその管理者（システム管理、有効、パスワード設定済み）" in out.out
    assert "--yes" in out.err
    assert _digest(current) == before and bk.list_backups(folder) == []

    assert cli.main(["restore", str(clean), "--db", str(current), "--yes"]) == 0
    out = capsys.readouterr().out
    assert out.index("よその管理者") < out.index("復元しました")  # listed before the switch
    assert _groups(current) == ["いまの会", "きのうの会"]
    con = sqlite3.connect(current)
    try:
        summary = con.execute("SELECT summary FROM audit_log WHERE action = 'restore' ORDER BY id DESC").fetchone()
    finally:
        con.close()
    assert summary is not None and "clean.sqlite3" in summary[0]  # audited as before


def test_the_restore_command_refuses_a_trojan_before_listing_or_asking(current, clean, tmp_path, folder, capsys,
                                                                      monkeypatch):
    from booking_app import cli

    signed_in(monkeypatch, f"sqlite:///{current.as_posix()}")

    bad = _crafted(clean, tmp_path, "CREATE VIEW leak AS SELECT * FROM staff")
    before = _digest(current)
    assert cli.main(["restore", str(bad), "--db", str(current), "--yes"]) == 1
    out = capsys.readouterr()
    assert "このアプリが作らないビュー「leak」があります。復元を中止しました。" in out.err
    assert "職員アカウント" not in out.out
    assert _digest(current) == before


# --------------------------------------------------------------------------- private folders and files


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


@pytest.fixture
def loose_umask():
    old = os.umask(0o000)  # the worst case: everything the process creates would be world-writable
    try:
        yield
    finally:
        os.umask(old)


@posix_only
def test_the_data_folder_and_database_are_private_even_when_they_were_not(tmp_path, monkeypatch, loose_umask):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "fresh"))
    path = config.default_db_path()
    assert _mode(path.parent) == 0o700  # created private

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "old"))
    folder = tmp_path / "old" / config.APP_DIR_NAME
    folder.mkdir(parents=True, mode=0o755)
    os.chmod(folder, 0o755)
    db = folder / config.DB_FILENAME
    for p in (db, Path(f"{db}-wal")):
        p.write_bytes(b"")
        os.chmod(p, 0o644)
    assert config.default_db_path() == db  # at start
    assert (_mode(folder), _mode(db), _mode(Path(f"{db}-wal"))) == (0o700, 0o600, 0o600)


@posix_only
def test_the_backup_folder_and_every_backup_are_private(current, tmp_path, monkeypatch, loose_umask):
    monkeypatch.delenv(bk.ENV_BACKUP_DIR, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    backups = tmp_path / "data" / config.APP_DIR_NAME / "backups"
    backups.mkdir(parents=True)
    os.chmod(backups, 0o777)
    assert bk.backups_dir() == backups and _mode(backups) == 0o700  # an existing wide folder is tightened

    os.chmod(current, 0o644)
    url = config.sqlite_url_for(current)
    daily = backup_svc.automatic_backup(url, "daily", record=False)
    assert _mode(daily.path) == 0o600

    manual = bk.backup_sqlite(current, tmp_path / "new-folder" / "copy.sqlite3")
    assert _mode(manual.path) == 0o600 and _mode(manual.path.parent) == 0o700

    monkeypatch.setenv(bk.ENV_BACKUP_DIR, str(tmp_path / "chosen"))
    assert _mode(bk.backups_dir()) == 0o700  # created private when the administrator's folder is new

    restored = tmp_path / "restored" / "booking.sqlite3"
    result = bk.restore_sqlite(manual.path, restored, folder=backups)
    assert _mode(restored) == 0o600
    again = bk.restore_sqlite(manual.path, restored, folder=backups)
    assert _mode(again.prerestore_backup) == 0o600
    assert result.prerestore_backup is None


@posix_only
def test_the_backup_command_writes_an_owner_only_file(current, tmp_path, folder, capsys, monkeypatch):
    from booking_app import cli

    signed_in(monkeypatch, f"sqlite:///{current.as_posix()}", scope="backup")

    old = os.umask(0o022)  # the usual one: other files the command writes are readable by all
    try:
        assert cli.main(["backup", str(tmp_path / "out" / "manual.sqlite3"), "--db", str(current)]) == 0
    finally:
        os.umask(old)
    assert "バックアップを作成しました" in capsys.readouterr().out
    assert _mode(tmp_path / "out" / "manual.sqlite3") == 0o600
    assert _mode(tmp_path / "out") == 0o700  # the folder the command made for it, too


@posix_only
def test_a_new_database_file_is_owner_only_from_its_first_connection(tmp_path):
    from booking_app.store.engine import make_engine

    old = os.umask(0o022)
    try:
        engine = make_engine(f"sqlite:///{tmp_path / 'new.sqlite3'}")
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        finally:
            engine.dispose()
    finally:
        os.umask(old)
    assert _mode(tmp_path / "new.sqlite3") == 0o600


@posix_only
def test_a_private_output_is_never_readable_by_others_before_the_rename(tmp_path):
    from booking_app.output_files import written_output

    old = os.umask(0o022)
    try:
        with written_output(tmp_path / "a" / "b" / "x.sqlite3", private=True) as out:
            out.temp.write_bytes(b"data")
            assert _mode(out.temp) == 0o600
            assert _mode(tmp_path / "a") == 0o700 and _mode(tmp_path / "a" / "b") == 0o700
    finally:
        os.umask(old)
    assert _mode(tmp_path / "a" / "b" / "x.sqlite3") == 0o600
