"""バックアップの暗号化 as a use case: the passphrase rules, reading the set-up, setting it up (or changing the
key), audited. ``store/backup_crypto.py`` keeps the file format and the age encryption, and knows no staff.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from booking_app.domain.errors import ValidationError
from booking_app.services.auth import common_passwords
from booking_app.services.common import Actor, audit, local_now, require_admin
from booking_app.services.settings_store import put_value
from booking_app.store import backup_crypto
from booking_app.store.backup_crypto import MIN_PASSPHRASE, EncryptionSetting
from booking_app.store.models import CentreSetting


def check_passphrase(passphrase: str, again: str) -> None:
    """The rules for the backup passphrase (Japanese messages naming the field and the fix)."""
    if not passphrase or not passphrase.strip():
        raise ValidationError("パスフレーズを入力してください。", field="passphrase")
    if len(passphrase) < MIN_PASSPHRASE:
        raise ValidationError(f"パスフレーズは{MIN_PASSPHRASE}文字以上にしてください（いまは{len(passphrase)}文字）。"
                              "覚えやすい言葉をいくつか並べると安全で覚えやすくなります。", field="passphrase")
    if passphrase.strip().lower() in common_passwords():
        raise ValidationError("このパスフレーズはよく使われていて推測されやすいため使えません。別のものにしてください。",
                              field="passphrase")
    if passphrase != again:
        raise ValidationError("パスフレーズ（確認）が一致しません。同じパスフレーズを2回入力してください。",
                              field="passphrase_again")


def get_encryption(session: Session) -> EncryptionSetting | None:
    row = session.get(CentreSetting, backup_crypto.SETTING_KEY)
    return EncryptionSetting.from_dict(row.value) if row is not None else None


def set_up_encryption(session: Session, actor: Actor, passphrase: str, again: str, *,
                      now: datetime | None = None) -> EncryptionSetting:
    """Set up (or change: a new key) the encryption of backups (システム管理). Backups made before keep
    opening with the passphrase of their day: each carries its own sealed identity."""
    who = require_admin(session, actor, "バックアップの暗号化の設定")
    check_passphrase(passphrase, again)
    now = now or local_now()
    setting = backup_crypto.make_setting(passphrase, now.isoformat(timespec="seconds"), who.name)
    previous = put_value(session, backup_crypto.SETTING_KEY, setting.to_dict(), by=actor.id, now=now)
    changed = previous is not None
    before = {"recipient": previous.get("recipient")} if previous is not None else None
    summary = ("バックアップの暗号化のパスフレーズを変更（新しい鍵。以前のバックアップは以前のパスフレーズで開けます）"
               if changed else "バックアップの暗号化を設定")
    # The audit keeps the public recipient only: the sealed identity is no business of the trail.
    audit(session, actor, "update", "backup", None, summary, before=before,
          after={"recipient": setting.recipient}, now=now)
    return setting


__all__ = ["MIN_PASSPHRASE", "EncryptionSetting", "check_passphrase", "get_encryption", "set_up_encryption"]
