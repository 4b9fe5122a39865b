"""``db upgrade [--owner USER]``: bring the database schema up to date (PostgreSQL: as the schema owner).

SQLite: a file whose staff have passwords is in use, so a システム管理 member signs in first
(cli/signin.sign_in_before_upgrade when the schema is old); a new or fresh file (no passwords yet) is
upgraded without one: it is how a centre starts. So the command is registered without the shared SignIn
start-up and does its own. SQLAlchemy and the store are imported inside the handler: the parser imports
this module before Qt starts on the plain ``run`` path (cli/context.py says how that is measured).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from booking_app.cli.context import Context, command, out, prepare
from booking_app.cli.parser import EXIT_OK


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser], *,
             parents: Sequence[argparse.ArgumentParser] = ()) -> None:
    db = subparsers.add_parser("db", parents=list(parents), help="データベースの管理")
    db_sub = db.add_subparsers(dest="db_command", metavar="操作", required=True,
                              parser_class=subparsers._parser_class)
    upgrade = db_sub.add_parser("upgrade", parents=list(parents), help="データベースを最新の形に更新")
    upgrade.add_argument("--owner", metavar="USER", default=None,
                         help="PostgreSQL：データベースの所有者のユーザー名（パスワードは入力するか環境変数 PGPASSWORD）")
    command(upgrade, run_upgrade)


def run_upgrade(ctx: Context) -> int:
    from booking_app import config
    from booking_app.store.migrate import current_revision, owner_credential_url

    args, url, label = ctx.args, ctx.url, ctx.label
    signed_as = None
    if not config.is_postgres_url(url):
        from sqlalchemy.engine import make_url

        from booking_app.cli.signin import has_staff_passwords, sign_in, sign_in_before_upgrade
        from booking_app.store.migrate import _state, head_revision

        path = make_url(url).database
        if path and path != ":memory:" and Path(path).is_file() and has_staff_passwords(url):
            if _state(url)[1] == head_revision(url):  # up to date: the usual sign-in (failures counted)
                signed_as = sign_in(args, url, label, purpose="データベースの更新", admin=True).actor
            else:  # the old schema: read with plain SQL (cli/signin.sign_in_before_upgrade)
                signed_as = sign_in_before_upgrade(args, url, label, purpose="データベースの更新").actor
    engine = prepare(owner_credential_url(url, getattr(args, "owner", None)))  # PostgreSQL: as the owner
    try:
        revision = current_revision(engine)
    finally:
        engine.dispose()
    who = f"、担当者：{signed_as.name}" if signed_as is not None else ""
    out(f"データベースを最新の形に更新しました（{label}、リビジョン {revision}{who}）。")
    return EXIT_OK
