"""Encrypted backups (バックアップの暗号化) with age (https://age-encryption.org, via pyrage).

Automatic backups run unattended, so they cannot ask for a passphrase. At set-up an administrator
gives one; the app makes an age X25519 identity, keeps its public *recipient* in ``centre_settings``
("backup_encryption") with the identity sealed by the passphrase (age's scrypt passphrase encryption),
and forgets the identity. Every backup is encrypted to the recipient, so taking one needs nothing
secret, and opening one needs the passphrase.

An encrypted backup is one self-contained file::

    FUKUFUKU-DESK-ENCRYPTED-BACKUP 1\\n
    {"kind": "sqlite"|"pg_dump", "created": ..., "revision": ..., "recipient": ...}\\n
    <the sealed identity, base64>\\n
    <the age file: the database encrypted to the recipient>

so the file keeps opening with the passphrase of its day even after the passphrase is changed (a new
key), and it can be opened without the app with the ``age`` tool (docs/admin-guide.md):

    sed -n 3p FILE | base64 -d > identity.age          # the identity, still sealed with the passphrase
    tail -n +4 FILE | age -d -i identity.age -o booking.sqlite3    # asks the passphrase (age 1.1.1)

The payload is encrypted and decrypted as a stream (``pyrage.encrypt_io``/``decrypt_io``): a large
database never sits in memory. The plain copy exists only as a private temporary file (0600) in the
app's 0700 backups folder and is removed after encryption, also on error.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import getpass
import json
import logging
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from booking_app.domain.errors import RuleError, ValidationError


log = logging.getLogger(__name__)

MAGIC = b"FUKUFUKU-DESK-ENCRYPTED-BACKUP 1\n"
SETTING_KEY = "backup_encryption"
ENCRYPTED_SUFFIX = ".enc"  # booking-…-daily.sqlite3.enc, booking-…-premigrate.dump.enc
MIN_PASSPHRASE = 12
MAX_HEADER_LINE = 64 * 1024
PLAIN_PREFIX = ".fukufuku-plain-"  # private temporary plain copies (never listed as backups)
WRONG_PASSPHRASE = ("パスフレーズが違います。バックアップを暗号化したときのパスフレーズ（暗号化を設定・変更した"
                    "ときのもの）を入力してください。何も変更していません。")


@dataclass(frozen=True)
class EncryptionSetting:
    """The stored set-up: the public recipient and the identity sealed with the passphrase."""

    recipient: str
    sealed_identity: str  # base64 of pyrage.passphrase.encrypt(identity)
    created_at: str
    created_by: str

    def to_dict(self) -> dict[str, str]:
        return {"recipient": self.recipient, "sealed_identity": self.sealed_identity,
                "created_at": self.created_at, "created_by": self.created_by}

    @classmethod
    def from_dict(cls, value: object) -> EncryptionSetting | None:
        if isinstance(value, str):
            value = json.loads(value)
        if not isinstance(value, dict) or not value.get("recipient") or not value.get("sealed_identity"):
            return None
        return cls(str(value["recipient"]), str(value["sealed_identity"]), str(value.get("created_at", "")),
                   str(value.get("created_by", "")))


@dataclass(frozen=True)
class EncryptedHeader:
    info: dict[str, Any]
    sealed_identity: bytes
    payload_offset: int


# --------------------------------------------------------------------------- passphrase and set-up


def make_setting(passphrase: str, created_at: str, created_by: str) -> EncryptionSetting:
    """A new age identity, sealed with the passphrase; only the recipient and the sealed form are kept."""
    from pyrage import passphrase as age_passphrase
    from pyrage import x25519

    identity = x25519.Identity.generate()
    sealed = age_passphrase.encrypt(str(identity).encode("ascii"), passphrase)
    recipient = str(identity.to_public())
    del identity
    return EncryptionSetting(recipient, base64.b64encode(sealed).decode("ascii"), created_at, created_by)


def read_encryption(url: str) -> EncryptionSetting | None:
    """The set-up stored in the database at url (None if not set up, or the database predates
    ``centre_settings``). Plain SQL: it also reads a database at an older revision (pre-migration)."""
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(url)
    try:
        with engine.connect() as con:
            if not inspect(con).has_table("centre_settings"):
                return None
            value = con.execute(text("SELECT value FROM centre_settings WHERE key = :k"),
                                {"k": SETTING_KEY}).scalar()
    finally:
        engine.dispose()
    return EncryptionSetting.from_dict(value) if value is not None else None


def ask_passphrase(path: Path | str) -> str:
    """Ask the backup passphrase on the terminal (never echoed). Without a terminal: refused."""
    if not sys.stdin.isatty():
        raise ValidationError(f"「{Path(path).name}」は暗号化されています。パスフレーズを入力するため、"
                              "端末（コマンドプロンプト）から実行してください。", field="passphrase")
    return getpass.getpass(f"「{Path(path).name}」は暗号化されています。バックアップの暗号化のパスフレーズ：")


# --------------------------------------------------------------------------- the file


def is_encrypted(path: Path | str) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(len(MAGIC)) == MAGIC
    except OSError:
        return False


def read_header(path: Path | str) -> EncryptedHeader:
    path = Path(path)
    bad = ValidationError(f"「{path.name}」の暗号化されたバックアップの見出しが壊れています。"
                          "別のバックアップを指定してください。", field="file")
    with path.open("rb") as f:
        if f.read(len(MAGIC)) != MAGIC:
            raise ValidationError(f"「{path.name}」は暗号化されたふくふくデスクのバックアップではありません。", field="file")
        info_line = f.readline(MAX_HEADER_LINE)
        sealed_line = f.readline(MAX_HEADER_LINE)
        offset = f.tell()
    if not info_line.endswith(b"\n") or not sealed_line.endswith(b"\n"):
        raise bad
    try:
        info = json.loads(info_line)
        sealed = base64.b64decode(sealed_line.strip(), validate=True)
    except (ValueError, binascii.Error) as exc:
        raise bad from exc
    if not isinstance(info, dict):
        raise bad
    return EncryptedHeader(info, sealed, offset)


def _private_temp(folder: Path, suffix: str = ".tmp") -> Path:
    """An empty 0600 file (mkstemp) in folder whose name is never taken for a backup."""
    fd, name = tempfile.mkstemp(prefix=PLAIN_PREFIX, suffix=suffix, dir=folder)
    os.close(fd)
    return Path(name)


def encrypt_file(plain: Path | str, dest: Path | str, setting: EncryptionSetting, info: dict[str, Any]) -> int:
    """Write ``dest`` (0600): the header, then ``plain`` encrypted to the recipient as a stream.
    Written to ``dest.part`` and renamed; returns the size."""
    import pyrage
    from pyrage import x25519

    from booking_app.store.backup import _create_private, _fsync_dir, make_private_file

    dest = Path(dest)
    recipient = x25519.Recipient.from_str(setting.recipient)
    head = {**info, "recipient": setting.recipient, "format": "age-x25519"}
    part = dest.with_name(dest.name + ".part")
    _create_private(part)
    try:
        with open(plain, "rb") as src, open(part, "wb") as out:
            out.write(MAGIC)
            out.write(json.dumps(head, ensure_ascii=True, sort_keys=True).encode("ascii") + b"\n")
            out.write(setting.sealed_identity.encode("ascii") + b"\n")
            pyrage.encrypt_io(src, out, [recipient])
            out.flush()
            os.fsync(out.fileno())
        make_private_file(part)
        os.replace(part, dest)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    _fsync_dir(dest.parent)
    return dest.stat().st_size


def unseal(header: EncryptedHeader, passphrase: str, path: Path | str = "") -> Any:  # a pyrage Identity
    """The identity of an encrypted backup, opened with the passphrase (RuleError: wrong passphrase)."""
    import pyrage
    from pyrage import passphrase as age_passphrase
    from pyrage import x25519

    try:
        secret = age_passphrase.decrypt(header.sealed_identity, passphrase or "")
        identity = x25519.Identity.from_str(secret.decode("ascii").strip())
    except (pyrage.DecryptError, pyrage.IdentityError, UnicodeDecodeError, ValueError) as exc:
        raise RuleError(WRONG_PASSPHRASE, field="passphrase") from exc
    recipient = header.info.get("recipient")
    if recipient and str(identity.to_public()) != recipient:
        raise RuleError(f"「{Path(path).name}」の鍵が見出しと一致しません（ファイルが書き換えられています）。"
                        "別のバックアップを指定してください。", field="file")
    return identity


def decrypt_file(path: Path | str, out_path: Path | str, passphrase: str) -> dict[str, Any]:
    """Decrypt ``path`` into ``out_path`` (0600) as a stream; returns the header's info. A wrong
    passphrase or a payload altered in any byte (age authenticates every chunk) raises RuleError and
    leaves no output."""
    path = Path(path)
    header = read_header(path)
    identity = unseal(header, passphrase, path)
    decrypt_payload(path, header, identity, out_path)
    return header.info


def decrypt_payload(path: Path | str, header: EncryptedHeader, identity: Any, out_path: Path | str) -> None:
    """The payload of ``path`` decrypted with an unsealed identity into ``out_path`` (0600), as a stream."""
    import pyrage

    from booking_app.store.backup import _create_private, make_private_file

    path, out_path = Path(path), Path(out_path)
    _create_private(out_path)
    try:
        with path.open("rb") as src, out_path.open("wb") as out:
            src.seek(header.payload_offset)
            try:
                pyrage.decrypt_io(src, out, [identity])
            except (pyrage.DecryptError, OSError) as exc:
                if isinstance(exc, OSError) and exc.errno is not None:
                    raise  # a real I/O error (disk full…): the caller's message
                # age authenticates every 64 KiB chunk: a changed byte stops the stream (OSError without errno)
                raise RuleError(f"「{path.name}」を復号できませんでした（ファイルが壊れているか、書き換えられています）。"
                                "別のバックアップを指定してください。", field="file") from exc
        make_private_file(out_path)
    except BaseException:
        out_path.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def opened_backup(path: Path | str, ask: Callable[[Path], str] | None = None, *,
                  folder: Path | None = None) -> Iterator[Path]:
    """The plain backup to check and restore: ``path`` itself when it is not encrypted, else a private
    temporary decrypted copy in the backups folder (0700), removed afterwards whatever happens.
    ``ask(path)`` gives the passphrase (default: :func:`ask_passphrase` on the terminal)."""
    from booking_app.store.backup import backups_dir

    path = Path(path)
    if not is_encrypted(path):
        yield path
        return
    read_header(path)  # a broken header is refused before the passphrase is asked
    passphrase = (ask or ask_passphrase)(path)
    from booking_app.store.backup import make_private_dir

    folder = make_private_dir(Path(folder)) if folder is not None else backups_dir()
    plain = _private_temp(folder, ".sqlite3")
    try:
        decrypt_file(path, plain, passphrase)
        yield plain
    finally:
        for p in (plain, Path(f"{plain}-wal"), Path(f"{plain}-shm"), Path(f"{plain}-journal")):
            p.unlink(missing_ok=True)
