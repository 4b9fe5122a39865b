"""The command line (コマンド): open the app, or run an administrator's job without a window.

    fukufuku-desk                         open the app on the configured database
    fukufuku-desk --demo                  open the app on a throwaway database full of demo data
    fukufuku-desk db upgrade [--owner U]  bring the database schema up to date (PostgreSQL: as the schema owner)
    fukufuku-desk seed-demo               put demo data into the database given by --db
    fukufuku-desk import-bookings FILE    import the old booking ledger (.xlsx / .csv)
    fukufuku-desk backup FILE             a checked copy of the database (SQLite file / pg_dump)
    fukufuku-desk restore FILE [--yes]    check a backup, save the current database, put it back
    fukufuku-desk verify-audit [--known HASH]  check the audit trail's hash chain (exit 1 if broken)
    fukufuku-desk import-groups / export-groups / print-slips / export-insurance / export-stats …
    fukufuku-desk staff token create NAME --scope backup|all  a command token for a scheduled job
    fukufuku-desk staff unlock NAME       break-glass: lift a staff member's sign-in lock (staff_cli.py)
    fukufuku-desk staff reset-password NAME  break-glass: set a forgotten password (asked twice, never echoed)

Signing in (issue 15, booking_app/cli_signin.py): every command that reads personal data or changes
anything signs in first and acts as that staff member, who is recorded in the audit trail; none acts as
anyone by default. SQLite: ``--staff NAME`` and the password typed at the prompt, or (a scheduled job) a
command token in the environment variable ``FUKUFUKU_DESK_TOKEN`` (``staff token create``); PostgreSQL:
the staff member's own database login (the URL's user, or ``--staff`` as the login name). Without a login a
command is refused with exit status 1 before it reads or writes anything. ``db upgrade`` on SQLite asks for a
システム管理 sign-in once the database has staff with passwords (a fresh file has none); on PostgreSQL it
runs as the schema owner as before. The break-glass ``staff unlock`` / ``reset-password`` sign nobody in:
they need the database file or the owner credential, and record the operating-system user. The window
signs its staff in itself: ``--staff`` is refused there.

Every command runs the migrations and ``ensure_initial_data``, so any of them works on a database a
previous version made (SQLite: the schema is brought up to date before the sign-in, as opening the window
does). Errors print the Japanese message and exit with status 1, never a traceback: the people running
this are city IT staff, not developers.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from datetime import date, datetime, time
from pathlib import Path

from booking_app.domain.errors import DomainError, NotFound, ValidationError

EXIT_OK = 0
EXIT_ERROR = 1


def _date_arg(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日付は YYYY-MM-DD の形で指定してください（「{text}」）") from None


# argparse's own messages (msgids as argparse spells them) → Japanese. argparse looks its texts up through
# the module-level ``_`` / ``ngettext`` (gettext) when it builds them, so _JapaneseParser swaps those in for
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
EXIT_USAGE = EXIT_ERROR  # README and the admin guide: every error, a mistyped option included, exits 1


class _ArgparseInJapanese:
    """While active, argparse builds its messages in Japanese (re-entrant: subcommands parse inside)."""

    def __enter__(self):
        self._saved = (argparse._, argparse.ngettext)
        argparse._ = lambda text: ARGPARSE_JA.get(text, text)
        argparse.ngettext = lambda one, many, n: ARGPARSE_JA_PLURAL.get(one, one if n == 1 else many)
        return self

    def __exit__(self, *exc) -> None:
        argparse._, argparse.ngettext = self._saved


class _JapaneseParser(argparse.ArgumentParser):
    """argparse whose own complaints (required, invalid choice, not allowed with, unrecognized arguments,
    expected one argument…) and help headings are in Japanese; a usage error exits with EXIT_USAGE."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title = "引数"
        self._optionals.title = "オプション"
        self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS, help="この説明を表示して終了")

    def parse_known_args(self, args=None, namespace=None):
        with _ArgparseInJapanese():
            return super().parse_known_args(args, namespace)

    def parse_args(self, args=None, namespace=None):
        with _ArgparseInJapanese():  # 'unrecognized arguments' is raised here, outside parse_known_args
            return super().parse_args(args, namespace)

    def format_usage(self) -> str:
        with _ArgparseInJapanese():
            return super().format_usage()

    def format_help(self) -> str:
        with _ArgparseInJapanese():
            return super().format_help()

    def error(self, message: str) -> None:
        with _ArgparseInJapanese():
            self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: エラー：{message}\n"
                              f"使い方は「{self.prog} --help」で表示できます。\n")


def _int_arg(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"整数で指定してください（「{text}」）") from None


def build_parser() -> argparse.ArgumentParser:
    # Options shared by every command may be written before or after the command name.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", metavar="URL", default=argparse.SUPPRESS,
                        help="データベース（SQLiteのファイル名、または postgresql://ユーザー@ホスト/DB名）。"
                             "省略時は環境変数 BOOKING_APP_DB_URL、それもなければ利用者フォルダのSQLiteファイル")
    common.add_argument("--staff", metavar="NAME", default=argparse.SUPPRESS,
                        help="コマンドにログインする担当者の名前（SQLite：パスワードを入力。PostgreSQL：ログイン名）。"
                             "人が入力しない実行では代わりに環境変数 FUKUFUKU_DESK_TOKEN にコマンド用トークン。"
                             "操作履歴にはこの担当者が記録されます（画面の起動には使えません）")

    # Issue 12: run as of another moment (demos, screenshots, support); the clock ticks on from there.
    common.add_argument("--today", metavar="YYYY-MM-DD", type=_date_arg, default=argparse.SUPPRESS,
                        help="この日の10:00として動かす（デモ・画面写真・問い合わせの再現用。時計はそこから進む）")
    common.add_argument("--now", metavar="'YYYY-MM-DD HH:MM'", type=_moment_arg, default=argparse.SUPPRESS,
                        help="この日時として動かす（--today の時刻つき版）")

    parser = _JapaneseParser(prog="fukufuku-desk", parents=[common],
                             description="ふくふくデスク：しものせき市民活動センターの窓口業務アプリ")
    parser.add_argument("--demo", action="store_true",
                        help="デモデータ入りの使い捨てデータベースで起動（--db を指定した場合はそのデータベース）")
    parser.add_argument("--screenshot", metavar="FILE.png", type=Path, default=None,
                        help="起動した画面をPNGに保存して終了（説明書・確認用）")
    # Screenshots of any screen (docs/user-guide.md): booking_app/ui/screenshots.py; comma lists → a folder.
    parser.add_argument("--page", metavar="KEY[,KEY…]", default=None,
                        help="--screenshot の前に表示する画面（calendar, today, groups…）。複数なら保存先はフォルダ")
    parser.add_argument("--dialog", metavar="NAME[,NAME…]", default=None,
                        help="--screenshot でダイアログを開いて撮影（booking, payment, group-check, login, about…）")
    from booking_app import __version__

    parser.add_argument("--version", action="version", version=f"ふくふくデスク {__version__}",
                        help="バージョンを表示して終了")
    sub = parser.add_subparsers(dest="command", metavar="コマンド", parser_class=_JapaneseParser)

    db = sub.add_parser("db", parents=[common], help="データベースの管理")
    db_sub = db.add_subparsers(dest="db_command", metavar="操作", required=True, parser_class=_JapaneseParser)
    upgrade = db_sub.add_parser("upgrade", parents=[common], help="データベースを最新の形に更新")
    upgrade.add_argument("--owner", metavar="USER", default=None,
                         help="PostgreSQL：データベースの所有者のユーザー名（パスワードは入力するか環境変数 PGPASSWORD）")

    seed = sub.add_parser("seed-demo", parents=[common], help="デモデータ（団体約300・1年分の予約）を作成")
    seed.add_argument("--seed", type=_int_arg, default=7, help="乱数の種（同じ種なら同じデータ）")
    seed.add_argument("--force", action="store_true",
                      help="以前の seed-demo で作ったデモデータだけのデータベースに、もう一度デモデータを加える"
                           "（本番のデータがあるデータベースには、--force でも作成しません）")

    imp = sub.add_parser("import-bookings", parents=[common], help="以前の予約台帳（Excel・CSV）を取り込む")
    imp.add_argument("file", metavar="FILE", type=Path, help="予約台帳のファイル（.xlsx または .csv）")
    imp.add_argument("--dry-run", action="store_true", help="確認のみ：取り込む内容とエラーを表示し、書き込まない")
    imp.add_argument("--override-reason", metavar="理由", default="",
                     help="今日以降の日付で規則（休館日・開館時間・予約受付期間）に合わない行を、この理由を記録して"
                          "規則外として取り込む（管理者のみ）。省略時、そのような行はエラー")

    verify = sub.add_parser("verify-audit", parents=[common],
                            help="操作履歴の改ざんの確認（連鎖のハッシュを最初から計算し直す）")
    verify.add_argument("--known", metavar="HASH", default=None,
                        help="以前に控えた「最後のハッシュ」。履歴の中にあることも確かめる")

    from booking_app.services.group_io import register_cli as register_group_io

    register_group_io(sub, parents=[common])  # import-groups, export-groups
    from booking_app.slips_cli import register_cli as register_slips

    register_slips(sub, parents=[common])  # print-slips
    from booking_app.insurance_cli import register_cli as register_insurance

    register_insurance(sub, parents=[common])  # export-insurance
    from booking_app.stats_cli import register_cli as register_stats

    register_stats(sub, parents=[common])  # export-stats
    from booking_app.backup_cli import register_cli as register_backup

    register_backup(sub, parents=[common])  # backup, restore (no start-up: see backup_cli)
    from booking_app.staff_cli import register_cli as register_staff

    register_staff(sub, parents=[common])  # staff unlock / reset-password (break-glass; dispatched as db_handler)
    return parser


def _moment_arg(text: str) -> datetime:
    from booking_app.clock import parse_moment

    try:
        return parse_moment(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


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
    try:
        return _run(args)
    except DomainError as exc:
        _err(exc.message)
        return EXIT_ERROR
    except KeyboardInterrupt:
        _err("中断しました。")
        return EXIT_ERROR
    except Exception as exc:  # the last guard: database and file trouble as a message, not a traceback
        from sqlalchemy.exc import SQLAlchemyError

        if isinstance(exc, SQLAlchemyError | OSError):
            detail = str(getattr(exc, "orig", None) or exc).splitlines()[0]
            _err(f"データベースまたはファイルを開けませんでした：{detail}\n"
                 "指定した場所・接続先・権限を確かめてください。")
            return EXIT_ERROR
        raise


def _err(message: str) -> None:
    print(message, file=sys.stderr)


def _out(message: str = "") -> None:
    print(message)


def _today(args: argparse.Namespace) -> date:
    from booking_app import clock

    return clock.today()  # --today / --now set the clock in main()


def _run(args: argparse.Namespace) -> int:
    from booking_app.config import resolve_db_url, sqlite_url_for

    cli_db = getattr(args, "db", None)
    if args.command is None and args.demo and not cli_db:
        with tempfile.TemporaryDirectory(prefix="fukufuku-demo-", ignore_cleanup_errors=True) as tmp:
            url = sqlite_url_for(Path(tmp) / "demo.sqlite3")
            return _open_app(args, url, "SQLite: デモ用（終了時に削除）")
    url, label = resolve_db_url(cli_db)
    if args.command is None:
        return _open_app(args, url, label)
    if args.command == "db":
        return _db_upgrade(args, url, label)
    if args.command == "seed-demo":
        return _seed_demo(args, url, label)
    if args.command == "verify-audit":
        signed = _signed_in(args, url, label)
        return _verify_audit(args, signed.url, label)
    if args.command == "import-bookings":
        if not args.file.exists():
            raise ValidationError(f"ファイル「{args.file}」が見つかりません。")
        signed = _signed_in(args, url, label)
        return _import_bookings(args, signed.url, label, signed.actor)
    if getattr(args, "db_handler", None):  # backup/restore/staff: the database as it is, no migration
        return args.db_handler(args, url, label)  # (they sign in themselves: backup_cli, staff_cli)
    if getattr(args, "handler", None):  # commands registered by their own modules (group_io, slips…)
        signed = _signed_in(args, url, label)
        engine = _prepare(signed.url, migrate=False)
        try:
            return args.handler(args, engine, signed.actor)
        finally:
            engine.dispose()
    raise ValidationError(f"コマンド「{args.command}」はありません。")  # pragma: no cover - argparse refuses first


# --------------------------------------------------------------------------- shared start-up


def _require_database(url: str, label: str) -> None:
    """Refuse a database that is not there (issue 13): a mistyped --db must not become a new, empty
    database on which an export reports 0人 and exits 0. Only ``db upgrade`` and ``seed-demo`` create one.

    SQLite: the file must exist and hold the app's tables (checked before anything opens it, since
    opening creates the file). PostgreSQL: the database must have the app's tables; a connection
    failure is reported as such by main()."""
    from sqlalchemy import inspect
    from sqlalchemy.engine import make_url

    from booking_app.store.engine import make_engine

    hint = ("--db の指定（ファイル名・接続先）を確かめてください。"
            "新しいデータベースを作るときは「db upgrade」を使います。")
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        if not u.database or u.database == ":memory:":
            raise NotFound(f"データベースが見つかりません：{label}\n{hint}")
        path = Path(u.database)
        if not path.is_file():
            raise NotFound(f"データベースが見つかりません：{path}\n{hint}")
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            has_tables = inspect(conn).has_table("alembic_version")
    finally:
        engine.dispose()
    if not has_tables:
        raise NotFound(f"データベースが見つかりません：{label}（ふくふくデスクのデータがありません）\n{hint}")


def _migrate(url: str) -> None:
    from booking_app.store.migrate import safe_upgrade

    result = safe_upgrade(url)  # backs up a database that needs migrating; MigrationFailed is a DomainError
    if result.warning:
        _err(result.warning)
    if result.backup is not None:
        _err(f"更新前のデータベースを {result.backup} にバックアップしました。")


def _prepare(url: str, *, migrate: bool = True):
    """Migrate, make the engine, fill an empty database with rooms, equipment and staff."""
    from booking_app.services.centre import ensure_initial_data
    from booking_app.store.engine import make_engine, write_session

    if migrate:
        _migrate(url)
    engine = make_engine(url)
    with write_session(engine) as session:
        ensure_initial_data(session)
    return engine


# What each command signs in for (cli_signin.sign_in's keywords). A command missing here (registered by a
# module later) signs in with its name as the purpose and an "all" token: refused by default, never open.
COMMAND_SIGNIN: dict[str, dict] = {
    "import-bookings": {"purpose": "予約台帳の取込", "manager": True},
    "verify-audit": {"purpose": "操作履歴の確認", "token_scope": "backup"},
    "import-groups": {"purpose": "団体名簿の取込", "manager": True},
    "export-groups": {"purpose": "登録団体名簿の書き出し", "manager": True},
    "print-slips": {"purpose": "利用票の印刷"},
    "export-insurance": {"purpose": "保険の名簿・台帳の書き出し", "manager": True},
    "export-stats": {"purpose": "利用状況の書き出し"},
}


def _signed_in(args: argparse.Namespace, url: str, label: str):
    """The database must be there (_require_database); SQLite is brought up to date first (a schema
    upgrade, as opening the window does: the sign-in reads today's staff table); then the command signs
    in (cli_signin.sign_in) before it reads or writes anything."""
    from booking_app.cli_signin import sign_in
    from booking_app.store.engine import is_sqlite

    options = COMMAND_SIGNIN.get(args.command, {"purpose": f"コマンド「{args.command}」"})
    if is_sqlite(url):
        _require_database(url, label)
        _migrate(url)
        return sign_in(args, url, label, **options)
    # PostgreSQL: nothing connects without a login, so the sign-in comes first.
    signed = sign_in(args, url, label, **options)
    _require_database(signed.url, label)
    _migrate(signed.url)  # a no-op unless the schema is behind (then the owner's job: db upgrade)
    return signed


# --------------------------------------------------------------------------- commands


def _open_app(args: argparse.Namespace, url: str, label: str) -> int:
    """Open the window. ``app.run`` itself puts the demo data in when ``demo`` is set. Staff sign in in the
    window (its login dialog): ``--staff`` names nobody there and is refused, before anything opens."""
    from sqlalchemy.exc import InterfaceError, OperationalError

    if getattr(args, "staff", None):
        raise ValidationError("--staff はコマンド（export-groups など）のログイン用です。画面では起動後のログイン画面で"
                              "担当者を選んでログインしてください。--staff を外して起動してください。")

    from booking_app.store.engine import write_session

    existing: list[str] = []
    # Issue 8: nothing configured and no database file yet → app.run shows the 初回起動ウィザード,
    # which creates the database where staff choose; creating the default file here would pre-empt it.
    first_run = False
    if args.screenshot is None and not args.demo:
        from booking_app.services.first_start import is_first_start

        first_run = is_first_start(getattr(args, "db", None))
    from booking_app.store.migrate import MigrationFailed

    try:
        from booking_app.store.migrate import needs_owner_credential

        # PostgreSQL without a user (issue 14): nothing connects before the staff member signs in.
        engine = None if first_run or needs_owner_credential(url) else _prepare(url)
    except (OperationalError, InterfaceError):
        # Server unreachable: app.run shows 「サーバーに接続できません」 (再試行 / 接続設定…) instead.
        engine, existing = None, []
    except MigrationFailed as exc:
        # Started from the Start menu nobody reads stderr: say it in a window too (and on stderr).
        if args.screenshot is None:
            from booking_app import app as gui

            gui.show_fatal(label, exc.message)
        raise
    if engine is not None:
        try:
            with write_session(engine) as session:
                # What seed-demo refuses, refused here too: app.run would give every account the demo
                # password (issue 15), not only mix invented bookings into real ones.
                state, found = demo_state(session) if args.demo else ("empty", [])
                existing = found if state != "empty" else []
        finally:
            engine.dispose()
    if existing:
        # --demo --db on a database in use would mix 8,000 invented bookings into real ones.
        raise ValidationError(
            f"このデータベース（{label}）には既にデータがあるため（{'、'.join(existing)}）、デモデータは入れられません。"
            "--demo は --db なし（使い捨てのデータベース）か、空のデータベースで使ってください。"
        )
    # Imported here so that the admin commands work without Qt (e.g. on a server).
    from booking_app import app

    screenshot = str(args.screenshot) if args.screenshot is not None else None
    from booking_app.ui.screenshots import check_options

    check_options(screenshot, args.page, args.dialog)  # an unknown page name before the slow start
    result = app.run(url, db_label=label, demo=args.demo, screenshot=screenshot,
                     page=args.page, dialog=args.dialog, first_run=first_run)
    return int(result or 0)


def _db_upgrade(args: argparse.Namespace, url: str, label: str) -> int:
    """PostgreSQL: as the schema owner (issue 14). SQLite: a file whose staff have passwords is in use, so
    a システム管理 member signs in first (cli_signin.sign_in_before_upgrade); a new or fresh file (no
    passwords yet) is upgraded as before: it is how a centre starts."""
    from booking_app import config
    from booking_app.store.migrate import current_revision, owner_credential_url

    signed_as = None
    if not config.is_postgres_url(url):
        from sqlalchemy.engine import make_url

        from booking_app.cli_signin import has_staff_passwords, sign_in_before_upgrade

        path = make_url(url).database
        if path and path != ":memory:" and Path(path).is_file() and has_staff_passwords(url):
            from booking_app.cli_signin import sign_in
            from booking_app.store.migrate import _state, head_revision

            if _state(url)[1] == head_revision(url):  # up to date: the usual sign-in (failures counted)
                signed_as = sign_in(args, url, label, purpose="データベースの更新", admin=True).actor
            else:  # the old schema: read with plain SQL (cli_signin.sign_in_before_upgrade)
                signed_as = sign_in_before_upgrade(args, url, label, purpose="データベースの更新").actor
    engine = _prepare(owner_credential_url(url, getattr(args, "owner", None)))  # PostgreSQL: as the owner
    try:
        revision = current_revision(engine)
    finally:
        engine.dispose()
    who = f"、担当者：{signed_as.name}" if signed_as is not None else ""
    _out(f"データベースを最新の形に更新しました（{label}、リビジョン {revision}{who}）。")
    return EXIT_OK


# Audit actions that change no data: they may follow a seed-demo without making the database a real one.
_DEMO_HARMLESS_ACTIONS = ("login", "logout", "lock", "denied", "cli_sign_in_refused")


def demo_state(session) -> tuple[str, list[str]]:
    """("empty" | "demo" | "real", what was found). Empty: no group, booking, receipt, insurance enrolment,
    staff password or audit row (but the harmless ones). Demo: the last audit row that changes data is a
    ``seed_demo`` one, i.e. nobody wrote anything after the last seed-demo (every write records an audit
    row; audit ids only grow). Anything else is a database in use."""
    from sqlalchemy import func, select

    from booking_app.store.models import (AuditEntry, Booking, InsuranceEnrolment, MemberGroup, Receipt,
                                          Staff)

    def count(model, *where) -> int:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0

    found = []
    for what, n in (("登録団体", count(MemberGroup)), ("予約", count(Booking)), ("領収書", count(Receipt)),
                    ("保険の加入", count(InsuranceEnrolment)),
                    ("パスワードのある担当者", count(Staff, Staff.password_hash.is_not(None)))):
        if n:
            found.append(f"{what}{n}件")
    changes = AuditEntry.action.not_in(_DEMO_HARMLESS_ACTIONS)
    audits = count(AuditEntry, changes)
    if not found and not audits:
        return "empty", []
    if audits:
        found.append(f"操作履歴{audits}件")
    last = session.scalars(select(AuditEntry).where(changes).order_by(AuditEntry.id.desc()).limit(1)).first()
    if last is not None and last.action == "seed_demo":
        return "demo", found
    if last is not None:
        found.append(f"最後の操作：{last.at:%Y-%m-%d %H:%M}「{last.summary[:40]}」")
    return "real", found


def _seed_demo(args: argparse.Namespace, url: str, label: str) -> int:
    """Demo data only into an empty database or one that holds nothing but earlier demo data (then with
    --force). A database in use is refused whatever the options: seed_demo gives every account the public
    demo password. No sign-in: an empty database has nobody to sign in, and nothing personal is read."""
    from booking_app.services.demo import seed_demo
    from booking_app.store.engine import write_session

    engine = _prepare(url)
    try:
        with write_session(engine) as session:
            state, found = demo_state(session)
            if state == "real":
                raise ValidationError(
                    f"このデータベース（{label}）には本番のデータがあるため、デモデータは作成しません"
                    f"（見つかったもの：{'、'.join(found)}）。デモデータは担当者のパスワードを公開のデモ用に"
                    "置き換えるため、--force を付けても作成しません。新しいファイル名を --db に指定してください。")
            if state == "demo" and not args.force:
                raise ValidationError(
                    f"このデータベース（{label}）には既にデモデータがあります（{'、'.join(found)}）。"
                    "もう一度加えるときは --force を付けてください（既存の予約とは重ねません）。")
            counts = seed_demo(session, today=_today(args), seed=args.seed)
    finally:
        engine.dispose()
    _out(f"デモデータを作成しました（{label}）。")
    _out(f"  期間：{counts['first_day']}〜{counts['last_day']}")
    _out(f"  団体：{counts['groups']}件（有効{counts['groups_active']}件）")
    _out(f"  予約：{counts['bookings']}件（繰り返し予約{counts['series']}件分の{counts['series_bookings']}件を含む）")
    _out(f"    利用済{counts['completed']}件・確定{counts['confirmed']}件・仮予約{counts['tentative']}件・"
         f"取消{counts['cancelled']}件・無断キャンセル{counts['no_show']}件")
    _out(f"  所要時間：{counts['seconds']}秒")
    return EXIT_OK


def _import_bookings(args: argparse.Namespace, url: str, label: str, actor) -> int:
    from booking_app.services.imports import import_bookings_file

    engine = _prepare(url, migrate=False)
    try:  # the file is read outside any transaction; the write is one short transaction (services.imports)
        report = import_bookings_file(engine, actor, args.file, dry_run=args.dry_run,
                                      override_reason=args.override_reason)
    finally:
        engine.dispose()
    lines = report.summary_lines()
    if report.errors:
        for line in lines:
            _err(line)
        return EXIT_ERROR
    for line in lines:
        _out(line)
    if report.written:
        _out(f"取込先：{label}（担当者：{actor.name}）")
    return EXIT_OK


def _verify_audit(args: argparse.Namespace, url: str, label: str) -> int:
    """``verify-audit``: exit 0 and the last hash (to keep off the server) when the chain is intact,
    exit 1 naming the first broken link."""
    from booking_app.services.audit_log import verify_chain
    from booking_app.store.engine import read_session

    engine = _prepare(url, migrate=False)
    try:
        with read_session(engine) as session:
            check = verify_chain(session, known_hash=args.known)
    finally:
        engine.dispose()
    if not check.ok:
        _err(check.message())
        _err(f"確認したデータベース：{label}")
        return EXIT_ERROR
    _out(check.message())
    _out(f"確認したデータベース：{label}")
    if check.rows:
        _out("最後のハッシュはサーバー以外の場所（紙・別のPC）に控えておき、次回 --known で確かめてください。")
    return EXIT_OK
