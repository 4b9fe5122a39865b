"""Command tokens (コマンド用トークン): how a command without a person at the keyboard signs in.

A scheduled backup (タスクスケジューラ) cannot type a password, so a システム管理 member issues a token for a
staff member: ``fukufuku-desk staff token create NAME --scope backup``. The command then finds it in the
environment variable ``FUKUFUKU_DESK_TOKEN`` (booking_app/cli/signin.py) and acts as that staff member, who is
recorded in the audit trail of everything it does.

* The secret is ``fdt_`` + ``secrets.token_urlsafe(32)`` (256 bits): recognisable in a log or a scheduler's
  settings as ours. It is shown once, when issued; the database keeps only its SHA-256 (a fast hash is enough
  for a random 256-bit secret: nothing to brute-force), so a copy of the database does not hand it out.
* A scope limits what it can do: ``backup`` = ``backup`` and ``verify-audit`` only; ``all`` = any command
  the staff member's role allows.
* Tokens live in ``centre_settings`` under the key ``command_tokens`` (no migration):
  ``{"next_id": n, "tokens": [{id, sha256, prefix, staff_id, scope, label, created_at, created_by,
  revoked_at, revoked_by, last_used_at}, …]}``. A revoked token stays listed (who revoked it, when).
* Issuing and revoking are システム管理 only and audited (``create_token`` / ``revoke_token``); a token's
  use is recorded in ``last_used_at`` and in the audit rows of what the command does.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking_app.domain.errors import NotFound, ValidationError
from booking_app.domain.errors import TokenRefused as TokenRefused  # re-export: its old home
from booking_app.services.common import Actor, audit, local_now, require_admin
from booking_app.services.settings_store import put_value
from booking_app.store.models import CentreSetting, Staff

KEY = "command_tokens"
PREFIX = "fdt_"
ENV_VAR = "FUKUFUKU_DESK_TOKEN"
SCOPES: dict[str, str] = {
    "backup": "バックアップと操作履歴の確認（backup・verify-audit）のみ",
    "all": "すべてのコマンド（担当者の権限の範囲で）",
}
MAX_LABEL = 100


@dataclass(frozen=True)
class TokenInfo:
    """One issued token as listed (never the secret)."""

    id: int
    staff_id: int
    staff_name: str
    scope: str
    label: str
    prefix: str
    created_at: datetime | None
    created_by: int | None
    revoked_at: datetime | None
    revoked_by: int | None
    last_used_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def scope_label(self) -> str:
        return SCOPES.get(self.scope, self.scope)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _stored(session: Session, *, lock: bool = False) -> tuple[CentreSetting | None, dict[str, Any]]:
    row = session.get(CentreSetting, KEY, with_for_update=lock or None)
    value = dict(row.value) if row is not None and isinstance(row.value, dict) else {}
    tokens = [dict(t) for t in value.get("tokens", []) if isinstance(t, dict)]
    return row, {"next_id": int(value.get("next_id", len(tokens) + 1)), "tokens": tokens}


def _save(session: Session, row: CentreSetting | None, value: dict[str, Any], by: int | None, now: datetime) -> None:
    put_value(session, KEY, value, by=by, now=now)
    session.flush()


def _info(t: dict[str, Any], names: dict[int, str]) -> TokenInfo:
    return TokenInfo(int(t["id"]), int(t["staff_id"]), names.get(int(t["staff_id"]), f"ID {t['staff_id']}"),
                     str(t.get("scope", "")), str(t.get("label", "")), str(t.get("prefix", "")),
                     _when(t.get("created_at")), t.get("created_by"), _when(t.get("revoked_at")),
                     t.get("revoked_by"), _when(t.get("last_used_at")))


def _staff_names(session: Session) -> dict[int, str]:
    return {i: n for i, n in session.execute(select(Staff.id, Staff.name))}


def check_scope(scope: str) -> str:
    scope = (scope or "").strip()
    if scope not in SCOPES:
        choices = "、".join(f"{k}（{v}）" for k, v in SCOPES.items())
        raise ValidationError(f"トークンの範囲「{scope}」は選べません。次のどれかを指定してください：{choices}",
                              field="範囲")
    return scope


def create_token(session: Session, actor: Actor, staff_id: int, scope: str, label: str = "") -> str:
    """Issue a token acting as staff member ``staff_id`` (システム管理 only; audited). Returns the secret:
    the only time it is ever shown."""
    require_admin(session, actor, "コマンド用トークンの発行")
    scope = check_scope(scope)
    label = (label or "").strip()
    if len(label) > MAX_LABEL:
        raise ValidationError(f"トークンの説明は{MAX_LABEL}文字以内にしてください。", field="説明")
    staff = session.get(Staff, staff_id)
    if staff is None or not staff.active:
        raise NotFound("トークンを発行する担当者が見つかりません（無効な担当者には発行できません）。"
                       "担当者アカウント一覧の名前を確かめてください。")
    now = local_now()
    row, value = _stored(session, lock=True)
    secret = PREFIX + secrets.token_urlsafe(32)
    token_id = value["next_id"]
    entry = {"id": token_id, "sha256": _digest(secret), "prefix": secret[:len(PREFIX) + 4],
             "staff_id": staff.id, "scope": scope, "label": label, "created_at": now.isoformat(),
             "created_by": actor.id, "revoked_at": None, "revoked_by": None, "last_used_at": None}
    _save(session, row, {"next_id": token_id + 1, "tokens": [*value["tokens"], entry]}, actor.id, now)
    audit(session, actor, "create_token", "staff", staff.id,
          f"「{staff.name}」のコマンド用トークン{token_id}（{SCOPES[scope]}）を発行" + (f"：{label}" if label else ""),
          after={k: v for k, v in entry.items() if k != "sha256"}, now=now)
    return secret


def revoke_token(session: Session, actor: Actor, token_id: int) -> TokenInfo:
    """Revoke token ``token_id`` (システム管理 only; audited). A revoked token is refused from then on."""
    require_admin(session, actor, "コマンド用トークンの無効化")
    now = local_now()
    row, value = _stored(session, lock=True)
    found = next((t for t in value["tokens"] if int(t.get("id", -1)) == token_id), None)
    if found is None:
        raise NotFound(f"トークン{token_id}はありません。「staff token list」で番号を確かめてください。",
                       field="トークン番号")
    if found.get("revoked_at"):
        raise ValidationError(f"トークン{token_id}は{found['revoked_at'][:16].replace('T', ' ')}に無効にされています。",
                              field="トークン番号")
    before = {k: v for k, v in found.items() if k != "sha256"}
    found["revoked_at"], found["revoked_by"] = now.isoformat(), actor.id
    _save(session, row, value, actor.id, now)
    names = _staff_names(session)
    info = _info(found, names)
    audit(session, actor, "revoke_token", "staff", info.staff_id,
          f"「{info.staff_name}」のコマンド用トークン{token_id}を無効化" + (f"：{info.label}" if info.label else ""),
          before=before, after={k: v for k, v in found.items() if k != "sha256"}, now=now)
    return info


def list_tokens(session: Session) -> list[TokenInfo]:
    """Every token ever issued, oldest first (secrets are never stored, so never listed)."""
    _row, value = _stored(session)
    names = _staff_names(session)
    return [_info(t, names) for t in value["tokens"]]


def check_token(session: Session, secret: str, scope: str = "all") -> Actor:
    """The staff member ``secret`` acts as, if it is a live token allowing ``scope`` ("backup": a backup
    or verify-audit; "all": anything else). Records its use (``last_used_at``). TokenRefused otherwise."""
    secret = (secret or "").strip()
    digest = _digest(secret)
    row, value = _stored(session)
    found = None
    for t in value["tokens"]:
        if hmac.compare_digest(str(t.get("sha256", "")), digest):
            found = t
    if not secret.startswith(PREFIX) or found is None:
        raise TokenRefused(f"環境変数 {ENV_VAR} のトークンはこのデータベースに登録されていません。"
                           "システム管理者に発行してもらったトークンを、そのまま（前後の空白なしで）設定してください。",
                           reason="unknown")
    staff_id = int(found["staff_id"])
    if found.get("revoked_at"):
        raise TokenRefused(f"環境変数 {ENV_VAR} のトークン（{found['id']}番）は"
                           f"{found['revoked_at'][:16].replace('T', ' ')}に無効にされています。"
                           "システム管理者に新しいトークンの発行を依頼してください。", reason="revoked",
                           staff_id=staff_id)
    if found.get("scope") != "all" and found.get("scope") != scope:
        raise TokenRefused(f"環境変数 {ENV_VAR} のトークン（{found['id']}番）は{SCOPES.get(found.get('scope'), '')}"
                           "に使えるものです。このコマンドには使えません。担当者の名前（--staff）とパスワードで"
                           "実行するか、範囲「all」のトークンをシステム管理者に発行してもらってください。",
                           reason="scope", staff_id=staff_id)
    staff = session.get(Staff, staff_id)
    if staff is None or not staff.active:
        raise TokenRefused(f"環境変数 {ENV_VAR} のトークン（{found['id']}番）の担当者は無効になっています。"
                           "システム管理者に確認してください。", reason="inactive", staff_id=staff_id)
    if session.get_bind().dialect.name == "sqlite":  # PostgreSQL never signs in with a token (the login does)
        now = local_now()
        found["last_used_at"] = now.isoformat()
        _save(session, row, value, row.updated_by if row is not None else None, now)
    return Actor(staff.id, staff.name, staff.role)
