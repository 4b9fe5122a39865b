"""The app's own backups as use cases (自動バックアップ): when to take them, how long to keep them, and the
audit row each one leaves.

``store/backup.py`` knows files and databases (copy, check, encrypt, rotate, prune, restore) and nothing
of staff or settings; this module adds what needs them: the retention period from the privacy settings,
and who the audit trail names for an unattended backup or a restore.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select

from booking_app.services.common import Actor, audit
from booking_app.services.privacy import get_privacy_settings
from booking_app.store import backup as store_backup
from booking_app.store.backup import BackupResult
from booking_app.store.engine import is_sqlite, make_engine, read_session, write_session
from booking_app.store.migrate import needs_upgrade
from booking_app.store.models import AuditEntry, Staff

log = logging.getLogger(__name__)


def retention_days(url: str) -> int:
    """How long automatic backups are kept (プライバシー設定 backup_retention_days; 90 if unknown)."""
    engine = make_engine(url)
    try:
        with read_session(engine) as s:
            days = int(get_privacy_settings(s).backup_retention_days)
        return days if days > 0 else store_backup.DEFAULT_RETENTION_DAYS
    except Exception:  # noqa: BLE001 - an older database or a damaged setting: the default
        log.warning("could not read backup_retention_days; keeping %d days", store_backup.DEFAULT_RETENTION_DAYS, exc_info=True)
        return store_backup.DEFAULT_RETENTION_DAYS
    finally:
        engine.dispose()


def automatic_backup(url: str, reason: str, *, folder: Path | None = None, staff_id: int | None = None,
                     record: bool = True) -> BackupResult | None:
    """The app's own backups ('exit', 'daily'): SQLite only, then rotate. None for PostgreSQL (its
    backups are the server's pg_dump schedule, see the admin guide).

    Unless ``record`` is False the backup is then recorded in the audit trail by
    :func:`record_automatic`, as ``staff_id`` or else the staff member who signed in last.
    """
    if not is_sqlite(url):
        return None
    folder = Path(folder) if folder is not None else store_backup.backups_dir()
    result = store_backup.take_backup(url, folder, reason)  # encrypted when set up
    store_backup.rotate(folder)
    days = retention_days(url)
    removed, oldest = store_backup.prune_backups(folder, days)
    if removed:
        log.info("removed %d automatic backups older than %d days; the oldest kept is from %s",
                 len(removed), days, oldest)
    result = replace(result, pruned=len(removed), oldest_kept=oldest)
    if record:
        record_automatic(url, reason, result, staff_id=staff_id)
    return result


def record_automatic(url: str, reason: str, result: BackupResult, *, staff_id: int | None = None) -> bool:
    """One audit row for an automatic backup: which kind, file and size (the copy holds every name and
    payment, so the trail says it was taken). The actor is ``staff_id`` when the caller knows who is
    signed in, else the staff member whose sign-in is the latest in the trail (the one on duty at this
    terminal), else the first manager. Never raises: a backup must never stop the desk (logged)."""
    label = store_backup.AUTOMATIC_LABELS.get(reason, "自動バックアップ")
    summary = f"{label}を作成（{result.path.name}、{result.size_bytes / 1e6:,.1f} MB{'、暗号化' if result.encrypted else ''}）"
    after = {"file": result.path.name, "reason": reason, "encrypted": result.encrypted}
    if result.pruned:
        oldest = result.oldest_kept.strftime("%Y-%m-%d") if result.oldest_kept else "なし"
        summary += f"。保存期間を過ぎた自動バックアップ{result.pruned}件を削除（残る最も古いもの：{oldest}）"
        after.update(pruned=result.pruned, oldest_kept=oldest)
    try:
        return record_in_audit(url, "backup", summary, after, staff_id=staff_id, on_duty=True)
    except Exception:  # noqa: BLE001
        log.warning("recording the %s backup in the audit trail failed", reason, exc_info=True)
        return False


class BackupThread(threading.Thread):
    """The thread of :func:`start_daily_backup`; ``result`` is its backup once done (None before or on failure)."""

    result: BackupResult | None = None


def start_daily_backup(url: str, today: date, *, folder: Path | None = None) -> BackupThread | None:
    """At start: if today's 'daily' backup is missing, take it in a background thread (the window
    opens meanwhile; a WAL backup does not hold up the desk's writes). Returns the thread or None.
    Never raises: a failed backup is logged and retried at the next start.

    The backup runs while the staff member signs in, so nobody is on duty yet to record it as: the
    thread keeps its result (``thread.result``) and :func:`exit_backup` records it in the audit trail
    as the staff member on duty at closing."""
    try:
        if not is_sqlite(url):
            return None
        folder = Path(folder) if folder is not None else store_backup.backups_dir()
        if not store_backup.daily_backup_due(folder, today):
            return None
    except Exception:  # noqa: BLE001 - a backup problem must never stop the desk from opening
        log.warning("daily backup check failed", exc_info=True)
        return None

    def work() -> None:
        try:
            thread.result = automatic_backup(url, "daily", folder=folder, record=False)
        except Exception:  # noqa: BLE001
            log.warning("daily backup failed", exc_info=True)

    thread = BackupThread(target=work, name="fukufuku-daily-backup", daemon=False)  # finish even if the app closes first
    thread.result = None
    thread.start()
    return thread


def exit_backup(url: str, pending: BackupThread | None = None, *, folder: Path | None = None,
                staff_id: int | None = None) -> BackupResult | None:
    """On closing: wait for a daily backup still running and record it in the audit trail, then take the
    'exit' backup, rotate and record it (both as ``staff_id``, else the staff member signed in last).
    Never raises (logged)."""
    try:
        if pending is not None:
            pending.join()
            daily = getattr(pending, "result", None)
            if daily is not None:
                record_automatic(url, "daily", daily, staff_id=staff_id)
                pending.result = None  # recorded once
        return automatic_backup(url, "exit", folder=folder, staff_id=staff_id)
    except Exception:  # noqa: BLE001 - closing the app must always succeed
        log.warning("backup at exit failed", exc_info=True)
        return None


def record_in_audit(url: str, action: str, summary: str, after: dict[str, Any], *, staff: str | None = None,
                    staff_id: int | None = None, on_duty: bool = False) -> bool:
    """Record a backup or a restore in the audit trail of the database at ``url``, as the staff
    member with ``staff_id`` or named ``staff``, else (``on_duty``) the one whose sign-in is the latest in
    the trail, else the first manager. Returns False (and records nothing) when the database is not at
    the current schema (a restored older file: the entry follows at its upgrade) or has no staff."""
    engine = make_engine(url)
    try:
        if needs_upgrade(engine):
            return False
        with write_session(engine) as s:
            q = select(Staff).order_by(Staff.id)
            people = list(s.scalars(q))
            who = next((p for p in people if staff_id is not None and p.id == staff_id), None) or next(
                (p for p in people if staff and p.name == staff.strip()), None)
            if who is None and on_duty:
                last = s.scalar(select(AuditEntry.staff_id).where(AuditEntry.action == "login")
                                .order_by(AuditEntry.id.desc()).limit(1))
                who = next((p for p in people if p.id == last and p.active), None)
            who = who or next((p for p in people if p.role in ("manager", "admin")), None)
            if who is None:
                return False
            audit(s, Actor(who.id, who.name, who.role), action, "backup", None, summary, after=after)
        return True
    finally:
        engine.dispose()
