"""バックアップの暗号化 as the screens see it: read the set-up, set it up (or change the key).

The use case still lives in ``store/backup_crypto.py`` (with the file encryption), which imports services
for the audit and the settings row: that is a debt listed in ``.importlinter``'s layers contract. The
screens call this module, so when the use case moves here (and ``store`` keeps only the file format) no
screen changes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from booking_app.services.common import Actor
from booking_app.store import backup_crypto
from booking_app.store.backup_crypto import MIN_PASSPHRASE, EncryptionSetting


def get_encryption(session: Session) -> EncryptionSetting | None:
    """The centre's backup encryption (None while not set up)."""
    return backup_crypto.get_encryption(session)


def set_up_encryption(session: Session, actor: Actor, passphrase: str, again: str, *,
                      now: datetime | None = None) -> EncryptionSetting:
    """Set up (or change: a new key) the encryption of backups (システム管理), audited."""
    return backup_crypto.set_up_encryption(session, actor, passphrase, again, now=now)


__all__ = ["MIN_PASSPHRASE", "EncryptionSetting", "get_encryption", "set_up_encryption"]
