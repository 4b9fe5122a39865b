"""The command line (コマンド): open the app, or run an administrator's job without a window.

    fukufuku-desk                         open the app on the configured database (cli/run.py)
    fukufuku-desk --demo                  open the app on a throwaway database full of demo data
    fukufuku-desk db upgrade [--owner U]  bring the database schema up to date (cli/db.py)
    fukufuku-desk seed-demo               put demo data into the database given by --db (cli/demo.py)
    fukufuku-desk import-bookings FILE    import the old booking ledger (.xlsx / .csv) (cli/bookings.py)
    fukufuku-desk verify-audit [--known HASH]  check the audit trail's hash chain (cli/audit.py)
    fukufuku-desk import-groups / export-groups FILE  the group register (cli/groups.py)
    fukufuku-desk print-slips / export-insurance / export-stats …  (cli/slips.py, insurance.py, stats.py)
    fukufuku-desk lottery-entries / lottery-draw / lottery-verify / lottery-print --month …  (cli/lottery.py)
    fukufuku-desk waitlist [--days N]  (cli/waitlist.py)
    fukufuku-desk backup / restore / decrypt-backup FILE  (cli/backup.py)
    fukufuku-desk staff unlock | reset-password | token …  break-glass and command tokens (cli/staff.py)

One module per command family, each with ``register(subparsers, parents=…)`` that adds its sub-commands
and registers each handler with ``context.command`` (and the SignIn it needs). cli/context.py builds the
one context a handler gets (the database, the signed-in actor, the opened engine, its output file) and
holds the one error tail: a DomainError, a file or database that cannot be opened, Ctrl+C → the Japanese
message on stderr and exit status 1, never a traceback.

Signing in (cli/signin.py): every command that reads personal data or changes anything signs in first
and acts as that staff member, who is recorded in the audit trail; none acts as anyone by default.
SQLite: ``--staff NAME`` and the password typed at the prompt, or (a scheduled job) a command token in the
environment variable ``FUKUFUKU_DESK_TOKEN`` (``staff token create``); PostgreSQL: the staff member's own
database login. Without a login a command is refused with exit status 1 before it reads or writes anything.

Start-up: ``build_parser`` imports the command modules, which import only argparse, the domain's errors
and booking_app.output_files at their top; SQLAlchemy, the models, the services and Qt are imported inside
the handlers, so the plain ``run`` path parses its arguments before any of them loads (measured with
``python -X importtime -m booking_app --help``; tests/test_cli.py checks sys.modules).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import datetime, time

from booking_app.cli import audit, backup, bookings, db, demo, groups, insurance, lottery, run, slips, staff, stats
from booking_app.cli import waitlist
from booking_app.cli.context import Command
from booking_app.cli.parser import EXIT_ERROR, EXIT_OK, EXIT_USAGE, JapaneseParser, common_options

# Each command family, in the order `--help` lists them.
COMMAND_MODULES = (db, demo, bookings, audit, groups, slips, insurance, stats, lottery, waitlist, backup, staff)


def build_parser() -> argparse.ArgumentParser:
    from booking_app import __version__

    common = common_options()
    parser = JapaneseParser(prog="fukufuku-desk", parents=[common],
                            description="ふくふくデスク：しものせき市民活動センターの窓口業務アプリ")
    run.register(parser)  # no command: the window
    parser.add_argument("--version", action="version", version=f"ふくふくデスク {__version__}",
                        help="バージョンを表示して終了")
    sub = parser.add_subparsers(dest="command", metavar="コマンド", parser_class=JapaneseParser)
    for module in COMMAND_MODULES:
        module.register(sub, parents=[common])
    return parser


def _apply_clock(args: argparse.Namespace) -> None:
    """--now / --today: the app's one clock starts at that moment and ticks on (booking_app.clock)."""
    from booking_app import clock

    moment = getattr(args, "now", None)
    if moment is None and getattr(args, "today", None) is not None:
        moment = datetime.combine(args.today, time(10, 0))
    if moment is not None:
        clock.set_clock(clock.ShiftedClock(moment))


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _apply_clock(args)
    handler: Command = args.handler  # the context built once, run inside the one error tail
    return handler(args)


__all__ = ["main", "build_parser", "EXIT_OK", "EXIT_ERROR", "EXIT_USAGE"]
