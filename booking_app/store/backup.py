"""Backups (バックアップ) of the database: automatic ones for SQLite, pg_dump for PostgreSQL, and restore.

SQLite copies are taken with SQLite's online backup API, never by copying the file: a plain copy of a
WAL database in use can miss committed pages that are still in the ``-wal`` file, or catch a page in
the middle of a checkpoint. In WAL mode the backup reads one snapshot while writers carry on (a WAL
reader never blocks a writer), so the whole copy is done in one step; for a database in rollback
mode it is done in slices with a pause between them, so a writer waits at most for one slice. Every
copy must pass ``PRAGMA integrity_check`` before it is kept.

Automatic backups live in ``<user data folder>/backups`` (``BOOKING_APP_BACKUP_DIR`` overrides it),
named ``booking-YYYYMMDD-HHMMSS-<reason>.sqlite3``; :data:`KEEP` says how many of each reason are kept.
On POSIX the folder is 0700 and every backup file 0600: each copy holds every name and payment.

A restore trusts the backup's data, never its schema: a crafted file could carry a trigger
that skips receipt numbers or deletes audit rows, and the app would run it from then on. Before the
switch, :func:`check_backup_schema` compares the file's ``sqlite_master`` object by object with the
schema the app's own migrations make at the file's revision, and refuses the first extra, missing or
different table, index, trigger or view.
"""

from __future__ import annotations

import functools
import glob
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from booking_app import clock
from booking_app.domain.errors import RuleError, ValidationError

if TYPE_CHECKING:  # annotations only (backup_crypto imports this module)
    from booking_app.store.backup_crypto import EncryptionSetting

log = logging.getLogger(__name__)

ENV_BACKUP_DIR = "BOOKING_APP_BACKUP_DIR"
REASONS = ("exit", "daily", "premigrate", "prerestore", "manual")
KEEP = {"daily": 14, "exit": 10, "premigrate": 5, "prerestore": 5}  # 'manual' ones are never deleted
STEP_PAGES = 4096  # 16 MiB per slice at the default page size (rollback-journal databases only)
STEP_SLEEP_S = 0.005
SQLITE_HEADER = b"SQLite format 3\x00"
# Tables every database of this app has had since the first migration.
APP_TABLES = frozenset({"alembic_version", "rooms", "staff", "bookings", "audit_log"})
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
_NAME_RE = re.compile(
    r"^booking-(?P<day>\d{8})-(?P<time>\d{6})-(?P<reason>[a-z]+)(?:-(?P<n>\d+))?\.(?:sqlite3|dump)(?:\.enc)?$")
AUTOMATIC_REASONS = ("daily", "exit", "premigrate", "prerestore")  # the backups the app makes by itself
DEFAULT_RETENTION_DAYS = 90


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size_bytes: int
    seconds: float
    integrity: str = "ok"
    encrypted: bool = False
    pruned: int = 0  # automatic backups removed after it for being older than the retention
    oldest_kept: datetime | None = None
    plain: Path | None = None  # take_backup(keep_plain=True): the private plain copy, for the caller to remove


@dataclass(frozen=True)
class BackupStaff:
    """A staff account as the backup has it (shown to the administrator before a restore)."""

    name: str
    role: str
    active: bool
    has_password: bool
    db_login: str | None = None

    def describe(self) -> str:
        from booking_app.domain.roles import ROLE_LABELS

        parts = [ROLE_LABELS.get(self.role, self.role), "有効" if self.active else "無効",
                 "パスワード設定済み" if self.has_password else "パスワード未設定"]
        if self.db_login:
            parts.append(f"DBログイン {self.db_login}")
        return f"{self.name}（{'、'.join(parts)}）"


@dataclass(frozen=True)
class RestoreResult:
    revision: str
    needs_migration: bool
    prerestore_backup: Path | None
    message: str


# --------------------------------------------------------------------------- names and folders


def make_private_dir(folder: Path, *, tighten: bool = True) -> Path:
    """Create folder (and missing parents) as 0700 on POSIX; an existing one is brought to 0700 when
    ``tighten`` (the app's own folders). Windows: the per-user profile folder's ACL already keeps
    other users out, so nothing is changed there."""
    folder = Path(folder)
    existed = folder.is_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    if os.name == "posix" and (tighten or not existed):
        try:
            if folder.stat().st_mode & 0o777 != PRIVATE_DIR_MODE:
                os.chmod(folder, PRIVATE_DIR_MODE)  # mkdir's mode is masked by the umask
        except OSError:
            log.warning("could not make %s private (0700)", folder, exc_info=True)
    return folder


def make_private_file(path: Path) -> None:
    """Owner read/write only (0600) on POSIX; never raises (logged)."""
    if os.name != "posix":
        return
    try:
        if Path(path).stat().st_mode & 0o777 != PRIVATE_FILE_MODE:
            os.chmod(path, PRIVATE_FILE_MODE)
    except OSError:
        log.warning("could not make %s private (0600)", path, exc_info=True)


def backups_dir() -> Path:
    """``<user data folder>/backups`` (created 0700 if missing, tightened to 0700 if wider), or
    ``$BOOKING_APP_BACKUP_DIR`` (created 0700 if missing; an existing folder the administrator chose,
    such as a shared drive, keeps its permissions)."""
    override = os.environ.get(ENV_BACKUP_DIR, "").strip()
    if override:
        return make_private_dir(Path(override).expanduser(), tighten=False)
    from booking_app.config import default_db_path

    return make_private_dir(default_db_path().parent / "backups")


def new_backup_path(folder: Path, reason: str, *, now: datetime | None = None, suffix: str = ".sqlite3") -> Path:
    if reason not in REASONS:
        raise ValueError(f"unknown backup reason {reason!r}")
    folder = Path(folder)
    if not folder.is_dir():
        make_private_dir(folder)
    stamp = (now or clock.now()).strftime("%Y%m%d-%H%M%S")
    path = folder / f"booking-{stamp}-{reason}{suffix}"
    n = 2
    while path.exists():  # two backups in the same second (e.g. premigrate right after exit)
        path = folder / f"booking-{stamp}-{reason}-{n}{suffix}"
        n += 1
    return path


def parse_backup_name(name: str) -> tuple[datetime, str] | None:
    m = _NAME_RE.match(name)
    if not m or m["reason"] not in REASONS:
        return None
    try:
        when = datetime.strptime(m["day"] + m["time"], "%Y%m%d%H%M%S")
    except ValueError:
        return None
    return when, m["reason"]


def list_backups(folder: Path) -> list[tuple[datetime, str, Path]]:
    """(taken at, reason, path) of the backups in folder, newest first."""
    out: list[tuple[datetime, str, Path]] = []
    folder = Path(folder)
    if not folder.is_dir():
        return out
    for p in folder.iterdir():
        parsed = parse_backup_name(p.name)
        if parsed and p.is_file():
            out.append((parsed[0], parsed[1], p))
    out.sort(key=lambda t: (t[0], t[2].name), reverse=True)
    return out


def rotate(folder: Path, keep: dict[str, int] | None = None) -> list[Path]:
    """Delete the oldest backups of each reason beyond ``keep[reason]``; returns what was deleted."""
    keep = KEEP if keep is None else keep
    seen: dict[str, int] = {}
    removed: list[Path] = []
    for _when, reason, path in list_backups(folder):
        if reason not in keep:
            continue
        seen[reason] = seen.get(reason, 0) + 1
        if seen[reason] > keep[reason]:
            try:
                path.unlink()
                removed.append(path)
            except OSError:
                log.warning("could not delete old backup %s", path, exc_info=True)
    return removed


def daily_backup_due(folder: Path, today: date) -> bool:
    """True when the folder has no 'daily' backup taken today."""
    return not any(reason == "daily" and when.date() == today for when, reason, _p in list_backups(folder))


# --------------------------------------------------------------------------- SQLite


def sqlite_path(url: str) -> Path:
    from sqlalchemy.engine import make_url

    database = make_url(url).database
    if not database or database == ":memory:":
        raise ValidationError("メモリ上のデータベースはバックアップできません。", field="db")
    return Path(database)


def _connect_existing(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    """Open a database that must already exist (``mode=rw`` never creates an empty file by mistake)."""
    mode = "ro" if readonly else "rw"
    # as_uri() percent-encodes '#', '?', spaces and Japanese folder names, and gives file:///C:/… on Windows.
    uri = f"{Path(path).resolve().as_uri()}?mode={mode}"
    con = sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None)
    con.execute("PRAGMA busy_timeout=30000")
    return con


def _integrity(con: sqlite3.Connection) -> str:
    rows = con.execute("PRAGMA integrity_check").fetchall()
    return "\n".join(str(r[0]) for r in rows)


def _copy(src: sqlite3.Connection, dst: sqlite3.Connection) -> None:
    mode = src.execute("PRAGMA journal_mode").fetchone()[0].lower()
    if mode == "wal":
        # One step = one read snapshot; writers go on committing to the WAL meanwhile. Slicing would
        # be worse here: every commit by another process restarts a sliced backup from page 1.
        src.backup(dst)
    else:
        src.backup(dst, pages=STEP_PAGES, sleep=STEP_SLEEP_S)


def _remove_db_files(path: Path) -> None:
    for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        p.unlink(missing_ok=True)


def backup_sqlite(src_path: Path | str, dest_path: Path | str) -> BackupResult:
    """Copy the SQLite database at src_path to dest_path (a single self-contained file) and check it.

    The copy is written under a temporary name and renamed only after ``integrity_check`` says ok,
    so a backup file that exists is a good one. Raises RuleError (Japanese) otherwise.
    """
    src_path, dest_path = Path(src_path), Path(dest_path)
    if not src_path.is_file():
        raise ValidationError(f"データベースファイル「{src_path}」が見つかりません。", field="db")
    if not dest_path.parent.is_dir():
        make_private_dir(dest_path.parent)
    part = dest_path.with_name(dest_path.name + ".part")
    _remove_db_files(part)
    _create_private(part)  # 0600 from the first byte: the copy holds every name and payment
    t0 = time.perf_counter()
    try:
        src = _connect_existing(src_path)
        try:
            dst = sqlite3.connect(part, isolation_level=None)
            try:
                _copy(src, dst)
                # The copy carries the source's WAL flag; make it one file that opens anywhere.
                dst.execute("PRAGMA journal_mode=DELETE")
                result = _integrity(dst)
            finally:
                dst.close()
        finally:
            src.close()
    except sqlite3.Error as exc:
        _remove_db_files(part)
        raise RuleError(f"バックアップを作成できませんでした（{exc}）。") from exc
    if result != "ok":
        _remove_db_files(part)
        raise RuleError(f"バックアップの検査（integrity_check）で異常が見つかったため、バックアップを破棄しました：{result[:200]}")
    make_private_file(part)
    os.replace(part, dest_path)
    _fsync_dir(dest_path.parent)
    seconds = time.perf_counter() - t0
    log.info("backup %s -> %s in %.2f s", src_path, dest_path, seconds)
    return BackupResult(dest_path, dest_path.stat().st_size, seconds)


def _create_private(path: Path) -> None:
    """Create an empty file that only its owner can read (POSIX 0600, whatever the umask)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    os.close(fd)
    make_private_file(path)


def _fsync_dir(folder: Path) -> None:
    """Make the rename durable (POSIX); Windows has no directory handles for this and needs none."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def copy_into(backup_file: Path | str, db_path: Path | str) -> None:
    """Write backup_file's content into the database at db_path with the backup API (no checks).

    Copying into the live database (not over its file) is a normal write transaction: other
    connections see the old or the new content, never a mix, and the ``-wal`` stays consistent.
    """
    backup_file, db_path = Path(backup_file), Path(db_path)
    if not db_path.exists():
        # A -wal/-shm without its database is left over from a deleted file: it must not be
        # replayed into the new one. Nothing can be using it, so removing it is safe.
        for p in (Path(f"{db_path}-wal"), Path(f"{db_path}-shm"), Path(f"{db_path}-journal")):
            p.unlink(missing_ok=True)
    src = _connect_existing(backup_file, readonly=True)
    try:
        dst = sqlite3.connect(db_path, timeout=30, isolation_level=None)
        try:
            dst.execute("PRAGMA busy_timeout=30000")
            src.backup(dst)
            if dst.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                dst.execute("PRAGMA journal_mode=WAL")
            # Fold the restored pages into the main file now; SQLite deletes the -wal itself when
            # the last connection closes, which is the only moment removing it is safe.
            dst.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            dst.close()
    finally:
        src.close()


def check_backup_file(path: Path | str, *, known: set[str] | None = None, schema: bool = True,
                      name: str | None = None) -> str:
    """Refuse anything that is not a sound backup of this app's database; returns its revision.

    With ``schema`` (the default) its tables, indexes, triggers and views must also be exactly what
    the app's migrations make at that revision (:func:`check_backup_schema`). ``name`` is the file's
    name in messages (a decrypted backup is checked in a temporary file)."""
    from booking_app.store.migrate import known_revisions

    path = Path(path)
    shown = name or path.name
    if not path.is_file():
        raise ValidationError(f"ファイル「{path}」が見つかりません。", field="file")
    with path.open("rb") as f:
        header = f.read(len(SQLITE_HEADER))
    if header != SQLITE_HEADER:
        raise ValidationError(f"「{shown}」はSQLiteのデータベースファイルではありません。"
                              "ふくふくデスクのバックアップファイル（.sqlite3）を指定してください。", field="file")
    try:
        con = _connect_existing(path, readonly=True)
        try:
            result = _integrity(con)
            if result != "ok":
                raise RuleError(f"「{shown}」は壊れています（integrity_check：{result[:200]}）。"
                                "別のバックアップを指定してください。", field="file")
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            missing = APP_TABLES - tables
            if missing:
                raise RuleError(f"「{shown}」はふくふくデスクのデータベースではありません"
                                f"（{'、'.join(sorted(missing))} の表がありません）。", field="file")
            row = con.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise RuleError(f"「{shown}」は壊れているか、データベースとして読めません（{exc}）。"
                        "別のバックアップを指定してください。", field="file") from exc
    if row is None:
        raise RuleError(f"「{shown}」にはデータベースの版（リビジョン）の記録がありません。", field="file")
    revision: str = row[0]
    if revision not in (known if known is not None else known_revisions()):
        raise RuleError(f"「{shown}」は、より新しいバージョンのふくふくデスクで作られたバックアップです"
                        f"（リビジョン {revision}）。新しいバージョンのふくふくデスクで復元してください。", field="file")
    if schema:
        check_backup_schema(path, revision, name=shown)
    return revision


# --------------------------------------------------------------------------- the backup's schema

SCHEMA_KINDS = {"table": "表", "view": "ビュー", "index": "索引", "trigger": "トリガー"}
_KIND_ORDER = {"trigger": 0, "view": 1, "table": 2, "index": 3}  # the most dangerous surprises first
_QUOTES = {"'": "'", '"': '"', "`": "`", "[": "]"}
_CONSTRAINT_RE = re.compile(r"^(CONSTRAINT|PRIMARY KEY|UNIQUE|FOREIGN KEY|CHECK)\b", re.IGNORECASE)


def _tokens(sql: str) -> list[str]:
    """sql as quoted literals/identifiers (kept verbatim), ``(``, ``)``, ``,``, one blank, and words."""
    out: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        c = sql[i]
        if c in _QUOTES:
            close = _QUOTES[c]
            j = i + 1
            while j < n:
                if sql[j] == close:
                    if close != "]" and j + 1 < n and sql[j + 1] == close:  # '' inside a literal
                        j += 2
                        continue
                    break
                j += 1
            out.append(sql[i:j + 1])
            i = j + 1
        elif c.isspace():
            while i < n and sql[i].isspace():
                i += 1
            out.append(" ")
        elif c in "(),":
            out.append(c)
            i += 1
        else:
            j = i
            while j < n and not sql[j].isspace() and sql[j] not in "()," and sql[j] not in _QUOTES:
                j += 1
            out.append(sql[i:j])
            i = j
    # no blank at either end nor next to ( ) ,
    keep = []
    for k, t in enumerate(out):
        if t == " " and (k == 0 or k == len(out) - 1 or out[k - 1] in "()," or out[k + 1] in "(),"):
            continue
        keep.append(t)
    return keep


def normalise_sql(sql: str | None) -> str:
    """The form in which two CREATE statements are compared.

    Blanks outside quotes are made one (none around ``( ) ,``); quoted text, case and every word are
    kept: ``'active'`` and ``'ACTIVE'`` in a CHECK are different rules. In a CREATE TABLE the table
    constraints (CONSTRAINT, PRIMARY KEY, UNIQUE, FOREIGN KEY, CHECK) are sorted, because Alembic's
    batch mode on SQLite writes them in an order that changes from one run to the next; the columns
    keep their order."""
    if sql is None:
        return ""
    tokens = _tokens(sql.strip().rstrip(";").strip())
    if len(tokens) < 3 or not tokens[0].upper().startswith("CREATE") or "TABLE" not in (
            t.upper() for t in tokens[:4]):
        return "".join(tokens)
    try:
        open_at = tokens.index("(")
    except ValueError:
        return "".join(tokens)
    depth, close_at = 0, None
    items: list[str] = []
    current: list[str] = []
    for k in range(open_at, len(tokens)):
        t = tokens[k]
        if t == "(":
            depth += 1
            if depth == 1:
                continue
        elif t == ")":
            depth -= 1
            if depth == 0:
                items.append("".join(current))
                close_at = k
                break
        elif t == "," and depth == 1:
            items.append("".join(current))
            current = []
            continue
        current.append(t)
    if close_at is None:  # unbalanced: compare it as written
        return "".join(tokens)
    columns = [i for i in items if not _CONSTRAINT_RE.match(i)]
    constraints = sorted(i for i in items if _CONSTRAINT_RE.match(i))
    return ("".join(tokens[:open_at]) + "(" + ",".join(columns + constraints) + ")"
            + "".join(tokens[close_at + 1:]))


def schema_objects(con: sqlite3.Connection) -> dict[tuple[str, str], tuple[str, str]]:
    """``{(type, name): (table, normalised sql)}`` of every table, index, trigger and view in
    ``sqlite_master``. SQLite's own objects (``sqlite_sequence``, ``sqlite_stat1`` from ``PRAGMA
    optimize``, ``sqlite_autoindex_*`` implied by a table's UNIQUE) are left out: no one can create an
    object under that prefix, and what they hold is data, not code."""
    rows = con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master "
                       "WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'").fetchall()
    return {(t, n): (tbl, normalise_sql(sql)) for t, n, tbl, sql in rows}


@functools.lru_cache(maxsize=8)
def reference_schema(revision: str) -> dict[tuple[str, str], tuple[str, str]]:
    """The schema the app's migrations make at ``revision``, read from a temporary empty SQLite file
    migrated to it (about a second; kept for the process since the migrations never change under it)."""
    from booking_app.store.migrate import upgrade

    with tempfile.TemporaryDirectory(prefix="fukufuku-schema-") as tmp:
        path = Path(tmp) / "reference.sqlite3"
        upgrade(f"sqlite:///{path.as_posix()}", revision)
        con = sqlite3.connect(path)
        try:
            return schema_objects(con)
        finally:
            con.close()


def _object_label(kind: str, name: str) -> str:
    return f"{SCHEMA_KINDS.get(kind, kind)}「{name}」"


def check_backup_schema(path: Path | str, revision: str, *, name: str | None = None) -> None:
    """Refuse a backup whose schema is not exactly what this app's migrations make at its revision.

    The first surprise, in the order trigger, view, table, index, then by name, is named in Japanese:
    an object the app never makes, one it makes that is missing, or one whose definition differs."""
    path = Path(path)
    shown = name or path.name
    con = _connect_existing(path, readonly=True)
    try:
        found = schema_objects(con)
    finally:
        con.close()
    expected = reference_schema(revision)
    fix = "ふくふくデスクが作ったバックアップファイル（手を加えていないもの）を指定してください。"
    for key in sorted(found.keys() | expected.keys(), key=lambda k: (_KIND_ORDER.get(k[0], 9), k[1])):
        what = _object_label(*key)
        if key not in expected:
            raise RuleError(f"バックアップ「{shown}」に、このアプリが作らない{what}があります。"
                            f"復元を中止しました。{fix}", field="file")
        if key not in found:
            raise RuleError(f"バックアップ「{shown}」に、このアプリの{what}がありません。"
                            f"復元を中止しました。{fix}", field="file")
        if found[key] != expected[key]:
            raise RuleError(f"バックアップ「{shown}」の{what}の定義が、このアプリ（リビジョン {revision}）"
                            f"のものと違います。復元を中止しました。{fix}", field="file")


def backup_staff(path: Path | str) -> list[BackupStaff]:
    """The staff accounts in a backup file (older revisions lack the password and login columns)."""
    con = _connect_existing(Path(path), readonly=True)
    try:
        columns = {r[1] for r in con.execute("PRAGMA table_info(staff)")}
        pw = "password_hash IS NOT NULL AND password_hash <> ''" if "password_hash" in columns else "0"
        login = "db_login" if "db_login" in columns else "NULL"
        rows = con.execute(f"SELECT name, role, active, {pw}, {login} FROM staff ORDER BY id").fetchall()
    finally:
        con.close()
    return [BackupStaff(str(n), str(r), bool(a), bool(p), lg) for n, r, a, p, lg in rows]


def staff_summary(staff: list[BackupStaff]) -> str:
    """The lines shown to the administrator before a restore: who will be able to act afterwards."""
    if not staff:
        return "このバックアップには職員のアカウントがありません。"
    admins = sum(1 for s in staff if s.role == "admin" and s.active)
    lines = [f"このバックアップの職員アカウント（{len(staff)}人、有効なシステム管理 {admins}人）。"
             "復元すると、この人たちが使えるようになります："]
    lines += [f"  ・{s.describe()}" for s in staff]
    return "\n".join(lines)


def inspect_backup(path: Path | str, *, name: str | None = None) -> tuple[str, list[BackupStaff]]:
    """Every check a restore makes (file, integrity, revision, schema), then the backup's staff list.
    An encrypted backup is opened first (:func:`booking_app.store.backup_crypto.opened_backup`)."""
    revision = check_backup_file(path, name=name)
    return revision, backup_staff(path)


def restore_sqlite(backup_file: Path | str, db_path: Path | str, *, folder: Path | None = None,
                   name: str | None = None, ask: Callable[[Path], str] | None = None) -> RestoreResult:
    """Put backup_file in place of the database at db_path, after checking it and saving the current one.

    An encrypted backup is first decrypted (passphrase from ``ask(path)``, default the terminal) to a
    private temporary file, which then goes through the same checks; ``name`` is the file's name in
    messages. The current database is first saved as a 'prerestore' backup (encrypted when set up;
    a damaged one as raw files, so that nothing is ever lost by a restore). Close the app on every
    terminal first.
    """
    from booking_app.config import sqlite_url_for
    from booking_app.store import backup_crypto
    from booking_app.store.migrate import head_revision

    backup_file, db_path = Path(backup_file), Path(db_path)
    if backup_file.resolve() == db_path.resolve():
        raise ValidationError("復元するファイルが、現在のデータベースそのものです。", field="file")
    if backup_crypto.is_encrypted(backup_file):
        with backup_crypto.opened_backup(backup_file, ask, folder=folder) as plain:
            return restore_sqlite(plain, db_path, folder=folder, name=name or backup_file.name)
    shown = name or backup_file.name
    revision = check_backup_file(backup_file, name=shown)  # the file, its integrity, revision and schema
    folder = Path(folder) if folder is not None else backups_dir()
    saved: Path | None = None
    if db_path.exists():
        try:
            saved = take_backup(sqlite_url_for(db_path), folder, "prerestore").path
        except Exception:  # noqa: BLE001 - RuleError from the check, or a database too damaged to read
            # The current database is damaged (often the very reason to restore): keep its raw files.
            saved = new_backup_path(folder, "prerestore")
            log.warning("current database fails its check; keeping raw files as %s", saved, exc_info=True)
            shutil.copy2(db_path, saved)
            make_private_file(saved)
            for extra in ("-wal", "-shm"):
                if Path(f"{db_path}{extra}").exists():
                    shutil.copy2(f"{db_path}{extra}", f"{saved}{extra}")
                    make_private_file(Path(f"{saved}{extra}"))
    else:
        make_private_dir(db_path.parent, tighten=False)
    copy_into(backup_file, db_path)
    make_private_file(db_path)
    con = _connect_existing(db_path)  # read-write: the last one to close tidies the -wal away
    try:
        after = _integrity(con)
    finally:
        con.close()
    if after != "ok":  # pragma: no cover - the source passed the same check a moment ago
        raise RuleError(f"復元後の検査で異常が見つかりました：{after[:200]}。"
                        f"復元前のデータベースは {saved} に保存してあります。")
    needs = revision != head_revision()
    lines = [f"「{shown}」からデータベースを復元しました（{db_path}）。"]
    if saved is not None:
        lines.append(f"復元前のデータベースは {saved} に保存しました。")
    if needs:
        lines.append("このバックアップは古い版のデータベースです。次にふくふくデスクを起動したときに、最新の形に自動で更新されます。")
    return RestoreResult(revision, needs, saved, "\n".join(lines))


# --------------------------------------------------------------------------- PostgreSQL


def find_pg_dump(tool: str = "pg_dump") -> str | None:
    found = shutil.which(tool)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{tool}"), key=_version_key, reverse=True)
    return candidates[0] if candidates else None


def _version_key(path: str) -> int:
    m = re.search(r"/postgresql/(\d+)/", path)
    return int(m[1]) if m else 0


def pg_args(url: str) -> tuple[list[str], dict[str, str]]:
    """Connection arguments and environment for the libpq tools; the password goes in PGPASSWORD,
    never on the command line where other users could read it."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    args: list[str] = []
    if u.host:
        args += ["-h", u.host]
    if u.port:
        args += ["-p", str(u.port)]
    if u.username:
        args += ["-U", u.username]
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    host = u.query.get("host")
    if isinstance(host, str) and not u.host:  # unix socket directory given as ?host=/run/...
        args += ["-h", host]
    args += ["-d", u.database or "postgres"]
    return args, env


def backup_postgres(url: str, dest_path: Path | str, *, timeout_s: float = 3600) -> BackupResult:
    """``pg_dump -Fc`` of the database at url into dest_path (restore with ``pg_restore``)."""
    exe = find_pg_dump()
    if exe is None:
        raise RuleError("pg_dump が見つかりません。PostgreSQLのクライアント（pg_dump）をインストールし、"
                        "PATH に追加してからやり直してください。")
    dest_path = Path(dest_path)
    if not dest_path.parent.is_dir():
        make_private_dir(dest_path.parent)
    part = dest_path.with_name(dest_path.name + ".part")
    part.unlink(missing_ok=True)
    _create_private(part)  # pg_dump -f truncates it and keeps its mode
    args, env = pg_args(url)
    t0 = time.perf_counter()
    try:
        proc = subprocess.run([exe, "-Fc", "--no-password", "-f", str(part), *args], env=env,
                              capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired as exc:
        part.unlink(missing_ok=True)
        raise RuleError(f"pg_dump が {timeout_s:.0f} 秒で終わりませんでした。") from exc
    if proc.returncode != 0:
        part.unlink(missing_ok=True)
        detail = (proc.stderr or "").strip().splitlines()
        raise RuleError(f"pg_dump でバックアップを作成できませんでした：{detail[-1] if detail else proc.returncode}")
    make_private_file(part)
    os.replace(part, dest_path)
    return BackupResult(dest_path, dest_path.stat().st_size, time.perf_counter() - t0, integrity="pg_dump ok")


def backup_database(url: str, dest_path: Path | str) -> BackupResult:
    from booking_app.store.engine import is_sqlite

    if is_sqlite(url):
        return backup_sqlite(sqlite_path(url), dest_path)
    return backup_postgres(url, dest_path)


AUTOMATIC_LABELS = {"daily": "起動時の自動バックアップ", "exit": "終了時の自動バックアップ"}


def database_revision(url: str) -> str | None:
    """The alembic revision of the database at url (None if unknown); never raises."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as con:
            return con.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:  # noqa: BLE001 - only a label in the encrypted file's header
        return None
    finally:
        engine.dispose()


def encrypted_backup(url: str, dest: Path | str, setting: EncryptionSetting, *, scratch: Path | None = None,
                     keep_plain: bool = False) -> tuple[BackupResult, Path | None]:
    """Back up the database at url (SQLite file or pg_dump) encrypted to ``setting``'s recipient into
    ``dest``. The plain copy is a private temporary file in ``scratch`` (the 0700 backups folder),
    removed after encryption, also on error; with ``keep_plain`` it is returned instead (the
    caller removes it with :func:`discard_plain`)."""
    from booking_app.store import backup_crypto
    from booking_app.store.engine import is_sqlite

    dest = Path(dest)
    scratch = Path(scratch) if scratch is not None else backups_dir()
    plain = backup_crypto._private_temp(scratch, ".sqlite3" if is_sqlite(url) else ".dump")
    t0 = time.perf_counter()
    try:
        result = backup_database(url, plain)
        info = {"kind": "sqlite" if is_sqlite(url) else "pg_dump",
                "created": clock.now().isoformat(timespec="seconds"), "revision": database_revision(url),
                "plain_size": result.size_bytes}
        size = backup_crypto.encrypt_file(plain, dest, setting, info)
    except BaseException:
        discard_plain(plain)
        raise
    if not keep_plain:
        discard_plain(plain)
    seconds = time.perf_counter() - t0
    log.info("encrypted backup -> %s in %.2f s", dest, seconds)
    return (BackupResult(dest, size, seconds, integrity=f"{result.integrity}・暗号化済み", encrypted=True),
            plain if keep_plain else None)


def discard_plain(plain: Path | str | None) -> None:
    if plain is None:
        return
    plain = Path(plain)
    for p in (plain, plain.with_name(plain.name + ".part"), Path(f"{plain}-wal"), Path(f"{plain}-shm"),
              Path(f"{plain}-journal")):
        try:
            p.unlink(missing_ok=True)
        except OSError:
            log.warning("could not remove the temporary plain copy %s", p, exc_info=True)


def take_backup(url: str, folder: Path | str, reason: str, *, keep_plain: bool = False) -> BackupResult:
    """The app's own backup ('daily', 'exit', 'premigrate', 'prerestore') of the database at url into
    folder: encrypted (``….sqlite3.enc`` / ``….dump.enc``) when the encryption is set up in that
    database, else plain. With ``keep_plain`` an encrypted backup's plain copy is kept for the caller
    as ``result.plain`` (see :func:`encrypted_backup`)."""
    from booking_app.store import backup_crypto
    from booking_app.store.engine import is_sqlite

    folder = Path(folder)
    suffix = ".sqlite3" if is_sqlite(url) else ".dump"
    setting = backup_crypto.read_encryption(url)
    if setting is None:
        return backup_database(url, new_backup_path(folder, reason, suffix=suffix))
    dest = new_backup_path(folder, reason, suffix=suffix + backup_crypto.ENCRYPTED_SUFFIX)
    result, plain = encrypted_backup(url, dest, setting, scratch=folder, keep_plain=keep_plain)
    return replace(result, plain=plain) if keep_plain else result


def prune_backups(folder: Path | str, days: int, *, now: datetime | None = None) -> tuple[list[Path], datetime | None]:
    """Remove the automatic backups (daily, exit, premigrate, prerestore) in folder taken more than
    ``days`` days before ``now``; the newest automatic backup is never removed, whatever its age, and
    any other file (an administrator's own backup) is never touched. Returns (removed, oldest kept)."""
    from datetime import timedelta

    now = now or clock.now()
    cutoff = now - timedelta(days=days)
    automatic = [(when, path) for when, reason, path in list_backups(Path(folder)) if reason in AUTOMATIC_REASONS]
    removed: list[Path] = []
    kept: list[datetime] = []
    for i, (when, path) in enumerate(automatic):  # newest first
        if i > 0 and when < cutoff:
            try:
                path.unlink()
                removed.append(path)
                continue
            except OSError:
                log.warning("could not delete old backup %s", path, exc_info=True)
        kept.append(when)
    _remove_stale_plain(Path(folder), now)
    return removed, (min(kept) if kept else None)


def _remove_stale_plain(folder: Path, now: datetime) -> None:
    """A plain temporary copy left by a crash in the middle of an encryption (power cut): removed once a
    day old (a younger one may be another terminal's backup being encrypted right now)."""
    from booking_app.store.backup_crypto import PLAIN_PREFIX

    limit = now.timestamp() - 24 * 3600
    for p in folder.glob(f"{PLAIN_PREFIX}*") if folder.is_dir() else ():
        try:
            if p.is_file() and p.stat().st_mtime < limit:
                p.unlink()
                log.warning("removed a plain copy left by an interrupted encryption: %s", p.name)
        except OSError:
            log.warning("could not remove %s", p, exc_info=True)
