"""Signing in for the headless commands (コマンドのログイン).

Every command that reads personal data or changes anything (export-groups, import-bookings, backup, …) acts
as a staff member who has proved who they are, and is audited under them; none acts as 「センター長」 by default
any more, and ``--staff NAME`` alone proves nothing.

SQLite — one of, in this order:

* ``--staff NAME`` on a terminal: the password is asked without echo (getpass) and checked like the window's
  sign-in (``services.auth.attempt_login``: a wrong one counts towards the lock, the lock applies, the
  sign-in is recorded as 「ログイン」).
* the environment variable ``FUKUFUKU_DESK_TOKEN`` (for the task scheduler: nobody types): a token issued by a
  システム管理 member (``staff token create``, services/command_tokens.py) carries its staff member and a scope:
  ``backup`` (backup and verify-audit only) or ``all``. With ``--staff`` too, the names must match.
* neither: refused (PermissionDenied, Japanese, naming the three ways).

PostgreSQL: the connection is the sign-in. The URL's user is the login (or ``--staff`` is taken as the login
name when the URL names none); the password comes from the URL, ``PGPASSWORD`` / ``~/.pgpass`` (libpq), or a
getpass prompt on a terminal. The actor is the staff member whose ``db_login`` is ``session_user``; a login
that is no staff member's (the schema owner's, say) is refused.

``manager=True`` / ``admin=True`` refuse a staff member below that role. A refusal is recorded in the audit
trail (action ``cli_sign_in_refused``) when the database can be written: under the staff member it names,
or, when it names nobody, under the first システム管理 row with 「ログインなし」 in the summary. A successful
token sign-in writes no row of its own (a nightly backup would fill the trail); the command's own audit rows
carry the actor.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

from booking_app.cli.context import os_user, require_database
from booking_app.domain.errors import DomainError, NotFound, SignInRefused
# The services at the top: this module is imported only once a command signs in (cli/context.py), never
# while the parser is built, so it costs the plain ``run`` path nothing.
from booking_app.services.command_tokens import ENV_VAR, TokenRefused
from booking_app.services.common import Actor

if TYPE_CHECKING:  # types only: the engine module loads inside the sign-in
    from sqlalchemy import Engine

VIA_PASSWORD = "password"
VIA_TOKEN = "token"
VIA_PG = "pg-login"

MSG_NEED_LOGIN = (
    "このコマンドにはログインが必要です。キーボードから入力できる端末で --staff に担当者の名前を指定して"
    "実行し、パスワードを入力してください。タスクスケジューラなど人が入力しない実行では、"
    f"システム管理者が発行したコマンド用トークン（staff token create）を環境変数 {ENV_VAR} に設定してください。"
)
MSG_NEED_LOGIN_PG = (
    "このコマンドにはログインが必要です。--db の接続先にご自身のデータベースのログイン名を含めるか"
    "（postgresql://ログイン名@サーバー/データベース名）、--staff にログイン名を指定してください。"
    "パスワードは入力するか、環境変数 PGPASSWORD または .pgpass に設定します。"
)
MSG_NO_TERMINAL = (
    "担当者「{name}」のパスワードを入力できません（キーボードから入力できる端末で実行されていません）。"
    f"端末から実行するか、タスクスケジューラではコマンド用トークンを環境変数 {ENV_VAR} に設定してください。"
)


@dataclass(frozen=True)
class SignedIn:
    """Who a command acts as, and the URL to use from now on."""

    actor: Actor  # services.common.Actor of the staff member who signed in
    url: str  # PostgreSQL: the login's URL (with the password if one was typed); SQLite: unchanged
    via: str  # "password" | "token" | "pg-login"


def _is_terminal() -> bool:
    """Whether someone can type a password (tests monkeypatch this; never a real prompt in tests)."""
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (ValueError, OSError):
        return False


def _ask_password(prompt: str) -> str:
    try:
        return getpass.getpass(prompt)
    except EOFError:
        return ""


def _role_label(role: str) -> str:
    from booking_app.domain.roles import role_label

    return role_label(role)


def _command(args: argparse.Namespace) -> str:
    parts = [getattr(args, "command", None), getattr(args, "db_command", None),
             getattr(args, "staff_command", None), getattr(args, "token_command", None)]
    return " ".join(p for p in parts if p) or "(なし)"


def sign_in(args: argparse.Namespace, url: str, label: str, *, purpose: str,
            token_scope: str = "all", manager: bool = False, admin: bool = False) -> SignedIn:
    """Sign the command in (see the module docstring) or raise PermissionDenied with a Japanese message.

    ``purpose`` names the job in messages and in the refusal's audit row (e.g. 「団体名簿の書き出し」);
    ``token_scope`` is the token scope that suffices ("backup" for backup / verify-audit, else "all")."""
    from booking_app import config

    if config.is_postgres_url(url):
        return _sign_in_pg(args, url, label, purpose=purpose, manager=manager, admin=admin)
    return _sign_in_sqlite(args, url, label, purpose=purpose, token_scope=token_scope, manager=manager,
                           admin=admin)


# --------------------------------------------------------------------------- SQLite


def _sign_in_sqlite(args: argparse.Namespace, url: str, label: str, *, purpose: str, token_scope: str,
                    manager: bool, admin: bool) -> SignedIn:
    from booking_app.services import auth
    from booking_app.services.command_tokens import check_token
    from booking_app.store.engine import make_engine, read_session, write_session
    from booking_app.store.models import Staff

    require_database(url, label)  # a missing file is refused, never created by the sign-in's own connection
    name = (getattr(args, "staff", None) or "").strip()
    secret = (os.environ.get(ENV_VAR) or "").strip()
    engine = make_engine(url)
    try:
        staff_id = None
        if name:
            with read_session(engine) as s:
                from sqlalchemy import select

                staff_id = s.scalar(select(Staff.id).where(Staff.name == name))
            if staff_id is None:
                _refuse(engine, args, purpose, None, f"担当者「{name}」は登録されていません",
                        NotFound(f"担当者「{name}」は登録されていません。担当者アカウント一覧の名前（氏名）を"
                                 "そのまま --staff に指定してください。", field="--staff"))
        if name and _is_terminal():
            assert staff_id is not None  # a name that matched no row was refused above
            password = _ask_password(f"担当者「{name}」のパスワード（表示されません）：")
            if not password:  # nothing typed (or the input closed): not a guess, not counted
                _refuse(engine, args, purpose, staff_id, "パスワードの入力なし",
                        SignInRefused(f"担当者「{name}」のパスワードが入力されていません。もう一度実行して、"
                                      "パスワードを入力してください。"))
            try:
                actor = auth.attempt_login(engine, staff_id, password)
            except auth.AuthError as exc:
                _refuse(engine, args, purpose, staff_id, f"パスワードによるログインの失敗：{exc.message}", exc)
            via = VIA_PASSWORD
        elif secret:
            try:
                with write_session(engine) as s:
                    actor = check_token(s, secret, token_scope)
            except TokenRefused as exc:
                _refuse(engine, args, purpose, exc.staff_id, f"トークンを拒否（{exc.reason}）", exc)
            if name and name != actor.name:
                _refuse(engine, args, purpose, actor.id,
                        f"トークンの担当者「{actor.name}」と --staff「{name}」が違う",
                        SignInRefused(f"環境変数 {ENV_VAR} のトークンは担当者「{actor.name}」のものです。"
                                      f"--staff「{name}」とは違います。--staff を外すか、"
                                      "その担当者のトークンを設定してください。"))
            via = VIA_TOKEN
        elif name:
            _refuse(engine, args, purpose, staff_id, "パスワードを入力できる端末ではない",
                    SignInRefused(MSG_NO_TERMINAL.format(name=name)))
        else:
            _refuse(engine, args, purpose, None, "--staff もトークンもなし", SignInRefused(MSG_NEED_LOGIN))
        _check_role(engine, args, purpose, actor, manager=manager, admin=admin)
    finally:
        engine.dispose()
    return SignedIn(actor, url, via)


def _check_role(engine: Engine, args: argparse.Namespace, purpose: str, actor: Actor, *, manager: bool,
                admin: bool) -> None:
    from booking_app.domain.roles import role_at_least

    need = "admin" if admin else "manager" if manager else None
    if need is None or role_at_least(actor.role, need):
        return
    who = "システム管理者" if admin else "管理者"
    _refuse(engine, args, purpose, actor.id, f"権限不足（{_role_label(actor.role)}）",
            SignInRefused(f"{purpose}は{who}のみ行えます（担当者「{actor.name}」は{_role_label(actor.role)}）。"
                          f"{who}の担当者でログインして実行してください。"))


def _refuse(engine: Engine, args: argparse.Namespace, purpose: str, staff_id: int | None, reason: str,
            exc: DomainError) -> NoReturn:
    """Record the refusal (when the database can be written) and raise ``exc``."""
    try:
        _record_refusal(engine, args, purpose, staff_id, reason)
    except Exception:  # a read-only or unreachable database: the refusal itself still stands
        pass
    raise exc


def _record_refusal(engine: Engine, args: argparse.Namespace, purpose: str, staff_id: int | None, reason: str) -> None:
    from sqlalchemy import select

    from booking_app.services.common import _append
    from booking_app.store.engine import write_session
    from booking_app.store.models import Staff

    with write_session(engine) as s:
        who = ""
        if staff_id is None or s.get(Staff, staff_id) is None:
            staff_id = s.scalar(select(Staff.id).where(Staff.role == "admin").order_by(Staff.id).limit(1))
            who = "ログインなし・"
            if staff_id is None:
                return
        named = (getattr(args, "staff", None) or "").strip()
        summary = f"コマンド「{_command(args)}」（{purpose}）のログインを拒否（{who}{reason}）"
        detail = {"command": _command(args), "purpose": purpose, "reason": reason, "staff_option": named or None,
                  "token_set": bool((os.environ.get(ENV_VAR) or "").strip()), "os_user": os_user()}
        _append(s, staff_id, "cli_sign_in_refused", "staff", staff_id, summary, after=detail)


# --------------------------------------------------------------------------- PostgreSQL


def _sign_in_pg(args: argparse.Namespace, url: str, label: str, *, purpose: str, manager: bool,
                admin: bool) -> SignedIn:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import DBAPIError

    from booking_app import config
    from booking_app.services import db_login
    from booking_app.store.engine import make_engine

    u = make_url(url)
    login = u.username or (getattr(args, "staff", None) or "").strip()
    if not login:
        raise SignInRefused(MSG_NEED_LOGIN_PG)
    if not u.username:
        url = config.with_credentials(url, login, "")
        u = make_url(url)
    where = f"{u.host or 'localhost'}:{u.port or 5432}/{u.database or ''}"
    asked = False
    while True:
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                row = conn.exec_driver_sql(
                    "SELECT id, name, role, active FROM staff WHERE db_login = session_user::text").first()
            break
        except DBAPIError as exc:
            engine.dispose()
            text = str(exc.orig).lower()
            if ("no password supplied" in text or "password authentication failed" in text) \
                    and not u.password and not asked and _is_terminal():
                password = _ask_password(f"ログイン「{login}」のパスワード（表示されません）：")
                asked = True
                if password:
                    url = config.with_credentials(url, login, password)
                    continue
            if "permission denied" in text or "does not exist" in text:
                raise db_login.DbLoginError(db_login.MSG_NOT_STAFF.format(login=login), "ログイン名",
                                            reason="not_staff") from None
            raise db_login._classify(login, where, exc) from None
        except Exception as exc:
            engine.dispose()
            raise db_login._classify(login, where, exc) from None
    try:
        if row is None:
            raise db_login.DbLoginError(db_login.MSG_NOT_STAFF.format(login=login), "ログイン名", reason="not_staff")
        if not row[3]:
            raise db_login.DbLoginError(db_login.MSG_DISABLED.format(login=login), "ログイン名", reason="disabled")
        actor = Actor(int(row[0]), row[1], row[2])
        _check_role(engine, args, purpose, actor, manager=manager, admin=admin)
    finally:
        engine.dispose()
    return SignedIn(actor, url, VIA_PG)


# --------------------------------------------------------------------------- db upgrade on SQLite


def has_staff_passwords(url: str) -> bool:
    """Whether the SQLite database at ``url`` has a staff member with a password (a file in use, as against a
    fresh one, where ``db upgrade`` is how a centre starts). Read with plain SQL: the schema may be old."""
    from sqlalchemy import inspect

    from booking_app.store.engine import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            insp = inspect(conn)
            if not insp.has_table("staff"):
                return False
            if "password_hash" not in {c["name"] for c in insp.get_columns("staff")}:
                return False
            return bool(conn.exec_driver_sql(
                "SELECT count(*) FROM staff WHERE password_hash IS NOT NULL").scalar())
    finally:
        engine.dispose()


def sign_in_before_upgrade(args: argparse.Namespace, url: str, label: str, *, purpose: str) -> SignedIn:
    """``db upgrade`` on a SQLite file in use: a システム管理 sign-in (password on a terminal, or an "all"
    token) read with plain SQL, because the schema is the old one until the upgrade has run. A wrong
    password is refused but not counted, and the refusal is not audited (the old schema is not written
    before the upgrade); a locked account stays refused."""
    from booking_app import clock
    from booking_app.services import auth
    from booking_app.services.command_tokens import KEY, _digest
    from booking_app.store.engine import make_engine

    import hmac
    import json

    name = (getattr(args, "staff", None) or "").strip()
    secret = (os.environ.get(ENV_VAR) or "").strip()
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            def staff_row(where: str, value: str | int) -> Sequence[Any] | None:
                cols = {c[1] for c in conn.exec_driver_sql("PRAGMA table_info(staff)")}
                locked = "locked_until" if "locked_until" in cols else "NULL"
                return conn.exec_driver_sql(
                    f"SELECT id, name, role, active, password_hash, {locked} FROM staff WHERE {where} = ?",
                    (value,)).first()

            if name and _is_terminal():
                row = staff_row("name", name)
                if row is None:
                    raise NotFound(f"担当者「{name}」は登録されていません。担当者アカウント一覧の名前（氏名）を"
                                   "そのまま --staff に指定してください。", field="--staff")
                if row[5] is not None and str(row[5]) > clock.now().isoformat(sep=" "):
                    raise SignInRefused(f"担当者「{name}」はロック中です。しばらく待ってから実行してください。")
                password = _ask_password(f"担当者「{name}」のパスワード（表示されません）：")
                if not row[3] or not auth.verify_password(password, row[4]):
                    raise SignInRefused("パスワードが違うか、担当者が無効です。入力し直してください。")
                via = VIA_PASSWORD
            elif secret:
                stored = conn.exec_driver_sql("SELECT value FROM centre_settings WHERE key = ?", (KEY,)).scalar()
                value = json.loads(stored) if isinstance(stored, str) else (stored or {})
                digest = _digest(secret)
                token = next((t for t in value.get("tokens", [])
                              if hmac.compare_digest(str(t.get("sha256", "")), digest)), None)
                if token is None or token.get("revoked_at") or token.get("scope") != "all":
                    raise SignInRefused(f"環境変数 {ENV_VAR} のトークンでは{purpose}はできません（登録がない、"
                                        "無効にされた、または範囲が「all」でない）。システム管理者のトークンを設定するか、"
                                        "--staff とパスワードで実行してください。")
                row = staff_row("id", int(token["staff_id"]))
                if row is None or not row[3]:
                    raise SignInRefused(f"環境変数 {ENV_VAR} のトークンの担当者は無効になっています。")
                if name and name != row[1]:
                    raise SignInRefused(f"環境変数 {ENV_VAR} のトークンは担当者「{row[1]}」のものです。"
                                        f"--staff「{name}」とは違います。")
                via = VIA_TOKEN
            elif name:
                raise SignInRefused(MSG_NO_TERMINAL.format(name=name))
            else:
                raise SignInRefused(MSG_NEED_LOGIN)
    finally:
        engine.dispose()
    actor = Actor(int(row[0]), row[1], row[2])
    if actor.role != "admin":
        raise SignInRefused(f"{purpose}はシステム管理者のみ行えます（担当者「{actor.name}」は{_role_label(actor.role)}）。"
                            "システム管理者の担当者でログインして実行してください。")
    return SignedIn(actor, url, via)
