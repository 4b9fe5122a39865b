"""``export-insurance``: the activity insurance roster or ledger of a fiscal year as .xlsx or .csv.

    fukufuku-desk export-insurance --fiscal-year 2026 -o 保険名簿_2026.xlsx [--kind roster|ledger] [--force]

The roster (被保険者名簿, the default) is what goes to the 社会福祉協議会 or the insurer; the ledger
(加入台帳) lists every enrolment with its premium and totals per plan. Both hold personal data, so only
a manager may write them: the command signs in as one (``--staff`` and the password, or a command token;
booking_app/cli/signin.py) and is refused otherwise, before it reads anything. The layout is in
docs/insurance-export.md.

The services, the store and the calendar are imported inside the handler: the parser imports this module
before Qt starts on the plain ``run`` path (cli/context.py says how that is measured).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from booking_app.cli.context import Context, SignIn, command, out
from booking_app.output_files import add_force_option, output_path_arg

KIND_LABELS = {"roster": "被保険者名簿", "ledger": "加入台帳"}
SUFFIXES = (".xlsx", ".csv")


def _fiscal_year(text: str) -> int:
    try:
        year = int(text.strip().removesuffix("年度"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"年度は西暦の4桁で指定してください（例：2026）（「{text}」）") from None
    if not 2000 <= year <= 2100:
        raise argparse.ArgumentTypeError(f"年度は西暦の4桁で指定してください（例：2026）（「{text}」）")
    return year


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser], *,
             parents: Sequence[argparse.ArgumentParser] = ()) -> None:
    """Add ``export-insurance --fiscal-year YYYY -o FILE.xlsx|.csv [--kind roster|ledger]`` (a manager)."""
    p = subparsers.add_parser("export-insurance", parents=list(parents),
                              help="活動保険の被保険者名簿・加入台帳を書き出す（Excel・CSV）",
                              description="年度の活動保険の被保険者名簿（社会福祉協議会・保険会社へ送るもの）または"
                                          "加入台帳を書き出します。個人情報を含むため管理者のみ実行できます。")
    p.add_argument("--fiscal-year", dest="fiscal_year", metavar="YYYY", type=_fiscal_year, required=True,
                   help="年度（西暦。2026 は令和8年度＝2026年4月〜2027年3月）")
    p.add_argument("-o", "--output", metavar="FILE", type=output_path_arg(*SUFFIXES), required=True,
                   help="書き出すファイル（.xlsx または .csv）")
    p.add_argument("--kind", choices=tuple(KIND_LABELS), default="roster",
                   help="roster＝被保険者名簿（既定）、ledger＝加入台帳（プラン別の集計付き）")
    add_force_option(p)
    command(p, run_export_insurance, signin=SignIn("保険の名簿・台帳の書き出し", manager=True))


def run_export_insurance(ctx: Context) -> int:
    from booking_app.domain import japanese_calendar as jcal
    from booking_app.reports.insurance_pdf import write_insurance
    from booking_app.services.insurance_reports import export_insurance
    from booking_app.store.engine import write_session

    args = ctx.args
    label = f"{jcal.fiscal_year_label(args.fiscal_year)}の{KIND_LABELS[args.kind]}"
    # One transaction: the export records itself in the audit trail, then the file is written (a file that
    # cannot be written leaves no entry).
    with ctx.output(args.output, suffixes=SUFFIXES) as written, write_session(ctx.opened_engine()) as session:
        data = export_insurance(session, ctx.signed_actor(), args.fiscal_year, written.temp, kind=args.kind,
                                file_name=args.output.name)
        n = write_insurance(data, written.temp, fiscal_year=args.fiscal_year)
    out(f"{label}（{n}行）を「{args.output}」に書き出しました。")
    return 0
