"""``staff unlock`` and ``staff reset-password``: the break-glass path (非常時の解除) for staff accounts.

    python -m booking_app staff unlock 管理 太郎
    python -m booking_app staff reset-password 管理 太郎

(``staff token create|list|revoke``, at the end of this file, are not break-glass: the command tokens for
scheduled jobs; a システム管理 member signs in to use them, see booking_app/cli/signin.py.)

For the day the only システム管理 account is locked out or its password is forgotten, so nobody can
sign in to the app to fix it. Nobody signs in here either: whoever can run this against the database
already holds it (SQLite: the operating-system account that can open the data folder; PostgreSQL:
the schema owner's credential). The new password is asked twice without echo (getpass), must pass the
password rules (``services.auth.check_password_rules``), and each use is recorded in the audit trail
with the operating-system user who ran it. See docs/admin-guide.md, 2. 職員アカウントと権限.

Staff who sign in with their own PostgreSQL login (``staff.db_login``) are authenticated by the
server, not by the app: their password is changed on the server (the admin guide says how), which
this command refuses with a message pointing there.

None of these sign in through the shared start-up (cli/context.py): they are registered without a SignIn
and open the database themselves, as it is (nothing is migrated). SQLAlchemy and the services are imported
inside the handlers: the parser imports this module before Qt starts on the plain ``run`` path.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

from booking_app.cli.context import Context, command, os_user, require_database
from booking_app.domain.errors import RuleError, ValidationError

if TYPE_CHECKING:  # types only: SQLAlchemy and the services load inside the handlers (see above)
    from datetime import datetime

    from sqlalchemy.orm import Session

    from booking_app.services.common import Actor
    from booking_app.store.models import Staff

_T = TypeVar("_T")

GUIDE = "管理者ガイド（docs/admin-guide.md）「2. 職員アカウントと権限」の「非常時の解除」"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser], *,
             parents: Sequence[argparse.ArgumentParser] = ()) -> None:
    """Add ``staff unlock NAME``, ``staff reset-password NAME`` and ``staff token create|list|revoke``:
    the resolved database and no start-up (nothing is migrated); the token commands sign in themselves."""
    staff = subparsers.add_parser("staff", parents=list(parents), help="担当者アカウントの非常時の解除（ロック解除・パスワード再設定）",
                                  description="アプリにログインできないとき（システム管理者のロック・パスワード忘れ）に、"
                                              "データベースを開ける人がこのパソコンから実行します。操作履歴に記録されます。")
    sub = staff.add_subparsers(dest="staff_command", metavar="操作", required=True,
                               parser_class=subparsers._parser_class)
    owner = argparse.ArgumentParser(add_help=False)
    owner.add_argument("--owner", metavar="USER", default=None,
                       help="PostgreSQL：データベースの所有者のユーザー名（パスワードは入力するか環境変数 PGPASSWORD）")
    parents = [*parents, owner]
    unlock = sub.add_parser("unlock", parents=list(parents), help="担当者のロックを解除し、失敗回数を0に戻す")
    unlock.add_argument("name", metavar="名前", nargs="+", help="担当者の名前（担当者アカウント一覧の表示どおり）")
    command(unlock, run_unlock)
    reset = sub.add_parser("reset-password", parents=list(parents),
                           help="担当者のパスワードを再設定（画面に表示せずに2回入力）。ロックも解除")
    reset.add_argument("name", metavar="名前", nargs="+", help="担当者の名前（担当者アカウント一覧の表示どおり）")
    command(reset, run_reset_password)

    # Command tokens: for the commands nobody types a password for (a scheduled backup). Unlike
    # unlock / reset-password these are not break-glass: the システム管理 member signs in (cli/signin.py).
    token = sub.add_parser("token", parents=list(parents[:-1]),
                           help="コマンド用トークン（タスクスケジューラのバックアップなど）の発行・一覧・無効化",
                           description="人が入力しない実行（タスクスケジューラのバックアップなど）のためのトークンです。"
                                       "システム管理者が --staff とパスワードでログインして実行します。")
    token_sub = token.add_subparsers(dest="token_command", metavar="操作", required=True,
                                     parser_class=subparsers._parser_class)
    create = token_sub.add_parser("create", parents=list(parents[:-1]),
                                  help="トークンを発行（表示は一度だけ。データベースには控えのハッシュだけを保存）")
    create.add_argument("name", metavar="名前", nargs="+", help="トークンで操作する担当者の名前")
    create.add_argument("--scope", choices=("backup", "all"), required=True,
                        help="使える範囲：backup＝バックアップと操作履歴の確認（verify-audit）のみ、all＝すべてのコマンド")
    create.add_argument("--label", metavar="説明", default="", help="何に使うトークンか（例：夜間バックアップ）")
    command(create, run_token_create)
    listing = token_sub.add_parser("list", parents=list(parents[:-1]), help="発行したトークンの一覧（秘密の値は表示されません）")
    command(listing, run_token_list)
    revoke = token_sub.add_parser("revoke", parents=list(parents[:-1]), help="トークンを無効にする（番号は list で確認）")
    revoke.add_argument("token_id", metavar="番号", type=int, help="トークンの番号")
    command(revoke, run_token_revoke)


def _name(args: argparse.Namespace) -> str:
    # nargs="+": 「管理 太郎」 works with or without quotes.
    return " ".join(args.name).strip()


def _ask(prompt: str) -> str:
    try:
        return getpass.getpass(prompt)
    except EOFError:
        raise ValidationError("パスワードを読み取れませんでした。キーボードから入力できる端末で実行してください。",
                              field="パスワード") from None


def ask_new_password() -> str:
    """The new password, typed twice without echo; refused when the two differ."""
    first = _ask("新しいパスワード：")
    second = _ask("新しいパスワード（確認のためもう一度）：")
    if first != second:
        raise ValidationError("2回入力したパスワードが一致しません。もう一度コマンドを実行して、同じパスワードを入力してください。",
                              field="パスワード")
    return first


def _owner_url(url: str, owner: str | None) -> str:
    """PostgreSQL: ``url`` as the schema owner. A URL that names a user (``--db postgresql://user@…``) is used
    as it is, unless ``--owner`` is given; otherwise the owner (``--owner``, or asked, default
    fukufuku_owner) and the password (``PGPASSWORD``, or asked without echo) are used for this command
    only and never stored — as ``db upgrade`` does. SQLite: the URL as it is."""
    from booking_app import config

    if not config.is_postgres_url(url) or (not owner and config.has_credentials(url)):
        return url
    user = (owner or "").strip()
    if not user:
        try:
            user = input(f"データベースの所有者のユーザー名 [{config.DEFAULT_OWNER}]: ").strip()
        except EOFError:
            user = ""
        user = user or config.DEFAULT_OWNER
    password = os.environ.get("PGPASSWORD") or _ask(f"「{user}」のパスワード（表示されません）：")
    if not password:
        raise ValidationError("所有者のパスワードが入力されていません。パスワードを入力するか、"
                              "環境変数 PGPASSWORD に設定してから実行してください。", field="パスワード")
    return config.with_credentials(url, user, password)


def _run(ctx: Context, action: Callable[[Session, bool], str],
         prepare: Callable[[Session, bool], None] | None = None) -> int:
    """``prepare(session, postgres)`` first in a read-only transaction (asking for input there, so no
    write lock is held while someone types), then ``action(session, postgres) -> message`` as one write
    transaction."""
    from sqlalchemy.exc import SQLAlchemyError

    from booking_app.store.engine import is_sqlite, make_engine, read_session, write_session

    label = ctx.label
    url = _owner_url(ctx.url, getattr(ctx.args, "owner", None))
    postgres = not is_sqlite(url)
    try:
        require_database(url, label)
        engine = make_engine(url)
        try:
            if prepare is not None:
                with read_session(engine) as session:
                    prepare(session, postgres)
            with write_session(engine) as session:
                message = action(session, postgres)
        finally:
            engine.dispose()
    except SQLAlchemyError as exc:
        if not postgres:
            raise
        detail = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise RuleError(f"PostgreSQLのデータベースに変更を書き込めませんでした：{detail}\n"
                        "データベースの所有者（スキーマ所有者）として --db に指定して実行してください。"
                        f"手順は{GUIDE}にあります。") from None
    print(message)
    print(f"操作履歴に記録しました（{label}、OSユーザー：{os_user()}）。")
    return 0


def _refuse_server_login(staff: Staff, postgres: bool) -> None:
    login = getattr(staff, "db_login", None)
    if postgres and login:
        raise RuleError(f"「{staff.name}」はPostgreSQLのログイン「{login}」でサインインします。このパスワードは"
                        "データベースサーバーが確かめるため、このコマンドでは変更できません。"
                        f"データベースの所有者として変更してください（手順は{GUIDE}）。")


def run_unlock(ctx: Context) -> int:
    from booking_app.services import auth

    name = _name(ctx.args)

    def action(session: Session, postgres: bool) -> str:
        staff = auth.break_glass_unlock(session, name, os_user=os_user())
        extra = ""
        if postgres and getattr(staff, "db_login", None):
            extra = ("\n（PostgreSQLのログインは、サーバーがパスワードを確かめます。サーバー側でロックはしていません。"
                     f"ログインできないときは{GUIDE}を見てください）")
        return f"担当者「{staff.name}」のロックを解除しました。すぐにログインできます。{extra}"

    return _run(ctx, action)


def run_reset_password(ctx: Context) -> int:
    from booking_app.services import auth

    name = _name(ctx.args)
    typed: list[str] = []

    def prepare(session: Session, postgres: bool) -> None:
        staff = auth.staff_by_name(session, name)  # before asking: a mistyped name fails at once
        _refuse_server_login(staff, postgres)
        print(f"担当者「{staff.name}」の新しいパスワードを入力してください"
              f"（{auth.MIN_PASSWORD_LENGTH}文字以上。画面には表示されません）。", file=sys.stderr)
        password = ask_new_password()
        auth.check_password_rules(password, names=auth.own_names(staff))
        typed.append(password)

    def action(session: Session, postgres: bool) -> str:
        staff = auth.staff_by_name(session, name)
        _refuse_server_login(staff, postgres)
        staff = auth.break_glass_reset_password(session, name, typed[0], os_user=os_user())
        return f"担当者「{staff.name}」のパスワードを再設定しました。ロックも解除しました。"

    return _run(ctx, action, prepare)


# --------------------------------------------------------------------------- command tokens


def _as_admin(ctx: Context, purpose: str, action: Callable[[Session, Actor], _T], *,
              write: bool = True) -> tuple[_T, Actor]:
    """Sign in as a システム管理 member (password or an "all" token; PostgreSQL: the login) and run
    ``action(session, actor)`` in one transaction on the signed-in URL. Not the shared SignIn start-up:
    the database is used as it is (not migrated), like the break-glass commands beside these."""
    from booking_app.cli.signin import sign_in
    from booking_app.store.engine import make_engine, read_session, write_session

    require_database(ctx.url, ctx.label)
    signed = sign_in(ctx.args, ctx.url, ctx.label, purpose=purpose, admin=True)
    engine = make_engine(signed.url)
    try:
        with (write_session if write else read_session)(engine) as session:
            return action(session, signed.actor), signed.actor
    finally:
        engine.dispose()


def run_token_create(ctx: Context) -> int:
    from booking_app.services import auth
    from booking_app.services.command_tokens import ENV_VAR, SCOPES, create_token

    args, label = ctx.args, ctx.label
    name = _name(args)

    def action(session: Session, actor: Actor) -> tuple[str, str]:
        staff = auth.staff_by_name(session, name)
        return create_token(session, actor, staff.id, args.scope, args.label), staff.name

    (secret, staff_name), actor = _as_admin(ctx, "コマンド用トークンの発行", action)
    print(secret)
    print(f"担当者「{staff_name}」のコマンド用トークン（{SCOPES[args.scope]}）を発行しました（{label}、"
          f"発行：{actor.name}）。\n"
          "上の1行がトークンです。表示はこの一度だけで、データベースには残りません。パスワードと同じく扱い、"
          f"タスクスケジューラの保護された設定（環境変数 {ENV_VAR}）にだけ保存してください。"
          "不要になったら「staff token revoke 番号」で無効にします。", file=sys.stderr)
    return 0


def run_token_list(ctx: Context) -> int:
    from booking_app.services.command_tokens import list_tokens

    label = ctx.label
    tokens, _actor = _as_admin(ctx, "コマンド用トークンの一覧", lambda s, a: list_tokens(s), write=False)
    if not tokens:
        print(f"発行したコマンド用トークンはありません（{label}）。")
        return 0

    def when(moment: datetime | None) -> str:
        return moment.strftime("%Y-%m-%d %H:%M") if moment else "－"

    print("番号\t状態\t担当者\t範囲\t説明\t先頭\t発行日時\t最後の使用\t無効化日時")
    for t in tokens:
        state = "有効" if t.active else "無効"
        print(f"{t.id}\t{state}\t{t.staff_name}\t{t.scope}\t{t.label or '－'}\t{t.prefix}…\t"
              f"{when(t.created_at)}\t{when(t.last_used_at)}\t{when(t.revoked_at)}")
    return 0


def run_token_revoke(ctx: Context) -> int:
    from booking_app.services.command_tokens import revoke_token

    label, token_id = ctx.label, ctx.args.token_id
    info, actor = _as_admin(ctx, "コマンド用トークンの無効化", lambda s, a: revoke_token(s, a, token_id))
    print(f"担当者「{info.staff_name}」のコマンド用トークン{info.id}"
          f"を無効にしました（{label}、操作：{actor.name}）。これを使う予定実行は、次回からログインできません。")
    return 0
