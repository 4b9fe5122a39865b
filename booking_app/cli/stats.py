"""``export-stats``: a month's or a fiscal year's statistics (利用状況報告) as .xlsx, .csv or .pdf.

    fukufuku-desk export-stats --month 2026-10 -o 利用状況_2026-10.xlsx
    fukufuku-desk export-stats --fiscal-year 2026 -o 利用状況_令和8年度.pdf

Statistics hold no personal data, so any staff member may write them. The tables and each format's
layout are described in docs/statistics.md.

The services and the reports are imported inside the handler: the parser imports this module before Qt
starts on the plain ``run`` path (cli/context.py says how that is measured).
"""

from __future__ import annotations

import argparse
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from booking_app.cli.context import Context, SignIn, command, out
from booking_app.output_files import add_force_option, output_path_arg

if TYPE_CHECKING:  # the handler imports them when it runs (see the module's docstring)
    from sqlalchemy.orm import Session

    from booking_app.domain.figures import MonthFigures
    from booking_app.services.common import Actor

_MONTH_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$")
SUFFIXES = (".xlsx", ".csv", ".pdf")


def parse_month(text: str) -> tuple[int, int]:
    """'2026-10', '2026/10', '2026年10月' (full width too) → (2026, 10)."""
    m = _MONTH_RE.match(unicodedata.normalize("NFKC", text or "").strip())
    if not m or not 1 <= int(m[2]) <= 12 or not 2000 <= int(m[1]) <= 2100:
        raise argparse.ArgumentTypeError(f"月は YYYY-MM の形で指定してください（例：2026-10）（「{text}」）")
    return int(m[1]), int(m[2])


def parse_fiscal_year(text: str) -> int:
    try:
        year = int(unicodedata.normalize("NFKC", text or "").strip().removesuffix("年度"))
    except ValueError:
        year = 0
    if not 2000 <= year <= 2100:
        raise argparse.ArgumentTypeError(f"年度は西暦の4桁で指定してください（例：2026）（「{text}」）")
    return year


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser], *,
             parents: Sequence[argparse.ArgumentParser] = ()) -> None:
    """Add ``export-stats --month YYYY-MM | --fiscal-year YYYY -o FILE.xlsx|.csv|.pdf`` (any staff member)."""
    p = subparsers.add_parser("export-stats", parents=list(parents),
                              help="月・年度の利用状況（統計）を書き出す（Excel・CSV・PDF）",
                              description="利用者数・予約・稼働率・登録団体・保険・印刷機・収入の統計を書き出します。"
                                          "個人名・団体名は含みません。")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--month", metavar="YYYY-MM", type=parse_month, help="月（例：2026-10）")
    which.add_argument("--fiscal-year", dest="fiscal_year", metavar="YYYY", type=parse_fiscal_year,
                       help="年度（西暦。2026 は令和8年度＝2026年4月〜2027年3月）")
    p.add_argument("-o", "--output", metavar="FILE", type=output_path_arg(*SUFFIXES), required=True,
                   help="書き出すファイル（.xlsx、.csv、.pdf のいずれか）")
    add_force_option(p)
    command(p, run_export_stats, signin=SignIn("利用状況の書き出し"))


def export_stats(session: Session, path: Path, *, actor: Actor, month: tuple[int, int] | None = None,
                 fiscal_year: int | None = None, file_name: str | None = None) -> MonthFigures:
    """Gather the figures (recording the export as ``actor``'s) and write ``path``, both in ``session``'s
    transaction: a file that cannot be written leaves no audit entry. Returns the figures written."""
    from booking_app.reports.stats_export import write_stats
    from booking_app.services.stats_export import gather_stats

    report = gather_stats(session, actor, path, month=month, fiscal_year=fiscal_year, file_name=file_name)
    write_stats(report, path)
    return report.fig


def run_export_stats(ctx: Context) -> int:
    from booking_app.domain.figures import period_text
    from booking_app.store.engine import write_session

    args = ctx.args
    # A write: the export records itself in the audit trail as the signed-in staff member.
    with ctx.output(args.output, suffixes=SUFFIXES) as written, write_session(ctx.opened_engine()) as session:
        fig = export_stats(session, written.temp, actor=ctx.signed_actor(), month=args.month,
                           fiscal_year=args.fiscal_year, file_name=args.output.name)
    out(f"{period_text(fig)}の利用状況（利用者数 {fig.users_total:,}人）を「{args.output}」に書き出しました。")
    return 0


__all__ = ["register", "run_export_stats", "export_stats", "parse_month", "parse_fiscal_year"]
