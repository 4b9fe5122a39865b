"""``print-slips``: the next day's usage slips (利用票) in one PDF, at closing time or from a scheduled job.

    fukufuku-desk print-slips --date 2026-11-26 -o 利用票_20261126.pdf [--layout A5|A4] [--force]

A day without bookings writes no file (an empty PDF would only waste a print run) and says so; the exit
status is 0 all the same, as nothing went wrong. The file is written as every command writes one
(``booking_app/output_files.py``): a name not ending in .pdf is refused, an existing file needs --force.

The services, the report and the calendar are imported inside the functions: the parser imports this
module before Qt starts on the plain ``run`` path (cli/context.py says how that is measured).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import date

from booking_app.cli.context import Context, SignIn, command, out
from booking_app.domain.errors import DomainError
from booking_app.output_files import add_force_option, check_destination, output_path_arg


def _date_arg(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        pass
    from booking_app.domain import japanese_calendar as jcal  # the holidays tables: only for such a date

    try:
        return jcal.parse_date_ja(text)  # '2026/11/26', '令和8年11月26日' also work
    except (DomainError, ValueError):
        raise argparse.ArgumentTypeError(f"日付は YYYY-MM-DD の形で指定してください（「{text}」）") from None


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser], *,
             parents: Sequence[argparse.ArgumentParser] = ()) -> None:
    """Add ``print-slips --date YYYY-MM-DD -o FILE.pdf [--layout A5|A4]`` (any staff member)."""
    p = subparsers.add_parser("print-slips", parents=list(parents), help="指定日の利用票をまとめてPDFにする",
                              description="指定日の予約（仮予約・確定・利用中・利用済）の利用票を、開始時刻・部屋の順に"
                                          "1つのPDFに書き出します。")
    p.add_argument("--date", dest="day", metavar="YYYY-MM-DD", type=_date_arg, required=True, help="利用日")
    p.add_argument("-o", "--output", metavar="FILE.pdf", type=output_path_arg(".pdf", what="利用票のPDF"), required=True,
                   help="書き出すPDFファイル（名前は .pdf で終わるもの）")
    p.add_argument("--layout", choices=("A5", "A4"), default="A5",
                   help="A5（1枚に1件、既定）または A4（1枚に2件、切り取り線付き）")
    add_force_option(p)
    command(p, run_print_slips, signin=SignIn("利用票の印刷"))


def run_print_slips(ctx: Context) -> int:
    from booking_app.domain import japanese_calendar as jcal
    from booking_app.reports.slip_pdf import render_slips
    from booking_app.services.slips import print_day_slips
    from booking_app.store.engine import write_session

    args = ctx.args
    day_text = f"{jcal.format_western(args.day)}({jcal.weekday_ja(args.day)})"
    check_destination(args.output, force=bool(getattr(args, "force", False)))  # before the work
    # One transaction reads the slips and records the print run, so a refused author gets no file; the
    # PDF is rendered after it commits (30 slips take ~1.7 s: no write lock held meanwhile).
    with write_session(ctx.opened_engine()) as session:
        docs = print_day_slips(session, ctx.signed_actor(), args.day, file_name=args.output.name)
    if not docs:
        out(f"{day_text}の予約はありません。利用票は作成しませんでした。")
        return 0
    with ctx.output(args.output, suffixes=(".pdf",)) as written:
        pages = render_slips(docs, written.temp, layout=args.layout)
    out(f"{day_text}の利用票を{len(docs)}件書き出しました（{args.layout}・{pages}ページ）：{args.output}")
    return 0
