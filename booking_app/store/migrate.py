"""Run the Alembic migrations in ``db/``: a new database is created by the same steps that upgrade an old one.

:func:`safe_upgrade` is what the app and the commands call: before migrating a database that holds
data it takes a 'premigrate' backup, and if the migration fails it puts the old database back and
raises :class:`MigrationFailed` with a Japanese message saying what to do.

On PostgreSQL the migrations run as the schema owner: a terminal's URL has no user, so
:func:`upgrade_as_owner` adds the owner's user and password, typed by the person updating.

On PostgreSQL Alembic runs all pending migrations in ONE transaction (``db/env.py`` wraps
``run_migrations`` in a single ``begin_transaction()``, ``transaction_per_migration`` is left False and
the PostgreSQL dialect has transactional DDL), so a failed upgrade rolls back completely even without
a dump. Alembic's SQLite dialect declares no transactional DDL, so there each migration commits on
its own: a failure in the third of three pending migrations would leave the first two applied. That
is why on SQLite the pre-migration copy is written back after any failure.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from booking_app.domain.errors import MigrationFailed as MigrationFailed  # re-export: its old home

log = logging.getLogger(__name__)

WHAT_TO_DO = "古いバージョンのふくふくデスクに戻すか、サポートに連絡してください。データベースは変更されていません。"


@dataclass(frozen=True)
class UpgradeResult:
    from_revision: str | None
    to_revision: str | None
    upgraded: bool
    backup: Path | None = None
    warning: str | None = None


def migrations_dir() -> Path:
    base = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parents[2]))
    return base / "db"


def alembic_config(url: str, script_location: str | Path | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location or migrations_dir()))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head", *, script_location: str | Path | None = None) -> None:
    """Bring the database at ``url`` up to ``revision`` (creating it if empty).

    The connection is made here and handed to db/env.py (which does the same with it as with its
    own), so that the engine is disposed even when a migration fails: otherwise its pooled
    connection would linger until garbage collection.
    """
    from booking_app.store.engine import PG_MAINTENANCE_TIMEOUTS, make_engine

    cfg = alembic_config(url, script_location)
    engine = make_engine(url, pg_timeouts=PG_MAINTENANCE_TIMEOUTS)  # index builds may take minutes
    try:
        with engine.connect() as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, revision)
    finally:
        engine.dispose()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(url: str = "sqlite://", *, script_location: str | Path | None = None) -> str | None:
    return ScriptDirectory.from_config(alembic_config(url, script_location)).get_current_head()


def known_revisions(script_location: str | Path | None = None) -> set[str]:
    """Every revision this build of the app has a migration for."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://", script_location))
    return {rev.revision for rev in script.walk_revisions()}


def needs_upgrade(engine: Engine) -> bool:
    return current_revision(engine) != head_revision(str(engine.url))


def _state(url: str) -> tuple[bool, str | None]:
    """(has tables, current revision) of the database at url; a missing SQLite file has neither."""
    from booking_app.store.engine import is_sqlite, make_engine

    if is_sqlite(url):
        from sqlalchemy.engine import make_url

        path = make_url(url).database
        if not path or path == ":memory:" or not Path(path).exists():
            return False, None
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            tables = inspect(conn).get_table_names()
            revision = MigrationContext.configure(conn).get_current_revision()
        return bool(tables), revision
    finally:
        engine.dispose()


def needs_owner_credential(url: str) -> bool:
    """A PostgreSQL URL without a user: migrations must be run as the schema owner, whose user and
    password are asked for (``db upgrade``, 初回起動ウィザード, an administrator at start) and never stored."""
    from booking_app import config

    return config.is_postgres_url(url) and not config.has_credentials(url)


def owner_url(url: str, user: str, password: str) -> str:
    """url connecting as the schema owner (for this upgrade only; never saved)."""
    from booking_app import config

    return config.with_credentials(url, user, password)


def upgrade_as_owner(url: str, user: str, password: str, backups_dir: Path | None = None) -> UpgradeResult:
    """:func:`safe_upgrade` connected as the schema owner ``user`` (no terminal keeps the
    owner's credential; the person updating the database types it)."""
    return safe_upgrade(owner_url(url, user, password), backups_dir)


def owner_credential_url(url: str, owner: str | None, *, environ: Mapping[str, str] | None = None,
                         ask: Callable[[str], str] = input,
                         ask_secret: Callable[[str], str] | None = None) -> str:
    """``db upgrade``: url as the schema owner, unless it already names a user and no ``--owner``
    is given. The owner is ``--owner`` or asked (default ``fukufuku_owner``); the password is
    ``PGPASSWORD`` or asked without echo (getpass). Nothing is stored."""
    import getpass
    import os

    from booking_app import config
    from booking_app.domain.errors import ValidationError

    if not config.is_postgres_url(url) or (not owner and config.has_credentials(url)):
        return url
    environ = os.environ if environ is None else environ
    ask_secret = ask_secret or getpass.getpass
    user = (owner or "").strip()
    if not user:
        user = ask(f"データベースの所有者のユーザー名 [{config.DEFAULT_OWNER}]: ").strip() or config.DEFAULT_OWNER
    password = environ.get("PGPASSWORD") or ask_secret(f"「{user}」のパスワード（表示されません）: ")
    if not password:
        raise ValidationError("所有者のパスワードが入力されていません。パスワードを入力するか、"
                              "環境変数 PGPASSWORD に設定してから実行してください。", field="パスワード")
    return owner_url(url, user, password)


def safe_upgrade(url: str, backups_dir: Path | None = None, *,
                 script_location: str | Path | None = None) -> UpgradeResult:
    """Upgrade like :func:`upgrade`, but back the database up first and never leave it half-migrated.

    Raises :class:`MigrationFailed` (Japanese message: what happened, where the backup is, what to do).
    Errors reaching the database at all (wrong path, server down) propagate unchanged.
    """
    from booking_app.store import backup as bk
    from booking_app.store.engine import is_sqlite

    has_tables, before = _state(url)
    head = head_revision(url, script_location=script_location)
    if has_tables and before == head:
        return UpgradeResult(before, head, upgraded=False)
    if before is not None and before not in known_revisions(script_location):
        raise MigrationFailed(
            f"このデータベースは、より新しいバージョンのふくふくデスクで更新されています（リビジョン {before}）。"
            "新しいバージョンのふくふくデスクを使ってください。データベースは変更されていません。")

    saved: Path | None = None
    plain: Path | None = None  # an encrypted backup's private plain copy, kept until the upgrade is done
    warning: str | None = None
    if has_tables:
        folder = Path(backups_dir) if backups_dir is not None else bk.backups_dir()
        if is_sqlite(url) or bk.find_pg_dump() is not None:
            # Encrypted when the backup encryption is set up; the plain copy stays private
            # for the rollback below and is removed at the end.
            taken = bk.take_backup(url, folder, "premigrate", keep_plain=True)
            saved, plain = taken.path, taken.plain
        else:
            # Safe without a dump: every pending migration runs in one PostgreSQL transaction.
            warning = ("pg_dump が見つからないため、更新前のバックアップを取らずにデータベースを更新しました"
                       "（PostgreSQLでは更新が失敗すると自動的に元に戻ります）。")
            log.warning("no pg_dump: upgrading %s without a pre-migration dump", url.split("@")[-1])
        if saved is not None:
            log.info("pre-migration backup: %s", saved)
    try:
        _upgrade_or_roll_back(url, script_location, has_tables, before, head, saved, plain)
    finally:
        bk.discard_plain(plain)
    return UpgradeResult(before, head, upgraded=True, backup=saved, warning=warning)


def _upgrade_or_roll_back(url: str, script_location: str | Path | None, has_tables: bool, before: str | None,
                          head: str | None, saved: Path | None, plain: Path | None) -> None:
    from booking_app.store import backup as bk
    from booking_app.store.engine import is_sqlite

    try:
        upgrade(url, script_location=script_location)
    except Exception as exc:
        if not has_tables:
            raise  # a new database: nothing to protect; "cannot open" is the caller's message
        log.exception("migration from %s to %s failed", before, head)
        detail = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        if is_sqlite(url) and saved is not None:
            try:
                bk.copy_into(plain or saved, bk.sqlite_path(url))
            except Exception as restore_exc:  # noqa: BLE001 - the message below says where the copy is
                log.exception("could not put the pre-migration copy back")
                raise MigrationFailed(
                    f"データベースの更新に失敗し（{detail}）、元に戻すこともできませんでした（{restore_exc}）。"
                    f"更新前のバックアップ：{saved}\n"
                    "ふくふくデスクを使わずに、このバックアップを保管したままサポートに連絡してください。",
                    backup=saved) from exc
        where = f"更新前のバックアップ：{saved}\n" if saved is not None else ""
        raise MigrationFailed(
            f"データベースを新しい形に更新できませんでした（リビジョン {before} → {head}、{detail}）。\n"
            f"{where}{WHAT_TO_DO}", backup=saved) from exc
