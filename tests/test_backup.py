"""Backups and restore (issue 7): online backup while writing, checks on restore, rotation, commands."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import date, datetime
from pathlib import Path

import pytest

from booking_app import clock
from booking_app.domain.errors import DomainError, RuleError, ValidationError
from booking_app.services.centre import ensure_initial_data
from booking_app.store import backup as bk
from booking_app.services import backup as backup_svc
from booking_app.store.engine import make_engine, write_session
from booking_app.store.migrate import head_revision, upgrade
from tests.cli_login import signed_in

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def folder(tmp_path, monkeypatch) -> Path:
    """The automatic backups folder, kept inside the test's tmp dir."""
    d = tmp_path / "backups"
    monkeypatch.setenv(bk.ENV_BACKUP_DIR, str(d))
    return d


def db_path(url: str) -> Path:
    return bk.sqlite_path(url)


def add_groups(url: str, names: list[str]) -> None:
    engine = make_engine(url)
    try:
        with write_session(engine) as s:
            ensure_initial_data(s)
        con = sqlite3.connect(db_path(url), isolation_level=None, timeout=30)
        try:
            con.executemany(
                "INSERT INTO member_groups (reg_no, name, kana, group_type, status, representative, phone, "
                "members, note, created_at, created_by) VALUES (?, ?, '', 'purpose', 'active', '', '', 1, '', "
                "'2026-11-25 09:00:00.000000', 1)",
                [(f"R{i:04d}{n}", n) for i, n in enumerate(names)])
        finally:
            con.close()
    finally:
        engine.dispose()


def group_names(path: Path) -> list[str]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [r[0] for r in con.execute("SELECT name FROM member_groups ORDER BY id")]
    finally:
        con.close()


def revision_of(path: Path) -> str:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return con.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    finally:
        con.close()


WRITER = textwrap.dedent("""
    import sqlite3, sys
    con = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
    con.execute("PRAGMA journal_mode=WAL"); con.execute("PRAGMA synchronous=FULL")
    i = 0
    while True:
        i += 1
        con.execute("BEGIN IMMEDIATE")
        cur = con.execute(
            "INSERT INTO member_groups (reg_no, name, kana, group_type, status, representative, phone, members,"
            " note, created_at, created_by) VALUES (?, ?, '', 'purpose', 'active', '', '', 1, ?, "
            "'2026-11-25 09:00:00.000000', 1)", (f"W{i:06d}", f"書込{i}", "x" * 2000))
        con.execute("COMMIT")
        print(cur.lastrowid, flush=True)
""")


def test_backup_while_another_process_writes_is_whole_and_has_every_earlier_commit(sqlite_url, tmp_path):
    add_groups(sqlite_url, [f"団体{i}" for i in range(2000)])
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db_path(sqlite_url))],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        committed = [int(writer.stdout.readline()) for _ in range(20)]  # the writer is in full swing
        result = bk.backup_sqlite(db_path(sqlite_url), tmp_path / "copy.sqlite3")
        after = [int(writer.stdout.readline()) for _ in range(5)]  # it was never blocked for good
    finally:
        writer.kill()
        writer.wait()
        writer.stdout.close()
        writer.stderr.close()
    assert result.integrity == "ok" and result.size_bytes > 0
    con = sqlite3.connect(result.path)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one self-contained file
        ids = {r[0] for r in con.execute("SELECT id FROM member_groups")}
    finally:
        con.close()
    assert set(committed) <= ids
    assert len(after) == 5
    assert not Path(f"{result.path}-wal").exists()
    assert not result.path.with_name(result.path.name + ".part").exists()


def test_backup_of_a_missing_file_is_a_japanese_error_and_creates_nothing(tmp_path):
    with pytest.raises(ValidationError, match="見つかりません"):
        bk.backup_sqlite(tmp_path / "none.sqlite3", tmp_path / "copy.sqlite3")
    assert not (tmp_path / "none.sqlite3").exists() and not (tmp_path / "copy.sqlite3").exists()


# --------------------------------------------------------------------------- restore


@pytest.fixture
def good_backup(sqlite_url, tmp_path) -> Path:
    add_groups(sqlite_url, ["さくら会", "みなと会"])
    return bk.backup_sqlite(db_path(sqlite_url), tmp_path / "good.sqlite3").path


def _corrupt(src: Path, dest: Path) -> Path:
    data = bytearray(src.read_bytes())
    page = 4096
    for off in range(page * 2, len(data) - page, page * 3):  # trash every third page after the schema
        data[off:off + 200] = os.urandom(200)
    dest.write_bytes(bytes(data))
    return dest


def _newer(src: Path, dest: Path) -> Path:
    dest.write_bytes(src.read_bytes())
    con = sqlite3.connect(dest, isolation_level=None)
    con.execute("UPDATE alembic_version SET version_num = '9999'")
    con.close()
    return dest


def _foreign(src: Path, dest: Path) -> Path:
    con = sqlite3.connect(dest, isolation_level=None)
    con.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    con.close()
    return dest


@pytest.mark.parametrize("make, error, words", [
    (lambda src, d: (d.write_text("予約台帳,2026\n", encoding="utf-8"), d)[1], ValidationError,
     "SQLiteのデータベースファイルではありません"),
    (_corrupt, RuleError, "壊れて"),
    (_newer, RuleError, "より新しいバージョン"),
    (_foreign, RuleError, "ふくふくデスクのデータベースではありません"),
], ids=["not-sqlite", "corrupt", "newer-revision", "other-app"])
def test_restore_refuses_a_bad_file_and_leaves_the_database_alone(good_backup, sqlite_url, folder, tmp_path,
                                                                   make, error, words):
    bad = make(good_backup, tmp_path / "bad.sqlite3")
    before = group_names(db_path(sqlite_url))
    with pytest.raises(error) as info:
        bk.restore_sqlite(bad, db_path(sqlite_url), folder=folder)
    assert words in info.value.message
    assert group_names(db_path(sqlite_url)) == before
    assert bk.list_backups(folder) == []  # refused before anything was touched


def test_restore_saves_the_current_database_then_puts_the_backup_in(good_backup, sqlite_url, folder):
    add_groups(sqlite_url, ["あとから会"])  # made after the backup: the restore takes it away...
    current = group_names(db_path(sqlite_url))
    engine = make_engine(sqlite_url)  # ...even with the app's engine still holding a connection
    try:
        with write_session(engine) as s:
            ensure_initial_data(s)
        result = bk.restore_sqlite(good_backup, db_path(sqlite_url), folder=folder)
        with engine.connect() as conn:
            seen = [r[0] for r in conn.exec_driver_sql("SELECT name FROM member_groups ORDER BY id")]
    finally:
        engine.dispose()
    assert group_names(db_path(sqlite_url)) == group_names(good_backup) == seen
    assert "あとから会" not in seen
    assert result.prerestore_backup is not None and result.prerestore_backup.parent == folder
    assert bk.parse_backup_name(result.prerestore_backup.name)[1] == "prerestore"
    assert group_names(result.prerestore_backup) == current  # nothing lost by restoring
    assert not result.needs_migration and "復元しました" in result.message
    con = sqlite3.connect(db_path(sqlite_url))
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        con.close()


def test_restoring_an_older_revision_says_it_is_migrated_at_next_start(tmp_path, folder):
    old = tmp_path / "old.sqlite3"
    upgrade(f"sqlite:///{old.as_posix()}", "0005")
    target = tmp_path / "new" / "booking.sqlite3"
    Path(f"{target}-wal").parent.mkdir()
    Path(f"{target}-wal").write_bytes(b"stale")  # a leftover -wal without its database
    result = bk.restore_sqlite(old, target, folder=folder)
    assert result.revision == "0005" and result.needs_migration and result.prerestore_backup is None
    assert "次にふくふくデスクを起動したときに" in result.message
    assert revision_of(target) == "0005"
    assert not Path(f"{target}-wal").exists() or Path(f"{target}-wal").read_bytes() != b"stale"


# --------------------------------------------------------------------------- rotation and hooks


def test_rotation_keeps_the_newest_n_of_each_reason_and_every_manual_one(tmp_path):
    for day in range(1, 21):
        for reason in ("daily", "exit", "manual"):
            (tmp_path / f"booking-202611{day:02d}-090000-{reason}.sqlite3").write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("keep me")
    removed = bk.rotate(tmp_path, {"daily": 14, "exit": 3})
    left = bk.list_backups(tmp_path)
    by_reason = {r: sorted(p.name for _w, rr, p in left if rr == r) for r in ("daily", "exit", "manual")}
    assert len(by_reason["daily"]) == 14 and by_reason["daily"][0].startswith("booking-20261107")
    assert by_reason["exit"] == [f"booking-202611{d}-090000-exit.sqlite3" for d in (18, 19, 20)]
    assert len(by_reason["manual"]) == 20
    assert len(removed) == 6 + 17 and (tmp_path / "notes.txt").exists()


def test_daily_backup_is_due_once_a_day(tmp_path):
    assert bk.daily_backup_due(tmp_path, date(2026, 11, 25))
    bk.new_backup_path(tmp_path, "exit", now=datetime(2026, 11, 25, 8, 0)).write_bytes(b"x")
    assert bk.daily_backup_due(tmp_path, date(2026, 11, 25))  # an exit backup is not the daily one
    bk.new_backup_path(tmp_path, "daily", now=datetime(2026, 11, 24, 23, 59)).write_bytes(b"x")
    assert bk.daily_backup_due(tmp_path, date(2026, 11, 25))
    p = bk.new_backup_path(tmp_path, "daily", now=datetime(2026, 11, 25, 9, 0))
    p.write_bytes(b"x")
    assert not bk.daily_backup_due(tmp_path, date(2026, 11, 25))
    again = bk.new_backup_path(tmp_path, "daily", now=datetime(2026, 11, 25, 9, 0))
    assert again != p and bk.parse_backup_name(again.name)[1] == "daily"  # same second: a new name


def test_the_app_hooks_take_a_daily_backup_once_and_an_exit_backup(sqlite_url, folder):
    add_groups(sqlite_url, ["ひまわり会"])
    today = clock.today()
    thread = backup_svc.start_daily_backup(sqlite_url, today)
    assert thread is not None
    exit_result = backup_svc.exit_backup(sqlite_url, thread)  # waits for the daily one first
    assert backup_svc.start_daily_backup(sqlite_url, today) is None  # already done today
    reasons = sorted(r for _w, r, _p in bk.list_backups(folder))
    assert reasons == ["daily", "exit"]
    assert group_names(exit_result.path) == ["ひまわり会"]


def test_the_hooks_never_raise(tmp_path, folder, caplog):
    url = f"sqlite:///{(tmp_path / 'gone' / 'x.sqlite3').as_posix()}"
    assert backup_svc.exit_backup(url) is None
    assert "backup at exit failed" in caplog.text
    assert backup_svc.start_daily_backup("postgresql+psycopg://u@h/db", clock.today()) is None


# --------------------------------------------------------------------------- commands


def _cli(*args: str, env_dir: Path, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, **{bk.ENV_BACKUP_DIR: str(env_dir), "PYTHONIOENCODING": "utf-8"})
    env.pop("BOOKING_APP_DB_URL", None)
    return subprocess.run([sys.executable, "-m", "booking_app", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=120, encoding="utf-8")


def test_backup_and_restore_commands(good_backup, sqlite_url, tmp_path, folder, monkeypatch):
    db = str(db_path(sqlite_url))
    signed_in(monkeypatch, sqlite_url)  # issue 15: the commands sign in (a token, as the first admin)
    out = _cli("backup", str(tmp_path / "manual.sqlite3"), "--db", db, env_dir=folder, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "バックアップを作成しました" in out.stdout and "検査：ok" in out.stdout
    assert group_names(tmp_path / "manual.sqlite3") == group_names(Path(db))

    (tmp_path / "ledger.csv").write_text("a,b\n", encoding="utf-8")
    refused = _cli("restore", str(tmp_path / "ledger.csv"), "--db", db, "--yes", env_dir=folder, cwd=tmp_path)
    assert refused.returncode == 1 and "SQLiteのデータベースファイルではありません" in refused.stderr
    assert "Traceback" not in refused.stderr

    add_groups(sqlite_url, ["消える会"])
    done = _cli("restore", str(good_backup), "--db", db, "--yes", env_dir=folder, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "復元しました" in done.stdout and "復元前のデータベースは" in done.stdout
    assert group_names(Path(db)) == group_names(good_backup)
    assert [r for _w, r, _p in bk.list_backups(folder)] == ["prerestore"]


def test_the_commands_refuse_to_overwrite_or_to_restore_unconfirmed(good_backup, sqlite_url, folder, capsys,
                                                                     monkeypatch):
    from booking_app import cli

    db = str(db_path(sqlite_url))
    signed_in(monkeypatch, sqlite_url)
    assert cli.main(["backup", str(good_backup), "--db", db]) == 1
    assert "既にあります" in capsys.readouterr().err
    monkeypatch.setattr(sys, "stdin", open(os.devnull))  # noqa: SIM115 - closed below; not a terminal
    try:
        assert cli.main(["restore", str(good_backup), "--db", db]) == 1
    finally:
        sys.stdin.close()
    assert "--yes" in capsys.readouterr().err
    assert bk.list_backups(folder) == []


def test_backup_needs_a_sign_in_and_a_backup_token_cannot_restore(good_backup, sqlite_url, tmp_path, folder,
                                                                  capsys, monkeypatch):
    """Issue 15: no sign-in, no copy of every name; a "backup" token (task scheduler) backs up but never restores."""
    from booking_app import cli

    db = str(db_path(sqlite_url))
    monkeypatch.delenv("FUKUFUKU_DESK_TOKEN", raising=False)
    monkeypatch.setattr(sys, "stdin", open(os.devnull))  # noqa: SIM115 - closed below; not a terminal
    try:
        assert cli.main(["backup", str(tmp_path / "nobody.sqlite3"), "--db", db]) == 1
        assert "このコマンドにはログインが必要です" in capsys.readouterr().err
        assert not (tmp_path / "nobody.sqlite3").exists()
        signed_in(monkeypatch, sqlite_url, scope="backup")
        assert cli.main(["backup", str(tmp_path / "nightly.sqlite3"), "--db", db]) == 0
        assert group_names(tmp_path / "nightly.sqlite3") == group_names(Path(db))
        before = group_names(Path(db))
        assert cli.main(["restore", str(good_backup), "--db", db, "--yes"]) == 1
        assert capsys.readouterr().err.strip()
        assert group_names(Path(db)) == before and bk.list_backups(folder) == []
    finally:
        sys.stdin.close()


# --------------------------------------------------------------------------- PostgreSQL


def test_without_pg_dump_the_postgres_backup_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(bk, "find_pg_dump", lambda tool="pg_dump": None)
    with pytest.raises(DomainError, match="pg_dump が見つかりません"):
        bk.backup_postgres("postgresql+psycopg://u:secret@localhost/db", tmp_path / "x.dump")
    assert not (tmp_path / "x.dump").exists()


def test_pg_password_goes_in_the_environment_not_the_command_line():
    args, env = bk.pg_args("postgresql+psycopg://desk:s3cret@db.local:5433/fukufuku")
    assert args == ["-h", "db.local", "-p", "5433", "-U", "desk", "-d", "fukufuku"]
    assert env["PGPASSWORD"] == "s3cret" and "s3cret" not in " ".join(args)


@pytest.mark.skipif(bk.find_pg_dump() is None, reason="pg_dump not installed")
def test_pg_dump_backup_can_be_listed_by_pg_restore(pg_url, tmp_path):
    engine = make_engine(pg_url)
    try:
        with write_session(engine) as s:
            ensure_initial_data(s)
    finally:
        engine.dispose()
    t0 = time.perf_counter()
    result = bk.backup_database(pg_url, tmp_path / "pg.dump")
    assert result.size_bytes > 0 and time.perf_counter() - t0 < 60
    listing = subprocess.run([bk.find_pg_dump("pg_restore"), "--list", str(result.path)],
                             capture_output=True, text=True, check=True).stdout
    assert "TABLE DATA public bookings" in listing and "TABLE DATA public rooms" in listing
    assert head_revision() is not None
    if os.name == "posix":  # the dump holds every name and payment: owner only (issue 15)
        assert result.path.stat().st_mode & 0o777 == 0o600
