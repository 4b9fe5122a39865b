"""``verify-audit [--known HASH]``: check the audit trail's hash chain from the first row (exit 1 if broken).

A "backup" command token is enough (a scheduled job checks it nightly). The services are imported inside
the handler: the parser imports this module before Qt starts on the plain ``run`` path (cli/context.py
says how that is measured).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from booking_app.cli.context import Context, SignIn, command, err, out
from booking_app.cli.parser import EXIT_ERROR, EXIT_OK


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser], *,
             parents: Sequence[argparse.ArgumentParser] = ()) -> None:
    verify = subparsers.add_parser("verify-audit", parents=list(parents),
                                   help="操作履歴の改ざんの確認（連鎖のハッシュを最初から計算し直す）")
    verify.add_argument("--known", metavar="HASH", default=None,
                        help="以前に控えた「最後のハッシュ」。履歴の中にあることも確かめる")
    command(verify, run_verify_audit, signin=SignIn("操作履歴の確認", token_scope="backup"))


def run_verify_audit(ctx: Context) -> int:
    """Exit 0 and the last hash (to keep off the server) when the chain is intact, exit 1 naming the
    first broken link."""
    from booking_app.services.audit_log import verify_chain
    from booking_app.store.engine import read_session

    with read_session(ctx.opened_engine()) as session:
        check = verify_chain(session, known_hash=ctx.args.known)
    if not check.ok:
        err(check.message())
        err(f"確認したデータベース：{ctx.label}")
        return EXIT_ERROR
    out(check.message())
    out(f"確認したデータベース：{ctx.label}")
    if check.rows:
        out("最後のハッシュはサーバー以外の場所（紙・別のPC）に控えておき、次回 --known で確かめてください。")
    return EXIT_OK
