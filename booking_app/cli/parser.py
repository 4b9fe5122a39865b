"""The command line's argparse, in Japanese: the parser class, the options every command shares, and the
small argument types (a date, a moment, an integer).

Imports at the top are the standard library and the domain's errors only: ``build_parser`` runs before Qt
starts on the plain ``fukufuku-desk`` path, so nothing here may pull in SQLAlchemy (measured with
``python -X importtime -m booking_app --help``; tests/test_cli.py checks sys.modules).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, NoReturn

# argparse's own messages (msgids as argparse spells them) → Japanese. argparse looks its texts up through
# the module-level ``_`` / ``ngettext`` (gettext) when it builds them, so JapaneseParser swaps those in for
# the time it parses: a usage error reads in Japanese whatever its kind, and nothing outside our parser
# (pytest's own argparse, say) is touched. A text missing here stays English inside a Japanese sentence.
ARGPARSE_JA: dict[str, str] = {
    "usage: ": "使い方: ",
    "argument %(argument_name)s: %(message)s": "%(argument_name)s の指定：%(message)s",
    "invalid choice: %(value)r (choose from %(choices)s)": "「%(value)s」は選べません（選べるもの：%(choices)s）",
    "invalid %(type)s value: %(value)r": "「%(value)s」は正しい値ではありません",
    "expected one argument": "値を1つ続けて指定してください",
    "expected at most one argument": "値は1つまでです",
    "expected at least one argument": "値を1つ以上続けて指定してください",
    "ambiguous option: %(option)s could match %(matches)s": "オプション %(option)s はどれのことか決まりません（候補：%(matches)s）",
    "unrecognized arguments: %s": "わからない指定があります：%s",
    "the following arguments are required: %s": "次の指定が必要です：%s",
    "one of the arguments %s is required": "%s のどれか1つを指定してください",
    "not allowed with argument %s": "%s と一緒には指定できません",
    "ignored explicit argument %r": "このオプションには値を付けられません（「%s」）",
    "unexpected option string: %s": "オプション %s はここでは使えません",
    "unknown parser %(parser_name)r (choices: %(choices)s)": "コマンド「%(parser_name)s」はありません（選べるもの：%(choices)s）",
    "%(prog)s: error: %(message)s\n": "%(prog)s: エラー：%(message)s\n",
}
ARGPARSE_JA_PLURAL: dict[str, str] = {"expected %s argument": "値を%s個続けて指定してください"}

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = EXIT_ERROR  # README and the admin guide: every error, a mistyped option included, exits 1


class _ArgparseInJapanese:
    """While active, argparse builds its messages in Japanese (re-entrant: subcommands parse inside)."""

    # argparse's ``_`` and ``ngettext`` are module globals its stub does not declare: reached through Any
    _argparse: Any = argparse

    def __enter__(self) -> _ArgparseInJapanese:
        self._saved = (self._argparse._, self._argparse.ngettext)
        self._argparse._ = lambda text: ARGPARSE_JA.get(text, text)
        self._argparse.ngettext = lambda one, many, n: ARGPARSE_JA_PLURAL.get(one, one if n == 1 else many)
        return self

    def __exit__(self, *exc: object) -> None:
        self._argparse._, self._argparse.ngettext = self._saved


class JapaneseParser(argparse.ArgumentParser):
    """argparse whose own complaints (required, invalid choice, not allowed with, unrecognized arguments,
    expected one argument…) and help headings are in Japanese; a usage error exits with EXIT_USAGE."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title = "引数"
        self._optionals.title = "オプション"
        self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS, help="この説明を表示して終了")

    def parse_known_args(  # type: ignore[override]  # one signature for the stub's Namespace-generic overloads
            self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None,
    ) -> tuple[argparse.Namespace, list[str]]:
        with _ArgparseInJapanese():
            return super().parse_known_args(args, namespace)

    def parse_args(  # type: ignore[override]  # one signature for the stub's Namespace-generic overloads
            self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None,
    ) -> argparse.Namespace:
        with _ArgparseInJapanese():  # 'unrecognized arguments' is raised here, outside parse_known_args
            return super().parse_args(args, namespace)

    def format_usage(self) -> str:
        with _ArgparseInJapanese():
            return super().format_usage()

    def format_help(self) -> str:
        with _ArgparseInJapanese():
            return super().format_help()

    def error(self, message: str) -> NoReturn:
        with _ArgparseInJapanese():
            self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: エラー：{message}\n"
                              f"使い方は「{self.prog} --help」で表示できます。\n")


def date_arg(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日付は YYYY-MM-DD の形で指定してください（「{text}」）") from None


def int_arg(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"整数で指定してください（「{text}」）") from None


def moment_arg(text: str) -> datetime:
    from booking_app.clock import parse_moment  # at parse time only: the clock is not needed for --help

    try:
        return parse_moment(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def common_options() -> argparse.ArgumentParser:
    """The options every command shares; they may be written before or after the command name."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", metavar="URL", default=argparse.SUPPRESS,
                        help="データベース（SQLiteのファイル名、または postgresql://ユーザー@ホスト/DB名）。"
                             "省略時は環境変数 BOOKING_APP_DB_URL、それもなければ利用者フォルダのSQLiteファイル")
    common.add_argument("--staff", metavar="NAME", default=argparse.SUPPRESS,
                        help="コマンドにログインする担当者の名前（SQLite：パスワードを入力。PostgreSQL：ログイン名）。"
                             "人が入力しない実行では代わりに環境変数 FUKUFUKU_DESK_TOKEN にコマンド用トークン。"
                             "操作履歴にはこの担当者が記録されます（画面の起動には使えません）")
    # Run as of another moment (demos, screenshots, support); the clock ticks on from there.
    common.add_argument("--today", metavar="YYYY-MM-DD", type=date_arg, default=argparse.SUPPRESS,
                        help="この日の10:00として動かす（デモ・画面写真・問い合わせの再現用。時計はそこから進む）")
    common.add_argument("--now", metavar="'YYYY-MM-DD HH:MM'", type=moment_arg, default=argparse.SUPPRESS,
                        help="この日時として動かす（--today の時刻つき版）")
    return common
