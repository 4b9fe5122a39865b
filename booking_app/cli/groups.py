"""``import-groups FILE [--dry-run]`` and ``export-groups FILE``: the group register (登録団体名簿) in and
out as .xlsx or .csv, by a manager (the register carries representatives' names and telephone numbers).

The rules of the import (all rows or none, every problem with its row and column) are in
services/group_io.py and docs/import-groups.md. The services are imported inside the handlers: the parser
imports this module before Qt starts on the plain ``run`` path (cli/context.py says how that is measured).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from booking_app.cli.context import Context, SignIn, command, out
from booking_app.cli.parser import EXIT_ERROR, EXIT_OK
from booking_app.output_files import add_force_option, output_path_arg

SUFFIXES = (".xlsx", ".csv")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser], *,
             parents: Sequence[argparse.ArgumentParser] = ()) -> None:
    p = subparsers.add_parser("import-groups", parents=list(parents), help="登録団体名簿（Excel・CSV）を取り込む",
                              description="登録団体名簿を取り込みます。1行でも誤りがあれば何も取り込みません。")
    p.add_argument("file", metavar="FILE", type=Path, help="名簿のファイル（.xlsx、または UTF-8/Shift_JIS の .csv）")
    p.add_argument("--dry-run", action="store_true", help="確認のみ：取り込む内容とエラーを表示し、書き込まない")
    command(p, run_import_groups, signin=SignIn("団体名簿の取込", manager=True))
    p = subparsers.add_parser("export-groups", parents=list(parents), help="登録団体名簿を書き出す（Excel・CSV）",
                              description="登録団体名簿を、取込と同じ列で書き出します。")
    p.add_argument("file", metavar="FILE", type=output_path_arg(*SUFFIXES), help="書き出すファイル（.xlsx または .csv）")
    add_force_option(p)
    command(p, run_export_groups, signin=SignIn("登録団体名簿の書き出し", manager=True))


def run_import_groups(ctx: Context) -> int:
    """The report on stdout, or on stderr with exit 1 if any error (then nothing was written)."""
    from booking_app.services.group_io import import_groups_file

    # The file is read and checked before any write lock; the write is one short transaction.
    report = import_groups_file(ctx.opened_engine(), ctx.signed_actor(), ctx.args.file,
                                dry_run=ctx.args.dry_run, now=ctx.moment())
    stream = sys.stdout if report.ok else sys.stderr
    for text in report.summary_lines():
        print(text, file=stream)
    if report.written:
        out(f"担当者：{ctx.signed_actor().name}")
    return EXIT_OK if report.ok else EXIT_ERROR


def run_export_groups(ctx: Context) -> int:
    """Every registered group, in number order; the export's audit entry is written in the same transaction."""
    from booking_app.services.group_io import export_groups
    from booking_app.store.engine import write_session

    path: Path = ctx.args.file
    moment = ctx.moment()
    with ctx.output(path, suffixes=SUFFIXES) as written, write_session(ctx.opened_engine()) as session:
        n = export_groups(session, ctx.signed_actor(), written.temp, today=moment.date() if moment else None,
                          file_name=path.name)
    out(f"登録団体{n}団体を「{path}」に書き出しました。")
    return EXIT_OK
