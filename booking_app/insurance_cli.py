"""``export-insurance``: the activity insurance roster or ledger of a fiscal year as .xlsx or .csv.

    fukufuku-desk export-insurance --fiscal-year 2026 -o 保険名簿_2026.xlsx [--kind roster|ledger] [--force]

The roster (被保険者名簿, the default) is what goes to the 社会福祉協議会 or the insurer; the ledger
(加入台帳) lists every enrolment with its premium and totals per plan. Both hold personal data, so only
a manager may write them: the command signs in as one (``--staff`` and the password, or a command token;
booking_app/cli_signin.py) and is refused otherwise, before it reads anything. The layout is in
docs/insurance-export.md.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from booking_app.domain import japanese_calendar as jcal
from booking_app.domain.errors import DomainError
from booking_app.output_files import add_force_option, check_destination, output_path_arg, written_output
from booking_app.services.common import Actor

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


def register_cli(subparsers: argparse._SubParsersAction, *,
                 parents: Sequence[argparse.ArgumentParser] = ()) -> None:
    """Add ``export-insurance --fiscal-year YYYY -o FILE.xlsx|.csv [--kind roster|ledger]``.

    Sets ``args.handler(args, engine, actor) -> int`` like ``services.group_io.register_cli``; cli.py runs it
    after the sign-in (``actor`` is who signed in) and its usual start-up.
    """
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
    p.set_defaults(handler=cli_export_insurance)


def cli_export_insurance(args: argparse.Namespace, engine, actor: Actor) -> int:
    from booking_app.services.insurance_reports import export_insurance
    from booking_app.store.engine import write_session

    out: Path = args.output
    label = f"{jcal.fiscal_year_label(args.fiscal_year)}の{KIND_LABELS[args.kind]}"
    force = getattr(args, "force", False)
    try:
        check_destination(out, force=force)
        with written_output(out, force=force, suffixes=SUFFIXES) as written, write_session(engine) as session:
            n = export_insurance(session, actor, args.fiscal_year, written.temp, kind=args.kind,
                                 file_name=out.name)
    except DomainError as exc:
        print(exc.message, file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"「{out}」に書き出せません（{exc.strerror or exc}）。"
              "フォルダがあるか、Excelで開いたままでないか確かめてください。", file=sys.stderr)
        return 1
    for note in written.notes():  # side remarks on stderr; stdout keeps the one result line
        print(note, file=sys.stderr)
    print(f"{label}（{n}行）を「{out}」に書き出しました。")
    return 0
