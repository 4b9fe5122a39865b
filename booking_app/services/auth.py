"""Staff accounts and sign-in (担当者アカウント・ログイン).

Passwords are stored only as scrypt hashes (``scrypt$n$r$p$salt$hash``, base64): memory-hard, so
a stolen database file cannot be brute-forced cheaply, and in the standard library, so the installer
needs nothing extra. The cost follows OWASP's Password Storage Cheat Sheet (N=2**17, r=8, p=1: 128 MiB);
a hash made with weaker parameters is replaced at the next successful sign-in.

New passwords must pass :func:`check_password_rules`: at least 8 characters, not one of the 20,000
most common passwords (``resources/common-passwords/``), not the staff name or login name, not a
trivial repeat or run.

Failed attempts are counted in the database, not in the terminal, so trying the other terminal does
not reset them. The 5th failure in a row locks the account for 1 minute, and every further failure
after a lock has run out locks it again for twice as long, up to 15 minutes (:func:`lock_minutes`).
Attempts during a lock are not counted, and every lock runs out by itself: someone who keeps typing
wrong passwords can slow an account down but never shut it (or the only administrator) out for good.
The break-glass path for a forgotten administrator password is ``python -m booking_app staff
unlock / reset-password`` on a machine that can open the database (``booking_app/cli/staff.py``).

A failed sign-in must be *recorded* although the sign-in fails, while ``write_session`` rolls back
on any exception: ``attempt_login`` / ``verify_current`` therefore open their own short write
transaction, commit the count, and raise ``AuthError`` only after the commit.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import hmac
import os
import sys
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, or_, select
from sqlalchemy.orm import Session

from booking_app.domain.errors import AuthError as AuthError  # re-export: its old home
from booking_app.domain.errors import NotFound, RuleError, ValidationError
from booking_app.domain.roles import ROLE_LABELS, role_label
from booking_app.services.common import Actor, audit, local_now, require_admin
from booking_app.store.engine import write_session
from booking_app.store.models import Staff

# NIST SP 800-63B's floor, together with the blocklist below and the sign-in throttling: a desk
# password is typed many times a day at the lock screen, behind the counter (see docs/admin-guide.md §2).
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128
MAX_FAILED_LOGINS = 5  # the 5th wrong password in a row locks the account
FIRST_LOCK_MINUTES = 1  # the first lock; each further failure after a lock runs out doubles it …
LOCKOUT_MINUTES = 15  # … up to this cap: no lock ever lasts longer
DEMO_PASSWORD = "fukufuku"  # demo databases only (booking_app/demo/centre.give_demo_passwords); the login dialog shows it

# OWASP Password Storage Cheat Sheet (scrypt): N=2**17, r=8, p=1, i.e. 128*N*r = 128 MiB per hash and
# 0.57 s on the reference 2-core machine when idle, 1.0-1.3 s when loaded (`python -m timeit -s "from
# booking_app.services import auth" "auth.hash_password('kanmon-2026')"`): once per sign-in. Module
# constants so that tests can make hashing cheap (tests/conftest.py); hashes keep their own parameters.
SCRYPT_N = 2**17
SCRYPT_R = 8
SCRYPT_P = 1
_SALT_BYTES = 16
_KEY_BYTES = 32
# Refuse absurd parameters read back from the database (a tampered row must not exhaust memory).
_MAX_N = 2**20
_MAX_SCRYPT_MEMORY = 512 * 1024 * 1024

DEFAULT_ADMIN_NAME = "システム管理者"  # the passwordless admin row ensure_initial_data makes

MSG_UNKNOWN = "担当者が見つかりません。"
MSG_NO_PASSWORD = "パスワードが設定されていません。システム管理者に設定を依頼してください。"


@dataclass(frozen=True)
class AccountInfo:
    """One row of the staff accounts list (担当者アカウント一覧)."""

    id: int
    name: str
    kana: str
    role: str
    active: bool
    has_password: bool
    locked_until: datetime | None
    failed_logins: int
    last_login_at: datetime | None

    @property
    def role_label(self) -> str:
        return role_label(self.role)


# --------------------------------------------------------------------------- hashing


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    # maxmem a bit above 128*n*r so OpenSSL's 32 MiB default never refuses the parameters we allow
    # (N=2**17, r=8 needs 128 MiB).
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=dklen,
                          maxmem=128 * n * r * p + 16 * 1024 * 1024)


def _parse_hash(stored: str | None) -> tuple[int, int, int, bytes, bytes] | None:
    """(n, r, p, salt, digest) of a well-formed hash within the limits, else None."""
    if not stored:
        return None
    try:
        scheme, n_s, r_s, p_s, salt_s, hash_s = stored.split("$")
        n, r, p = int(n_s), int(r_s), int(p_s)
        salt, expected = base64.b64decode(salt_s, validate=True), base64.b64decode(hash_s, validate=True)
    except ValueError:
        return None
    if scheme != "scrypt" or not (1 < n <= _MAX_N) or n & (n - 1) or not (0 < r <= 32) or not (0 < p <= 16):
        return None
    if 128 * n * r * p > _MAX_SCRYPT_MEMORY or not expected:
        return None
    return n, r, p, salt, expected


def hash_password(password: str) -> str:
    salt = os.urandom(_SALT_BYTES)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, _KEY_BYTES)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str | None) -> bool:
    """True when ``password`` matches the stored hash; False for no hash or a malformed one."""
    parsed = _parse_hash(stored)
    if parsed is None:
        return False
    n, r, p, salt, expected = parsed
    try:
        digest = _scrypt(password, salt, n, r, p, len(expected))
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(digest, expected)


def needs_rehash(stored: str | None) -> bool:
    """True when ``stored`` was made with other parameters than today's (e.g. the old N=2**14)."""
    parsed = _parse_hash(stored)
    if parsed is None:
        return False  # nothing to upgrade from: verify_password refuses it anyway
    n, r, p, salt, expected = parsed
    return (n, r, p, len(salt), len(expected)) != (SCRYPT_N, SCRYPT_R, SCRYPT_P, _SALT_BYTES, _KEY_BYTES)


# --------------------------------------------------------------------------- password rules

# The 20,000 most common passwords (Royce Williams' list, lower-cased, as Django ships it: 19,640 after
# de-duplication), from resources/common-passwords/ (BSD licence next to it).
COMMON_PASSWORDS_FILE = "common-passwords.txt.gz"


def _common_passwords_path() -> Path:
    base = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parents[2]))
    return base / "resources" / "common-passwords" / COMMON_PASSWORDS_FILE


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    with gzip.open(_common_passwords_path(), "rt", encoding="utf-8") as fh:
        return frozenset(line.strip() for line in fh if line.strip())


def _folded(text: str) -> str:
    """Lower-case, full-width folded to half-width (NFKC), spaces removed: how two spellings compare."""
    return "".join(unicodedata.normalize("NFKC", text or "").lower().split())


def _is_trivial(password: str) -> bool:
    """One to three characters repeated (aaaaaaaa, abababab, abcabcab) or a straight run (12345678, hgfedcba)."""
    for period in (1, 2, 3):
        if all(password[i] == password[i % period] for i in range(len(password))):
            return True
    steps = {ord(b) - ord(a) for a, b in zip(password, password[1:])}
    return steps in ({1}, {-1})


def check_password_rules(password: str, *, names: tuple[str | None, ...] = ()) -> None:
    """Refuse (ValidationError on パスワード) a password that is short, common, trivial or the person's own
    name. ``names`` are the staff member's name and database login name, when known."""
    field = "パスワード"
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"パスワードは{MIN_PASSWORD_LENGTH}文字以上にしてください。", field=field)
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationError(f"パスワードは{MAX_PASSWORD_LENGTH}文字以内にしてください。", field=field)
    if not password.strip():
        raise ValidationError("空白だけのパスワードは使えません。", field=field)
    if password != password.strip():
        # Leading/trailing spaces are almost always a typing slip that would lock the person out later.
        raise ValidationError("パスワードの先頭と末尾に空白は使えません。", field=field)
    folded = _folded(password)
    if _is_trivial(folded):
        raise ValidationError("同じ文字の繰り返しや「12345678」「abcdefgh」のような並びはパスワードに使えません。"
                              "推測されにくい言葉を組み合わせてください。", field=field)
    if folded in common_passwords():
        raise ValidationError("このパスワードはよく使われていて推測されやすいため使えません。"
                              "別のパスワードにしてください（単語をいくつか組み合わせると覚えやすく安全です）。",
                              field=field)
    letters = "".join(c for c in folded if c.isalnum())
    for name in names:
        own = "".join(c for c in _folded(name or "") if c.isalnum())
        # The name itself, or the name with a few characters around it (yamada-taro, yamada2026, 山田太郎123).
        if own and own in letters and len(letters) - len(own) <= 4:
            raise ValidationError("氏名やログイン名をもとにしたパスワードは使えません。"
                                  "名前を含まないパスワードにしてください。", field=field)


# --------------------------------------------------------------------------- helpers


def _snapshot(s: Staff) -> dict[str, Any]:
    """What the audit trail keeps of an account: never the hash."""
    return {
        "name": s.name, "kana": s.kana, "role": s.role, "active": s.active,
        "has_password": s.password_hash is not None, "failed_logins": s.failed_logins,
        "locked_until": s.locked_until,
    }


def _info(s: Staff) -> AccountInfo:
    return AccountInfo(s.id, s.name, s.kana, s.role, s.active, s.password_hash is not None,
                       s.locked_until, s.failed_logins or 0, s.last_login_at)


def _actor_of(s: Staff) -> Actor:
    return Actor(s.id, s.name, s.role)


def _clean_name(session: Session, name: str, *, own_id: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError("氏名を入力してください。", field="氏名")
    if len(name) > 100:
        raise ValidationError("氏名は100文字以内にしてください。", field="氏名")
    q = select(Staff.id).where(Staff.name == name)
    if own_id is not None:
        q = q.where(Staff.id != own_id)
    if session.scalar(q) is not None:
        # The message names the field, as every other refusal does.
        raise ValidationError(f"氏名「{name}」の担当者はすでに登録されています。別の氏名にしてください。", field="氏名")
    return name


def _clean_kana(kana: str) -> str:
    kana = (kana or "").strip()
    if len(kana) > 200:
        raise ValidationError("ふりがなは200文字以内にしてください。", field="ふりがな")
    return kana


def _check_role(role: str) -> str:
    if role not in ROLE_LABELS:
        raise ValidationError("権限は受付・管理者・システム管理のいずれかを選んでください。", field="権限")
    return role


def _usable_admins(session: Session) -> int:
    """Active administrators who can sign in: with a password here, or with their own database login
    (PostgreSQL, where the server checks the password)."""
    return session.scalar(
        select(func.count()).select_from(Staff).where(
            Staff.role == "admin", Staff.active.is_(True),
            or_(Staff.password_hash.is_not(None), Staff.db_login.is_not(None)),
        )
    ) or 0


# Row locks on staff take FOR NO KEY UPDATE (``key_share``): only non-key columns change, so they never wait
# for the FOR KEY SHARE lock that every open transaction writing an audit row (its staff_id foreign key)
# holds on its author's row. A terminal frozen mid-payment thus cannot block that person's sign-in.
_ROW_LOCK = {"key_share": True}


def _staff(session: Session, staff_id: int, *, lock: bool = False) -> Staff:
    s = session.get(Staff, staff_id, with_for_update=_ROW_LOCK if lock else None)
    if s is None:
        raise NotFound(MSG_UNKNOWN)
    return s


def own_names(s: Staff) -> tuple[str | None, ...]:
    """The names a password of ``s`` must not be built on: the staff name and the database login."""
    return (s.name, getattr(s, "db_login", None))


def lock_minutes(failures: int) -> int:
    """How long the ``failures``-th wrong password in a row locks the account (0: no lock yet).

    5th: 1 minute, 6th: 2, 7th: 4, 8th: 8, 9th and after: 15 (the cap). Growing, so guessing stays
    slow (at most about 4 tries an hour once capped); capped, so a lock always runs out soon."""
    if failures < MAX_FAILED_LOGINS:
        return 0
    return min(FIRST_LOCK_MINUTES * int(2 ** (failures - MAX_FAILED_LOGINS)), LOCKOUT_MINUTES)


def _locked_message(until: datetime) -> str:
    return (f"このアカウントはロックされています。{until:%H:%M}以降に再度お試しいただくか、"
            "システム管理者に解除を依頼してください。")


# --------------------------------------------------------------------------- sign-in


def needs_first_admin(session: Session) -> bool:
    """True when no active admin can sign in (no password, no database login): the first start must create one."""
    return _usable_admins(session) == 0


def create_first_admin(session: Session, *, name: str, password: str, kana: str = "",
                       now: datetime | None = None) -> Actor:
    """Create the first システム管理 account (初回起動). Refused once one with a password exists."""
    if not needs_first_admin(session):
        raise RuleError("システム管理者はすでに登録されています。システム管理者でログインしてください。")
    now = now or local_now()
    default = session.scalar(
        select(Staff).where(Staff.name == DEFAULT_ADMIN_NAME, Staff.role == "admin", Staff.password_hash.is_(None))
    )
    name = _clean_name(session, name, own_id=default.id if default else None)
    kana = _clean_kana(kana)
    check_password_rules(password, names=(name,))
    if default is not None:
        row, before = default, _snapshot(default)
        row.name, row.kana, row.active = name, kana, True
    else:
        row, before = Staff(name=name, kana=kana, role="admin", active=True, created_at=now), None
        session.add(row)
    row.password_hash = hash_password(password)
    row.password_changed_at = now
    row.failed_logins, row.locked_until = 0, None
    session.flush()
    actor = _actor_of(row)
    audit(session, actor, "create_admin", "staff", row.id, f"システム管理者「{name}」を登録",
          before=before, after=_snapshot(row), now=now)
    return actor


def login_names(session: Session) -> list[tuple[int, str, str]]:
    """(id, name, role) of the active staff who can sign in, for the login dialog's list."""
    q = (select(Staff.id, Staff.name, Staff.role)
         .where(Staff.active.is_(True), Staff.password_hash.is_not(None))
         .order_by(Staff.kana, Staff.id))
    return [(i, n, r) for i, n, r in session.execute(q)]


def _check_login(session: Session, staff_id: int, password: str, now: datetime) -> Actor | AuthError:
    """Check one sign-in and record its outcome in ``session``; never raises for a refusal.

    Returning the error instead of raising it lets the caller commit the failure count first.
    """
    s = session.get(Staff, staff_id, with_for_update=_ROW_LOCK)
    if s is None or not s.active:
        return AuthError(MSG_UNKNOWN, field="担当者")
    if s.password_hash is None:
        return AuthError(MSG_NO_PASSWORD, field="パスワード")
    if s.locked_until is not None:
        if now < s.locked_until:
            # Attempts during a lock are not counted (not even checked): typing on cannot lengthen it.
            return AuthError(_locked_message(s.locked_until), field="パスワード")
        # The lock has run out. The count stays, so the next wrong password locks again, for longer
        # (lock_minutes); the right one signs in as always.
        s.locked_until = None
    if not verify_password(password, s.password_hash):
        s.failed_logins = (s.failed_logins or 0) + 1
        minutes = lock_minutes(s.failed_logins)
        if minutes:
            s.locked_until = now + timedelta(minutes=minutes)
            audit(session, _actor_of(s), "lock", "staff", s.id,
                  f"「{s.name}」のアカウントを{minutes}分間ロック（パスワード{s.failed_logins}回続けて誤り）",
                  after=_snapshot(s), now=now)
            return AuthError(_locked_message(s.locked_until), field="パスワード")
        left = MAX_FAILED_LOGINS - s.failed_logins
        return AuthError(f"パスワードが違います。（あと{left}回間違えるとロックされます）", field="パスワード")
    s.failed_logins, s.locked_until, s.last_login_at = 0, None, now
    summary = f"「{s.name}」がログイン"
    if needs_rehash(s.password_hash):
        # The stored hash is older and cheaper than today's parameters: replace it while the password is
        # at hand, in this same transaction. Not a change of password (password_changed_at stays), so no
        # audit entry of its own; the sign-in's entry says it happened.
        s.password_hash = hash_password(password)
        summary += "（パスワードの保存形式を更新）"
    actor = _actor_of(s)
    audit(session, actor, "login", "staff", s.id, summary, now=now)
    return actor


def login(session: Session, staff_id: int, password: str, *, now: datetime | None = None) -> Actor:
    """Sign in inside the caller's transaction.

    On refusal the failure count is changed in ``session`` and AuthError raised: a caller that uses
    ``write_session`` would roll the count back, so terminals use ``attempt_login`` instead.
    """
    outcome = _check_login(session, staff_id, password, now or local_now())
    if isinstance(outcome, AuthError):
        raise outcome
    return outcome


def attempt_login(engine: Engine, staff_id: int, password: str, *, now: datetime | None = None) -> Actor:
    """Sign in with its own transaction: a failure is committed, then AuthError raised."""
    with write_session(engine) as session:
        outcome = _check_login(session, staff_id, password, now or local_now())
    if isinstance(outcome, AuthError):
        raise outcome
    return outcome


def verify_current(engine: Engine, actor: Actor, password: str, *, now: datetime | None = None) -> Actor:
    """Unlock the lock screen (画面ロック解除) for the staff member on duty; counts like a sign-in.

    Returns the staff member as the database has them now (an administrator may have changed the
    role while the screen was locked); callers that only need "allowed or not" may ignore it.
    """
    return attempt_login(engine, actor.id, password, now=now)


# --------------------------------------------------------------------------- accounts (システム管理)


def list_accounts(session: Session) -> list[AccountInfo]:
    q = select(Staff).order_by(Staff.active.desc(), Staff.id)
    return [_info(s) for s in session.scalars(q)]


def create_account(session: Session, actor: Actor, *, name: str, kana: str = "", role: str = "desk",
                   password: str, now: datetime | None = None) -> int:
    require_admin(session, actor, "担当者アカウントの登録")
    now = now or local_now()
    name = _clean_name(session, name)
    kana = _clean_kana(kana)
    role = _check_role(role)
    check_password_rules(password, names=(name,))
    row = Staff(name=name, kana=kana, role=role, active=True, created_at=now,
                password_hash=hash_password(password), password_changed_at=now, failed_logins=0)
    session.add(row)
    session.flush()
    audit(session, actor, "create", "staff", row.id, f"担当者「{name}」（{role_label(role)}）を登録",
          after=_snapshot(row), now=now)
    return row.id


def update_account(session: Session, actor: Actor, staff_id: int, *, name: str | None = None,
                   kana: str | None = None, role: str | None = None, active: bool | None = None,
                   now: datetime | None = None) -> None:
    """Change name, reading, role or active flag; never leaves the database without a usable admin."""
    require_admin(session, actor, "担当者アカウントの変更")
    now = now or local_now()
    s = _staff(session, staff_id, lock=True)
    # Everything is checked before the row is touched, so a refused change leaves it as it was.
    new_name = _clean_name(session, name, own_id=s.id) if name is not None else s.name
    new_kana = _clean_kana(kana) if kana is not None else s.kana
    new_role = _check_role(role) if role is not None else s.role
    new_active = bool(active) if active is not None else s.active
    was_usable_admin = s.role == "admin" and s.active and s.password_hash is not None
    stays_usable_admin = new_role == "admin" and new_active and s.password_hash is not None
    if was_usable_admin and not stays_usable_admin and _usable_admins(session) <= 1:
        raise RuleError("システム管理者が1人もいなくなるため変更できません。"
                        "先に別の担当者をシステム管理にしてください。")
    before = _snapshot(s)
    s.name, s.kana, s.role, s.active = new_name, new_kana, new_role, new_active
    after = _snapshot(s)
    if after == before:
        return
    audit(session, actor, "update", "staff", s.id, f"担当者「{s.name}」を変更", before=before, after=after, now=now)


def reset_password(session: Session, actor: Actor, staff_id: int, new_password: str, *,
                   now: datetime | None = None) -> None:
    """Set a new password for someone (パスワード再設定); also lifts a lock."""
    require_admin(session, actor, "パスワードの再設定")
    now = now or local_now()
    s = _staff(session, staff_id, lock=True)
    check_password_rules(new_password, names=own_names(s))
    before = _snapshot(s)
    s.password_hash = hash_password(new_password)
    s.password_changed_at = now
    s.failed_logins, s.locked_until = 0, None
    audit(session, actor, "reset_password", "staff", s.id, f"「{s.name}」のパスワードを再設定",
          before=before, after=_snapshot(s), now=now)


def change_own_password(session: Session, actor: Actor, old_password: str, new_password: str, *,
                        now: datetime | None = None) -> None:
    """Anyone may change their own password, knowing the current one (パスワード変更)."""
    now = now or local_now()
    s = _staff(session, actor.id, lock=True)
    if not s.active:
        raise NotFound(MSG_UNKNOWN)
    if s.password_hash is None:
        # Nobody signs in without a password, so only an administrator may give the first one.
        raise AuthError(MSG_NO_PASSWORD, field="現在のパスワード")
    if not verify_password(old_password, s.password_hash):
        raise AuthError("現在のパスワードが違います。", field="現在のパスワード")
    check_password_rules(new_password, names=own_names(s))
    if new_password == old_password:
        raise ValidationError("新しいパスワードが現在のパスワードと同じです。", field="パスワード")
    s.password_hash = hash_password(new_password)
    s.password_changed_at = now
    s.failed_logins, s.locked_until = 0, None
    audit(session, actor, "change_password", "staff", s.id, f"「{s.name}」が自分のパスワードを変更", now=now)


def unlock(session: Session, actor: Actor, staff_id: int, *, now: datetime | None = None) -> None:
    """Lift a lock-out before its 15 minutes are over (ロック解除)."""
    require_admin(session, actor, "アカウントのロック解除")
    now = now or local_now()
    s = _staff(session, staff_id, lock=True)
    before = _snapshot(s)
    s.failed_logins, s.locked_until = 0, None
    audit(session, actor, "unlock", "staff", s.id, f"「{s.name}」のロックを解除", before=before,
          after=_snapshot(s), now=now)


# --------------------------------------------------------------------------- break-glass (非常時の解除)
#
# For the day the only administrator is locked out or has forgotten the password: ``python -m booking_app
# staff unlock|reset-password 名前`` (booking_app/cli/staff.py). It needs no one to sign in to the app;
# the boundary is access to the database itself (SQLite: the operating-system account that can open the
# data folder; PostgreSQL: the schema owner's credential). Each use is audited under the staff member it
# concerns, with the operating-system user who ran it.

BREAK_GLASS_VIA = "コマンド（非常時の手順）"


def staff_by_name(session: Session, name: str) -> Staff:
    """The staff row called ``name`` (as shown in the accounts list), for the break-glass commands."""
    name = (name or "").strip()
    s = session.scalar(select(Staff).where(Staff.name == name)) if name else None
    if s is None:
        names = "、".join(n for (n,) in session.execute(select(Staff.name).order_by(Staff.id)))
        raise NotFound(f"担当者「{name}」は登録されていません。登録済みの名前：{names}")
    if not s.active:
        raise RuleError(f"担当者「{s.name}」のアカウントは無効です。有効な担当者の名前を指定してください。")
    return s


def _break_glass_detail(s: Staff, os_user: str) -> dict[str, Any]:
    return {**_snapshot(s), "via": BREAK_GLASS_VIA, "os_user": os_user}


def break_glass_unlock(session: Session, name: str, *, os_user: str, now: datetime | None = None) -> Staff:
    """Lift a lock and clear the failure count of ``name`` without anyone signing in (``staff unlock``)."""
    now = now or local_now()
    s = staff_by_name(session, name)
    s = _staff(session, s.id, lock=True)
    before = _snapshot(s)
    s.failed_logins, s.locked_until = 0, None
    audit(session, _actor_of(s), "unlock", "staff", s.id,
          f"「{s.name}」のロックを{BREAK_GLASS_VIA}で解除（OSユーザー：{os_user}）",
          before=before, after=_break_glass_detail(s, os_user), now=now)
    return s


def break_glass_reset_password(session: Session, name: str, new_password: str, *, os_user: str,
                               now: datetime | None = None) -> Staff:
    """Set a new password for ``name`` without anyone signing in (``staff reset-password``); lifts a lock."""
    now = now or local_now()
    s = staff_by_name(session, name)
    s = _staff(session, s.id, lock=True)
    check_password_rules(new_password, names=own_names(s))
    before = _snapshot(s)
    s.password_hash = hash_password(new_password)
    s.password_changed_at = now
    s.failed_logins, s.locked_until = 0, None
    audit(session, _actor_of(s), "reset_password", "staff", s.id,
          f"「{s.name}」のパスワードを{BREAK_GLASS_VIA}で再設定（OSユーザー：{os_user}）",
          before=before, after=_break_glass_detail(s, os_user), now=now)
    return s
