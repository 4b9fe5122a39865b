"""Upgrades (issue 8): back up before migrating; a failed migration leaves the old database untouched."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import inspect

from booking_app.services.centre import ensure_initial_data
from booking_app.store import backup as bk
from booking_app.store.engine import make_engine, write_session
from booking_app.store.migrate import (WHAT_TO_DO, MigrationFailed, current_revision, head_revision,
                                       migrations_dir, safe_upgrade, upgrade)

BROKEN = '''"""a migration that fails half-way (test only)"""
from alembic import op
import sqlalchemy as sa

revision = '0099'
down_revision = {down!r}
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('broken_0099', sa.Column('id', sa.Integer, primary_key=True))
    op.execute("UPDATE rooms SET name = name || '（壊）'")
    raise RuntimeError("simulated failure in 0099")


def downgrade() -> None:
    pass
'''


@pytest.fixture
def broken_scripts(tmp_path) -> Path:
    """A copy of db/ with an extra migration 0099 that changes things and then fails."""
    scripts = tmp_path / "db"
    shutil.copytree(migrations_dir(), scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "0099_broken.py").write_text(BROKEN.format(down=head_revision()), encoding="utf-8")
    return scripts


@pytest.fixture
def folder(tmp_path, monkeypatch) -> Path:
    d = tmp_path / "backups"
    monkeypatch.setenv(bk.ENV_BACKUP_DIR, str(d))
    return d


def seeded(url: str) -> list[tuple]:
    engine = make_engine(url)
    try:
        with write_session(engine) as s:
            ensure_initial_data(s)
        return snapshot(url)
    finally:
        engine.dispose()


def snapshot(url: str) -> list[tuple]:
    engine = make_engine(url)
    try:
        with engine.connect() as c:
            rows = [tuple(r) for r in c.exec_driver_sql("SELECT id, name, capacity FROM rooms ORDER BY id")]
            tables = set(inspect(c).get_table_names())
        return [("revision", current_revision(engine)), ("broken table", "broken_0099" in tables), *rows]
    finally:
        engine.dispose()


def test_a_failed_sqlite_migration_leaves_the_database_as_it_was(sqlite_url, broken_scripts, folder):
    before = seeded(sqlite_url)
    with pytest.raises(MigrationFailed) as info:
        safe_upgrade(sqlite_url, folder, script_location=broken_scripts)
    assert snapshot(sqlite_url) == before
    msg = info.value.message
    assert WHAT_TO_DO in msg and "更新できませんでした" in msg and "0099" in msg
    backup = info.value.backup
    assert backup is not None and backup.exists() and str(backup) in msg
    assert bk.parse_backup_name(backup.name)[1] == "premigrate"
    con = sqlite3.connect(backup)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("SELECT version_num FROM alembic_version").fetchone()[0] == head_revision()
    finally:
        con.close()


def test_an_old_database_is_backed_up_then_upgraded(tmp_path, folder):
    url = f"sqlite:///{(tmp_path / 'old.sqlite3').as_posix()}"
    upgrade(url, "0005")
    result = safe_upgrade(url, folder)
    assert result.upgraded and result.from_revision == "0005" and result.to_revision == head_revision()
    assert result.backup is not None and result.backup.parent == folder
    con = sqlite3.connect(result.backup)
    try:
        assert con.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "0005"
    finally:
        con.close()
    again = safe_upgrade(url, folder)  # up to date now: no second backup
    assert not again.upgraded and again.backup is None
    assert len(bk.list_backups(folder)) == 1


def test_a_new_database_needs_no_backup(tmp_path, folder):
    url = f"sqlite:///{(tmp_path / 'new.sqlite3').as_posix()}"
    result = safe_upgrade(url, folder)
    assert result.upgraded and result.from_revision is None and result.backup is None
    assert not folder.exists() or bk.list_backups(folder) == []


def test_a_database_from_a_newer_app_is_refused_untouched(sqlite_url, folder):
    path = bk.sqlite_path(sqlite_url)
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("UPDATE alembic_version SET version_num = '0042'")
    con.close()
    with pytest.raises(MigrationFailed, match="より新しいバージョン"):
        safe_upgrade(sqlite_url, folder)
    con = sqlite3.connect(path)
    assert con.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "0042"
    con.close()


def test_db_upgrade_command_reports_the_backup(tmp_path, folder, capsys):
    from booking_app import cli

    db = tmp_path / "old.sqlite3"
    upgrade(f"sqlite:///{db.as_posix()}", "0005")
    assert cli.main(["--db", str(db), "db", "upgrade"]) == 0
    captured = capsys.readouterr()
    assert "最新の形に更新しました" in captured.out
    assert "更新前のデータベースを" in captured.err and str(folder) in captured.err


def test_a_failed_postgresql_migration_rolls_back(pg_url, broken_scripts, folder):
    before = seeded(pg_url)
    with pytest.raises(MigrationFailed) as info:
        safe_upgrade(pg_url, folder, script_location=broken_scripts)
    assert snapshot(pg_url) == before  # one transaction for all migrations: nothing of 0099 is left
    assert WHAT_TO_DO in info.value.message
    if bk.find_pg_dump() is not None:
        assert info.value.backup is not None and info.value.backup.suffix == ".dump"
        assert info.value.backup.stat().st_size > 0


def test_after_a_failure_several_migrations_in_sqlite_are_all_undone(tmp_path, broken_scripts, folder):
    # SQLite commits each migration separately: 0005 and 0006 would stay applied without the copy back.
    url = f"sqlite:///{(tmp_path / 'old.sqlite3').as_posix()}"
    upgrade(url, "0004")
    con = sqlite3.connect(tmp_path / "old.sqlite3", isolation_level=None)
    con.execute("INSERT INTO rooms (name, kana, capacity, sort_order, active) VALUES ('和室', 'わしつ', 20, 1, 1)")
    con.close()
    before = snapshot(url)
    with pytest.raises(MigrationFailed, match="0004"):
        safe_upgrade(url, folder, script_location=broken_scripts)
    assert snapshot(url) == before and before[0] == ("revision", "0004")


def test_a_failed_update_at_app_start_is_shown_in_a_window(sqlite_url, broken_scripts, folder, monkeypatch, capsys):
    """Started from the Start menu nobody reads stderr: the failed update's message opens a window."""
    from booking_app import app as gui
    from booking_app import cli
    from booking_app.store import migrate

    before = seeded(sqlite_url)
    monkeypatch.setattr(migrate, "migrations_dir", lambda: broken_scripts)
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(gui, "show_fatal", lambda label, message: shown.append((label, message)))
    monkeypatch.setattr(gui, "run", lambda *a, **k: pytest.fail("the window must not open"))
    assert cli.main(["--db", sqlite_url]) != 0
    (label, message), = shown
    assert "データベースは変更されていません" in message and label
    assert "データベースは変更されていません" in capsys.readouterr().err
    assert snapshot(sqlite_url) == before
