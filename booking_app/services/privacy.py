"""Personal data lifecycle (個人情報の取扱い, issue 15): how long it is kept and how it is erased.

* :class:`PrivacySettings` (``centre_settings`` key ``"privacy"``): ``retention_years`` — a group's personal
  data is due for erasure that many years after its 抹消 or its last booking / visit / enrolment;
  ``backup_retention_days`` — automatic backups older than this are deleted (store/backup.py).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from booking_app.domain.errors import ValidationError
from booking_app.services.common import Actor, audit, local_now, require_manager
from booking_app.store.models import CentreSetting

PRIVACY_KEY = "privacy"
RETENTION_YEARS_RANGE = (1, 30)
BACKUP_DAYS_RANGE = (7, 3650)


@dataclass(frozen=True)
class PrivacySettings:
    """How long personal data is kept (years after 抹消 or last use) and automatic backups (days)."""

    retention_years: int = 5
    backup_retention_days: int = 90


def get_privacy_settings(session: Session) -> PrivacySettings:
    """The centre's settings, or the defaults (5 years, 90 days) when never saved."""
    row = session.get(CentreSetting, PRIVACY_KEY)
    value = dict(row.value) if row is not None and isinstance(row.value, dict) else {}
    default = PrivacySettings()
    try:
        years = int(value.get("retention_years", default.retention_years))
        days = int(value.get("backup_retention_days", default.backup_retention_days))
    except (TypeError, ValueError):
        return default
    return PrivacySettings(retention_years=years, backup_retention_days=days)


def _check(settings: PrivacySettings) -> None:
    lo, hi = RETENTION_YEARS_RANGE
    if not isinstance(settings.retention_years, int) or not lo <= settings.retention_years <= hi:
        raise ValidationError(f"個人情報の保存期間は{lo}〜{hi}年の整数で入力してください"
                              f"（いまは{settings.retention_years}）。", field="retention_years")
    lo, hi = BACKUP_DAYS_RANGE
    if not isinstance(settings.backup_retention_days, int) or not lo <= settings.backup_retention_days <= hi:
        raise ValidationError(f"自動バックアップの保存日数は{lo}〜{hi}日の整数で入力してください"
                              f"（いまは{settings.backup_retention_days}）。", field="backup_retention_days")


def save_privacy_settings(session: Session, actor: Actor, settings: PrivacySettings, *,
                          now: datetime | None = None) -> PrivacySettings:
    """Store the settings (管理者 only), audited with before and after."""
    require_manager(session, actor, "個人情報の保存期間の設定")
    _check(settings)
    now = now or local_now()
    row = session.get(CentreSetting, PRIVACY_KEY)
    before = dict(row.value) if row is not None else None
    value = asdict(settings)
    if row is None:
        session.add(CentreSetting(key=PRIVACY_KEY, value=value, updated_at=now, updated_by=actor.id))
    else:
        row.value, row.updated_at, row.updated_by = value, now, actor.id
    audit(session, actor, "update", "settings", None,
          f"個人情報の保存期間を設定（{settings.retention_years}年、自動バックアップ{settings.backup_retention_days}日）",
          before=before, after=value, now=now)
    return settings
