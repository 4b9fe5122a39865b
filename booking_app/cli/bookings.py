"""``import-bookings FILE``: the old booking ledger (.xlsx / .csv) into the database (a manager).

    fukufuku-desk import-bookings 予約台帳.xlsx [--dry-run] [--override-reason 理由]

The services are imported inside the handler: the parser imports this module before Qt starts on the
plain ``run`` path (cli/context.py says how that is measured).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from booking_app.cli.context import Context, SignIn, command, err, input_file_exists, out
from booking_app.cli.parser import EXIT_ERROR, EXIT_OK


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser], *,
             parents: Sequence[argparse.ArgumentParser] = ()) -> None:
    imp = subparsers.add_parser("import-bookings", parents=list(parents), help="以前の予約台帳（Excel・CSV）を取り込む")
    imp.add_argument("file", metavar="FILE", type=Path, help="予約台帳のファイル（.xlsx または .csv）")
    imp.add_argument("--dry-run", action="store_true", help="確認のみ：取り込む内容とエラーを表示し、書き込まない")
    imp.add_argument("--override-reason", metavar="理由", default="",
                     help="今日以降の日付で規則（休館日・開館時間・予約受付期間）に合わない行を、この理由を記録して"
                          "規則外として取り込む（管理者のみ）。省略時、そのような行はエラー")
    command(imp, run_import_bookings, signin=SignIn("予約台帳の取込", manager=True), check=input_file_exists)


def run_import_bookings(ctx: Context) -> int:
    from booking_app.services.imports import import_bookings_file

    args, actor = ctx.args, ctx.signed_actor()
    # The file is read outside any transaction; the write is one short transaction (services.imports).
    report = import_bookings_file(ctx.opened_engine(), actor, args.file, dry_run=args.dry_run,
                                  override_reason=args.override_reason)
    lines = report.summary_lines()
    if report.errors:
        for line in lines:
            err(line)
        return EXIT_ERROR
    for line in lines:
        out(line)
    if report.written:
        out(f"取込先：{ctx.label}（担当者：{actor.name}）")
    return EXIT_OK
